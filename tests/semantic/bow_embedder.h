// A deterministic test Embedder for the item-vector and search tests: hashed
// bag of words. ASCII words (lower-cased) and, for Chinese, every CJK
// character and every pair of adjacent ones are hashed (FNV-1a) into `dim`
// buckets; the counts are L2-normalised like a real model's output. Texts
// sharing words are close, so ranking is predictable, and it is instant.
// It counts its calls so tests can assert what the cache saved.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tailor/llm/llm.h"

namespace tailor::semantic::testing {

class BowEmbedder final : public llm::Embedder {
 public:
  explicit BowEmbedder(int dim = 256, std::string id = "test-bow") : dim_(dim), id_(std::move(id)) {}
  int dim() const override { return dim_; }
  std::string model_id() const override { return id_ + "-" + std::to_string(dim_); }

  std::vector<float> embed(std::span<const std::string> texts, llm::TextRole) override {
    ++calls;
    texts_embedded += texts.size();
    std::vector<float> out;
    out.reserve(texts.size() * dim_);
    for (const auto& text : texts) {
      std::vector<float> row(dim_, 0.0f);
      for (const auto& token : tokens(text)) row[hash(token) % dim_] += 1.0f;
      double norm = 0;
      for (float v : row) norm += v * v;
      if (norm > 0)
        for (float& v : row) v = static_cast<float>(v / std::sqrt(norm));
      out.insert(out.end(), row.begin(), row.end());
    }
    return out;
  }

  static std::vector<std::string> tokens(const std::string& text) {
    std::vector<std::string> out;
    std::string word, prev_cjk;
    for (std::size_t pos = 0; pos < text.size();) {
      const auto c = static_cast<unsigned char>(text[pos]);
      std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
      len = std::min(len, text.size() - pos);
      if (c < 0x80) {
        if (std::isalnum(c)) {
          word.push_back(static_cast<char>(std::tolower(c)));
        } else if (!word.empty()) {
          out.push_back(word);
          word.clear();
        }
        prev_cjk.clear();
      } else {
        if (!word.empty()) out.push_back(word), word.clear();
        const std::string ch = text.substr(pos, len);
        const std::uint32_t cp = len == 3 ? ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[pos + 1]) & 0x3Fu) << 6) |
                                                (static_cast<unsigned char>(text[pos + 2]) & 0x3Fu)
                                          : 0;
        if (cp >= 0x4E00 && cp <= 0x9FFF) {  // CJK ideographs; punctuation separates
          out.push_back(ch);
          if (!prev_cjk.empty()) out.push_back(prev_cjk + ch);
          prev_cjk = ch;
        } else {
          prev_cjk.clear();
        }
      }
      pos += len;
    }
    if (!word.empty()) out.push_back(word);
    return out;
  }

  int calls = 0;
  std::size_t texts_embedded = 0;

 private:
  static std::uint64_t hash(const std::string& s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h;
  }
  int dim_;
  std::string id_;
};

}  // namespace tailor::semantic::testing
