#pragma once
// A small ONNX model for tests (IR 8, opset 13): one float input "x" of `shape`, the
// nodes `add_nodes` writes into the graph, one output "y".
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace zks::test {

// A node `op` reading `inputs` and writing `output` (strings passed as std::string:
// GCC 12 warns falsely on protobuf's const char* setters).
inline onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::vector<std::string>& inputs,
                                 const std::string& output) {
  auto* n = g.add_node();
  n->set_op_type(op);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

inline onnx::ModelProto onnx_model(const std::vector<int64_t>& shape,
                                   const std::function<void(onnx::GraphProto&)>& add_nodes) {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  auto* os = mp.add_opset_import();
  os->set_domain(std::string());
  os->set_version(13);
  auto* g = mp.mutable_graph();
  g->set_name(std::string("graph"));
  auto* in = g->add_input();
  in->set_name(std::string("x"));
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
  add_nodes(*g);
  g->add_output()->set_name(std::string("y"));
  return mp;
}

}  // namespace zks::test
