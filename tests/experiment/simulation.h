// A seeded simulated user population for calibration tests and the report
// benchmark. Its own generator (splitmix64) and samplers, so the numbers are
// the same with every standard library (std::*_distribution are not).
//
// A user sees y = 1 + Poisson(λ) recommendation lists and clicks each with
// probability p_u, where p_u is p·(1 - h) or p·(1 + h) with equal chance
// (heterogeneous users); the treatment multiplies p_u by (1 + lift). Per user:
//   E[y] = 1 + λ, Var(y) = λ, E[x | y, p_u] = y·p_u,
// so the design's per-user delta-method variance of the CTR ratio follows
// analytically (design_ratio_variance).
#pragma once

#include <cmath>
#include <cstdint>

namespace tailor::experiment::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool bernoulli(double p) { return uniform() < p; }
  // Knuth's product of uniforms; fine for the small λ used here.
  int poisson(double lambda) {
    const double limit = std::exp(-lambda);
    int k = 0;
    double product = uniform();
    while (product > limit) {
      ++k;
      product *= uniform();
    }
    return k;
  }

 private:
  std::uint64_t state_;
};

struct Population {
  double lambda = 2;       // extra lists per user
  double ctr = 0.05;       // mean click probability
  double spread = 0.5;     // h: p_u = ctr·(1 ± h)
};

struct SimUser {
  double exposures = 0;
  double clicks = 0;
};

inline SimUser draw_user(Rng& rng, const Population& pop, double lift) {
  SimUser u;
  u.exposures = 1 + rng.poisson(pop.lambda);
  const double p = pop.ctr * (rng.bernoulli(0.5) ? 1 - pop.spread : 1 + pop.spread) * (1 + lift);
  for (int list = 0; list < static_cast<int>(u.exposures); ++list) u.clicks += rng.bernoulli(p) ? 1 : 0;
  return u;
}

// Per-user delta-method variance of clicks/exposures in a population, and its mean:
//   σ² = (Var x - 2r·Cov(x, y) + r²·Var y)/E[y]²,  r = E[x]/E[y].
struct RatioDesign {
  double mean = 0;
  double variance = 0;
};
inline RatioDesign design_ratio(const Population& pop, double lift) {
  const double ey = 1 + pop.lambda, vy = pop.lambda, ey2 = vy + ey * ey;
  const double p_lo = pop.ctr * (1 - pop.spread) * (1 + lift), p_hi = pop.ctr * (1 + pop.spread) * (1 + lift);
  const double ep = (p_lo + p_hi) / 2, ep2 = (p_lo * p_lo + p_hi * p_hi) / 2, epq = ep - ep2;
  const double ex = ey * ep;
  const double vx = ey * epq + ey2 * ep2 - ex * ex;  // E[Var(x | y, p)] + Var(E[x | y, p])
  const double cxy = vy * ep;
  const double r = ex / ey;
  return {r, (vx - 2 * r * cxy + r * r * vy) / (ey * ey)};
}

}  // namespace tailor::experiment::sim
