// mmr_rerank(): maximal marginal relevance, the greedy diversity re-ranker
// behind hybrid's diversity_lambda and available to callers (the server).
//
//   MMR(i) = λ · rel(i) − (1 − λ) · max_{j ∈ S} sim(i, j)
//
// Each step scans the remaining candidates (O(|C|)) and updates their running
// max similarity against the item just picked (|C| similarity calls), so the
// whole pass costs O(n · |C|). The picked values never increase: every
// remaining item's value can only drop as S grows, and the pick is the max.
#include <algorithm>
#include <cmath>

#include "tailor/model/model.h"

namespace tailor::model {

std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::size_t n, double lambda,
                                   const std::function<float(std::uint32_t, std::uint32_t)>& similarity) {
  TAILOR_CHECK_ARG(std::isfinite(lambda) && lambda >= 0 && lambda <= 1, "mmr_rerank: lambda must be in [0, 1]");
  // Finite candidates only, in (item) order so ties resolve to the smaller item.
  std::vector<ScoredItem> pool;
  for (const ScoredItem& candidate : candidates)
    if (std::isfinite(candidate.score)) pool.push_back(candidate);
  std::sort(pool.begin(), pool.end(), [](const ScoredItem& a, const ScoredItem& b) { return a.item < b.item; });
  if (pool.empty() || n == 0) return {};
  double lo = pool.front().score;
  double hi = lo;
  for (const ScoredItem& candidate : pool) {
    lo = std::min<double>(lo, candidate.score);
    hi = std::max<double>(hi, candidate.score);
  }
  std::vector<double> relevance(pool.size());
  for (std::size_t pos = 0; pos < pool.size(); ++pos)
    relevance[pos] = hi > lo ? (pool[pos].score - lo) / (hi - lo) : 1.0;

  std::vector<double> max_similarity(pool.size(), 0.0);
  std::vector<bool> picked(pool.size(), false);
  std::vector<ScoredItem> out;
  const std::size_t count = std::min(n, pool.size());
  out.reserve(count);
  for (std::size_t step = 0; step < count; ++step) {
    std::size_t best = pool.size();
    double best_value = 0;
    for (std::size_t pos = 0; pos < pool.size(); ++pos) {
      if (picked[pos]) continue;
      const double value = lambda * relevance[pos] - (1.0 - lambda) * max_similarity[pos];
      if (best == pool.size() || value > best_value) {  // strict: ties keep the smaller item
        best = pos;
        best_value = value;
      }
    }
    picked[best] = true;
    out.push_back({pool[best].item, static_cast<float>(best_value)});
    if (lambda >= 1 || step + 1 == count) continue;  // similarities no longer matter
    for (std::size_t pos = 0; pos < pool.size(); ++pos)
      if (!picked[pos])
        max_similarity[pos] = std::max<double>(max_similarity[pos], similarity(pool[pos].item, pool[best].item));
  }
  return out;
}

}  // namespace tailor::model
