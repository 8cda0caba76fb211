// `tailor stats`, `tailor recommend`, `tailor similar`: read-side commands.
// recommend/similar answer from the store's current model; the user's latest
// history is read from the store so items seen after training are excluded too.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "tailor/model/model.h"
#include "tailor/rank/rank.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

void print_items(const std::string& heading, const nlohmann::json& items) {
  std::printf("%s\n", heading.c_str());
  int rank = 1;
  for (const auto& it : items) {
    std::string cats;
    if (it.contains("categories"))
      for (const auto& c : it["categories"]) cats += (cats.empty() ? "" : ", ") + c.get<std::string>();
    std::printf("%3d. %-14s %8.4f  %s%s%s\n", rank++, it["item"].get<std::string>().c_str(),
                it["score"].get<double>(), it.value("title", std::string()).c_str(), cats.empty() ? "" : "  [",
                cats.empty() ? "" : (cats + "]").c_str());
  }
}

struct RecommendArgs {
  std::string db;
  std::string user;
  std::size_t n = 10;
  std::string model;
  std::vector<std::string> categories;
  std::vector<std::string> attributes;
  double diversity = 0;
  bool include_seen = false;
};

void run_recommend(const RecommendArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.n >= 1 && args.n <= 10000, "--n must be in [1, 10000]");
  TAILOR_CHECK_ARG(args.diversity >= 0 && args.diversity <= 1, "--diversity must be in [0, 1]");
  auto store = store::open_store(args.db);
  bool trained_now = false;
  auto rec = load_or_train_model(*store, args.model, global, trained_now);

  // The same query the server's /v1/users/{id}/recommendations answers.
  rank::RecommendQuery query;
  query.user = args.user;
  query.n = args.n;
  query.categories = args.categories;
  query.diversity = args.diversity;
  query.include_seen = args.include_seen;
  query.attributes = parse_params(args.attributes);
  const rank::RecommendResult answer = rank::recommend_for_user(*store, *rec, query);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : answer.items)
    items.push_back(rank::scored_item_json(*store, rec->item_ids().id(r.item), r.score));
  if (global.json) {
    print_json({{"user", args.user}, {"model", rec->name()}, {"source", answer.source}, {"items", items}});
  } else {
    print_items("recommendations for " + args.user + " (" + rec->name() + ", " + answer.source + ")", items);
  }
}

struct SimilarArgs {
  std::string db;
  std::string item;
  std::size_t n = 10;
  std::string model;
  std::string by = "model";
};

void run_similar(const SimilarArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.n >= 1 && args.n <= 10000, "--n must be in [1, 10000]");
  const rank::SimilarBy by = rank::parse_similar_by(args.by);
  auto store = store::open_store(args.db);
  bool trained_now = false;
  auto rec = load_or_train_model(*store, args.model, global, trained_now);
  auto idx = rec->item_ids().find(args.item);
  if (!idx) {
    if (store->get_item(args.item))
      throw_error(ErrorCode::kNotFound, "item '" + args.item + "' has no interactions in the current model; retrain with tailor train");
    throw_error(ErrorCode::kNotFound, "item '" + args.item + "' does not exist");
  }
  // Text vectors of the last `tailor embed-items`, aligned with the model's items.
  std::optional<dataset::ContentVectors> content;
  if (by == rank::SimilarBy::kContent || by == rank::SimilarBy::kHybrid)
    if (auto vectors = semantic::load_current_item_vectors(*store))
      content = semantic::align_item_vectors(*vectors, rec->item_ids());
  const rank::SimilarResult answer = rank::similar_items(*rec, *idx, args.n, by, content ? &*content : nullptr);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : answer.items)
    items.push_back(rank::scored_item_json(*store, rec->item_ids().id(r.item), r.score));
  if (global.json) {
    print_json({{"item", args.item}, {"model", rec->name()}, {"by", rank::similar_by_name(by)},
                {"source", answer.source}, {"items", items}});
  } else {
    auto self = store->get_item(args.item);
    print_items("items similar to " + args.item + (self ? " (" + self->title + ")" : "") + ", by " + answer.source,
                items);
  }
}

}  // namespace

void register_stats(CLI::App& app, GlobalOptions& global) {
  auto db = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("stats", "Counts of users, items and events in a store");
  cmd->add_option("--db", *db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_flag("--json", global.json, "Print as JSON");
  cmd->callback([db, &global] {
    auto store = store::open_store(*db, {.read_only = true});
    store::StoreStats s = store->stats();
    nlohmann::json doc = {{"users", s.users},
                          {"items", s.items},
                          {"events", s.events},
                          {"events_by_type", s.events_by_type},
                          {"first_event", s.events ? format_timestamp(s.first_event) : ""},
                          {"last_event", s.events ? format_timestamp(s.last_event) : ""},
                          {"backend", store->backend()},
                          {"schema_version", store->schema_version()}};
    if (global.json) {
      print_json(doc);
      return;
    }
    std::printf("users  %llu\nitems  %llu\nevents %llu\n", static_cast<unsigned long long>(s.users),
                static_cast<unsigned long long>(s.items), static_cast<unsigned long long>(s.events));
    for (const auto& [type, n] : s.events_by_type)
      std::printf("  %-12s %llu\n", type.c_str(), static_cast<unsigned long long>(n));
    if (s.events)
      std::printf("from %s to %s\n", format_timestamp(s.first_event).c_str(), format_timestamp(s.last_event).c_str());
  });
}

void register_history(CLI::App& app, GlobalOptions& global) {
  auto db = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>();
  auto limit = std::make_shared<std::size_t>(20);
  auto* cmd = app.add_subcommand("history", "A user's latest events, newest first");
  cmd->add_option("--db", *db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--user", *user, "User id")->required();
  cmd->add_option("--limit", *limit, "How many events (0 = all)");
  cmd->add_flag("--json", global.json, "Print as JSON");
  cmd->callback([db, user, limit, &global] {
    auto store = store::open_store(*db, {.read_only = true});
    if (!store->user_index(*user)) throw_error(ErrorCode::kNotFound, "user '" + *user + "' does not exist");
    nlohmann::json events = nlohmann::json::array();
    for (const auto& ev : store->user_events(*user, *limit)) {
      nlohmann::json e = {{"item", ev.item_id}, {"type", ev.type}, {"value", ev.value},
                          {"timestamp", format_timestamp(ev.timestamp)}, {"channel", ev.channel}};
      if (auto item = store->get_item(ev.item_id)) e["title"] = item->title;
      events.push_back(std::move(e));
    }
    if (global.json) {
      print_json({{"user", *user}, {"events", events}});
      return;
    }
    std::printf("latest events of %s\n", user->c_str());
    for (const auto& e : events)
      std::printf("  %s  %-11s %5.1f  %-14s %s\n", e["timestamp"].get<std::string>().c_str(),
                  e["type"].get<std::string>().c_str(), e["value"].get<double>(), e["item"].get<std::string>().c_str(),
                  e.value("title", std::string()).c_str());
  });
}

void register_recommend(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<RecommendArgs>();
  auto* cmd = app.add_subcommand("recommend", "Top-N items for a user from the current model");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--user", args->user, "User id")->required();
  cmd->add_option("--n", args->n, "How many items");
  cmd->add_option("--model", args->model, "Use this trained model instead of the current one");
  cmd->add_option("--category", args->categories, "Only items in these categories (repeatable)");
  cmd->add_flag("--include-seen", args->include_seen, "Allow items the user already interacted with");
  cmd->add_option("--attr", args->attributes, "User attribute key=value for a new user (repeatable), e.g. gender=F");
  cmd->add_option("--diversity", args->diversity, "MMR diversity over categories, 0 (off) .. 1 (most diverse)");
  cmd->add_flag("--json", global.json, "Print as JSON");
  cmd->callback([args, &global] { run_recommend(*args, global); });
}

void register_similar(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<SimilarArgs>();
  auto* cmd = app.add_subcommand("similar", "Items similar to an item, from the current model");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--item", args->item, "Item id")->required();
  cmd->add_option("--n", args->n, "How many items");
  cmd->add_option("--model", args->model, "Use this trained model instead of the current one");
  cmd->add_option("--by", args->by,
                  "model (the model's own notion), content (text embeddings; run tailor embed-items first), "
                  "behaviour (co-consumption) or hybrid (both; items without events by their text)");
  cmd->add_flag("--json", global.json, "Print as JSON");
  cmd->callback([args, &global] { run_similar(*args, global); });
}

}  // namespace tailor::cli
