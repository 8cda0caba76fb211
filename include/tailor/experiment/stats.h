// The statistics of the experiment component, as a pure library: no store,
// no threads, only aggregates in and estimates out. GrowthBook's open-source
// engine gbstats 0.8.0 is the reference; every formula here is the one its
// source uses (which variance, which degrees of freedom, how the sequential
// interval is tuned), and tests/experiment/gbstats_parity_test.py compares
// the numbers with gbstats itself to 1e-6.
//
// Data layout: one VariantData per variant of one metric, holding sums over
// users (the analysis unit). A user contributes x_u (the metric's numerator:
// clicks, revenue, 1/0 converted), for ratio metrics also y_u (the
// denominator: exposures), and for CUPED also c_u (the same metric in the
// pre-period). From sums and sums of squares every estimator below follows,
// so a report over a million exposures needs one pass to build them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tailor::experiment {

// ---------------------------------------------------------- distributions ---
// Double precision to ~1e-13 relative in the ranges reports use; the tests
// hold them to scipy's values.

double normal_pdf(double x);
double normal_cdf(double x);
double normal_ppf(double p);  // p in (0, 1)
double student_t_cdf(double t, double df);
double student_t_sf(double t, double df);  // 1 - cdf without cancellation
double student_t_ppf(double p, double df);  // p in (0, 1), df > 0
double chi_square_sf(double x, double df);  // P(X > x), X ~ chi2(df)
// P(X <= k) for X ~ Binomial(n, q).
double binomial_cdf(std::size_t k, std::size_t n, double q);

// --------------------------------------------------------------- metrics ---

// How one user's value is summarised: a mean of any number (count, revenue,
// items) or a proportion (the value is 0 or 1; gbstats' "binomial", whose
// variance is p(1 - p) without the n/(n - 1) correction).
enum class ValueType { kMean, kProportion };

// Sums over the users of one variant for one metric.
struct VariantData {
  std::string name;
  double users = 0;         // n: users in the variant (those exposed)
  double sum = 0;           // Σ x_u
  double sum_squares = 0;   // Σ x_u²
  // Ratio metrics (CTR = clicks / exposures per variant): Σ y_u, Σ y_u², Σ x_u·y_u.
  double denominator_sum = 0;
  double denominator_sum_squares = 0;
  double main_denominator_sum_product = 0;
  // CUPED: the pre-period covariate c_u: Σ c_u, Σ c_u², Σ x_u·c_u.
  double covariate_sum = 0;
  double covariate_sum_squares = 0;
  double main_covariate_sum_product = 0;
};

struct MetricShape {
  ValueType main = ValueType::kMean;
  bool ratio = false;                        // x/y with the delta method
  ValueType denominator = ValueType::kMean;  // type of y
  bool cuped = false;                        // regression adjustment with c
  ValueType covariate = ValueType::kMean;    // type of c
};

// Mean and variance of one variant's estimator inputs, as gbstats' Statistic:
// `mean` is the (possibly CUPED-adjusted) mean, `unadjusted_mean` the raw
// one, `variance` the per-user variance (divide by n for the mean's).
struct Moments {
  double n = 0;
  double mean = 0;
  double unadjusted_mean = 0;
  double variance = 0;
};

// The moments of a plain mean/proportion or a ratio metric (no CUPED).
//   mean:       x̄ = Σx/n,  s² = (Σx² - (Σx)²/n)/(n - 1)
//   proportion: p = Σx/n,  s² = p(1 - p)
//   ratio:      r = Σx/Σy, s² = s_x²/ȳ² - 2·cov(x,y)·x̄/ȳ³ + x̄²·s_y²/ȳ⁴  (delta method)
Moments variant_moments(const VariantData& data, const MetricShape& shape);

// CUPED (Deng et al. 2013) for the pair control/treatment, as gbstats: one θ
// from the pooled data of both, θ = cov(x, c)/var(c); each variant's
// adjusted mean is x̄ - θ·c̄ and its variance s_x² + θ²·s_c² - 2θ·cov(x, c).
// θ = 0 (no pre-period variance) falls back to the unadjusted moments.
double cuped_theta(const VariantData& control, const VariantData& treatment, const MetricShape& shape);
Moments cuped_moments(const VariantData& data, const MetricShape& shape, double theta);

// ----------------------------------------------------------------- tests ---

enum class Difference { kRelative, kAbsolute };

struct TestOptions {
  double alpha = 0.05;
  Difference difference = Difference::kRelative;
  double sequential_tuning = 5000;  // gbstats' sequential_tuning_parameter (expected total users)
};

// One comparison of a treatment with the control. Relative differences are
// lift = (m_b - m_a)/m_a with the delta-method variance
//   Var = s_b²/(m_a²·n_b) + s_a²·m_b²/(m_a⁴·n_a);
// absolute ones m_b - m_a with s_b²/n_b + s_a²/n_a. When the control mean is
// 0 or a variance is not positive, the result is gbstats' uninformative one
// (estimate 0, ci [0, 0], p 1) with `error` saying why.
struct FrequentistResult {
  double estimate = 0;
  double ci_low = 0, ci_high = 0;
  double p_value = 1;
  double stddev = 0;  // of the estimate
  double dof = 0;     // Welch–Satterthwaite
  std::string error;  // "" or gbstats' message code
};

// Welch's two-sided t-test: t = estimate/√Var, df by Welch–Satterthwaite on
// the per-user variances, p = 2·P(T_df > |t|), ci = estimate ± t_{1-α/2,df}·√Var.
FrequentistResult two_sided_ttest(const Moments& control, const Moments& treatment, const TestOptions& options);

// Sequential testing with an asymptotic confidence sequence
// (Waudby-Smith et al. 2023, eqs. 9, 155, 161 of arXiv:2103.06476v7), as
// gbstats: with N = n_a + n_b and ρ² = (-2 ln α + ln(-2 ln α + 1))/τ
// (τ = sequential_tuning), the half-width is
//   √(N·Var)·√(2(Nρ² + 1)·ln(√(Nρ² + 1)/α)/(Nρ)²)
// and the always-valid p-value is min(1, 1/E) with the e-value
//   E = exp(ρ²·S/(2(Nρ² + 1)))/√(Nρ² + 1),  S = estimate²·N/Var.
// Valid however often the results are looked at.
FrequentistResult sequential_ttest(const Moments& control, const Moments& treatment, const TestOptions& options);

// gbstats' effect Bayesian test with its default flat (improper) prior:
// the posterior of the difference is N(estimate, Var).
struct BayesianResult {
  double chance_to_win = 0.5;         // P(difference > 0)
  double expected = 0;                // posterior mean
  double ci_low = 0, ci_high = 0;     // central 1 - α credible interval
  double risk_control = 0;            // expected loss of choosing the control: E[max(Δ, 0)]
  double risk_treatment = 0;          // expected loss of choosing the treatment: E[max(-Δ, 0)]
  std::string error;
};
BayesianResult bayesian_test(const Moments& control, const Moments& treatment, const TestOptions& options,
                             bool inverse = false);

// Sample-ratio mismatch: Pearson's χ² of the observed users per variant
// against the planned weights, df = variants - 1 (gbstats' check_srm; a
// variant with weight 0 adds nothing to χ²). 1 when nobody was counted.
double srm_p_value(const std::vector<double>& users, const std::vector<double>& weights);
inline constexpr double kSrmThreshold = 0.001;  // flag below this, as GrowthBook

// Multiple comparisons across metrics and variants: adjusted p-values in the
// input order. Holm (step-down, family-wise error) and Benjamini–Hochberg
// (step-up, false discovery rate), each monotone and capped at 1.
std::vector<double> holm_adjust(const std::vector<double>& p_values);
std::vector<double> benjamini_hochberg_adjust(const std::vector<double>& p_values);

// Sign test of interleaving outcomes: ties are dropped, and the two-sided
// p-value of wins among wins + losses under Binomial(·, 1/2).
double sign_test_p_value(std::size_t wins, std::size_t losses);

// Power of a two-sided test that sees an estimate with standard deviation
// `stddev` when the true effect is `effect`: Φ(δ/σ - z) + Φ(-δ/σ - z) with
// z = z_{1-α/2} (fixed horizon) or, when `sequential_users` > 0, the
// confidence sequence's critical value at that many users.
double power(double effect, double stddev, const TestOptions& options, double sequential_users = 0);
// The z-threshold the confidence sequence puts on |estimate|/stddev at N users.
double sequential_critical_z(double total_users, const TestOptions& options);

// ---------------------------------------------------- aggregate contract ---

// `tailor experiment stats --input FILE`: statistics from aggregates.
// Input {"metric_type": "mean"|"proportion", "weights": [...], "variants":
// [{"name", "users", "sum", "sum_squares", ...}]}, first variant = control;
// optional "alpha", "difference" ("relative"|"absolute"), "sequential_tuning",
// ratio fields (denominator_*: "ratio": true, "denominator_type") and CUPED
// fields (covariate_*: "cuped": true, "covariate_type"). Output
// {"srm_p_value", "srm_flag", "variants": [{"name", "lift", "ci", "p_value",
// "sequential": {...}, "bayesian": {...}}]} where lift/ci/p_value are the
// fixed-horizon two-sided t-test's (the control's are null).
// InvalidArgument naming the field for bad input.
nlohmann::json stats_from_aggregates(const nlohmann::json& input);

}  // namespace tailor::experiment
