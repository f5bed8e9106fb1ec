// Every GPU op against the CPU code it replaces, on random inputs (never zeros) with the
// field's edge values mixed in: byte-identical or the test fails. Skipped, with a
// visible message, where there is no GPU (CI builds and links all of it anyway).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "backend/backend.hpp"
#include "hash/merkle.hpp"
#include "lookup/logup.hpp"
#include "pcs/basefold.hpp"
#include "pcs/encoding.hpp"
#include "pcs/ntt.hpp"
#include "poly/mle.hpp"
#include "sumcheck/sumcheck.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
namespace be = zks::backend;

namespace {

be::Gpu* gpu_or_skip() {
  be::Gpu* g = be::gpu();
  if (!g) WARN("SKIPPED: no CUDA device (compiled with CUDA: " << be::cuda_compiled() << "); GPU parity not checked");
  return g;
}

std::vector<Fp> random_fp(std::mt19937_64& rng, size_t n) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp(rng());
  if (n > 2) v[0] = Fp(Fp::P - 1), v[1] = Fp(Fp::P - 2);
  return v;
}

std::vector<Fp2> random_fp2(std::mt19937_64& rng, size_t n) {
  std::vector<Fp2> v(n);
  for (auto& x : v) x = zks::test::rand2(rng);
  if (n > 1) v[0] = Fp2(Fp(Fp::P - 1), Fp(Fp::P - 1));
  return v;
}

}  // namespace

TEST_CASE("GPU NTT equals pcs::ntt_dif, one vector and batches", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(1);
  // 2^12..2^21: one strided pass of 1 to 10 levels; 2^22: two (10 levels, then 1).
  for (unsigned lg : {1u, 2u, 5u, 10u, 11u, 12u, 13u, 16u, 20u, 21u, 22u}) {
    for (size_t batch : {size_t(1), size_t(3)}) {
      if (lg > 20 && batch > 1) continue;
      CAPTURE(lg, batch);
      const size_t n = size_t(1) << lg;
      auto data = random_fp(rng, n * batch), want = data;
      for (size_t b = 0; b < batch; ++b) zks::pcs::ntt_dif(std::span<Fp>(want).subspan(b * n, n));
      REQUIRE(g->ntt_dif(data, n).ok());
      REQUIRE(data == want);
    }
  }
}

TEST_CASE("GPU Reed-Solomon encoding equals pcs::detail::rs_encode", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(2);
  for (unsigned lg : {0u, 4u, 12u, 16u, 20u})
    for (unsigned blowup : {0u, 1u, 2u, 3u, 6u}) {
      if (blowup == 6 && lg > 12) continue;
      CAPTURE(lg, blowup);
      auto c = random_fp(rng, size_t(1) << lg);
      auto got = g->rs_encode(c, blowup);
      REQUIRE(got.ok());
      REQUIRE(*got == zks::pcs::detail::rs_encode(c, blowup));
    }
}

TEST_CASE("GPU Merkle trees equal hash::MerkleTree over Fp and Fp2 rows", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(3);
  for (size_t rows : {size_t(1), size_t(2), size_t(1) << 10, size_t(1) << 18}) {
    for (size_t width : {size_t(1), size_t(16), size_t(17)}) {  // 17: a full block, then one word
      CAPTURE(rows, width);
      auto a = random_fp(rng, rows * width);
      auto b = random_fp2(rng, rows * width);
      auto ta = zks::hash::MerkleTree::from_rows(std::span<const Fp>(a), width);
      auto tb = zks::hash::MerkleTree::from_rows(std::span<const Fp2>(b), width);
      auto ga = g->merkle_tree(std::span<const Fp>(a), width);
      auto gb = g->merkle_tree(std::span<const Fp2>(b), width);
      REQUIRE(ga.ok());
      REQUIRE(gb.ok());
      REQUIRE((*ga)[1] == ta.root());
      REQUIRE((*gb)[1] == tb.root());
      // Every leaf, and the sibling path of a few (every level of the tree).
      for (size_t i = 0; i < rows; ++i) {
        REQUIRE((*ga)[rows + i] == ta.leaf(i));
        REQUIRE((*gb)[rows + i] == tb.leaf(i));
      }
      for (size_t i : {size_t(0), rows / 3, rows - 1}) {
        auto path = ta.open(i);
        size_t node = rows + i;
        for (const auto& sibling : path) {
          REQUIRE((*ga)[node ^ 1] == sibling);
          node /= 2;
        }
      }
    }
  }
}

TEST_CASE("GPU folds and MLE evaluation equal poly::fold and poly::evaluate", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(4);
  for (unsigned lg : {1u, 3u, 12u, 20u}) {
    CAPTURE(lg);
    const size_t n = size_t(1) << lg;
    const Fp2 r = zks::test::rand2(rng);
    auto base = random_fp(rng, n);
    auto ext = random_fp2(rng, n);
    auto fb = g->fold(std::span<const Fp>(base), r);
    auto fe = g->fold(std::span<const Fp2>(ext), r);
    REQUIRE(fb.ok());
    REQUIRE(fe.ok());
    REQUIRE(*fb == zks::poly::fold(std::span<const Fp>(base), r));
    REQUIRE(*fe == zks::poly::fold(std::span<const Fp2>(ext), r));
    std::vector<Fp2> point(lg);
    for (auto& x : point) x = zks::test::rand2(rng);
    auto ev = g->evaluate(base, point);
    REQUIRE(ev.ok());
    REQUIRE(*ev == zks::poly::evaluate(std::span<const Fp>(base), point));
  }
}

TEST_CASE("GPU fraction-tree layers and sumcheck round sums equal their definitions", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(5);
  // 2^21: more pairs than the capped grid's threads, so each thread sums several.
  for (unsigned lg : {1u, 9u, 17u, 21u}) {
    CAPTURE(lg);
    const size_t n = size_t(1) << lg;
    auto p = random_fp2(rng, n), q = random_fp2(rng, n);
    std::vector<Fp2> po, qo;
    REQUIRE(g->fraction_layer(p, q, po, qo).ok());
    REQUIRE(po.size() == n / 2);
    for (size_t x = 0; x < n / 2; ++x) {
      REQUIRE(po[x] == p[2 * x] * q[2 * x + 1] + p[2 * x + 1] * q[2 * x]);
      REQUIRE(qo[x] == q[2 * x] * q[2 * x + 1]);
    }
    // l(t) = sum_i w_i prod_j (f_j[2i] + t (f_j[2i+1] - f_j[2i])), as the sumcheck prover's kernel.
    for (unsigned d : {1u, 3u, 8u}) {
      for (bool weighted : {false, true}) {
        if (d == 8 && lg > 17) continue;  // the reference loop below is slow
        const bool skip_one = !weighted;  // both settings, and L != d when weighted
        const unsigned L = weighted ? 8 : d;
        CAPTURE(d, weighted, skip_one, L);
        std::vector<std::vector<Fp2>> tabs;
        std::vector<std::span<const Fp2>> spans;
        for (unsigned j = 0; j < d; ++j) tabs.push_back(random_fp2(rng, n));
        for (const auto& t : tabs) spans.push_back(t);
        auto w = weighted ? random_fp2(rng, n / 2) : std::vector<Fp2>{};
        auto got = g->product_round(spans, w, L, skip_one);
        REQUIRE(got.ok());
        for (unsigned t = 0; t <= L; ++t) {
          Fp2 want = Fp2::zero();
          if (t != 1 || !skip_one)
            for (size_t i = 0; i < n / 2; ++i) {
              Fp2 prod = Fp2::one();
              for (const auto& f : tabs) prod *= f[2 * i] + Fp2(Fp(t)) * (f[2 * i + 1] - f[2 * i]);
              want += weighted ? w[i] * prod : prod;
            }
          REQUIRE((*got)[t] == want);
        }
      }
    }
  }
}

namespace {
// A sumcheck instance over random tables: bit j of base_mask makes factor j base-field.
struct RandomInstance {
  std::vector<std::vector<Fp>> base;
  std::vector<std::vector<Fp2>> ext;
  zks::sumcheck::Instance inst;
  RandomInstance(std::mt19937_64& rng, unsigned vars, unsigned d, uint32_t base_mask, bool eq, size_t num_terms)
      : base(d), ext(d) {
    const size_t n = size_t(1) << vars;
    for (unsigned j = 0; j < d; ++j) {
      if ((base_mask >> j) & 1) {
        base[j] = random_fp(rng, n);
        inst.factors.emplace_back(std::span<const Fp>(base[j]));
      } else {
        ext[j] = random_fp2(rng, n);
        inst.factors.emplace_back(std::span<const Fp2>(ext[j]));
      }
    }
    if (eq) inst.eq_point = random_fp2(rng, vars);
    for (size_t k = 0; k < num_terms; ++k) {  // terms of 1 to 3 factors, repeats allowed
      zks::sumcheck::Term t{zks::test::rand2(rng), {}};
      for (size_t q = 0; q <= k % 3; ++q) t.factors.push_back(unsigned(rng() % d));
      inst.terms.push_back(t);
    }
  }
};

std::vector<uint8_t> proof_bytes(const zks::sumcheck::ProverOutput& o) {
  zks::util::ByteWriter w;
  o.proof.write(w);
  return w.bytes();
}
}  // namespace

TEST_CASE("GPU sumchecks (tables on the device, fused fold and round) prove the CPU's bytes", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  namespace sc = zks::sumcheck;
  REQUIRE(sc::gpu_sumchecks());  // the once-per-process self-check passed
  std::mt19937_64 rng(8);
  struct Shape {
    unsigned vars, d;
    uint32_t base_mask;
    bool eq;
    size_t terms;
  };
  for (const Shape& s : {Shape{1, 1, 1, false, 0}, Shape{2, 2, 0b10, true, 0}, Shape{5, 3, 0b111, true, 0},
                         Shape{9, 8, 0b10101010, true, 0}, Shape{12, 4, 0, true, 3}, Shape{13, 5, 0b11111, false, 8},
                         Shape{18, 2, 0b01, false, 0}, Shape{20, 3, 0b111, true, 0}}) {
    CAPTURE(s.vars, s.d, s.base_mask, s.eq, s.terms);
    RandomInstance ri(rng, s.vars, s.d, s.base_mask, s.eq, s.terms);
    const Fp2 claim = sc::compute_sum(ri.inst);
    zks::transcript::Transcript tg("gpu-parity"), tc("gpu-parity");
    REQUIRE(sc::Prover(ri.inst, sc::Placement::Gpu).on_gpu());  // the instance fits the device kernel
    const size_t failures = be::Gpu::failures();
    auto got = sc::prove(ri.inst, claim, tg, sc::Placement::Gpu);
    REQUIRE(be::Gpu::failures() == failures);  // no round fell back to the CPU
    auto want = sc::prove(ri.inst, claim, tc, sc::Placement::Cpu);
    REQUIRE(proof_bytes(got) == proof_bytes(want));
    REQUIRE(got.point == want.point);
    REQUIRE(got.factor_evals == want.factor_evals);
  }
}

TEST_CASE("LogUp-GKR fraction layers and Basefold openings prove the same bytes on the GPU", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(10);
  const unsigned vars = zks::sumcheck::gpu_min_vars();  // the smallest layer the prover sends to the GPU
  auto p = random_fp2(rng, size_t(2) << vars), q = random_fp2(rng, size_t(2) << vars);
  auto r = random_fp2(rng, vars);
  const Fp2 lambda = zks::test::rand2(rng), claim = zks::test::rand2(rng);
  auto layer = [&] {
    zks::transcript::Transcript t("gpu-parity");
    auto out = zks::lookup::detail::prove_fraction_layer(p, q, r, lambda, claim, t);
    return std::make_pair(proof_bytes(out), out.factor_evals);
  };
  // A Basefold opening of one polynomial (f base-field until the first fold) and of two
  // (f combined in F_p^2), each of 2^(gpu_min_vars() + 2) values: commitments and the
  // first folded layer (2^-4 of that) are made and kept on the GPU.
  auto a = random_fp(rng, size_t(4) << vars), b = random_fp(rng, size_t(4) << vars);
  auto z = random_fp2(rng, vars + 2);
  const auto params = zks::pcs::Params::standard();
  auto opening = [&](size_t polys) {
    auto ca = zks::pcs::commit(a, params), cb = zks::pcs::commit(b, params);
    REQUIRE(ca.ok());
    REQUIRE(cb.ok());
    REQUIRE((ca->device_bytes() > 0) == zks::pcs::gpu_commitments());
    REQUIRE((ca->host_bytes() > a.size() * sizeof(Fp)) == !zks::pcs::gpu_commitments());
    std::vector<const zks::pcs::CommittedPoly*> ps{&*ca, &*cb};
    std::vector<zks::pcs::Claim> claims{{0, z, zks::poly::evaluate(std::span<const Fp>(a), z)},
                                        {1, z, zks::poly::evaluate(std::span<const Fp>(b), z)}};
    ps.resize(polys);
    claims.resize(polys);
    zks::transcript::Transcript t("gpu-parity");
    auto proof = zks::pcs::open_batch(ps, claims, t, params);
    REQUIRE(proof.ok());
    return *proof;
  };
  be::set_gpu_enabled(false);
  auto want = layer();
  auto want1 = opening(1), want2 = opening(2);
  be::set_gpu_enabled(true);
  REQUIRE(zks::sumcheck::gpu_sumchecks());
  REQUIRE(zks::pcs::gpu_commitments());
  const size_t failures = be::Gpu::failures();
  REQUIRE(layer() == want);
  REQUIRE(opening(1) == want1);
  REQUIRE(opening(2) == want2);
  REQUIRE(be::Gpu::failures() == failures);  // all of it on the GPU, none replayed
}

TEST_CASE("A joint commitment made on the GPU opens to the CPU's bytes, whatever GPU call fails", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(12);
  const auto params = zks::pcs::Params::standard();
  // Members of 2^15 and 2^14 (twice): every codeword and the joint tree on the GPU (the
  // smaller members without trees of their own), none of it read back but the opened
  // rows and paths.
  auto a = random_fp(rng, size_t(1) << 15), b = random_fp(rng, size_t(1) << 14), c = random_fp(rng, size_t(1) << 14);
  auto za = random_fp2(rng, 15), zb = random_fp2(rng, 14);
  auto run = [&](bool all_on_gpu) {
    std::vector<std::span<const Fp>> tables{a, b, c};
    auto made = zks::pcs::commit_joint(tables, params);
    REQUIRE(made.ok());
    if (all_on_gpu) {
      REQUIRE((*made)[0]->host_bytes() == a.size() * sizeof(Fp));  // no tree on the host
      REQUIRE((*made)[1]->device_bytes() == (b.size() << params.log_blowup) * sizeof(Fp));  // nor one of its own
    }
    std::vector<const zks::pcs::CommittedPoly*> ps;
    for (const auto& p : *made) ps.push_back(p.get());
    std::vector<zks::pcs::Claim> claims{{0, za, zks::poly::evaluate(std::span<const Fp>(a), za)},
                                        {1, zb, zks::poly::evaluate(std::span<const Fp>(b), zb)},
                                        {2, zb, zks::poly::evaluate(std::span<const Fp>(c), zb)}};
    zks::transcript::Transcript t("gpu-parity");
    auto proof = zks::pcs::open_batch(ps, claims, t, params);
    REQUIRE(proof.ok());
    return std::make_pair((*made)[0]->commitment().root, *proof);
  };
  be::set_gpu_enabled(false);
  const auto want = run(false);
  be::set_gpu_enabled(true);
  REQUIRE(zks::pcs::gpu_commitments());
  const size_t start = be::Gpu::calls(), failures = be::Gpu::failures();
  REQUIRE(run(true) == want);
  const size_t total = be::Gpu::calls() - start;
  REQUIRE(be::Gpu::failures() == failures);
  REQUIRE(total >= 5);  // three commitments, the join, rows and paths, ...
  for (size_t k = 0; k < total; ++k) {
    CAPTURE(k, total);
    be::Gpu::fail_call(be::Gpu::calls() + k);
    const auto got = run(false);
    be::Gpu::fail_call(SIZE_MAX);
    REQUIRE(got == want);
  }
}

TEST_CASE("A GPU sumcheck session reads back folded tables and refuses misuse", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(9);
  auto f = random_fp(rng, 1 << 10);
  auto h = random_fp2(rng, 1 << 10);
  auto w = random_fp2(rng, 1 << 9);
  std::vector<be::Gpu::Table> tabs{std::span<const Fp>(f), std::span<const Fp2>(h)};
  auto s = g->sumcheck(tabs, w, {});
  REQUIRE(s.ok());
  auto t0 = (*s)->table(0);  // before any challenge: the base table widened
  REQUIRE(t0.ok());
  REQUIRE(t0->size() == f.size());
  for (size_t i = 0; i < f.size(); ++i) REQUIRE((*t0)[i] == Fp2(f[i]));
  // Two binds without a round between them (the fold runs on its own), then a fused round.
  const Fp2 r0 = zks::test::rand2(rng), r1 = zks::test::rand2(rng);
  REQUIRE((*s)->bind(r0).ok());
  REQUIRE((*s)->bind(r1).ok());
  auto folded = zks::poly::fold(zks::poly::fold(std::span<const Fp2>(h), r0), r1);
  auto t1 = (*s)->table(1);
  REQUIRE(t1.ok());
  REQUIRE(*t1 == folded);
  for (unsigned i = 2; i < 10; ++i) {
    REQUIRE((*s)->round(2, false).ok());
    REQUIRE((*s)->bind(zks::test::rand2(rng)).ok());
  }
  REQUIRE_FALSE((*s)->round(2, false).ok());  // every variable is bound
  REQUIRE_FALSE((*s)->bind(Fp2::one()).ok());
  REQUIRE((*s)->table(1).ok());
  REQUIRE((*s)->table(1)->size() == 1);
  REQUIRE_FALSE((*s)->table(2).ok());  // no such factor
  REQUIRE_FALSE((*s)->round(9, false).ok());
  // Bad shapes at open.
  auto short_f = random_fp(rng, 1 << 9);
  std::vector<be::Gpu::Table> uneven{std::span<const Fp>(f), std::span<const Fp>(short_f)};
  REQUIRE_FALSE(g->sumcheck(uneven, {}, {}).ok());
  REQUIRE_FALSE(g->sumcheck(tabs, std::span<const Fp2>(w).first(3), {}).ok());
  std::vector<be::Gpu::Term> missing{{Fp2::one(), {0, 2}}};
  REQUIRE_FALSE(g->sumcheck(tabs, {}, missing).ok());
}

TEST_CASE("GPU ops refuse bad shapes with an error, never a crash", "[backend]") {
  be::Gpu g(0);  // refused before any device is touched
  std::vector<Fp> three(3);
  std::vector<Fp2> three2(3);
  REQUIRE_FALSE(g.ntt_dif(three, 3).ok());
  REQUIRE_FALSE(g.rs_encode(three, 2).ok());
  REQUIRE_FALSE(g.merkle_tree(std::span<const Fp>(three), 1).ok());
  REQUIRE_FALSE(g.fold(std::span<const Fp>(three), Fp2::one()).ok());
  REQUIRE_FALSE(g.evaluate(three, std::vector<Fp2>(2)).ok());
  std::vector<Fp2> po, qo;
  REQUIRE_FALSE(g.fraction_layer(three2, three2, po, qo).ok());
  REQUIRE_FALSE(g.product_round({three2}, {}, 1, true).ok());
  std::vector<be::Gpu::Table> none, odd{std::span<const Fp2>(three2)}, nine(9, std::span<const Fp>(three));
  REQUIRE_FALSE(g.sumcheck(none, {}, {}).ok());
  REQUIRE_FALSE(g.sumcheck(odd, {}, {}).ok());
  REQUIRE_FALSE(g.sumcheck(nine, {}, {}).ok());
  std::vector<Fp> sixty_four(64);
  REQUIRE_FALSE(g.commit(std::span<const Fp>(three), 2, 16).ok());
  REQUIRE_FALSE(g.commit(std::span<const Fp>(sixty_four), 2, 3).ok());
  REQUIRE_FALSE(g.commit(std::span<const Fp>(sixty_four), 7, 16).ok());
}

namespace {
// A device commitment of `evals` against pcs's CPU encoding: the root, every row in a
// shuffled order, the leaf digests, single paths and a multiproof.
template <typename F>
void check_device_commit(be::Gpu& g, const std::vector<F>& evals, size_t width, std::mt19937_64& rng) {
  auto got = g.commit(std::span<const F>(evals), 2, width);
  REQUIRE(got.ok());
  const auto& dc = **got;
  std::vector<F> c = evals;
  zks::pcs::detail::evals_to_coeffs(std::span<F>(c));
  const auto cw = zks::pcs::detail::rs_encode(std::span<const F>(c), 2);
  const auto t = zks::hash::MerkleTree::from_rows(std::span<const F>(cw), width);
  const size_t L = t.num_leaves();
  REQUIRE(dc.rows() == L);
  REQUIRE(dc.root() == t.root());
  REQUIRE(dc.device_bytes() >= cw.size() * sizeof(F) + 2 * L * 32);
  std::vector<size_t> order(L), leaf_nodes(L);
  for (size_t i = 0; i < L; ++i) order[i] = i, leaf_nodes[i] = L + i;
  std::shuffle(order.begin(), order.end(), rng);
  auto rows = dc.template rows<F>(order);
  REQUIRE(rows.ok());
  for (size_t i = 0; i < L; ++i)
    REQUIRE(std::equal(cw.begin() + order[i] * width, cw.begin() + (order[i] + 1) * width, rows->begin() + i * width));
  auto digests = dc.nodes(leaf_nodes);
  REQUIRE(digests.ok());
  for (size_t i = 0; i < L; ++i) REQUIRE((*digests)[i] == t.leaf(i));
  std::vector<size_t> some;
  for (int k = 0; k < 12; ++k) {
    const size_t leaf = rng() % L;
    some.push_back(leaf);
    std::vector<size_t> path;
    for (size_t node = L + leaf; node > 1; node /= 2) path.push_back(node ^ 1);
    auto got_path = dc.nodes(path);
    REQUIRE(got_path.ok());
    REQUIRE(*got_path == t.open(leaf));
  }
  std::sort(some.begin(), some.end());
  some.erase(std::unique(some.begin(), some.end()), some.end());
  auto multi = dc.nodes(zks::hash::MerkleTree::multiproof_nodes(L, some));
  REQUIRE(multi.ok());
  REQUIRE(*multi == t.open_many(some).nodes);
}
}  // namespace

TEST_CASE("GPU commitments (made and kept on the device) equal the CPU's, over Fp and Fp2", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(6);
  const size_t failures = be::Gpu::failures();
  for (unsigned lg : {0u, 1u, 5u, 13u, 18u}) {
    CAPTURE(lg);
    const size_t width = 16 > (size_t(4) << lg) ? 1 : 16;
    check_device_commit(*g, random_fp(rng, size_t(1) << lg), width, rng);
    check_device_commit(*g, random_fp2(rng, size_t(1) << lg), width, rng);
  }
  REQUIRE(be::Gpu::failures() == failures);
}

TEST_CASE("GPU joint trees equal hash::MerkleTree::from_leaves with joined rows, and refuse misfits", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(17);
  const size_t failures = be::Gpu::failures();
  // A table of 2^10 values (a codeword of 2^12 in rows of 16: 2^8 leaves), joined with:
  // a device codeword at height 2 (2^6 rows of 8), another at height 8 (the root: one
  // row), host rows at heights 0 and 2 (the same height twice, in order).
  auto lead = random_fp(rng, 1024), m1 = random_fp(rng, 128), m2 = random_fp(rng, 2);
  auto host0 = random_fp(rng, 256 * 3), host2 = random_fp(rng, 64 * 5);
  auto a = g->commit(std::span<const Fp>(lead), 2, 16);
  auto b = g->commit(std::span<const Fp>(m1), 2, 8, false), c = g->commit(std::span<const Fp>(m2), 2, 8, false);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  REQUIRE_FALSE((*b)->has_tree());
  REQUIRE_FALSE((*b)->nodes(std::vector<size_t>{1}).ok());
  auto cw = [](const std::vector<Fp>& evals) {
    std::vector<Fp> coeffs = evals;
    zks::pcs::detail::evals_to_coeffs(std::span<Fp>(coeffs));
    return zks::pcs::detail::rs_encode(std::span<const Fp>(coeffs), 2);
  };
  const auto cw_lead = cw(lead), cw1 = cw(m1), cw2 = cw(m2);
  using J = be::Gpu::Codeword::Join;
  const std::vector<J> joins{{2, b->get(), {}, 0}, {8, c->get(), {}, 0}, {0, nullptr, host0, 3}, {2, nullptr, host2, 5}};
  const std::vector<zks::hash::JoinedRows> joined{{2, zks::hash::row_bytes(cw1), 64},
                                                  {8, zks::hash::row_bytes(cw2), 64},
                                                  {0, zks::hash::row_bytes(host0), 24},
                                                  {2, zks::hash::row_bytes(host2), 40}};
  const auto want = zks::hash::MerkleTree::from_leaves(zks::hash::hash_leaves(std::span<const Fp>(cw_lead), 16), joined);
  // Misfits are refused before the device: no tree, a member at the wrong height, host
  // rows of the wrong length, a height above the root.
  REQUIRE_FALSE((*b)->join(joins).ok());
  REQUIRE_FALSE((*a)->join(std::vector<J>{{3, b->get(), {}, 0}}).ok());
  REQUIRE_FALSE((*a)->join(std::vector<J>{{0, nullptr, host2, 5}}).ok());
  REQUIRE_FALSE((*a)->join(std::vector<J>{{9, nullptr, host2, 5}}).ok());
  REQUIRE(be::Gpu::failures() == failures);
  REQUIRE((*a)->join(joins).ok());
  REQUIRE((*a)->root() == want.root());
  std::vector<size_t> all(512 - 1);
  for (size_t i = 0; i < all.size(); ++i) all[i] = i + 1;
  auto nodes = (*a)->nodes(all);
  REQUIRE(nodes.ok());
  const std::vector<size_t> some{0, 5, 6, 200, 255};
  REQUIRE(*(*a)->nodes(zks::hash::MerkleTree::multiproof_nodes(256, some)) == want.open_many(some).nodes);
  for (size_t i = 0; i < 256; ++i) REQUIRE((*nodes)[255 + i] == want.leaf(i));  // the leaves stay
  REQUIRE(be::Gpu::failures() == failures);
}

TEST_CASE("A device commitment refuses reads out of range or in the other field", "[backend][gpu]") {
  auto* g = gpu_or_skip();
  if (!g) return;
  std::mt19937_64 rng(16);
  auto evals = random_fp(rng, 64);
  auto got = g->commit(std::span<const Fp>(evals), 2, 16);  // 16 rows, 32 tree nodes
  REQUIRE(got.ok());
  const size_t failures = be::Gpu::failures();
  const std::vector<size_t> row16{16}, node0{0}, node32{32}, ok{3};
  REQUIRE_FALSE((*got)->rows<Fp>(row16).ok());
  REQUIRE_FALSE((*got)->rows<Fp2>(ok).ok());
  REQUIRE_FALSE((*got)->nodes(node0).ok());
  REQUIRE_FALSE((*got)->nodes(node32).ok());
  REQUIRE((*got)->rows<Fp>(ok).ok());
  REQUIRE((*got)->rows<Fp>({}).ok());
  REQUIRE(be::Gpu::failures() == failures);  // refused before the device, not GPU failures
}
