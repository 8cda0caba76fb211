// `tailor sentiment` (train the review sentiment model on the shared datasets,
// score the store's reviews, or score one text) and `tailor report` (the
// marketer's HTML + JSON report). Both live in tailor_profile.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct SentimentArgs {
  std::string db;
  std::string train_datasets;
  std::string text;
  std::uint64_t seed = 42;
  std::size_t limit = 20;
};

void print_aggregates(const char* what, const std::vector<profile::SentimentAggregate>& list, std::size_t limit) {
  std::printf("%s (%zu):\n", what, list.size());
  for (std::size_t idx = 0; idx < list.size() && idx < limit; ++idx)
    std::printf("  %-16s reviews %3zu  +%zu -%zu  mean %.3f\n", list[idx].id.c_str(), list[idx].count,
                list[idx].positive, list[idx].negative, list[idx].mean_score);
}

nlohmann::json aggregates_json(const std::vector<profile::SentimentAggregate>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : list)
    out.push_back({{"id", a.id}, {"reviews", a.count}, {"positive", a.positive}, {"negative", a.negative},
                   {"mean_score", a.mean_score}});
  return out;
}

void run_sentiment(const SentimentArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(!args.db.empty() || !args.train_datasets.empty(), "give --db, --train-datasets or both");
  nlohmann::json doc = nlohmann::json::object();
  std::optional<profile::SentimentModel> model;
  std::unique_ptr<store::Store> store;
  if (!args.train_datasets.empty()) {
    auto examples = profile::load_sentiment_examples(args.train_datasets);
    std::vector<profile::SentimentExample> train, test;
    profile::split_sentiment_examples(examples, 0.2, args.seed, train, test);
    model = profile::SentimentModel::train(train);
    nlohmann::json accuracy = nlohmann::json::array();
    for (const auto& r : profile::evaluate_sentiment(*model, test))
      accuracy.push_back({{"lang", r.lang}, {"test_reviews", r.count}, {"accuracy", r.accuracy},
                          {"balanced_accuracy", r.balanced_accuracy},
                          {"positive_share", r.positive_share}});
    doc["training"] = {{"examples", examples.size()}, {"train", train.size()}, {"test", test.size()},
                       {"seed", args.seed}, {"held_out", accuracy}};
    if (!args.db.empty()) {
      store = store::open_store(args.db);
      auto writer = store->begin_write();
      writer->put_artifact(profile::kSentimentArtifact, model->to_json().dump());
      writer->commit();
      doc["training"]["saved_as"] = profile::kSentimentArtifact;
    }
  } else {
    store = store::open_store(args.db, {.read_only = true});
    auto bytes = store->get_artifact(profile::kSentimentArtifact);
    if (!bytes)
      throw_error(ErrorCode::kNotFound, "no sentiment model in the store: run `tailor sentiment --db FILE --train-datasets DIR`");
    nlohmann::json stored = nlohmann::json::parse(*bytes, nullptr, false);
    if (stored.is_discarded()) throw_error(ErrorCode::kCorruption, "sentiment artifact: not valid JSON");
    model = profile::SentimentModel::from_json(stored);
  }
  if (!args.text.empty()) {
    const double score = model->score(args.text);
    doc["text"] = {{"text", args.text}, {"lang", profile::detect_language(args.text)}, {"score", score},
                   {"label", score >= 0.5 ? "positive" : "negative"}};
  } else if (store) {
    auto result = profile::score_store_reviews(*store, *model);
    doc["reviews"] = result.reviews;
    doc["users"] = aggregates_json(result.users);
    doc["items"] = aggregates_json(result.items);
    if (!global.json) {
      std::printf("%zu reviews scored\n", result.reviews);
      print_aggregates("users", result.users, args.limit);
      print_aggregates("items", result.items, args.limit);
    }
  }
  if (global.json) {
    print_json(doc);
    return;
  }
  if (doc.contains("training"))
    for (const auto& r : doc["training"]["held_out"])
      std::printf("held-out accuracy %s: %.4f (balanced %.4f) on %zu reviews\n", r["lang"].get<std::string>().c_str(),
                  r["accuracy"].get<double>(), r["balanced_accuracy"].get<double>(), r["test_reviews"].get<std::size_t>());
  if (doc.contains("text"))
    std::printf("%s %.4f (%s)\n", doc["text"]["label"].get<std::string>().c_str(), doc["text"]["score"].get<double>(),
                doc["text"]["lang"].get<std::string>().c_str());
}

struct ReportArgs {
  std::string db;
  std::string out;
  profile::ReportOptions options;
};

void run_report(const ReportArgs& args, const GlobalOptions& global) {
  auto store = store::open_store(args.db, {.read_only = true});
  profile::ReportOptions options = args.options;
  options.threads = global.threads;
  const nlohmann::json report = profile::report_json(*store, options);
  std::filesystem::create_directories(args.out);
  const std::filesystem::path dir(args.out);
  for (const auto& [name, text] : {std::pair{"report.json", report.dump(2)},
                                   std::pair{"report.html", profile::report_html(report)}}) {
    std::ofstream file(dir / name, std::ios::binary | std::ios::trunc);
    file << text;
    if (!file) throw_error(ErrorCode::kIO, "cannot write " + (dir / name).string());
  }
  if (global.json) {
    print_json({{"html", (dir / "report.html").string()}, {"json", (dir / "report.json").string()}});
    return;
  }
  std::printf("wrote %s and %s\n", (dir / "report.html").c_str(), (dir / "report.json").c_str());
}

}  // namespace

void register_report(CLI::App& app, GlobalOptions& global) {
  {
    auto args = std::make_shared<SentimentArgs>();
    auto* cmd = app.add_subcommand("sentiment", "Review sentiment (zh/en Naive Bayes): train, score the store's reviews, or one text");
    cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL");
    cmd->add_option("--train-datasets", args->train_datasets,
                    "Shared datasets folder: train on Douban comments and Amazon 2018 reviews (80/20 split) and store the model");
    cmd->add_option("--text", args->text, "Score this one text instead of the store's reviews");
    cmd->add_option("--seed", args->seed, "Seed of the 80/20 split");
    cmd->add_option("--limit", args->limit, "Rows printed per list (text output)");
    cmd->add_flag("--json", global.json, "Print JSON");
    cmd->callback([args, &global] { run_sentiment(*args, global); });
  }
  {
    auto args = std::make_shared<ReportArgs>();
    auto* cmd = app.add_subcommand("report", "Write the marketer's report (report.html with charts, report.json)");
    cmd->add_option("--db", args->db, "Store: SQLite file path or sqlite:// URL")->required();
    cmd->add_option("--out", args->out, "Output folder")->required();
    cmd->add_option("--min-support", args->options.min_support, "Association rules: minimum support")->check(CLI::Range(1e-9, 1.0));
    cmd->add_option("--min-confidence", args->options.min_confidence, "Association rules: minimum confidence")->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--top-rules", args->options.top_rules, "Rules shown");
    cmd->add_option("--seed", args->options.seed, "Seed for segments (when none are stored) and the propensity split");
    cmd->add_flag("--json", global.json, "Print the written paths as JSON");
    cmd->callback([args, &global] { run_report(*args, global); });
  }
}

}  // namespace tailor::cli
