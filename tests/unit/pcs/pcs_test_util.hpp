#pragma once
// Helpers shared by the pcs tests: random tables and points, and honest claims.

#include <random>
#include <vector>

#include "pcs/hiding.hpp"

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

// An honest hiding opening (pcs/hiding.hpp) of `claims`, checked to verify; verify()
// runs the verifier again on other claims or bytes.
struct HidingOpening {
  zks::pcs::Params params;
  std::vector<zks::pcs::Commitment> comms;
  zks::util::Bytes proof;

  HidingOpening(std::span<const zks::pcs::CommittedPoly* const> polys, std::span<const zks::pcs::Claim> claims,
                const zks::pcs::Seed& seed, const zks::pcs::Params& p = zks::pcs::Params::standard())
      : params(p) {
    for (const auto* q : polys) comms.push_back(q->commitment());
    auto t = fresh_transcript();
    auto opened = zks::pcs::open_hiding(polys, claims, t, params, seed);
    REQUIRE(opened.ok());
    proof = std::move(*opened);
    auto tv = fresh_transcript();
    auto st = zks::pcs::verify_hiding(comms, claims, proof, tv, params);
    INFO(st.error());
    REQUIRE(st.ok());
    CHECK(tv.state() == t.state());  // prover and verifier ran the same transcript
  }
  zks::Status verify(std::span<const zks::pcs::Claim> cl, std::span<const uint8_t> bytes) const {
    auto t = fresh_transcript();
    return zks::pcs::verify_hiding(comms, cl, bytes, t, params);
  }
};

}  // namespace pcs_test
