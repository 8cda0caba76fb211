// The HTTP server of `tailor serve`: cpp-httplib underneath (worker pool,
// keep-alive, body and time limits), one router over the raw request target
// (so percent-encoded ids such as "a%2Fb" stay one path segment), one error
// wrapper, API-key auth, and the model snapshot with background retraining.
#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "access_log.h"
#include "codec.h"
#include "gorse_api.h"
#include "metrics.h"
#include "module.h"
#include "rate_limit.h"
#include "rec_cache.h"
#include "search_service.h"
#include "tracked_store.h"
#include "tailor/dataset/dataset.h"
#include "tailor/profile/profile.h"
#include "tailor/semantic/semantic.h"
#include "tailor/server/server.h"

namespace tailor::server {
namespace {

using model::kCurrentModelArtifact;

// How often /metrics re-reads the store's counts (a COUNT over each table).
constexpr double kStoreStatsMaxAgeS = 5;

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

}  // namespace

void reply_json(httplib::Response& res, int status, const nlohmann::json& doc) { send_json(res, status, doc); }

namespace {

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
  // Trailing slashes, any number: Gorse clients build "/api/recommend/bob/" (go-restful trims them).
  while (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

// Query parameters of a request. The router has already rejected names the
// route's table row does not accept (RouteInfo::query), so the table is the
// one list of accepted names, for the handlers and the OpenAPI spec alike.
class Query {
 public:
  explicit Query(const httplib::Request& req) : req_(req) {}
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
  std::uint64_t generation = 0;  // 1 for the first model, +1 per swap; part of the rec cache key
};

// What started a training; the index into Impl::trainings_by_trigger.
constexpr std::array<const char*, 4> kTrainingTriggers = {"startup", "api", "interval", "events"};

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
  TAILOR_CHECK_ARG(rate_limit_rps >= 0 && rate_limit_rps <= 1e6, "rate_limit_rps must be in [0, 1e6]");
  TAILOR_CHECK_ARG(rate_limit_burst == 0 || (rate_limit_burst >= 1 && rate_limit_burst <= 1e6),
                   "rate_limit_burst must be 0 (= max(1, rps)) or in [1, 1e6]");
  TAILOR_CHECK_ARG(train_threads >= 0 && train_threads <= 1024, "train_threads must be in [0, 1024]");
  const auto names = model::model_names();
  TAILOR_CHECK_ARG(std::find(names.begin(), names.end(), train_model) != names.end(),
                   "train_model: unknown model '" + train_model + "'");
  TAILOR_CHECK_ARG(retrain_interval_s >= 0 && retrain_interval_s <= 30 * 24 * 3600,
                   "retrain_interval_s must be in [0, 2592000] (0 = off)");
  TAILOR_CHECK_ARG(retrain_after_events >= 0, "retrain_after_events must be >= 0 (0 = off)");
  TAILOR_CHECK_ARG(rec_cache_entries <= 10'000'000, "rec_cache_entries must be in [0, 10000000]");
  TAILOR_CHECK_ARG(experiment_sync_exposures == 0 || experiment_sync_exposures == 1,
                   "experiment_sync_exposures must be 0 or 1");
  TAILOR_CHECK_ARG(experiment_flush_ms >= 1 && experiment_flush_ms <= 10000, "experiment_flush_ms must be in [1, 10000]");
  TAILOR_CHECK_ARG(experiment_monitor_interval_s >= 1 && experiment_monitor_interval_s <= 86400,
                   "experiment_monitor_interval_s must be in [1, 86400]");
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

  // Recommendation cache and what keeps its keys fresh (rec_cache.h); the
  // store is a TrackedStore whose commits bump the generations.
  std::unique_ptr<RecCache> rec_cache;
  WriteGenerations generations;
  std::atomic<std::uint64_t> model_generation{0};
  std::unique_ptr<AccessLog> access_log;  // nullptr = off
  std::unique_ptr<SearchService> search;  // GET /v1/search; loads its embedder on first use
  // Item text vectors aligned with the current model's items for
  // /v1/items/{id}/similar?by=content|hybrid, rebuilt when the model, the
  // catalogue or the store's current embedding model changes.
  struct SimilarContent {
    std::uint64_t model_generation = 0, catalogue_generation = 0;
    std::string embedding_model;
    std::shared_ptr<const dataset::ContentVectors> vectors;
  };
  std::mutex similar_content_mutex;
  SimilarContent similar_content;

  // Retraining triggers: events committed through this server, and where the
  // counters stood when the last training started (any trigger).
  std::atomic<std::int64_t> events_written{0};
  std::atomic<std::int64_t> events_at_training_start{0};
  std::atomic<double> training_started_at{monotonic_seconds()};
  std::array<std::atomic<std::uint64_t>, kTrainingTriggers.size()> trainings_by_trigger{};
  std::mutex scheduler_mutex;  // guards scheduler_stop; scheduler_cv waits on it
  std::condition_variable scheduler_cv;
  bool scheduler_stop = false;
  std::thread scheduler_thread;

  // ------------------------------------------------------------ routing ---

  using Handler = void (Impl::*)(const httplib::Request&, httplib::Response&, const std::vector<std::string>&);
  struct Route {
    RouteInfo info;
    std::vector<std::string> pattern;  // path segments; "{}" matches one segment
    Handler handler;
    RouteHandler call;  // used when handler is null: routes served outside Impl (gorse_api.cc)
  };
  std::vector<Route> routes;
  std::unique_ptr<GorseApi> gorse;  // the Gorse-compatible /api routes
  std::unique_ptr<ServerContext> context;             // what modules see of the server
  std::vector<std::unique_ptr<RouteModule>> modules;  // components' routes (module.h)
  std::unique_ptr<HttpMetrics> metrics;     // slots: one per route, then one per unmatched method
  std::unique_ptr<RateLimiter> limiter;     // nullptr = no rate limits
  std::string openapi_body;                 // generated once from the route table
  const double started_at = monotonic_seconds();

  // Store counts for /metrics, re-read at most every kStoreStatsMaxAgeS.
  std::mutex store_stats_mutex;
  store::StoreStats store_stats;
  double store_stats_at = -1e18;

  static constexpr std::array<const char*, 5> kMethods = {"GET", "PUT", "POST", "DELETE", "PATCH"};

  // The route table: the router, auth, the accepted query names and the
  // OpenAPI spec all come from these rows.
  void add_routes() {
    const std::optional<Role> open, client = Role::kClient, admin = Role::kAdmin;
    const std::vector<std::pair<RouteInfo, Handler>> table = {
        {{"GET", "/v1/health", open, {}, "Liveness", "", "Health"}, &Impl::get_health},
        {{"GET", "/v1/ready", client, {}, "Readiness: a model is loaded or training", "", "Ready"}, &Impl::get_ready},
        {{"GET", "/v1/openapi.json", client, {}, "This OpenAPI document", "", "OpenAPI"}, &Impl::get_openapi},
        {{"GET", "/metrics", admin, {}, "Prometheus metrics (text format 0.0.4)", "", ""}, &Impl::get_metrics},
        {{"PUT", "/v1/users/{id}", admin, {}, "Create or replace a user", "UserInput", "User"}, &Impl::put_user},
        {{"GET", "/v1/users/{id}", client, {}, "A user", "", "User"}, &Impl::get_user},
        {{"DELETE", "/v1/users/{id}", admin, {}, "Delete a user", "", "Deleted"}, &Impl::delete_user},
        {{"GET", "/v1/users/{id}/recommendations", client,
          {"n", "category", "exclude", "diversity", "explain", "include_seen"}, "Recommendations for a user", "",
          "Recommendations"},
         &Impl::get_recommendations},
        {{"GET", "/v1/users/{id}/profile", client, {}, "Profile features, labels and segment of a user", "",
          "Profile"},
         &Impl::get_profile},
        {{"GET", "/v1/items", client, {"cursor", "limit"}, "Page through items", "", "ItemPage"}, &Impl::list_items},
        {{"PUT", "/v1/items/{id}", admin, {}, "Create or replace an item", "ItemInput", "Item"}, &Impl::put_item},
        {{"GET", "/v1/items/{id}", client, {}, "An item", "", "Item"}, &Impl::get_item},
        {{"DELETE", "/v1/items/{id}", admin, {}, "Delete an item", "", "Deleted"}, &Impl::delete_item},
        {{"GET", "/v1/items/{id}/similar", client, {"n", "by"}, "Items similar to an item (by=model|content|behaviour|hybrid)", "", "SimilarItems"},
         &Impl::get_similar},
        {{"POST", "/v1/events", client, {}, "Write one event or a batch (all or nothing)", "EventBatch",
          "EventsWritten"},
         &Impl::post_events},
        {{"GET", "/v1/search", client, {"q", "user", "n"},
          "Semantic search over the catalogue (zh/en), optionally personalised for a user", "", "SearchResult"},
         &Impl::get_search},
        {{"GET", "/v1/models/current", client, {}, "The model requests see now", "", "ModelStatus"},
         &Impl::get_model},
        {{"POST", "/v1/models/train", admin, {}, "Start a background training", "TrainRequest", "TrainAccepted",
          202},
         &Impl::post_train},
    };
    std::vector<HttpMetrics::Series> series;
    const auto add = [&](const RouteInfo& info, Handler handler, RouteHandler call) {
      std::vector<std::string> pattern;
      for (auto& segment : split_path(info.path)) pattern.push_back(segment.starts_with("{") ? "{}" : segment);
      routes.push_back({info, std::move(pattern), handler, std::move(call)});
      series.push_back({info.method, info.path});
    };
    for (const auto& [info, handler] : table) add(info, handler, nullptr);
    // The Gorse routes go through the same table, so auth, rate limits, metrics and the spec cover them.
    gorse = std::make_unique<GorseApi>(*store, [this] { return current()->model; },
                                       [this] { return context ? context->experiments.get() : nullptr; });
    for (auto& [info, call] : gorse->routes()) add(info, nullptr, std::move(call));
    context = std::make_unique<ServerContext>(
        ServerContext{*store, options, [this] { return current()->model; }});
    modules = make_route_modules(*context);
    for (auto& module : modules)
      for (auto& [info, call] : module->routes()) add(info, nullptr, std::move(call));
    for (const char* method : kMethods) series.push_back({method, "unmatched"});
    metrics = std::make_unique<HttpMetrics>(std::move(series));
    openapi_body = openapi_spec(route_infos()).dump();
  }

  std::vector<RouteInfo> route_infos() const {
    std::vector<RouteInfo> out;
    for (const auto& route : routes) out.push_back(route.info);
    return out;
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

  // The one wrapper: routes, authenticates, rate-limits, and translates every
  // failure into a status and a JSON error body; records the request's
  // metrics under its route pattern. Nothing escapes it.
  void handle(const httplib::Request& req, httplib::Response& res) {
    const double start = monotonic_seconds();
    std::string key_digest;  // of the key that authenticated the request; "" = none
    std::size_t slot = routes.size() + kMethods.size() - 1;  // unmatched, method unknown
    for (std::size_t idx = 0; idx < kMethods.size(); ++idx)
      if (req.method == kMethods[idx]) slot = routes.size() + idx;
    // Gorse clients expect plain-text error bodies (GORSE_API.md 1.1); the /v1 API sends JSON.
    const bool plain_errors = is_gorse_path(req.path);
    const auto fail = [&](int status, std::string_view code, const std::string& message) {
      if (plain_errors) {
        res.status = status;
        res.set_content(message, "text/plain; charset=utf-8");
      } else {
        send_error(res, status, code, message);
      }
    };
    try {
      const auto segments = split_path(req.target);
      std::vector<std::string> args;
      const Route* found = nullptr;
      bool path_known = false;
      for (std::size_t idx = 0; idx < routes.size(); ++idx) {
        if (!matches(routes[idx].pattern, segments, args)) continue;
        path_known = true;
        if (routes[idx].info.method == req.method) {
          found = &routes[idx];
          slot = idx;
          break;
        }
      }
      if (found == nullptr) {
        if (path_known) throw HttpError{405, "method_not_allowed", req.method + " is not allowed on this path"};
        throw HttpError{404, "not_found", "no route for " + req.method + " " + req.path};
      }
      if (found->info.role) {
        const std::string caller = authorize(req, *found->info.role);
        key_digest = caller;
        if (limiter) {
          const double wait = limiter->acquire(caller.empty() ? "addr:" + req.remote_addr : caller, start);
          if (wait > 0)
            throw HttpError{429, "rate_limited", "rate limit exceeded for this API key; retry later", wait};
        }
      }
      for (const auto& [name, value] : req.params) {
        const auto& known = found->info.query;
        if (std::find(known.begin(), known.end(), name) == known.end())
          throw_error(ErrorCode::kInvalidArgument, name + ": unknown query parameter");
      }
      if (found->handler)
        (this->*found->handler)(req, res, args);
      else
        found->call(req, res, args);
    } catch (const HttpError& e) {
      fail(e.status, e.code, e.message);
      if (e.retry_after_s > 0)
        res.set_header("Retry-After", std::to_string(static_cast<long long>(std::ceil(e.retry_after_s))));
    } catch (const Error& e) {
      fail(status_for(e.code()), error_code_name(e.code()), e.what());
    } catch (const nlohmann::json::exception& e) {
      fail(400, "invalid_argument", std::string("body: ") + e.what());
    } catch (const std::exception& e) {
      fail(500, "internal", e.what());
    } catch (...) {
      fail(500, "internal", "unknown error");
    }
    const double elapsed = monotonic_seconds() - start;
    metrics->observe(slot, res.status, elapsed);
    if (access_log) {
      const std::string_view target = req.target;
      access_log->write({req.method, target.substr(0, target.find('?')),
                         slot < routes.size() ? std::string_view(routes[slot].info.path) : "unmatched", res.status,
                         elapsed, key_digest, res.body.size()});
    }
  }

  // Checks the presented key against `needed`; returns the key's digest ("" when
  // no keys are configured), which names the caller's rate-limit bucket.
  std::string authorize(const httplib::Request& req, Role needed) const {
    if (keys.empty()) return "";
    std::string presented;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) {
      presented = auth.substr(7);
    } else {
      presented = req.get_header_value("X-API-Key");
    }
    if (presented.empty())
      throw HttpError{401, "unauthenticated", "Authorization: Bearer KEY or X-API-Key header required"};
    std::string digest = sha256_hex(presented);
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
    return digest;
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

  void get_openapi(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    res.status = 200;
    res.set_content(openapi_body, "application/json");
  }

  // Prometheus text format 0.0.4: the request metrics, then model, training and store gauges.
  void get_metrics(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    std::string out;
    metrics->write(out);
    auto gauge = [&out](const std::string& name, const std::string& help, const std::string& labels, double value) {
      char number[32];
      std::snprintf(number, sizeof number, "%.9g", value);
      out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + labels + " " + number + "\n";
    };
    const auto snap = snapshot.load();
    if (snap) {
      gauge("tailor_model_info", "The model requests see now.",
            "{name=\"" + prometheus_escape(snap->model->name()) + "\",source=\"" + snap->source + "\"}", 1);
      gauge("tailor_model_age_seconds", "Seconds since the current model was trained or loaded.", "",
            static_cast<double>(now_seconds() - snap->loaded_at));
    }
    gauge("tailor_model_training", "1 while a background training runs.", "", training ? 1 : 0);
    gauge("tailor_model_generation", "Models swapped in since start (the rec cache key part).", "",
          static_cast<double>(model_generation.load()));
    gauge("tailor_model_events_since_training", "Events written through this server since the last training started.",
          "", static_cast<double>(events_written.load() - events_at_training_start.load()));
    auto counter = [&out](const std::string& name, const std::string& help,
                          const std::vector<std::pair<std::string, std::uint64_t>>& series) {
      out += "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n";
      for (const auto& [labels, value] : series) out += name + labels + " " + std::to_string(value) + "\n";
    };
    std::vector<std::pair<std::string, std::uint64_t>> trainings;
    for (std::size_t idx = 0; idx < kTrainingTriggers.size(); ++idx)
      trainings.emplace_back(std::string("{trigger=\"") + kTrainingTriggers[idx] + "\"}",
                             trainings_by_trigger[idx].load());
    counter("tailor_model_trainings_total", "Trainings started, by what started them.", trainings);
    counter("tailor_rec_cache_hits_total", "Recommendation answers served from the cache.", {{"", rec_cache->hits()}});
    counter("tailor_rec_cache_misses_total", "Recommendation answers computed (cache miss or cache off).",
            {{"", rec_cache->misses()}});
    counter("tailor_rec_cache_evictions_total", "Cached answers evicted as least recently used.",
            {{"", rec_cache->evictions()}});
    gauge("tailor_rec_cache_entries", "Recommendation answers cached now.", "", static_cast<double>(rec_cache->size()));
    {
      std::lock_guard lock(training_mutex);
      if (last_training.is_object() && last_training.contains("seconds"))
        gauge("tailor_model_last_training_duration_seconds", "Duration of the last successful training.", "",
              last_training["seconds"].get<double>());
    }
    store::StoreStats stats;
    {
      std::lock_guard lock(store_stats_mutex);
      const double now = monotonic_seconds();
      if (now - store_stats_at >= kStoreStatsMaxAgeS) {
        store_stats = store->stats();
        store_stats_at = now;
      }
      stats = store_stats;
    }
    gauge("tailor_store_users", "Users in the store (refreshed every few seconds).", "", static_cast<double>(stats.users));
    gauge("tailor_store_items", "Items in the store (refreshed every few seconds).", "", static_cast<double>(stats.items));
    gauge("tailor_store_events", "Events in the store (refreshed every few seconds).", "", static_cast<double>(stats.events));
    gauge("tailor_uptime_seconds", "Seconds since the server started.", "", monotonic_seconds() - started_at);
    for (const auto& module : modules) out += module->metrics_text();
    res.status = 200;
    res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
  }

  // The store-wide part of a profile (categories, mean prices, channels,
  // newest event): rescanned when items or events were written through this
  // server (catalogue generation + events written) and at least every 60 s.
  profile::ProfileUniverseCache profile_universe{60};

  // Features, top brands and default-rule labels of one user, plus the segment
  // when the store has a segmentation ("segments:current"). Reads that user's
  // events and the items they touched: O(user's events) while the cached
  // universe is fresh (profile::compute_user_profile).
  void get_profile(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    const auto universe =
        profile_universe.get(*store, generations.catalogue() + static_cast<std::uint64_t>(events_written.load()));
    const auto found = profile::compute_user_profile(*store, args[0], *universe);
    if (!found) throw_error(ErrorCode::kNotFound, "user '" + args[0] + "' does not exist");
    nlohmann::json doc = {{"user", found->user_id},
                          {"attributes", found->attributes},
                          {"event_count", found->event_count},
                          {"features", profile::features_json(*found)},
                          {"brands", profile::brands_json(*found)},
                          {"labels", profile_rules().labels_for(*found)},
                          {"segment", nullptr}};
    if (auto bytes = store->get_artifact(profile::kSegmentsArtifact)) {
      const auto segments = profile::segments_from_json(nlohmann::json::parse(*bytes));
      if (auto id = segments.segment_of(found->user_id))
        for (const auto& segment : segments.segments)
          if (segment.id == *id) doc["segment"] = profile::segment_json(segment);
    }
    send_json(res, 200, doc);
  }

  static const profile::RuleSet& profile_rules() {
    static const profile::RuleSet rules = profile::RuleSet::defaults();  // immutable; labels_for is thread-safe
    return rules;
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
    const Query query(req);
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
    const Query query(req);
    const auto snap = current();
    rank::RecommendQuery rq;
    rq.user = args[0];
    check_id(rq.user, "user");
    rq.n = static_cast<std::size_t>(query.integer("n", 10, 1, 10000));
    rq.categories = query.list("category");
    rq.exclude = query.list("exclude");
    rq.diversity = query.number("diversity", 0, 0, 1);
    rq.include_seen = query.flag("include_seen");
    const bool explain = query.flag("explain");
    // Experiments: a user in a live one gets the variant's answer with an
    // exposure of its own, so never a cached body.
    const bool in_experiment = context->experiments && context->experiments->applies("recommendations", rq.user);
    // The key holds every input of the answer; the generations are read
    // before the answer is computed, so it is never older than its key.
    std::string cache_key;
    if (rec_cache->enabled() && !in_experiment) {
      RecCacheKey key;
      key.add(snap->generation).add(generations.catalogue()).add(generations.user(rq.user)).add(rq.user).add(rq.n);
      key.add(rq.categories.size());
      for (const auto& c : rq.categories) key.add(c);
      key.add(rq.exclude.size());
      for (const auto& e : rq.exclude) key.add(e);
      key.add(std::bit_cast<std::uint64_t>(rq.diversity)).add(rq.include_seen ? 1 : 0).add(explain ? 1 : 0);
      cache_key = key.str();
      if (auto body = rec_cache->get(cache_key)) {
        res.status = 200;
        res.set_content(*body, "application/json");
        return;
      }
    }
    const auto answer = experiment::serve_recommendation(context->experiments.get(), "recommendations", *store,
                                                         snap->model, rq, 0, req.get_header_value("X-Request-Id"));
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : answer.items) items.push_back(rank::scored_item_json(*store, r.item, r.score));
    nlohmann::json doc = {{"user", rq.user}, {"model", answer.model->name()}, {"items", items}};
    if (answer.exposure) {
      doc["experiment"] = answer.experiment_json();
      doc["exposure_id"] = answer.exposure->id;
      res.set_header("X-Tailor-Experiment", answer.header_value());
      res.set_header("X-Tailor-Exposure-Id", answer.exposure->id);
    }
    if (explain)
      doc["explain"] = {{"source", answer.source},
                        {"history_length", answer.history_length},
                        {"known_to_model", answer.model->user_ids().find(rq.user).has_value()},
                        {"excluded_seen", !rq.include_seen},
                        {"diversity", rq.diversity},
                        {"categories", rq.categories}};
    send_json(res, 200, doc);
    if (!cache_key.empty()) rec_cache->put(cache_key, res.body);
  }

  void get_similar(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& args) {
    const Query query(req);
    const auto n = static_cast<std::size_t>(query.integer("n", 10, 1, 10000));
    const auto snap = current();
    const auto& rec = *snap->model;
    auto idx = rec.item_ids().find(args[0]);
    if (!idx) {
      if (store->get_item(args[0]))
        throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' has no interactions in the current model");
      throw_error(ErrorCode::kNotFound, "item '" + args[0] + "' does not exist");
    }
    const rank::SimilarBy by = rank::parse_similar_by(query.text("by", "model"));
    std::shared_ptr<const dataset::ContentVectors> content;
    if (by == rank::SimilarBy::kContent || by == rank::SimilarBy::kHybrid) content = content_vectors(*snap);
    const rank::SimilarResult answer = rank::similar_items(rec, *idx, n, by, content.get());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : answer.items) items.push_back(rank::scored_item_json(*store, rec.item_ids().id(r.item), r.score));
    send_json(res, 200, {{"item", args[0]}, {"model", rec.name()}, {"by", rank::similar_by_name(by)},
                         {"source", answer.source}, {"items", items}});
  }

  // The store's current item text vectors aligned with the snapshot's model (null when never embedded).
  std::shared_ptr<const dataset::ContentVectors> content_vectors(const ModelSnapshot& snap) {
    const std::uint64_t catalogue = generations.catalogue();
    const std::string embedding_model = store->get_artifact("embeddings:current").value_or("");
    std::lock_guard lock(similar_content_mutex);
    if (similar_content.model_generation != snap.generation || similar_content.catalogue_generation != catalogue ||
        similar_content.embedding_model != embedding_model || !similar_content.vectors) {
      auto vectors = semantic::load_current_item_vectors(*store);
      similar_content.vectors =
          vectors ? std::make_shared<const dataset::ContentVectors>(semantic::align_item_vectors(*vectors, snap.model->item_ids()))
                  : nullptr;
      similar_content.model_generation = snap.generation;
      similar_content.catalogue_generation = catalogue;
      similar_content.embedding_model = embedding_model;
    }
    return similar_content.vectors;
  }

  void get_search(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&) {
    const Query query(req);
    const std::string text = query.text("q");
    TAILOR_CHECK_ARG(!text.empty(), "q: the search text is required");
    TAILOR_CHECK_ARG(text.size() <= 2000, "q: at most 2000 bytes");
    const std::string user = query.text("user");
    if (!user.empty()) check_id(user, "user");
    const auto n = static_cast<std::size_t>(query.integer("n", 10, 1, 1000));
    // Personalisation needs a model; without one the search still answers.
    const auto snap = snapshot.load();
    const model::Recommender* rec = snap ? snap->model.get() : nullptr;
    auto doc = search->search(text, user, n, rec, generations.catalogue());
    if (!user.empty()) doc["user"] = user;
    send_json(res, 200, doc);
  }

  void get_model(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    const auto snap = current();
    nlohmann::json doc = {{"name", snap->model->name()},
                          {"params", snap->model->params()},
                          {"users", snap->model->user_count()},
                          {"items", snap->model->item_count()},
                          {"source", snap->source},
                          {"loaded_at", format_timestamp(snap->loaded_at)},
                          {"generation", snap->generation},
                          {"events_since_training", events_written.load() - events_at_training_start.load()},
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

  // trigger: one of kTrainingTriggers (counted in /metrics).
  bool start_training(const std::string& name_in, const nlohmann::json& params, std::string_view trigger = "api") {
    std::lock_guard lock(training_mutex);
    if (training.exchange(true)) return false;
    if (training_thread.joinable()) training_thread.join();  // the previous one has finished
    events_at_training_start = events_written.load();
    training_started_at = monotonic_seconds();
    for (std::size_t idx = 0; idx < kTrainingTriggers.size(); ++idx)
      if (trigger == kTrainingTriggers[idx]) ++trainings_by_trigger[idx];
    const std::string name = name_in.empty() ? options.train_model : name_in;
    training_thread = std::thread([this, name, params] { train(name, params); });
    return true;
  }

  // Runs on the training thread: snapshot, fit, persist, swap. Never throws.
  void train(const std::string& name, const nlohmann::json& params) {
    nlohmann::json summary = {{"model", name}, {"started_at", format_timestamp(now_seconds())}};
    try {
      const double start = monotonic_seconds();
      dataset::SnapshotOptions snap_options;
      snap_options.event_types.allow_unknown = true;  // stored events were validated on the way in
      model::FitOptions fit;
      fit.threads = options.train_threads;
      model::StoreTrainingSummary trained;
      // Item text vectors from `tailor embed-items` (or the search route's refresh) feed content-aware models.
      auto recommender = model::train_from_store(*store, name, params, snap_options, fit, &trained,
                                                 [this](dataset::Dataset& data) { semantic::attach_item_vectors(*store, data); });
      auto snap = std::make_shared<ModelSnapshot>();
      snap->model = std::shared_ptr<const model::Recommender>(std::move(recommender));
      snap->source = "trained";
      snap->loaded_at = now_seconds();
      snap->generation = ++model_generation;
      snapshot.store(std::move(snap));  // requests from now on see the new model
      summary["status"] = "ok";
      summary["seconds"] = monotonic_seconds() - start;
      summary["interactions"] = trained.interactions;
      log_info("trained " + name + " on " + std::to_string(trained.interactions) + " interactions; swapped in");
    } catch (const std::exception& e) {
      summary["status"] = "failed";
      summary["error"] = e.what();
      log_warn(std::string("training ") + name + " failed: " + e.what());
    }
    std::lock_guard lock(training_mutex);
    last_training = summary;
    training = false;
  }

  // ---------------------------------------------------------- scheduling ---

  // Runs after every commit made through the store (any route, any thread).
  void on_commit(const WriteSummary& written) {
    for (const auto& user : written.users) generations.bump_user(user);
    if (written.catalogue) generations.bump_catalogue();
    if (written.events == 0) return;
    if (context && context->experiments) context->experiments->on_events(written.new_events);  // attribution
    const auto total = events_written += static_cast<std::int64_t>(written.events);
    if (options.retrain_after_events > 0 && total - events_at_training_start >= options.retrain_after_events)
      scheduler_cv.notify_one();  // the scheduler checks now rather than at its next tick
  }

  // The scheduler thread: wakes every second (or when a write crossed the
  // event threshold) and starts a training when a trigger fired. Retraining
  // refits the current model's name and parameters, so a model trained with
  // `tailor train` stays that model; train_model only when there is none.
  void run_scheduler() {
    std::unique_lock lock(scheduler_mutex);
    while (!scheduler_stop) {
      scheduler_cv.wait_for(lock, std::chrono::seconds(1));
      if (scheduler_stop) break;
      lock.unlock();
      std::string_view trigger;
      if (options.retrain_after_events > 0 &&
          events_written - events_at_training_start >= options.retrain_after_events)
        trigger = "events";
      else if (options.retrain_interval_s > 0 &&
               monotonic_seconds() - training_started_at >= options.retrain_interval_s)
        trigger = "interval";
      if (!trigger.empty() && !training) {
        const auto snap = snapshot.load();
        if (snap) start_training(snap->model->name(), snap->model->params(), trigger);
        else start_training("", nlohmann::json::object(), trigger);
      }
      lock.lock();
    }
  }

  void stop_scheduler() {
    {
      std::lock_guard lock(scheduler_mutex);
      scheduler_stop = true;
    }
    scheduler_cv.notify_all();
    if (scheduler_thread.joinable()) scheduler_thread.join();
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
  Impl* self = impl_.get();
  impl_->store = std::make_unique<TrackedStore>(std::move(store),
                                                [self](const WriteSummary& written) { self->on_commit(written); });
  impl_->options = std::move(options);
  impl_->rec_cache = std::make_unique<RecCache>(impl_->options.rec_cache_entries);
  if (!impl_->options.access_log.empty()) impl_->access_log = std::make_unique<AccessLog>(impl_->options.access_log);
  {
    llm::LlmConfig llm;
    llm.embedder_model = impl_->options.llm_embedder_model;
    llm.embedder_url = impl_->options.llm_embedder_url;
    llm.embedder_remote_model = impl_->options.llm_embedder_remote_model;
    llm.api_key = impl_->options.llm_api_key;
    llm.validate();
    impl_->search = std::make_unique<SearchService>(*impl_->store, std::move(llm));
  }
  for (const auto& entry : impl_->options.api_keys) {
    auto [key, role] = parse_api_key(entry);
    impl_->keys.push_back({sha256_hex(key), role});
  }
  impl_->add_routes();
  if (impl_->options.rate_limit_rps > 0)
    impl_->limiter = std::make_unique<RateLimiter>(
        impl_->options.rate_limit_rps,
        impl_->options.rate_limit_burst > 0 ? impl_->options.rate_limit_burst
                                            : std::max(1.0, impl_->options.rate_limit_rps));

  if (auto bytes = impl_->store->get_artifact(kCurrentModelArtifact)) {
    auto snap = std::make_shared<ModelSnapshot>();
    snap->model = std::shared_ptr<const model::Recommender>(model::load_model_bytes(*bytes));
    snap->source = "store";
    snap->loaded_at = now_seconds();
    snap->generation = ++impl_->model_generation;
    impl_->snapshot.store(std::move(snap));
  } else if (impl_->store->stats().events > 0) {
    log_info("no trained model in the store yet; training " + impl_->options.train_model + " in the background");
    impl_->start_training("", nlohmann::json::object(), "startup");
  }
  if (impl_->options.retrain_interval_s > 0 || impl_->options.retrain_after_events > 0)
    impl_->scheduler_thread = std::thread([self] { self->run_scheduler(); });

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
  impl_->stop_scheduler();  // before waiting: it must not start another training
  impl_->wait_for_training();
  for (auto& module : impl_->modules) module->stop();
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

std::vector<RouteInfo> Server::routes() const { return impl_->route_infos(); }

}  // namespace tailor::server
