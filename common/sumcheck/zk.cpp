#include "sumcheck/zk.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <string>

#include "field/field.hpp"
#include "field/wide_sum.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::sumcheck {

namespace {

// F_{p^2}'s generator X (elements are c0 + c1 X).
const Fp2 kX(Fp::zero(), Fp::one());

Fp2 power_of_two(unsigned e) { return Fp2(Fp(uint64_t(1) << e)); }  // e < 64

// Everything before rho: the mask table's root, the shape, the claim and the mask's sum.
void absorb_opening(transcript::Transcript& t, const hash::Digest& mask_root, std::span<const unsigned> degrees,
                    const Fp2& claimed_sum, const Fp2& mask_sum) {
  t.absorb("sumcheck.zk.mask_root", mask_root);
  t.absorb_u64("sumcheck.zk.vars", degrees.size());
  for (unsigned d : degrees) t.absorb_u64("sumcheck.zk.degree", d);
  t.absorb("sumcheck.zk.claim", claimed_sum);
  t.absorb("sumcheck.zk.mask_sum", mask_sum);
}

Status check_degrees(std::span<const unsigned> degrees) {
  if (degrees.empty() || degrees.size() > kMaxVars)
    return make_error("zk sumcheck: " + std::to_string(degrees.size()) + " variables (1 to " +
                      std::to_string(kMaxVars) + ")");
  for (unsigned d : degrees)
    if (d < 1 || d > kMaxDegree)
      return make_error("zk sumcheck: a round of degree " + std::to_string(d) + " (1 to " +
                        std::to_string(kMaxDegree) + ")");
  return Status{};
}

// What round i adds for the offset K: its share K 2^-(i+1) of the sum, constant in X.
Fp2 offset_share(const Fp2& offset, unsigned i) { return offset * Fp2(Fp(uint64_t(1) << (i + 1)).inverse()); }

// The rounds from `first` on, driven by `prover` (whose rounds are scaled by `scale`),
// each with rho m_i and the offset's share added; the challenges go to out.point.
void run_rounds(Prover& prover, Fp2 claim, const Fp2& scale, unsigned first, const Fp2& rho, const Mask& mask,
                const Fp2& offset, ZkProverOutput& out, transcript::Transcript& t) {
  for (unsigned i = first; i < mask.num_vars(); ++i) {
    const std::vector<Fp2> s = prover.round(claim);
    const std::vector<Fp2> m = mask.round(i, out.point);
    ZK_ASSERT(s.size() == m.size());
    const Fp2 share = offset_share(offset, i);
    std::vector<Fp2> masked(s.size());
    for (size_t x = 0; x < s.size(); ++x) masked[x] = scale * s[x] + rho * m[x] + share;
    auto sent = detail::compress_round(masked);
    t.absorb("sumcheck.round", std::span<const Fp2>(sent));
    const Fp2 r = t.challenge("sumcheck.r");
    claim = interpolate(s, r);
    prover.bind(r);
    out.point.push_back(r);
    out.proof.rounds.rounds.push_back(std::move(sent));
  }
  out.factor_evals = prover.factor_evals();
  out.proof.final_mask = rho * mask.value(out.point) + offset_share(offset, mask.num_vars() - 1);
  out.rho = rho;
  t.absorb("sumcheck.zk.final_mask", out.proof.final_mask);
}

bool is_empty(const Table& t) {
  return std::visit([](auto span) { return span.empty(); }, t);
}

Fp2 at(const Table& table, size_t i) {
  return std::visit([i](auto span) { return Fp2(span[i]); }, table);
}

Fp2 eq1(const Fp2& z, const Fp2& x) { return z * x + (Fp2::one() - z) * (Fp2::one() - x); }

// A factor is in F_p while its table and its mask (if any) are.
bool in_base(const Table& f, const Table& mask) {
  return std::holds_alternative<std::span<const Fp>>(f) && std::holds_alternative<std::span<const Fp>>(mask);
}

// The instance's terms, or its one product of every factor where it lists none.
std::vector<Term> explicit_terms(std::span<const Term> terms, size_t factors) {
  if (!terms.empty()) return {terms.begin(), terms.end()};
  Term all;
  for (unsigned j = 0; j < factors; ++j) all.factors.push_back(j);
  return {all};
}

// A sum of products whose last factor is in F_p or F_{p^2}, reduced once (WideSum):
// (a0 + a1 X)(b0 + b1 X) = a0 b0 + 7 a1 b1 + (a0 b1 + a1 b0) X, X^2 = 7.
struct WideSumFp2 {
  field::WideSum c0, c0w, c1;  // c0w: the products X^2 = 7 scales
  void add(Fp a, Fp b) { c0.add_product(a, b); }
  void add(const Fp2& a, Fp b) { c0.add_product(a.c0(), b), c1.add_product(a.c1(), b); }
  void add(const Fp2& a, const Fp2& b) {
    c0.add_product(a.c0(), b.c0()), c0w.add_product(a.c1(), b.c1());
    c1.add_product(a.c0(), b.c1()), c1.add_product(a.c1(), b.c0());
  }
  Fp2 value() const { return Fp2(c0.value() + Fp(Fp2::W) * c0w.value(), c1.value()); }
};

// The pairs x' < live of a factor: past them its table and mask are zero (a table
// zero-extended: a lookup's table side past the table's rows, its witness side past
// the witness).
size_t live_pairs(const Table& f, const Table& mask) {
  auto last = [](auto span) -> size_t {
    for (size_t i = span.size(); i-- > 0;)
      if (!span[i].is_zero()) return i + 1;
    return 0;
  };
  const size_t n = std::max(std::visit(last, f), std::visit(last, mask));
  return (n + 1) / 2;
}

// sum_{x'} e[x'] sum_t c_t prod_{j in t} f^_j(X, x') at X = 0..D into s (e empty:
// weights 1), with f^_j(X, x') = f_j(X, x') + X (1 - X) R_j(X, x'). Each factor's
// f^_j(X, x') at the D + 1 points, each term's product at each point with its last
// multiplication (by e[x'] where given) summed unreduced per (term, point) and its
// coefficient applied once at the end. A term is skipped past the live pairs of any of
// its factors.
void first_round(std::span<const Table> f, std::span<const Table> masks, std::span<const Term> terms,
                 std::span<const Fp2> e, unsigned D, std::vector<Fp2>& s) {
  const size_t d = f.size(), P = D + 1;
  std::vector<char> base(d), masked(d);
  for (size_t j = 0; j < d; ++j) base[j] = in_base(f[j], masks[j]), masked[j] = !is_empty(masks[j]);
  // Each term's factors, base ones first (their product stays in F_p), and its reach.
  std::vector<Term> tt = explicit_terms(terms, d);
  std::vector<unsigned> nbase;
  for (Term& t : tt) {
    auto is_base = [&](unsigned j) { return base[j] != 0; };
    std::stable_partition(t.factors.begin(), t.factors.end(), is_base);
    nbase.push_back(unsigned(std::count_if(t.factors.begin(), t.factors.end(), is_base)));
  }
  const size_t T = tt.size();
  const size_t half = std::visit([](auto t) { return t.size(); }, f[0]) / 2;
  std::vector<size_t> live(d), term_live(T, half), need(d, 0);
  for (size_t j = 0; j < d; ++j) live[j] = live_pairs(f[j], masks[j]);
  size_t reach = 0;
  for (size_t t = 0; t < T; ++t) {
    for (unsigned j : tt[t].factors) term_live[t] = std::min(term_live[t], live[j]);
    for (unsigned j : tt[t].factors) need[j] = std::max(need[j], term_live[t]);
    reach = std::max(reach, term_live[t]);
  }
  std::vector<Fp> kx(P);  // X (1 - X)
  for (unsigned X = 0; X < P; ++X) kx[X] = Fp(X) * (Fp::one() - Fp(X));
  std::vector<Fp2> total(T * P, Fp2::zero());
  std::mutex mu;
  util::ThreadPool::global().parallel_for(reach, [&](size_t lo, size_t hi) {
    std::vector<WideSumFp2> acc(T * P);
    std::vector<Fp> vb(d * P);
    std::vector<Fp2> ve(d * P);
    // f^(X) = a + X (b - a) + X (1 - X) (c + X (e - c)), the linear parts by steps.
    auto values = [&](auto a, auto b, auto c, auto ee, bool with_mask, auto* out) {
      const auto step = b - a, mstep = ee - c;
      auto lin = a, rm = c;
      for (size_t X = 0; X < P; ++X, lin += step, rm += mstep) out[X] = with_mask && X > 1 ? lin + rm * kx[X] : lin;
    };
    for (size_t x = lo; x < hi; ++x) {
      for (size_t j = 0; j < d; ++j) {
        if (x >= need[j]) continue;
        if (base[j]) {
          const auto tb = std::get<std::span<const Fp>>(f[j]);
          const auto mb = std::get<std::span<const Fp>>(masks[j]);
          const Fp c = masked[j] ? mb[2 * x] : Fp::zero(), ee = masked[j] ? mb[2 * x + 1] : Fp::zero();
          values(tb[2 * x], tb[2 * x + 1], c, ee, masked[j] != 0, vb.data() + j * P);
        } else {
          const Fp2 c = masked[j] ? at(masks[j], 2 * x) : Fp2::zero();
          const Fp2 ee = masked[j] ? at(masks[j], 2 * x + 1) : Fp2::zero();
          values(at(f[j], 2 * x), at(f[j], 2 * x + 1), c, ee, masked[j] != 0, ve.data() + j * P);
        }
      }
      for (size_t t = 0; t < T; ++t) {
        if (x >= term_live[t]) continue;
        const auto& fs = tt[t].factors;
        const size_t nb = nbase[t];
        // The factors multiplied reduced: all of them with e (e[x'] is the last), all but
        // the last without.
        const size_t m = e.empty() && !fs.empty() ? fs.size() - 1 : fs.size();
        WideSumFp2* a = acc.data() + t * P;
        for (size_t X = 0; X < P; ++X) {
          Fp pb = nb > 0 && m > 0 ? vb[fs[0] * P + X] : Fp::one();
          for (size_t i = 1; i < std::min(m, nb); ++i) pb *= vb[fs[i] * P + X];
          if (m <= nb) {  // the reduced part is in F_p
            if (!e.empty()) a[X].add(e[x], pb);
            else if (fs.empty()) a[X].add(pb, Fp::one());
            else if (m < nb) a[X].add(pb, vb[fs[m] * P + X]);
            else a[X].add(ve[fs[m] * P + X], pb);
          } else {
            Fp2 pe = ve[fs[nb] * P + X] * pb;
            for (size_t i = nb + 1; i < m; ++i) pe *= ve[fs[i] * P + X];
            if (!e.empty()) a[X].add(e[x], pe);
            else a[X].add(pe, ve[fs[m] * P + X]);
          }
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    for (size_t i = 0; i < total.size(); ++i) total[i] += acc[i].value();
  }, 1 << 10);
  for (size_t t = 0; t < T; ++t)
    for (size_t X = 0; X < P; ++X) s[X] += tt[t].coeff * total[t * P + X];
}

// Round 0 when every term is U B: at most one unmasked factor U (either field) and one
// base-field factor B, masked or not. That is a linear map's maker (M(r, .) times x)
// and a zerocheck's reads times its selector, most of a private proof's round 0s. Each
// term's polynomial is bilinear in (w U(0, x'), w U(1, x')) and B's four values
// (a, b, c, e), so the sum over x' needs only the eight sums of their products, each
// product reduced once (field::WideSum):
//     s_t(X) = sum_{u, v} S_uv L_u(X) M_v(X),  L = (1 - X, X),
//     M = (1 - X, X, X (1 - X)^2, X^2 (1 - X)),
// since f^ = a (1 - X) + b X + X (1 - X) (c (1 - X) + e X). False (s unchanged) for any
// other shape.
bool first_round_pairs(std::span<const Table> f, std::span<const Table> masks, std::span<const Term> terms,
                       std::span<const Fp2> e, unsigned D, std::vector<Fp2>& s) {
  struct Pair {
    int u = -1;  // the unmasked factor (-1: none, U = 1)
    unsigned b = 0;
    Fp2 coeff;
    std::span<const Fp> tb, mb;  // B's table and mask (empty: unmasked)
  };
  auto is_base = [&](unsigned j) { return in_base(f[j], masks[j]); };
  std::vector<Pair> pairs;
  auto add = [&](std::span<const unsigned> fs, const Fp2& coeff) {
    Pair p{-1, 0, coeff, {}, {}};
    if (fs.size() == 1 && is_base(fs[0])) {
      p.b = fs[0];
    } else if (fs.size() == 2) {
      // B is the masked one where only one is; U must be unmasked.
      const bool b0 = is_base(fs[0]) && (is_empty(masks[fs[1]]) || !is_base(fs[1]));
      const bool b1 = is_base(fs[1]) && is_empty(masks[fs[0]]);
      if (!b0 && !b1) return false;
      p.b = b0 ? fs[0] : fs[1];
      p.u = static_cast<int>(b0 ? fs[1] : fs[0]);
      if (!is_empty(masks[unsigned(p.u)])) return false;
    } else {
      return false;
    }
    p.tb = std::get<std::span<const Fp>>(f[p.b]);
    p.mb = std::get<std::span<const Fp>>(masks[p.b]);
    pairs.push_back(p);
    return true;
  };
  for (const Term& t : explicit_terms(terms, f.size()))
    if (!add(t.factors, t.coeff)) return false;
  // The distinct U factors; slot us.size() is "none".
  std::vector<int> us;
  std::vector<size_t> slot(pairs.size());
  for (size_t t = 0; t < pairs.size(); ++t) {
    auto it = std::find(us.begin(), us.end(), pairs[t].u);
    slot[t] = static_cast<size_t>(it - us.begin());
    if (it == us.end()) us.push_back(pairs[t].u);
  }
  const size_t half = std::visit([](auto t) { return t.size(); }, f[0]) / 2;
  std::vector<Fp2> S(pairs.size() * 8, Fp2::zero());  // S[t][u][v], v in (a, b, c, e)
  std::mutex mu;
  util::ThreadPool::global().parallel_for(half, [&](size_t lo, size_t hi) {
    std::vector<field::WideSum2> acc(pairs.size() * 8);
    std::vector<std::array<Fp2, 2>> uv(us.size());
    for (size_t x = lo; x < hi; ++x) {
      const Fp2 w = e.empty() ? Fp2::one() : e[x];
      for (size_t i = 0; i < us.size(); ++i) {
        if (us[i] < 0) {
          uv[i] = {w, w};
        } else {
          const Table& u = f[size_t(us[i])];
          uv[i] = {w * at(u, 2 * x), w * at(u, 2 * x + 1)};
        }
      }
      for (size_t t = 0; t < pairs.size(); ++t) {
        const Pair& p = pairs[t];
        const auto& [u0, u1] = uv[slot[t]];
        field::WideSum2* a = &acc[8 * t];
        const Fp va = p.tb[2 * x], vb = p.tb[2 * x + 1];
        a[0].add_product(u0, va), a[1].add_product(u0, vb);
        a[4].add_product(u1, va), a[5].add_product(u1, vb);
        if (!p.mb.empty()) {
          const Fp vc = p.mb[2 * x], ve = p.mb[2 * x + 1];
          a[2].add_product(u0, vc), a[3].add_product(u0, ve);
          a[6].add_product(u1, vc), a[7].add_product(u1, ve);
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    for (size_t i = 0; i < acc.size(); ++i) S[i] += acc[i].value();
  }, 1 << 10);
  for (unsigned X = 0; X <= D; ++X) {
    const Fp x = Fp(X), nx = Fp::one() - x;
    const std::array<Fp, 2> L = {nx, x};
    const std::array<Fp, 4> M = {nx, x, x * nx * nx, x * x * nx};
    for (size_t t = 0; t < pairs.size(); ++t) {
      Fp2 v = Fp2::zero();
      for (unsigned u = 0; u < 2; ++u)
        for (unsigned q = 0; q < 4; ++q) v += S[8 * t + 4 * u + q] * (L[u] * M[q]);
      s[X] += pairs[t].coeff * v;
    }
  }
  return true;
}

}  // namespace

std::vector<unsigned> uniform_degrees(unsigned num_vars, unsigned degree) {
  return std::vector<unsigned>(num_vars, degree);
}

size_t mask_entries(std::span<const unsigned> degrees) {
  size_t coeffs = 1;
  for (unsigned d : degrees) coeffs += d;
  return 2 * coeffs;
}

Mask::Mask(std::span<const Fp> entries, std::vector<unsigned> degrees) : m_degrees(std::move(degrees)) {
  ZK_ASSERT(check_degrees(m_degrees).ok());
  ZK_ASSERT(entries.size() == mask_entries(m_degrees));
  m_c.resize(entries.size() / 2);
  for (size_t q = 0; q < m_c.size(); ++q) m_c[q] = Fp2(entries[2 * q], entries[2 * q + 1]);
  size_t next = 1;
  for (unsigned d : m_degrees) m_first.push_back(next), next += d;
}

Fp2 Mask::g(unsigned i, const Fp2& x) const {
  // Horner on c_iD .. c_i1, times x (no constant term).
  const Fp2* c = m_c.data() + m_first[i];
  Fp2 acc = Fp2::zero();
  for (unsigned e = m_degrees[i]; e >= 1; --e) acc = acc * x + c[e - 1];
  return acc * x;
}

Fp2 Mask::sum() const {
  Fp2 ones = Fp2::zero();
  for (unsigned i = 0; i < num_vars(); ++i) ones += g(i, Fp2::one());
  return power_of_two(num_vars()) * m_c[0] + power_of_two(num_vars() - 1) * ones;
}

Fp2 Mask::value(std::span<const Fp2> r) const {
  ZK_ASSERT(r.size() == num_vars());
  Fp2 v = m_c[0];
  for (unsigned i = 0; i < num_vars(); ++i) v += g(i, r[i]);
  return v;
}

std::vector<Fp2> Mask::round(unsigned i, std::span<const Fp2> r) const {
  const unsigned k = num_vars();
  ZK_ASSERT(i < k && r.size() == i);
  Fp2 before = m_c[0];
  for (unsigned j = 0; j < i; ++j) before += g(j, r[j]);
  Fp2 after = Fp2::zero();
  for (unsigned j = i + 1; j < k; ++j) after += g(j, Fp2::one());
  const Fp2 scale = power_of_two(k - i - 1);
  const Fp2 rest = i + 1 < k ? power_of_two(k - i - 2) * after : Fp2::zero();
  std::vector<Fp2> out(m_degrees[i] + 1);
  for (unsigned x = 0; x <= m_degrees[i]; ++x) out[x] = scale * (before + g(i, Fp2::from_u64(x))) + rest;
  return out;
}

std::vector<Fp2> mask_weights(std::span<const unsigned> degrees, std::span<const Fp2> r) {
  ZK_ASSERT(r.size() == degrees.size());
  std::vector<Fp2> w(mask_entries(degrees));
  size_t q = 0;
  auto put = [&](const Fp2& v) {
    w[2 * q] = v;
    w[2 * q + 1] = v * kX;
    ++q;
  };
  put(Fp2::one());
  for (size_t i = 0; i < degrees.size(); ++i) {
    Fp2 p = r[i];
    for (unsigned e = 1; e <= degrees[i]; ++e, p *= r[i]) put(p);
  }
  return w;
}

std::vector<Fp2> final_mask_weights(std::span<const unsigned> degrees, const Fp2& rho, std::span<const Fp2> r) {
  auto w = mask_weights(degrees, r);
  for (auto& x : w) x *= rho;
  return w;
}

size_t affine_mask_entries(unsigned num_vars) { return 2 * (size_t(num_vars) + 1); }

std::vector<Fp2> affine_mask_table(std::span<const Fp> entries, unsigned num_vars) {
  ZK_ASSERT(entries.size() == affine_mask_entries(num_vars));
  std::vector<Fp2> table(size_t(1) << num_vars, Fp2(entries[0], entries[1]));
  for (unsigned i = 0; i < num_vars; ++i) {
    const Fp2 si(entries[2 * (i + 1)], entries[2 * (i + 1) + 1]);
    for (size_t x = 0; x < table.size(); ++x)
      if ((x >> i) & 1) table[x] += si;
  }
  return table;
}

std::vector<Fp2> affine_mask_weights(std::span<const Fp2> r) {
  std::vector<Fp2> w(affine_mask_entries(static_cast<unsigned>(r.size())));
  for (size_t q = 0; q <= r.size(); ++q) {
    const Fp2 v = q == 0 ? Fp2::one() : r[q - 1];
    w[2 * q] = v;
    w[2 * q + 1] = v * kX;
  }
  return w;
}

void ZkProof::write(util::ByteWriter& w) const {
  field::write(w, mask_sum);
  rounds.write(w);
  field::write(w, final_mask);
}

Result<ZkProof> ZkProof::read(util::ByteReader& r, std::span<const unsigned> degrees) {
  ZK_TRY(check_degrees(degrees));
  ZkProof p;
  if (Status st = field::read(r, p.mask_sum); !st) return make_error("zk sumcheck: the mask's sum: " + st.error());
  for (unsigned d : degrees) {
    auto round = Proof::read(r, 1, d);
    if (!round.ok()) return make_error(round.error());
    p.rounds.rounds.push_back(std::move(round->rounds[0]));
  }
  if (Status st = field::read(r, p.final_mask); !st) return make_error("zk sumcheck: the final mask: " + st.error());
  return p;
}

ZkProverOutput prove_zk(Prover& prover, const Fp2& claimed_sum, const Mask& mask, const hash::Digest& mask_root,
                        transcript::Transcript& t, const Fp2& offset) {
  ZK_ASSERT(mask.degrees() == uniform_degrees(prover.num_vars(), prover.degree()));
  ZkProverOutput out;
  out.proof.mask_sum = mask.sum();
  absorb_opening(t, mask_root, mask.degrees(), claimed_sum, out.proof.mask_sum);
  const Fp2 rho = t.challenge("sumcheck.zk.rho");
  run_rounds(prover, claimed_sum - offset, Fp2::one(), 0, rho, mask, offset, out, t);
  return out;
}

unsigned first_round_degree(std::span<const Term> terms, std::span<const char> masked, bool with_eq) {
  auto degree = [&](unsigned j) { return masked[j] ? 3u : 1u; };
  unsigned d = 0;
  if (terms.empty()) {
    for (unsigned j = 0; j < masked.size(); ++j) d += degree(j);
  } else {
    for (const Term& term : terms) {
      unsigned dt = 0;
      for (unsigned j : term.factors) dt += degree(j);
      d = std::max(d, dt);
    }
  }
  return d + (with_eq ? 1 : 0);
}

std::vector<unsigned> masked_degrees(unsigned num_vars, std::span<const Term> terms, std::span<const char> masked,
                                     bool with_eq) {
  auto out = uniform_degrees(num_vars, degree_of(masked.size(), terms, with_eq));
  if (!out.empty()) out[0] = first_round_degree(terms, masked, with_eq);
  return out;
}

std::vector<unsigned> masked_degrees(const MaskedInstance& mi) {
  std::vector<char> masked;
  for (const auto& m : mi.masks) masked.push_back(!is_empty(m));
  return masked_degrees(mi.inst.num_vars(), mi.inst.terms, masked, !mi.inst.eq_point.empty());
}

std::vector<Fp2> detail::round0_values(const MaskedInstance& mi, std::span<const Fp2> e, unsigned D,
                                       bool general_only) {
  std::vector<Fp2> s(D + 1, Fp2::zero());
  if (general_only || !first_round_pairs(mi.inst.factors, mi.masks, mi.inst.terms, e, D, s))
    first_round(mi.inst.factors, mi.masks, mi.inst.terms, e, D, s);
  return s;
}

Fp2 mask_factor(std::span<const Fp2> r) {
  ZK_ASSERT(!r.empty());
  return r[0] * (Fp2::one() - r[0]);
}

ZkProverOutput prove_zk(const MaskedInstance& mi, const Fp2& claimed_sum, const Mask& mask,
                        const hash::Digest& mask_root, transcript::Transcript& t, const Fp2& offset) {
  const Instance& inst = mi.inst;
  const unsigned k = inst.num_vars();
  const size_t d = inst.factors.size();
  ZK_ASSERT(k >= 1 && mi.masks.size() == d && mask.degrees() == masked_degrees(mi));
  for (const auto& m : mi.masks)
    ZK_ASSERT(is_empty(m) || std::visit([](auto span) { return span.size(); }, m) == (size_t(1) << k));
  ZkProverOutput out;
  out.proof.mask_sum = mask.sum();
  absorb_opening(t, mask_root, mask.degrees(), claimed_sum, out.proof.mask_sum);
  const Fp2 rho = t.challenge("sumcheck.zk.rho");

  // Round 0 over f^_j(X, x') = f_j(X, x') + X (1 - X) R_j(X, x') (variable 0 is the
  // index's lowest bit), by its values at X = 0..D_0.
  const unsigned D0 = mask.degrees()[0];
  const bool with_eq = !inst.eq_point.empty();
  const auto z = std::span<const Fp2>(inst.eq_point);
  const std::vector<Fp2> e_rest = with_eq ? poly::eq_table(z.subspan(1)) : std::vector<Fp2>{};
  const size_t half = size_t(1) << (k - 1);
  std::vector<Fp2> s = detail::round0_values(mi, e_rest, D0);
  if (with_eq)
    for (unsigned X = 0; X <= D0; ++X) s[X] *= eq1(z[0], Fp2::from_u64(X));
  const std::vector<Fp2> m = mask.round(0, {});
  std::vector<Fp2> masked(D0 + 1);
  for (unsigned X = 0; X <= D0; ++X) masked[X] = s[X] + rho * m[X] + offset_share(offset, 0);
  auto sent = detail::compress_round(masked);
  t.absorb("sumcheck.round", std::span<const Fp2>(sent));
  const Fp2 r0 = t.challenge("sumcheck.r");
  out.point.push_back(r0);
  out.proof.rounds.rounds.push_back(std::move(sent));

  // The tables with x_0 = r0: f_j(r0, .) + c R_j(r0, .), c = r0 (1 - r0); the rest is
  // the plain sumcheck of them, its rounds scaled by eq(z_0, r0).
  const Fp2 c = r0 * (Fp2::one() - r0), cr = c * r0;
  std::vector<std::vector<Fp2>> bound(d, std::vector<Fp2>(half));
  for (size_t j = 0; j < d; ++j) {
    // a + r0 (b - a) + c R(0) + c r0 (R(1) - R(0)): F_p values times constants.
    auto bind = [&](auto table, auto mask) {
      util::ThreadPool::global().parallel_for(half, [&](size_t lo, size_t hi) {
        for (size_t x = lo; x < hi; ++x) {
          Fp2 v = Fp2(table[2 * x]) + r0 * (table[2 * x + 1] - table[2 * x]);
          if (!mask.empty()) v += c * mask[2 * x] + cr * (mask[2 * x + 1] - mask[2 * x]);
          bound[j][x] = v;
        }
      }, 1 << 12);
    };
    std::visit(bind, inst.factors[j], mi.masks[j]);
  }
  Instance rest;
  for (const auto& b : bound) rest.factors.emplace_back(std::span<const Fp2>(b));
  rest.terms = inst.terms;
  if (with_eq) rest.eq_point.assign(z.begin() + 1, z.end());
  // The rest's sum: round 0's value at r0 without its eq factor (computed afresh in the
  // negligible case that the factor is zero). Round 0 here is F's alone (no offset).
  const Fp2 e0 = with_eq ? eq1(z[0], r0) : Fp2::one();
  const Fp2 rest_sum = e0.is_zero() ? compute_sum(rest) : interpolate(s, r0) * e0.inverse();
  Prover prover(rest, Placement::Cpu);
  run_rounds(prover, rest_sum, e0, 1, rho, mask, offset, out, t);
  return out;
}

Result<ZkSubClaim> verify_zk(const Fp2& claimed_sum, std::span<const unsigned> degrees, const hash::Digest& mask_root,
                             const ZkProof& proof, transcript::Transcript& t) {
  ZK_TRY(check_degrees(degrees));
  absorb_opening(t, mask_root, degrees, claimed_sum, proof.mask_sum);
  const Fp2 rho = t.challenge("sumcheck.zk.rho");
  transcript::charge_powers(t, 2);  // H + rho G: a false H passes for one rho
  for (size_t i = 0; i < degrees.size();) {  // the rounds, charged by runs of one degree
    size_t j = i;
    while (j < degrees.size() && degrees[j] == degrees[i]) ++j;
    transcript::charge_sumcheck(t, static_cast<unsigned>(j - i), degrees[i]);
    i = j;
  }
  auto sub = detail::verify_rounds(claimed_sum + rho * proof.mask_sum, degrees, proof.rounds, t);
  if (!sub.ok()) return make_error(sub.error());
  t.absorb("sumcheck.zk.final_mask", proof.final_mask);
  ZkSubClaim out;
  out.point = std::move(sub->point);
  out.expected = sub->expected - proof.final_mask;
  out.rho = rho;
  return out;
}

}  // namespace zks::sumcheck
