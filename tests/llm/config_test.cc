// LlmConfig validation, the model cache defaults, the open_* dispatch errors,
// cosine, and extract_json_object on the messy output small models produce.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tailor/core/core.h"
#include "tailor/llm/llm.h"

namespace tailor::llm {
namespace {

std::string error_of(const std::function<void()>& fn, ErrorCode expected) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no tailor::Error thrown";
  return "";
}

TEST(LlmConfig, DefaultsAreValid) { EXPECT_NO_THROW(LlmConfig{}.validate()); }

TEST(LlmConfig, EachBadFieldIsNamed) {
  struct Case {
    std::function<void(LlmConfig&)> set;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](LlmConfig& c) { c.embedder_url = "localhost:8080"; }, "embedder_url"},
      {[](LlmConfig& c) { c.generator_url = "file:///tmp/x"; }, "generator_url"},
      {[](LlmConfig& c) { c.threads = -1; }, "threads"},
      {[](LlmConfig& c) { c.threads = 5000; }, "threads"},
      {[](LlmConfig& c) { c.context = -5; }, "context"},
      {[](LlmConfig& c) { c.timeout_s = 0; }, "timeout_s"},
      {[](LlmConfig& c) { c.api_key = "abc\r\nX-Injected: 1"; }, "api_key"},
      {[](LlmConfig& c) { c.embedder_remote_model = std::string("m\n"); }, "embedder_remote_model"},
      {[](LlmConfig& c) { c.generator_remote_model = std::string(600, 'm'); }, "generator_remote_model"},
      {[](LlmConfig& c) { c.query_prefix = std::string(300, 'q'); }, "query_prefix"},
      {[](LlmConfig& c) { c.passage_prefix = std::string(300, 'p'); }, "passage_prefix"},
  };
  for (const auto& c : cases) {
    LlmConfig config;
    c.set(config);
    const std::string message = error_of([&] { config.validate(); }, ErrorCode::kInvalidArgument);
    EXPECT_NE(message.find(c.field), std::string::npos) << message;
  }
  LlmConfig ok;
  ok.embedder_url = "https://api.example.com/v1";
  ok.generator_url = "http://127.0.0.1:8080";
  EXPECT_NO_THROW(ok.validate());
}

TEST(LlmConfig, DefaultModelDirFollowsEnv) {
  const char* old = std::getenv("TAILOR_MODELS");
  const std::string saved = old ? old : "";
  ::setenv("TAILOR_MODELS", "/opt/models", 1);
  EXPECT_EQ(default_model_dir(), "/opt/models");
  EXPECT_EQ(default_embedder_path(), "/opt/models/multilingual-e5-small.gguf");
  EXPECT_EQ(default_generator_path(), "/opt/models/smollm2-135m-instruct.gguf");
  ::unsetenv("TAILOR_MODELS");
  EXPECT_NE(default_model_dir().find(".cache/tailor/models"), std::string::npos);
  if (old) ::setenv("TAILOR_MODELS", saved.c_str(), 1);
}

TEST(LlmConfig, MissingModelFileIsNotFoundWithTheFix) {
  LlmConfig config;
  config.embedder_model = "/nonexistent/e5.gguf";
  std::string message = error_of([&] { open_embedder(config); }, ErrorCode::kNotFound);
  EXPECT_NE(message.find("/nonexistent/e5.gguf"), std::string::npos) << message;
  EXPECT_NE(message.find("--embedder-model"), std::string::npos) << message;
  config.generator_model = "/nonexistent/gen.gguf";
  message = error_of([&] { open_generator(config); }, ErrorCode::kNotFound);
  EXPECT_NE(message.find("TAILOR_LLM_GENERATOR_MODEL"), std::string::npos) << message;
  config.embedder_model = std::filesystem::temp_directory_path().string();
  message = error_of([&] { open_embedder(config); }, ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("directory"), std::string::npos) << message;
  // An invalid config fails before any file or endpoint is touched.
  config.timeout_s = -1;
  message = error_of([&] { open_embedder(config); }, ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("timeout_s"), std::string::npos) << message;
}

TEST(Cosine, KnownValues) {
  const std::vector<float> a{1, 0, 0}, b{0, 1, 0}, c{2, 0, 0}, d{-1, 0, 0}, zero{0, 0, 0}, e{1, 1, 0};
  EXPECT_FLOAT_EQ(cosine(a, b), 0.0f);
  EXPECT_FLOAT_EQ(cosine(a, c), 1.0f);
  EXPECT_FLOAT_EQ(cosine(a, d), -1.0f);
  EXPECT_FLOAT_EQ(cosine(a, zero), 0.0f);
  EXPECT_NEAR(cosine(a, e), 1.0 / std::sqrt(2.0), 1e-6);
  const std::vector<float> short_vec{1, 0};
  error_of([&] { cosine(a, short_vec); }, ErrorCode::kInvalidArgument);
}

TEST(L2Normalise, KnownValuesAndZero) {
  std::vector<float> v{3, 4, 0};
  l2_normalise(v);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  EXPECT_FLOAT_EQ(v[2], 0.0f);
  std::vector<float> zero{0, 0};
  l2_normalise(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));  // stays zero, no NaN
}

// ------------------------------------------------------- JSON extraction ---

TEST(ExtractJson, BareObject) {
  auto doc = extract_json_object(R"({"category": "audio", "price_max": 500})");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["category"], "audio");
  EXPECT_EQ((*doc)["price_max"], 500);
}

TEST(ExtractJson, ProseAndFences) {
  const std::string text =
      "Sure! Here is the intent you asked for:\n```json\n{\n  \"language\": \"zh\",\n  \"categories\": [\"phones-audio\"]\n}\n```\n"
      "Let me know if you need anything {else}.";
  auto doc = extract_json_object(text);
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["language"], "zh");
  EXPECT_EQ((*doc)["categories"][0], "phones-audio");
}

TEST(ExtractJson, SkipsBracesThatAreNotJson) {
  auto doc = extract_json_object("Fill in {name} and {price}: {\"ok\": true}");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["ok"], true);
}

TEST(ExtractJson, BracesInsideStrings) {
  auto doc = extract_json_object(R"(answer: {"text": "use } and { freely \" here", "n": [1, {"a": "]"}]} trailing)");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["text"], "use } and { freely \" here");
  EXPECT_EQ((*doc)["n"][1]["a"], "]");
}

TEST(ExtractJson, TrailingCommasRepaired) {
  auto doc = extract_json_object("{\"a\": [1, 2, ], \"b\": {\"c\": 1,},}");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["a"].size(), 2u);
  EXPECT_EQ((*doc)["b"]["c"], 1);
  // A comma inside a string is content, not a trailing comma.
  doc = extract_json_object(R"({"s": "a, }"})");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["s"], "a, }");
}

TEST(ExtractJson, TruncatedOutputClosed) {
  // max_tokens ran out mid-object: close what is open, keep what was said.
  auto doc = extract_json_object(R"({"language": "en", "categories": ["computers", "lapt)");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["language"], "en");
  EXPECT_EQ((*doc)["categories"][1], "lapt");
  doc = extract_json_object(R"({"language": "zh", "price_max":)");
  ASSERT_TRUE(doc);
  EXPECT_TRUE((*doc)["price_max"].is_null());
  doc = extract_json_object("{\"a\": 1,\n");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["a"], 1);
}

TEST(ExtractJson, ChineseContent) {
  auto doc = extract_json_object("好的，意图如下：{\"query\": \"我想买一款高质量的蓝牙耳机\", \"exclude\": [\"有线\"]}。");
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["exclude"][0], "有线");
}

TEST(ExtractJson, NothingUsable) {
  EXPECT_FALSE(extract_json_object(""));
  EXPECT_FALSE(extract_json_object("no json here"));
  EXPECT_FALSE(extract_json_object("[1, 2, 3]"));         // an array is not an object
  EXPECT_FALSE(extract_json_object("{name} and {other}"));
  EXPECT_FALSE(extract_json_object("{\"a\": ]"));          // mismatched bracket
  EXPECT_FALSE(extract_json_object("{'single': 'quotes'}"));
  EXPECT_FALSE(extract_json_object("{\"a\": \"\xff\xfe\"}"));  // invalid UTF-8 is not guessed at
}

TEST(ExtractJson, NestedPicksOutermost) {
  auto doc = extract_json_object(R"(x {"outer": {"inner": 1}} y {"second": 2})");
  ASSERT_TRUE(doc);
  EXPECT_TRUE(doc->contains("outer"));
  EXPECT_FALSE(doc->contains("second"));
}

}  // namespace
}  // namespace tailor::llm
