// `tailor serve`: the HTTP server on a store. Loopback by default; prints
// "listening on http://HOST:PORT" once bound (port 0 = any free port) and
// stops gracefully on SIGINT/SIGTERM: no new connections, in-flight requests
// finish, then exit 0.
//
// Settings come in layers, each over the previous one: defaults < --config
// FILE (TOML) < TAILOR_* environment < command-line flags (server/config.cc
// holds the table of keys and variables).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>
#include <tuple>

#include "commands.h"
#include "tailor/server/server.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

// The flags as given; each one overrides the lower layers only when present.
struct ServeArgs {
  CLI::App* command = nullptr;
  std::string config_path;
  std::string db;
  server::ServerOptions flags;  // only the fields of flags that were given are used
  std::string model;
  std::string rate_limit;  // "RPS[:BURST]"
};

server::ServeConfig resolve_config(const ServeArgs& args, const GlobalOptions& global) {
  server::ServeConfig config;
  if (!args.config_path.empty()) server::apply_config_file(config, args.config_path);
  server::apply_config_env(config, [](const std::string& name) { return env_var(name.c_str()); });
  auto given = [&args](const char* flag) { return args.command->count(flag) > 0; };
  auto& options = config.options;
  if (given("--db")) config.db = args.db;
  if (given("--port")) options.port = args.flags.port;
  if (given("--host")) options.host = args.flags.host;
  if (given("--api-key")) options.api_keys = args.flags.api_keys;
  if (given("--max-body-bytes")) options.max_body_bytes = args.flags.max_body_bytes;
  if (given("--model")) options.train_model = args.model;
  if (given("--rate-limit"))
    std::tie(options.rate_limit_rps, options.rate_limit_burst) = server::parse_rate_limit(args.rate_limit);
  if (given("--retrain-interval")) options.retrain_interval_s = args.flags.retrain_interval_s;
  if (given("--retrain-after-events")) options.retrain_after_events = args.flags.retrain_after_events;
  if (given("--rec-cache-entries")) options.rec_cache_entries = args.flags.rec_cache_entries;
  if (given("--experiment-sync-exposures")) options.experiment_sync_exposures = args.flags.experiment_sync_exposures;
  if (given("--experiment-flush-ms")) options.experiment_flush_ms = args.flags.experiment_flush_ms;
  if (given("--access-log")) options.access_log = args.flags.access_log == "off" ? "" : args.flags.access_log;
  // --threads N: N HTTP workers (default 4 x cores, at least 8) and N training threads.
  if (global.threads > 0) {
    options.threads = global.threads;
    options.train_threads = global.threads;
  }
  TAILOR_CHECK_ARG(!config.db.empty(), "db: required (--db, db in the --config file, or TAILOR_DB)");
  options.validate();
  return config;
}

void run_serve(const ServeArgs& flags, const GlobalOptions& global) {
  const server::ServeConfig config = resolve_config(flags, global);

  // Block the stop signals in every thread; one watcher thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::Server srv(store::open_store(config.db), config.options);
  const int port = srv.bind();
  std::printf("listening on http://%s:%d\n", config.options.host.c_str(), port);
  std::fflush(stdout);
  if (config.options.api_keys.empty() && config.options.host != "127.0.0.1" && config.options.host != "localhost")
    log_warn("serving on " + config.options.host + " without API keys: anyone who can reach it can write data");

  std::thread watcher([&srv, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    srv.stop();
  });
  srv.run();
  // run() also returns when the server fails; wake the watcher in that case.
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  if (!global.quiet) log_info("stopped");
}

}  // namespace

void register_serve(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "HTTP server with the /v1 REST API on a store");
  args->command = cmd;
  cmd->add_option("--config", args->config_path,
                  "TOML file of settings (keys as in README; flags > TAILOR_* environment > this file)");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL (or db in --config, or TAILOR_DB)");
  cmd->add_option("--port", args->flags.port, "Port (0 = any free port, printed on stdout)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", args->flags.host, "Address to bind (default loopback only)");
  cmd->add_option("--api-key", args->flags.api_keys,
                  "API key KEY[:admin|client] (repeatable; default role admin; or TAILOR_API_KEYS=k1:admin,k2:client)");
  cmd->add_option("--max-body-bytes", args->flags.max_body_bytes, "Larger request bodies get 413");
  cmd->add_option("--rate-limit", args->rate_limit,
                  "Per-key token bucket RPS[:BURST] (default off; or TAILOR_RATE_LIMIT); over it gets 429 + Retry-After");
  cmd->add_option("--model", args->model, "Model trained when the store has none (default itemknn)");
  cmd->add_option("--retrain-interval", args->flags.retrain_interval_s,
                  "Retrain this many seconds after the last training started (0 = off)");
  cmd->add_option("--retrain-after-events", args->flags.retrain_after_events,
                  "Retrain after this many new events (0 = off)");
  cmd->add_option("--rec-cache-entries", args->flags.rec_cache_entries,
                  "Recommendation answers cached (default 100000; 0 = no cache)");
  cmd->add_option("--access-log", args->flags.access_log,
                  "JSON access log, one line per request: stderr, a file path, or off (default off)");
  cmd->add_option("--experiment-sync-exposures", args->flags.experiment_sync_exposures,
                  "1 (default): an exposure_id is answered only once durable; 0: committed within --experiment-flush-ms");
  cmd->add_option("--experiment-flush-ms", args->flags.experiment_flush_ms,
                  "Experiment exposure log flush interval in ms (default 20)");
  cmd->callback([args, &global] { run_serve(*args, global); });
}

}  // namespace tailor::cli
