#pragma once
// Internal to the prover's kernels: Goldilocks and F_{p^2} arithmetic on eight 64-bit
// lanes (GCC vector extensions). The same branch-free steps as Fp's operators, so every
// result is the canonical value Fp gives, bit for bit. Include it only from .cpp files
// whose kernels are cloned per instruction set (target_clones: AVX-512 and AVX2, where
// the 32 x 32 -> 64-bit products are vpmuludq, and a baseline). The helpers are always
// inlined into those clones, so vectors passed by value never cross an ABI boundary:
// GCC's -Wpsabi note, which it gives at the end of such a file, does not apply and is
// silenced for the including file.
#include <cstdint>

#include "field/ext2.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

namespace zks::field::simd {

typedef uint64_t u64x8 __attribute__((vector_size(64)));
constexpr uint64_t kP = Fp::P, kEps = Fp::EPS;
static_assert(sizeof(Fp) == 8 && sizeof(Fp2) == 16, "Fp2 is (c0, c1) as two words");

[[gnu::always_inline]] inline u64x8 splat(uint64_t x) { return u64x8{x, x, x, x, x, x, x, x}; }
[[gnu::always_inline]] inline u64x8 canonical(u64x8 x) { return x - (kP & (u64x8)(x >= kP)); }
[[gnu::always_inline]] inline u64x8 add(u64x8 a, u64x8 b) {
  u64x8 s = a + b;
  s += kEps & (u64x8)(s < a);
  return canonical(s);
}
[[gnu::always_inline]] inline u64x8 sub(u64x8 a, u64x8 b) { return (a - b) - (kEps & (u64x8)(a < b)); }
[[gnu::always_inline]] inline u64x8 mul(u64x8 a, u64x8 b) {
  const u64x8 a0 = a & kEps, a1 = a >> 32, b0 = b & kEps, b1 = b >> 32;
  const u64x8 ll = a0 * b0, lh = a0 * b1, hl = a1 * b0, hh = a1 * b1;
  const u64x8 mid = lh + hl, mid_carry = 1 & (u64x8)(mid < lh);
  const u64x8 lo = ll + (mid << 32), lo_carry = 1 & (u64x8)(lo < ll);
  const u64x8 hi = hh + (mid >> 32) + (mid_carry << 32) + lo_carry;
  // reduce128: lo - hi_hi + hi_lo (2^32 - 1), as Fp::reduce128.
  const u64x8 h_hi = hi >> 32, h_lo = hi & kEps;
  u64x8 t = lo - h_hi;
  t -= kEps & (u64x8)(lo < h_hi);
  const u64x8 u = (h_lo << 32) - h_lo;
  u64x8 r = t + u;
  r += kEps & (u64x8)(r < t);
  return canonical(r);
}

// Eight Fp, or four Fp2 as (c0, c1) word pairs.
template <typename F>
[[gnu::always_inline]] inline u64x8 load(const F* p) {
  u64x8 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
template <typename F>
[[gnu::always_inline]] inline void store(F* p, u64x8 v) {
  __builtin_memcpy(static_cast<void*>(p), &v, sizeof(v));
}

// Multiplication of four Fp2 by one constant r = r0 + r1 X: (x0 + x1 X) r =
// (x0 r0 + 7 x1 r1) + (x0 r1 + x1 r0) X, as x (r0, r0) + swap(x) (7 r1, r1) lane-wise.
struct Fp2Const {
  u64x8 r0, r1, r1w;  // r0 and r1 in every lane; r1w = (7 r1, r1, ...)
  explicit Fp2Const(const Fp2& r) {
    const uint64_t a = r.c0().value(), b = r.c1().value(), b7 = (Fp(Fp2::W) * r.c1()).value();
    r0 = splat(a);
    r1 = splat(b);
    r1w = u64x8{b7, b, b7, b, b7, b, b7, b};
  }
};
[[gnu::always_inline]] inline u64x8 swap_pairs(u64x8 x) {
  return __builtin_shuffle(x, u64x8{1, 0, 3, 2, 5, 4, 7, 6});
}
[[gnu::always_inline]] inline u64x8 mul(u64x8 x, const Fp2Const& r) {
  return add(mul(x, r.r0), mul(swap_pairs(x), r.r1w));
}

// Four Fp2 products x y: (x0 y0 + 7 x1 y1, x0 y1 + x1 y0) from the lane products x y
// and x swap(y), their pairs regrouped and the even sums' second term times 7.
[[gnu::always_inline]] inline u64x8 mul2(u64x8 x, u64x8 y) {
  const u64x8 p = mul(x, y), q = mul(x, swap_pairs(y));
  const u64x8 even = __builtin_shuffle(p, q, u64x8{0, 8, 2, 10, 4, 12, 6, 14});
  const u64x8 odd = __builtin_shuffle(p, q, u64x8{1, 9, 3, 11, 5, 13, 7, 15});
  return add(even, mul(odd, u64x8{Fp2::W, 1, Fp2::W, 1, Fp2::W, 1, Fp2::W, 1}));
}

// The sum of the four Fp2 of a vector.
[[gnu::always_inline]] inline Fp2 sum_fp2(u64x8 v) {
  Fp2 s;
  for (int k = 0; k < 4; ++k) s += Fp2(Fp::from_canonical(v[2 * k]), Fp::from_canonical(v[2 * k + 1]));
  return s;
}

// Of sixteen Fp in two vectors, the even-indexed eight and the odd (the two halves of
// eight pairs).
[[gnu::always_inline]] inline u64x8 even_fp(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{0, 2, 4, 6, 8, 10, 12, 14});
}
[[gnu::always_inline]] inline u64x8 odd_fp(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{1, 3, 5, 7, 9, 11, 13, 15});
}
// a and b lane by lane, interleaved (a0, b0, a1, b1, ...): the first eight words, and
// the last eight. Eight Fp2 given coordinate by coordinate (c0, c1) as four Fp2 each.
[[gnu::always_inline]] inline u64x8 interleave_lo(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{0, 8, 1, 9, 2, 10, 3, 11});
}
[[gnu::always_inline]] inline u64x8 interleave_hi(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{4, 12, 5, 13, 6, 14, 7, 15});
}
// The low four words of a then of b, and the high four of each (two Fp2 of each).
[[gnu::always_inline]] inline u64x8 low_halves(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{0, 1, 2, 3, 8, 9, 10, 11});
}
[[gnu::always_inline]] inline u64x8 high_halves(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{4, 5, 6, 7, 12, 13, 14, 15});
}

// Of two vectors of four Fp2 each (eight in a row), the even-indexed Fp2 and the odd.
[[gnu::always_inline]] inline u64x8 even_fp2(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{0, 1, 4, 5, 8, 9, 12, 13});
}
[[gnu::always_inline]] inline u64x8 odd_fp2(u64x8 a, u64x8 b) {
  return __builtin_shuffle(a, b, u64x8{2, 3, 6, 7, 10, 11, 14, 15});
}

}  // namespace zks::field::simd
