// The llama.cpp adapter on tiny random-weight models (scripts/make_tiny_models.py,
// written into the model cache by scripts/fetch_models.sh) and llama.cpp's own
// vocab-only GGUFs with their known tokenisations (.inp/.out files from
// llama.cpp's source tree). No download, milliseconds per test.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tailor/core/core.h"
#include "tailor/llm/llm.h"

namespace fs = std::filesystem;
using namespace tailor;

namespace {

std::string tiny(const std::string& name) {
  const fs::path path = fs::path(llm::default_model_dir()) / "tiny" / name;
  if (!fs::exists(path))
    ADD_FAILURE() << path << " is missing: run scripts/fetch_models.sh (scripts/setup.sh does)";
  return path.string();
}

// One thread: ggml's workers spin while they wait, which costs more than it
// gains on tiny models and on a busy 2-core CI machine.
llm::LlmConfig one_thread() {
  llm::LlmConfig config;
  config.threads = 1;
  return config;
}

std::string vocab_dir() { return TAILOR_LLAMA_VOCAB_DIR; }

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no tailor::Error thrown";
  return ErrorCode::kInternal;
}

std::vector<std::string> split_on(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    const auto pos = text.find(sep, at);
    out.push_back(text.substr(at, pos == std::string::npos ? std::string::npos : pos - at));
    if (pos == std::string::npos) break;
    at = pos + sep.size();
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// llama.cpp's own known answers: <vocab>.inp holds texts separated by
// "\n__ggml_vocab_test__\n", <vocab>.out the expected token ids, one line each.
void check_known_tokenisations(const std::string& vocab) {
  const std::string base = vocab_dir() + "/" + vocab;
  auto inputs = split_on(slurp(base + ".inp"), "\n__ggml_vocab_test__\n");
  std::vector<std::string> outputs;
  std::istringstream out_lines(slurp(base + ".out"));
  for (std::string line; std::getline(out_lines, line);) outputs.push_back(line);
  ASSERT_GE(inputs.size(), 10u);
  // The .inp file ends with a separator; drop the empty tail.
  if (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
  ASSERT_EQ(inputs.size(), outputs.size()) << base;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::vector<std::int32_t> expected;
    std::istringstream ids(outputs[i]);
    for (std::int32_t id; ids >> id;) expected.push_back(id);
    EXPECT_EQ(llm::tokenize(base, inputs[i]), expected) << vocab << " text #" << i << ": '" << inputs[i] << "'";
    ++checked;
  }
  EXPECT_GE(checked, 10u);
}

}  // namespace

TEST(LlamaTokenize, MatchesLlamaCppKnownAnswersSpm) { check_known_tokenisations("ggml-vocab-llama-spm.gguf"); }
TEST(LlamaTokenize, MatchesLlamaCppKnownAnswersWordPiece) { check_known_tokenisations("ggml-vocab-bert-bge.gguf"); }
TEST(LlamaTokenize, MatchesLlamaCppKnownAnswersBpe) { check_known_tokenisations("ggml-vocab-qwen2.gguf"); }

TEST(LlamaTokenize, ChineseAndEnglishRoundTripThroughSpm) {
  const auto tokens = llm::tokenize(vocab_dir() + "/ggml-vocab-llama-spm.gguf", "蓝牙耳机 bluetooth");
  EXPECT_GE(tokens.size(), 3u);
}

TEST(LlamaEmbedder, UnitVectorsOfTheModelsDimension) {
  auto embedder = llm::open_llama_embedder(tiny("tiny-bert.gguf"), one_thread());
  EXPECT_EQ(embedder->dim(), 32);
  const std::vector<std::string> texts = {"hello world", "蓝牙耳机", ""};
  const auto rows = embedder->embed(texts, llm::TextRole::kPassage);
  ASSERT_EQ(rows.size(), 3u * 32u);
  for (int r = 0; r < 3; ++r) {
    double norm = 0;
    for (int d = 0; d < 32; ++d) norm += rows[r * 32 + d] * rows[r * 32 + d];
    EXPECT_NEAR(norm, 1.0, 1e-4) << "row " << r;
  }
}

TEST(LlamaEmbedder, BatchedEqualsOneByOne) {
  auto embedder = llm::open_llama_embedder(tiny("tiny-bert.gguf"), one_thread());
  std::vector<std::string> texts;
  for (int i = 0; i < 150; ++i)  // more than one batch of sequences (64)
    texts.push_back((i % 3 == 0 ? "running shoes size " : i % 3 == 1 ? "跑步鞋 尺码 " : "wireless earbuds ") +
                    std::to_string(i) + std::string(static_cast<std::size_t>(i % 7) * 6, 'x'));
  const auto batched = embedder->embed(texts, llm::TextRole::kPassage);
  for (std::size_t i = 0; i < texts.size(); i += 13) {
    const auto single = embedder->embed(std::vector<std::string>{texts[i]}, llm::TextRole::kPassage);
    const float cos = llm::cosine(std::span<const float>(batched).subspan(i * 32, 32), single);
    EXPECT_GT(cos, 0.9999f) << "text " << i;
  }
  // Different texts give different vectors; the same text the same vector.
  EXPECT_LT(llm::cosine(std::span<const float>(batched).subspan(0, 32),
                        std::span<const float>(batched).subspan(32, 32)), 0.99999f);
}

// Long texts: tiny-bert's context is 128 tokens (make_tiny_models.py), its
// vocabulary WordPiece, which splits on spaces. A text longer than the context
// is embedded in windows [CLS] prefix content [SEP] of at most 128 tokens;
// with the prefix "passage: " ("passage", ":") a window holds 124 content
// tokens, without a prefix 126.
class LlamaEmbedderWindows : public ::testing::Test {
 protected:
  static constexpr std::size_t kDim = 32;

  void SetUp() override {
    path_ = tiny("tiny-bert.gguf");
    // Words that are one WordPiece token each, so n words are n tokens.
    for (const char* word : {"apple", "river", "green", "house", "music", "light", "stone", "water", "garden",
                             "summer", "winter", "market", "street", "paper", "window", "horse", "bread"}) {
      ASSERT_EQ(llm::tokenize(path_, word).size(), 1u) << word;
      words_.push_back(word);
    }
  }

  // `count` words cycling through the list from `offset`.
  std::string words(std::size_t count, std::size_t offset = 0) const {
    std::string out;
    for (std::size_t word_idx = 0; word_idx < count; ++word_idx)
      out += (word_idx ? " " : "") + words_[(offset + word_idx) % words_.size()];
    return out;
  }

  static std::vector<float> embed(llm::Embedder& embedder, const std::vector<std::string>& texts) {
    return embedder.embed(texts, llm::TextRole::kPassage);
  }

  static double norm(std::span<const float> v) {
    double sum = 0;
    for (float x : v) sum += static_cast<double>(x) * x;
    return std::sqrt(sum);
  }

  static float max_abs_diff(std::span<const float> a, std::span<const float> b) {
    float diff = 0;
    for (std::size_t d = 0; d < a.size(); ++d) diff = std::max(diff, std::fabs(a[d] - b[d]));
    return diff;
  }

  std::string path_;
  std::vector<std::string> words_;
};

TEST_F(LlamaEmbedderWindows, LongTextIsNotItsTruncatedHead) {
  llm::LlmConfig config = one_thread();
  config.passage_prefix = "passage: ";
  auto embedder = llm::open_llama_embedder(path_, config);
  const std::string head = words(124);
  std::string rest;  // one word repeated: windows unlike the head
  for (int word_idx = 0; word_idx < 300; ++word_idx) rest += " bread";
  const std::string long_text = head + rest;
  const auto rows = embed(*embedder, {long_text, head});
  const std::span<const float> whole(rows.data(), kDim), first(rows.data() + kDim, kDim);
  for (float x : whole) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NEAR(norm(whole), 1.0, 1e-5);
  // Truncation gave exactly the head's vector; the later windows move it.
  EXPECT_LT(llm::cosine(whole, first), 0.99f);
  EXPECT_GT(max_abs_diff(whole, first), 1e-2f);
}

TEST_F(LlamaEmbedderWindows, TwoWindowsAreTheTokenWeightedMeanOfTheirVectors) {
  llm::LlmConfig config = one_thread();
  config.passage_prefix = "passage: ";
  auto embedder = llm::open_llama_embedder(path_, config);
  // 124 + 50 content tokens: window 1 is "passage: <a>" exactly, window 2
  // "passage: <b>" (the prefix repeated), each a text of its own.
  const std::string a = words(124), b = words(50, 5);
  const auto whole = embed(*embedder, {a + " " + b});
  const auto parts = embed(*embedder, {a, b});
  ASSERT_EQ(whole.size(), kDim);
  std::vector<double> expected(kDim);
  for (std::size_t d = 0; d < kDim; ++d) expected[d] = 124.0 * parts[d] + 50.0 * parts[kDim + d];
  double expected_norm = 0;
  for (double x : expected) expected_norm += x * x;
  expected_norm = std::sqrt(expected_norm);
  for (std::size_t d = 0; d < kDim; ++d) EXPECT_NEAR(whole[d], expected[d] / expected_norm, 1e-4) << "dim " << d;
  // The weights matter: the unweighted mean is a different vector.
  std::vector<float> unweighted(kDim);
  double unweighted_norm = 0;
  for (std::size_t d = 0; d < kDim; ++d) {
    unweighted[d] = parts[d] + parts[kDim + d];
    unweighted_norm += static_cast<double>(unweighted[d]) * unweighted[d];
  }
  for (float& x : unweighted) x = static_cast<float>(x / std::sqrt(unweighted_norm));
  EXPECT_GT(max_abs_diff(whole, unweighted), 1e-3f);
}

TEST_F(LlamaEmbedderWindows, ShortTextsAreUnchangedNextToLongOnes) {
  auto embedder = llm::open_llama_embedder(path_, one_thread());
  const std::string short_text = "wireless earbuds 蓝牙耳机";
  const std::string exactly_full = words(126);  // [CLS] + 126 + [SEP] = the whole context: one window
  const auto alone = embed(*embedder, {short_text, exactly_full});
  const auto mixed = embed(*embedder, {words(1000), short_text, words(700, 3), exactly_full});
  ASSERT_EQ(mixed.size(), 4 * kDim);
  const std::span<const float> mixed_rows(mixed);
  EXPECT_LT(max_abs_diff(mixed_rows.subspan(kDim, kDim), std::span<const float>(alone).subspan(0, kDim)), 1e-5f);
  EXPECT_LT(max_abs_diff(mixed_rows.subspan(3 * kDim, kDim), std::span<const float>(alone).subspan(kDim, kDim)),
            1e-5f);
  // A text one token longer than the context is split, so it moves.
  const auto over = embed(*embedder, {words(127)});
  EXPECT_GT(max_abs_diff(over, std::span<const float>(alone).subspan(kDim, kDim)), 1e-4f);
}

TEST_F(LlamaEmbedderWindows, AtMost64WindowsPerTextEvenForAMegabyte) {
  auto embedder = llm::open_llama_embedder(path_, one_thread());
  // Window w (126 tokens, no prefix) repeats one word, a different one from
  // its neighbours, so every window has its own vector.
  auto windows = [&](std::size_t count) {
    std::string out;
    for (std::size_t window_idx = 0; window_idx < count; ++window_idx)
      for (std::size_t word_idx = 0; word_idx < 126; ++word_idx)
        out += (out.empty() ? "" : " ") + words_[(window_idx * 7) % words_.size()];
    return out;
  };
  const auto rows = embed(*embedder, {windows(63), windows(64), windows(65), windows(80)});
  const std::span<const float> all(rows);
  const auto w63 = all.subspan(0, kDim), w64 = all.subspan(kDim, kDim), w65 = all.subspan(2 * kDim, kDim),
             w80 = all.subspan(3 * kDim, kDim);
  EXPECT_GT(max_abs_diff(w63, w64), 1e-3f) << "the 64th window counts";
  EXPECT_LT(max_abs_diff(w65, w64), 1e-5f) << "the 65th window is dropped";
  EXPECT_LT(max_abs_diff(w80, w64), 1e-5f);
  // A megabyte of text: its first 64 windows, finite and unit length.
  std::string huge = windows(64);
  while (huge.size() < (1u << 20)) huge += " " + words(1000, huge.size());
  const auto big = embed(*embedder, {huge});
  for (float x : big) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NEAR(norm(big), 1.0, 1e-5);
  EXPECT_LT(max_abs_diff(big, w64), 1e-5f);
}

TEST(LlamaEmbedder, PrefixesChangeTheVectorOnlyWhenConfigured) {
  llm::LlmConfig config = one_thread();
  auto plain = llm::open_llama_embedder(tiny("tiny-bert.gguf"), config);
  const std::vector<std::string> text = {"blue headphones"};
  // tiny-bert declares no prefixes: query and passage are the same vector.
  EXPECT_GT(llm::cosine(plain->embed(text, llm::TextRole::kQuery), plain->embed(text, llm::TextRole::kPassage)),
            0.99999f);
  config.query_prefix = "query: ";
  config.passage_prefix = "passage: ";
  auto prefixed = llm::open_llama_embedder(tiny("tiny-bert.gguf"), config);
  EXPECT_LT(llm::cosine(prefixed->embed(text, llm::TextRole::kQuery),
                        prefixed->embed(text, llm::TextRole::kPassage)), 0.99999f);
}

TEST(LlamaGenerator, SameSeedSameTextDifferentSeedDifferentText) {
  auto generator = llm::open_llama_generator(tiny("tiny-llama.gguf"), one_thread());
  llm::GenerateOptions options;
  options.max_tokens = 24;
  options.temperature = 1.0f;
  options.seed = 7;
  const std::vector<llm::ChatMessage> chat = {{"system", "You write short lines."}, {"user", "Say hi"}};
  const auto a = generator->chat(chat, options);
  const auto b = generator->chat(chat, options);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.completion_tokens, b.completion_tokens);
  EXPECT_GT(a.prompt_tokens, 5);
  options.seed = 8;
  const auto c = generator->chat(chat, options);
  EXPECT_NE(a.text, c.text);
}

// tiny-llama (scripts/make_tiny_models.py): the llama SPM vocabulary (32,000
// tokens), 32 dims, 2 layers, feed-forward 64, untied output:
//   2·32000·32 (embeddings, output) + 32 (output norm)
//   + 2·(32 + 4·32² + 32 + 3·64·32) (norms, attention, feed-forward) = 2,068,640.
TEST(LlamaGenerator, ReportsItsParameterCount) {
  auto generator = llm::open_llama_generator(tiny("tiny-llama.gguf"), one_thread());
  EXPECT_EQ(generator->parameter_count(), 2'068'640u);
}

TEST(LlamaGenerator, GreedyIsDeterministicAndMaxTokensIsHonoured) {
  auto generator = llm::open_llama_generator(tiny("tiny-llama.gguf"), one_thread());
  llm::GenerateOptions options;
  options.temperature = 0;
  options.max_tokens = 10;
  const auto a = generator->chat({{"user", "count"}}, options);
  options.seed = 12345;  // irrelevant when greedy
  const auto b = generator->chat({{"user", "count"}}, options);
  EXPECT_EQ(a.text, b.text);
  EXPECT_LE(a.completion_tokens, 10);
  if (a.finish_reason == "length") {
    EXPECT_EQ(a.completion_tokens, 10);
  }
}

TEST(LlamaGenerator, GrammarForcesValidJsonEvenFromNoise) {
  auto generator = llm::open_llama_generator(tiny("tiny-llama.gguf"), one_thread());
  llm::GenerateOptions options;
  options.max_tokens = 200;
  options.temperature = 0.8f;
  options.grammar = R"(root ::= "{" ws "\"lang\":" ws lang "," ws "\"n\":" ws num ws "}"
lang ::= "\"zh\"" | "\"en\""
num ::= [0-9] | [1-9] [0-9]
ws ::= [ ]?)";
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    options.seed = seed;
    const auto out = generator->chat({{"user", "json please"}}, options);
    const auto doc = nlohmann::json::parse(out.text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << "seed " << seed << ": " << out.text;
    EXPECT_TRUE(doc["lang"] == "zh" || doc["lang"] == "en") << out.text;
    EXPECT_TRUE(doc["n"].is_number_integer()) << out.text;
    EXPECT_EQ(out.finish_reason, "stop") << out.text;
  }
}

TEST(LlamaGenerator, BadGrammarIsInvalidArgument) {
  auto generator = llm::open_llama_generator(tiny("tiny-llama.gguf"), one_thread());
  llm::GenerateOptions options;
  options.grammar = "root ::= [unclosed";
  EXPECT_EQ(code_of([&] { generator->chat({{"user", "x"}}, options); }), ErrorCode::kInvalidArgument);
  options.grammar.clear();
  options.max_tokens = 0;
  EXPECT_EQ(code_of([&] { generator->chat({{"user", "x"}}, options); }), ErrorCode::kInvalidArgument);
  options.max_tokens = 4;
  EXPECT_EQ(code_of([&] { generator->chat({{"robot", "x"}}, options); }), ErrorCode::kInvalidArgument);
}

TEST(LlamaGenerator, StreamingPiecesConcatenateToTheTextAndStopStringsCut) {
  auto generator = llm::open_llama_generator(tiny("tiny-llama.gguf"), one_thread());
  llm::GenerateOptions options;
  options.max_tokens = 40;
  options.temperature = 1.0f;
  options.seed = 3;
  const auto full = generator->chat({{"user", "stream"}}, options);
  std::string streamed;
  int calls = 0;
  options.on_token = [&](std::string_view piece) {
    streamed += piece;
    ++calls;
    return true;
  };
  const auto again = generator->chat({{"user", "stream"}}, options);
  EXPECT_EQ(again.text, full.text);
  EXPECT_EQ(streamed, full.text);
  EXPECT_GE(calls, 1);
  ASSERT_GE(full.text.size(), 6u);
  // A stop string taken from the middle of the unconstrained output cuts it there.
  options.on_token = nullptr;
  const std::string stop = full.text.substr(full.text.size() / 2, 3);
  options.stop = {stop};
  const auto cut = generator->chat({{"user", "stream"}}, options);
  EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(stop)));
  EXPECT_EQ(cut.finish_reason, "stop");
  // The callback can stop the generation.
  options.stop.clear();
  options.on_token = [](std::string_view) { return false; };
  EXPECT_EQ(generator->chat({{"user", "stream"}}, options).finish_reason, "callback");
}

TEST(LlamaErrors, MissingCorruptAndWrongKindAreClearErrors) {
  EXPECT_EQ(code_of([] { llm::open_llama_embedder("/nonexistent/model.gguf"); }), ErrorCode::kNotFound);
  const fs::path dir = fs::temp_directory_path() / ("tailor-llm-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "text.gguf") << "this is not a model";
  }
  EXPECT_EQ(code_of([&] { llm::open_llama_generator((dir / "text.gguf").string()); }), ErrorCode::kCorruption);
  // A truncated real GGUF: the header is valid, the tensors are missing.
  const std::string bytes = slurp(tiny("tiny-llama.gguf"));
  for (std::size_t keep : {std::size_t{8}, std::size_t{200}, bytes.size() / 2}) {
    std::ofstream(dir / "cut.gguf", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
    EXPECT_EQ(code_of([&] { llm::open_llama_generator((dir / "cut.gguf").string()); }), ErrorCode::kCorruption)
        << "kept " << keep << " bytes";
  }
  EXPECT_EQ(code_of([&] { llm::open_llama_generator(tiny("tiny-bert.gguf")); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { llm::open_llama_embedder(tiny("tiny-llama.gguf")); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { llm::open_llama_embedder(dir.string()); }), ErrorCode::kInvalidArgument);
  fs::remove_all(dir);
}
