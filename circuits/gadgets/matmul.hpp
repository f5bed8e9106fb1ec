#pragma once
// Matrix multiplication with bias, Y = A B + 1 bias^T (bias per output column, added to
// the real rows only), proved with Thaler's sumcheck ("Time-Optimal Interactive Proofs
// for Circuit Evaluation", CRYPTO 2013, section 5.1):
//
//     Y~(r_c, r_r) = sum_{k} A~(k, r_r) B~(r_c, k) + [rows](r_r) bias~(r_c)
//
// where points list column variables first (low bits), [rows] is the selector of real
// rows, evaluated by the verifier. The prover folds A along its rows at r_r and B along
// its columns at r_c (O(|A| + |B|)), then runs a degree-2 sumcheck over k. Nothing is
// committed; the output is one claim on each of A, B and the bias.

#include <optional>

#include "circuits/gadgets/claim.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct MatmulShape {
  MatShape a;  // m x K
  MatShape b;  // K x n
  bool has_bias = false;
  MatShape y() const { return {a.rows, b.cols}; }
};

struct MatmulProof {
  sumcheck::Proof sumcheck;
  Fp2 a_eval, b_eval;  // A~(rho, r_r), B~(r_c, rho)
  Fp2 bias_eval;       // bias~(r_c), when has_bias

  void write(util::ByteWriter& w, const MatmulShape& shape) const;
  static Result<MatmulProof> read(util::ByteReader& r, const MatmulShape& shape);
};

struct MatmulClaims {
  EvalClaim a, b;
  std::optional<EvalClaim> bias;
};

struct MatmulProverOutput {
  MatmulProof proof;
  MatmulClaims claims;
};

// y_claim is a claim on Y at (r_c, r_r). a, b are padded tables (pad_matrix), bias has
// 2^col_bits(y) entries (zero-padded) or is empty.
MatmulProverOutput prove_matmul(const MatmulShape& shape, std::span<const Fp> a,
                                std::span<const Fp> b, std::span<const Fp> bias,
                                const EvalClaim& y_claim, transcript::Transcript& t);

Result<MatmulClaims> verify_matmul(const MatmulShape& shape, const EvalClaim& y_claim,
                                   const MatmulProof& proof, transcript::Transcript& t);

// Y = A B + bias in the padded layout (the executor's result, for tests and witnesses).
std::vector<Fp> matmul(const MatmulShape& shape, std::span<const Fp> a, std::span<const Fp> b,
                       std::span<const Fp> bias);

}  // namespace zks::circuits
