#include "poly/mle.hpp"

#include <bit>

#include "field/simd.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::poly {

namespace {
constexpr size_t kParallelMin = 1 << 13;

// The loops below on eight lanes (field/simd.hpp), bit for bit the scalar Fp2 code:
// four Fp2 per vector, the remainder one at a time.
using namespace field::simd;

// out[i] = t[2i] + r (t[2i+1] - t[2i]), i < n.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void fold_run(const Fp* t, Fp2* out, size_t n, const Fp2& r) {
  size_t i = 0;
  const Fp2Const rc(r);
  for (; i + 8 <= n; i += 8) {
    // Eight pairs: a = the even words, d = odd - even; out = (a + r0 d, r1 d).
    const u64x8 v0 = load(t + 2 * i), v1 = load(t + 2 * i + 8);
    const u64x8 a = even_fp(v0, v1), d = sub(odd_fp(v0, v1), a);
    const u64x8 c0 = add(a, mul(d, rc.r0)), c1 = mul(d, rc.r1);
    store(out + i, interleave_lo(c0, c1));
    store(out + i + 4, interleave_hi(c0, c1));
  }
  for (; i < n; ++i) {
    Fp2 a = Fp2(t[2 * i]);
    out[i] = a + r * (Fp2(t[2 * i + 1]) - a);
  }
}
// The same over Fp2; out may be t itself (each step reads before it writes, and step i
// writes below the entries later steps read).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void fold_run(const Fp2* t, Fp2* out, size_t n, const Fp2& r) {
  size_t i = 0;
  const Fp2Const rc(r);
  for (; i + 4 <= n; i += 4) {
    const u64x8 v0 = load(t + 2 * i), v1 = load(t + 2 * i + 4);
    const u64x8 a = even_fp2(v0, v1);
    store(out + i, add(a, mul(sub(odd_fp2(v0, v1), a), rc)));
  }
  for (; i < n; ++i) out[i] = t[2 * i] + r * (t[2 * i + 1] - t[2 * i]);
}

// hi[b] = src[b] r, lo[b] = src[b] - hi[b], b < n: one variable of an eq table (src may
// be lo). With kAdd, both are added to lo and hi instead.
template <bool kAdd>
[[gnu::always_inline]] inline void eq_split_body(const Fp2* src, Fp2* lo, Fp2* hi, size_t n, const Fp2& r) {
  size_t b = 0;
  const Fp2Const rc(r);
  for (; b + 4 <= n; b += 4) {
    const u64x8 x = load(src + b), h = mul(x, rc), l = sub(x, h);
    store(hi + b, kAdd ? add(load(hi + b), h) : h);
    store(lo + b, kAdd ? add(load(lo + b), l) : l);
  }
  for (; b < n; ++b) {
    const Fp2 x = src[b], h = x * r;
    if (kAdd) {
      hi[b] += h;
      lo[b] += x - h;
    } else {
      hi[b] = h;
      lo[b] = x - h;
    }
  }
}
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void eq_split(const Fp2* src, Fp2* lo, Fp2* hi, size_t n, const Fp2& r) { eq_split_body<false>(src, lo, hi, n, r); }
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void eq_split_add(const Fp2* src, Fp2* lo, Fp2* hi, size_t n, const Fp2& r) { eq_split_body<true>(src, lo, hi, n, r); }

template <typename F>
std::vector<Fp2> fold_impl(std::span<const F> t, const Fp2& r) {
  ZK_ASSERT(t.size() >= 2 && t.size() % 2 == 0);
  std::vector<Fp2> out(t.size() / 2);
  util::ThreadPool::global().parallel_for(out.size(), [&](size_t lo, size_t hi) {
    fold_run(t.data() + 2 * lo, out.data() + lo, hi - lo, r);
  }, kParallelMin);
  return out;
}
}  // namespace

Fp2 eq_eval(std::span<const Fp2> a, std::span<const Fp2> b) {
  ZK_ASSERT(a.size() == b.size());
  Fp2 acc = Fp2::one();
  for (size_t i = 0; i < a.size(); ++i) {
    // a b + (1 - a)(1 - b) = 1 - a - b + 2ab
    Fp2 ab = a[i] * b[i];
    acc *= Fp2::one() - a[i] - b[i] + ab + ab;
  }
  return acc;
}

std::vector<Fp2> eq_table(std::span<const Fp2> r) {
  size_t k = r.size();
  std::vector<Fp2> out(size_t(1) << k);
  out[0] = Fp2::one();
  // After processing variables 0..j-1 the first 2^j entries hold eq over them; adding
  // variable j splits each entry e into e(1 - r_j) at b and e r_j at b + 2^j, so
  // variable j is bit j of the index.
  auto& pool = util::ThreadPool::global();
  for (size_t j = 0; j < k; ++j) {
    size_t half = size_t(1) << j;
    Fp2 rj = r[j];
    pool.parallel_for(half, [&](size_t lo, size_t hi) {
      eq_split(out.data() + lo, out.data() + lo, out.data() + half + lo, hi - lo, rj);
    }, kParallelMin);
  }
  return out;
}

void eq_accumulate(std::span<const Fp2> r, const Fp2& c, std::span<Fp2> dst, std::vector<Fp2>& scratch) {
  const size_t k = r.size();
  ZK_ASSERT(dst.size() == (size_t(1) << k));
  if (k == 0) {
    dst[0] += c;
    return;
  }
  // c eq over variables 0..k-2 (as eq_table builds it), then variable k-1 splits each
  // entry e into e (1 - r) at b and e r at b + 2^(k-1), added to dst.
  const size_t half = size_t(1) << (k - 1);
  scratch.resize(half);
  scratch[0] = c;
  for (size_t j = 0; j + 1 < k; ++j) {
    const size_t h = size_t(1) << j;
    eq_split(scratch.data(), scratch.data(), scratch.data() + h, h, r[j]);
  }
  eq_split_add(scratch.data(), dst.data(), dst.data() + half, half, r[k - 1]);
}

std::vector<Fp2> fold(std::span<const Fp> table, const Fp2& r) { return fold_impl(table, r); }
std::vector<Fp2> fold(std::span<const Fp2> table, const Fp2& r) { return fold_impl(table, r); }

void fold_in_place(std::vector<Fp2>& t, const Fp2& r) {
  ZK_ASSERT(t.size() >= 2 && t.size() % 2 == 0);
  size_t half = t.size() / 2;
  // out[i] reads t[2i], t[2i+1] with 2i >= i, so a forward sequential pass is safe;
  // in parallel, chunks would race, so fold into a fresh buffer when large.
  if (half >= kParallelMin && util::ThreadPool::global().size() > 1) {
    t = fold_impl(std::span<const Fp2>(t), r);
    return;
  }
  fold_run(t.data(), t.data(), half, r);
  t.resize(half);
}

namespace {
template <typename F>
Fp2 evaluate_impl(std::span<const F> table, std::span<const Fp2> r) {
  ZK_ASSERT_MSG(table.size() == (size_t(1) << r.size()), "MLE table size must be 2^k");
  if (r.empty()) return Fp2(table[0]);
  // Coordinates at 0 or 1 select entries instead of weighing them: the MLE at r is the
  // MLE of the entries with those bits, at the other coordinates. A point on a block
  // of a larger table (a claim placed in a batch) then costs its block.
  std::vector<unsigned> free;
  size_t base = 0;
  for (unsigned j = 0; j < r.size(); ++j) {
    if (r[j] == Fp2::zero()) continue;
    if (r[j] == Fp2::one()) base |= size_t(1) << j;
    else free.push_back(j);
  }
  if (free.size() + 2 <= r.size()) {  // a quarter of the table or less: select (else fold, in parallel)
    std::vector<size_t> index{base};  // the table index of each assignment of the free bits
    index.reserve(size_t(1) << free.size());
    for (unsigned j : free) {
      const size_t n = index.size();
      for (size_t i = 0; i < n; ++i) index.push_back(index[i] | (size_t(1) << j));
    }
    std::vector<F> sub(index.size());
    for (size_t i = 0; i < index.size(); ++i) sub[i] = table[index[i]];
    std::vector<Fp2> point;
    for (unsigned j : free) point.push_back(r[j]);
    return evaluate_impl(std::span<const F>(sub), std::span<const Fp2>(point));
  }
  std::vector<Fp2> cur = fold_impl(table, r[0]);
  for (size_t j = 1; j < r.size(); ++j) fold_in_place(cur, r[j]);
  return cur[0];
}
}  // namespace

Fp2 evaluate(std::span<const Fp> table, std::span<const Fp2> r) { return evaluate_impl(table, r); }
Fp2 evaluate(std::span<const Fp2> table, std::span<const Fp2> r) { return evaluate_impl(table, r); }

Fp2 lt_eval(uint64_t n, std::span<const Fp2> r) {
  const size_t k = r.size();
  ZK_ASSERT(k < 64 && n <= (uint64_t(1) << k));
  if (n == (uint64_t(1) << k)) return Fp2::one();
  // b < n iff at the highest bit i where they differ, n_i = 1 and b_i = 0. Summing
  // eq(b, r) over such b: the bits above i follow n, bit i is 0, bits below are free
  // (their eq factors sum to one).
  Fp2 acc = Fp2::zero(), prefix = Fp2::one();  // prefix = prod_{j > i} eq(n_j, r_j)
  for (size_t i = k; i-- > 0;) {
    bool bit = (n >> i) & 1;
    if (bit) acc += prefix * (Fp2::one() - r[i]);
    prefix *= bit ? r[i] : Fp2::one() - r[i];
  }
  return acc;
}

unsigned log2_ceil(size_t n) {
  return n <= 1 ? 0 : static_cast<unsigned>(std::bit_width(n - 1));
}

std::vector<Fp> pad_pow2(std::span<const Fp> values) {
  std::vector<Fp> out(values.begin(), values.end());
  out.resize(size_t(1) << log2_ceil(values.size()), Fp::zero());
  return out;
}

}  // namespace zks::poly
