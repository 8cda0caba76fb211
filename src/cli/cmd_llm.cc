// `tailor embed` and `tailor generate`: the LLM layer from the command line
// (vectors as JSON, chat replies), plus the model flags shared by every
// command that uses a language model.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "tailor/core/core.h"
#include "tailor/llm/llm.h"

namespace tailor::cli {

void add_llm_flags(CLI::App* cmd, LlmFlags& flags) {
  auto& c = flags.config;
  cmd->add_option("--embedder-model", c.embedder_model, "Embedding GGUF (default: the model cache's multilingual-e5-small)");
  cmd->add_option("--generator-model", c.generator_model, "Generator GGUF (default: the model cache's SmolLM2-135M-Instruct)");
  cmd->add_option("--embedder-url", c.embedder_url, "OpenAI-compatible endpoint for embeddings (replaces the local model)");
  cmd->add_option("--embedder-remote-model", c.embedder_remote_model, "\"model\" sent to --embedder-url");
  cmd->add_option("--generator-url", c.generator_url, "OpenAI-compatible endpoint for chat (replaces the local model)");
  cmd->add_option("--generator-remote-model", c.generator_remote_model, "\"model\" sent to --generator-url");
  cmd->add_option("--llm-api-key", c.api_key, "Bearer token for the endpoints (or TAILOR_LLM_API_KEY)");
  cmd->add_option("--llm-threads", c.threads, "llama.cpp threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--no-generator", flags.no_generator, "Do not load a generator (rule and embedding fallbacks only)");
}

void apply_llm_env(LlmFlags& flags) {
  auto fill = [](std::string& field, const char* name) {
    if (!field.empty()) return;
    if (const char* value = std::getenv(name); value != nullptr) field = value;
  };
  auto& c = flags.config;
  fill(c.embedder_model, "TAILOR_LLM_EMBEDDER_MODEL");
  fill(c.generator_model, "TAILOR_LLM_GENERATOR_MODEL");
  fill(c.embedder_url, "TAILOR_LLM_EMBEDDER_URL");
  fill(c.embedder_remote_model, "TAILOR_LLM_EMBEDDER_REMOTE_MODEL");
  fill(c.generator_url, "TAILOR_LLM_GENERATOR_URL");
  fill(c.generator_remote_model, "TAILOR_LLM_GENERATOR_REMOTE_MODEL");
  fill(c.api_key, "TAILOR_LLM_API_KEY");
  c.validate();
}

namespace {

std::vector<std::string> read_lines(std::istream& in) {
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

void register_llm(CLI::App& app, GlobalOptions& global) {
  // ------------------------------------------------------------ embed ---
  struct EmbedArgs {
    LlmFlags flags;
    std::vector<std::string> texts;
    std::string role = "passage";
    bool stdin_lines = false;
    int repeat = 1;
  };
  auto embed_args = std::make_shared<EmbedArgs>();
  auto* embed = app.add_subcommand("embed", "Embed texts with the embedding model (JSON vectors or throughput)");
  add_llm_flags(embed, embed_args->flags);
  embed->add_option("--text", embed_args->texts, "Text to embed (repeatable)");
  embed->add_flag("--json", global.json, "Print the vectors as JSON");
  embed->add_flag("--stdin", embed_args->stdin_lines, "Embed each line of stdin");
  embed->add_option("--role", embed_args->role, "query or passage (selects the model's prefix)")
      ->check(CLI::IsMember({"query", "passage"}));
  embed->add_option("--repeat", embed_args->repeat, "Embed the texts this many times (benchmarks)")
      ->check(CLI::Range(1, 1000000));
  embed->callback([embed_args, &global] {
    auto& a = *embed_args;
    apply_llm_env(a.flags);
    if (a.stdin_lines) {
      auto lines = read_lines(std::cin);
      a.texts.insert(a.texts.end(), lines.begin(), lines.end());
    }
    TAILOR_CHECK_ARG(!a.texts.empty(), "text: give --text or --stdin");
    if (global.threads > 0 && a.flags.config.threads == 0) a.flags.config.threads = global.threads;
    auto embedder = llm::open_embedder(a.flags.config);
    const auto role = a.role == "query" ? llm::TextRole::kQuery : llm::TextRole::kPassage;
    const auto started = std::chrono::steady_clock::now();
    std::vector<float> rows;
    for (int r = 0; r < a.repeat; ++r) rows = embedder->embed(a.texts, role);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto dim = static_cast<std::size_t>(embedder->dim());
    nlohmann::json doc = {{"model", embedder->model_id()},
                          {"dim", dim},
                          {"count", a.texts.size()},
                          {"seconds", seconds},
                          {"texts_per_second", seconds > 0 ? a.texts.size() * a.repeat / seconds : 0.0}};
    nlohmann::json vectors = nlohmann::json::array();
    for (std::size_t i = 0; i < a.texts.size(); ++i)
      vectors.push_back(std::vector<float>(rows.begin() + i * dim, rows.begin() + (i + 1) * dim));
    doc["vectors"] = std::move(vectors);
    if (global.json) {
      print_json(doc);
    } else {
      fmt::print("model {}  dim {}  {} texts  {:.1f} texts/s\n", embedder->model_id(), dim, a.texts.size(),
                 doc["texts_per_second"].get<double>());
      for (std::size_t i = 0; i < a.texts.size(); ++i)
        fmt::print("{}\t[{:.4f}, {:.4f}, {:.4f}, ...]\n", a.texts[i], rows[i * dim], rows[i * dim + 1], rows[i * dim + 2]);
    }
  });

  // --------------------------------------------------------- generate ---
  struct GenerateArgs {
    LlmFlags flags;
    std::string prompt;
    std::string system;
    std::string grammar_file;
    llm::GenerateOptions options;
    bool stream = false;
  };
  auto gen_args = std::make_shared<GenerateArgs>();
  auto* generate = app.add_subcommand("generate", "Chat with the generator model (one user turn)");
  add_llm_flags(generate, gen_args->flags);
  generate->add_option("--prompt", gen_args->prompt, "The user message")->required();
  generate->add_option("--system", gen_args->system, "A system message");
  generate->add_option("--max-tokens", gen_args->options.max_tokens, "Tokens to generate at most")
      ->check(CLI::Range(1, 8192));
  generate->add_option("--temperature", gen_args->options.temperature, "0 = greedy")->check(CLI::Range(0.0, 10.0));
  generate->add_option("--top-k", gen_args->options.top_k, "0 = off")->check(CLI::Range(0, 100000));
  generate->add_option("--top-p", gen_args->options.top_p, "1 = off")->check(CLI::Range(0.0, 1.0));
  generate->add_option("--seed", gen_args->options.seed, "Sampling seed (same seed, same text)");
  generate->add_option("--stop", gen_args->options.stop, "Stop strings (repeatable)");
  generate->add_option("--grammar-file", gen_args->grammar_file, "GBNF grammar constraining the output")
      ->check(CLI::ExistingFile);
  generate->add_flag("--json", global.json, "Print the reply and token counts as JSON");
  generate->add_flag("--stream", gen_args->stream, "Print tokens as they are generated");
  generate->callback([gen_args, &global] {
    auto& a = *gen_args;
    apply_llm_env(a.flags);
    if (global.threads > 0 && a.flags.config.threads == 0) a.flags.config.threads = global.threads;
    if (!a.grammar_file.empty()) {
      std::ifstream in(a.grammar_file);
      a.options.grammar.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto generator = llm::open_generator(a.flags.config);
    std::vector<llm::ChatMessage> messages;
    if (!a.system.empty()) messages.push_back({"system", a.system});
    messages.push_back({"user", a.prompt});
    if (a.stream && !global.json) {
      a.options.on_token = [](std::string_view piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
      };
    }
    const auto result = generator->chat(messages, a.options);
    if (global.json) {
      print_json({{"model", generator->model_id()},
                  {"text", result.text},
                  {"prompt_tokens", result.prompt_tokens},
                  {"completion_tokens", result.completion_tokens},
                  {"finish_reason", result.finish_reason},
                  {"seconds", result.seconds},
                  {"tokens_per_second", result.seconds > 0 ? result.completion_tokens / result.seconds : 0.0}});
    } else {
      if (!a.stream) fmt::print("{}", result.text);
      fmt::print("\n");
      std::fprintf(stderr, "%d prompt + %d generated tokens in %.2f s (%s)\n", result.prompt_tokens,
                   result.completion_tokens, result.seconds, result.finish_reason.c_str());
    }
  });
}

}  // namespace tailor::cli
