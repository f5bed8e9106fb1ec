// CUDA kernels of the backend. Every CUDA call is checked and its error returned to
// the caller as a string; nothing here aborts the process.

#include <cuda_runtime.h>

#include <cstring>

#include "backend/cuda/cuda_ops.hpp"
#include "field/goldilocks.hpp"

namespace zks::backend::cuda_ops {

namespace {

#define ZKS_CUDA_TRY(call)                              \
  do {                                                  \
    cudaError_t err_ = (call);                          \
    if (err_ != cudaSuccess) return cudaGetErrorString(err_); \
  } while (0)

__global__ void mul_kernel(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t n) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < n) {
    field::Fp x = field::Fp::from_canonical(a[i]), y = field::Fp::from_canonical(b[i]);
    out[i] = (x * y).value();
  }
}

// Device buffers freed on every path.
struct DeviceBuffer {
  uint64_t* ptr = nullptr;
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
};

}  // namespace

int device_count(const char** why) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why) *why = cudaGetErrorString(err);
    cudaGetLastError();  // clear the error so later calls start clean
    return 0;
  }
  if (count == 0 && why) *why = "no CUDA device";
  return count;
}

bool device_props(int device, DeviceProps* out) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) return false;
  std::strncpy(out->name, prop.name, sizeof out->name - 1);
  out->name[sizeof out->name - 1] = 0;
  out->memory_bytes = prop.totalGlobalMem;
  out->sm_major = prop.major;
  out->sm_minor = prop.minor;
  return true;
}

const char* mul(int device, const uint64_t* a, const uint64_t* b, uint64_t* out, size_t n) {
  if (n == 0) return nullptr;
  size_t bytes = n * sizeof(uint64_t);
  DeviceBuffer da, db, dout;
  ZKS_CUDA_TRY(cudaSetDevice(device));
  ZKS_CUDA_TRY(cudaMalloc(&da.ptr, bytes));
  ZKS_CUDA_TRY(cudaMalloc(&db.ptr, bytes));
  ZKS_CUDA_TRY(cudaMalloc(&dout.ptr, bytes));
  ZKS_CUDA_TRY(cudaMemcpy(da.ptr, a, bytes, cudaMemcpyHostToDevice));
  ZKS_CUDA_TRY(cudaMemcpy(db.ptr, b, bytes, cudaMemcpyHostToDevice));
  unsigned threads = 256;
  unsigned blocks = static_cast<unsigned>((n + threads - 1) / threads);
  mul_kernel<<<blocks, threads>>>(da.ptr, db.ptr, dout.ptr, n);
  ZKS_CUDA_TRY(cudaGetLastError());
  ZKS_CUDA_TRY(cudaMemcpy(out, dout.ptr, bytes, cudaMemcpyDeviceToHost));
  return nullptr;
}

}  // namespace zks::backend::cuda_ops
