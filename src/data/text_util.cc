// Text helpers for the importers; see text_util.h.
#include "text_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace tailor::data {

std::string_view trim_ascii(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<double> parse_double(std::string_view text) {
  text = trim_ascii(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  text = trim_ascii(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  text = trim_ascii(text);
  if (text.size() > 5) return std::nullopt;
  char lower[6] = {};
  for (std::size_t k = 0; k < text.size(); ++k)
    lower[k] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
  std::string_view t(lower, text.size());
  if (t == "true" || t == "1" || t == "yes" || t == "y" || t == "t") return true;
  if (t == "false" || t == "0" || t == "no" || t == "n" || t == "f") return false;
  return std::nullopt;
}

std::optional<double> parse_price(std::string_view text, bool thousands) {
  text = trim_ascii(text);
  for (std::string_view sign : {"$", "\xE2\x82\xAC" /* € */, "\xC2\xA3" /* £ */, "\xC2\xA5" /* ¥ */}) {
    if (text.substr(0, sign.size()) == sign) {
      text = trim_ascii(text.substr(sign.size()));
      break;
    }
  }
  if (!thousands || text.find(',') == std::string_view::npos) return parse_double(text);
  std::string digits;
  for (char c : text)
    if (c != ',') digits.push_back(c);
  return parse_double(digits);
}

Json auto_typed(std::string_view text) {
  std::string_view t = trim_ascii(text);
  std::string_view digits = t.substr(!t.empty() && t.front() == '-' ? 1 : 0);
  bool leading_zero = digits.size() > 1 && digits[0] == '0' && digits[1] != '.';
  if (!t.empty() && !leading_zero && t.front() != '+') {
    if (auto i = parse_int(t)) return *i;
    // Only decimal notation: "inf"/"nan" are rejected by parse_double already.
    if (auto d = parse_double(t)) return *d;
  }
  return normalize_text(text);
}

void add_unique(std::vector<std::string>& list, std::string text) {
  if (text.empty()) return;
  if (std::find(list.begin(), list.end(), text) != list.end()) return;
  list.push_back(std::move(text));
}

void split_list(std::string_view text, std::string_view separator, std::vector<std::string>& out) {
  if (separator.empty()) {
    add_unique(out, normalize_text(text));
    return;
  }
  std::size_t pos = 0;
  for (;;) {
    std::size_t hit = text.find(separator, pos);
    std::string_view part = text.substr(pos, hit == std::string_view::npos ? std::string_view::npos : hit - pos);
    add_unique(out, normalize_text(part));
    if (hit == std::string_view::npos) break;
    pos = hit + separator.size();
  }
}

void latin1_to_utf8(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size() + in.size() / 8);
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

}  // namespace tailor::data
