// `tailor tune`: random search of a model's hyper-parameters on a validation
// split; writes the best configuration as JSON that `tailor train --config`
// and `tailor eval --config` read back.
#include <cstdio>
#include <fstream>

#include "commands.h"
#include "tailor/dataset/dataset.h"
#include "tailor/eval/eval.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct TuneArgs {
  std::string db;
  std::string model = "itemknn";
  int trials = 20;
  std::string metric = "ndcg@10";
  std::string split = "random";
  double test_fraction = 0.2;
  std::uint64_t seed = 42;
  std::vector<std::string> space;
  std::string out;
  std::size_t max_users = 0;
};

// "name=low:high[:log]" -> (name, range); int-ness comes from the model's spec.
std::pair<std::string, eval::SearchRange> parse_range(const std::string& entry, const std::string& model) {
  auto eq = entry.find('=');
  TAILOR_CHECK_ARG(eq != std::string::npos && eq > 0, "--space '" + entry + "': expected name=low:high[:log]");
  std::string name = entry.substr(0, eq), rest = entry.substr(eq + 1);
  eval::SearchRange r;
  bool found = false;
  for (const auto& spec : model::model_param_specs(model)) {
    if (spec.name != name) continue;
    found = true;
    TAILOR_CHECK_ARG(spec.kind != model::ParamSpec::Kind::kBool, "--space '" + name + "': boolean parameters are not searched");
    r.integer = spec.kind == model::ParamSpec::Kind::kInt;
  }
  TAILOR_CHECK_ARG(found, "--space: model '" + model + "' has no parameter '" + name + "'");
  auto c1 = rest.find(':');
  TAILOR_CHECK_ARG(c1 != std::string::npos, "--space '" + entry + "': expected name=low:high[:log]");
  auto c2 = rest.find(':', c1 + 1);
  try {
    r.low = std::stod(rest.substr(0, c1));
    r.high = std::stod(rest.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1));
  } catch (const std::exception&) {
    TAILOR_CHECK_ARG(false, "--space '" + entry + "': low and high must be numbers");
  }
  if (c2 != std::string::npos) {
    TAILOR_CHECK_ARG(rest.substr(c2 + 1) == "log", "--space '" + entry + "': the only flag is ':log'");
    r.log = true;
  }
  TAILOR_CHECK_ARG(r.low <= r.high, "--space '" + entry + "': low must be <= high");
  return {name, r};
}

void run_tune(const TuneArgs& args, const GlobalOptions& global) {
  auto store = store::open_store(args.db, {.read_only = true});
  dataset::SnapshotOptions snapshot_options;
  snapshot_options.event_types.allow_unknown = true;
  const bool quiet = global.quiet || global.json;
  dataset::Dataset data = dataset::snapshot(*store, snapshot_options, quiet);
  semantic::attach_item_vectors(*store, data);  // text vectors for content-aware models
  TAILOR_CHECK_ARG(!data.interactions.empty(), "the store has no interactions to tune on");
  eval::TuneOptions options;
  options.trials = args.trials;
  options.metric = args.metric;
  options.seed = args.seed;
  options.split.kind = dataset::parse_split_kind(args.split);
  TAILOR_CHECK_ARG(args.test_fraction > 0 && args.test_fraction < 1, "--test-fraction must be in (0, 1)");
  options.split.test_fraction = args.test_fraction;
  options.split.seed = args.seed;
  // The cut-off of a ranking metric ("ndcg@20") decides K.
  auto at = args.metric.find('@');
  options.eval.ks = {at == std::string::npos ? 10 : std::stoul(args.metric.substr(at + 1))};
  options.eval.compute_auc = args.metric == "auc";
  options.eval.compute_beyond_accuracy = false;
  options.eval.threads = global.threads;
  options.eval.max_users = args.max_users;
  options.fit.threads = global.threads;
  options.fit.seed = args.seed;
  options.quiet = quiet;
  for (const auto& entry : args.space) options.space.insert(parse_range(entry, args.model));
  eval::TuneResult result = eval::tune(data, args.model, options);

  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : result.trials)
    trials.push_back({{"params", t.params}, {"validation", t.validation}, {"fit_seconds", t.fit_seconds}});
  nlohmann::json test = nlohmann::json::object();
  for (const auto& [k, v] : result.test) test[k] = v;
  nlohmann::json config = {{"model", result.model},
                           {"params", result.best_params},
                           {"metric", result.metric},
                           {"validation", result.best_validation},
                           {"defaults_validation", result.trials.front().validation},
                           {"test", test},
                           {"split", args.split},
                           {"seed", args.seed}};
  if (!args.out.empty()) {
    std::ofstream out(args.out);
    if (!out) throw_error(ErrorCode::kIO, args.out + ": cannot write");
    out << config.dump(2) << "\n";
    if (!out) throw_error(ErrorCode::kIO, args.out + ": write failed");
  }
  if (global.json) {
    config["trials"] = trials;
    print_json(config);
    return;
  }
  std::printf("%s: %d trials, %s on validation: defaults %.4f, best %.4f\n", args.model.c_str(), args.trials,
              args.metric.c_str(), result.trials.front().validation, result.best_validation);
  std::printf("best params %s\n", result.best_params.dump().c_str());
  auto it = result.test.find(args.metric);
  if (it != result.test.end()) std::printf("%s on test (refitted on train): %.4f\n", args.metric.c_str(), it->second);
  if (!args.out.empty()) std::printf("wrote %s (use: tailor train --config %s)\n", args.out.c_str(), args.out.c_str());
}

}  // namespace

nlohmann::json read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw_error(ErrorCode::kNotFound, path + ": cannot read");
  auto doc = nlohmann::json::parse(in, nullptr, false);
  TAILOR_CHECK_ARG(!doc.is_discarded() && doc.is_object(), path + ": not a JSON object");
  TAILOR_CHECK_ARG(doc.contains("model") && doc["model"].is_string(), path + ": field 'model' must be a string");
  TAILOR_CHECK_ARG(!doc.contains("params") || doc["params"].is_object(), path + ": field 'params' must be an object");
  return doc;
}

void register_tune(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand("tune", "Random search of a model's hyper-parameters on a validation split");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--model", args->model, "Model name");
  cmd->add_option("--trials", args->trials, "Number of configurations tried (the first is the defaults)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--metric", args->metric, "Validation metric: ndcg@K, recall@K, ... (maximised) or rmse/mae (minimised)");
  cmd->add_option("--split", args->split, "random, temporal, leave-one-out, global-temporal, recbole, cold-items")
      ->check(CLI::IsMember({"random", "temporal", "leave-one-out", "loo", "global-temporal", "recbole", "cold-items", "cold_items"}));
  cmd->add_option("--test-fraction", args->test_fraction, "Share of each user's interactions held out");
  cmd->add_option("--seed", args->seed, "Seed of the splits, the search and the models");
  cmd->add_option("--space", args->space, "Search range name=low:high[:log] (repeatable; default: around each default)");
  cmd->add_option("--max-users", args->max_users, "Evaluate at most this many users per trial (0 = all)");
  cmd->add_option("--out", args->out, "Write the best configuration here (JSON)");
  cmd->add_flag("--json", global.json, "Print the result and every trial as JSON");
  cmd->callback([args, &global] { run_tune(*args, global); });
}

}  // namespace tailor::cli
