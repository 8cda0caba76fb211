// Private to the model component: text features for the content models
// (bm25, and hybrid through it). Two pieces:
//
// Tokenizer — Chinese and English in one pass:
//   1. NFKC + Unicode case folding (ICU NFKC_Casefold: "Ｃafé" and "CAFÉ"
//      fold to "café", full-width Latin and digits become ASCII);
//   2. ICU word breaks (BreakIterator word instance, root locale); its
//      dictionary segments runs of Han characters into words
//      ("无痕高腰瑜伽裤" -> 无 痕 高 腰 瑜伽 裤);
//   3. only word tokens are kept (rule status letter, number, kana, ideographic:
//      spaces and punctuation go);
//   4. stopwords out (a short English list and a short list of Chinese
//      function words), Latin-script words Snowball-stemmed (English, Porter2:
//      "running" -> "run");
//   5. optionally, Chinese character bigrams inside every run of Han
//      characters, as a fallback for product words the dictionary splits
//      ("降噪" comes out of ICU as 降 + 噪; the bigram 降噪 restores it). A bigram
//      with a stopword character is skipped. Bigrams share the vocabulary with
//      words, so a two-character dictionary word and the same bigram match.
//
// TextIndex — a vocabulary and one sparse BM25 vector per document:
//   tf(t, d)  = Σ_fields weight_f · count of t in field f of d
//   len(d)    = Σ_t tf(t, d);  avgdl = mean len over documents with any term
//   idf(t)    = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)),  N = documents with any term
//   w(t, d)   = idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · len(d) / avgdl))
//   v_d       = w(·, d) / ‖w(·, d)‖₂          (an empty row for a document without terms)
// so the dot product of two rows is their cosine. Term ids are assigned in
// byte order of the term text, so an index does not depend on thread counts.
// Layout: `vectors` is documents x terms (CSR, rows L2-normalised);
// `postings` is its transpose (terms x documents), for scoring every
// document against one query vector by walking the query's terms.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tailor/dataset/dataset.h"

namespace tailor::model::text {

struct TokenizerOptions {
  bool stem = true;          // Snowball English stemming of Latin-script words
  bool stopwords = true;     // drop English stopwords and Chinese function words
  bool cjk_bigrams = false;  // also emit Han character bigrams inside each run
};

// Not thread-safe (it owns an ICU BreakIterator and a Snowball stemmer, both
// stateful): use one Tokenizer per thread. Construction costs a few
// microseconds; tokenize() is linear in the text.
class Tokenizer {
 public:
  explicit Tokenizer(const TokenizerOptions& options = {});
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // The tokens of `text` in order, repeats kept (bigrams after the words).
  // Invalid UTF-8 becomes U+FFFD, which is not a word.
  std::vector<std::string> tokenize(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for the stopwords the tokenizer drops (already case-folded input).
bool is_stopword(std::string_view token);

struct Bm25Options {
  double k1 = 1.2;   // term-frequency saturation
  double b = 0.75;   // length normalisation (0 = none, 1 = full)
};

// One field of a document; each occurrence of a term counts `weight`.
struct Field {
  std::string_view text;
  float weight = 1;
};

// A sparse vector: (term, value) with terms ascending.
using SparseVector = std::vector<std::pair<std::uint32_t, float>>;

// Immutable after build() / load(); every const method is thread-safe.
class TextIndex {
 public:
  // Tokenises every document (parallel over documents, one Tokenizer per
  // worker) and weights its terms. Throws InvalidArgument for a negative field
  // weight or k1 / b out of range.
  static TextIndex build(std::span<const std::vector<Field>> documents, const TokenizerOptions& tokenizer,
                         const Bm25Options& bm25, int threads);

  std::uint32_t doc_count() const { return vectors_.rows; }
  std::uint32_t term_count() const { return static_cast<std::uint32_t>(terms_.size()); }
  const std::string& term(std::uint32_t term_idx) const { return terms_[term_idx]; }
  std::optional<std::uint32_t> find_term(std::string_view text) const;
  float idf(std::uint32_t term_idx) const { return idf_[term_idx]; }
  double average_length() const { return avgdl_; }
  const TokenizerOptions& tokenizer_options() const { return tokenizer_; }
  const Bm25Options& bm25_options() const { return bm25_; }

  // documents x terms, rows L2-normalised BM25 weights.
  const dataset::CsrMatrix& vectors() const { return vectors_; }
  // terms x documents (the transpose of vectors()).
  const dataset::CsrMatrix& postings() const { return postings_; }
  bool has_terms(std::uint32_t doc) const { return vectors_.row_size(doc) > 0; }

  // Cosine of two documents: the dot product of their rows (merge of two
  // sorted rows, O(|a| + |b|)). 0 when either has no terms.
  float cosine(std::uint32_t doc_a, std::uint32_t doc_b) const;

  // The L2-normalised BM25 vector of a new document against this vocabulary
  // and these statistics (terms the index has never seen are dropped).
  SparseVector vectorize(std::span<const Field> fields) const;

  // Σ_k weights[k] · v_{docs[k]}, terms ascending, zero sums left out.
  // weights may be empty (every weight 1). Documents must be < doc_count().
  SparseVector weighted_sum(std::span<const std::uint32_t> docs, std::span<const float> weights) const;

  // dots[d] += Σ_t query[t] · v_d[t] for every document d (walks the postings
  // of the query's terms only). dots.size() == doc_count().
  void dot_all(const SparseVector& query, std::span<float> dots) const;

  // Layout: f64 k1, f64 b, u32 flags (1 stem, 2 stopwords, 4 cjk_bigrams),
  // f64 avgdl, u32 N, u32 n + term strings, f32 array idf, csr vectors.
  void save(std::ostream& out) const;
  // Corruption for a damaged payload.
  static TextIndex load(std::istream& in);

 private:
  void finish_lookup();  // term_index_ from terms_

  TokenizerOptions tokenizer_;
  Bm25Options bm25_;
  double avgdl_ = 0;
  std::uint32_t docs_with_terms_ = 0;
  std::vector<std::string> terms_;
  std::vector<float> idf_;
  std::unordered_map<std::string, std::uint32_t> term_index_;
  dataset::CsrMatrix vectors_;
  dataset::CsrMatrix postings_;
};

}  // namespace tailor::model::text

namespace tailor::model {
class Recommender;
namespace detail {
// The text index of a fitted bm25 model (for hybrid's diversity and tests);
// nullptr when `model` is not bm25. Lives as long as the model.
const text::TextIndex* bm25_text_index(const Recommender& model);
}  // namespace detail
}  // namespace tailor::model
