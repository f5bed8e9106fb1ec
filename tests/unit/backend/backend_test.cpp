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
