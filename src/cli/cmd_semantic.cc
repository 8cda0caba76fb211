// `tailor search` and `tailor embed-items`: semantic retrieval from the
// command line.
//
// search refreshes the item embedding cache first (only new or changed items
// are embedded, so a repeated search costs one artifact read), builds an ANN
// index over the vectors (exact below the crossover, HNSW above), parses the
// query's intent (with the generator unless --no-generator) and prints the
// ranked hits. With --user the current recommender personalises the ranking
// (trained on the spot when the store has none, as `tailor recommend` does).
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "tailor/ann/ann.h"
#include "tailor/core/core.h"
#include "tailor/model/model.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct SearchArgs {
  std::string db;
  std::string query;
  std::string user;
  std::size_t n = 10;
  std::string model;
  double personal_weight = 0.3;
  bool no_filters = false;
  LlmFlags llm;
};

void run_search(SearchArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.n >= 1 && args.n <= 1000, "--n must be in [1, 1000]");
  TAILOR_CHECK_ARG(args.personal_weight >= 0 && args.personal_weight <= 1, "--personal-weight must be in [0, 1]");
  TAILOR_CHECK_ARG(!args.query.empty(), "--query must not be empty");
  apply_llm_env(args.llm);
  auto store = store::open_store(args.db);
  auto embedder = llm::open_embedder(args.llm.config);
  const semantic::ItemVectors vectors = semantic::refresh_item_vectors(*store, *embedder);
  if (vectors.embedded_now > 0) log_info("embedded " + std::to_string(vectors.embedded_now) + " new or changed items");
  auto index = ann::make_index(vectors.dim, vectors.item_ids.size());
  index->add(vectors.rows);
  std::unique_ptr<llm::Generator> generator;
  if (!args.llm.no_generator) generator = llm::open_generator(args.llm.config);

  std::unique_ptr<model::Recommender> rec;
  if (!args.user.empty()) {
    if (store->stats().events == 0) {
      log_info("the store has no events yet: results are not personalised");
    } else {
      bool trained_now = false;
      rec = load_or_train_model(*store, args.model, global, trained_now);
    }
  }
  semantic::SearchOptions options;
  options.n = args.n;
  options.user = args.user;
  options.personal_weight = args.personal_weight;
  options.use_intent_filters = !args.no_filters;
  const semantic::SearchResult result =
      semantic::search(*store, vectors, *index, *embedder, generator.get(), rec.get(), args.query, options);

  if (global.json) {
    // The stable shape: a list of hit objects (item, score, categories, reason, ...).
    nlohmann::json hits = nlohmann::json::array();
    for (const auto& hit : result.hits) hits.push_back(semantic::hit_json(hit));
    print_json(hits);
    return;
  }
  std::printf("intent (%s): %s\n", result.intent.method.c_str(), result.intent.to_json().dump().c_str());
  if (result.hits.empty()) std::printf("no items match\n");
  int rank = 1;
  for (const auto& hit : result.hits) {
    std::string categories;
    for (const auto& c : hit.categories) categories += (categories.empty() ? "" : ", ") + c;
    char price[48] = "";
    if (hit.price) std::snprintf(price, sizeof price, "  %.2f", *hit.price);
    std::printf("%3d. %-14s %6.3f  %s  [%s]%s\n     %s\n", rank++, hit.item.c_str(), hit.score, hit.title.c_str(),
                categories.c_str(), price, hit.reason.c_str());
  }
}

struct EmbedItemsArgs {
  std::string db;
  LlmFlags llm;
};

void run_embed_items(EmbedItemsArgs& args, const GlobalOptions& global) {
  apply_llm_env(args.llm);
  auto store = store::open_store(args.db);
  auto embedder = llm::open_embedder(args.llm.config);
  const auto started = std::chrono::steady_clock::now();
  const semantic::ItemVectors vectors = semantic::refresh_item_vectors(*store, *embedder);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::size_t cached = vectors.item_ids.size() - vectors.embedded_now;
  nlohmann::json doc = {{"model", vectors.model_id},
                        {"dim", vectors.dim},
                        {"items", vectors.item_ids.size()},
                        {"embedded_now", vectors.embedded_now},
                        {"cached", cached},
                        {"seconds", seconds},
                        {"items_per_second", seconds > 0 && vectors.embedded_now > 0 ? vectors.embedded_now / seconds : 0.0}};
  if (global.json) {
    print_json(doc);
    return;
  }
  std::printf("%zu items: embedded %zu now, %zu from the cache (model %s, dim %d) in %.2fs\n", vectors.item_ids.size(),
              vectors.embedded_now, cached, vectors.model_id.c_str(), vectors.dim, seconds);
}

}  // namespace

void register_semantic(CLI::App& app, GlobalOptions& global) {
  auto search_args = std::make_shared<SearchArgs>();
  auto* search = app.add_subcommand("search", "Items for a free-text query (zh/en), optionally personalised for a user");
  search->add_option("--db", search_args->db, "Store: SQLite file path or sqlite:// URL")->required();
  search->add_option("--query", search_args->query, "What the user is looking for, e.g. \"蓝牙耳机\" or \"laptop under 6000\"")
      ->required();
  search->add_option("--user", search_args->user, "Personalise for this user (their history in the store)");
  search->add_option("--n", search_args->n, "How many items")->check(CLI::Range(1, 1000));
  search->add_option("--model", search_args->model, "Recommender for personalisation (default: the current model)");
  search->add_option("--personal-weight", search_args->personal_weight,
                     "Weight of the user's recommender score against semantic match, 0..1")
      ->check(CLI::Range(0.0, 1.0));
  search->add_flag("--no-filters", search_args->no_filters, "Ignore the intent's price, category and exclude filters");
  add_llm_flags(search, search_args->llm);
  search->add_flag("--json", global.json, "Print a JSON list of hits");
  search->callback([search_args, &global] { run_search(*search_args, global); });

  auto embed_args = std::make_shared<EmbedItemsArgs>();
  auto* embed = app.add_subcommand("embed-items", "Embed the catalogue's new and changed items into the store's cache");
  embed->add_option("--db", embed_args->db, "Store: SQLite file path or sqlite:// URL")->required();
  add_llm_flags(embed, embed_args->llm);
  embed->add_flag("--json", global.json, "Print the counts as JSON");
  embed->callback([embed_args, &global] { run_embed_items(*embed_args, global); });
}

}  // namespace tailor::cli
