// Zero knowledge, stage 5's prototype: one layer with a private input proved by the
// parts of stages 1-4 together, before they are wired into the slice prover.
//
//   acc = W x               (a MatMul: its output is passed on, not committed)
//   acc + 2^(s-1) = 2^s q + rem,  rem in [0, 2^s)   (a Requant, rem by a range lookup)
//   y = f(q), f(v) = max(v - 300, 0) on [0, 2^10)   (a function lookup of (q, y))
//
// x, W, q, rem, y and the multiplicities are hiding commitments; one mask table holds
// every sumcheck's mask and S, the affine mask of acc; one hiding opening proves every
// claim, the four final masks combined into one. The verifier sees roots, masked rounds,
// masked values and the opening, never x, acc, q, rem or y.

#include <catch2/catch.hpp>
#include <random>

#include "hash/blake2b.hpp"
#include "lookup/zk_logup.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
using hash_root = zks::hash::Digest;
namespace lk = zks::lookup;
namespace pcs = zks::pcs;
namespace sc = zks::sumcheck;

namespace {

constexpr unsigned kX = pcs::kMinHidingVars;  // x has 2^13 entries
constexpr unsigned kO = 4;                    // 16 outputs
constexpr unsigned kShift = 12;               // the Requant's s
constexpr unsigned kFnVars = 10;              // f's table: v in [0, 2^10)
constexpr size_t kNx = size_t(1) << kX, kNo = size_t(1) << kO;

Fp f_of(uint64_t v) { return Fp(v > 300 ? v - 300 : 0); }

pcs::Seed seed_of(uint8_t b) {
  pcs::Seed s{};
  s.fill(b);
  return s;
}

// The public part: the shapes and the two tables.
struct Public {
  lk::ZkShape range_shape, fn_shape;
  std::vector<std::vector<Fp>> range_table, fn_table;
  std::vector<unsigned> d_reader, d_maker, d_range, d_fn;
  size_t off_maker = 0, off_range = 0, off_fn = 0, off_S = 0, mask_size = 0;

  Public() {
    range_table = {std::vector<Fp>(size_t(1) << kShift)};
    for (size_t v = 0; v < range_table[0].size(); ++v) range_table[0][v] = Fp(v);
    fn_table = {std::vector<Fp>(size_t(1) << kFnVars), std::vector<Fp>(size_t(1) << kFnVars)};
    for (size_t v = 0; v < fn_table[0].size(); ++v) fn_table[0][v] = Fp(v), fn_table[1][v] = f_of(v);
    const zks::poly::BlockLayout rows = zks::poly::PaddedShape({uint32_t(kNo)});
    range_shape = {rows, kShift, 1, kX};
    fn_shape = {rows, kFnVars, 2, kX};
    // The reader: eq(tau, o) (acc + 2^(s-1) - 2^s q - rem), acc q rem masked.
    d_reader = sc::uniform_degrees(kO, 2);
    d_reader[0] = 4;
    // The maker: W(x, r_o) x(x), both masked.
    d_maker = sc::uniform_degrees(kX, 2);
    d_maker[0] = 6;
    d_range = lk::zk_lookup_degrees(range_shape);
    d_fn = lk::zk_lookup_degrees(fn_shape);
    off_maker = sc::mask_entries(d_reader);
    off_range = off_maker + sc::mask_entries(d_maker);
    off_fn = off_range + sc::mask_entries(d_range);
    off_S = off_fn + sc::mask_entries(d_fn);
    mask_size = off_S + sc::affine_mask_entries(kO);
  }

  std::vector<sc::Term> reader_terms() const {
    // factors: acc, q, rem, and the all-ones table (the verifier's: its value is 1)
    return {{Fp2::one(), {0}}, {Fp2(Fp(uint64_t(1) << (kShift - 1))), {3}}, {-Fp2(Fp(uint64_t(1) << kShift)), {1}},
            {-Fp2::one(), {2}}};
  }
};

// What the prover sends.
struct Proof {
  hash_root root{};  // the layer's joint hiding commitment
  sc::ZkProof reader, maker;
  std::vector<Fp2> reader_evals, maker_evals;  // acc^ q^ rem^ at r_o; W^ x^ at r'
  lk::ZkProof range, fn;
  zks::util::Bytes opening;
};

// One joint hiding commitment of the layer's tables (largest first), then each lookup's
// joint commitment of its two helpers.
enum Poly : size_t { kWp, kXp, kQp, kRemp, kYp, kMRange, kMFn, kMask, kFirstHelper };

// The verifier's (and prover's) claims from what was drawn and shown.
struct Ends {
  std::vector<Fp2> r_o, r_x;
  Fp2 rho_reader, rho_maker;
  std::vector<Fp2> reader_evals, maker_evals;
  Fp2 fm_reader, fm_maker;
  lk::ZkClaims range, fn;
};

std::vector<pcs::Claim> claims_of(const Public& pub, const Ends& e, const Fp2& lambda) {
  std::vector<pcs::Claim> out;
  auto pad = [](std::vector<Fp2> p) {
    p.resize(kX, Fp2::zero());  // a 16-entry tensor in a 2^13-entry value table
    return p;
  };
  out.push_back(*pcs::masked_claim(kQp, pad(e.r_o), e.reader_evals[1]));
  out.push_back(*pcs::masked_claim(kRemp, pad(e.r_o), e.reader_evals[2]));
  std::vector<Fp2> w_point = e.r_x;
  w_point.insert(w_point.end(), e.r_o.begin(), e.r_o.end());
  out.push_back(*pcs::masked_claim(kWp, w_point, e.maker_evals[0]));
  out.push_back(*pcs::masked_claim(kXp, e.r_x, e.maker_evals[1]));
  // The lookups: rem and m_range; q, y and m_fn; their helpers.
  out.push_back(*pcs::masked_claim(kRemp, e.range.point, e.range.witness_evals[0]));
  out.push_back(*pcs::masked_claim(kMRange, e.range.point, e.range.m_eval));
  out.push_back(*pcs::masked_claim(kQp, e.fn.point, e.fn.witness_evals[0]));
  out.push_back(*pcs::masked_claim(kYp, e.fn.point, e.fn.witness_evals[1]));
  out.push_back(*pcs::masked_claim(kMFn, e.fn.point, e.fn.m_eval));
  for (size_t k = 0; k < lk::kZkHelpers; ++k) {
    out.push_back(*pcs::masked_claim(kFirstHelper + k, e.range.point, e.range.helper_evals[k]));
    out.push_back(*pcs::masked_claim(kFirstHelper + lk::kZkHelpers + k, e.fn.point, e.fn.helper_evals[k]));
  }
  // The four final masks on the mask table, one claim after lambda.
  const size_t values = size_t(1) << pcs::hiding_value_vars(pub.mask_size);
  auto placed = [&](std::span<const Fp2> w, size_t off, const Fp2& value) {
    pcs::Claim c{kMask, {}, value, std::vector<Fp2>(values, Fp2::zero())};
    std::copy(w.begin(), w.end(), c.weights.begin() + static_cast<long>(off));
    return c;
  };
  std::vector<pcs::Claim> masks;
  masks.push_back(placed(sc::final_mask_weights(pub.d_reader, e.rho_reader, e.r_o), 0, e.fm_reader));
  auto maker = placed(sc::final_mask_weights(pub.d_maker, e.rho_maker, e.r_x), pub.off_maker, e.fm_maker);
  const Fp2 k_scale = sc::mask_factor(e.r_o) * Fp2(Fp(uint64_t(1) << kX).inverse());
  const auto ws = sc::affine_mask_weights(e.r_o);
  for (size_t i = 0; i < ws.size(); ++i) maker.weights[pub.off_S + i] += k_scale * ws[i];
  masks.push_back(std::move(maker));
  masks.push_back(placed(sc::final_mask_weights(pub.d_range, e.range.rho, e.range.point), pub.off_range,
                         e.range.final_mask));
  masks.push_back(placed(sc::final_mask_weights(pub.d_fn, e.fn.rho, e.fn.point), pub.off_fn, e.fn.final_mask));
  out.push_back(pcs::combine_weighted(masks, lambda).value());
  return out;
}

// The layer's commitments as the verifier knows them before the proof: one root, and
// the members' sizes and roles fixed by the public shape (W 2^17 values, the others
// 2^13; with their masks one variable more).
std::vector<pcs::Commitment> members_of(const hash_root& root) {
  std::vector<uint32_t> joint(kFirstHelper, kX + 1);
  joint[kWp] = kX + kO + 1;
  std::vector<pcs::Commitment> out;
  for (size_t j = 0; j < kFirstHelper; ++j) out.push_back(pcs::Commitment{root, joint[j], joint, uint32_t(j)});
  return out;
}

// Everything before the first challenge: the root and the members' sizes.
Transcript statement(const hash_root& root) {
  Transcript t("zk-layer");
  t.absorb("layer.root", root);
  for (const auto& c : members_of(root)) t.absorb_u64("layer.member_vars", c.num_vars);
  return t;
}

// The prover. cheat: q raised by one at output 3 and rem lowered by 2^s to keep the
// Requant's relation (rem then leaves [0, 2^s)).
Proof prove(const Public& pub, uint64_t seed, bool cheat = false) {
  std::mt19937_64 rng(seed);
  const auto params = pcs::Params::standard();
  std::vector<Fp> x(kNx), W(kNx * kNo);
  for (auto& v : x) v = Fp(rng() % 16);
  for (auto& v : W) v = Fp(rng() % 8);
  std::vector<Fp> acc(kNo, Fp::zero()), q(kNo), rem(kNo), y(kNo);
  for (size_t o = 0; o < kNo; ++o) {
    uint64_t a = 0;
    for (size_t i = 0; i < kNx; ++i) a += W[i + kNx * o].value() * x[i].value();
    acc[o] = Fp(a);
    const uint64_t biased = a + (uint64_t(1) << (kShift - 1));
    q[o] = Fp(biased >> kShift);
    rem[o] = Fp(biased & ((uint64_t(1) << kShift) - 1));
  }
  if (cheat) q[3] += Fp::one(), rem[3] -= Fp(uint64_t(1) << kShift);
  for (size_t o = 0; o < kNo; ++o) y[o] = f_of(q[o].value() < 1024 ? q[o].value() : 0);
  // Multiplicities over the argument's 2^13 rows (the tables zero-extended).
  std::vector<Fp> m_range(kNx, Fp::zero()), m_fn(kNx, Fp::zero());
  for (size_t o = 0; o < kNo; ++o) {
    if (rem[o].value() < (uint64_t(1) << kShift)) m_range[rem[o].value()] += Fp::one();
    if (q[o].value() < (uint64_t(1) << kFnVars)) m_fn[q[o].value()] += Fp::one();
  }
  std::vector<Fp> mask(pub.mask_size);
  for (auto& v : mask) v = Fp(rng());

  // Every table padded to the argument's 2^13 (W to 2^17) before the joint commitment.
  std::vector<std::vector<Fp>> tables = {W, x, q, rem, y, m_range, m_fn, mask};
  for (auto& tb : tables) tb.resize(std::max(tb.size(), kNx), Fp::zero());
  const std::vector<std::span<const Fp>> spans(tables.begin(), tables.end());
  const auto cp = pcs::commit_joint_hiding(spans, seed_of(1), params).value();
  Proof pf;
  pf.root = cp[0]->commitment().root;
  for (size_t j = 0; j < kFirstHelper; ++j) REQUIRE(cp[j]->commitment() == members_of(pf.root)[j]);
  Transcript t = statement(pf.root);
  auto values = [&](size_t j) { return cp[j]->evaluations().first(cp[j]->evaluations().size() / 2); };
  auto masks = [&](size_t j) { return cp[j]->evaluations().subspan(cp[j]->evaluations().size() / 2); };
  const auto T = values(kMask);
  const auto root = pf.root;

  // The Requant's zerocheck (the reader of acc).
  const auto S = sc::affine_mask_table(T.subspan(pub.off_S, sc::affine_mask_entries(kO)), kO);
  std::vector<Fp2> tau = t.challenges("layer.tau", kO);
  const std::vector<Fp> ones(kNo, Fp::one());
  sc::MaskedInstance reader{
      {{std::span<const Fp>(acc), values(kQp).first(kNo), values(kRemp).first(kNo), std::span<const Fp>(ones)},
       pub.reader_terms(),
       tau},
      {std::span<const Fp2>(S), masks(kQp).first(kNo), masks(kRemp).first(kNo), std::span<const Fp>()}};
  REQUIRE(sc::masked_degrees(reader) == pub.d_reader);
  auto orr = sc::prove_zk(reader, Fp2::zero(), sc::Mask(T.subspan(0, pub.off_maker), pub.d_reader), root, t);
  pf.reader = orr.proof;
  pf.reader_evals.assign(orr.factor_evals.begin(), orr.factor_evals.begin() + 3);  // not the ones' 1
  t.absorb("layer.reader_evals", std::span<const Fp2>(pf.reader_evals));
  // The MatMul (the maker of acc), proving acc^(r_o) with the secret offset c S(r_o).
  const auto& r_o = orr.point;
  const auto e = zks::poly::eq_table(r_o);
  std::vector<Fp2> W_r(kNx, Fp2::zero()), RW_r(kNx, Fp2::zero());
  const auto Wv = values(kWp), WR = masks(kWp);
  for (size_t o = 0; o < kNo; ++o)
    for (size_t i = 0; i < kNx; ++i) W_r[i] += e[o] * Wv[i + kNx * o], RW_r[i] += e[o] * WR[i + kNx * o];
  sc::MaskedInstance maker{{{std::span<const Fp2>(W_r), values(kXp)}, {}, {}},
                           {std::span<const Fp2>(RW_r), masks(kXp)}};
  REQUIRE(sc::masked_degrees(maker) == pub.d_maker);
  const Fp2 K = sc::mask_factor(r_o) * zks::poly::evaluate(std::span<const Fp2>(S), r_o);
  auto om = sc::prove_zk(maker, pf.reader_evals[0], sc::Mask(T.subspan(pub.off_maker, pub.off_range - pub.off_maker),
                                                             pub.d_maker),
                         root, t, K);
  pf.maker = om.proof;
  pf.maker_evals = om.factor_evals;
  t.absorb("layer.maker_evals", std::span<const Fp2>(pf.maker_evals));
  // The two lookups.
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> helpers;
  auto lookup = [&](const lk::ZkShape& shape, std::vector<const pcs::CommittedPoly*> witness, size_t m,
                    const std::vector<std::vector<Fp>>& table, size_t off, const std::vector<unsigned>& deg,
                    uint8_t s) {
    lk::ZkInput in{std::move(witness), cp[m].get(), {}, root};
    for (const auto& col : table) in.table.push_back(col);
    auto out = lk::prove_zk(shape, in, sc::Mask(T.subspan(off, sc::mask_entries(deg)), deg), seed_of(s), params, t);
    REQUIRE(out.ok());
    for (auto& h : out->helpers) helpers.push_back(std::move(h));
    return std::make_pair(out->proof, out->claims);
  };
  auto [range_proof, range_claims] = lookup(pub.range_shape, {cp[kRemp].get()}, kMRange, pub.range_table, pub.off_range,
                                            pub.d_range, 40);
  auto [fn_proof, fn_claims] =
      lookup(pub.fn_shape, {cp[kQp].get(), cp[kYp].get()}, kMFn, pub.fn_table, pub.off_fn, pub.d_fn, 41);
  pf.range = range_proof;
  pf.fn = fn_proof;
  // One opening of everything.
  const Fp2 lambda = t.challenge("layer.lambda");
  Ends ends{r_o, om.point, orr.rho, om.rho, pf.reader_evals, pf.maker_evals, pf.reader.final_mask, pf.maker.final_mask,
            range_claims, fn_claims};
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (auto& c : cp) ptrs.push_back(c.get());
  for (auto& h : helpers) ptrs.push_back(h.get());
  pf.opening = pcs::open_hiding(ptrs, claims_of(pub, ends, lambda), t, params, seed_of(50)).value();
  return pf;
}

zks::Status verify(const Public& pub, const Proof& pf) {
  const auto params = pcs::Params::standard();
  if (pf.reader_evals.size() != 3 || pf.maker_evals.size() != 2) return zks::make_error("layer: malformed proof");
  const auto members = members_of(pf.root);  // the verifier's own: sizes and roles are the shape's
  Transcript t = statement(pf.root);
  const auto root = pf.root;
  std::vector<Fp2> tau = t.challenges("layer.tau", kO);
  auto s1 = sc::verify_zk(Fp2::zero(), pub.d_reader, root, pf.reader, t);
  if (!s1.ok()) return zks::make_error(s1.error());
  std::vector<Fp2> reader_evals = pf.reader_evals;
  reader_evals.push_back(Fp2::one());
  ZK_TRY(sc::check_final(*s1, reader_evals, tau, pub.reader_terms()));
  t.absorb("layer.reader_evals", std::span<const Fp2>(pf.reader_evals));
  auto s2 = sc::verify_zk(pf.reader_evals[0], pub.d_maker, root, pf.maker, t);
  if (!s2.ok()) return zks::make_error(s2.error());
  ZK_TRY(sc::check_final(*s2, pf.maker_evals, {}));
  t.absorb("layer.maker_evals", std::span<const Fp2>(pf.maker_evals));
  const lk::ZkCommitments range_comms{{members[kRemp]}, members[kMRange], root};
  auto range = lk::verify_zk(pub.range_shape, pub.range_table, range_comms, pf.range, t);
  if (!range.ok()) return zks::make_error("range lookup: " + range.error());
  const lk::ZkCommitments fn_comms{{members[kQp], members[kYp]}, members[kMFn], root};
  auto fn = lk::verify_zk(pub.fn_shape, pub.fn_table, fn_comms, pf.fn, t);
  if (!fn.ok()) return zks::make_error("function lookup: " + fn.error());
  const Fp2 lambda = t.challenge("layer.lambda");
  zks::transcript::charge_powers(t, 4);
  const Ends ends{s1->point, s2->point, s1->rho, s2->rho, pf.reader_evals, pf.maker_evals, pf.reader.final_mask,
                  pf.maker.final_mask, *range, *fn};
  std::vector<pcs::Commitment> comms = members;
  for (const auto& h : range->helpers) comms.push_back(h);
  for (const auto& h : fn->helpers) comms.push_back(h);
  return pcs::verify_hiding(comms, claims_of(pub, ends, lambda), pf.opening, t, params);
}

}  // namespace

TEST_CASE("a layer with a private input proved in zero knowledge: MatMul, Requant, lookups", "[lookup][zk][layer]") {
  const Public pub;
  const Proof pf = prove(pub, 1);
  auto st = verify(pub, pf);
  INFO(st.error());
  REQUIRE(st.ok());
  SECTION("a value passed on, a masked value, a lookup's value or the opening changed: rejected") {
    auto p = pf;
    p.reader_evals[0] += Fp2::one();
    CHECK_FALSE(verify(pub, p).ok());
    p = pf;
    p.maker_evals[1] += Fp2::one();
    CHECK_FALSE(verify(pub, p).ok());
    p = pf;
    p.fn.masked_evals.at(lk::kZkHelpers + 1) += Fp2::one();  // q's
    CHECK_FALSE(verify(pub, p).ok());
    p = pf;
    p.opening[p.opening.size() / 2] ^= 1;
    CHECK_FALSE(verify(pub, p).ok());
  }
  SECTION("another root: rejected (the verifier builds the members' commitments itself)") {
    auto p = pf;
    p.root[0] ^= 1;
    CHECK_FALSE(verify(pub, p).ok());
  }
}

TEST_CASE("a layer whose Requant is off by one is rejected by the range lookup", "[lookup][zk][layer][tamper]") {
  // q one more and rem 2^s less keep acc + 2^(s-1) = 2^s q + rem; rem leaves [0, 2^s).
  const Public pub;
  const Proof pf = prove(pub, 2, /*cheat=*/true);
  auto st = verify(pub, pf);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error(), Catch::Contains("range lookup: zk lookup"));
}
