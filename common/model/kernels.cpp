#include "model/kernels.hpp"

namespace zks::model::kern {

// Cloned for AVX-512 (vpmullq: eight 64-bit products at a time), AVX2 and the baseline;
// GCC vectorises the loop in each clone. Exact: int64 products and sums, as the scalar
// loop, in any order (the caller's bounds keep every sum below 2^62).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void axpy(int64_t* y, const int64_t* x, int64_t a, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void axpy_strided(int64_t* y, const int64_t* x, size_t stride, int64_t a, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i * stride];
}

}  // namespace zks::model::kern
