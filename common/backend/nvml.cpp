// GPU utilisation through NVML, loaded with dlopen (see backend.hpp, gpu_usage).
#include <dlfcn.h>

#include <mutex>

#include "backend/backend.hpp"
#include "util/log.hpp"

namespace zks::backend {

namespace {

// The few NVML declarations used (nvml.h, stable C ABI): 0 is NVML_SUCCESS.
struct NvmlDevice;
struct NvmlUtilization {
  unsigned int gpu, memory;
};
struct NvmlMemory {
  unsigned long long total, free, used;
};
using InitFn = int (*)();
using HandleFn = int (*)(unsigned int, NvmlDevice**);
using UtilFn = int (*)(NvmlDevice*, NvmlUtilization*);
using MemFn = int (*)(NvmlDevice*, NvmlMemory*);

struct Nvml {
  HandleFn handle = nullptr;
  UtilFn util = nullptr;
  MemFn mem = nullptr;
  bool ok = false;
};

const Nvml& nvml() {
  static Nvml n;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      ZKS_LOG_DEBUG("backend", "NVML not available: {}", dlerror());
      return;
    }
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "nvmlInit_v2"));
    n.handle = reinterpret_cast<HandleFn>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    n.util = reinterpret_cast<UtilFn>(dlsym(lib, "nvmlDeviceGetUtilizationRates"));
    n.mem = reinterpret_cast<MemFn>(dlsym(lib, "nvmlDeviceGetMemoryInfo"));
    n.ok = init && n.handle && n.util && n.mem && init() == 0;
    if (!n.ok) ZKS_LOG_WARN("backend", "NVML found but not usable: GPU utilisation will not be reported");
  });
  return n;
}

}  // namespace

std::optional<GpuUsage> gpu_usage(int index) {
  const Nvml& n = nvml();
  if (!n.ok || index < 0) return std::nullopt;
  NvmlDevice* dev = nullptr;
  NvmlUtilization u{};
  NvmlMemory m{};
  if (n.handle(static_cast<unsigned int>(index), &dev) != 0 || n.util(dev, &u) != 0 || n.mem(dev, &m) != 0)
    return std::nullopt;
  return GpuUsage{u.gpu / 100.0, static_cast<size_t>(m.used)};
}

}  // namespace zks::backend
