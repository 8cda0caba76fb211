// Id maps and compressed sparse row matrices.
//
// CsrMatrix layout (see dataset.h): row r owns indices/values in
// [indptr[r], indptr[r+1]), columns strictly ascending within a row. Every
// builder here produces that invariant; readers (binary search in at(), merge
// loops in the models) rely on it.
#include <algorithm>
#include <numeric>

#include "tailor/dataset/dataset.h"

namespace tailor::dataset {

// ----------------------------------------------------------------- IdMap ---

std::uint32_t IdMap::add(const std::string& id) {
  auto [it, inserted] = index_.try_emplace(id, static_cast<std::uint32_t>(ids_.size()));
  if (inserted) {
    TAILOR_CHECK_ARG(ids_.size() < 0xFFFFFFFFu, "id map: more than 2^32 - 1 ids");
    ids_.push_back(id);
  }
  return it->second;
}

std::optional<std::uint32_t> IdMap::find(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

// ------------------------------------------------------------- CsrMatrix ---

std::optional<float> CsrMatrix::at(std::uint32_t r, std::uint32_t c) const {
  if (r >= rows) return std::nullopt;
  auto row = row_indices(r);
  auto it = std::lower_bound(row.begin(), row.end(), c);
  if (it == row.end() || *it != c) return std::nullopt;
  return values[indptr[r] + static_cast<std::size_t>(it - row.begin())];
}

// Counting sort by column: walking rows in order appends each row index to its
// column's segment, so the transposed rows come out sorted. O(nnz + rows + cols).
CsrMatrix CsrMatrix::transpose() const {
  CsrMatrix out;
  out.rows = cols;
  out.cols = rows;
  out.indptr.assign(static_cast<std::size_t>(cols) + 1, 0);
  for (std::uint32_t col_idx : indices) ++out.indptr[col_idx + 1];
  for (std::uint32_t col_idx = 0; col_idx < cols; ++col_idx) out.indptr[col_idx + 1] += out.indptr[col_idx];
  out.indices.resize(nnz());
  out.values.resize(nnz());
  std::vector<std::uint64_t> cursor(out.indptr.begin(), out.indptr.end() - 1);
  for (std::uint32_t row_idx = 0; row_idx < rows; ++row_idx) {
    for (std::uint64_t pos = indptr[row_idx]; pos < indptr[row_idx + 1]; ++pos) {
      std::uint64_t dst = cursor[indices[pos]]++;
      out.indices[dst] = row_idx;
      out.values[dst] = values[pos];
    }
  }
  return out;
}

// Two passes: count entries per row, scatter (col, value) into row segments,
// then sort each row by column and merge duplicate columns by summing.
CsrMatrix build_csr(std::span<const Interaction> interactions, std::uint32_t rows, std::uint32_t cols,
                    bool by_item) {
  CsrMatrix out;
  out.rows = rows;
  out.cols = cols;
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(rows) + 1, 0);
  for (const Interaction& x : interactions) {
    std::uint32_t row_idx = by_item ? x.item : x.user;
    std::uint32_t col_idx = by_item ? x.user : x.item;
    TAILOR_CHECK_ARG(row_idx < rows && col_idx < cols,
                     "build_csr: interaction (user " + std::to_string(x.user) + ", item " +
                         std::to_string(x.item) + ") outside the " + std::to_string(rows) + " x " +
                         std::to_string(cols) + " matrix");
    ++counts[row_idx + 1];
  }
  for (std::uint32_t row_idx = 0; row_idx < rows; ++row_idx) counts[row_idx + 1] += counts[row_idx];

  std::vector<std::pair<std::uint32_t, float>> entries(interactions.size());
  std::vector<std::uint64_t> cursor(counts.begin(), counts.end() - 1);
  for (const Interaction& x : interactions) {
    std::uint32_t row_idx = by_item ? x.item : x.user;
    std::uint32_t col_idx = by_item ? x.user : x.item;
    entries[cursor[row_idx]++] = {col_idx, x.weight};
  }

  out.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  out.indices.reserve(entries.size());
  out.values.reserve(entries.size());
  for (std::uint32_t row_idx = 0; row_idx < rows; ++row_idx) {
    auto first = entries.begin() + static_cast<std::ptrdiff_t>(counts[row_idx]);
    auto last = entries.begin() + static_cast<std::ptrdiff_t>(counts[row_idx + 1]);
    // Stable so that duplicate columns are summed in input order (deterministic).
    std::stable_sort(first, last, [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto it = first; it != last; ++it) {
      if (out.indices.size() > out.indptr[row_idx] && out.indices.back() == it->first) {
        out.values.back() += it->second;
      } else {
        out.indices.push_back(it->first);
        out.values.push_back(it->second);
      }
    }
    out.indptr[row_idx + 1] = out.indices.size();
  }
  return out;
}

CsrMatrix Dataset::user_items() const { return build_csr(interactions, user_count(), item_count()); }

}  // namespace tailor::dataset

namespace tailor::dataset {

bool ContentVectors::has(std::uint32_t item) const {
  if (dim == 0 || (std::size_t{item} + 1) * dim > rows.size()) return false;
  for (float v : row(item))
    if (v != 0.0f) return true;
  return false;
}

}  // namespace tailor::dataset
