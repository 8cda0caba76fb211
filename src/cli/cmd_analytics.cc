// `tailor rules` (association rules over the store's baskets) and
// `tailor propensity` (a propensity model trained and scored on a CSV).
#include <cstdio>
#include <fstream>

#include "commands.h"
#include "tailor/analytics/analytics.h"
#include "tailor/dataset/dataset.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct RulesArgs {
  std::string db;
  double min_support = 0.1;
  double min_confidence = 0.5;
  double min_rating = 0;
  double session_gap_minutes = 0;
  std::size_t max_size = 0;
  std::size_t limit = 100;
  std::string item;
};

nlohmann::json id_list(const dataset::Dataset& data, const std::vector<std::uint32_t>& items) {
  nlohmann::json ids = nlohmann::json::array();
  for (std::uint32_t item : items) ids.push_back(data.items.id(item));
  return ids;
}

std::string title_list(const dataset::Dataset& data, const std::vector<std::uint32_t>& items) {
  std::string text;
  for (std::uint32_t item : items) {
    const std::string& title = data.item_meta[item].title;
    text += (text.empty() ? "" : " + ") + (title.empty() ? data.items.id(item) : title);
  }
  return text;
}

void run_rules(const RulesArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(args.min_support > 0 && args.min_support <= 1, "--min-support must be in (0, 1]");
  TAILOR_CHECK_ARG(args.min_confidence >= 0 && args.min_confidence <= 1, "--min-confidence must be in [0, 1]");
  auto store = store::open_store(args.db, {.read_only = true});
  dataset::SnapshotOptions snapshot_options;
  snapshot_options.event_types.allow_unknown = true;  // stored events were validated at import
  dataset::Dataset data = dataset::snapshot(*store, snapshot_options, global.quiet || global.json);
  std::optional<std::uint32_t> item;
  if (!args.item.empty()) {
    item = data.items.find(args.item);
    if (!item) throw_error(ErrorCode::kNotFound, "--item '" + args.item + "' is not in the store");
  }
  const double start = monotonic_seconds();
  analytics::BasketOptions basket_options;
  basket_options.min_rating = args.min_rating;
  basket_options.session_gap_minutes = args.session_gap_minutes;
  const std::vector<analytics::Basket> baskets = analytics::make_baskets(data, basket_options);
  analytics::ItemsetOptions itemset_options;
  itemset_options.min_support = args.min_support;
  itemset_options.max_size = args.max_size;
  itemset_options.threads = global.threads;
  const std::vector<analytics::Itemset> itemsets = analytics::frequent_itemsets(baskets, itemset_options);
  std::vector<analytics::Rule> rules =
      analytics::association_rules(itemsets, baskets.size(), {.min_confidence = args.min_confidence});
  const std::size_t total_rules = rules.size();
  if (item) rules = analytics::rules_for_item(rules, *item);
  if (args.limit > 0 && rules.size() > args.limit) rules.resize(args.limit);
  const double seconds = monotonic_seconds() - start;
  if (global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const analytics::Rule& rule : rules) {
      out.push_back({{"antecedent", id_list(data, rule.antecedent)},
                     {"consequent", id_list(data, rule.consequent)},
                     {"support", rule.support},
                     {"confidence", rule.confidence},
                     {"lift", rule.lift}});
    }
    print_json({{"rules", out},
                {"baskets", baskets.size()},
                {"itemsets", itemsets.size()},
                {"total_rules", total_rules},
                {"seconds", seconds}});
    return;
  }
  std::printf("%zu baskets, %zu frequent itemsets, %zu rules (%.2fs)\n", baskets.size(), itemsets.size(), total_rules,
              seconds);
  for (const analytics::Rule& rule : rules) {
    std::printf("%s -> %s  support %.4f  confidence %.3f  lift %.3f\n", title_list(data, rule.antecedent).c_str(),
                title_list(data, rule.consequent).c_str(), rule.support, rule.confidence, rule.lift);
  }
}

struct PropensityArgs {
  std::string csv;
  std::string label;
  std::string positive;
  std::vector<std::string> drop;
  std::vector<std::string> categorical;
  std::size_t max_categories = 64;
  std::string model = "xgboost";
  double test_fraction = 0.2;
  std::uint64_t seed = 42;
  std::string split_out;
  std::size_t top = 20;
  // Store mode (--db with --category).
  std::string db;
  std::string category;
  int horizon_days = 30;
  std::string cutoff;
  analytics::XgboostOptions xgboost;
  analytics::LogisticOptions logistic;
};

void write_split(const std::string& path, const analytics::RowSplit& split) {
  std::ofstream out(path);
  if (!out) throw_error(ErrorCode::kIO, "cannot write " + path);
  out << nlohmann::json({{"train", split.train}, {"test", split.test}}).dump() << "\n";
  if (!out) throw_error(ErrorCode::kIO, "cannot write " + path);
}

void run_propensity(const PropensityArgs& args, const GlobalOptions& global) {
  analytics::FeatureOptions feature_options;
  feature_options.label = args.label;
  feature_options.positive = args.positive;
  feature_options.drop = args.drop;
  feature_options.categorical = args.categorical;
  feature_options.max_categories = args.max_categories;
  const analytics::FeatureMatrix x = analytics::encode_features(analytics::read_csv(args.csv), feature_options);
  const analytics::RowSplit split = analytics::split_rows(x.rows, args.test_fraction, args.seed);
  if (!args.split_out.empty()) write_split(args.split_out, split);
  analytics::PropensityOptions options;
  options.kind = analytics::parse_propensity_kind(args.model);
  options.xgboost = args.xgboost;
  options.xgboost.seed = args.seed;
  options.logistic = args.logistic;
  options.threads = global.threads;
  auto model = analytics::make_propensity_model(options);
  const double start = monotonic_seconds();
  model->fit(x, split.train);
  const double fit_seconds = monotonic_seconds() - start;
  const std::vector<double> scores = model->predict(x, split.test);
  std::vector<float> labels;
  for (std::size_t row : split.test) labels.push_back(x.labels[row]);
  const double auc = analytics::binary_auc(scores, labels);
  std::vector<analytics::FeatureImportance> importance = model->importance();
  if (args.top > 0 && importance.size() > args.top) importance.resize(args.top);
  if (global.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& entry : importance) items.push_back({{"feature", entry.feature}, {"value", entry.value}});
    print_json({{"auc", auc},
                {"model", model->name()},
                {"importance", items},
                {"train_rows", split.train.size()},
                {"test_rows", split.test.size()},
                {"features", x.cols},
                {"fit_seconds", fit_seconds}});
    return;
  }
  std::printf("%s: test AUC %.4f (%zu train rows, %zu test rows, %zu features, fit %.2fs)\n", model->name().c_str(),
              auc, split.train.size(), split.test.size(), x.cols, fit_seconds);
  for (const auto& entry : importance) std::printf("  %-32s %.4f\n", entry.feature.c_str(), entry.value);
}

}  // namespace

void register_rules(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<RulesArgs>();
  auto* cmd = app.add_subcommand("rules", "Association rules (FP-Growth) over users' baskets: X -> Y with support, "
                                          "confidence, lift");
  cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
  cmd->add_option("--min-support", args->min_support, "Minimum support, a fraction of baskets in (0, 1]")
      ->capture_default_str();
  cmd->add_option("--min-confidence", args->min_confidence, "Minimum confidence in [0, 1]")->capture_default_str();
  cmd->add_option("--min-rating", args->min_rating, "Only rated interactions with rating >= this (0 = all positive)");
  cmd->add_option("--session-gap", args->session_gap_minutes,
                  "Baskets are sessions split at gaps longer than this many minutes (0 = one basket per user)");
  cmd->add_option("--max-size", args->max_size, "Largest itemset size (0 = unlimited)");
  cmd->add_option("--limit", args->limit, "Print at most this many rules (0 = all)")->capture_default_str();
  cmd->add_option("--item", args->item, "Only rules {ITEM} -> Y: users who bought ITEM also bought Y");
  cmd->add_flag("--json", global.json, "Print JSON");
  cmd->callback([args, &global] { run_rules(*args, global); });
}

void register_propensity(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<PropensityArgs>();
  auto* cmd = app.add_subcommand("propensity", "Propensity models: on a CSV (--csv, --label), or per item category "
                                               "from the store (--db, --category) with the audience to target");
  auto* csv = cmd->add_option("--csv", args->csv, "Input CSV with a header (';' or ',' separated)");
  auto* label = cmd->add_option("--label", args->label, "Label column (CSV mode)");
  auto* db = cmd->add_option("--db", args->db, "Store mode: SQLite file path or sqlite:// URL");
  auto* category = cmd->add_option("--category", args->category, "Store mode: top-level category whose buyers are predicted");
  csv->excludes(db);
  label->needs(csv);
  category->needs(db);
  db->needs(category);
  cmd->add_option("--horizon-days", args->horizon_days, "Store mode: label window after the cutoff, in days")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cmd->add_option("--cutoff", args->cutoff, "Store mode: cutoff time (default: newest event - horizon)");
  cmd->add_option("--positive", args->positive, "Label value meaning positive (default: the label is 0/1)");
  cmd->add_option("--drop", args->drop, "Columns to leave out (repeatable or comma-separated)")->delimiter(',');
  cmd->add_option("--categorical", args->categorical, "Columns to one-hot even when numeric-looking")->delimiter(',');
  cmd->add_option("--max-categories", args->max_categories, "One-hot at most this many values per column")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "xgboost or logistic")->capture_default_str();
  cmd->add_option("--test-fraction", args->test_fraction, "Share of rows held out for the AUC")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the split and the model")->capture_default_str();
  cmd->add_option("--split-out", args->split_out, "Write the split's row indexes as JSON {train: [...], test: [...]}");
  cmd->add_option("--top", args->top,
                  "CSV mode: the top N features by importance; store mode: audience size (0 = all)")
      ->capture_default_str();
  cmd->add_option("--rounds", args->xgboost.rounds, "XGBoost boosting rounds")->capture_default_str();
  cmd->add_option("--eta", args->xgboost.eta, "XGBoost learning rate")->capture_default_str();
  cmd->add_option("--max-depth", args->xgboost.max_depth, "XGBoost tree depth")->capture_default_str();
  cmd->add_option("--l2", args->logistic.l2, "Logistic L2 penalty on standardised coefficients")->capture_default_str();
  cmd->add_flag("--json", global.json, "Print JSON");
  cmd->callback([args, &global] {
    if (!args->db.empty()) {
      run_store_propensity(args->db, args->category, args->horizon_days, args->cutoff, args->model, args->seed,
                           args->top, global);
      return;
    }
    TAILOR_CHECK_ARG(!args->csv.empty(), "propensity: give --csv FILE --label COLUMN, or --db FILE --category C");
    TAILOR_CHECK_ARG(!args->label.empty(), "propensity: --label is required with --csv");
    run_propensity(*args, global);
  });
}

}  // namespace tailor::cli
