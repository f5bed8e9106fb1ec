#pragma once
// Private-input proofs (DESIGN.md section 3 "Zero knowledge", rule 13; docs/ARCHITECTURE.md
// "Zero knowledge", stage 5): one proof that a model's public output is its quantized
// result on an input the verifier never sees, and that reveals nothing else about that
// input (or any tensor computed from it). The first use case: a phone proves what a
// model says about a photo without sending the photo.
//
// What it proves today: dense networks. Gemm (one row, constant weights and bias,
// requantized by a right shift), Relu and the table ops (Sigmoid, Tanh, ... over the
// whole activation range), the function ops (Clip, Abs, Neg, LeakyRelu), and layout
// ops that keep every entry in place (Reshape, Flatten, Identity, Squeeze). One input,
// one output, 16-bit activations at most. Anything else is refused with the node named
// (Conv and pooling are the next gadgets to move over: the sound-only slice prover has
// them). A requantization that clamps is refused too (its flags are not proved here).
//
// The weights are public: the verifier holds the model (bound by its fingerprint) and
// evaluates the weights' and biases' MLEs itself. Hiding weights across proofs is open.
//
// How (every part is of stages 1-4):
//   - Every tensor the model computes (each Gemm's requantized output q and its
//     remainder's limbs, each table op's output) and the input are columns of 2^A
//     values, and one more column holds the mask table; all of them are one joint
//     hiding commitment (pcs::commit_joint_hiding), made before any challenge. A Gemm's
//     accumulator is never committed.
//   - A Gemm: a Requant zerocheck over its outputs,
//         sum_n eq(tau, n) sel(n) [acc(n) + 2^(s-1) - 2^s q(n) - sum_j 2^(16 j) l_j(n)] = 0,
//     with acc masked by an affine mask S from the mask table, q and the limbs by their
//     commitments' masks; then the MatMul proves acc's masked value at the zerocheck's
//     point r: sum_k W(k, r) x(k) + K = acc^(r) - b(r), K = c S(r) secret. W(., r) and
//     b(r) are the verifier's own (public weights); x ends in a masked evaluation.
//   - Lookups (lookup/zk_logup.hpp): each remainder limb in [0, 2^16) (the top one in
//     [0, 2^t)); each table op's (input, output) in its table; the input, and each q
//     no table op reads, in the activation range (rule 5: everything a linear op reads
//     is range-checked; a table's outputs are its entries, which the plan checks lie in
//     the activation range).
//   - The output column equals the public output at a random point.
//   - One hiding opening proves every claim; every sumcheck's final mask is one
//     weighted claim on the mask table after a batching challenge.

#include <cstdint>
#include <span>
#include <vector>

#include "circuits/slice/slice_proof.hpp"
#include "pcs/hiding.hpp"

namespace zks::circuits {

struct PrivateStatement {
  const model::QModel* model = nullptr;
  hash::Digest fingerprint{};   // FP of the sealed model (zero if unsealed), absorbed
  ProofBinding binding;         // job id and prover hotkey (rule 11)
  std::vector<int64_t> output;  // the model's one output, dense (public)
};

// Whether the model is one this prover proves; the error names the first node it cannot.
Status check_private_provable(const model::QModel& m);

// For tamper tests: a cheating prover changes the committed columns (the plan's
// order: the input, then each node's columns in node order) after computing them and
// before committing; the verifier must reject.
struct PrivateTamper {
  std::function<void(std::vector<std::vector<Fp>>& columns)> columns = {};
};

// Proves that `output` in the statement is the model's result on `input` (dense). The
// seed must be secret and fresh (it draws every mask): a caller without one passes
// random_seed(). Fails, naming the node, when the model is not provable here, when a
// requantization clamps or a table input lies outside its table, or when the output
// is not the model's result on the input.
Result<util::Bytes> prove_private(const PrivateStatement& st, std::span<const int64_t> input, const pcs::Params& params,
                                  const pcs::Seed& seed, const PrivateTamper& tamper = {});
// Checks a proof against the statement (the model, its output, FP and binding); the
// error says what failed. The proof must reach 100 bits (`soundness` receives the terms).
Status verify_private(const PrivateStatement& st, std::span<const uint8_t> proof, const pcs::Params& params,
                      transcript::SoundnessLedger* soundness = nullptr);

// A fresh secret seed from the operating system (libsodium).
pcs::Seed random_seed();

}  // namespace zks::circuits
