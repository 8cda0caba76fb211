// Similar items by content, behaviour or both (rank.h): the one answer
// `tailor similar` and /v1/items/{id}/similar share.
#include <algorithm>
#include <cmath>

#include "tailor/core/core.h"
#include "tailor/rank/rank.h"

namespace tailor::rank {
namespace {

// Item-item cosine over binary training users, for one query item:
// one pass over the query item's users' rows.
std::vector<float> behaviour_scores(const model::Recommender& rec, std::uint32_t item) {
  const auto& ui = rec.user_items();
  std::vector<float> users_of(rec.item_count(), 0.0f);
  for (std::uint32_t item_idx : ui.indices) users_of[item_idx] += 1.0f;
  std::vector<float> overlap(rec.item_count(), 0.0f);
  for (std::uint32_t user_idx = 0; user_idx < ui.rows; ++user_idx) {
    const auto row = ui.row_indices(user_idx);
    if (!std::binary_search(row.begin(), row.end(), item)) continue;
    for (std::uint32_t other : row) overlap[other] += 1.0f;
  }
  std::vector<float> scores(rec.item_count(), 0.0f);
  for (std::uint32_t item_idx = 0; item_idx < rec.item_count(); ++item_idx)
    if (overlap[item_idx] > 0 && users_of[item_idx] > 0 && users_of[item] > 0)
      scores[item_idx] = overlap[item_idx] / std::sqrt(users_of[item_idx] * users_of[item]);
  scores[item] = 0;  // never the item itself (it would also set the scale of the hybrid blend)
  return scores;
}

bool shown(const model::Recommender& rec, std::uint32_t item) {
  const auto& meta = rec.item_meta()[item];
  return !meta.hidden && meta.available;
}

std::vector<model::ScoredItem> top_of(const model::Recommender& rec, std::span<const float> scores, std::uint32_t self,
                                      std::size_t n) {
  model::TopK top(n);
  for (std::uint32_t item_idx = 0; item_idx < scores.size(); ++item_idx)
    if (item_idx != self && scores[item_idx] > 0 && shown(rec, item_idx)) top.push(item_idx, scores[item_idx]);
  return top.take();
}

}  // namespace

SimilarBy parse_similar_by(const std::string& name) {
  if (name == "model") return SimilarBy::kModel;
  if (name == "content") return SimilarBy::kContent;
  if (name == "behaviour" || name == "behavior") return SimilarBy::kBehaviour;
  if (name == "hybrid") return SimilarBy::kHybrid;
  throw_error(ErrorCode::kInvalidArgument, "by: unknown '" + name + "' (expected model, content, behaviour or hybrid)");
}

std::string similar_by_name(SimilarBy by) {
  switch (by) {
    case SimilarBy::kModel: return "model";
    case SimilarBy::kContent: return "content";
    case SimilarBy::kBehaviour: return "behaviour";
    case SimilarBy::kHybrid: return "hybrid";
  }
  return "model";
}

SimilarResult similar_items(const model::Recommender& rec, std::uint32_t item, std::size_t n, SimilarBy by,
                            const dataset::ContentVectors* content) {
  TAILOR_CHECK_ARG(item < rec.item_count(), "item index out of range");
  TAILOR_CHECK_ARG(n >= 1 && n <= 10000, "n must be in [1, 10000]");
  const bool have_content = content != nullptr && !content->empty() &&
                            content->rows.size() == std::size_t{rec.item_count()} * content->dim;
  SimilarResult out;
  out.source = similar_by_name(by);
  switch (by) {
    case SimilarBy::kModel: {
      for (const auto& r : rec.similar_items(item, n * 2 + 10))
        if (out.items.size() < n && shown(rec, r.item)) out.items.push_back(r);
      out.source = "model (" + rec.name() + ")";
      return out;
    }
    case SimilarBy::kContent: {
      if (!have_content)
        throw_error(ErrorCode::kUnavailable,
                    "by=content needs item text vectors: run `tailor embed-items` (and retrain for new items)");
      std::vector<float> scores(rec.item_count(), 0.0f);
      for (const auto& r : model::similar_by_content(*content, item, rec.item_count())) scores[r.item] = r.score;
      out.items = top_of(rec, scores, item, n);
      return out;
    }
    case SimilarBy::kBehaviour:
      out.items = top_of(rec, behaviour_scores(rec, item), item, n);
      return out;
    case SimilarBy::kHybrid:
      break;
  }
  std::vector<float> behaviour = behaviour_scores(rec, item);
  if (!have_content) {
    out.items = top_of(rec, behaviour, item, n);
    out.source = "hybrid (behaviour only: no item text vectors, run tailor embed-items)";
    return out;
  }
  // Text cosines of small embedders crowd into a narrow band (e5-small: ~0.75–0.95 for
  // unrelated products), so c is min-max scaled over the items that have a vector;
  // scaled by its maximum alone, an unrelated new item would outrank co-purchased ones.
  std::vector<float> by_text(rec.item_count(), 0.0f);
  const auto text = model::similar_by_content(*content, item, rec.item_count());
  float low_c = 0, top_c = 0;
  if (!text.empty()) {
    top_c = text.front().score;
    low_c = text.back().score;
  }
  for (const auto& r : text) by_text[r.item] = top_c > low_c ? (r.score - low_c) / (top_c - low_c) : 1.0f;
  std::vector<bool> has_users(rec.item_count(), false);
  for (std::uint32_t item_idx : rec.user_items().indices) has_users[item_idx] = true;
  const float top_b = *std::max_element(behaviour.begin(), behaviour.end());
  std::vector<float> blended(rec.item_count(), 0.0f);
  for (std::uint32_t item_idx = 0; item_idx < rec.item_count(); ++item_idx) {
    const float c = by_text[item_idx];
    const float b = (!has_users[item] || !has_users[item_idx]) ? c : (top_b > 0 ? behaviour[item_idx] / top_b : 0.0f);
    blended[item_idx] = 0.5f * b + 0.5f * c;
  }
  out.items = top_of(rec, blended, item, n);
  if (!has_users[item]) out.source = "hybrid (content only: the item has no events)";
  return out;
}

}  // namespace tailor::rank
