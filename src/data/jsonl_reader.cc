// JSON Lines reader; see jsonl_reader.h.
#include "jsonl_reader.h"

#include <cstring>

#include "text_util.h"

namespace tailor::data {

JsonlReader::JsonlReader(std::string path, Progress* progress, std::size_t chunk_bytes)
    : buffer_(std::move(path), progress, chunk_bytes) {}

JsonlReader::Status JsonlReader::next(Json& object, std::string& error) {
  for (;;) {
    const char* base = buffer_.data();
    const std::size_t n = buffer_.size();
    const auto* newline = n == 0 ? nullptr : static_cast<const char*>(std::memchr(base, '\n', n));
    if (newline == nullptr && !buffer_.eof()) {
      buffer_.refill();
      continue;
    }
    if (newline == nullptr && n == 0) return Status::kEnd;
    std::size_t length = newline == nullptr ? n : static_cast<std::size_t>(newline - base);
    std::string_view text = trim_ascii(std::string_view(base, length));
    buffer_.consume(newline == nullptr ? n : length + 1);
    ++line_;
    if (text.empty()) continue;
    try {
      object = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
      error = std::string("not valid JSON: ") + e.what();
      return Status::kBad;
    }
    if (!object.is_object()) {
      error = std::string("expected a JSON object, got ") + object.type_name();
      return Status::kBad;
    }
    return Status::kObject;
  }
}

}  // namespace tailor::data
