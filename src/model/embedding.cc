// Scoring by item text vectors (see embedding.h for the maths) and
// similar_by_content().
#include "embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tailor::model {
namespace {

constexpr float kUnknown = -std::numeric_limits<float>::infinity();

// Scales `row` to unit length; a zero row stays zero.
void normalise(std::span<float> row) {
  double sum = 0;
  for (float v : row) sum += static_cast<double>(v) * v;
  if (sum <= 0) return;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& v : row) v *= inv;
}

}  // namespace

namespace detail {

void EmbeddingScorer::fit(const dataset::ContentVectors& vectors, std::uint32_t user_count,
                          std::span<const dataset::Interaction> train, double recent_half_life) {
  vectors_ = vectors;
  profiles_.clear();
  if (vectors_.empty()) return;
  const std::size_t dim = vectors_.dim;
  const auto n_items = static_cast<std::uint32_t>(vectors_.rows.size() / dim);
  // Per user, positions of their interactions in time order.
  std::vector<std::vector<std::size_t>> by_user(user_count);
  for (std::size_t pos = 0; pos < train.size(); ++pos)
    if (train[pos].user < user_count && train[pos].item < n_items) by_user[train[pos].user].push_back(pos);
  profiles_.assign(std::size_t{user_count} * dim, 0.0f);
  for (std::uint32_t user_idx = 0; user_idx < user_count; ++user_idx) {
    auto& positions = by_user[user_idx];
    std::stable_sort(positions.begin(), positions.end(), [&](std::size_t a, std::size_t b) {
      return train[a].timestamp != train[b].timestamp ? train[a].timestamp < train[b].timestamp
                                                      : train[a].item < train[b].item;
    });
    std::span<float> profile(profiles_.data() + std::size_t{user_idx} * dim, dim);
    for (std::size_t rank = 0; rank < positions.size(); ++rank) {
      const dataset::Interaction& x = train[positions[rank]];
      const double age = static_cast<double>(positions.size() - 1 - rank);
      const double recency = recent_half_life > 0 ? std::exp2(-age / recent_half_life) : 1.0;
      const auto w = static_cast<float>(x.weight * recency);
      const auto v = vectors_.row(x.item);
      for (std::size_t d = 0; d < dim; ++d) profile[d] += w * v[d];
    }
    normalise(profile);
  }
}

void EmbeddingScorer::score_profile(std::span<const float> profile, std::span<float> scores) const {
  const std::size_t dim = vectors_.dim;
  bool any = false;
  for (float v : profile) any = any || v != 0.0f;
  for (std::uint32_t item_idx = 0; item_idx < scores.size(); ++item_idx) {
    if (!any || (std::size_t{item_idx} + 1) * dim > vectors_.rows.size()) {
      scores[item_idx] = kUnknown;
      continue;
    }
    const float* v = vectors_.rows.data() + std::size_t{item_idx} * dim;
    float dot = 0;
    bool has = false;
    for (std::size_t d = 0; d < dim; ++d) {
      dot += profile[d] * v[d];
      has = has || v[d] != 0.0f;
    }
    scores[item_idx] = has ? dot : kUnknown;
  }
}

void EmbeddingScorer::score_user(std::uint32_t user, std::span<float> scores) const {
  const std::size_t dim = vectors_.dim;
  if (empty() || (std::size_t{user} + 1) * dim > profiles_.size()) {
    std::fill(scores.begin(), scores.end(), kUnknown);
    return;
  }
  score_profile({profiles_.data() + std::size_t{user} * dim, dim}, scores);
}

void EmbeddingScorer::score_history(std::span<const std::uint32_t> items, std::span<const float> weights,
                                    std::span<float> scores) const {
  if (empty()) {
    std::fill(scores.begin(), scores.end(), kUnknown);
    return;
  }
  const std::size_t dim = vectors_.dim;
  std::vector<float> profile(dim, 0.0f);
  for (std::size_t pos = 0; pos < items.size(); ++pos) {
    if ((std::size_t{items[pos]} + 1) * dim > vectors_.rows.size()) continue;
    const float w = weights.empty() ? 1.0f : weights[pos];
    const auto v = vectors_.row(items[pos]);
    for (std::size_t d = 0; d < dim; ++d) profile[d] += w * v[d];
  }
  normalise(profile);
  score_profile(profile, scores);
}

void EmbeddingScorer::save(std::ostream& out) const {
  io::write_u32(out, vectors_.dim);
  io::write_string(out, vectors_.model_id);
  io::write_floats(out, vectors_.rows);
  io::write_floats(out, profiles_);
}

void EmbeddingScorer::load(std::istream& in, std::uint32_t item_count, std::uint32_t user_count) {
  dataset::ContentVectors vectors;
  vectors.dim = io::read_u32(in);
  vectors.model_id = io::read_string(in);
  vectors.rows = io::read_floats(in);
  std::vector<float> profiles = io::read_floats(in);
  const std::size_t dim = vectors.dim;
  if (vectors.rows.size() != std::size_t{item_count} * dim || profiles.size() != std::size_t{user_count} * dim)
    throw_error(ErrorCode::kCorruption, "model file: item vectors do not match the items and users");
  vectors_ = std::move(vectors);
  profiles_ = std::move(profiles);
}

}  // namespace detail

std::vector<ScoredItem> similar_by_content(const dataset::ContentVectors& vectors, std::uint32_t item,
                                           std::size_t n) {
  if (vectors.empty() || !vectors.has(item)) return {};
  const std::size_t dim = vectors.dim;
  const auto n_items = static_cast<std::uint32_t>(vectors.rows.size() / dim);
  const auto query = vectors.row(item);
  TopK top(n);
  for (std::uint32_t item_idx = 0; item_idx < n_items; ++item_idx) {
    if (item_idx == item) continue;
    const float* v = vectors.rows.data() + std::size_t{item_idx} * dim;
    float dot = 0;
    bool has = false;
    for (std::size_t d = 0; d < dim; ++d) {
      dot += query[d] * v[d];
      has = has || v[d] != 0.0f;
    }
    if (has) top.push(item_idx, dot);
  }
  return top.take();
}

}  // namespace tailor::model
