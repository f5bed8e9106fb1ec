#pragma once
// Max pooling (DESIGN.md section 3: "m - a_i range-checked, product of (m - a_i) = 0 by
// zerocheck; committed m"). For each kernel tap t the tap's input x_t(o) is a gather of
// x (0 where the tap falls outside the input, whose padding never wins). The prover
// commits the output y and, per tap, d_t = valid_t (y - x_t) + (1 - valid_t) [o real]
// (1 for an invalid tap, 0 on padded outputs). Then
//   - every d_t is range-checked into [0, 2^16): y >= every valid tap;
//   - a zerocheck proves prod_t d_t = 0 on every entry: y equals some valid tap
//     (invalid taps hold 1);
//   - at a random point r, d_t~(r) = H_t(r) - x_t~(r) + F_t(r) with
//     H_t(r) = sum_o eq(r, o) valid_t(o) y(o) (an entry-wise product sumcheck) and
//     F_t(r) = sum_o eq(r, o) (1 - valid_t(o)) [o real], which the verifier computes;
//     x_t~(r) reduces to a claim on x through the gather gadget.
// valid_t(o) = [o real and g_t(o) inside the input] comes from the tap's gather map, so
// the verifier evaluates valid_t and F_t itself: F_t is the tap gather's fill weight and
// valid_t~ = [real]~ - F_t, axis by axis (gather_fill_weight). The taps' gathers are
// one batched gather sumcheck (prove_gathers) and their products one product sumcheck
// of y against A = sum_t beta^t valid_t, beta a challenge (A~ evaluated by the verifier
// the same way): two sumchecks per pooling instead of two per tap. Claims left: one on
// x, one on y, and on each d_t (at the zerocheck point and at r).

#include <vector>

#include "circuits/gadgets/claim.hpp"
#include "circuits/gadgets/gather.hpp"
#include "circuits/gadgets/hadamard.hpp"
#include "circuits/gadgets/range.hpp"
#include "poly/padded.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct MaxPoolShape {
  poly::PaddedShape in, out;         // [1, C, H, W] and [1, C, OH, OW]
  std::vector<GatherShape> taps;     // per tap: out entry -> in entry, -1 outside
  Status check() const;
};
// valid_t over the padded output: 1 where the output is real and tap t inside the input.
std::vector<Fp> maxpool_valid(const MaxPoolShape& s, size_t tap);

// The shape from pooling parameters (kernel, stride, dilation, top/left padding).
Result<MaxPoolShape> maxpool_shape(uint32_t C, uint32_t H, uint32_t W, uint32_t OH, uint32_t OW, uint32_t KH,
                                   uint32_t KW, uint32_t sh, uint32_t sw, uint32_t dh, uint32_t dw, uint32_t pt,
                                   uint32_t pl);

struct MaxPoolWitness {
  std::vector<Fp> y;
  std::vector<std::vector<Fp>> d;  // per tap
};
Result<MaxPoolWitness> maxpool_witness(const MaxPoolShape& s, std::span<const Fp> x);
// Range terms for the d columns, given their ids.
std::vector<RangeTerm> maxpool_range_terms(const MaxPoolShape& s, std::span<const uint32_t> d_ids);

struct MaxPoolProof {
  sumcheck::Proof zerocheck;
  std::vector<Fp2> d_at_rho;  // per tap, at the zerocheck point
  std::vector<Fp2> d_at_r, x_at_r;
  GatherProof gather;     // every tap's x_t(r) from x
  HadamardProof product;  // every tap's H_t(r), by the powers of beta
  void write(util::ByteWriter& w) const;
  static Result<MaxPoolProof> read(util::ByteReader& r, const MaxPoolShape& s);
};

struct MaxPoolClaims {
  EvalClaim x, y;
  std::vector<EvalClaim> d_rho, d_r;       // per tap
};

MaxPoolProof prove_maxpool(const MaxPoolShape& s, std::span<const Fp> x, const MaxPoolWitness& w,
                           transcript::Transcript& t, MaxPoolClaims* claims);
Result<MaxPoolClaims> verify_maxpool(const MaxPoolShape& s, const MaxPoolProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
