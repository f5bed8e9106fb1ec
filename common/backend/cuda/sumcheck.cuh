#pragma once
// Sumcheck rounds on the device (sumcheck.cu).

#include "backend/cuda/cuda_common.cuh"

namespace zks::backend::cuda_ops::detail {

constexpr unsigned kMaxFactors = 8, kMaxTerms = 8, kMaxL = 8;

struct Tables {
  const uint64_t* t[kMaxFactors];
};
struct OutTables {
  uint64_t* t[kMaxFactors];
};

// P = sum_k coeff_k prod_q f_{factor[k][q]}, q < len[k], over d factors.
struct SumPoly {
  unsigned d, num_terms;
  uint64_t coeff[kMaxTerms][2];
  uint8_t len[kMaxTerms];
  uint8_t factor[kMaxTerms][kMaxFactors];
};
// The product of every one of d factors.
SumPoly product_poly(unsigned d);

// One round's sums l(0..L) over tables of n entries (after the fold when dst is set:
// then src holds 2n entries, and every table and the weights are first folded by r
// into dst and w_dst). base_mask: which src tables are base-field. Each block's sums go
// to partials[block * (L + 1) + t] (`grid` blocks, round_grid(n)); with `out` set, their
// totals go to out (L + 1 F_p^2 values). Queued on `stream`.
const char* round_device(const Tables& src, uint32_t base_mask, const OutTables* dst, const Fp2& r, const uint64_t* w_src,
                         uint64_t* w_dst, size_t n, const SumPoly& poly, unsigned L, bool skip_one, uint64_t* partials,
                         unsigned grid, uint64_t* out, cudaStream_t stream);
unsigned round_grid(size_t n);

}  // namespace zks::backend::cuda_ops::detail
