// Private to the ann component: the two index classes, shared by their own
// sources (flat.cc, hnsw.cc) and by serialize.cc, which reads and writes
// their fields directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tailor/ann/ann.h"

namespace tailor::ann::detail {

// Row-major copy of the rows: row r is data[r*dim, (r+1)*dim).
// Checks `rows` for add(): a whole number of rows, finite values, ids fit
// uint32. Throws InvalidArgument naming "rows".
void check_rows(std::span<const float> rows, int dim, std::size_t current_size);
void check_query(std::span<const float> query, int dim, const SearchOptions& options, std::size_t size);

class FlatIndex final : public Index {
 public:
  explicit FlatIndex(int dim);
  int dim() const override { return dim_; }
  std::size_t size() const override { return data_.size() / static_cast<std::size_t>(dim_); }
  void add(std::span<const float> rows) override;
  std::vector<Hit> search(std::span<const float> query, std::size_t k,
                          const std::vector<bool>* allow) const override;
  std::vector<Hit> search_with(std::span<const float> query, const SearchOptions& options) const override;
  std::vector<std::vector<Hit>> search_batch(std::span<const float> queries, const SearchOptions& options,
                                             int threads) const override;
  std::string kind() const override { return "flat"; }
  std::string serialize() const override;

  int dim_;
  std::vector<float> data_;
};

// Graph layout (hnswlib's, flattened):
//   layer 0: links0_[node*(2M+1)] = neighbour count, then up to 2M ids
//   layer l >= 1 of a node of level L >= l: upper_[node][(l-1)*(M+1)] = count,
//            then up to M ids
// levels_[node] is the node's top layer; entry_ is a node of level max_level_.
class HnswIndex final : public Index {
 public:
  HnswIndex(int dim, const HnswOptions& options);
  int dim() const override { return dim_; }
  std::size_t size() const override { return levels_.size(); }
  void add(std::span<const float> rows) override;
  std::vector<Hit> search(std::span<const float> query, std::size_t k,
                          const std::vector<bool>* allow) const override;
  std::vector<Hit> search_with(std::span<const float> query, const SearchOptions& options) const override;
  std::string kind() const override { return "hnsw"; }
  std::string serialize() const override;

  // The level a node id draws: floor(-ln(U) * mult) with mult = 1/ln(M) and
  // U uniform in (0, 1] from splitmix64(seed, id), capped at kMaxLevel.
  int draw_level(std::uint32_t id) const;

  static constexpr int kMaxLevel = 31;
  static constexpr std::uint32_t kNoNode = 0xFFFFFFFFu;

  std::size_t cap0() const { return 2 * static_cast<std::size_t>(options_.m); }
  std::size_t cap_upper() const { return static_cast<std::size_t>(options_.m); }
  std::uint32_t* links(std::uint32_t node, int layer);
  const std::uint32_t* links(std::uint32_t node, int layer) const;
  const float* row(std::uint32_t node) const { return data_.data() + static_cast<std::size_t>(node) * dim_; }

  int dim_;
  HnswOptions options_;
  std::vector<float> data_;
  std::vector<std::uint8_t> levels_;
  std::vector<std::uint32_t> links0_;
  std::vector<std::vector<std::uint32_t>> upper_;
  std::uint32_t entry_ = kNoNode;
  int max_level_ = -1;

 private:
  void insert(std::uint32_t node);
};

void check_hnsw_options(const HnswOptions& options);

}  // namespace tailor::ann::detail
