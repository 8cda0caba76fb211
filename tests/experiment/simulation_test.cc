// Calibration of the statistics by simulation (seeded; simulation.h):
//  - 1,000 A/A experiments on the CTR ratio metric, results looked at every
//    simulated day for 20 days: the sequential test's false-positive rate is
//    inside [0.03, 0.07] at α = 0.05, while the fixed-horizon t-test looked at
//    the same way is far above it (the peeking problem the sequential test exists for);
//  - 500 A/B experiments with a true +10% CTR lift on 20,000 users: the share
//    detected matches the power the design predicts (± 5 points), fixed-horizon
//    and sequential (final look);
//  - a 52/48 logged split of a 50/50 design on 20,000 users is flagged by SRM
//    in every run, a fair one almost never.
#include <gtest/gtest.h>

#include "simulation.h"
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {
namespace {

struct Sums {
  VariantData data;
  void add(const sim::SimUser& u) {
    data.users += 1;
    data.sum += u.clicks;
    data.sum_squares += u.clicks * u.clicks;
    data.denominator_sum += u.exposures;
    data.denominator_sum_squares += u.exposures * u.exposures;
    data.main_denominator_sum_product += u.clicks * u.exposures;
  }
};

MetricShape ctr_shape() {
  MetricShape shape;
  shape.ratio = true;
  return shape;
}

TEST(Calibration, AaFalsePositiveRateWithDailyLooks) {
  constexpr int kExperiments = 1000, kDays = 20, kUsersPerDay = 100;
  const sim::Population pop;
  TestOptions options;
  options.sequential_tuning = kDays * kUsersPerDay;  // the planned sample size, as gbstats recommends
  sim::Rng rng(20261207);
  int sequential_hits = 0, peeking_hits = 0;
  for (int exp = 0; exp < kExperiments; ++exp) {
    // Real assignment: the user ids of this experiment hashed with its own salt.
    Definition d = definition_from_json({{"id", "aa"}, {"salt", "aa-" + std::to_string(exp)},
                                         {"variants", {{{"name", "a"}}, {{"name", "b"}}}}});
    d.bucket_end = kLayerBuckets;
    Sums arms[2];
    bool sequential_rejected = false, fixed_rejected = false;
    for (int day = 0; day < kDays; ++day) {
      for (int idx = 0; idx < kUsersPerDay; ++idx)
        arms[*assign_variant(d, "u" + std::to_string(day * kUsersPerDay + idx))].add(sim::draw_user(rng, pop, 0));
      const Moments a = variant_moments(arms[0].data, ctr_shape()), b = variant_moments(arms[1].data, ctr_shape());
      sequential_rejected |= sequential_ttest(a, b, options).p_value < 0.05;
      fixed_rejected |= two_sided_ttest(a, b, options).p_value < 0.05;
    }
    sequential_hits += sequential_rejected;
    peeking_hits += fixed_rejected;
  }
  const double fpr = sequential_hits / double(kExperiments), peeking = peeking_hits / double(kExperiments);
  RecordProperty("sequential_fpr", std::to_string(fpr));
  RecordProperty("fixed_horizon_peeking_fpr", std::to_string(peeking));
  EXPECT_GE(fpr, 0.03);
  EXPECT_LE(fpr, 0.07);
  EXPECT_GT(peeking, 0.15) << "the control: daily looks at a fixed-horizon test inflate false positives";
}

TEST(Calibration, PowerMatchesDesign) {
  constexpr int kExperiments = 500, kUsers = 20000;
  const sim::Population pop;
  constexpr double kLift = 0.10;
  TestOptions options;
  options.sequential_tuning = kUsers;
  // The design: per-user variances from the population, half the users per arm.
  const auto ctrl = sim::design_ratio(pop, 0), treat = sim::design_ratio(pop, kLift);
  const double n = kUsers / 2.0;
  const double sd = std::sqrt(treat.variance / (ctrl.mean * ctrl.mean * n) +
                              ctrl.variance * treat.mean * treat.mean / (std::pow(ctrl.mean, 4) * n));
  const double predicted_fixed = power(kLift, sd, options);
  const double predicted_sequential = power(kLift, sd, options, kUsers);
  sim::Rng rng(42);
  int fixed_hits = 0, sequential_hits = 0;
  for (int exp = 0; exp < kExperiments; ++exp) {
    Sums arms[2];
    for (int idx = 0; idx < kUsers; ++idx) {
      const int arm = rng.bernoulli(0.5) ? 1 : 0;
      arms[arm].add(sim::draw_user(rng, pop, arm == 1 ? kLift : 0));
    }
    const Moments a = variant_moments(arms[0].data, ctr_shape()), b = variant_moments(arms[1].data, ctr_shape());
    const auto fixed = two_sided_ttest(a, b, options);
    fixed_hits += fixed.p_value < 0.05 && fixed.estimate > 0;
    const auto seq = sequential_ttest(a, b, options);
    sequential_hits += seq.p_value < 0.05 && seq.estimate > 0;
  }
  const double observed_fixed = fixed_hits / double(kExperiments);
  const double observed_sequential = sequential_hits / double(kExperiments);
  RecordProperty("predicted_power", std::to_string(predicted_fixed));
  RecordProperty("observed_power", std::to_string(observed_fixed));
  EXPECT_GT(predicted_fixed, 0.3);  // a design where the check can fail either way
  EXPECT_LT(predicted_fixed, 0.95);
  EXPECT_NEAR(observed_fixed, predicted_fixed, 0.05);
  EXPECT_NEAR(observed_sequential, predicted_sequential, 0.05);
  EXPECT_LT(predicted_sequential, predicted_fixed);
}

TEST(Calibration, SrmFlagsA52to48Split) {
  sim::Rng rng(7);
  int flagged_broken = 0, flagged_fair = 0;
  for (int run = 0; run < 200; ++run) {
    double broken[2] = {0, 0}, fair[2] = {0, 0};
    for (int idx = 0; idx < 20000; ++idx) {
      broken[rng.bernoulli(0.52) ? 0 : 1] += 1;
      fair[rng.bernoulli(0.5) ? 0 : 1] += 1;
    }
    flagged_broken += srm_p_value({broken[0], broken[1]}, {0.5, 0.5}) < kSrmThreshold;
    flagged_fair += srm_p_value({fair[0], fair[1]}, {0.5, 0.5}) < kSrmThreshold;
  }
  EXPECT_GE(flagged_broken, 198);  // expected χ² ≈ 32: power > 0.999
  EXPECT_LE(flagged_fair, 3);      // α = 0.001
}

}  // namespace
}  // namespace tailor::experiment
