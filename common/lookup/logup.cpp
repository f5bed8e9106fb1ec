#include "lookup/logup.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <unordered_map>

#include "field/field.hpp"
#include "field/simd.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::lookup {

namespace {

constexpr unsigned kMaxVars = 30;
constexpr unsigned kMaxColumns = 8;

Status check_shape(const Shape& s) {
  if (s.witness.blocks().size() > 64) return make_error("logup: more than 64 witness blocks");
  for (const auto& b : s.witness.blocks())
    if (b.dims().size() > 8) return make_error("logup: witness has more than 8 axes");
  // Blocks padded past their tensors (BlockLayout's min_block_vars) are the zk lookup's,
  // whose challenges absorb their sizes; this transcript (shape_bytes) does not.
  for (size_t b = 0; b < s.witness.blocks().size(); ++b)
    if (s.witness.block_vars(b) != s.witness.blocks()[b].num_vars())
      return make_error("logup: a witness block padded past its tensor");
  if (s.witness_vars() > kMaxVars || s.table_vars > kMaxVars)
    return make_error("logup: more than 2^" + std::to_string(kMaxVars) + " rows");
  if (s.columns == 0 || s.columns > kMaxColumns)
    return make_error("logup: " + std::to_string(s.columns) + " columns out of range");
  return {};
}

using Layer = detail::FractionTable;
using Check = transcript::SoundnessLedger::Check;

// Parents x < n of two explicit children each, four at a time on eight lanes
// (field/simd.hpp), bit for bit the scalar p0 q1 + p1 q0, q0 q1.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void parents(const Fp2* cp, const Fp2* cq, Fp2* p, Fp2* q, size_t n) {
  using namespace field::simd;
  size_t x = 0;
  for (; x + 4 <= n; x += 4) {
    const u64x8 pa = load(cp + 2 * x), pb = load(cp + 2 * x + 4), qa = load(cq + 2 * x), qb = load(cq + 2 * x + 4);
    const u64x8 p0 = even_fp2(pa, pb), p1 = odd_fp2(pa, pb), q0 = even_fp2(qa, qb), q1 = odd_fp2(qa, qb);
    store(p + x, add(mul2(p0, q1), mul2(p1, q0)));
    store(q + x, mul2(q0, q1));
  }
  for (; x < n; ++x) {
    p[x] = cp[2 * x] * cq[2 * x + 1] + cp[2 * x + 1] * cq[2 * x];
    q[x] = cq[2 * x] * cq[2 * x + 1];
  }
}

// layers[i] has 2^i fractions; layers.back() is the leaf layer.
std::vector<Layer> build_tree(Layer leaves) {
  unsigned depth = poly::log2_ceil(leaves.size);
  std::vector<Layer> layers(depth + 1);
  layers[depth] = std::move(leaves);
  for (unsigned i = depth; i-- > 0;) {
    const Layer& c = layers[i + 1];
    Layer& l = layers[i];
    l.size = size_t(1) << i;
    const size_t n = (c.p.size() + 1) / 2;  // parents with an explicit child
    l.p.resize(n);
    l.q.resize(n);
    const size_t whole = c.p.size() / 2;  // parents whose children are both explicit
    util::ThreadPool::global().parallel_for(n, [&](size_t lo, size_t hi) {
      const size_t mid = std::clamp(whole, lo, hi);
      parents(c.p.data() + 2 * lo, c.q.data() + 2 * lo, l.p.data() + lo, l.q.data() + lo, mid - lo);
      for (size_t x = mid; x < hi; ++x) {
        const Fp2 p0 = c.p[2 * x], q0 = c.q[2 * x], p1 = c.p_at(2 * x + 1), q1 = c.q_at(2 * x + 1);
        l.p[x] = p0 * q1 + p1 * q0;
        l.q[x] = q0 * q1;
      }
    }, 1 << 12);
    l.p_tail = c.p_tail * c.q_tail + c.p_tail * c.q_tail;
    l.q_tail = c.q_tail * c.q_tail;
  }
  return layers;
}

// alpha - c(row) with c(row) = sum_c beta^c col_c[row].
Fp2 denominator(const std::vector<std::span<const Fp>>& cols, const Fp2& alpha, const Fp2& beta, size_t row) {
  Fp2 acc = Fp2::zero(), pw = Fp2::one();
  for (const auto& col : cols) {
    acc += pw * col[row];
    pw *= beta;
  }
  return alpha - acc;
}

// Rows [lo, hi) of the denominators, eight at a time on eight lanes: the two
// coordinates alpha_k - sum_c (beta^c)_k col_c[row] (k = 0, 1) as vectors, then
// interleaved into Fp2; bit for bit denominator().
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void denominator_run(const Fp* const* cols, const Fp2* powers, size_t num_cols, const Fp2& alpha, size_t lo,
                     size_t hi, Fp2* q) {
  using namespace field::simd;
  size_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    u64x8 c0{}, c1{};
    for (size_t c = 0; c < num_cols; ++c) {
      const u64x8 v = load(cols[c] + i);
      c0 = add(c0, mul(v, splat(powers[c].c0().value())));
      c1 = add(c1, mul(v, splat(powers[c].c1().value())));
    }
    c0 = sub(splat(alpha.c0().value()), c0);
    c1 = sub(splat(alpha.c1().value()), c1);
    store(q + i, interleave_lo(c0, c1));
    store(q + i + 4, interleave_hi(c0, c1));
  }
  for (; i < hi; ++i) {
    Fp2 acc = Fp2::zero();
    for (size_t c = 0; c < num_cols; ++c) acc += powers[c] * cols[c][i];
    q[i] = alpha - acc;
  }
}

// The denominators of the first n rows.
std::vector<Fp2> denominators(const std::vector<std::span<const Fp>>& cols, const Fp2& alpha,
                              const Fp2& beta, size_t n) {
  std::vector<Fp2> q(n), powers;
  std::vector<const Fp*> ptrs;
  Fp2 pw = Fp2::one();
  for (const auto& col : cols) {
    ptrs.push_back(col.data());
    powers.push_back(pw);
    pw *= beta;
  }
  util::ThreadPool::global().parallel_for(n, [&](size_t lo, size_t hi) {
    denominator_run(ptrs.data(), powers.data(), cols.size(), alpha, lo, hi, q.data());
  }, 1 << 12);
  return q;
}

// The witness rows before its tail: the rows from the last one that differs from the
// final row (in a column, or in being real) on are all the same leaf. Past a witness's
// last block that is padding, (0, alpha - c(0)); for a range check's flat witness, its
// zero-filled end, (1, alpha).
size_t explicit_rows(const Input& in) {
  const auto& layout = in.witness_shape;
  const size_t last = layout.padded_size() - 1;
  const bool last_real = layout.is_real(last);
  auto same_as_last = [&](size_t i) {
    for (const auto& col : in.witness)
      if (col[i] != col[last]) return false;
    return layout.is_real(i) == last_real;
  };
  size_t n = last + 1;
  while (n > 0 && same_as_last(n - 1)) --n;
  return n;
}

Fp2 combine_columns(std::span<const Fp2> evals, const Fp2& beta) {
  Fp2 acc = Fp2::zero(), pw = Fp2::one();
  for (const auto& e : evals) {
    acc += pw * e;
    pw *= beta;
  }
  return acc;
}

std::vector<sumcheck::Term> layer_terms(const Fp2& lambda) {
  // factors: 0 = p0, 1 = p1, 2 = q0, 3 = q1
  return {{Fp2::one(), {0, 3}}, {Fp2::one(), {1, 2}}, {lambda, {2, 3}}};
}

// A fraction layer's fold on eight lanes (field/simd.hpp), bit for bit the scalar
// a + r (b - a) on each of the four Fp2 of a record (p0, p1, q0, q1), one record per
// vector. From folded records: out[i] = fold(in[2i], in[2i + 1]).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void fold_records(const Fp2* in, Fp2* out, size_t n, const Fp2& r) {
  using namespace field::simd;
  const Fp2Const rc(r);
  for (size_t i = 0; i < n; ++i) {
    const u64x8 a = load(in + 8 * i), b = load(in + 8 * i + 4);
    store(out + 4 * i, add(a, mul(sub(b, a), rc)));
  }
}
// From the children: record x is (p[2x], p[2x + 1], q[2x], q[2x + 1]), so the pair
// (2i, 2i + 1) reads p[4i..4i + 3] and q[4i..4i + 3].
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void fold_child_records(const Fp2* p, const Fp2* q, Fp2* out, size_t n, const Fp2& r) {
  using namespace field::simd;
  const Fp2Const rc(r);
  for (size_t i = 0; i < n; ++i) {
    const u64x8 pv = load(p + 4 * i), qv = load(q + 4 * i);
    const u64x8 a = low_halves(pv, qv), b = high_halves(pv, qv);
    store(out + 4 * i, add(a, mul(sub(b, a), rc)));
  }
}

// A fraction layer's round sums on eight lanes: four pairs at a time, each of p0, p1,
// q0, q1 of their four first (a) and four second (b) records gathered into one vector
// (4 x 4 transposes of Fp2), then acc[t] += w_i value(a_i + t (b_i - a_i)) for
// t = 0..L (t = 1 skipped when skip_one) with value = p0 q1 + q0 (p1 + lambda q1), as
// FractionLayer::value. Field sums are exact in any order: the same acc as the scalar
// loop, bit for bit.
namespace simd_layer {
using namespace field::simd;

// Rows r[0..3] of four Fp2 each -> columns: r[j] becomes (r0[j], r1[j], r2[j], r3[j]).
[[gnu::always_inline]] inline void transpose4(u64x8 r[4]) {
  const u64x8 t0 = __builtin_shuffle(r[0], r[1], u64x8{0, 1, 8, 9, 4, 5, 12, 13});
  const u64x8 t1 = __builtin_shuffle(r[0], r[1], u64x8{2, 3, 10, 11, 6, 7, 14, 15});
  const u64x8 t2 = __builtin_shuffle(r[2], r[3], u64x8{0, 1, 8, 9, 4, 5, 12, 13});
  const u64x8 t3 = __builtin_shuffle(r[2], r[3], u64x8{2, 3, 10, 11, 6, 7, 14, 15});
  r[0] = low_halves(t0, t2), r[2] = high_halves(t0, t2);
  r[1] = low_halves(t1, t3), r[3] = high_halves(t1, t3);
}

// load_pairs(i, f) sets f[0..3] to p0, p1, q0, q1 of pairs i..i+3's a records (one
// vector each), f[4..7] likewise of their b records; w null: weights 1.
template <typename Load>
[[gnu::always_inline]] inline void sums(Load&& load_pairs, const Fp2* w, size_t n, const Fp2& lambda, unsigned L,
                                        bool skip_one, Fp2 acc[4]) {
  const Fp2Const lam(lambda);
  u64x8 a[4] = {};
  for (size_t i = 0; i + 4 <= n; i += 4) {
    u64x8 f[8];
    load_pairs(i, f);
    const u64x8 ww = w ? load(w + i) : u64x8{};
    u64x8 d[4];
    for (int k = 0; k < 4; ++k) d[k] = sub(f[4 + k], f[k]);
    for (unsigned t = 0; t <= L; ++t) {
      if (t > 0)
        for (int k = 0; k < 4; ++k) f[k] = add(f[k], d[k]);
      if (t == 1 && skip_one) continue;
      const u64x8 v = add(mul2(f[0], f[3]), mul2(f[2], add(f[1], mul(f[3], lam))));
      a[t] = add(a[t], w ? mul2(ww, v) : v);
    }
  }
  for (unsigned t = 0; t <= L; ++t) acc[t] += sum_fp2(a[t]);
}

// Pairs of folded records: pair i is recs[2i], recs[2i + 1], four Fp2 each.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void record_sums(const Fp2* recs, const Fp2* w, size_t n, const Fp2& lambda, unsigned L, bool skip_one, Fp2 acc[4]) {
  sums([&](size_t i, u64x8 f[8]) {
    for (int k = 0; k < 4; ++k) {
      f[k] = load(recs + 8 * (i + k));
      f[4 + k] = load(recs + 8 * (i + k) + 4);
    }
    transpose4(f);
    transpose4(f + 4);
  }, w, n, lambda, L, skip_one, acc);
}
// Pairs of children: pair i reads p[4i..4i + 3] = (p0, p1 of a, p0, p1 of b), q likewise.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void child_sums(const Fp2* p, const Fp2* q, const Fp2* w, size_t n, const Fp2& lambda, unsigned L, bool skip_one,
                Fp2 acc[4]) {
  sums([&](size_t i, u64x8 f[8]) {
    u64x8 pp[4], qq[4];
    for (int k = 0; k < 4; ++k) pp[k] = load(p + 4 * (i + k)), qq[k] = load(q + 4 * (i + k));
    transpose4(pp);  // p0 of the a, p1 of the a, p0 of the b, p1 of the b
    transpose4(qq);
    f[0] = pp[0], f[1] = pp[1], f[2] = qq[0], f[3] = qq[1];
    f[4] = pp[2], f[5] = pp[3], f[6] = qq[2], f[7] = qq[3];
  }, w, n, lambda, L, skip_one, acc);
}
}  // namespace simd_layer

// The layer sumcheck's kernel, specialised: sum_x eq(r, x) (p0 q1 + p1 q0 + lambda q0 q1)
// with p_b(x) = p[2x + b], q_b likewise, computed as p0 q1 + q0 (p1 + lambda q1) (three
// products). The children are read in place until the first bind; the folded tables
// are kept as one (p0, p1, q0, q1) record per x. Records past the explicit ones are all
// the tail's (p_tail, p_tail, q_tail, q_tail), which folding leaves as it is: a round
// sums the explicit pairs and adds the tail's value times the sum of its weights.
class FractionLayer final : public sumcheck::RoundOracle {
 public:
  explicit FractionLayer(const detail::FractionTable& c, const Fp2& lambda)
      : m_c(c), m_lambda(lambda), m_size(c.size / 2), m_explicit((c.p.size() + 1) / 2),
        m_tail{{c.p_tail, c.p_tail, c.q_tail, c.q_tail}} {
    ZK_ASSERT(c.p.size() == c.q.size() && c.p.size() <= c.size && c.size >= 2);
  }

  std::vector<Fp2> evaluate(std::span<const Fp2> w, unsigned L, bool skip_one) const override {
    ZK_ASSERT(L <= 3);
    const Fp2* wp = w.empty() ? nullptr : w.data();
    if (m_folded.empty())
      return evaluate_with([this](size_t x) { return child(x); }, m_c.p.size() / 4,
                           [&](size_t i, size_t n, Fp2 acc[4]) {
                             simd_layer::child_sums(m_c.p.data() + 4 * i, m_c.q.data() + 4 * i, wp ? wp + i : nullptr,
                                                    n, m_lambda, L, skip_one, acc);
                           }, w, L, skip_one);
    const Fp2* recs = reinterpret_cast<const Fp2*>(m_folded.data());
    return evaluate_with([this](size_t x) { return m_folded[x]; }, m_explicit / 2,
                         [&](size_t i, size_t n, Fp2 acc[4]) {
                           simd_layer::record_sums(recs + 8 * i, wp ? wp + i : nullptr, n, m_lambda, L, skip_one, acc);
                         }, w, L, skip_one);
  }

  void bind(const Fp2& r) override {
    std::vector<Quad> next((m_explicit + 1) / 2);
    // The pairs below `whole` read explicit values only and go to the vector kernels;
    // the rest (at most one pair, which may reach the tail) are folded here.
    auto fold = [&](size_t whole, auto&& kernel, auto&& at) {
      util::ThreadPool::global().parallel_for(next.size(), [&](size_t lo, size_t hi) {
        const size_t mid = std::clamp(whole, lo, hi);
        kernel(lo, mid);
        for (size_t i = mid; i < hi; ++i) {
          Quad a = at(2 * i), b = at(2 * i + 1);
          for (int k = 0; k < 4; ++k) next[i].v[k] = a.v[k] + r * (b.v[k] - a.v[k]);
        }
      }, 1 << 11);
    };
    Fp2* out = reinterpret_cast<Fp2*>(next.data());  // Quad is four Fp2 in a row
    if (m_folded.empty()) {
      fold(m_c.p.size() / 4,
           [&](size_t lo, size_t hi) { fold_child_records(m_c.p.data() + 4 * lo, m_c.q.data() + 4 * lo, out + 4 * lo, hi - lo, r); },
           [this](size_t x) { return x < m_explicit ? child(x) : m_tail; });
    } else {
      fold(m_explicit / 2,
           [&](size_t lo, size_t hi) { fold_records(reinterpret_cast<const Fp2*>(m_folded.data()) + 8 * lo, out + 4 * lo, hi - lo, r); },
           [this](size_t x) { return x < m_explicit ? m_folded[x] : m_tail; });
    }
    m_folded = std::move(next);
    m_explicit = m_folded.size();
    m_size /= 2;
  }

  std::vector<Fp2> factor_evals() const override {
    ZK_ASSERT(m_size == 1);
    Quad e = m_explicit == 0 ? m_tail : m_folded.empty() ? child(0) : m_folded[0];
    return {e.v[0], e.v[1], e.v[2], e.v[3]};
  }

 private:
  struct Quad {
    Fp2 v[4];  // p0, p1, q0, q1
  };
  Quad child(size_t x) const {
    return {{m_c.p[2 * x], m_c.p_at(2 * x + 1), m_c.q[2 * x], m_c.q_at(2 * x + 1)}};
  }
  Fp2 value(const Quad& a) const { return a.v[0] * a.v[3] + a.v[2] * (a.v[1] + m_lambda * a.v[3]); }

  // `at` reads the explicit records (x < m_explicit); `sums(i, n, acc)` adds the pairs
  // i..i+n-1 (n a multiple of 4, all below `whole`) to acc on the vector kernels.
  template <typename At, typename Sums>
  std::vector<Fp2> evaluate_with(At&& at, size_t whole, Sums&& sums, std::span<const Fp2> w, unsigned L,
                                 bool skip_one) const {
    const size_t half = m_size / 2;
    const size_t pairs = (m_explicit + 1) / 2;  // pairs with an explicit record
    auto& pool = util::ThreadPool::global();
    const size_t parts = pairs >= (1 << 11) ? pool.size() : 1;
    std::vector<std::array<Fp2, 4>> partial(parts);
    pool.parallel_for(parts, [&](size_t p_lo, size_t p_hi) {
      for (size_t part = p_lo; part < p_hi; ++part) {
        std::array<Fp2, 4> acc{};
        const size_t lo = util::chunk_bound(pairs, parts, part), hi = util::chunk_bound(pairs, parts, part + 1);
        const size_t vec = (std::clamp(whole, lo, hi) - lo) / 4 * 4;
        if (vec) sums(lo, vec, acc.data());
        for (size_t i = lo + vec; i < hi; ++i) {
          Quad val = at(2 * i), b = 2 * i + 1 < m_explicit ? at(2 * i + 1) : m_tail, diff;
          for (int k = 0; k < 4; ++k) diff.v[k] = b.v[k] - val.v[k];
          for (unsigned t = 0; t <= L; ++t) {
            if (t > 0)
              for (int k = 0; k < 4; ++k) val.v[k] += diff.v[k];
            if (t == 1 && skip_one) continue;
            Fp2 v = value(val);
            acc[t] += w.empty() ? v : w[i] * v;
          }
        }
        partial[part] = acc;
      }
    }, 1);
    std::vector<Fp2> l(L + 1, Fp2::zero());
    for (const auto& acc : partial)
      for (unsigned t = 0; t <= L; ++t) l[t] += acc[t];
    if (pairs < half) {  // the tail's pairs: the same value at every t
      Fp2 weight = w.empty() ? Fp2(Fp(half - pairs)) : Fp2::zero();
      for (size_t i = pairs; i < half && !w.empty(); ++i) weight += w[i];
      const Fp2 v = weight * value(m_tail);
      for (unsigned t = 0; t <= L; ++t)
        if (!(t == 1 && skip_one)) l[t] += v;
    }
    return l;
  }

  const detail::FractionTable& m_c;
  Fp2 m_lambda;
  size_t m_size;      // records (x) in the current round
  size_t m_explicit;  // records held explicitly: children before the first bind, then m_folded
  Quad m_tail;
  std::vector<Quad> m_folded;
};

// GKR over one tree, root to leaves. Returns the point on the leaf layer and the
// leaf MLEs' values there.
struct GkrEnd {
  std::vector<Fp2> point;
  Fp2 p, q;
};

GkrEnd prove_tree(const std::vector<Layer>& layers, std::vector<LayerProof>& out,
                  transcript::Transcript& t) {
  std::vector<Fp2> r;
  Fp2 P = layers[0].p_at(0), Q = layers[0].q_at(0);
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    Fp2 lambda = t.challenge("logup.lambda");
    auto sc = detail::prove_fraction_layer(layers[i + 1], r, lambda, P + lambda * Q, t);
    LayerProof lp{std::move(sc.proof), sc.factor_evals[0], sc.factor_evals[1], sc.factor_evals[2],
                  sc.factor_evals[3]};
    t.absorb("logup.children", std::span<const Fp2>(sc.factor_evals));
    Fp2 mu = t.challenge("logup.mu");
    P = lp.p0 + mu * (lp.p1 - lp.p0);
    Q = lp.q0 + mu * (lp.q1 - lp.q0);
    r = {mu};  // the child bit is variable 0
    r.insert(r.end(), sc.point.begin(), sc.point.end());
    out.push_back(std::move(lp));
  }
  return {r, P, Q};
}

Result<GkrEnd> verify_tree(unsigned depth, Fp2 P, Fp2 Q, const std::vector<LayerProof>& layers,
                           transcript::Transcript& t, const char* which) {
  if (layers.size() != depth)
    return make_error(std::string("logup: ") + which + " tree has " + std::to_string(layers.size()) +
                      " layers, expected " + std::to_string(depth));
  std::vector<Fp2> r;
  for (unsigned i = 0; i < depth; ++i) {
    const LayerProof& lp = layers[i];
    Fp2 lambda = t.challenge("logup.lambda");
    // lambda merges the claims on p and q (a line in lambda), mu the claims on the two
    // children (the child bit is a variable of a multilinear function): 1/|F| each.
    transcript::charge(t, Check::Lookup, transcript::inverse_field_size(), 1);
    auto terms = layer_terms(lambda);
    auto sub = sumcheck::verify(P + lambda * Q, i, i == 0 ? 2 : 3, lp.sumcheck, t);
    if (!sub.ok())
      return make_error(std::string("logup: ") + which + " layer " + std::to_string(i) + ": " + sub.error());
    std::vector<Fp2> evals = {lp.p0, lp.p1, lp.q0, lp.q1};
    if (auto st = sumcheck::check_final(*sub, evals, r, terms); !st.ok())
      return make_error(std::string("logup: ") + which + " layer " + std::to_string(i) + ": " + st.error());
    t.absorb("logup.children", std::span<const Fp2>(evals));
    Fp2 mu = t.challenge("logup.mu");
    transcript::charge(t, Check::Lookup, transcript::inverse_field_size(), 1);
    P = lp.p0 + mu * (lp.p1 - lp.p0);
    Q = lp.q0 + mu * (lp.q1 - lp.q0);
    std::vector<Fp2> next = {mu};
    next.insert(next.end(), sub->point.begin(), sub->point.end());
    r = std::move(next);
  }
  return GkrEnd{r, P, Q};
}

void absorb_shape(transcript::Transcript& t, const Shape& s) {
  t.absorb_bytes("logup.shape", detail::shape_bytes(s.witness, s.table_vars, s.columns).bytes());
}

}  // namespace

namespace detail {

util::ByteWriter shape_bytes(const poly::BlockLayout& witness, unsigned table_vars, unsigned columns) {
  util::ByteWriter w;
  w.u32(static_cast<uint32_t>(witness.blocks().size()));
  for (const auto& b : witness.blocks()) {
    w.u32(static_cast<uint32_t>(b.dims().size()));
    for (uint32_t d : b.dims()) w.u32(d);
  }
  w.u32(table_vars);
  w.u32(columns);
  return w;
}

Instance fraction_layer_instance(std::span<const Fp2> p, std::span<const Fp2> q, std::span<const Fp2> r,
                                 const Fp2& lambda, std::vector<std::vector<Fp2>>& tables) {
  const size_t n = p.size() / 2;
  tables.assign(4, std::vector<Fp2>(n));
  util::ThreadPool::global().parallel_for(n, [&](size_t lo, size_t hi) {
    for (size_t x = lo; x < hi; ++x) {
      tables[0][x] = p[2 * x], tables[1][x] = p[2 * x + 1];
      tables[2][x] = q[2 * x], tables[3][x] = q[2 * x + 1];
    }
  }, 1 << 13);
  Instance inst;
  for (const auto& tb : tables) inst.factors.push_back(std::span<const Fp2>(tb));
  inst.terms = layer_terms(lambda);
  inst.eq_point.assign(r.begin(), r.end());
  return inst;
}

sumcheck::ProverOutput prove_fraction_layer(const FractionTable& c, std::span<const Fp2> r, const Fp2& lambda,
                                            const Fp2& claim, transcript::Transcript& t) {
  const unsigned vars = poly::log2_ceil(c.size) - 1;
  ZK_ASSERT(r.size() == vars);
  if (sumcheck::use_gpu(vars)) {
    std::vector<Fp2> p(c.size), q(c.size);
    for (size_t i = 0; i < c.size; ++i) p[i] = c.p_at(i), q[i] = c.q_at(i);
    std::vector<std::vector<Fp2>> tables;
    return sumcheck::prove(fraction_layer_instance(p, q, r, lambda, tables), claim, t);
  }
  FractionLayer layer(c, lambda);
  return sumcheck::prove(layer, vars, r.empty() ? 2 : 3, r, claim, t);
}

sumcheck::ProverOutput prove_fraction_layer(std::span<const Fp2> p, std::span<const Fp2> q, std::span<const Fp2> r,
                                            const Fp2& lambda, const Fp2& claim, transcript::Transcript& t) {
  ZK_ASSERT(p.size() == q.size());
  FractionTable c{{p.begin(), p.end()}, {q.begin(), q.end()}, p.size()};
  return prove_fraction_layer(c, r, lambda, claim, t);
}

}  // namespace detail

Shape Input::shape() const {
  ZK_ASSERT(!witness.empty() && witness.size() == table.size());
  ZK_ASSERT(witness[0].size() == witness_shape.padded_size());
  return Shape{witness_shape, poly::log2_ceil(table[0].size()), static_cast<unsigned>(witness.size())};
}

Result<std::vector<Fp>> multiplicities(const Input& in) {
  const size_t cols = in.table.size();
  if (cols == 0 || in.witness.size() != cols) return make_error("logup: column counts differ");
  if (in.witness[0].size() != in.witness_shape.padded_size()) return make_error("logup: the witness has the wrong size");
  // Rows hashed by a polynomial fingerprint over u64 (exact comparison follows).
  auto row_key = [&](const std::vector<std::span<const Fp>>& c, size_t i) {
    uint64_t h = 0;
    for (size_t k = 0; k < cols; ++k) h = h * 0x9E3779B97F4A7C15ull + c[k][i].value();
    return h;
  };
  std::unordered_multimap<uint64_t, size_t> index;
  index.reserve(in.table[0].size());
  for (size_t j = 0; j < in.table[0].size(); ++j) index.emplace(row_key(in.table, j), j);
  std::vector<Fp> m(in.table[0].size(), Fp::zero());
  std::vector<uint64_t> counts(m.size(), 0);
  const auto real = in.witness_shape.real_mask();
  for (size_t i = 0; i < in.witness[0].size(); ++i) {
    if (!real[i]) continue;
    auto [lo, hi] = index.equal_range(row_key(in.witness, i));
    size_t found = SIZE_MAX;
    for (auto it = lo; it != hi && found == SIZE_MAX; ++it) {
      bool eq = true;
      for (size_t k = 0; k < cols && eq; ++k) eq = in.table[k][it->second] == in.witness[k][i];
      if (eq && (found == SIZE_MAX || it->second < found)) found = it->second;
    }
    if (found == SIZE_MAX) {
      std::string row;
      for (size_t k = 0; k < cols; ++k) {
        if (k) row += ',';
        row += std::to_string(in.witness[k][i].to_i64_centered());
      }
      return make_error("logup: witness row " + std::to_string(i) + " (" + row + ") is not in the table");
    }
    ++counts[found];
  }
  for (size_t j = 0; j < m.size(); ++j) m[j] = Fp(counts[j]);
  return m;
}

ProverOutput prove(const Input& in, std::span<const Fp> m, transcript::Transcript& t) {
  Shape shape = in.shape();
  ZK_ASSERT(check_shape(shape).ok());
  ZK_ASSERT(m.size() == in.table[0].size());
  for (const auto& c : in.witness) ZK_ASSERT(c.size() == shape.witness.padded_size());
  for (const auto& c : in.table) ZK_ASSERT(c.size() == (size_t(1) << shape.table_vars));

  absorb_shape(t, shape);
  Fp2 alpha = t.challenge("logup.alpha");
  Fp2 beta = t.challenge("logup.beta");

  Layer wl;
  wl.size = shape.witness.padded_size();
  const size_t n = explicit_rows(in);
  wl.q = denominators(in.witness, alpha, beta, n);
  wl.p.assign(n, Fp2::zero());
  const auto real = shape.witness.real_mask();
  for (size_t i = 0; i < n; ++i)
    if (real[i]) wl.p[i] = Fp2::one();
  if (n < wl.size) {
    wl.p_tail = shape.witness.is_real(wl.size - 1) ? Fp2::one() : Fp2::zero();
    wl.q_tail = denominator(in.witness, alpha, beta, wl.size - 1);
  }
  Layer tl;
  tl.size = m.size();
  tl.q = denominators(in.table, alpha, beta, tl.size);
  tl.p.assign(m.begin(), m.end());
  auto wtree = build_tree(std::move(wl));
  auto ttree = build_tree(std::move(tl));

  ProverOutput out;
  Proof& pr = out.proof;
  pr.p_w = wtree[0].p_at(0), pr.q_w = wtree[0].q_at(0);
  pr.p_t = ttree[0].p_at(0), pr.q_t = ttree[0].q_at(0);
  Fp2 roots[4] = {pr.p_w, pr.q_w, pr.p_t, pr.q_t};
  t.absorb("logup.roots", std::span<const Fp2>(roots, 4));

  GkrEnd we = prove_tree(wtree, pr.witness_layers, t);
  GkrEnd te = prove_tree(ttree, pr.table_layers, t);

  for (const auto& c : in.witness) pr.witness_evals.push_back(poly::evaluate(c, we.point));
  for (const auto& c : in.table) pr.table_evals.push_back(poly::evaluate(c, te.point));
  pr.m_eval = poly::evaluate(m, te.point);
  t.absorb("logup.witness_evals", std::span<const Fp2>(pr.witness_evals));
  t.absorb("logup.table_evals", std::span<const Fp2>(pr.table_evals));
  t.absorb("logup.m_eval", pr.m_eval);

  out.claims = Claims{we.point, pr.witness_evals, te.point, pr.table_evals, pr.m_eval};
  return out;
}

Result<Claims> verify(const Shape& shape, const Proof& pr, transcript::Transcript& t) {
  ZK_TRY(check_shape(shape));
  if (pr.witness_evals.size() != shape.columns || pr.table_evals.size() != shape.columns)
    return make_error("logup: wrong number of column evaluations");
  absorb_shape(t, shape);
  Fp2 alpha = t.challenge("logup.alpha");
  Fp2 beta = t.challenge("logup.beta");
  // Cleared of denominators, the identity of the two fraction sums is a polynomial in
  // (alpha, beta) of total degree below (N + M) max(1, columns - 1) over the N witness
  // and M table leaves (each alpha - c(row) has degree columns - 1 in beta), nonzero
  // when a witness row is missing from the table (Haboeck 2022, Lemma 5: p > N).
  {
    const double leaves = std::ldexp(1.0, int(shape.witness_vars())) + std::ldexp(1.0, int(shape.table_vars));
    transcript::charge(t, Check::Lookup, leaves * std::max(1u, shape.columns - 1) * transcript::inverse_field_size(), 2);
  }

  // The two sums agree: p_w / q_w = p_t / q_t.
  if (pr.q_w.is_zero() || pr.q_t.is_zero()) return make_error("logup: a root denominator is zero");
  if (pr.p_w * pr.q_t != pr.p_t * pr.q_w)
    return make_error("logup: witness and table sums differ (a looked-up row is not in the table)");
  Fp2 roots[4] = {pr.p_w, pr.q_w, pr.p_t, pr.q_t};
  t.absorb("logup.roots", std::span<const Fp2>(roots, 4));

  auto we = verify_tree(shape.witness_vars(), pr.p_w, pr.q_w, pr.witness_layers, t, "witness");
  if (!we.ok()) return make_error(we.error());
  auto te = verify_tree(shape.table_vars, pr.p_t, pr.q_t, pr.table_layers, t, "table");
  if (!te.ok()) return make_error(te.error());

  // Leaf layer: the verifier evaluates the selector itself; the denominators must be
  // alpha minus the combined column claims.
  if (we->p != shape.witness.selector(we->point))
    return make_error("logup: witness numerators are not the padding selector");
  if (we->q != alpha - combine_columns(pr.witness_evals, beta))
    return make_error("logup: witness denominators do not match the column evaluations");
  if (te->p != pr.m_eval) return make_error("logup: table numerators do not match the multiplicities");
  if (te->q != alpha - combine_columns(pr.table_evals, beta))
    return make_error("logup: table denominators do not match the table evaluations");
  t.absorb("logup.witness_evals", std::span<const Fp2>(pr.witness_evals));
  t.absorb("logup.table_evals", std::span<const Fp2>(pr.table_evals));
  t.absorb("logup.m_eval", pr.m_eval);
  return Claims{we->point, pr.witness_evals, te->point, pr.table_evals, pr.m_eval};
}

namespace {
void write_layers(util::ByteWriter& w, const std::vector<LayerProof>& layers) {
  for (const auto& l : layers) {
    l.sumcheck.write(w);
    for (const Fp2* x : {&l.p0, &l.p1, &l.q0, &l.q1}) field::write(w, *x);
  }
}

Status read_layers(util::ByteReader& r, unsigned depth, std::vector<LayerProof>& out) {
  for (unsigned i = 0; i < depth; ++i) {
    auto sc = sumcheck::Proof::read(r, i, i == 0 ? 2 : 3);
    if (!sc.ok()) return make_error("logup layer " + std::to_string(i) + ": " + sc.error());
    LayerProof l{std::move(sc).value(), {}, {}, {}, {}};
    for (Fp2* x : {&l.p0, &l.p1, &l.q0, &l.q1}) ZK_TRY(field::read(r, *x));
    out.push_back(std::move(l));
  }
  return {};
}
}  // namespace

void Proof::write(util::ByteWriter& w) const {
  for (const Fp2* x : {&p_w, &q_w, &p_t, &q_t}) field::write(w, *x);
  write_layers(w, witness_layers);
  write_layers(w, table_layers);
  for (const auto& x : witness_evals) field::write(w, x);
  for (const auto& x : table_evals) field::write(w, x);
  field::write(w, m_eval);
}

Result<Proof> Proof::read(util::ByteReader& r, const Shape& shape) {
  ZK_TRY(check_shape(shape));
  Proof p;
  for (Fp2* x : {&p.p_w, &p.q_w, &p.p_t, &p.q_t}) ZK_TRY(field::read(r, *x));
  ZK_TRY(read_layers(r, shape.witness_vars(), p.witness_layers));
  ZK_TRY(read_layers(r, shape.table_vars, p.table_layers));
  p.witness_evals.resize(shape.columns);
  p.table_evals.resize(shape.columns);
  for (auto& x : p.witness_evals) ZK_TRY(field::read(r, x));
  for (auto& x : p.table_evals) ZK_TRY(field::read(r, x));
  ZK_TRY(field::read(r, p.m_eval));
  return p;
}

}  // namespace zks::lookup
