#pragma once
// Shared by the CUDA ops: the error macro, device arrays freed on every path, launch
// sizes, and F_p / F_p^2 values moved as u64 words (Fp is one canonical u64, Fp2 two).

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "field/ext2.hpp"

namespace zks::backend::cuda_ops::detail {

using field::Fp;
using field::Fp2;

// Returns the CUDA error string from the enclosing function (which returns const char*).
#define ZKS_CUDA_TRY(call)                                    \
  do {                                                        \
    cudaError_t err_ = (call);                                \
    if (err_ != cudaSuccess) return cudaGetErrorString(err_); \
  } while (0)

// A launch's own error, then the kernel's (a fault shows at the next synchronisation).
#define ZKS_CUDA_LAUNCHED() ZKS_CUDA_TRY(cudaGetLastError())

template <typename T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t size = 0;
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : ptr(o.ptr), size(o.size) { o.ptr = nullptr; }
  ~DeviceArray() {
    if (ptr) cudaFree(ptr);
  }
  const char* alloc(size_t n) {
    size = n;
    cudaError_t err = cudaMalloc(&ptr, (n ? n : 1) * sizeof(T));
    return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
  }
  const char* upload(const T* host, size_t n) {
    if (const char* e = alloc(n)) return e;
    cudaError_t err = cudaMemcpy(ptr, host, n * sizeof(T), cudaMemcpyHostToDevice);
    return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
  }
  void reset() {
    if (ptr) cudaFree(ptr);
    ptr = nullptr;
    size = 0;
  }
  const char* download(T* host, size_t n) const {
    cudaError_t err = cudaMemcpy(host, ptr, n * sizeof(T), cudaMemcpyDeviceToHost);
    return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
  }
};

constexpr unsigned kThreads = 256;
inline unsigned blocks_for(size_t n, unsigned threads = kThreads) {
  size_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

__host__ __device__ inline Fp fp_at(const uint64_t* a, size_t i) { return Fp::from_canonical(a[i]); }
__host__ __device__ inline Fp2 fp2_at(const uint64_t* a, size_t i) {
  return Fp2(Fp::from_canonical(a[2 * i]), Fp::from_canonical(a[2 * i + 1]));
}
__host__ __device__ inline void fp2_put(uint64_t* a, size_t i, const Fp2& x) {
  a[2 * i] = x.c0().value();
  a[2 * i + 1] = x.c1().value();
}

// Roots of unity of order 2^k, k = 0..32, as pcs::root_of_unity (7 generates F_p^*).
struct Roots {
  uint64_t r[33];
};
inline Roots make_roots() {
  Roots t{};
  Fp g = Fp(7).pow((Fp::P - 1) >> 32);
  for (int k = 32; k >= 0; --k) {
    t.r[k] = g.value();
    g = g.square();
  }
  return t;
}

inline size_t reverse_bits(size_t x, unsigned bits) {
  size_t r = 0;
  for (unsigned i = 0; i < bits; ++i) r |= ((x >> i) & 1) << (bits - 1 - i);
  return r;
}

}  // namespace zks::backend::cuda_ops::detail
