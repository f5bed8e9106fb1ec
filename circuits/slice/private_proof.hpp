#pragma once
// Private-input proofs (DESIGN.md section 3 "Zero knowledge", rule 13; docs/ARCHITECTURE.md
// "Zero knowledge", stage 5): one proof that a model's public outputs are its quantized
// result on inputs the verifier never sees, and that reveals nothing else about those
// inputs (or any tensor computed from them). The first use case: a phone proves what a
// model says about a photo without sending the photo.
//
// What it proves: linear ops with public weights (Gemm, Conv and
// ConvTranspose of one image, pooling, ReduceSum/Mean, Add/Sub/Sum, Mul by a constant,
// MatMul with a constant operand, and every layout op), requantized by shifts; products
// and MatMuls of two activations; max pooling; Div of two activations and Softmax;
// Relu, PRelu, the table ops (Sigmoid, Tanh, ... over the whole activation range) and
// the function ops (Clip, Abs, Neg, LeakyRelu with one slope). Activations of 16 bits
// at most. Every corpus model proves; anything else is refused with the node named.
// Requantizations and divisions that clamp are proved (one excess column, see
// LinearPlan); a division by b <= 0 is refused.
//
// The weights are public: the verifier holds the model (bound by its fingerprint) and
// folds the weights with its own challenges. Hiding weights across proofs is open.
//
// How (every part is of zero-knowledge stages 1-4):
//   - Every tensor the model computes (each linear op's requantized output q and its
//     remainder's limbs, each table op's output) and each input are columns of 2^A
//     values in their padded layouts (rule 4), and one more column holds the mask table;
//     all of them are one joint hiding commitment (pcs::commit_joint_hiding), made
//     before any challenge. A linear op's accumulator acc = sum_j M_j x_j + b is never
//     committed.
//   - A linear op: a Requant zerocheck over its outputs,
//         sum_o eq(tau, o) sel(o) [acc(o) + 2^(s-1) - 2^s q(o) - sum_j 2^(16 j) l_j(o)] = 0
//     (acc(o) - q(o) for a shift of 0: layout ops), with acc masked by an affine mask S
//     from the mask table and q and the limbs by their commitments' masks; then one
//     sumcheck proves acc's masked value at the zerocheck's point r:
//         sum_i sum_j M_j(r, i) x_j(i) + K = acc^(r) - b(r),   K = c S(r) secret.
//     M_j(r, .) and b(r) are the verifier's own (public weights and shapes; a Conv's by
//     its separable patch structure, O(C H W KH KW)); the x_j end in masked evaluations.
//   - Lookups (lookup/zk_logup.hpp): each remainder limb in [0, 2^16) (the top one in
//     [0, 2^t)); each table op's (input, output) in its table; each input, and each q no
//     table op reads, in the activation range (rule 5). A table's outputs are its
//     entries (the plan checks they lie in the activation range) and a layout op's are
//     its inputs' (or a fill in range), so neither needs a check of its own.
//   - Products, max and division reuse these: a product's map is sum_o eq(r, o) x_0 x_1;
//     max pooling (and Softmax's row max) commits y and range-checks y - x_tap with a
//     product of the differences zero; Div commits q and checks b q and the remainder
//     r = 2A + D - 2D q in [0, 2D) by two range checks (a linear op whose accumulator
//     is its limbs). docs/ARCHITECTURE.md, "Private-input proofs", has each.
//   - Each output column equals the public output at a random point.
//   - One hiding opening proves every claim; every sumcheck's final mask is one
//     weighted claim on the mask table after a batching challenge.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "lookup/zk_logup.hpp"
#include "pcs/hiding.hpp"

namespace zks::circuits {

// One slice of a private bundle (DESIGN.md rule 13; docs/ARCHITECTURE.md, "Private
// proofs across slices"): nodes [first, end) of the model. A tensor that several slices
// hold (its maker and its readers, or the last slice for a model output made earlier)
// is "shared": it is committed on its own, by a hiding commitment whose mask comes from
// the bundle's boundary seed and the tensor, so every slice that holds it commits the
// same root, and the bundle stitches the slices by those roots (rule 7). Made by
// private_slices(), the same for prover and verifier.
struct PrivateSlice {
  size_t first = 0, end = 0;  // nodes [first, end)
  uint32_t index = 0, count = 1;
  // The tensors the slice holds that it does not make, ascending: model inputs and
  // boundary tensors (prove_private's `inputs`, in this order).
  std::vector<int> inputs;
  // The model outputs this slice shows (the last slice: all, in the model's order).
  std::vector<int> outputs;
  // The shared tensors it holds, each with the number of proofs that open its commitment.
  std::map<int, unsigned> shared;
  // Each shared tensor's root: the verifier's (from the bundle); a prover given some
  // checks its own against them.
  std::map<int, hash::Digest> roots;
  // Prover only, secret: each shared tensor's mask seed, the same in every slice that
  // holds it (rule 13's salt handed on: a slice's prover needs only its tensors' seeds).
  std::map<int, pcs::Seed> seeds;
};

// The slices of a private bundle for a partition of the model's nodes (ranges [first,
// end), in order, covering every node).
Result<std::vector<PrivateSlice>> private_slices(const model::QModel& m,
                                                 const std::vector<std::pair<size_t, size_t>>& ranges);

// Whether prove_private_bundle takes the model cut at `ranges`; the error names the
// slice and the first node it cannot take.
Status check_private_bundle(const model::QModel& m, const std::vector<std::pair<size_t, size_t>>& ranges);

struct PrivateStatement {
  const model::QModel* model = nullptr;
  hash::Digest fingerprint{};                 // FP of the sealed model (zero if unsealed), absorbed
  ProofBinding binding;                       // job id and prover hotkey (rule 11)
  std::vector<std::vector<int64_t>> outputs;  // the model's outputs, dense, in its output order (public)
  // Null: the whole model. Else one slice of a bundle; `outputs` are its outputs'.
  const PrivateSlice* slice = nullptr;
};

// Whether the model is one this prover proves; the error names the first node it cannot.
Status check_private_provable(const model::QModel& m);

// For tamper tests, a cheating prover; the verifier must reject what it proves.
struct PrivateTamper {
  // Changes integer values after the run: the model's tensors by id (inputs and node
  // outputs) and each requantized tensor's limbs (by the tensor's id): its remainder's,
  // lowest first, then its clamp excess's where it can clamp (a division's output: its
  // clamp excess's). Internal tensors are
  // there too, under the ids -1, -2, ...: first each max that is no node's output
  // (Softmax's row max; a long row's maxes from the first level up), then each
  // division's unclamped quotient where it may clamp, in plan order. What the plan
  // derives from them (copies, multiplicities) follows the change, so a
  // lie travels as far as it can.
  std::function<void(std::map<int, std::vector<int64_t>>& tensors,
                     std::map<int, std::vector<std::vector<int64_t>>>& limbs)>
      values = {};
  // Changes the committed columns themselves just before the commitment (the plan's
  // order; `outputs` are the model outputs' columns); nothing follows.
  std::function<void(std::vector<std::vector<Fp>>& columns, std::span<const size_t> outputs)> columns = {};
  // Changes each lookup's helper tables (h_w0, h_w1, in plan order) just before they are
  // committed; nothing follows. `table_sums` are each lookup's table side's sum
  // (lookup::zk_table_sum), what its h_w sums to when every row is in the table.
  std::function<void(std::vector<lookup::ZkHelpers>& helpers, std::span<const Fp2> table_sums)> helpers = {};
  // Changes lookup i's block values (each witness column's blocks' f^ at the lookup's
  // point, column by column, which the proof shows and the opening proves) before they
  // are written; `weights` are each block's weight in its column's value (the sum the
  // verifier checks), for a change that keeps it.
  std::function<void(size_t lookup, std::span<const field::Fp2> weights, std::vector<field::Fp2>& block_values)>
      lookup_blocks = {};
};

// Proves that the statement's outputs are the model's result on `inputs` (dense, in the
// model's input order). The seed must be secret and fresh (it draws every mask): a
// caller without one passes random_seed(). Fails, naming the node, when the model is not
// provable here, when a requantization clamps, or when the outputs are not the model's
// result on the inputs.
// `progress`, when given, is called after each phase (the run, the commitment, the
// linear maps, max pooling, the lookups, the opening) with its name and milliseconds.
// `codeword_memory`: the most bytes the commitments' codewords (8x the committed values,
// which the opening reads at its queries) stay in memory in; past it each codeword is
// freed once hashed and made again in the opening, one at a time. That costs a large
// model about a seventh of its time and saves most of its peak memory (age on 2 cores:
// 1.3 of 8.7 s, 0.8 of 1.85 GB). The proof is the same either way.
// For a slice, `shared_roots` (when given) receives the root of each shared tensor.
using PrivateProgress = std::function<void(const std::string& phase, double ms)>;
constexpr size_t kDefaultCodewordMemory = size_t(256) << 20;
Result<util::Bytes> prove_private(const PrivateStatement& st, const std::vector<std::vector<int64_t>>& inputs,
                                  const pcs::Params& params, const pcs::Seed& seed, const PrivateTamper& tamper = {},
                                  const PrivateProgress& progress = {},
                                  size_t codeword_memory = kDefaultCodewordMemory,
                                  std::map<int, hash::Digest>* shared_roots = nullptr);
// Checks a proof against the statement (the model, its outputs, FP and binding); the
// error says what failed. The proof must reach 100 bits (`soundness` receives the terms).
Status verify_private(const PrivateStatement& st, std::span<const uint8_t> proof, const pcs::Params& params,
                      transcript::SoundnessLedger* soundness = nullptr);

// What `zkslice prove --private` writes and `zkslice verify` reads: the public outputs
// and the proof (the inputs are nowhere in it). Layout: "ZKSPRIV1", u32 output count,
// for each a u32 length and its values (signed varints), u64 proof length, the proof.
struct PrivateProofFile {
  std::vector<std::vector<int64_t>> outputs;
  util::Bytes proof;
  util::Bytes write() const;
  static Result<PrivateProofFile> read(std::span<const uint8_t> bytes);
  static bool is_one(std::span<const uint8_t> bytes);  // starts with the magic
};

// A private bundle (`zkslice prove --private --sliced`): the model's outputs, the
// partition (the prover's choice: any partition of the model's nodes proves the same
// outputs, and each slice's proof absorbs its range), each shared tensor's root, one
// proof a slice. Layout: "ZKSPRIVB", the outputs as in PrivateProofFile, u32 slice
// count, for each its u32 first and end node, u32 root count, for each an i32 tensor id
// and the root, then for each slice a u64 length and its proof.
struct PrivateBundleFile {
  std::vector<std::vector<int64_t>> outputs;
  std::vector<std::pair<size_t, size_t>> ranges;
  std::map<int, hash::Digest> roots;
  std::vector<util::Bytes> proofs;
  util::Bytes write() const;
  static Result<PrivateBundleFile> read(std::span<const uint8_t> bytes);
  static bool is_one(std::span<const uint8_t> bytes);
};

// Proves the model's outputs on private inputs (dense, in the model's input order) as
// one proof a slice, the slices one after another, so the peak memory is the largest
// slice's. `seed` must be secret and fresh; each slice's masks and the shared tensors'
// are drawn from it apart. `progress` gets each slice's phases as "slice j: phase";
// `timings`, each slice's prove time and proof size.
Result<PrivateBundleFile> prove_private_bundle(const model::QModel& m,
                                               const std::vector<std::pair<size_t, size_t>>& ranges,
                                               const hash::Digest& fingerprint, const ProofBinding& binding,
                                               const std::vector<std::vector<int64_t>>& inputs,
                                               const pcs::Params& params, const pcs::Seed& seed,
                                               const PrivateProgress& progress = {},
                                               size_t codeword_memory = kDefaultCodewordMemory,
                                               std::vector<SliceTiming>* timings = nullptr);
// Checks every slice's proof (the bundle's partition of the model) against the
// bundle's roots and outputs, and that together they reach 100 bits (the union bound
// over the slices: check_bundle_soundness); `timings` receives each slice's verify
// time, proof size and soundness terms.
Status verify_private_bundle(const model::QModel& m, const hash::Digest& fingerprint, const ProofBinding& binding,
                             const PrivateBundleFile& b, const pcs::Params& params,
                             std::vector<SliceTiming>* timings = nullptr);

// A partition of the model's nodes into `slices` ranges (fewer when the model has fewer
// nodes) whose largest estimated prove time (the slicer's cost model) is about the
// least: what `zkslice prove --private --slices N` proves.
std::vector<std::pair<size_t, size_t>> balanced_ranges(const model::QModel& m, size_t slices);

// A fresh secret seed from the operating system (libsodium).
pcs::Seed random_seed();

}  // namespace zks::circuits
