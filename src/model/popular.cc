// "popular": the same ranking for everyone, by how many training users
// interacted with each item.
//
//   score(u, j) = |{v : (v, j) ∈ train, t_vj ≥ T − window}|           (weighted = false)
//               = Σ_{v : (v, j) ∈ train, t_vj ≥ T − window} w_vj        (weighted = true)
// T = the newest training timestamp; window = window_days (0 = no window).
// Items with no counted interaction score -infinity (the model knows nothing
// about them), so they are never recommended.
//
// similar_items() returns nothing: popularity says nothing about what is like
// a given item, and a "similar" list that ignores the item would mislead
// callers that blend it in. Use popular recommendations as the fallback instead.
//
// Payload: f32 array, one popularity per item (-inf for unknown).
#include <algorithm>
#include <cmath>
#include <limits>

#include "models.h"

namespace tailor::model {
namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr float kUnknown = -std::numeric_limits<float>::infinity();

class Popular final : public Recommender {
 public:
  explicit Popular(const Params& params)
      : params_(detail::resolve_params("popular", detail::popular_param_specs(), params)),
        window_days_(params_["window_days"].get<double>()),
        weighted_(params_["weighted"].get<bool>()) {}

  std::string name() const override { return "popular"; }
  Params params() const override { return params_; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t /*n*/) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    return {};
  }

 protected:
  void score(std::optional<std::uint32_t> /*user*/, std::span<const std::uint32_t> /*history_items*/,
             std::span<const float> /*history_weights*/, std::span<float> scores) const override {
    std::copy(popularity_.begin(), popularity_.end(), scores.begin());
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> train,
                 const FitOptions& /*options*/) override {
    std::vector<double> counts(user_items.cols, 0.0);
    std::vector<bool> counted(user_items.cols, false);
    Timestamp newest = 0;
    for (const auto& x : train) newest = std::max(newest, x.timestamp);
    const bool windowed = window_days_ > 0 && !train.empty();
    const double cutoff = static_cast<double>(newest) - window_days_ * kSecondsPerDay;
    if (!windowed) {
      // One entry per (user, item) pair in the CSR: duplicates in train are already merged.
      for (std::size_t pos = 0; pos < user_items.nnz(); ++pos) {
        counts[user_items.indices[pos]] += weighted_ ? user_items.values[pos] : 1.0;
        counted[user_items.indices[pos]] = true;
      }
    } else {
      // Pairs may repeat in `train`; count each (user, item) once, with its summed weight.
      CsrMatrix recent = dataset::build_csr(
          [&] {
            std::vector<dataset::Interaction> kept;
            for (const auto& x : train)
              if (static_cast<double>(x.timestamp) >= cutoff) kept.push_back(x);
            return kept;
          }(),
          user_items.rows, user_items.cols);
      for (std::size_t pos = 0; pos < recent.nnz(); ++pos) {
        counts[recent.indices[pos]] += weighted_ ? recent.values[pos] : 1.0;
        counted[recent.indices[pos]] = true;
      }
    }
    popularity_.assign(user_items.cols, kUnknown);
    for (std::uint32_t item_idx = 0; item_idx < user_items.cols; ++item_idx)
      if (counted[item_idx]) popularity_[item_idx] = static_cast<float>(counts[item_idx]);
  }

  void save_payload(std::ostream& out) const override { io::write_floats(out, popularity_); }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    popularity_ = io::read_floats(in);
    if (popularity_.size() != item_count())
      throw_error(ErrorCode::kCorruption, "model file: popular: popularity vector does not match the items");
  }

 private:
  Params params_;
  double window_days_;
  bool weighted_;
  std::vector<float> popularity_;  // one per item
};

}  // namespace

namespace detail {

std::vector<ParamSpec> popular_param_specs() {
  return {
      {"window_days", ParamSpec::Kind::kDouble, 0, 0, 36500,
       "count only interactions within this many days before the newest training interaction (0 = all)"},
      {"weighted", ParamSpec::Kind::kBool, 0, 0, 1,
       "sum interaction weights instead of counting distinct users"},
  };
}

std::unique_ptr<Recommender> make_popular(const Params& params) { return std::make_unique<Popular>(params); }

}  // namespace detail
}  // namespace tailor::model
