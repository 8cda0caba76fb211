// Eval component tests: every metric against hand-computed values (the
// arithmetic is in the comments), evaluate_ranking / evaluate_rating on a
// model with fixed scores, and the protocol plumbing.
#include <gtest/gtest.h>

#include <cmath>

#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

using dataset::Dataset;
using dataset::Interaction;
using Items = std::vector<std::uint32_t>;

const double kLog2of3 = std::log2(3.0);
const double kLog2of5 = std::log2(5.0);

// ranked [3, 1, 7, 5], relevant {1, 5, 9}, K = 4: hits at ranks 2 and 4.
const Items kRanked = {3, 1, 7, 5};
const Items kRelevant = {1, 5, 9};

TEST(Metrics, PrecisionRecallF1Hit) {
  EXPECT_DOUBLE_EQ(precision_at_k(kRanked, kRelevant, 4), 0.5);        // 2 / 4
  EXPECT_DOUBLE_EQ(recall_at_k(kRanked, kRelevant, 4), 2.0 / 3.0);     // 2 / 3
  EXPECT_DOUBLE_EQ(f1_at_k(kRanked, kRelevant, 4), 4.0 / 7.0);         // 2·(1/2)(2/3) / (1/2 + 2/3) = (2/3)/(7/6)
  EXPECT_DOUBLE_EQ(hit_rate_at_k(kRanked, kRelevant, 4), 1.0);
  EXPECT_DOUBLE_EQ(hit_rate_at_k(kRanked, kRelevant, 1), 0.0);         // [3] misses
  EXPECT_DOUBLE_EQ(precision_at_k(kRanked, kRelevant, 2), 0.5);        // [3, 1]: 1 / 2
  EXPECT_DOUBLE_EQ(recall_at_k(kRanked, kRelevant, 2), 1.0 / 3.0);
  // K beyond the list: the denominator is still K.
  EXPECT_DOUBLE_EQ(precision_at_k(kRanked, kRelevant, 10), 0.2);       // 2 / 10
  EXPECT_DOUBLE_EQ(f1_at_k(Items{4}, kRelevant, 1), 0.0);
}

TEST(Metrics, Ndcg) {
  // DCG = 1/log2(3) + 1/log2(5); IDCG (min(4, 3) = 3 hits) = 1 + 1/log2(3) + 1/log2(4)
  const double expected = (1 / kLog2of3 + 1 / kLog2of5) / (1 + 1 / kLog2of3 + 0.5);
  EXPECT_NEAR(ndcg_at_k(kRanked, kRelevant, 4), expected, 1e-12);
  // K = 2: DCG = 1/log2(3); IDCG = 1 + 1/log2(3)
  EXPECT_NEAR(ndcg_at_k(kRanked, kRelevant, 2), (1 / kLog2of3) / (1 + 1 / kLog2of3), 1e-12);
  EXPECT_DOUBLE_EQ(ndcg_at_k(Items{1, 5, 9}, kRelevant, 3), 1.0);
  EXPECT_DOUBLE_EQ(ndcg_at_k(kRanked, Items{}, 4), 0.0);
}

TEST(Metrics, MapAndMrr) {
  // MAP@4 = (1 / min(4, 3)) · (P@2 + P@4) = (1/2 + 2/4) / 3 = 1/3
  EXPECT_NEAR(map_at_k(kRanked, kRelevant, 4), 1.0 / 3.0, 1e-12);
  // MAP@2 = (1 / min(2, 3)) · P@2 = (1/2) / 2 = 1/4
  EXPECT_NEAR(map_at_k(kRanked, kRelevant, 2), 0.25, 1e-12);
  // MRR: first hit at rank 2.
  EXPECT_DOUBLE_EQ(reciprocal_rank(kRanked, kRelevant), 0.5);
  EXPECT_DOUBLE_EQ(reciprocal_rank(Items{2, 4}, kRelevant), 0.0);
}

TEST(Metrics, AucWithTies) {
  // scores: item 0: 0.9 (excluded: a training item), 1: 0.5 (positive),
  // 2: 0.5, 3: 0.1, 4: 0.3 (negatives). Positive 0.5 beats 0.1 and 0.3 and ties
  // 0.5: (2 + ½) / 3 = 5/6.
  std::vector<float> scores = {0.9f, 0.5f, 0.5f, 0.1f, 0.3f};
  EXPECT_NEAR(auc(scores, Items{1}, Items{0}), 5.0 / 6.0, 1e-12);
  // Two positives {1, 3}: item 1 -> 1 (beats 4) + ½ (ties 2) over negatives {2, 4};
  // item 3 -> 0. (1.5 + 0) / (2 · 2) = 3/8.
  EXPECT_NEAR(auc(scores, Items{1, 3}, Items{0}), 3.0 / 8.0, 1e-12);
  // -inf ties with -inf, NaN counts as -inf.
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> unknown = {-inf, std::nanf(""), -inf};
  EXPECT_NEAR(auc(unknown, Items{0}, Items{}), 0.5, 1e-12);
  // No negatives: 0.5 by definition.
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{1.0f}, Items{0}, Items{}), 0.5);
}

TEST(Metrics, RmseMae) {
  // errors 1, 0, 2: RMSE = √((1 + 0 + 4) / 3) = √(5/3), MAE = 3 / 3 = 1
  std::vector<double> predicted = {3, 4, 5}, actual = {2, 4, 3};
  EXPECT_NEAR(rmse(predicted, actual), std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_NEAR(mae(predicted, actual), 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(rmse({}, {})));
  EXPECT_THROW(mae(predicted, std::vector<double>{1}), Error);
}

// ---------------------------------------------------- evaluate_ranking ---

// Every user gets the same scores (item_scores_), and predict() returns them
// as ratings: a model whose answers are known in advance.
class FixedScores final : public model::Recommender {
 public:
  explicit FixedScores(std::vector<float> scores) : item_scores_(std::move(scores)) {}
  std::string name() const override { return "fixed"; }
  model::Params params() const override { return model::Params::object(); }
  std::vector<model::ScoredItem> similar_items(std::uint32_t, std::size_t) const override { return {}; }
  bool predicts_ratings() const override { return true; }
  std::optional<float> predict(std::uint32_t, std::uint32_t item) const override { return item_scores_[item]; }

 protected:
  void score(std::optional<std::uint32_t>, std::span<const std::uint32_t>, std::span<const float>,
             std::span<float> scores) const override {
    std::copy(item_scores_.begin(), item_scores_.end(), scores.begin());
  }
  void fit_model(const model::CsrMatrix&, std::span<const Interaction>, const model::FitOptions&) override {}
  void save_payload(std::ostream&) const override {}
  void load_payload(std::istream&, std::uint32_t) override {}

 private:
  std::vector<float> item_scores_;
};

// 3 users, 5 items, scores 5 4 3 2 1 for items 0..4.
//   train: u0 {0}, u1 {1}, u2 {0, 1, 2};   test: u0 {2, 4}, u1 {3}, u2 {} (skipped)
struct Fixture {
  std::vector<Interaction> train = {{0, 0, 1}, {1, 1, 1}, {2, 0, 1}, {2, 1, 1}, {2, 2, 1}};
  std::vector<Interaction> test = {{0, 2, 1, 0, 2.0f}, {0, 4, 1, 0, 4.0f}, {1, 3, 1, 0, 2.0f}};
  Dataset data = dataset::make_dataset(3, 5, train);
  FixedScores model{{5, 4, 3, 2, 1}};
  Fixture() { model.fit(data, train, model::FitOptions{}); }
};

TEST(EvaluateRanking, HandComputedMetrics) {
  Fixture f;
  EvalOptions o;
  o.ks = {2, 1};
  o.threads = 2;
  MetricMap m = evaluate_ranking(f.model, f.train, f.test, o);
  // Lists (seen excluded, n = 2): u0 [1, 2] (hit at rank 2), u1 [0, 2] (no hit).
  EXPECT_DOUBLE_EQ(m.at("users"), 2);
  EXPECT_DOUBLE_EQ(m.at("precision@2"), (0.5 + 0) / 2);
  EXPECT_DOUBLE_EQ(m.at("recall@2"), (0.5 + 0) / 2);                          // u0: 1 of 2
  EXPECT_DOUBLE_EQ(m.at("f1@2"), (0.5 + 0) / 2);                              // u0: P = R = 1/2
  EXPECT_NEAR(m.at("ndcg@2"), ((1 / kLog2of3) / (1 + 1 / kLog2of3)) / 2, 1e-12);  // u0: IDCG of 2 hits
  EXPECT_DOUBLE_EQ(m.at("map@2"), (0.5 / 2) / 2);                             // u0: P@2 / min(2, 2)
  EXPECT_DOUBLE_EQ(m.at("hit@2"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("mrr"), (0.5 + 0) / 2);
  EXPECT_DOUBLE_EQ(m.at("precision@1"), 0.0);  // [1] and [0] miss
  // AUC u0: positives 2 (3), 4 (1) vs negatives 1 (4), 3 (2): only 2 > 3 -> 1/4.
  //     u1: positive 3 (2) vs negatives 0 (5), 2 (3), 4 (1): beats 4 -> 1/3.
  EXPECT_NEAR(m.at("auc"), (0.25 + 1.0 / 3.0) / 2, 1e-12);
  // Coverage: @2 {1, 2, 0} of 5, @1 {1, 0} of 5.
  EXPECT_DOUBLE_EQ(m.at("coverage@2"), 0.6);
  EXPECT_DOUBLE_EQ(m.at("coverage@1"), 0.4);
  // Train user vectors: item 0 {u0, u2}, 1 {u1, u2}, 2 {u2}. cos(1, 2) = cos(0, 2) = 1 / √2,
  // so both lists have ILD 1 - 1/√2.
  EXPECT_NEAR(m.at("diversity@2"), 1 - 1 / std::sqrt(2.0), 1e-12);
  // Novelty: pop 2, 2, 1 of 3 users: -log2(2/3) for items 0, 1; -log2(1/3) for item 2.
  EXPECT_NEAR(m.at("novelty@2"), (std::log2(1.5) + std::log2(3.0)) / 2, 1e-12);
  EXPECT_NEAR(m.at("novelty@1"), std::log2(1.5), 1e-12);
  EXPECT_EQ(m.count("diversity@1"), 0u);

  // Same numbers with one thread.
  o.threads = 1;
  EXPECT_EQ(evaluate_ranking(f.model, f.train, f.test, o), m);
}

TEST(EvaluateRanking, OptionsChangeTheCandidateSet) {
  Fixture f;
  EvalOptions o;
  o.ks = {2};
  o.exclude_seen = false;  // u0 [0, 1], u1 [0, 1]: no hits at all
  MetricMap m = evaluate_ranking(f.model, f.train, f.test, o);
  EXPECT_DOUBLE_EQ(m.at("hit@2"), 0.0);
  o.exclude_seen = true;
  o.relevance_threshold = 3;  // only u0's item 4 (rating 4) is relevant; u1 drops out
  m = evaluate_ranking(f.model, f.train, f.test, o);
  EXPECT_DOUBLE_EQ(m.at("users"), 1);
  EXPECT_DOUBLE_EQ(m.at("hit@2"), 0.0);  // u0's list [1, 2] misses item 4
  o.relevance_threshold = 0;
  o.max_users = 1;
  o.compute_auc = false;
  o.compute_beyond_accuracy = false;
  m = evaluate_ranking(f.model, f.train, f.test, o);
  EXPECT_DOUBLE_EQ(m.at("users"), 1);
  EXPECT_EQ(m.count("auc"), 0u);
  EXPECT_EQ(m.count("coverage@2"), 0u);
  o.ks = {};
  EXPECT_THROW(evaluate_ranking(f.model, f.train, f.test, o), Error);
}

TEST(EvaluateRating, HandComputedRmseMae) {
  Fixture f;
  // Predictions are item scores: (u0, 2) 3 vs 2, (u0, 4) 1 vs 4, (u1, 3) 2 vs 2:
  // RMSE = √((1 + 9 + 0) / 3), MAE = (1 + 3 + 0) / 3.
  std::vector<Interaction> test = f.test;
  test.push_back({1, 0, 1, 0, std::nullopt});  // no rating: ignored
  MetricMap m = evaluate_rating(f.model, test);
  EXPECT_DOUBLE_EQ(m.at("rated"), 3);
  EXPECT_NEAR(m.at("rmse"), std::sqrt(10.0 / 3.0), 1e-12);
  EXPECT_NEAR(m.at("mae"), 4.0 / 3.0, 1e-12);
  auto ranker = model::create_model("popular");
  ranker->fit(f.data, f.train, model::FitOptions{});
  EXPECT_THROW(evaluate_rating(*ranker, test), Error);
}

// ------------------------------------------------------------ protocol ---

Dataset two_groups() {
  // 40 users in two taste groups over 30 items: a user takes 70% of their
  // group's items and 15% of the others, rating their group's higher.
  std::vector<Interaction> xs;
  dataset::Rng rng(3);
  for (std::uint32_t user_idx = 0; user_idx < 40; ++user_idx) {
    for (std::uint32_t item_idx = 0; item_idx < 30; ++item_idx) {
      const bool same = (user_idx % 2) == (item_idx % 2);
      if (rng.uniform() >= (same ? 0.7 : 0.15)) continue;
      xs.push_back({user_idx, item_idx, 1, static_cast<Timestamp>(rng.below(1000)),
                    same ? 4.0f + static_cast<float>(rng.below(2)) : 1.0f + static_cast<float>(rng.below(2))});
    }
  }
  return dataset::make_dataset(40, 30, xs);
}

TEST(Protocol, SplitFitEvaluate) {
  Dataset d = two_groups();
  ProtocolOptions o;
  o.eval.ks = {5, 10};
  MetricMap m = run_protocol(d, "itemknn", model::Params{{"neighbors", 10}}, o);
  for (const char* key : {"precision@5", "ndcg@10", "mrr", "auc", "coverage@10", "diversity@10", "novelty@5",
                          "users", "fit_seconds", "eval_seconds"})
    EXPECT_EQ(m.count(key), 1u) << key;
  EXPECT_EQ(m.count("rmse"), 0u);
  EXPECT_GT(m.at("users"), 30);
  EXPECT_GT(m.at("auc"), 0.5);

  MetricMap rating = run_protocol(d, "baseline", model::Params::object(), o);
  EXPECT_GT(rating.at("rated"), 0);
  EXPECT_LT(rating.at("rmse"), 2.0);

  o.split.kind = dataset::SplitKind::kRecbole;
  MetricMap recbole = run_protocol(d, "popular", model::Params::object(), o);
  EXPECT_GT(recbole.at("users"), 30);

  EXPECT_THROW(run_protocol(d, "itemknn", model::Params{{"bogus", 1}}, o), Error);
}

// The cold-start protocol: lists hold only the held-out items. Models that know
// items only from behaviour cannot score them (NDCG 0); content vectors can.
TEST(Protocol, ColdItemsRankOnlyTheHeldOutItems) {
  Dataset d = two_groups();
  // Text vectors that say which group an item belongs to.
  d.item_vectors.dim = 2;
  d.item_vectors.rows.assign(30 * 2, 0.0f);
  for (std::uint32_t item_idx = 0; item_idx < 30; ++item_idx) d.item_vectors.rows[item_idx * 2 + item_idx % 2] = 1.0f;
  ProtocolOptions o;
  o.split.kind = dataset::SplitKind::kColdItems;
  o.split.test_fraction = 0.3;
  o.eval.ks = {5};
  const MetricMap popular = run_protocol(d, "popular", model::Params::object(), o);
  EXPECT_GT(popular.at("users"), 20);
  EXPECT_EQ(popular.at("ndcg@5"), 0.0);  // held-out items have no popularity
  const MetricMap hybrid = run_protocol(d, "hybrid", model::Params{{"cold_fill_embedding", true}}, o);
  EXPECT_GT(hybrid.at("ndcg@5"), 0.5);  // the embedding source knows their group
  const MetricMap twotower = run_protocol(d, "twotower", model::Params{{"epochs", 150}, {"learning_rate", 0.01}, {"batch_size", 16}}, o);
  EXPECT_GT(twotower.at("ndcg@5"), 0.5);
}

TEST(Protocol, KFoldAveragesRatingMetrics) {
  Dataset d = two_groups();
  ProtocolOptions o;
  o.folds = 3;
  MetricMap m = run_protocol(d, "baseline", model::Params::object(), o);
  EXPECT_DOUBLE_EQ(m.at("folds"), 3);
  // Every rated interaction is tested exactly once across the folds.
  EXPECT_DOUBLE_EQ(m.at("rated"), static_cast<double>(d.interactions.size()));
  // rmse = mean of the per-fold RMSEs.
  auto folds = dataset::kfold(d, 3, o.split.seed);
  double sum = 0;
  for (const auto& fold : folds) {
    auto b = model::create_model("baseline");
    b->fit(d, fold.train, model::FitOptions{});
    sum += evaluate_rating(*b, fold.test).at("rmse");
  }
  EXPECT_NEAR(m.at("rmse"), sum / 3, 1e-12);
  EXPECT_EQ(m.count("ndcg@10"), 1u);  // from fold 0
}

TEST(FormatTable, AlignsNamesAndFormatsValues) {
  MetricMap m = {{"ndcg@10", 0.123456}, {"users", 943}, {"fit_seconds", 0.5}};
  const std::string table = format_table(m);
  EXPECT_EQ(table,
            "metric       value\n"
            "fit_seconds  0.500\n"
            "ndcg@10      0.1235\n"
            "users        943\n");
}

}  // namespace
}  // namespace tailor::eval
