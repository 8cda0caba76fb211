// LlmConfig validation, the default model cache paths, the local/remote
// dispatch of open_embedder / open_generator, and cosine similarity.
//
// The dispatch is the one place that decides which backend serves a config:
// a set URL means remote (OpenAI-compatible, remote.cc), otherwise a GGUF
// file through llama.cpp (llama_backend.cc). A missing model file is reported
// here, before llama.cpp is touched, with the flag and env variable that
// replace it, so "first run before fetch_models.sh" gives an actionable error.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tailor/core/core.h"
#include "tailor/llm/llm.h"

namespace tailor::llm {
namespace {

bool has_control_chars(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

void check_url(const std::string& url, const char* field) {
  if (url.empty()) return;
  TAILOR_CHECK_ARG(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0,
                   std::string(field) + " must start with http:// or https:// (got '" + url + "')");
  TAILOR_CHECK_ARG(url.size() <= 2048 && !has_control_chars(url),
                   std::string(field) + " must be at most 2048 characters without control characters");
}

// The local model file for a role: the configured path or the cache default.
std::string local_model_path(const std::string& configured, const std::string& fallback, const char* role,
                             const char* flag, const char* env) {
  const std::string path = configured.empty() ? fallback : configured;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw_error(ErrorCode::kNotFound,
                std::string(role) + " model not found: " + path +
                    (configured.empty() ? " (the default; run scripts/fetch_models.sh, or set " : " (set by ") + flag +
                    " / " + env + (configured.empty() ? ")" : "); pass an existing GGUF file"));
  }
  TAILOR_CHECK_ARG(!std::filesystem::is_directory(path, ec),
                   std::string(role) + " model " + path + " is a directory; " + flag + " expects a GGUF file");
  return path;
}

}  // namespace

void LlmConfig::validate() const {
  check_url(embedder_url, "embedder_url");
  check_url(generator_url, "generator_url");
  TAILOR_CHECK_ARG(threads >= 0 && threads <= 1024, "threads must be in [0, 1024] (0 = all cores)");
  TAILOR_CHECK_ARG(context >= 0 && context <= (1 << 20), "context must be in [0, 1048576] (0 = model default)");
  TAILOR_CHECK_ARG(timeout_s >= 1 && timeout_s <= 3600, "timeout_s must be in [1, 3600] seconds");
  // The key travels in an HTTP header: a newline in it would inject headers.
  TAILOR_CHECK_ARG(!has_control_chars(api_key) && api_key.size() <= 4096,
                   "api_key must be at most 4096 characters without control characters");
  TAILOR_CHECK_ARG(embedder_remote_model.size() <= 512 && !has_control_chars(embedder_remote_model),
                   "embedder_remote_model must be at most 512 characters without control characters");
  TAILOR_CHECK_ARG(generator_remote_model.size() <= 512 && !has_control_chars(generator_remote_model),
                   "generator_remote_model must be at most 512 characters without control characters");
  TAILOR_CHECK_ARG(query_prefix.size() <= 256, "query_prefix must be at most 256 bytes");
  TAILOR_CHECK_ARG(passage_prefix.size() <= 256, "passage_prefix must be at most 256 bytes");
}

std::string default_model_dir() {
  if (const char* dir = std::getenv("TAILOR_MODELS"); dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  // Without HOME (some service managers) the cache is relative to the working
  // directory rather than "/": never write models into the filesystem root.
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.cache/tailor/models";
}

std::string default_embedder_path() { return default_model_dir() + "/multilingual-e5-small.gguf"; }
std::string default_generator_path() { return default_model_dir() + "/smollm2-135m-instruct.gguf"; }

std::unique_ptr<Embedder> open_embedder(const LlmConfig& config) {
  config.validate();
  if (!config.embedder_url.empty()) return open_remote_embedder(config);
  return open_llama_embedder(local_model_path(config.embedder_model, default_embedder_path(), "embedder",
                                              "--embedder-model", "TAILOR_LLM_EMBEDDER_MODEL"),
                             config);
}

std::unique_ptr<Generator> open_generator(const LlmConfig& config) {
  config.validate();
  if (!config.generator_url.empty()) return open_remote_generator(config);
  return open_llama_generator(local_model_path(config.generator_model, default_generator_path(), "generator",
                                               "--generator-model", "TAILOR_LLM_GENERATOR_MODEL"),
                              config);
}

float cosine(std::span<const float> a, std::span<const float> b) {
  TAILOR_CHECK_ARG(a.size() == b.size(), "cosine: vectors of different lengths (" + std::to_string(a.size()) +
                                             " and " + std::to_string(b.size()) + ")");
  // cos(a, b) = a·b / (|a| |b|), accumulated in double so long vectors of
  // nearly equal floats do not lose the digits the 0.99 comparisons need.
  double dot = 0, norm_a = 0, norm_b = 0;
  for (std::size_t dim_idx = 0; dim_idx < a.size(); ++dim_idx) {
    dot += static_cast<double>(a[dim_idx]) * b[dim_idx];
    norm_a += static_cast<double>(a[dim_idx]) * a[dim_idx];
    norm_b += static_cast<double>(b[dim_idx]) * b[dim_idx];
  }
  if (norm_a <= 0 || norm_b <= 0) return 0.0f;
  return static_cast<float>(dot / (std::sqrt(norm_a) * std::sqrt(norm_b)));
}

void l2_normalise(std::span<float> row) {
  double norm = 0;
  for (float v : row) norm += static_cast<double>(v) * v;
  if (norm <= 0) return;
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& v : row) v *= scale;
}

}  // namespace tailor::llm
