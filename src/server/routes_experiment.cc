// The experiment component's HTTP routes (admin role): define, start, stop,
// results and monitoring. The module also builds the experiment runtime and
// lends it to the server through ServerContext::experiments, which the
// recommendation routes serve through. Handlers parse, call one function of
// src/experiment, and encode.
#include <httplib.h>

#include <charconv>
#include <cmath>

#include "codec.h"
#include "module.h"
#include "tailor/core/core.h"

namespace tailor::server {
namespace {

using nlohmann::json;

std::string param(const httplib::Request& req, const std::string& name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

double number_param(const httplib::Request& req, const std::string& name, double fallback, double min, double max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < min || value > max)
    throw_error(ErrorCode::kInvalidArgument,
                name + ": must be a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return value;
}

std::optional<bool> flag_param(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string value = req.get_param_value(name);
  if (value == "" || value == "1" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  throw_error(ErrorCode::kInvalidArgument, name + ": must be true or false");
}

class ExperimentRoutes final : public RouteModule {
 public:
  explicit ExperimentRoutes(ServerContext& context) : context_(context) {
    experiment::RuntimeOptions options;
    options.log.wait_for_commit = context.options.experiment_sync_exposures == 1;
    options.log.flush_interval_ms = context.options.experiment_flush_ms;
    options.monitor_interval_s = context.options.experiment_monitor_interval_s;
    runtime_ = std::make_shared<experiment::Runtime>(context.store, options);
    context.experiments = runtime_;
  }

  std::vector<std::pair<RouteInfo, RouteHandler>> routes() override {
    const std::optional<Role> admin = Role::kAdmin;
    const auto bind = [this](void (ExperimentRoutes::*fn)(const httplib::Request&, httplib::Response&,
                                                          const std::vector<std::string>&)) {
      return [this, fn](const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& args) {
        (this->*fn)(req, res, args);
      };
    };
    return {
        {{"GET", "/v1/experiments", admin, {}, "Experiments and their status", "", "ExperimentList"},
         bind(&ExperimentRoutes::list)},
        {{"POST", "/v1/experiments", admin, {}, "Create an experiment (draft)", "ExperimentInput", "Experiment", 201},
         bind(&ExperimentRoutes::create)},
        {{"GET", "/v1/experiments/{id}", admin, {}, "One experiment's definition", "", "Experiment"},
         bind(&ExperimentRoutes::get)},
        {{"POST", "/v1/experiments/{id}/start", admin, {}, "Start a draft experiment", "", "Experiment"},
         bind(&ExperimentRoutes::start)},
        {{"POST", "/v1/experiments/{id}/stop", admin, {}, "Stop a running experiment", "", "Experiment"},
         bind(&ExperimentRoutes::stop_experiment)},
        {{"GET", "/v1/experiments/{id}/results", admin, {"sequential", "bayesian", "cuped_days", "correction", "metric"},
          "Results: SRM check first, per-metric lift with intervals and p-values, verdict", "", "ExperimentResults"},
         bind(&ExperimentRoutes::results)},
        {{"GET", "/v1/monitor", admin, {"experiment", "threshold", "baseline", "min_exposures"},
          "Per-variant CTR and conversion over time, with drop alerts", "", "Monitor"},
         bind(&ExperimentRoutes::monitor)},
    };
  }

  std::string metrics_text() override { return runtime_->metrics_text(); }
  void stop() noexcept override { runtime_->stop(); }

 private:
  void list(const httplib::Request&, httplib::Response& res, const std::vector<std::string>&) {
    json out = json::array();
    for (const auto& d : experiment::list_experiments(context_.store)) out.push_back(experiment::definition_to_json(d));
    reply_json(res, 200, {{"experiments", out}});
  }
  void create(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&) {
    const auto d = experiment::create_experiment(context_.store, experiment::definition_from_json(parse_body(req.body)),
                                                 now_seconds());
    runtime_->reload();
    reply_json(res, 201, experiment::definition_to_json(d));
  }
  void get(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    const auto d = experiment::load_experiment(context_.store, args[0]);
    if (!d) throw_error(ErrorCode::kNotFound, "experiment '" + args[0] + "' does not exist");
    reply_json(res, 200, experiment::definition_to_json(*d));
  }
  void start(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    const auto d = experiment::start_experiment(context_.store, args[0], now_seconds());
    runtime_->reload();
    reply_json(res, 200, experiment::definition_to_json(d));
  }
  void stop_experiment(const httplib::Request&, httplib::Response& res, const std::vector<std::string>& args) {
    const auto d = experiment::stop_experiment(context_.store, args[0], now_seconds());
    runtime_->reload();
    reply_json(res, 200, experiment::definition_to_json(d));
  }
  void results(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& args) {
    experiment::ReportOptions options;
    options.sequential = flag_param(req, "sequential");
    options.bayesian = flag_param(req, "bayesian");
    if (req.has_param("cuped_days")) options.cuped_days = static_cast<int>(number_param(req, "cuped_days", 0, 0, 365));
    if (req.has_param("correction")) options.correction = param(req, "correction");
    for (std::size_t idx = 0; idx < req.get_param_value_count("metric"); ++idx)
      options.metrics.push_back(req.get_param_value("metric", idx));
    runtime_->flush();  // exposures and attributions queued so far are part of the answer
    reply_json(res, 200, experiment::experiment_report(context_.store, args[0], options));
  }
  void monitor(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&) {
    experiment::MonitorOptions options;
    options.experiment = param(req, "experiment");
    options.threshold = number_param(req, "threshold", 0.2, 1e-9, 0.999999);
    options.baseline_points = static_cast<int>(number_param(req, "baseline", 7, 1, 1000));
    options.min_exposures = static_cast<std::uint64_t>(number_param(req, "min_exposures", 100, 0, 1e12));
    runtime_->flush();
    reply_json(res, 200, experiment::monitor_report(context_.store, options));
  }

  ServerContext& context_;
  std::shared_ptr<experiment::Runtime> runtime_;
};

}  // namespace

std::unique_ptr<RouteModule> make_experiment_routes(ServerContext& context) {
  return std::make_unique<ExperimentRoutes>(context);
}

}  // namespace tailor::server
