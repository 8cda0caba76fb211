// Deep models (sasrec, twotower) and the item-text signals in hybrid: the
// hand-written gradients against central finite differences, a sequence task
// the sequential model must learn (and a co-occurrence model cannot), cold
// items ranked from their text vectors, and the hybrid's embedding source.
// The Recommender contract suite runs over these models in model_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "deep.h"
#include "models.h"
#include "tailor/model/model.h"

namespace tailor::model {
namespace {

using dataset::Interaction;
namespace nn = detail::nn;

// Central differences of `loss` at every parameter (the nets here are tiny),
// against the analytic gradient; tolerances for float arithmetic. ReLU is not
// differentiable at 0: where the two one-sided differences disagree the
// perturbation crossed a kink and the central difference means nothing there
// (one kink upstream corrupts every parameter before it), so such parameters
// are skipped, and at most a fifth may be (one kink upstream
// of the first block skips ~10 % here).
template <typename LossFn>
void expect_gradients_match(std::vector<float> params, const LossFn& loss_and_grad, const char* what) {
  std::vector<float> grad(params.size(), 0.0f);
  const double base = loss_and_grad(params, grad);
  std::vector<float> scratch(params.size());
  std::size_t checked = 0, kinks = 0, bad = 0;
  double worst = 0;
  for (std::size_t pos = 0; pos < params.size(); ++pos) {
    const float eps = 2e-3f;
    const float keep = params[pos];
    params[pos] = keep + eps;
    std::fill(scratch.begin(), scratch.end(), 0.0f);
    const double up = loss_and_grad(params, scratch);
    params[pos] = keep - eps;
    std::fill(scratch.begin(), scratch.end(), 0.0f);
    const double down = loss_and_grad(params, scratch);
    params[pos] = keep;
    const double forward = (up - base) / eps, backward = (base - down) / eps;
    if (std::fabs(forward - backward) > 2e-2 + 0.1 * std::fabs(forward + backward) / 2) {
      ++kinks;
      continue;
    }
    const double numeric = (up - down) / (2.0 * eps);
    const double err = std::fabs(numeric - grad[pos]);
    worst = std::max(worst, err / (1e-2 + std::fabs(numeric)));
    ++checked;
    if (err > 3e-3 + 3e-2 * std::fabs(numeric)) {
      ++bad;
      ADD_FAILURE() << what << ": parameter " << pos << " analytic " << grad[pos] << " numeric " << numeric;
      if (bad > 10) return;
    }
  }
  EXPECT_GT(checked, 50u) << what;
  EXPECT_LE(kinks * 5, params.size()) << what << ": too many parameters near a ReLU kink";
  ::testing::Test::RecordProperty(std::string(what) + "_worst_relative_error", std::to_string(worst));
  std::printf("%s: %zu gradients checked, %zu skipped at a kink, worst relative error %.2e\n", what, checked, kinks,
              worst);
}

TEST(SasrecGradients, MatchFiniteDifferences) {
  for (const bool sampled : {false, true}) {
    detail::SasrecConfig config;
    config.items = 9;
    config.max_len = 6;
    config.dim = 4;
    config.heads = 2;
    config.layers = 2;
    config.inner = 5;
    config.dropout = 0.3;  // masks are drawn from a reseeded generator, so both sides see the same ones
    const detail::SasrecNet net(config);
    std::vector<float> params(net.param_count());
    dataset::Rng rng(7);
    net.init(params, rng);
    // Move the layer-norm gains and biases off their initial 1 / 0 so their
    // gradients are not trivially symmetric.
    for (float& p : params) p += static_cast<float>(0.05 * (rng.uniform() - 0.5));
    const std::vector<std::uint32_t> inputs = {3, 1, 4, 1, 5};
    const std::vector<std::uint32_t> targets = {1, 4, 1, 5, 8};
    const std::vector<std::uint32_t> negatives = sampled ? std::vector<std::uint32_t>{0, 2, 4, 6} : std::vector<std::uint32_t>{};
    expect_gradients_match(
        params,
        [&](const std::vector<float>& p, std::vector<float>& g) {
          dataset::Rng dropout(11);
          return net.train_sequence(p, inputs, targets, negatives, 1.0f, true, dropout, g);
        },
        sampled ? "sasrec_sampled" : "sasrec_full");
  }
}

TEST(TwoTowerGradients, MatchFiniteDifferences) {
  detail::TwoTowerConfig config;
  config.items = 7;
  config.dim = 4;
  config.text_dim = 3;
  const detail::TwoTowerNet net(config);
  std::vector<float> params(net.param_count());
  dataset::Rng rng(3);
  net.init(params, rng);
  std::vector<float> text(7 * 3);
  for (float& t : text) t = static_cast<float>(rng.uniform() - 0.5);
  const std::vector<bool> use_id = {true, false, true, true, false, true, true};
  const std::vector<bool> allowed = {true, true, true, true, true, false, true};
  const std::vector<std::vector<std::uint32_t>> inputs = {{0, 2}, {1, 3, 4}, {}};
  const std::vector<std::vector<std::uint32_t>> targets = {{0, 2, 6}, {1, 3}, {4}};
  expect_gradients_match(
      params,
      [&](const std::vector<float>& p, std::vector<float>& g) {
        return net.train_batch(p, text, use_id, allowed, inputs, targets, 1.0f, g);
      },
      "twotower");
}

// Each user walks a cycle over 10 items: user u sees items (u + t) mod 10 for
// t = 0..5, in that order. The next item is (u + 6) mod 10. A co-occurrence
// model sees (u − 1) and (u + 6) equally often next to the history; only the
// order tells them apart.
Dataset cycles(std::uint32_t users) {
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < users; ++user_idx)
    for (std::uint32_t step = 0; step < 6; ++step)
      xs.push_back({user_idx, (user_idx + step) % 10, 1.0f, static_cast<Timestamp>(1000 + step)});
  return dataset::make_dataset(users, 10, xs);
}

double next_item_accuracy(const Recommender& m, std::uint32_t users) {
  std::size_t hits = 0;
  for (std::uint32_t user_idx = 0; user_idx < users; ++user_idx) {
    RecommendOptions o;
    o.n = 1;
    const auto recs = m.recommend(user_idx, o);
    hits += !recs.empty() && recs[0].item == (user_idx + 6) % 10 ? 1 : 0;
  }
  return static_cast<double>(hits) / users;
}

TEST(Sasrec, LearnsTheNextItemOfASequence) {
  const Dataset d = cycles(60);
  auto m = create_model("sasrec", Params{{"factors", 16}, {"max_len", 8}, {"epochs", 80}, {"batch_size", 16},
                                         {"dropout", 0.0}, {"learning_rate", 0.01}});
  FitOptions fit;
  fit.threads = 2;
  m->fit(d, d.interactions, fit);
  const double accuracy = next_item_accuracy(*m, 60);
  auto knn = create_model("itemknn");
  knn->fit(d, d.interactions, fit);
  const double control = next_item_accuracy(*knn, 60);
  RecordProperty("sasrec_accuracy", std::to_string(accuracy));
  RecordProperty("itemknn_accuracy", std::to_string(control));
  EXPECT_GE(accuracy, 0.9);
  // Order-blind: the next item and the one before the history are mirror
  // images for co-occurrence, so only the index tie-break picks (7 of 10 offsets).
  EXPECT_LE(control, 0.75);
  EXPECT_GT(accuracy, control);
  // Thread count does not change the fitted model.
  auto one = create_model("sasrec", m->params());
  fit.threads = 1;
  one->fit(d, d.interactions, fit);
  EXPECT_EQ(one->save_bytes(), m->save_bytes());
}

// Two taste groups; items 0..9 group A, 10..19 group B; text vectors point at
// the group's direction (plus a per-item wobble). Items 8, 9, 18, 19 have no
// interactions at all: new items that only have text.
Dataset groups_with_text() {
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < 40; ++user_idx) {
    const std::uint32_t group = user_idx / 20;
    for (std::uint32_t local = 0; local < 8; ++local)
      if ((user_idx + local) % 3 != 0) xs.push_back({user_idx, group * 10 + local, 1.0f, local});
  }
  Dataset d = dataset::make_dataset(40, 20, xs);
  d.item_vectors.model_id = "test";
  d.item_vectors.dim = 4;
  d.item_vectors.rows.assign(20 * 4, 0.0f);
  for (std::uint32_t item_idx = 0; item_idx < 20; ++item_idx) {
    float* row = d.item_vectors.rows.data() + item_idx * 4;
    row[item_idx < 10 ? 0 : 1] = 1.0f;
    row[2] = 0.1f * static_cast<float>(item_idx % 5);
    const float norm = std::sqrt(1.0f + row[2] * row[2]);
    for (int k = 0; k < 4; ++k) row[k] /= norm;
  }
  return d;
}

bool is_cold(std::uint32_t item) { return item == 8 || item == 9 || item == 18 || item == 19; }

TEST(TwoTower, RanksColdItemsFromTheirText) {
  const Dataset d = groups_with_text();
  FitOptions fit;
  auto m = create_model("twotower", Params{{"factors", 8}, {"epochs", 60}, {"batch_size", 8}});
  m->fit(d, d.interactions, fit);
  std::size_t right = 0, users = 0;
  for (std::uint32_t user_idx = 0; user_idx < 40; ++user_idx) {
    RecommendOptions o;
    o.n = 2;
    o.filter = is_cold;  // rank only the new items
    const auto recs = m->recommend(user_idx, o);
    ASSERT_EQ(recs.size(), 2u);
    const std::uint32_t group = user_idx / 20;
    for (const auto& r : recs) right += r.item / 10 == group ? 1 : 0;
    ++users;
  }
  EXPECT_GE(static_cast<double>(right) / (2.0 * users), 0.9);
  // Without the text the new items cannot be scored at all.
  auto blind = create_model("twotower", Params{{"factors", 8}, {"epochs", 5}, {"use_text", false}});
  blind->fit(d, d.interactions, fit);
  RecommendOptions o;
  o.filter = is_cold;
  EXPECT_TRUE(blind->recommend(0, o).empty());
  // The text part survives a save/load round trip.
  auto loaded = load_model_bytes(m->save_bytes());
  o.n = 4;
  const auto a = m->recommend(3, o), b = loaded->recommend(3, o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t pos = 0; pos < a.size(); ++pos) EXPECT_EQ(a[pos].item, b[pos].item);
}

TEST(HybridEmbedding, ColdItemsCompeteOnTheirTextVectors) {
  const Dataset d = groups_with_text();
  FitOptions fit;
  // These items have no words, so bm25 cannot fill them: fill from the vectors.
  auto m = create_model("hybrid", Params{{"cold_fill_embedding", true}});
  m->fit(d, d.interactions, fit);
  const Params report = detail::hybrid_report(*m);
  ASSERT_TRUE(report["warm_weights"].contains("embedding")) << report.dump();
  // Among the new items only, a group-A user gets group-A items first, from the vectors.
  for (std::uint32_t user_idx : {0u, 5u, 25u, 33u}) {
    RecommendOptions o;
    o.n = 2;
    o.filter = is_cold;
    const auto recs = m->recommend(user_idx, o);
    ASSERT_EQ(recs.size(), 2u) << user_idx;
    for (const auto& r : recs) EXPECT_EQ(r.item / 10, user_idx / 20) << user_idx;
  }
  // Without vectors the same data has no embedding source.
  Dataset plain = d;
  plain.item_vectors = {};
  auto without = create_model("hybrid");
  without->fit(plain, plain.interactions, fit);
  EXPECT_FALSE(detail::hybrid_report(*without)["warm_weights"].contains("embedding"));
  // use_embedding=false leaves it out even with vectors.
  auto off = create_model("hybrid", Params{{"use_embedding", false}});
  off->fit(d, d.interactions, fit);
  EXPECT_FALSE(detail::hybrid_report(*off)["warm_weights"].contains("embedding"));
  // Round trip keeps the source.
  auto loaded = load_model_bytes(m->save_bytes());
  EXPECT_EQ(loaded->save_bytes(), m->save_bytes());
  RecommendOptions o;
  o.n = 5;
  const auto a = m->recommend(7, o), b = loaded->recommend(7, o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t pos = 0; pos < a.size(); ++pos) EXPECT_EQ(a[pos].item, b[pos].item);
  // A damaged vector table is Corruption, not a crash.
  std::string bytes = m->save_bytes();
  for (std::size_t cut = bytes.size() - 64; cut < bytes.size(); ++cut) {
    try {
      load_model_bytes(bytes.substr(0, cut));
      ADD_FAILURE() << "truncated at " << cut;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    }
  }
}

TEST(SimilarByContent, CosineOfTheTextVectors) {
  const Dataset d = groups_with_text();
  const auto sims = similar_by_content(d.item_vectors, 8, 3);  // a cold item: needs no events
  ASSERT_EQ(sims.size(), 3u);
  for (const auto& s : sims) {
    EXPECT_LT(s.item, 10u);
    EXPECT_NE(s.item, 8u);
  }
  // Items 3 and 8 share the wobble (3 % 5 == 8 % 5): cosine 1.
  EXPECT_EQ(sims[0].item, 3u);
  EXPECT_NEAR(sims[0].score, 1.0f, 1e-5f);
  dataset::ContentVectors none;
  EXPECT_TRUE(similar_by_content(none, 0, 3).empty());
}

}  // namespace
}  // namespace tailor::model
