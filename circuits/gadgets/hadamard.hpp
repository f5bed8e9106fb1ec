#pragma once
// Entry-wise products z = a * b of two same-shape tensors (Mul of two activations, or
// an activation times a public per-entry constant such as an average pool's divisor
// multipliers): z~(r) = sum_x eq(r, x) a(x) b(x), one degree-3 sumcheck leaving claims
// a~(rho) and b~(rho). Nothing is committed.

#include "circuits/gadgets/claim.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct HadamardProof {
  sumcheck::Proof sumcheck;
  Fp2 a_eval, b_eval;
  void write(util::ByteWriter& w) const;
  static Result<HadamardProof> read(util::ByteReader& r, unsigned num_vars);
};

struct HadamardClaims {
  EvalClaim a, b;
};

std::vector<Fp> hadamard(std::span<const Fp> a, std::span<const Fp> b);

HadamardProof prove_hadamard(std::span<const Fp> a, std::span<const Fp> b, const EvalClaim& z_claim,
                             transcript::Transcript& t, HadamardClaims* claims);
// The same with a public table over F_p^2 (a random combination of public tables).
HadamardProof prove_hadamard(std::span<const Fp2> a, std::span<const Fp> b, const EvalClaim& z_claim,
                             transcript::Transcript& t, HadamardClaims* claims);
Result<HadamardClaims> verify_hadamard(unsigned num_vars, const EvalClaim& z_claim, const HadamardProof& proof,
                                       transcript::Transcript& t);

}  // namespace zks::circuits
