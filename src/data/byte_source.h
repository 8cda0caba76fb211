// Reading outside files in large chunks, plain or gzip (zlib reads both
// transparently), with a sliding buffer the CSV and JSONL readers parse in place.
//
// Layout of ChunkBuffer: one byte vector; [pos, end) holds bytes not yet
// consumed. consume() only moves pos, so views into consumed bytes stay valid
// until the next refill(), which moves the unconsumed tail to the front and
// reads the next chunk behind it (growing the vector when one record is larger
// than a chunk).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tailor/core/core.h"

struct gzFile_s;

namespace tailor::data {

// A file opened for reading through zlib. Throws NotFound when the file does
// not exist, IO when it cannot be opened or read, Corruption for a damaged or
// truncated gzip stream. Not thread-safe.
class ByteSource {
 public:
  explicit ByteSource(std::string path);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Reads up to n decompressed bytes; 0 at end of file.
  std::size_t read(char* dst, std::size_t n);
  // Bytes of the file itself (compressed, for .gz) consumed so far; drives progress.
  std::uint64_t consumed() const;
  const std::string& path() const { return path_; }

  // Size of the file on disk; throws like the constructor.
  static std::uint64_t file_size(const std::string& path);

 private:
  struct Closer {
    void operator()(gzFile_s* file) const;
  };
  std::string path_;
  std::unique_ptr<gzFile_s, Closer> file_;
};

class ChunkBuffer {
 public:
  // progress (may be null) receives the file bytes consumed as chunks are read.
  ChunkBuffer(std::string path, Progress* progress, std::size_t chunk_bytes = std::size_t{1} << 20);

  const char* data() const { return buf_.data() + pos_; }
  char* mutable_data() { return buf_.data() + pos_; }
  std::size_t size() const { return end_ - pos_; }
  // True once the source is exhausted: size() bytes are all there is.
  bool eof() const { return eof_; }
  void consume(std::size_t n) { pos_ += n; }
  // Keeps the unconsumed bytes and appends the next chunk. Invalidates pointers
  // and views into the buffer. A UTF-8 byte order mark opening the file is dropped.
  void refill();
  const std::string& path() const { return source_.path(); }

 private:
  ByteSource source_;
  Progress* progress_;
  std::size_t chunk_bytes_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool at_start_ = true;
  std::uint64_t reported_ = 0;
};

}  // namespace tailor::data
