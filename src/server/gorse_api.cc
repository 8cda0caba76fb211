// The Gorse-compatible /api routes (contract: ../shared/design/GORSE_API.md):
// users, items, feedback, recommendations, neighbours, session recommendations
// and health, answered from Tailor's store and current model. Wire objects and
// their mapping onto the store live in gorse_codec.cc.
//
// Where Tailor answers differently from Gorse, on purpose:
//   - feedback is Tailor's event log: each POST adds events, and Gorse's
//     (type, user, item) feedback is the view over them (values summed,
//     earliest time, latest as Updated); an exact repeat of an event is a
//     duplicate and counted once. PUT replaces the events of the key.
//   - recommendations, neighbours and popularity come from the current model
//     (empty lists until there is one, as Gorse answers before its first
//     training; /v1 says 503 and what to do); hidden items and category changes count at
//     once because every answer is checked against the store's item rows.
//   - a missing item on a category change is 404 (Gorse: 500).
//   - item-to-item and user-to-user recommenders are named "neighbors",
//     "default" or the current model's name; non-personalized lists are
//     "popular" (also "most_popular", and /api/popular) and "latest".
//   - feedback pages carry both Feedback and Feedbacks (gorsejs reads the
//     second), and both cursor and Cursor are accepted.
#include "gorse_api.h"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_set>

#include "codec.h"
#include "gorse_codec.h"

namespace tailor::server {
namespace {

using nlohmann::json;
using Args = std::vector<std::string>;
using Ranked = std::vector<std::pair<std::string, double>>;  // (id, score), best first

constexpr std::size_t kMaxN = 10000;
constexpr std::size_t kMaxOffset = 1000000;
// Events read per store call while paging through feedback.
constexpr std::size_t kEventBatch = 512;

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw_error(ErrorCode::kInvalidArgument, field + ": " + message);
}

void reply(httplib::Response& res, const json& doc) {
  res.status = 200;
  res.set_content(doc.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

json success(std::size_t rows) { return {{"RowAffected", rows}}; }

json scores_json(const Ranked& ranked) {
  json out = json::array();
  for (const auto& [id, score] : ranked) out.push_back({{"Id", id}, {"Score", score}});
  return out;
}

// Query parameters as Gorse reads them. The router has already refused names
// the route's table row does not list.
class Params {
 public:
  explicit Params(const httplib::Request& req) : req_(req) {}
  std::string text(const char* name) const { return req_.has_param(name) ? req_.get_param_value(name) : ""; }
  std::size_t integer(const char* name, std::size_t fallback, std::size_t min, std::size_t max) const {
    const std::string value = text(name);
    if (value.empty()) return fallback;
    std::size_t out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc() || end != value.data() + value.size() || out < min || out > max)
      bad(name, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return out;
  }
  std::size_t n() const { return integer("n", 10, 1, kMaxN); }
  std::size_t offset() const { return integer("offset", 0, 0, kMaxOffset); }
  // The store position a page starts after: `cursor`, or gorsejs's `Cursor`.
  std::string cursor() const {
    const std::string value = req_.has_param("cursor") ? text("cursor") : text("Cursor");
    return value.empty() ? "" : gorse::decode_cursor(value);
  }
  // Repeated `category`, plus the deprecated path category: an item must have all of them.
  std::vector<std::string> categories(const std::string* path_category) const {
    std::vector<std::string> out;
    for (std::size_t idx = 0; idx < req_.get_param_value_count("category"); ++idx)
      out.push_back(req_.get_param_value("category", idx));
    if (path_category != nullptr) out.push_back(*path_category);
    out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
    for (auto& category : out) category = data::normalize_text(category);
    return out;
  }

 private:
  const httplib::Request& req_;
};

const std::string* arg(const Args& args, std::size_t index) { return index < args.size() ? &args[index] : nullptr; }

// What a list may show, judged by the store's current item rows so that a
// hide, a delete or a category change counts before the next training.
struct ListFilter {
  const store::Store& store;
  std::vector<std::string> categories;  // all required
  std::unordered_set<std::string> exclude;

  bool keep(const std::string& item_id) const {
    if (exclude.count(item_id)) return false;
    const auto item = store.get_item(item_id);
    if (!item || item->hidden || !item->available) return false;
    for (const auto& category : categories)
      if (std::find(item->categories.begin(), item->categories.end(), category) == item->categories.end()) return false;
    return true;
  }
  // Items the user has any feedback on (the `user-id` parameter).
  void exclude_seen_by(const std::string& user) {
    if (user.empty()) return;
    check_id(user, "user-id");
    for (const auto& event : store.user_events(user)) exclude.insert(event.item_id);
  }
};

// The kept candidates from offset on, at most n.
Ranked page_of(const Ranked& candidates, const ListFilter& filter, std::size_t offset, std::size_t n) {
  Ranked out;
  std::size_t skipped = 0;
  for (const auto& candidate : candidates) {
    if (out.size() == n) break;
    if (!filter.keep(candidate.first)) continue;
    if (skipped < offset) {
      ++skipped;
      continue;
    }
    out.push_back(candidate);
  }
  return out;
}

// Candidates to ask a model for when the store check may drop some.
std::size_t overfetch(std::size_t n, std::size_t offset) { return std::min(kMaxN, 2 * (n + offset) + 10); }

Ranked ranked_items(const model::Recommender& rec, const std::vector<model::ScoredItem>& items) {
  Ranked out;
  for (const auto& scored : items) out.emplace_back(rec.item_ids().id(scored.item), scored.score);
  return out;
}

json health_json(bool ready) {
  return {{"Ready", ready},
          {"DataStoreError", ready ? json(nullptr) : json::object()},
          {"CacheStoreError", nullptr},
          {"DataStoreConnected", ready},
          {"CacheStoreConnected", true}};
}

// rec may be null (no model yet): then only the fixed names are known.
bool known_neighbor_name(const std::string& name, const model::Recommender* rec) {
  return name == "neighbors" || name == "default" || (rec != nullptr && name == rec->name());
}

}  // namespace

struct GorseApi::Impl {
  store::Store& store;
  std::function<std::shared_ptr<const model::Recommender>()> model;
  std::function<experiment::Runtime*()> experiments;  // null or returning null = no experiments

  // The current model, or null before the first one exists (model() says
  // kUnavailable then); every list route answers [] without one.
  std::shared_ptr<const model::Recommender> current_model() const {
    try {
      return model();
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kUnavailable) return nullptr;
      throw;
    }
  }

  // Items by number of training users, per model: computed once per swap.
  std::mutex popular_mutex;
  std::shared_ptr<const model::Recommender> popular_model;
  std::shared_ptr<const Ranked> popular_ranking;

  // ------------------------------------------------------------- health ---

  void get_live(const httplib::Request&, httplib::Response& res, const Args&) { reply(res, health_json(true)); }

  void get_ready(const httplib::Request&, httplib::Response& res, const Args&) {
    bool ok = true;
    try {
      store.schema_version();  // one statement on a pooled connection: the store answers
    } catch (const std::exception&) {
      ok = false;
    }
    reply(res, health_json(ok));
    if (!ok) res.status = 503;
  }

  // -------------------------------------------------------------- users ---

  void write_users(const std::vector<data::User>& users) {
    const Timestamp now = now_seconds();
    auto writer = store.begin_write();
    for (auto user : users) {
      const auto old = store.get_user(user.id);
      user.created_at = old && old->created_at != 0 ? old->created_at : now;
      user.updated_at = now;
      writer->put_user(user);
    }
    writer->commit();
  }

  void post_user(const httplib::Request& req, httplib::Response& res, const Args&) {
    write_users({gorse::user_from_json(parse_body(req.body), "")});
    reply(res, success(1));
  }

  void post_users(const httplib::Request& req, httplib::Response& res, const Args&) {
    const json body = parse_body(req.body);
    if (!body.is_array()) bad("body", "must be a JSON array of users");
    std::vector<data::User> users;
    for (std::size_t idx = 0; idx < body.size(); ++idx)
      users.push_back(gorse::user_from_json(body[idx], "users[" + std::to_string(idx) + "]."));
    write_users(users);
    reply(res, success(users.size()));
  }

  void get_user(const httplib::Request&, httplib::Response& res, const Args& args) {
    const auto user = store.get_user(args[0]);
    if (!user) throw_error(ErrorCode::kNotFound, "user '" + args[0] + "' does not exist");
    reply(res, gorse::user_to_json(*user));
  }

  // Gorse answers RowAffected 1 for a missing user and changes nothing; so does this.
  void patch_user(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const json body = parse_body(req.body);
    data::User user;
    gorse::patch_user(user, body);  // validates before anything is read or written
    if (auto old = store.get_user(args[0])) {
      gorse::patch_user(*old, body);
      old->updated_at = now_seconds();
      auto writer = store.begin_write();
      writer->put_user(*old);
      writer->commit();
    }
    reply(res, success(1));
  }

  void delete_user(const httplib::Request&, httplib::Response& res, const Args& args) {
    auto writer = store.begin_write();
    writer->delete_user(args[0]);
    writer->commit();
    reply(res, success(1));
  }

  void list_users(const httplib::Request& req, httplib::Response& res, const Args&) {
    const Params params(req);
    const std::size_t n = params.n();
    auto rows = store.list_users({params.cursor(), n + 1});
    std::string cursor;
    if (rows.size() > n) {
      rows.resize(n);
      cursor = gorse::encode_cursor(rows.back().id);
    }
    json users = json::array();
    for (const auto& user : rows) users.push_back(gorse::user_to_json(user));
    reply(res, {{"Cursor", cursor}, {"Users", users}});
  }

  // -------------------------------------------------------------- items ---

  void write_items(std::vector<data::Item> items) {
    const Timestamp now = now_seconds();
    auto writer = store.begin_write();
    for (auto& item : items) {
      if (const auto old = store.get_item(item.id)) {
        item.title = old->title;  // fields Gorse does not have stay as they were
        item.price = old->price;
        item.available = old->available;
      }
      item.updated_at = now;
      writer->put_item(item);
    }
    writer->commit();
  }

  void post_item(const httplib::Request& req, httplib::Response& res, const Args&) {
    write_items({gorse::item_from_json(parse_body(req.body), "")});
    reply(res, success(1));
  }

  void post_items(const httplib::Request& req, httplib::Response& res, const Args&) {
    const json body = parse_body(req.body);
    if (!body.is_array()) bad("body", "must be a JSON array of items");
    std::vector<data::Item> items;
    for (std::size_t idx = 0; idx < body.size(); ++idx)
      items.push_back(gorse::item_from_json(body[idx], "items[" + std::to_string(idx) + "]."));
    const std::size_t count = items.size();
    write_items(std::move(items));
    reply(res, success(count));
  }

  void get_item(const httplib::Request&, httplib::Response& res, const Args& args) {
    const auto item = store.get_item(args[0]);
    if (!item) throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' does not exist");
    reply(res, gorse::item_to_json(*item));
  }

  void patch_item(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const json body = parse_body(req.body);
    data::Item item;
    gorse::patch_item(item, body);  // validates first
    if (auto old = store.get_item(args[0])) {
      gorse::patch_item(*old, body);
      old->updated_at = now_seconds();
      auto writer = store.begin_write();
      writer->put_item(*old);
      writer->commit();
    }
    reply(res, success(1));
  }

  void delete_item(const httplib::Request&, httplib::Response& res, const Args& args) {
    auto writer = store.begin_write();
    writer->delete_item(args[0]);
    writer->commit();
    reply(res, success(1));
  }

  void change_category(const httplib::Request&, httplib::Response& res, const Args& args, bool add) {
    auto item = store.get_item(args[0]);
    if (!item) throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' does not exist");
    const std::string category = data::normalize_text(args[1]);
    check_id(category, "category");
    auto& categories = item->categories;
    const auto found = std::find(categories.begin(), categories.end(), category);
    if (add && found == categories.end()) categories.push_back(category);
    if (!add && found != categories.end()) categories.erase(found);
    item->updated_at = now_seconds();
    auto writer = store.begin_write();
    writer->put_item(*item);
    writer->commit();
    reply(res, success(1));
  }
  void put_category(const httplib::Request& req, httplib::Response& res, const Args& args) {
    change_category(req, res, args, true);
  }
  void delete_category(const httplib::Request& req, httplib::Response& res, const Args& args) {
    change_category(req, res, args, false);
  }

  // Without q: a page by id. With q: items whose Comment (description) or
  // title contain any of q's words, most words first, one page, Cursor "".
  void list_items(const httplib::Request& req, httplib::Response& res, const Args&) {
    const Params params(req);
    const std::size_t n = params.n();
    json items = json::array();
    std::string cursor;
    const std::string query = data::normalize_text(params.text("q"));
    if (!query.empty()) {
      const auto lower = [](std::string text) {
        for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
      };
      std::vector<std::string> words;
      for (std::size_t start = 0; start < query.size();) {
        std::size_t end = query.find(' ', start);
        if (end == std::string::npos) end = query.size();
        if (end > start) words.push_back(lower(query.substr(start, end - start)));
        start = end + 1;
      }
      std::vector<std::pair<std::size_t, data::Item>> hits;
      store.scan_items([&](std::uint32_t, const data::Item& item) {
        const std::string text = lower(item.description + " " + item.title);
        std::size_t matched = 0;
        for (const auto& word : words) matched += text.find(word) != std::string::npos;
        if (matched > 0) hits.emplace_back(matched, item);
      });
      std::stable_sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      for (std::size_t idx = 0; idx < hits.size() && idx < n; ++idx)
        items.push_back(gorse::item_to_json(hits[idx].second));
    } else {
      auto rows = store.list_items({params.cursor(), n + 1});
      if (rows.size() > n) {
        rows.resize(n);
        cursor = gorse::encode_cursor(rows.back().id);
      }
      for (const auto& item : rows) items.push_back(gorse::item_to_json(item));
    }
    reply(res, {{"Cursor", cursor}, {"Items", items}});
  }

  // ----------------------------------------------------------- feedback ---

  // POST accumulates (new events), PUT overwrites (the key's events replaced).
  // Within one batch the first feedback of a key wins, as in Gorse.
  void write_feedback(const httplib::Request& req, httplib::Response& res, bool overwrite) {
    const json body = parse_body(req.body);
    const auto events = gorse::feedback_from_json(body, now_seconds(), false);
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    auto writer = store.begin_write();
    for (const auto& event : events) {
      if (!seen.insert({event.type, event.user_id, event.item_id}).second) continue;
      if (overwrite) writer->delete_events(event.user_id, event.item_id, event.type);
      writer->put_event(event);
    }
    writer->commit();
    reply(res, success(events.size()));
  }
  void post_feedback(const httplib::Request& req, httplib::Response& res, const Args&) {
    write_feedback(req, res, false);
  }
  void put_feedback(const httplib::Request& req, httplib::Response& res, const Args&) {
    write_feedback(req, res, true);
  }

  // A page of feedback (optionally of one type) in the store's event order.
  // Events of one key are adjacent there, so a page ends on a key boundary:
  // the cursor is the position of the last event of the page's last key.
  void list_feedback(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const Params params(req);
    const std::size_t n = params.n();
    const std::string type = args.empty() ? "" : args[0];
    if (!type.empty()) check_id(type, "feedback-type");
    const Timestamp now = now_seconds();
    std::vector<gorse::FeedbackRow> rows;
    std::string next;
    std::optional<std::tuple<std::string, std::string, std::string>> key;
    gorse::FeedbackRow row;
    std::string previous;  // position of the last event read
    store::EventPage page{params.cursor(), type, kEventBatch};
    bool done = false;
    while (!done) {
      std::vector<store::PagedEvent> batch;
      try {
        batch = store.list_events(page);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::kInvalidArgument) bad("cursor", "not a cursor this server handed out");
        throw;
      }
      for (const auto& paged : batch) {
        const auto& event = paged.event;
        std::tuple<std::string, std::string, std::string> this_key{event.type, event.user_id, event.item_id};
        if (key && this_key != *key) {
          if (!row.empty) rows.push_back(row);
          row = gorse::FeedbackRow{};
          if (rows.size() == n) {
            next = gorse::encode_cursor(previous);
            done = true;
            break;
          }
        }
        key = this_key;
        row.type = event.type;
        row.user = event.user_id;
        row.item = event.item_id;
        if (event.timestamp <= now) row.add(event);  // future feedback stays hidden, as in Gorse
        previous = paged.position;
      }
      if (done) break;
      if (batch.size() < page.limit) {
        if (!row.empty) rows.push_back(row);
        done = true;
      } else {
        page.after = batch.back().position;
      }
    }
    json feedback = json::array();
    for (const auto& r : rows) feedback.push_back(gorse::feedback_to_json(r));
    reply(res, {{"Cursor", next}, {"Feedback", feedback}, {"Feedbacks", feedback}});
  }

  std::vector<data::Event> pair_events(const std::string& user, const std::string& item) const {
    std::vector<data::Event> out;
    for (auto& event : store.user_events(user))
      if (event.item_id == item) out.push_back(std::move(event));
    return out;
  }

  void get_pair_feedback(const httplib::Request&, httplib::Response& res, const Args& args) {
    json out = json::array();
    for (const auto& row : gorse::group_feedback(pair_events(args[0], args[1]), std::numeric_limits<Timestamp>::max()))
      out.push_back(gorse::feedback_to_json(row));
    reply(res, out);
  }

  void delete_pair_feedback(const httplib::Request&, httplib::Response& res, const Args& args) {
    check_id(args[0], "user-id");
    check_id(args[1], "item-id");
    std::set<std::string> types;
    for (const auto& event : pair_events(args[0], args[1])) types.insert(event.type);
    auto writer = store.begin_write();
    writer->delete_events(args[0], args[1], "");
    writer->commit();
    reply(res, success(types.size()));
  }

  // Gorse answers a missing feedback with 200 and the literal body {}.
  void get_one_feedback(const httplib::Request&, httplib::Response& res, const Args& args) {
    std::vector<data::Event> events;
    for (auto& event : pair_events(args[1], args[2]))
      if (event.type == args[0]) events.push_back(std::move(event));
    const auto rows = gorse::group_feedback(events, std::numeric_limits<Timestamp>::max());
    reply(res, rows.empty() ? json::object() : gorse::feedback_to_json(rows.front()));
  }

  void delete_one_feedback(const httplib::Request&, httplib::Response& res, const Args& args) {
    check_id(args[0], "feedback-type");
    check_id(args[1], "user-id");
    check_id(args[2], "item-id");
    auto writer = store.begin_write();
    const std::size_t removed = writer->delete_events(args[1], args[2], args[0]);
    writer->commit();
    reply(res, success(removed > 0 ? 1 : 0));
  }

  // The user's feedback up to now, optionally filtered by a type expression ("read>=3").
  void get_user_feedback(const httplib::Request&, httplib::Response& res, const Args& args) {
    std::optional<gorse::TypeExpression> expression;
    if (args.size() > 1) expression = gorse::parse_type_expression(args[1]);
    json out = json::array();
    for (const auto& row : gorse::group_feedback(store.user_events(args[0]), now_seconds()))
      if (!expression || expression->matches(row.type, row.value)) out.push_back(gorse::feedback_to_json(row));
    reply(res, out);
  }

  void get_item_feedback(const httplib::Request&, httplib::Response& res, const Args& args) {
    std::vector<data::Event> events = store.item_events(args[0]);
    if (args.size() > 1)
      std::erase_if(events, [&](const data::Event& event) { return event.type != args[1]; });
    json out = json::array();
    for (const auto& row : gorse::group_feedback(events, std::numeric_limits<Timestamp>::max()))
      out.push_back(gorse::feedback_to_json(row));
    reply(res, out);
  }

  // ----------------------------------------------------- recommendation ---

  // /api/recommend answers item ids unless X-API-Version: 2 asks for scores;
  // /api/collaborative-filtering always answers scores.
  void recommend(const httplib::Request& req, httplib::Response& res, const Args& args, bool always_scores) {
    const Params params(req);
    const std::string& user = args[0];
    check_id(user, "user-id");
    const std::size_t n = params.n(), offset = params.offset();
    const auto categories = params.categories(arg(args, 1));
    bool scores = always_scores;
    const std::string version = req.get_header_value("X-API-Version");
    if (version == "2") {
      scores = true;
    } else if (!version.empty() && version != "1") {
      bad("X-API-Version", "must be 1 or 2");
    }
    // Write-back is validated before anything is computed or written.
    const std::string write_back_type = params.text("write-back-type");
    if (!write_back_type.empty()) check_id(write_back_type, "write-back-type");
    const std::string delay_text = params.text("write-back-delay");
    const double delay = delay_text.empty() ? 0 : gorse::parse_duration(delay_text, "write-back-delay");

    const auto rec = current_model();
    if (!rec) return reply(res, json::array());
    rank::RecommendQuery query;
    query.user = user;
    query.n = overfetch(n, offset);
    query.categories = categories;
    query.all_categories = true;
    ListFilter filter{store, categories, {}};
    filter.exclude_seen_by(params.text("user-id"));
    // Experiments: the variant's model ranks, and the page shown is the exposure.
    const auto served = experiment::serve_recommendation(
        experiments ? experiments() : nullptr, "gorse_recommend", store, rec, query, offset,
        req.get_header_value("X-Request-Id"), [&](const model::Recommender& model, const rank::RecommendResult& answer) {
          std::vector<experiment::RankedItem> shown;
          for (const auto& [item, score] : page_of(ranked_items(model, answer.items), filter, offset, n))
            shown.push_back({item, static_cast<float>(score)});
          return shown;
        });
    Ranked page;
    for (const auto& r : served.items) page.emplace_back(r.item, r.score);
    if (served.exposure) {
      res.set_header("X-Tailor-Experiment", served.header_value());
      res.set_header("X-Tailor-Exposure-Id", served.exposure->id);
    }

    // Gorse writes back only for a user that exists (no auto-insert).
    if (!write_back_type.empty() && !page.empty() && store.get_user(user)) {
      const Timestamp at = now_seconds() + static_cast<Timestamp>(std::floor(delay));
      auto writer = store.begin_write();
      for (const auto& [item, score] : page) {
        data::Event event;
        event.user_id = user;
        event.item_id = item;
        event.type = write_back_type;
        event.value = 0;
        event.timestamp = at;
        writer->put_event(event);
      }
      writer->commit();
    }
    if (scores) {
      reply(res, scores_json(page));
    } else {
      json ids = json::array();
      for (const auto& [item, score] : page) ids.push_back(item);
      reply(res, ids);
    }
  }
  void get_recommend(const httplib::Request& req, httplib::Response& res, const Args& args) {
    recommend(req, res, args, false);
  }
  void get_collaborative(const httplib::Request& req, httplib::Response& res, const Args& args) {
    recommend(req, res, args, true);
  }

  // Scores the session's positive feedback as an anonymous history with the
  // current model (recommend_history), leaving out every item of the session.
  void post_session(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const Params params(req);
    const std::size_t n = params.n(), offset = params.offset();
    const auto categories = params.categories(arg(args, 0));
    const auto events = gorse::feedback_from_json(parse_body(req.body), now_seconds(), true);
    const auto rec = current_model();
    if (!rec) return reply(res, json::array());
    data::EventTypes types = data::EventTypes::defaults();
    types.allow_unknown = true;
    std::vector<std::uint32_t> history, session_items;
    std::vector<float> weights;
    ListFilter filter{store, categories, {}};
    for (const auto& event : events) {
      filter.exclude.insert(event.item_id);
      const auto idx = rec->item_ids().find(event.item_id);
      if (!idx) continue;
      session_items.push_back(*idx);
      const double weight = types.weight(event.type, event.value).value_or(types.default_weight);
      if (weight <= 0) continue;  // a dislike says what not to show, not what to show
      history.push_back(*idx);
      weights.push_back(static_cast<float>(weight));
    }
    if (history.empty()) return reply(res, json::array());
    model::RecommendOptions options;
    options.n = overfetch(n, offset);
    std::sort(session_items.begin(), session_items.end());
    session_items.erase(std::unique(session_items.begin(), session_items.end()), session_items.end());
    options.exclude = session_items;
    const Ranked candidates = ranked_items(*rec, rec->recommend_history(history, weights, options));
    reply(res, scores_json(page_of(candidates, filter, offset, n)));
  }

  // Newest items by their time (Item.Timestamp), read live from the store;
  // items without a time are left out. Score = Unix seconds.
  Ranked latest(const std::vector<std::string>& categories, const ListFilter& filter, std::size_t offset,
                std::size_t n) const {
    Ranked timed;
    store.scan_items([&](std::uint32_t, const data::Item& item) {
      if (item.created_at <= 0 || item.hidden || !item.available || filter.exclude.count(item.id)) return;
      for (const auto& category : categories)
        if (std::find(item.categories.begin(), item.categories.end(), category) == item.categories.end()) return;
      timed.emplace_back(item.id, static_cast<double>(item.created_at));
    });
    const std::size_t keep = std::min(timed.size(), offset + n);
    std::partial_sort(timed.begin(), timed.begin() + static_cast<std::ptrdiff_t>(keep), timed.end(),
                      [](const auto& a, const auto& b) {
                        return a.second != b.second ? a.second > b.second : a.first < b.first;
                      });
    timed.resize(keep);
    return offset >= timed.size() ? Ranked{} : Ranked(timed.begin() + static_cast<std::ptrdiff_t>(offset), timed.end());
  }
  void get_latest(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const Params params(req);
    const std::size_t n = params.n(), offset = params.offset();
    ListFilter filter{store, params.categories(arg(args, 0)), {}};
    filter.exclude_seen_by(params.text("user-id"));
    reply(res, scores_json(latest(filter.categories, filter, offset, n)));
  }

  std::shared_ptr<const Ranked> popular(const std::shared_ptr<const model::Recommender>& rec) {
    std::lock_guard lock(popular_mutex);
    if (popular_model != rec) {
      // Score = number of training users who interacted with the item.
      std::vector<std::uint32_t> users(rec->item_count(), 0);
      for (auto item : rec->user_items().indices) ++users[item];
      std::vector<std::uint32_t> order;
      for (std::uint32_t item_idx = 0; item_idx < users.size(); ++item_idx)
        if (users[item_idx] > 0) order.push_back(item_idx);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return users[a] > users[b]; });
      auto ranking = std::make_shared<Ranked>();
      for (auto item_idx : order) ranking->emplace_back(rec->item_ids().id(item_idx), users[item_idx]);
      popular_model = rec;
      popular_ranking = std::move(ranking);
    }
    return popular_ranking;
  }
  void answer_popular(const httplib::Request& req, httplib::Response& res, const std::string* path_category) {
    const Params params(req);
    const std::size_t n = params.n(), offset = params.offset();
    ListFilter filter{store, params.categories(path_category), {}};
    filter.exclude_seen_by(params.text("user-id"));
    const auto rec = current_model();
    if (!rec) return reply(res, json::array());
    reply(res, scores_json(page_of(*popular(rec), filter, offset, n)));
  }
  void get_popular(const httplib::Request& req, httplib::Response& res, const Args& args) {
    answer_popular(req, res, arg(args, 0));
  }
  // An unknown leaderboard name answers [] (as Gorse does).
  void get_non_personalized(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const std::string& name = args[0];
    if (name == "popular" || name == "most_popular") return answer_popular(req, res, nullptr);
    if (name == "latest") return get_latest(req, res, {});
    const Params params(req);
    params.n();
    params.offset();
    reply(res, json::array());
  }

  void answer_item_neighbors(const httplib::Request& req, httplib::Response& res, const std::string& item,
                             const std::shared_ptr<const model::Recommender>& rec, const std::string* path_category) {
    const Params params(req);
    const std::size_t n = params.n(), offset = params.offset();
    ListFilter filter{store, params.categories(path_category), {item}};
    filter.exclude_seen_by(params.text("user-id"));
    if (!rec) return reply(res, json::array());
    const auto idx = rec->item_ids().find(item);
    if (!idx) return reply(res, json::array());  // an item the model has not seen has no neighbours yet
    const Ranked candidates = ranked_items(*rec, rec->similar_items(*idx, overfetch(n, offset)));
    reply(res, scores_json(page_of(candidates, filter, offset, n)));
  }
  void get_item_neighbors(const httplib::Request& req, httplib::Response& res, const Args& args) {
    answer_item_neighbors(req, res, args[0], current_model(), arg(args, 1));
  }
  void get_item_to_item(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const auto rec = current_model();
    if (!known_neighbor_name(args[0], rec.get()))
      throw_error(ErrorCode::kNotFound, "item-to-item recommender '" + args[0] + "' does not exist (this server has "
                                        "'neighbors'" + (rec ? ", alias '" + rec->name() + "'" : std::string()) + ")");
    answer_item_neighbors(req, res, args[1], rec, nullptr);
  }

  // Users by cosine similarity of their training rows:
  //   sim(u, v) = Σ_i w_ui·w_vi / (‖w_u‖·‖w_v‖)
  // one pass over the training matrix per request.
  void answer_user_neighbors(const httplib::Request& req, httplib::Response& res, const std::string& user,
                             const std::shared_ptr<const model::Recommender>& rec) {
    const Params params(req);
    const std::size_t n = params.n(), offset = params.offset();
    if (!rec) return reply(res, json::array());
    const auto user_idx = rec->user_ids().find(user);
    if (!user_idx) return reply(res, json::array());
    const auto& matrix = rec->user_items();
    std::vector<float> mine(rec->item_count(), 0.0f);
    double my_norm = 0;
    const auto my_items = matrix.row_indices(*user_idx);
    const auto my_values = matrix.row_values(*user_idx);
    for (std::size_t pos = 0; pos < my_items.size(); ++pos) {
      mine[my_items[pos]] = my_values[pos];
      my_norm += static_cast<double>(my_values[pos]) * my_values[pos];
    }
    model::TopK top(offset + n);
    for (std::uint32_t other = 0; other < matrix.rows && my_norm > 0; ++other) {
      if (other == *user_idx) continue;
      const auto items = matrix.row_indices(other);
      const auto values = matrix.row_values(other);
      double dot = 0, norm = 0;
      for (std::size_t pos = 0; pos < items.size(); ++pos) {
        dot += static_cast<double>(mine[items[pos]]) * values[pos];
        norm += static_cast<double>(values[pos]) * values[pos];
      }
      if (dot > 0) top.push(other, static_cast<float>(dot / std::sqrt(my_norm * norm)));
    }
    Ranked out;
    const auto best = top.take();
    for (std::size_t pos = offset; pos < best.size(); ++pos)
      out.emplace_back(rec->user_ids().id(best[pos].item), best[pos].score);
    reply(res, scores_json(out));
  }
  void get_user_neighbors(const httplib::Request& req, httplib::Response& res, const Args& args) {
    answer_user_neighbors(req, res, args[0], current_model());
  }
  void get_user_to_user(const httplib::Request& req, httplib::Response& res, const Args& args) {
    const auto rec = current_model();
    if (!known_neighbor_name(args[0], rec.get()))
      throw_error(ErrorCode::kNotFound, "user-to-user recommender '" + args[0] + "' does not exist (this server has "
                                        "'neighbors'" + (rec ? ", alias '" + rec->name() + "'" : std::string()) + ")");
    answer_user_neighbors(req, res, args[1], rec);
  }
};

GorseApi::GorseApi(store::Store& store, std::function<std::shared_ptr<const model::Recommender>()> model,
                   std::function<experiment::Runtime*()> experiments)
    : impl_(new Impl{store, std::move(model), std::move(experiments), {}, nullptr, nullptr}) {}

GorseApi::~GorseApi() = default;

std::vector<std::pair<RouteInfo, RouteHandler>> GorseApi::routes() {
  using Method = void (Impl::*)(const httplib::Request&, httplib::Response&, const Args&);
  Impl* impl = impl_.get();
  const auto bind = [impl](Method method) -> RouteHandler {
    return [impl, method](const httplib::Request& req, httplib::Response& res, const Args& args) {
      (impl->*method)(req, res, args);
    };
  };
  const std::optional<Role> open, client = Role::kClient, admin = Role::kAdmin;
  const std::vector<std::string> page = {"n", "cursor", "Cursor"};
  const std::vector<std::string> list = {"n", "offset", "category", "user-id"};
  const std::vector<std::string> recommend = {"n", "offset", "category", "write-back-type", "write-back-delay"};
  const std::vector<std::string> window = {"n", "offset"};
  const std::vector<std::tuple<RouteInfo, Method>> table = {
      {{"GET", "/api/health/live", open, {}, "Gorse: liveness", "", "GorseHealth"}, &Impl::get_live},
      {{"GET", "/api/health/ready", open, {}, "Gorse: readiness (503 when the store does not answer)", "",
        "GorseHealth"},
       &Impl::get_ready},
      {{"POST", "/api/user", admin, {}, "Gorse: insert or replace a user", "GorseUser", "GorseSuccess"},
       &Impl::post_user},
      {{"POST", "/api/users", admin, {}, "Gorse: insert or replace users", "GorseUsers", "GorseSuccess"},
       &Impl::post_users},
      {{"GET", "/api/user/{user-id}", client, {}, "Gorse: a user", "", "GorseUser"}, &Impl::get_user},
      {{"PATCH", "/api/user/{user-id}", admin, {}, "Gorse: change a user's labels or comment", "GorseUserPatch",
        "GorseSuccess"},
       &Impl::patch_user},
      {{"DELETE", "/api/user/{user-id}", admin, {}, "Gorse: delete a user and their feedback", "", "GorseSuccess"},
       &Impl::delete_user},
      {{"GET", "/api/users", client, page, "Gorse: page through users", "", "GorseUserIterator"}, &Impl::list_users},
      {{"POST", "/api/item", admin, {}, "Gorse: insert or replace an item", "GorseItem", "GorseSuccess"},
       &Impl::post_item},
      {{"POST", "/api/items", admin, {}, "Gorse: insert or replace items", "GorseItems", "GorseSuccess"},
       &Impl::post_items},
      {{"GET", "/api/item/{item-id}", client, {}, "Gorse: an item", "", "GorseItem"}, &Impl::get_item},
      {{"PATCH", "/api/item/{item-id}", admin, {}, "Gorse: change an item (null = unchanged)", "GorseItemPatch",
        "GorseSuccess"},
       &Impl::patch_item},
      {{"DELETE", "/api/item/{item-id}", admin, {}, "Gorse: delete an item and its feedback", "", "GorseSuccess"},
       &Impl::delete_item},
      {{"GET", "/api/items", client, {"n", "cursor", "Cursor", "q"}, "Gorse: page through items, or search (q)", "",
        "GorseItemIterator"},
       &Impl::list_items},
      {{"PUT", "/api/item/{item-id}/category/{category}", admin, {}, "Gorse: add a category to an item", "",
        "GorseSuccess"},
       &Impl::put_category},
      {{"DELETE", "/api/item/{item-id}/category/{category}", admin, {}, "Gorse: remove a category from an item", "",
        "GorseSuccess"},
       &Impl::delete_category},
      {{"POST", "/api/feedback", client, {}, "Gorse: add feedback (accumulates)", "GorseFeedbackList", "GorseSuccess"},
       &Impl::post_feedback},
      {{"PUT", "/api/feedback", client, {}, "Gorse: add feedback, replacing the same keys", "GorseFeedbackList",
        "GorseSuccess"},
       &Impl::put_feedback},
      {{"GET", "/api/feedback", client, page, "Gorse: page through feedback", "", "GorseFeedbackIterator"},
       &Impl::list_feedback},
      {{"GET", "/api/feedback/{feedback-type}", client, page, "Gorse: page through feedback of one type", "",
        "GorseFeedbackIterator"},
       &Impl::list_feedback},
      {{"GET", "/api/feedback/{user-id}/{item-id}", client, {}, "Gorse: feedback of a user on an item, every type", "",
        "GorseFeedbackList"},
       &Impl::get_pair_feedback},
      {{"DELETE", "/api/feedback/{user-id}/{item-id}", admin, {}, "Gorse: delete a user's feedback on an item", "",
        "GorseSuccess"},
       &Impl::delete_pair_feedback},
      {{"GET", "/api/feedback/{feedback-type}/{user-id}/{item-id}", client, page,
        "Gorse: one feedback ({} when there is none)", "", "GorseFeedback"},
       &Impl::get_one_feedback},
      {{"DELETE", "/api/feedback/{feedback-type}/{user-id}/{item-id}", admin, {}, "Gorse: delete one feedback", "",
        "GorseSuccess"},
       &Impl::delete_one_feedback},
      {{"GET", "/api/user/{user-id}/feedback", client, {}, "Gorse: a user's feedback", "", "GorseFeedbackList"},
       &Impl::get_user_feedback},
      {{"GET", "/api/user/{user-id}/feedback/{feedback-type}", client, {},
        "Gorse: a user's feedback matching a type expression (read, read>=3)", "", "GorseFeedbackList"},
       &Impl::get_user_feedback},
      {{"GET", "/api/item/{item-id}/feedback", client, {}, "Gorse: feedback on an item", "", "GorseFeedbackList"},
       &Impl::get_item_feedback},
      {{"GET", "/api/item/{item-id}/feedback/{feedback-type}", client, {}, "Gorse: feedback of one type on an item",
        "", "GorseFeedbackList"},
       &Impl::get_item_feedback},
      {{"GET", "/api/recommend/{user-id}", client, recommend,
        "Gorse: recommendations (item ids; scores with X-API-Version: 2)", "", "GorseRecommendation"},
       &Impl::get_recommend},
      {{"GET", "/api/recommend/{user-id}/{category}", client, recommend,
        "Gorse (deprecated): recommendations in a category", "", "GorseRecommendation"},
       &Impl::get_recommend},
      {{"POST", "/api/session/recommend", client, window, "Gorse: recommendations for a session's feedback",
        "GorseFeedbackList", "GorseScores"},
       &Impl::post_session},
      {{"POST", "/api/session/recommend/{category}", client, window,
        "Gorse (deprecated): session recommendations in a category", "GorseFeedbackList", "GorseScores"},
       &Impl::post_session},
      {{"GET", "/api/latest", client, list, "Gorse: newest items", "", "GorseScores"}, &Impl::get_latest},
      {{"GET", "/api/latest/{category}", client, list, "Gorse (deprecated): newest items in a category", "",
        "GorseScores"},
       &Impl::get_latest},
      {{"GET", "/api/non-personalized/{name}", client, list, "Gorse: a leaderboard (popular, latest)", "",
        "GorseScores"},
       &Impl::get_non_personalized},
      {{"GET", "/api/popular", client, list, "Gorse v0.4: popular items", "", "GorseScores"}, &Impl::get_popular},
      {{"GET", "/api/popular/{category}", client, list, "Gorse v0.4: popular items in a category", "", "GorseScores"},
       &Impl::get_popular},
      {{"GET", "/api/item/{item-id}/neighbors", client, list, "Gorse: similar items", "", "GorseScores"},
       &Impl::get_item_neighbors},
      {{"GET", "/api/item/{item-id}/neighbors/{category}", client, list,
        "Gorse (deprecated): similar items in a category", "", "GorseScores"},
       &Impl::get_item_neighbors},
      {{"GET", "/api/item-to-item/{name}/{item-id}", client, list, "Gorse: similar items by a named recommender", "",
        "GorseScores"},
       &Impl::get_item_to_item},
      {{"GET", "/api/user/{user-id}/neighbors", client, window, "Gorse: similar users", "", "GorseScores"},
       &Impl::get_user_neighbors},
      {{"GET", "/api/user-to-user/{name}/{user-id}", client, window, "Gorse: similar users by a named recommender",
        "", "GorseScores"},
       &Impl::get_user_to_user},
      {{"GET", "/api/collaborative-filtering/{user-id}", client, list, "Gorse: ranked recommendations with scores",
        "", "GorseScores"},
       &Impl::get_collaborative},
      {{"GET", "/api/collaborative-filtering/{user-id}/{category}", client, list,
        "Gorse (deprecated): ranked recommendations in a category", "", "GorseScores"},
       &Impl::get_collaborative},
      {{"GET", "/api/intermediate/recommend/{user-id}", client, list, "Gorse v0.4: ranked recommendations", "",
        "GorseScores"},
       &Impl::get_collaborative},
      {{"GET", "/api/intermediate/recommend/{user-id}/{category}", client, list,
        "Gorse v0.4: ranked recommendations in a category", "", "GorseScores"},
       &Impl::get_collaborative},
  };
  std::vector<std::pair<RouteInfo, RouteHandler>> out;
  for (const auto& [info, method] : table) out.emplace_back(info, bind(method));
  return out;
}

}  // namespace tailor::server
