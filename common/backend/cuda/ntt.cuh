#pragma once
// The NTT on the device: radix-2 decimation in frequency, natural order in,
// bit-reversed order out (pcs::ntt_dif), on `batch` contiguous vectors of n elements.
// Passes with half-size h >= kSharedChunk run as global-memory passes; the last
// log2(kSharedChunk) levels run chunk by chunk in shared memory (one trip through memory).

#include "backend/cuda/cuda_common.cuh"

namespace zks::backend::cuda_ops::detail {

constexpr size_t kSharedChunk = 2048;  // elements per block in the shared-memory levels

// tw[h + j] = w_{2h}^j for every power of two h < n and j < h (the CPU's layout).
const char* make_twiddles(DeviceArray<uint64_t>& tw, size_t n);
// In place on device memory; tw from make_twiddles for at least n.
const char* ntt_dif_device(uint64_t* data, size_t n, size_t batch, const uint64_t* tw);
// Reed-Solomon encoding (pcs::detail::rs_encode): block j of the output is the DIF NTT
// of c_l * s_j^l, s_j = w_{n 2^log_blowup}^rev(j). `out` holds n << log_blowup words.
const char* rs_encode_device(const uint64_t* coeffs, size_t n, unsigned log_blowup, uint64_t* out,
                             const uint64_t* tw);

}  // namespace zks::backend::cuda_ops::detail
