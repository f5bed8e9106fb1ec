#pragma once
// A sumcheck round's sums on the device (sumcheck.cu).

#include "backend/cuda/cuda_common.cuh"

namespace zks::backend::cuda_ops::detail {

// Writes each block's sums l(0..L) (F_p^2) to partials[block * (L + 1) + t]; `grid`
// blocks (product_round_grid). tables: d device arrays of n F_p^2 values; weights: n/2
// F_p^2 values or null.
const char* product_round_device(const uint64_t* const* tables, unsigned d, size_t n, const uint64_t* weights,
                                 unsigned L, bool skip_one, uint64_t* partials, unsigned grid);
unsigned product_round_grid(size_t n);

}  // namespace zks::backend::cuda_ops::detail
