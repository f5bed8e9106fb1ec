// CUDA kernels of the backend. Every CUDA call is checked and its error returned to
// the caller as a string; nothing here aborts the process.

#include <cstring>

#include "backend/cuda/cuda_common.cuh"
#include "backend/cuda/cuda_ops.hpp"

namespace zks::backend::cuda_ops {

using namespace detail;

namespace {

__global__ void mul_kernel(const uint64_t* a, const uint64_t* b, uint64_t* out, size_t n) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = (fp_at(a, i) * fp_at(b, i)).value();
}

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
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> da, db, dout;
  if (const char* e = da.upload(a, n)) return e;
  if (const char* e = db.upload(b, n)) return e;
  if (const char* e = dout.alloc(n)) return e;
  mul_kernel<<<blocks_for(n), kThreads>>>(da.ptr, db.ptr, dout.ptr, n);
  ZKS_CUDA_LAUNCHED();
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  return dout.download(out, n);
}

}  // namespace zks::backend::cuda_ops
