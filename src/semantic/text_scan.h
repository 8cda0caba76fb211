// Private helpers of the semantic component for reading short bilingual text
// (queries, marketing copy, item facts): UTF-8 <-> code points, a matching
// fold, script detection, number extraction (Arabic digits, Chinese numerals,
// a few English number words) and length limits at character boundaries.
//
// Scanning works on std::u32string (one element per code point) so that
// "the two characters before this number" is an index, not a UTF-8 walk.
// Every function here is pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tailor::semantic::detail {

// Decodes UTF-8; invalid bytes become U+FFFD (callers pass normalised text).
std::u32string to_u32(std::string_view text);
std::string to_utf8(std::u32string_view text);

// CJK ideographs (unified, extension A, compatibility).
bool is_cjk(char32_t c);
bool is_ascii_alnum(char32_t c);
bool is_ascii_alpha(char32_t c);
// Sentence-ending punctuation in either script.
bool is_sentence_end(char32_t c);
// Punctuation or whitespace that may end a phrase (，、；: and friends).
bool is_phrase_break(char32_t c);

// The form text is compared in: NFC (data::normalize_text, which also collapses
// whitespace), full-width ASCII folded to ASCII (Ａ１ -> a1, ￥ -> ¥), ASCII
// lower-cased. Chinese is unaffected. Queries, copy and item facts are all
// folded the same way before any matching, so "２９９元" matches 299.
std::string fold(std::string_view text);
// `lower` = false keeps ASCII case (brand detection needs it).
std::u32string fold32(std::string_view text, bool lower = true);

std::size_t count_chars(std::string_view text);

// Letters by script: CJK ideographs and ASCII letters (after folding).
struct ScriptCounts {
  std::size_t cjk = 0;
  std::size_t latin = 0;
  double cjk_share() const { return cjk + latin == 0 ? 0.0 : static_cast<double>(cjk) / (cjk + latin); }
};
ScriptCounts script_counts(std::string_view text);
// "zh" when the text has at least two CJK ideographs or a CJK share >= 0.3,
// else "en". A Chinese shopper often types Latin brand names ("iPhone 15 不要"),
// so a couple of ideographs are enough to call it Chinese.
std::string detect_language(std::string_view text);

// A number found in text. Positions index the u32 string it was found in.
struct NumberSpan {
  double value = 0;          // with Chinese scale characters applied (3千 -> 3000, 1.5万 -> 15000)
  double raw = 0;            // the digits alone (3千 -> 3)
  std::size_t begin = 0;     // first code point of the number
  std::size_t end = 0;       // one past the last code point (after any 千/万 scale)
  bool chinese = false;      // written with Chinese numerals
};

enum class NumberMode {
  // Item facts: every digit run and every Chinese numeral run counts, so that
  // the set of grounded numbers is generous.
  kPermissive,
  // Copy under check: Chinese numerals count only when they are clearly a
  // quantity (a multi-character numeral such as 三千, or followed by a unit:
  // 两小时, 五折), because 一 and 两 are everyday words (一款, 一起, 两个人).
  kStrict,
};
std::vector<NumberSpan> find_numbers(std::u32string_view text, NumberMode mode);

// Value of a run of Chinese numerals (两千五 -> 2500, 一万二 -> 12000,
// 二零二六 -> 2026); nullopt when the run holds no digit.
std::optional<double> chinese_numeral_value(std::u32string_view run);
bool is_chinese_numeral(char32_t c);

// Shortest decimal form: 299.0 -> "299", 79.9 -> "79.9", 12.345 -> "12.35".
std::string format_number(double value);

// Cuts text to at most max_chars code points: at the last sentence end in the
// last two thirds of the budget, else at the last phrase break or space there,
// else at a code point with "…" appended. Never splits a UTF-8 sequence.
std::string fit_chars(std::string_view text, std::size_t max_chars);

// True when `needle` occurs in `haystack` at a position where a Latin needle
// is not glued to other Latin letters or digits ("ssd" in "portable ssd", not
// "pad" in "ipad"). CJK needles match anywhere.
bool contains_term(std::u32string_view haystack, std::u32string_view needle);
// Every position where contains_term would match.
std::vector<std::size_t> find_term(std::u32string_view haystack, std::u32string_view needle);

}  // namespace tailor::semantic::detail
