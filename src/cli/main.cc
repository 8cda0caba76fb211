// Entry point of the `tailor` command: builds the CLI, runs the chosen
// subcommand and translates errors into exit codes (the one boundary where
// tailor::Error becomes a process status). Exit codes: 0 ok, 1 failure,
// 2 usage, 3 invalid input, 4 not found.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "tailor/core/core.h"

namespace tailor::cli {

void print_json(const nlohmann::json& doc) {
  std::cout << doc.dump(isatty(STDOUT_FILENO) ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
}

nlohmann::json parse_params(const std::vector<std::string>& entries) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& entry : entries) {
    auto eq = entry.find('=');
    TAILOR_CHECK_ARG(eq != std::string::npos && eq > 0, "--param '" + entry + "': expected key=value");
    std::string key = entry.substr(0, eq), value = entry.substr(eq + 1);
    // JSON literals (numbers, true/false) keep their type; anything else is a string.
    auto parsed = nlohmann::json::parse(value, nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_number() || parsed.is_boolean()))
      out[key] = parsed;
    else
      out[key] = value;
  }
  return out;
}

}  // namespace tailor::cli

int main(int argc, char** argv) {
  using namespace tailor;
  CLI::App app{"Tailor — recommendation and marketing engine.\n"
               "Import behaviour data, train recommenders, evaluate them offline, ask for recommendations."};
  app.set_version_flag("--version", "tailor 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // --quiet and --threads also work after the subcommand
  cli::GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "No progress bars and fewer log lines");
  app.add_option("--threads", global.threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cli::register_import(app, global);
  cli::register_stats(app, global);
  cli::register_train(app, global);
  cli::register_history(app, global);
  cli::register_recommend(app, global);
  cli::register_similar(app, global);
  cli::register_eval(app, global);
  cli::register_split(app, global);
  cli::register_tune(app, global);
  cli::register_serve(app, global);
  // @server
  cli::register_rules(app, global);  // @analytics
  cli::register_propensity(app, global);  // @analytics
  cli::register_profile(app, global);  // @profile
  cli::register_report(app, global);  // @profile
  cli::register_llm(app, global);  // @llm
  cli::register_semantic(app, global);  // @semantic
  cli::register_intent_copy(app, global);  // @semantic
  cli::register_experiment(app, global);  // @experiment
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every real usage error exits 2.
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  } catch (const Error& e) {
    std::fprintf(stderr, "tailor: error: %s\n", e.what());
    if (global.json) {
      cli::print_json({{"error", {{"code", std::string(error_code_name(e.code()))}, {"message", e.what()}}}});
    }
    return static_cast<int>(exit_code_for(e.code()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tailor: internal error: %s\n", e.what());
    return static_cast<int>(ExitCode::kFailure);
  }
  return 0;
}
