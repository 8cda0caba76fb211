// Front door of the llm component: language models as two small interfaces,
// Embedder (text -> unit vectors) and Generator (chat -> text), with two
// backends each:
//
//   local   llama.cpp in-process (src/llm/llama_*.cc are the only files that
//           include llama.h; the rest of Tailor never sees it)
//   remote  any OpenAI-compatible endpoint: POST {base}/v1/embeddings and
//           {base}/v1/chat/completions (vLLM, Ollama, llama.cpp's server)
//
// Default models live in the model cache that scripts/fetch_models.sh fills
// (default_model_dir(): $TAILOR_MODELS, else ~/.cache/tailor/models):
//   multilingual-e5-small.gguf   embedder, zh+en, "query: "/"passage: " prefixes
//   smollm2-135m-instruct.gguf   generator, ChatML
// Any GGUF path or endpoint replaces them through LlmConfig.
//
// Errors: a missing model file is NotFound, a corrupt or unreadable GGUF is
// Corruption, a model of the wrong kind (a causal generator given as the
// embedder, an encoder given as the generator) is InvalidArgument naming the
// config field, an unreachable endpoint is Unavailable. All are raised when the
// backend is opened, never later as a crash.
//
// Thread-safety: an Embedder/Generator object serialises its own calls (one
// llama context each); open several for parallel work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tailor::llm {

// ------------------------------------------------------------ embedder ---

// Asymmetric retrieval models embed queries and documents with different
// prefixes (e5: "query: " / "passage: "); symmetric ones ignore the role.
enum class TextRole { kQuery, kPassage };

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual int dim() const = 0;
  // Stable identity of the model for caches: file name + size + content hash
  // of the header for local models, "remote:<base_url>#<model>" otherwise.
  virtual std::string model_id() const = 0;
  // Embeds `texts` (UTF-8; empty strings allowed) and returns n*dim() floats,
  // row-major, each row L2-normalised. Texts longer than the model's context
  // are truncated (not an error). Batches internally.
  virtual std::vector<float> embed(std::span<const std::string> texts, TextRole role) = 0;
};

// --------------------------------------------------------- generator ---

struct ChatMessage {
  std::string role;      // "system", "user", "assistant"
  std::string content;
};

struct GenerateOptions {
  int max_tokens = 256;               // [1, 8192]
  float temperature = 0.7f;           // 0 = greedy
  int top_k = 40;                     // 0 = off
  float top_p = 0.95f;                // 1 = off
  float repeat_penalty = 1.1f;        // 1 = off
  std::uint32_t seed = 42;            // same seed + options + prompt -> same text
  std::vector<std::string> stop;      // generation ends before any of these strings
  std::string grammar;                // GBNF (root rule "root"); "" = unconstrained
  // Called with each new piece of text as it is decoded; return false to stop.
  std::function<bool(std::string_view piece)> on_token;
};

struct GenerateResult {
  std::string text;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string finish_reason;          // "stop", "length", "callback"
  double seconds = 0;                 // wall time of prompt + generation
};

class Generator {
 public:
  virtual ~Generator() = default;
  virtual std::string model_id() const = 0;
  // The model's parameter count, 0 when unknown (a remote endpoint).
  virtual std::uint64_t parameter_count() const { return 0; }
  // Applies the model's chat template to `messages` and generates the
  // assistant's reply.
  virtual GenerateResult chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options) = 0;
};

// ------------------------------------------------------------- config ---

// Where the models come from. Empty fields take the defaults; the
// [llm] table of a TOML config and TAILOR_LLM_* env variables map onto it.
struct LlmConfig {
  std::string embedder_model;     // GGUF path; "" = default_model_dir()/multilingual-e5-small.gguf
  std::string generator_model;    // GGUF path; "" = default_model_dir()/smollm2-135m-instruct.gguf
  std::string embedder_url;       // OpenAI-compatible base URL; set = remote embedder
  std::string embedder_remote_model;   // "model" field sent to the endpoint
  std::string generator_url;      // set = remote generator
  std::string generator_remote_model;
  std::string api_key;            // bearer token for the endpoints ("" = none)
  int threads = 0;                // llama.cpp threads; 0 = default_thread_count()
  // How hard ggml's idle workers spin before sleeping, 0..100 (llama.cpp's
  // own tools use 50). 0 keeps a busy or oversubscribed machine fast: with
  // spinning, two processes of two threads each on two cores ran 50x slower.
  int poll = 0;
  int context = 0;                // generator context tokens; 0 = min(model's, 4096)
  int timeout_s = 60;             // remote request timeout
  std::string query_prefix;       // override the embedder's prefixes ("" = model default)
  std::string passage_prefix;
  // Throws InvalidArgument naming the field.
  void validate() const;
};

// $TAILOR_MODELS, else $HOME/.cache/tailor/models.
std::string default_model_dir();
std::string default_embedder_path();
std::string default_generator_path();

// Opens the configured backend (remote when its URL is set, else local).
std::unique_ptr<Embedder> open_embedder(const LlmConfig& config);
std::unique_ptr<Generator> open_generator(const LlmConfig& config);

// The backends themselves, for tests and tools that want one explicitly.
std::unique_ptr<Embedder> open_llama_embedder(const std::string& gguf_path, const LlmConfig& config = {});
std::unique_ptr<Generator> open_llama_generator(const std::string& gguf_path, const LlmConfig& config = {});
std::unique_ptr<Embedder> open_remote_embedder(const LlmConfig& config);
std::unique_ptr<Generator> open_remote_generator(const LlmConfig& config);

// ------------------------------------------------------------- helpers ---

// Tokens of `text` under the GGUF's vocabulary (no BOS/EOS added), for
// tests and token counting. Opens only the vocabulary (vocab_only load).
std::vector<std::int32_t> tokenize(const std::string& gguf_path, const std::string& text);

// Cosine of two equal-length vectors (0 when either is zero).
float cosine(std::span<const float> a, std::span<const float> b);
// Scales `row` to unit length, so inner product = cosine downstream; a zero
// vector stays zero (cosine 0 with everything).
void l2_normalise(std::span<float> row);

// Extracts the first balanced JSON object from model output (models often wrap
// it in prose or ``` fences) and parses it; nullopt when there is none.
std::optional<nlohmann::json> extract_json_object(std::string_view text);

}  // namespace tailor::llm
