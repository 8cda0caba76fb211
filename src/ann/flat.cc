// FlatIndex: exact inner-product search by brute force.
//
// Rows are scanned in blocks of kRowBlock rows: the kernel writes the block's
// scores into a small buffer, then the TopK collector reads them. A batch of
// queries is split into groups of kQueryGroup; within a group each row is
// loaded from memory once and scored against every query of the group while
// it sits in L1 (the queries, kQueryGroup*dim floats, stay there too), which
// divides the memory traffic of a large catalogue by the group size.
#include <algorithm>
#include <cmath>
#include <string>

#include "index_impl.h"
#include "kernels.h"
#include "tailor/core/core.h"

namespace tailor::ann::detail {

namespace {
constexpr std::size_t kRowBlock = 256;
constexpr std::size_t kQueryGroup = 8;
}  // namespace

void check_rows(std::span<const float> rows, int dim, std::size_t current_size) {
  const auto d = static_cast<std::size_t>(dim);
  TAILOR_CHECK_ARG(rows.size() % d == 0, "rows: " + std::to_string(rows.size()) +
                                             " floats is not a whole number of rows of dim " +
                                             std::to_string(dim));
  const std::size_t n = rows.size() / d;
  TAILOR_CHECK_ARG(current_size + n < HnswIndex::kNoNode, "rows: an index holds at most 2^32-2 rows");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // A NaN would make every comparison false and silently corrupt rankings.
    TAILOR_CHECK_ARG(std::isfinite(rows[i]), "rows: non-finite value in row " + std::to_string(i / d) +
                                                 " (id " + std::to_string(current_size + i / d) + ")");
  }
}

void check_query(std::span<const float> query, int dim, const SearchOptions& options, std::size_t size) {
  TAILOR_CHECK_ARG(query.size() == static_cast<std::size_t>(dim),
                   "query: expected " + std::to_string(dim) + " floats (dim), got " + std::to_string(query.size()));
  TAILOR_CHECK_ARG(options.k >= 1, "k: must be at least 1");
  TAILOR_CHECK_ARG(options.ef >= 0 && options.ef <= 4096, "ef: must be in [0, 4096], got " + std::to_string(options.ef));
  TAILOR_CHECK_ARG(options.allow == nullptr || options.allow->size() == size,
                   "allow: expected " + std::to_string(size) + " entries (one per row), got " +
                       std::to_string(options.allow ? options.allow->size() : 0));
}

FlatIndex::FlatIndex(int dim) : dim_(dim) {
  TAILOR_CHECK_ARG(dim >= 1 && dim <= 65536, "dim: must be in [1, 65536], got " + std::to_string(dim));
}

void FlatIndex::add(std::span<const float> rows) {
  check_rows(rows, dim_, size());
  data_.insert(data_.end(), rows.begin(), rows.end());
}

std::vector<Hit> FlatIndex::search(std::span<const float> query, std::size_t k,
                                   const std::vector<bool>* allow) const {
  SearchOptions options;
  options.k = k;
  options.allow = allow;
  return search_with(query, options);
}

std::vector<Hit> FlatIndex::search_with(std::span<const float> query, const SearchOptions& options) const {
  const std::size_t n = size();
  check_query(query, dim_, options, n);
  if (n == 0) return {};
  const auto d = static_cast<std::size_t>(dim_);
  const std::vector<bool>* allow = options.allow;
  TopK top(std::min(options.k, n));
  float scores[kRowBlock];
  for (std::size_t block = 0; block < n; block += kRowBlock) {
    const std::size_t count = std::min(kRowBlock, n - block);
    if (allow == nullptr) {
      dot_rows(data_.data() + block * d, count, query.data(), d, scores);
      for (std::size_t r = 0; r < count; ++r) top.offer(static_cast<std::uint32_t>(block + r), scores[r]);
    } else {
      // Disallowed rows are not scored at all: a sparse mask is cheap.
      for (std::size_t r = 0; r < count; ++r) {
        if (!(*allow)[block + r]) continue;
        top.offer(static_cast<std::uint32_t>(block + r), dot(data_.data() + (block + r) * d, query.data(), d));
      }
    }
  }
  return top.take_sorted();
}

std::vector<std::vector<Hit>> FlatIndex::search_batch(std::span<const float> queries, const SearchOptions& options,
                                                      int threads) const {
  const auto d = static_cast<std::size_t>(dim_);
  TAILOR_CHECK_ARG(queries.size() % d == 0, "queries: " + std::to_string(queries.size()) +
                                                " floats is not a whole number of queries of dim " +
                                                std::to_string(dim_));
  const std::size_t nq = queries.size() / d;
  const std::size_t n = size();
  std::vector<std::vector<Hit>> out(nq);
  if (nq == 0) return out;
  check_query(queries.first(d), dim_, options, n);
  if (n == 0) return out;
  if (options.allow != nullptr) {
    // Masked search skips rows per query anyway; no sharing to gain.
    parallel_for(0, nq, threads, [&](std::size_t q) { out[q] = search_with(queries.subspan(q * d, d), options); });
    return out;
  }
  const std::size_t groups = (nq + kQueryGroup - 1) / kQueryGroup;
  parallel_for(0, groups, threads, [&](std::size_t group) {
    const std::size_t q0 = group * kQueryGroup;
    const std::size_t gq = std::min(kQueryGroup, nq - q0);
    std::vector<TopK> tops(gq, TopK(std::min(options.k, n)));
    std::vector<float> scores(kQueryGroup * kRowBlock);
    for (std::size_t block = 0; block < n; block += kRowBlock) {
      const std::size_t count = std::min(kRowBlock, n - block);
      // Kernel: row outer, query inner, so the row is read from memory once.
      for (std::size_t r = 0; r < count; ++r) {
        const float* row = data_.data() + (block + r) * d;
        for (std::size_t q = 0; q < gq; ++q) scores[q * kRowBlock + r] = dot(row, queries.data() + (q0 + q) * d, d);
      }
      // Collector.
      for (std::size_t q = 0; q < gq; ++q) {
        for (std::size_t r = 0; r < count; ++r)
          tops[q].offer(static_cast<std::uint32_t>(block + r), scores[q * kRowBlock + r]);
      }
    }
    for (std::size_t q = 0; q < gq; ++q) out[q0 + q] = tops[q].take_sorted();
  });
  return out;
}

}  // namespace tailor::ann::detail
