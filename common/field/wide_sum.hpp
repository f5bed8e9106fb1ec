#pragma once
// Sums of products in F_p reduced once: each product a b < p^2 < 2^128 is added to a
// 192-bit integer, and only the total is reduced mod p. A hot loop that sums many
// products (a sumcheck round's inner products) then pays one 64x64 multiplication and
// an add with carry per product instead of a reduction each. Host only.

#include <cstdint>

#include "field/ext2.hpp"
#include "field/goldilocks.hpp"

namespace zks::field {

class WideSum {
 public:
  void add_product(Fp a, Fp b) {
    const unsigned __int128 p = static_cast<unsigned __int128>(a.value()) * b.value();
    m_low += p;
    m_high += m_low < p;  // the carry out of 128 bits
  }
  // The sum mod p: low + 2^128 high, with 2^128 = (2^64)^2 = EPS^2 (mod p).
  Fp value() const {
    const Fp two128 = Fp(Fp::EPS) * Fp(Fp::EPS);
    return Fp::reduce128(static_cast<uint64_t>(m_low), static_cast<uint64_t>(m_low >> 64)) + Fp(m_high) * two128;
  }

 private:
  unsigned __int128 m_low = 0;
  uint64_t m_high = 0;  // at most one carry per product: 2^64 products before it wraps
};

// The F_{p^2} sum of u s over products with u in F_{p^2} and s in F_p.
class WideSum2 {
 public:
  void add_product(const Fp2& u, Fp s) {
    m_c0.add_product(u.c0(), s);
    m_c1.add_product(u.c1(), s);
  }
  Fp2 value() const { return Fp2(m_c0.value(), m_c1.value()); }

 private:
  WideSum m_c0, m_c1;
};

}  // namespace zks::field
