#pragma once
// The compute backend (DESIGN.md section 3, "Backends"; STYLE.md: ggml's small op
// table). The CPU backend is always built and is the reference; the CUDA backend is
// compiled when nvcc is found and selected at run time when a GPU is present.
// Ops are added here as the prover moves onto the GPU (issue 10); every op has a
// CPU-vs-CUDA parity test.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "field/goldilocks.hpp"

namespace zks::backend {

enum class Kind { Cpu, Cuda };

struct GpuInfo {
  int index = 0;
  std::string name;
  size_t memory_bytes = 0;
  int sm_major = 0, sm_minor = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Kind kind() const = 0;
  virtual std::string name() const = 0;
  // out[i] = a[i] * b[i]; the first op, a smoke test that device field code matches.
  virtual void mul(std::span<const field::Fp> a, std::span<const field::Fp> b,
                   std::span<field::Fp> out) = 0;
};

// The CPU backend (always available).
Backend& cpu();
// GPUs visible to this process; empty when CUDA was not compiled in or no driver/GPU.
std::vector<GpuInfo> gpus();
// Live utilisation (0..1) and memory in use of GPU `index`, read through NVML loaded at
// run time (libnvidia-ml.so.1, shipped with the driver; never linked, so the binary
// starts where there is none). nullopt without a driver or on any NVML error.
struct GpuUsage {
  double utilization = 0;
  size_t memory_used_bytes = 0;
};
std::optional<GpuUsage> gpu_usage(int index);
// Whether this binary was built with the CUDA backend.
bool cuda_compiled();
// The CUDA backend on GPU 0, or nullptr when none is available.
Backend* cuda();
// The backend to use: CUDA when a GPU is present and prefer_gpu, else CPU. Logs the
// choice (and the reason for a CPU fallback) once per process.
Backend& select(bool prefer_gpu = true);

}  // namespace zks::backend
