#pragma once
// Batched matrix multiplication Y = A B with numpy batch broadcasting (MatMul of two
// activations, or of an activation and a weight): A is [batch_a..., M, K], B is
// [batch_b..., K, N], Y is [batch..., M, N], all of one rank, each batch axis of A and B
// either Y's or 1. Every tensor is laid out padded per axis (the last axis in the low
// bits). With the claim point z = (z_j, z_i, z_b) on Y,
//
//     Y~(z) = sum_{b, k} eq(z_b, b) [k < K] A~(b_A, z_i, k) B~(b_B, k, z_j),
//
// where b_A and b_B drop the coordinates of the axes A or B broadcast. The prover folds
// A along its rows at z_i and B along its columns at z_j, then runs one degree-3
// sumcheck over (k, b); the verifier evaluates eq(z_b, rho_b) [rho_k < K] itself. The
// selector [k < K] keeps padded columns of A and rows of B out of the sum (rule 4), so
// the identity holds entry by entry whatever the padded slots hold. Nothing is
// committed; the output is one claim on A and one on B.

#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "poly/padded.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct BmmShape {
  poly::PaddedShape a, b, y;
  Status check() const;
  size_t rank() const { return y.dims().size(); }
  unsigned sum_vars() const;  // bits of K plus Y's batch bits
};

struct BmmProof {
  sumcheck::Proof sumcheck;
  Fp2 a_eval, b_eval;
  void write(util::ByteWriter& w) const;
  static Result<BmmProof> read(util::ByteReader& r, const BmmShape& s);
};

struct BmmClaims {
  EvalClaim a, b;
};

// Y in its padded layout, from A and B in theirs (the executor's integer product on
// real entries, zero elsewhere when A and B are zero-padded).
std::vector<Fp> bmm(const BmmShape& s, std::span<const Fp> a, std::span<const Fp> b);

BmmProof prove_bmm(const BmmShape& s, std::span<const Fp> a, std::span<const Fp> b, const EvalClaim& y_claim,
                   transcript::Transcript& t, BmmClaims* claims);
Result<BmmClaims> verify_bmm(const BmmShape& s, const EvalClaim& y_claim, const BmmProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
