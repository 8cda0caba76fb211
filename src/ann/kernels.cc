// The inner-product kernel of the ann component, and its reference.
//
// The project builds for baseline x86-64 (no -march flags), which would leave
// this loop on SSE2. GCC/Clang function multi-versioning (target_clones)
// compiles dot() once per listed instruction set and picks the best clone
// when the program loads (an ifunc), so one binary uses AVX-512 or AVX2+FMA
// where the CPU has them. Elsewhere the plain build is used.
#include "kernels.h"

#include <cstring>

namespace tailor::ann::detail {

#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
#define TAILOR_ANN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TAILOR_ANN_CLONES
#endif

namespace {
// GCC vector extensions: 16 floats, lowered to one zmm, two ymm or four xmm
// registers depending on the clone being compiled.
typedef float Vec16 __attribute__((vector_size(64)));

// An unaligned load (rows need no alignment). Passed by reference rather than
// returned: returning a 64-byte vector by value changes the ABI per clone.
inline void load16(Vec16& v, const float* p) { std::memcpy(&v, p, sizeof v); }
}  // namespace

// sum_d a[d]*b[d]. Two 16-lane accumulators (32 partial sums) keep two FMA
// chains in flight; partial sums are added at the end, so the result differs
// from the in-order sum only by float rounding (|err| <~ dim * eps * sum|a_d b_d|).
TAILOR_ANN_CLONES
float dot(const float* a, const float* b, std::size_t dim) {
  Vec16 acc0 = {};
  Vec16 acc1 = {};
  std::size_t d = 0;
  Vec16 a0, b0, a1, b1;
  for (; d + 32 <= dim; d += 32) {
    load16(a0, a + d);
    load16(b0, b + d);
    load16(a1, a + d + 16);
    load16(b1, b + d + 16);
    acc0 += a0 * b0;
    acc1 += a1 * b1;
  }
  for (; d + 16 <= dim; d += 16) {
    load16(a0, a + d);
    load16(b0, b + d);
    acc0 += a0 * b0;
  }
  acc0 += acc1;
  float sum = 0.0f;
  for (int lane = 0; lane < 16; ++lane) sum += acc0[lane];
  for (; d < dim; ++d) sum += a[d] * b[d];
  return sum;
}

float dot_reference(const float* a, const float* b, std::size_t dim) {
  double sum = 0.0;
  for (std::size_t d = 0; d < dim; ++d) sum += static_cast<double>(a[d]) * static_cast<double>(b[d]);
  return static_cast<float>(sum);
}

void dot_rows(const float* rows, std::size_t count, const float* query, std::size_t dim, float* out) {
  for (std::size_t row = 0; row < count; ++row) out[row] = dot(rows + row * dim, query, dim);
}

}  // namespace tailor::ann::detail
