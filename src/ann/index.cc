// What every index shares: the default batch search, the factories and
// recall@k.
#include <algorithm>
#include <string>
#include <unordered_set>

#include "index_impl.h"
#include "tailor/core/core.h"

namespace tailor::ann {

std::vector<std::vector<Hit>> Index::search_batch(std::span<const float> queries, const SearchOptions& options,
                                                  int threads) const {
  const auto d = static_cast<std::size_t>(dim());
  TAILOR_CHECK_ARG(queries.size() % d == 0, "queries: " + std::to_string(queries.size()) +
                                                " floats is not a whole number of queries of dim " +
                                                std::to_string(d));
  const std::size_t nq = queries.size() / d;
  std::vector<std::vector<Hit>> out(nq);
  // One query per task: search_with is const and thread-safe by contract.
  parallel_for(0, nq, threads, [&](std::size_t q) { out[q] = search_with(queries.subspan(q * d, d), options); });
  return out;
}

std::unique_ptr<Index> make_flat_index(int dim) { return std::make_unique<detail::FlatIndex>(dim); }

std::unique_ptr<Index> make_hnsw_index(int dim, const HnswOptions& options) {
  return std::make_unique<detail::HnswIndex>(dim, options);
}

std::unique_ptr<Index> make_index(int dim, std::size_t expected_rows, std::size_t exact_below) {
  if (expected_rows < exact_below) return make_flat_index(dim);
  return make_hnsw_index(dim);
}

double recall_at_k(const Index& approx, const Index& exact, std::span<const float> queries, std::size_t k) {
  TAILOR_CHECK_ARG(approx.dim() == exact.dim(), "dim: the two indexes differ (" + std::to_string(approx.dim()) +
                                                    " vs " + std::to_string(exact.dim()) + ")");
  TAILOR_CHECK_ARG(approx.size() == exact.size(), "size: the two indexes hold different row counts (" +
                                                      std::to_string(approx.size()) + " vs " +
                                                      std::to_string(exact.size()) + ")");
  TAILOR_CHECK_ARG(k >= 1, "k: must be at least 1");
  SearchOptions options;
  options.k = k;
  const auto truth = exact.search_batch(queries, options);
  const auto found = approx.search_batch(queries, options);
  if (truth.empty()) return 1.0;
  // recall@k of one query = |approx top-k ∩ exact top-k| / |exact top-k|
  // (|exact top-k| = min(k, size)); the mean over queries is returned.
  double total = 0.0;
  for (std::size_t q = 0; q < truth.size(); ++q) {
    if (truth[q].empty()) {
      total += 1.0;
      continue;
    }
    std::unordered_set<std::uint32_t> want;
    for (const Hit& hit : truth[q]) want.insert(hit.id);
    std::size_t got = 0;
    for (const Hit& hit : found[q]) got += want.count(hit.id);
    total += static_cast<double>(got) / static_cast<double>(truth[q].size());
  }
  return total / static_cast<double>(truth.size());
}

}  // namespace tailor::ann
