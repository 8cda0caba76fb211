// Front door of the server component: `tailor serve`'s HTTP server with the
// native /v1 API and the Gorse-compatible /api routes (src/server/gorse_api.h),
// its settings, API-key auth, and the recommendation query that both the
// server and `tailor recommend` answer with.
//
// Model snapshot: the server holds one std::shared_ptr<const Recommender>.
// Each request atomically loads it once and keeps it for the whole request;
// a retrain builds the next model aside (background thread, from a store
// snapshot) and atomically stores the new pointer. Requests never block on
// training and never see a half-loaded model.
//
// Operations: GET /metrics is Prometheus text format 0.0.4 (per-route
// request counts by method/route pattern/status, latency histograms, errors,
// model, training, cache and store gauges); it needs an admin key when keys
// are configured, like every data route, and is open otherwise. GET
// /v1/openapi.json is the spec generated from the route table (open to
// clients). Recommendation answers are cached (src/server/rec_cache.h) under
// keys that change with the model, the catalogue and the user's writes;
// scheduled retraining (ServerOptions::retrain_*) and the JSON access log are
// options; settings come from defaults < TOML file < TAILOR_* < flags.
//
// Errors: every handler runs inside one wrapper that turns tailor::Error into
// an HTTP status (InvalidArgument 400, NotFound 404, AlreadyExists 409,
// Unavailable 503, anything else 500) and a body
//   {"error": {"code": "invalid_argument", "message": "... names the field ..."}}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/model/model.h"
#include "tailor/rank/rank.h"
#include "tailor/store/store.h"

namespace tailor::server {

// ------------------------------------------------------------------ auth ---

enum class Role { kClient, kAdmin };

// Parses "KEY" (admin) or "KEY:admin" / "KEY:client". InvalidArgument naming the entry.
std::pair<std::string, Role> parse_api_key(std::string_view entry);

// SHA-256 of bytes as 64 lowercase hex digits (FIPS 180-4, OpenSSL libcrypto).
std::string sha256_hex(std::string_view bytes);

// ---------------------------------------------------------------- routes ---

// One row of the server's route table: what the router matches, what auth
// needs, which query parameters the handler accepts (others get 400), and
// what the OpenAPI spec says about it. The spec at /v1/openapi.json is
// generated from this table, so the two cannot drift.
struct RouteInfo {
  std::string method;               // "GET", "PUT", "POST", "DELETE"
  std::string path;                 // OpenAPI template, "/v1/users/{id}/recommendations"
  std::optional<Role> role;         // needed when keys are configured; nullopt = open
  std::vector<std::string> query;   // accepted query parameter names
  std::string summary;              // one line for the spec
  std::string request_schema;       // components/schemas name of the JSON body; "" = none
  std::string response_schema;      // schema of the success body; "" = text/plain
  int success_status = 200;
};

// OpenAPI 3.0.3 document of the given routes: paths with path and query
// parameters, request and response schemas (components/schemas), the error
// body, and both security schemes (bearer, X-API-Key). Pure function.
nlohmann::json openapi_spec(const std::vector<RouteInfo>& routes);

// Parses the --rate-limit value "RPS[:BURST]" into (rps, burst); BURST
// defaults to max(1, RPS). InvalidArgument naming "rate-limit".
std::pair<double, double> parse_rate_limit(std::string_view text);

// ------------------------------------------------------------- settings ---

struct ServerOptions {
  std::string host = "127.0.0.1";   // loopback unless asked otherwise
  int port = 8087;                  // 0 = any free port; [0, 65535]
  int threads = 0;                  // HTTP worker pool; 0 = default_thread_count(), at least 2
  std::vector<std::string> api_keys;  // "KEY[:role]"; empty = no auth
  std::size_t max_body_bytes = 8u << 20;  // larger request bodies get 413
  int read_timeout_s = 5;           // per socket read, [1, 3600]
  int write_timeout_s = 5;          // per socket write, [1, 3600]
  int keep_alive_timeout_s = 5;     // idle keep-alive connection closed after this, [1, 3600]
  int keep_alive_max_requests = 1000;  // requests per keep-alive connection
  std::string train_model = "itemknn";  // model trained when the store has none, and by POST /v1/models/train
  int train_threads = 0;            // threads of a background training; 0 = default
  // Token bucket per API key (per client address when no keys are configured)
  // on every route but the open ones; over the limit gets 429 + Retry-After.
  double rate_limit_rps = 0;        // refill, requests per second; 0 = off; [0, 1e6]
  double rate_limit_burst = 0;      // bucket size; 0 = max(1, rps); [0, 1e6]
  // Scheduled retraining of options.train_model by the background trainer;
  // whichever trigger fires first starts it (never two at once), and the new
  // model is swapped in atomically like any other training.
  int retrain_interval_s = 0;       // retrain this long after the last training started; 0 = off; [0, 30 days]
  std::int64_t retrain_after_events = 0;  // retrain once this many new events were written; 0 = off; >= 0
  // Recommendation answers cached (rec_cache.h); 0 = no cache; [0, 10'000'000].
  std::size_t rec_cache_entries = 100000;
  // Structured access log, one JSON line per request: "" = off, "stderr"
  // (or "-") = standard error, anything else = a file appended to.
  std::string access_log;
  // GET /v1/search: the embedding model (local GGUF or OpenAI-compatible
  // endpoint), opened on the first search. "" = the model cache's default.
  std::string llm_embedder_model;
  std::string llm_embedder_url;
  std::string llm_embedder_remote_model;
  std::string llm_api_key;
  // Experiments (src/experiment): 1 = a response carrying an exposure_id is
  // sent only after the exposure's group commit (durable); 0 = sent at once,
  // committed within experiment_flush_ms (lost if the process dies first).
  int experiment_sync_exposures = 1;  // 0 or 1
  int experiment_flush_ms = 20;       // exposure log writer wake-up; [1, 10000]
  int experiment_monitor_interval_s = 60;  // one monitor point per variant per interval; [1, 86400]
  // Throws InvalidArgument naming the field that is out of range.
  void validate() const;
};

// --------------------------------------------------------------- config ---

// Everything `tailor serve` runs with: the store and the server options.
struct ServeConfig {
  std::string db;  // store path or URL; required in the end (flag, file or TAILOR_DB)
  ServerOptions options;
};

// One setting of ServeConfig as a config file key and a TAILOR_* variable.
struct ServeSetting {
  std::string key;  // TOML key: "port", "api_keys", ...
  std::string env;  // environment variable: "TAILOR_PORT", "TAILOR_API_KEYS", ...
  std::string type; // "string", "integer", "number", "boolean", "string array"
  std::string doc;  // one line
};
// Every setting, in the order the docs list them. Pure function.
std::vector<ServeSetting> serve_settings();

// Layers are applied in this order, each over the previous one:
//   defaults < config file (TOML) < TAILOR_* environment < command-line flags.
// The flags are applied by the caller (`tailor serve`).
//
// apply_config_toml parses TOML text (source names it in errors, normally
// the file path) and sets every key it holds. The file is flat: top-level
// keys only, named as in serve_settings(). An unknown key, a wrong type, a
// value out of range or a TOML syntax error throws InvalidArgument
// "SOURCE:LINE: KEY: what is wrong". Keys the file does not hold keep their
// value. apply_config_file reads the file first (NotFound / IO naming it).
void apply_config_toml(ServeConfig& config, std::string_view text, const std::string& source);
void apply_config_file(ServeConfig& config, const std::string& path);

// Sets every setting whose TAILOR_* variable `lookup` returns (string arrays
// are comma-separated; TAILOR_RATE_LIMIT="RPS[:BURST]" is accepted as well).
// Unset variables change nothing; a bad value throws InvalidArgument naming
// the variable. lookup(name) returns the variable's value or nullopt.
void apply_config_env(ServeConfig& config,
                      const std::function<std::optional<std::string>(const std::string&)>& lookup);

// ---------------------------------------------------------------- server ---

class Server {
 public:
  // Takes ownership of the store. Loads the store's current model
  // ("model:current"); when there is none and the store has events, starts a
  // background training of options.train_model. Throws InvalidArgument for
  // bad options or keys.
  Server(std::unique_ptr<store::Store> store, ServerOptions options);
  ~Server();  // stops and joins everything
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port (the chosen one for port 0).
  // Unavailable when the address cannot be bound.
  int bind();
  // Serves until stop(); call after bind(). In-flight requests finish before it returns.
  void run();
  // Stops accepting and makes run() return once in-flight requests are done.
  // Safe to call from any thread, any number of times.
  void stop();

  // The model requests see now (nullptr while none is loaded). Thread-safe.
  std::shared_ptr<const model::Recommender> model() const;
  // Starts a background training of `model_name` (empty = options.train_model)
  // with `params`; false when one is already running. Thread-safe.
  bool start_training(const std::string& model_name = "", const nlohmann::json& params = nlohmann::json::object());
  // Blocks until no training is running (tests, shutdown).
  void wait_for_training();
  // The route table (immutable after construction). Thread-safe.
  std::vector<RouteInfo> routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tailor::server
