#include "poly/mle.hpp"

#include <bit>

#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::poly {

namespace {
constexpr size_t kParallelMin = 1 << 13;

template <typename F>
std::vector<Fp2> fold_impl(std::span<const F> t, const Fp2& r) {
  ZK_ASSERT(t.size() >= 2 && t.size() % 2 == 0);
  std::vector<Fp2> out(t.size() / 2);
  util::ThreadPool::global().parallel_for(out.size(), [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      Fp2 a = Fp2(t[2 * i]);
      out[i] = a + r * (Fp2(t[2 * i + 1]) - a);
    }
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
      for (size_t b = lo; b < hi; ++b) {
        Fp2 hi_v = out[b] * rj;
        out[b + half] = hi_v;
        out[b] = out[b] - hi_v;
      }
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
    for (size_t b = 0; b < h; ++b) {
      const Fp2 hi_v = scratch[b] * r[j];
      scratch[b + h] = hi_v;
      scratch[b] = scratch[b] - hi_v;
    }
  }
  const Fp2 rk = r[k - 1];
  for (size_t b = 0; b < half; ++b) {
    const Fp2 hi_v = scratch[b] * rk;
    dst[b + half] += hi_v;
    dst[b] += scratch[b] - hi_v;
  }
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
  for (size_t i = 0; i < half; ++i) t[i] = t[2 * i] + r * (t[2 * i + 1] - t[2 * i]);
  t.resize(half);
}

namespace {
template <typename F>
Fp2 evaluate_impl(std::span<const F> table, std::span<const Fp2> r) {
  ZK_ASSERT_MSG(table.size() == (size_t(1) << r.size()), "MLE table size must be 2^k");
  if (r.empty()) return Fp2(table[0]);
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
