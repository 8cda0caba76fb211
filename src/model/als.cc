// "als": implicit-feedback matrix factorisation by alternating least squares
// (Hu, Koren, Volinsky 2008), each row solved by a few warm-started
// conjugate-gradient steps (Takács, Pilászy, Tikk 2011) as `implicit` does.
//
// With w_ui the training weight, confidence c_ui = 1 + α·w_ui, preference
// p_ui = 1 on training pairs (c = 1, p = 0 elsewhere), the model minimises
//   L = Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)
// by alternating: all users given Y, then all items given X. A user's
// normal equations (dense.h, AlsRow) are
//   (YᵀY + λI + Σ_{i ∈ u} α w_ui y_i y_iᵀ) x_u = Σ_{i ∈ u} (1 + α w_ui) y_i
// YᵀY + λI is computed once per half-iteration (a symmetric rank-k update,
// detail::gram); each row then runs `cg_steps` CG steps from its previous
// value, parallel over rows. Rows with no interactions are exactly 0.
// Factors start uniform in [0, 0.01) like `implicit`.
//
// Scoring: score(u, i) = x_u·y_i for items with training interactions,
// -infinity for the rest. A history-only query (new user, session) is folded
// in: x solves the same normal equations for the history exactly (Cholesky on
// the factors x factors system, weights <= 0 ignored), so new users get
// recommendations without retraining. similar_items: cosine of item factors.
//
// Determinism: the fit depends only on the data, the parameters and the seed
// — not on the thread count (rows are independent given the other side, and
// the Gram matrix is summed in fixed blocks). Bits may differ between
// machines only through the ISA-specific clones of the kernels (dense.h).
//
// Tuning (ml-100k, weight 1 per rating, RecBole 8:1:1 split, seed 42, 64
// factors, 15 iterations; NDCG@10 validation / test; MostPopular 0.125 / 0.136):
//   λ \ α  1              2              3              4              6
//   20     -              0.265 / 0.322  0.258 / 0.308  0.254 / 0.301  0.245 / 0.285
//   30     0.246 / 0.309  0.268 / 0.335  0.272 / 0.335  0.268 / 0.327  0.262 / 0.309
//   45     -              0.236 / 0.296  0.252 / 0.318  0.261 / 0.328  0.270 / 0.335
// λ is not scaled by counts: too large for the data (here >= 120) and every
// factor shrinks to 0 (scores collapse to ties). 32 or 128 factors, 30
// iterations or 8 CG steps change NDCG@10 by < 0.002. Defaults α = 3, λ = 30.
// implicit 0.7.3 on the same split and objective: 0.332.
// Speed (same split, 64 factors, 2 threads, quiet machine): about 2.3 ms per
// iteration against implicit 0.7.3's 7.3 ms; bench/micro_als times the kernels.
//
// Payload: u32 factors, dense user factors (users x factors), dense item
// factors (items x factors).
#include <cmath>
#include <cstdio>
#include <limits>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "dense.h"
#include "models.h"

namespace tailor::model {
namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();
constexpr float kInitScale = 0.01f;

class Als final : public Recommender {
 public:
  explicit Als(const Params& params)
      : params_(detail::resolve_params("als", detail::als_param_specs(), params)),
        factors_(params_["factors"].get<std::uint32_t>()),
        iterations_(params_["iterations"].get<int>()),
        alpha_(params_["alpha"].get<double>()),
        regularization_(params_["regularization"].get<double>()),
        cg_steps_(params_["cg_steps"].get<int>()),
        calculate_loss_(params_["calculate_loss"].get<bool>()) {}

  std::string name() const override { return "als"; }
  Params params() const override { return params_; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    return detail::most_similar_rows(item_factors_, item_norms_, item_known_, item, n);
  }

  const std::vector<double>& loss_history() const { return loss_history_; }

 protected:
  void score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
             std::span<const float> history_weights, std::span<float> scores) const override {
    std::vector<float> folded;
    const float* x = nullptr;
    if (user) {
      x = user_factors_.row(*user);
    } else {
      folded = fold_in(history_items, history_weights);
      x = folded.data();
    }
    detail::scores_into(item_factors_, x, scores);
    for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx)
      if (!item_known_[item_idx]) scores[item_idx] = kUnknown;
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> /*train*/,
                 const FitOptions& options) override {
    const CsrMatrix item_users = user_items.transpose();
    dataset::Rng rng(options.seed);
    user_factors_ = detail::random_rows(user_items.rows, factors_, 0.0f, kInitScale, rng);
    item_factors_ = detail::random_rows(user_items.cols, factors_, 0.0f, kInitScale, rng);
    loss_history_.clear();
    Progress progress("als", static_cast<std::uint64_t>(iterations_), options.quiet);
    for (int iteration = 0; iteration < iterations_; ++iteration) {
      const double start = monotonic_seconds();
      half_iteration(user_items, item_factors_, user_factors_, options.threads);
      half_iteration(item_users, user_factors_, item_factors_, options.threads);
      const double seconds = monotonic_seconds() - start;
      char line[128];
      int length = std::snprintf(line, sizeof line, "als: iteration %d/%d: %.2f ms", iteration + 1, iterations_,
                                 seconds * 1e3);
      if (calculate_loss_) {
        loss_history_.push_back(loss(user_items, options.threads));
        std::snprintf(line + length, sizeof line - static_cast<std::size_t>(length), ", loss %.6g",
                      loss_history_.back());
      }
      progress.add();
      if (!options.quiet) log_info(line);
    }
    progress.finish();
    derive_state();
  }

  void save_payload(std::ostream& out) const override {
    io::write_u32(out, factors_);
    detail::write_dense(out, user_factors_);
    detail::write_dense(out, item_factors_);
  }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    if (io::read_u32(in) != factors_)
      throw_error(ErrorCode::kCorruption, "model file: als: factor count disagrees with the parameters");
    user_factors_ = detail::read_dense(in, user_count(), factors_, "als user factors");
    item_factors_ = detail::read_dense(in, item_count(), factors_, "als item factors");
    loss_history_.clear();
    derive_state();
  }

 private:
  // Re-solves every row of `rows` (users x items, or items x users) given the
  // other side's factors, in place in `solved`. The CG keeps its three
  // vectors on the stack, so workers need no scratch and nothing is allocated
  // per row; plain parallel_for suffices.
  void half_iteration(const CsrMatrix& rows, const detail::DenseRows& other, detail::DenseRows& solved,
                      int threads) const {
    const std::vector<float> gram = detail::gram(other, static_cast<float>(regularization_), threads);
    const auto alpha = static_cast<float>(alpha_);
    parallel_for(0, rows.rows, threads, [&](std::size_t index) {
      const auto row_idx = static_cast<std::uint32_t>(index);
      float* x = solved.row(row_idx);
      if (rows.row_size(row_idx) == 0) {
        std::fill(x, x + factors_, 0.0f);  // the exact solution of (YᵀY + λI) x = 0
        return;
      }
      detail::AlsRow row{gram.data(), &other, rows.row_indices(row_idx), rows.row_values(row_idx), alpha};
      detail::als_cg_solve(row, factors_, cg_steps_, x);
    });
  }

  // L of the file comment, using Σ_{i ∉ u} s² = x_uᵀ YᵀY x_u − Σ_{i ∈ u} s²:
  //   L = Σ_u [x_uᵀ YᵀY x_u + Σ_{i ∈ u} (c_ui (1 − s_ui)² − s_ui²)] + λ (‖X‖² + ‖Y‖²)
  // Per-user terms are summed in user order (independent of threads).
  double loss(const CsrMatrix& user_items, int threads) const {
    const std::vector<float> gram = detail::gram(item_factors_, 0.0f, threads);
    std::vector<double> per_user(user_items.rows, 0.0);
    parallel_for(0, user_items.rows, threads, [&](std::size_t index) {
      const auto user_idx = static_cast<std::uint32_t>(index);
      const float* x = user_factors_.row(user_idx);
      double total = 0;
      for (std::uint32_t a = 0; a < factors_; ++a)
        total += static_cast<double>(x[a]) * detail::dot(gram.data() + static_cast<std::size_t>(a) * factors_, x, factors_);
      auto items = user_items.row_indices(user_idx);
      auto weights = user_items.row_values(user_idx);
      for (std::size_t pos = 0; pos < items.size(); ++pos) {
        const double s = detail::dot(x, item_factors_.row(items[pos]), factors_);
        const double c = 1.0 + alpha_ * weights[pos];
        total += c * (1.0 - s) * (1.0 - s) - s * s;
      }
      per_user[user_idx] = total + regularization_ * detail::dot(x, x, factors_);
    });
    double total = 0;
    for (double v : per_user) total += v;
    for (std::uint32_t item_idx = 0; item_idx < item_factors_.rows; ++item_idx)
      total += regularization_ * detail::dot(item_factors_.row(item_idx), item_factors_.row(item_idx), factors_);
    return total;
  }

  // x for a history: the user normal equations solved exactly (LLT, double).
  std::vector<float> fold_in(std::span<const std::uint32_t> history_items,
                             std::span<const float> history_weights) const {
    const auto n = static_cast<Eigen::Index>(factors_);
    Eigen::MatrixXd a(n, n);
    for (Eigen::Index row = 0; row < n; ++row)
      for (Eigen::Index col = 0; col < n; ++col) a(row, col) = item_gram_[static_cast<std::size_t>(row * n + col)];
    Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
    for (std::size_t pos = 0; pos < history_items.size(); ++pos) {
      const double w = history_weights[pos];
      if (!(w > 0)) continue;
      Eigen::Map<const Eigen::VectorXf> y(item_factors_.row(history_items[pos]), n);
      const Eigen::VectorXd y_d = y.cast<double>();
      a.selfadjointView<Eigen::Lower>().rankUpdate(y_d, alpha_ * w);
      b += (1.0 + alpha_ * w) * y_d;
    }
    Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt(a);
    std::vector<float> x(factors_, 0.0f);
    if (llt.info() != Eigen::Success) return x;  // only with λ = 0 and a degenerate history
    const Eigen::VectorXd solved = llt.solve(b);
    for (std::uint32_t k = 0; k < factors_; ++k) x[k] = static_cast<float>(solved[k]);
    return x;
  }

  // What fit and load both derive from the factors and the training history.
  void derive_state() {
    item_known_ = detail::nonempty_columns(user_items());
    item_norms_ = detail::row_norms(item_factors_);
    item_gram_ = detail::gram(item_factors_, static_cast<float>(regularization_), 0);
  }

  Params params_;
  std::uint32_t factors_;
  int iterations_;
  double alpha_;
  double regularization_;
  int cg_steps_;
  bool calculate_loss_;
  detail::DenseRows user_factors_;  // users x factors
  detail::DenseRows item_factors_;  // items x factors
  std::vector<std::uint8_t> item_known_;
  std::vector<float> item_norms_;
  std::vector<float> item_gram_;  // YᵀY + λI, for fold-in
  std::vector<double> loss_history_;
};

}  // namespace

namespace detail {

std::vector<ParamSpec> als_param_specs() {
  return {
      {"factors", ParamSpec::Kind::kInt, 64, 1, kMaxFactors, "latent factors per user and item"},
      {"iterations", ParamSpec::Kind::kInt, 15, 1, 10000, "alternating passes (users, then items)"},
      {"alpha", ParamSpec::Kind::kDouble, 3, 0, 1e6,
       "confidence slope: c_ui = 1 + alpha * interaction weight"},
      {"regularization", ParamSpec::Kind::kDouble, 30, 1e-6, 1e6, "L2 penalty lambda on every factor vector"},
      {"cg_steps", ParamSpec::Kind::kInt, 3, 1, 1024,
       "conjugate-gradient steps per row and half-iteration (warm-started)"},
      {"calculate_loss", ParamSpec::Kind::kBool, 0, 0, 1,
       "compute the training objective after every iteration (costs about one CG step; logged when not quiet)"},
  };
}

std::unique_ptr<Recommender> make_als(const Params& params) { return std::make_unique<Als>(params); }

std::vector<double> als_loss_history(const Recommender& model) {
  const auto* als = dynamic_cast<const Als*>(&model);
  TAILOR_CHECK_ARG(als != nullptr, "als_loss_history: model '" + model.name() + "' is not als");
  return als->loss_history();
}

}  // namespace detail
}  // namespace tailor::model
