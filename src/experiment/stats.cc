// Estimators and tests of the experiment component, formula for formula as
// gbstats 0.8.0 computes them (gbstats/models/statistics.py,
// frequentist/tests.py, bayesian/tests.py, utils.py); the header says the
// maths, tests/experiment/gbstats_parity_test.py holds the numbers to gbstats.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "tailor/core/core.h"
#include "tailor/experiment/stats.h"

namespace tailor::experiment {
namespace {

// gbstats' SampleMeanStatistic / ProportionStatistic over (n, Σx, Σx²).
Moments base_moments(double n, double sum, double sum_squares, ValueType type) {
  Moments out;
  out.n = n;
  out.mean = n > 0 ? sum / n : 0;
  out.unadjusted_mean = out.mean;
  if (type == ValueType::kProportion)
    out.variance = out.mean * (1 - out.mean);
  else
    out.variance = n > 1 ? (sum_squares - sum * sum / n) / (n - 1) : 0;
  return out;
}

double sample_covariance(double n, double sum_products, double sum_a, double sum_b) {
  return n > 1 ? (sum_products - sum_a * sum_b / n) / (n - 1) : 0;
}

// The Welch variance of the estimate (relative: delta method on the ratio of means).
double estimate_variance(const Moments& a, const Moments& b, bool relative) {
  if (relative)
    return b.variance / (std::pow(a.unadjusted_mean, 2) * b.n) +
           a.variance * std::pow(b.unadjusted_mean, 2) / (std::pow(a.unadjusted_mean, 4) * a.n);
  return b.variance / b.n + a.variance / a.n;
}

double estimate_of(const Moments& a, const Moments& b, bool relative) {
  return relative ? (b.mean - a.mean) / a.unadjusted_mean : b.mean - a.mean;
}

// Why gbstats would answer with its uninformative default, or "".
std::string frequentist_problem(const Moments& a, const Moments& b) {
  if (a.mean == 0 || a.unadjusted_mean == 0) return "ZERO_NEGATIVE_BASELINE_VARIATION";
  if (a.variance <= 0 || b.variance <= 0) return "ZERO_NEGATIVE_VARIANCE";
  return "";
}

double welch_dof(const Moments& a, const Moments& b) {
  const double va = a.variance / a.n, vb = b.variance / b.n;
  return std::pow(vb + va, 2) / (std::pow(b.variance, 2) / (b.n * b.n * (b.n - 1)) +
                                 std::pow(a.variance, 2) / (a.n * a.n * (a.n - 1)));
}

double rho_squared(const TestOptions& options) {
  const double log_alpha = std::log(options.alpha);
  return (-2 * log_alpha + std::log(-2 * log_alpha + 1)) / options.sequential_tuning;
}

void check_options(const TestOptions& options) {
  TAILOR_CHECK_ARG(options.alpha > 0 && options.alpha < 1, "alpha must be in (0, 1)");
  TAILOR_CHECK_ARG(options.sequential_tuning > 0, "sequential_tuning must be positive");
}

}  // namespace

Moments variant_moments(const VariantData& data, const MetricShape& shape) {
  const Moments main = base_moments(data.users, data.sum, data.sum_squares, shape.main);
  if (!shape.ratio) return main;
  const Moments den = base_moments(data.users, data.denominator_sum, data.denominator_sum_squares, shape.denominator);
  Moments out;
  out.n = data.users;
  out.mean = data.denominator_sum == 0 ? 0 : data.sum / data.denominator_sum;
  out.unadjusted_mean = out.mean;
  if (den.mean == 0 || data.users <= 1) return out;
  const double cov = sample_covariance(data.users, data.main_denominator_sum_product, data.sum, data.denominator_sum);
  // Delta method for x̄/ȳ.
  out.variance = main.variance / std::pow(den.mean, 2) - 2 * cov * main.mean / std::pow(den.mean, 3) +
                 std::pow(main.mean, 2) * den.variance / std::pow(den.mean, 4);
  return out;
}

double cuped_theta(const VariantData& control, const VariantData& treatment, const MetricShape& shape) {
  const double n = control.users + treatment.users;
  const Moments post = base_moments(n, control.sum + treatment.sum, control.sum_squares + treatment.sum_squares,
                                    shape.main);
  const Moments pre = base_moments(n, control.covariate_sum + treatment.covariate_sum,
                                   control.covariate_sum_squares + treatment.covariate_sum_squares, shape.covariate);
  if (pre.variance == 0 || post.variance == 0) return 0;
  const double cov = sample_covariance(n, control.main_covariate_sum_product + treatment.main_covariate_sum_product,
                                       control.sum + treatment.sum, control.covariate_sum + treatment.covariate_sum);
  return cov / pre.variance;
}

Moments cuped_moments(const VariantData& data, const MetricShape& shape, double theta) {
  const Moments post = base_moments(data.users, data.sum, data.sum_squares, shape.main);
  if (theta == 0) return post;
  const Moments pre = base_moments(data.users, data.covariate_sum, data.covariate_sum_squares, shape.covariate);
  Moments out;
  out.n = data.users;
  out.mean = post.mean - theta * pre.mean;
  out.unadjusted_mean = post.mean;
  if (data.users <= 1) return out;
  const double cov = sample_covariance(data.users, data.main_covariate_sum_product, data.sum, data.covariate_sum);
  out.variance = post.variance + theta * theta * pre.variance - 2 * theta * cov;
  return out;
}

FrequentistResult two_sided_ttest(const Moments& a, const Moments& b, const TestOptions& options) {
  check_options(options);
  FrequentistResult out;
  out.error = frequentist_problem(a, b);
  if (!out.error.empty()) return out;
  const bool relative = options.difference == Difference::kRelative;
  const double variance = estimate_variance(a, b, relative);
  out.estimate = estimate_of(a, b, relative);
  out.stddev = std::sqrt(variance);
  out.dof = welch_dof(a, b);
  out.p_value = 2 * student_t_sf(std::fabs(out.estimate) / out.stddev, out.dof);
  const double width = student_t_ppf(1 - options.alpha / 2, out.dof) * out.stddev;
  out.ci_low = out.estimate - width;
  out.ci_high = out.estimate + width;
  return out;
}

FrequentistResult sequential_ttest(const Moments& a, const Moments& b, const TestOptions& options) {
  check_options(options);
  FrequentistResult out;
  out.error = frequentist_problem(a, b);
  if (!out.error.empty()) return out;
  const bool relative = options.difference == Difference::kRelative;
  const double variance = estimate_variance(a, b, relative);
  out.estimate = estimate_of(a, b, relative);
  out.stddev = std::sqrt(variance);
  out.dof = welch_dof(a, b);
  const double total = a.n + b.n;
  const double rho2 = rho_squared(options);
  const double tr2p1 = total * rho2 + 1;
  const double width = std::sqrt(variance * total) *
                       std::sqrt(2 * tr2p1 * std::log(std::sqrt(tr2p1) / options.alpha) / (total * total * rho2));
  out.ci_low = out.estimate - width;
  out.ci_high = out.estimate + width;
  const double st2 = out.estimate * out.estimate * total / variance;
  // 1/E computed in logs: E overflows long before 1/E stops mattering.
  const double log_evalue = rho2 * st2 / (2 * tr2p1) - 0.5 * std::log(tr2p1);
  out.p_value = std::min(1.0, std::exp(-log_evalue));
  return out;
}

BayesianResult bayesian_test(const Moments& a, const Moments& b, const TestOptions& options, bool inverse) {
  check_options(options);
  BayesianResult out;
  const bool relative = options.difference == Difference::kRelative;
  if ((a.mean == 0 || a.unadjusted_mean == 0) && relative) {
    out.error = "ZERO_NEGATIVE_BASELINE_VARIATION";
    return out;
  }
  if (a.n == 0 || b.n == 0) {
    out.error = "NO_UNITS_IN_VARIATION";
    return out;
  }
  if (a.variance <= 0 || b.variance <= 0) {
    out.error = "ZERO_NEGATIVE_VARIANCE";
    return out;
  }
  const double mu = estimate_of(a, b, relative);
  const double sigma = std::sqrt(estimate_variance(a, b, relative));
  out.expected = mu;
  const double win = normal_cdf(mu / sigma);
  out.chance_to_win = inverse ? 1 - win : win;
  const double z = normal_ppf(1 - options.alpha / 2);
  out.ci_low = mu - z * sigma;
  out.ci_high = mu + z * sigma;
  // With α = -μ/σ: E[max(Δ, 0)] = μ(1 - Φ(α)) + σφ(α), E[max(-Δ, 0)] = σφ(α) - μΦ(α).
  const double alpha = -mu / sigma;
  const double risk_control = mu * (1 - normal_cdf(alpha)) + sigma * normal_pdf(alpha);
  const double risk_treatment = sigma * normal_pdf(alpha) - mu * normal_cdf(alpha);
  out.risk_control = inverse ? risk_treatment : risk_control;
  out.risk_treatment = inverse ? risk_control : risk_treatment;
  return out;
}

double srm_p_value(const std::vector<double>& users, const std::vector<double>& weights) {
  TAILOR_CHECK_ARG(users.size() == weights.size(), "weights: one per variant");
  TAILOR_CHECK_ARG(users.size() >= 2, "variants: at least two");
  const double total = std::accumulate(users.begin(), users.end(), 0.0);
  if (total == 0) return 1;
  const double total_weight = std::accumulate(weights.begin(), weights.end(), 0.0);
  TAILOR_CHECK_ARG(total_weight > 0, "weights: must sum to more than 0");
  double chi2 = 0;
  for (std::size_t idx = 0; idx < users.size(); ++idx) {
    if (weights[idx] <= 0) continue;
    const double expected = weights[idx] / total_weight * total;
    chi2 += std::pow(users[idx] - expected, 2) / expected;
  }
  return chi_square_sf(chi2, static_cast<double>(users.size() - 1));
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return p[x] < p[y]; });
  // p_(i) · (m - i), made non-decreasing along the order, capped at 1.
  std::vector<double> out(m);
  double running = 0;
  for (std::size_t rank = 0; rank < m; ++rank) {
    running = std::max(running, std::min(1.0, p[order[rank]] * static_cast<double>(m - rank)));
    out[order[rank]] = running;
  }
  return out;
}

std::vector<double> benjamini_hochberg_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return p[x] < p[y]; });
  // p_(i) · m/i, made non-increasing from the largest down, capped at 1.
  std::vector<double> out(m);
  double running = 1;
  for (std::size_t rank = m; rank-- > 0;) {
    running = std::min(running, p[order[rank]] * static_cast<double>(m) / static_cast<double>(rank + 1));
    out[order[rank]] = std::min(1.0, running);
  }
  return out;
}

double sign_test_p_value(std::size_t wins, std::size_t losses) {
  const std::size_t n = wins + losses;
  if (n == 0) return 1;
  return std::min(1.0, 2 * binomial_cdf(std::min(wins, losses), n, 0.5));
}

double sequential_critical_z(double total_users, const TestOptions& options) {
  check_options(options);
  const double rho2 = rho_squared(options);
  const double tr2p1 = total_users * rho2 + 1;
  // p < α  ⇔  z² > 2(Nρ² + 1)(ln(1/α) + ½ ln(Nρ² + 1))/(Nρ²), the CS half-width in units of σ.
  return std::sqrt(2 * tr2p1 * (std::log(1 / options.alpha) + 0.5 * std::log(tr2p1)) / (total_users * rho2));
}

double power(double effect, double stddev, const TestOptions& options, double sequential_users) {
  check_options(options);
  TAILOR_CHECK_ARG(stddev > 0, "stddev must be positive");
  const double z = sequential_users > 0 ? sequential_critical_z(sequential_users, options)
                                        : normal_ppf(1 - options.alpha / 2);
  return normal_cdf(effect / stddev - z) + normal_cdf(-effect / stddev - z);
}

}  // namespace tailor::experiment
