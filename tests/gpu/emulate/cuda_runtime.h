#pragma once
// A host emulation of the part of the CUDA runtime that common/backend/cuda uses, so
// that the backend tests run without a GPU (tests/gpu/emulate.sh; the runtime is
// emu_rt.cpp). The .cu files are compiled as host C++ after their launches
// (k<<<grid, block, shared, stream>>>(args)) become emu_launch(k, emu_cfg(...), args)
// and `extern __shared__ T s[];` becomes `T* s = emu_shared<T>();`.
//
// Checks: a block's threads run as fibers, one until __syncthreads or its end, then the
// next (EMU_THREADS=1: real threads and a real barrier); device memory and shared memory
// start as junk; copies and memsets must lie inside one live allocation; launches of more
// than 1024 threads a block or 48 KiB of shared memory fail as on the GPU.
// Cannot check: races between streams (every launch and copy runs to completion when
// issued) or within one barrier phase; device-only code (__CUDA_ARCH__ branches, such
// as the one in common/field/goldilocks.hpp); performance.

#include <cstddef>
#include <cstdint>
#include <functional>

#define __host__
#define __device__
#define __global__
#define __constant__
#define __forceinline__ inline

enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
};
typedef enum cudaError cudaError_t;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost,
  cudaMemcpyHostToDevice,
  cudaMemcpyDeviceToHost,
  cudaMemcpyDeviceToDevice,
  cudaMemcpyDefault
};
enum { cudaStreamDefault = 0, cudaStreamNonBlocking = 1, cudaEventDefault = 0, cudaEventDisableTiming = 2 };

struct EmuStream;
struct EmuEvent;
typedef EmuStream* cudaStream_t;
typedef EmuEvent* cudaEvent_t;

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor, multiProcessorCount, maxThreadsPerBlock;
  size_t sharedMemPerBlock;
};

// Set on every thread that runs a block.
extern thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
extern thread_local void* emu_shared_ptr;

void __syncthreads();
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }

const char* cudaGetErrorString(cudaError_t e);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device);
cudaError_t cudaSetDevice(int device);
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

// Device memory.
void* emu_alloc(size_t bytes);
template <typename T>
cudaError_t cudaMalloc(T** p, size_t bytes) {
  *p = static_cast<T*>(emu_alloc(bytes));
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind kind);
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind kind, cudaStream_t = nullptr) {
  return cudaMemcpy(dst, src, n, kind);
}
cudaError_t cudaMemset(void* p, int value, size_t n);

// Streams and events (work is done when issued, so synchronising only checks handles;
// an event records the host time, which times the emulation, not a GPU).
cudaError_t cudaStreamCreate(cudaStream_t* s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned flags = 0);
cudaError_t cudaEventCreate(cudaEvent_t* e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop);

// Launches: the block's dynamic shared memory, and a kernel run over the whole grid
// before emu_launch returns (a bad configuration sets the last error instead).
template <typename T>
T* emu_shared() {
  return static_cast<T*>(emu_shared_ptr);
}
struct EmuCfg {
  unsigned long long grid, block, shared;
};
inline EmuCfg emu_cfg(unsigned long long grid, unsigned long long block, unsigned long long shared = 0,
                      cudaStream_t = nullptr) {
  return {grid, block, shared};
}
void emu_run(const EmuCfg& cfg, const char* name, const std::function<void()>& body);
template <typename F, typename... A>
void emu_launch_named(const char* name, F kernel, const EmuCfg& cfg, A... args) {
  emu_run(cfg, name, [&] { kernel(args...); });
}
#define emu_launch(kernel, ...) emu_launch_named(#kernel, kernel, __VA_ARGS__)
