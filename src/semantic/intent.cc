// parse_intent: a shopping query -> Intent (categories, attributes, price
// range, must-have / exclude terms, language).
//
// Two sources, merged:
//   rules      always run, in fold() form: prices ("2000元以内", "under $50",
//              "between 100 and 300", "3千", "1000-2000元", "至少500"),
//              exclusions ("不要X", "without X", "except X"), must-haves
//              ("必须有X", "must have X"), attribute words (lexicon.h) and
//              categories by lexicon (longest term wins), else by embedding
//              similarity of the query to the category names.
//   generator  optional, GBNF-constrained to the Intent JSON (intent_grammar)
//              with a few-shot ChatML prompt. A 135M model is weak, so its
//              output only adds what the query supports: its categories must
//              map onto the catalogue, its prices and terms must occur in the
//              query, and rule results win on conflict.
// The language is always the script's (detect_language), never the model's.
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "lexicon.h"
#include "tailor/core/core.h"
#include "tailor/semantic/semantic.h"
#include "text_scan.h"

namespace tailor::semantic {
namespace {

using detail::fold32;
using detail::to_u32;
using detail::to_utf8;

constexpr std::size_t kMaxQueryChars = 512;     // longer queries are cut (a query, not a document)
constexpr std::size_t kMaxTerms = 6;            // per must_have / exclude list
// Characters between a negation and the term it negates ("不要那种", "not from the ").
constexpr std::size_t kNegationReach = 10;
constexpr std::size_t kMaxTermChars = 24;
constexpr int kIntentMaxTokens = 320;           // the grammar bounds the JSON well below this
// e5 cosines are compressed into ~[0.7, 0.95]: a category must clear the
// floor and be within the margin of the best one.
constexpr float kEmbedMinCosine = 0.82f;
constexpr float kEmbedMargin = 0.015f;
constexpr std::size_t kEmbedMaxCategories = 3;
constexpr double kMaxPrice = 1e9;  // larger "prices" are typos or ids

// ------------------------------------------------------------ categories ---

// The catalogue's categories by folded name.
class Catalogue {
 public:
  explicit Catalogue(const std::vector<std::string>& categories) {
    if (categories.empty()) {  // no catalogue given: the lexicon's own names
      for (const auto& entry : detail::category_terms())
        detail::for_each_term(entry.categories, [&](std::string_view path) { add(std::string(path)); });
    } else {
      for (const auto& category : categories) add(category);
    }
  }
  // The catalogue category a lexicon path stands for: itself, else its top level.
  std::optional<std::string> resolve(std::string_view path) const {
    if (auto it = by_fold_.find(detail::fold(path)); it != by_fold_.end()) return it->second;
    if (auto slash = path.find('/'); slash != std::string_view::npos)
      if (auto it = by_fold_.find(detail::fold(path.substr(0, slash))); it != by_fold_.end()) return it->second;
    return std::nullopt;
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  void add(const std::string& name) {
    auto key = detail::fold(name);
    if (key.empty() || by_fold_.contains(key)) return;
    by_fold_[key] = name;
    names_.push_back(name);
  }
  std::map<std::string, std::string> by_fold_;
  std::vector<std::string> names_;
};

struct Span {
  std::size_t begin = 0, end = 0;
};
bool overlaps(const Span& a, const Span& b) { return a.begin < b.end && b.begin < a.end; }
bool overlaps_any(const Span& span, const std::vector<Span>& spans) {
  return std::any_of(spans.begin(), spans.end(), [&](const Span& s) { return overlaps(span, s); });
}

struct TermMatch {
  Span span;
  std::vector<std::string> categories;  // catalogue names
  bool weak = false;
};

void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

// Categories named in `text` (folded): lexicon terms, then the catalogue's own
// names ("earbuds", "phones audio"). Longest match first, non-overlapping, and
// outside `masked` (the objects of exclusions).
std::vector<std::string> lexicon_categories(std::u32string_view text, const Catalogue& catalogue,
                                            const std::vector<Span>& masked) {
  std::vector<TermMatch> matches;
  auto add_matches = [&](std::u32string_view term, std::vector<std::string> categories, bool weak) {
    if (categories.empty() || term.empty()) return;
    std::vector<std::u32string> forms = {std::u32string(term)};
    if (detail::is_ascii_alpha(term.back()) && term.back() != U's') forms.push_back(std::u32string(term) + U"s");
    for (const auto& form : forms)
      for (std::size_t pos : detail::find_term(text, form)) matches.push_back({{pos, pos + form.size()}, categories, weak});
  };
  for (const auto& entry : detail::category_terms()) {
    std::vector<std::string> resolved;
    detail::for_each_term(entry.categories, [&](std::string_view path) {
      if (auto name = catalogue.resolve(path)) add_unique(resolved, *name);
    });
    detail::for_each_term(entry.terms, [&](std::string_view term) { add_matches(to_u32(term), resolved, entry.weak); });
  }
  for (const auto& name : catalogue.names()) {
    std::string leaf = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
    std::string spaced = leaf;
    std::replace(spaced.begin(), spaced.end(), '-', ' ');
    std::string path_spaced = name;
    std::replace(path_spaced.begin(), path_spaced.end(), '/', ' ');
    std::replace(path_spaced.begin(), path_spaced.end(), '-', ' ');
    for (const auto& form : {leaf, spaced, path_spaced}) {
      auto folded = fold32(form);
      auto counts = detail::script_counts(form);
      if (counts.cjk >= 2 || counts.latin >= 3) add_matches(folded, {name}, name.find('/') == std::string::npos);
    }
  }
  std::stable_sort(matches.begin(), matches.end(), [](const TermMatch& a, const TermMatch& b) {
    return a.span.end - a.span.begin > b.span.end - b.span.begin;
  });
  std::vector<Span> taken = masked;
  std::vector<std::string> strong, weak;
  for (const auto& match : matches) {
    if (overlaps_any(match.span, taken)) continue;
    taken.push_back(match.span);
    for (const auto& c : match.categories) add_unique(match.weak ? weak : strong, c);
  }
  auto result = strong.empty() ? weak : strong;
  // A parent is redundant next to its own child ("phones-audio" and "phones-audio/earbuds").
  std::vector<std::string> pruned;
  for (const auto& c : result) {
    bool has_child = std::any_of(result.begin(), result.end(),
                                 [&](const std::string& o) { return o.size() > c.size() && o.starts_with(c + "/"); });
    if (!has_child) pruned.push_back(c);
  }
  return pruned;
}

// Passage text for embedding a category: its path words and the lexicon's
// zh/en terms for it, so a Chinese query meets an English category id.
std::string category_passage(const std::string& name) {
  std::string text = name;
  std::replace(text.begin(), text.end(), '/', ' ');
  std::replace(text.begin(), text.end(), '-', ' ');
  auto folded = detail::fold(name);
  for (const auto& entry : detail::category_terms()) {
    bool mine = false;
    detail::for_each_term(entry.categories, [&](std::string_view path) { mine = mine || path == folded; });
    if (!mine) continue;
    int n = 0;
    detail::for_each_term(entry.terms, [&](std::string_view term) {
      if (n++ < 6) text += ", " + std::string(term);
    });
  }
  return text;
}

// Category vectors per (model, catalogue), computed once per process: a
// catalogue has tens to hundreds of categories and embedding them per query
// would dominate the parse.
std::vector<float> category_vectors(llm::Embedder& embedder, const std::vector<std::string>& names) {
  static std::mutex mutex;
  static std::map<std::string, std::vector<float>> cache;
  std::string key = embedder.model_id();
  for (const auto& n : names) key += '\x1f' + n;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::vector<std::string> passages;
  passages.reserve(names.size());
  for (const auto& n : names) passages.push_back(category_passage(n));
  auto vectors = embedder.embed(passages, llm::TextRole::kPassage);
  std::lock_guard lock(mutex);
  if (cache.size() >= 8) cache.clear();
  cache[key] = vectors;
  return vectors;
}

std::vector<std::string> embedding_categories(const std::string& text, const Catalogue& catalogue,
                                              llm::Embedder& embedder) {
  const auto& names = catalogue.names();
  if (names.empty()) return {};
  auto rows = category_vectors(embedder, names);
  std::vector<std::string> input = {text};
  auto query = embedder.embed(input, llm::TextRole::kQuery);
  auto dim = static_cast<std::size_t>(embedder.dim());
  TAILOR_ASSERT(query.size() == dim && rows.size() == names.size() * dim);
  std::vector<std::pair<float, std::size_t>> scored;
  for (std::size_t cat_idx = 0; cat_idx < names.size(); ++cat_idx)
    scored.push_back({llm::cosine(query, std::span<const float>(rows).subspan(cat_idx * dim, dim)), cat_idx});
  std::sort(scored.begin(), scored.end(), std::greater<>());
  std::vector<std::string> out;
  for (const auto& [score, cat_idx] : scored) {
    if (score < kEmbedMinCosine || score < scored.front().first - kEmbedMargin || out.size() >= kEmbedMaxCategories)
      break;
    out.push_back(names[cat_idx]);
  }
  return out;
}

// --------------------------------------------------------------- prices ---

bool starts_at(std::u32string_view text, std::size_t pos, std::u32string_view word) {
  if (text.size() < pos + word.size() || text.substr(pos, word.size()) != word) return false;
  std::size_t end = pos + word.size();
  return !(detail::is_ascii_alpha(word.back()) && end < text.size() && detail::is_ascii_alpha(text[end]));
}
bool ends_at(std::u32string_view text, std::size_t end, std::u32string_view word) {
  if (end < word.size() || text.substr(end - word.size(), word.size()) != word) return false;
  std::size_t begin = end - word.size();
  return !(detail::is_ascii_alpha(word.front()) && begin > 0 && detail::is_ascii_alpha(text[begin - 1]));
}
std::size_t skip_spaces(std::u32string_view text, std::size_t pos) {
  while (pos < text.size() && text[pos] == U' ') ++pos;
  return pos;
}
std::size_t skip_spaces_back(std::u32string_view text, std::size_t end) {
  while (end > 0 && text[end - 1] == U' ') --end;
  return end;
}
// The length of the first of `words` at `pos`, or 0.
std::size_t match_any(std::u32string_view text, std::size_t pos, std::initializer_list<std::u32string_view> words) {
  for (auto w : words)
    if (starts_at(text, pos, w)) return w.size();
  return 0;
}
bool ends_any(std::u32string_view text, std::size_t end, std::initializer_list<std::u32string_view> words) {
  for (auto w : words)
    if (ends_at(text, end, w)) return true;
  return false;
}

const std::initializer_list<std::u32string_view> kCurrencyAfter = {
    U"元", U"块钱", U"块", U"rmb", U"yuan", U"人民币", U"dollars", U"dollar", U"usd", U"bucks", U"cny", U"刀"};
const std::initializer_list<std::u32string_view> kCurrencyBefore = {U"¥", U"$", U"rmb", U"usd", U"cny", U"us$"};
// A number followed by one of these is a size, weight or spec, not a price.
const std::initializer_list<std::u32string_view> kNotPriceUnits = {
    U"gb", U"tb", U"mb", U"mah", U"hz", U"w", U"mm", U"cm", U"kg", U"g", U"ml", U"l", U"寸", U"英寸", U"核",
    U"人", U"天", U"小时", U"岁", U"个", U"件", U"米", U"斤", U"克", U"公斤", U"升", U"毫升", U"瓦", U"度",
    U"p", U"inch", U"in", U"hours", U"h", U"days", U"people", U"person", U"lb", U"lbs", U"oz", U"%", U"号",
    U"码", U"年", U"月", U"周", U"分钟", U"毫安", U"万像素", U"像素", U"帧", U"fps", U"year", U"yr", U"month",
    U"week", U"minute", U"min", U"second", U"sec"};
const std::initializer_list<std::u32string_view> kMaxBefore = {
    U"不要超过", U"别超过", U"不超过", U"不高于", U"低于", U"少于", U"最多", U"预算", U"最高", U"不到", U"小于", U"以内", U"under",
    U"below", U"less than", U"up to", U"at most", U"no more than", U"not more than", U"max", U"maximum",
    U"cheaper than", U"within", U"budget", U"budget of", U"budget is", U"<", U"<=", U"≤", U"not over",
    U"lower than", U"限价", U"控制在"};
const std::initializer_list<std::u32string_view> kMinBefore = {
    U"不低于", U"高于", U"超过", U"至少", U"大于", U"最低", U"over", U"above", U"at least", U"more than", U"min",
    U"minimum", U">", U">=", U"≥", U"starting at", U"no less than", U"not less than", U"higher than", U"from"};
const std::initializer_list<std::u32string_view> kAroundBefore = {U"大约", U"大概", U"约", U"around", U"about",
                                                                  U"approximately", U"roughly", U"~", U"差不多"};
const std::initializer_list<std::u32string_view> kMaxAfter = {
    U"以内", U"以下", U"之内", U"内", U"以里", U"封顶", U"or less", U"or below", U"or under", U"and under",
    U"and below", U"max", U"tops", U"at most", U"最多"};
const std::initializer_list<std::u32string_view> kMinAfter = {U"以上", U"起", U"or more", U"and up", U"and above",
                                                              U"plus", U"+", U"往上"};
const std::initializer_list<std::u32string_view> kAroundAfter = {U"左右", U"上下", U"附近", U"ish"};
const std::initializer_list<std::u32string_view> kRangeJoin = {U"-", U"~", U"～", U"到", U"至", U"—", U"to", U"and"};

struct PriceNumber {
  double value = 0;
  Span span;
  bool currency = false;     // a currency sign or word touches it
  bool price_like = false;   // currency, or an amount written like one (3千, 一千五, 1.5万)
  bool not_price = false;    // followed by a unit of something else
  std::size_t after = 0;     // first position after the number, its scale and currency
};

PriceNumber read_price_number(std::u32string_view q, const detail::NumberSpan& n) {
  PriceNumber p;
  p.value = n.value;
  p.span = {n.begin, n.end};
  std::size_t pos = n.end;
  // "3k", "5w": shopper shorthand for thousands and 万 (only when not a word: "4k monitor" stays 4).
  if (!n.chinese && n.value == n.raw && pos < q.size() && (q[pos] == U'k' || q[pos] == U'w') &&
      (pos + 1 >= q.size() || !detail::is_ascii_alpha(q[pos + 1]))) {
    p.value = n.raw * (q[pos] == U'k' ? 1000 : 10000);
    ++pos;
  }
  std::size_t unit_pos = skip_spaces(q, pos);
  if (auto len = match_any(q, unit_pos, kCurrencyAfter)) {
    p.currency = true;
    pos = unit_pos + len;
  } else if (match_any(q, unit_pos, kNotPriceUnits) && !match_any(q, unit_pos, kMaxAfter)) {
    p.not_price = true;
  }
  std::size_t before = skip_spaces_back(q, n.begin);
  if (ends_any(q, before, kCurrencyBefore)) p.currency = true;
  // Chinese shoppers write budgets as 3千 / 两千 / 1.5万; sizes and counts are
  // caught by kNotPriceUnits first. (Latin k/w are not enough: "4k monitor".)
  p.price_like = p.currency || (n.value != n.raw && p.value == n.value) || (n.chinese && n.value >= 100);
  p.after = pos;
  return p;
}

struct PriceRange {
  std::optional<double> min, max;
};

PriceRange rule_prices(std::u32string_view q) {
  PriceRange range;
  auto numbers = detail::find_numbers(q, detail::NumberMode::kPermissive);
  bool price_words = false;
  for (auto w : {U"价", U"钱", U"预算", U"price", U"budget", U"cost", U"元", U"块", U"$", U"¥", U"yuan", U"rmb"})
    price_words = price_words || q.find(w) != std::u32string_view::npos;
  auto set_max = [&](double v) { range.max = range.max ? std::min(*range.max, v) : v; };
  auto set_min = [&](double v) { range.min = range.min ? std::max(*range.min, v) : v; };
  for (std::size_t k = 0; k < numbers.size(); ++k) {
    auto first = read_price_number(q, numbers[k]);
    if (first.not_price || first.value > kMaxPrice) continue;
    // Strip a currency sign before the number so "under $50" reads "under".
    std::size_t before = skip_spaces_back(q, first.span.begin);
    for (auto sign : kCurrencyBefore)
      if (ends_at(q, before, sign)) before = skip_spaces_back(q, before - sign.size());
    // Range: "1000-2000元", "一千到两千", "between 100 and 300", "from 100 to 300".
    if (k + 1 < numbers.size()) {
      std::size_t join = skip_spaces(q, first.after);
      std::size_t join_len = match_any(q, join, kRangeJoin);
      bool between = ends_any(q, before, {U"between", U"介于", U"在"});
      bool is_and = join_len == 3 && q.substr(join, 3) == U"and";
      if (join_len > 0 && (!is_and || between)) {
        std::size_t next = skip_spaces(q, join + join_len);
        for (auto sign : kCurrencyBefore)
          if (starts_at(q, next, sign)) next = skip_spaces(q, next + sign.size());
        if (numbers[k + 1].begin == next) {
          auto second = read_price_number(q, numbers[k + 1]);
          if (!second.not_price && (first.price_like || second.price_like || price_words || between)) {
            double low = first.value;
            // "3-5千": the scale written once applies to both ends.
            if (second.value != numbers[k + 1].raw && low == numbers[k].raw && numbers[k + 1].raw != 0)
              low *= second.value / numbers[k + 1].raw;
            set_min(std::min(low, second.value));
            set_max(std::max(low, second.value));
            ++k;
            continue;
          }
        }
      }
    }
    std::size_t after = skip_spaces(q, first.after);
    if (ends_any(q, before, kMaxBefore) || match_any(q, after, kMaxAfter)) {
      set_max(first.value);
    } else if (ends_any(q, before, kMinBefore) || match_any(q, after, kMinAfter)) {
      set_min(first.value);
    } else if (ends_any(q, before, kAroundBefore) || match_any(q, after, kAroundAfter)) {
      set_min(std::floor(first.value * 0.8));
      set_max(std::ceil(first.value * 1.2));
    } else if (first.price_like) {
      set_max(first.value);  // a bare amount ("6000元的手机", "1.5万的笔记本") is a budget
    }
  }
  if (range.min && range.max && *range.min > *range.max) std::swap(range.min, range.max);
  return range;
}

// ---------------------------------------------------------------- terms ---

const std::initializer_list<std::u32string_view> kExcludeTriggers = {
    U"不要", U"不想要", U"别要", U"不需要", U"除了", U"排除", U"不含", U"不带", U"不包括", U"拒绝", U"不考虑",
    U"不喜欢", U"without", U"no", U"except", U"excluding", U"exclude", U"other than", U"anything but", U"avoid",
    U"don't want", U"dont want", U"do not want", U"not from", U"but not", U"non-", U"never"};
// A bare "not" negates only a name the lexicon knows (see parse_intent).
constexpr std::u32string_view kBareNegation = U"not";
const std::initializer_list<std::u32string_view> kMustTriggers = {
    U"必须有", U"必须", U"一定要有", U"一定要", U"要有", U"要带", U"带有", U"需要有", U"支持", U"must have",
    U"must-have", U"must support", U"needs to have", U"need to have", U"that has", U"which has", U"must be",
    U"with built-in"};
// Words after a trigger that make it something else ("no more than 300").
const std::set<std::u32string> kTermStops = {
    U"more", U"less", U"longer", U"than", U"need", U"matter", U"problem", U"way", U"idea", U"one", U"thanks",
    U"worries", U"rush", U"later", U"earlier", U"limit", U"budget", U"too", U"very", U"so", U"over", U"under",
    U"higher", U"lower", U"cheaper", U"expensive", U"a", U"an", U"the", U"any", U"and", U"or", U"of"};
const std::initializer_list<std::u32string_view> kZhTermLeadStops = {U"超过", U"高于", U"低于", U"太", U"很",
                                                                      U"那么", U"贵", U"便宜", U"多于", U"少于"};

bool zh_term_stop(char32_t c) {
  static const std::u32string stops = U"的和或与跟、，。,.!?！？;；也还就了吧啊呢要我以之再都";
  return stops.find(c) != std::u32string::npos;
}

// Reads the object of a trigger at `pos`: a Chinese phrase up to a particle,
// or one Latin word; "X和Y" / "X or Y" continue the list. Returns the end.
std::size_t read_terms(std::u32string_view q, std::size_t pos, std::vector<std::string>& out) {
  for (int n = 0; n < 3; ++n) {
    pos = skip_spaces(q, pos);
    std::size_t begin = pos;
    if (pos < q.size() && detail::is_cjk(q[pos])) {
      if (match_any(q, pos, kZhTermLeadStops)) return begin;
      while (pos < q.size() && pos - begin < 10 && (detail::is_cjk(q[pos]) || detail::is_ascii_alnum(q[pos])) &&
             !zh_term_stop(q[pos]))
        ++pos;
    } else {
      // Skip articles, then one word.
      while (true) {
        std::size_t word_end = pos;
        while (word_end < q.size() && detail::is_ascii_alpha(q[word_end])) ++word_end;
        auto word = std::u32string(q.substr(pos, word_end - pos));
        if (word == U"a" || word == U"an" || word == U"the" || word == U"any") {
          pos = skip_spaces(q, word_end);
          continue;
        }
        break;
      }
      begin = pos;
      while (pos < q.size() && (detail::is_ascii_alnum(q[pos]) || q[pos] == U'-' || detail::is_cjk(q[pos])) &&
             !zh_term_stop(q[pos]))
        ++pos;
    }
    auto term = std::u32string(q.substr(begin, pos - begin));
    while (!term.empty() && term.back() == U'-') term.pop_back();
    bool digits_only = std::all_of(term.begin(), term.end(), [](char32_t c) { return c >= U'0' && c <= U'9'; });
    if (term.empty() || digits_only || kTermStops.contains(term) || term.size() > kMaxTermChars) return begin;
    add_unique(out, to_utf8(term));
    // Continuation: 和 / 或 / 、 / and / or / ,
    std::size_t next = skip_spaces(q, pos);
    std::size_t join = match_any(q, next, {U"和", U"或", U"、", U"与", U"跟", U"and", U"or", U",", U"，", U"/"});
    if (join == 0) return pos;
    pos = next + join;
  }
  return pos;
}

struct RuleTerms {
  std::vector<std::string> terms;
  std::vector<Span> spans;  // trigger + object, masked from category matching
};

RuleTerms rule_terms(std::u32string_view q, std::initializer_list<std::u32string_view> triggers, bool exclusions) {
  RuleTerms result;
  for (auto trigger : triggers)
    for (std::size_t pos : detail::find_term(q, trigger)) {
      if (overlaps_any({pos, pos + trigger.size()}, result.spans)) continue;
      std::size_t end = read_terms(q, pos + trigger.size(), result.terms);
      if (end > pos + trigger.size()) result.spans.push_back({pos, end});
    }
  // "X除外": the object comes first.
  for (std::size_t pos : exclusions ? detail::find_term(q, U"除外") : std::vector<std::size_t>{}) {
    std::size_t begin = pos;
    while (begin > 0 && detail::is_cjk(q[begin - 1]) && !zh_term_stop(q[begin - 1]) && pos - begin < 10) --begin;
    if (begin < pos) {
      add_unique(result.terms, to_utf8(q.substr(begin, pos - begin)));
      result.spans.push_back({begin, pos + 2});
    }
  }
  if (result.terms.size() > kMaxTerms) result.terms.resize(kMaxTerms);
  return result;
}

// Known brands: an excluded 苹果 also lists "apple", so the Intent reads the
// same in either script. Search does not depend on it: it matches every zh
// and en spelling the lexicon has for an exclude term, brand or not
// (detail::concept_spellings), so the list stays the user's words.
void add_brand_spellings(std::vector<std::string>& terms) {
  std::vector<std::string> extra;
  for (const auto& term : terms)
    for (const auto& group : detail::brand_groups()) {
      bool hit = false;
      detail::for_each_term(group.terms, [&](std::string_view spelling) { hit = hit || spelling == term; });
      if (hit) extra.push_back(detail::fold(group.name));
    }
  for (const auto& e : extra) add_unique(terms, e);
  if (terms.size() > kMaxTerms) terms.resize(kMaxTerms);
}

nlohmann::json rule_attributes(std::u32string_view q, const std::vector<Span>& masked) {
  nlohmann::json attributes = nlohmann::json::object();
  auto present = [&](std::string_view term) {
    auto t = to_u32(term);
    for (std::size_t pos : detail::find_term(q, t))
      if (!overlaps_any({pos, pos + t.size()}, masked)) return true;
    return false;
  };
  for (const auto& rule : detail::attribute_terms()) {
    std::string key(rule.key);
    if (attributes.contains(key)) continue;
    bool hit = false;
    detail::for_each_term(rule.terms, [&](std::string_view term) { hit = hit || present(term); });
    if (!hit) continue;
    if (rule.value == "true") attributes[key] = true;
    else attributes[key] = std::string(rule.value);
  }
  for (const auto& group : detail::colour_groups()) {
    bool hit = false;
    detail::for_each_term(group.terms, [&](std::string_view term) { hit = hit || present(term); });
    if (hit && !attributes.contains("colour")) attributes["colour"] = std::string(group.name);
  }
  return attributes;
}

// ------------------------------------------------------------ generator ---

std::vector<llm::ChatMessage> intent_messages(const std::string& query, const std::vector<std::string>& offered) {
  std::string tops;
  for (const auto& name : offered) tops += (tops.empty() ? "" : ", ") + name;
  std::vector<llm::ChatMessage> messages;
  messages.push_back(
      {"system",
       "You turn a shopping query into JSON with keys categories, attributes, price_min, price_max, must_have, "
       "exclude, language. Categories come from: " + tops +
           ". Prices are numbers or null. exclude lists what the shopper does not want. Answer with JSON only."});
  messages.push_back({"user", "我想买一款高质量的蓝牙耳机"});
  messages.push_back({"assistant",
                      R"({"categories":["phones-audio"],"attributes":{"quality":"high","wireless":true},)"
                      R"("price_min":null,"price_max":null,"must_have":[],"exclude":[],"language":"zh"})"});
  messages.push_back({"user", "lightweight laptop under 6000 yuan for travel"});
  messages.push_back({"assistant",
                      R"({"categories":["computers"],"attributes":{"weight":"light","use":"travel"},)"
                      R"("price_min":null,"price_max":6000,"must_have":[],"exclude":[],"language":"en"})"});
  messages.push_back({"user", "不要苹果的手机 2000元以内"});
  messages.push_back({"assistant",
                      R"({"categories":["phones-audio"],"attributes":{},"price_min":null,"price_max":2000,)"
                      R"("must_have":[],"exclude":["苹果"],"language":"zh"})"});
  messages.push_back({"user", query});
  return messages;
}

bool is_string_array(const nlohmann::json& value) {
  return value.is_array() && std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); });
}
bool is_number_or_null(const nlohmann::json& value) { return value.is_null() || value.is_number(); }

// The model's JSON when it has the Intent schema (remote models ignore the grammar).
std::optional<nlohmann::json> model_intent(const std::string& text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    auto extracted = llm::extract_json_object(text);
    if (!extracted || !extracted->is_object()) return std::nullopt;
    doc = *extracted;
  }
  if (!doc.contains("categories") || !is_string_array(doc["categories"])) return std::nullopt;
  if (doc.contains("attributes") && !doc["attributes"].is_object()) return std::nullopt;
  for (const char* key : {"price_min", "price_max"})
    if (doc.contains(key) && !is_number_or_null(doc[key])) return std::nullopt;
  for (const char* key : {"must_have", "exclude"})
    if (doc.contains(key) && !is_string_array(doc[key])) return std::nullopt;
  return doc;
}

// Numbers the query states, with their k/千/万 readings, for checking the model's prices.
bool query_states(std::u32string_view q, double value) {
  for (const auto& n : detail::find_numbers(q, detail::NumberMode::kPermissive))
    for (double candidate : {n.value, n.raw, n.raw * 1000, n.raw * 10000})
      if (std::fabs(candidate - value) < 1e-6 * std::max(1.0, value)) return true;
  return false;
}

// The model's price counts only when the query states it as an amount: a
// number that is not an age, size or count ("9个月到4岁" is no budget of 9
// or 9000), at its face value or with the scale the shopper wrote (3千, 5k).
bool query_states_price(std::u32string_view q, double value) {
  for (const auto& n : detail::find_numbers(q, detail::NumberMode::kPermissive)) {
    const PriceNumber p = read_price_number(q, n);
    if (p.not_price) continue;
    for (double candidate : {p.value, n.value, n.raw})
      if (std::fabs(candidate - value) < 1e-6 * std::max(1.0, value)) return true;
  }
  return false;
}

bool query_mentions(std::u32string_view q, const std::string& term) {
  auto t = fold32(term);
  return !t.empty() && q.find(t) != std::u32string_view::npos;
}

void merge_model(const nlohmann::json& doc, std::u32string_view q, const Catalogue& catalogue,
                 llm::Embedder* embedder, bool rule_prices_found, const std::vector<std::size_t>& negation_ends,
                 Intent& intent) {
  // Categories: the model's names mapped onto the catalogue. When the rules
  // already found categories, the model may only refine within their top levels.
  std::vector<std::string> mapped;
  for (const auto& value : doc["categories"]) {
    auto name = value.get<std::string>();
    if (name.empty() || name.size() > 80) continue;
    if (auto exact = catalogue.resolve(name)) {
      add_unique(mapped, *exact);
      continue;
    }
    auto via_lexicon = lexicon_categories(fold32(name), catalogue, {});
    if (!via_lexicon.empty()) {
      for (const auto& c : via_lexicon) add_unique(mapped, c);
    } else if (embedder != nullptr) {
      for (const auto& c : embedding_categories(name, catalogue, *embedder)) add_unique(mapped, c);
    }
  }
  auto top_of = [](const std::string& c) { return c.substr(0, c.find('/')); };
  for (const auto& c : mapped) {
    bool allowed = intent.categories.empty() ||
                   std::any_of(intent.categories.begin(), intent.categories.end(),
                               [&](const std::string& r) { return top_of(r) == top_of(c); });
    bool covered = std::any_of(intent.categories.begin(), intent.categories.end(),
                               [&](const std::string& r) { return r == c || r.starts_with(c + "/"); });
    if (allowed && !covered) add_unique(intent.categories, c);
  }
  // Attributes: only those the query itself states (by value or, for flags, by key).
  if (doc.contains("attributes"))
    for (const auto& [key, value] : doc["attributes"].items()) {
      if (key.empty() || key.size() > 32 || intent.attributes.contains(key)) continue;
      bool stated = false;
      if (value.is_string()) stated = query_mentions(q, value.get<std::string>());
      else if (value.is_boolean()) stated = value.get<bool>() && query_mentions(q, key);
      else if (value.is_number()) stated = query_states(q, value.get<double>());
      if (stated) intent.attributes[key] = value;
    }
  // Prices: rules win; the model's count only when the query states the number.
  if (!rule_prices_found) {
    for (const char* key : {"price_min", "price_max"}) {
      if (!doc.contains(key) || !doc[key].is_number()) continue;
      double v = doc[key].get<double>();
      if (!(v >= 0) || !std::isfinite(v) || !query_states_price(q, v)) continue;
      (std::string(key) == "price_min" ? intent.price_min : intent.price_max) = v;
    }
  }
  // Terms: must occur in the query; exclusions also need a negation in it.
  if (doc.contains("must_have"))
    for (const auto& v : doc["must_have"]) {
      auto term = detail::fold(v.get<std::string>());
      if (intent.must_have.size() < kMaxTerms && term.size() <= 3 * kMaxTermChars && query_mentions(q, term) &&
          std::find(intent.exclude.begin(), intent.exclude.end(), term) == intent.exclude.end())
        add_unique(intent.must_have, term);
    }
  // An exclusion must follow a negation closely ("不要那种头戴式", "not from
  // Apple") or precede 除外: "儿童安全座椅 … 不要太贵" does not exclude the
  // seat itself, though a model said so.
  auto negated = [&](const std::string& term) {
    const auto t = fold32(term);
    if (t.empty()) return false;
    for (std::size_t at = q.find(t); at != std::u32string_view::npos; at = q.find(t, at + 1)) {
      for (std::size_t end : negation_ends)
        if (at >= end && at <= end + kNegationReach) return true;
      if (q.substr(at + t.size()).starts_with(U"除外")) return true;
    }
    return false;
  };
  if (doc.contains("exclude"))
    for (const auto& v : doc["exclude"]) {
      auto term = detail::fold(v.get<std::string>());
      if (intent.exclude.size() < kMaxTerms && term.size() <= 3 * kMaxTermChars && negated(term))
        add_unique(intent.exclude, term);
    }
}

}  // namespace

nlohmann::json Intent::to_json() const {
  nlohmann::json doc = {{"query", query},
                        {"language", language},
                        {"categories", categories},
                        {"attributes", attributes.is_object() ? attributes : nlohmann::json::object()},
                        {"price_min", nullptr},
                        {"price_max", nullptr},
                        {"must_have", must_have},
                        {"exclude", exclude},
                        {"method", method}};
  if (price_min) doc["price_min"] = *price_min;
  if (price_max) doc["price_max"] = *price_max;
  return doc;
}

std::string intent_grammar() { return intent_grammar({}); }

std::string intent_grammar(const std::vector<std::string>& category_names) {
  // Bounded lists and strings keep a small model from rambling inside the
  // JSON, so max_tokens never cuts an object in half. Enumerating the
  // catalogue's names makes every category the model writes a real one.
  std::string names;
  for (const auto& name : category_names) {
    bool plain = !name.empty() && name.size() <= 80 && data::is_valid_utf8(name);
    for (unsigned char c : name) plain = plain && c >= 0x20 && c != '"' && c != '\\';
    if (plain) names += std::string(names.empty() ? "" : " | ") + "\"\\\"" + name + "\\\"\"";
  }
  std::string grammar =
      R"(root ::= "{" ws "\"categories\":" ws catlist "," ws "\"attributes\":" ws attrs "," ws "\"price_min\":" ws numornull "," ws "\"price_max\":" ws numornull "," ws "\"must_have\":" ws strlist "," ws "\"exclude\":" ws strlist "," ws "\"language\":" ws lang ws "}"
catlist ::= "[" ws ( catname ( "," ws catname ){0,2} )? ws "]"
strlist ::= "[" ws ( string ( "," ws string ){0,3} )? ws "]"
attrs ::= "{" ws ( pair ( "," ws pair ){0,3} )? ws "}"
pair ::= string ":" ws value
value ::= string | number | "true" | "false"
numornull ::= number | "null"
number ::= [0-9]{1,7} ( "." [0-9]{1,2} )?
lang ::= "\"zh\"" | "\"en\""
string ::= "\"" char{1,24} "\""
char ::= [^"\\\x00-\x1f] | "\\" ["\\/bfnrt]
ws ::= " "?
)";
  grammar += "catname ::= " + (names.empty() ? std::string("string") : names) + "\n";
  return grammar;
}

namespace {

// What the model may answer as categories: each catalogue name's top level
// when that is itself a catalogue category, else the name (at most 40).
std::vector<std::string> offered_categories(const Catalogue& catalogue) {
  std::vector<std::string> offered;
  for (const auto& name : catalogue.names()) {
    auto resolved = catalogue.resolve(name.substr(0, name.find('/')));
    add_unique(offered, resolved ? *resolved : name);
    if (offered.size() >= 40) break;
  }
  return offered;
}

}  // namespace

Intent parse_intent(const std::string& query, const std::vector<std::string>& categories, llm::Generator* generator,
                    llm::Embedder* embedder) {
  auto text = data::normalize_text(query);
  auto chars = to_u32(text);
  if (chars.size() > kMaxQueryChars) text = to_utf8(std::u32string_view(chars).substr(0, kMaxQueryChars));
  TAILOR_CHECK_ARG(!text.empty(), "query: must not be empty");
  Catalogue catalogue(categories);
  auto q = fold32(text);

  Intent intent;
  intent.query = text;
  intent.language = detail::detect_language(text);
  intent.method = "fallback";

  auto prices = rule_prices(q);
  intent.price_min = prices.min;
  intent.price_max = prices.max;
  auto excluded = rule_terms(q, kExcludeTriggers, true);
  // A bare "not" excludes only a name the lexicon knows: "..., not Logitech",
  // "not red"; "not sure", "not loud" stay words of the query.
  auto named = rule_terms(q, {kBareNegation}, true);
  bool named_hit = false;
  for (const auto& term : named.terms)
    if (!detail::concept_spellings(term).empty()) {
      add_unique(excluded.terms, term);
      named_hit = true;
    }
  if (named_hit) excluded.spans.insert(excluded.spans.end(), named.spans.begin(), named.spans.end());
  if (excluded.terms.size() > kMaxTerms) excluded.terms.resize(kMaxTerms);
  auto required = rule_terms(q, kMustTriggers, false);
  intent.exclude = excluded.terms;
  add_brand_spellings(intent.exclude);
  for (const auto& term : required.terms)
    if (std::find(intent.exclude.begin(), intent.exclude.end(), term) == intent.exclude.end())
      add_unique(intent.must_have, term);
  intent.attributes = rule_attributes(q, excluded.spans);
  intent.categories = lexicon_categories(q, catalogue, excluded.spans);
  if (intent.categories.empty() && embedder != nullptr)
    intent.categories = embedding_categories(text, catalogue, *embedder);

  if (generator != nullptr) {
    llm::GenerateOptions options;
    options.max_tokens = kIntentMaxTokens;
    options.temperature = 0;  // greedy: the same query parses the same way
    options.seed = 42;
    auto offered = offered_categories(catalogue);
    options.grammar = intent_grammar(offered);
    auto result = generator->chat(intent_messages(text, offered), options);
    if (auto doc = model_intent(result.text)) {
      std::vector<std::size_t> negation_ends;
      for (auto trigger : kExcludeTriggers)
        for (std::size_t at : detail::find_term(q, trigger)) negation_ends.push_back(at + trigger.size());
      for (std::size_t at : detail::find_term(q, kBareNegation)) negation_ends.push_back(at + kBareNegation.size());
      merge_model(*doc, q, catalogue, embedder, prices.min || prices.max, negation_ends, intent);
      intent.method = "generator";
    }
  }
  if (intent.price_min && intent.price_max && *intent.price_min > *intent.price_max)
    std::swap(intent.price_min, intent.price_max);
  return intent;
}

}  // namespace tailor::semantic
