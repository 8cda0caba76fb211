// JSON Lines reader: one JSON object per line, plain or gzip, over a
// ChunkBuffer. Blank lines are skipped; a line that is not a JSON object is
// reported (with its line number) so the importer can count it as a bad row.
#pragma once

#include <cstdint>
#include <string>

#include "byte_source.h"
#include "tailor/data/data.h"

namespace tailor::data {

class JsonlReader {
 public:
  enum class Status { kObject, kBad, kEnd };

  explicit JsonlReader(std::string path, Progress* progress = nullptr,
                       std::size_t chunk_bytes = std::size_t{1} << 20);

  // Reads the next non-blank line. kObject: `object` holds it. kBad: the line
  // is not valid JSON or not an object; `error` says why. kEnd at end of file.
  Status next(Json& object, std::string& error);

  // 1-based line of the last line returned.
  std::uint64_t line() const { return line_; }
  const std::string& path() const { return buffer_.path(); }

 private:
  ChunkBuffer buffer_;
  std::uint64_t line_ = 0;
};

}  // namespace tailor::data
