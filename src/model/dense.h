// Private to the model component: dense helpers shared by the factor models
// (als, bpr, ease) — a row-major float matrix, the small vector kernels their
// inner loops run, the ALS conjugate-gradient row solver, payload I/O and
// cosine neighbours over factor rows.
//
// Layout: DenseRows holds `rows` x `cols` floats row-major, so one user's or
// one item's factors are `cols` contiguous floats (row(r)). Gram matrices are
// `cols` x `cols`, full (both triangles stored), row-major.
//
// Vectorised kernels (dot, scores_into, gram, als_cg_solve) are compiled for
// the baseline ISA and, on x86-64 with GCC or Clang, also for x86-64-v3 (AVX2
// + FMA) and x86-64-v4 (AVX-512) and picked at load time (target_clones), so
// the binary stays portable. Each has a plain *_reference twin; tests check
// that they agree. Results differ from the reference in the last bits, and
// between machines of different ISA levels (FMA contraction in the AVX
// clones); on one machine they never depend on the thread count.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <vector>

#include "tailor/model/model.h"

namespace tailor::model::detail {

// Largest number of factors the factor models accept (stack buffers of the
// CG solver are sized by it).
inline constexpr std::uint32_t kMaxFactors = 1024;

struct DenseRows {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::vector<float> values;  // rows * cols, row-major

  DenseRows() = default;
  DenseRows(std::uint32_t n_rows, std::uint32_t n_cols)
      : rows(n_rows), cols(n_cols), values(static_cast<std::size_t>(n_rows) * n_cols, 0.0f) {}
  float* row(std::uint32_t r) { return values.data() + static_cast<std::size_t>(r) * cols; }
  const float* row(std::uint32_t r) const { return values.data() + static_cast<std::size_t>(r) * cols; }
};

// rows x cols uniform in [lo, hi), drawn in row-major order from `rng`
// (deterministic for a seed, whatever the thread count).
DenseRows random_rows(std::uint32_t rows, std::uint32_t cols, float lo, float hi, dataset::Rng& rng);

// Σ_k a[k]·b[k].
float dot(const float* a, const float* b, std::uint32_t n);
float dot_reference(const float* a, const float* b, std::uint32_t n);

// out[r] = m.row(r) · x for every row r (a matrix-vector product).
void scores_into(const DenseRows& m, const float* x, std::span<float> out);

// G = Mᵀ M + diagonal·I (cols x cols, full, row-major). Rows are summed in
// fixed blocks whose partial sums are added in block order, so the result is
// bit-identical for any thread count. Parallel over blocks.
std::vector<float> gram(const DenseRows& m, float diagonal, int threads);
std::vector<float> gram_reference(const DenseRows& m, float diagonal);

// One row of implicit ALS (Hu, Koren, Volinsky 2008), for a user u with the
// item factors Y as `other` (or an item with the user factors):
//   A_u = YᵀY + λI + Σ_{i ∈ u} α·w_ui · y_i y_iᵀ        (C_u − I has α·w on the row's items)
//   b_u = Σ_{i ∈ u} (1 + α·w_ui) · y_i                   (p_ui = 1, c_ui = 1 + α·w_ui)
// `gram` is YᵀY + λI, precomputed once per half-iteration.
struct AlsRow {
  const float* gram = nullptr;   // factors x factors
  const DenseRows* other = nullptr;
  std::span<const std::uint32_t> indices;  // i ∈ u
  std::span<const float> weights;          // w_ui, same length
  float alpha = 0;
};

// `steps` conjugate-gradient steps on A_u x = b_u starting from x (warm start,
// Takács, Pilászy, Tikk 2011), in place; x holds `factors` floats, factors <=
// kMaxFactors. Never forms A_u: A_u·p = (YᵀY + λI)·p + Σ_i α·w_ui (y_i·p) y_i.
// No allocation; safe to call concurrently for different x.
void als_cg_solve(const AlsRow& row, std::uint32_t factors, int steps, float* x);
void als_cg_solve_reference(const AlsRow& row, std::uint32_t factors, int steps, float* x);

// ‖row‖₂ of every row.
std::vector<float> row_norms(const DenseRows& m);

// The n rows most similar to `row` by cosine of their vectors, best first,
// never `row` itself nor a row with known[r] == 0 or zero norm; only
// similarities > 0 are kept. Empty when `row` itself is unknown.
std::vector<ScoredItem> most_similar_rows(const DenseRows& m, std::span<const float> norms,
                                          std::span<const std::uint8_t> known, std::uint32_t row, std::size_t n);

// 1 for every column of m with at least one stored entry.
std::vector<std::uint8_t> nonempty_columns(const CsrMatrix& m);
// 1 for every row of m with at least one stored entry.
std::vector<std::uint8_t> nonempty_rows(const CsrMatrix& m);

// Payload I/O: u32 rows, u32 cols, f32 array. read_dense checks the shape
// against what the model expects and throws Corruption naming `what`.
void write_dense(std::ostream& out, const DenseRows& m);
DenseRows read_dense(std::istream& in, std::uint32_t rows, std::uint32_t cols, const std::string& what);

}  // namespace tailor::model::detail
