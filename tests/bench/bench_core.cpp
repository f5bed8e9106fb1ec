// Field throughput and sumcheck prover time.
//   build/tests/bench/bench_core --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>

#include "field/ext2.hpp"
#include "field/field.hpp"
#include "hash/merkle.hpp"
#include "lookup/logup.hpp"
#include "lookup/zk_logup.hpp"
#include "poly/mle.hpp"
#include "sumcheck/sumcheck.hpp"
#include "sumcheck/zk.hpp"
#include "transcript/transcript.hpp"
#include "util/thread_pool.hpp"

using zks::field::Fp;
using zks::field::Fp2;

namespace {

// A dependent chain of n multiply-adds over a small array: measures latency-bound
// and throughput-bound mul on one core (4 independent chains).
template <typename F>
void field_mul(benchmark::State& state, F seed_a, F seed_b) {
  F a0 = seed_a, a1 = seed_b, a2 = seed_a + seed_b, a3 = seed_a * seed_b;
  const F m = seed_b;
  constexpr int kIters = 1 << 16;
  for (auto _ : state) {
    for (int i = 0; i < kIters; ++i) {
      a0 = a0 * m;
      a1 = a1 * m;
      a2 = a2 * m;
      a3 = a3 * m;
    }
    benchmark::DoNotOptimize(a0);
    benchmark::DoNotOptimize(a1);
    benchmark::DoNotOptimize(a2);
    benchmark::DoNotOptimize(a3);
  }
  state.counters["mul/s"] =
      benchmark::Counter(double(state.iterations()) * kIters * 4, benchmark::Counter::kIsRate);
}

void BM_FpMul(benchmark::State& state) { field_mul(state, Fp(0x1234567890abcdefull), Fp(0xfedcba987654321ull)); }
void BM_Fp2Mul(benchmark::State& state) {
  field_mul(state, Fp2(Fp(0x1234567890abcdefull), Fp(99)), Fp2(Fp(0xfedcba987654321ull), Fp(7)));
}
BENCHMARK(BM_FpMul);
BENCHMARK(BM_Fp2Mul);

void BM_FpInverse(benchmark::State& state) {
  Fp x(0x1234567890abcdefull);
  for (auto _ : state) {
    x = x.inverse() + Fp::one();
    benchmark::DoNotOptimize(x);
  }
}
BENCHMARK(BM_FpInverse);

// field::batch_inverse of 2^16 entries: range(0) = 0 for F_p, 1 for F_{p^2}.
template <class F>
void batch_inverse_run(benchmark::State& state, F seed) {
  std::vector<F> xs(size_t(1) << 16);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = seed * F(Fp(i + 1));
  for (auto _ : state) {
    auto ys = xs;
    zks::field::batch_inverse(std::span<F>(ys));
    benchmark::DoNotOptimize(ys.data());
  }
}
void BM_BatchInverse(benchmark::State& state) {
  if (state.range(0) == 0) batch_inverse_run(state, Fp(0x1234567890abcdefull));
  else batch_inverse_run(state, Fp2(Fp(0x1234567890abcdefull), Fp(99)));
}
BENCHMARK(BM_BatchInverse)->Arg(0)->Arg(1)->ArgName("ext")->Unit(benchmark::kMicrosecond);

// Sumcheck prover for sum_x prod_{j<d} f_j(x) (range(1) = 0) or with eq (range(1) = 1).
void BM_SumcheckProve(benchmark::State& state) {
  unsigned k = static_cast<unsigned>(state.range(0));
  unsigned d = static_cast<unsigned>(state.range(1));
  bool with_eq = state.range(2) != 0;
  std::mt19937_64 rng(1);
  std::vector<std::vector<Fp>> tables(d, std::vector<Fp>(size_t(1) << k));
  for (auto& t : tables)
    for (auto& x : t) x = Fp(rng());
  zks::sumcheck::Instance inst;
  for (auto& t : tables) inst.factors.push_back(std::span<const Fp>(t));
  if (with_eq)
    for (unsigned i = 0; i < k; ++i) inst.eq_point.push_back(Fp2(Fp(rng()), Fp(rng())));
  Fp2 sum = zks::sumcheck::compute_sum(inst);
  for (auto _ : state) {
    zks::transcript::Transcript t("bench");
    auto out = zks::sumcheck::prove(inst, sum, t);
    benchmark::DoNotOptimize(out.factor_evals);
  }
  state.counters["elements"] = double(size_t(1) << k);
  state.counters["threads"] = double(zks::util::ThreadPool::global().size());
  state.counters["ns/elem"] = benchmark::Counter(
      double(state.iterations()) * double(size_t(1) << k), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SumcheckProve)
    ->ArgsProduct({{16, 18, 20, 22}, {2, 3}, {0, 1}})
    ->ArgNames({"log_n", "d", "eq"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Zero knowledge (sumcheck/zk.hpp): sum_x eq(z, x) f_0(x) f_1(x) proved plainly
// (mode 0), with its rounds masked (1, stage 2), and with the rounds and both factors'
// evaluations masked (2, stages 2 and 3: round 0 over f^ = f + x_0 (1 - x_0) R, then
// the tables bound to r_0 in F_{p^2}). The mask's commitment is not included.
void BM_ZkSumcheckProve(benchmark::State& state) {
  namespace sc = zks::sumcheck;
  const unsigned k = static_cast<unsigned>(state.range(0));
  const int mode = static_cast<int>(state.range(1));
  std::mt19937_64 rng(1);
  auto table = [&] {
    std::vector<Fp> t(size_t(1) << k);
    for (auto& x : t) x = Fp(rng());
    return t;
  };
  std::vector<std::vector<Fp>> f = {table(), table()}, R = {table(), table()};
  sc::Instance inst;
  for (auto& t : f) inst.factors.push_back(std::span<const Fp>(t));
  for (unsigned i = 0; i < k; ++i) inst.eq_point.push_back(Fp2(Fp(rng()), Fp(rng())));
  const sc::MaskedInstance mi{inst, {R[0], R[1]}};
  const auto degrees = mode == 2 ? sc::masked_degrees(mi) : sc::uniform_degrees(k, inst.degree());
  std::vector<Fp> entries(sc::mask_entries(degrees));
  for (auto& x : entries) x = Fp(rng());
  const sc::Mask mask(entries, degrees);
  const Fp2 sum = sc::compute_sum(inst);
  for (auto _ : state) {
    zks::transcript::Transcript t("bench");
    if (mode == 0) {
      benchmark::DoNotOptimize(sc::prove(inst, sum, t).factor_evals);
    } else if (mode == 1) {
      sc::Prover prover(inst);
      benchmark::DoNotOptimize(sc::prove_zk(prover, sum, mask, zks::hash::Digest{}, t).factor_evals);
    } else {
      benchmark::DoNotOptimize(sc::prove_zk(mi, sum, mask, zks::hash::Digest{}, t).factor_evals);
    }
  }
  state.counters["threads"] = double(zks::util::ThreadPool::global().size());
}
BENCHMARK(BM_ZkSumcheckProve)
    ->ArgsProduct({{16, 18, 20}, {0, 1, 2}})
    ->ArgNames({"log_n", "mode"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Round 0 of the masked sumcheck alone (sumcheck::detail::round0_values) on 2^log_n
// entries, by its two paths (path 0: the general one, 1: the U B one where the shape
// allows it). Shape 0: a linear map's maker, sum_j M_j x_j over 4 inputs (M_j in
// F_{p^2} and public, x_j in F_p and masked; the U B path applies). Shape 1: a zk
// lookup's five terms (eq, the selector, the table's weights u, the F_{p^2} helper h_w
// and its mask, m, the witness; u and m zero past 2^16).
void BM_ZkRound0(benchmark::State& state) {
  namespace sc = zks::sumcheck;
  const unsigned k = static_cast<unsigned>(state.range(0));
  const int shape = static_cast<int>(state.range(1));
  const bool general = state.range(2) == 0;
  const size_t n = size_t(1) << k;
  std::mt19937_64 rng(5);
  std::vector<std::vector<Fp>> base;
  std::vector<std::vector<Fp2>> ext;
  base.reserve(16), ext.reserve(16);
  auto fp = [&](size_t live) {
    auto& t = base.emplace_back(n, Fp::zero());
    for (size_t i = 0; i < std::min(live, n); ++i) t[i] = Fp(rng());
    return std::span<const Fp>(t);
  };
  auto fp2 = [&](size_t live) {
    auto& t = ext.emplace_back(n, Fp2::zero());
    for (size_t i = 0; i < std::min(live, n); ++i) t[i] = Fp2(Fp(rng()), Fp(rng()));
    return std::span<const Fp2>(t);
  };
  sc::MaskedInstance mi;
  const std::span<const Fp> none;
  if (shape == 0) {
    for (unsigned j = 0; j < 4; ++j) {
      mi.inst.factors.push_back(fp2(n)), mi.masks.push_back(none);
      mi.inst.factors.push_back(fp(n)), mi.masks.push_back(fp(n));
      mi.inst.terms.push_back({Fp2::one(), {2 * j, 2 * j + 1}});
    }
  } else {  // eq, sel, u, h_w, m, w (as lookup/zk_logup.cpp lays them out)
    const size_t T = size_t(1) << 16;
    mi.inst.factors = {fp2(n), fp(n), fp2(T), fp2(n), fp(T), fp(n)};
    mi.masks = {none, none, none, fp2(n), fp(T), fp(n)};
    const Fp2 a(Fp(3), Fp(5)), g(Fp(7), Fp(2));
    mi.inst.terms = {{a, {0, 3}}, {-Fp2::one(), {0, 3, 5}}, {-Fp2::one(), {0, 1}}, {g, {3}}, {-g, {4, 2}}};
  }
  const unsigned D = sc::masked_degrees(mi)[0];
  for (auto _ : state) benchmark::DoNotOptimize(sc::detail::round0_values(mi, {}, D, general));
  state.counters["threads"] = double(zks::util::ThreadPool::global().size());
}
BENCHMARK(BM_ZkRound0)
    ->ArgsProduct({{16, 20}, {0, 1}, {0, 1}})
    ->ArgNames({"log_n", "shape", "path"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// LogUp-GKR prover: 2^log_n lookups of (x, f(x)) rows into a table of 2^16 rows (a
// Relu-like activation table), the multiplicities given. As the slice prover's table
// lookups run (prove_table); taskset -c 0 for one thread.
// 2^k lookups of (x, f(x)) rows drawn from a 2^16-row table, f(x) = x on the first half.
struct LookupRows {
  std::vector<Fp> tx, ty, wx, wy;
  explicit LookupRows(unsigned k) {
    std::mt19937_64 rng(4);
    const size_t rows = size_t(1) << 16, n = size_t(1) << k;
    tx.resize(rows), ty.resize(rows), wx.resize(n), wy.resize(n);
    for (size_t j = 0; j < rows; ++j) tx[j] = Fp(j), ty[j] = Fp(j < rows / 2 ? j : 0);
    for (size_t i = 0; i < n; ++i) {
      const size_t j = rng() % rows;
      wx[i] = tx[j], wy[i] = ty[j];
    }
  }
  zks::lookup::Input input() const {
    return {{wx, wy}, {tx, ty}, zks::poly::PaddedShape({static_cast<uint32_t>(wx.size())})};
  }
};

void BM_LogUp(benchmark::State& state) {
  const LookupRows rows(static_cast<unsigned>(state.range(0)));
  const zks::lookup::Input in = rows.input();
  auto m = zks::lookup::multiplicities(in);
  if (!m.ok()) state.SkipWithError(m.error().c_str());
  for (auto _ : state) {
    zks::transcript::Transcript t("bench");
    benchmark::DoNotOptimize(zks::lookup::prove(in, *m, t).claims);
  }
  state.counters["threads"] = double(zks::util::ThreadPool::global().size());
}
BENCHMARK(BM_LogUp)->Arg(16)->Arg(18)->Arg(20)->ArgName("log_n")->Unit(benchmark::kMillisecond)->UseRealTime();

// The zero-knowledge lookup (lookup/zk_logup.hpp) of BM_LogUp's rows (2^log_n lookups
// of (x, f(x)) into 2^16 rows): the four helper commitments and the masked sumcheck,
// per proof; the witness, m and the mask table are committed once outside the loop
// (the slice prover commits them anyway), and the opening is not included.
void BM_ZkLookup(benchmark::State& state) {
  namespace lk = zks::lookup;
  namespace pcs = zks::pcs;
  const unsigned k = static_cast<unsigned>(state.range(0));
  std::mt19937_64 rng(5);
  const LookupRows rows(k);
  const auto& [tx, ty, wx, wy] = rows;
  const lk::Input in = rows.input();
  auto m = lk::multiplicities(in).value();
  const auto params = pcs::Params::standard();
  lk::ZkShape shape{in.witness_shape, 16, 2, std::max(16u, k)};
  auto commit = [&](std::vector<Fp> v, uint8_t seed) {
    v.resize(size_t(1) << shape.num_vars, Fp::zero());
    pcs::Seed s{};
    s.fill(seed);
    return pcs::commit_hiding(v, s, params).value();
  };
  std::vector<pcs::CommittedPoly> cols;
  cols.push_back(commit(wx, 1));
  cols.push_back(commit(wy, 2));
  auto mc = commit(m, 3);
  const auto degrees = lk::zk_lookup_degrees(shape);
  std::vector<Fp> mask(zks::sumcheck::mask_entries(degrees));
  for (auto& x : mask) x = Fp(rng());
  lk::ZkInput zin{{&cols[0], &cols[1]}, &mc, {tx, ty}, {}};
  const lk::ZkCommitments comms{{cols[0].commitment(), cols[1].commitment()}, mc.commitment(), {}};
  pcs::Seed seed{};
  seed.fill(9);
  size_t bytes = 0;
  double verify_ms = 0;
  for (auto _ : state) {
    zks::transcript::Transcript t("bench");
    auto out = lk::prove_zk(shape, zin, zks::sumcheck::Mask(mask, degrees), seed, params, t).value();
    state.PauseTiming();
    zks::util::ByteWriter w;
    out.proof.write(w);
    bytes = w.bytes().size();
    const std::vector<std::vector<Fp>> table = {tx, ty};
    zks::transcript::Transcript tv("bench");
    const auto t0 = std::chrono::steady_clock::now();
    auto claims = lk::verify_zk(shape, table, comms, out.proof, tv);
    verify_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!claims.ok()) state.SkipWithError(claims.error().c_str());
    state.ResumeTiming();
  }
  state.counters["proof_bytes"] = double(bytes);
  state.counters["verify_ms"] = verify_ms / double(state.iterations());
  state.counters["threads"] = double(zks::util::ThreadPool::global().size());
}
BENCHMARK(BM_ZkLookup)->Arg(16)->Arg(18)->ArgName("log_n")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MleEvaluate(benchmark::State& state) {
  unsigned k = static_cast<unsigned>(state.range(0));
  std::mt19937_64 rng(2);
  std::vector<Fp> t(size_t(1) << k);
  for (auto& x : t) x = Fp(rng());
  std::vector<Fp2> r(k);
  for (auto& x : r) x = Fp2(Fp(rng()), Fp(rng()));
  for (auto _ : state) benchmark::DoNotOptimize(zks::poly::evaluate(t, r));
}
BENCHMARK(BM_MleEvaluate)->Arg(16)->Arg(20)->Arg(22)->Unit(benchmark::kMillisecond)->UseRealTime();

// BLAKE2b-256 Merkle leaves of 16 Goldilocks elements (128 bytes, one compression), one
// thread: libsodium one at a time (arg 0) against hash_many's four lanes (arg 1).
void BM_HashLeaves(benchmark::State& state) {
  const size_t leaves = size_t(1) << 16, width = 16;
  std::mt19937_64 rng(3);
  std::vector<Fp> data(leaves * width);
  for (auto& x : data) x = Fp(rng());
  std::vector<zks::hash::Digest> out(leaves);
  for (auto _ : state) {
    if (state.range(0) == 0) {
      for (size_t i = 0; i < leaves; ++i) out[i] = zks::hash::hash_leaf(std::span<const Fp>(data).subspan(i * width, width));
    } else {
      zks::hash::hash_many(zks::hash::Domain::MerkleLeaf, reinterpret_cast<const uint8_t*>(data.data()), width * 8,
                           width * 8, leaves, out.data());
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(leaves * width * 8));
  state.counters["hashes_per_second"] = benchmark::Counter(double(leaves), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_HashLeaves)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The proof of work before an opening's query indices (Transcript::grind) at `bits`
// (arg): each grinding bit saves 1 / 0.678 queries at rate 1/4 (pcs/params.hpp), and
// costs twice the hashes. Mean over many statements (the work is geometric).
void BM_Grind(benchmark::State& state) {
  const unsigned bits = static_cast<unsigned>(state.range(0));
  uint64_t n = 0;
  for (auto _ : state) {
    zks::transcript::Transcript t("bench-grind");
    t.absorb_u64("statement", n++);
    benchmark::DoNotOptimize(t.grind("pow", bits));
  }
}
BENCHMARK(BM_Grind)->Arg(12)->Arg(16)->Arg(18)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
