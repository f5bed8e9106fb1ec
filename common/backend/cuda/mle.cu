// Folds, MLE evaluation and fraction-tree layers on the device (mle.cuh). Field arithmetic
// is exact, so these equal the CPU's results whatever the order of operations.
#include <vector>

#include "backend/cuda/cuda_ops.hpp"
#include "backend/cuda/mle.cuh"

namespace zks::backend::cuda_ops {

namespace detail {

namespace {

__global__ void fold_kernel(const uint64_t* f, bool base, size_t half, Fp2 r, uint64_t* out) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= half) return;
  Fp2 a = base ? Fp2(fp_at(f, 2 * i)) : fp2_at(f, 2 * i);
  Fp2 b = base ? Fp2(fp_at(f, 2 * i + 1)) : fp2_at(f, 2 * i + 1);
  fp2_put(out, i, a + r * (b - a));
}

__global__ void fraction_layer_kernel(const uint64_t* p, const uint64_t* q, size_t half, uint64_t* p_out,
                                      uint64_t* q_out) {
  size_t x = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (x >= half) return;
  Fp2 p0 = fp2_at(p, 2 * x), p1 = fp2_at(p, 2 * x + 1), q0 = fp2_at(q, 2 * x), q1 = fp2_at(q, 2 * x + 1);
  fp2_put(p_out, x, p0 * q1 + p1 * q0);
  fp2_put(q_out, x, q0 * q1);
}

}  // namespace

const char* fold_device(const uint64_t* f, bool base, size_t n, Fp2 r, uint64_t* out) {
  fold_kernel<<<blocks_for(n / 2), kThreads>>>(f, base, n / 2, r, out);
  ZKS_CUDA_LAUNCHED();
  return nullptr;
}

const char* fraction_layer_device(const uint64_t* p, const uint64_t* q, size_t n, uint64_t* p_out, uint64_t* q_out) {
  fraction_layer_kernel<<<blocks_for(n / 2), kThreads>>>(p, q, n / 2, p_out, q_out);
  ZKS_CUDA_LAUNCHED();
  return nullptr;
}

}  // namespace detail

using namespace detail;

const char* fold(int device, const uint64_t* f, bool base, size_t n, const uint64_t r[2], uint64_t* out) {
  if (n < 2 || (n & (n - 1)) != 0) return "fold: size must be 2^k, k >= 1";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> d_f, d_out;
  if (const char* e = d_f.upload(f, base ? n : 2 * n)) return e;
  if (const char* e = d_out.alloc(n)) return e;  // n/2 values of two words
  if (const char* e = fold_device(d_f.ptr, base, n, fp2_at(r, 0), d_out.ptr)) return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  return d_out.download(out, n);
}

const char* mle_evaluate(int device, const uint64_t* f, size_t n, const uint64_t* point, size_t k, uint64_t out[2]) {
  if (n != (size_t(1) << k)) return "mle_evaluate: the table must have 2^k entries";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  if (k == 0) {
    out[0] = f[0], out[1] = 0;
    return nullptr;
  }
  DeviceArray<uint64_t> d_f, a, b;
  if (const char* e = d_f.upload(f, n)) return e;
  if (const char* e = a.alloc(n)) return e;  // n/2 F_p^2 values
  if (const char* e = b.alloc(n / 2 > 1 ? n / 2 : 1)) return e;
  // Variable 0 (the least significant index bit) first, as poly::evaluate.
  if (const char* e = fold_device(d_f.ptr, true, n, fp2_at(point, 0), a.ptr)) return e;
  uint64_t *cur = a.ptr, *next = b.ptr;
  for (size_t i = 1; i < k; ++i) {
    if (const char* e = fold_device(cur, false, n >> i, fp2_at(point, i), next)) return e;
    uint64_t* t = cur;
    cur = next, next = t;
  }
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  ZKS_CUDA_TRY(cudaMemcpy(out, cur, 2 * sizeof(uint64_t), cudaMemcpyDeviceToHost));
  return nullptr;
}

const char* fraction_layer(int device, const uint64_t* p, const uint64_t* q, size_t n, uint64_t* p_out,
                           uint64_t* q_out) {
  if (n < 2 || (n & (n - 1)) != 0) return "fraction_layer: size must be 2^k, k >= 1";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> dp, dq, dpo, dqo;
  if (const char* e = dp.upload(p, 2 * n)) return e;
  if (const char* e = dq.upload(q, 2 * n)) return e;
  if (const char* e = dpo.alloc(n)) return e;
  if (const char* e = dqo.alloc(n)) return e;
  if (const char* e = fraction_layer_device(dp.ptr, dq.ptr, n, dpo.ptr, dqo.ptr)) return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  if (const char* e = dpo.download(p_out, n)) return e;
  return dqo.download(q_out, n);
}

}  // namespace zks::backend::cuda_ops
