// Basefold benchmarks: commit, open and verify time and proof size at 2^16, 2^20 and
// 2^22 base-field elements with the standard (>= 100-bit) parameters, the NTT, the
// proof size for each folding arity (which chose the default), and three stacks
// committed jointly or one by one.
//
//   build-pcs/tests/bench/bench_pcs --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "pcs/basefold.hpp"
#include "pcs/hiding.hpp"
#include "pcs/ntt.hpp"

namespace {

using zks::field::Fp;
using zks::field::Fp2;
namespace pcs = zks::pcs;

std::vector<Fp> random_table(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp(rng());
  return v;
}

std::vector<Fp2> random_point(unsigned k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Fp2> r(k);
  for (auto& x : r) x = Fp2(Fp(rng()), Fp(rng()));
  return r;
}

zks::transcript::Transcript transcript() {
  zks::transcript::Transcript t("bench-pcs");
  t.absorb_u64("statement", 1);
  return t;
}

// One committed polynomial, claim and proof per (size, params), built on first use.
struct Instance {
  pcs::Params params;
  std::unique_ptr<pcs::CommittedPoly> poly;
  std::vector<pcs::Claim> claims;
  zks::util::Bytes proof;
};

Instance& instance(unsigned n, const pcs::Params& params) {
  static std::map<std::pair<unsigned, std::string>, std::unique_ptr<Instance>> cache;
  auto key = std::make_pair(n, params.describe());
  auto& slot = cache[key];
  if (!slot) {
    slot = std::make_unique<Instance>();
    slot->params = params;
    auto c = pcs::commit(random_table(size_t(1) << n, n), params);
    slot->poly = std::make_unique<pcs::CommittedPoly>(std::move(c.value()));
    pcs::Claim claim;
    claim.point = random_point(n, 1000 + n);
    claim.value = slot->poly->evaluate(claim.point);
    slot->claims.push_back(claim);
    auto t = transcript();
    slot->proof = pcs::open(*slot->poly, slot->claims, t, params).value();
  }
  return *slot;
}

void BM_Ntt(benchmark::State& state) {
  auto a = random_table(size_t(1) << state.range(0), 1);
  for (auto _ : state) {
    pcs::ntt_dif(a);
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(state.iterations() * int64_t(a.size()));
}
BENCHMARK(BM_Ntt)->Arg(16)->Arg(20)->Arg(22)->Unit(benchmark::kMillisecond);

void BM_Commit(benchmark::State& state) {
  unsigned n = static_cast<unsigned>(state.range(0));
  auto params = pcs::Params::standard();
  auto table = random_table(size_t(1) << n, n);
  for (auto _ : state) {
    auto c = pcs::commit(table, params);
    benchmark::DoNotOptimize(c.value().commitment().root);
  }
  state.SetItemsProcessed(state.iterations() * int64_t(table.size()));
}
BENCHMARK(BM_Commit)->Arg(16)->Arg(20)->Arg(22)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Open(benchmark::State& state) {
  unsigned n = static_cast<unsigned>(state.range(0));
  auto& inst = instance(n, pcs::Params::standard());
  for (auto _ : state) {
    auto t = transcript();
    auto p = pcs::open(*inst.poly, inst.claims, t, inst.params);
    benchmark::DoNotOptimize(p.value().data());
  }
  state.counters["proof_bytes"] = double(inst.proof.size());
}
BENCHMARK(BM_Open)->Arg(16)->Arg(20)->Arg(22)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Verify(benchmark::State& state) {
  unsigned n = static_cast<unsigned>(state.range(0));
  auto& inst = instance(n, pcs::Params::standard());
  for (auto _ : state) {
    auto t = transcript();
    auto st = pcs::verify(inst.poly->commitment(), inst.claims, inst.proof, t, inst.params);
    if (!st.ok()) state.SkipWithError(st.error().c_str());
  }
  state.counters["proof_bytes"] = double(inst.proof.size());
  state.counters["security_bits"] = inst.params.security_bits();
  state.counters["queries"] = inst.params.num_queries;
}
BENCHMARK(BM_Verify)->Arg(16)->Arg(20)->Arg(22)->Unit(benchmark::kMillisecond);

// Proof size and verify time by folding arity 2^a, grinding bits and final message
// size (args: n, a, g, final_log), each at the fewest queries giving >= 100 bits.
void BM_ProofSizeByArity(benchmark::State& state) {
  unsigned n = static_cast<unsigned>(state.range(0));
  auto params = pcs::Params::with_queries_for(static_cast<unsigned>(state.range(1)),
                                              static_cast<unsigned>(state.range(2)), 100.0, 22,
                                              static_cast<unsigned>(state.range(3)));
  auto& inst = instance(n, params);
  for (auto _ : state) {
    auto t = transcript();
    auto st = pcs::verify(inst.poly->commitment(), inst.claims, inst.proof, t, inst.params);
    if (!st.ok()) state.SkipWithError(st.error().c_str());
  }
  state.counters["proof_bytes"] = double(inst.proof.size());
  state.counters["queries"] = params.num_queries;
}
BENCHMARK(BM_ProofSizeByArity)
    ->ArgsProduct({{16, 18, 20, 22}, {1, 2, 3, 4}, {12}, {8}})
    ->ArgsProduct({{18, 20}, {3, 4}, {0, 16}, {6, 8, 10}})
    ->Unit(benchmark::kMillisecond);

// Age's witness stacks (2^20 + 2^18 + 2^16) committed and opened as one joint commitment
// (arg 1) or as three (arg 0): commit + open time, and the opening's size. Each stack
// claimed at two points.
void BM_Stacks(benchmark::State& state) {
  const bool joint = state.range(0) != 0;
  const auto params = pcs::Params::standard();
  std::vector<std::vector<Fp>> tables;
  for (unsigned n : {20u, 18u, 16u}) tables.push_back(random_table(size_t(1) << n, n));
  const std::vector<std::span<const Fp>> spans(tables.begin(), tables.end());
  size_t proof_bytes = 0;
  for (auto _ : state) {
    std::vector<std::shared_ptr<const pcs::CommittedPoly>> polys;
    if (joint) {
      polys = pcs::commit_joint(spans, params).value();
    } else {
      for (const auto& tb : spans) polys.push_back(std::make_shared<const pcs::CommittedPoly>(pcs::commit(tb, params).value()));
    }
    std::vector<const pcs::CommittedPoly*> ptrs;
    std::vector<pcs::Claim> claims;
    for (size_t j = 0; j < polys.size(); ++j) {
      ptrs.push_back(polys[j].get());
      for (uint64_t k = 0; k < 2; ++k) {
        pcs::Claim c{j, random_point(polys[j]->num_vars(), 10 * j + k), {}};
        c.value = polys[j]->evaluate(c.point);
        claims.push_back(std::move(c));
      }
    }
    auto t = transcript();
    proof_bytes = pcs::open_batch(ptrs, claims, t, params).value().size();
  }
  state.counters["proof_bytes"] = double(proof_bytes);
}
BENCHMARK(BM_Stacks)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Zero knowledge, stage 1 (pcs/hiding.hpp) against the plain commitment of the same
// 2^n values (arg n): commit (values and mask, one more variable), then open one claim
// (a fresh h committed and folded in) and verify. Compare with BM_Commit, BM_Open and
// BM_Verify at the same n.
void BM_Hiding(benchmark::State& state) {
  const unsigned n = static_cast<unsigned>(state.range(0));
  const auto params = pcs::Params::standard();
  const auto table = random_table(size_t(1) << n, n);
  pcs::Seed seed{};
  seed[0] = 1;
  size_t proof_bytes = 0;
  double commit_ms = 0, open_ms = 0, verify_ms = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto c = pcs::commit_hiding(table, seed, params).value();
    auto t1 = std::chrono::steady_clock::now();
    pcs::Claim claim{0, random_point(n, 1000 + n), {}};
    claim.value = c.evaluate([&] {
      auto p = claim.point;
      p.push_back(Fp2::zero());
      return p;
    }());
    std::vector<pcs::Claim> claims{claim};
    const pcs::CommittedPoly* ptr = &c;
    auto tp = transcript();
    auto proof = pcs::open_hiding(std::span<const pcs::CommittedPoly* const>(&ptr, 1), claims, tp, params, seed).value();
    auto t2 = std::chrono::steady_clock::now();
    auto tv = transcript();
    auto st = pcs::verify_hiding(std::span<const pcs::Commitment>(&c.commitment(), 1), claims, proof, tv, params);
    auto t3 = std::chrono::steady_clock::now();
    if (!st.ok()) state.SkipWithError(st.error().c_str());
    proof_bytes = proof.size();
    commit_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    open_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    verify_ms += std::chrono::duration<double, std::milli>(t3 - t2).count();
  }
  const double it = double(state.iterations());
  state.counters["commit_ms"] = commit_ms / it;
  state.counters["open_ms"] = open_ms / it;
  state.counters["verify_ms"] = verify_ms / it;
  state.counters["proof_bytes"] = double(proof_bytes);
}
BENCHMARK(BM_Hiding)->Arg(16)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
