// Review sentiment: binarised multinomial Naive Bayes per language over the
// shared tokenizer (src/model/text_index.h), with negation marking. The maths
// is in include/tailor/profile/profile.h next to the declarations.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "tailor/core/core.h"
#include "tailor/data/import.h"
#include "tailor/profile/profile.h"
#include "tailor/store/store.h"
#include "text_index.h"

namespace tailor::profile {
namespace {

constexpr int kNegationSpan = 3;  // word tokens marked after a negation word
constexpr const char* kFormat = "tailor-sentiment";
constexpr int kVersion = 1;

bool is_han_start(std::string_view text, std::size_t pos) {
  // Han ideographs U+3400..U+9FFF are 3-byte UTF-8 sequences E3 90 80 .. E9 BF BF.
  const auto b = static_cast<unsigned char>(text[pos]);
  return b >= 0xE3 && b <= 0xE9 && pos + 2 < text.size() &&
         !(b == 0xE3 && static_cast<unsigned char>(text[pos + 1]) < 0x90);
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_negation(std::string_view token) {
  static const std::unordered_set<std::string_view> kWords = {"不", "没", "没有", "别", "无", "未", "不是", "not",
                                                              "no", "never", "cannot", "nor"};
  return kWords.contains(token) || ends_with(token, "n't") || ends_with(token, "n\xE2\x80\x99t");
}

// splitmix64 finaliser: the split must not depend on the platform's std::shuffle.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// RFC 4180 records: quoted fields may hold commas, "" and newlines.
std::vector<std::vector<std::string>> parse_csv_records(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  std::size_t pos = starts_with(text, "\xEF\xBB\xBF") ? 3 : 0;  // UTF-8 BOM
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quoted) {
      if (c == '"' && pos + 1 < text.size() && text[pos + 1] == '"') {
        field += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

void load_douban(const std::filesystem::path& file, std::vector<SentimentExample>& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_error(ErrorCode::kIO, "cannot read " + file.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  auto records = parse_csv_records(buffer.str());
  if (records.empty()) return;
  const auto& header = records[0];
  auto column = [&](std::string_view name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw_error(ErrorCode::kCorruption, file.string() + ": no column '" + std::string(name) + "'");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t content = column("content"), rating = column("rating");
  for (std::size_t row = 1; row < records.size(); ++row) {
    const auto& r = records[row];
    if (r.size() <= std::max(content, rating) || r[rating].empty() || r[content].empty()) continue;
    const int stars = std::atoi(r[rating].c_str());
    if (stars == 3 || stars < 1 || stars > 5) continue;
    out.push_back({r[content], stars >= 4, "zh"});
  }
}

// Collects the review events of an Amazon import in memory.
class ReviewSink final : public data::ImportSink {
 public:
  explicit ReviewSink(std::vector<SentimentExample>& out) : out_(out) {}
  void put_user(const data::User&) override {}
  void put_item(const data::Item&) override {}
  bool put_event(const data::Event& event) override {
    const int stars = static_cast<int>(std::lround(event.value));
    if (stars == 3) return true;
    std::string text;
    for (const char* key : {"summary", "review"}) {
      auto it = event.context.find(key);
      if (it != event.context.end() && it->is_string()) text += (text.empty() ? "" : ". ") + it->get<std::string>();
    }
    if (!text.empty()) out_.push_back({std::move(text), stars >= 4, "en"});
    return true;
  }

 private:
  std::vector<SentimentExample>& out_;
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

void SentimentOptions::validate() const {
  TAILOR_CHECK_ARG(alpha > 0 && alpha <= 10, "sentiment alpha must be in (0, 10]");
  TAILOR_CHECK_ARG(min_count >= 1 && min_count <= 1000, "sentiment min_count must be in [1, 1000]");
}

std::string detect_language(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size(); ++pos)
    if (is_han_start(text, pos)) return "zh";
  return "en";
}

std::vector<std::string> sentiment_tokens(std::string_view text) {
  // Stopwords stay in the tokenizer's output (its list holds "not" and 不);
  // they are dropped here after negation marking.
  thread_local model::text::Tokenizer words({.stem = true, .stopwords = false, .cjk_bigrams = false});
  thread_local model::text::Tokenizer bigrams({.stem = true, .stopwords = true, .cjk_bigrams = true});
  std::vector<std::string> out;
  int negate = 0;
  for (std::string& token : words.tokenize(text)) {
    if (is_negation(token)) {
      negate = kNegationSpan;
      continue;
    }
    bool negated = negate > 0;
    if (negate > 0) --negate;
    for (std::string_view prefix : {std::string_view("不"), std::string_view("没")}) {
      if (starts_with(token, prefix) && token.size() > prefix.size()) {
        token = token.substr(prefix.size());
        negated = !negated;
        break;
      }
    }
    if (model::text::is_stopword(token)) continue;
    out.push_back(negated ? "!" + token : token);
  }
  // Han bigrams (the tokenizer emits them after the words) as extra features.
  const auto with_bigrams = bigrams.tokenize(text);
  for (const std::string& token : with_bigrams)
    if (token.size() == 6 && is_han_start(token, 0) && is_han_start(token, 3)) out.push_back("#" + token);
  return out;
}

SentimentModel SentimentModel::train(std::span<const SentimentExample> examples, const SentimentOptions& options) {
  options.validate();
  SentimentModel model;
  model.alpha_ = options.alpha;
  for (const SentimentExample& example : examples) {
    auto& lang = model.langs_[example.lang.empty() ? detect_language(example.text) : example.lang];
    const int cls = example.positive ? 1 : 0;
    lang.docs[cls] += 1;
    auto tokens = sentiment_tokens(example.text);
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    for (const std::string& token : tokens) {
      auto& counts = lang.tokens[token];
      (cls ? counts.second : counts.first) += 1;
    }
  }
  for (auto& [name, lang] : model.langs_) {
    std::erase_if(lang.tokens, [&](const auto& entry) {
      return entry.second.first + entry.second.second < static_cast<float>(options.min_count);
    });
    for (const auto& [token, counts] : lang.tokens) {
      lang.totals[0] += counts.first;
      lang.totals[1] += counts.second;
    }
  }
  return model;
}

double SentimentModel::score(std::string_view text) const {
  auto it = langs_.find(detect_language(text));
  if (it == langs_.end()) return 0.5;
  const Language& lang = it->second;
  if (lang.docs[0] == 0 || lang.docs[1] == 0) return lang.docs[1] > 0 ? 1.0 : 0.5;
  auto tokens = sentiment_tokens(text);
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  const double vocab = static_cast<double>(lang.tokens.size());
  const double denom_neg = lang.totals[0] + alpha_ * vocab, denom_pos = lang.totals[1] + alpha_ * vocab;
  double log_odds = std::log(lang.docs[1] / lang.docs[0]);
  bool known = false;
  for (const std::string& token : tokens) {
    auto t = lang.tokens.find(token);
    if (t == lang.tokens.end()) continue;
    known = true;
    log_odds += std::log((t->second.second + alpha_) / denom_pos) - std::log((t->second.first + alpha_) / denom_neg);
  }
  return known ? sigmoid(log_odds) : 0.5;
}

std::vector<std::string> SentimentModel::languages() const {
  std::vector<std::string> out;
  for (const auto& entry : langs_) out.push_back(entry.first);
  return out;
}

Json SentimentModel::to_json() const {
  Json langs = Json::object();
  for (const auto& [name, lang] : langs_) {
    // Sorted so the same training data gives the same bytes.
    std::map<std::string, std::pair<float, float>> sorted(lang.tokens.begin(), lang.tokens.end());
    Json tokens = Json::object();
    for (const auto& [token, counts] : sorted) tokens[token] = {counts.first, counts.second};
    langs[name] = {{"docs", {lang.docs[0], lang.docs[1]}}, {"tokens", std::move(tokens)}};
  }
  return {{"format", kFormat}, {"version", kVersion}, {"model", "naive-bayes"}, {"alpha", alpha_},
          {"languages", std::move(langs)}};
}

SentimentModel SentimentModel::from_json(const Json& doc) {
  if (!doc.is_object() || doc.value("format", "") != kFormat)
    throw_error(ErrorCode::kCorruption, "not a tailor-sentiment model");
  if (doc.value("version", 0) > kVersion)
    throw_error(ErrorCode::kCorruption, "sentiment model version " + std::to_string(doc.value("version", 0)) +
                                            " is newer than this build (" + std::to_string(kVersion) + ")");
  SentimentModel model;
  try {
    model.alpha_ = doc.at("alpha").get<double>();
    for (const auto& [name, entry] : doc.at("languages").items()) {
      Language& lang = model.langs_[name];
      lang.docs[0] = entry.at("docs").at(0).get<double>();
      lang.docs[1] = entry.at("docs").at(1).get<double>();
      for (const auto& [token, counts] : entry.at("tokens").items()) {
        lang.tokens[token] = {counts.at(0).get<float>(), counts.at(1).get<float>()};
        lang.totals[0] += counts.at(0).get<double>();
        lang.totals[1] += counts.at(1).get<double>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorCode::kCorruption, std::string("sentiment model: ") + e.what());
  }
  return model;
}

std::vector<SentimentExample> load_sentiment_examples(const std::string& datasets_dir) {
  namespace fs = std::filesystem;
  std::vector<SentimentExample> out;
  const fs::path root(datasets_dir);
  const fs::path douban = root / "douban-moviedata-small" / "comments.csv";
  if (fs::exists(douban)) load_douban(douban, out);
  std::vector<fs::path> amazon;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(root, ec)) {
    if (!dir.is_directory() || !starts_with(dir.path().filename().string(), "amazon2018-")) continue;
    for (const auto& file : fs::directory_iterator(dir.path()))
      if (ends_with(file.path().filename().string(), "_5.json.gz")) amazon.push_back(file.path());
  }
  std::sort(amazon.begin(), amazon.end());
  data::ImportPolicy policy;
  policy.rating_min = 1;
  policy.rating_max = 5;
  for (const auto& file : amazon) {
    ReviewSink sink(out);
    data::import_amazon(file.string(), policy, sink, true);
  }
  if (out.empty())
    throw_error(ErrorCode::kNotFound, "no Douban comments or Amazon 2018 reviews under " + datasets_dir);
  return out;
}

void split_sentiment_examples(std::span<const SentimentExample> examples, double test_fraction, std::uint64_t seed,
                              std::vector<SentimentExample>& train, std::vector<SentimentExample>& test) {
  TAILOR_CHECK_ARG(test_fraction >= 0 && test_fraction < 1, "test fraction must be in [0, 1)");
  for (std::size_t idx = 0; idx < examples.size(); ++idx) {
    const double u = static_cast<double>(mix(seed * 0x100000001B3ULL + idx) >> 11) * 0x1.0p-53;
    (u < test_fraction ? test : train).push_back(examples[idx]);
  }
}

std::vector<SentimentAccuracy> evaluate_sentiment(const SentimentModel& model,
                                                  std::span<const SentimentExample> test) {
  std::map<std::string, std::array<std::size_t, 4>> counts;  // lang -> [n, correct, positives, correct positives]
  for (const SentimentExample& example : test) {
    auto& c = counts[example.lang.empty() ? detect_language(example.text) : example.lang];
    c[0] += 1;
    const bool correct = (model.score(example.text) >= 0.5) == example.positive;
    c[1] += correct ? 1 : 0;
    c[2] += example.positive ? 1 : 0;
    c[3] += correct && example.positive ? 1 : 0;
  }
  std::vector<SentimentAccuracy> out;
  for (const auto& [lang, c] : counts) {
    const double n = static_cast<double>(c[0]);
    const double positives = static_cast<double>(c[2]), negatives = n - positives;
    const double recall_pos = positives > 0 ? static_cast<double>(c[3]) / positives : 0;
    const double recall_neg = negatives > 0 ? static_cast<double>(c[1] - c[3]) / negatives : 0;
    out.push_back({lang, c[0], static_cast<double>(c[1]) / n, positives / n, (recall_pos + recall_neg) / 2});
  }
  return out;
}

StoreSentiment score_store_reviews(const store::Store& store, const SentimentModel& model) {
  std::vector<std::string> user_ids;
  store.scan_users([&](std::uint32_t, const data::User& user) { user_ids.push_back(user.id); });
  std::map<std::string, SentimentAggregate> users, items;
  StoreSentiment result;
  auto add = [](SentimentAggregate& agg, const std::string& id, double score) {
    agg.id = id;
    agg.count += 1;
    (score >= 0.5 ? agg.positive : agg.negative) += 1;
    agg.mean_score += score;  // divided by count below
  };
  for (const std::string& user_id : user_ids) {
    for (const data::Event& event : store.user_events(user_id)) {
      std::string text;
      for (const char* key : {"text", "summary", "review"}) {
        auto it = event.context.find(key);
        if (it != event.context.end() && it->is_string() && !it->get_ref<const std::string&>().empty())
          text += (text.empty() ? "" : ". ") + it->get<std::string>();
      }
      if (text.empty()) continue;
      const double score = model.score(text);
      result.reviews += 1;
      add(users[event.user_id], event.user_id, score);
      add(items[event.item_id], event.item_id, score);
    }
  }
  for (auto* target : {&users, &items}) {
    auto& out = target == &users ? result.users : result.items;
    for (auto& [id, agg] : *target) {
      agg.mean_score /= static_cast<double>(agg.count);
      out.push_back(agg);
    }
  }
  return result;
}

}  // namespace tailor::profile
