#pragma once
// Helpers shared by the pcs tests: random tables and points, and honest claims.

#include <random>
#include <vector>

#include "pcs/basefold.hpp"

namespace pcs_test {

using zks::field::Fp;
using zks::field::Fp2;

inline std::vector<Fp> random_table(size_t n, std::mt19937_64& rng) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp(rng());
  return v;
}

inline std::vector<Fp2> random_point(unsigned k, std::mt19937_64& rng) {
  std::vector<Fp2> r(k);
  for (auto& x : r) x = Fp2(Fp(rng()), Fp(rng()));
  return r;
}

inline zks::pcs::Claim honest_claim(const zks::pcs::CommittedPoly& p, size_t index,
                                    std::mt19937_64& rng) {
  zks::pcs::Claim c;
  c.poly = index;
  c.point = random_point(p.num_vars(), rng);
  c.value = p.evaluate(c.point);
  return c;
}

inline zks::transcript::Transcript fresh_transcript() {
  zks::transcript::Transcript t("pcs-test");
  t.absorb_u64("statement", 42);
  return t;
}

}  // namespace pcs_test
