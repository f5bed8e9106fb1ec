// One sumcheck round's sums on the device, as sumcheck::Prover's generic kernel for a
// product of factors: l(t) = sum_i w_i prod_j f_j(t, pair i) for t = 0..L, with
// f_j(t, i) = f_j[2i] + t (f_j[2i+1] - f_j[2i]). Each block reduces its threads' sums in
// shared memory; the host adds the blocks' sums (exact field additions: any order gives
// the CPU's result).
#include <vector>

#include "backend/cuda/cuda_ops.hpp"
#include "backend/cuda/sumcheck.cuh"

namespace zks::backend::cuda_ops {

namespace detail {

namespace {

constexpr unsigned kMaxFactors = 8, kMaxL = 8;

struct Tables {
  const uint64_t* t[kMaxFactors];
};

__global__ void product_round_kernel(Tables tabs, unsigned d, size_t half, const uint64_t* w, unsigned L,
                                     bool skip_one, uint64_t* partials) {
  extern __shared__ uint64_t sh[];  // blockDim.x * (L + 1) F_p^2 values
  Fp2 acc[kMaxL + 1];
  for (unsigned t = 0; t <= L; ++t) acc[t] = Fp2::zero();
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < half; i += stride) {
    Fp2 val[kMaxFactors], diff[kMaxFactors];
    for (unsigned j = 0; j < d; ++j) {
      val[j] = fp2_at(tabs.t[j], 2 * i);
      diff[j] = fp2_at(tabs.t[j], 2 * i + 1) - val[j];
    }
    const Fp2 wi = w ? fp2_at(w, i) : Fp2::one();
    for (unsigned t = 0; t <= L; ++t) {
      if (t > 0)
        for (unsigned j = 0; j < d; ++j) val[j] += diff[j];
      if (t == 1 && skip_one) continue;
      Fp2 prod = val[0];
      for (unsigned j = 1; j < d; ++j) prod *= val[j];
      acc[t] += wi * prod;
    }
  }
  const unsigned stride_t = L + 1;
  for (unsigned t = 0; t <= L; ++t) fp2_put(sh, threadIdx.x * stride_t + t, acc[t]);
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      for (unsigned t = 0; t <= L; ++t)
        fp2_put(sh, threadIdx.x * stride_t + t,
                fp2_at(sh, threadIdx.x * stride_t + t) + fp2_at(sh, (threadIdx.x + s) * stride_t + t));
    __syncthreads();
  }
  if (threadIdx.x == 0)
    for (unsigned t = 0; t <= L; ++t) fp2_put(partials, blockIdx.x * stride_t + t, fp2_at(sh, t));
}

}  // namespace

const char* product_round_device(const uint64_t* const* tables, unsigned d, size_t n, const uint64_t* weights,
                                 unsigned L, bool skip_one, uint64_t* partials, unsigned grid) {
  if (d == 0 || d > kMaxFactors || L > kMaxL) return "product_round: 1 to 8 factors, L at most 8";
  Tables tabs{};
  for (unsigned j = 0; j < d; ++j) tabs.t[j] = tables[j];
  const size_t shared = size_t(kThreads) * (L + 1) * 2 * sizeof(uint64_t);
  product_round_kernel<<<grid, kThreads, shared>>>(tabs, d, n / 2, weights, L, skip_one, partials);
  ZKS_CUDA_LAUNCHED();
  return nullptr;
}

unsigned product_round_grid(size_t n) {
  unsigned g = blocks_for(n / 2);
  return g > 1024 ? 1024 : g;
}

}  // namespace detail

using namespace detail;

const char* product_round(int device, const uint64_t* const* tables, unsigned d, size_t n, const uint64_t* weights,
                          unsigned L, bool skip_one, uint64_t* out) {
  if (d == 0 || d > kMaxFactors || L > kMaxL || n < 2 || (n & (n - 1)) != 0)
    return "product_round: at most 8 factors of 2^k entries (k >= 1), L <= 8";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  std::vector<DeviceArray<uint64_t>> dev(d);
  std::vector<const uint64_t*> ptrs(d);
  for (unsigned j = 0; j < d; ++j) {
    if (const char* e = dev[j].upload(tables[j], 2 * n)) return e;
    ptrs[j] = dev[j].ptr;
  }
  DeviceArray<uint64_t> dw, partials;
  if (weights)
    if (const char* e = dw.upload(weights, n)) return e;  // n/2 F_p^2 weights
  const unsigned grid = product_round_grid(n);
  if (const char* e = partials.alloc(size_t(grid) * (L + 1) * 2)) return e;
  if (const char* e = product_round_device(ptrs.data(), d, n, weights ? dw.ptr : nullptr, L, skip_one, partials.ptr, grid))
    return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  std::vector<uint64_t> host(size_t(grid) * (L + 1) * 2);
  if (const char* e = partials.download(host.data(), host.size())) return e;
  for (unsigned t = 0; t <= L; ++t) {
    Fp2 sum = Fp2::zero();
    for (unsigned b = 0; b < grid; ++b) sum += fp2_at(host.data(), size_t(b) * (L + 1) + t);
    fp2_put(out, t, sum);
  }
  return nullptr;
}

}  // namespace zks::backend::cuda_ops
