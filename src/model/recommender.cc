// The Recommender base: fit bookkeeping, the shared recommend paths, the
// collector and TopK. Models only implement the kernel (score) and training.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tailor/model/model.h"

namespace tailor::model {

// ------------------------------------------------------------------ TopK ---

namespace {

// a ranks before b: higher score, then smaller item index.
bool better(const ScoredItem& a, const ScoredItem& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.item < b.item;
}

bool keepable(float score) { return score > -std::numeric_limits<float>::infinity(); }  // false for NaN

}  // namespace

// heap_ is a binary heap ordered by `better`, so its front is the worst kept pair.
bool TopK::accepts(std::uint32_t item, float score) const {
  if (n_ == 0 || !keepable(score)) return false;
  if (heap_.size() < n_) return true;
  return better({item, score}, heap_.front());
}

void TopK::push(std::uint32_t item, float score) {
  if (!accepts(item, score)) return;
  if (heap_.size() == n_) {
    std::pop_heap(heap_.begin(), heap_.end(), better);
    heap_.pop_back();
  }
  heap_.push_back({item, score});
  std::push_heap(heap_.begin(), heap_.end(), better);
}

std::vector<ScoredItem> TopK::take() {
  std::sort_heap(heap_.begin(), heap_.end(), better);  // ascending by `better` = best first
  return std::move(heap_);
}

// ----------------------------------------------------------- Recommender ---

void Recommender::fit(const Dataset& dataset, std::span<const dataset::Interaction> train,
                      const FitOptions& options) {
  user_ids_ = dataset.users;
  item_ids_ = dataset.items;
  item_meta_ = dataset.item_meta;
  item_meta_.resize(dataset.item_count());
  // build_csr checks that every training interaction lies inside the id maps.
  user_items_ = dataset::build_csr(train, dataset.user_count(), dataset.item_count());
  fitting_dataset_ = &dataset;
  try {
    fit_model(user_items_, train, options);
  } catch (...) {
    fitting_dataset_ = nullptr;
    throw;
  }
  fitting_dataset_ = nullptr;
}

void Recommender::score_in_context(std::optional<std::uint32_t> user, std::span<const std::uint32_t> history_items,
                                   std::span<const float> history_weights, const RecommendOptions& /*options*/,
                                   std::span<float> scores) const {
  score(user, history_items, history_weights, scores);
}

void Recommender::score_user(std::uint32_t user, std::span<float> scores) const {
  TAILOR_CHECK_ARG(user < user_count(), "score_user: user index " + std::to_string(user) + " out of range (" +
                                            std::to_string(user_count()) + " users)");
  TAILOR_CHECK_ARG(scores.size() == item_count(), "score_user: score buffer must hold one score per item");
  score(user, user_items_.row_indices(user), user_items_.row_values(user), scores);
}

std::vector<ScoredItem> Recommender::recommend(std::uint32_t user, const RecommendOptions& options) const {
  TAILOR_CHECK_ARG(user < user_count(), "recommend: user index " + std::to_string(user) + " out of range (" +
                                            std::to_string(user_count()) + " users)");
  std::vector<float> scores(item_count());
  auto history = user_items_.row_indices(user);
  score_in_context(user, history, user_items_.row_values(user), options, scores);
  return collect(scores, history, options);
}

namespace {

// Sorted, unique history: what the kernels expect (the same shape as a CSR
// row). Repeated items are merged with their weights summed.
struct MergedHistory {
  std::vector<std::uint32_t> items;
  std::vector<float> weights;
};

MergedHistory merge_history(std::span<const std::uint32_t> history_items, std::span<const float> history_weights,
                            std::uint32_t item_count, const char* caller) {
  TAILOR_CHECK_ARG(history_weights.empty() || history_weights.size() == history_items.size(),
                   std::string(caller) + ": history_weights must be empty or as long as history_items");
  std::vector<ScoredItem> pairs;
  pairs.reserve(history_items.size());
  for (std::size_t pos = 0; pos < history_items.size(); ++pos) {
    TAILOR_CHECK_ARG(history_items[pos] < item_count, std::string(caller) + ": item index " +
                                                          std::to_string(history_items[pos]) + " out of range (" +
                                                          std::to_string(item_count) + " items)");
    pairs.push_back({history_items[pos], history_weights.empty() ? 1.0f : history_weights[pos]});
  }
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.item < b.item; });
  MergedHistory out;
  for (const ScoredItem& pair : pairs) {
    if (!out.items.empty() && out.items.back() == pair.item) {
      out.weights.back() += pair.score;
    } else {
      out.items.push_back(pair.item);
      out.weights.push_back(pair.score);
    }
  }
  return out;
}

}  // namespace

std::vector<ScoredItem> Recommender::recommend_history(std::span<const std::uint32_t> history_items,
                                                       std::span<const float> history_weights,
                                                       const RecommendOptions& options) const {
  MergedHistory history = merge_history(history_items, history_weights, item_count(), "recommend_history");
  std::vector<float> scores(item_count());
  score_in_context(std::nullopt, history.items, history.weights, options, scores);
  return collect(scores, history.items, options);
}

void Recommender::score_history(std::span<const std::uint32_t> history_items, std::span<const float> history_weights,
                                std::span<float> scores) const {
  TAILOR_CHECK_ARG(scores.size() == item_count(), "score_history: score buffer must hold one score per item");
  MergedHistory history = merge_history(history_items, history_weights, item_count(), "score_history");
  score(std::nullopt, history.items, history.weights, scores);
}

// Walks items in index order; sorted `seen` and `exclude` are merged in with
// cursors. Metadata checks and the filter callback run only for candidates
// that would enter the top-k, so a costly filter is called rarely.
std::vector<ScoredItem> Recommender::collect(std::span<const float> scores, std::span<const std::uint32_t> seen,
                                             const RecommendOptions& options) const {
  TAILOR_CHECK_ARG(scores.size() == item_count(), "collect: score buffer must hold one score per item");
  if (options.n == 0) return {};
  std::vector<std::uint32_t> exclude(options.exclude.begin(), options.exclude.end());
  std::sort(exclude.begin(), exclude.end());
  std::size_t seen_pos = 0;
  std::size_t exclude_pos = 0;
  TopK top(options.n);
  const auto n_items = static_cast<std::uint32_t>(scores.size());
  for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx) {
    const float s = scores[item_idx];
    if (!top.accepts(item_idx, s)) continue;
    if (options.exclude_seen) {
      while (seen_pos < seen.size() && seen[seen_pos] < item_idx) ++seen_pos;
      if (seen_pos < seen.size() && seen[seen_pos] == item_idx) continue;
    }
    while (exclude_pos < exclude.size() && exclude[exclude_pos] < item_idx) ++exclude_pos;
    if (exclude_pos < exclude.size() && exclude[exclude_pos] == item_idx) continue;
    const dataset::ItemMeta& meta = item_meta_[item_idx];
    if (options.exclude_hidden && meta.hidden) continue;
    if (options.exclude_unavailable && !meta.available) continue;
    if (options.filter && !options.filter(item_idx)) continue;
    top.push(item_idx, s);
  }
  return top.take();
}

}  // namespace tailor::model
