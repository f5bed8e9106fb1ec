#pragma once
// ONNX import: onnx::ModelProto (Debian's libonnx) into the graph IR, with static
// shapes, constant folding (shape subgraphs, Constant nodes) and the linear folds of
// DESIGN.md section 3 (BatchNormalization and constant Mul/Add into Conv/Gemm). Models
// older than kMinOpset are first upgraded by ONNX's own version converter.
// Untrusted input: every problem is an error naming the node, never a crash.

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "model/graph.hpp"
#include "util/result.hpp"

namespace zks::model {

struct ImportOptions {
  // Symbolic dimensions by name (dim_param); the first dimension of an input, when
  // symbolic and not named here, is the batch and takes `batch`.
  std::map<std::string, int64_t> dims;
  int64_t batch = 1;
  // Whole input shapes by input name (e.g. from an input.json); static dims must agree.
  std::map<std::string, Shape> input_shapes;
  bool fold_linear = true;  // BatchNorm / constant Mul/Add into Conv/Gemm
  bool expand_layer_norm = true;  // LayerNormalization into its defining ops
};

inline constexpr int64_t kMinOpset = 9;
inline constexpr int64_t kMaxOpset = 17;

Result<Graph> import_onnx(std::span<const uint8_t> bytes, const ImportOptions& opt = {});
Result<Graph> import_onnx_file(const std::string& path, const ImportOptions& opt = {});

// One serialized onnx::TensorProto (e.g. the input_0.pb / output_0.pb files of ONNX's
// own operator tests) as a float tensor; every numeric element type is converted.
Result<Tensor> parse_tensor_proto(std::span<const uint8_t> bytes);

// The folding passes, exposed for tests (import runs them).
void fold_linear_ops(Graph& g);
// Rewrites LayerNormalization (when its Mean/InvStdDev outputs are unused) into the ops
// it is defined by: ReduceMean, Sub, Mul, ReduceMean, Add epsilon, Sqrt, Div, Mul scale,
// Add bias, each of which quantizes and proves on its own.
void expand_layer_norms(Graph& g);

}  // namespace zks::model
