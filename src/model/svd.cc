// "svd": biased matrix factorisation for explicit ratings (Funk SVD as in
// Surprise's SVD; Koren, Bell & Volinsky 2009, eq. 5), fitted on the `rating`
// field of training interactions; interactions without a rating are ignored.
//
//   r̂_ui = μ + b_u + b_i + q_iᵀ p_u        (biased = false: r̂_ui = q_iᵀ p_u)
//
// Training: SGD on Σ (r_ui − r̂_ui)² + reg (b_u² + b_i² + ‖p_u‖² + ‖q_i‖²),
// one pass over every rated pair per epoch in an order shuffled each epoch by
// dataset::Rng(seed) (Surprise keeps its trainset order). For each pair, with
// e = r_ui − r̂_ui and the old p_u, q_i on the right-hand sides:
//   b_u += lr_bu (e − reg_bu b_u)           b_i += lr_bi (e − reg_bi b_i)
//   p_u += lr_pu (e q_i − reg_pu p_u)       q_i += lr_qi (e p_u − reg_qi q_i)
// Learning rates are multiplied by lr_decay after every epoch (1 = constant,
// Surprise). p and q start from N(init_mean, init_std), drawn p then q from
// dataset::Rng(seed); the biases from zero, or from the ALS baseline (the
// "baseline" model, reg_u 15, reg_i 10, 10 epochs) with init_biases.
// The number of epochs is fixed (validation_fraction = 0) or chosen by early
// stopping on held-out training ratings (detail::EpochSchedule), then refitted
// on all of them. Single-threaded: an epoch over ml-100k's 80k ratings takes
// ~25 ms at 200 factors, and a lock-free (Hogwild) pass would make the result
// depend on the thread count.
//
// Parameters keep Surprise's names and meanings (n_factors -> factors,
// n_epochs -> epochs); a separate lr_* / reg_* below 0 means "use lr_all /
// reg_all". Surprise's SVD is
//   {"factors": 100, "epochs": 20, "lr_all": 0.005, "reg_all": 0.02,
//    "init_std": 0.1, "validation_fraction": 0}
// (init_mean 0, lr_decay 1, init_biases false, biased true are the defaults).
// Our defaults are the values tuned on ml-100k below.
//
// Tuning. Validation split: a random 80/20 split of all ml-100k ratings
// (numpy RandomState(2024), 80k / 20k; not the CV folds of the tests or the
// bench), RMSE on the 20k. Seeds 1 or 1-2 (spread <= 0.001).
//   Surprise's defaults                                            0.934
//   fixed epochs, init_std 0.1 (best of factors 50-200 x reg 0.02-0.15 x
//   lr 0.005-0.01 x epochs 20-100 x lr_decay 0.98 x reg_b 0.005-0.05):
//     200 factors, 100 epochs, lr 0.007, decay 0.98, reg_b 0.005, reg_pq 0.1   0.909
//   init_std 0.01, 200 factors, lr 0.005, fixed epochs   30     50     80     120
//     reg 0.03                                          0.922  0.903  0.920  0.933
//     reg 0.05                                          0.929  0.906  0.907  0.919
//   -> a small init learns the biases first and the factors late; the
//      held-out error has a sharp minimum in epochs: early stopping.
//   early stopping (validation_fraction 0.1, patience 5, max 300 epochs),
//   init_std 0.01, lr 0.005:
//                   reg 0.02   0.03   0.05
//     100 factors   0.906     0.904  0.903
//     200 factors   0.905     0.904  0.902
//     400 factors   0.903     0.903  0.902
//   200 factors, reg 0.04-0.08 x lr 0.003/0.007 x init_std 0.005/0.01: 0.9018-0.9032;
//   init_std 0.03: 0.904-0.906; init_biases: 0.9032 vs 0.9024 (no help).
// Chosen: factors 200, lr_all 0.005, reg_all 0.05, init_std 0.01, epochs 300
// (the cap), validation_fraction 0.1, patience 5: 0.902 here; 5-fold CV on
// ml-100k 0.9023 (dataset::kfold, tests/model/rating_models_data_test.cc) and
// 0.9027 on Surprise's folds (bench/rating_bench.py; Surprise SVD 0.9344).
//
// Ranking, predict() and similar_items(): see FactorRatingModel
// (rating_common.h); a history-only query has p = 0, so it ranks by μ + b_i
// like Surprise's unknown user. similar_items() is the cosine of q.
// Payload: the FactorRatingModel state.
#include <cmath>

#include "models.h"
#include "rating_common.h"

namespace tailor::model {
namespace {

class Svd final : public detail::FactorRatingModel {
 public:
  explicit Svd(const Params& params)
      : params_(detail::resolve_params("svd", detail::svd_param_specs(), params)),
        lr_bu_(detail::own_or_all(params_, "lr_bu", "lr_all")),
        lr_bi_(detail::own_or_all(params_, "lr_bi", "lr_all")),
        lr_pu_(detail::own_or_all(params_, "lr_pu", "lr_all")),
        lr_qi_(detail::own_or_all(params_, "lr_qi", "lr_all")),
        reg_bu_(detail::own_or_all(params_, "reg_bu", "reg_all")),
        reg_bi_(detail::own_or_all(params_, "reg_bi", "reg_all")),
        reg_pu_(detail::own_or_all(params_, "reg_pu", "reg_all")),
        reg_qi_(detail::own_or_all(params_, "reg_qi", "reg_all")),
        biased_(params_["biased"].get<bool>()),
        schedule_(detail::epoch_schedule_from(params_)) {
    init_.rank = params_["factors"].get<std::size_t>();
    init_.biased = biased_;
    init_.init_biases = params_["init_biases"].get<bool>();
    init_.init_mean = params_["init_mean"].get<double>();
    init_.init_std = params_["init_std"].get<double>();
  }

  std::string name() const override { return "svd"; }
  Params params() const override { return params_; }

 protected:
  std::span<const float> user_vector(std::uint32_t user) const override {
    return std::span<const float>(user_factors_).subspan(user * rank_, rank_);
  }
  void history_vector(std::span<const std::uint32_t> /*history_items*/, std::span<float> /*out*/) const override {}

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                 const FitOptions& options) override {
    fit_factors(user_items, train, options, init_, schedule_);
  }

  // One pass over every rating in a freshly shuffled order (file comment).
  void sgd_epoch(const CsrMatrix& /*user_items*/, const detail::RatingData& ratings, double lr_scale,
                 dataset::Rng& rng) override {
    const CsrMatrix& by_user = ratings.by_user;
    std::vector<std::uint32_t> rating_user(by_user.nnz());
    for (std::uint32_t user_idx = 0; user_idx < by_user.rows; ++user_idx)
      for (std::uint64_t pos = by_user.indptr[user_idx]; pos < by_user.indptr[user_idx + 1]; ++pos)
        rating_user[pos] = user_idx;
    std::vector<std::uint32_t> order(by_user.nnz());
    for (std::uint32_t pos = 0; pos < order.size(); ++pos) order[pos] = pos;
    detail::shuffle(order, rng);

    const auto mean = static_cast<float>(mean_);
    const auto lr_bu = static_cast<float>(lr_bu_ * lr_scale), lr_bi = static_cast<float>(lr_bi_ * lr_scale);
    const auto lr_pu = static_cast<float>(lr_pu_ * lr_scale), lr_qi = static_cast<float>(lr_qi_ * lr_scale);
    const auto reg_bu = static_cast<float>(reg_bu_), reg_bi = static_cast<float>(reg_bi_);
    const auto reg_pu = static_cast<float>(reg_pu_), reg_qi = static_cast<float>(reg_qi_);
    for (std::uint32_t pos : order) {
      const std::uint32_t user_idx = rating_user[pos];
      const std::uint32_t item_idx = by_user.indices[pos];
      float* p_u = user_factors_.data() + user_idx * rank_;
      float* q_i = item_factors_.data() + item_idx * rank_;
      float dot = 0;
      for (std::size_t factor_idx = 0; factor_idx < rank_; ++factor_idx) dot += p_u[factor_idx] * q_i[factor_idx];
      const float err = by_user.values[pos] - (mean + user_bias_[user_idx] + item_bias_[item_idx] + dot);
      if (biased_) {
        user_bias_[user_idx] += lr_bu * (err - reg_bu * user_bias_[user_idx]);
        item_bias_[item_idx] += lr_bi * (err - reg_bi * item_bias_[item_idx]);
      }
      for (std::size_t factor_idx = 0; factor_idx < rank_; ++factor_idx) {
        const float p_uf = p_u[factor_idx];
        const float q_if = q_i[factor_idx];
        p_u[factor_idx] += lr_pu * (err * q_if - reg_pu * p_uf);
        q_i[factor_idx] += lr_qi * (err * p_uf - reg_qi * q_if);
      }
    }
  }

  void save_payload(std::ostream& out) const override { save_state(out); }
  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override { load_state(in, "svd"); }

 private:
  Params params_;
  double lr_bu_, lr_bi_, lr_pu_, lr_qi_;
  double reg_bu_, reg_bi_, reg_pu_, reg_qi_;
  bool biased_;
  FactorInit init_;
  detail::EpochSchedule schedule_;
};

}  // namespace

namespace detail {

std::vector<ParamSpec> svd_param_specs() {
  using Kind = ParamSpec::Kind;
  std::vector<ParamSpec> specs = {
      {"factors", Kind::kInt, 200, 1, 4096, "latent factors (Surprise n_factors, default 100)"},
      {"epochs", Kind::kInt, 300, 1, 10000,
       "SGD passes over the training ratings, the most when early stopping (Surprise n_epochs, default 20)"},
      {"lr_all", Kind::kDouble, 0.005, 0, 1, "learning rate of every parameter (Surprise default 0.005)"},
      {"lr_bu", Kind::kDouble, -1, -1, 1, "learning rate of user biases; < 0 = lr_all"},
      {"lr_bi", Kind::kDouble, -1, -1, 1, "learning rate of item biases; < 0 = lr_all"},
      {"lr_pu", Kind::kDouble, -1, -1, 1, "learning rate of user factors; < 0 = lr_all"},
      {"lr_qi", Kind::kDouble, -1, -1, 1, "learning rate of item factors; < 0 = lr_all"},
      {"reg_all", Kind::kDouble, 0.05, 0, 100, "L2 regularisation of every parameter (Surprise default 0.02)"},
      {"reg_bu", Kind::kDouble, -1, -1, 100, "regularisation of user biases; < 0 = reg_all"},
      {"reg_bi", Kind::kDouble, -1, -1, 100, "regularisation of item biases; < 0 = reg_all"},
      {"reg_pu", Kind::kDouble, -1, -1, 100, "regularisation of user factors; < 0 = reg_all"},
      {"reg_qi", Kind::kDouble, -1, -1, 100, "regularisation of item factors; < 0 = reg_all"},
      {"init_mean", Kind::kDouble, 0, -10, 10, "mean of the normal factor initialisation (Surprise default 0)"},
      {"init_std", Kind::kDouble, 0.01, 0, 10, "standard deviation of the factor initialisation (Surprise default 0.1)"},
      {"biased", Kind::kBool, 1, 0, 1, "use μ + b_u + b_i (Surprise default true)"},
      {"init_biases", Kind::kBool, 0, 0, 1, "start the biases from the ALS baseline instead of 0 (Surprise: false)"},
  };
  for (ParamSpec& spec : epoch_schedule_param_specs(0.1, 5)) specs.push_back(std::move(spec));
  return specs;
}

std::unique_ptr<Recommender> make_svd(const Params& params) { return std::make_unique<Svd>(params); }

}  // namespace detail
}  // namespace tailor::model
