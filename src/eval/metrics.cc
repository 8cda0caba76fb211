// Per-list metrics: pure functions of one ranked list and one relevant set,
// exactly as defined in eval.h. Lists are cut to min(k, ranked.size());
// `relevant` is sorted ascending (membership by binary search).
#include <algorithm>
#include <cmath>
#include <limits>

#include "tailor/eval/eval.h"

namespace tailor::eval {
namespace {

bool is_relevant(std::span<const std::uint32_t> relevant, std::uint32_t item) {
  return std::binary_search(relevant.begin(), relevant.end(), item);
}

std::size_t hits_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant,
                      std::size_t k) {
  std::size_t hits = 0;
  const std::size_t cut = std::min(k, ranked.size());
  for (std::size_t rank = 0; rank < cut; ++rank) hits += is_relevant(relevant, ranked[rank]) ? 1 : 0;
  return hits;
}

}  // namespace

// |L ∩ T| / K
double precision_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant,
                      std::size_t k) {
  if (k == 0) return 0;
  return static_cast<double>(hits_at_k(ranked, relevant, k)) / static_cast<double>(k);
}

// |L ∩ T| / |T|
double recall_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant,
                   std::size_t k) {
  if (relevant.empty()) return 0;
  return static_cast<double>(hits_at_k(ranked, relevant, k)) / static_cast<double>(relevant.size());
}

// 2PR / (P + R), 0 when P + R = 0
double f1_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k) {
  const double p = precision_at_k(ranked, relevant, k);
  const double r = recall_at_k(ranked, relevant, k);
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

// 1 if any of the first K is relevant
double hit_rate_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant,
                     std::size_t k) {
  return hits_at_k(ranked, relevant, k) > 0 ? 1 : 0;
}

// DCG = Σ_{i=1..K} rel_i / log2(i + 1); IDCG = Σ_{i=1..min(K, |T|)} 1 / log2(i + 1)
double ndcg_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k) {
  if (relevant.empty() || k == 0) return 0;
  double dcg = 0;
  const std::size_t cut = std::min(k, ranked.size());
  for (std::size_t rank = 0; rank < cut; ++rank)
    if (is_relevant(relevant, ranked[rank])) dcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
  double idcg = 0;
  const std::size_t ideal = std::min(k, relevant.size());
  for (std::size_t rank = 0; rank < ideal; ++rank) idcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
  return dcg / idcg;
}

// (1 / min(K, |T|)) Σ_{i=1..K} rel_i · Precision@i
double map_at_k(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant, std::size_t k) {
  if (relevant.empty() || k == 0) return 0;
  double sum = 0;
  std::size_t hits = 0;
  const std::size_t cut = std::min(k, ranked.size());
  for (std::size_t rank = 0; rank < cut; ++rank) {
    if (!is_relevant(relevant, ranked[rank])) continue;
    ++hits;
    sum += static_cast<double>(hits) / static_cast<double>(rank + 1);
  }
  return sum / static_cast<double>(std::min(k, relevant.size()));
}

// 1 / rank of the first relevant item, 0 when none
double reciprocal_rank(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> relevant) {
  for (std::size_t rank = 0; rank < ranked.size(); ++rank)
    if (is_relevant(relevant, ranked[rank])) return 1.0 / static_cast<double>(rank + 1);
  return 0;
}

// AUC = (#{(p, n) : s_p > s_n} + ½ #{(p, n) : s_p = s_n}) / (|P| · |N|)
// Negatives' scores are sorted once; each positive then counts by binary
// search: O((|N| + |P|) log |N|). NaN scores count as -infinity. 0.5 when there
// is no pair (no positive or no negative).
double auc(std::span<const float> scores, std::span<const std::uint32_t> relevant,
           std::span<const std::uint32_t> excluded) {
  auto clean = [](float s) { return std::isnan(s) ? -std::numeric_limits<float>::infinity() : s; };
  std::vector<float> negatives;
  negatives.reserve(scores.size());
  std::size_t rel_pos = 0;
  std::size_t exc_pos = 0;
  for (std::uint32_t item_idx = 0; item_idx < scores.size(); ++item_idx) {
    while (rel_pos < relevant.size() && relevant[rel_pos] < item_idx) ++rel_pos;
    while (exc_pos < excluded.size() && excluded[exc_pos] < item_idx) ++exc_pos;
    if (rel_pos < relevant.size() && relevant[rel_pos] == item_idx) continue;
    if (exc_pos < excluded.size() && excluded[exc_pos] == item_idx) continue;
    negatives.push_back(clean(scores[item_idx]));
  }
  std::size_t positives = 0;
  double correct = 0;
  std::sort(negatives.begin(), negatives.end());
  for (std::uint32_t item : relevant) {
    if (item >= scores.size()) continue;
    ++positives;
    const float s = clean(scores[item]);
    auto lower = std::lower_bound(negatives.begin(), negatives.end(), s);
    auto upper = std::upper_bound(lower, negatives.end(), s);
    correct += static_cast<double>(lower - negatives.begin()) + 0.5 * static_cast<double>(upper - lower);
  }
  if (positives == 0 || negatives.empty()) return 0.5;
  return correct / (static_cast<double>(positives) * static_cast<double>(negatives.size()));
}

// sqrt(Σ (p - a)² / n); NaN for empty input
double rmse(std::span<const double> predicted, std::span<const double> actual) {
  TAILOR_CHECK_ARG(predicted.size() == actual.size(), "rmse: predicted and actual differ in length");
  if (predicted.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (std::size_t pos = 0; pos < predicted.size(); ++pos) {
    const double d = predicted[pos] - actual[pos];
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(predicted.size()));
}

// Σ |p - a| / n; NaN for empty input
double mae(std::span<const double> predicted, std::span<const double> actual) {
  TAILOR_CHECK_ARG(predicted.size() == actual.size(), "mae: predicted and actual differ in length");
  if (predicted.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (std::size_t pos = 0; pos < predicted.size(); ++pos) sum += std::fabs(predicted[pos] - actual[pos]);
  return sum / static_cast<double>(predicted.size());
}

}  // namespace tailor::eval
