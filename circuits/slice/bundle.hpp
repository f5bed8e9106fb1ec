#pragma once
// A proof bundle: everything a third party needs, with the compiled model, to check an
// inference offline. The model's input and output travel as integers (rule 12); every
// other tensor crossing a cut is private: the bundle holds only its deterministic
// commitment, one per tensor, so the slice that makes it (C_out) and the slices that
// read it (C_in) are stitched by construction: one root per (tensor), used on both
// sides (DESIGN.md section 3, "Slice statement and stitching"; rule 7). One slice proof
// per slice proves its outputs from its inputs.
//
// Layout: "ZKSB", version, the manifest's hash (binding the bundle to one compiled
// model), the commitment parameters' id, the public tensors (id, count, each value a
// zigzag varint in its shortest form: a 16-bit activation takes 3 bytes), the private
// boundary commitments (id, commitment), the slice proofs, each with its job id and
// prover hotkey (rule 11). Reading refuses unknown
// versions, truncation, trailing bytes and absurd sizes with a reason.
//
// Sound, not yet hiding: openings reveal evaluations of private tensors, and tensors of
// at most 2^8 entries are opened in the clear.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "hash/blake2b.hpp"
#include "pcs/basefold.hpp"
#include "pcs/params.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "slicer/slicer.hpp"
#include "util/bytes.hpp"
#include "model/quantize.hpp"
#include "util/result.hpp"

namespace zks::circuits {

// What proving or running a verify-only manifest (publish_manifest) answers.
inline constexpr const char* kVerifyOnly =
    "the manifest is verify-only (published without its weights): proving and running need the model owner's full manifest";

struct Bundle {
  hash::Digest manifest_hash{};
  hash::Digest params_id{};
  std::map<int, std::vector<int64_t>> tensors;  // public tensors (model inputs and outputs) by id
  std::map<int, pcs::Commitment> commitments;   // private boundary tensors by id
  std::vector<util::Bytes> proofs;              // one per slice, in manifest order
  std::vector<ProofBinding> bindings;           // each proof's job id and prover (rule 11); empty: all zero

  util::Bytes write() const;
  static Result<Bundle> read(std::span<const uint8_t> bytes);
};

struct SliceTiming {
  double ms = 0;
  size_t proof_bytes = 0;
  transcript::SoundnessLedger soundness;  // verification only: the slice proof's error terms
};
// -log2 of the sum of the slices' errors: the bundle's soundness (rule 8).
double bundle_soundness_bits(const std::vector<SliceTiming>& verified);
// That it reaches 100 bits (verify_bundle checks it; so does a validator stitching
// slices it verified one by one); the error gives each slice's bits.
Status check_bundle_soundness(const std::vector<SliceTiming>& verified,
                              std::string_view advice = "compile it into fewer");

// Proves every slice of a compiled model on the integer input values (one vector per
// model input), slices in parallel on up to `jobs` threads; `progress` (may be empty)
// is called as each slice finishes. With private_boundaries (the default) the tensors
// crossing cuts are committed, not revealed. Every proof is bound to `binding`.
Result<Bundle> prove_bundle(const slicer::Manifest& man, const hash::Digest& manifest_hash,
                            const std::vector<std::vector<int64_t>>& inputs, const pcs::Params& params,
                            size_t jobs, std::vector<SliceTiming>* timings,
                            const std::function<void(size_t slice, const SliceTiming&)>& progress,
                            bool private_boundaries = true, const ProofBinding& binding = {});

// A compiled model ready to prove and check many slices of: its seal checked once (FP
// and each slice's R_W decoded), by a validator or a miner's artifact cache.
struct SealedModel {
  const slicer::Manifest* man = nullptr;
  hash::Digest manifest_hash{};
  hash::Digest fp{};  // zero when unsealed
  std::vector<std::optional<WeightCommitment>> weights;
};
Result<SealedModel> seal_check(const slicer::Manifest& man, const hash::Digest& manifest_hash, const pcs::Params& params);

// One slice proved on its own (a miner's job). The slice is recomputed from its input
// values (in the order of the slice's inputs; never trusting a claimed output). The
// model's inputs and outputs are public, every other boundary is committed
// deterministically, as prove_bundle does, so a validator stitches the slices of
// different miners into one Bundle (tensors, commitments, proofs, bindings).
struct SliceJob {
  util::Bytes proof;
  std::map<int, std::vector<int64_t>> public_outputs;  // outputs that are model outputs
  std::map<int, pcs::Commitment> output_commitments;   // every other output
  std::map<int, pcs::Commitment> input_commitments;    // inputs that are not model inputs
};
Result<SliceJob> prove_slice_job(const SealedModel& sm, size_t slice,
                                 const std::vector<std::vector<int64_t>>& inputs, const pcs::Params& params,
                                 const ProofBinding& binding);

// The bundle a validator builds from its own forward pass before any proof arrives, in
// two steps so that it can send the slices out between them: `bundle_forward` runs the
// model (every value of the run in `run`) and puts its inputs and outputs in by value;
// `add_boundaries` then adds every other boundary tensor, by its deterministic
// commitment (`commit`, private boundaries) or by value. Proofs are then checked against
// it one by one (verify_slice_proof) and added.
Result<Bundle> bundle_forward(const SealedModel& sm, const std::vector<std::vector<int64_t>>& inputs,
                              const pcs::Params& params, model::IntRun& run);
// `polys`, when given, receives the committed tensors, for a prover to open.
using BoundaryPolys = std::map<int, std::shared_ptr<const pcs::CommittedPoly>>;
Status add_boundaries(const SealedModel& sm, const model::IntRun& run, const pcs::Params& params, bool commit, Bundle& b,
                      BoundaryPolys* polys = nullptr);
// Checks slice j's proof under `binding` against the bundle's tensors and commitments;
// `soundness`, when given, receives the proof's error terms.
Status verify_slice_proof(const SealedModel& sm, size_t j, const Bundle& b, std::span<const uint8_t> proof,
                          const ProofBinding& binding, const pcs::Params& params,
                          transcript::SoundnessLedger* soundness = nullptr);

// Checks the bundle against the compiled model it claims (by hash) and every slice proof.
// A sealed manifest is checked against its fingerprint, and against `pinned_fp` when
// given (the value the model owner published); its R_W[j] then stand for the weights.
Status verify_bundle(const slicer::Manifest& man, const hash::Digest& manifest_hash, const Bundle& b,
                     const pcs::Params& params, std::vector<SliceTiming>* timings,
                     const hash::Digest* pinned_fp = nullptr);

// A bundle that verifies says what the model gives on the input it carries. Whoever
// sent an input checks that the bundle carries that one (`inputs`: the model's inputs
// as integers, in the model's order), or it may be the answer to another request.
Status check_bundle_input(const slicer::Manifest& man, const Bundle& b, const std::vector<std::vector<int64_t>>& inputs);

}  // namespace zks::circuits
