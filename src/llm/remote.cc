// The remote backend: Embedder and Generator over an OpenAI-compatible HTTP
// endpoint (vLLM, Ollama, llama.cpp's server, hosted APIs), with cpp-httplib's
// client.
//
//   POST {base}/v1/embeddings        {"model", "input": [texts], "encoding_format": "float"}
//                                    -> {"data": [{"index", "embedding": [floats]}]}
//   POST {base}/v1/chat/completions  {"model", "messages", "max_tokens", "temperature",
//                                     "top_p", "top_k", "seed", "stop", "stream", "grammar"}
//                                    -> {"choices": [{"message": {"content"}, "finish_reason"}],
//                                        "usage": {"prompt_tokens", "completion_tokens"}}
//                                    or, with "stream": true, server-sent events
//                                    "data: {choices: [{delta: {content}}]}" ... "data: [DONE]"
//
// {base} is the configured URL; a trailing "/v1" is accepted and not doubled.
// "model" is sent only when configured (llama.cpp's server serves one model
// and ignores it; vLLM and Ollama need it).
//
// Grammar: GenerateOptions::grammar (GBNF) is sent as the top-level "grammar"
// field, which llama.cpp's server applies as a sampling constraint. vLLM and
// Ollama ignore unknown fields, so with them the output is unconstrained:
// callers must (and Tailor's do) read JSON through extract_json_object and
// validate it, never trust it. We do not also send response_format, because
// llama.cpp's server rejects a request carrying both a schema and a grammar.
//
// Every answer is validated before use: a missing or mistyped field is
// Corruption naming it (e.g. "data[2].embedding"), an unreachable endpoint,
// a timeout or a non-200 status is Unavailable naming the URL. Remote vectors
// are L2-normalised here: servers differ on whether they normalise.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>

#include "tailor/core/core.h"
#include "tailor/llm/llm.h"

namespace tailor::llm {
namespace {

using Json = nlohmann::json;

// Texts per /v1/embeddings request: large enough to amortise the round trip,
// small enough to stay under servers' batch limits (vLLM, Ollama: 2048+).
constexpr std::size_t kEmbedBatch = 64;

// A configured base URL split the way httplib::Client wants it.
struct Endpoint {
  std::string url;     // as configured, for messages
  std::string origin;  // scheme://host[:port]
  std::string prefix;  // path before /v1, without a trailing '/'
  std::string field;   // the config field it came from, for messages
};

Endpoint parse_endpoint(const std::string& url, const std::string& field) {
  Endpoint ep;
  ep.url = url;
  ep.field = field;
  const std::size_t scheme_end = url.find("://");
  TAILOR_CHECK_ARG(scheme_end != std::string::npos, field + " must be an http:// or https:// URL (got '" + url + "')");
  const std::size_t path_start = url.find('/', scheme_end + 3);
  ep.origin = url.substr(0, path_start);
  TAILOR_CHECK_ARG(ep.origin.size() > scheme_end + 3, field + " has no host (got '" + url + "')");
  ep.prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!ep.prefix.empty() && ep.prefix.back() == '/') ep.prefix.pop_back();
  if (ep.prefix.size() >= 3 && ep.prefix.compare(ep.prefix.size() - 3, 3, "/v1") == 0)
    ep.prefix.resize(ep.prefix.size() - 3);
  return ep;
}

std::unique_ptr<httplib::Client> make_client(const Endpoint& ep, const LlmConfig& config) {
  auto client = std::make_unique<httplib::Client>(ep.origin);
  TAILOR_CHECK_ARG(client->is_valid(), ep.field + " is not a usable URL: '" + ep.url + "'");
  client->set_connection_timeout(config.timeout_s, 0);
  client->set_read_timeout(config.timeout_s, 0);
  client->set_write_timeout(config.timeout_s, 0);
  if (!config.api_key.empty()) client->set_bearer_token_auth(config.api_key);
  return client;
}

std::string snippet(const std::string& body) {
  std::string s = body.substr(0, 300);
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s + (body.size() > 300 ? "..." : "");
}

[[noreturn]] void throw_unreachable(const Endpoint& ep, const std::string& path, httplib::Error error) {
  throw_error(ErrorCode::kUnavailable, "cannot reach " + ep.field + " " + ep.origin + ep.prefix + path + ": " +
                                           httplib::to_string(error) +
                                           (error == httplib::Error::Read || error == httplib::Error::ConnectionTimeout
                                                ? " (timed out or connection dropped; timeout_s limits each read)"
                                                : ""));
}

void check_status(const Endpoint& ep, const std::string& path, int status, const std::string& body) {
  if (status == 200) return;
  std::string hint;
  if (status == 401 || status == 403) hint = " (the endpoint rejected the API key: set --llm-api-key / TAILOR_LLM_API_KEY)";
  if (status == 404) hint = " (no such route: is " + ep.field + " the server's base URL?)";
  throw_error(ErrorCode::kUnavailable, "POST " + ep.origin + ep.prefix + path + " returned HTTP " +
                                           std::to_string(status) + hint + ": " + snippet(body));
}

// POSTs a JSON body and returns the parsed JSON answer.
Json post_json(const Endpoint& ep, const LlmConfig& config, const std::string& path, const Json& body) {
  auto client = make_client(ep, config);
  auto result = client->Post(ep.prefix + path, body.dump(-1, ' ', false, Json::error_handler_t::replace),
                             "application/json");
  if (!result) throw_unreachable(ep, path, result.error());
  check_status(ep, path, result->status, result->body);
  Json doc = Json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    throw_error(ErrorCode::kCorruption,
                "answer of " + ep.origin + ep.prefix + path + " is not a JSON object: " + snippet(result->body));
  return doc;
}

[[noreturn]] void bad_field(const Endpoint& ep, const std::string& path, const std::string& field,
                            const std::string& what) {
  throw_error(ErrorCode::kCorruption, "answer of " + ep.origin + ep.prefix + path + ": field '" + field + "' " + what);
}

bool contains_ci(const std::string& haystack, const std::string& needle) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

// ---------------------------------------------------------------- embedder ---

class RemoteEmbedder final : public Embedder {
 public:
  explicit RemoteEmbedder(const LlmConfig& config)
      : config_(config), endpoint_(parse_endpoint(config.embedder_url, "embedder_url")) {
    query_prefix_ = config.query_prefix;
    passage_prefix_ = config.passage_prefix;
    // e5 models were trained with these prefixes and lose recall without them;
    // other remote models get none unless configured.
    if (query_prefix_.empty() && passage_prefix_.empty() && contains_ci(config.embedder_remote_model, "e5")) {
      query_prefix_ = "query: ";
      passage_prefix_ = "passage: ";
    }
    // Learn the dimension (and fail now, not mid-import, when the endpoint is
    // down or not an embeddings endpoint).
    const std::vector<std::string> probe{"dimension probe"};
    dim_ = 0;
    std::vector<float> rows = request(probe);
    dim_ = static_cast<int>(rows.size());
    if (dim_ <= 0) bad_field(endpoint_, "/v1/embeddings", "data[0].embedding", "is empty");
  }

  int dim() const override { return dim_; }
  std::string model_id() const override { return "remote:" + config_.embedder_url + "#" + config_.embedder_remote_model; }

  std::vector<float> embed(std::span<const std::string> texts, TextRole role) override {
    std::lock_guard lock(mutex_);
    const std::string& prefix = role == TextRole::kQuery ? query_prefix_ : passage_prefix_;
    std::vector<float> out;
    out.reserve(texts.size() * static_cast<std::size_t>(dim_));
    for (std::size_t begin = 0; begin < texts.size(); begin += kEmbedBatch) {
      const std::size_t end = std::min(texts.size(), begin + kEmbedBatch);
      std::vector<std::string> batch;
      batch.reserve(end - begin);
      for (std::size_t text_idx = begin; text_idx < end; ++text_idx) {
        std::string text = prefix + texts[text_idx];
        // The OpenAI API (and servers copying it) reject "" as an input.
        if (text.empty()) text = " ";
        batch.push_back(std::move(text));
      }
      std::vector<float> rows = request(batch);
      out.insert(out.end(), rows.begin(), rows.end());
    }
    return out;
  }

 private:
  // One /v1/embeddings call; returns batch.size() rows of dim_ floats
  // (dim_ == 0: the probe, any length accepted), L2-normalised.
  std::vector<float> request(const std::vector<std::string>& batch) {
    const std::string path = "/v1/embeddings";
    Json body = {{"input", batch}, {"encoding_format", "float"}};
    if (!config_.embedder_remote_model.empty()) body["model"] = config_.embedder_remote_model;
    const Json doc = post_json(endpoint_, config_, path, body);
    if (!doc.contains("data") || !doc["data"].is_array()) bad_field(endpoint_, path, "data", "is missing or not an array");
    const Json& data = doc["data"];
    if (data.size() != batch.size())
      bad_field(endpoint_, path, "data",
                "has " + std::to_string(data.size()) + " embeddings for " + std::to_string(batch.size()) + " inputs");
    std::size_t dim = static_cast<std::size_t>(dim_);
    if (dim == 0 && !data.empty() && data[0].is_object() && data[0].contains("embedding") &&
        data[0]["embedding"].is_array())
      dim = data[0]["embedding"].size();
    std::vector<float> rows(batch.size() * dim, 0.0f);
    std::vector<bool> filled(batch.size(), false);
    for (std::size_t pos = 0; pos < data.size(); ++pos) {
      const std::string name = "data[" + std::to_string(pos) + "]";
      const Json& entry = data[pos];
      if (!entry.is_object()) bad_field(endpoint_, path, name, "is not an object");
      // "index" says which input a row belongs to; servers may reorder.
      std::size_t row = pos;
      if (entry.contains("index")) {
        if (!entry["index"].is_number_integer() || entry["index"].get<long long>() < 0 ||
            entry["index"].get<long long>() >= static_cast<long long>(batch.size()))
          bad_field(endpoint_, path, name + ".index", "is not an integer in [0, " + std::to_string(batch.size()) + ")");
        row = entry["index"].get<std::size_t>();
      }
      if (filled[row]) bad_field(endpoint_, path, name + ".index", "repeats index " + std::to_string(row));
      filled[row] = true;
      if (!entry.contains("embedding") || !entry["embedding"].is_array())
        bad_field(endpoint_, path, name + ".embedding", "is missing or not an array of numbers");
      const Json& values = entry["embedding"];
      if (values.size() != dim)
        bad_field(endpoint_, path, name + ".embedding",
                  "has " + std::to_string(values.size()) + " numbers, expected " + std::to_string(dim) +
                      " (the dimension this endpoint gave before)");
      float* out = rows.data() + row * dim;
      for (std::size_t dim_idx = 0; dim_idx < dim; ++dim_idx) {
        const Json& v = values[dim_idx];
        if (!v.is_number() || !std::isfinite(v.get<double>()))
          bad_field(endpoint_, path, name + ".embedding[" + std::to_string(dim_idx) + "]", "is not a finite number");
        out[dim_idx] = v.get<float>();
      }
      l2_normalise({out, dim});
    }
    return rows;
  }

  LlmConfig config_;
  Endpoint endpoint_;
  std::string query_prefix_;
  std::string passage_prefix_;
  int dim_ = 0;
  std::mutex mutex_;
};

// --------------------------------------------------------------- generator ---

void validate_chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options) {
  TAILOR_CHECK_ARG(!messages.empty(), "messages must not be empty");
  for (std::size_t msg_idx = 0; msg_idx < messages.size(); ++msg_idx) {
    const auto& role = messages[msg_idx].role;
    TAILOR_CHECK_ARG(role == "system" || role == "user" || role == "assistant",
                     "messages[" + std::to_string(msg_idx) + "].role must be system, user or assistant (got '" + role + "')");
  }
  TAILOR_CHECK_ARG(options.max_tokens >= 1 && options.max_tokens <= 8192, "max_tokens must be in [1, 8192]");
  TAILOR_CHECK_ARG(options.temperature >= 0 && options.temperature <= 5, "temperature must be in [0, 5]");
  TAILOR_CHECK_ARG(options.top_p > 0 && options.top_p <= 1, "top_p must be in (0, 1]");
  TAILOR_CHECK_ARG(options.top_k >= 0, "top_k must be >= 0");
  TAILOR_CHECK_ARG(options.stop.size() <= 16, "stop takes at most 16 strings");
}

// Cuts `text` before the first stop string (servers that ignore "stop").
bool apply_stop(std::string& text, const std::vector<std::string>& stop) {
  std::size_t cut = std::string::npos;
  for (const auto& s : stop)
    if (!s.empty()) cut = std::min(cut, text.find(s));
  if (cut == std::string::npos) return false;
  text.resize(cut);
  return true;
}

std::string normalise_finish(const Json& reason) {
  if (reason.is_string() && reason.get<std::string>() == "length") return "length";
  return "stop";
}

void read_usage(const Json& doc, GenerateResult& result) {
  if (!doc.contains("usage") || !doc["usage"].is_object()) return;
  const Json& usage = doc["usage"];
  if (usage.contains("prompt_tokens") && usage["prompt_tokens"].is_number_integer())
    result.prompt_tokens = usage["prompt_tokens"].get<int>();
  if (usage.contains("completion_tokens") && usage["completion_tokens"].is_number_integer())
    result.completion_tokens = usage["completion_tokens"].get<int>();
}

class RemoteGenerator final : public Generator {
 public:
  explicit RemoteGenerator(const LlmConfig& config)
      : config_(config), endpoint_(parse_endpoint(config.generator_url, "generator_url")) {
    // Reachability check at open, so a wrong URL fails at startup. Any HTTP
    // answer will do: not every server implements /v1/models.
    auto client = make_client(endpoint_, config_);
    auto result = client->Get(endpoint_.prefix + "/v1/models");
    if (!result) throw_unreachable(endpoint_, "/v1/models", result.error());
  }

  std::string model_id() const override {
    return "remote:" + config_.generator_url + "#" + config_.generator_remote_model;
  }

  GenerateResult chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options) override {
    validate_chat(messages, options);
    std::lock_guard lock(mutex_);
    const auto started = std::chrono::steady_clock::now();
    Json body = {{"messages", Json::array()},
                 {"max_tokens", options.max_tokens},
                 {"temperature", options.temperature},
                 {"top_p", options.top_p},
                 {"seed", options.seed},
                 {"stream", static_cast<bool>(options.on_token)}};
    for (const auto& m : messages) body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    if (options.top_k > 0) body["top_k"] = options.top_k;
    if (!options.stop.empty()) body["stop"] = options.stop;
    if (!options.grammar.empty()) body["grammar"] = options.grammar;
    if (!config_.generator_remote_model.empty()) body["model"] = config_.generator_remote_model;
    if (options.on_token) body["stream_options"] = {{"include_usage", true}};

    GenerateResult result = options.on_token ? stream(body, options) : complete(body);
    if (apply_stop(result.text, options.stop)) result.finish_reason = "stop";
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

 private:
  static constexpr const char* kPath = "/v1/chat/completions";

  // The text and finish reason of a non-streamed completion object.
  GenerateResult read_completion(const Json& doc) const {
    GenerateResult result;
    if (!doc.contains("choices") || !doc["choices"].is_array() || doc["choices"].empty())
      bad_field(endpoint_, kPath, "choices", "is missing or empty");
    const Json& choice = doc["choices"][0];
    if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object())
      bad_field(endpoint_, kPath, "choices[0].message", "is missing or not an object");
    const Json& message = choice["message"];
    if (!message.contains("content") || !message["content"].is_string())
      bad_field(endpoint_, kPath, "choices[0].message.content", "is missing or not a string");
    result.text = message["content"].get<std::string>();
    result.finish_reason = normalise_finish(choice.value("finish_reason", Json()));
    read_usage(doc, result);
    return result;
  }

  GenerateResult complete(const Json& body) const {
    return read_completion(post_json(endpoint_, config_, kPath, body));
  }

  // Server-sent events: "data: <json>\n\n" per chunk, "data: [DONE]" at the end.
  GenerateResult stream(const Json& body, const GenerateOptions& options) const {
    GenerateResult result;
    std::string buffer, raw;      // unparsed tail of the stream; everything (for errors)
    bool done = false, stopped = false, saw_event = false;
    int status = 0, chunks = 0;
    auto handle_line = [&](std::string line) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) != 0) return;  // comments (":"), "event:", blank separators
      std::string payload = line.substr(5);
      while (!payload.empty() && payload.front() == ' ') payload.erase(payload.begin());
      saw_event = true;
      if (payload == "[DONE]") {
        done = true;
        return;
      }
      Json chunk = Json::parse(payload, nullptr, false);
      if (chunk.is_discarded() || !chunk.is_object())
        bad_field(endpoint_, kPath, "stream event", "is not a JSON object: " + snippet(payload));
      read_usage(chunk, result);
      if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return;  // usage-only
      const Json& choice = chunk["choices"][0];
      if (!choice.is_object()) bad_field(endpoint_, kPath, "stream event choices[0]", "is not an object");
      if (choice.contains("finish_reason") && !choice["finish_reason"].is_null())
        result.finish_reason = normalise_finish(choice["finish_reason"]);
      if (!choice.contains("delta") || !choice["delta"].is_object()) return;
      const Json& delta = choice["delta"];
      if (!delta.contains("content") || delta["content"].is_null()) return;  // the role-only first chunk
      if (!delta["content"].is_string()) bad_field(endpoint_, kPath, "stream event choices[0].delta.content", "is not a string");
      const std::string piece = delta["content"].get<std::string>();
      if (piece.empty()) return;
      result.text += piece;
      ++chunks;
      if (!options.on_token(piece)) stopped = true;
    };

    httplib::Request req;
    req.method = "POST";
    req.path = endpoint_.prefix + kPath;
    req.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    req.set_header("Content-Type", "application/json");
    req.set_header("Accept", "text/event-stream");
    req.response_handler = [&](const httplib::Response& response) {
      status = response.status;
      return true;
    };
    req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
      raw.append(data, size);
      if (status != 200) return true;  // an error body: read it whole for the message
      buffer.append(data, size);
      for (std::size_t nl = buffer.find('\n'); nl != std::string::npos && !done && !stopped; nl = buffer.find('\n')) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        handle_line(std::move(line));
      }
      return !done && !stopped;  // false cancels the transfer
    };
    auto client = make_client(endpoint_, config_);
    auto answer = client->send(req);
    if (stopped) {
      result.finish_reason = "callback";
    } else if (!answer && !done) {
      throw_unreachable(endpoint_, kPath, answer.error());
    } else {
      check_status(endpoint_, kPath, status, raw);
      if (!done && !buffer.empty()) handle_line(buffer);  // last line without a newline
      if (!saw_event) {
        // The server ignored "stream": it answered with one completion object.
        Json doc = Json::parse(raw, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
          throw_error(ErrorCode::kCorruption, "answer of " + endpoint_.origin + endpoint_.prefix + kPath +
                                                  " is neither an event stream nor JSON: " + snippet(raw));
        result = read_completion(doc);
        if (!result.text.empty() && !options.on_token(result.text)) result.finish_reason = "callback";
        return result;
      }
    }
    if (result.finish_reason.empty()) result.finish_reason = "stop";
    // Without a usage chunk, count content chunks: servers send about one token each.
    if (result.completion_tokens == 0) result.completion_tokens = chunks;
    return result;
  }

  LlmConfig config_;
  Endpoint endpoint_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Embedder> open_remote_embedder(const LlmConfig& config) {
  config.validate();
  TAILOR_CHECK_ARG(!config.embedder_url.empty(), "embedder_url must be set for a remote embedder");
  return std::make_unique<RemoteEmbedder>(config);
}

std::unique_ptr<Generator> open_remote_generator(const LlmConfig& config) {
  config.validate();
  TAILOR_CHECK_ARG(!config.generator_url.empty(), "generator_url must be set for a remote generator");
  return std::make_unique<RemoteGenerator>(config);
}

}  // namespace tailor::llm
