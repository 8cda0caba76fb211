// `tailor serve` configuration: the TOML file, the TAILOR_* environment, the
// precedence between them, and rejections that name the key and line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tailor/server/server.h"

namespace tailor::server {
namespace {

// The InvalidArgument message of running fn, or "" when it did not throw.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  return "";
}

auto env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
}

constexpr const char* kEveryKey = R"(# every setting
db = "shop.db"
host = "0.0.0.0"
port = 9000
http_threads = 16
api_keys = ["k1:admin", "k2:client"]
max_body_bytes = 65536
read_timeout_s = 7
write_timeout_s = 8
keep_alive_timeout_s = 9
keep_alive_max_requests = 50
train_model = "als"
train_threads = 3
rate_limit_rps = 12.5
rate_limit_burst = 40
retrain_interval_s = 3600
retrain_after_events = 1000
rec_cache_entries = 5000
access_log = "stderr"
llm_embedder_model = "/models/e5.gguf"
llm_embedder_url = "http://127.0.0.1:9001"
llm_embedder_remote_model = "e5"
llm_api_key = "sk-test"
experiment_sync_exposures = 0
experiment_flush_ms = 50
experiment_monitor_interval_s = 300
)";

TEST(ServeConfig, TomlSetsEverySetting) {
  ServeConfig config;
  apply_config_toml(config, kEveryKey, "every.toml");
  const auto& o = config.options;
  EXPECT_EQ(config.db, "shop.db");
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.threads, 16);
  EXPECT_EQ(o.api_keys, (std::vector<std::string>{"k1:admin", "k2:client"}));
  EXPECT_EQ(o.max_body_bytes, 65536u);
  EXPECT_EQ(o.read_timeout_s, 7);
  EXPECT_EQ(o.write_timeout_s, 8);
  EXPECT_EQ(o.keep_alive_timeout_s, 9);
  EXPECT_EQ(o.keep_alive_max_requests, 50);
  EXPECT_EQ(o.train_model, "als");
  EXPECT_EQ(o.train_threads, 3);
  EXPECT_DOUBLE_EQ(o.rate_limit_rps, 12.5);
  EXPECT_DOUBLE_EQ(o.rate_limit_burst, 40);
  EXPECT_EQ(o.retrain_interval_s, 3600);
  EXPECT_EQ(o.retrain_after_events, 1000);
  EXPECT_EQ(o.rec_cache_entries, 5000u);
  EXPECT_EQ(o.access_log, "stderr");
  EXPECT_EQ(o.llm_embedder_model, "/models/e5.gguf");
  EXPECT_EQ(o.llm_embedder_url, "http://127.0.0.1:9001");
  EXPECT_EQ(o.llm_embedder_remote_model, "e5");
  EXPECT_EQ(o.llm_api_key, "sk-test");
  EXPECT_EQ(o.experiment_sync_exposures, 0);
  EXPECT_EQ(o.experiment_flush_ms, 50);
  EXPECT_EQ(o.experiment_monitor_interval_s, 300);
  // The example sets every key the table knows: nothing was forgotten in it.
  std::size_t keys_in_example = 0;
  for (const auto& setting : serve_settings())
    keys_in_example += std::string(kEveryKey).find("\n" + setting.key + " = ") != std::string::npos;
  EXPECT_EQ(keys_in_example, serve_settings().size());
}

TEST(ServeConfig, KeysNotInTheFileKeepTheirValue) {
  ServeConfig config;
  config.options.port = 1234;
  apply_config_toml(config, "host = \"::1\"\n", "small.toml");
  EXPECT_EQ(config.options.host, "::1");
  EXPECT_EQ(config.options.port, 1234);
  EXPECT_EQ(config.options.train_model, "itemknn");
  apply_config_toml(config, "", "empty.toml");
  EXPECT_EQ(config.options.host, "::1");
}

TEST(ServeConfig, RejectionsNameFileLineAndKey) {
  ServeConfig config;
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "port = 80\n\nbogus = 1\n", "a.toml"); }).rfind(
                "a.toml:3: bogus: unknown key", 0),
            0u);
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "host = \"x\"\nport = \"80\"\n", "a.toml"); }),
            "a.toml:2: port: must be an integer");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "port = 70000\n", "a.toml"); }),
            "a.toml:1: port: port must be in [0, 65535]");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "port = 8.5\n", "a.toml"); }),
            "a.toml:1: port: must be an integer");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "api_keys = \"k1\"\n", "a.toml"); }),
            "a.toml:1: api_keys: must be an array of strings");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "api_keys = [\"k1\", 2]\n", "a.toml"); }),
            "a.toml:1: api_keys: must be an array of strings");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "rate_limit_rps = true\n", "a.toml"); }),
            "a.toml:1: rate_limit_rps: must be a number");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "rate_limit_rps = -1\n", "a.toml"); }),
            "a.toml:1: rate_limit_rps: rate_limit_rps must be in [0, 1e6]");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "rec_cache_entries = -5\n", "a.toml"); }).rfind(
                "a.toml:1: rec_cache_entries: must be an integer in [0, ", 0),
            0u);
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "train_model = \"nope\"\n", "a.toml"); }),
            "a.toml:1: train_model: train_model: unknown model 'nope'");
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "retrain_interval_s = 99999999\n", "a.toml"); }),
            "a.toml:1: retrain_interval_s: retrain_interval_s must be in [0, 2592000] (0 = off)");
  // Tables are not settings: the file is flat.
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "[server]\nport = 1\n", "a.toml"); }).rfind(
                "a.toml:1: server: unknown key", 0),
            0u);
  // TOML syntax errors carry the line of the error.
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "port = 1\nhost = \"unterminated\n", "a.toml"); }).rfind(
                "a.toml:2: invalid TOML", 0),
            0u);
  EXPECT_EQ(error_of([&] { apply_config_toml(config, "port = 1\nport = 2\n", "a.toml"); }).rfind(
                "a.toml:2: invalid TOML", 0),
            0u);
}

TEST(ServeConfig, EnvironmentOverridesAndNamesTheVariable) {
  ServeConfig config;
  apply_config_toml(config, "port = 9000\nhost = \"0.0.0.0\"\napi_keys = [\"file-key\"]\n", "f.toml");
  apply_config_env(config, env_of({{"TAILOR_PORT", "9100"},
                                   {"TAILOR_API_KEYS", "k1:admin,,k2:client"},
                                   {"TAILOR_DB", "env.db"},
                                   {"TAILOR_RATE_LIMIT_RPS", "3.5"},
                                   {"TAILOR_RETRAIN_AFTER_EVENTS", "200"},
                                   {"TAILOR_ACCESS_LOG", "-"},
                                   {"TAILOR_UNRELATED", "ignored"}}));
  EXPECT_EQ(config.options.port, 9100);
  EXPECT_EQ(config.options.host, "0.0.0.0");  // from the file, no variable
  EXPECT_EQ(config.options.api_keys, (std::vector<std::string>{"k1:admin", "k2:client"}));
  EXPECT_EQ(config.db, "env.db");
  EXPECT_DOUBLE_EQ(config.options.rate_limit_rps, 3.5);
  EXPECT_EQ(config.options.retrain_after_events, 200);
  EXPECT_EQ(config.options.access_log, "-");

  // The one-variable rate limit, and the specific variable winning over it.
  ServeConfig limited;
  apply_config_env(limited, env_of({{"TAILOR_RATE_LIMIT", "10:20"}, {"TAILOR_RATE_LIMIT_BURST", "30"}}));
  EXPECT_DOUBLE_EQ(limited.options.rate_limit_rps, 10);
  EXPECT_DOUBLE_EQ(limited.options.rate_limit_burst, 30);

  EXPECT_EQ(error_of([&] { apply_config_env(config, env_of({{"TAILOR_PORT", "80x"}})); }),
            "TAILOR_PORT: must be an integer, got '80x'");
  EXPECT_EQ(error_of([&] { apply_config_env(config, env_of({{"TAILOR_PORT", "-3"}})); }),
            "TAILOR_PORT: port must be in [0, 65535]");
  EXPECT_EQ(error_of([&] { apply_config_env(config, env_of({{"TAILOR_RATE_LIMIT_RPS", "fast"}})); }),
            "TAILOR_RATE_LIMIT_RPS: must be a number, got 'fast'");
  EXPECT_EQ(error_of([&] { apply_config_env(config, env_of({{"TAILOR_HTTP_THREADS", ""}})); }),
            "TAILOR_HTTP_THREADS: must be an integer, got ''");
  EXPECT_NE(error_of([&] { apply_config_env(config, env_of({{"TAILOR_RATE_LIMIT", "x"}})); })
                .rfind("TAILOR_RATE_LIMIT: ", 0),
            std::string::npos);
}

TEST(ServeConfig, SettingsTableNamesEnvironmentVariables) {
  std::map<std::string, ServeSetting> by_key;
  for (const auto& s : serve_settings()) by_key[s.key] = s;
  EXPECT_EQ(by_key.at("port").env, "TAILOR_PORT");
  EXPECT_EQ(by_key.at("port").type, "integer");
  EXPECT_EQ(by_key.at("api_keys").env, "TAILOR_API_KEYS");
  EXPECT_EQ(by_key.at("api_keys").type, "string array");
  EXPECT_EQ(by_key.at("rate_limit_rps").type, "number");
  EXPECT_EQ(by_key.at("http_threads").env, "TAILOR_HTTP_THREADS");  // TAILOR_THREADS means every pool
  for (const auto& [key, s] : by_key) EXPECT_FALSE(s.doc.empty()) << key;
}

TEST(ServeConfig, FileErrors) {
  ServeConfig config;
  try {
    apply_config_file(config, "/nonexistent/tailor.toml");
    ADD_FAILURE() << "expected NotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tailor.toml"), std::string::npos);
  }
  const auto path = std::filesystem::temp_directory_path() / ("tailor_cfg_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << "port = 0\nrec_cache_entries = 10\nkeep_alive_max_requests = 0\n";
  }
  const std::string message = error_of([&] { apply_config_file(config, path.string()); });
  std::filesystem::remove(path);
  EXPECT_EQ(message, path.string() + ":3: keep_alive_max_requests: keep_alive_max_requests must be >= 1");
  EXPECT_EQ(config.options.keep_alive_max_requests, 1000);  // a rejected value is not kept
}

}  // namespace
}  // namespace tailor::server
