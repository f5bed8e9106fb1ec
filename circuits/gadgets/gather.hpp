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
#include <optional>
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

// A gather that is a product of per-axis maps (Pad, Slice, a pooling window's tap): in
// and out have the same rank, and output entry (i_0, ..., i_{k-1}) reads input entry
// (m_0(i_0), ..., m_{k-1}(i_{k-1})), or is the fill where some m_a(i_a) < 0. Then
// P~(r, rho) = prod_a sum_i eq(r_a, i) eq(rho_a, m_a(i)), and the verifier evaluates it
// in O(sum of the dims) instead of O(entries). Derived from the map and checked against
// every entry of it: the empty optional where the map is not such a product (Transpose,
// Reshape, a sum).
using AxisMaps = std::optional<std::vector<std::vector<int64_t>>>;
AxisMaps separable_axes(const GatherShape& s);
// P~(r, rho) and the fill weight sum_{i real, g(i) < 0} eq(r, i), from the axis maps
// where there are some (axes = separable_axes(s)), else over every entry.
Fp2 gather_predicate(const GatherShape& s, const AxisMaps& axes, std::span<const Fp2> r, std::span<const Fp2> rho);
Fp2 gather_fill_weight(const GatherShape& s, const AxisMaps& axes, std::span<const Fp2> r);

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

// Several gathers of one tensor x (every shape's `in` the same), each with a claim on
// its own output, proved by one sumcheck: with w_k the powers of a challenge drawn
// after every shape and every claim is absorbed,
//     sum_k w_k (y_k~(r_k) - fill_k F_k(r_k)) = sum_j x[j] sum_k w_k P_k(r_k, j),
// and one claim on x comes out (a max pooling's taps; rule 6's merge of claims at
// different points, inside the sumcheck). One shape is prove_gather, byte for byte.
GatherProverOutput prove_gathers(std::span<const GatherShape* const> shapes, std::span<const Fp> x,
                                 std::span<const EvalClaim> y_claims, transcript::Transcript& t);
Result<EvalClaim> verify_gathers(std::span<const GatherShape* const> shapes, std::span<const EvalClaim> y_claims,
                                 const GatherProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
