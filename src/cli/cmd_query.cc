// `tailor stats`, `tailor recommend`, `tailor similar`: read-side commands.
// recommend/similar answer from the store's current model; the user's latest
// history is read from the store so items seen after training are excluded too.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "tailor/model/model.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

nlohmann::json item_json(const store::Store& store, const std::string& id, float score) {
  nlohmann::json out = {{"item", id}, {"score", score}};
  if (auto item = store.get_item(id)) {
    out["title"] = item->title;
    out["categories"] = item->categories;
    if (item->price) out["price"] = *item->price;
  }
  return out;
}

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

// Items by number of training users, for users the model cannot place.
std::vector<model::ScoredItem> popular_fallback(const model::Recommender& rec, const model::RecommendOptions& opts,
                                                const std::vector<std::uint32_t>& seen) {
  std::vector<float> counts(rec.item_count(), 0.0f);
  for (auto item : rec.user_items().indices) counts[item] += 1.0f;
  model::TopK top(opts.n);
  for (std::uint32_t item = 0; item < counts.size(); ++item) {
    if (std::binary_search(seen.begin(), seen.end(), item)) continue;
    const auto& meta = rec.item_meta()[item];
    if ((opts.exclude_hidden && meta.hidden) || (opts.exclude_unavailable && !meta.available)) continue;
    if (opts.filter && !opts.filter(item)) continue;
    if (counts[item] > 0) top.push(item, counts[item]);
  }
  return top.take();
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

// Jaccard overlap of two items' categories: the model-agnostic similarity
// behind --diversity (MMR), so it works for every model.
float category_similarity(const std::vector<dataset::ItemMeta>& meta, std::uint32_t a, std::uint32_t b) {
  const auto& ca = meta[a].categories;
  const auto& cb = meta[b].categories;
  if (ca.empty() || cb.empty()) return 0;
  std::size_t common = 0;
  for (const auto& c : ca) common += std::find(cb.begin(), cb.end(), c) != cb.end();
  return static_cast<float>(common) / static_cast<float>(ca.size() + cb.size() - common);
}

void run_recommend(const RecommendArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.n >= 1 && args.n <= 10000, "--n must be in [1, 10000]");
  auto store = store::open_store(args.db);
  bool trained_now = false;
  auto rec = load_or_train_model(*store, args.model, global, trained_now);

  model::RecommendOptions opts;
  opts.n = args.n;
  opts.exclude_seen = !args.include_seen;
  if (!args.categories.empty()) {
    const auto* meta = &rec->item_meta();
    auto cats = args.categories;
    opts.filter = [meta, cats](std::uint32_t item) {
      for (const auto& c : (*meta)[item].categories)
        if (std::find(cats.begin(), cats.end(), c) != cats.end()) return true;
      return false;
    };
  }
  // The store knows events newer than the model: use them as the live history.
  std::vector<std::uint32_t> history;
  std::vector<float> weights;
  auto types = data::EventTypes::defaults();
  types.allow_unknown = true;
  for (const auto& ev : store->user_events(args.user)) {
    auto idx = rec->item_ids().find(ev.item_id);
    if (!idx) continue;
    history.push_back(*idx);
    weights.push_back(static_cast<float>(types.weight(ev.type, ev.value).value_or(1.0)));
  }
  std::vector<std::uint32_t> seen = history;
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  if (!args.include_seen) opts.exclude = seen;

  std::string source;
  std::vector<model::ScoredItem> result;
  // Attributes: the store's, overridden by --attr; models with attribute cold
  // start (hybrid) use them for users without history.
  if (auto user = store->get_user(args.user)) opts.user_attributes = user->attributes;
  const nlohmann::json overrides = parse_params(args.attributes);
  for (auto it = overrides.begin(); it != overrides.end(); ++it) opts.user_attributes[it.key()] = *it;
  TAILOR_CHECK_ARG(args.diversity >= 0 && args.diversity <= 1, "--diversity must be in [0, 1]");
  const std::size_t n = opts.n;
  if (args.diversity > 0) opts.n = std::min<std::size_t>(n * 4, 10000);  // MMR picks from a wider pool

  auto known = rec->user_ids().find(args.user);
  if (known) {
    result = rec->recommend(*known, opts);
    source = "model";
  } else {
    result = rec->recommend_history(history, weights, opts);
    source = history.empty() ? "model (attributes only)" : "model (history from store)";
  }
  if (args.diversity > 0 && !result.empty()) {
    const auto& meta = rec->item_meta();
    // MMR(i) = (1 - d)·rel(i) - d·max_{j in picked} sim(i, j); relevance rescaled to [0, 1].
    const float top = result.front().score, low = result.back().score;
    for (auto& r : result) r.score = top > low ? (r.score - low) / (top - low) : 1.0f;
    result = model::mmr_rerank(result, n, 1.0 - args.diversity,
                               [&meta](std::uint32_t a, std::uint32_t b) { return category_similarity(meta, a, b); });
  }
  opts.n = n;
  if (result.empty()) {
    if (!known && !store->get_user(args.user) && history.empty())
      log_info("user '" + args.user + "' is unknown; answering with popular items");
    result = popular_fallback(*rec, opts, args.include_seen ? std::vector<std::uint32_t>{} : seen);
    source = "popular (cold start)";
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : result) items.push_back(item_json(*store, rec->item_ids().id(r.item), r.score));
  if (global.json) {
    print_json({{"user", args.user}, {"model", rec->name()}, {"source", source}, {"items", items}});
  } else {
    print_items("recommendations for " + args.user + " (" + rec->name() + ", " + source + ")", items);
  }
}

struct SimilarArgs {
  std::string db;
  std::string item;
  std::size_t n = 10;
  std::string model;
};

void run_similar(const SimilarArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.n >= 1 && args.n <= 10000, "--n must be in [1, 10000]");
  auto store = store::open_store(args.db);
  bool trained_now = false;
  auto rec = load_or_train_model(*store, args.model, global, trained_now);
  auto idx = rec->item_ids().find(args.item);
  if (!idx) {
    if (store->get_item(args.item))
      throw_error(ErrorCode::kNotFound, "item '" + args.item + "' has no interactions in the current model; retrain with tailor train");
    throw_error(ErrorCode::kNotFound, "item '" + args.item + "' does not exist");
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : rec->similar_items(*idx, args.n))
    items.push_back(item_json(*store, rec->item_ids().id(r.item), r.score));
  if (global.json) {
    print_json({{"item", args.item}, {"model", rec->name()}, {"items", items}});
  } else {
    auto self = store->get_item(args.item);
    print_items("items similar to " + args.item + (self ? " (" + self->title + ")" : "") + ", by " + rec->name(),
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
  cmd->add_flag("--json", global.json, "Print as JSON");
  cmd->callback([args, &global] { run_similar(*args, global); });
}

}  // namespace tailor::cli
