#pragma once
// The slicer (DESIGN.md section 4): a cost model per op, cuts of the topologically
// ordered quantized graph into contiguous slices to a budget, boundary tensors
// (all live tensors crossing a cut), and the manifest that carries it all.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hash/blake2b.hpp"
#include "model/quantize.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::slicer {

struct OpCost {
  double prove_ms = 0;
  double memory_bytes = 0;
};

// Estimated cost of node k proved as a slice of its own, from shapes only (weights'
// values never matter): its time on one core, and its memory.
OpCost estimate_cost(const model::QModel& m, size_t k);

// What a slice's prove time is made of, from shapes only: its nodes' work (elements
// in sumchecks, patch views, committed and looked up, weights opened), the tables it
// looks into (each once, however many nodes share it), and its private boundary
// tensors (inputs it reads are opened; outputs it makes are committed and opened).
struct SliceFeatures {
  double sumcheck = 0, gather = 0, committed = 0, lookups = 0, weights = 0;
  double table_entries = 0;  // rows of the tables' windows (about: min(table, entries looked up))
  double range_entries = 0, range_table = 0;  // range-checked entries; the range table's rows
  double inputs_read = 0, input_elements = 0;   // private boundary inputs read in the slice
  double outputs_made = 0, output_elements = 0; // boundary outputs the slice computes
};
SliceFeatures slice_features(const model::QModel& m, size_t first, size_t end);
// A slice's prove time on one core (ms), from its features: the fitted cost model, for
// a warm miner (its weight commitments cached from an earlier job).
double estimate_ms(const SliceFeatures& f);
// The same for a one-shot run (`zkslice prove`), which commits the slice's weights first.
double estimate_one_shot_ms(const SliceFeatures& f);
// A slice prover's peak memory (bytes, the process's own included), from its features.
double estimate_memory_bytes(const SliceFeatures& f);

struct Slice {
  size_t first = 0, end = 0;  // nodes [first, end)
  std::vector<int> inputs, outputs;  // boundary tensors, ascending tensor index
  OpCost cost;
  // One channel part of a split op (see split_output_channels): it reads only the
  // tensors its node consumes and writes only its part, so the parts of one op are
  // independent of each other; every other slice carries all live tensors at its cuts.
  bool channel_part = false;
  // R_W[j]: the commitment to this slice's weights as the slice prover lays them out
  // (root and variable count), set when the manifest is sealed; empty before, or when
  // the slice has no weights.
  util::Bytes weight_commitment;
};

struct Budget {
  int slices = 0;            // exact number of slices (balanced by estimated time)
  double max_memory_mb = 0;  // or: a new slice whenever memory would exceed this
  double max_prove_ms = 0;   // or: ... whenever estimated time would exceed this
};

// Boundary tensors at a cut before node `cut` (cut == nodes.size(): graph outputs).
std::vector<int> boundary(const model::QModel& m, size_t cut);
// Slices for the given cut points (strictly increasing, inside (0, nodes)).
std::vector<Slice> slices_at(const model::QModel& m, const std::vector<size_t>& cuts);
// Their node ranges [first, end), in order (a private bundle's partition).
std::vector<std::pair<size_t, size_t>> node_ranges(const std::vector<Slice>& slices);
// With a memory or time budget, a Conv/MatMul/Gemm that alone exceeds it is first split
// by output channels (the model is rewritten), each part in a slice of its own. With a
// slice count, the nodes may be put in another topological order (depth-first) when
// that order cuts better; the slices index the model as it is returned.
Result<std::vector<Slice>> plan_slices(model::QModel& m, const Budget& b);

// ---- splitting one op by output channels (split.cpp) ----
// Attribute marking a channel part: ints {part, parts, first channel, end channel}.
inline constexpr const char* kSplitPartAttr = "zks_channel_part";
bool is_channel_part(const model::QNode& n);
bool can_split(const model::QModel& m, const model::QNode& n, std::string* why = nullptr);
// Replaces node k by `parts` nodes over balanced output-channel ranges, each writing its
// own tensor "<output>#ch<c0>:<c1>", followed by a Concat that rebuilds the original
// output (bit-identical integer results). Unused constants are dropped and tensor
// indices renumbered; the range analysis is rerun.
Status split_output_channels(model::QModel& m, size_t k, int parts);

// Runs one slice: `inputs` are the slice's boundary inputs (same order); returns its
// boundary outputs. Uses only what the slice's manifest entry holds.
Result<std::vector<std::vector<int64_t>>> run_slice(const model::QModel& m, const Slice& s,
                                                    const std::vector<std::vector<int64_t>>& inputs,
                                                    uint64_t* saturations = nullptr);

// ---- manifest ----
// 2: weight stacks over 2^18 entries split into a joint R_W (a manifest sealed before
// has another R_W for such slices: refused here, rather than failing its proofs).
// 3: FP v2, over the verify-only form (a manifest sealed before has an FP of v1).
// 4: tables, gather maps and multipliers delta-coded.
inline constexpr uint32_t kSemanticsVersion = 4;

struct Manifest {
  model::QModel model;
  std::vector<Slice> slices;
  std::array<uint8_t, 32> source_hash{};
  // Set when sealed (circuits/slice/fingerprint.hpp): the proof parameters' id and the
  // model fingerprint FP over everything else in the manifest.
  util::Bytes params_id, fingerprint;
  // A verify-only manifest (circuits::publish_manifest): its committed weights are
  // withheld (QTensor::withheld), these hold BLAKE2b-256 of their values and the
  // content hash of the full manifest it came from. Both empty in a full manifest.
  util::Bytes withheld_digest, published_from;
  bool verify_only() const { return !published_from.empty(); }
};

util::Bytes serialize_manifest(const Manifest& m);
Result<Manifest> parse_manifest(std::span<const uint8_t> bytes);
// The content address: BLAKE2b-256 of the serialized manifest (what bundles, miners'
// artifact caches and validators name a compiled model by), and its hex form.
hash::Digest manifest_hash(std::span<const uint8_t> bytes);
std::string manifest_id(std::span<const uint8_t> bytes);

}  // namespace zks::slicer
