// GPU benchmarks (issue 10): each backend op's device-resident time against the card's
// measured copy bandwidth, and the same op on this machine's CPU. Prints markdown tables
// for docs/benchmarks.md; exits 0 with a message where there is no GPU.
//   build/tests/bench/bench_gpu [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "hash/merkle.hpp"
#include "pcs/basefold.hpp"
#include "pcs/encoding.hpp"
#include "pcs/ntt.hpp"
#include "poly/mle.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/memory.hpp"
#include "util/thread_pool.hpp"

using zks::field::Fp;
using zks::field::Fp2;
namespace be = zks::backend;

namespace {

template <typename F>
double cpu_ms(F&& f, int reps = 3) {
  std::vector<double> t;
  f();  // warm-up
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<Fp> random_fp(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp(rng());
  return v;
}

// A whole sumcheck as the prover runs one: d base-field factors of 2^lg entries with an
// eq factor, proved on the GPU (a session: upload, every round, read-back) or the CPU.
struct SumcheckCase {
  std::vector<std::vector<Fp>> tables;
  zks::sumcheck::Instance inst;
  zks::field::Fp2 claim;
  SumcheckCase(unsigned lg, unsigned d) {
    std::mt19937_64 rng(lg * 16 + d);
    for (unsigned j = 0; j < d; ++j) tables.push_back(random_fp(size_t(1) << lg, rng()));
    for (const auto& t : tables) inst.factors.emplace_back(std::span<const Fp>(t));
    for (unsigned i = 0; i < lg; ++i) inst.eq_point.push_back(Fp2(Fp(rng()), Fp(rng())));
    claim = Fp2(Fp(1), Fp(2));  // any claim: the prover's work does not depend on it
  }
  double ms(zks::sumcheck::Placement where, int reps) {
    return cpu_ms([&] {
      zks::transcript::Transcript t("bench");
      (void)zks::sumcheck::prove(inst, claim, t, where);
    }, reps);
  }
};

}  // namespace

int main(int argc, char** argv) {
  zks::util::tune_allocator_for_proving(true);
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  be::Gpu* g = be::gpu();
  if (!g) {
    std::printf("no CUDA device (compiled with CUDA: %d): nothing to measure\n", int(be::cuda_compiled()));
    return 0;
  }
  const auto info = be::gpus().front();
  std::printf("device: %s, %.1f GiB, sm_%d%d; CPU: %zu threads\n\n", info.name.c_str(),
              double(info.memory_bytes) / (1u << 30), info.sm_major, info.sm_minor, zks::util::ThreadPool::global().size());
  const int reps = quick ? 5 : 20;
  auto copy = g->time("copy", 26, 0, reps);
  if (!copy.ok()) {
    std::printf("copy failed: %s\n", copy.error().c_str());
    return 1;
  }
  const double bw = copy->bytes / (copy->ms * 1e-3) / 1e9;  // GB/s, bytes read + written
  std::printf("device-to-device copy of 2^26 words: %.3f ms, %.0f GB/s (read + write)\n\n", copy->ms, bw);

  std::printf("| op | size | GPU | GPU GB/s (least traffic) | bound / GPU time | CPU (%zu threads) | CPU / GPU |\n",
              zks::util::ThreadPool::global().size());
  std::printf("|---|---|---|---|---|---|---|\n");
  auto row = [&](const char* op, unsigned log_n, unsigned arg, const std::string& label, double cpu) {
    auto t = g->time(op, log_n, arg, reps);
    if (!t.ok()) {
      std::printf("| %s | %s | failed: %s | | | | |\n", op, label.c_str(), t.error().c_str());
      return;
    }
    const double gbs = t->bytes / (t->ms * 1e-3) / 1e9, bound_ms = t->bytes / (bw * 1e9) * 1e3;
    std::printf("| %s | %s | %.3f ms | %.0f | %.2f | %s | %s |\n", op, label.c_str(), t->ms, gbs, bound_ms / t->ms,
                cpu > 0 ? (std::to_string(cpu).substr(0, 7) + " ms").c_str() : "-",
                cpu > 0 ? (std::to_string(cpu / t->ms).substr(0, 6) + "x").c_str() : "-");
    std::fflush(stdout);
  };
  const unsigned top = quick ? 22 : 26;
  for (unsigned lg = 20; lg <= top; lg += 2) {
    double cpu = 0;
    if (lg <= 24) {
      auto a = random_fp(size_t(1) << lg, lg);
      cpu = cpu_ms([&] { zks::pcs::ntt_dif(a); });
    }
    row("ntt", lg, 1, "2^" + std::to_string(lg), cpu);
  }
  for (unsigned lg = 20; lg <= std::min(top, 24u); lg += 2) {
    auto c = random_fp(size_t(1) << lg, lg + 1);
    double cpu = cpu_ms([&] { (void)zks::pcs::detail::rs_encode(c, 2); });
    row("rs_encode", lg, 2, "2^" + std::to_string(lg) + " x4", cpu);
  }
  // A Basefold commitment as the prover makes one (pcs::commit: basis change, encoding,
  // tree); the GPU row is its device-resident encoding and tree.
  for (unsigned lg = 18; lg <= (quick ? 20u : 22u); lg += 2) {
    auto v = random_fp(size_t(1) << lg, lg + 3);
    be::set_gpu_enabled(false);
    double cpu = cpu_ms([&] { (void)zks::pcs::commit(v, zks::pcs::Params::standard()); });
    be::set_gpu_enabled(true);
    row("commit", lg, 0, "2^" + std::to_string(lg) + " (pcs::commit on the CPU)", cpu);
  }
  for (unsigned lg = 16; lg <= (quick ? 20u : 22u); lg += 2) {
    auto d = random_fp((size_t(1) << lg) * 16, lg + 2);
    double cpu = cpu_ms([&] { (void)zks::hash::MerkleTree::from_rows(std::span<const Fp>(d), 16); });
    row("merkle", lg, 16, "2^" + std::to_string(lg) + " leaves of 128 B", cpu);
  }
  for (unsigned lg = 20; lg <= top; lg += 2) {
    double cpu = 0;
    if (lg <= 24) {
      std::vector<Fp2> f(size_t(1) << lg);
      std::mt19937_64 rng(lg);
      for (auto& x : f) x = Fp2(Fp(rng()), Fp(rng()));
      cpu = cpu_ms([&] { (void)zks::poly::fold(std::span<const Fp2>(f), Fp2(Fp(3), Fp(5))); });
    }
    row("fold", lg, 0, "2^" + std::to_string(lg) + " Fp2", cpu);
  }
  for (unsigned lg = 20; lg <= top; lg += 2)
    for (unsigned d : {2u, 3u}) row("sumcheck", lg, d, "2^" + std::to_string(lg) + ", " + std::to_string(d) + " factors + eq (one round)", 0);
  // Whole sumchecks in a device session: every round with its fold fused in and its
  // values read back; the CPU column is sumcheck::prove on this machine's CPU.
  for (unsigned lg = 20; lg <= top; lg += 2)
    for (unsigned d : {2u, 3u}) {
      double cpu = 0;
      if (lg <= 24) cpu = SumcheckCase(lg, d).ms(zks::sumcheck::Placement::Cpu, 1);
      row("sumcheck_full", lg, d, "2^" + std::to_string(lg) + ", " + std::to_string(d) + " base factors + eq (all rounds)", cpu);
    }
  // Where the GPU starts to pay: sumcheck::prove end to end (the upload included) on the
  // GPU and on the CPU, by size; sumcheck::kGpuMinVars (ZKS_GPU_SUMCHECK_MIN_VARS) should sit at
  // the first size where the GPU wins.
  std::printf("\n| sumcheck::prove, 3 base factors + eq | GPU session (upload included) | CPU (%zu threads) | CPU / GPU |\n",
              zks::util::ThreadPool::global().size());
  std::printf("|---|---|---|---|\n");
  for (unsigned lg = 8; lg <= 20; lg += 2) {
    SumcheckCase c(lg, 3);
    const size_t failures = be::Gpu::failures();
    const double gpu = c.ms(zks::sumcheck::Placement::Gpu, reps), cpu = c.ms(zks::sumcheck::Placement::Cpu, reps);
    std::printf("| 2^%u | %.3f ms%s | %.3f ms | %.2fx |\n", lg, gpu,
                be::Gpu::failures() == failures ? "" : " (GPU failed, CPU replay)", cpu, cpu / gpu);
    std::fflush(stdout);
  }
  // A commitment and its opening at one point end to end, as a proof makes them: on
  // the GPU the table goes up once, its codeword and tree stay there, the opening's
  // sumcheck runs in a device session (from 2^16), its folded layers are committed there
  // too (from 2^14) and only the opened rows and paths come back.
  std::printf("\n| pcs::commit, then pcs::open at one point | GPU: commit | GPU: open | CPU (%zu threads): commit "
              "| CPU: open | CPU / GPU (both) |\n",
              zks::util::ThreadPool::global().size());
  std::printf("|---|---|---|---|---|---|\n");
  for (unsigned lg = 16; lg <= (quick ? 20u : 22u); lg += 2) {
    const auto params = zks::pcs::Params::standard();
    auto v = random_fp(size_t(1) << lg, lg + 5);
    std::vector<Fp2> z(lg);
    for (unsigned i = 0; i < lg; ++i) z[i] = Fp2(Fp(7 * i + 1), Fp(i));
    const zks::pcs::Claim claim{0, z, zks::poly::evaluate(std::span<const Fp>(v), z)};
    auto time_both = [&](bool gpu) {
      be::set_gpu_enabled(gpu);
      auto committed = zks::pcs::commit(v, params);
      const double commit_ms = cpu_ms([&] { (void)zks::pcs::commit(v, params); }, reps);
      const double open_ms = cpu_ms([&] {
        zks::transcript::Transcript t("bench_gpu");
        (void)zks::pcs::open(*committed, std::span<const zks::pcs::Claim>(&claim, 1), t, params);
      }, reps);
      be::set_gpu_enabled(true);
      return std::make_pair(commit_ms, open_ms);
    };
    const size_t failures = be::Gpu::failures();
    const auto gpu = time_both(true), cpu = time_both(false);
    std::printf("| 2^%u | %.3f ms | %.3f ms%s | %.3f ms | %.3f ms | %.2fx |\n", lg, gpu.first, gpu.second,
                be::Gpu::failures() == failures ? "" : " (a GPU call failed, CPU fallback)", cpu.first, cpu.second,
                (cpu.first + cpu.second) / (gpu.first + gpu.second));
    std::fflush(stdout);
  }
  std::printf("\nbound / GPU time: the copy-bandwidth time for the op's least traffic over its time (1.0 = at the "
              "bound; the issue's target is 0.5 or more).\n");
  return 0;
}
