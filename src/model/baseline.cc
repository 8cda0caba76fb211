// "baseline": the rating predictor r̂_ui = μ + b_u + b_i (Surprise's
// BaselineOnly with ALS, Koren 2010 §2.1), fitted on the `rating` field of
// training interactions; interactions without a rating are ignored.
//
// Each epoch first refits every item bias, then every user bias:
//   b_i = Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (reg_i + |R(i)|)
//   b_u = Σ_{i ∈ R(u)} (r_ui − μ − b_i) / (reg_u + |R(u)|)
// starting from b = 0, μ = mean training rating. predict() clips to the
// [min, max] of the training ratings. As a ranker, score(u, j) = μ + b_u + b_j
// for items with at least one training rating (-infinity otherwise); a
// history-only query has b_u = 0. similar_items() is empty.
//
// Payload: f64 μ, f32 rating min and max, u32 has_ratings, f32 arrays b_u, b_i,
// u32 array of per-item rating counts.
#include <algorithm>
#include <cmath>
#include <limits>

#include "models.h"
#include "rating_common.h"

namespace tailor::model {
namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

class Baseline final : public Recommender {
 public:
  explicit Baseline(const Params& params)
      : params_(detail::resolve_params("baseline", detail::baseline_param_specs(), params)),
        reg_u_(params_["reg_u"].get<double>()),
        reg_i_(params_["reg_i"].get<double>()),
        epochs_(params_["epochs"].get<int>()) {}

  std::string name() const override { return "baseline"; }
  Params params() const override { return params_; }
  bool predicts_ratings() const override { return true; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t /*n*/) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    return {};
  }

  std::optional<float> predict(std::uint32_t user, std::uint32_t item) const override {
    TAILOR_CHECK_ARG(user < user_count() && item < item_count(),
                     "predict: (user " + std::to_string(user) + ", item " + std::to_string(item) + ") out of range");
    if (!has_ratings_) return std::nullopt;
    double r = mean_ + user_bias_[user] + item_bias_[item];
    return static_cast<float>(std::clamp(r, static_cast<double>(rating_min_), static_cast<double>(rating_max_)));
  }

 protected:
  void score(std::optional<std::uint32_t> user, std::span<const std::uint32_t> /*history_items*/,
             std::span<const float> /*history_weights*/, std::span<float> scores) const override {
    const double base = mean_ + (user ? user_bias_[*user] : 0.0f);
    for (std::uint32_t item_idx = 0; item_idx < scores.size(); ++item_idx)
      scores[item_idx] = item_ratings_[item_idx] > 0 ? static_cast<float>(base + item_bias_[item_idx]) : kUnknown;
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                 const FitOptions& /*options*/) override {
    // Rated pairs, one per (user, item), the later row winning; μ and the range.
    const detail::RatingData rated = detail::collect_ratings(train, user_items.rows, user_items.cols);
    const CsrMatrix& by_user = rated.by_user;
    const CsrMatrix by_item = by_user.transpose();

    user_bias_.assign(user_items.rows, 0.0f);
    item_bias_.assign(user_items.cols, 0.0f);
    item_ratings_.assign(rated.item_counts.begin(), rated.item_counts.end());
    has_ratings_ = !rated.empty();
    mean_ = rated.mean;
    rating_min_ = rated.min;
    rating_max_ = rated.max;
    if (!has_ratings_) return;

    std::vector<double> b_u(user_items.rows, 0.0), b_i(user_items.cols, 0.0);
    for (int epoch = 0; epoch < epochs_; ++epoch) {
      for (std::uint32_t item_idx = 0; item_idx < by_item.rows; ++item_idx) {
        auto users = by_item.row_indices(item_idx);
        auto ratings = by_item.row_values(item_idx);
        if (users.empty()) continue;
        double dev = 0;
        for (std::size_t pos = 0; pos < users.size(); ++pos) dev += ratings[pos] - mean_ - b_u[users[pos]];
        b_i[item_idx] = dev / (reg_i_ + static_cast<double>(users.size()));
      }
      for (std::uint32_t user_idx = 0; user_idx < by_user.rows; ++user_idx) {
        auto items = by_user.row_indices(user_idx);
        auto ratings = by_user.row_values(user_idx);
        if (items.empty()) continue;
        double dev = 0;
        for (std::size_t pos = 0; pos < items.size(); ++pos) dev += ratings[pos] - mean_ - b_i[items[pos]];
        b_u[user_idx] = dev / (reg_u_ + static_cast<double>(items.size()));
      }
    }
    std::copy(b_u.begin(), b_u.end(), user_bias_.begin());
    std::copy(b_i.begin(), b_i.end(), item_bias_.begin());
  }

  void save_payload(std::ostream& out) const override {
    io::write_f64(out, mean_);
    io::write_f32(out, rating_min_);
    io::write_f32(out, rating_max_);
    io::write_u32(out, has_ratings_ ? 1 : 0);
    io::write_floats(out, user_bias_);
    io::write_floats(out, item_bias_);
    io::write_u32s(out, item_ratings_);
  }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    mean_ = io::read_f64(in);
    rating_min_ = io::read_f32(in);
    rating_max_ = io::read_f32(in);
    const std::uint32_t has = io::read_u32(in);
    if (has > 1) throw_error(ErrorCode::kCorruption, "model file: baseline: bad rating flag");
    has_ratings_ = has == 1;
    user_bias_ = io::read_floats(in);
    item_bias_ = io::read_floats(in);
    item_ratings_ = io::read_u32s(in);
    if (user_bias_.size() != user_count() || item_bias_.size() != item_count() ||
        item_ratings_.size() != item_count())
      throw_error(ErrorCode::kCorruption, "model file: baseline: bias vectors do not match the id maps");
  }

 private:
  Params params_;
  double reg_u_;
  double reg_i_;
  int epochs_;
  double mean_ = 0;
  float rating_min_ = 0;
  float rating_max_ = 0;
  bool has_ratings_ = false;
  std::vector<float> user_bias_;
  std::vector<float> item_bias_;
  std::vector<std::uint32_t> item_ratings_;  // training ratings per item
};

}  // namespace

namespace detail {

std::vector<ParamSpec> baseline_param_specs() {
  return {
      {"reg_u", ParamSpec::Kind::kDouble, 15, 0, 1e6, "regularisation of user biases (Surprise default 15)"},
      {"reg_i", ParamSpec::Kind::kDouble, 10, 0, 1e6, "regularisation of item biases (Surprise default 10)"},
      {"epochs", ParamSpec::Kind::kInt, 10, 1, 1000, "rounds of alternating least squares (Surprise default 10)"},
  };
}

std::unique_ptr<Recommender> make_baseline(const Params& params) { return std::make_unique<Baseline>(params); }

}  // namespace detail
}  // namespace tailor::model
