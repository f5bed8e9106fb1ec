#pragma once
// Range checks by one LogUp lookup into the table [0, 2^16) (DESIGN.md section 3,
// "Lookups"; section 8 rule 3).
//
// Each term asks that v(x) = col(x) + offset * [x real] lies in [0, 2^bits) for every
// real entry x of the column's padded shape, bits <= 16, where col is a committed column of the caller's
// (limbs, quotients, shifted activations). A term with bits < 16 is checked twice:
// v in [0, 2^16) makes v an integer below 2^16, and 2^(16-bits) v in [0, 2^16) then
// bounds it by 2^bits exactly (rule 3: the top limb bounded exactly). Padded rows hold
// zero, which is in the table. All blocks are stacked into one witness column, largest
// first, each at an offset aligned to its size (poly::BlockLayout), so the lookup's claim
// on the witness at rho is
//     sum_blk w_blk(rho) * scale_blk * (col~(rho[..k]) + offset * sel~(rho[..k])),
// w_blk(rho) = eq of rho's high coordinates with the block's position bits,
// which the verifier recombines from the prover's claimed col~ values; those become
// claims on the committed columns. The table's MLE is the identity sum_i 2^i x_i and
// the verifier evaluates it. The multiplicities are a column the caller commits
// before the lookup's challenges are drawn.

#include <cstdint>
#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "lookup/logup.hpp"
#include "poly/padded.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

constexpr unsigned kRangeBits = 16;

struct RangeTerm {
  uint32_t column = 0;      // the caller's id of a committed column
  poly::PaddedShape shape;  // the column's tensor shape (padded per axis)
  unsigned bits = 16;       // 1..16
  int64_t offset = 0;       // added to every real entry before the check
  unsigned num_vars() const { return shape.num_vars(); }
};

// A claim on one of the caller's committed columns.
struct ColumnClaim {
  uint32_t column = 0;
  EvalClaim claim;
};

struct RangeShape {
  std::vector<RangeTerm> terms;
  Status check() const;
  size_t num_blocks() const;     // 1 or 2 per term
  unsigned witness_vars() const; // the blocks stacked by size (poly::BlockLayout)
};

// The prover's first phase: the concatenated witness and the multiplicities over
// [0, 2^16) (the caller commits `multiplicities` and absorbs the commitment).
struct RangeWitness {
  std::vector<Fp> witness;
  std::vector<Fp> multiplicities;
};
// columns[i] is the table of terms[i].column. Fails, naming the term and row, when a
// value is out of range (the executor produced something the proof cannot attest).
Result<RangeWitness> range_witness(const RangeShape& shape,
                                   const std::vector<std::span<const Fp>>& columns);

struct RangeProof {
  lookup::Proof lookup;
  std::vector<Fp2> column_evals;  // per term: col~ at the witness point's low part

  void write(util::ByteWriter& w) const;
  static Result<RangeProof> read(util::ByteReader& r, const RangeShape& shape);
};

struct RangeClaims {
  std::vector<ColumnClaim> columns;  // one per term
  EvalClaim multiplicities;          // on the committed multiplicity column (16 vars)
};

struct RangeProverOutput {
  RangeProof proof;
  RangeClaims claims;
};

RangeProverOutput prove_range(const RangeShape& shape,
                              const std::vector<std::span<const Fp>>& columns,
                              const RangeWitness& witness, transcript::Transcript& t);
Result<RangeClaims> verify_range(const RangeShape& shape, const RangeProof& proof,
                                 transcript::Transcript& t);

}  // namespace zks::circuits
