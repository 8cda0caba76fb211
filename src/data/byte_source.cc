// Chunked plain/gzip file reading; see byte_source.h.
#include "byte_source.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <system_error>

namespace tailor::data {

namespace {

void check_readable(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw_error(ErrorCode::kNotFound, path + ": no such file");
  if (std::filesystem::is_directory(status)) throw_error(ErrorCode::kIO, path + ": is a directory, expected a file");
}

}  // namespace

void ByteSource::Closer::operator()(gzFile_s* file) const { gzclose(file); }

ByteSource::ByteSource(std::string path) : path_(std::move(path)) {
  check_readable(path_);
  file_.reset(gzopen(path_.c_str(), "rb"));
  if (!file_) throw_error(ErrorCode::kIO, path_ + ": cannot open: " + std::strerror(errno));
  // zlib's own input buffer; larger than the 8 KiB default so a read() of a
  // chunk costs few system calls.
  gzbuffer(file_.get(), 256 * 1024);
}

ByteSource::~ByteSource() = default;

std::size_t ByteSource::read(char* dst, std::size_t n) {
  std::size_t total = 0;
  while (total < n) {
    unsigned want = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
    int got = gzread(file_.get(), dst + total, want);
    if (got < 0) {
      int code = Z_OK;
      const char* message = gzerror(file_.get(), &code);
      if (code == Z_ERRNO) throw_error(ErrorCode::kIO, path_ + ": read failed: " + std::strerror(errno));
      throw_error(ErrorCode::kCorruption, path_ + ": damaged gzip data: " + (message ? message : "unknown"));
    }
    if (got == 0) {
      // A truncated gzip member reads as a short stream with Z_BUF_ERROR set.
      int code = Z_OK;
      const char* message = gzerror(file_.get(), &code);
      if (code != Z_OK)
        throw_error(ErrorCode::kCorruption, path_ + ": damaged gzip data: " + (message ? message : "unknown"));
      break;
    }
    total += static_cast<std::size_t>(got);
  }
  return total;
}

std::uint64_t ByteSource::consumed() const {
  z_off_t offset = gzoffset(file_.get());
  return offset < 0 ? 0 : static_cast<std::uint64_t>(offset);
}

std::uint64_t ByteSource::file_size(const std::string& path) {
  check_readable(path);
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw_error(ErrorCode::kIO, path + ": cannot stat: " + ec.message());
  return size;
}

ChunkBuffer::ChunkBuffer(std::string path, Progress* progress, std::size_t chunk_bytes)
    : source_(std::move(path)), progress_(progress), chunk_bytes_(chunk_bytes) {}

void ChunkBuffer::refill() {
  if (eof_) return;
  std::size_t unread = end_ - pos_;
  if (pos_ > 0 && unread > 0) std::memmove(buf_.data(), buf_.data() + pos_, unread);
  pos_ = 0;
  end_ = unread;
  if (buf_.size() < end_ + chunk_bytes_) buf_.resize(std::max(buf_.size() * 2, end_ + chunk_bytes_));
  std::size_t got = source_.read(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) eof_ = true;
  end_ += got;
  if (at_start_) {
    // read() fills the whole request unless the file ends, so the first read
    // holds the first three bytes of any file that has them.
    at_start_ = false;
    if (end_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  if (progress_ != nullptr) {
    std::uint64_t now = source_.consumed();
    if (now > reported_) progress_->add(now - reported_);
    reported_ = now;
  }
}

}  // namespace tailor::data
