#include <catch2/catch.hpp>
#include <random>

#include "backend/backend.hpp"

using zks::field::Fp;

TEST_CASE("the CPU backend multiplies element-wise", "[backend]") {
  std::mt19937_64 rng(11);
  std::vector<Fp> a(10000), b(10000), out(10000);
  for (size_t i = 0; i < a.size(); ++i) a[i] = Fp(rng()), b[i] = Fp(rng());
  zks::backend::cpu().mul(a, b, out);
  for (size_t i = 0; i < a.size(); ++i) REQUIRE(out[i] == a[i] * b[i]);
}

TEST_CASE("select falls back to the CPU when no GPU is present", "[backend]") {
  auto& b = zks::backend::select(true);
  if (zks::backend::gpus().empty()) REQUIRE(b.kind() == zks::backend::Kind::Cpu);
  else REQUIRE(b.kind() == zks::backend::Kind::Cuda);
  REQUIRE(zks::backend::select(false).kind() == zks::backend::Kind::Cpu);
}

TEST_CASE("CUDA and CPU field multiplication agree", "[backend][gpu]") {
  auto* gpu = zks::backend::cuda();
  if (!gpu) {
    WARN("SKIPPED: no CUDA device (compiled with CUDA: " << zks::backend::cuda_compiled() << ")");
    return;
  }
  std::mt19937_64 rng(12);
  size_t n = (1 << 20) + 3;
  std::vector<Fp> a(n), b(n), cpu_out(n), gpu_out(n);
  for (size_t i = 0; i < n; ++i) a[i] = Fp(rng()), b[i] = Fp(rng());
  a[0] = Fp(Fp::P - 1), b[0] = Fp(Fp::P - 1);
  zks::backend::cpu().mul(a, b, cpu_out);
  gpu->mul(a, b, gpu_out);
  REQUIRE(cpu_out == gpu_out);
}

TEST_CASE("GPU usage comes from NVML when a GPU is present, and is absent otherwise", "[backend]") {
  auto gpus = zks::backend::gpus();
  REQUIRE_FALSE(zks::backend::gpu_usage(-1).has_value());
  if (gpus.empty()) {
    WARN("no GPU visible to this build: usage numbers are not checked");
    return;
  }
  auto u = zks::backend::gpu_usage(gpus[0].index);
  if (!u) {
    WARN("a GPU but no usable NVML: usage is not reported");
    return;
  }
  REQUIRE(u->utilization >= 0);
  REQUIRE(u->utilization <= 1);
  REQUIRE(u->memory_used_bytes <= gpus[0].memory_bytes);
}
