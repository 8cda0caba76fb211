// Small text helpers shared by the readers, the row cleaner and the adapters:
// trimming, whole-string number parsing without allocation (std::from_chars),
// "numbers stay numbers" typing of free columns, list splitting and Latin-1
// conversion. Private to the data component.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tailor/data/data.h"

namespace tailor::data {

// Strips ASCII spaces, tabs, CR and LF from both ends.
std::string_view trim_ascii(std::string_view text);

// The whole (trimmed) text as a finite double / int64; nullopt otherwise.
// A leading '+' is accepted. Never allocates.
std::optional<double> parse_double(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);

// true/false, 1/0, yes/no, y/n, t/f (any case); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text);

// A price as people write it: an optional leading currency sign ($, €, £, ¥)
// before the number. With `thousands` set, ',' separators are dropped first.
std::optional<double> parse_price(std::string_view text, bool thousands);

// Value for a free column (unmapped, or context.KEY / attributes.KEY): text
// that is a plain number becomes a JSON number, anything else normalised text.
// Numbers with a leading zero ("02134", a zip code) stay text so nothing is lost.
Json auto_typed(std::string_view text);

// Splits on `separator`, normalises each part, drops empty parts and repeats
// (first occurrence kept), appending to out.
void split_list(std::string_view text, std::string_view separator, std::vector<std::string>& out);

// Appends text unless it is empty or already present.
void add_unique(std::vector<std::string>& list, std::string text);

// ISO-8859-1 bytes to UTF-8 (every byte >= 0x80 becomes two bytes).
void latin1_to_utf8(std::string_view in, std::string& out);

}  // namespace tailor::data
