#pragma once
// Layout ops as a gather y[i] = x[g(i)] (or a constant fill where g(i) < 0): Reshape,
// Flatten, Transpose, Slice, Pad, Squeeze/Unsqueeze, single-input Concat (DESIGN.md
// section 8 rule 4: "Reshape, Slice, Pad, unaligned Concat use a verifier-evaluated
// predicate"). Indices are the model's dense row-major ones; both tensors are laid out
// padded per axis. With P(r, j) = sum_{i real: g(i) = j} eq(r, i),
//
//     y~(r) = sum_j x[j] P(r, j) + fill * sum_{i real: g(i) < 0} eq(r, i),
//
// so one degree-2 sumcheck over x's variables leaves a claim on x at rho, and the
// verifier evaluates P~(r, rho) = sum_i eq(r, i) eq(rho, g(i)) itself, in time linear
// in the tensor (eq tables over both layouts). Nothing is committed.
//
// The same sumcheck proves a sum over axes (ReduceSum, and ReduceMean's sum): with
// y[i] = sum_{j real: h(j) = i} x[j], P(r, j) = eq(r, h(j)) for real j and 0 on padded
// entries, so padded slots never enter the sum (rule 4).

#include <cstdint>
#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "poly/padded.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct GatherShape {
  poly::PaddedShape in, out;
  std::vector<int64_t> gather;  // out.real_count() dense source indices, -1 = fill
  int64_t fill = 0;
  // A sum instead of a gather: in.real_count() dense destination indices h(j); `gather`
  // is then empty and there is no fill.
  std::vector<int64_t> sum_into = {};
  bool is_sum() const { return !sum_into.empty(); }
  Status check() const;
};

struct GatherProof {
  sumcheck::Proof sumcheck;
  Fp2 x_eval;
  void write(util::ByteWriter& w) const;
  static Result<GatherProof> read(util::ByteReader& r, const GatherShape& s);
};

// y in the padded layout.
std::vector<Fp> apply_gather(const GatherShape& s, std::span<const Fp> x);

struct GatherProverOutput {
  GatherProof proof;
  EvalClaim x;
};

GatherProverOutput prove_gather(const GatherShape& s, std::span<const Fp> x, const EvalClaim& y_claim,
                                transcript::Transcript& t);
Result<EvalClaim> verify_gather(const GatherShape& s, const EvalClaim& y_claim, const GatherProof& proof,
                                transcript::Transcript& t);

}  // namespace zks::circuits
