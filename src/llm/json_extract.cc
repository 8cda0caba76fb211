// extract_json_object: the first JSON object in a language model's output.
//
// Small models rarely answer with bare JSON even when asked: they wrap it in
// prose ("Sure! Here is the JSON: ..."), in ``` fences, add a trailing comma,
// or stop mid-object when max_tokens runs out. Grammar-constrained output is
// clean, but remote endpoints may ignore the grammar, so every caller goes
// through this one tolerant reader. It never guesses content: the repairs are
// removing trailing commas and closing a truncated object's open strings and
// brackets; anything else that does not parse is skipped.
#include <optional>
#include <string>
#include <string_view>

#include "tailor/llm/llm.h"

namespace tailor::llm {
namespace {

std::optional<nlohmann::json> parse_object(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

// Drops commas that are followed (after whitespace) by '}' or ']', outside strings.
std::string remove_trailing_commas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false, escaped = false;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (in_string) {
      out.push_back(c);
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      std::size_t next = pos + 1;
      while (next < text.size() && (text[next] == ' ' || text[next] == '\n' || text[next] == '\r' || text[next] == '\t'))
        ++next;
      if (next < text.size() && (text[next] == '}' || text[next] == ']')) continue;
    }
    out.push_back(c);
  }
  return out;
}

std::optional<nlohmann::json> parse_lenient(std::string_view text) {
  if (auto doc = parse_object(text)) return doc;
  return parse_object(remove_trailing_commas(text));
}

// Closes an object that was cut off: the open string, a dangling comma or
// "key": , then the open brackets innermost first.
std::optional<nlohmann::json> close_truncated(std::string_view text, bool in_string, bool escaped,
                                              const std::string& open_brackets) {
  std::string fixed(text);
  if (in_string) {
    if (escaped) fixed.pop_back();  // a lone backslash cannot end a string
    fixed.push_back('"');
  }
  while (!fixed.empty() && (fixed.back() == ' ' || fixed.back() == '\n' || fixed.back() == '\r' ||
                            fixed.back() == '\t' || fixed.back() == ','))
    fixed.pop_back();
  if (!fixed.empty() && fixed.back() == ':') fixed += "null";
  for (auto it = open_brackets.rbegin(); it != open_brackets.rend(); ++it) fixed.push_back(*it == '{' ? '}' : ']');
  return parse_lenient(fixed);
}

}  // namespace

std::optional<nlohmann::json> extract_json_object(std::string_view text) {
  for (std::size_t start = text.find('{'); start != std::string_view::npos; start = text.find('{', start + 1)) {
    // Scan for the bracket that balances text[start], honouring strings.
    std::string open_brackets;
    bool in_string = false, escaped = false, mismatched = false;
    std::size_t end = std::string_view::npos;
    for (std::size_t pos = start; pos < text.size() && end == std::string_view::npos && !mismatched; ++pos) {
      const char c = text[pos];
      if (in_string) {
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') in_string = false;
        continue;
      }
      switch (c) {
        case '"': in_string = true; break;
        case '{':
        case '[': open_brackets.push_back(c); break;
        case '}':
        case ']':
          if (open_brackets.empty() || (open_brackets.back() == '{') != (c == '}')) {
            mismatched = true;
            break;
          }
          open_brackets.pop_back();
          if (open_brackets.empty()) end = pos;
          break;
        default: break;
      }
    }
    if (mismatched) continue;
    if (end != std::string_view::npos) {
      if (auto doc = parse_lenient(text.substr(start, end - start + 1))) return doc;
      continue;  // balanced but not JSON ("{name}" in prose): try the next '{'
    }
    // Ran off the end: the output was cut off inside this object. Any later
    // '{' is nested in it, so this is the last chance.
    return close_truncated(text.substr(start), in_string, escaped, open_brackets);
  }
  return std::nullopt;
}

}  // namespace tailor::llm
