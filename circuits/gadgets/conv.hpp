#pragma once
// 2-D convolution (one image, NCHW; stride, padding, dilation, groups) with bias,
// proved by two sumchecks and nothing committed (DESIGN.md section 3, "Conv").
//
// Layouts, each axis zero-padded to a power of two in its own bit field (rule 4),
// low variables first:  X[c][h][w] -> (w, h, c);  W[oc][ic'][kh][kw] -> (kw, kh, ic', oc)
// with ic' < Cin/groups;  Y[oc][oh][ow] -> (ow, oh, oc);  bias[oc].
//
// With p = (oh, ow), k = (ic', kh, kw), g(oc) the group of oc and
// Xcol[g][k][p] = X[g Cg + ic'][oh sh + kh dh - ph][ow sw + kw dw - pw] (0 outside),
// a claim Y~(r_p, r_oc) = v becomes
//
//  (1) v - [p real](r_p) bias~(r_oc) = sum_{oc, k} eq(r_oc, oc) W[oc][k] Xg[oc][k],
//      Xg[oc][k] = sum_p eq(r_p, p) Xcol[g(oc)][k][p]  (0 for padded oc);
//      run as a sumcheck with eq point (1/2, ..., 1/2, r_oc) and claim scaled by 2^|k|,
//      leaving claims W~(rho_k, rho_oc) and Xg~(rho_k, rho_oc);
//  (2) Xg~(rho_k, rho_oc) = sum_x X[x] T(x),  T(c, h, w) = Tc[c] Th[h] Tw[w], where
//      Tc[c] = (sum_{oc in g(c), oc < Cout} eq(rho_oc, oc)) eq(rho_ic', c - g Cg),
//      Th[h] = sum_{kh < KH, oh < OH, oh sh + kh dh - ph = h} eq(rho_kh, kh) eq(r_oh, oh),
//      Tw likewise; a degree-2 sumcheck over x leaves a claim X~(rho_x) and the
//      verifier evaluates T~(rho_x) = Tc~ Th~ Tw~ itself from these small tables
//      (the patch predicate, O(Cout + Cin + KH OH + KW OW) work).
// The output is one claim on each of X, W and the bias.

#include <optional>

#include "circuits/gadgets/claim.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct ConvShape {
  uint32_t in_channels = 0, in_h = 0, in_w = 0;
  uint32_t out_channels = 0, kernel_h = 0, kernel_w = 0;
  uint32_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  uint32_t groups = 1;
  bool has_bias = false;

  uint32_t out_h() const;
  uint32_t out_w() const;
  Status check() const;  // every dimension sane, channels divisible by groups
  // Variable counts of each layout.
  unsigned x_vars() const;
  unsigned w_vars() const;
  unsigned y_vars() const;
};

struct ConvProof {
  Fp2 bias_eval;
  sumcheck::Proof weights_sumcheck;  // (1)
  Fp2 w_eval, xg_eval;
  sumcheck::Proof input_sumcheck;    // (2)
  Fp2 x_eval;

  void write(util::ByteWriter& w, const ConvShape& shape) const;
  static Result<ConvProof> read(util::ByteReader& r, const ConvShape& shape);
};

struct ConvClaims {
  EvalClaim x, w;
  std::optional<EvalClaim> bias;
};

struct ConvProverOutput {
  ConvProof proof;
  ConvClaims claims;
};

// Padded layouts from dense NCHW / OIHW arrays.
std::vector<Fp> pad_conv_input(std::span<const Fp> dense, const ConvShape& s);
std::vector<Fp> pad_conv_weights(std::span<const Fp> dense, const ConvShape& s);
std::vector<Fp> pad_conv_bias(std::span<const Fp> dense, const ConvShape& s);
// Y in the padded layout (the reference computation for tests and witnesses).
std::vector<Fp> conv(const ConvShape& s, std::span<const Fp> x, std::span<const Fp> w,
                     std::span<const Fp> bias);

ConvProverOutput prove_conv(const ConvShape& s, std::span<const Fp> x, std::span<const Fp> w,
                            std::span<const Fp> bias, const EvalClaim& y_claim,
                            transcript::Transcript& t);
Result<ConvClaims> verify_conv(const ConvShape& s, const EvalClaim& y_claim,
                               const ConvProof& proof, transcript::Transcript& t);

}  // namespace zks::circuits
