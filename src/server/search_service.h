// GET /v1/search: semantic search over the catalogue for the server.
//
// The embedder is opened on the first search (a server that never searches
// never loads a language model), the item vectors come from the store's
// embedding cache (semantic::refresh_item_vectors: only new or changed items
// are embedded) and the ANN index is rebuilt only when the catalogue
// generation moved. Intent parsing uses the rules plus the embedder, never the
// generator: a request must not wait seconds for a 135M-parameter model.
//
// Thread-safety: the vectors and index are an immutable snapshot behind a
// shared_ptr; a rebuild happens under a mutex while other requests keep
// searching the previous snapshot. The embedder serialises its own calls.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "tailor/ann/ann.h"
#include "tailor/llm/llm.h"
#include "tailor/model/model.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::server {

class SearchService {
 public:
  SearchService(store::Store& store, llm::LlmConfig config);

  // {"query", "intent": {...}, "items": [{"item","score","semantic","personal","categories","title","price","reason"}]}
  // `catalogue_generation` is the server's catalogue write counter; `model` may be null.
  nlohmann::json search(const std::string& query, const std::string& user, std::size_t n,
                        const model::Recommender* model, std::uint64_t catalogue_generation);

  bool loaded() const;

 private:
  struct Snapshot {
    semantic::ItemVectors vectors;
    std::unique_ptr<ann::Index> index;
    std::uint64_t generation = 0;
  };
  std::shared_ptr<const Snapshot> snapshot_for(std::uint64_t generation);

  store::Store& store_;
  llm::LlmConfig config_;
  mutable std::mutex mutex_;  // guards embedder_ creation and snapshot_ rebuilds
  std::unique_ptr<llm::Embedder> embedder_;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace tailor::server
