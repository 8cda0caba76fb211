// Tests of the hyper-parameter search: trial 0 is the defaults, the best is
// never worse than the defaults on validation, the search is deterministic for
// a seed, and bad metric / space entries are rejected.
#include <gtest/gtest.h>

#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

// Four taste groups of 10 items; each of 80 users consumes 6 random items of
// its group plus one random item of another (noise).
dataset::Dataset clustered() {
  std::vector<dataset::RawInteraction> rows;
  dataset::Rng rng(7);
  for (int user = 0; user < 80; ++user) {
    const int group = user % 4;
    for (int n = 0; n < 6; ++n)
      rows.push_back({"u" + std::to_string(user), "i" + std::to_string(group * 10 + static_cast<int>(rng.below(10))),
                      1.0f, n, std::nullopt});
    rows.push_back({"u" + std::to_string(user), "i" + std::to_string(static_cast<int>(rng.below(40))), 1.0f, 9,
                    std::nullopt});
  }
  return dataset::make_dataset(rows);
}

TuneOptions small_options() {
  TuneOptions options;
  options.trials = 5;
  options.metric = "ndcg@5";
  options.eval.ks = {5};
  options.eval.compute_beyond_accuracy = false;
  options.fit.threads = 1;
  return options;
}

TEST(Tune, FirstTrialIsDefaultsAndBestIsNoWorse) {
  const dataset::Dataset data = clustered();
  TuneResult result = tune(data, "itemknn", small_options());
  ASSERT_EQ(result.trials.size(), 5u);
  EXPECT_EQ(result.trials[0].params, model::create_model("itemknn")->params());
  EXPECT_GE(result.best_validation, result.trials[0].validation);
  double best = 0;
  for (const auto& t : result.trials) best = std::max(best, t.validation);
  EXPECT_DOUBLE_EQ(result.best_validation, best);
  EXPECT_TRUE(result.test.count("ndcg@5"));
  // Trials differ from each other (the search moves).
  EXPECT_NE(result.trials[1].params, result.trials[2].params);
}

TEST(Tune, DeterministicForASeed) {
  const dataset::Dataset data = clustered();
  TuneResult a = tune(data, "userknn", small_options());
  TuneResult b = tune(data, "userknn", small_options());
  ASSERT_EQ(a.trials.size(), b.trials.size());
  for (std::size_t n = 0; n < a.trials.size(); ++n) {
    EXPECT_EQ(a.trials[n].params, b.trials[n].params);
    EXPECT_DOUBLE_EQ(a.trials[n].validation, b.trials[n].validation);
  }
}

TEST(Tune, ExplicitSpaceIsRespected) {
  TuneOptions options = small_options();
  options.space["neighbors"] = SearchRange{3, 5, false, true};
  TuneResult result = tune(clustered(), "itemknn", options);
  for (std::size_t n = 1; n < result.trials.size(); ++n) {
    const auto neighbors = result.trials[n].params["neighbors"].get<int>();
    EXPECT_GE(neighbors, 3);
    EXPECT_LE(neighbors, 5);
  }
}

TEST(Tune, RejectsUnknownMetricAndEmptyRange) {
  TuneOptions options = small_options();
  options.metric = "ndcg@50";  // not computed: ks = {5}
  EXPECT_THROW(tune(clustered(), "itemknn", options), Error);
  options = small_options();
  options.space["neighbors"] = SearchRange{5, 3, false, true};
  EXPECT_THROW(tune(clustered(), "itemknn", options), Error);
  EXPECT_THROW(tune(clustered(), "no-such-model", small_options()), Error);
}

TEST(Tune, DefaultSpaceStaysInsideValidRanges) {
  for (const auto& name : model::model_names()) {
    for (const auto& [param, range] : default_search_space(name)) {
      for (const auto& spec : model::model_param_specs(name)) {
        if (spec.name != param) continue;
        EXPECT_GE(range.low, spec.min) << name << "." << param;
        EXPECT_LE(range.high, spec.max) << name << "." << param;
        EXPECT_LT(range.low, range.high) << name << "." << param;
      }
    }
  }
}

}  // namespace
}  // namespace tailor::eval
