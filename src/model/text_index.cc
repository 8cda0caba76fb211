// The tokenizer (ICU word breaks + Snowball) and the BM25 TextIndex; see
// text_index.h for the pipeline and the weighting formulas.
#include "text_index.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/ubrk.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "tailor/model/model.h"

namespace tailor::model::text {
namespace {

// English: the usual function words of product and catalogue text (Lucene's
// English set plus pronouns and auxiliaries). Chinese: function words and
// pronouns only; content characters such as 上 / 中 / 下 stay, they start words.
constexpr std::string_view kStopwords[] = {
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "being", "both", "but", "by", "can", "could", "did", "do", "does", "each", "few", "for", "from",
    "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is",
    "it", "it's", "its", "itself", "just", "me", "more", "most", "my", "no", "nor", "not", "of",
    "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she",
    "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "you", "your", "yours",
    // Chinese
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "或", "是", "在", "也", "有", "就", "都",
    "而", "之", "于", "以", "为", "对", "把", "被", "让", "给", "从", "等", "很", "更", "最", "又",
    "还", "并", "且", "但", "这", "那", "这个", "那个", "一个", "我", "你", "他", "她", "它", "们",
    "我们", "你们", "他们", "吗", "呢", "吧", "啊",
};

const std::unordered_set<std::string_view>& stopword_set() {
  static const std::unordered_set<std::string_view> set(std::begin(kStopwords), std::end(kStopwords));
  return set;
}

struct StemmerDeleter {
  void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
};

bool is_han(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  return uscript_getScript(c, &status) == USCRIPT_HAN && U_SUCCESS(status);
}

[[noreturn]] void corrupt(const std::string& what) {
  throw_error(ErrorCode::kCorruption, "model file: text index: " + what);
}

constexpr std::uint32_t kFlagStem = 1;
constexpr std::uint32_t kFlagStopwords = 2;
constexpr std::uint32_t kFlagBigrams = 4;

}  // namespace

bool is_stopword(std::string_view token) { return stopword_set().count(token) > 0; }

// ------------------------------------------------------------- Tokenizer ---

struct Tokenizer::Impl {
  TokenizerOptions options;
  const icu::Normalizer2* fold = nullptr;  // NFKC_Casefold, owned by ICU
  std::unique_ptr<icu::BreakIterator> words;
  std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer;
};

Tokenizer::Tokenizer(const TokenizerOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  UErrorCode status = U_ZERO_ERROR;
  impl_->fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) throw_error(ErrorCode::kInternal, "tokenizer: ICU NFKC_Casefold unavailable");
  impl_->words.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || !impl_->words)
    throw_error(ErrorCode::kInternal, "tokenizer: ICU word break iterator unavailable");
  if (options.stem) {
    impl_->stemmer.reset(sb_stemmer_new("english", "UTF_8"));
    if (!impl_->stemmer) throw_error(ErrorCode::kInternal, "tokenizer: Snowball English stemmer unavailable");
  }
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

std::vector<std::string> Tokenizer::tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  if (text.empty()) return tokens;
  Impl& impl = *impl_;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString raw =
      icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString folded = impl.fold->normalize(raw, status);
  if (U_FAILURE(status)) throw_error(ErrorCode::kInternal, "tokenizer: ICU case folding failed");

  impl.words->setText(folded);
  std::string token;
  for (std::int32_t start = impl.words->first(), end = impl.words->next(); end != icu::BreakIterator::DONE;
       start = end, end = impl.words->next()) {
    const std::int32_t rule = impl.words->getRuleStatus();
    if (rule < UBRK_WORD_NONE_LIMIT) continue;  // spaces, punctuation, symbols
    token.clear();
    folded.tempSubStringBetween(start, end).toUTF8String(token);
    if (impl.options.stopwords && is_stopword(token)) continue;
    if (impl.stemmer && rule >= UBRK_WORD_LETTER && rule < UBRK_WORD_LETTER_LIMIT) {
      UErrorCode script_status = U_ZERO_ERROR;
      if (uscript_getScript(folded.char32At(start), &script_status) == USCRIPT_LATIN) {
        const sb_symbol* stem = sb_stemmer_stem(impl.stemmer.get(), reinterpret_cast<const sb_symbol*>(token.data()),
                                                static_cast<int>(token.size()));
        if (stem != nullptr) {
          token.assign(reinterpret_cast<const char*>(stem), static_cast<std::size_t>(sb_stemmer_length(impl.stemmer.get())));
        }
      }
    }
    if (!token.empty()) tokens.push_back(token);
  }

  if (impl.options.cjk_bigrams) {
    // Walk code points; `previous` is the Han character before this one in the
    // current run (empty at a run's start or after a stopword character).
    std::string previous;
    std::string current;
    for (std::int32_t pos = 0; pos < folded.length(); pos = folded.moveIndex32(pos, 1)) {
      const UChar32 c = folded.char32At(pos);
      if (!is_han(c)) {
        previous.clear();
        continue;
      }
      current.clear();
      icu::UnicodeString(c).toUTF8String(current);
      if (impl.options.stopwords && is_stopword(current)) {
        previous.clear();
        continue;
      }
      if (!previous.empty()) tokens.push_back(previous + current);
      previous = current;
    }
  }
  return tokens;
}

// ------------------------------------------------------------- TextIndex ---

TextIndex TextIndex::build(std::span<const std::vector<Field>> documents, const TokenizerOptions& tokenizer,
                           const Bm25Options& bm25, int threads) {
  TAILOR_CHECK_ARG(std::isfinite(bm25.k1) && bm25.k1 >= 0, "text index: k1 must be >= 0");
  TAILOR_CHECK_ARG(std::isfinite(bm25.b) && bm25.b >= 0 && bm25.b <= 1, "text index: b must be in [0, 1]");
  for (const auto& fields : documents)
    for (const Field& field : fields)
      TAILOR_CHECK_ARG(std::isfinite(field.weight) && field.weight >= 0, "text index: field weights must be >= 0");

  // 1. Per document: (token, tf) sorted by token text.
  const std::size_t doc_count = documents.size();
  std::vector<std::vector<std::pair<std::string, double>>> doc_terms(doc_count);
  std::vector<std::unique_ptr<Tokenizer>> tokenizers(static_cast<std::size_t>(worker_count(threads, doc_count)));
  parallel_for_worker(0, doc_count, threads, [&](std::size_t doc_idx, int worker) {
    auto& own = tokenizers[static_cast<std::size_t>(worker)];
    if (!own) own = std::make_unique<Tokenizer>(tokenizer);
    std::vector<std::pair<std::string, double>> counts;
    for (const Field& field : documents[doc_idx]) {
      if (field.weight <= 0) continue;
      for (std::string& token : own->tokenize(field.text)) counts.emplace_back(std::move(token), field.weight);
    }
    std::sort(counts.begin(), counts.end());
    auto& merged = doc_terms[doc_idx];
    for (auto& [token, weight] : counts) {
      if (!merged.empty() && merged.back().first == token) {
        merged.back().second += weight;
      } else {
        merged.emplace_back(std::move(token), weight);
      }
    }
  });

  // 2. Vocabulary in byte order, document frequencies, lengths.
  TextIndex index;
  index.tokenizer_ = tokenizer;
  index.bm25_ = bm25;
  {
    std::vector<std::string_view> all;
    for (const auto& terms : doc_terms)
      for (const auto& term_tf : terms) all.push_back(term_tf.first);
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    index.terms_.assign(all.begin(), all.end());
  }
  index.finish_lookup();
  std::vector<std::uint32_t> df(index.terms_.size(), 0);
  std::vector<double> lengths(doc_count, 0);
  double total_length = 0;
  for (std::size_t doc_idx = 0; doc_idx < doc_count; ++doc_idx) {
    if (doc_terms[doc_idx].empty()) continue;
    ++index.docs_with_terms_;
    for (const auto& [token, tf] : doc_terms[doc_idx]) {
      ++df[index.term_index_.at(token)];
      lengths[doc_idx] += tf;
    }
    total_length += lengths[doc_idx];
  }
  index.avgdl_ = index.docs_with_terms_ > 0 ? total_length / index.docs_with_terms_ : 0;
  const double n = index.docs_with_terms_;
  index.idf_.resize(df.size());
  for (std::size_t term_idx = 0; term_idx < df.size(); ++term_idx)
    index.idf_[term_idx] = static_cast<float>(std::log(1.0 + (n - df[term_idx] + 0.5) / (df[term_idx] + 0.5)));

  // 3. BM25 weights, L2-normalised rows. Terms of a document come sorted by
  // text, which is id order.
  dataset::CsrMatrix& m = index.vectors_;
  m.rows = static_cast<std::uint32_t>(doc_count);
  m.cols = static_cast<std::uint32_t>(index.terms_.size());
  m.indptr.assign(1, 0);
  std::vector<double> weights;
  for (std::size_t doc_idx = 0; doc_idx < doc_count; ++doc_idx) {
    const double length_norm = index.avgdl_ > 0 ? lengths[doc_idx] / index.avgdl_ : 1.0;
    const double saturation = bm25.k1 * (1.0 - bm25.b + bm25.b * length_norm);
    weights.clear();
    double sum_sq = 0;
    for (const auto& [token, tf] : doc_terms[doc_idx]) {
      const double w = index.idf_[index.term_index_.at(token)] * tf * (bm25.k1 + 1.0) / (tf + saturation);
      weights.push_back(w);
      sum_sq += w * w;
    }
    const double norm = std::sqrt(sum_sq);
    for (std::size_t pos = 0; pos < weights.size(); ++pos) {
      if (!(norm > 0) || !(weights[pos] > 0)) continue;
      m.indices.push_back(index.term_index_.at(doc_terms[doc_idx][pos].first));
      m.values.push_back(static_cast<float>(weights[pos] / norm));
    }
    m.indptr.push_back(m.indices.size());
  }
  index.postings_ = index.vectors_.transpose();
  return index;
}

void TextIndex::finish_lookup() {
  term_index_.clear();
  term_index_.reserve(terms_.size());
  for (std::uint32_t term_idx = 0; term_idx < terms_.size(); ++term_idx) term_index_.emplace(terms_[term_idx], term_idx);
}

std::optional<std::uint32_t> TextIndex::find_term(std::string_view text) const {
  auto it = term_index_.find(std::string(text));
  if (it == term_index_.end()) return std::nullopt;
  return it->second;
}

float TextIndex::cosine(std::uint32_t doc_a, std::uint32_t doc_b) const {
  auto terms_a = vectors_.row_indices(doc_a);
  auto values_a = vectors_.row_values(doc_a);
  auto terms_b = vectors_.row_indices(doc_b);
  auto values_b = vectors_.row_values(doc_b);
  double dot = 0;
  std::size_t pos_a = 0;
  std::size_t pos_b = 0;
  while (pos_a < terms_a.size() && pos_b < terms_b.size()) {
    if (terms_a[pos_a] < terms_b[pos_b]) {
      ++pos_a;
    } else if (terms_b[pos_b] < terms_a[pos_a]) {
      ++pos_b;
    } else {
      dot += static_cast<double>(values_a[pos_a++]) * values_b[pos_b++];
    }
  }
  return static_cast<float>(dot);
}

SparseVector TextIndex::vectorize(std::span<const Field> fields) const {
  Tokenizer tokenizer(tokenizer_);
  std::vector<std::pair<std::uint32_t, double>> known;
  double length = 0;
  for (const Field& field : fields) {
    TAILOR_CHECK_ARG(std::isfinite(field.weight) && field.weight >= 0, "text index: field weights must be >= 0");
    if (field.weight <= 0) continue;
    for (const std::string& token : tokenizer.tokenize(field.text)) {
      length += field.weight;
      auto it = term_index_.find(token);
      if (it != term_index_.end()) known.emplace_back(it->second, field.weight);
    }
  }
  std::sort(known.begin(), known.end());
  std::vector<std::pair<std::uint32_t, double>> tfs;
  for (const auto& [term_idx, weight] : known) {
    if (!tfs.empty() && tfs.back().first == term_idx) {
      tfs.back().second += weight;
    } else {
      tfs.emplace_back(term_idx, weight);
    }
  }
  const double length_norm = avgdl_ > 0 ? length / avgdl_ : 1.0;
  const double saturation = bm25_.k1 * (1.0 - bm25_.b + bm25_.b * length_norm);
  double sum_sq = 0;
  for (auto& [term_idx, tf] : tfs) {
    tf = idf_[term_idx] * tf * (bm25_.k1 + 1.0) / (tf + saturation);
    sum_sq += tf * tf;
  }
  SparseVector out;
  const double norm = std::sqrt(sum_sq);
  if (!(norm > 0)) return out;
  for (const auto& [term_idx, w] : tfs)
    if (w > 0) out.emplace_back(term_idx, static_cast<float>(w / norm));
  return out;
}

SparseVector TextIndex::weighted_sum(std::span<const std::uint32_t> docs, std::span<const float> weights) const {
  TAILOR_ASSERT(weights.empty() || weights.size() == docs.size());
  std::vector<std::pair<std::uint32_t, float>> parts;
  for (std::size_t pos = 0; pos < docs.size(); ++pos) {
    TAILOR_ASSERT(docs[pos] < doc_count());
    const float weight = weights.empty() ? 1.0f : weights[pos];
    auto terms = vectors_.row_indices(docs[pos]);
    auto values = vectors_.row_values(docs[pos]);
    for (std::size_t term_pos = 0; term_pos < terms.size(); ++term_pos)
      parts.emplace_back(terms[term_pos], weight * values[term_pos]);
  }
  // Stable: equal terms are summed in history order, whatever the sort does.
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  SparseVector out;
  for (const auto& [term_idx, value] : parts) {
    if (!out.empty() && out.back().first == term_idx) {
      out.back().second += value;
    } else {
      out.emplace_back(term_idx, value);
    }
  }
  std::erase_if(out, [](const auto& entry) { return entry.second == 0; });
  return out;
}

void TextIndex::dot_all(const SparseVector& query, std::span<float> dots) const {
  TAILOR_ASSERT(dots.size() == doc_count());
  for (const auto& [term_idx, q] : query) {
    auto docs = postings_.row_indices(term_idx);
    auto values = postings_.row_values(term_idx);
    for (std::size_t pos = 0; pos < docs.size(); ++pos) dots[docs[pos]] += q * values[pos];
  }
}

void TextIndex::save(std::ostream& out) const {
  io::write_f64(out, bm25_.k1);
  io::write_f64(out, bm25_.b);
  io::write_u32(out, (tokenizer_.stem ? kFlagStem : 0) | (tokenizer_.stopwords ? kFlagStopwords : 0) |
                         (tokenizer_.cjk_bigrams ? kFlagBigrams : 0));
  io::write_f64(out, avgdl_);
  io::write_u32(out, docs_with_terms_);
  io::write_u32(out, static_cast<std::uint32_t>(terms_.size()));
  for (const std::string& term : terms_) io::write_string(out, term);
  io::write_floats(out, idf_);
  io::write_csr(out, vectors_);
}

TextIndex TextIndex::load(std::istream& in) {
  TextIndex index;
  index.bm25_.k1 = io::read_f64(in);
  index.bm25_.b = io::read_f64(in);
  const std::uint32_t flags = io::read_u32(in);
  if ((flags & ~(kFlagStem | kFlagStopwords | kFlagBigrams)) != 0) corrupt("unknown tokenizer flags");
  index.tokenizer_.stem = (flags & kFlagStem) != 0;
  index.tokenizer_.stopwords = (flags & kFlagStopwords) != 0;
  index.tokenizer_.cjk_bigrams = (flags & kFlagBigrams) != 0;
  index.avgdl_ = io::read_f64(in);
  index.docs_with_terms_ = io::read_u32(in);
  const std::uint32_t term_count = io::read_u32(in);
  for (std::uint32_t term_idx = 0; term_idx < term_count; ++term_idx) {
    index.terms_.push_back(io::read_string(in));
    if (term_idx > 0 && !(index.terms_[term_idx - 1] < index.terms_[term_idx])) corrupt("terms out of order");
  }
  index.idf_ = io::read_floats(in);
  index.vectors_ = io::read_csr(in);
  if (index.idf_.size() != term_count || index.vectors_.cols != term_count)
    corrupt("vectors do not match the vocabulary");
  if (!std::isfinite(index.avgdl_) || index.avgdl_ < 0 || index.docs_with_terms_ > index.vectors_.rows)
    corrupt("bad document statistics");
  index.finish_lookup();
  index.postings_ = index.vectors_.transpose();
  return index;
}

}  // namespace tailor::model::text
