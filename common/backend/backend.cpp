#include "backend/backend.hpp"

#include <mutex>

#include "util/assert.hpp"
#if defined(ZKS_HAVE_CUDA)
#include "backend/cuda/cuda_ops.hpp"
#endif
#include "util/log.hpp"
#include "util/thread_pool.hpp"

namespace zks::backend {

namespace {
class CpuBackend final : public Backend {
 public:
  Kind kind() const override { return Kind::Cpu; }
  std::string name() const override { return "cpu"; }
  void mul(std::span<const field::Fp> a, std::span<const field::Fp> b,
           std::span<field::Fp> out) override {
    ZK_ASSERT(a.size() == b.size() && a.size() == out.size());
    util::ThreadPool::global().parallel_for(a.size(), [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) out[i] = a[i] * b[i];
    });
  }
};
}  // namespace

Backend& cpu() {
  static CpuBackend b;
  return b;
}

#if defined(ZKS_HAVE_CUDA)
namespace {
class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(GpuInfo info) : m_info(std::move(info)) {}
  Kind kind() const override { return Kind::Cuda; }
  std::string name() const override {
    return "cuda:" + std::to_string(m_info.index) + " (" + m_info.name + ")";
  }
  void mul(std::span<const field::Fp> a, std::span<const field::Fp> b,
           std::span<field::Fp> out) override {
    ZK_ASSERT(a.size() == b.size() && a.size() == out.size());
    // Fp is a single canonical u64 (standard layout), so spans reinterpret as u64.
    static_assert(sizeof(field::Fp) == sizeof(uint64_t));
    const char* err = cuda_ops::mul(m_info.index, reinterpret_cast<const uint64_t*>(a.data()),
                                    reinterpret_cast<const uint64_t*>(b.data()),
                                    reinterpret_cast<uint64_t*>(out.data()), a.size());
    ZK_ASSERT_MSG(err == nullptr, err);
  }

 private:
  GpuInfo m_info;
};
}  // namespace

bool cuda_compiled() { return true; }

std::vector<GpuInfo> gpus() {
  static std::once_flag once;
  static std::vector<GpuInfo> found;
  std::call_once(once, [] {
    const char* why = nullptr;
    int count = cuda_ops::device_count(&why);
    if (count == 0) ZKS_LOG_DEBUG("backend", "no GPU: {}", why ? why : "unknown");
    for (int i = 0; i < count; ++i) {
      cuda_ops::DeviceProps p{};
      if (cuda_ops::device_props(i, &p))
        found.push_back({i, p.name, p.memory_bytes, p.sm_major, p.sm_minor});
    }
  });
  return found;
}

Backend* cuda() {
  static std::once_flag once;
  static std::unique_ptr<CudaBackend> backend;
  std::call_once(once, [] {
    auto g = gpus();
    if (!g.empty()) backend = std::make_unique<CudaBackend>(g.front());
  });
  return backend.get();
}
#else
std::vector<GpuInfo> gpus() { return {}; }
bool cuda_compiled() { return false; }
Backend* cuda() { return nullptr; }
#endif

Backend& select(bool prefer_gpu) {
  static std::once_flag logged;
  Backend* chosen = &cpu();
  std::string why;
  if (!prefer_gpu) {
    why = "GPU not requested";
  } else if (!cuda_compiled()) {
    why = "built without CUDA";
  } else if (Backend* g = cuda()) {
    chosen = g;
  } else {
    why = "no CUDA device or driver";
  }
  std::call_once(logged, [&] {
    if (chosen->kind() == Kind::Cuda)
      ZKS_LOG_INFO("backend", "using {}", chosen->name());
    else
      ZKS_LOG_INFO("backend", "using CPU backend ({})", why);
  });
  return *chosen;
}

}  // namespace zks::backend
