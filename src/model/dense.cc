// Dense kernels of the factor models (see dense.h for layout and contracts).
//
// Vectorisation without -ffast-math: float sums are written with kLanes
// independent partial sums (a "vertical" loop the compiler turns into SIMD
// registers) reduced in a fixed order, and everything else is axpy-shaped, so
// the order of operations is fixed by the source, not by the thread count or
// the vector width. The x86-64-v3/v4 clones contract a*b+c into FMA (GCC's
// default), which the baseline clone cannot: that is the one source of
// differences between machines.
#include "dense.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>

#include "models.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TAILOR_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define TAILOR_CLONES
#endif
#define TAILOR_INLINE inline __attribute__((always_inline))

namespace tailor::model::detail {
namespace {

// Partial sums per dot product: one AVX-512, two AVX2 or four SSE registers.
constexpr std::uint32_t kLanes = 16;

// Σ_k a[k]·b[k] with kLanes partial sums reduced pairwise (the tree is
// spelled out so the compiler keeps it in registers); kN > 0 fixes n at
// compile time.
template <std::uint32_t kN>
TAILOR_INLINE float dot_lanes(const float* __restrict a, const float* __restrict b, std::uint32_t runtime_n) {
  const std::uint32_t n = kN ? kN : runtime_n;
  float acc[kLanes] = {};
  std::uint32_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (std::uint32_t lane = 0; lane < kLanes; ++lane) acc[lane] += a[k + lane] * b[k + lane];
  for (std::uint32_t lane = 0; k + lane < n; ++lane) acc[lane] += a[k + lane] * b[k + lane];
  float half[8];
  for (std::uint32_t lane = 0; lane < 8; ++lane) half[lane] = acc[lane] + acc[lane + 8];
  float quarter[4];
  for (std::uint32_t lane = 0; lane < 4; ++lane) quarter[lane] = half[lane] + half[lane + 4];
  return (quarter[0] + quarter[2]) + (quarter[1] + quarter[3]);
}

// y += s·x
template <std::uint32_t kN>
TAILOR_INLINE void axpy_n(float s, const float* __restrict x, float* __restrict y, std::uint32_t runtime_n) {
  const std::uint32_t n = kN ? kN : runtime_n;
  for (std::uint32_t k = 0; k < n; ++k) y[k] += s * x[k];
}

// out = G·v for a symmetric row-major n x n G, as Σ_b v[b]·G[b, :] (rows of G
// are its columns), so the inner loop is an axpy.
template <std::uint32_t kN>
TAILOR_INLINE void symv_n(const float* __restrict g, const float* __restrict v, float* __restrict out,
                          std::uint32_t runtime_n) {
  const std::uint32_t n = kN ? kN : runtime_n;
  for (std::uint32_t k = 0; k < n; ++k) out[k] = 0.0f;
  std::uint32_t b = 0;
  for (; b + 4 <= n; b += 4) {  // four rows per pass over out: a quarter of the loads and stores
    const float* __restrict g0 = g + static_cast<std::size_t>(b) * n;
    const float* __restrict g1 = g0 + n;
    const float* __restrict g2 = g1 + n;
    const float* __restrict g3 = g2 + n;
    const float v0 = v[b], v1 = v[b + 1], v2 = v[b + 2], v3 = v[b + 3];
    for (std::uint32_t k = 0; k < n; ++k) out[k] += (v0 * g0[k] + v1 * g1[k]) + (v2 * g2[k] + v3 * g3[k]);
  }
  for (; b < n; ++b) axpy_n<kN>(v[b], g + static_cast<std::size_t>(b) * n, out, n);
}

// The CG of dense.h (Takács et al. 2011, as in `implicit`), with x warm.
//   r = b − A x = −(YᵀY + λI) x + Σ_i [(1 + α w_i) − α w_i (y_i·x)] y_i
//   repeat `steps`:  Ap = (YᵀY + λI) p + Σ_i α w_i (y_i·p) y_i
//                    a = rᵀr / pᵀAp;  x += a p;  r −= a Ap;  p = r + (r'ᵀr' / rᵀr) p
// r, p, Ap live on the stack (kN floats, or kMaxFactors for a runtime size).
template <std::uint32_t kN>
TAILOR_INLINE void cg_solve_n(const AlsRow& row, std::uint32_t runtime_n, int steps, float* __restrict x) {
  const std::uint32_t n = kN ? kN : runtime_n;
  constexpr std::uint32_t kBuffer = kN ? kN : kMaxFactors;
  alignas(64) float r[kBuffer];
  alignas(64) float p[kBuffer];
  alignas(64) float ap[kBuffer];
  const float* __restrict y_base = row.other->values.data();
  const std::size_t nnz = row.indices.size();

  symv_n<kN>(row.gram, x, r, n);
  for (std::uint32_t k = 0; k < n; ++k) r[k] = -r[k];
  for (std::size_t pos = 0; pos < nnz; ++pos) {
    const float* y = y_base + static_cast<std::size_t>(row.indices[pos]) * n;
    const float aw = row.alpha * row.weights[pos];
    axpy_n<kN>((1.0f + aw) - aw * dot_lanes<kN>(y, x, n), y, r, n);
  }
  for (std::uint32_t k = 0; k < n; ++k) p[k] = r[k];
  float rs_old = dot_lanes<kN>(r, r, n);
  for (int step = 0; step < steps && rs_old >= 1e-20f; ++step) {
    symv_n<kN>(row.gram, p, ap, n);
    for (std::size_t pos = 0; pos < nnz; ++pos) {
      const float* y = y_base + static_cast<std::size_t>(row.indices[pos]) * n;
      axpy_n<kN>(row.alpha * row.weights[pos] * dot_lanes<kN>(y, p, n), y, ap, n);
    }
    const float p_ap = dot_lanes<kN>(p, ap, n);
    if (!(p_ap > 0.0f)) break;  // only without regularisation on a degenerate row
    const float a = rs_old / p_ap;
    axpy_n<kN>(a, p, x, n);
    axpy_n<kN>(-a, ap, r, n);
    const float rs_new = dot_lanes<kN>(r, r, n);
    if (rs_new < 1e-20f) break;
    const float beta = rs_new / rs_old;
    for (std::uint32_t k = 0; k < n; ++k) p[k] = r[k] + beta * p[k];
    rs_old = rs_new;
  }
}

TAILOR_CLONES void cg_solve_dispatch(const AlsRow& row, std::uint32_t n, int steps, float* x) {
  switch (n) {
    case 16: cg_solve_n<16>(row, n, steps, x); break;
    case 32: cg_solve_n<32>(row, n, steps, x); break;
    case 64: cg_solve_n<64>(row, n, steps, x); break;
    case 128: cg_solve_n<128>(row, n, steps, x); break;
    default: cg_solve_n<0>(row, n, steps, x); break;
  }
}

TAILOR_CLONES float dot_dispatch(const float* a, const float* b, std::uint32_t n) { return dot_lanes<0>(a, b, n); }

TAILOR_CLONES void scores_dispatch(const float* m, std::uint32_t rows, std::uint32_t cols, const float* x,
                                   float* out) {
  for (std::uint32_t row_idx = 0; row_idx < rows; ++row_idx)
    out[row_idx] = dot_lanes<0>(m + static_cast<std::size_t>(row_idx) * cols, x, cols);
}

// Σ_r m_r m_rᵀ over rows [begin, end) added into g (n x n, every cell),
// eight rows per pass over g (a rank-8 update) so g is loaded and stored an
// eighth as often; leftover rows one at a time. Computing both triangles
// costs twice the multiplies of one, but full-length rows of compile-time
// size vectorise cleanly and win; the caller mirrors one triangle.
template <std::uint32_t kN>
TAILOR_INLINE void gram_rows_n(const float* m, std::uint32_t runtime_n, std::size_t begin, std::size_t end,
                               float* g) {
  const std::uint32_t n = kN ? kN : runtime_n;
  constexpr std::size_t kRows = 8;
  std::size_t row_idx = begin;
  for (; row_idx + kRows <= end; row_idx += kRows) {
    const float* __restrict y[kRows];
    for (std::size_t r = 0; r < kRows; ++r) y[r] = m + (row_idx + r) * n;
    for (std::uint32_t a = 0; a < n; ++a) {
      float c[kRows];
      for (std::size_t r = 0; r < kRows; ++r) c[r] = y[r][a];
      float* __restrict g_a = g + static_cast<std::size_t>(a) * n;
      for (std::uint32_t b = 0; b < n; ++b)
        g_a[b] += ((c[0] * y[0][b] + c[1] * y[1][b]) + (c[2] * y[2][b] + c[3] * y[3][b])) +
                  ((c[4] * y[4][b] + c[5] * y[5][b]) + (c[6] * y[6][b] + c[7] * y[7][b]));
    }
  }
  for (; row_idx < end; ++row_idx) {
    const float* __restrict y = m + row_idx * n;
    for (std::uint32_t a = 0; a < n; ++a) axpy_n<kN>(y[a], y, g + static_cast<std::size_t>(a) * n, n);
  }
}

TAILOR_CLONES void gram_block(const float* m, std::uint32_t n, std::size_t begin, std::size_t end, float* g) {
  switch (n) {
    case 16: gram_rows_n<16>(m, n, begin, end, g); break;
    case 32: gram_rows_n<32>(m, n, begin, end, g); break;
    case 64: gram_rows_n<64>(m, n, begin, end, g); break;
    case 128: gram_rows_n<128>(m, n, begin, end, g); break;
    default: gram_rows_n<0>(m, n, begin, end, g); break;
  }
}

constexpr std::size_t kGramBlockRows = 1024;

}  // namespace

DenseRows random_rows(std::uint32_t rows, std::uint32_t cols, float lo, float hi, dataset::Rng& rng) {
  DenseRows m(rows, cols);
  for (float& v : m.values) v = lo + (hi - lo) * static_cast<float>(rng.uniform());
  return m;
}

float dot(const float* a, const float* b, std::uint32_t n) { return dot_dispatch(a, b, n); }

float dot_reference(const float* a, const float* b, std::uint32_t n) {
  double sum = 0;
  for (std::uint32_t k = 0; k < n; ++k) sum += static_cast<double>(a[k]) * b[k];
  return static_cast<float>(sum);
}

void scores_into(const DenseRows& m, const float* x, std::span<float> out) {
  TAILOR_ASSERT(out.size() == m.rows);
  scores_dispatch(m.values.data(), m.rows, m.cols, x, out.data());
}

std::vector<float> gram(const DenseRows& m, float diagonal, int threads) {
  const std::uint32_t n = m.cols;
  const std::size_t cells = static_cast<std::size_t>(n) * n;
  const std::size_t blocks = (static_cast<std::size_t>(m.rows) + kGramBlockRows - 1) / kGramBlockRows;
  std::vector<float> partial(blocks * cells, 0.0f);
  parallel_for(0, blocks, threads, [&](std::size_t block) {
    gram_block(m.values.data(), n, block * kGramBlockRows,
               std::min<std::size_t>(m.rows, (block + 1) * kGramBlockRows), partial.data() + block * cells);
  }, 1);
  std::vector<float> g(cells, 0.0f);
  for (std::size_t block = 0; block < blocks; ++block) {
    const float* part = partial.data() + block * cells;
    for (std::size_t cell = 0; cell < cells; ++cell) g[cell] += part[cell];
  }
  for (std::uint32_t a = 0; a < n; ++a) {
    g[static_cast<std::size_t>(a) * n + a] += diagonal;
    for (std::uint32_t b = a + 1; b < n; ++b) g[static_cast<std::size_t>(b) * n + a] = g[static_cast<std::size_t>(a) * n + b];
  }
  return g;
}

std::vector<float> gram_reference(const DenseRows& m, float diagonal) {
  const std::uint32_t n = m.cols;
  std::vector<float> g(static_cast<std::size_t>(n) * n, 0.0f);
  for (std::uint32_t a = 0; a < n; ++a) {
    for (std::uint32_t b = 0; b < n; ++b) {
      double sum = a == b ? diagonal : 0.0;
      for (std::uint32_t row_idx = 0; row_idx < m.rows; ++row_idx)
        sum += static_cast<double>(m.row(row_idx)[a]) * m.row(row_idx)[b];
      g[static_cast<std::size_t>(a) * n + b] = static_cast<float>(sum);
    }
  }
  return g;
}

void als_cg_solve(const AlsRow& row, std::uint32_t factors, int steps, float* x) {
  TAILOR_DASSERT(factors <= kMaxFactors && row.other->cols == factors);
  cg_solve_dispatch(row, factors, steps, x);
}

void als_cg_solve_reference(const AlsRow& row, std::uint32_t factors, int steps, float* x) {
  const std::uint32_t n = factors;
  const DenseRows& y = *row.other;
  auto apply = [&](const std::vector<double>& v) {  // A_u·v
    std::vector<double> out(n, 0.0);
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = 0; b < n; ++b) out[a] += row.gram[static_cast<std::size_t>(a) * n + b] * v[b];
    for (std::size_t pos = 0; pos < row.indices.size(); ++pos) {
      const float* y_i = y.row(row.indices[pos]);
      double y_v = 0;
      for (std::uint32_t k = 0; k < n; ++k) y_v += y_i[k] * v[k];
      for (std::uint32_t k = 0; k < n; ++k) out[k] += row.alpha * row.weights[pos] * y_v * y_i[k];
    }
    return out;
  };
  auto dot_d = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double sum = 0;
    for (std::uint32_t k = 0; k < n; ++k) sum += a[k] * b[k];
    return sum;
  };
  std::vector<double> xd(x, x + n);
  std::vector<double> r = apply(xd);
  for (double& v : r) v = -v;
  for (std::size_t pos = 0; pos < row.indices.size(); ++pos) {
    const float* y_i = y.row(row.indices[pos]);
    for (std::uint32_t k = 0; k < n; ++k) r[k] += (1.0 + row.alpha * row.weights[pos]) * y_i[k];
  }
  std::vector<double> p = r;
  double rs_old = dot_d(r, r);
  for (int step = 0; step < steps && rs_old >= 1e-20; ++step) {
    std::vector<double> ap = apply(p);
    const double p_ap = dot_d(p, ap);
    if (!(p_ap > 0)) break;
    const double a = rs_old / p_ap;
    for (std::uint32_t k = 0; k < n; ++k) {
      xd[k] += a * p[k];
      r[k] -= a * ap[k];
    }
    const double rs_new = dot_d(r, r);
    if (rs_new < 1e-20) break;
    for (std::uint32_t k = 0; k < n; ++k) p[k] = r[k] + rs_new / rs_old * p[k];
    rs_old = rs_new;
  }
  for (std::uint32_t k = 0; k < n; ++k) x[k] = static_cast<float>(xd[k]);
}

std::vector<float> row_norms(const DenseRows& m) {
  std::vector<float> norms(m.rows);
  for (std::uint32_t row_idx = 0; row_idx < m.rows; ++row_idx)
    norms[row_idx] = std::sqrt(dot(m.row(row_idx), m.row(row_idx), m.cols));
  return norms;
}

std::vector<ScoredItem> most_similar_rows(const DenseRows& m, std::span<const float> norms,
                                          std::span<const std::uint8_t> known, std::uint32_t row, std::size_t n) {
  if (!known[row] || !(norms[row] > 0)) return {};
  std::vector<float> dots(m.rows);
  scores_into(m, m.row(row), dots);
  TopK top(n);
  for (std::uint32_t other = 0; other < m.rows; ++other) {
    if (other == row || !known[other] || !(norms[other] > 0)) continue;
    const float cosine = dots[other] / (norms[row] * norms[other]);
    if (cosine > 0) top.push(other, cosine);
  }
  return top.take();
}

std::vector<std::uint8_t> nonempty_columns(const CsrMatrix& m) {
  std::vector<std::uint8_t> out(m.cols, 0);
  for (std::uint32_t col : m.indices) out[col] = 1;
  return out;
}

std::vector<std::uint8_t> nonempty_rows(const CsrMatrix& m) {
  std::vector<std::uint8_t> out(m.rows, 0);
  for (std::uint32_t row_idx = 0; row_idx < m.rows; ++row_idx) out[row_idx] = m.row_size(row_idx) > 0;
  return out;
}

void write_dense(std::ostream& out, const DenseRows& m) {
  io::write_u32(out, m.rows);
  io::write_u32(out, m.cols);
  io::write_floats(out, m.values);
}

DenseRows read_dense(std::istream& in, std::uint32_t rows, std::uint32_t cols, const std::string& what) {
  DenseRows m;
  m.rows = io::read_u32(in);
  m.cols = io::read_u32(in);
  m.values = io::read_floats(in);
  if (m.rows != rows || m.cols != cols || m.values.size() != static_cast<std::size_t>(rows) * cols)
    throw_error(ErrorCode::kCorruption, "model file: " + what + " has the wrong shape");
  return m;
}

}  // namespace tailor::model::detail
