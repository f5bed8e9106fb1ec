#pragma once
// The Goldilocks field F_p, p = 2^64 - 2^32 + 1, in canonical form (0 <= v < p).
// Header-only and usable from host and CUDA device code from one definition.
// Reduction uses 2^64 = 2^32 - 1 (mod p) and 2^96 = -1 (mod p), so no `%` is ever
// executed on the hot path.

#include <cstdint>

#if defined(__CUDACC__)
#define ZK_HD __host__ __device__ __forceinline__
#else
#define ZK_HD inline
#endif

namespace zks::field {

class Fp {
 public:
  static constexpr uint64_t P = 0xFFFFFFFF00000001ull;
  static constexpr uint64_t EPS = 0xFFFFFFFFull;  // 2^64 mod p = 2^32 - 1

  ZK_HD constexpr Fp() : m_v(0) {}
  // Reduces any u64 (values in [p, 2^64) are taken mod p).
  ZK_HD constexpr explicit Fp(uint64_t v) : m_v(canonical(v)) {}

  ZK_HD static constexpr Fp zero() { return Fp(); }
  ZK_HD static constexpr Fp one() { return from_canonical(1); }
  // Trusts that v < p (callers that have checked it, e.g. deserialization).
  ZK_HD static constexpr Fp from_canonical(uint64_t v) {
    Fp r;
    r.m_v = v;
    return r;
  }
  // The residue of a signed integer: -1 maps to p - 1.
  ZK_HD static constexpr Fp from_i64(int64_t x) {
    if (x >= 0) return Fp(static_cast<uint64_t>(x));
    // -x computed in u64 so INT64_MIN is well defined.
    uint64_t m = ~static_cast<uint64_t>(x) + 1;
    return -Fp(m);
  }

  ZK_HD constexpr uint64_t value() const { return m_v; }
  ZK_HD constexpr bool is_zero() const { return m_v == 0; }
  // The representative in (-p/2, p/2], for reading signed fixed-point values back.
  ZK_HD constexpr int64_t to_i64_centered() const {
    return m_v > P / 2 ? -static_cast<int64_t>(P - m_v) : static_cast<int64_t>(m_v);
  }

  // Branch-free: carries of random operands are unpredictable, so every correction
  // is a mask, never a jump.
  ZK_HD constexpr Fp operator+(Fp o) const {
    uint64_t s = m_v + o.m_v;
    uint64_t carry = s < m_v;
    // With a carry the true sum is s + 2^64 = s + EPS (mod p), and s + EPS < p.
    s += EPS & (0 - carry);
    return from_canonical(canonical(s));
  }
  ZK_HD constexpr Fp operator-(Fp o) const {
    uint64_t d = m_v - o.m_v;
    uint64_t borrow = m_v < o.m_v;
    // Borrow: d = a - b + 2^64; subtract 2^64 - p = EPS.
    return from_canonical(d - (EPS & (0 - borrow)));
  }
  ZK_HD constexpr Fp operator-() const { return from_canonical(m_v == 0 ? 0 : P - m_v); }
  ZK_HD constexpr Fp operator*(Fp o) const {
    uint64_t lo = 0, hi = 0;
    mul_wide(m_v, o.m_v, lo, hi);
    return reduce128(lo, hi);
  }
  ZK_HD constexpr Fp& operator+=(Fp o) { return *this = *this + o; }
  ZK_HD constexpr Fp& operator-=(Fp o) { return *this = *this - o; }
  ZK_HD constexpr Fp& operator*=(Fp o) { return *this = *this * o; }
  ZK_HD constexpr bool operator==(Fp o) const { return m_v == o.m_v; }
  ZK_HD constexpr bool operator!=(Fp o) const { return m_v != o.m_v; }

  ZK_HD constexpr Fp square() const { return *this * *this; }
  ZK_HD constexpr Fp pow(uint64_t e) const {
    Fp base = *this, acc = one();
    while (e) {
      if (e & 1) acc *= base;
      base = base.square();
      e >>= 1;
    }
    return acc;
  }
  // Fermat inverse; the inverse of zero is zero (callers check when it matters).
  ZK_HD constexpr Fp inverse() const { return pow(P - 2); }

  // x = lo + 2^64 hi reduced mod p, with hi = hh * 2^32 + hl:
  // x = lo - hh + hl * (2^32 - 1)  (mod p).
  ZK_HD static constexpr Fp reduce128(uint64_t lo, uint64_t hi) {
    uint64_t hh = hi >> 32, hl = hi & EPS;
    uint64_t t = lo - hh;
    t -= EPS & (0 - uint64_t(lo < hh));  // borrow: add p = subtract (2^64 - p)
    uint64_t u = hl * EPS;               // < 2^64
    uint64_t s = t + u;
    s += EPS & (0 - uint64_t(s < t));    // carry: add 2^64 - p
    return from_canonical(canonical(s));
  }

  // x mod p for any u64 (one conditional subtraction).
  ZK_HD static constexpr uint64_t canonical(uint64_t x) { return x >= P ? x - P : x; }

  ZK_HD static constexpr void mul_wide(uint64_t a, uint64_t b, uint64_t& lo, uint64_t& hi) {
#if defined(__CUDA_ARCH__)
    lo = a * b;
    hi = __umul64hi(a, b);
#else
    unsigned __int128 w = static_cast<unsigned __int128>(a) * b;
    lo = static_cast<uint64_t>(w);
    hi = static_cast<uint64_t>(w >> 64);
#endif
  }

 private:
  uint64_t m_v;
};

// A generator of the multiplicative group (order p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537).
inline constexpr uint64_t kMultiplicativeGenerator = 7;
// The largest power-of-two subgroup has order 2^32.
inline constexpr int kTwoAdicity = 32;

}  // namespace zks::field
