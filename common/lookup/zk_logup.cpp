#include "lookup/zk_logup.hpp"

#include <atomic>
#include <bit>
#include <cmath>
#include <deque>
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

// The factors of the sumcheck, in this order (kWeight is the table side's public u).
// h_w enters as one F_{p^2} table h0 + h1 X (masked by R0 + R1 X), though it is
// committed as two F_p tables.
enum Factor : unsigned { kEq, kSel, kWeight, kHw, kM, kFirstWitness };
// The proof's masked values: h_w0, h_w1 (what the opening proves), m, then each witness
// column.
size_t num_masked_evals(const ZkShape& s) { return kZkHelpers + 1 + s.columns; }
unsigned witness_factor(unsigned c) { return kFirstWitness + c; }
size_t num_factors(const ZkShape& s) { return kFirstWitness + size_t(s.columns); }

Status check_zk_shape(const ZkShape& s) {
  if (s.columns == 0 || s.columns > kMaxZkColumns)
    return make_error("zk lookup: " + std::to_string(s.columns) + " columns out of range");
  if (s.num_vars < 1 || s.num_vars > kMaxZkVars)
    return make_error("zk lookup: 2^" + std::to_string(s.num_vars) + " rows out of range");
  if (s.witness.num_vars() > s.num_vars || s.table_vars > s.num_vars)
    return make_error("zk lookup: the witness (2^" + std::to_string(s.witness.num_vars()) + ") or the table (2^" +
                      std::to_string(s.table_vars) + ") exceeds the argument's 2^" + std::to_string(s.num_vars) +
                      " rows");
  if (s.witness.blocks().size() > kMaxZkBlocks)
    return make_error("zk lookup: more than " + std::to_string(kMaxZkBlocks) + " witness blocks");
  return Status{};
}

// Which factors carry a mask: h_w, m and the witness columns; not eq, the selector or
// the table's weights.
std::vector<char> masked_factors(const ZkShape& s) {
  std::vector<char> out(num_factors(s), 0);
  for (unsigned j = kHw; j < kFirstWitness + s.columns; ++j) out[j] = 1;
  return out;
}

// The batched constraint as terms (see the header), gamma's powers applied.
std::vector<sumcheck::Term> terms_of(const ZkShape& s, const Fp2& alpha, const Fp2& beta, const Fp2& gamma) {
  std::vector<sumcheck::Term> terms;
  terms.push_back({alpha, {kEq, kHw}});
  Fp2 bp = Fp2::one();
  for (unsigned c = 0; c < s.columns; ++c, bp *= beta) terms.push_back({-bp, {kEq, kHw, witness_factor(c)}});
  terms.push_back({-Fp2::one(), {kEq, kSel}});
  terms.push_back({gamma, {kHw}});
  terms.push_back({-gamma, {kM, kWeight}});
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
template <class T>
Fp2 extended_eval(std::span<const T> table, unsigned k, std::span<const Fp2> r) {
  Fp2 v = poly::evaluate(table, r.first(k));
  for (size_t i = k; i < r.size(); ++i) v *= Fp2::one() - r[i];
  return v;
}

// Everything before alpha but the shape (zk_challenges): the commitments the lookup
// relies on.
void absorb_commitments(transcript::Transcript& t, std::span<const pcs::Commitment> witness, const pcs::Commitment& m) {
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

Status check_table(const ZkShape& s, size_t columns, auto size_of) {
  if (columns != s.columns) return make_error("zk lookup: wrong number of table columns");
  for (size_t c = 0; c < columns; ++c)
    if (size_of(c) != (size_t(1) << s.table_vars)) return make_error("zk lookup: a table column has the wrong size");
  return Status{};
}

// A table read zero-extended to 2^num_vars: a power of two entries, at least `least`, at
// most 2^num_vars, its mask as long.
Status check_extended(const ZkShape& s, std::span<const Fp> values, std::span<const Fp> mask, size_t least,
                      const std::string& what) {
  if (!std::has_single_bit(values.size()) || values.size() < least || values.size() > (size_t(1) << s.num_vars) ||
      mask.size() != values.size())
    return make_error("zk lookup: " + what + " has " + std::to_string(values.size()) + " values and " +
                      std::to_string(mask.size()) + " mask values (a power of two from " + std::to_string(least) +
                      " to 2^" + std::to_string(s.num_vars) + ", each)");
  return Status{};
}

Status check_witness(const ZkShape& s, const ZkTables& in) {
  if (in.witness.size() != s.columns || in.witness_mask.size() != s.columns)
    return make_error("zk lookup: " + std::to_string(in.witness.size()) + " witness columns for " +
                      std::to_string(s.columns));
  for (unsigned c = 0; c < s.columns; ++c)
    ZK_TRY(check_extended(s, in.witness[c], in.witness_mask[c], s.witness.padded_size(), "a witness column"));
  return Status{};
}

Status check_tables(const ZkShape& s, const ZkTables& in, std::span<const std::span<const Fp>> table) {
  ZK_TRY(check_witness(s, in));
  ZK_TRY(check_extended(s, in.m, in.m_mask, size_t(1) << s.table_vars, "m"));
  return check_table(s, table.size(), [&](size_t c) { return table[c].size(); });
}

// A table zero-extended to 2^n entries.
std::vector<Fp> zero_extended(std::span<const Fp> v, size_t n) {
  std::vector<Fp> out(n, Fp::zero());
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

// beta's powers 1, beta, beta^2, ... for each column.
std::vector<Fp2> beta_powers(unsigned columns, const Fp2& beta) {
  std::vector<Fp2> out(columns, Fp2::one());
  for (unsigned c = 1; c < columns; ++c) out[c] = out[c - 1] * beta;
  return out;
}

// alpha - c(row i) of columns `cols`, c(row) = sum_c beta^c row_c.
template <class Columns>
Fp2 denominator(const Columns& cols, std::span<const Fp2> bp, const Fp2& alpha, size_t i) {
  Fp2 v = alpha - Fp2(cols[0][i]);
  for (size_t c = 1; c < bp.size(); ++c) v -= bp[c] * cols[c][i];
  return v;
}

// The table side's weights u[j] = 1 / (alpha - c(t_j)), one for each of the table's
// 2^table_vars rows (zero past them: the argument's rows beyond the table are not table
// rows, whatever m holds there). Refused, naming the row, where a denominator is zero.
template <class Column>
Result<std::vector<Fp2>> table_weights(const ZkShape& s, std::span<const Column> table, const ZkChallenges& ch) {
  const size_t T = size_t(1) << s.table_vars;
  std::vector<Fp2> u(T);
  std::atomic<size_t> zero_row{T};
  const auto bp = beta_powers(s.columns, ch.beta);
  // Each piece inverted on its own (one inversion a piece), pieces in parallel.
  util::ThreadPool::global().parallel_for(T, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      u[i] = denominator(table, bp, ch.alpha, i);
      if (u[i].is_zero()) {
        zero_row = i;
        return;
      }
    }
    field::batch_inverse(std::span<Fp2>(u).subspan(lo, hi - lo));
  }, 1 << 12);
  if (zero_row != T) return make_error("zk lookup: table row " + std::to_string(zero_row) + " is alpha");
  return u;
}

// The tables of committed polynomials (values, then mask), as prove_zk is given them.
ZkTables tables_of(const ZkShape& s, const ZkInput& in) {
  const size_t N = size_t(1) << s.num_vars;
  ZkTables out;
  for (const pcs::CommittedPoly* p : in.witness) {
    out.witness.push_back(p->evaluations().first(N));
    out.witness_mask.push_back(p->evaluations().subspan(N));
  }
  out.m = in.m->evaluations().first(N), out.m_mask = in.m->evaluations().subspan(N);
  return out;
}

}  // namespace

std::vector<unsigned> zk_lookup_degrees(const ZkShape& shape) {
  ZK_ASSERT(check_zk_shape(shape).ok());
  return degrees_of(shape);
}

void ZkRounds::write(util::ByteWriter& w) const {
  sumcheck.write(w);
  for (const auto& v : masked_evals) field::write(w, v);
}

Result<ZkRounds> ZkRounds::read(util::ByteReader& r, const ZkShape& shape) {
  ZK_TRY(check_zk_shape(shape));
  ZkRounds p;
  auto sc = sumcheck::ZkProof::read(r, degrees_of(shape));
  if (!sc.ok()) return make_error("zk lookup: " + sc.error());
  p.sumcheck = std::move(*sc);
  p.masked_evals.resize(num_masked_evals(shape));
  for (auto& v : p.masked_evals)
    if (Status st = field::read(r, v); !st) return make_error("zk lookup: the masked evaluations: " + st.error());
  return p;
}

void ZkProof::write(util::ByteWriter& w) const {
  w.raw(helper_root);
  ZkRounds::write(w);
}

Result<ZkProof> ZkProof::read(util::ByteReader& r, const ZkShape& shape) {
  ZK_TRY(check_zk_shape(shape));
  ZkProof p;
  if (!r.raw(p.helper_root)) return make_error("zk lookup: the helpers' root is truncated");
  auto rounds = ZkRounds::read(r, shape);
  if (!rounds.ok()) return make_error(rounds.error());
  static_cast<ZkRounds&>(p) = std::move(*rounds);
  return p;
}

ZkChallenges zk_challenges(transcript::Transcript& t, const ZkShape& s, bool charge) {
  ZK_ASSERT(check_zk_shape(s).ok());
  util::ByteWriter w = detail::shape_bytes(s.witness, s.table_vars, s.columns);
  w.u32(s.num_vars);
  for (size_t b = 0; b < s.witness.blocks().size(); ++b) w.u32(s.witness.block_vars(b));
  t.absorb_bytes("logup.zk.shape", w.bytes());
  // alpha and beta, charged as LogUp's (their error follows the rows on both sides).
  const Fp2 alpha = t.challenge("logup.zk.alpha"), beta = t.challenge("logup.zk.beta");
  if (charge) {
    const double rows = std::ldexp(1.0, int(s.num_vars)) * 2;
    transcript::charge(t, transcript::SoundnessLedger::Check::Lookup,
                       rows * std::max(1u, s.columns - 1) * transcript::inverse_field_size(), 2);
  }
  return {alpha, beta};
}

Result<ZkHelpers> zk_helpers(const ZkShape& shape, const ZkTables& in, const ZkChallenges& ch) {
  ZK_TRY(check_zk_shape(shape));
  ZK_TRY(check_witness(shape, in));
  const size_t W = shape.witness.padded_size();
  // One inversion for all (zero denominators are refused).
  const std::vector<uint8_t> real = shape.witness.real_mask();
  std::vector<Fp2> den(W);
  auto& pool = util::ThreadPool::global();
  const auto bp = beta_powers(shape.columns, ch.beta);
  pool.parallel_for(W, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i)  // not a row: h_w is 0 there
      den[i] = real[i] ? denominator(in.witness, bp, ch.alpha, i) : Fp2::one();
  }, 1 << 12);
  for (size_t i = 0; i < W; ++i)
    if (real[i] && den[i].is_zero()) return make_error("zk lookup: witness row " + std::to_string(i) + " is alpha");
  field::batch_inverse(std::span<Fp2>(den));
  ZkHelpers h{std::vector<Fp>(W), std::vector<Fp>(W)};
  pool.parallel_for(W, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      const Fp2 hw = real[i] ? den[i] : Fp2::zero();
      h[0][i] = hw.c0(), h[1][i] = hw.c1();
    }
  }, 1 << 12);
  return h;
}

Result<Fp2> zk_table_sum(const ZkShape& shape, std::span<const Fp> m, std::span<const std::span<const Fp>> table,
                         const ZkChallenges& ch) {
  ZK_TRY(check_zk_shape(shape));
  ZK_TRY(check_table(shape, table.size(), [&](size_t c) { return table[c].size(); }));
  auto u = table_weights(shape, table, ch);
  if (!u.ok()) return make_error(u.error());
  Fp2 sum = Fp2::zero();
  for (size_t j = 0; j < u->size() && j < m.size(); ++j) sum += (*u)[j] * m[j];
  return sum;
}

Result<ZkRoundsOutput> prove_zk_rounds(const ZkShape& shape, const ZkTables& in,
                                       std::span<const std::span<const Fp>> table, const ZkChallenges& ch,
                                       const ZkHelperTables& helpers, const sumcheck::Mask& mask,
                                       const hash::Digest& mask_root, transcript::Transcript& t) {
  ZK_TRY(check_zk_shape(shape));
  ZK_TRY(check_tables(shape, in, table));
  const unsigned n = shape.num_vars;
  const size_t N = size_t(1) << n;
  for (size_t k = 0; k < kZkHelpers; ++k)  // h_w over the witness rows
    ZK_TRY(check_extended(shape, helpers.values[k], helpers.masks[k], shape.witness.padded_size(), "a helper"));
  auto u = table_weights(shape, table, ch);
  if (!u.ok()) return make_error(u.error());
  u->resize(N, Fp2::zero());
  const std::vector<Fp2> tau = t.challenges("logup.zk.tau", n);
  const Fp2 gamma = t.challenge("logup.zk.gamma");

  // The instance: eq and the selector as tables, u zero-extended.
  const std::vector<uint8_t> real = shape.witness.real_mask();
  const std::vector<Fp2> eq = poly::eq_table(tau);
  std::vector<Fp> sel(N, Fp::zero());
  for (size_t i = 0; i < real.size(); ++i) sel[i] = real[i] ? Fp::one() : Fp::zero();
  // h_w as an F_{p^2} table h0 + h1 X, its mask likewise (zero-extended).
  std::array<std::vector<Fp2>, 2> joined;  // h_w, R_w
  const auto& hv = helpers.values;
  const auto& hm = helpers.masks;
  auto join = [&](std::span<const Fp> lo, std::span<const Fp> hi) {
    std::vector<Fp2> out(N, Fp2::zero());
    for (size_t i = 0; i < lo.size(); ++i) out[i] = Fp2(lo[i], i < hi.size() ? hi[i] : Fp::zero());
    for (size_t i = lo.size(); i < hi.size(); ++i) out[i] = Fp2(Fp::zero(), hi[i]);
    return out;
  };
  joined[0] = join(hv[0], hv[1]), joined[1] = join(hm[0], hm[1]);
  // m and the witness columns zero-extended where they are shorter.
  std::deque<std::vector<Fp>> copies;
  auto full = [&](std::span<const Fp> v) {
    return v.size() == N ? v : std::span<const Fp>(copies.emplace_back(zero_extended(v, N)));
  };
  sumcheck::MaskedInstance mi;
  mi.inst.factors = {std::span<const Fp2>(eq), std::span<const Fp>(sel), std::span<const Fp2>(*u),
                     std::span<const Fp2>(joined[0])};
  mi.masks = {{}, {}, {}, std::span<const Fp2>(joined[1])};
  mi.inst.factors.emplace_back(full(in.m));
  mi.masks.push_back(full(in.m_mask));
  for (unsigned c = 0; c < shape.columns; ++c) {
    mi.inst.factors.emplace_back(full(in.witness[c]));
    mi.masks.push_back(full(in.witness_mask[c]));
  }
  mi.inst.terms = terms_of(shape, ch.alpha, ch.beta, gamma);
  auto sc = sumcheck::prove_zk(mi, Fp2::zero(), mask, mask_root, t);
  ZkRoundsOutput out;
  out.rounds.sumcheck = std::move(sc.proof);
  // Each helper table's own masked value f~(r) + c R~(r), which the opening proves; the
  // sumcheck's h^ = h0^ + h1^ X.
  auto& me = out.rounds.masked_evals;
  const Fp2 c = sumcheck::mask_factor(sc.point);
  auto at = [&](std::span<const Fp> v) { return extended_eval(v, unsigned(std::countr_zero(v.size())), sc.point); };
  for (size_t k = 0; k < kZkHelpers; ++k) me.push_back(at(hv[k]) + c * at(hm[k]));
  ZK_ASSERT(sc.factor_evals[kHw] == me[0] + kX * me[1]);
  me.insert(me.end(), sc.factor_evals.begin() + kM, sc.factor_evals.begin() + kFirstWitness + shape.columns);
  t.absorb("logup.zk.masked_evals", std::span<const Fp2>(me));
  out.claims.point = sc.point;
  for (size_t k = 0; k < kZkHelpers; ++k) out.claims.helper_evals[k] = me[k];
  out.claims.m_eval = sc.factor_evals[kM];
  out.claims.witness_evals.assign(sc.factor_evals.begin() + kFirstWitness,
                                  sc.factor_evals.begin() + kFirstWitness + shape.columns);
  out.claims.final_mask = out.rounds.sumcheck.final_mask;
  out.claims.rho = sc.rho;
  return out;
}

Result<ZkClaims> verify_zk_rounds(const ZkShape& shape, std::span<const std::vector<Fp>> table, const ZkChallenges& ch,
                                  const ZkRounds& rounds, const hash::Digest& mask_root, transcript::Transcript& t) {
  ZK_TRY(check_zk_shape(shape));
  ZK_TRY(check_table(shape, table.size(), [&](size_t c) { return table[c].size(); }));
  const unsigned n = shape.num_vars;
  if (rounds.masked_evals.size() != num_masked_evals(shape))
    return make_error("zk lookup: wrong number of masked evaluations");
  const std::vector<Fp2> tau = t.challenges("logup.zk.tau", n);
  transcript::charge_point(t, n);
  const Fp2 gamma = t.challenge("logup.zk.gamma");
  transcript::charge_powers(t, 2);
  auto sub = sumcheck::verify_zk(Fp2::zero(), degrees_of(shape), mask_root, rounds.sumcheck, t);
  if (!sub.ok()) return make_error("zk lookup: " + sub.error());
  // Every factor's value at r: eq, the selector and u computed here, the masked ones
  // from the proof (checked by the caller's opening).
  const auto& r = sub->point;
  std::vector<Fp2> evals(num_factors(shape));
  evals[kEq] = poly::eq_eval(tau, r);
  const unsigned wv = shape.witness.num_vars();
  evals[kSel] = shape.witness.selector(std::span<const Fp2>(r).first(wv));
  for (size_t i = wv; i < n; ++i) evals[kSel] *= Fp2::one() - r[i];
  auto u = table_weights(shape, table, ch);
  if (!u.ok()) return make_error(u.error());
  evals[kWeight] = extended_eval(std::span<const Fp2>(*u), shape.table_vars, r);
  const auto& me = rounds.masked_evals;
  evals[kHw] = me[0] + kX * me[1];
  std::copy(me.begin() + kZkHelpers, me.end(), evals.begin() + kM);
  const auto terms = terms_of(shape, ch.alpha, ch.beta, gamma);
  if (Status st = sumcheck::check_final(*sub, evals, {}, terms); !st)
    return make_error("zk lookup: " + st.error() + " (a looked-up row is not in the table, or a helper is wrong)");
  t.absorb("logup.zk.masked_evals", std::span<const Fp2>(me));
  ZkClaims out;
  out.point = r;
  for (size_t k = 0; k < kZkHelpers; ++k) out.helper_evals[k] = me[k];
  out.m_eval = me[kZkHelpers];
  out.witness_evals.assign(me.begin() + kZkHelpers + 1, me.end());
  out.final_mask = rounds.sumcheck.final_mask;
  out.rho = sub->rho;
  return out;
}

Result<ZkProverOutput> prove_zk(const ZkShape& shape, const ZkInput& in, const sumcheck::Mask& mask,
                                const pcs::Seed& seed, const pcs::Params& params, transcript::Transcript& t) {
  ZK_TRY(check_zk_shape(shape));
  if (in.witness.size() != shape.columns || in.table.size() != shape.columns || in.m == nullptr)
    return make_error("zk lookup: " + std::to_string(in.witness.size()) + " witness and " +
                      std::to_string(in.table.size()) + " table columns for " + std::to_string(shape.columns));
  std::vector<pcs::Commitment> witness_comms;
  for (const pcs::CommittedPoly* p : in.witness) {
    if (p == nullptr) return make_error("zk lookup: a witness column is missing");
    witness_comms.push_back(p->commitment());
  }
  ZK_TRY(check_commitments(shape, witness_comms, in.m->commitment()));
  if (mask.degrees() != degrees_of(shape)) return make_error("zk lookup: the mask has the wrong shape");
  const ZkTables tables = tables_of(shape, in);
  absorb_commitments(t, witness_comms, in.m->commitment());
  const ZkChallenges ch = zk_challenges(t, shape, false);
  auto h = zk_helpers(shape, tables, ch);
  if (!h.ok()) return make_error(h.error());
  const size_t N = size_t(1) << shape.num_vars;
  for (auto& v : *h) v.resize(N, Fp::zero());  // committed as 2^num_vars values each
  if (in.tamper_helpers) {
    auto sum = zk_table_sum(shape, tables.m, in.table, ch);
    if (!sum.ok()) return make_error(sum.error());
    in.tamper_helpers(*h, *sum);
  }
  ZkProverOutput out;
  {
    // The masks from the seed and the transcript's state (this lookup's statement and
    // challenges): two lookups under one seed must not share them. One joint
    // commitment, member k's mask from (that seed, k).
    hash::Hasher derive(hash::Domain::Mask);
    derive.update(seed).update(t.state());
    const std::vector<std::span<const Fp>> spans(h->begin(), h->end());
    auto joint = pcs::commit_joint_hiding(spans, derive.finalize(), params);
    if (!joint.ok()) return make_error("zk lookup: " + joint.error());
    out.helpers = std::move(*joint);
    out.proof.helper_root = out.helpers[0]->commitment().root;
  }
  *h = {};
  t.absorb("logup.zk.helper", out.proof.helper_root);
  ZkHelperTables ht;
  for (size_t k = 0; k < kZkHelpers; ++k) {
    ht.values[k] = out.helpers[k]->evaluations().first(N);
    ht.masks[k] = out.helpers[k]->evaluations().subspan(N);
  }
  auto rounds = prove_zk_rounds(shape, tables, in.table, ch, ht, mask, in.mask_root, t);
  if (!rounds.ok()) return make_error(rounds.error());
  static_cast<ZkRounds&>(out.proof) = std::move(rounds->rounds);
  out.claims = std::move(rounds->claims);
  for (size_t k = 0; k < kZkHelpers; ++k) out.claims.helpers[k] = out.helpers[k]->commitment();
  return out;
}

Result<ZkClaims> verify_zk(const ZkShape& shape, std::span<const std::vector<Fp>> table, const ZkCommitments& comms,
                           const ZkProof& proof, transcript::Transcript& t) {
  ZK_TRY(check_zk_shape(shape));
  ZK_TRY(check_commitments(shape, comms.witness, comms.m));
  ZK_TRY(check_table(shape, table.size(), [&](size_t c) { return table[c].size(); }));
  if (proof.masked_evals.size() != num_masked_evals(shape))
    return make_error("zk lookup: wrong number of masked evaluations");
  absorb_commitments(t, comms.witness, comms.m);
  const ZkChallenges ch = zk_challenges(t, shape, true);
  t.absorb("logup.zk.helper", proof.helper_root);
  auto out = verify_zk_rounds(shape, table, ch, proof, comms.mask_root, t);
  if (!out.ok()) return out;
  const uint32_t n = shape.num_vars;
  for (size_t k = 0; k < kZkHelpers; ++k)
    out->helpers[k] = pcs::Commitment{proof.helper_root, n + 1, std::vector<uint32_t>(kZkHelpers, n + 1), uint32_t(k)};
  return out;
}

}  // namespace zks::lookup
