// Segment descriptions by a language model: the facts of a segment (size,
// top features with their segment and overall means) go into a short chat;
// the reply is cleaned up and checked (length, language, numbers) before it
// replaces the rule words. Everything here is plain text handling; the model
// is whatever llm::Generator the caller opened (or a scripted fake in tests).
//
// Checks are plain string rules; they catch wrong language, invented numbers,
// echoed prompt lines and (English) descriptions that never name what the
// segment likes. They cannot catch every wrong claim in words.
//
// Numbers in facts and replies are read as decimal tokens: digits (ASCII or
// full-width), optional thousands separators ",ddd", optional ".digits".
#include <cmath>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "tailor/llm/llm.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

// ------------------------------------------------------------- UTF-8 ---

// Code points of valid UTF-8; nullopt on an invalid sequence.
std::optional<std::vector<char32_t>> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const int extra = lead < 0x80 ? 0 : (lead >> 5) == 0x6 ? 1 : (lead >> 4) == 0xE ? 2 : (lead >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || pos + static_cast<std::size_t>(extra) >= text.size()) return std::nullopt;
    char32_t cp = extra == 0 ? lead : extra == 1 ? (lead & 0x1F) : extra == 2 ? (lead & 0x0F) : (lead & 0x07);
    for (int k = 1; k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(text[pos + static_cast<std::size_t>(k)]);
      if ((cont >> 6) != 0x2) return std::nullopt;
      cp = (cp << 6) | (cont & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return std::nullopt;
    out.push_back(cp);
    pos += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

bool is_han(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x20000 && cp <= 0x2FA1F);
}
bool is_kana_or_hangul(char32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF);
}
bool is_latin_letter(char32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'); }
// 0..9 for ASCII and full-width digits, -1 otherwise.
int digit_value(char32_t cp) {
  if (cp >= '0' && cp <= '9') return static_cast<int>(cp - '0');
  if (cp >= 0xFF10 && cp <= 0xFF19) return static_cast<int>(cp - 0xFF10);
  return -1;
}

// ----------------------------------------------------------- numbers ---

struct Number {
  double value = 0;
  int decimals = 0;  // digits after the decimal point
};

std::vector<Number> numbers_in(const std::vector<char32_t>& text) {
  std::vector<Number> out;
  for (std::size_t pos = 0; pos < text.size();) {
    if (digit_value(text[pos]) < 0) {
      ++pos;
      continue;
    }
    std::string digits;
    auto take_digits = [&](std::size_t& at) {
      std::size_t count = 0;
      while (at < text.size() && digit_value(text[at]) >= 0) {
        digits += static_cast<char>('0' + digit_value(text[at++]));
        ++count;
      }
      return count;
    };
    take_digits(pos);
    // Thousands separators: ",ddd" (exactly three digits).
    while (pos < text.size() && text[pos] == ',') {
      std::size_t at = pos + 1;
      const std::string saved = digits;
      if (take_digits(at) != 3) {
        digits = saved;
        break;
      }
      pos = at;
    }
    Number number;
    if (pos + 1 < text.size() && (text[pos] == '.' || text[pos] == 0xFF0E) && digit_value(text[pos + 1]) >= 0) {
      digits += '.';
      ++pos;
      number.decimals = static_cast<int>(take_digits(pos));
    }
    number.value = std::strtod(digits.c_str(), nullptr);
    out.push_back(number);
  }
  return out;
}

// True when `said` is `fact` rounded to said's decimals, or (for a whole
// number with trailing zeros) to a power of ten it shows.
bool rounds_to(double fact, const Number& said) {
  const double tolerance = 1e-9 * std::max(1.0, std::fabs(said.value));
  const double scale = std::pow(10.0, said.decimals);
  if (std::fabs(std::round(std::fabs(fact) * scale) / scale - said.value) <= tolerance) return true;
  if (said.decimals == 0 && said.value >= 10) {
    for (double step = 10; step <= said.value; step *= 10) {
      if (std::fmod(said.value, step) != 0) break;
      if (std::fabs(std::round(std::fabs(fact) / step) * step - said.value) <= tolerance) return true;
    }
  }
  return false;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

// ------------------------------------------------------------- facts ---

// "0.623", "12.5", "1235": three significant digits, no exponent.
std::string format_fact(double value) {
  if (!std::isfinite(value)) return "unknown";
  if (value == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
  const int decimals = std::clamp(2 - magnitude, 0, 6);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

// What a feature measures, in words without numbers.
std::string gloss(const std::string& name, bool zh) {
  auto after = [&](std::string_view prefix) { return name.substr(prefix.size()); };
  if (name.starts_with(kAffinityPrefix))
    return zh ? "对" + after(kAffinityPrefix) + "类商品的偏好占比" : "share of activity in category " + after(kAffinityPrefix);
  if (name.starts_with(kChannelPrefix))
    return zh ? "通过" + after(kChannelPrefix) + "渠道的事件占比" : "share of events via the " + after(kChannelPrefix) + " channel";
  if (name.starts_with("attributes.")) {
    const std::string attr = name.substr(11);
    const auto eq = attr.find('=');
    if (eq == std::string::npos) return zh ? "属性 " + attr : "attribute " + attr;
    return zh ? attr.substr(0, eq) + " 为 " + attr.substr(eq + 1) + " 的比例"
              : "share with " + attr.substr(0, eq) + " = " + attr.substr(eq + 1);
  }
  static const std::map<std::string, std::pair<const char*, const char*>> kGlosses = {
      {"recency_days", {"days since the last activity", "距最近一次活动的天数"}},
      {"tenure_days", {"days since the first activity", "首次活动至今的天数"}},
      {"frequency", {"number of events", "行为事件数"}},
      {"active_days", {"days with activity", "活跃天数"}},
      {"purchases", {"number of purchases", "购买次数"}},
      {"carts", {"add-to-cart events", "加购次数"}},
      {"monetary", {"total spend", "消费总额"}},
      {"avg_order_value", {"average order value", "平均订单金额"}},
      {"hour_night", {"share of events at night", "夜间活动占比"}},
      {"hour_morning", {"share of events in the morning", "上午活动占比"}},
      {"hour_afternoon", {"share of events in the afternoon", "下午活动占比"}},
      {"hour_evening", {"share of events in the evening", "晚间活动占比"}},
      {"weekday_share", {"share of events on weekdays", "工作日活动占比"}},
      {"weekend_share", {"share of events at weekends", "周末活动占比"}},
      {"price_sensitivity", {"price paid relative to the category average", "购买价格相对品类均价的比值"}},
      {"avg_rating", {"average rating given", "平均评分"}},
      {"ratings", {"number of ratings", "评分次数"}},
      {"dislike_share", {"share of dislikes", "点踩占比"}},
      {"brand_loyalty", {"share of activity on the favourite brand", "最常互动品牌的占比"}},
      {"brand_count", {"number of brands", "互动品牌数"}},
  };
  auto it = kGlosses.find(name);
  return it == kGlosses.end() ? name : (zh ? it->second.second : it->second.first);
}

// A crude English stem: "running" -> "runn", "runners" -> "runn", "gamers" ->
// "gam", "phones" -> "phon", "books" -> "book".
std::string stem(std::string word) {
  auto drop = [&](std::string_view suffix, std::size_t min_size) {
    if (word.size() > min_size && word.ends_with(suffix)) {
      word.resize(word.size() - suffix.size());
      return true;
    }
    return false;
  };
  drop("ing", 5) || drop("ers", 5) || drop("er", 4) || drop("es", 4) || drop("s", 3);
  return word;
}

std::vector<std::string> ascii_words(std::string_view text) {
  std::vector<std::string> words(1);
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!words.back().empty()) words.emplace_back();
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

// True when a word of `text` shares its stem's start (up to five letters) with
// a part of `subject` ("phones-audio": "phon" or "audio"), so that "runners"
// mentions "running" and "gamers" mentions "gaming".
bool mentions(std::string_view text, const std::string& subject) {
  const auto words = ascii_words(text);
  for (const auto& part : ascii_words(subject)) {
    const std::string prefix = stem(part).substr(0, 5);
    if (prefix.size() < 3) continue;
    for (const auto& word : words)
      if (stem(word).starts_with(prefix)) return true;
  }
  return false;
}

std::string join(std::span<const std::string> words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// What an English description must mention: the categories the segment likes
// (affinity features with z > 0), when its top features have any.
std::vector<std::string> segment_subjects(const Segment& segment) {
  std::vector<std::string> out;
  for (const auto& f : segment.top_features)
    if (f.name.starts_with(kAffinityPrefix) && f.z > 0) out.push_back(f.name.substr(kAffinityPrefix.size()));
  return out;
}

std::string rule_description(const Segment& segment) {
  if (segment.description_source == "rules" || segment.no_activity) return segment.description;
  std::string words;
  for (const auto& f : segment.top_features) words += (words.empty() ? "" : ", ") + f.phrase;
  return words.empty() ? "close to the average user" : words;
}

}  // namespace

void SegmentDescribeOptions::validate() const {
  TAILOR_CHECK_ARG(!langs.empty() && langs.size() <= 2, "describe: langs must name 1 or 2 languages (zh, en)");
  for (const auto& lang : langs)
    TAILOR_CHECK_ARG(lang == "zh" || lang == "en", "describe: langs: unknown language '" + lang + "' (zh or en)");
  TAILOR_CHECK_ARG(langs.size() == 1 || langs[0] != langs[1], "describe: langs: '" + langs[0] + "' given twice");
  TAILOR_CHECK_ARG(max_chars >= 20 && max_chars <= 1000, "describe: max_chars must be in [20, 1000]");
  TAILOR_CHECK_ARG(max_tokens >= 8 && max_tokens <= 1024, "describe: max_tokens must be in [8, 1024]");
  TAILOR_CHECK_ARG(temperature >= 0 && temperature <= 2, "describe: temperature must be in [0, 2]");
  TAILOR_CHECK_ARG(attempts >= 1 && attempts <= 5, "describe: attempts must be in [1, 5]");
}

std::string segment_facts(const Segment& segment, std::size_t total_active, std::string_view lang) {
  const bool zh = lang == "zh";
  const double share = total_active > 0 ? 100.0 * static_cast<double>(segment.size) / static_cast<double>(total_active) : 0;
  std::string out;
  if (zh) {
    out = "- 群体人数：" + std::to_string(segment.size) + "（共" + std::to_string(total_active) + "名活跃用户，占" +
          format_fact(share) + "%）\n";
  } else {
    out = "- users in the segment: " + std::to_string(segment.size) + " of " + std::to_string(total_active) +
          " active users (" + format_fact(share) + "%)\n";
  }
  for (const auto& f : segment.top_features) {
    const bool higher = f.z > 0;
    out += "- " + f.name + (zh ? "（" : " (") + gloss(f.name, zh) + (zh ? "）：" : "): ");
    if (zh)
      out += "群体均值 " + format_fact(f.mean) + "，总体均值 " + format_fact(f.overall_mean) + "，" +
             (higher ? "高于" : "低于") + "平均\n";
    else
      out += "segment mean " + format_fact(f.mean) + ", overall mean " + format_fact(f.overall_mean) + ", " +
             (higher ? "higher" : "lower") + " than average\n";
  }
  return out;
}

std::vector<llm::ChatMessage> segment_description_prompt(const Segment& segment, std::size_t total_active,
                                                         std::string_view lang, std::size_t max_chars) {
  const std::string facts = segment_facts(segment, total_active, lang);
  if (lang == "zh")
    return {{"system", "你是市场分析师。你只根据给定的事实，用一句简短的中文描述一个用户群体。不要编造数字。"},
            {"user", "用户群体的事实：\n" + facts + "\n请用一句中文（不超过" + std::to_string(max_chars) +
                         "个字）向营销人员描述这个用户群体。只回复这句话。"}};
  return {{"system",
           "You are a marketing analyst. You describe a customer segment in one short sentence, using only the "
           "facts you are given. Never invent numbers."},
          {"user", "Facts about the customer segment:\n" + facts + "\nWrite one English sentence (at most " +
                       std::to_string(max_chars) +
                       " characters) that describes this segment for a marketer. Reply with the sentence only."}};
}

std::string clean_segment_description(std::string_view text) {
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    line = trim(text.substr(start, end - start));
    if (!line.empty()) break;
    start = end + 1;
  }
  if (line.rfind("- ", 0) == 0) line = trim(line.substr(2));
  // Outer quotes: "…", “…”, 「…」, 『…』.
  for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"\"", "\""}, {"“", "”"}, {"「", "」"},
                             {"『", "』"}, {"'", "'"}}) {
    if (line.size() >= open.size() + close.size() && line.starts_with(open) && line.ends_with(close)) {
      line = trim(line.substr(open.size(), line.size() - open.size() - close.size()));
      break;
    }
  }
  return line;
}

std::optional<std::string> check_segment_description(std::string_view text, std::string_view lang,
                                                     std::string_view facts, std::size_t max_chars,
                                                     std::span<const std::string> subjects) {
  if (trim(text).empty()) return "empty";
  auto chars = decode_utf8(text);
  if (!chars) return "not valid UTF-8";
  if (chars->size() > max_chars)
    return "too long: " + std::to_string(chars->size()) + " characters (max " + std::to_string(max_chars) + ")";
  std::size_t han = 0, other_cjk = 0, latin = 0, words = 0;
  bool in_word = false;
  for (char32_t cp : *chars) {
    han += is_han(cp);
    other_cjk += is_kana_or_hangul(cp);
    const bool letter = is_latin_letter(cp);
    latin += letter;
    words += letter && !in_word;
    in_word = letter;
  }
  if (lang == "zh") {
    if (han < 4 || 2 * han < latin) return "not Chinese: " + std::to_string(han) + " Han characters, " +
                                           std::to_string(latin) + " Latin letters";
  } else {
    if (han + other_cjk > 0) return "not English: contains CJK characters";
    if (words < 3) return "not English: fewer than 3 words";
  }
  // Small models like to echo the prompt: a heading ("用户群体的事实：") or a fact line.
  if (text.ends_with(":") || text.ends_with("：")) return "a heading, not a sentence";
  if (facts.find(text) != std::string_view::npos) return "echoes the facts";
  if (!subjects.empty() && lang == "en") {
    bool mentioned = false;
    for (const auto& subject : subjects) mentioned = mentioned || mentions(text, subject);
    if (!mentioned) return "mentions none of: " + join(subjects);
  }
  auto fact_chars = decode_utf8(facts);
  std::vector<double> allowed;
  if (fact_chars)
    for (const Number& n : numbers_in(*fact_chars)) {
      allowed.push_back(n.value);
      if (n.value <= 1) allowed.push_back(n.value * 100);  // a share as a percentage
    }
  for (const Number& said : numbers_in(*chars)) {
    bool ok = false;
    for (double fact : allowed) ok = ok || rounds_to(fact, said);
    if (!ok) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", said.decimals, said.value);
      return std::string("number not in the facts: ") + buf;
    }
  }
  return std::nullopt;
}

SegmentDescribeStats describe_segments(SegmentResult& result, llm::Generator* generator,
                                       const SegmentDescribeOptions& options) {
  options.validate();
  SegmentDescribeStats stats;
  std::size_t total_active = 0;
  for (const auto& segment : result.segments)
    if (!segment.no_activity) total_active += segment.size;
  for (auto& segment : result.segments) {
    const std::string rules = rule_description(segment);
    segment.descriptions.clear();
    for (const auto& lang : options.langs) {
      SegmentDescription d{lang, rules, "rules", ""};
      if (segment.no_activity) {
        d.rejected = "";  // nothing to describe beyond the rule words
      } else if (generator == nullptr) {
        d.rejected = "no generator";
      } else {
        const std::string facts = segment_facts(segment, total_active, lang);
        const auto subjects = segment_subjects(segment);
        const auto messages = segment_description_prompt(segment, total_active, lang, options.max_chars);
        for (int attempt = 0; attempt < options.attempts; ++attempt) {
          llm::GenerateOptions gen;
          gen.max_tokens = options.max_tokens;
          gen.temperature = options.temperature;
          gen.seed = options.seed + static_cast<std::uint32_t>(attempt);
          gen.stop = {"\n\n"};
          const std::string text = clean_segment_description(generator->chat(messages, gen).text);
          ++stats.generations;
          if (auto reason = check_segment_description(text, lang, facts, options.max_chars, subjects)) {
            d.rejected = *reason;
            continue;
          }
          d.text = text;
          d.source = "llm";
          d.rejected.clear();
          break;
        }
      }
      (d.source == "llm" ? stats.llm : stats.rules) += 1;
      segment.descriptions.push_back(std::move(d));
    }
    segment.description = segment.descriptions.front().text;
    segment.description_source = segment.descriptions.front().source;
  }
  return stats;
}

}  // namespace tailor::profile
