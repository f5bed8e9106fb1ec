#pragma once
// The graph IR: what an ONNX model becomes after import. Values are tensors with a
// static shape (constants carry their data); nodes keep the ONNX op name and the
// attributes that matter, normalised by the importer. Nodes are in topological order.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zks::model {

using Shape = std::vector<int64_t>;
int64_t numel(const Shape& s);
std::string shape_str(const Shape& s);

struct Attr {
  enum class Kind { Int, Float, Ints, Floats, String };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string s;
};

// A float tensor (double storage: shape arithmetic and weights stay exact).
struct Tensor {
  Shape shape;
  std::vector<double> data;
};

struct Value {
  std::string name;
  Shape shape;
  bool is_const = false;
  std::vector<double> data;  // only for constants
};

struct Node {
  std::string op;
  std::string name;
  std::vector<int> inputs;  // value ids; -1 = optional input left out
  std::vector<int> outputs;
  std::map<std::string, Attr> attrs;

  bool has(const std::string& k) const { return attrs.count(k) != 0; }
  int64_t attr_i(const std::string& k, int64_t def) const;
  double attr_f(const std::string& k, double def) const;
  std::vector<int64_t> attr_ints(const std::string& k, std::vector<int64_t> def = {}) const;
  std::string attr_s(const std::string& k, std::string def = "") const;
};

struct Graph {
  std::string name;
  int64_t opset = 0;
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<int> inputs;   // non-constant graph inputs
  std::vector<int> outputs;

  int find(const std::string& name) const;  // -1 if absent
  int add_value(Value v);
  // Number of parameters (elements of constants used by nodes).
  int64_t param_count() const;
  // Drops constants and nodes that no longer feed an output; renumbers values.
  void prune();
};

// Op names used by nodes, sorted and unique.
std::vector<std::string> op_list(const Graph& g);

}  // namespace zks::model
