// "ease": Embarrassingly Shallow Autoencoder (Steck 2019), a closed-form
// item-item linear model.
//
// With X the users x items training matrix (interaction weights) restricted
// to items that have at least one training interaction (n of them):
//   G = XᵀX + λI,   P = G⁻¹,   B = I − P · diag(1 / diag(P))
// i.e. B_ij = −P_ij / P_jj for i ≠ j and B_jj = 0 — the least-squares
// solution of min ‖X − XB‖² + λ‖B‖² subject to diag(B) = 0.
// Scoring a history h with weights w:  score(j) = Σ_{i ∈ h} w_i · B_ij;
// items without training interactions score -infinity.
// similar_items(q): the items i with the largest B_iq (how strongly i
// predicts q; column q of B), positive values only.
//
// Dense n x n floats: memory O(n²) (two n x n matrices while fitting), time
// O(n³) (Cholesky in place, then P from n triangular solves, parallel over
// fixed column blocks — deterministic for any thread count). Catalogues with
// more than `max_items` items are refused with InvalidArgument: use itemknn,
// rp3beta or als there.
//
// Tuning (ml-100k, RecBole 8:1:1 split, seed 42; NDCG@10 validation / test):
//   λ   50: 0.249 / 0.295   100: 0.262 / 0.313   200: 0.269 / 0.322
//      400: 0.269 / 0.325   800: 0.265 / 0.322  1500: 0.256 / 0.311
// Default 400. Fit 0.15–0.4 s on 2 cores for 1682 items; the cost grows as
// items³ (Eigen at the baseline ISA: minutes at ~10k items).
//
// Payload: u32 n, u32 array of the n modelled item indexes (ascending), f32
// array B (n x n, row-major: row i = the scores item i adds).
#include <algorithm>
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
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// Columns of P solved per task; fixed so that results do not depend on threads.
constexpr Eigen::Index kSolveBlock = 128;

using MatrixMap = Eigen::Map<Eigen::MatrixXf>;

class Ease final : public Recommender {
 public:
  explicit Ease(const Params& params)
      : params_(detail::resolve_params("ease", detail::ease_param_specs(), params)),
        regularization_(params_["regularization"].get<double>()),
        max_items_(params_["max_items"].get<std::uint32_t>()) {}

  std::string name() const override { return "ease"; }
  Params params() const override { return params_; }

  std::vector<ScoredItem> similar_items(std::uint32_t item, std::size_t n) const override {
    TAILOR_CHECK_ARG(item < item_count(), "similar_items: item index " + std::to_string(item) + " out of range");
    const std::uint32_t q = compact_[item];
    if (q == kNone) return {};
    const std::size_t n_items = items_.size();
    TopK top(n);
    for (std::uint32_t i = 0; i < n_items; ++i) {
      const float b_iq = weights_[i * n_items + q];
      if (i != q && b_iq > 0) top.push(items_[i], b_iq);
    }
    return top.take();
  }

 protected:
  void score(std::optional<std::uint32_t> /*user*/, std::span<const std::uint32_t> history_items,
             std::span<const float> history_weights, std::span<float> scores) const override {
    const std::size_t n_items = items_.size();
    std::vector<float> compact_scores(n_items, 0.0f);
    for (std::size_t pos = 0; pos < history_items.size(); ++pos) {
      const std::uint32_t i = compact_[history_items[pos]];
      if (i == kNone) continue;
      const float w_i = history_weights[pos];
      const float* b_i = weights_.data() + i * n_items;
      for (std::size_t j = 0; j < n_items; ++j) compact_scores[j] += w_i * b_i[j];
    }
    std::fill(scores.begin(), scores.end(), kUnknown);
    for (std::size_t j = 0; j < n_items; ++j) scores[items_[j]] = compact_scores[j];
  }

  void fit_model(const CsrMatrix& user_items, std::span<const dataset::Interaction> /*train*/,
                 const FitOptions& options) override {
    items_.clear();
    const std::vector<std::uint8_t> known = detail::nonempty_columns(user_items);
    for (std::uint32_t item_idx = 0; item_idx < user_items.cols; ++item_idx)
      if (known[item_idx]) items_.push_back(item_idx);
    const auto n = static_cast<Eigen::Index>(items_.size());
    if (items_.size() > max_items_) {
      char gigabytes[32];
      std::snprintf(gigabytes, sizeof gigabytes, "%.1f", 8.0 * static_cast<double>(items_.size()) *
                                                             static_cast<double>(items_.size()) / 1e9);
      throw_error(ErrorCode::kInvalidArgument,
                  "ease: " + std::to_string(items_.size()) + " items with interactions exceed max_items (" +
                      std::to_string(max_items_) + "); EASE keeps two dense items x items matrices (" + gigabytes +
                      " GB here): raise max_items if memory allows, or use itemknn, rp3beta or als");
    }
    build_compact(user_items.cols);
    const CsrMatrix item_users = user_items.transpose();
    const std::size_t cells = items_.size() * items_.size();
    Progress progress("ease", 3, options.quiet);

    // G = XᵀX + λI, one column per modelled item (column-major, so column a is
    // contiguous): G[:, a] = Σ_{u ∈ users(a)} w_ua · x_u.
    std::vector<float> gram_values(cells, 0.0f);
    parallel_for(0, items_.size(), options.threads, [&](std::size_t a) {
      float* column = gram_values.data() + a * items_.size();
      auto users = item_users.row_indices(items_[a]);
      auto user_weights = item_users.row_values(items_[a]);
      for (std::size_t pos_u = 0; pos_u < users.size(); ++pos_u) {
        const float w_ua = user_weights[pos_u];
        auto items = user_items.row_indices(users[pos_u]);
        auto weights = user_items.row_values(users[pos_u]);
        for (std::size_t pos_i = 0; pos_i < items.size(); ++pos_i) column[compact_[items[pos_i]]] += w_ua * weights[pos_i];
      }
      column[a] += static_cast<float>(regularization_);
    });
    progress.add();

    MatrixMap gram(gram_values.data(), n, n);
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>, Eigen::Lower> llt(gram);  // factorises in place
    if (llt.info() != Eigen::Success)
      throw_error(ErrorCode::kInvalidArgument, "ease: XᵀX + λI is not positive definite in float precision; "
                                               "raise regularization");
    progress.add();

    // P = G⁻¹, solved in fixed blocks of columns.
    weights_.assign(cells, 0.0f);
    MatrixMap inverse(weights_.data(), n, n);
    const auto blocks = static_cast<std::size_t>((n + kSolveBlock - 1) / kSolveBlock);
    parallel_for(0, blocks, options.threads, [&](std::size_t block) {
      const Eigen::Index first = static_cast<Eigen::Index>(block) * kSolveBlock;
      const Eigen::Index width = std::min(kSolveBlock, n - first);
      auto columns = inverse.middleCols(first, width);
      for (Eigen::Index col = 0; col < width; ++col) columns(first + col, col) = 1.0f;
      llt.solveInPlace(columns);
    }, 1);
    std::vector<float>().swap(gram_values);
    progress.add();

    // B_ij = −P_ij / P_jj, B_jj = 0. P is symmetric, so its column-major
    // storage read row-major is P again: row i of the buffer is P[i, :].
    std::vector<float> diagonal(items_.size());
    for (std::size_t j = 0; j < items_.size(); ++j) diagonal[j] = weights_[j * items_.size() + j];
    parallel_for(0, items_.size(), options.threads, [&](std::size_t i) {
      float* row = weights_.data() + i * items_.size();
      for (std::size_t j = 0; j < items_.size(); ++j) row[j] = -row[j] / diagonal[j];
      row[i] = 0.0f;
    });
    progress.finish();
  }

  void save_payload(std::ostream& out) const override {
    io::write_u32(out, static_cast<std::uint32_t>(items_.size()));
    io::write_u32s(out, items_);
    io::write_floats(out, weights_);
  }

  void load_payload(std::istream& in, std::uint32_t /*format_version*/) override {
    const std::uint32_t n = io::read_u32(in);
    items_ = io::read_u32s(in);
    if (items_.size() != n) throw_error(ErrorCode::kCorruption, "model file: ease: item list has the wrong length");
    for (std::size_t pos = 0; pos < items_.size(); ++pos) {
      if (items_[pos] >= item_count() || (pos > 0 && items_[pos] <= items_[pos - 1]))
        throw_error(ErrorCode::kCorruption, "model file: ease: item list out of range or out of order");
    }
    weights_ = io::read_floats(in);
    if (weights_.size() != static_cast<std::size_t>(n) * n)
      throw_error(ErrorCode::kCorruption, "model file: ease: weight matrix has the wrong size");
    build_compact(item_count());
  }

 private:
  void build_compact(std::uint32_t n_items) {
    compact_.assign(n_items, kNone);
    for (std::size_t pos = 0; pos < items_.size(); ++pos) compact_[items_[pos]] = static_cast<std::uint32_t>(pos);
  }

  Params params_;
  double regularization_;
  std::uint32_t max_items_;
  std::vector<std::uint32_t> items_;    // modelled items (with interactions), ascending
  std::vector<std::uint32_t> compact_;  // item index -> position in items_, kNone if not modelled
  std::vector<float> weights_;          // B, n x n row-major
};

}  // namespace

namespace detail {

std::vector<ParamSpec> ease_param_specs() {
  return {
      {"regularization", ParamSpec::Kind::kDouble, 400, 1e-3, 1e9,
       "L2 penalty lambda added to the diagonal of X^T X"},
      {"max_items", ParamSpec::Kind::kInt, 20000, 1, 200000,
       "refuse catalogues with more items with interactions than this (memory is 8 * items^2 bytes)"},
  };
}

std::unique_ptr<Recommender> make_ease(const Params& params) { return std::make_unique<Ease>(params); }

}  // namespace detail
}  // namespace tailor::model
