#pragma once
// A proof bundle: everything a third party needs, with the compiled model, to check an
// inference offline. First version: the boundary tensors travel as integers (the model's
// input, its output and every tensor crossing a cut), one slice proof per slice proves
// its outputs from its inputs, and slices chain because each boundary tensor has exactly
// one value in the bundle (the output of the slice that makes it is the input of the
// slices that read it). Commitment-based stitching, which keeps boundaries private, is
// the next step (DESIGN.md section 3, "Slice statement and stitching").
//
// Layout: "ZKSB", version, the manifest's hash (binding the bundle to one compiled
// model), the commitment parameters' id, the boundary tensors (id, values), the slice
// proofs. Reading refuses unknown versions, truncation, trailing bytes and absurd
// sizes with a reason.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "hash/blake2b.hpp"
#include "pcs/params.hpp"
#include "slicer/slicer.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::circuits {

struct Bundle {
  hash::Digest manifest_hash{};
  hash::Digest params_id{};
  std::map<int, std::vector<int64_t>> tensors;  // boundary tensors by id
  std::vector<util::Bytes> proofs;              // one per slice, in manifest order

  util::Bytes write() const;
  static Result<Bundle> read(std::span<const uint8_t> bytes);
};

struct SliceTiming {
  double ms = 0;
  size_t proof_bytes = 0;
};

// Proves every slice of a compiled model on the integer input values (one vector per
// model input), slices in parallel on up to `jobs` threads; `progress` (may be empty)
// is called as each slice finishes.
Result<Bundle> prove_bundle(const slicer::Manifest& man, const hash::Digest& manifest_hash,
                            const std::vector<std::vector<int64_t>>& inputs, const pcs::Params& params,
                            size_t jobs, std::vector<SliceTiming>* timings,
                            const std::function<void(size_t slice, const SliceTiming&)>& progress);

// Checks the bundle against the compiled model it claims (by hash) and every slice proof.
// A sealed manifest is checked against its fingerprint, and against `pinned_fp` when
// given (the value the model owner published); its R_W[j] then stand for the weights.
Status verify_bundle(const slicer::Manifest& man, const hash::Digest& manifest_hash, const Bundle& b,
                     const pcs::Params& params, std::vector<SliceTiming>* timings,
                     const hash::Digest* pinned_fp = nullptr);

}  // namespace zks::circuits
