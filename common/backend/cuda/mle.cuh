#pragma once
// Multilinear tables on the device (poly::fold, poly::evaluate) and the LogUp-GKR
// fraction tree's layer (lookup's build_tree). F_p^2 values are two words each.

#include "backend/cuda/cuda_common.cuh"

namespace zks::backend::cuda_ops::detail {

// out[i] = f[2i] + r (f[2i+1] - f[2i]) for i < n/2; f in F_p (base) or F_p^2.
const char* fold_device(const uint64_t* f, bool base, size_t n, Fp2 r, uint64_t* out);
// p_out[x] = p[2x] q[2x+1] + p[2x+1] q[2x], q_out[x] = q[2x] q[2x+1] for x < n/2 (F_p^2).
const char* fraction_layer_device(const uint64_t* p, const uint64_t* q, size_t n, uint64_t* p_out, uint64_t* q_out);

}  // namespace zks::backend::cuda_ops::detail
