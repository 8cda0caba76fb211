// The recommendation query shared by `tailor recommend` and the server's
// /v1/users/{id}/recommendations: model answer over the user's live history
// from the store, category filter, MMR diversity, popular fallback.
#include <algorithm>

#include "tailor/core/core.h"
#include "tailor/rank/rank.h"

namespace tailor::rank {
namespace {

// Items by number of training users, for users the model cannot place.
std::vector<model::ScoredItem> popular_fallback(const model::Recommender& rec, const model::RecommendOptions& opts,
                                                const std::vector<std::uint32_t>& excluded) {
  std::vector<float> counts(rec.item_count(), 0.0f);
  for (auto item : rec.user_items().indices) counts[item] += 1.0f;
  model::TopK top(opts.n);
  for (std::uint32_t item_idx = 0; item_idx < counts.size(); ++item_idx) {
    if (std::binary_search(excluded.begin(), excluded.end(), item_idx)) continue;
    const auto& meta = rec.item_meta()[item_idx];
    if ((opts.exclude_hidden && meta.hidden) || (opts.exclude_unavailable && !meta.available)) continue;
    if (opts.filter && !opts.filter(item_idx)) continue;
    if (counts[item_idx] > 0) top.push(item_idx, counts[item_idx]);
  }
  return top.take();
}

// Jaccard overlap of two items' categories: the model-agnostic similarity
// behind diversity (MMR), so it works for every model.
float category_similarity(const std::vector<dataset::ItemMeta>& meta, std::uint32_t a, std::uint32_t b) {
  const auto& ca = meta[a].categories;
  const auto& cb = meta[b].categories;
  if (ca.empty() || cb.empty()) return 0;
  std::size_t common = 0;
  for (const auto& c : ca) common += std::find(cb.begin(), cb.end(), c) != cb.end();
  return static_cast<float>(common) / static_cast<float>(ca.size() + cb.size() - common);
}

}  // namespace

nlohmann::json scored_item_json(const store::Store& store, const std::string& item_id, float score) {
  nlohmann::json out = {{"item", item_id}, {"score", score}};
  if (auto item = store.get_item(item_id)) {
    out["title"] = item->title;
    out["categories"] = item->categories;
    if (item->price) out["price"] = *item->price;
  }
  return out;
}

RecommendResult recommend_for_user(const store::Store& store, const model::Recommender& rec,
                                   const RecommendQuery& query) {
  TAILOR_CHECK_ARG(query.n >= 1 && query.n <= 10000, "n must be in [1, 10000]");
  TAILOR_CHECK_ARG(query.diversity >= 0 && query.diversity <= 1, "diversity must be in [0, 1]");
  TAILOR_CHECK_ARG(query.attributes.is_object(), "attributes must be an object");

  model::RecommendOptions opts;
  opts.n = query.n;
  opts.exclude_seen = !query.include_seen;
  if (!query.categories.empty()) {
    const auto* meta = &rec.item_meta();
    auto cats = query.categories;
    const bool all = query.all_categories;
    opts.filter = [meta, cats, all](std::uint32_t item) {
      const auto& have = (*meta)[item].categories;
      const auto has = [&have](const std::string& c) { return std::find(have.begin(), have.end(), c) != have.end(); };
      return all ? std::all_of(cats.begin(), cats.end(), has) : std::any_of(cats.begin(), cats.end(), has);
    };
  }
  // The store knows events newer than the model: use them as the live history.
  RecommendResult out;
  std::vector<std::uint32_t> history;
  std::vector<float> weights;
  auto types = data::EventTypes::defaults();
  types.allow_unknown = true;
  const auto events = store.user_events(query.user);
  out.history_length = events.size();
  for (const auto& ev : events) {
    auto idx = rec.item_ids().find(ev.item_id);
    if (!idx) continue;
    history.push_back(*idx);
    weights.push_back(static_cast<float>(types.weight(ev.type, ev.value).value_or(1.0)));
  }
  std::vector<std::uint32_t> excluded;
  if (!query.include_seen) excluded = history;
  for (const auto& id : query.exclude)
    if (auto idx = rec.item_ids().find(id)) excluded.push_back(*idx);
  std::sort(excluded.begin(), excluded.end());
  excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
  opts.exclude = excluded;

  // Attributes: the store's, overridden by the query's; models with attribute
  // cold start (hybrid) use them for users without history.
  if (auto user = store.get_user(query.user)) opts.user_attributes = user->attributes;
  for (auto it = query.attributes.begin(); it != query.attributes.end(); ++it) opts.user_attributes[it.key()] = *it;
  const std::size_t n = opts.n;
  if (query.diversity > 0) opts.n = std::min<std::size_t>(n * 4, 10000);  // MMR picks from a wider pool

  auto known = rec.user_ids().find(query.user);
  // Fold-in: a known user whose live history holds items the training row
  // lacks (feedback since the model was trained) is scored as a history
  // query over training row ∪ new items, so the new feedback moves the
  // answer now, not at the next retrain. Training items keep their training
  // weights (decay included); new ones get their event-type weights, summed
  // over repeats. Factor models solve for a fresh user vector from that
  // history (ALS: x = (YᵀCY + λI)⁻¹ YᵀCp), neighbourhood models sum the
  // neighbours of every item. Repeats of already-trained items (and
  // non-positive weights) wait for the retrain.
  std::vector<std::uint32_t> folded_items;
  std::vector<float> folded_weights;
  if (known) {
    const auto row = rec.user_items().row_indices(*known);
    const auto row_weights = rec.user_items().row_values(*known);
    for (std::size_t pos = 0; pos < history.size(); ++pos)
      if (weights[pos] > 0 && !std::binary_search(row.begin(), row.end(), history[pos])) {
        folded_items.push_back(history[pos]);
        folded_weights.push_back(weights[pos]);
      }
    if (!folded_items.empty()) {
      folded_items.insert(folded_items.end(), row.begin(), row.end());
      folded_weights.insert(folded_weights.end(), row_weights.begin(), row_weights.end());
    }
  }
  if (known && folded_items.empty()) {
    out.items = rec.recommend(*known, opts);
    out.source = "model";
  } else if (known) {
    out.items = rec.recommend_history(folded_items, folded_weights, opts);
    out.source = "model (new feedback folded in)";
  } else {
    out.items = rec.recommend_history(history, weights, opts);
    out.source = history.empty() ? "model (attributes only)" : "model (history from store)";
  }
  if (query.diversity > 0 && !out.items.empty()) {
    const auto& meta = rec.item_meta();
    // MMR(i) = (1 - d)·rel(i) - d·max_{j in picked} sim(i, j); relevance rescaled to [0, 1].
    const float top = out.items.front().score, low = out.items.back().score;
    for (auto& r : out.items) r.score = top > low ? (r.score - low) / (top - low) : 1.0f;
    std::vector<model::ScoredItem> relevance = out.items;
    out.items = model::mmr_rerank(out.items, n, 1.0 - query.diversity,
                                  [&meta](std::uint32_t a, std::uint32_t b) { return category_similarity(meta, a, b); });
    // Report each item's relevance, not its MMR value at pick time.
    for (auto& r : out.items)
      for (const auto& rel : relevance)
        if (rel.item == r.item) r.score = rel.score;
  }
  opts.n = n;
  if (out.items.empty()) {
    if (!known && !store.get_user(query.user) && history.empty())
      log_info("user '" + query.user + "' is unknown; answering with popular items");
    out.items = popular_fallback(rec, opts, excluded);
    out.source = "popular (cold start)";
  }
  return out;
}

}  // namespace tailor::rank
