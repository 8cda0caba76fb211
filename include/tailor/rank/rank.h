// Front door of the rank component: the recommendation pipeline that every
// face of Tailor answers with — `tailor recommend`, the server's
// /v1/users/{id}/recommendations and Gorse's /api/recommend. It turns a model
// and the user's live history in the store into the final list: fold-in of
// feedback newer than the model, caller filters (categories, exclusions, seen
// items), MMR diversity, and the popular fallback for users the model cannot
// place. Business rules that must hold whatever the model (suitability,
// negative feedback, experiments) belong here, in the one place every path
// goes through.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/data/data.h"
#include "tailor/model/model.h"
#include "tailor/store/store.h"

namespace tailor::rank {

// One recommendation query, as `tailor recommend` flags or the
// /v1/users/{id}/recommendations query string give it.
struct RecommendQuery {
  std::string user;
  std::size_t n = 10;                    // [1, 10000]
  std::vector<std::string> categories;   // only items in one of these (empty = all)
  bool all_categories = false;           // only items in every one of them (Gorse's repeated category)
  std::vector<std::string> exclude;      // item ids to leave out
  double diversity = 0;                  // MMR over categories, [0, 1]; 0 = off
  bool include_seen = false;             // allow items the user already interacted with
  nlohmann::json attributes = nlohmann::json::object();  // override the store's user attributes
};

struct RecommendResult {
  std::vector<model::ScoredItem> items;  // indexes of the model's item map, best first
  std::string source;                    // "model", "model (history from store)", "popular (cold start)", ...
  std::size_t history_length = 0;        // events of the user read from the store for this answer
};

// The recommendation logic shared by `tailor recommend` and the server. The
// user's history is read from the store on every call, so items the user
// interacted with after training are excluded at once; a known user with
// such new items is scored by recommend_history() on training row ∪ new
// items (their feedback folded in, source "model (new feedback folded in)"),
// and a user unknown to the model on that fresh history; the popular list is
// the last resort. InvalidArgument names the bad field.
// Thread-safe: const store and model are only read.
RecommendResult recommend_for_user(const store::Store& store, const model::Recommender& model,
                                   const RecommendQuery& query);

// {"item", "score", "title", "categories", "price"} of one answer row.
nlohmann::json scored_item_json(const store::Store& store, const std::string& item_id, float score);

// --------------------------------------------------------- similar items ---

// What "similar" means for `tailor similar --by` and /v1/items/{id}/similar?by=.
enum class SimilarBy {
  kModel,      // the current model's own similar_items (the default)
  kContent,    // cosine of the items' text vectors (needs `tailor embed-items`; items need no events)
  kBehaviour,  // cosine of the items' training users: "people who used this also used"
  kHybrid,     // content and behaviour blended; items without events take their content score
};
// "model", "content", "behaviour" (or "behavior"), "hybrid"; InvalidArgument naming "by".
SimilarBy parse_similar_by(const std::string& name);
std::string similar_by_name(SimilarBy by);

struct SimilarResult {
  std::vector<model::ScoredItem> items;  // indexes of the model's item map, best first
  std::string source;                    // how the list was made ("content", "hybrid (content only: ...)", ...)
};

// Items similar to `item` (an index of model.item_ids()), never itself. `content` are text
// vectors aligned with the model's item map (semantic::align_item_vectors), or null/empty
// when the store has none: then kContent is Unavailable naming `tailor embed-items`, and
// kHybrid answers from behaviour alone (and says so in `source`).
//   behaviour(i, j) = |U_i ∩ U_j| / √(|U_i| · |U_j|)   (U = the item's training users)
//   hybrid(i, j)    = ½ · b(i, j) / max_j b + ½ · (c(i, j) − min_j c) / (max_j c − min_j c)
// where b is replaced by c for an item with no training users (new items
// compete on their text), and a query item with no users uses c alone.
// Hidden and unavailable items are left out. Thread-safe.
SimilarResult similar_items(const model::Recommender& model, std::uint32_t item, std::size_t n, SimilarBy by,
                            const dataset::ContentVectors* content);

// ----------------------------------------------------------- suitability ---
//
// Investor suitability (证券期货投资者适当性管理办法 Art. 18-22; MiFID II
// suitability): a product whose risk rating exceeds the investor's class is
// never recommended or marketed, whatever a model scores. Products carry the
// item attribute `risk_rating` "R1".."R5"; investors the user attribute
// `risk_class` "C1".."C5" (C1 includes the "lowest category" investor). An
// item without `risk_rating` is not a regulated product and is unaffected.
// An investor without a valid class (none, malformed, or assessed longer ago
// than the validity) may only be offered R1.
//
// The rule: allowed(C, R) = R <= C, and R == 1 for an investor without a
// valid class. Every path that shows or sends an item to a user calls
// check_suitability (or a filter built from it); campaigns report its refusal
// as the reason code "not_suitable".

// 1..5 for "R1".."R5" (case-insensitive, surrounding spaces ignored); nullopt
// when the item has no risk_rating. A risk_rating that is present but not one
// of R1..R5 counts as R5, the most restrictive reading of a product we cannot classify.
std::optional<int> item_risk_rating(const data::Item& item);

struct InvestorClass {
  int level = 0;       // 1..5 for C1..C5; 0 = no valid class
  std::string reason;  // why there is no valid class ("" when level > 0)
};

// The user's class from attribute `risk_class`; when the user also has
// `risk_assessed_at` (Unix seconds or ISO 8601) older than validity_days
// before `now`, the class has expired and counts as missing. `user` may be
// null (an unknown user: no class).
InvestorClass investor_class(const data::User* user, Timestamp now, int validity_days = 365);

// nullopt when `item` may be offered to an investor of class `investor`;
// otherwise a human-readable explanation (the campaign reason code for it is
// "not_suitable").
std::optional<std::string> check_suitability(const InvestorClass& investor, const data::Item& item);

}  // namespace tailor::rank
