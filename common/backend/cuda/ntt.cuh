#pragma once
// The NTT on the device: radix-2 decimation in frequency, natural order in,
// bit-reversed order out (pcs::ntt_dif), on `batch` contiguous vectors of n elements.
// The levels with half-size h >= kSharedChunk run up to kStridedLevels at a time on
// strided tiles in shared memory, the last log2(kSharedChunk) levels chunk by chunk in
// shared memory: a 2^21-point NTT makes two trips through memory, a 2^26-point three.

#include "backend/cuda/cuda_common.cuh"

namespace zks::backend::cuda_ops::detail {

constexpr size_t kSharedChunk = 2048;  // elements per block in the shared-memory levels
// The levels above the chunk run kStridedLevels at a time on tiles of 2^kStridedLevels
// rows of kCols adjacent columns (32 KiB of shared memory).
constexpr unsigned kStridedLevels = 10;
constexpr size_t kCols = 4;

// tw[h + j] = w_{2h}^j for every power of two h < n and j < h (the CPU's layout).
const char* make_twiddles(DeviceArray<uint64_t>& tw, size_t n);
// The process's twiddle table for `device`, of at least n entries: built once, grown
// when a larger NTT comes (its entries do not depend on the table's size).
const char* shared_twiddles(int device, size_t n, const uint64_t** out);
// In place on device memory; tw from make_twiddles for at least n.
const char* ntt_dif_device(uint64_t* data, size_t n, size_t batch, const uint64_t* tw);
// Reed-Solomon encoding (pcs::detail::rs_encode): block j of the output is the DIF NTT
// of c_l * s_j^l, s_j = w_{n 2^log_blowup}^rev(j). `out` holds n << log_blowup words.
const char* rs_encode_device(const uint64_t* coeffs, size_t n, unsigned log_blowup, uint64_t* out,
                             const uint64_t* tw);

// pcs::detail::evals_to_coeffs on n = 2^k words in place, from level first_level up
// (pairs 2^l apart for l >= first_level), kMobiusLevels levels a trip.
constexpr unsigned kMobiusLevels = 4;
const char* mobius_device(uint64_t* data, size_t n, unsigned first_level);

}  // namespace zks::backend::cuda_ops::detail
