// Private to the ann component: the inner-product kernel and the top-k
// collector. Following faiss's split, a kernel only computes scores and a
// collector (TopK) decides which to keep; the indexes glue the two together.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "tailor/ann/ann.h"

namespace tailor::ann::detail {

// <a, b> = sum_d a[d]*b[d] over `dim` floats. Vectorised with 32 partial
// sums (so the FMA chains are independent and the adds can be reassociated)
// and dispatched at load time to the widest instruction set the CPU has
// (AVX-512, AVX2+FMA, or baseline SSE2); see kernels.cc.
float dot(const float* a, const float* b, std::size_t dim);

// The plain reference: one running sum in double, in order. The test checks
// that dot() agrees with it to float rounding.
float dot_reference(const float* a, const float* b, std::size_t dim);

// Scores of `count` consecutive rows (row-major, `dim` floats each) against
// one query: out[r] = <rows + r*dim, query>.
void dot_rows(const float* rows, std::size_t count, const float* query, std::size_t dim, float* out);

// Hit ordering used everywhere: higher score first, then lower id (so ties
// are broken the same way by every index and by the tests).
inline bool hit_better(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

// Keeps the best k hits seen so far in a binary heap whose top is the worst
// kept hit (a bounded heap is the partial sort of a stream): offer() costs one
// compare when the hit cannot enter, O(log k) when it can.
class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) { heap_.reserve(k); }

  // The score a new hit must beat to enter (-inf while not yet full).
  float threshold() const {
    return heap_.size() < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
  }
  void offer(std::uint32_t id, float score) {
    const Hit hit{id, score};
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), hit_better);
    } else if (k_ > 0 && hit_better(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), hit_better);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), hit_better);
    }
  }
  // Best first; leaves the collector empty.
  std::vector<Hit> take_sorted() {
    std::sort_heap(heap_.begin(), heap_.end(), hit_better);
    return std::move(heap_);
  }

 private:
  std::size_t k_;
  std::vector<Hit> heap_;  // heap ordered by hit_better: front() is the worst kept
};

// splitmix64 (Steele, Lea & Flood 2014): a bijective 64-bit mixer; used as a
// counter-based generator, hash(seed, counter), so draws do not depend on
// the order or batching of calls.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace tailor::ann::detail
