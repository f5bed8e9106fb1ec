#pragma once
// The raw CUDA entry points, over plain pointers so this header compiles as C++17
// under nvcc (CMake 3.25 cannot ask nvcc for C++20). backend.cpp checks arguments
// once and dispatches here; kernels trust their arguments.

#include <cstddef>
#include <cstdint>

namespace zks::backend::cuda_ops {

struct DeviceProps {
  char name[256];
  size_t memory_bytes;
  int sm_major, sm_minor;
};

// Number of visible devices; 0 (never an error) when there is no driver or GPU.
// `why` receives the CUDA error string in that case (may be null).
int device_count(const char** why);
bool device_props(int device, DeviceProps* out);

// out[i] = a[i] * b[i] over canonical Goldilocks values. Returns an error string or null.
const char* mul(int device, const uint64_t* a, const uint64_t* b, uint64_t* out, size_t n);

}  // namespace zks::backend::cuda_ops
