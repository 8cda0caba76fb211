// The list of route modules (module.h) this build serves. One line per
// component; the order is the order of their rows in the route table.
#include "module.h"

namespace tailor::server {

std::vector<std::unique_ptr<RouteModule>> make_route_modules(ServerContext& context) {
  std::vector<std::unique_ptr<RouteModule>> modules;
  // @modules: one line per component, e.g. modules.push_back(make_campaign_routes(context));
  modules.push_back(make_experiment_routes(context));  // @experiment
  return modules;
}

}  // namespace tailor::server
