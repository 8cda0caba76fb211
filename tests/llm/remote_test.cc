// Remote (OpenAI-compatible) Embedder and Generator against a fake server.
//
// The fake is an in-process httplib::Server on port 0 that speaks the subset
// of the OpenAI API Tailor uses. It is the one legitimate mock in the LLM
// tests: no real vLLM / Ollama / llama.cpp server can run in CI, and what is
// under test here is our client (request shape, SSE parsing, validation,
// errors), not a model. The server picks its behaviour from the first path
// segment of the URL ("/bad-dims/v1/embeddings"), so tests share no state.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tailor/core/core.h"
#include "tailor/llm/llm.h"

namespace tailor::llm {
namespace {

using Json = nlohmann::json;

class FakeOpenAi {
 public:
  FakeOpenAi() {
    server_.Get(R"((/[\w-]+)?/v1/models)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object":"list","data":[{"id":"fake"}]})", "application/json");
    });
    server_.Post(R"((/[\w-]+)?/v1/embeddings)", [this](const httplib::Request& req, httplib::Response& res) {
      embeddings(req, res);
    });
    server_.Post(R"((/[\w-]+)?/v1/chat/completions)", [this](const httplib::Request& req, httplib::Response& res) {
      chat(req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Server::stop() is a no-op until the accept loop runs: wait for it, or a
    // test that destroys the fake at once would join a server that never stops.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeOpenAi() {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& mode = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + (mode.empty() ? "" : "/" + mode);
  }
  Json last_request() {
    std::lock_guard lock(mutex_);
    return last_;
  }
  int embedding_calls() const { return embedding_calls_; }

 private:
  static std::string mode_of(const httplib::Request& req) {
    std::string m = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
    return m.empty() ? m : m.substr(1);
  }
  void remember(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    last_ = Json::parse(req.body, nullptr, false);
    last_["_authorization"] = req.get_header_value("Authorization");
  }

  // Vector of a text: [bytes, count of 'a', 1, 2], deliberately not unit length.
  void embeddings(const httplib::Request& req, httplib::Response& res) {
    remember(req);
    const std::string mode = mode_of(req);
    ++embedding_calls_;
    if (mode == "keyed" && req.get_header_value("Authorization") != "Bearer s3cret") {
      res.status = 401;
      res.set_content(R"({"error":{"message":"invalid api key"}})", "application/json");
      return;
    }
    if (mode == "status500") {
      res.status = 500;
      res.set_content("model crashed", "text/plain");
      return;
    }
    if (mode == "not-json") {
      res.set_content("<html>proxy error</html>", "text/html");
      return;
    }
    if (mode == "no-data") {
      res.set_content(R"({"object":"list"})", "application/json");
      return;
    }
    if (mode == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const Json body = Json::parse(req.body);
    Json data = Json::array();
    const auto& input = body["input"];
    const bool probe = input.size() == 1;  // open_embedder's dimension probe sends one text
    for (std::size_t text_idx = 0; text_idx < input.size(); ++text_idx) {
      const std::string text = input[text_idx].get<std::string>();
      Json vec = {static_cast<double>(text.size()), static_cast<double>(std::count(text.begin(), text.end(), 'a')), 1.0, 2.0};
      if (mode == "bad-dims" && !probe && text_idx == 1) vec.push_back(3.0);  // probe fine, later a row too long
      if (mode == "bad-number" && !probe) vec[2] = "x";
      data.push_back({{"object", "embedding"}, {"index", text_idx}, {"embedding", vec}});
    }
    if (mode == "reversed") std::reverse(data.begin(), data.end());
    if (mode == "short" && !probe) data.erase(data.begin());
    res.set_content(Json({{"object", "list"}, {"data", data}, {"model", "fake"}}).dump(), "application/json");
  }

  void chat(const httplib::Request& req, httplib::Response& res) {
    remember(req);
    const std::string mode = mode_of(req);
    const Json body = Json::parse(req.body);
    if (mode == "no-content") {
      res.set_content(R"({"choices":[{"message":{"role":"assistant"},"finish_reason":"stop"}]})", "application/json");
      return;
    }
    if (mode == "no-choices") {
      res.set_content(R"({"choices":[]})", "application/json");
      return;
    }
    if (mode == "status503") {
      res.status = 503;
      res.set_content("loading model", "text/plain");
      return;
    }
    const std::string reply = "echo: " + body["messages"].back()["content"].get<std::string>() + " END tail";
    if (!body.value("stream", false) || mode == "ignores-stream") {
      res.set_content(Json({{"choices", {{{"index", 0},
                                          {"message", {{"role", "assistant"}, {"content", reply}}},
                                          {"finish_reason", "length"}}}},
                            {"usage", {{"prompt_tokens", 7}, {"completion_tokens", 5}}}})
                          .dump(),
                      "application/json");
      return;
    }
    // Server-sent events as vLLM / llama.cpp send them: a role-only chunk,
    // content chunks, a finish chunk, a usage chunk, then [DONE].
    std::vector<std::string> events;
    events.push_back(Json({{"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}}}}}}}).dump());
    for (const char* piece : {"Hel", "lo", " wor", "ld"})
      events.push_back(Json({{"choices", {{{"index", 0}, {"delta", {{"content", piece}}}, {"finish_reason", nullptr}}}}}).dump());
    if (mode == "bad-event") events.push_back("{not json");
    events.push_back(Json({{"choices", {{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "stop"}}}}}).dump());
    events.push_back(Json({{"choices", Json::array()}, {"usage", {{"prompt_tokens", 9}, {"completion_tokens", 4}}}}).dump());
    events.push_back("[DONE]");
    res.set_chunked_content_provider("text/event-stream", [events](std::size_t, httplib::DataSink& sink) {
      for (const auto& e : events) {
        const std::string frame = ": keep-alive\n\ndata: " + e + "\n\n";
        if (!sink.write(frame.data(), frame.size())) return false;
      }
      sink.done();
      return true;
    });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  Json last_;
  std::atomic<int> embedding_calls_{0};
};

LlmConfig embedder_config(const std::string& url) {
  LlmConfig c;
  c.embedder_url = url;
  c.embedder_remote_model = "fake-embed";
  c.timeout_s = 5;
  return c;
}

LlmConfig generator_config(const std::string& url) {
  LlmConfig c;
  c.generator_url = url;
  c.generator_remote_model = "fake-chat";
  c.timeout_s = 5;
  return c;
}

ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no tailor::Error thrown";
  return ErrorCode::kInternal;
}

TEST(RemoteEmbedder, EmbedsBatchesAndNormalises) {
  FakeOpenAi fake;
  auto embedder = open_embedder(embedder_config(fake.url()));
  EXPECT_EQ(embedder->dim(), 4);
  EXPECT_EQ(embedder->model_id(), "remote:" + fake.url() + "#fake-embed");
  std::vector<std::string> texts;
  for (int text_idx = 0; text_idx < 150; ++text_idx) texts.push_back(std::string(text_idx % 7 + 1, 'a') + "bc");
  const int calls_before = fake.embedding_calls();
  const auto rows = embedder->embed(texts, TextRole::kPassage);
  ASSERT_EQ(rows.size(), texts.size() * 4);
  EXPECT_EQ(fake.embedding_calls() - calls_before, 3);  // 150 texts in batches of 64
  for (std::size_t text_idx = 0; text_idx < texts.size(); ++text_idx) {
    const std::span<const float> row(rows.data() + text_idx * 4, 4);
    double norm = 0;
    for (float v : row) norm += v * v;
    EXPECT_NEAR(norm, 1.0, 1e-5);
    // Direction preserved: [len, a's, 1, 2] scaled.
    const double len = static_cast<double>(texts[text_idx].size()), as = text_idx % 7 + 1;
    EXPECT_NEAR(row[0] / row[2], len, 1e-4);
    EXPECT_NEAR(row[1] / row[2], as, 1e-4);
  }
  const Json request = fake.last_request();
  EXPECT_EQ(request["model"], "fake-embed");
  EXPECT_EQ(request["encoding_format"], "float");
  EXPECT_EQ(request["input"].size(), 150u - 128u);
}

TEST(RemoteEmbedder, EmptyBatchAndEmptyText) {
  FakeOpenAi fake;
  auto embedder = open_embedder(embedder_config(fake.url()));
  EXPECT_TRUE(embedder->embed({}, TextRole::kQuery).empty());
  const std::vector<std::string> texts{""};
  EXPECT_EQ(embedder->embed(texts, TextRole::kQuery).size(), 4u);
  EXPECT_EQ(fake.last_request()["input"][0], " ");  // "" is rejected by OpenAI-style servers
}

TEST(RemoteEmbedder, E5PrefixesAndOverrides) {
  FakeOpenAi fake;
  auto config = embedder_config(fake.url());
  config.embedder_remote_model = "intfloat/multilingual-e5-small";
  auto embedder = open_embedder(config);
  const std::vector<std::string> texts{"蓝牙耳机"};
  embedder->embed(texts, TextRole::kQuery);
  EXPECT_EQ(fake.last_request()["input"][0], "query: 蓝牙耳机");
  embedder->embed(texts, TextRole::kPassage);
  EXPECT_EQ(fake.last_request()["input"][0], "passage: 蓝牙耳机");

  config.query_prefix = "Q> ";
  config.passage_prefix = "";
  auto custom = open_embedder(config);
  custom->embed(texts, TextRole::kQuery);
  EXPECT_EQ(fake.last_request()["input"][0], "Q> 蓝牙耳机");
  custom->embed(texts, TextRole::kPassage);
  EXPECT_EQ(fake.last_request()["input"][0], "蓝牙耳机");

  // A non-e5 model without configured prefixes gets the text as is.
  auto plain = open_embedder(embedder_config(fake.url()));
  plain->embed(texts, TextRole::kQuery);
  EXPECT_EQ(fake.last_request()["input"][0], "蓝牙耳机");
}

TEST(RemoteEmbedder, ReorderedRowsFollowIndex) {
  FakeOpenAi fake;
  auto embedder = open_embedder(embedder_config(fake.url("reversed")));
  const std::vector<std::string> texts{"a", "aaaaaaaa"};
  const auto rows = embedder->embed(texts, TextRole::kPassage);
  EXPECT_NEAR(rows[0] / rows[2], 1.0, 1e-5);       // "a": len 1
  EXPECT_NEAR(rows[4] / rows[6], 8.0, 1e-4);       // "aaaaaaaa": len 8
}

TEST(RemoteEmbedder, UrlWithV1AndTrailingSlashIsNotDoubled) {
  FakeOpenAi fake;
  EXPECT_EQ(open_embedder(embedder_config(fake.url() + "/v1/"))->dim(), 4);
  EXPECT_EQ(open_embedder(embedder_config(fake.url("some-prefix")))->dim(), 4);
}

TEST(RemoteEmbedder, BearerKey) {
  FakeOpenAi fake;
  auto config = embedder_config(fake.url("keyed"));
  std::string message;
  EXPECT_EQ(code_of([&] { open_embedder(config); }, &message), ErrorCode::kUnavailable);
  EXPECT_NE(message.find("401"), std::string::npos) << message;
  EXPECT_NE(message.find("API key"), std::string::npos) << message;
  config.api_key = "s3cret";
  EXPECT_EQ(open_embedder(config)->dim(), 4);
  EXPECT_EQ(fake.last_request()["_authorization"], "Bearer s3cret");
}

TEST(RemoteEmbedder, BadShapesAreCorruptionNamingTheField) {
  FakeOpenAi fake;
  const std::vector<std::string> texts{"one", "two"};
  struct Case {
    std::string mode, field;
  };
  for (const Case& c : {Case{"bad-dims", "data[1].embedding"}, Case{"bad-number", "data[0].embedding[2]"},
                        Case{"short", "'data'"}}) {
    auto embedder = open_embedder(embedder_config(fake.url(c.mode)));
    std::string message;
    EXPECT_EQ(code_of([&] { embedder->embed(texts, TextRole::kPassage); }, &message), ErrorCode::kCorruption) << c.mode;
    EXPECT_NE(message.find(c.field), std::string::npos) << c.mode << ": " << message;
  }
  std::string message;
  EXPECT_EQ(code_of([&] { open_embedder(embedder_config(fake.url("no-data"))); }, &message), ErrorCode::kCorruption);
  EXPECT_NE(message.find("'data'"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { open_embedder(embedder_config(fake.url("not-json"))); }, &message), ErrorCode::kCorruption);
  EXPECT_NE(message.find("not a JSON object"), std::string::npos) << message;
}

TEST(RemoteEmbedder, ServerErrorsAreUnavailableNamingTheUrl) {
  FakeOpenAi fake;
  std::string message;
  EXPECT_EQ(code_of([&] { open_embedder(embedder_config(fake.url("status500"))); }, &message), ErrorCode::kUnavailable);
  EXPECT_NE(message.find("HTTP 500"), std::string::npos) << message;
  EXPECT_NE(message.find("model crashed"), std::string::npos) << message;
  EXPECT_NE(message.find(fake.url("status500") + "/v1/embeddings"), std::string::npos) << message;
}

TEST(RemoteEmbedder, UnreachableAndTimeout) {
  std::string dead_url;
  {
    FakeOpenAi fake;
    dead_url = fake.url();
  }  // the port is closed now
  std::string message;
  EXPECT_EQ(code_of([&] { open_embedder(embedder_config(dead_url)); }, &message), ErrorCode::kUnavailable);
  EXPECT_NE(message.find(dead_url), std::string::npos) << message;
  EXPECT_NE(message.find("embedder_url"), std::string::npos) << message;

  FakeOpenAi fake;
  auto config = embedder_config(fake.url("slow"));
  config.timeout_s = 1;  // the fake sleeps 2.5 s
  EXPECT_EQ(code_of([&] { open_embedder(config); }, &message), ErrorCode::kUnavailable);
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
}

TEST(RemoteEmbedder, BadUrlIsInvalidArgument) {
  std::string message;
  EXPECT_EQ(code_of([&] { open_embedder(embedder_config("ftp://example.com")); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("embedder_url"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { open_embedder(embedder_config("http://")); }, &message), ErrorCode::kInvalidArgument);
}

TEST(RemoteGenerator, ChatSendsOptionsAndReadsReply) {
  FakeOpenAi fake;
  auto generator = open_generator(generator_config(fake.url()));
  EXPECT_EQ(generator->model_id(), "remote:" + fake.url() + "#fake-chat");
  GenerateOptions options;
  options.max_tokens = 32;
  options.temperature = 0;
  options.seed = 7;
  options.stop = {"\n\n"};
  options.grammar = "root ::= \"{\" \"}\"";
  const auto result = generator->chat({{"system", "be brief"}, {"user", "你好 hello"}}, options);
  EXPECT_EQ(result.text, "echo: 你好 hello END tail");
  EXPECT_EQ(result.finish_reason, "length");
  EXPECT_EQ(result.prompt_tokens, 7);
  EXPECT_EQ(result.completion_tokens, 5);
  const Json request = fake.last_request();
  EXPECT_EQ(request["model"], "fake-chat");
  EXPECT_EQ(request["max_tokens"], 32);
  EXPECT_EQ(request["seed"], 7);
  EXPECT_EQ(request["temperature"], 0.0);
  EXPECT_EQ(request["stop"], Json::array({"\n\n"}));
  EXPECT_EQ(request["grammar"], options.grammar);
  EXPECT_EQ(request["stream"], false);
  EXPECT_EQ(request["messages"].size(), 2u);
  EXPECT_EQ(request["messages"][0]["role"], "system");
}

TEST(RemoteGenerator, StopStringsAppliedClientSide) {
  FakeOpenAi fake;
  auto generator = open_generator(generator_config(fake.url()));
  GenerateOptions options;
  options.stop = {" END"};
  const auto result = generator->chat({{"user", "x"}}, options);
  EXPECT_EQ(result.text, "echo: x");
  EXPECT_EQ(result.finish_reason, "stop");
}

TEST(RemoteGenerator, StreamsServerSentEvents) {
  FakeOpenAi fake;
  auto generator = open_generator(generator_config(fake.url()));
  std::vector<std::string> pieces;
  GenerateOptions options;
  options.on_token = [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  };
  const auto result = generator->chat({{"user", "hi"}}, options);
  EXPECT_EQ(result.text, "Hello world");
  EXPECT_EQ(pieces, (std::vector<std::string>{"Hel", "lo", " wor", "ld"}));
  EXPECT_EQ(result.finish_reason, "stop");
  EXPECT_EQ(result.prompt_tokens, 9);
  EXPECT_EQ(result.completion_tokens, 4);
  EXPECT_EQ(fake.last_request()["stream"], true);
}

TEST(RemoteGenerator, StreamingCallbackStops) {
  FakeOpenAi fake;
  auto generator = open_generator(generator_config(fake.url()));
  GenerateOptions options;
  int calls = 0;
  options.on_token = [&](std::string_view) { return ++calls < 2; };
  const auto result = generator->chat({{"user", "hi"}}, options);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(result.text, "Hello");
  EXPECT_EQ(result.finish_reason, "callback");
}

TEST(RemoteGenerator, ServerThatIgnoresStreamStillDelivers) {
  FakeOpenAi fake;
  auto generator = open_generator(generator_config(fake.url("ignores-stream")));
  std::string streamed;
  GenerateOptions options;
  options.on_token = [&](std::string_view piece) {
    streamed += piece;
    return true;
  };
  const auto result = generator->chat({{"user", "q"}}, options);
  EXPECT_EQ(result.text, "echo: q END tail");
  EXPECT_EQ(streamed, result.text);
}

TEST(RemoteGenerator, BadAnswersNameTheField) {
  FakeOpenAi fake;
  std::string message;
  EXPECT_EQ(code_of([&] { open_generator(generator_config(fake.url("no-content")))->chat({{"user", "q"}}, {}); }, &message),
            ErrorCode::kCorruption);
  EXPECT_NE(message.find("choices[0].message.content"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { open_generator(generator_config(fake.url("no-choices")))->chat({{"user", "q"}}, {}); }, &message),
            ErrorCode::kCorruption);
  EXPECT_NE(message.find("'choices'"), std::string::npos) << message;
  GenerateOptions streaming;
  streaming.on_token = [](std::string_view) { return true; };
  EXPECT_EQ(code_of([&] { open_generator(generator_config(fake.url("bad-event")))->chat({{"user", "q"}}, streaming); }, &message),
            ErrorCode::kCorruption);
  EXPECT_NE(message.find("stream event"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { open_generator(generator_config(fake.url("status503")))->chat({{"user", "q"}}, {}); }, &message),
            ErrorCode::kUnavailable);
  EXPECT_NE(message.find("HTTP 503"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { open_generator(generator_config(fake.url("status503")))->chat({{"user", "q"}}, streaming); }, &message),
            ErrorCode::kUnavailable);
  EXPECT_NE(message.find("loading model"), std::string::npos) << message;
}

TEST(RemoteGenerator, ValidatesRequestAndReachability) {
  FakeOpenAi fake;
  auto generator = open_generator(generator_config(fake.url()));
  std::string message;
  EXPECT_EQ(code_of([&] { generator->chat({}, {}); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("messages"), std::string::npos);
  EXPECT_EQ(code_of([&] { generator->chat({{"robot", "q"}}, {}); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("messages[0].role"), std::string::npos);
  GenerateOptions bad;
  bad.max_tokens = 0;
  EXPECT_EQ(code_of([&] { generator->chat({{"user", "q"}}, bad); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("max_tokens"), std::string::npos);

  std::string dead_url;
  {
    FakeOpenAi gone;
    dead_url = gone.url();
  }
  EXPECT_EQ(code_of([&] { open_generator(generator_config(dead_url)); }, &message), ErrorCode::kUnavailable);
  EXPECT_NE(message.find("generator_url"), std::string::npos) << message;
}

}  // namespace
}  // namespace tailor::llm
