#pragma once
// F_{p^2} = F_p[X]/(X^2 - 7): about 128 bits, the field every verifier challenge is
// drawn from (DESIGN.md section 3). 7 is a quadratic non-residue mod p, so X^2 - 7 is
// irreducible. Elements are c0 + c1 X.

#include "field/goldilocks.hpp"

namespace zks::field {

class Fp2 {
 public:
  static constexpr uint64_t W = 7;  // X^2 = W

  constexpr Fp2() = default;  // defaulted: host and device alike
  ZK_HD constexpr Fp2(Fp c0) : m_c0(c0), m_c1() {}  // the base field embeds (implicit)
  ZK_HD constexpr Fp2(Fp c0, Fp c1) : m_c0(c0), m_c1(c1) {}

  ZK_HD static constexpr Fp2 zero() { return Fp2(); }
  ZK_HD static constexpr Fp2 one() { return Fp2(Fp::one()); }
  ZK_HD static constexpr Fp2 from_u64(uint64_t v) { return Fp2(Fp(v)); }

  ZK_HD constexpr Fp c0() const { return m_c0; }
  ZK_HD constexpr Fp c1() const { return m_c1; }
  ZK_HD constexpr bool is_zero() const { return m_c0.is_zero() && m_c1.is_zero(); }
  ZK_HD constexpr bool is_base() const { return m_c1.is_zero(); }

  ZK_HD constexpr Fp2 operator+(const Fp2& o) const { return {m_c0 + o.m_c0, m_c1 + o.m_c1}; }
  ZK_HD constexpr Fp2 operator-(const Fp2& o) const { return {m_c0 - o.m_c0, m_c1 - o.m_c1}; }
  ZK_HD constexpr Fp2 operator-() const { return {-m_c0, -m_c1}; }
  // Karatsuba: 3 base multiplications plus one by the constant 7.
  ZK_HD constexpr Fp2 operator*(const Fp2& o) const {
    Fp a = m_c0 * o.m_c0;
    Fp b = m_c1 * o.m_c1;
    Fp c = (m_c0 + m_c1) * (o.m_c0 + o.m_c1);
    return {a + mul_w(b), c - a - b};
  }
  ZK_HD constexpr Fp2 operator*(Fp s) const { return {m_c0 * s, m_c1 * s}; }
  ZK_HD constexpr Fp2& operator+=(const Fp2& o) { return *this = *this + o; }
  ZK_HD constexpr Fp2& operator-=(const Fp2& o) { return *this = *this - o; }
  ZK_HD constexpr Fp2& operator*=(const Fp2& o) { return *this = *this * o; }
  ZK_HD constexpr Fp2& operator*=(Fp s) { return *this = *this * s; }
  ZK_HD constexpr bool operator==(const Fp2& o) const { return m_c0 == o.m_c0 && m_c1 == o.m_c1; }
  ZK_HD constexpr bool operator!=(const Fp2& o) const { return !(*this == o); }

  ZK_HD constexpr Fp2 square() const { return *this * *this; }
  ZK_HD constexpr Fp2 pow(uint64_t e) const {
    Fp2 base = *this, acc = one();
    while (e) {
      if (e & 1) acc *= base;
      base = base.square();
      e >>= 1;
    }
    return acc;
  }
  // Conjugate c0 - c1 X; x * conj(x) = c0^2 - 7 c1^2 lies in F_p.
  ZK_HD constexpr Fp2 conjugate() const { return {m_c0, -m_c1}; }
  ZK_HD constexpr Fp norm() const { return m_c0.square() - mul_w(m_c1.square()); }
  // The inverse of zero is zero (callers check when it matters).
  ZK_HD constexpr Fp2 inverse() const {
    Fp n_inv = norm().inverse();
    return {m_c0 * n_inv, -(m_c1 * n_inv)};
  }

 private:
  // 7 * x as (x << 3) - x.
  ZK_HD static constexpr Fp mul_w(Fp x) {
    Fp x2 = x + x, x4 = x2 + x2, x8 = x4 + x4;
    return x8 - x;
  }
  Fp m_c0, m_c1;
};

ZK_HD constexpr Fp2 operator*(Fp s, const Fp2& x) { return x * s; }

}  // namespace zks::field
