#pragma once
// Element-wise linear combinations y = sum_i c_i x_i of same-shape tensors with public
// integer coefficients: Add and Sub with their scale-aligning shifts (c_i = +-2^s_i),
// Sum, a constant scaling. The MLE is linear, so a claim y~(r) = v splits into claims
// x_i~(r) = v_i with sum_i c_i v_i = v (DESIGN.md section 3: "Add splits one claim into
// two"); the prover sends the v_i, nothing is committed and no challenge is drawn.
// Zero padding carries over: padded entries of y are zero when those of the x_i are.

#include <cstdint>
#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct LinearShape {
  std::vector<int64_t> coeffs;  // one per input, |c_i| < 2^62
  unsigned num_vars = 0;        // every tensor has 2^num_vars entries (padded layout)
  Status check() const;
};

struct LinearProof {
  std::vector<Fp2> input_evals;
  void write(util::ByteWriter& w) const;
  static Result<LinearProof> read(util::ByteReader& r, const LinearShape& s);
};

// y in the padded layout (the executor's accumulator before requantization).
std::vector<Fp> linear_combination(const LinearShape& s, const std::vector<std::span<const Fp>>& xs);

LinearProof prove_linear(const LinearShape& s, const std::vector<std::span<const Fp>>& xs,
                         const EvalClaim& y_claim, transcript::Transcript& t);
// Claims on each input at the same point, or why the proof is rejected.
Result<std::vector<EvalClaim>> verify_linear(const LinearShape& s, const EvalClaim& y_claim,
                                             const LinearProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
