// Private to the server: how a component serves its own HTTP routes through
// the server's one router, so auth, rate limits, metrics, the access log and
// the OpenAPI spec cover them without the component touching server.cc.
//
// A RouteModule is built once per Server from a ServerContext and hands back
// rows of the route table (RouteInfo + handler). Handlers run on the HTTP
// worker threads concurrently: a module's handlers must be thread-safe. Errors
// are thrown as tailor::Error (or HttpError for a status of its own) and are
// translated once, in the server's wrapper.
//
// Adding a component's routes: write src/server/routes_<component>.cc with a
// factory, and add one line to make_route_modules() in modules.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gorse_api.h"  // RouteHandler
#include "tailor/experiment/experiment.h"
#include "tailor/server/server.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace tailor::server {

// An HTTP-level refusal that is not an engine error (401, 403, 405, 429, ...).
struct HttpError {
  int status;
  std::string code;
  std::string message;
  double retry_after_s = 0;  // > 0: sent as Retry-After (whole seconds, rounded up)
};

// What the running server lends a module. Everything outlives the module.
struct ServerContext {
  // The server's store (a TrackedStore: committed writes of users, items and
  // events bump the recommendation cache's generations).
  store::Store& store;
  const ServerOptions& options;
  // The model requests see now; throws Unavailable when there is none.
  std::function<std::shared_ptr<const model::Recommender>()> model;
  // Experiments (src/experiment): set by the experiment route module when it
  // is built; the recommendation routes serve through it (variant model,
  // exposure log) and the commit hook hands it new events for attribution.
  // Null when the build has no experiment module.
  std::shared_ptr<experiment::Runtime> experiments;
};

class RouteModule {
 public:
  virtual ~RouteModule() = default;
  // Rows of the route table; handlers stay valid while the module lives.
  virtual std::vector<std::pair<RouteInfo, RouteHandler>> routes() = 0;
  // Prometheus text (HELP/TYPE lines included) appended to GET /metrics.
  virtual std::string metrics_text() { return {}; }
  // Called once when the server stops, before the store is closed: stop
  // background threads, flush queues. Must not throw.
  virtual void stop() noexcept {}
};

// Factories of the modules (one per routes_<component>.cc).
std::unique_ptr<RouteModule> make_experiment_routes(ServerContext& context);

// Every module of this build, in route-table order.
std::vector<std::unique_ptr<RouteModule>> make_route_modules(ServerContext& context);

// Helpers for module handlers: the same JSON success body as /v1 routes.
void reply_json(httplib::Response& res, int status, const nlohmann::json& doc);

}  // namespace tailor::server
