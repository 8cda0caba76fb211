// The `tailor` command's subcommands. Each register_* adds one CLI11
// subcommand whose callback does the work; errors propagate as tailor::Error
// and are translated to an exit code exactly once, in main.cc.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace tailor::cli {

// Options every subcommand shares.
struct GlobalOptions {
  bool quiet = false;    // no progress bars, fewer log lines
  bool json = false;     // machine-readable output on stdout
  int threads = 0;       // 0 = all cores (TAILOR_THREADS overrides)
};

void register_import(CLI::App& app, GlobalOptions& global);
void register_stats(CLI::App& app, GlobalOptions& global);
void register_train(CLI::App& app, GlobalOptions& global);
void register_recommend(CLI::App& app, GlobalOptions& global);
void register_history(CLI::App& app, GlobalOptions& global);
void register_similar(CLI::App& app, GlobalOptions& global);
void register_eval(CLI::App& app, GlobalOptions& global);
void register_split(CLI::App& app, GlobalOptions& global);
void register_tune(CLI::App& app, GlobalOptions& global);
void register_serve(CLI::App& app, GlobalOptions& global);
// @server
void register_rules(CLI::App& app, GlobalOptions& global);  // @analytics
void register_propensity(CLI::App& app, GlobalOptions& global);  // @analytics
void register_profile(CLI::App& app, GlobalOptions& global);  // @profile
void register_report(CLI::App& app, GlobalOptions& global);  // @profile
void register_llm(CLI::App& app, GlobalOptions& global);  // @llm: embed, generate (cmd_llm.cc)
void register_semantic(CLI::App& app, GlobalOptions& global);  // @semantic: search (cmd_semantic.cc)
void register_intent_copy(CLI::App& app, GlobalOptions& global);  // @semantic: intent, copy (cmd_copy.cc)
void register_experiment(CLI::App& app, GlobalOptions& global);  // @experiment: experiment, monitor (cmd_experiment.cc)

// Prints a JSON document on stdout (pretty when stdout is a terminal).
void print_json(const nlohmann::json& doc);

// Parses repeated "key=value" params into a JSON object; values that parse as
// numbers or booleans become numbers/booleans. Throws InvalidArgument naming the entry.
nlohmann::json parse_params(const std::vector<std::string>& entries);

}  // namespace tailor::cli

#include "tailor/llm/llm.h"

namespace tailor::cli {

// The model flags every LLM-using command shares (--embedder-model,
// --generator-model, --llm-url, --llm-api-key, --no-generator, ...), with
// TAILOR_LLM_* environment defaults. Defined in cmd_llm.cc.
struct LlmFlags {
  llm::LlmConfig config;
  bool no_generator = false;   // skip the generator (rule/embedding fallbacks only)
};
void add_llm_flags(CLI::App* cmd, LlmFlags& flags);
// Applies TAILOR_LLM_* env defaults to fields the command line left empty.
void apply_llm_env(LlmFlags& flags);

}  // namespace tailor::cli

#include <memory>

#include "tailor/dataset/dataset.h"
#include "tailor/eval/eval.h"

namespace tailor::store { class Store; }
namespace tailor::model { class Recommender; }

namespace tailor::cli {

// Loads the store's current model (or the named one). When the store has none
// yet, trains `fallback_model` on everything, saves it as current, and says so
// on stderr; `trained_now` is set when that happened.
std::unique_ptr<model::Recommender> load_or_train_model(store::Store& store, const std::string& name,
                                                        const GlobalOptions& global, bool& trained_now);

// Reads train.tsv / valid.tsv / test.tsv written by `tailor split`; ids are
// resolved through `data`'s id maps. InvalidArgument names file, line, field.
dataset::Split read_split_dir(const std::string& dir, const dataset::Dataset& data);
// Reads a configuration written by `tailor tune --out`: {"model": ..., "params": {...}}.
nlohmann::json read_config_file(const std::string& path);
// `tailor propensity --db --category`: purchase propensity for one category
// from the store (temporal label window), and the audience most likely to buy.
void run_store_propensity(const std::string& db, const std::string& category, int horizon_days,
                          const std::string& cutoff, const std::string& model, std::uint64_t seed, std::size_t top,
                          const GlobalOptions& global);
// Reads external rankings (TSV: user_id, item_id; best first per user).
eval::Rankings read_rankings(const std::string& path, const dataset::Dataset& data);

}  // namespace tailor::cli
