#pragma once
// Range checks by one LogUp lookup into the table [0, 2^B) (DESIGN.md section 3,
// "Lookups"; section 8 rule 3), B = 16, or 8 for small witnesses (RangeShape::table_bits).
//
// Each term asks that v(x) = col(x) + offset * [x real] lies in [0, 2^bits) for every
// row x of the column's padded shape (padded rows: v = col), bits <= B, where col is a
// committed column of the caller's (limbs, quotients, shifted activations). A term with
// bits < B is checked twice: v in [0, 2^B) makes v an integer below 2^B, and
// 2^(B-bits) v in [0, 2^B) then bounds it by 2^bits exactly (rule 3: the top limb
// bounded exactly). Padded rows of the witness hold zero, which is in the table.
// A term of more than 8 bits under B = 8 is first split (RangeSplit below). All blocks are stacked into one witness column, largest
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
  unsigned table_bits = kRangeBits;  // B: 16, or 8 (every term then at most 8 bits)
  Status check() const;
  size_t num_blocks() const;     // 1 or 2 per term
  unsigned witness_vars() const; // the blocks stacked by size (poly::BlockLayout)
};

// The prover's first phase: the concatenated witness and the multiplicities over
// [0, 2^B) (the caller commits `multiplicities` and absorbs the commitment).
struct RangeWitness {
  std::vector<Fp> witness;
  std::vector<Fp> multiplicities;
};
// columns[i] is the table of terms[i].column. Fails, naming the term and row, when a
// value is out of range (the executor produced something the proof cannot attest).
Result<RangeWitness> range_witness(const RangeShape& shape,
                                   const std::vector<std::span<const Fp>>& columns);
// The concatenated witness alone, unchecked (range_witness's first step; a tamper
// test's cheating prover looks up out-of-range values with it).
std::vector<Fp> range_stack(const RangeShape& shape, const std::vector<std::span<const Fp>>& columns);

struct RangeProof {
  lookup::Proof lookup;
  std::vector<Fp2> column_evals;  // per term: col~ at the witness point's low part

  void write(util::ByteWriter& w) const;
  static Result<RangeProof> read(util::ByteReader& r, const RangeShape& shape);
};

struct RangeClaims {
  std::vector<ColumnClaim> columns;  // one per term
  EvalClaim multiplicities;          // on the committed multiplicity column (B vars)
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

// A term of 9..16 bits checked against the 8-bit table: its value v = col + offset
// [x real] is committed as two more columns, lo and hi with v = lo + 256 hi on every
// row, which are range terms of 8 and bits - 8 bits. The split is proved at a random
// point: the prover sends col~, lo~ and hi~ there and the verifier checks
// col~ + offset sel~ = lo~ + 256 hi~ (sel~ the real entries' selector, which it
// evaluates); the three values become claims on the committed columns. A difference
// col + offset sel - lo - 256 hi that is not zero on every row has a nonzero MLE, which
// vanishes at the random point with probability at most num_vars / |F|; with lo and hi
// in range, v = lo + 256 hi lies in [0, 2^bits) exactly (rule 3).
struct RangeSplit {
  uint32_t column = 0, lo = 0, hi = 0;  // the caller's ids of the three committed columns
  poly::PaddedShape shape;
  unsigned bits = 16;  // 9..16
  int64_t offset = 0;
  Status check() const;
};
struct RangeLimbs {
  std::vector<Fp> lo, hi;
};
// The limbs of every row; fails, naming the row, where v is outside [0, 2^bits).
Result<RangeLimbs> split_limbs(const RangeSplit& s, std::span<const Fp> column);

struct SplitProof {
  std::vector<Fp2> evals;  // per split: col~, lo~, hi~ at its point

  void write(util::ByteWriter& w) const;
  static Result<SplitProof> read(util::ByteReader& r, std::span<const RangeSplit> splits);
};
// columns[3 i .. 3 i + 2] are the tables of splits[i]'s column, lo and hi.
std::vector<ColumnClaim> prove_splits(std::span<const RangeSplit> splits,
                                      const std::vector<std::span<const Fp>>& columns, SplitProof& proof,
                                      transcript::Transcript& t);
Result<std::vector<ColumnClaim>> verify_splits(std::span<const RangeSplit> splits, const SplitProof& proof,
                                               transcript::Transcript& t);

}  // namespace zks::circuits
