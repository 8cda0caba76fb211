// The distribution functions the tests need (normal, Student's t, χ²,
// binomial), in double precision without a maths library beyond <cmath>.
//
// Student's t and the binomial go through the regularised incomplete beta
// function I_x(a, b), evaluated by its continued fraction (modified Lentz;
// Numerical Recipes §6.4) on the side of the symmetry point where it
// converges, with 1 - x passed separately so that tails keep their digits:
//   P(T > t) = ½·I_{ν/(ν+t²)}(ν/2, ½)          (t > 0)
//   P(X ≤ k) = I_{1-q}(n - k, k + 1)            (X ~ Bin(n, q))
// χ² uses the regularised upper incomplete gamma Q(df/2, x/2): its series
// below a + 1, its continued fraction above (NR §6.2). Quantiles invert the
// CDFs by Newton steps inside a bracket.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tailor/core/core.h"
#include "tailor/experiment/stats.h"

namespace tailor::experiment {
namespace {

constexpr double kEps = 1e-16;
constexpr double kTiny = 1e-300;
constexpr int kMaxIterations = 100000;

// Continued fraction of I_x(a, b) (NR betacf), valid for x < (a + 1)/(a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return h;
}

// I_x(a, b) with y = 1 - x given exactly by the caller.
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(y);
  const double front = std::exp(log_front);
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, y) / b;
}

// Q(a, x), the regularised upper incomplete gamma function.
double upper_incomplete_gamma(double a, double x) {
  if (x <= 0) return 1;
  const double log_front = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    double ap = a, sum = 1 / a, del = sum;
    for (int n = 0; n < kMaxIterations; ++n) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (std::fabs(del) < std::fabs(sum) * kEps) break;
    }
    return 1 - sum * std::exp(log_front);
  }
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i <= kMaxIterations; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return std::exp(log_front) * h;
}

double student_t_pdf(double t, double df) {
  const double log_density = std::lgamma((df + 1) / 2) - std::lgamma(df / 2) - 0.5 * std::log(df * M_PI) -
                             (df + 1) / 2 * std::log1p(t * t / df);
  return std::exp(log_density);
}

}  // namespace

double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); }

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_ppf(double p) {
  TAILOR_CHECK_ARG(p > 0 && p < 1, "normal_ppf: p must be in (0, 1)");
  // Acklam's rational approximation (relative error 1.15e-9), then one
  // Halley step on Φ(x) - p, which brings it to full double precision.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double student_t_sf(double t, double df) {
  TAILOR_CHECK_ARG(df > 0, "student_t: df must be positive");
  if (std::isinf(df)) return 1 - normal_cdf(t);
  const double t2 = t * t;
  // x = ν/(ν + t²) and 1 - x = t²/(ν + t²), each computed directly.
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
  return t >= 0 ? tail : 1 - tail;
}

double student_t_cdf(double t, double df) { return student_t_sf(-t, df); }

double student_t_ppf(double p, double df) {
  TAILOR_CHECK_ARG(p > 0 && p < 1, "student_t_ppf: p must be in (0, 1)");
  TAILOR_CHECK_ARG(df > 0, "student_t: df must be positive");
  if (p < 0.5) return -student_t_ppf(1 - p, df);
  if (p == 0.5) return 0;
  const double q = 1 - p;  // solve sf(t) = q for t > 0
  // Bracket [0, hi] with sf(hi) < q, then Newton steps kept inside it.
  double lo = 0, hi = std::max(1.0, normal_ppf(p));
  while (student_t_sf(hi, df) > q) {
    lo = hi;
    hi *= 2;
  }
  double t = std::clamp(normal_ppf(p), lo, hi);
  for (int iter = 0; iter < 200; ++iter) {
    const double f = student_t_sf(t, df) - q;  // decreasing in t
    if (f > 0) lo = t; else hi = t;
    const double step = f / student_t_pdf(t, df);
    double next = t + step;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (std::fabs(next - t) <= 1e-15 * std::max(1.0, std::fabs(t))) return next;
    t = next;
  }
  return t;
}

double chi_square_sf(double x, double df) {
  TAILOR_CHECK_ARG(df > 0, "chi_square: df must be positive");
  if (x <= 0) return 1;
  return upper_incomplete_gamma(df / 2, x / 2);
}

double binomial_cdf(std::size_t k, std::size_t n, double q) {
  if (k >= n) return 1;
  if (q <= 0) return 1;
  if (q >= 1) return 0;
  return incomplete_beta(static_cast<double>(n - k), static_cast<double>(k) + 1, 1 - q, q);
}

}  // namespace tailor::experiment
