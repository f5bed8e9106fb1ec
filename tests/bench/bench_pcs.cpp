// Basefold benchmarks: commit, open and verify time and proof size at 2^16, 2^20 and
// 2^22 base-field elements with the standard (>= 100-bit) parameters, the NTT, and the
// proof size for each folding arity (which chose the default).
//
//   build-pcs/tests/bench/bench_pcs --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "pcs/basefold.hpp"
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

}  // namespace

BENCHMARK_MAIN();
