// Bilingual text scanning for intent, copy and grounding (see text_scan.h).
#include "text_scan.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "tailor/data/data.h"

namespace tailor::semantic::detail {

std::u32string to_u32(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto byte = static_cast<unsigned char>(text[pos]);
    int extra = 0;
    char32_t cp = 0;
    if (byte < 0x80) {
      cp = byte;
    } else if ((byte & 0xE0) == 0xC0) {
      cp = byte & 0x1F, extra = 1;
    } else if ((byte & 0xF0) == 0xE0) {
      cp = byte & 0x0F, extra = 2;
    } else if ((byte & 0xF8) == 0xF0) {
      cp = byte & 0x07, extra = 3;
    } else {
      out.push_back(0xFFFD);
      ++pos;
      continue;
    }
    bool ok = true;
    for (int k = 1; k <= extra; ++k) {
      if (pos + k >= text.size() || (static_cast<unsigned char>(text[pos + k]) & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++pos;
      continue;
    }
    out.push_back(cp);
    pos += 1 + extra;
  }
  return out;
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (char32_t cp : text) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x2FA1F);
}
bool is_ascii_alpha(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }
bool is_ascii_alnum(char32_t c) { return is_ascii_alpha(c) || (c >= U'0' && c <= U'9'); }

bool is_sentence_end(char32_t c) {
  return c == U'。' || c == U'！' || c == U'？' || c == U'.' || c == U'!' || c == U'?' || c == U'\n' ||
         c == U'…';
}

bool is_phrase_break(char32_t c) {
  return c == U' ' || c == U'，' || c == U'、' || c == U'；' || c == U'：' || c == U',' || c == U';' ||
         c == U':' || c == U'\t' || c == U'—' || c == U')' || c == U'）' || is_sentence_end(c);
}

std::u32string fold32(std::string_view text, bool lower) {
  std::u32string out = to_u32(data::normalize_text(text));
  for (auto& c : out) {
    if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;  // full-width ASCII block
    if (c == 0xFFE5) c = U'¥';                              // full-width yen/yuan sign
    if (lower && c >= U'A' && c <= U'Z') c = c - U'A' + U'a';
  }
  return out;
}

std::string fold(std::string_view text) { return to_utf8(fold32(text)); }

std::size_t count_chars(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

ScriptCounts script_counts(std::string_view text) {
  ScriptCounts counts;
  for (char32_t c : fold32(text)) {
    if (is_cjk(c)) ++counts.cjk;
    else if (is_ascii_alpha(c)) ++counts.latin;
  }
  return counts;
}

std::string detect_language(std::string_view text) {
  auto counts = script_counts(text);
  return (counts.cjk >= 2 || (counts.cjk >= 1 && counts.cjk_share() >= 0.3)) ? "zh" : "en";
}

// ------------------------------------------------------------------ numbers

bool is_chinese_numeral(char32_t c) {
  switch (c) {
    case U'零': case U'〇': case U'一': case U'二': case U'两': case U'三': case U'四': case U'五':
    case U'六': case U'七': case U'八': case U'九': case U'十': case U'百': case U'千': case U'万':
    case U'亿':
      return true;
    default:
      return false;
  }
}

namespace {

int chinese_digit(char32_t c) {
  switch (c) {
    case U'零': case U'〇': return 0;
    case U'一': return 1;
    case U'二': case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return -1;
  }
}

double chinese_unit(char32_t c) {
  switch (c) {
    case U'十': return 10;
    case U'百': return 100;
    case U'千': return 1000;
    case U'万': return 1e4;
    case U'亿': return 1e8;
    default: return 0;
  }
}

bool starts_with(std::u32string_view text, std::size_t pos, std::u32string_view prefix) {
  return text.size() >= pos + prefix.size() && text.substr(pos, prefix.size()) == prefix;
}

// Units after which a Chinese numeral is a quantity claim. Single 一/两 only
// count before the units in kStrongUnits: "一年四季", "一天", "两个" are idiom.
constexpr std::u32string_view kStrongUnits[] = {
    U"元", U"块", U"折", U"倍", U"%", U"小时", U"个月", U"分钟", U"秒", U"档", U"英寸", U"寸", U"毫升",
    U"升", U"千克", U"公斤", U"克", U"斤", U"毫安", U"瓦", U"厘米", U"毫米", U"成"};
constexpr std::u32string_view kMeasureUnits[] = {U"天", U"年", U"周", U"度", U"米", U"层", U"人", U"件",
                                                 U"套", U"双", U"个", U"款", U"种", U"色", U"重", U"岁",
                                                 U"核", U"颗", U"片", U"瓶", U"支", U"盒", U"包", U"袋",
                                                 U"次", U"合", U"步", U"级", U"口", U"张", U"本", U"页"};

bool followed_by_any(std::u32string_view text, std::size_t pos, std::span<const std::u32string_view> units) {
  for (auto unit : units)
    if (starts_with(text, pos, unit)) return true;
  return false;
}

struct WordNumber {
  std::u32string_view word;
  double value;
};
// "one" is left out on purpose: "one of", "the one" are not claims.
constexpr WordNumber kWordNumbers[] = {{U"two", 2},    {U"three", 3},  {U"four", 4},   {U"five", 5},
                                       {U"six", 6},    {U"seven", 7},  {U"eight", 8},  {U"nine", 9},
                                       {U"ten", 10},   {U"eleven", 11}, {U"twelve", 12}, {U"twenty", 20},
                                       {U"thirty", 30}, {U"fifty", 50}, {U"hundred", 100}, {U"thousand", 1000}};

}  // namespace

std::optional<double> chinese_numeral_value(std::u32string_view run) {
  bool has_digit = false;
  bool has_unit = false;
  for (char32_t c : run) {
    if (chinese_digit(c) >= 0) has_digit = true;
    else if (chinese_unit(c) > 0) has_unit = true;
    else return std::nullopt;
  }
  if (!has_digit && !(has_unit && run.front() == U'十')) return std::nullopt;
  if (!has_unit) {  // 二零二六: digits read one by one
    double value = 0;
    for (char32_t c : run) value = value * 10 + chinese_digit(c);
    return value;
  }
  double total = 0;    // completed 万/亿 groups
  double section = 0;  // below the current 万
  double number = 0;   // pending digit
  double last_unit = 1;
  bool pending = false;
  for (char32_t c : run) {
    if (int d = chinese_digit(c); d >= 0) {
      number = d;
      pending = true;
      continue;
    }
    double unit = chinese_unit(c);
    if (unit >= 1e4) {
      section += number;
      total += (section == 0 ? 1 : section) * unit;
      section = 0;
      last_unit = unit;
    } else {
      if (!pending && unit == 10) number = 1;  // 十五 = 15
      section += number * unit;
      last_unit = unit;
    }
    number = 0;
    pending = false;
  }
  // Colloquial trailing digit: 两千五 = 2500, 一万二 = 12000.
  if (pending && last_unit >= 100) number *= last_unit / 10;
  return total + section + number;
}

std::vector<NumberSpan> find_numbers(std::u32string_view text, NumberMode mode) {
  std::vector<NumberSpan> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = text[pos];
    if (c >= U'0' && c <= U'9') {
      std::size_t begin = pos;
      std::string digits;
      while (pos < text.size()) {
        char32_t d = text[pos];
        if (d >= U'0' && d <= U'9') {
          digits.push_back(static_cast<char>(d));
          ++pos;
        } else if (d == U',') {
          // A thousands separator only when exactly three digits follow.
          std::size_t k = pos + 1;
          std::size_t run = 0;
          while (k < text.size() && text[k] >= U'0' && text[k] <= U'9') ++k, ++run;
          if (run != 3) break;
          ++pos;
        } else if (d == U'.' && pos + 1 < text.size() && text[pos + 1] >= U'0' && text[pos + 1] <= U'9' &&
                   digits.find('.') == std::string::npos) {
          digits.push_back('.');
          ++pos;
        } else {
          break;
        }
      }
      NumberSpan span;
      span.begin = begin;
      span.raw = std::strtod(digits.c_str(), nullptr);
      span.value = span.raw;
      if (pos < text.size()) {
        if (double unit = chinese_unit(text[pos]); unit >= 1000) {  // 3千, 1.5万 (not 3十)
          span.value = span.raw * unit;
          ++pos;
        }
      }
      span.end = pos;
      out.push_back(span);
      continue;
    }
    if (is_chinese_numeral(c)) {
      std::size_t begin = pos;
      while (pos < text.size() && is_chinese_numeral(text[pos])) ++pos;
      auto run = text.substr(begin, pos - begin);
      auto value = chinese_numeral_value(run);
      if (!value) continue;
      bool keep = mode == NumberMode::kPermissive;
      if (!keep) {
        bool has_unit_char = false;
        for (char32_t r : run) has_unit_char = has_unit_char || chinese_unit(r) > 0;
        bool single_everyday = run.size() == 1 && (run[0] == U'一' || run[0] == U'两');
        bool strong = followed_by_any(text, pos, kStrongUnits);
        bool measure = followed_by_any(text, pos, kMeasureUnits);
        // 十分 ("very") and 万一 ("in case") are words, not numbers.
        bool idiom = (run == U"十" && starts_with(text, pos, U"分") && !starts_with(text, pos, U"分钟")) ||
                     run.front() == U'万' || run.front() == U'千' || run.front() == U'百';
        keep = !idiom && (strong || (measure && !single_everyday) || (run.size() >= 2 && has_unit_char));
      }
      if (keep) out.push_back({*value, *value, begin, pos, true});
      continue;
    }
    if (is_ascii_alpha(c) && (pos == 0 || !is_ascii_alnum(text[pos - 1]))) {
      std::size_t end = pos;
      while (end < text.size() && is_ascii_alpha(text[end])) ++end;
      auto word = text.substr(pos, end - pos);
      for (const auto& entry : kWordNumbers)
        if (word == entry.word) out.push_back({entry.value, entry.value, pos, end, false});
      pos = end;
      continue;
    }
    ++pos;
  }
  return out;
}

std::string format_number(double value) {
  char buf[64];
  double rounded = std::round(value * 100) / 100;
  if (std::fabs(rounded - std::round(rounded)) < 1e-9) {
    std::snprintf(buf, sizeof buf, "%.0f", rounded);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", rounded);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    return s;
  }
  return buf;
}

// ------------------------------------------------------------------ length

std::string fit_chars(std::string_view text, std::size_t max_chars) {
  auto chars = to_u32(text);
  if (chars.size() <= max_chars) return std::string(text);
  if (max_chars == 0) return "";
  std::size_t half = max_chars / 3;  // a boundary in the last two thirds is worth the lost characters
  // Sentence end inside the budget (keep the punctuation).
  for (std::size_t cut = max_chars; cut > half; --cut)
    if (is_sentence_end(chars[cut - 1])) {
      auto kept = chars.substr(0, cut);
      while (!kept.empty() && (kept.back() == U'\n' || kept.back() == U' ')) kept.pop_back();
      return to_utf8(kept);
    }
  // Phrase break: drop the break itself and mark the cut.
  for (std::size_t cut = max_chars - 1; cut > half; --cut)
    if (is_phrase_break(chars[cut])) {
      auto kept = chars.substr(0, cut);
      while (!kept.empty() && is_phrase_break(kept.back())) kept.pop_back();
      if (!kept.empty()) return to_utf8(kept) + "…";
    }
  return to_utf8(chars.substr(0, max_chars - 1)) + "…";
}

// ------------------------------------------------------------------ terms

std::vector<std::size_t> find_term(std::u32string_view haystack, std::u32string_view needle) {
  std::vector<std::size_t> hits;
  if (needle.empty() || needle.size() > haystack.size()) return hits;
  bool latin_start = is_ascii_alnum(needle.front());
  bool latin_end = is_ascii_alnum(needle.back());
  for (std::size_t pos = haystack.find(needle); pos != std::u32string_view::npos;
       pos = haystack.find(needle, pos + 1)) {
    if (latin_start && pos > 0 && is_ascii_alnum(haystack[pos - 1])) continue;
    std::size_t end = pos + needle.size();
    if (latin_end && end < haystack.size() && is_ascii_alnum(haystack[end])) continue;
    hits.push_back(pos);
  }
  return hits;
}

bool contains_term(std::u32string_view haystack, std::u32string_view needle) {
  return !find_term(haystack, needle).empty();
}

}  // namespace tailor::semantic::detail
