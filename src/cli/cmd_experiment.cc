// `tailor experiment create|list|start|stop|report|stats` and `tailor
// monitor`: the experiment component from the command line. Everything but
// `stats` works on a store; `stats` computes gbstats-compatible statistics
// from aggregates in a JSON file, without one.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "tailor/experiment/experiment.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

nlohmann::json read_json_file(const std::string& path, const std::string& flag) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) throw_error(ErrorCode::kNotFound, flag + ": cannot read '" + path + "'");
    text << in.rdbuf();
  }
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) throw_error(ErrorCode::kInvalidArgument, flag + ": '" + path + "' is not valid JSON");
  return doc;
}

void print_definition(const experiment::Definition& d, const GlobalOptions& global) {
  if (global.json) return print_json(experiment::definition_to_json(d));
  std::printf("%s  %-8s  layer %s buckets [%d, %d)  variants:", d.id.c_str(),
              std::string(experiment::status_name(d.status)).c_str(), d.layer.c_str(), d.bucket_start, d.bucket_end);
  for (const auto& v : d.variants)
    std::printf(" %s(w=%g%s%s)", v.name.c_str(), v.weight, v.model.empty() ? "" : ", model=", v.model.c_str());
  std::printf("\n");
}

struct Args {
  std::string db, id, definition, input, correction, experiment;
  std::vector<std::string> metrics;
  bool fixed_horizon = false, bayesian = false;
  int cuped_days = -1;
  double threshold = 0.2;
  int baseline = 7;
  std::uint64_t min_exposures = 100;
};

}  // namespace

void register_experiment(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("experiment", "A/B tests and interleaving: define, run, report");
  cmd->require_subcommand(1);

  auto* create = cmd->add_subcommand("create", "Create an experiment (draft) from a JSON definition");
  create->add_option("--db", args->db, "Store")->required();
  create->add_option("--definition", args->definition, "JSON file with the definition ('-' = stdin)")->required();
  create->add_flag("--json", global.json, "JSON output");
  create->callback([args, &global] {
    auto store = store::open_store(args->db);
    const auto d = experiment::create_experiment(*store, experiment::definition_from_json(
                                                             read_json_file(args->definition, "--definition")),
                                                 now_seconds());
    print_definition(d, global);
  });

  auto* list = cmd->add_subcommand("list", "List experiments");
  list->add_option("--db", args->db, "Store")->required();
  list->add_flag("--json", global.json, "JSON output");
  list->callback([args, &global] {
    auto store = store::open_store(args->db, {.read_only = true});
    const auto all = experiment::list_experiments(*store);
    if (global.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : all) out.push_back(experiment::definition_to_json(d));
      return print_json(out);
    }
    if (all.empty()) std::printf("no experiments\n");
    for (const auto& d : all) print_definition(d, global);
  });

  for (const char* action : {"start", "stop"}) {
    const std::string name = action;
    auto* sub = cmd->add_subcommand(name, name == "start" ? "Start a draft experiment" : "Stop a running experiment");
    sub->add_option("--db", args->db, "Store")->required();
    sub->add_option("--id", args->id, "Experiment id")->required();
    sub->add_flag("--json", global.json, "JSON output");
    sub->callback([args, &global, name] {
      auto store = store::open_store(args->db);
      const auto d = name == "start" ? experiment::start_experiment(*store, args->id, now_seconds())
                                     : experiment::stop_experiment(*store, args->id, now_seconds());
      print_definition(d, global);
    });
  }

  auto* report = cmd->add_subcommand("report", "Results: SRM check, per-metric lift, intervals, p-values, verdict");
  report->add_option("--db", args->db, "Store")->required();
  report->add_option("--id", args->id, "Experiment id")->required();
  report->add_flag("--fixed-horizon", args->fixed_horizon, "Fixed-horizon t-tests instead of the sequential ones");
  report->add_flag("--bayesian", args->bayesian, "Add chance to win and expected loss");
  report->add_option("--cuped-days", args->cuped_days, "CUPED pre-period in days (0 = off; default: the definition's)")
      ->check(CLI::Range(0, 365));
  report->add_option("--correction", args->correction, "holm, bh or none (default: the definition's)");
  report->add_option("--metric", args->metrics, "Metrics to report (first = primary); repeatable");
  report->add_flag("--json", global.json, "JSON output");
  report->callback([args, &global] {
    auto store = store::open_store(args->db, {.read_only = true});
    experiment::ReportOptions options;
    if (args->fixed_horizon) options.sequential = false;
    if (args->bayesian) options.bayesian = true;
    if (args->cuped_days >= 0) options.cuped_days = args->cuped_days;
    if (!args->correction.empty()) options.correction = args->correction;
    options.metrics = args->metrics;
    const auto doc = experiment::experiment_report(*store, args->id, options);
    if (global.json) return print_json(doc);
    std::fputs(experiment::report_table(doc).c_str(), stdout);
  });

  auto* stats = cmd->add_subcommand("stats", "Statistics from aggregates (gbstats-compatible), no store needed");
  stats->add_option("--input", args->input, "JSON file: metric_type, weights, variants[] ('-' = stdin)")->required();
  stats->add_flag("--json", global.json, "JSON output");
  stats->callback([args, &global] {
    const auto doc = experiment::stats_from_aggregates(read_json_file(args->input, "--input"));
    if (global.json) return print_json(doc);
    std::printf("sample ratio check: p = %.6g%s\n", doc["srm_p_value"].get<double>(),
                doc["srm_flag"].get<bool>() ? "  ** MISMATCH **" : "");
    for (const auto& row : doc["variants"]) {
      if (row["lift"].is_null()) {
        std::printf("%-16s control  mean %.6g\n", row["name"].get<std::string>().c_str(), row["mean"].get<double>());
        continue;
      }
      std::printf("%-16s lift %+.4f%%  ci [%+.4f%%, %+.4f%%]  p = %.6g\n", row["name"].get<std::string>().c_str(),
                  100 * row["lift"].get<double>(), 100 * row["ci"][0].get<double>(),
                  100 * row["ci"][1].get<double>(), row["p_value"].get<double>());
    }
  });

  auto* monitor = app.add_subcommand("monitor", "Per-variant CTR and conversion over time, with drop alerts");
  monitor->add_option("--db", args->db, "Store")->required();
  monitor->add_option("--experiment", args->experiment, "Only this experiment");
  monitor->add_option("--threshold", args->threshold, "Flag a relative drop larger than this (0, 1)");
  monitor->add_option("--baseline", args->baseline, "Trailing points in the baseline");
  monitor->add_option("--min-exposures", args->min_exposures, "Points with fewer exposures are not judged");
  monitor->add_flag("--json", global.json, "JSON output");
  monitor->callback([args, &global] {
    auto store = store::open_store(args->db, {.read_only = true});
    experiment::MonitorOptions options;
    options.experiment = args->experiment;
    options.threshold = args->threshold;
    options.baseline_points = args->baseline;
    options.min_exposures = args->min_exposures;
    const auto doc = experiment::monitor_report(*store, options);
    if (global.json) return print_json(doc);
    for (const auto& s : doc["series"]) {
      std::printf("%s / %s (%s)\n", s["experiment"].get<std::string>().c_str(), s["variant"].get<std::string>().c_str(),
                  s["model"].get<std::string>().c_str());
      for (const auto& p : s["points"])
        std::printf("  %s  exposures %8.0f  ctr %.4f  conversion %.4f%s\n", p["start"].get<std::string>().c_str(),
                    p["exposures"].get<double>(), p["ctr"].get<double>(), p["conversion_rate"].get<double>(),
                    p.value("alert", false) ? "  ** DROP **" : "");
    }
    std::printf("%zu alert(s)\n", doc["alerts"].size());
  });
}

}  // namespace tailor::cli
