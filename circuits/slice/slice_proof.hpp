#pragma once
// The slice prover and verifier (issue 5): one proof that the output tensors of a slice
// (nodes [first, end) of a compiled model) are the quantized result of its input
// tensors. A boundary tensor is public (its integers in the statement, its MLE
// evaluated by the verifier: rule 12) or private (a deterministic commitment in the
// statement: claims on it are openings of that commitment, rule 7).
//
// Claims flow from the outputs back to the inputs, node by node (GKR style), through
// the gadgets in circuits/gadgets. Every output of a non-polynomial op is committed
// before any challenge (rule 2): the requantized outputs of Conv and Gemm with their
// flags and limbs, the outputs of table ops, and every lookup's multiplicities; all
// range checks of the slice go into one LogUp; all claims on committed columns are
// opened in one Basefold batch. Layout ops are gathers proved by a sumcheck against a
// predicate the verifier evaluates. The weights are committed by the verifier itself
// from the model (the model fingerprint that replaces this comes with issue 5's
// remaining part), so a proof for other weights fails the opening.
//
// Supported ops: Conv (one image), Gemm (bias per output column), Relu, Clip, Abs, Neg,
// LeakyRelu, PRelu (one slope or one per channel), table ops (Sigmoid, Tanh, Erf, Gelu,
// Elu, Softplus, ... over the model's own tables), Add/Sub/Sum and Mul (constants and
// broadcast activations), Max/Average pooling (global too), ReduceSum/ReduceMean,
// Concat (inputs of any scale), and layout ops (Reshape, Flatten, Transpose, Slice, Pad,
// Squeeze, Unsqueeze); requantization by right or left shifts. Anything else is refused
// with the node named.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "circuits/gadgets/table.hpp"
#include "hash/blake2b.hpp"
#include "model/quantize.hpp"
#include "pcs/basefold.hpp"
#include "transcript/soundness.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

// Whom and what a proof answers (DESIGN.md section 8 rule 11): the validator's job id
// and the proving miner's ed25519 hotkey, absorbed before any challenge, so a proof
// cannot be copied to another job or claimed by another miner. Zero when proved offline.
struct ProofBinding {
  hash::Digest job_id{};
  std::array<uint8_t, 32> prover{};
  bool operator==(const ProofBinding&) const = default;
};

// The most slices a sealed model may have. A bundle is sound to 100 bits when the sum of
// its slices' errors is at most 2^-100 (the union bound); the standard commitment's query
// term is 2^-105 (pcs::kQueryMarginBits), which leaves room for 16 small slices. Sealing
// refuses a partition whose expected sum (expected_error) is larger.
constexpr uint32_t kMaxBundleSlices = 16;

// R_W: the commitment to a slice's weight stacks, one commitment or a joint one's
// members (pcs::commit_joint), largest first.
using WeightCommitment = std::vector<pcs::Commitment>;
// Its encoding in a manifest: a single commitment as pcs::Commitment::write (36 bytes);
// a joint one as u32 member count (2 or more), u32 variable counts, then the root.
util::Bytes write_weight_commitment(const WeightCommitment& c);
Result<WeightCommitment> read_weight_commitment(std::span<const uint8_t> bytes, const pcs::Params& params);

struct SliceStatement {
  const model::QModel* model = nullptr;
  size_t first = 0, end = 0;                      // nodes [first, end)
  uint32_t index = 0;                             // the slice's index in the manifest
  uint32_t slices = 1;                            // slices in the model (sets the soundness floor)
  hash::Digest fingerprint{};                     // FP of the sealed model (zero if unsealed)
  ProofBinding binding;                           // job id and prover hotkey (rule 11)
  // R_W of the slice from a sealed manifest: the verifier takes it (bound by FP)
  // instead of committing the weights itself. Null: commit from the model's weights.
  const WeightCommitment* weights = nullptr;
  std::vector<int> inputs, outputs;               // boundary tensors (ids)
  std::vector<std::vector<int64_t>> input_values;   // dense, per input
  std::vector<std::vector<int64_t>> output_values;  // dense, per output
  // Private boundary tensors (DESIGN.md section 3, "Slice statement and stitching"):
  // a deterministic commitment to the tensor in its padded layout stands in the
  // statement instead of its values, so consecutive slices are stitched by equal roots.
  // Index-aligned with inputs/outputs; an empty vector means every boundary is public.
  // The prover still needs the values; the verifier's may be empty for private ones.
  std::vector<std::optional<pcs::Commitment>> input_commitments, output_commitments;
  // Prover only: private boundary tensors already committed by whoever made the
  // commitments above (commit_boundary), by tensor id, so the prover does not encode and
  // hash them again. Each is still compared with the statement's commitment; a boundary
  // not here is committed by the prover.
  std::map<int, std::shared_ptr<const pcs::CommittedPoly>> boundary_polys;
};

// The deterministic commitment to a boundary tensor (dense row-major values, laid out
// padded per axis): the same tensor always gives the same root. `commit_boundary` keeps
// the codeword and tree, for a prover to open.
Result<std::shared_ptr<const pcs::CommittedPoly>> commit_boundary(const model::QModel& m, int tensor,
                                                                  std::span<const int64_t> values, const pcs::Params& params);
Result<pcs::Commitment> boundary_commitment(const model::QModel& m, int tensor, std::span<const int64_t> values,
                                           const pcs::Params& params);

struct SliceProof;  // opaque; see slice_proof.cpp
namespace slice_detail {
struct Plan;  // slice_plan.hpp
}

// Proves the statement; fails (naming the node) when an op is not provable yet or when
// the model's executor disagrees with the circuits' (a bug, reported, never proved).
Result<util::Bytes> prove_slice(const SliceStatement& st, const pcs::Params& params);
// What a prover picks from its run and states in the proof header, absorbed before any
// challenge. Each choice picks between sound proofs of the same relation; the verifier
// only checks that it is well formed.
struct ProofChoices {
  // Model nodes whose requantization takes the saturating form (those that clamped).
  std::set<size_t> saturating;
  // By lookup (the plan's table groups, in order): the window of its table it
  // looks into (the smallest holding its inputs); a lookup not listed uses the whole table.
  std::map<size_t, TableWindow> windows;
};

// prove_slice with choices of the caller's instead of the run's: for tests (a superset
// of the clamping nodes proves; leaving one out cannot; a window missing an input cannot).
struct ForcedChoices {
  std::optional<std::set<size_t>> saturating = {};            // only the nodes of it that may saturate
  std::optional<std::map<size_t, TableWindow>> windows = {};  // exactly these windows
  // A cheating prover, for tamper tests: called with the plan and every column (the
  // plan's order) once the witness and the multiplicities are built, before anything is
  // committed. The prover then commits and proves the changed columns as they are (a
  // tensor held in a column is read from it from then on); the verifier must reject.
  std::function<void(const slice_detail::Plan&, std::vector<std::vector<Fp>>&)> tamper = {};
};
Result<util::Bytes> prove_slice_with(const SliceStatement& st, const pcs::Params& params, const ForcedChoices& forced);
// Checks a proof against the statement; the error says what failed. The proof's
// soundness (every random check the verifier made, transcript/soundness.hpp) must reach
// 100 bits; a bundle's slices together are checked by check_bundle_soundness.
// `soundness`, when given, receives its terms.
Status verify_slice(const SliceStatement& st, std::span<const uint8_t> proof, const pcs::Params& params,
                    transcript::SoundnessLedger* soundness = nullptr);

// An upper estimate of the error a proof of this slice can have, from its plan at its
// largest (every requantization that may clamp in the saturating form, whole tables):
// the opening's terms at the commitments' sizes, exactly, and a bound on the gadgets'
// (LogUp by its leaves, the sumchecks and points). Sealing sums it over the slices to
// refuse a partition that cannot reach 100 bits. Boundary values are not needed.
Result<double> expected_error(const SliceStatement& st, const pcs::Params& params);

// R_W: the commitment to the slice's weights as the prover lays them out (nullopt when
// the slice has no weights). Boundary values in `st` are not needed.
Result<std::optional<WeightCommitment>> weight_commitment(const SliceStatement& st, const pcs::Params& params);

}  // namespace zks::circuits
