#pragma once
// The model fingerprint (DESIGN.md section 3, section 8 rule 10). Sealing a manifest
// commits each slice's weights as the slice prover lays them out (R_W[j]), records the
// proof parameters' id, and then sets
//
//     FP = BLAKE2b_Commitment("zkslice-fp-v2" || the verify-only form, serialized)
//
// where the verify-only form is the manifest with FP empty and each committed weight's
// values replaced by the digest of them all (publish_manifest). So FP covers the graph,
// every shape, scale and shift, the tables and their hashes, the slice partition and
// boundaries, every R_W[j], the parameters and every weight value (by the digest); and a
// manifest published without its weights has the same FP. A proof absorbs FP; a
// verifier recomputes FP from the manifest it holds and compares it with a value it
// pins, and then trusts R_W[j] instead of the weights themselves.

#include <optional>
#include <string>
#include <vector>

#include "circuits/slice/slice_proof.hpp"
#include "hash/blake2b.hpp"
#include "pcs/params.hpp"
#include "pcs/basefold.hpp"
#include "slicer/slicer.hpp"
#include "util/result.hpp"

namespace zks::circuits {

// Fills every slice's R_W, params_id and FP. A slice whose ops are not provable yet gets
// no R_W; its reason is appended to `unprovable` (when given).
Status seal_manifest(slicer::Manifest& man, const pcs::Params& params,
                     std::vector<std::string>* unprovable = nullptr);

// That proofs of the manifest's slices, at their largest (expected_error), reach 100
// bits together (their errors add up, rule 8). Sealing runs it; a validator runs it on
// the manifests it loads (one sealed before 2026-12-06 may not pass).
Status check_partition_soundness(const slicer::Manifest& man, const pcs::Params& params);

// FP of a manifest as it is (its stored fingerprint field ignored); fails when a
// verify-only manifest does not withhold exactly its committed weights.
Result<hash::Digest> fingerprint_of(const slicer::Manifest& man);

// The verify-only form of a sealed manifest, what a model owner publishes: every weight
// that a slice's proof reads only through its R_W is withheld (its values left out,
// their BLAKE2b digest and the bounds the range analysis needs kept), and
// `published_from` names the full manifest by its content hash, so bundles made with
// it verify. Its FP is the full manifest's. Proving and running need the full one.
Result<slicer::Manifest> publish_manifest(const slicer::Manifest& man, const hash::Digest& manifest_hash,
                                          const pcs::Params& params);

// Checks a sealed manifest: sealed for these parameters and its stored FP is the one it
// hashes to. Returns FP.
Result<hash::Digest> check_sealed(const slicer::Manifest& man, const pcs::Params& params);

// A slice's R_W from the manifest (nullopt when the slice has none); malformed = error.
Result<std::optional<WeightCommitment>> slice_weight_commitment(const slicer::Slice& s, const pcs::Params& params);

// What a slice's proofs disclose of its weights (sound, not yet hiding): every proof
// opens R_W, and pcs::openings_to_reveal says after how many openings, in expectation,
// one stack of it is determined: `first` for the stack that goes first, `all` for the
// last (then every weight of the slice is known). nullopt for a slice without weights.
struct WeightExposure {
  double first = 0, all = 0;
};
Result<std::vector<std::optional<WeightExposure>>> weight_exposure(const slicer::Manifest& man,
                                                                   const pcs::Params& params);

}  // namespace zks::circuits
