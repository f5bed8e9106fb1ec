#include "lookup/zk_logup.hpp"

#include <cmath>
#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::lookup {

namespace {

constexpr unsigned kMaxZkVars = 30;
constexpr unsigned kMaxZkColumns = 8;
const Fp2 kX(Fp::zero(), Fp::one());  // F_{p^2}'s generator: h = h0 + h1 X

// The factors of the sumcheck, in this order. Each helper enters as one F_{p^2} table
// h = h0 + h1 X (masked by R0 + R1 X), though it is committed as two F_p tables.
enum Factor : unsigned { kEq, kSel, kTableSel, kHw, kHt, kM, kFirstWitness };
// The proof's masked values: h_w0, h_w1, h_t0, h_t1 (what the opening proves), m, then
// each witness column.
constexpr size_t kHelperEvals = 4;
size_t num_masked_evals(const ZkShape& s) { return kHelperEvals + 1 + s.columns; }
unsigned witness_factor(unsigned c) { return kFirstWitness + c; }
unsigned table_factor(const ZkShape& s, unsigned c) { return kFirstWitness + s.columns + c; }
size_t num_factors(const ZkShape& s) { return kFirstWitness + 2 * size_t(s.columns); }

Status check_zk_shape(const ZkShape& s) {
  if (s.columns == 0 || s.columns > kMaxZkColumns)
    return make_error("zk lookup: " + std::to_string(s.columns) + " columns out of range");
  if (s.num_vars < 1 || s.num_vars > kMaxZkVars)
    return make_error("zk lookup: 2^" + std::to_string(s.num_vars) + " rows out of range");
  if (s.witness.num_vars() > s.num_vars || s.table_vars > s.num_vars)
    return make_error("zk lookup: the witness (2^" + std::to_string(s.witness.num_vars()) + ") or the table (2^" +
                      std::to_string(s.table_vars) + ") exceeds the argument's 2^" + std::to_string(s.num_vars) +
                      " rows");
  if (s.witness.blocks().size() > 64) return make_error("zk lookup: more than 64 witness blocks");
  return Status{};
}

// Which factors carry a mask: the helpers, m and the witness columns; not eq, the
// selectors or the public table.
std::vector<char> masked_factors(const ZkShape& s) {
  std::vector<char> out(num_factors(s), 0);
  for (unsigned j = kHw; j < kFirstWitness + s.columns; ++j) out[j] = 1;
  return out;
}

// The batched constraint as terms (see the header), gamma's powers applied.
std::vector<sumcheck::Term> terms_of(const ZkShape& s, const Fp2& alpha, const Fp2& beta, const Fp2& gamma) {
  std::vector<sumcheck::Term> terms;
  const Fp2 g2 = gamma * gamma;
  auto side = [&](const Fp2& g, unsigned h, unsigned (*col)(const ZkShape&, unsigned), unsigned num) {
    terms.push_back({g * alpha, {kEq, h}});
    Fp2 bp = Fp2::one();
    for (unsigned c = 0; c < s.columns; ++c, bp *= beta) terms.push_back({-(g * bp), {kEq, h, col(s, c)}});
    terms.push_back({-g, {kEq, num}});
  };
  side(Fp2::one(), kHw, [](const ZkShape&, unsigned c) { return witness_factor(c); }, kSel);
  side(gamma, kHt, table_factor, kM);
  // The table side's numerator is m times [row < 2^table_vars]: rows of the
  // zero-extension are not table rows, whatever m holds there (else a zero row could be
  // looked up in a table without one).
  terms.back().factors.push_back(kTableSel);
  terms.push_back({g2, {kHw}});
  terms.push_back({-g2, {kHt}});
  return terms;
}

std::vector<unsigned> degrees_of(const ZkShape& s) {
  // The largest term is eq h w_c: 3, and in round 0 1 + 3 + 3 (h and w_c masked).
  const auto m = masked_factors(s);
  const auto terms = terms_of(s, Fp2::one(), Fp2::one(), Fp2::one());
  auto d = sumcheck::uniform_degrees(s.num_vars, sumcheck::degree_of(num_factors(s), terms, false));
  d[0] = sumcheck::first_round_degree(terms, m, false);
  return d;
}

// A table of 2^k entries zero-extended to 2^n: its MLE at r is its own at r's first k
// coordinates times prod of (1 - r_i) over the rest.
Fp2 extended_eval(std::span<const Fp> table, unsigned k, std::span<const Fp2> r) {
  Fp2 v = poly::evaluate(table, r.first(k));
  for (size_t i = k; i < r.size(); ++i) v *= Fp2::one() - r[i];
  return v;
}

// Everything before alpha: the shape and the commitments the lookup relies on.
void absorb_statement(transcript::Transcript& t, const ZkShape& s, std::span<const pcs::Commitment> witness,
                      const pcs::Commitment& m) {
  util::ByteWriter w = detail::shape_bytes(s.witness, s.table_vars, s.columns);
  w.u32(s.num_vars);
  t.absorb_bytes("logup.zk.shape", w.bytes());
  auto absorb = [&](std::string_view label, const pcs::Commitment& c) {  // a joint stack's member by its index
    t.absorb(label, c.root);
    t.absorb_u64(label, (uint64_t(c.member) << 32) | c.num_vars);
    t.absorb_u64(label, c.joint.size());
    for (uint32_t n : c.joint) t.absorb_u64(label, n);
  };
  for (const auto& c : witness) absorb("logup.zk.witness", c);
  absorb("logup.zk.m", m);
}

Status check_commitments(const ZkShape& s, std::span<const pcs::Commitment> witness, const pcs::Commitment& m) {
  if (witness.size() != s.columns)
    return make_error("zk lookup: " + std::to_string(witness.size()) + " witness commitments for " +
                      std::to_string(s.columns) + " columns");
  for (const auto& c : witness)
    if (c.num_vars != s.num_vars + 1)
      return make_error("zk lookup: a witness column is not a hiding commitment of 2^" + std::to_string(s.num_vars) +
                        " values");
  if (m.num_vars != s.num_vars + 1)
    return make_error("zk lookup: m is not a hiding commitment of 2^" + std::to_string(s.num_vars) + " values");
  return Status{};
}

// alpha and beta, charged as LogUp's (their error follows the rows on both sides).
std::pair<Fp2, Fp2> draw_alpha_beta(transcript::Transcript& t, const ZkShape& s, bool charge) {
  const Fp2 alpha = t.challenge("logup.zk.alpha"), beta = t.challenge("logup.zk.beta");
  if (charge) {
    const double rows = std::ldexp(1.0, int(s.num_vars)) * 2;
    transcript::charge(t, transcript::SoundnessLedger::Check::Lookup,
                       rows * std::max(1u, s.columns - 1) * transcript::inverse_field_size(), 2);
  }
  return {alpha, beta};
}

}  // namespace

std::vector<unsigned> zk_lookup_degrees(const ZkShape& shape) {
  ZK_ASSERT(check_zk_shape(shape).ok());
  return degrees_of(shape);
}

void ZkProof::write(util::ByteWriter& w) const {
  w.raw(helper_root);
  sumcheck.write(w);
  for (const auto& v : masked_evals) field::write(w, v);
}

Result<ZkProof> ZkProof::read(util::ByteReader& r, const ZkShape& shape) {
  ZK_TRY(check_zk_shape(shape));
  ZkProof p;
  if (!r.raw(p.helper_root)) return make_error("zk lookup: the helpers' root is truncated");
  auto sc = sumcheck::ZkProof::read(r, degrees_of(shape));
  if (!sc.ok()) return make_error("zk lookup: " + sc.error());
  p.sumcheck = std::move(*sc);
  p.masked_evals.resize(num_masked_evals(shape));
  for (auto& v : p.masked_evals)
    if (Status st = field::read(r, v); !st) return make_error("zk lookup: the masked evaluations: " + st.error());
  return p;
}

Result<ZkProverOutput> prove_zk(const ZkShape& shape, const ZkInput& in, const sumcheck::Mask& mask,
                                const pcs::Seed& seed, const pcs::Params& params, transcript::Transcript& t) {
  ZK_TRY(check_zk_shape(shape));
  const unsigned n = shape.num_vars;
  const size_t N = size_t(1) << n;
  if (in.witness.size() != shape.columns || in.table.size() != shape.columns || in.m == nullptr)
    return make_error("zk lookup: " + std::to_string(in.witness.size()) + " witness and " +
                      std::to_string(in.table.size()) + " table columns for " + std::to_string(shape.columns));
  auto values = [&](const pcs::CommittedPoly* p) { return p->evaluations().first(N); };
  auto masks = [&](const pcs::CommittedPoly* p) { return p->evaluations().subspan(N); };
  std::vector<pcs::Commitment> witness_comms;
  for (const pcs::CommittedPoly* p : in.witness) {
    if (p == nullptr) return make_error("zk lookup: a witness column is missing");
    witness_comms.push_back(p->commitment());
  }
  ZK_TRY(check_commitments(shape, witness_comms, in.m->commitment()));
  for (auto col : in.table)
    if (col.size() != (size_t(1) << shape.table_vars)) return make_error("zk lookup: a table column has the wrong size");
  if (mask.degrees() != degrees_of(shape)) return make_error("zk lookup: the mask has the wrong shape");

  absorb_statement(t, shape, witness_comms, in.m->commitment());
  const auto [alpha, beta] = draw_alpha_beta(t, shape, false);

  // The helpers, with one inversion for all (zero denominators are refused).
  const std::vector<uint8_t> real = shape.witness.real_mask();
  std::vector<Fp2> den_w(N), den_t(N);
  auto& pool = util::ThreadPool::global();
  std::vector<std::span<const Fp>> w_values;
  for (const pcs::CommittedPoly* w : in.witness) w_values.push_back(values(w));
  pool.parallel_for(N, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      Fp2 cw = Fp2::zero(), ct = Fp2::zero(), bp = Fp2::one();
      for (unsigned c = 0; c < shape.columns; ++c, bp *= beta) {
        cw += bp * w_values[c][i];
        if (i < in.table[c].size()) ct += bp * in.table[c][i];
      }
      den_w[i] = alpha - cw;
      den_t[i] = alpha - ct;
    }
  }, 1 << 12);
  for (size_t i = 0; i < N; ++i) {
    if (den_w[i].is_zero()) return make_error("zk lookup: witness row " + std::to_string(i) + " is alpha");
    if (den_t[i].is_zero()) return make_error("zk lookup: table row " + std::to_string(i) + " is alpha");
  }
  field::batch_inverse(std::span<Fp2>(den_w));
  field::batch_inverse(std::span<Fp2>(den_t));
  std::array<std::vector<Fp>, 4> h;
  for (auto& v : h) v.resize(N);
  const auto m_values = values(in.m);
  pool.parallel_for(N, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      const Fp2 hw = (i < real.size() && real[i]) ? den_w[i] : Fp2::zero();
      const Fp2 ht = i >> shape.table_vars ? Fp2::zero() : den_t[i] * m_values[i];
      h[0][i] = hw.c0(), h[1][i] = hw.c1(), h[2][i] = ht.c0(), h[3][i] = ht.c1();
    }
  }, 1 << 12);
  if (in.tamper_helpers) in.tamper_helpers(h);
  ZkProverOutput out;
  {
    // The masks from the seed and the transcript's state (this lookup's statement and
    // challenges): two lookups under one seed must not share them. One joint
    // commitment, member k's mask from (that seed, k).
    hash::Hasher derive(hash::Domain::Mask);
    derive.update(seed).update(t.state());
    const std::vector<std::span<const Fp>> tables(h.begin(), h.end());
    auto joint = pcs::commit_joint_hiding(tables, derive.finalize(), params);
    if (!joint.ok()) return make_error("zk lookup: " + joint.error());
    out.helpers = std::move(*joint);
    out.proof.helper_root = out.helpers[0]->commitment().root;
    for (size_t k = 0; k < 4; ++k) out.claims.helpers[k] = out.helpers[k]->commitment();
  }
  t.absorb("logup.zk.helper", out.proof.helper_root);
  const std::vector<Fp2> tau = t.challenges("logup.zk.tau", n);
  const Fp2 gamma = t.challenge("logup.zk.gamma");

  // The instance: eq and the selector as tables, the public table zero-extended.
  const std::vector<Fp2> eq = poly::eq_table(tau);
  std::vector<Fp> sel(N, Fp::zero()), table_sel(N, Fp::zero());
  for (size_t i = 0; i < real.size(); ++i) sel[i] = real[i] ? Fp::one() : Fp::zero();
  std::fill(table_sel.begin(), table_sel.begin() + (ptrdiff_t(1) << shape.table_vars), Fp::one());
  std::vector<std::vector<Fp>> table(shape.columns, std::vector<Fp>(N, Fp::zero()));
  for (unsigned c = 0; c < shape.columns; ++c) std::copy(in.table[c].begin(), in.table[c].end(), table[c].begin());
  // The helpers as F_{p^2} tables h0 + h1 X, their masks likewise.
  auto helper_value = [&](size_t k) { return out.helpers[k]->evaluations().first(N); };
  auto helper_mask = [&](size_t k) { return out.helpers[k]->evaluations().subspan(N); };
  std::array<std::vector<Fp2>, 4> joined;  // h_w, R_w, h_t, R_t
  for (auto& v : joined) v.resize(N);
  pool.parallel_for(N, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      joined[0][i] = Fp2(helper_value(0)[i], helper_value(1)[i]), joined[1][i] = Fp2(helper_mask(0)[i], helper_mask(1)[i]);
      joined[2][i] = Fp2(helper_value(2)[i], helper_value(3)[i]), joined[3][i] = Fp2(helper_mask(2)[i], helper_mask(3)[i]);
    }
  }, 1 << 12);
  sumcheck::MaskedInstance mi;
  mi.inst.factors = {std::span<const Fp2>(eq), std::span<const Fp>(sel), std::span<const Fp>(table_sel),
                     std::span<const Fp2>(joined[0]), std::span<const Fp2>(joined[2])};
  mi.masks = {{}, {}, {}, std::span<const Fp2>(joined[1]), std::span<const Fp2>(joined[3])};
  mi.inst.factors.emplace_back(m_values);
  mi.masks.push_back(masks(in.m));
  for (const pcs::CommittedPoly* w : in.witness) {
    mi.inst.factors.emplace_back(values(w));
    mi.masks.push_back(masks(w));
  }
  for (const auto& col : table) {
    mi.inst.factors.emplace_back(std::span<const Fp>(col));
    mi.masks.emplace_back();
  }
  mi.inst.terms = terms_of(shape, alpha, beta, gamma);
  auto sc = sumcheck::prove_zk(mi, Fp2::zero(), mask, in.mask_root, t);
  out.proof.sumcheck = std::move(sc.proof);
  // Each helper table's own masked value f~(r) + c R~(r), which the opening proves; the
  // sumcheck's h^ = h0^ + h1^ X.
  const Fp2 c = sumcheck::mask_factor(sc.point);
  for (size_t k = 0; k < kHelperEvals; ++k)
    out.proof.masked_evals.push_back(poly::evaluate(helper_value(k), sc.point) +
                                     c * poly::evaluate(helper_mask(k), sc.point));
  ZK_ASSERT(sc.factor_evals[kHw] == out.proof.masked_evals[0] + kX * out.proof.masked_evals[1]);
  ZK_ASSERT(sc.factor_evals[kHt] == out.proof.masked_evals[2] + kX * out.proof.masked_evals[3]);
  out.proof.masked_evals.insert(out.proof.masked_evals.end(), sc.factor_evals.begin() + kM,
                                sc.factor_evals.begin() + kFirstWitness + shape.columns);
  t.absorb("logup.zk.masked_evals", std::span<const Fp2>(out.proof.masked_evals));
  out.claims.point = sc.point;
  for (size_t k = 0; k < kHelperEvals; ++k) out.claims.helper_evals[k] = out.proof.masked_evals[k];
  out.claims.m_eval = sc.factor_evals[kM];
  out.claims.witness_evals.assign(sc.factor_evals.begin() + kFirstWitness,
                                  sc.factor_evals.begin() + kFirstWitness + shape.columns);
  out.claims.final_mask = out.proof.sumcheck.final_mask;
  out.claims.rho = sc.rho;
  return out;
}

Result<ZkClaims> verify_zk(const ZkShape& shape, std::span<const std::vector<Fp>> table, const ZkCommitments& comms,
                           const ZkProof& proof, transcript::Transcript& t) {
  ZK_TRY(check_zk_shape(shape));
  ZK_TRY(check_commitments(shape, comms.witness, comms.m));
  const unsigned n = shape.num_vars;
  if (table.size() != shape.columns) return make_error("zk lookup: wrong number of table columns");
  for (const auto& col : table)
    if (col.size() != (size_t(1) << shape.table_vars)) return make_error("zk lookup: a table column has the wrong size");
  if (proof.masked_evals.size() != num_masked_evals(shape))
    return make_error("zk lookup: wrong number of masked evaluations");
  absorb_statement(t, shape, comms.witness, comms.m);
  const auto [alpha, beta] = draw_alpha_beta(t, shape, true);
  t.absorb("logup.zk.helper", proof.helper_root);
  const std::vector<Fp2> tau = t.challenges("logup.zk.tau", n);
  transcript::charge_point(t, n);
  const Fp2 gamma = t.challenge("logup.zk.gamma");
  transcript::charge_powers(t, 3);
  auto sub = sumcheck::verify_zk(Fp2::zero(), degrees_of(shape), comms.mask_root, proof.sumcheck, t);
  if (!sub.ok()) return make_error("zk lookup: " + sub.error());
  // Every factor's value at r: eq, the selector and the table computed here, the
  // masked ones from the proof (checked by the caller's opening).
  const auto& r = sub->point;
  std::vector<Fp2> evals(num_factors(shape));
  evals[kEq] = poly::eq_eval(tau, r);
  const unsigned wv = shape.witness.num_vars();
  evals[kSel] = shape.witness.selector(std::span<const Fp2>(r).first(wv));
  for (size_t i = wv; i < n; ++i) evals[kSel] *= Fp2::one() - r[i];
  evals[kTableSel] = Fp2::one();
  for (size_t i = shape.table_vars; i < n; ++i) evals[kTableSel] *= Fp2::one() - r[i];
  const auto& me = proof.masked_evals;
  evals[kHw] = me[0] + kX * me[1];
  evals[kHt] = me[2] + kX * me[3];
  std::copy(me.begin() + kHelperEvals, me.end(), evals.begin() + kM);
  for (unsigned c = 0; c < shape.columns; ++c)
    evals[table_factor(shape, c)] = extended_eval(table[c], shape.table_vars, r);
  const auto terms = terms_of(shape, alpha, beta, gamma);
  if (Status st = sumcheck::check_final(*sub, evals, {}, terms); !st)
    return make_error("zk lookup: " + st.error() + " (a looked-up row is not in the table, or a helper is wrong)");
  t.absorb("logup.zk.masked_evals", std::span<const Fp2>(proof.masked_evals));
  ZkClaims out;
  out.point = r;
  for (size_t k = 0; k < 4; ++k) {
    out.helpers[k] = pcs::Commitment{proof.helper_root, n + 1, std::vector<uint32_t>(4, n + 1), uint32_t(k)};
    out.helper_evals[k] = proof.masked_evals[k];
  }
  out.m_eval = me[kHelperEvals];
  out.witness_evals.assign(me.begin() + kHelperEvals + 1, me.end());
  out.final_mask = proof.sumcheck.final_mask;
  out.rho = sub->rho;
  return out;
}

}  // namespace zks::lookup
