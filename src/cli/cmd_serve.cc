// `tailor serve`: the HTTP server on a store. Loopback by default; prints
// "listening on http://HOST:PORT" once bound (port 0 = any free port) and
// stops gracefully on SIGINT/SIGTERM: no new connections, in-flight requests
// finish, then exit 0.
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

struct ServeArgs {
  std::string db;
  server::ServerOptions options;
  std::string model;
  std::string rate_limit;  // "RPS[:BURST]"; empty = off
};

void run_serve(ServeArgs args, const GlobalOptions& global) {
  // Keys from the environment when none are given on the command line: "KEY[:role],KEY[:role]".
  if (args.options.api_keys.empty()) {
    if (auto env = env_var("TAILOR_API_KEYS")) {
      std::string_view rest = *env;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        if (auto part = rest.substr(0, comma); !part.empty()) args.options.api_keys.emplace_back(part);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }
  if (!args.model.empty()) args.options.train_model = args.model;
  if (args.rate_limit.empty())
    if (auto env = env_var("TAILOR_RATE_LIMIT")) args.rate_limit = *env;
  if (!args.rate_limit.empty())
    std::tie(args.options.rate_limit_rps, args.options.rate_limit_burst) = server::parse_rate_limit(args.rate_limit);
  // --threads N: N HTTP workers (default 4 x cores, at least 8) and N training threads.
  args.options.threads = global.threads;
  args.options.train_threads = global.threads;

  // Block the stop signals in every thread; one watcher thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::Server srv(store::open_store(args.db), args.options);
  const int port = srv.bind();
  std::printf("listening on http://%s:%d\n", args.options.host.c_str(), port);
  std::fflush(stdout);
  if (args.options.api_keys.empty() && args.options.host != "127.0.0.1" && args.options.host != "localhost")
    log_warn("serving on " + args.options.host + " without API keys: anyone who can reach it can write data");

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
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--port", args->options.port, "Port (0 = any free port, printed on stdout)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", args->options.host, "Address to bind (default loopback only)");
  cmd->add_option("--api-key", args->options.api_keys,
                  "API key KEY[:admin|client] (repeatable; default role admin; or TAILOR_API_KEYS=k1:admin,k2:client)");
  cmd->add_option("--max-body-bytes", args->options.max_body_bytes, "Larger request bodies get 413");
  cmd->add_option("--rate-limit", args->rate_limit,
                  "Per-key token bucket RPS[:BURST] (default off; or TAILOR_RATE_LIMIT); over it gets 429 + Retry-After");
  cmd->add_option("--model", args->model, "Model trained when the store has none (default itemknn)");
  cmd->callback([args, &global] { run_serve(*args, global); });
}

}  // namespace tailor::cli
