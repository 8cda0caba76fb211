// Unit tests of the implicit-feedback models (als, bpr, ease, rp3beta) and
// their dense kernels, with hand-computed answers. The shared contract suite
// in model_test.cc covers the Recommender interface for every registered model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "dense.h"
#include "models.h"
#include "tailor/model/model.h"

namespace tailor::model {
namespace {

using dataset::Interaction;

FitOptions fit_options(int threads = 2) {
  FitOptions o;
  o.threads = threads;
  return o;
}

std::unique_ptr<Recommender> fitted(const std::string& name, const Dataset& d, const Params& params = Params::object(),
                                    int threads = 2) {
  auto m = create_model(name, params);
  m->fit(d, d.interactions, fit_options(threads));
  return m;
}

// `groups` blocks of users and items; a user takes each item of their own
// group with probability 0.6 and any other item with probability 0.03, with
// weights 1 or 2.
Dataset clustered(std::uint32_t groups, std::uint32_t users_per_group, std::uint32_t items_per_group,
                  std::uint64_t seed) {
  dataset::Rng rng(seed);
  std::vector<Interaction> xs;
  const std::uint32_t n_users = groups * users_per_group;
  const std::uint32_t n_items = groups * items_per_group;
  for (std::uint32_t user_idx = 0; user_idx < n_users; ++user_idx) {
    for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx) {
      const bool same = user_idx / users_per_group == item_idx / items_per_group;
      if (rng.uniform() < (same ? 0.6 : 0.03))
        xs.push_back({user_idx, item_idx, 1.0f + static_cast<float>(rng.below(2)), 1});
    }
  }
  return dataset::make_dataset(n_users, n_items, xs);
}

// The checkerboard of model_test.cc: users 0..9 / items 0..9 are group A,
// 10..19 group B; user a takes item b of their group unless (a + b) % 3 == 0.
Dataset checkerboard() {
  std::vector<Interaction> xs;
  for (std::uint32_t group = 0; group < 2; ++group)
    for (std::uint32_t local_user = 0; local_user < 10; ++local_user)
      for (std::uint32_t local_item = 0; local_item < 10; ++local_item)
        if ((local_user + local_item) % 3 != 0)
          xs.push_back({group * 10 + local_user, group * 10 + local_item, 1.0f + static_cast<float>(local_item % 2),
                        1000});
  return dataset::make_dataset(20, 20, xs);
}

void expect_invalid_argument(const std::function<void()>& fn, const std::string& mentions) {
  try {
    fn();
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

const std::vector<std::string> kModels = {"als", "bpr", "ease", "rp3beta"};

// ---------------------------------------------------------- dense kernels ---

TEST(DenseKernels, DotAndGramAgreeWithReference) {
  dataset::Rng rng(3);
  for (std::uint32_t n : {1u, 7u, 16u, 31u, 32u, 33u, 64u, 100u}) {
    detail::DenseRows m = detail::random_rows(2500, n, -1.0f, 1.0f, rng);  // > one gram block
    EXPECT_NEAR(detail::dot(m.row(0), m.row(1), n), detail::dot_reference(m.row(0), m.row(1), n), 1e-4f * n);
    const std::vector<float> fast = detail::gram(m, 0.5f, 2);
    const std::vector<float> slow = detail::gram_reference(m, 0.5f);
    ASSERT_EQ(fast.size(), slow.size());
    for (std::size_t cell = 0; cell < fast.size(); ++cell) EXPECT_NEAR(fast[cell], slow[cell], 2e-3) << n;
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = 0; b < n; ++b) EXPECT_EQ(fast[a * n + b], fast[b * n + a]);  // exactly symmetric
    EXPECT_EQ(detail::gram(m, 0.5f, 1), fast);  // thread count does not matter
    std::vector<float> scores(m.rows);
    detail::scores_into(m, m.row(5), scores);
    for (std::uint32_t row_idx = 0; row_idx < m.rows; row_idx += 97)
      EXPECT_NEAR(scores[row_idx], detail::dot_reference(m.row(row_idx), m.row(5), n), 1e-4f * n);
  }
}

TEST(DenseKernels, ConjugateGradientAgreesWithReferenceAndConverges) {
  dataset::Rng rng(11);
  // 16, 32, 64 use the compile-time-size kernels, 20 and 200 the generic one.
  for (std::uint32_t n : {16u, 20u, 32u, 64u, 200u}) {
    detail::DenseRows items = detail::random_rows(300, n, -0.3f, 0.3f, rng);
    const std::vector<float> gram = detail::gram(items, 0.1f, 1);
    std::vector<std::uint32_t> indices;
    std::vector<float> weights;
    for (std::uint32_t item_idx = 0; item_idx < items.rows; item_idx += 7) {
      indices.push_back(item_idx);
      weights.push_back(1.0f + static_cast<float>(item_idx % 3));
    }
    detail::AlsRow row{gram.data(), &items, indices, weights, 5.0f};
    detail::DenseRows start = detail::random_rows(1, n, 0.0f, 0.01f, rng);
    std::vector<float> fast(start.values);
    std::vector<float> slow(start.values);
    detail::als_cg_solve(row, n, 3, fast.data());
    detail::als_cg_solve_reference(row, n, 3, slow.data());
    for (std::uint32_t k = 0; k < n; ++k) EXPECT_NEAR(fast[k], slow[k], 1e-3 * (1 + std::fabs(slow[k]))) << n;

    // Many steps reach the exact solution: the residual b − A x vanishes.
    std::vector<float> exact(start.values);
    detail::als_cg_solve(row, n, 4 * static_cast<int>(n), exact.data());
    std::vector<double> residual(n, 0.0);
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = 0; b < n; ++b) residual[a] -= static_cast<double>(gram[a * n + b]) * exact[b];
    for (std::size_t pos = 0; pos < indices.size(); ++pos) {
      const float* y = items.row(indices[pos]);
      const double s = detail::dot_reference(y, exact.data(), n);
      const double aw = 5.0 * weights[pos];
      for (std::uint32_t k = 0; k < n; ++k) residual[k] += ((1 + aw) - aw * s) * y[k];
    }
    double norm = 0;
    for (double r : residual) norm += r * r;
    EXPECT_LT(std::sqrt(norm), 1e-2) << n;
  }
}

// ---------------------------------------------------------- known answers ---

TEST(ImplicitModels, CheckerboardUsersGetTheirGroupsItemsFirst) {
  Dataset d = checkerboard();
  auto ui = d.user_items();
  for (const std::string& name : kModels) {
    auto m = fitted(name, d);
    for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
      const std::uint32_t group = user_idx / 10;
      std::size_t unseen_in_group = 0;
      for (std::uint32_t item_idx = group * 10; item_idx < group * 10 + 10; ++item_idx)
        unseen_in_group += !ui.at(user_idx, item_idx).has_value();
      RecommendOptions o;
      o.n = unseen_in_group;
      auto recs = m->recommend(user_idx, o);
      EXPECT_EQ(recs.size(), unseen_in_group) << name << " user " << user_idx;
      for (const auto& r : recs) EXPECT_EQ(r.item / 10, group) << name << " user " << user_idx;
    }
    for (std::uint32_t item_idx = 0; item_idx < d.item_count(); ++item_idx) {
      auto similar = m->similar_items(item_idx, 3);
      EXPECT_FALSE(similar.empty()) << name << " item " << item_idx;
      for (const auto& s : similar) EXPECT_EQ(s.item / 10, item_idx / 10) << name << " item " << item_idx;
    }
    // A history-only query inside group B gets group-B items first.
    std::vector<std::uint32_t> history = {11, 12, 14};
    RecommendOptions o;
    o.n = 5;
    auto recs = m->recommend_history(history, {}, o);
    EXPECT_EQ(recs.size(), 5u) << name;
    for (const auto& r : recs) EXPECT_EQ(r.item / 10, 1u) << name;
  }
}

TEST(ImplicitModels, FitIsIdenticalForAnyThreadCount) {
  Dataset d = clustered(4, 100, 80, 5);  // 400 users, 320 items: BPR runs 5 strata in parallel
  for (const std::string& name : kModels) {
    Params params = Params::object();
    if (name == "bpr") params = Params{{"epochs", 5}};
    auto one = fitted(name, d, params, 1);
    auto again = fitted(name, d, params, 1);
    auto many = fitted(name, d, params, 3);
    EXPECT_EQ(one->save_bytes(), again->save_bytes()) << name;
    EXPECT_EQ(one->save_bytes(), many->save_bytes()) << name;
  }
}

TEST(ImplicitModels, ColdItemsScoreMinusInfinity) {
  // Item 3 has no training interaction.
  std::vector<Interaction> xs = {{0, 0, 1}, {0, 1, 1}, {1, 1, 1}, {1, 2, 1}, {2, 0, 1}, {2, 2, 1}};
  Dataset d = dataset::make_dataset(3, 4, xs);
  for (const std::string& name : kModels) {
    auto m = fitted(name, d);
    std::vector<float> scores(4);
    m->score_user(0, scores);
    EXPECT_EQ(scores[3], -std::numeric_limits<float>::infinity()) << name;
    EXPECT_TRUE(m->similar_items(3, 5).empty()) << name;
    RecommendOptions o;
    o.exclude_seen = false;
    for (const auto& r : m->recommend(0, o)) EXPECT_NE(r.item, 3u) << name;
  }
}

// ------------------------------------------------------------------- als ---

TEST(Als, TrainingLossDecreasesEveryIteration) {
  Dataset d = clustered(3, 30, 20, 7);
  auto m = fitted("als", d, Params{{"factors", 16}, {"iterations", 8}, {"calculate_loss", true}});
  const std::vector<double> loss = detail::als_loss_history(*m);
  ASSERT_EQ(loss.size(), 8u);
  for (std::size_t pos = 1; pos < loss.size(); ++pos) EXPECT_LE(loss[pos], loss[pos - 1] * (1 + 1e-6)) << pos;
  EXPECT_LT(loss.back(), 0.9 * loss.front());
  EXPECT_TRUE(detail::als_loss_history(*fitted("als", d)).empty());  // off by default
  expect_invalid_argument([&] { detail::als_loss_history(*fitted("ease", d)); }, "not als");
}

TEST(Als, FoldInOfAKnownHistoryMatchesTheTrainedUser) {
  Dataset d = clustered(3, 30, 20, 9);
  // Enough CG steps that every half-iteration is solved exactly: the trained
  // user vector is then the fold-in solution for the final item factors.
  auto m = fitted("als", d, Params{{"factors", 16}, {"iterations", 10}, {"cg_steps", 16}});
  auto ui = m->user_items();
  std::size_t same_top = 0;
  std::size_t total = 0;
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
    RecommendOptions o;
    o.n = 10;
    auto trained = m->recommend(user_idx, o);
    std::vector<std::uint32_t> history(ui.row_indices(user_idx).begin(), ui.row_indices(user_idx).end());
    std::vector<float> weights(ui.row_values(user_idx).begin(), ui.row_values(user_idx).end());
    auto folded = m->recommend_history(history, weights, o);
    ASSERT_EQ(trained.size(), folded.size());
    std::set<std::uint32_t> trained_items;
    for (const auto& r : trained) trained_items.insert(r.item);
    for (const auto& r : folded) same_top += trained_items.count(r.item);
    total += trained.size();
    // The trained x_u was solved against the previous item factors, the fold-in
    // against the final ones: close, not equal.
    EXPECT_NEAR(folded[0].score, trained[0].score, 0.1 * std::fabs(trained[0].score)) << user_idx;
  }
  EXPECT_GE(static_cast<double>(same_top), 0.95 * static_cast<double>(total));
}

TEST(Als, FoldInServesANewUser) {
  Dataset d = clustered(3, 30, 20, 13);
  auto m = fitted("als", d);
  std::vector<std::uint32_t> history = {41, 43, 47, 52};  // group 2 items
  RecommendOptions o;
  o.n = 5;
  auto recs = m->recommend_history(history, {}, o);
  ASSERT_EQ(recs.size(), 5u);
  for (const auto& r : recs) EXPECT_EQ(r.item / 20, 2u);
  // An empty history folds in to x = 0: every known item scores 0.
  auto none = m->recommend_history({}, {}, o);
  for (const auto& r : none) EXPECT_EQ(r.score, 0.0f);
}

// ------------------------------------------------------------------ ease ---

TEST(Ease, MatchesTheClosedFormOnATinyMatrix) {
  // X (users x items), λ = 2:
  //   u0: 1 1 0 0   u1: 1 0 1 0   u2: 0 1 1 1   u3: 1 1 1 0   u4: 0 0 2 1
  // G = XᵀX + 2I = [[5,2,2,0],[2,5,2,1],[2,2,9,3],[0,1,3,4]]
  // P = G⁻¹ = (1/466) [[122,-44,-28,32],[-44,119,-9,-23],[-28,-9,79,-57],[32,-23,-57,165]]
  // B_ij = −P_ij / P_jj (numpy.linalg.inv agrees to 1e-10):
  //   B = [[0,      44/119, 28/79, −32/165],
  //        [22/61,  0,      9/79,   23/165],
  //        [14/61,  9/119,  0,      19/55 ],
  //        [−16/61, 23/119, 57/79,  0     ]]
  std::vector<Interaction> xs = {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 2, 1}, {2, 1, 1}, {2, 2, 1},
                                 {2, 3, 1}, {3, 0, 1}, {3, 1, 1}, {3, 2, 1}, {4, 2, 2}, {4, 3, 1}};
  Dataset d = dataset::make_dataset(5, 4, xs);
  auto m = fitted("ease", d, Params{{"regularization", 2.0}});
  const double b[4][4] = {{0, 44.0 / 119, 28.0 / 79, -32.0 / 165},
                          {22.0 / 61, 0, 9.0 / 79, 23.0 / 165},
                          {14.0 / 61, 9.0 / 119, 0, 19.0 / 55},
                          {-16.0 / 61, 23.0 / 119, 57.0 / 79, 0}};
  // Scores of a one-item history are that item's row of B.
  for (std::uint32_t i = 0; i < 4; ++i) {
    std::vector<float> scores(4);
    m->score_history(std::vector<std::uint32_t>{i}, {}, scores);
    for (std::uint32_t j = 0; j < 4; ++j) EXPECT_NEAR(scores[j], b[i][j], 1e-5) << i << "," << j;
  }
  // u0 = {0, 1}: score = B[0, :] + B[1, :] = [22/61, 44/119, 28/79 + 9/79, −32/165 + 23/165].
  std::vector<float> scores(4);
  m->score_user(0, scores);
  EXPECT_NEAR(scores[2], 37.0 / 79, 1e-5);
  EXPECT_NEAR(scores[3], -9.0 / 165, 1e-5);
  auto recs = m->recommend(0, RecommendOptions{});
  ASSERT_EQ(recs.size(), 2u);  // item 3's score is negative but finite: still ranked
  EXPECT_EQ(recs[0].item, 2u);
  // similar_items(q) ranks i by B_iq (column q), positive only: for q = 3,
  // B_23 = 19/55 > B_13 = 23/165 > 0 > B_03.
  auto similar = m->similar_items(3, 5);
  ASSERT_EQ(similar.size(), 2u);
  EXPECT_EQ(similar[0].item, 2u);
  EXPECT_NEAR(similar[0].score, 19.0 / 55, 1e-5);
  EXPECT_EQ(similar[1].item, 1u);
}

TEST(Ease, RefusesCataloguesAboveMaxItems) {
  Dataset d = clustered(2, 10, 10, 3);
  auto m = create_model("ease", Params{{"max_items", 5}});
  expect_invalid_argument([&] { m->fit(d, d.interactions, fit_options()); }, "max_items");
  expect_invalid_argument([&] { create_model("ease", Params{{"regularization", 0}}); }, "regularization");
}

// --------------------------------------------------------------- rp3beta ---

TEST(Rp3Beta, BetaZeroAlphaOneIsTheTwoStepRandomWalk) {
  // u0: {0, 1}   u1: {0, 2}   u2: {1, 2, 3}     (weights 1)
  // item -> user: 0 -> u0, u1 (1/2 each); 1 -> u0, u2 (1/2); 2 -> u1, u2 (1/2); 3 -> u2 (1)
  // user -> item: u0 -> 0, 1 (1/2); u1 -> 0, 2 (1/2); u2 -> 1, 2, 3 (1/3)
  // W_ij = Σ_u P_iu P_uj (j ≠ i):
  //   W_01 = 1/4, W_02 = 1/4            W_10 = 1/4, W_12 = 1/6, W_13 = 1/6
  //   W_20 = 1/4, W_21 = 1/6, W_23 = 1/6 W_31 = 1/3, W_32 = 1/3
  // u0's three-step walk: score(j) = ½ W_0j + ½ W_1j: score(2) = 1/8 + 1/12 = 5/24, score(3) = 1/12.
  std::vector<Interaction> xs = {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 2, 1}, {2, 1, 1}, {2, 2, 1}, {2, 3, 1}};
  Dataset d = dataset::make_dataset(3, 4, xs);
  auto m = fitted("rp3beta", d, Params{{"alpha", 1.0}, {"beta", 0.0}, {"neighbors", 100}});
  auto w1 = m->similar_items(1, 10);
  ASSERT_EQ(w1.size(), 3u);
  EXPECT_EQ(w1[0].item, 0u);
  EXPECT_NEAR(w1[0].score, 1.0 / 4, 1e-6);
  EXPECT_EQ(w1[1].item, 2u);
  EXPECT_NEAR(w1[1].score, 1.0 / 6, 1e-6);
  EXPECT_EQ(w1[2].item, 3u);
  EXPECT_NEAR(w1[2].score, 1.0 / 6, 1e-6);
  auto w3 = m->similar_items(3, 10);
  ASSERT_EQ(w3.size(), 2u);
  EXPECT_NEAR(w3[0].score, 1.0 / 3, 1e-6);
  EXPECT_NEAR(w3[1].score, 1.0 / 3, 1e-6);
  auto recs = m->recommend(0, RecommendOptions{});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].item, 2u);
  EXPECT_NEAR(recs[0].score, 5.0 / 24, 1e-6);
  EXPECT_EQ(recs[1].item, 3u);
  EXPECT_NEAR(recs[1].score, 1.0 / 12, 1e-6);

  // β = 1 divides by the target's popularity: W_10 = 1/4 / 2, W_12 = 1/6 / 2, W_13 = 1/6 / 1.
  auto damped = fitted("rp3beta", d, Params{{"alpha", 1.0}, {"beta", 1.0}, {"neighbors", 100}});
  auto d1 = damped->similar_items(1, 10);
  ASSERT_EQ(d1.size(), 3u);
  EXPECT_EQ(d1[0].item, 3u);
  EXPECT_NEAR(d1[0].score, 1.0 / 6, 1e-6);
  EXPECT_EQ(d1[1].item, 0u);
  EXPECT_NEAR(d1[1].score, 1.0 / 8, 1e-6);
  // neighbors = 1 keeps only the largest weight per item.
  auto pruned = fitted("rp3beta", d, Params{{"beta", 0.0}, {"neighbors", 1}});
  EXPECT_EQ(pruned->similar_items(1, 10).size(), 1u);
}

// ------------------------------------------------------------------- bpr ---

TEST(Bpr, SingleThreadedFitIsDeterministicAndSeedDependent) {
  Dataset d = clustered(3, 30, 20, 17);
  Params params{{"epochs", 20}};
  auto a = fitted("bpr", d, params, 1);
  auto b = fitted("bpr", d, params, 1);
  EXPECT_EQ(a->save_bytes(), b->save_bytes());
  auto other_seed = create_model("bpr", params);
  FitOptions o = fit_options(1);
  o.seed = 7;
  other_seed->fit(d, d.interactions, o);
  EXPECT_NE(other_seed->save_bytes(), a->save_bytes());
}

TEST(Bpr, LearnsTheClusters) {
  Dataset d = clustered(3, 30, 20, 19);
  auto m = fitted("bpr", d, Params{{"epochs", 60}});
  std::size_t in_group = 0;
  std::size_t total = 0;
  for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
    RecommendOptions o;
    o.n = 3;
    for (const auto& r : m->recommend(user_idx, o)) {
      in_group += r.item / 20 == user_idx / 30;
      ++total;
    }
  }
  EXPECT_GE(static_cast<double>(in_group), 0.9 * static_cast<double>(total));
  // Fold-in: a new user with group-1 items gets group-1 items.
  RecommendOptions o;
  o.n = 3;
  for (const auto& r : m->recommend_history(std::vector<std::uint32_t>{21, 22, 25, 30}, {}, o))
    EXPECT_EQ(r.item / 20, 1u);
}

}  // namespace
}  // namespace tailor::model
