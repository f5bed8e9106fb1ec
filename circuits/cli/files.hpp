#pragma once
// Files the CLI reads and writes: raw bytes, compiled-model directories, inputs.

#include <cstdint>
#include <string>
#include <vector>

#include "hash/blake2b.hpp"
#include "slicer/slicer.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::cli {

Result<util::Bytes> read_bytes(const std::string& path);
Status write_bytes(const std::string& path, std::span<const uint8_t> bytes);

// A compiled model: DIR/manifest.pb, parsed, with its model id: the BLAKE2b hash of its
// bytes (what a proof bundle names to bind itself to this model), or for a verify-only
// manifest the hash of the full manifest it was published from.
struct CompiledModel {
  slicer::Manifest manifest;
  hash::Digest hash{};
};
Result<CompiledModel> load_compiled(const std::string& dir);
// Refuses a verify-only manifest (from `zkslice publish`) where the weights are needed.
Status need_weights(const slicer::Manifest& man, const std::string& dir);

// A model's inputs from an input JSON (corpus format), in the model's input order: by
// name where the file names them, each with the model's shape (a shape the file gives
// must be it; a flat list must have its count).
Result<std::vector<model::Tensor>> load_model_inputs(const model::QModel& m, const std::string& input);
// One stderr line when the integer run clamped values (run.saturations > 0).
void warn_saturations(const model::IntRun& run);
// The same inputs as integers, quantized with the model's scales (with the warning
// above: for the inputs alone, or for the whole run of the model on them, which needs
// its weights).
Result<std::vector<std::vector<int64_t>>> load_integer_inputs(const model::QModel& m, const std::string& input,
                                                              bool whole_run = true);

}  // namespace zks::cli
