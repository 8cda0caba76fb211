// The HTTP server of `tailor serve`: cpp-httplib underneath (worker pool,
// keep-alive, body and time limits), one router over the raw request target
// (so percent-encoded ids such as "a%2Fb" stay one path segment), one error
// wrapper, API-key auth, and the model snapshot with background retraining.
#include <httplib.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <mutex>
#include <thread>

#include "codec.h"
#include "tailor/dataset/dataset.h"
#include "tailor/server/server.h"

namespace tailor::server {
namespace {

constexpr const char* kCurrentModelArtifact = "model:current";  // shared with the CLI's train

// An HTTP-level refusal that is not an engine error (401, 403, 405).
struct HttpError {
  int status;
  std::string code;
  std::string message;
};

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kUnavailable: return 503;
    default: return 500;
  }
}

void send_json(httplib::Response& res, int status, const nlohmann::json& doc) {
  res.status = status;
  // Replace invalid UTF-8 rather than throw: ids were validated, but be safe.
  res.set_content(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, const std::string& message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

// Percent-decodes one path segment or query value; InvalidArgument on a bad escape.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '%') {
      int value = 0;
      if (pos + 2 >= text.size())
        throw_error(ErrorCode::kInvalidArgument, "path: bad percent escape");
      auto [end, ec] = std::from_chars(text.data() + pos + 1, text.data() + pos + 3, value, 16);
      if (ec != std::errc() || end != text.data() + pos + 3)
        throw_error(ErrorCode::kInvalidArgument, "path: bad percent escape");
      out.push_back(static_cast<char>(value));
      pos += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= target.size()) {
    std::size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    segments.push_back(percent_decode(target.substr(start, end - start), false));
    start = end + 1;
  }
  if (!segments.empty() && segments.back().empty()) segments.pop_back();  // trailing slash
  return segments;
}

// Query parameters of a request, checked against the names a route accepts.
class Query {
 public:
  Query(const httplib::Request& req, std::initializer_list<std::string_view> known) : req_(req) {
    for (const auto& [name, value] : req.params) {
      bool ok = false;
      for (auto k : known) ok = ok || name == k;
      if (!ok) throw_error(ErrorCode::kInvalidArgument, name + ": unknown query parameter");
    }
  }
  std::string text(const std::string& name, const std::string& fallback = "") const {
    return req_.has_param(name) ? req_.get_param_value(name) : fallback;
  }
  // Repeated or comma-separated values.
  std::vector<std::string> list(const std::string& name) const {
    std::vector<std::string> out;
    for (std::size_t idx = 0; idx < req_.get_param_value_count(name); ++idx) {
      std::string_view value = req_.get_param_value(name, idx);
      while (!value.empty()) {
        auto comma = value.find(',');
        auto part = value.substr(0, comma);
        if (!part.empty()) out.emplace_back(part);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      }
    }
    return out;
  }
  long long integer(const std::string& name, long long fallback, long long min, long long max) const {
    if (!req_.has_param(name)) return fallback;
    const std::string value = req_.get_param_value(name);
    long long out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc() || end != value.data() + value.size() || out < min || out > max)
      throw_error(ErrorCode::kInvalidArgument, name + ": must be an integer in [" + std::to_string(min) + ", " +
                                                   std::to_string(max) + "]");
    return out;
  }
  double number(const std::string& name, double fallback, double min, double max) const {
    if (!req_.has_param(name)) return fallback;
    const std::string value = req_.get_param_value(name);
    char* end = nullptr;
    const double out = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(out) || out < min || out > max)
      throw_error(ErrorCode::kInvalidArgument,
                  name + ": must be a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return out;
  }
  bool flag(const std::string& name) const {
    if (!req_.has_param(name)) return false;
    const std::string value = req_.get_param_value(name);
    if (value == "" || value == "1" || value == "true") return true;
    if (value == "0" || value == "false") return false;
    throw_error(ErrorCode::kInvalidArgument, name + ": must be true or false");
  }

 private:
  const httplib::Request& req_;
};

// The model requests see, with when it was trained (0 = loaded from the store, unknown).
struct ModelSnapshot {
  std::shared_ptr<const model::Recommender> model;
  std::string source;  // "store" or "trained"
  Timestamp loaded_at = 0;
};

}  // namespace

void ServerOptions::validate() const {
  TAILOR_CHECK_ARG(port >= 0 && port <= 65535, "port must be in [0, 65535]");
  TAILOR_CHECK_ARG(threads >= 0 && threads <= 1024, "threads must be in [0, 1024]");
  TAILOR_CHECK_ARG(max_body_bytes >= 1024, "max_body_bytes must be >= 1024");
  TAILOR_CHECK_ARG(read_timeout_s >= 1 && read_timeout_s <= 3600, "read_timeout_s must be in [1, 3600]");
  TAILOR_CHECK_ARG(write_timeout_s >= 1 && write_timeout_s <= 3600, "write_timeout_s must be in [1, 3600]");
  TAILOR_CHECK_ARG(keep_alive_timeout_s >= 1 && keep_alive_timeout_s <= 3600,
                   "keep_alive_timeout_s must be in [1, 3600]");
  TAILOR_CHECK_ARG(keep_alive_max_requests >= 1, "keep_alive_max_requests must be >= 1");
  TAILOR_CHECK_ARG(!host.empty(), "host must not be empty");
}

struct Server::Impl {
  struct KeyHash {
    std::string digest;  // SHA-256 hex of the key
    Role role;
  };

  std::unique_ptr<store::Store> store;
  ServerOptions options;
  std::vector<KeyHash> keys;
  httplib::Server http;
  std::atomic<std::shared_ptr<const ModelSnapshot>> snapshot;

  std::mutex training_mutex;  // guards training_thread, last_training
  std::thread training_thread;
  std::atomic<bool> training{false};
  nlohmann::json last_training = nullptr;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> run_active{false};
  std::atomic<bool> run_done{false};

  // ------------------------------------------------------------ routing ---

  // Which role a route needs; nullopt = open (health).
  using Handler = void (Impl::*)(const httplib::Request&, httplib::Response&, const std::vector<std::string>&);
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // "{}" matches one segment
    std::optional<Role> role;
    Handler handler;
  };
  std::vector<Route> routes;

  void add_routes() {
    const std::optional<Role> open, client = Role::kClient, admin = Role::kAdmin;
    routes = {
        {"GET", {"v1", "health"}, open, &Impl::get_health},
        {"GET", {"v1", "ready"}, client, &Impl::get_ready},
        {"PUT", {"v1", "users", "{}"}, admin, &Impl::put_user},
        {"GET", {"v1", "users", "{}"}, client, &Impl::get_user},
        {"DELETE", {"v1", "users", "{}"}, admin, &Impl::delete_user},
        {"GET", {"v1", "users", "{}", "recommendations"}, client, &Impl::get_recommendations},
        {"GET", {"v1", "items"}, client, &Impl::list_items},
        {"PUT", {"v1", "items", "{}"}, admin, &Impl::put_item},
        {"GET", {"v1", "items", "{}"}, client, &Impl::get_item},
        {"DELETE", {"v1", "items", "{}"}, admin, &Impl::delete_item},
        {"GET", {"v1", "items", "{}", "similar"}, client, &Impl::get_similar},
        {"POST", {"v1", "events"}, client, &Impl::post_events},
        {"GET", {"v1", "models", "current"}, client, &Impl::get_model},
        {"POST", {"v1", "models", "train"}, admin, &Impl::post_train},
    };
  }

  static bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                      std::vector<std::string>& args) {
    if (pattern.size() != segments.size()) return false;
    args.clear();
    for (std::size_t idx = 0; idx < pattern.size(); ++idx) {
      if (pattern[idx] == "{}") {
        args.push_back(segments[idx]);
      } else if (pattern[idx] != segments[idx]) {
        return false;
      }
    }
    return true;
  }

  // The one wrapper: routes, authenticates, and translates every failure
  // into a status and a JSON error body. Nothing escapes it.
  void handle(const httplib::Request& req, httplib::Response& res) {
    try {
      const auto segments = split_path(req.target);
      std::vector<std::string> args;
      const Route* found = nullptr;
      bool path_known = false;
      for (const auto& route : routes) {
        if (!matches(route.pattern, segments, args)) continue;
        path_known = true;
        if (route.method == req.method) {
          found = &route;
          break;
        }
      }
      if (found == nullptr) {
        if (path_known) throw HttpError{405, "method_not_allowed", req.method + " is not allowed on this path"};
        throw HttpError{404, "not_found", "no route for " + req.method + " " + req.path};
      }
      if (found->role) authorize(req, *found->role);
      (this->*found->handler)(req, res, args);
    } catch (const HttpError& e) {
      send_error(res, e.status, e.code, e.message);
    } catch (const Error& e) {
      send_error(res, status_for(e.code()), error_code_name(e.code()), e.what());
    } catch (const nlohmann::json::exception& e) {
      send_error(res, 400, "invalid_argument", std::string("body: ") + e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, "internal", e.what());
    } catch (...) {
      send_error(res, 500, "internal", "unknown error");
    }
  }

  void authorize(const httplib::Request& req, Role needed) const {
    if (keys.empty()) return;
    std::string presented;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) {
      presented = auth.substr(7);
    } else {
      presented = req.get_header_value("X-API-Key");
    }
    if (presented.empty())
      throw HttpError{401, "unauthenticated", "Authorization: Bearer KEY or X-API-Key header required"};
    const std::string digest = sha256_hex(presented);
    // Compare against every key in constant time, without an early exit.
    std::optional<Role> role;
    for (const auto& key : keys) {
      unsigned char diff = 0;
      for (std::size_t pos = 0; pos < digest.size(); ++pos)
        diff |= static_cast<unsigned char>(digest[pos] ^ key.digest[pos]);
      if (diff == 0) role = key.role;
    }
    if (!role) throw HttpError{401, "unauthenticated", "unknown API key"};
    if (needed == Role::kAdmin && *role != Role::kAdmin)
      throw HttpError{403, "permission_denied", "this route needs an admin key"};
  }

  std::shared_ptr<const ModelSnapshot> current() const {
    auto snap = snapshot.load();
    if (!snap)
      throw_error(ErrorCode::kUnavailable, training ? "no model yet: the first training is running, retry shortly"
                                                    : "no model: POST /v1/models/train or run tailor train");
    return snap;
  }

  // ------------------------------------------------------------- routes ---

  void get_health(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    send_json(res, 200, {{"status", "ok"}});
  }

  void get_ready(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    auto snap = snapshot.load();
    if (snap) {
      send_json(res, 200, {{"status", "ready"}, {"model", snap->model->name()}});
    } else if (training) {
      send_json(res, 200, {{"status", "ready"}, {"model", nullptr}, {"training", true}});
    } else {
      throw_error(ErrorCode::kUnavailable, "no model and nothing to train on; import events first");
    }
  }

  void put_user(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& args) {
    check_id(args[0], "id");
    data::User user = user_from_json(args[0], parse_body(req.body));
    const auto old = store->get_user(user.id);
    user.created_at = old ? old->created_at : now_seconds();
    user.updated_at = now_seconds();
    auto writer = store->begin_write();
    writer->put_user(user);
    writer->commit();
    send_json(res, old ? 200 : 201, user_to_json(*store->get_user(user.id)));
  }

  void get_user(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    auto user = store->get_user(args[0]);
    if (!user) throw_error(ErrorCode::kNotFound, "user '" + args[0] + "' does not exist");
    send_json(res, 200, user_to_json(*user));
  }

  void delete_user(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    auto writer = store->begin_write();
    const bool existed = writer->delete_user(args[0]);
    writer->commit();
    if (!existed) throw_error(ErrorCode::kNotFound, "user '" + args[0] + "' does not exist");
    send_json(res, 200, {{"deleted", args[0]}});
  }

  void put_item(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& args) {
    check_id(args[0], "id");
    data::Item item = item_from_json(args[0], parse_body(req.body));
    const auto old = store->get_item(item.id);
    item.created_at = old ? old->created_at : now_seconds();
    item.updated_at = now_seconds();
    auto writer = store->begin_write();
    writer->put_item(item);
    writer->commit();
    send_json(res, old ? 200 : 201, item_to_json(*store->get_item(item.id)));
  }

  void get_item(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    auto item = store->get_item(args[0]);
    if (!item) throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' does not exist");
    send_json(res, 200, item_to_json(*item));
  }

  void delete_item(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    auto writer = store->begin_write();
    const bool existed = writer->delete_item(args[0]);
    writer->commit();
    if (!existed) throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' does not exist");
    send_json(res, 200, {{"deleted", args[0]}});
  }

  void list_items(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&) {
    const Query query(req, {"cursor", "limit"});
    store::Page page;
    page.cursor = query.text("cursor");
    page.limit = static_cast<std::size_t>(query.integer("limit", 100, 1, 1000));
    nlohmann::json items = nlohmann::json::array();
    const auto rows = store->list_items(page);
    for (const auto& item : rows) items.push_back(item_to_json(item));
    const std::string next = rows.size() == page.limit ? rows.back().id : "";
    send_json(res, 200, {{"items", items}, {"cursor", next}});
  }

  // Acknowledged only after commit() returns: the batch is durable then.
  void post_events(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&) {
    const auto events = events_from_json(parse_body(req.body), now_seconds());
    std::size_t written = 0;
    auto writer = store->begin_write();
    for (const auto& ev : events) written += writer->put_event(ev) ? 1 : 0;
    writer->commit();
    send_json(res, 200, {{"written", written}, {"duplicates", events.size() - written}});
  }

  void get_recommendations(const httplib::Request& req, httplib::Response& res,
                           const std::vector<std::string>& args) {
    const Query query(req, {"n", "category", "exclude", "diversity", "explain", "include_seen"});
    const auto snap = current();
    RecommendQuery rq;
    rq.user = args[0];
    check_id(rq.user, "user");
    rq.n = static_cast<std::size_t>(query.integer("n", 10, 1, 10000));
    rq.categories = query.list("category");
    rq.exclude = query.list("exclude");
    rq.diversity = query.number("diversity", 0, 0, 1);
    rq.include_seen = query.flag("include_seen");
    const bool explain = query.flag("explain");
    const RecommendResult answer = recommend_for_user(*store, *snap->model, rq);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : answer.items)
      items.push_back(scored_item_json(*store, snap->model->item_ids().id(r.item), r.score));
    nlohmann::json doc = {{"user", rq.user}, {"model", snap->model->name()}, {"items", items}};
    if (explain)
      doc["explain"] = {{"source", answer.source},
                        {"history_length", answer.history_length},
                        {"known_to_model", snap->model->user_ids().find(rq.user).has_value()},
                        {"excluded_seen", !rq.include_seen},
                        {"diversity", rq.diversity},
                        {"categories", rq.categories}};
    send_json(res, 200, doc);
  }

  void get_similar(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& args) {
    const Query query(req, {"n"});
    const auto n = static_cast<std::size_t>(query.integer("n", 10, 1, 10000));
    const auto snap = current();
    const auto& rec = *snap->model;
    auto idx = rec.item_ids().find(args[0]);
    if (!idx) {
      if (store->get_item(args[0]))
        throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' has no interactions in the current model");
      throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' does not exist");
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : rec.similar_items(*idx, n)) items.push_back(scored_item_json(*store, rec.item_ids().id(r.item), r.score));
    send_json(res, 200, {{"item", args[0]}, {"model", rec.name()}, {"items", items}});
  }

  void get_model(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    const auto snap = current();
    nlohmann::json doc = {{"name", snap->model->name()},
                          {"params", snap->model->params()},
                          {"users", snap->model->user_count()},
                          {"items", snap->model->item_count()},
                          {"source", snap->source},
                          {"loaded_at", format_timestamp(snap->loaded_at)},
                          {"training", training.load()}};
    {
      std::lock_guard lock(training_mutex);
      doc["last_training"] = last_training;
    }
    send_json(res, 200, doc);
  }

  void post_train(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&) {
    std::string name;
    nlohmann::json params = nlohmann::json::object();
    if (!req.body.empty()) {
      const auto body = parse_body(req.body);
      TAILOR_CHECK_ARG(body.is_object(), "body: must be a JSON object");
      for (auto it = body.begin(); it != body.end(); ++it)
        TAILOR_CHECK_ARG(it.key() == "model" || it.key() == "params", it.key() + ": unknown field");
      if (body.contains("model")) {
        TAILOR_CHECK_ARG(body["model"].is_string(), "model: must be a string");
        name = body["model"].get<std::string>();
      }
      if (body.contains("params")) {
        TAILOR_CHECK_ARG(body["params"].is_object(), "params: must be an object");
        params = body["params"];
      }
    }
    // Validate name and params now, so the caller hears about them (400) rather than the log.
    model::create_model(name.empty() ? options.train_model : name, params);
    if (!start_training(name, params)) throw_error(ErrorCode::kAlreadyExists, "a training is already running");
    send_json(res, 202, {{"status", "training"}, {"model", name.empty() ? options.train_model : name}});
  }

  // ----------------------------------------------------------- training ---

  bool start_training(const std::string& name_in, const nlohmann::json& params) {
    std::lock_guard lock(training_mutex);
    if (training.exchange(true)) return false;
    if (training_thread.joinable()) training_thread.join();  // the previous one has finished
    const std::string name = name_in.empty() ? options.train_model : name_in;
    training_thread = std::thread([this, name, params] { train(name, params); });
    return true;
  }

  // Runs on the training thread: snapshot, fit, persist, swap. Never throws.
  void train(const std::string& name, const nlohmann::json& params) {
    nlohmann::json summary = {{"model", name}, {"started_at", format_timestamp(now_seconds())}};
    try {
      const double start = monotonic_seconds();
      auto recommender = model::create_model(name, params);
      dataset::SnapshotOptions snap_options;
      snap_options.event_types.allow_unknown = true;  // stored events were validated on the way in
      const dataset::Dataset data = dataset::snapshot(*store, snap_options, true);
      TAILOR_CHECK_ARG(!data.interactions.empty(), "the store has no interactions to train on");
      model::FitOptions fit;
      fit.threads = options.train_threads;
      recommender->fit(data, data.interactions, fit);
      const std::string bytes = recommender->save_bytes();
      {
        auto writer = store->begin_write();
        writer->put_artifact(kCurrentModelArtifact, bytes);
        writer->put_artifact("model:" + name, bytes);
        writer->commit();
      }
      auto snap = std::make_shared<ModelSnapshot>();
      snap->model = std::shared_ptr<const model::Recommender>(std::move(recommender));
      snap->source = "trained";
      snap->loaded_at = now_seconds();
      snapshot.store(std::move(snap));  // requests from now on see the new model
      summary["status"] = "ok";
      summary["seconds"] = monotonic_seconds() - start;
      summary["interactions"] = data.interactions.size();
      log_info("trained " + name + " on " + std::to_string(data.interactions.size()) + " interactions; swapped in");
    } catch (const std::exception& e) {
      summary["status"] = "failed";
      summary["error"] = e.what();
      log_warn(std::string("training ") + name + " failed: " + e.what());
    }
    std::lock_guard lock(training_mutex);
    last_training = summary;
    training = false;
  }

  void wait_for_training() {
    while (training) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard lock(training_mutex);
    if (training_thread.joinable()) training_thread.join();
  }
};

Server::Server(std::unique_ptr<store::Store> store, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  options.validate();
  TAILOR_CHECK_ARG(store != nullptr, "store must be open");
  impl_->store = std::move(store);
  impl_->options = std::move(options);
  for (const auto& entry : impl_->options.api_keys) {
    auto [key, role] = parse_api_key(entry);
    impl_->keys.push_back({sha256_hex(key), role});
  }
  impl_->add_routes();

  if (auto bytes = impl_->store->get_artifact(kCurrentModelArtifact)) {
    auto snap = std::make_shared<ModelSnapshot>();
    snap->model = std::shared_ptr<const model::Recommender>(model::load_model_bytes(*bytes));
    snap->source = "store";
    snap->loaded_at = now_seconds();
    impl_->snapshot.store(std::move(snap));
  } else if (impl_->store->stats().events > 0) {
    log_info("no trained model in the store yet; training " + impl_->options.train_model + " in the background");
    impl_->start_training("", nlohmann::json::object());
  }

  auto& http = impl_->http;
  // A worker serves one keep-alive connection at a time, not one request, so
  // the pool is a small multiple of the cores rather than the core count.
  const int workers = impl_->options.threads > 0 ? impl_->options.threads : std::max(8, 4 * default_thread_count());
  http.new_task_queue = [workers] { return new httplib::ThreadPool(static_cast<std::size_t>(workers)); };
  http.set_tcp_nodelay(true);  // small JSON answers: no Nagle / delayed-ACK stalls (~40 ms)
  http.set_payload_max_length(impl_->options.max_body_bytes);
  http.set_read_timeout(impl_->options.read_timeout_s, 0);
  http.set_write_timeout(impl_->options.write_timeout_s, 0);
  http.set_keep_alive_timeout(impl_->options.keep_alive_timeout_s);
  http.set_keep_alive_max_count(static_cast<std::size_t>(impl_->options.keep_alive_max_requests));
  Impl* impl = impl_.get();
  const auto handler = [impl](const httplib::Request& req, httplib::Response& res) { impl->handle(req, res); };
  const std::string any = R"([\s\S]*)";
  http.Get(any, handler);
  http.Put(any, handler);
  http.Post(any, handler);
  http.Delete(any, handler);
  http.Patch(any, handler);
  // Errors httplib produces itself (413 body too large, 400 bad request line, ...).
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    std::string code = status == 413 ? "payload_too_large" : status == 404 ? "not_found" : "bad_request";
    std::string message = status == 413 ? "body: larger than the server's limit" : "request rejected by the HTTP layer (status " + std::to_string(status) + ")";
    send_error(res, status, code, message);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal", "unhandled exception");
  });
}

Server::~Server() {
  stop();
  impl_->wait_for_training();
}

int Server::bind() {
  const int port = impl_->options.port == 0 ? impl_->http.bind_to_any_port(impl_->options.host)
                                            : (impl_->http.bind_to_port(impl_->options.host, impl_->options.port)
                                                   ? impl_->options.port
                                                   : -1);
  if (port < 0)
    throw_error(ErrorCode::kUnavailable, "cannot listen on " + impl_->options.host + ":" +
                                             std::to_string(impl_->options.port));
  return port;
}

void Server::run() {
  impl_->run_active = true;
  if (!impl_->stop_requested) impl_->http.listen_after_bind();
  impl_->run_done = true;
}

void Server::stop() {
  impl_->stop_requested = true;
  if (!impl_->run_active) return;  // run() will see the flag
  // run() may be between its flag check and httplib's loop start: wait for one of them.
  while (!impl_->http.is_running() && !impl_->run_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
}

std::shared_ptr<const model::Recommender> Server::model() const {
  auto snap = impl_->snapshot.load();
  return snap ? snap->model : nullptr;
}

bool Server::start_training(const std::string& model_name, const nlohmann::json& params) {
  return impl_->start_training(model_name, params);
}

void Server::wait_for_training() { impl_->wait_for_training(); }

}  // namespace tailor::server
