// `tailor train` and `tailor eval`: snapshot the store, fit a model, and either
// save it into the store as the current model or score it offline.
#include <cstdio>
#include <sstream>

#include "commands.h"
#include "tailor/dataset/dataset.h"
#include "tailor/eval/eval.h"
#include "tailor/model/model.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct SnapshotArgs {
  double half_life_days = 0;
  std::string event_types;
};

dataset::SnapshotOptions snapshot_options_from(const SnapshotArgs& args) {
  dataset::SnapshotOptions options;
  TAILOR_CHECK_ARG(args.half_life_days >= 0, "--half-life-days must be >= 0");
  options.half_life_days = args.half_life_days;
  if (!args.event_types.empty()) options.event_types.apply_spec(args.event_types);
  options.event_types.allow_unknown = true;  // stored events were validated at import
  return options;
}

// The snapshot with the store's item text vectors attached (when `tailor
// embed-items` made some), so content-aware models see them.
dataset::Dataset take_snapshot(const store::Store& store, const SnapshotArgs& args, const GlobalOptions& global) {
  dataset::Dataset data = dataset::snapshot(store, snapshot_options_from(args), global.quiet || global.json);
  semantic::attach_item_vectors(store, data);
  return data;
}

void add_snapshot_options(CLI::App* cmd, SnapshotArgs& args) {
  cmd->add_option("--half-life-days", args.half_life_days, "Time decay of event weights (0 = none)");
  cmd->add_option("--event-types", args.event_types, "Override event type weights name=weight,...");
}

// --config FILE (from tailor tune) supplies the params; --param entries override them.
model::Params merged_params(const std::string& config, const std::string& model, const std::vector<std::string>& entries) {
  model::Params params = model::Params::object();
  if (!config.empty()) {
    nlohmann::json doc = read_config_file(config);
    TAILOR_CHECK_ARG(doc["model"].get<std::string>() == model,
                     config + ": written for model '" + doc["model"].get<std::string>() + "', not '" + model +
                         "' (pass --model " + doc["model"].get<std::string>() + ")");
    if (doc.contains("params")) params = doc["params"];
  }
  const model::Params extra = parse_params(entries);
  for (auto it = extra.begin(); it != extra.end(); ++it) params[it.key()] = *it;
  return params;
}

// The model: --model when given, else the config file's, else itemknn.
std::string resolve_model_name(const std::string& config, const std::string& model) {
  if (!model.empty()) return model;
  if (!config.empty()) return read_config_file(config)["model"].get<std::string>();
  return "itemknn";
}

struct TrainArgs {
  std::string db;
  std::string model;
  std::vector<std::string> params;
  std::string config;
  std::string out;
  SnapshotArgs snapshot;
};

nlohmann::json train_and_save(store::Store& store, const TrainArgs& args, const GlobalOptions& global,
                              std::unique_ptr<model::Recommender>* keep = nullptr) {
  model::FitOptions fit;
  fit.threads = global.threads;
  fit.quiet = global.quiet || global.json;
  model::StoreTrainingSummary trained;
  auto recommender = model::train_from_store(store, args.model, merged_params(args.config, args.model, args.params),
                                             snapshot_options_from(args.snapshot), fit, &trained,
                                             [&store](dataset::Dataset& data) { semantic::attach_item_vectors(store, data); });
  if (!args.out.empty()) recommender->save_file(args.out);
  nlohmann::json summary = {{"model", args.model},
                            {"params", recommender->params()},
                            {"users", trained.users},
                            {"items", trained.items},
                            {"interactions", trained.interactions},
                            {"fit_seconds", trained.fit_seconds},
                            {"model_bytes", trained.model_bytes}};
  if (keep != nullptr) *keep = std::move(recommender);
  return summary;
}

struct EvalArgs {
  std::string db;
  std::string model;
  std::vector<std::string> params;
  std::string split = "random";
  double test_fraction = 0.2;
  std::size_t last_n = 0;
  std::uint64_t seed = 42;
  std::vector<std::size_t> ks;
  int folds = 0;
  std::size_t max_users = 0;
  double relevance_threshold = 0;
  bool include_seen = false;
  std::string config;
  std::string split_dir;
  std::string rankings;
  SnapshotArgs snapshot;
};

void run_eval(const EvalArgs& args, const GlobalOptions& global) {
  auto store = store::open_store(args.db, {.read_only = true});
  dataset::Dataset data = take_snapshot(*store, args.snapshot, global);
  TAILOR_CHECK_ARG(!data.interactions.empty(), "the store has no interactions to evaluate on");
  eval::ProtocolOptions options;
  options.split.kind = dataset::parse_split_kind(args.split);
  TAILOR_CHECK_ARG(args.test_fraction > 0 && args.test_fraction < 1, "--test-fraction must be in (0, 1)");
  options.split.test_fraction = args.test_fraction;
  options.split.last_n = args.last_n;
  options.split.seed = args.seed;
  TAILOR_CHECK_ARG(args.folds == 0 || args.folds >= 2, "--folds must be 0 (none) or >= 2");
  options.folds = args.folds;
  options.eval.ks = args.ks.empty() ? std::vector<std::size_t>{10} : args.ks;
  for (auto k : options.eval.ks) TAILOR_CHECK_ARG(k >= 1 && k <= 10000, "--k must be in [1, 10000]");
  options.eval.exclude_seen = !args.include_seen;
  options.eval.threads = global.threads;
  options.eval.quiet = global.quiet || global.json;
  options.eval.max_users = args.max_users;
  options.eval.relevance_threshold = args.relevance_threshold;
  options.fit.threads = global.threads;
  options.fit.seed = args.seed;
  options.fit.quiet = options.eval.quiet;
  eval::MetricMap metrics;
  if (!args.rankings.empty()) {
    TAILOR_CHECK_ARG(!args.split_dir.empty(), "--rankings needs --split-dir (the split the rankings were made on)");
    dataset::Split split = read_split_dir(args.split_dir, data);
    std::vector<dataset::Interaction> seen(split.train);
    seen.insert(seen.end(), split.validation.begin(), split.validation.end());
    metrics = eval::evaluate_rankings(read_rankings(args.rankings, data), data.item_count(), seen, split.test,
                                      options.eval);
  } else if (!args.split_dir.empty()) {
    metrics = eval::run_on_split(data, read_split_dir(args.split_dir, data), args.model, parse_params(args.params),
                                 options);
  } else {
    metrics = eval::run_protocol(data, args.model, parse_params(args.params), options);
  }
  if (global.json) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& [name, value] : metrics) doc[name] = value;
    doc["model"] = args.rankings.empty() ? args.model : "rankings:" + args.rankings;
    doc["split"] = args.split_dir.empty() ? args.split : "dir:" + args.split_dir;
    doc["seed"] = args.seed;
    print_json(doc);
  } else {
    std::printf("model %s, split %s (test fraction %.2f, seed %llu)\n", args.model.c_str(), args.split.c_str(),
                args.test_fraction, static_cast<unsigned long long>(args.seed));
    std::fputs(eval::format_table(metrics).c_str(), stdout);
  }
}

}  // namespace

std::unique_ptr<model::Recommender> load_or_train_model(store::Store& store, const std::string& name,
                                                        const GlobalOptions& global, bool& trained_now) {
  trained_now = false;
  std::string artifact = name.empty() ? model::kCurrentModelArtifact : model::model_artifact_name(name);
  if (auto bytes = store.get_artifact(artifact)) return model::load_model_bytes(*bytes);
  TrainArgs args;
  args.model = name.empty() ? "itemknn" : name;
  log_info("no trained " + args.model + " model in the store yet; training one now (tailor train does this ahead of time)");
  std::unique_ptr<model::Recommender> trained;
  train_and_save(store, args, global, &trained);
  trained_now = true;
  return trained;
}

void register_train(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a model on everything in the store and save it as the current model");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--model", args->model, "Model name (popular, itemknn, userknn, als, ease, ...; default itemknn or --config's)");
  cmd->add_option("--param", args->params, "Hyper-parameter key=value (repeatable)");
  cmd->add_option("--config", args->config, "Hyper-parameters from a tailor tune --out file");
  cmd->add_option("--out", args->out, "Also write the model to this file");
  add_snapshot_options(cmd, args->snapshot);
  cmd->add_flag("--json", global.json, "Print the training summary as JSON");
  cmd->callback([args, &global] {
    args->model = resolve_model_name(args->config, args->model);
    auto store = store::open_store(args->db);
    nlohmann::json summary = train_and_save(*store, *args, global);
    if (global.json) {
      print_json(summary);
    } else {
      std::printf("trained %s on %s interactions (%s users, %s items) in %.2fs; saved as the current model\n",
                  args->model.c_str(), summary["interactions"].dump().c_str(), summary["users"].dump().c_str(),
                  summary["items"].dump().c_str(), summary["fit_seconds"].get<double>());
    }
  });
}

void register_eval(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Offline evaluation: split the store's data, fit a model, report metrics");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--model", args->model, "Model name (popular, itemknn, userknn, als, ease, ...; default itemknn or --config's)");
  cmd->add_option("--param", args->params, "Hyper-parameter key=value (repeatable)");
  cmd->add_option("--config", args->config, "Hyper-parameters from a tailor tune --out file");
  cmd->add_option("--split", args->split, "random, temporal, leave-one-out, global-temporal, recbole, cold-items")
      ->check(CLI::IsMember({"random", "temporal", "leave-one-out", "loo", "global-temporal", "recbole", "cold-items", "cold_items"}));
  cmd->add_option("--test-fraction", args->test_fraction, "Share of each user's interactions held out");
  cmd->add_option("--last-n", args->last_n, "Temporal split: hold out each user's last N interactions");
  cmd->add_option("--seed", args->seed, "Random seed of the split and the model");
  cmd->add_option("--k", args->ks, "Cut-off(s) for ranking metrics, repeatable or comma-separated")->delimiter(',');
  cmd->add_option("--folds,--cv", args->folds, "K-fold cross-validation for rating metrics (e.g. 5)");
  cmd->add_option("--max-users", args->max_users, "Evaluate at most this many users (0 = all)");
  cmd->add_option("--relevance-threshold", args->relevance_threshold, "Test items rated below this are not relevant");
  cmd->add_flag("--include-seen", args->include_seen, "Do not exclude training items from the ranking");
  cmd->add_option("--split-dir", args->split_dir, "Use the split in this folder (written by tailor split) instead of --split");
  cmd->add_option("--rankings", args->rankings,
                  "Score these rankings (TSV user_id, item_id, best first) made elsewhere on --split-dir's split");
  add_snapshot_options(cmd, args->snapshot);
  cmd->add_flag("--json", global.json, "Print metrics as one JSON object");
  cmd->callback([args, &global] {
    args->model = resolve_model_name(args->config, args->model);
    run_eval(*args, global);
  });
}

}  // namespace tailor::cli
