#pragma once
// Fixed-point quantization (DESIGN.md section 3, section 8 rules 1, 5, 9) and the
// integer executor whose results are exactly what the proofs attest.
//
// A real x is the integer q = floor(double(x) * 2^f + 0.5) (saturated) with a per-tensor
// scale exponent f chosen by calibration. Linear ops accumulate exactly in int64;
// requantization is q_full = floor((acc + 2^(s-1)) / 2^s) by arithmetic shift, then a
// separate clamp q = clamp(q_full, lo, hi) whose saturations are counted. Nonlinear
// functions are integer tables over the (16-bit) input range, built by fixmath.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/graph.hpp"
#include "util/result.hpp"

namespace zks::model {

struct QuantConfig {
  int act_bits = 16;     // activations (and table inputs) are signed act_bits integers
  int weight_bits = 16;  // per-tensor weight precision
  int headroom_bits = 1; // calibrated max |x| uses at most 2^(act_bits - 1 - headroom)
  int exp_bits = 15;     // scale of exp() inside Softmax
  int max_scale = 40;    // weight scale exponents are clamped to [-max_scale, max_scale]
  int max_act_scale = 24;  // activation scales at most this (tiny tensors gain nothing)
  int max_acc_scale = 48;  // accumulator scale (input + weight) at most this
};

struct QTensor {
  std::string name;
  Shape shape;
  int scale = 0;
  bool is_const = false;
  std::vector<int64_t> data;  // constants only
  int64_t lo = 0, hi = 0;     // static range (range analysis)
  // A weight of a verify-only manifest: `data` is empty (the slice's weight commitment
  // binds it); the range analysis takes its largest |value| and, for a Conv,
  // ConvTranspose or Gemm weight, its largest output-channel L1 norm from here.
  bool withheld = false;
  int64_t abs_max = 0;
  double l1_max = 0;
};

struct QTable {
  std::string fn;
  double alpha = 0, beta = 0, gamma = 0;
  int in_scale = 0, out_scale = 0;
  int64_t in_lo = 0;             // entry i is f(in_lo + i)
  std::vector<int64_t> values;
  std::array<uint8_t, 32> hash{};  // BLAKE2b-256 of the canonical encoding
};

struct QNode {
  std::string op;
  std::string name;
  std::vector<int> inputs, outputs;
  std::map<std::string, Attr> attrs;
  int shift = 0;                  // requant shift s (acc scale - output scale); < 0: left shift
  std::vector<int> in_shift;      // per-input left shifts to the accumulator scale (Add, Sub, Concat)
  int table = -1;                 // QModel::tables index
  std::vector<int64_t> gather;    // layout ops: out[i] = src[gather[i]] (or `fill` when -1)
  int64_t fill = 0;
  std::vector<int64_t> mult;      // per-output multipliers (average pools, means)
  int64_t aux = 0;                // op-specific integer parameter
  double acc_bound = 0;           // range analysis: max |acc|
};

struct QModel {
  std::string name;
  int64_t opset = 0;
  QuantConfig cfg;
  std::vector<QTensor> tensors;
  std::vector<QNode> nodes;
  std::vector<int> inputs, outputs;
  std::vector<QTable> tables;

  int64_t act_lo() const { return -(int64_t(1) << (cfg.act_bits - 1)); }
  int64_t act_hi() const { return (int64_t(1) << (cfg.act_bits - 1)) - 1; }
};

// Calibration over sample inputs (each a list of graph inputs), then quantization,
// table generation and static range analysis. Errors name the node.
Result<QModel> quantize(const Graph& g, const std::vector<std::vector<Tensor>>& calibration,
                        const QuantConfig& cfg = {});

// What the integer executor, the range analysis and the slice prover take for granted
// of a model that did not come from quantize() (a manifest read from a file or the
// network): every node reads tensors computed before it and writes a new one, and each
// op's shapes, constants, maps, multipliers and shifts fit together as the executor
// uses them. Errors name the node and what is wrong.
Status check_structure(const QModel& m);

// The range analysis alone (quantize runs it): refuses a node whose accumulator could
// reach 2^62 (rule 5: |acc| + 2^(s-1) < 2^62 and 2^s * Q_max <= 2^62).
Status range_analysis(QModel& m);
// The largest L1 norm of one output channel's weights of a Conv, ConvTranspose or Gemm
// node's weight tensor `w` (its stored value when withheld): what the range analysis
// multiplies the input's bound by.
double weight_l1_max(const QNode& n, const QTensor& w);

// BLAKE2b-256 of a table's canonical encoding (function, parameters, scales, domain and
// values): QTable::hash, which a manifest carries and parsing checks.
std::array<uint8_t, 32> table_hash(const QTable& t);

// floor(double(x) * 2^f + 0.5), saturated to [lo, hi].
int64_t quantize_value(double x, int f, int64_t lo, int64_t hi, bool* saturated = nullptr);

struct IntRun {
  std::vector<std::vector<int64_t>> values;  // every tensor, by tensor id (constants empty)
  uint64_t saturations = 0;                  // clamps that changed a value
  std::vector<uint64_t> node_saturations;
};

// Runs nodes [first, last) of the model; `values` must already hold the inputs of
// that range (the graph inputs for a whole run). The reference semantics of the proofs.
Status run_int_range(const QModel& m, size_t first, size_t last, IntRun& run);
// ReduceSum/ReduceMean of an input of shape xs: for every input entry (dense), the
// dense index of the output entry it is summed into (empty when an axis is out of range).
std::vector<int64_t> reduce_index(const QNode& n, const Shape& xs);
// Quantizes the float inputs (saturations counted): a run with only the inputs set.
Result<IntRun> quantize_inputs(const QModel& m, const std::vector<Tensor>& inputs);
// Quantizes the float inputs and runs the whole model.
Result<IntRun> run_int(const QModel& m, const std::vector<Tensor>& inputs);
// Dequantized graph outputs of a run.
std::vector<Tensor> dequantize_outputs(const QModel& m, const IntRun& run);

}  // namespace zks::model
