// Clustering primitives: k-means++ / Lloyd, exact silhouette, adjusted Rand index.
// Points are row-major doubles (point p at points[p * dim]).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "tailor/dataset/dataset.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

// Squared Euclidean distance ||x - y||² = Σ_d (x_d - y_d)².
double squared_distance(const double* x, const double* y, std::size_t dim) {
  double sum = 0;
  for (std::size_t d = 0; d < dim; ++d) {
    const double diff = x[d] - y[d];
    sum += diff * diff;
  }
  return sum;
}

// k-means++ (Arthur & Vassilvitskii 2007): the first centre uniform, each next
// one drawn with probability proportional to D(x)², the squared distance to
// the nearest centre chosen so far.
std::vector<double> seed_plus_plus(std::span<const double> points, std::size_t n, std::size_t dim, int k,
                                   dataset::Rng& rng) {
  std::vector<double> centroids;
  centroids.reserve(static_cast<std::size_t>(k) * dim);
  auto push_point = [&](std::size_t p) {
    centroids.insert(centroids.end(), points.begin() + static_cast<std::ptrdiff_t>(p * dim),
                     points.begin() + static_cast<std::ptrdiff_t>((p + 1) * dim));
  };
  push_point(rng.below(n));
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  for (int c = 1; c < k; ++c) {
    const double* last = centroids.data() + static_cast<std::size_t>(c - 1) * dim;
    double total = 0;
    for (std::size_t p = 0; p < n; ++p) {
      nearest[p] = std::min(nearest[p], squared_distance(points.data() + p * dim, last, dim));
      total += nearest[p];
    }
    std::size_t pick = n - 1;
    if (total <= 0) {
      pick = rng.below(n);  // all points coincide with centres
    } else {
      const double target = rng.uniform() * total;
      double cumulative = 0;
      for (std::size_t p = 0; p < n; ++p) {
        cumulative += nearest[p];
        if (cumulative > target) {
          pick = p;
          break;
        }
      }
    }
    push_point(pick);
  }
  return centroids;
}

KMeansResult lloyd(std::span<const double> points, std::size_t n, std::size_t dim, int k,
                   std::vector<double> centroids, const KMeansOptions& options) {
  KMeansResult result;
  result.labels.assign(n, -1);
  std::vector<double> distance(n, 0);
  const auto kk = static_cast<std::size_t>(k);
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    result.iterations = iteration + 1;
    // Assignment: label(p) = argmin_c ||x_p - μ_c||², ties to the lower c.
    std::vector<char> changed(n, 0);
    parallel_for(0, n, options.threads, [&](std::size_t p) {
      const double* x = points.data() + p * dim;
      int best = 0;
      double best_d = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < kk; ++c) {
        const double d = squared_distance(x, centroids.data() + c * dim, dim);
        if (d < best_d) {
          best_d = d;
          best = static_cast<int>(c);
        }
      }
      changed[p] = result.labels[p] != best;
      result.labels[p] = best;
      distance[p] = best_d;
    }, 256);
    const bool any_change = std::find(changed.begin(), changed.end(), 1) != changed.end();
    if (!any_change && iteration > 0) break;
    // Update: μ_c = mean of its points (sequential, so sums are deterministic).
    std::vector<double> sums(kk * dim, 0);
    std::vector<std::size_t> counts(kk, 0);
    for (std::size_t p = 0; p < n; ++p) {
      const auto c = static_cast<std::size_t>(result.labels[p]);
      counts[c] += 1;
      for (std::size_t d = 0; d < dim; ++d) sums[c * dim + d] += points[p * dim + d];
    }
    for (std::size_t c = 0; c < kk; ++c) {
      if (counts[c] == 0) {
        // Re-seed an empty cluster with the point farthest from its centroid.
        const auto far = static_cast<std::size_t>(std::max_element(distance.begin(), distance.end()) - distance.begin());
        std::copy_n(points.data() + far * dim, dim, centroids.data() + c * dim);
        distance[far] = 0;
        continue;
      }
      for (std::size_t d = 0; d < dim; ++d) centroids[c * dim + d] = sums[c * dim + d] / static_cast<double>(counts[c]);
    }
  }
  result.inertia = 0;
  for (std::size_t p = 0; p < n; ++p)
    result.inertia += squared_distance(points.data() + p * dim,
                                       centroids.data() + static_cast<std::size_t>(result.labels[p]) * dim, dim);
  result.centroids = std::move(centroids);
  return result;
}

double comb2(double x) { return x * (x - 1) / 2; }

}  // namespace

KMeansResult kmeans(std::span<const double> points, std::size_t n, std::size_t dim, int k,
                    const KMeansOptions& options) {
  TAILOR_CHECK_ARG(k >= 1 && static_cast<std::size_t>(k) <= n, "kmeans: k must be in [1, number of points]");
  TAILOR_CHECK_ARG(points.size() == n * dim && dim > 0, "kmeans: points must hold n * dim values");
  TAILOR_CHECK_ARG(options.max_iterations >= 1 && options.max_iterations <= 10000,
                   "kmeans: max_iterations must be in [1, 10000]");
  TAILOR_CHECK_ARG(options.restarts >= 1 && options.restarts <= 100, "kmeans: restarts must be in [1, 100]");
  dataset::Rng rng(options.seed);
  KMeansResult best;
  for (int restart = 0; restart < options.restarts; ++restart) {
    auto run = lloyd(points, n, dim, k, seed_plus_plus(points, n, dim, k, rng), options);
    if (restart == 0 || run.inertia < best.inertia) best = std::move(run);
  }
  return best;
}

double silhouette(std::span<const double> points, std::size_t n, std::size_t dim, std::span<const int> labels,
                  int threads) {
  TAILOR_CHECK_ARG(labels.size() == n && points.size() == n * dim, "silhouette: labels and points disagree in size");
  if (n == 0) return 0;
  const int k = *std::max_element(labels.begin(), labels.end()) + 1;
  std::vector<std::size_t> sizes(static_cast<std::size_t>(k), 0);
  for (int label : labels) {
    TAILOR_CHECK_ARG(label >= 0, "silhouette: labels must be >= 0");
    sizes[static_cast<std::size_t>(label)] += 1;
  }
  TAILOR_CHECK_ARG(std::count_if(sizes.begin(), sizes.end(), [](std::size_t s) { return s > 0; }) >= 2,
                   "silhouette: needs at least two clusters");
  // s(i) = (b - a) / max(a, b), a = mean distance to the own cluster's other
  // points, b = the smallest mean distance to another cluster.
  std::vector<double> score(n, 0);
  parallel_for(0, n, threads, [&](std::size_t i) {
    std::vector<double> sum(static_cast<std::size_t>(k), 0);
    const double* x = points.data() + i * dim;
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) sum[static_cast<std::size_t>(labels[j])] += std::sqrt(squared_distance(x, points.data() + j * dim, dim));
    const auto own = static_cast<std::size_t>(labels[i]);
    if (sizes[own] <= 1) return;  // singleton: 0
    const double a = sum[own] / static_cast<double>(sizes[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < sum.size(); ++c)
      if (c != own && sizes[c] > 0) b = std::min(b, sum[c] / static_cast<double>(sizes[c]));
    const double m = std::max(a, b);
    score[i] = m > 0 ? (b - a) / m : 0;
  }, 16);
  double total = 0;
  for (double s : score) total += s;
  return total / static_cast<double>(n);
}

double adjusted_rand_index(std::span<const int> a, std::span<const int> b) {
  TAILOR_CHECK_ARG(a.size() == b.size(), "adjusted_rand_index: labelings differ in length");
  std::map<std::pair<int, int>, double> table;
  std::map<int, double> rows, cols;
  for (std::size_t p = 0; p < a.size(); ++p) {
    table[{a[p], b[p]}] += 1;
    rows[a[p]] += 1;
    cols[b[p]] += 1;
  }
  double index = 0, row_pairs = 0, col_pairs = 0;
  for (const auto& [cell, count] : table) index += comb2(count);
  for (const auto& [label, count] : rows) row_pairs += comb2(count);
  for (const auto& [label, count] : cols) col_pairs += comb2(count);
  const double all_pairs = comb2(static_cast<double>(a.size()));
  if (all_pairs == 0) return 1;
  // ARI = (Σ C(n_ij,2) - E) / (½(Σ C(a_i,2) + Σ C(b_j,2)) - E), E = Σ C(a_i,2) Σ C(b_j,2) / C(n,2).
  const double expected = row_pairs * col_pairs / all_pairs;
  const double max_index = (row_pairs + col_pairs) / 2;
  if (max_index == expected) return 1;
  return (index - expected) / (max_index - expected);
}

}  // namespace tailor::profile
