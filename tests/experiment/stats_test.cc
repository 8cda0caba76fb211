// Known answers for the statistics library: distribution values from scipy
// 1.17 (hard-coded here, computed once), a Welch t-test done by hand,
// Holm/BH on a textbook vector, SRM on the issue's 52/48 split, the sign
// test. Parity with gbstats itself on whole fixtures is gbstats_parity_test.py.
#include <gtest/gtest.h>

#include <cmath>

#include "tailor/core/core.h"
#include "tailor/experiment/stats.h"

namespace tailor::experiment {
namespace {

TEST(Distributions, MatchScipy) {
  EXPECT_NEAR(student_t_cdf(1.5, 7), 0.911350756505015, 1e-13);
  EXPECT_NEAR(student_t_sf(3.2, 25.5), 0.0018290097077559688, 1e-15);
  EXPECT_NEAR(student_t_ppf(0.975, 10), 2.228138851986274, 1e-11);
  EXPECT_NEAR(student_t_ppf(0.975, 3.3), 3.024874461840807, 1e-11);
  // scipy and this inversion differ by 3e-11 at very large df (QuantileInvertsCdf checks ours round-trips).
  EXPECT_NEAR(student_t_ppf(0.975, 123456.7), 1.9599832001362323, 1e-10);
  EXPECT_NEAR(student_t_ppf(0.025, 10), -2.228138851986274, 1e-11);
  EXPECT_NEAR(student_t_sf(8.0, 40) / 3.952542055052269e-10, 1.0, 1e-9);  // a deep tail keeps its digits
  EXPECT_NEAR(normal_ppf(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_ppf(1e-10), -6.361340902404056, 1e-11);
  EXPECT_NEAR(normal_cdf(-3.1), 0.0009676032132183563, 1e-16);
  EXPECT_NEAR(chi_square_sf(3.84, 1), 0.05004352124870519, 1e-14);
  EXPECT_NEAR(chi_square_sf(31.0, 4), 3.061395748316364e-06, 1e-17);
  EXPECT_NEAR(chi_square_sf(0.5, 2), 0.7788007830714049, 1e-14);  // = e^{-1/4}
  EXPECT_NEAR(chi_square_sf(200, 150), 0.003973185970821635, 1e-14);
  EXPECT_NEAR(binomial_cdf(3, 20, 0.5), 0.0012884140014648438, 1e-15);  // = 1351/2^20
  EXPECT_NEAR(binomial_cdf(40, 100, 0.5), 0.028443966820490444, 1e-14);
  EXPECT_THROW(normal_ppf(1.0), Error);
  EXPECT_THROW(student_t_ppf(0.5, 0), Error);
}

TEST(Distributions, QuantileInvertsCdf) {
  for (double df : {1.0, 2.5, 9.0, 57.0, 4000.0})
    for (double p : {0.001, 0.05, 0.3, 0.5, 0.8, 0.99, 0.9999})
      EXPECT_NEAR(student_t_cdf(student_t_ppf(p, df), df), p, 1e-12) << df << " " << p;
}

// Two users per value list: A = {1, 2, 3, 4}, B = {2, 3, 4, 5}. By hand:
// means 2.5 and 3.5, both variances 5/3, Var(diff) = 5/12 + 5/12 = 5/6,
// t = 1/√(5/6) = 1.0954, Welch df = (5/6)²/(2·(5/12)²/3) = 6 exactly.
TEST(TTest, WelchByHand) {
  VariantData a{"a", 4, 10, 30}, b{"b", 4, 14, 54};
  const MetricShape shape;
  const Moments ma = variant_moments(a, shape), mb = variant_moments(b, shape);
  EXPECT_DOUBLE_EQ(ma.mean, 2.5);
  EXPECT_DOUBLE_EQ(ma.variance, 5.0 / 3);
  TestOptions options;
  options.difference = Difference::kAbsolute;
  const auto r = two_sided_ttest(ma, mb, options);
  EXPECT_NEAR(r.estimate, 1.0, 1e-15);
  EXPECT_NEAR(r.dof, 6.0, 1e-12);
  EXPECT_NEAR(r.p_value, 0.3153335962012299, 1e-12);  // scipy: 2·t.sf(1.0954, 6)
  EXPECT_NEAR(r.ci_high - r.estimate, 2.4469118511449786 * std::sqrt(5.0 / 6), 1e-11);
  // Relative: lift = 1/2.5 = 0.4; Var = s_b²/(m_a²·n_b) + s_a²·m_b²/(m_a⁴·n_a).
  options.difference = Difference::kRelative;
  const auto rel = two_sided_ttest(ma, mb, options);
  EXPECT_NEAR(rel.estimate, 0.4, 1e-15);
  const double var = (5.0 / 3) / (6.25 * 4) + (5.0 / 3) * 12.25 / (39.0625 * 4);
  EXPECT_NEAR(rel.stddev, std::sqrt(var), 1e-15);
}

TEST(TTest, UninformativeWhenControlIsZeroOrConstant) {
  const MetricShape shape;
  const auto zero = two_sided_ttest(variant_moments({"a", 10, 0, 0}, shape), variant_moments({"b", 10, 5, 5}, shape), {});
  EXPECT_EQ(zero.error, "ZERO_NEGATIVE_BASELINE_VARIATION");
  EXPECT_EQ(zero.p_value, 1);
  const auto flat = two_sided_ttest(variant_moments({"a", 10, 10, 10}, shape), variant_moments({"b", 10, 5, 5}, shape), {});
  EXPECT_EQ(flat.error, "ZERO_NEGATIVE_VARIANCE");
}

TEST(TTest, ProportionVarianceHasNoBesselCorrection) {
  MetricShape shape;
  shape.main = ValueType::kProportion;
  const Moments m = variant_moments({"a", 1000, 100, 100}, shape);
  EXPECT_DOUBLE_EQ(m.variance, 0.1 * 0.9);
}

// Ratio of sums with the delta method, checked against a direct evaluation.
TEST(TTest, RatioDeltaMethod) {
  VariantData d{"a", 5, 6, 10, 20, 90, 27};  // x = clicks, y = exposures over 5 users
  MetricShape shape;
  shape.ratio = true;
  const Moments m = variant_moments(d, shape);
  EXPECT_DOUBLE_EQ(m.mean, 6.0 / 20);
  const double xbar = 6.0 / 5, ybar = 4, sx2 = (10 - 36.0 / 5) / 4, sy2 = (90 - 400.0 / 5) / 4, cxy = (27 - 120.0 / 5) / 4;
  EXPECT_NEAR(m.variance, sx2 / (ybar * ybar) - 2 * cxy * xbar / std::pow(ybar, 3) + xbar * xbar * sy2 / std::pow(ybar, 4),
              1e-15);
}

// CUPED with a covariate equal to the metric: θ = 1 and the adjusted variance vanishes.
TEST(Cuped, PerfectCovariateRemovesVariance) {
  VariantData a{"a", 4, 10, 30}, b{"b", 4, 14, 54};
  a.covariate_sum = 10, a.covariate_sum_squares = 30, a.main_covariate_sum_product = 30;
  b.covariate_sum = 14, b.covariate_sum_squares = 54, b.main_covariate_sum_product = 54;
  MetricShape shape;
  shape.cuped = true;
  const double theta = cuped_theta(a, b, shape);
  EXPECT_NEAR(theta, 1.0, 1e-12);
  EXPECT_NEAR(cuped_moments(a, shape, theta).variance, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(cuped_moments(a, shape, theta).unadjusted_mean, 2.5);
}

TEST(Sequential, WiderThanFixedAndAlwaysValid) {
  const MetricShape shape;
  const Moments a = variant_moments({"a", 2000, 2000, 6000}, shape);
  const Moments b = variant_moments({"b", 2000, 2150, 6700}, shape);
  const auto fixed = two_sided_ttest(a, b, {});
  const auto seq = sequential_ttest(a, b, {});
  EXPECT_DOUBLE_EQ(seq.estimate, fixed.estimate);
  EXPECT_GT(seq.ci_high - seq.ci_low, fixed.ci_high - fixed.ci_low);
  EXPECT_GT(seq.p_value, fixed.p_value);
  // The interval excludes 0 exactly when p < α (both come from one boundary).
  EXPECT_EQ(seq.ci_low > 0 || seq.ci_high < 0, seq.p_value < 0.05);
  const double z = sequential_critical_z(4000, {});
  EXPECT_NEAR(z * seq.stddev, (seq.ci_high - seq.ci_low) / 2, 1e-12);
}

TEST(Srm, IssueSplitIsFlagged) {
  // 50/50 planned, 52/48 observed on 20,000 users: χ² = 2·400²/10000 = 32, p ≈ 1.5e-8.
  const double p = srm_p_value({10400, 9600}, {0.5, 0.5});
  EXPECT_NEAR(p, chi_square_sf(32, 1), 1e-20);
  EXPECT_LT(p, kSrmThreshold);
  EXPECT_GT(srm_p_value({10050, 9950}, {0.5, 0.5}), kSrmThreshold);  // 50.25/49.75 is noise
  EXPECT_EQ(srm_p_value({0, 0}, {1, 1}), 1);
  // A zero-weight variant adds no term to χ² but its users count in the total and it counts in df, as
  // gbstats: expected 1003/2 = 501.5 for the two others, χ² = 2·1.5²/501.5 with 2 df.
  EXPECT_NEAR(srm_p_value({500, 500, 3}, {1, 1, 0}), chi_square_sf(2 * 1.5 * 1.5 / 501.5, 2), 1e-15);
}

TEST(MultipleComparisons, HolmAndBenjaminiHochberg) {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const auto holm = holm_adjust(p);
  const std::vector<double> holm_expected = {0.03, 0.06, 0.06, 0.02};
  const auto bh = benjamini_hochberg_adjust(p);
  const std::vector<double> bh_expected = {0.02, 0.04, 0.04, 0.02};
  for (std::size_t idx = 0; idx < p.size(); ++idx) {
    EXPECT_NEAR(holm[idx], holm_expected[idx], 1e-15);
    EXPECT_NEAR(bh[idx], bh_expected[idx], 1e-15);
  }
  EXPECT_EQ(holm_adjust({0.6, 0.7})[0], 1.0);  // capped
}

TEST(SignTest, KnownValues) {
  EXPECT_NEAR(sign_test_p_value(17, 3), 2 * 0.0012884140014648438, 1e-15);
  EXPECT_NEAR(sign_test_p_value(3, 17), 2 * 0.0012884140014648438, 1e-15);
  EXPECT_EQ(sign_test_p_value(0, 0), 1);
  EXPECT_EQ(sign_test_p_value(5, 5), 1);
}

TEST(Bayesian, ChanceToWinAndRisk) {
  const MetricShape shape;
  const Moments a = variant_moments({"a", 1000, 1000, 3000}, shape);
  const Moments b = variant_moments({"b", 1000, 1100, 3400}, shape);
  const auto r = bayesian_test(a, b, {});
  const auto f = two_sided_ttest(a, b, {});
  EXPECT_NEAR(r.chance_to_win, normal_cdf(f.estimate / f.stddev), 1e-15);
  // E[max(Δ,0)] - E[max(-Δ,0)] = E[Δ].
  EXPECT_NEAR(r.risk_control - r.risk_treatment, r.expected, 1e-12);
  EXPECT_GT(r.risk_control, r.risk_treatment);
}

TEST(Power, FixedHorizonFormula) {
  // δ/σ = z_{0.975} + z_{0.8} gives 80% power (the other tail adds ~1e-8).
  const double sd = 1.0, effect = normal_ppf(0.975) + normal_ppf(0.8);
  EXPECT_NEAR(power(effect, sd, {}), 0.8, 1e-6);
  EXPECT_LT(power(effect, sd, {}, 20000), 0.8);  // a confidence sequence pays for peeking
}

TEST(StatsJson, ContractShapeAndValidation) {
  const nlohmann::json input = {{"metric_type", "proportion"}, {"weights", {0.5, 0.5}},
                                {"variants", {{{"name", "control"}, {"users", 10000}, {"sum", 1000}, {"sum_squares", 1000}},
                                              {{"name", "b"}, {"users", 10000}, {"sum", 1100}, {"sum_squares", 1100}}}}};
  const auto out = stats_from_aggregates(input);
  EXPECT_NEAR(out["srm_p_value"].get<double>(), 1.0, 1e-12);
  EXPECT_TRUE(out["variants"][0]["lift"].is_null());
  EXPECT_NEAR(out["variants"][1]["lift"].get<double>(), 0.1, 1e-12);
  EXPECT_LT(out["variants"][1]["p_value"].get<double>(), 0.05);
  auto bad = input;
  bad["variants"][1]["sum"] = 20000;
  try {
    stats_from_aggregates(bad);
    FAIL() << "a proportion over users was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("variants[1].sum"), std::string::npos) << e.what();
  }
  bad = input;
  bad["variants"][0]["userz"] = 3;
  EXPECT_THROW(stats_from_aggregates(bad), Error);
  bad = input;
  bad["metric_type"] = "median";
  EXPECT_THROW(stats_from_aggregates(bad), Error);
  bad = input;
  bad["weights"] = {1};
  EXPECT_THROW(stats_from_aggregates(bad), Error);
}

}  // namespace
}  // namespace tailor::experiment
