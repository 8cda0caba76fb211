// check_grounding: does marketing copy state only what the item's data says?
//
// The item's facts are its title, description, categories, tags, price and
// attribute values (and the names of attributes that are true, so
// {"wireless": true} grounds "wireless"). Facts and copy are compared in
// fold() form (NFC, full-width folded, lower-case). The copy may not state:
//
//   numbers      any Arabic number, Chinese numeral quantity (三千, 五折, 两小时)
//                or English number word whose value is not among the facts'
//                numbers (¥299 / 299元 / 299.00 / 二百九十九 all read 299);
//                a discount ("9折", "打8折") needs the same words in the facts
//   claims       product and offer claims by group (lexicon.h): 包邮, "free
//                shipping", 限时, "best-seller", "waterproof", ... are grounded
//                when any spelling of the group appears in the facts
//   colours      a colour the facts do not name (灰色 is grounded by "grey")
//   types        a product type of another category ("kitchen equipment" in
//                copy for a yoga mat) unless the facts use the same word
//   brands       a known brand (the demo catalogue's, famous ones) the facts do
//                not name, and brand- or model-like Latin tokens (CamelCase,
//                ALL CAPS, letters with digits, capitalised mid-sentence; in
//                Chinese copy any Latin word) that do not occur in the facts
//   currencies   a currency the facts do not use ("£609" for a ¥609 item)
//   contacts     e-mail addresses, URLs and domain names ("ironden@ironden.com",
//                "www.x.cn") the facts do not contain: a small model invents
//                them from the brand name, and they send customers elsewhere
//
// This is a precision-first filter for short copy: a false alarm costs a
// regeneration or the template, an ungrounded claim reaching a customer costs
// more.
#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "lexicon.h"
#include "tailor/semantic/semantic.h"
#include "text_scan.h"

namespace tailor::semantic {
namespace {

using detail::fold32;
using detail::to_u32;
using detail::to_utf8;

struct Facts {
  std::u32string text;          // folded facts joined with " | "
  std::vector<double> numbers;  // every number the facts state
};

void add_json_facts(const nlohmann::json& value, std::string& text, std::vector<double>& numbers) {
  if (value.is_string()) {
    text += value.get<std::string>() + " | ";
  } else if (value.is_number()) {
    double number = value.get<double>();
    numbers.push_back(number);
    text += detail::format_number(number) + " | ";
  } else if (value.is_array()) {
    for (const auto& element : value) add_json_facts(element, text, numbers);
  } else if (value.is_object()) {
    // Keys are data too: {"battery_hours": 30} grounds "battery hours: 30",
    // {"wireless": true} grounds "wireless"; {"wireless": false} grounds nothing.
    for (const auto& [child_key, child] : value.items()) {
      if (child.is_boolean() && !child.get<bool>()) continue;
      std::string name = child_key;
      std::replace(name.begin(), name.end(), '_', ' ');
      text += name + " | ";
      add_json_facts(child, text, numbers);
    }
  }
}

Facts item_facts(const data::Item& item) {
  std::string text = item.title + " | " + item.description + " | ";
  for (const auto& category : item.categories) {
    std::string spaced = category;
    std::replace(spaced.begin(), spaced.end(), '/', ' ');
    std::replace(spaced.begin(), spaced.end(), '-', ' ');
    text += category + " | " + spaced + " | ";
  }
  for (const auto& tag : item.tags) text += tag + " | ";
  std::vector<double> numbers;
  if (item.price) {
    numbers.push_back(*item.price);
    text += detail::format_number(*item.price) + " | ";
  }
  add_json_facts(item.attributes, text, numbers);
  Facts facts;
  facts.text = fold32(text);
  for (const auto& span : detail::find_numbers(facts.text, detail::NumberMode::kPermissive)) {
    numbers.push_back(span.value);
    numbers.push_back(span.raw);
  }
  facts.numbers = std::move(numbers);
  return facts;
}

bool number_in(double value, const std::vector<double>& numbers) {
  for (double fact : numbers)
    if (std::fabs(value - fact) <= 1e-6 * std::max(1.0, std::fabs(fact))) return true;
  return false;
}

bool group_in(std::string_view terms, std::u32string_view text) {
  bool found = false;
  detail::for_each_term(terms, [&](std::string_view term) { found = found || detail::contains_term(text, to_u32(term)); });
  return found;
}

// The first spelling of the group that occurs in `text`, or "".
std::string group_hit(std::string_view terms, std::u32string_view text) {
  std::string hit;
  detail::for_each_term(terms, [&](std::string_view term) {
    if (hit.empty() && detail::contains_term(text, to_u32(term))) hit = std::string(term);
  });
  return hit;
}

// Capitalised words that are ordinary English in marketing copy, not names.
const std::set<std::u32string>& common_capitalised() {
  static const std::set<std::u32string> words = {
      U"i", U"a", U"an", U"the", U"your", U"you", U"our", U"we", U"my", U"me", U"it", U"its", U"this", U"that",
      U"these", U"those", U"they", U"he", U"she", U"let", U"there", U"get", U"meet", U"discover", U"shop", U"buy", U"now", U"new", U"just", U"try",
      U"enjoy", U"hi", U"hello", U"hey", U"dear", U"why", U"what", U"how", U"when", U"where", U"who",
      U"perfect", U"make", U"made", U"stay", U"step", U"go", U"for", U"with", U"and", U"or", U"in", U"on",
      U"at", U"to", U"from", U"of", U"by", U"up", U"is", U"are", U"be", U"all", U"every", U"each", U"no",
      U"not", U"yes", U"take", U"find", U"see", U"look", U"love", U"ready", U"here", U"there", U"upgrade",
      U"treat", U"feel", U"keep", U"let", U"bring", U"add", U"order", U"check", U"explore", U"say",
      U"thanks", U"thank", U"price", U"only", U"best", U"regards", U"team", U"subject", U"because", U"since",
      U"as", U"so", U"if", U"do", U"don't", U"can", U"will", U"comfort", U"style", U"quality", U"customer",
      U"friend", U"friends", U"today", U"tap", U"click", U"reply", U"more", U"details", U"features"};
  return words;
}

bool is_unit_token(std::u32string_view lower) {
  static const std::set<std::u32string> units = {
      U"mah", U"gb", U"tb", U"mb", U"hz", U"ghz", U"w", U"kw", U"mm", U"cm", U"m", U"km", U"kg", U"g",
      U"ml", U"l", U"k", U"mp", U"atm", U"v", U"min", U"h", U"hrs", U"mbps", U"gbps", U"in", U"inch",
      U"inches", U"x", U"pcs", U"pc", U"wh", U"s", U"st", U"nd", U"rd", U"th", U"d", U"eu", U"am", U"pm"};
  return units.contains(std::u32string(lower));
}

bool opens_sentence(std::u32string_view line, std::size_t pos) {
  while (pos > 0) {
    char32_t c = line[pos - 1];
    if (c == U' ' || c == U'"' || c == U'\'' || c == U'“' || c == U'‘' || c == U'(' || c == U'[' ||
        c == U'*' || c == U'•' || c == U'-' || c == U'#') {
      --pos;
      continue;
    }
    return detail::is_sentence_end(c) || c == U':' || c == U'：' || c == U'—' || c == U'|' || c == U'!' ||
           c == U'，' || c == U'。';
  }
  return true;
}

void check_latin_tokens(std::u32string_view line, bool chinese_copy, const Facts& facts,
                        std::vector<std::string>& violations) {
  std::size_t pos = 0;
  while (pos < line.size()) {
    if (!detail::is_ascii_alnum(line[pos])) {
      ++pos;
      continue;
    }
    std::size_t begin = pos;
    while (pos < line.size() && (detail::is_ascii_alnum(line[pos]) ||
                                 ((line[pos] == U'-' || line[pos] == U'\'') && pos + 1 < line.size() &&
                                  detail::is_ascii_alnum(line[pos + 1]))))
      ++pos;
    auto token = line.substr(begin, pos - begin);
    std::u32string lower(token);
    for (auto& c : lower)
      if (c >= U'A' && c <= U'Z') c = c - U'A' + U'a';
    std::size_t letters = 0, uppers_after_first = 0, digits = 0;
    for (std::size_t k = 0; k < token.size(); ++k) {
      if (detail::is_ascii_alpha(token[k])) ++letters;
      if (token[k] >= U'0' && token[k] <= U'9') ++digits;
      if (k > 0 && token[k] >= U'A' && token[k] <= U'Z') ++uppers_after_first;
    }
    if (letters < 2 && !(letters >= 1 && digits >= 1)) continue;
    // "256GB", "5000mAh", "27-inch": the number is checked; the unit is not a name.
    std::size_t first_letter = 0;
    while (first_letter < lower.size() && !detail::is_ascii_alpha(lower[first_letter])) ++first_letter;
    auto tail = std::u32string_view(lower).substr(first_letter);
    if (!tail.empty() && tail.front() == U'-') tail.remove_prefix(1);
    if (first_letter > 0 && is_unit_token(tail)) continue;
    if (first_letter == 0 && is_unit_token(lower) && begin > 0 &&
        (detail::is_ascii_alnum(line[begin - 1]) || (begin > 1 && line[begin - 1] == U' ' &&
                                                     line[begin - 2] >= U'0' && line[begin - 2] <= U'9')))
      continue;
    bool capitalised = token[0] >= U'A' && token[0] <= U'Z';
    bool brand_like;
    if (chinese_copy) {
      brand_like = true;  // Latin in Chinese copy is a name, model or spec ("Pro", "ANC")
    } else {
      brand_like = uppers_after_first > 0 || (digits > 0 && letters > 0) ||
                   (capitalised && !opens_sentence(line, begin) && !common_capitalised().contains(lower));
      if (uppers_after_first == 0 && common_capitalised().contains(lower)) brand_like = false;
    }
    // Contractions: "I'll", "Don't", "Let's" are words, not names.
    if (auto apostrophe = lower.find(U'\''); apostrophe != std::u32string::npos && uppers_after_first == 0 &&
        digits == 0 && (common_capitalised().contains(lower.substr(0, apostrophe)) || lower.ends_with(U"n't")))
      brand_like = false;
    if (!brand_like) continue;
    if (detail::contains_term(facts.text, lower)) continue;
    violations.push_back("brand or model '" + to_utf8(token) + "' not in item data");
  }
}

// E-mail addresses, URLs and bare domains in ASCII text (fold() form).
std::vector<std::string> contacts_in(const std::string& text) {
  static const std::regex kContact(
      R"([a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+|(https?://|www\.)[^\s<>"'，。！？]+|)"
      R"([a-z0-9-]+(\.[a-z0-9-]+)*\.(com|cn|net|org|io|co|shop|store|top|xyz|info|biz)\b)",
      std::regex::icase);
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kContact); it != std::sregex_iterator(); ++it)
    out.push_back(it->str());
  return out;
}

void add_unique(std::vector<std::string>& list, std::string entry) {
  if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
}

}  // namespace

GroundingReport check_grounding(const std::string& text, const data::Item& item, std::string_view lang) {
  Facts facts = item_facts(item);
  auto copy = fold32(text);
  std::vector<std::string> violations;

  // Numbers.
  for (const auto& span : detail::find_numbers(copy, detail::NumberMode::kStrict)) {
    std::string shown = to_utf8(copy.substr(span.begin, span.end - span.begin));
    bool discount = (span.end < copy.size() && copy[span.end] == U'折') ||
                    (span.begin > 0 && copy[span.begin - 1] == U'打');
    if (discount) {
      auto phrase = copy.substr(span.begin, span.end - span.begin + 1);
      if (!detail::contains_term(facts.text, phrase)) add_unique(violations, "discount '" + shown + "折' not in item data");
      continue;
    }
    if (!number_in(span.value, facts.numbers) && !number_in(span.raw, facts.numbers))
      add_unique(violations, "number '" + shown + "' not in item data");
  }
  // Claims, colours, known brands: by group.
  for (const auto& group : detail::claim_groups()) {
    auto hit = group_hit(group.terms, copy);
    if (!hit.empty() && !group_in(group.terms, facts.text))
      add_unique(violations, "claim '" + hit + "' (" + std::string(group.name) + ") not in item data");
  }
  for (const auto& group : detail::colour_groups()) {
    auto hit = group_hit(group.terms, copy);
    if (!hit.empty() && !group_in(group.terms, facts.text))
      add_unique(violations, "colour '" + hit + "' not in item data");
  }
  // Product types: copy for a yoga mat that talks about "kitchen equipment"
  // states a category the item is not in. Terms the facts contain are fine
  // (an earbuds description may say 出差); one-character Chinese terms (书, 锅)
  // are too ambiguous to judge.
  for (const auto& entry : detail::category_terms()) {
    bool own = false;
    detail::for_each_term(entry.categories, [&](std::string_view path) {
      auto top = path.substr(0, path.find('/'));
      for (const auto& c : item.categories) own = own || detail::fold(c.substr(0, c.find('/'))) == top;
    });
    if (own) continue;
    std::string hit;
    detail::for_each_term(entry.terms, [&](std::string_view term) {
      auto t = to_u32(term);
      bool long_enough = detail::is_cjk(t.front()) ? t.size() >= 2 : t.size() >= 3;
      if (hit.empty() && long_enough && detail::contains_term(copy, t) && !detail::contains_term(facts.text, t))
        hit = std::string(term);
    });
    if (!hit.empty())
      add_unique(violations, "product type '" + hit + "' (" + std::string(entry.categories.substr(0, entry.categories.find('|'))) +
                                 ") is not this item's");
  }
  for (const auto& group : detail::brand_groups()) {
    auto hit = group_hit(group.terms, copy);
    if (!hit.empty() && !group_in(group.terms, facts.text))
      add_unique(violations, "brand '" + std::string(group.name) + "' not in item data");
  }
  // Currency: prices are the catalogue's (¥, 元); another currency in copy
  // ("£609") misstates the price unless the facts use that currency too.
  for (std::u32string_view sign : {U"$", U"£", U"€", U"usd", U"eur", U"gbp", U"美元", U"欧元", U"英镑", U"港币",
                                   U"dollar", U"dollars", U"euro", U"euros"}) {
    // A word ("usd") as a whole word, a sign or Chinese name anywhere.
    auto in = [&](std::u32string_view haystack) {
      return detail::is_ascii_alpha(sign.front()) ? detail::contains_term(haystack, sign)
                                                  : haystack.find(sign) != std::u32string_view::npos;
    };
    if (in(copy) && !in(facts.text)) add_unique(violations, "currency '" + to_utf8(sign) + "' not in item data");
  }
  // Contacts: the exact address must be in the facts.
  const std::string copy_utf8 = to_utf8(copy), facts_utf8 = to_utf8(facts.text);
  for (const auto& contact : contacts_in(copy_utf8))
    if (facts_utf8.find(contact) == std::string::npos) add_unique(violations, "contact '" + contact + "' not in item data");
  // Brand- and model-like Latin tokens, line by line (a line start opens a sentence).
  bool chinese_copy = lang.empty() ? detail::detect_language(text) == "zh" : lang == "zh";
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    auto line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    auto line = fold32(std::string_view(text).substr(line_start, line_end - line_start), /*lower=*/false);
    std::vector<std::string> found;
    check_latin_tokens(line, chinese_copy, facts, found);
    for (auto& v : found) add_unique(violations, std::move(v));
    line_start = line_end + 1;
  }

  GroundingReport report;
  report.grounded = violations.empty();
  report.violations = std::move(violations);
  return report;
}

}  // namespace tailor::semantic
