#pragma once
// The float reference executor: every supported op in double precision. The importer
// also uses eval_node to fold constants and infer static shapes, and the quantizer
// uses it in "index mode" to turn a layout op into a gather map.

#include <string>
#include <vector>

#include "model/graph.hpp"
#include "util/result.hpp"

namespace zks::model {

struct EvalOptions {
  int64_t opset = 17;
  // Layout ops run on element indices: Pad writes -1 instead of its value.
  bool index_mode = false;
};

// True when eval_node implements `op`.
bool is_supported_op(const std::string& op);
// Ops that only move elements (gather maps in the integer executor).
bool is_layout_op(const std::string& op);

Status eval_node(const Node& n, const std::vector<const Tensor*>& in, std::vector<Tensor>& out,
                 const EvalOptions& opt);

namespace kern {
struct ConvParams;
struct PoolParams;
}  // namespace kern
// Shape parameters of Conv / ConvTranspose (1-D as 2-D) and pools, shared with the
// integer executor.
Status conv_setup(const Node& n, const Shape& xs, const Shape& ws, kern::ConvParams& p);
Status pool_setup(const Node& n, const Shape& xs, kern::PoolParams& p, Shape& ys);
void softmax_layout(const Node& n, const Shape& s, int64_t opset, int64_t& outer, int64_t& len, int64_t& inner);

// Runs the whole graph; returns every value (constants included), indexed by value id.
Result<std::vector<Tensor>> run_float_all(const Graph& g, const std::vector<Tensor>& inputs);
// Runs the graph and returns the graph outputs.
Result<std::vector<Tensor>> run_float(const Graph& g, const std::vector<Tensor>& inputs);

}  // namespace zks::model
