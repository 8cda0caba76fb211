// Unit tests of the explicit-rating factor models "svd" and "svdpp" on small
// synthetic data: SGD progress, clipping, persistence, a known answer (ratings
// generated exactly by biases plus a rank-1 term), rating-less interactions,
// early stopping, and svdpp's lazy y update against a literal per-rating
// reference implementation (Surprise's update).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "rating_common.h"
#include "tailor/model/model.h"

namespace tailor::model {
namespace {

using dataset::Interaction;

const char* const kModels[] = {"svd", "svdpp"};

// Ratings r_ui = 3 + b_u + b_i + a_u c_i for a user x item grid where the
// pair is kept when (user + 2 item) % keep_mod != 0, in [1, 5] by construction.
struct Synthetic {
  Dataset data;
  std::vector<double> user_bias, item_bias, user_factor, item_factor;
  double truth(std::uint32_t user, std::uint32_t item) const {
    return 3 + user_bias[user] + item_bias[item] + user_factor[user] * item_factor[item];
  }
};

Synthetic synthetic(std::uint32_t users, std::uint32_t items, std::uint32_t keep_mod, std::uint64_t seed) {
  Synthetic s;
  dataset::Rng rng(seed);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * rng.uniform(); };
  for (std::uint32_t user_idx = 0; user_idx < users; ++user_idx) {
    s.user_bias.push_back(uniform(-0.5, 0.5));
    s.user_factor.push_back(uniform(-1, 1));
  }
  for (std::uint32_t item_idx = 0; item_idx < items; ++item_idx) {
    s.item_bias.push_back(uniform(-0.5, 0.5));
    s.item_factor.push_back(uniform(-0.8, 0.8));
  }
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < users; ++user_idx) {
    for (std::uint32_t item_idx = 0; item_idx < items; ++item_idx) {
      if (keep_mod != 0 && (user_idx + 2 * item_idx) % keep_mod == 0) continue;
      xs.push_back({user_idx, item_idx, 1.0f, 0, static_cast<float>(s.truth(user_idx, item_idx))});
    }
  }
  s.data = dataset::make_dataset(users, items, xs);
  return s;
}

double train_rmse(const Recommender& m, std::span<const Interaction> xs) {
  double sum = 0;
  for (const Interaction& x : xs) {
    const double err = *m.predict(x.user, x.item) - *x.rating;
    sum += err * err;
  }
  return std::sqrt(sum / static_cast<double>(xs.size()));
}

std::unique_ptr<Recommender> fit(const std::string& name, const Dataset& d, const Params& params,
                                 std::uint64_t seed = 42) {
  auto m = create_model(name, params);
  FitOptions o;
  o.seed = seed;
  m->fit(d, d.interactions, o);
  return m;
}

TEST(RatingModels, SgdLossDecreasesWithEpochs) {
  const Synthetic s = synthetic(40, 30, 3, 1);
  for (const std::string name : kModels) {
    double previous = std::numeric_limits<double>::infinity();
    for (int epochs : {1, 3, 10, 30, 100}) {
      auto m = fit(name, s.data, Params{{"epochs", epochs}, {"validation_fraction", 0}, {"factors", 4}});
      const double rmse = train_rmse(*m, s.data.interactions);
      EXPECT_LT(rmse, previous) << name << " after " << epochs << " epochs";
      previous = rmse;
    }
  }
}

TEST(RatingModels, KnownAnswerRankOnePlusBiases) {
  // Every pair of a dense grid, generated exactly by μ + b_u + b_i + a_u c_i:
  // an unregularised fit recovers it.
  const Synthetic s = synthetic(30, 20, 0, 7);
  for (const std::string name : kModels) {
    auto m = fit(name, s.data,
                 Params{{"factors", 2}, {"epochs", 400}, {"lr_all", 0.01}, {"reg_all", 0.0}, {"init_std", 0.1},
                        {"validation_fraction", 0}});
    EXPECT_LT(train_rmse(*m, s.data.interactions), 0.05) << name;
  }
}

TEST(RatingModels, PredictIsClippedToTheTrainingRange) {
  // r = 2 + (a_u + c_i) / 2 with a_u = user % 3, c_i = item % 3, an exactly
  // additive (bias-only) rating. Pairs with a + c = 4 (rating 4) and a + c = 0
  // (rating 2) are left out, so training ratings span [2.5, 3.5] while the
  // biases extrapolate to 4 and 2 for the missing pairs: predict() clips them.
  std::vector<Interaction> xs;
  for (std::uint32_t user_idx = 0; user_idx < 9; ++user_idx) {
    for (std::uint32_t item_idx = 0; item_idx < 9; ++item_idx) {
      const std::uint32_t sum = user_idx % 3 + item_idx % 3;
      if (sum == 0 || sum == 4) continue;
      xs.push_back({user_idx, item_idx, 1.0f, 0, 2.0f + static_cast<float>(sum) / 2});
    }
  }
  const Dataset d = dataset::make_dataset(9, 9, xs);
  for (const std::string name : kModels) {
    auto m = fit(name, d, Params{{"validation_fraction", 0}, {"epochs", 300}, {"lr_all", 0.02}, {"reg_all", 0.0}});
    for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx) {
      std::vector<float> scores(d.item_count());
      m->score_user(user_idx, scores);  // the ranker: unclipped
      for (std::uint32_t item_idx = 0; item_idx < d.item_count(); ++item_idx) {
        const float p = *m->predict(user_idx, item_idx);
        EXPECT_GE(p, 2.5f) << name;
        EXPECT_LE(p, 3.5f) << name;
        EXPECT_EQ(p, std::clamp(scores[item_idx], 2.5f, 3.5f)) << name;
        const std::uint32_t sum = user_idx % 3 + item_idx % 3;
        if (sum == 4) {
          EXPECT_GT(scores[item_idx], 3.7f) << name << " (" << user_idx << ", " << item_idx << ")";
        }
        if (sum == 0) {
          EXPECT_LT(scores[item_idx], 2.3f) << name << " (" << user_idx << ", " << item_idx << ")";
        }
      }
    }
  }
}

TEST(RatingModels, SaveLoadPredictsIdentically) {
  Synthetic s = synthetic(25, 18, 4, 3);
  // Some interactions without a rating: implicit feedback for svdpp.
  std::vector<Interaction> xs = s.data.interactions;
  for (std::uint32_t user_idx = 0; user_idx < 25; user_idx += 3) xs.push_back({user_idx, 0, 1.0f, 5, std::nullopt});
  const Dataset d = dataset::make_dataset(25, 18, xs);
  for (const std::string name : kModels) {
    auto m = fit(name, d, Params{{"epochs", 50}});
    auto loaded = load_model_bytes(m->save_bytes());
    for (std::uint32_t user_idx = 0; user_idx < d.user_count(); ++user_idx)
      for (std::uint32_t item_idx = 0; item_idx < d.item_count(); ++item_idx)
        EXPECT_EQ(m->predict(user_idx, item_idx), loaded->predict(user_idx, item_idx)) << name;
    EXPECT_EQ(loaded->save_bytes(), m->save_bytes()) << name;
    EXPECT_EQ(loaded->params(), m->params()) << name;
  }
}

TEST(RatingModels, InteractionsWithoutRatingAreNotTargets) {
  const Synthetic s = synthetic(20, 15, 3, 5);
  std::vector<Interaction> xs = s.data.interactions;
  for (std::uint32_t user_idx = 0; user_idx < 20; ++user_idx)
    xs.push_back({user_idx, (user_idx * 7) % 15, 1.0f, 9, std::nullopt});  // a new pair or a repeat
  for (std::uint32_t user_idx = 0; user_idx < 20; user_idx += 2) {
    // Pairs that exist only as unrated interactions.
    const std::uint32_t item_idx = (user_idx + 2 * 3) % 15;
    if ((user_idx + 2 * item_idx) % 3 == 0) xs.push_back({user_idx, item_idx, 2.0f, 9, std::nullopt});
  }
  const Dataset with_unrated = dataset::make_dataset(20, 15, xs);
  const Params params = {{"epochs", 40}, {"validation_fraction", 0}};
  // svd reads ratings only: unrated interactions change nothing.
  auto plain = fit("svd", s.data, params);
  auto extra = fit("svd", with_unrated, params);
  for (std::uint32_t user_idx = 0; user_idx < 20; ++user_idx)
    for (std::uint32_t item_idx = 0; item_idx < 15; ++item_idx)
      EXPECT_EQ(plain->predict(user_idx, item_idx), extra->predict(user_idx, item_idx));
  // svdpp uses them as implicit feedback N(u): predictions move.
  auto plain_pp = fit("svdpp", s.data, params);
  auto extra_pp = fit("svdpp", with_unrated, params);
  bool moved = false;
  for (std::uint32_t user_idx = 0; user_idx < 20; ++user_idx)
    moved |= plain_pp->predict(user_idx, 1) != extra_pp->predict(user_idx, 1);
  EXPECT_TRUE(moved);
  // An item with interactions but no rating scores -infinity (unknown) for the ranker.
  std::vector<Interaction> only_weight = {{0, 0, 1, 0, 4.0f}, {1, 0, 1, 0, 2.0f}, {1, 1, 1, 0, 3.0f},
                                          {0, 2, 1, 0, std::nullopt}};
  const Dataset tiny = dataset::make_dataset(2, 3, only_weight);
  for (const std::string name : kModels) {
    auto m = fit(name, tiny, Params{{"validation_fraction", 0}});
    std::vector<float> scores(3);
    m->score_user(0, scores);
    EXPECT_TRUE(std::isfinite(scores[0]) && std::isfinite(scores[1])) << name;
    EXPECT_EQ(scores[2], -std::numeric_limits<float>::infinity()) << name;
    RecommendOptions o;
    const auto recs = m->recommend(0, o);  // item 1 is the only unseen rated item
    ASSERT_EQ(recs.size(), 1u) << name;
    EXPECT_EQ(recs[0].item, 1u) << name;
    EXPECT_FLOAT_EQ(recs[0].score, scores[1]) << name;
  }
}

TEST(RatingModels, SeedDeterminesTheModel) {
  const Synthetic s = synthetic(20, 15, 3, 9);
  for (const std::string name : kModels) {
    const Params params = {{"epochs", 20}};
    EXPECT_EQ(fit(name, s.data, params, 1)->save_bytes(), fit(name, s.data, params, 1)->save_bytes()) << name;
    EXPECT_NE(fit(name, s.data, params, 1)->save_bytes(), fit(name, s.data, params, 2)->save_bytes()) << name;
  }
}

TEST(RatingModels, EarlyStoppingBeatsOverfittingOnHeldOutRatings) {
  // Noisy ratings: many epochs without regularisation overfit; early
  // stopping keeps the held-out error near the best epoch count.
  Synthetic s = synthetic(60, 40, 3, 11);
  std::vector<Interaction> xs = s.data.interactions;
  dataset::Rng rng(3);
  for (Interaction& x : xs) x.rating = *x.rating + static_cast<float>(rng.uniform() - 0.5) * 1.5f;
  std::vector<Interaction> train, test;
  for (std::size_t pos = 0; pos < xs.size(); ++pos) (pos % 5 == 0 ? test : train).push_back(xs[pos]);
  const Dataset d = dataset::make_dataset(60, 40, xs);
  auto held_out_rmse = [&](const std::string& name, const Params& params) {
    auto m = create_model(name, params);
    m->fit(d, train, FitOptions{});
    return train_rmse(*m, test);
  };
  for (const std::string name : kModels) {
    const Params base = {{"factors", 20}, {"reg_all", 0.0}, {"lr_all", 0.01}, {"init_std", 0.1}, {"epochs", 300}};
    Params fixed = base, stopped = base;
    fixed["validation_fraction"] = 0;
    stopped["validation_fraction"] = 0.15;
    EXPECT_LT(held_out_rmse(name, stopped), held_out_rmse(name, fixed)) << name;
  }
}

TEST(RatingModels, SurpriseParameterNames) {
  for (const std::string name : kModels) {
    auto m = create_model(name, Params{{"lr_all", 0.01}, {"lr_bu", 0.02}, {"reg_all", 0.1}, {"reg_qi", 0.2}});
    EXPECT_EQ(m->params()["lr_bu"], 0.02);
    EXPECT_EQ(m->params()["lr_bi"], -1.0);  // follows lr_all
    EXPECT_THROW(create_model(name, Params{{"lr_pu", -2}}), Error);
    EXPECT_THROW(create_model(name, Params{{"factors", 0}}), Error);
    EXPECT_THROW(create_model(name, Params{{"n_factors", 10}}), Error);
  }
  EXPECT_THROW(create_model("svd", Params{{"lr_yj", 0.1}}), Error);  // svd has no y
}

// --------------------------------------------- svdpp lazy y vs reference ---

// Surprise's SVD++ epoch, literally: every y_j of N(u) updated at every rating.
// Visits users and ratings in the order the model uses (same Rng draws), so
// the lazy exact update must agree up to float rounding.
struct ReferenceSvdpp {
  std::size_t rank;
  double lr, reg;
  std::vector<double> b_u, b_i, p, q, y;
  double mean = 0;

  void fit(const Dataset& d, int epochs, double init_std, std::uint64_t seed) {
    const CsrMatrix implicit = d.user_items();
    std::vector<Interaction> rated;
    for (const Interaction& x : d.interactions)
      if (x.rating) rated.push_back({x.user, x.item, *x.rating, 0, x.rating});
    const CsrMatrix ratings = dataset::build_csr(rated, d.user_count(), d.item_count());
    for (float r : ratings.values) mean += r;
    mean /= static_cast<double>(ratings.nnz());
    dataset::Rng rng(seed);
    std::vector<float> init_p(d.user_count() * rank), init_q(d.item_count() * rank), init_y(d.item_count() * rank);
    detail::fill_normal(init_p, 0, init_std, rng);
    detail::fill_normal(init_q, 0, init_std, rng);
    detail::fill_normal(init_y, 0, init_std, rng);
    p.assign(init_p.begin(), init_p.end());
    q.assign(init_q.begin(), init_q.end());
    y.assign(init_y.begin(), init_y.end());
    b_u.assign(d.user_count(), 0);
    b_i.assign(d.item_count(), 0);
    for (int epoch = 0; epoch < epochs; ++epoch) {
      std::vector<std::uint32_t> users;
      for (std::uint32_t user_idx = 0; user_idx < ratings.rows; ++user_idx)
        if (ratings.row_size(user_idx) > 0) users.push_back(user_idx);
      detail::shuffle(users, rng);
      for (std::uint32_t user_idx : users) {
        auto n_u = implicit.row_indices(user_idx);
        const double s = 1.0 / std::sqrt(static_cast<double>(n_u.size()));
        std::vector<std::uint32_t> offsets(ratings.row_size(user_idx));
        for (std::uint32_t offset = 0; offset < offsets.size(); ++offset) offsets[offset] = offset;
        detail::shuffle(offsets, rng);
        for (std::uint32_t offset : offsets) {
          const std::uint32_t item_idx = ratings.row_indices(user_idx)[offset];
          const double r = ratings.row_values(user_idx)[offset];
          std::vector<double> z(rank, 0.0);
          for (std::uint32_t j : n_u)
            for (std::size_t f = 0; f < rank; ++f) z[f] += s * y[j * rank + f];
          double est = mean + b_u[user_idx] + b_i[item_idx];
          for (std::size_t f = 0; f < rank; ++f) est += q[item_idx * rank + f] * (p[user_idx * rank + f] + z[f]);
          const double err = r - est;
          b_u[user_idx] += lr * (err - reg * b_u[user_idx]);
          b_i[item_idx] += lr * (err - reg * b_i[item_idx]);
          for (std::size_t f = 0; f < rank; ++f) {
            const double p_uf = p[user_idx * rank + f], q_if = q[item_idx * rank + f];
            p[user_idx * rank + f] += lr * (err * q_if - reg * p_uf);
            q[item_idx * rank + f] += lr * (err * (p_uf + z[f]) - reg * q_if);
            for (std::uint32_t j : n_u) y[j * rank + f] += lr * (err * q_if * s - reg * y[j * rank + f]);
          }
        }
      }
    }
  }

  double predict(const CsrMatrix& implicit, std::uint32_t user, std::uint32_t item) const {
    auto n_u = implicit.row_indices(user);
    double est = mean + b_u[user] + b_i[item];
    for (std::size_t f = 0; f < rank; ++f) {
      double z = 0;
      for (std::uint32_t j : n_u) z += y[j * rank + f];
      est += q[item * rank + f] * (p[user * rank + f] + z / std::sqrt(static_cast<double>(n_u.size())));
    }
    return est;
  }
};

TEST(RatingModels, SvdppLazyUpdateMatchesPerRatingReference) {
  Synthetic s = synthetic(15, 12, 3, 13);
  std::vector<Interaction> xs = s.data.interactions;
  for (std::uint32_t user_idx = 0; user_idx < 15; user_idx += 2)
    if ((user_idx + 2 * 3) % 3 == 0) xs.push_back({user_idx, 3, 1.0f, 0, std::nullopt});  // implicit only
  const Dataset d = dataset::make_dataset(15, 12, xs);
  ReferenceSvdpp ref{4, 0.01, 0.05, {}, {}, {}, {}, {}};
  ref.fit(d, 15, 0.1, 42);
  auto m = fit("svdpp", d,
               Params{{"factors", 4}, {"epochs", 15}, {"lr_all", 0.01}, {"reg_all", 0.05}, {"init_std", 0.1},
                      {"validation_fraction", 0}});
  const CsrMatrix implicit = d.user_items();
  double max_diff = 0;
  for (std::uint32_t user_idx = 0; user_idx < 15; ++user_idx) {
    std::vector<float> scores(12);
    m->score_user(user_idx, scores);  // unclipped r̂
    for (std::uint32_t item_idx = 0; item_idx < 12; ++item_idx)
      max_diff = std::max(max_diff, std::fabs(scores[item_idx] - ref.predict(implicit, user_idx, item_idx)));
  }
  EXPECT_LT(max_diff, 1e-4);
}

}  // namespace
}  // namespace tailor::model
