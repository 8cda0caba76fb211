// RFC 4180 reader; see csv_reader.h. A record is scanned without touching the
// buffer first (a record cut by the chunk end is rescanned after a refill),
// and only once it is complete are its quoted fields unescaped in place.
#include "csv_reader.h"

#include <algorithm>
#include <cstring>

namespace tailor::data {

namespace {

// Unescapes a quoted field in place: [begin, end) starts with the opening
// quote. Inside quotes "" is one quote; after the closing quote everything is
// literal. Returns the unescaped text, which starts at begin.
std::string_view unescape_in_place(char* begin, char* end) {
  char* out = begin;
  const char* in = begin + 1;
  bool in_quotes = true;
  while (in < end) {
    char c = *in++;
    if (in_quotes && c == '"') {
      if (in < end && *in == '"') {
        *out++ = '"';
        ++in;
      } else {
        in_quotes = false;
      }
      continue;
    }
    *out++ = c;
  }
  return {begin, static_cast<std::size_t>(out - begin)};
}

}  // namespace

CsvReader::CsvReader(std::string path, char delimiter, Progress* progress, std::size_t chunk_bytes)
    : buffer_(std::move(path), progress, chunk_bytes), delimiter_(delimiter) {
  TAILOR_CHECK_ARG(delimiter != '"' && delimiter != '\n' && delimiter != '\r' && delimiter != '\0',
                   "csv: delimiter must not be a quote, a line break or NUL");
}

CsvReader::Scan CsvReader::scan(bool at_eof, std::size_t& consumed, std::uint64_t& newlines) {
  const char* base = buffer_.data();
  const std::size_t n = buffer_.size();
  const char delim = delimiter_;
  raw_.clear();
  newlines = 0;
  if (n == 0) return at_eof ? Scan::kEnd : Scan::kNeedMore;
  if (base[0] == '\n' || (base[0] == '\r' && n >= 2 && base[1] == '\n')) {
    consumed = base[0] == '\n' ? 1 : 2;
    newlines = 1;
    return Scan::kBlank;
  }
  if (base[0] == '\r' && n == 1 && !at_eof) return Scan::kNeedMore;

  std::size_t p = 0;
  for (;;) {  // one field per iteration
    const std::size_t start = p;
    if (p < n && base[p] == '"') {
      const std::uint64_t field_line = next_line_ + newlines;
      bool escaped = false;
      std::size_t q = p + 1;
      for (;;) {
        const auto* hit = static_cast<const char*>(std::memchr(base + q, '"', n - q));
        if (hit == nullptr) {
          if (!at_eof) return Scan::kNeedMore;
          const std::size_t column = raw_.size();
          std::string name = column < column_names_.size() ? "field '" + column_names_[column] + "'"
                                                           : "column " + std::to_string(column + 1);
          throw_error(ErrorCode::kInvalidArgument,
                      buffer_.path() + ":" + std::to_string(field_line) + ": " + name +
                          ": unterminated quoted field (the quote opened here is never closed)");
        }
        std::size_t h = static_cast<std::size_t>(hit - base);
        newlines += static_cast<std::uint64_t>(std::count(base + q, hit, '\n'));
        if (h + 1 == n && !at_eof) return Scan::kNeedMore;  // "" or a closing quote: cannot tell yet
        if (h + 1 < n && base[h + 1] == '"') {
          escaped = true;
          q = h + 2;
          continue;
        }
        p = h + 1;
        break;
      }
      const std::size_t close_end = p;
      while (p < n && base[p] != delim && base[p] != '\n') ++p;
      if (p == n && !at_eof) return Scan::kNeedMore;
      std::size_t end = p;
      if (end > close_end && base[end - 1] == '\r' && (p == n || base[p] == '\n')) --end;
      if (end != close_end) escaped = true;
      raw_.push_back({start, end, true, escaped});
    } else {
      while (p < n && base[p] != delim && base[p] != '\n') ++p;
      if (p == n && !at_eof) return Scan::kNeedMore;
      std::size_t end = p;
      if (end > start && base[end - 1] == '\r' && (p == n || base[p] == '\n')) --end;
      raw_.push_back({start, end, false, false});
    }
    if (p == n) {  // last record of the file, without a line end
      consumed = n;
      return Scan::kRecord;
    }
    if (base[p] == delim) {
      ++p;
      continue;
    }
    ++newlines;  // base[p] == '\n'
    consumed = p + 1;
    return Scan::kRecord;
  }
}

bool CsvReader::next(std::vector<std::string_view>& fields) {
  for (;;) {
    std::size_t consumed = 0;
    std::uint64_t newlines = 0;
    Scan result = scan(buffer_.eof(), consumed, newlines);
    if (result == Scan::kNeedMore) {
      buffer_.refill();
      continue;
    }
    if (result == Scan::kEnd) return false;
    record_line_ = next_line_;
    next_line_ += newlines;
    // A line holding nothing (a lone "\r" at end of file included) is blank too.
    if (result == Scan::kBlank || (raw_.size() == 1 && !raw_[0].quoted && raw_[0].begin == raw_[0].end)) {
      buffer_.consume(consumed);
      continue;
    }
    char* base = buffer_.mutable_data();
    fields.clear();
    for (const RawField& f : raw_) {
      if (!f.quoted)
        fields.emplace_back(base + f.begin, f.end - f.begin);
      else if (!f.escaped)
        fields.emplace_back(base + f.begin + 1, f.end - f.begin - 2);
      else
        fields.push_back(unescape_in_place(base + f.begin, base + f.end));
    }
    buffer_.consume(consumed);
    return true;
  }
}

}  // namespace tailor::data
