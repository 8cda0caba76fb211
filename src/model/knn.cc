// The neighbourhood kernel shared by itemknn and userknn: top-k shrunk cosine
// similarities between the rows of a sparse matrix.
//
// For row a, the dot products with every other row come from one sparse pass
// (a "row times the transpose" product):
//   acc[b] = Σ_{c ∈ cols(a)} x_ac · Σ_{b : x_bc ≠ 0} x_bc       (scatter into a dense R-sized buffer)
//   sim(a, b) = acc[b] / (‖x_a‖ · ‖x_b‖ + shrink)
// The cost is Σ_c |col c|² over the whole matrix; the buffer is reset only
// where it was touched.
#include <algorithm>
#include <limits>

#include "models.h"

namespace tailor::model::detail {

dataset::CsrMatrix cosine_neighbors(const dataset::CsrMatrix& rows, const dataset::CsrMatrix& by_col,
                                    std::size_t k, double shrink, int threads, bool quiet,
                                    const std::string& label) {
  TAILOR_ASSERT(by_col.rows == rows.cols && by_col.cols == rows.rows);
  const std::uint32_t n_rows = rows.rows;
  const std::vector<float> norms = row_norms(rows);

  struct Scratch {
    std::vector<double> acc;
    std::vector<std::uint32_t> touched;
  };
  const int workers = worker_count(threads, n_rows);
  std::vector<Scratch> scratch(static_cast<std::size_t>(workers));
  std::vector<std::vector<ScoredItem>> neighbors(n_rows);
  Progress progress(label, n_rows, quiet);

  parallel_for_worker(0, n_rows, threads, [&](std::size_t index, int worker) {
    const auto row_a = static_cast<std::uint32_t>(index);
    Scratch& s = scratch[static_cast<std::size_t>(worker)];
    if (s.acc.empty()) s.acc.assign(n_rows, 0.0);
    auto cols_a = rows.row_indices(row_a);
    auto vals_a = rows.row_values(row_a);
    for (std::size_t pos_a = 0; pos_a < cols_a.size(); ++pos_a) {
      const double x_ac = vals_a[pos_a];
      auto rows_c = by_col.row_indices(cols_a[pos_a]);
      auto vals_c = by_col.row_values(cols_a[pos_a]);
      for (std::size_t pos_c = 0; pos_c < rows_c.size(); ++pos_c) {
        const std::uint32_t row_b = rows_c[pos_c];
        if (s.acc[row_b] == 0.0) s.touched.push_back(row_b);
        s.acc[row_b] += x_ac * vals_c[pos_c];
      }
    }
    TopK top(k);
    const double norm_a = norms[row_a];
    for (std::uint32_t row_b : s.touched) {
      const double dot = s.acc[row_b];
      s.acc[row_b] = 0.0;
      if (row_b == row_a) continue;
      const double denom = norm_a * norms[row_b] + shrink;
      if (!(dot > 0) || !(denom > 0)) continue;
      top.push(row_b, static_cast<float>(dot / denom));
    }
    s.touched.clear();
    std::vector<ScoredItem> kept = top.take();
    std::sort(kept.begin(), kept.end(), [](const ScoredItem& x, const ScoredItem& y) { return x.item < y.item; });
    neighbors[row_a] = std::move(kept);
    progress.add();
  });
  progress.finish();

  dataset::CsrMatrix out;
  out.rows = n_rows;
  out.cols = n_rows;
  out.indptr.assign(static_cast<std::size_t>(n_rows) + 1, 0);
  for (std::uint32_t row_idx = 0; row_idx < n_rows; ++row_idx)
    out.indptr[row_idx + 1] = out.indptr[row_idx] + neighbors[row_idx].size();
  out.indices.reserve(out.indptr.back());
  out.values.reserve(out.indptr.back());
  for (auto& row : neighbors) {
    for (const ScoredItem& neighbor : row) {
      out.indices.push_back(neighbor.item);
      out.values.push_back(neighbor.score);
    }
    std::vector<ScoredItem>().swap(row);
  }
  return out;
}

}  // namespace tailor::model::detail
