// Binary encoding of model files: little-endian fixed-width numbers, u64
// length prefixes for strings and arrays. Readers never trust a length: they
// read in bounded chunks, so a corrupt prefix fails as truncation instead of
// allocating gigabytes, and every short read throws Corruption.
#include <algorithm>
#include <bit>
#include <cstring>
#include <istream>
#include <ostream>

#include "tailor/model/model.h"

namespace tailor::model::io {
namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

[[noreturn]] void truncated(const char* what) {
  throw_error(ErrorCode::kCorruption, std::string("model file truncated while reading ") + what);
}

void read_exact(std::istream& in, void* dst, std::size_t bytes, const char* what) {
  in.read(static_cast<char*>(dst), static_cast<std::streamsize>(bytes));
  if (static_cast<std::size_t>(in.gcount()) != bytes) truncated(what);
}

template <typename T>
void write_le(std::ostream& out, T v) {
  unsigned char bytes[sizeof(T)];
  for (std::size_t byte_idx = 0; byte_idx < sizeof(T); ++byte_idx)
    bytes[byte_idx] = static_cast<unsigned char>(v >> (8 * byte_idx));
  out.write(reinterpret_cast<const char*>(bytes), sizeof(T));
}

template <typename T>
T read_le(std::istream& in, const char* what) {
  unsigned char bytes[sizeof(T)];
  read_exact(in, bytes, sizeof(T), what);
  T v = 0;
  for (std::size_t byte_idx = 0; byte_idx < sizeof(T); ++byte_idx)
    v |= static_cast<T>(static_cast<T>(bytes[byte_idx]) << (8 * byte_idx));
  return v;
}

// Arrays of 4-byte values: a raw block on little-endian hosts, byte by byte elsewhere.
template <typename T>
void write_array(std::ostream& out, std::span<const T> v) {
  static_assert(sizeof(T) == 4);
  write_le<std::uint64_t>(out, v.size());
  if constexpr (std::endian::native == std::endian::little) {
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size_bytes()));
  } else {
    for (const T& x : v) {
      std::uint32_t bits;
      std::memcpy(&bits, &x, 4);
      write_le(out, bits);
    }
  }
}

template <typename T>
std::vector<T> read_array(std::istream& in, const char* what) {
  static_assert(sizeof(T) == 4);
  const auto count = read_le<std::uint64_t>(in, what);
  std::vector<T> v;
  std::uint64_t done = 0;
  while (done < count) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(count - done, kChunkBytes / 4));
    v.resize(static_cast<std::size_t>(done) + chunk);
    read_exact(in, v.data() + done, chunk * 4, what);
    if constexpr (std::endian::native != std::endian::little) {
      for (std::size_t pos = 0; pos < chunk; ++pos) {
        unsigned char* b = reinterpret_cast<unsigned char*>(v.data() + done + pos);
        std::uint32_t bits = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
        std::memcpy(v.data() + done + pos, &bits, 4);
      }
    }
    done += chunk;
  }
  return v;
}

}  // namespace

void write_u32(std::ostream& out, std::uint32_t v) { write_le(out, v); }
void write_u64(std::ostream& out, std::uint64_t v) { write_le(out, v); }
void write_f32(std::ostream& out, float v) { write_le(out, std::bit_cast<std::uint32_t>(v)); }
void write_f64(std::ostream& out, double v) { write_le(out, std::bit_cast<std::uint64_t>(v)); }

void write_string(std::ostream& out, const std::string& s) {
  write_le<std::uint64_t>(out, s.size());
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

void write_floats(std::ostream& out, std::span<const float> v) { write_array(out, v); }
void write_u32s(std::ostream& out, std::span<const std::uint32_t> v) { write_array(out, v); }

// rows, cols, indptr (rows + 1 u64), indices, values.
void write_csr(std::ostream& out, const CsrMatrix& m) {
  write_u32(out, m.rows);
  write_u32(out, m.cols);
  write_u64(out, m.indptr.size());
  for (std::uint64_t offset : m.indptr) write_u64(out, offset);
  write_u32s(out, m.indices);
  write_floats(out, m.values);
}

std::uint32_t read_u32(std::istream& in) { return read_le<std::uint32_t>(in, "a u32"); }
std::uint64_t read_u64(std::istream& in) { return read_le<std::uint64_t>(in, "a u64"); }
float read_f32(std::istream& in) { return std::bit_cast<float>(read_le<std::uint32_t>(in, "a f32")); }
double read_f64(std::istream& in) { return std::bit_cast<double>(read_le<std::uint64_t>(in, "an f64")); }

std::string read_string(std::istream& in) {
  const auto size = read_le<std::uint64_t>(in, "a string length");
  std::string s;
  std::uint64_t done = 0;
  while (done < size) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size - done, kChunkBytes));
    s.resize(static_cast<std::size_t>(done) + chunk);
    read_exact(in, s.data() + done, chunk, "a string");
    done += chunk;
  }
  return s;
}

std::vector<float> read_floats(std::istream& in) { return read_array<float>(in, "a float array"); }
std::vector<std::uint32_t> read_u32s(std::istream& in) { return read_array<std::uint32_t>(in, "a u32 array"); }

// Reads and validates the CSR invariants, so kernels can index without checks.
CsrMatrix read_csr(std::istream& in) {
  CsrMatrix m;
  m.rows = read_u32(in);
  m.cols = read_u32(in);
  const std::uint64_t indptr_size = read_u64(in);
  if (indptr_size != static_cast<std::uint64_t>(m.rows) + 1)
    throw_error(ErrorCode::kCorruption, "model file: sparse matrix row pointer has the wrong length");
  m.indptr.clear();
  for (std::uint64_t row_idx = 0; row_idx < indptr_size; ++row_idx) {
    m.indptr.push_back(read_le<std::uint64_t>(in, "a sparse matrix row pointer"));
  }
  m.indices = read_u32s(in);
  m.values = read_floats(in);
  if (m.indptr.front() != 0 || m.indptr.back() != m.indices.size() || m.values.size() != m.indices.size())
    throw_error(ErrorCode::kCorruption, "model file: sparse matrix sizes disagree");
  for (std::uint32_t row_idx = 0; row_idx < m.rows; ++row_idx) {
    if (m.indptr[row_idx] > m.indptr[row_idx + 1])
      throw_error(ErrorCode::kCorruption, "model file: sparse matrix row pointers decrease");
    for (std::uint64_t pos = m.indptr[row_idx]; pos < m.indptr[row_idx + 1]; ++pos) {
      if (m.indices[pos] >= m.cols || (pos > m.indptr[row_idx] && m.indices[pos] <= m.indices[pos - 1]))
        throw_error(ErrorCode::kCorruption, "model file: sparse matrix column out of range or out of order");
    }
  }
  return m;
}

}  // namespace tailor::model::io
