// `tailor intent` and `tailor copy`: the query parser and the grounded
// copywriter of the semantic component from the command line.
//
//   tailor intent --query TEXT [--db FILE] [--no-generator] [--no-embedder] --json
//       the structured intent; with --db the categories are the catalogue's,
//       without it the built-in lexicon's (the demo catalogue's names)
//   tailor copy --db FILE --item ID [--user ID] --channel push|sms|email --lang zh|en --json
//       {text, grounded, fallback, attempts, violations, interests, ...}
//
// Both load the generator unless --no-generator (the rule parser and the
// template then answer alone); a configured model that cannot be opened is an
// error, never a silent fallback.
#include <cstdio>
#include <memory>
#include <set>

#include "commands.h"
#include "tailor/core/core.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::cli {
namespace {

struct IntentArgs {
  std::string db;
  std::string query;
  bool no_embedder = false;
  LlmFlags llm;
};

struct CopyArgs {
  std::string db;
  std::string item;
  std::string user;
  std::string channel = "push";
  std::string lang = "zh";
  int attempts = 3;
  std::uint32_t seed = 42;
  bool allow_small_model_zh = false;
  LlmFlags llm;
};

std::size_t utf8_chars(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> catalogue_categories(const store::Store& store) {
  std::set<std::string> names;
  store.scan_items([&](std::uint32_t, const data::Item& item) {
    for (const auto& c : item.categories) names.insert(c);
  });
  return {names.begin(), names.end()};
}

void run_intent(IntentArgs& args, const GlobalOptions& global) {
  TAILOR_CHECK_ARG(!data::normalize_text(args.query).empty(), "--query must not be empty");
  apply_llm_env(args.llm);
  std::vector<std::string> categories;
  if (!args.db.empty()) {
    store::StoreOptions options;
    options.read_only = true;
    categories = catalogue_categories(*store::open_store(args.db, options));
  }
  std::unique_ptr<llm::Generator> generator;
  if (!args.llm.no_generator) generator = llm::open_generator(args.llm.config);
  std::unique_ptr<llm::Embedder> embedder;
  if (!args.no_embedder) embedder = llm::open_embedder(args.llm.config);
  auto intent = semantic::parse_intent(args.query, categories, generator.get(), embedder.get());
  auto doc = intent.to_json();
  if (global.json) {
    print_json(doc);
    return;
  }
  std::printf("query:      %s\n", intent.query.c_str());
  std::printf("language:   %s   (method: %s)\n", intent.language.c_str(), intent.method.c_str());
  std::printf("categories: %s\n", doc["categories"].dump().c_str());
  std::printf("attributes: %s\n", doc["attributes"].dump().c_str());
  std::printf("price:      %s .. %s\n", doc["price_min"].dump().c_str(), doc["price_max"].dump().c_str());
  std::printf("must_have:  %s\n", doc["must_have"].dump().c_str());
  std::printf("exclude:    %s\n", doc["exclude"].dump().c_str());
}

void run_copy(CopyArgs& args, const GlobalOptions& global) {
  semantic::CopyRequest request;
  request.item = args.item;
  request.user = args.user;
  request.channel = semantic::parse_channel(args.channel);
  request.lang = args.lang;
  request.max_attempts = args.attempts;
  request.seed = args.seed;
  request.allow_small_model_zh = args.allow_small_model_zh;
  // Request errors before any model is loaded.
  semantic::channel_max_chars(request.channel, request.lang);
  TAILOR_CHECK_ARG(!request.item.empty(), "--item must not be empty");
  apply_llm_env(args.llm);
  store::StoreOptions options;
  options.read_only = true;
  auto store = store::open_store(args.db, options);
  std::unique_ptr<llm::Generator> generator;
  if (!args.llm.no_generator && args.attempts > 0) generator = llm::open_generator(args.llm.config);
  auto result = semantic::write_copy(*store, generator.get(), request);
  if (global.json) {
    print_json({{"item", request.item},
                {"user", request.user.empty() ? nlohmann::json() : nlohmann::json(request.user)},
                {"channel", args.channel},
                {"lang", request.lang},
                {"text", result.text},
                {"grounded", result.grounded},
                {"fallback", result.fallback},
                {"attempts", result.attempts},
                {"violations", result.report.violations},
                {"interests", result.interests},
                {"chars", utf8_chars(result.text)},
                {"max_chars", semantic::channel_max_chars(request.channel, request.lang)},
                {"generator", generator ? nlohmann::json(generator->model_id()) : nlohmann::json()}});
    return;
  }
  std::printf("%s\n", result.text.c_str());
  std::fprintf(stderr, "[%s, %s, %d generation attempt(s)]\n", result.fallback ? "template" : "generated",
               result.grounded ? "grounded" : "NOT grounded", result.attempts);
  for (const auto& v : result.report.violations) std::fprintf(stderr, "  rejected: %s\n", v.c_str());
}

}  // namespace

void register_intent_copy(CLI::App& app, GlobalOptions& global) {
  auto intent_args = std::make_shared<IntentArgs>();
  auto* intent = app.add_subcommand("intent", "Parse a shopping query into a structured intent");
  intent->add_option("--query", intent_args->query, "The query, Chinese or English")->required();
  intent->add_option("--db", intent_args->db, "Store whose item categories the intent maps onto");
  intent->add_flag("--no-embedder", intent_args->no_embedder, "Do not load the embedder (lexicon categories only)");
  add_llm_flags(intent, intent_args->llm);
  intent->add_flag("--json", global.json, "Print the intent as JSON");
  intent->callback([intent_args, &global] { run_intent(*intent_args, global); });

  auto copy_args = std::make_shared<CopyArgs>();
  auto* copy = app.add_subcommand("copy", "Write grounded marketing copy for an item");
  copy->add_option("--db", copy_args->db, "Store (SQLite path or URL)")->required();
  copy->add_option("--item", copy_args->item, "Item id")->required();
  copy->add_option("--user", copy_args->user, "User id whose interests personalise the copy");
  copy->add_option("--channel", copy_args->channel, "push, sms or email (default push)");
  copy->add_option("--lang", copy_args->lang, "zh or en (default zh)");
  copy->add_option("--attempts", copy_args->attempts, "Generations before the template fallback (0 = template only)")
      ->check(CLI::Range(0, 10));
  copy->add_option("--seed", copy_args->seed, "Seed of the first generation (later attempts derive theirs)");
  add_llm_flags(copy, copy_args->llm);
  copy->add_flag("--allow-small-model-zh", copy_args->allow_small_model_zh,
                 "Let a small generator (e.g. the default SmolLM2-135M) write Chinese copy instead of the template");
  copy->add_flag("--json", global.json, "Print the result as JSON");
  copy->callback([copy_args, &global] { run_copy(*copy_args, global); });
}

}  // namespace tailor::cli
