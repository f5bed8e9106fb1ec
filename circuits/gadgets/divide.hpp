#pragma once
// Element-wise division of two activations, the executor's Div (DESIGN.md section 8
// rule 3): with A = a 2^ka and D = b 2^kb (ka, kb >= 0, from the op's scales),
//
//     q = floor((2A + D) / (2D))       (round half up),   i.e.   2A + D = 2D q + r,  0 <= r < 2D.
//
// The prover commits q, r and u = 2D - 1 - r, r and u in 16-bit limbs (top limb
// exact), q in the activation range. One zerocheck (degree 3 with the selector) proves
//   C0: sel (2^(ka+1) a + 2^kb b - 2^(kb+1) b q - r) = 0,
//   C1: sel (2^(kb+1) b - 1 - r - u) = 0,
//   C2: (1 - sel) q = 0,
// and the range terms go to the slice's range check. r >= 0 and u >= 0 (both below
// 2^W, W = b_bits + kb + 2) give r <= 2D - 1, so D >= 1; with every magnitude far below p the
// field equations are the integer ones, so q is the executor's quotient. Proved: b > 0
// and no saturation (q in range); a division by b <= 0, or one whose quotient the
// executor would clamp, is refused by the witness builder (not provable yet, never
// proved wrong). The zerocheck leaves claims on a, b (for the layers below) and on the
// committed columns.

#include <cstdint>
#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "circuits/gadgets/range.hpp"
#include "poly/padded.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct DivideShape {
  poly::PaddedShape shape;  // the output's (and both operands') shape
  unsigned ka = 0, kb = 0;  // A = a 2^ka, D = b 2^kb
  int64_t lo = -(1 << 15), hi = (1 << 15) - 1;
  unsigned b_bits = 15;     // b < 2^b_bits (an activation; more for a sum such as Softmax's)

  Status check() const;
  unsigned num_vars() const { return shape.num_vars(); }
  unsigned rem_bits() const { return b_bits + kb + 2; }  // r, u < 2D < 2^(b_bits + kb + 1) < 2^W
  unsigned rem_limbs() const { return (rem_bits() + 15) / 16; }
  size_t num_columns() const { return 1 + 2 * rem_limbs(); }  // q, r limbs, u limbs
};

// Committed columns in this order: q, r_0.., u_0..
struct DivideWitness {
  std::vector<std::vector<Fp>> columns;
};

// From the operands on the output's padded layout (integers). Fails, naming the entry,
// on b <= 0 or a quotient outside [lo, hi].
Result<DivideWitness> divide_witness(const DivideShape& s, std::span<const int64_t> a, std::span<const int64_t> b);
std::vector<RangeTerm> divide_range_terms(const DivideShape& s, std::span<const uint32_t> ids);

struct DivideProof {
  sumcheck::Proof zerocheck;
  Fp2 a_eval, b_eval;
  std::vector<Fp2> column_evals;
  void write(util::ByteWriter& w) const;
  static Result<DivideProof> read(util::ByteReader& r, const DivideShape& s);
};

struct DivideClaims {
  EvalClaim a, b;
  std::vector<EvalClaim> columns;
};

DivideProof prove_divide(const DivideShape& s, std::span<const Fp> a, std::span<const Fp> b, const DivideWitness& w,
                         transcript::Transcript& t, DivideClaims* claims);
Result<DivideClaims> verify_divide(const DivideShape& s, const DivideProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
