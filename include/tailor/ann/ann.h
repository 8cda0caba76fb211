// Front door of the ann component: nearest-neighbour search over unit vectors
// by inner product (= cosine for L2-normalised rows), exact or approximate.
//
//   FlatIndex  exact, blocked brute force; the reference and the right choice
//              below the measured crossover (~5k rows; docs/benchmarks.md,
//              bench/ann_bench)
//   HnswIndex  hierarchical navigable small-world graph (Malkov & Yashunin
//              2018): M links per node (2M on layer 0), efConstruction, ef at
//              query time; recall against FlatIndex is a tested floor
//
// make_index() picks by catalogue size. Both serialise to a versioned byte
// string ("TANN", version) so a built index is stored as a store artifact.
// Search is thread-safe; add() is not (build once, then query).
//
// Layout: an index owns a copy of its rows, row-major, `dim` floats each, in
// insertion order; a row's id is its position. Scores are raw inner products
// (no normalisation is applied); HNSW's graph quality assumes unit rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tailor::ann {

struct Hit {
  std::uint32_t id;   // row number in insertion order
  float score;        // inner product, higher is closer
};

// Per-call knobs of a search (they travel with the call, never as setters).
struct SearchOptions {
  std::size_t k = 10;                        // answers wanted; >= 1
  int ef = 0;                                // HNSW beam (max(ef, k) is used); 0 = the index's
                                             // ef_search; [0, 4096]; ignored by FlatIndex
  const std::vector<bool>* allow = nullptr;  // optional, size() bools: only these rows answer
  bool exact_when_sparse = true;             // HNSW: brute-force the allowed rows when the mask
                                             // is so sparse that this costs fewer dot products
                                             // than walking the graph
};

class Index {
 public:
  virtual ~Index() = default;
  virtual int dim() const = 0;
  virtual std::size_t size() const = 0;
  // Appends n rows (n*dim floats, row-major); ids continue from size().
  virtual void add(std::span<const float> rows) = 0;
  // Best k rows by inner product with `query`, best first. `allow` (optional,
  // size() bools) restricts the answer to allowed rows (filters, hidden items).
  virtual std::vector<Hit> search(std::span<const float> query, std::size_t k,
                                  const std::vector<bool>* allow = nullptr) const = 0;
  virtual std::string kind() const = 0;       // "flat" or "hnsw"
  virtual std::string serialize() const = 0;

  // search() with every per-call knob. The default ignores `ef` and
  // `exact_when_sparse`; HnswIndex honours them. Safe to call concurrently
  // with any const method.
  virtual std::vector<Hit> search_with(std::span<const float> query, const SearchOptions& options) const {
    return search(query, options.k, options.allow);
  }
  // Many queries (nq*dim floats, row-major) on `threads` threads (0 = auto);
  // answer q is result[q]. FlatIndex shares each row block between a group of
  // queries, so this is faster per query than calling search() in a loop.
  virtual std::vector<std::vector<Hit>> search_batch(std::span<const float> queries,
                                                     const SearchOptions& options, int threads = 0) const;
};

// Errors of every function below: tailor::Error kInvalidArgument naming the
// field ("dim", "k", "query", "rows", "allow", "m", "ef_construction",
// "ef_search", "ef", "queries") when an argument is out of range.

struct HnswOptions {
  int m = 16;                  // links per node above layer 0; [2, 128]
  int ef_construction = 200;   // [m, 4096]
  int ef_search = 64;          // default query beam; [1, 4096]
  std::uint64_t seed = 42;     // level draws, for reproducible graphs
};

std::unique_ptr<Index> make_flat_index(int dim);
std::unique_ptr<Index> make_hnsw_index(int dim, const HnswOptions& options = {});
// Flat below `exact_below` rows, HNSW (default options) otherwise. The
// default is the measured crossover (docs/benchmarks.md, "ANN index"): on
// clustered dim-384 unit vectors, one query per call on one thread, HNSW at
// its default ef_search 64 draws level with brute force near 3,000 rows and
// is 1.5x faster at 5,000, 5x at 10,000 and 20x+ from 50,000. Below 5,000 a
// flat scan costs under ~0.25 ms a query and is exact, so it is kept there.
std::unique_ptr<Index> make_index(int dim, std::size_t expected_rows, std::size_t exact_below = 5000);
// Corruption on a damaged or unknown blob.
std::unique_ptr<Index> deserialize_index(const std::string& bytes);

// Fraction of the exact top-k found by `approx` for each query, averaged
// (recall@k), against a FlatIndex over the same rows.
double recall_at_k(const Index& approx, const Index& exact, std::span<const float> queries, std::size_t k);

}  // namespace tailor::ann
