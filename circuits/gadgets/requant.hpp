#pragma once
// Requantization with saturation (DESIGN.md section 3 "Quantization semantics" and
// section 8 rules 1, 3, 4): for every real row x,
//
//     q_full = floor((acc + 2^(s-1)) / 2^s),   q = clamp(q_full, lo, hi),
//
// (for s = 0, q_full = acc: the 2^(s-1) term is 0 and there are no remainder limbs),
//
// with hi - lo + 1 = 2^B (B <= 16). With d = acc + 2^(s-1) - 2^s q the three cases are
// d in [0, 2^s) (no saturation), d >= 2^s (q = hi, flag b_hi) and d < 0 (q = lo,
// flag b_lo). The prover commits q, the flags, and e = d - 2^s b_hi - b_lo (2d + 1)
// split as e = r + 2^s h with r in 16-bit limbs of s bits in all (top limb exact) and
// h in limbs of H bits (the largest possible excess); h must be zero unless a flag is
// set. One zerocheck (sum_x eq(tau, x) sum_i gamma^i C_i(x) = 0, degree 3) proves
//   C0: e's decomposition,  C1, C2: flags are bits,  C3: not both flags,
//   C4: b_lo (q - lo) = 0,  C5: b_hi (q - hi) = 0,  C6: (1 - b_lo - b_hi) h = 0,
//   C7..C9: q, b_lo, b_hi vanish on padded entries (the selector is evaluated by the verifier),
//   C10: a limb of one bit (the top limb of a 17-bit remainder, say) is a bit,
// and the range terms (the other limbs, h limbs, q - lo) go to the slice's range check. The
// zerocheck leaves a claim on acc (for the linear layer below) and claims on the
// committed columns; a claim on the output q from the layer above is a claim on the
// committed q directly.

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

struct RequantShape {
  poly::PaddedShape shape;  // the tensor's shape (accumulator and output alike)
  unsigned shift = 1;      // s >= 0 (0: no rounding, q_full = acc)
  int64_t lo = -(1 << 15), hi = (1 << 15) - 1;
  unsigned excess_bits = 0;  // H: bits of the largest saturated excess (0: cannot saturate)

  Status check() const;
  unsigned num_vars() const { return shape.num_vars(); }
  unsigned out_bits() const;        // B with hi - lo + 1 = 2^B
  unsigned remainder_limbs() const; // ceil(s / 16)
  unsigned excess_limbs() const;    // ceil(H / 16)
  size_t num_columns() const;       // committed columns: q, b_lo, b_hi, r limbs, h limbs
};

// The committed columns, in this order: q, b_lo, b_hi, r_0.., h_0..
// (b_lo, b_hi and h are absent when excess_bits == 0).
struct RequantWitness {
  std::vector<std::vector<Fp>> columns;
  uint64_t saturations = 0;
};

// The executor's semantics on int64 accumulators in the padded layout.
// Fails, naming the row, when an accumulator exceeds what the shape's bounds allow.
Result<RequantWitness> requant_witness(const RequantShape& shape, std::span<const int64_t> acc);

// The range terms of the committed columns, given the ids the caller gave them
// (ids[i] for column i of RequantWitness::columns).
std::vector<RangeTerm> requant_range_terms(const RequantShape& shape, std::span<const uint32_t> ids);

struct RequantProof {
  sumcheck::Proof zerocheck;
  Fp2 acc_eval;
  std::vector<Fp2> column_evals;  // each committed column at the zerocheck point

  void write(util::ByteWriter& w) const;
  static Result<RequantProof> read(util::ByteReader& r, const RequantShape& shape);
};

struct RequantClaims {
  EvalClaim acc;                          // for the layer below
  std::vector<EvalClaim> columns;         // on the committed columns, in witness order
};

struct RequantProverOutput {
  RequantProof proof;
  RequantClaims claims;
};

RequantProverOutput prove_requant(const RequantShape& shape, std::span<const Fp> acc,
                                  const RequantWitness& w, transcript::Transcript& t);
Result<RequantClaims> verify_requant(const RequantShape& shape, const RequantProof& proof,
                                     transcript::Transcript& t);

}  // namespace zks::circuits
