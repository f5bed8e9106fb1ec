#pragma once
// Zero knowledge, stage 2 (docs/ARCHITECTURE.md, "Zero knowledge"): the sumcheck with
// a Libra mask (Xie, Zhang, Zhang, Papamanthou, Song, "Libra: Succinct Zero-Knowledge
// Proofs with Optimal Prover Computation", CRYPTO 2019, section 4.1).
//
// The prover holds a mask g(x) = a_0 + sum_i g_i(x_i), g_i(X) = sum_{e=1..D} c_ie X^e,
// with coefficients in F_{p^2} read from a committed table (pcs/hiding.hpp: one mask
// table a proof, each sumcheck a slice of it). To prove H = sum_x F(x) it sends
// G = sum_x g(x), gets rho, and runs the plain sumcheck of F + rho g on the claim
// H + rho G: round i adds rho m_i(X), where
//     m_i(X) = 2^(k-i-1) (a_0 + sum_{j<i} g_j(r_j) + g_i(X)) + 2^(k-i-2) sum_{j>i} g_j(1),
// to each value it sends. It ends by sending g(r), which the verifier subtracts
// (rho g(r)) from the last round's claim before the caller checks F(r), and which the
// caller proves as a weighted claim on the mask table (mask_weights: g(r) is an inner
// product of the coefficients with 1, r_i, .., r_i^D, not an MLE value).
//
// What it hides: each round shows D values and g_i brings D fresh coefficients, so the
// map from the mask's 1 + k D coefficients to what the rounds and G show has full rank
// (tests/unit/sumcheck/zk_test.cpp checks it with the challenges fixed): the rounds are
// uniform given the sum and the final claim. F(r) itself is not masked here (stage 3).
// Coefficients are F_{p^2} (two table entries each): with F_p coefficients, rho m_i
// would move each value along one F_p-line of F_{p^2} and leave the other unmasked.
//
// Soundness: G is absorbed before rho, so a false H survives only if
// rho = (sum F - H) / (G - sum g): one more 1/|F| term, charged to the ledger.

#include <span>
#include <vector>

#include "sumcheck/sumcheck.hpp"

namespace zks::sumcheck {

// The F_p entries a mask of a sumcheck over k variables of degree D takes: 2 (1 + k D).
size_t mask_entries(unsigned num_vars, unsigned degree);

// A sumcheck's mask, read from mask_entries() entries of the mask table: coefficient q
// (a_0, then c_01 .. c_0D, c_11, ..) is entries[2q] + entries[2q + 1] X.
class Mask {
 public:
  Mask(std::span<const Fp> entries, unsigned num_vars, unsigned degree);
  unsigned num_vars() const { return m_vars; }
  unsigned degree() const { return m_degree; }
  // G = sum_x g(x) = 2^k a_0 + 2^(k-1) sum_i g_i(1).
  Fp2 sum() const;
  // g(r).
  Fp2 value(std::span<const Fp2> r) const;
  // m_i(X) at X = 0..D, given the challenges r_0 .. r_{i-1}.
  std::vector<Fp2> round(unsigned i, std::span<const Fp2> r) const;

 private:
  Fp2 g(unsigned i, const Fp2& x) const;  // g_i(x)
  unsigned m_vars, m_degree;
  std::vector<Fp2> m_c;  // a_0, c_01 .. c_0D, c_11, ..
};

// The weights w on a mask's mask_entries() table entries with <entries, w> = g(r): the
// weighted claim (pcs::Claim::weights, placed at the mask's offset) that proves g(r).
std::vector<Fp2> mask_weights(unsigned num_vars, unsigned degree, std::span<const Fp2> r);

struct ZkProof {
  Fp2 mask_sum;    // G
  Proof rounds;    // of F + rho g
  Fp2 mask_value;  // g(r)

  void write(util::ByteWriter& w) const;
  static Result<ZkProof> read(util::ByteReader& r, unsigned num_vars, unsigned degree);
};

struct ZkProverOutput {
  ZkProof proof;
  std::vector<Fp2> point;         // r
  std::vector<Fp2> factor_evals;  // f_j(r), for the caller's final check of F(r)
};

// Proves H = claimed_sum for the prover's instance with the mask (of the prover's
// num_vars and degree).
ZkProverOutput prove_zk(Prover& prover, const Fp2& claimed_sum, const Mask& mask, transcript::Transcript& t);

// Checks the rounds and returns "F(point) (times eq) = expected", rho g(r) taken off.
// The caller checks that with check_final as for a plain sumcheck, and adds the claim
// "<mask slice, mask_weights(point)> = proof.mask_value" to the proof's opening.
Result<SubClaim> verify_zk(const Fp2& claimed_sum, unsigned num_vars, unsigned degree, const ZkProof& proof,
                           transcript::Transcript& t);

}  // namespace zks::sumcheck
