#include "search_service.h"

#include <utility>

#include "tailor/core/core.h"

namespace tailor::server {

SearchService::SearchService(store::Store& store, llm::LlmConfig config) : store_(store), config_(std::move(config)) {}

bool SearchService::loaded() const {
  std::lock_guard lock(mutex_);
  return embedder_ != nullptr;
}

std::shared_ptr<const SearchService::Snapshot> SearchService::snapshot_for(std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (!embedder_) embedder_ = llm::open_embedder(config_);  // NotFound/Corruption/Unavailable reach the client as 4xx/5xx
  if (snapshot_ && snapshot_->generation == generation) return snapshot_;
  auto next = std::make_shared<Snapshot>();
  next->vectors = semantic::refresh_item_vectors(store_, *embedder_);
  next->index = ann::make_index(next->vectors.dim, next->vectors.item_ids.size());
  if (!next->vectors.rows.empty()) next->index->add(next->vectors.rows);
  next->generation = generation;
  if (next->vectors.embedded_now > 0)
    log_info("search: embedded " + std::to_string(next->vectors.embedded_now) + " new or changed items");
  snapshot_ = std::move(next);
  return snapshot_;
}

nlohmann::json SearchService::search(const std::string& query, const std::string& user, std::size_t n,
                                     const model::Recommender* model, std::uint64_t catalogue_generation) {
  const auto snap = snapshot_for(catalogue_generation);
  semantic::SearchOptions options;
  options.n = n;
  options.user = user;
  const semantic::SearchResult result =
      semantic::search(store_, snap->vectors, *snap->index, *embedder_, nullptr, user.empty() ? nullptr : model,
                       query, options);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& hit : result.hits)
    items.push_back(semantic::hit_json(hit));
  return {{"query", query}, {"intent", result.intent.to_json()}, {"items", std::move(items)}};
}

}  // namespace tailor::server
