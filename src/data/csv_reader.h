// RFC 4180 CSV/TSV reader over a ChunkBuffer: quoted fields, doubled quotes,
// newlines inside quotes, CRLF or LF line ends, a UTF-8 BOM, any one-byte
// delimiter (',', '\t', '|', ...). Fields are string_views into the chunk
// buffer (quoted fields are unescaped in place), so a record costs no
// allocation once the field vector has grown.
//
// Lenient where RFC 4180 is silent: a quote inside an unquoted field is a
// literal character, text after a closing quote is appended to the field (as
// Python's csv module does), and empty lines are skipped. Strict where data
// would be lost: a quote still open at end of file throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "byte_source.h"

namespace tailor::data {

class CsvReader {
 public:
  CsvReader(std::string path, char delimiter, Progress* progress = nullptr,
            std::size_t chunk_bytes = std::size_t{1} << 20);

  // Reads the next record into fields. The views stay valid until the next
  // call. False at end of file. Throws InvalidArgument naming the file, line
  // and column for a quoted field left open at end of file.
  bool next(std::vector<std::string_view>& fields);

  // Physical (1-based) line on which the last record returned starts; a record
  // with newlines inside quotes spans several lines and the next record's
  // number counts them.
  std::uint64_t line() const { return record_line_; }
  const std::string& path() const { return buffer_.path(); }
  // Header names, so errors can name the column rather than its number.
  void set_column_names(std::vector<std::string> names) { column_names_ = std::move(names); }

 private:
  enum class Scan { kRecord, kBlank, kNeedMore, kEnd };
  struct RawField {
    std::size_t begin;  // offsets from the buffer's unread start
    std::size_t end;    // for quoted fields, including the quotes
    bool quoted;
    bool escaped;  // needs unescaping: doubled quotes or text after the closing quote
  };
  Scan scan(bool at_eof, std::size_t& consumed, std::uint64_t& newlines);

  ChunkBuffer buffer_;
  char delimiter_;
  std::uint64_t next_line_ = 1;
  std::uint64_t record_line_ = 0;
  std::vector<RawField> raw_;
  std::vector<std::string> column_names_;
};

}  // namespace tailor::data
