// Byte format of a serialised index (all integers little-endian):
//
//   offset  field
//   0       magic "TANN"
//   4       u32 format version (kFormatVersion; readers accept 1..current)
//   8       u32 kind: 1 = flat, 2 = hnsw
//   12      u32 dim
//   16      u64 rows
//   hnsw only: u32 m, u32 ef_construction, u32 ef_search, u64 seed,
//              i32 max_level, u32 entry (0xFFFFFFFF when empty)
//   f32 x rows*dim   the rows, row-major
//   hnsw only: u8 x rows levels; then for each node, for each layer
//              0..level: u32 count, count x u32 neighbour ids
//   u32 CRC-32 (zlib) of every byte before it
//
// The reader first checks length and checksum (so any flipped byte or
// truncation is a Corruption error), then parses with bounds checks and
// validates the graph (counts within capacity, ids in range, levels
// consistent) so that even a blob with a forged checksum cannot make a later
// search read out of bounds.
#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include <zlib.h>

#include "index_impl.h"
#include "tailor/core/core.h"

namespace tailor::ann {

namespace {

static_assert(std::endian::native == std::endian::little,
              "the TANN writer and reader copy integers as little-endian bytes");

constexpr char kMagic[4] = {'T', 'A', 'N', 'N'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::uint32_t kKindFlat = 1;
constexpr std::uint32_t kKindHnsw = 2;

std::uint32_t crc32_of(const char* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {  // zlib takes uInt lengths: feed in chunks
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

class Writer {
 public:
  template <typename T>
  void put(T value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void put_bytes(const void* data, std::size_t size) { out_.append(static_cast<const char*>(data), size); }
  std::string finish() {
    put(crc32_of(out_.data(), out_.size()));
    return std::move(out_);
  }

 private:
  std::string out_;
};

[[noreturn]] void corrupt(const std::string& what) {
  throw_error(ErrorCode::kCorruption, "ann index: " + what);
}

class Reader {
 public:
  Reader(const char* data, std::size_t size) : data_(data), size_(size) {}
  template <typename T>
  T get(const char* field) {
    T value;
    get_bytes(&value, sizeof value, field);
    return value;
  }
  void get_bytes(void* out, std::size_t size, const char* field) {
    if (size > size_ - pos_) corrupt(std::string("truncated in ") + field);
    std::memcpy(out, data_ + pos_, size);
    pos_ += size;
  }
  std::size_t left() const { return size_ - pos_; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void write_header(Writer& w, std::uint32_t kind, int dim, std::size_t rows) {
  w.put_bytes(kMagic, sizeof kMagic);
  w.put(kFormatVersion);
  w.put(kind);
  w.put(static_cast<std::uint32_t>(dim));
  w.put(static_cast<std::uint64_t>(rows));
}

// Reads rows*dim floats after checking they fit in what is left, so a
// damaged count cannot trigger a huge allocation.
std::vector<float> read_rows(Reader& r, std::uint64_t rows, std::uint32_t dim) {
  if (rows > r.left() / sizeof(float) / dim) corrupt("row count " + std::to_string(rows) + " exceeds the data");
  std::vector<float> data(static_cast<std::size_t>(rows) * dim);
  r.get_bytes(data.data(), data.size() * sizeof(float), "rows");
  return data;
}

}  // namespace

namespace detail {

std::string FlatIndex::serialize() const {
  Writer w;
  write_header(w, kKindFlat, dim_, size());
  w.put_bytes(data_.data(), data_.size() * sizeof(float));
  return w.finish();
}

std::string HnswIndex::serialize() const {
  Writer w;
  write_header(w, kKindHnsw, dim_, size());
  w.put(static_cast<std::uint32_t>(options_.m));
  w.put(static_cast<std::uint32_t>(options_.ef_construction));
  w.put(static_cast<std::uint32_t>(options_.ef_search));
  w.put(static_cast<std::uint64_t>(options_.seed));
  w.put(static_cast<std::int32_t>(max_level_));
  w.put(entry_);
  w.put_bytes(data_.data(), data_.size() * sizeof(float));
  w.put_bytes(levels_.data(), levels_.size());
  for (std::uint32_t node = 0; node < size(); ++node) {
    for (int layer = 0; layer <= levels_[node]; ++layer) {
      const std::uint32_t* list = links(node, layer);
      w.put_bytes(list, (1 + static_cast<std::size_t>(list[0])) * sizeof(std::uint32_t));
    }
  }
  return w.finish();
}

}  // namespace detail

std::unique_ptr<Index> deserialize_index(const std::string& bytes) {
  constexpr std::size_t kHeader = 4 + 4 + 4 + 4 + 8;
  if (bytes.size() < kHeader + sizeof(std::uint32_t)) corrupt("too short (" + std::to_string(bytes.size()) + " bytes)");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) corrupt("bad magic (not a TANN index)");
  const std::size_t body = bytes.size() - sizeof(std::uint32_t);
  std::uint32_t stored_crc;
  std::memcpy(&stored_crc, bytes.data() + body, sizeof stored_crc);
  if (crc32_of(bytes.data(), body) != stored_crc) corrupt("checksum mismatch (damaged or truncated)");

  Reader r(bytes.data(), body);
  char magic[4];
  r.get_bytes(magic, sizeof magic, "magic");
  const auto version = r.get<std::uint32_t>("version");
  if (version == 0 || version > kFormatVersion)
    corrupt("unknown format version " + std::to_string(version) + " (this build reads 1.." +
            std::to_string(kFormatVersion) + ")");
  const auto kind = r.get<std::uint32_t>("kind");
  const auto dim = r.get<std::uint32_t>("dim");
  const auto rows = r.get<std::uint64_t>("rows");
  if (dim == 0 || dim > 65536) corrupt("bad dim " + std::to_string(dim));
  if (rows >= detail::HnswIndex::kNoNode) corrupt("bad row count " + std::to_string(rows));

  if (kind == kKindFlat) {
    auto index = std::make_unique<detail::FlatIndex>(static_cast<int>(dim));
    index->data_ = read_rows(r, rows, dim);
    if (r.left() != 0) corrupt("trailing bytes after the rows");
    return index;
  }
  if (kind != kKindHnsw) corrupt("unknown index kind " + std::to_string(kind));

  HnswOptions options;
  options.m = static_cast<int>(r.get<std::uint32_t>("m"));
  options.ef_construction = static_cast<int>(r.get<std::uint32_t>("ef_construction"));
  options.ef_search = static_cast<int>(r.get<std::uint32_t>("ef_search"));
  options.seed = r.get<std::uint64_t>("seed");
  const auto max_level = r.get<std::int32_t>("max_level");
  const auto entry = r.get<std::uint32_t>("entry");
  std::unique_ptr<detail::HnswIndex> index;
  try {
    detail::check_hnsw_options(options);
    index = std::make_unique<detail::HnswIndex>(static_cast<int>(dim), options);
  } catch (const Error& e) {
    corrupt(std::string("bad parameters: ") + e.what());
  }
  index->data_ = read_rows(r, rows, dim);
  const auto n = static_cast<std::size_t>(rows);
  if (n > r.left()) corrupt("truncated in levels");
  index->levels_.resize(n);
  r.get_bytes(index->levels_.data(), n, "levels");
  index->links0_.assign(n * (index->cap0() + 1), 0);
  index->upper_.resize(n);
  int top = -1;
  for (std::uint32_t node = 0; node < n; ++node) {
    const int level = index->levels_[node];
    if (level > detail::HnswIndex::kMaxLevel) corrupt("bad level of node " + std::to_string(node));
    top = std::max(top, level);
    index->upper_[node].assign(static_cast<std::size_t>(level) * (index->cap_upper() + 1), 0);
    for (int layer = 0; layer <= level; ++layer) {
      const auto count = r.get<std::uint32_t>("links");
      const std::size_t cap = layer == 0 ? index->cap0() : index->cap_upper();
      if (count > cap) corrupt("node " + std::to_string(node) + " has too many links");
      std::uint32_t* list = index->links(node, layer);
      list[0] = count;
      r.get_bytes(list + 1, count * sizeof(std::uint32_t), "links");
      for (std::uint32_t link = 1; link <= count; ++link) {
        // A link must point at a node that exists on this layer.
        if (list[link] >= n || index->levels_[list[link]] < layer)
          corrupt("node " + std::to_string(node) + " links to a bad node");
      }
    }
  }
  if (r.left() != 0) corrupt("trailing bytes after the graph");
  if (n == 0) {
    if (entry != detail::HnswIndex::kNoNode || max_level != -1) corrupt("bad entry point of an empty graph");
  } else if (entry >= n || max_level != top || index->levels_[entry] != top) {
    corrupt("bad entry point");
  }
  index->entry_ = entry;
  index->max_level_ = max_level;
  return index;
}

}  // namespace tailor::ann
