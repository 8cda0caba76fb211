// `tailor serve` configuration: the settings table (the one place each
// setting's key, environment variable, type and doc live), the TOML config
// file (toml++, Debian's libtomlplusplus-dev) and the TAILOR_* environment.
//
// Range checks stay in ServerOptions::validate(); each layer runs it after
// every key it sets, so a range error names the key (and the file line) that
// caused it: the state before that key was valid, defaults included.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <variant>

#include <toml++/toml.h>

#include "tailor/server/server.h"

namespace tailor::server {
namespace {

// Where a setting lives in ServeConfig: a function returning a reference to
// the field, one alternative per field type.
using Target = std::variant<std::string& (*)(ServeConfig&), int& (*)(ServeConfig&), std::size_t& (*)(ServeConfig&),
                            std::int64_t& (*)(ServeConfig&), double& (*)(ServeConfig&),
                            std::vector<std::string>& (*)(ServeConfig&)>;

struct Setting {
  const char* key;
  const char* doc;
  Target target;
};

#define TAILOR_FIELD(expr) +[](ServeConfig& c) -> auto& { return c.expr; }

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"db", "store: SQLite file path or sqlite:// URL", TAILOR_FIELD(db)},
      {"host", "address to bind (default 127.0.0.1, loopback only)", TAILOR_FIELD(options.host)},
      {"port", "port, 0 = any free port; [0, 65535]", TAILOR_FIELD(options.port)},
      {"http_threads", "HTTP worker threads, 0 = 4 x cores (at least 8); [0, 1024]", TAILOR_FIELD(options.threads)},
      {"api_keys", "API keys KEY[:admin|client]; empty = no auth", TAILOR_FIELD(options.api_keys)},
      {"max_body_bytes", "larger request bodies get 413; >= 1024", TAILOR_FIELD(options.max_body_bytes)},
      {"read_timeout_s", "per socket read; [1, 3600]", TAILOR_FIELD(options.read_timeout_s)},
      {"write_timeout_s", "per socket write; [1, 3600]", TAILOR_FIELD(options.write_timeout_s)},
      {"keep_alive_timeout_s", "idle keep-alive connections closed after this; [1, 3600]",
       TAILOR_FIELD(options.keep_alive_timeout_s)},
      {"keep_alive_max_requests", "requests per keep-alive connection; >= 1",
       TAILOR_FIELD(options.keep_alive_max_requests)},
      {"train_model", "model trained when the store has none, by retraining and by POST /v1/models/train",
       TAILOR_FIELD(options.train_model)},
      {"train_threads", "threads of a background training, 0 = all cores; [0, 1024]",
       TAILOR_FIELD(options.train_threads)},
      {"rate_limit_rps", "per-key token bucket refill, requests/s, 0 = off; [0, 1e6]",
       TAILOR_FIELD(options.rate_limit_rps)},
      {"rate_limit_burst", "per-key bucket size, 0 = max(1, rps); [0, 1e6]", TAILOR_FIELD(options.rate_limit_burst)},
      {"retrain_interval_s", "retrain this long after the last training started, 0 = off; [0, 2592000]",
       TAILOR_FIELD(options.retrain_interval_s)},
      {"retrain_after_events", "retrain after this many new events, 0 = off; >= 0",
       TAILOR_FIELD(options.retrain_after_events)},
      {"rec_cache_entries", "recommendation answers cached, 0 = no cache; [0, 10000000]",
       TAILOR_FIELD(options.rec_cache_entries)},
      {"access_log", "JSON access log: \"\" = off, \"stderr\", or a file to append to", TAILOR_FIELD(options.access_log)},
      {"llm_embedder_model", "embedding GGUF for /v1/search, \"\" = the model cache's multilingual-e5-small",
       TAILOR_FIELD(options.llm_embedder_model)},
      {"llm_embedder_url", "OpenAI-compatible endpoint for /v1/search embeddings (replaces the local model)",
       TAILOR_FIELD(options.llm_embedder_url)},
      {"llm_embedder_remote_model", "\"model\" sent to llm_embedder_url", TAILOR_FIELD(options.llm_embedder_remote_model)},
      {"llm_api_key", "bearer token for llm_embedder_url", TAILOR_FIELD(options.llm_api_key)},
      {"experiment_sync_exposures",
       "1 = answers carrying an exposure_id wait for its durable group commit, 0 = commit within experiment_flush_ms",
       TAILOR_FIELD(options.experiment_sync_exposures)},
      {"experiment_flush_ms", "experiment exposure log flush interval, ms; [1, 10000]",
       TAILOR_FIELD(options.experiment_flush_ms)},
      {"experiment_monitor_interval_s", "one experiment monitor point per variant per interval, s; [1, 86400]",
       TAILOR_FIELD(options.experiment_monitor_interval_s)},
  };
  return table;
}

#undef TAILOR_FIELD

std::string env_name(const std::string& key) {
  std::string out = "TAILOR_";
  for (char c : key) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

const char* type_name(const Target& target) {
  switch (target.index()) {
    case 0: return "string";
    case 1:
    case 2:
    case 3: return "integer";
    case 4: return "number";
    default: return "string array";
  }
}

// Stores a whole number into an integer field of type T, rejecting what does not fit.
template <typename T>
void set_integer(T& field, std::int64_t value) {
  if (value < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      (std::is_signed_v<T> && value > static_cast<std::int64_t>(std::numeric_limits<T>::max())))
    throw_error(ErrorCode::kInvalidArgument, "must be an integer in [" +
                                                 std::to_string(std::numeric_limits<T>::min()) + ", " +
                                                 std::to_string(std::numeric_limits<T>::max()) + "]");
  field = static_cast<T>(value);
}

// Sets the field from a TOML value; throws InvalidArgument (without the key) on a wrong type.
void set_from_toml(ServeConfig& config, const Target& target, const toml::node& node) {
  std::visit(
      [&](auto get) {
        auto& field = get(config);
        using Field = std::remove_reference_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, std::string>) {
          if (!node.is_string()) throw_error(ErrorCode::kInvalidArgument, "must be a string");
          field = node.as_string()->get();
        } else if constexpr (std::is_same_v<Field, double>) {
          if (node.is_floating_point()) field = node.as_floating_point()->get();
          else if (node.is_integer()) field = static_cast<double>(node.as_integer()->get());
          else throw_error(ErrorCode::kInvalidArgument, "must be a number");
          if (!std::isfinite(field)) throw_error(ErrorCode::kInvalidArgument, "must be a finite number");
        } else if constexpr (std::is_same_v<Field, std::vector<std::string>>) {
          if (!node.is_array()) throw_error(ErrorCode::kInvalidArgument, "must be an array of strings");
          std::vector<std::string> values;
          for (const auto& element : *node.as_array()) {
            if (!element.is_string()) throw_error(ErrorCode::kInvalidArgument, "must be an array of strings");
            values.push_back(element.as_string()->get());
          }
          field = std::move(values);
        } else {
          if (!node.is_integer()) throw_error(ErrorCode::kInvalidArgument, "must be an integer");
          set_integer(field, node.as_integer()->get());
        }
      },
      target);
}

// Sets the field from an environment string; throws InvalidArgument (without the name) on a bad value.
void set_from_text(ServeConfig& config, const Target& target, const std::string& text) {
  std::visit(
      [&](auto get) {
        auto& field = get(config);
        using Field = std::remove_reference_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, std::string>) {
          field = text;
        } else if constexpr (std::is_same_v<Field, double>) {
          char* end = nullptr;
          errno = 0;
          const double value = std::strtod(text.c_str(), &end);
          if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(value))
            throw_error(ErrorCode::kInvalidArgument, "must be a number, got '" + text + "'");
          field = value;
        } else if constexpr (std::is_same_v<Field, std::vector<std::string>>) {
          std::vector<std::string> values;
          std::string_view rest = text;
          while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (auto part = rest.substr(0, comma); !part.empty()) values.emplace_back(part);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
          }
          field = std::move(values);
        } else {
          std::int64_t value = 0;
          const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
          if (text.empty() || ec != std::errc() || end != text.data() + text.size())
            throw_error(ErrorCode::kInvalidArgument, "must be an integer, got '" + text + "'");
          set_integer(field, value);
        }
      },
      target);
}

// Runs `set`, then validates; on InvalidArgument the config is restored and
// the error re-thrown prefixed with `where`.
template <typename Fn>
void set_checked(ServeConfig& config, const std::string& where, Fn&& set) {
  ServeConfig before = config;
  try {
    set();
    config.options.validate();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) throw;
    config = std::move(before);
    throw_error(ErrorCode::kInvalidArgument, where + ": " + e.what());
  }
}

const Setting* find_setting(std::string_view key) {
  for (const auto& setting : settings())
    if (key == setting.key) return &setting;
  return nullptr;
}

}  // namespace

std::vector<ServeSetting> serve_settings() {
  std::vector<ServeSetting> out;
  for (const auto& setting : settings())
    out.push_back({setting.key, env_name(setting.key), type_name(setting.target), setting.doc});
  return out;
}

void apply_config_toml(ServeConfig& config, std::string_view text, const std::string& source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw_error(ErrorCode::kInvalidArgument, source + ":" + std::to_string(e.source().begin.line) +
                                                 ": invalid TOML: " + std::string(e.description()));
  }
  for (auto&& [key, node] : doc) {
    const std::string name(key.str());
    const std::string where = source + ":" + std::to_string(key.source().begin.line) + ": " + name;
    const Setting* setting = find_setting(name);
    if (setting == nullptr) {
      std::string known;
      for (const auto& s : settings()) known += (known.empty() ? "" : ", ") + std::string(s.key);
      throw_error(ErrorCode::kInvalidArgument, where + ": unknown key (known: " + known + ")");
    }
    set_checked(config, where, [&] { set_from_toml(config, setting->target, node); });
  }
}

void apply_config_file(ServeConfig& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIO,
                       "config: cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw_error(ErrorCode::kIO, "config: cannot read '" + path + "'");
  apply_config_toml(config, text.str(), path);
}

void apply_config_env(ServeConfig& config,
                      const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  // The older one-variable form of the two rate-limit settings; the specific
  // variables below win when both are set.
  if (auto value = lookup("TAILOR_RATE_LIMIT"))
    set_checked(config, "TAILOR_RATE_LIMIT", [&] {
      std::tie(config.options.rate_limit_rps, config.options.rate_limit_burst) = parse_rate_limit(*value);
    });
  for (const auto& setting : settings()) {
    const std::string name = env_name(setting.key);
    if (auto value = lookup(name)) set_checked(config, name, [&] { set_from_text(config, setting.target, *value); });
  }
}

}  // namespace tailor::server
