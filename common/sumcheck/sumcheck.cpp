#include "sumcheck/sumcheck.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>

#include "field/field.hpp"
#include "field/simd.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"
#include "util/log.hpp"
#include "util/thread_pool.hpp"

namespace zks::sumcheck {

namespace {
constexpr size_t kParallelMin = 1 << 12;

size_t table_size(const Table& t) {
  return std::visit([](auto s) { return s.size(); }, t);
}
}  // namespace

// The round kernel's inner loop on eight lanes (field/simd.hpp), for the pairs of a
// part that fill whole vectors: four pairs at a time over F_{p^2} tables, eight over
// base tables. The same field values as the scalar loop in Prover::kernel (sums are
// exact in any order), so the same proofs.
namespace simd_kernel {
using namespace field::simd;

struct Round {
  size_t d = 0;                        // factors
  const Term* terms = nullptr;         // null: one product of every factor
  size_t num_terms = 0;
  const Fp2Const* coeffs = nullptr;    // the terms' coefficients
  const Fp2* weights = nullptr;        // null: weights 1
  unsigned L = 0;
  bool skip_one = false;
};

// Pairs [lo, lo + n) of F_{p^2} tables, n a multiple of 4.
[[gnu::always_inline]] inline void ext_sums(const Fp2* const* tables, const Round& r, size_t lo, size_t n, Fp2* acc) {
  u64x8 a[kMaxDegree + 1] = {};
  u64x8 val[kMaxFactors], diff[kMaxFactors];
  for (size_t i = lo; i < lo + n; i += 4) {
    for (size_t j = 0; j < r.d; ++j) {
      const u64x8 v0 = load(tables[j] + 2 * i), v1 = load(tables[j] + 2 * i + 4);
      val[j] = even_fp2(v0, v1);
      diff[j] = sub(odd_fp2(v0, v1), val[j]);
    }
    const u64x8 w = r.weights ? load(r.weights + i) : u64x8{};
    for (unsigned t = 0; t <= r.L; ++t) {
      if (t > 0)
        for (size_t j = 0; j < r.d; ++j) val[j] = add(val[j], diff[j]);
      if (t == 1 && r.skip_one) continue;
      u64x8 v;
      if (r.terms) {
        v = u64x8{};
        for (size_t k = 0; k < r.num_terms; ++k) {
          const auto& f = r.terms[k].factors;
          u64x8 prod = val[f[0]];
          for (size_t q = 1; q < f.size(); ++q) prod = mul2(prod, val[f[q]]);
          v = add(v, mul(prod, r.coeffs[k]));
        }
      } else {
        v = val[0];
        for (size_t j = 1; j < r.d; ++j) v = mul2(v, val[j]);
      }
      a[t] = add(a[t], r.weights ? mul2(w, v) : v);
    }
  }
  for (unsigned t = 0; t <= r.L; ++t) acc[t] += sum_fp2(a[t]);
}

// Pairs [lo, lo + n) of base tables, n a multiple of 8: a product p of base values
// times the coefficient c is (c0 p, c1 p), kept as the two coordinates' vectors.
[[gnu::always_inline]] inline void base_sums(const Fp* const* tables, const Round& r, size_t lo, size_t n, Fp2* acc) {
  u64x8 a[kMaxDegree + 1] = {};
  u64x8 val[kMaxFactors], diff[kMaxFactors];
  for (size_t i = lo; i < lo + n; i += 8) {
    for (size_t j = 0; j < r.d; ++j) {
      const u64x8 v0 = load(tables[j] + 2 * i), v1 = load(tables[j] + 2 * i + 8);
      val[j] = even_fp(v0, v1);
      diff[j] = sub(odd_fp(v0, v1), val[j]);
    }
    u64x8 w_lo{}, w_hi{};
    if (r.weights) w_lo = load(r.weights + i), w_hi = load(r.weights + i + 4);
    for (unsigned t = 0; t <= r.L; ++t) {
      if (t > 0)
        for (size_t j = 0; j < r.d; ++j) val[j] = add(val[j], diff[j]);
      if (t == 1 && r.skip_one) continue;
      u64x8 c0{}, c1{};  // the eight pairs' values, coordinate by coordinate
      if (r.terms) {
        for (size_t k = 0; k < r.num_terms; ++k) {
          const auto& f = r.terms[k].factors;
          u64x8 prod = val[f[0]];
          for (size_t q = 1; q < f.size(); ++q) prod = mul(prod, val[f[q]]);
          c0 = add(c0, mul(prod, r.coeffs[k].r0));
          c1 = add(c1, mul(prod, r.coeffs[k].r1));
        }
      } else {
        c0 = val[0];
        for (size_t j = 1; j < r.d; ++j) c0 = mul(c0, val[j]);
      }
      const u64x8 v_lo = interleave_lo(c0, c1), v_hi = interleave_hi(c0, c1);
      a[t] = add(a[t], r.weights ? add(mul2(w_lo, v_lo), mul2(w_hi, v_hi)) : add(v_lo, v_hi));
    }
  }
  for (unsigned t = 0; t <= r.L; ++t) acc[t] += sum_fp2(a[t]);
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void sums(const Fp2* const* tables, const Round& r, size_t lo, size_t n, Fp2* acc) { ext_sums(tables, r, lo, n, acc); }
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void sums(const Fp* const* tables, const Round& r, size_t lo, size_t n, Fp2* acc) { base_sums(tables, r, lo, n, acc); }
}  // namespace simd_kernel

unsigned Instance::num_vars() const {
  ZK_ASSERT(!factors.empty());
  size_t n = table_size(factors[0]);
  ZK_ASSERT_MSG(n >= 1 && std::has_single_bit(n), "sumcheck tables must have 2^k entries");
  return static_cast<unsigned>(std::countr_zero(n));
}

unsigned degree_of(size_t num_factors, std::span<const Term> terms, bool with_eq) {
  size_t d = terms.empty() ? num_factors : 0;
  for (const auto& t : terms) d = std::max(d, t.factors.size());
  return static_cast<unsigned>(d + (with_eq ? 1 : 0));
}

unsigned Instance::degree() const { return degree_of(factors.size(), terms, !eq_point.empty()); }

Fp2 combine_terms(std::span<const Term> terms, std::span<const Fp2> values) {
  if (terms.empty()) {
    Fp2 prod = Fp2::one();
    for (const auto& v : values) prod *= v;
    return prod;
  }
  Fp2 sum = Fp2::zero();
  for (const auto& t : terms) {
    Fp2 prod = t.coeff;
    for (unsigned j : t.factors) prod *= values[j];
    sum += prod;
  }
  return sum;
}

Prover::Prover(const Instance& inst, Placement where)
    : m_num_vars(inst.num_vars()), m_degree(inst.degree()), m_terms(inst.terms) {
  ZK_ASSERT(m_degree >= 1 && m_degree <= kMaxDegree && m_num_vars <= kMaxVars);
  ZK_ASSERT(inst.factors.size() <= kMaxFactors);
  ZK_ASSERT(m_terms.empty() ? inst.factors.size() <= kMaxDegree : true);
  for (const auto& t : m_terms) {
    ZK_ASSERT(!t.factors.empty());
    for (unsigned j : t.factors) ZK_ASSERT(j < inst.factors.size());
  }
  size_t n = size_t(1) << m_num_vars;
  for (const auto& f : inst.factors) ZK_ASSERT_MSG(table_size(f) == n, "sumcheck factors must have equal sizes");
  set_eq_point(inst.eq_point);
  open_gpu(inst, where);
  m_factors = inst.factors;
  if (!m_gpu) take_factors();
}

Prover::~Prover() = default;

// The factors as the CPU rounds read them: the caller's base-field tables in place
// until the first fold, else copies in F_p^2 (folded in place).
void Prover::take_factors() {
  m_on_base = true;
  for (const auto& f : m_factors)
    if (!std::holds_alternative<std::span<const Fp>>(f)) m_on_base = false;
  if (m_on_base) {
    for (const auto& f : m_factors) m_base.push_back(std::get<std::span<const Fp>>(f));
  } else {
    for (const auto& f : m_factors) std::visit([&](auto s) { m_ext.emplace_back(s.begin(), s.end()); }, f);
  }
}

// Opens the GPU session when `where` and the instance allow it; the tables are then
// read from the caller's spans, and copied for the CPU only if the GPU fails.
void Prover::open_gpu(const Instance& inst, Placement where) {
  if (where == Placement::Cpu || m_num_vars == 0) return;
  if (where == Placement::Auto && !use_gpu(m_num_vars)) return;
  backend::Gpu* g = backend::gpu();
  if (!g) return;
  using G = backend::Gpu;
  const unsigned L = m_z.empty() ? m_degree : m_degree - 1;
  if (inst.factors.size() > G::kSumcheckMaxFactors || m_terms.size() > G::kSumcheckMaxTerms || L > G::kSumcheckMaxL)
    return;
  std::vector<G::Term> terms;
  for (const auto& t : m_terms) {
    if (t.factors.size() > G::kSumcheckMaxFactors) return;
    terms.push_back({t.coeff, t.factors});
  }
  std::vector<G::Table> tables;
  for (const auto& f : inst.factors) std::visit([&](auto span) { tables.emplace_back(span); }, f);
  auto session = g->sumcheck(tables, m_weights, terms);
  if (!session.ok()) {
    ZKS_LOG_WARN("sumcheck", "proving a sumcheck of 2^{} entries on the CPU: {}", m_num_vars, session.error());
    return;
  }
  m_gpu = std::move(*session);
}

// The GPU failed: bring the CPU tables and weights up to the GPU's round and go on here.
void Prover::leave_gpu(const std::string& why) {
  ZKS_LOG_WARN("sumcheck", "GPU sumcheck failed after {} rounds, going on on the CPU: {}", m_gpu_challenges.size(), why);
  m_gpu.reset();
  take_factors();
  for (const Fp2& r : m_gpu_challenges) fold_on_cpu(r);
  m_gpu_challenges.clear();
}

Prover::Prover(RoundOracle& oracle, unsigned num_vars, unsigned degree, std::span<const Fp2> eq_point)
    : m_num_vars(num_vars), m_degree(degree), m_oracle(&oracle) {
  ZK_ASSERT(m_degree >= 1 && m_degree <= kMaxDegree && m_num_vars <= kMaxVars);
  set_eq_point(eq_point);
}

void Prover::set_eq_point(std::span<const Fp2> z) {
  if (z.empty()) return;
  ZK_ASSERT(z.size() == m_num_vars);
  m_z.assign(z.begin(), z.end());
  // Weights over the variables above the one being bound: eq(z_{>0}, x').
  m_weights = poly::eq_table(std::span<const Fp2>(m_z).subspan(1));
}

// Evaluates l(t) = sum_i w_i * P(t, i) for t = 0..L, where P is the product of every
// factor (kTerms false) or the sum of the instance's terms, each factor restricted to
// the line through pair i, and w_i the eq weight (1 without eq). t = 1 is skipped when
// the caller can derive it from the claim.
template <typename F, bool kTerms>
std::vector<Fp2> Prover::kernel(const std::vector<std::span<const F>>& tables, unsigned L,
                                bool skip_one) const {
  const size_t d = tables.size();
  const bool weighted = !m_weights.empty();
  const size_t half = tables[0].size() / 2;
  auto& pool = util::ThreadPool::global();
  size_t parts = half >= kParallelMin ? pool.size() : 1;
  std::vector<std::array<Fp2, kMaxDegree + 1>> partial(parts);

  // The vector kernels take each part's pairs in whole vectors; the rest go below.
  constexpr size_t kLanes = std::is_same_v<F, Fp> ? 8 : 4;
  std::array<const F*, kMaxFactors> ptrs{};
  for (size_t j = 0; j < d; ++j) ptrs[j] = tables[j].data();
  std::vector<simd_kernel::Fp2Const> coeffs;
  coeffs.reserve(m_terms.size());
  for (const auto& term : m_terms) coeffs.emplace_back(term.coeff);
  simd_kernel::Round round{d, kTerms ? m_terms.data() : nullptr, m_terms.size(), coeffs.data(),
                           weighted ? m_weights.data() : nullptr, L, skip_one};

  pool.parallel_for(parts, [&](size_t p_lo, size_t p_hi) {
    std::array<F, kMaxFactors> val, diff;
    for (size_t p = p_lo; p < p_hi; ++p) {
      std::array<Fp2, kMaxDegree + 1> acc{};
      size_t lo = util::chunk_bound(half, parts, p), hi = util::chunk_bound(half, parts, p + 1);
      const size_t vec = (hi - lo) / kLanes * kLanes;
      if (vec) simd_kernel::sums(ptrs.data(), round, lo, vec, acc.data());
      for (size_t i = lo + vec; i < hi; ++i) {
        for (size_t j = 0; j < d; ++j) {
          val[j] = tables[j][2 * i];
          diff[j] = tables[j][2 * i + 1] - val[j];
        }
        for (unsigned t = 0; t <= L; ++t) {
          if (t > 0)
            for (size_t j = 0; j < d; ++j) val[j] += diff[j];
          if (t == 1 && skip_one) continue;
          Fp2 v;
          if constexpr (kTerms) {
            v = Fp2::zero();
            for (const auto& term : m_terms) {
              F prod = val[term.factors[0]];
              for (size_t q = 1; q < term.factors.size(); ++q) prod *= val[term.factors[q]];
              v += term.coeff * prod;
            }
          } else {
            F prod = val[0];
            for (size_t j = 1; j < d; ++j) prod *= val[j];
            v = Fp2(prod);
          }
          acc[t] += weighted ? m_weights[i] * v : v;
        }
      }
      partial[p] = acc;
    }
  }, 1);

  std::vector<Fp2> l(L + 1, Fp2::zero());
  for (const auto& acc : partial)
    for (unsigned t = 0; t <= L; ++t) l[t] += acc[t];
  return l;
}

std::vector<Fp2> Prover::evaluate_l(unsigned L, bool skip_one) {
  if (m_gpu) {
    auto l = m_gpu->round(L, skip_one);
    if (l.ok()) return std::move(*l);
    leave_gpu(l.error());
  }
  if (m_oracle) return m_oracle->evaluate(m_weights, L, skip_one);
  if (m_on_base)
    return m_terms.empty() ? kernel<Fp, false>(m_base, L, skip_one)
                           : kernel<Fp, true>(m_base, L, skip_one);
  std::vector<std::span<const Fp2>> views(m_ext.begin(), m_ext.end());
  return m_terms.empty() ? kernel<Fp2, false>(views, L, skip_one)
                         : kernel<Fp2, true>(views, L, skip_one);
}

// Without eq, s = l and s(1) = claim - s(0). With eq, Gruen's factoring ("Some
// improvements for the PIOP for ZeroCheck", 2024): s(X) = c * eq(z_i, X) * l(X) with
// c = prod_{j<i} eq(z_j, r_j) and l(X) = sum_{x'} eq(z_{>i}, x') P(r, X, x') of degree
// L = D - 1, so the eq table is never folded and one evaluation point is saved;
// l(1) = (claim - c (1 - z_i) l(0)) / (c z_i) unless c z_i = 0.
std::vector<Fp2> Prover::round(const Fp2& claim) {
  ZK_ASSERT(m_round < m_num_vars);
  if (m_z.empty()) {
    std::vector<Fp2> s = evaluate_l(m_degree, true);
    s[1] = claim - s[0];
    return s;
  }
  const unsigned L = m_degree - 1;
  const Fp2 z = m_z[m_round];
  const Fp2 denom = m_c * z;
  std::vector<Fp2> l = evaluate_l(L, !denom.is_zero());
  if (!denom.is_zero()) l[1] = (claim - m_c * (Fp2::one() - z) * l[0]) * denom.inverse();
  std::vector<Fp2> s(m_degree + 1);
  for (unsigned t = 0; t <= m_degree; ++t) {
    Fp2 T = Fp2(Fp(t));
    Fp2 lt = t <= L ? l[t] : interpolate(l, T);
    // eq(z, t) = z t + (1 - z)(1 - t)
    s[t] = m_c * (z * T + (Fp2::one() - z) * (Fp2::one() - T)) * lt;
  }
  return s;
}

// Folds the tables by r and sums out the eq weights' next variable, on the CPU.
void Prover::fold_on_cpu(const Fp2& r) {
  if (m_oracle) {
    m_oracle->bind(r);
  } else if (m_on_base) {
    for (auto f : m_base) m_ext.push_back(poly::fold(f, r));
    m_base.clear();
    m_on_base = false;
  } else {
    for (auto& f : m_ext) poly::fold_in_place(f, r);
  }
  // eq(z_{>i+1}, x'') = eq(z_{>i}, (0, x'')) + eq(z_{>i}, (1, x'')): sum out z_{i+1}.
  if (m_weights.size() >= 2) {
    size_t n = m_weights.size() / 2;
    for (size_t x = 0; x < n; ++x) m_weights[x] = m_weights[2 * x] + m_weights[2 * x + 1];
    m_weights.resize(n);
  }
}

void Prover::bind(const Fp2& r) {
  ZK_ASSERT(m_round < m_num_vars);
  if (m_gpu) {
    m_gpu_challenges.push_back(r);
    if (auto st = m_gpu->bind(r); !st.ok()) leave_gpu(st.error());
  } else {
    fold_on_cpu(r);
  }
  if (!m_z.empty()) {
    const Fp2 z = m_z[m_round];
    m_c *= z * r + (Fp2::one() - z) * (Fp2::one() - r);
  }
  ++m_round;
}

std::vector<Fp2> Prover::factor_evals() {
  ZK_ASSERT(m_round == m_num_vars);
  if (m_gpu) {
    std::vector<Fp2> out;
    for (unsigned j = 0; j < m_factors.size(); ++j) {
      auto t = m_gpu->table(j);
      if (!t.ok() || t->size() != 1) {
        leave_gpu(t.ok() ? "a table was not folded to one value" : t.error());
        return factor_evals();
      }
      out.push_back((*t)[0]);
    }
    return out;
  }
  if (m_oracle) return m_oracle->factor_evals();
  std::vector<Fp2> out;
  if (m_on_base) {  // k = 0: nothing was bound
    for (auto f : m_base) out.push_back(Fp2(f[0]));
  } else {
    for (const auto& f : m_ext) out.push_back(f[0]);
  }
  return out;
}

Fp2 compute_sum(const Instance& inst) {
  size_t n = size_t(1) << inst.num_vars();
  std::vector<Fp2> eq;
  if (!inst.eq_point.empty()) eq = poly::eq_table(inst.eq_point);
  auto at = [](const Table& t, size_t i) {
    return std::visit([i](auto s) { return Fp2(s[i]); }, t);
  };
  Fp2 sum = Fp2::zero();
  std::vector<Fp2> vals(inst.factors.size());
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < vals.size(); ++j) vals[j] = at(inst.factors[j], i);
    Fp2 v = combine_terms(inst.terms, vals);
    sum += eq.empty() ? v : eq[i] * v;
  }
  return sum;
}

namespace {
}  // namespace

void detail::absorb_header(transcript::Transcript& t, unsigned num_vars, unsigned degree, const Fp2& claim) {
  t.absorb_u64("sumcheck.shape", (uint64_t(num_vars) << 32) | degree);
  t.absorb("sumcheck.claim", claim);
}

std::vector<Fp2> detail::compress_round(const std::vector<Fp2>& s) {
  std::vector<Fp2> sent;
  sent.reserve(s.size() - 1);
  sent.push_back(s[0]);
  sent.insert(sent.end(), s.begin() + 2, s.end());
  return sent;
}

ProverOutput prove(const Instance& inst, transcript::Transcript& t) {
  return prove(inst, compute_sum(inst), t);
}

namespace {
using detail::absorb_header;
using detail::compress_round;

ProverOutput run(Prover& prover, const Fp2& claimed_sum, transcript::Transcript& t) {
  ProverOutput out;
  out.claimed_sum = claimed_sum;
  absorb_header(t, prover.num_vars(), prover.degree(), claimed_sum);
  Fp2 claim = claimed_sum;
  for (unsigned i = 0; i < prover.num_vars(); ++i) {
    std::vector<Fp2> s = prover.round(claim);
    auto sent = compress_round(s);
    t.absorb("sumcheck.round", std::span<const Fp2>(sent));
    Fp2 r = t.challenge("sumcheck.r");
    claim = interpolate(s, r);
    prover.bind(r);
    out.point.push_back(r);
    out.proof.rounds.push_back(std::move(sent));
  }
  out.factor_evals = prover.factor_evals();
  return out;
}
}  // namespace

ProverOutput prove(const Instance& inst, const Fp2& claimed_sum, transcript::Transcript& t, Placement where) {
  Prover prover(inst, where);
  return run(prover, claimed_sum, t);
}

namespace {
// One random instance proved with its rounds on the GPU and on the CPU: the same bytes?
bool gpu_matches(std::mt19937_64& rng, unsigned vars, unsigned num_factors, uint32_t base_mask, bool eq, bool terms) {
  const size_t n = size_t(1) << vars;
  std::vector<std::vector<Fp>> base(num_factors);
  std::vector<std::vector<Fp2>> ext(num_factors);
  Instance inst;
  for (unsigned j = 0; j < num_factors; ++j) {
    if ((base_mask >> j) & 1) {
      for (size_t i = 0; i < n; ++i) base[j].push_back(Fp(rng()));
      inst.factors.emplace_back(std::span<const Fp>(base[j]));
    } else {
      for (size_t i = 0; i < n; ++i) ext[j].push_back(Fp2(Fp(rng()), Fp(rng())));
      inst.factors.emplace_back(std::span<const Fp2>(ext[j]));
    }
  }
  if (eq)
    for (unsigned i = 0; i < vars; ++i) inst.eq_point.push_back(Fp2(Fp(rng()), Fp(rng())));
  if (terms) {  // p0 q1 + p1 q0 + lambda q0 q1, a LogUp-GKR layer's shape
    inst.terms = {{Fp2::one(), {0, 3}}, {Fp2::one(), {1, 2}}, {Fp2(Fp(rng()), Fp(rng())), {2, 3}}};
  }
  const Fp2 claim = compute_sum(inst);
  transcript::Transcript tg("sumcheck.self-check"), tc("sumcheck.self-check");
  Prover on_gpu(inst, Placement::Gpu);
  if (!on_gpu.on_gpu()) return false;
  ProverOutput g = run(on_gpu, claim, tg);
  if (!on_gpu.on_gpu()) return false;  // it fell back to the CPU, which proves the same bytes
  ProverOutput c = prove(inst, claim, tc, Placement::Cpu);
  util::ByteWriter wg, wc;
  g.proof.write(wg);
  c.proof.write(wc);
  return wg.bytes() == wc.bytes() && g.factor_evals == c.factor_evals && g.point == c.point;
}

// A session as the Basefold opening drives one (pcs FoldSumcheck) against the
// definitions: a base-field f and an F_p^2 W, every round's three values computed
// (no l(1) left out), f read back after each bind (a fold on its own at full size) and
// tables large enough for several pairs per GPU thread.
bool gpu_session_matches(backend::Gpu& g, std::mt19937_64& rng, unsigned vars) {
  const size_t n = size_t(1) << vars;
  std::vector<Fp> f0(n);
  std::vector<Fp2> w(n);
  for (auto& x : f0) x = Fp(rng());
  for (auto& x : w) x = Fp2(Fp(rng()), Fp(rng()));
  std::vector<backend::Gpu::Table> tables{std::span<const Fp>(f0), std::span<const Fp2>(w)};
  auto session = g.sumcheck(tables, {}, {});
  if (!session.ok()) return false;
  std::vector<Fp2> f(f0.begin(), f0.end());
  for (unsigned i = 0; i < vars; ++i) {
    auto l = (*session)->round(2, false);
    if (!l.ok() || l->size() != 3) return false;
    std::array<Fp2, 3> want{};
    for (size_t x = 0; x < f.size() / 2; ++x) {
      const Fp2 f1 = f[2 * x + 1], w1 = w[2 * x + 1];
      want[0] += f[2 * x] * w[2 * x];
      want[1] += f1 * w1;
      want[2] += (f1 + f1 - f[2 * x]) * (w1 + w1 - w[2 * x]);
    }
    if ((*l)[0] != want[0] || (*l)[1] != want[1] || (*l)[2] != want[2]) return false;
    const Fp2 r{Fp(rng()), Fp(rng())};
    if (!(*session)->bind(r).ok()) return false;
    f = poly::fold(std::span<const Fp2>(f), r);
    w = poly::fold(std::span<const Fp2>(w), r);
    if (i % 2 == 1 || i + 1 == vars) {  // odd rounds read f back: the next round is then unfused
      auto t = (*session)->table(0);
      if (!t.ok() || *t != f) return false;
    }
  }
  return true;
}
}  // namespace

bool gpu_sumchecks() {
  if (!backend::gpu()) return false;
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    std::mt19937_64 rng(11);
    const size_t failures = backend::Gpu::failures();
    // Several blocks per round (2^13 pairs), a single block, one entry pair; base,
    // F_p^2 and mixed tables; with and without eq; a plain product and terms; then
    // the opening's way, with 2^19 pairs (two per GPU thread in the first round).
    ok = gpu_matches(rng, 14, 3, 0b111, true, false) && gpu_matches(rng, 12, 4, 0b0101, true, true) &&
         gpu_matches(rng, 10, 2, 0b01, false, false) && gpu_matches(rng, 1, 2, 0b00, true, false) &&
         gpu_session_matches(*backend::gpu(), rng, 20) && backend::Gpu::failures() == failures;
    if (ok)
      ZKS_LOG_INFO("sumcheck", "sumchecks of 2^{} entries and more run on the GPU", gpu_min_vars());
    else
      ZKS_LOG_WARN("sumcheck", "GPU sumchecks disabled: the GPU's rounds differ from the CPU's on the self-check");
  });
  return ok && backend::gpu();
}

unsigned gpu_min_vars() {
  static const unsigned vars = [] {
    const char* env = std::getenv("ZKS_GPU_SUMCHECK_MIN_VARS");
    if (!env) return kGpuMinVars;
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end == env || *end != 0 || v < 1 || v > long(kMaxVars)) {
      ZKS_LOG_WARN("sumcheck", "ZKS_GPU_SUMCHECK_MIN_VARS={} is not a number from 1 to {}; using {}", env, kMaxVars,
                   kGpuMinVars);
      return kGpuMinVars;
    }
    return static_cast<unsigned>(v);
  }();
  return vars;
}

bool use_gpu(unsigned num_vars) { return num_vars >= gpu_min_vars() && gpu_sumchecks(); }

ProverOutput prove(RoundOracle& oracle, unsigned num_vars, unsigned degree, std::span<const Fp2> eq_point,
                   const Fp2& claimed_sum, transcript::Transcript& t) {
  Prover prover(oracle, num_vars, degree, eq_point);
  return run(prover, claimed_sum, t);
}

Result<SubClaim> verify(const Fp2& claimed_sum, unsigned num_vars, unsigned degree,
                        const Proof& proof, transcript::Transcript& t) {
  if (degree < 1 || degree > kMaxDegree)
    return make_error("sumcheck: degree " + std::to_string(degree) + " out of range");
  if (num_vars > kMaxVars)
    return make_error("sumcheck: " + std::to_string(num_vars) + " variables out of range");
  if (proof.rounds.size() != num_vars)
    return make_error("sumcheck: expected " + std::to_string(num_vars) + " rounds, got " +
                      std::to_string(proof.rounds.size()));
  absorb_header(t, num_vars, degree, claimed_sum);
  transcript::charge_sumcheck(t, num_vars, degree);
  return detail::verify_rounds(claimed_sum, std::vector<unsigned>(num_vars, degree), proof, t);
}

Result<SubClaim> detail::verify_rounds(const Fp2& claimed_sum, std::span<const unsigned> degrees, const Proof& proof,
                                       transcript::Transcript& t) {
  if (proof.rounds.size() != degrees.size())
    return make_error("sumcheck: expected " + std::to_string(degrees.size()) + " rounds, got " +
                      std::to_string(proof.rounds.size()));
  SubClaim sub;
  Fp2 claim = claimed_sum;
  std::vector<Fp2> s;
  for (size_t i = 0; i < degrees.size(); ++i) {
    const auto& sent = proof.rounds[i];
    if (degrees[i] < 1 || degrees[i] > kMaxDegree || sent.size() != degrees[i])
      return make_error("sumcheck: round " + std::to_string(i) + " has " + std::to_string(sent.size()) +
                        " evaluations, expected " + std::to_string(degrees[i]));
    // s(1) is not sent: s(0) + s(1) = claim defines it (the check it replaces).
    s.resize(degrees[i] + 1);
    s[0] = sent[0];
    s[1] = claim - sent[0];
    std::copy(sent.begin() + 1, sent.end(), s.begin() + 2);
    t.absorb("sumcheck.round", std::span<const Fp2>(sent));
    Fp2 r = t.challenge("sumcheck.r");
    claim = interpolate(s, r);
    sub.point.push_back(r);
  }
  sub.expected = claim;
  return sub;
}

Status check_final(const SubClaim& sub, std::span<const Fp2> factor_evals,
                   std::span<const Fp2> eq_point, std::span<const Term> terms) {
  Fp2 v = Fp2::one();
  if (!eq_point.empty()) {
    if (eq_point.size() != sub.point.size()) return make_error("sumcheck: eq point has the wrong size");
    v = poly::eq_eval(eq_point, sub.point);
  }
  for (const auto& t : terms)
    for (unsigned j : t.factors)
      if (j >= factor_evals.size()) return make_error("sumcheck: term refers to a missing factor");
  v *= combine_terms(terms, factor_evals);
  if (v != sub.expected) return make_error("sumcheck: final evaluation does not match the last round");
  return {};
}

Fp2 interpolate(std::span<const Fp2> evals, const Fp2& r) {
  const size_t n = evals.size();
  ZK_ASSERT(n >= 1 && n <= kMaxDegree + 1);
  // Nodes 0..n-1. If r is a node, return the value there.
  for (size_t i = 0; i < n; ++i)
    if (r == Fp2(Fp(i))) return evals[i];
  // s(r) = L(r) * sum_i w_i s_i / (r - i), L(r) = prod (r - j),
  // w_i = 1 / prod_{j != i} (i - j) = (-1)^(n-1-i) / (i! (n-1-i)!).
  std::array<Fp2, kMaxDegree + 1> diffs;
  Fp2 L = Fp2::one();
  for (size_t i = 0; i < n; ++i) {
    diffs[i] = r - Fp2(Fp(i));
    L *= diffs[i];
  }
  field::batch_inverse(std::span<Fp2>(diffs.data(), n));
  // The weights w_i for every node count, computed once (an inversion each).
  static const auto weights = [] {
    std::array<std::array<Fp, kMaxDegree + 1>, kMaxDegree + 2> w{};
    std::array<Fp, kMaxDegree + 1> fact{};
    fact[0] = Fp::one();
    for (size_t i = 1; i <= kMaxDegree; ++i) fact[i] = fact[i - 1] * Fp(i);
    for (size_t m = 1; m <= kMaxDegree + 1; ++m)
      for (size_t i = 0; i < m; ++i) {
        w[m][i] = (fact[i] * fact[m - 1 - i]).inverse();
        if ((m - 1 - i) & 1) w[m][i] = -w[m][i];
      }
    return w;
  }();
  Fp2 acc = Fp2::zero();
  for (size_t i = 0; i < n; ++i) acc += evals[i] * diffs[i] * weights[n][i];
  return L * acc;
}

void Proof::write(util::ByteWriter& w) const {
  for (const auto& s : rounds)
    for (const auto& x : s) field::write(w, x);
}

Result<Proof> Proof::read(util::ByteReader& r, unsigned num_vars, unsigned degree) {
  // The reader knows the shape: num_vars rounds of `degree` values, nothing else.
  if (degree < 1 || degree > kMaxDegree || num_vars > kMaxVars)
    return make_error("sumcheck proof: a shape of " + std::to_string(num_vars) + " rounds of degree " +
                      std::to_string(degree) + " is out of range");
  const size_t n = num_vars, width = degree;
  if (r.remaining() < n * width * field::kFp2Bytes) return make_error("sumcheck proof: rounds truncated");
  Proof p;
  p.rounds.assign(n, std::vector<Fp2>(width));
  for (auto& s : p.rounds)
    for (auto& x : s) ZK_TRY(field::read(r, x));
  return p;
}

}  // namespace zks::sumcheck
