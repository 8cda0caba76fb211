// Clustering primitives against known answers: ARI on hand-computed examples,
// silhouette on four points, k-means++ recovering well-separated blobs, the
// silhouette choosing their number, and determinism for a seed.
#include <gtest/gtest.h>

#include "tailor/dataset/dataset.h"
#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

TEST(ClusterTest, AdjustedRandIndexByHand) {
  // Contingency {2, 1, 1}: Σ C(n_ij,2) = 1, rows C(2,2)+C(2,2) = 2, cols C(2,2) = 1,
  // C(4,2) = 6, E = 2·1/6, max = 1.5: ARI = (1 - 1/3) / (1.5 - 1/3) = 4/7.
  std::vector<int> a{0, 0, 1, 1}, b{0, 0, 1, 2};
  EXPECT_NEAR(adjusted_rand_index(a, b), 4.0 / 7.0, 1e-12);
  // Σ C(n_ij,2) = 2, rows 6, cols 3, C(6,2) = 15, E = 1.2, max = 4.5: 0.8 / 3.3.
  std::vector<int> c{0, 0, 0, 1, 1, 1}, d{0, 0, 1, 1, 2, 2};
  EXPECT_NEAR(adjusted_rand_index(c, d), 0.8 / 3.3, 1e-12);
  EXPECT_NEAR(adjusted_rand_index(d, c), 0.8 / 3.3, 1e-12);
  // Same partition under other names.
  std::vector<int> renamed{7, 7, 7, 3, 3, 3};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(c, renamed), 1.0);
  // One cluster against singletons: index 0 = expected 0.
  std::vector<int> one{0, 0, 0, 0}, each{0, 1, 2, 3};
  EXPECT_DOUBLE_EQ(adjusted_rand_index(one, each), 0.0);
  EXPECT_THROW(adjusted_rand_index(one, c), Error);
}

TEST(ClusterTest, SilhouetteByHand) {
  // 1-D points 0, 1 | 10, 11: a = 1 for all; b = 10.5, 9.5, 9.5, 10.5.
  std::vector<double> points{0, 1, 10, 11};
  std::vector<int> labels{0, 0, 1, 1};
  const double expected = (9.5 / 10.5 + 8.5 / 9.5) / 2;
  EXPECT_NEAR(silhouette(points, 4, 1, labels), expected, 1e-12);
  // A singleton scores 0: point 11 alone, point 10 with 0 and 1.
  std::vector<int> odd{0, 0, 0, 1};
  // point 0: a = (1+10)/2 = 5.5, b = 11 -> 5.5/11; point 1: a = (1+9)/2 = 5, b = 10 -> 0.5;
  // point 10: a = (10+9)/2 = 9.5, b = 1 -> (1-9.5)/9.5; point 11: 0.
  EXPECT_NEAR(silhouette(points, 4, 1, odd), (0.5 + 0.5 + (1 - 9.5) / 9.5 + 0) / 4, 1e-12);
  std::vector<int> single{0, 0, 0, 0};
  EXPECT_THROW(silhouette(points, 4, 1, single), Error);
}

// n_per blobs around k corners of a cube scaled by `spread`, uniform noise in [-1, 1).
std::vector<double> blobs(int k, std::size_t n_per, std::size_t dim, std::vector<int>& truth, std::uint64_t seed) {
  dataset::Rng rng(seed);
  std::vector<double> points;
  truth.clear();
  for (std::size_t p = 0; p < n_per * static_cast<std::size_t>(k); ++p) {
    const int blob = static_cast<int>(p % static_cast<std::size_t>(k));
    for (std::size_t d = 0; d < dim; ++d) {
      const double centre = ((blob >> (d % 3)) & 1) * 20.0 + (d == 3 ? blob * 7.0 : 0.0);
      points.push_back(centre + 2 * rng.uniform() - 1);
    }
    truth.push_back(blob);
  }
  return points;
}

TEST(ClusterTest, KMeansRecoversBlobsAndSilhouettePicksK) {
  std::vector<int> truth;
  const std::size_t dim = 4, n = 5 * 60;
  auto points = blobs(5, 60, dim, truth, 7);
  auto result = kmeans(points, n, dim, 5);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(result.labels, truth), 1.0);
  EXPECT_EQ(result.centroids.size(), 5 * dim);
  int best_k = 0;
  double best = -2;
  for (int k = 2; k <= 9; ++k) {
    auto run = kmeans(points, n, dim, k);
    const double s = silhouette(points, n, dim, run.labels);
    if (s > best) {
      best = s;
      best_k = k;
    }
  }
  EXPECT_EQ(best_k, 5);
  EXPECT_GT(best, 0.8);
}

TEST(ClusterTest, DeterministicForASeedWhateverTheThreads) {
  std::vector<int> truth;
  auto points = blobs(4, 200, 6, truth, 11);
  KMeansOptions one;
  one.seed = 3;
  one.threads = 1;
  KMeansOptions many = one;
  many.threads = 4;
  // k larger than the blob count so the seeding matters.
  auto a = kmeans(points, 800, 6, 9, one);
  auto b = kmeans(points, 800, 6, 9, many);
  auto c = kmeans(points, 800, 6, 9, one);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.labels, c.labels);
  EXPECT_EQ(a.inertia, b.inertia);
  EXPECT_THROW(kmeans(points, 800, 6, 0), Error);
  EXPECT_THROW(kmeans(points, 800, 6, 801), Error);
}

}  // namespace
}  // namespace tailor::profile
