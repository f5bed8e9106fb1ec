#pragma once
// Zero knowledge, stages 2 and 3 (docs/ARCHITECTURE.md, "Zero knowledge"): the
// sumcheck with a Libra mask and masked evaluations (Xie, Zhang, Zhang, Papamanthou,
// Song, "Libra: Succinct Zero-Knowledge Proofs with Optimal Prover Computation",
// CRYPTO 2019, section 4).
//
// Stage 2, the rounds. The prover holds a mask g(x) = a_0 + sum_i g_i(x_i),
// g_i(X) = sum_{e=1..D_i} c_ie X^e (D_i the degree of round i), with coefficients in
// F_{p^2} read from a committed table (pcs/hiding.hpp: one mask table a proof, each
// sumcheck a slice of it). To prove H = sum_x F(x) it sends G = sum_x g(x), gets rho,
// and runs the sumcheck of F + rho g on the claim H + rho G: round i adds rho m_i(X),
//     m_i(X) = 2^(k-i-1) (a_0 + sum_{j<i} g_j(r_j) + g_i(X)) + 2^(k-i-2) sum_{j>i} g_j(1),
// to each value it sends. It ends by sending rho g(r) (the final mask), which the verifier
// takes off the last round's claim before the caller checks F(r), and which the caller
// proves as a weighted claim on the mask table (rho times mask_weights: g(r) is an inner
// product of the coefficients with 1, r_i, .., r_i^D_i, not an MLE value). Each round shows D_i values
// and g_i brings D_i fresh coefficients, so the map from the mask's coefficients to what
// the rounds and G show has full rank (zk_test checks it with the challenges fixed).
// Coefficients are F_{p^2} (two table entries each): F_p coefficients would move each
// value along one F_p-line of F_{p^2} and leave the other direction unmasked.
//
// Stage 3, the evaluations. A factor f committed with a hiding commitment
// (f' = [f | R], pcs/hiding.hpp) enters the sumcheck as f^ = f~ + x_0 (1 - x_0) R~:
// equal to f on the hypercube, so the sum is unchanged, and f^(r) = f~(r) + c R~(r) with
// c = r_0 (1 - r_0) is masked by R. Round 0 then has degree 3 in each masked factor
// (first_round_degree); after it the prover goes on with the tables f~(r_0, .) +
// c R~(r_0, .). The caller proves f^(r) by pcs::masked_claim: an evaluation of f' at
// (r, c / (1 + c)), which is (f~(r) + c R~(r)) / (1 + c). The mask R is the hiding
// commitment's own: no other commitment.
//
// A secret offset (stage 5's claims between gadgets): to prove H = sum_x F(x) + K where
// the verifier knows H (a masked value) but not K (the mask's share of it, c S(r) for a
// small mask S in the mask table), the prover runs the sumcheck of F + K 2^-k + rho g:
// each round adds K 2^-(i+1), and the final mask is rho g(r) + K 2^-k, proved by one
// weighted claim on the mask table with both weights (the caller's). K and g(r) are
// never shown apart.
//
// Soundness: G is absorbed before rho, so a false H survives only if
// rho = (sum F - H) / (G - sum g): one more 1/|F| term, charged to the ledger with the
// rounds' sum_i D_i / |F|.

#include <span>
#include <vector>

#include "hash/blake2b.hpp"
#include "sumcheck/sumcheck.hpp"

namespace zks::sumcheck {

// The per-round degrees of a sumcheck over k variables of degree D: k times D.
std::vector<unsigned> uniform_degrees(unsigned num_vars, unsigned degree);

// The F_p entries a mask of a sumcheck with these round degrees takes: 2 (1 + sum D_i).
size_t mask_entries(std::span<const unsigned> degrees);

// A sumcheck's mask, read from mask_entries() entries of the mask table: coefficient q
// (a_0, then c_01 .. c_0D_0, c_11, ..) is entries[2q] + entries[2q + 1] X.
class Mask {
 public:
  Mask(std::span<const Fp> entries, std::vector<unsigned> degrees);
  unsigned num_vars() const { return static_cast<unsigned>(m_degrees.size()); }
  const std::vector<unsigned>& degrees() const { return m_degrees; }
  // G = sum_x g(x) = 2^k a_0 + 2^(k-1) sum_i g_i(1).
  Fp2 sum() const;
  // g(r).
  Fp2 value(std::span<const Fp2> r) const;
  // m_i(X) at X = 0..D_i, given the challenges r_0 .. r_{i-1}.
  std::vector<Fp2> round(unsigned i, std::span<const Fp2> r) const;

 private:
  Fp2 g(unsigned i, const Fp2& x) const;  // g_i(x)
  std::vector<unsigned> m_degrees;
  std::vector<size_t> m_first;  // index of c_i1 in m_c
  std::vector<Fp2> m_c;         // a_0, c_01 .. c_0D_0, c_11, ..
};

// The weights w on a mask's mask_entries() table entries with <entries, w> = g(r): the
// weighted claim (pcs::Claim::weights, placed at the mask's offset) that proves g(r).
std::vector<Fp2> mask_weights(std::span<const unsigned> degrees, std::span<const Fp2> r);

// A small mask for a value that is claimed but not committed (stage 5: a linear op's
// output whose value at a point passes from the gadget that reads it to the one that
// makes it): S(x) = s_0 + sum_i s_i x_i over k variables, its k + 1 F_{p^2}
// coefficients in 2 (k + 1) entries of the mask table. The reader masks the tensor's
// factor with S's table; the maker proves the masked value with the offset c S(r).
size_t affine_mask_entries(unsigned num_vars);
std::vector<Fp2> affine_mask_table(std::span<const Fp> entries, unsigned num_vars);  // S on the hypercube
std::vector<Fp2> affine_mask_weights(std::span<const Fp2> r);                         // <entries, w> = S(r)

struct ZkProof {
  Fp2 mask_sum;    // G
  Proof rounds;    // of F + K 2^-k + rho g; round i has D_i values
  Fp2 final_mask;  // rho g(r) + K 2^-k

  void write(util::ByteWriter& w) const;
  static Result<ZkProof> read(util::ByteReader& r, std::span<const unsigned> degrees);
};

struct ZkProverOutput {
  ZkProof proof;
  Fp2 rho;
  std::vector<Fp2> point;         // r
  std::vector<Fp2> factor_evals;  // f_j(r) (f^_j(r) for a masked factor), for the caller's final check
};

// The weights of the final mask's claim on the mask's slice: rho mask_weights(degrees, r)
// (a caller with an offset adds its own).
std::vector<Fp2> final_mask_weights(std::span<const unsigned> degrees, const Fp2& rho, std::span<const Fp2> r);

// Stage 2 alone: masks the rounds of the prover's sumcheck (of uniform degree; the
// mask's degrees must be uniform_degrees of the prover's shape); F(r) is in clear.
// claimed_sum is the public H = sum F + offset.
// mask_root: the root of the mask table's commitment, absorbed before rho (the mask
// must be fixed before it; prover and verifier alike take it).
ZkProverOutput prove_zk(Prover& prover, const Fp2& claimed_sum, const Mask& mask, const hash::Digest& mask_root,
                        transcript::Transcript& t, const Fp2& offset = Fp2::zero());

// Stages 2 and 3: factor j is masked by masks[j] (2^k entries: its hiding commitment's
// R, or R folded where the factor is a committed table with variables already bound, or
// a small mask's table) or not (an empty span: a table the verifier knows, such as a
// selector). Runs on the CPU.
struct MaskedInstance {
  Instance inst;
  std::vector<Table> masks;  // one a factor
};
// Round 0's degree: each term's factors at 3 if masked, 1 if not, plus 1 with eq. The
// other rounds have the instance's degree.
unsigned first_round_degree(std::span<const Term> terms, std::span<const char> masked, bool with_eq);
std::vector<unsigned> masked_degrees(const MaskedInstance& mi);
// The same from the shape alone (what a verifier knows): k variables, the terms (empty:
// the product of every factor), which factors are masked, and whether eq is a factor.
std::vector<unsigned> masked_degrees(unsigned num_vars, std::span<const Term> terms, std::span<const char> masked,
                                     bool with_eq);
ZkProverOutput prove_zk(const MaskedInstance& mi, const Fp2& claimed_sum, const Mask& mask,
                        const hash::Digest& mask_root, transcript::Transcript& t, const Fp2& offset = Fp2::zero());
// c = r_0 (1 - r_0): f^(r) = f~(r) + c R~(r).
Fp2 mask_factor(std::span<const Fp2> r);

namespace detail {
// Round 0 of prove_zk(MaskedInstance): sum_{x'} e[x'] F^(X, x') at X = 0..D (e: eq's
// table over variables 1.., or empty for weights 1). Terms of the U B shape (a maker's,
// a zerocheck's reads times its selector) take a path of their own unless general_only;
// both give the same values (the tests compare them).
std::vector<Fp2> round0_values(const MaskedInstance& mi, std::span<const Fp2> e, unsigned D, bool general_only = false);
}  // namespace detail

// Checks the rounds (round i of degrees[i] values) and returns "F(point) (times eq) =
// expected", the final mask taken off, and rho. The caller checks that with check_final
// as for a plain sumcheck (with f^_j(r) for masked factors), and adds the claim
// "<mask slice, final_mask_weights(degrees, rho, point) (+ its offset's)> =
// proof.final_mask" to the proof's opening.
struct ZkSubClaim : SubClaim {
  Fp2 rho;
};
Result<ZkSubClaim> verify_zk(const Fp2& claimed_sum, std::span<const unsigned> degrees, const hash::Digest& mask_root,
                             const ZkProof& proof, transcript::Transcript& t);

}  // namespace zks::sumcheck
