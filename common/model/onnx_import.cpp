#include "model/onnx_import.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_map>

#include <onnx/onnx_pb.h>
#include <onnx/version_converter/convert.h>

#include "model/float_exec.hpp"

namespace zks::model {

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 30;

double half_to_double(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
  return s ? -v : v;
}

// ONNX element types that hold integers (bool included).
bool integral_type(int64_t et) {
  switch (et) {
    case onnx::TensorProto::INT8: case onnx::TensorProto::INT16: case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT64: case onnx::TensorProto::UINT8: case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64: case onnx::TensorProto::BOOL:
      return true;
    default:
      return false;
  }
}

// Ops whose output has the element type of their first data input (input 1 for Where).
bool keeps_input_type(const std::string& op) {
  static const std::set<std::string> ops = {"Add", "Sub", "Mul", "Div", "Neg", "Abs", "Gather", "Concat", "Slice",
                                            "Squeeze", "Unsqueeze", "Reshape", "Expand", "Tile", "Identity",
                                            "Transpose", "Min", "Max", "Flatten", "ReduceSum", "ReduceProd",
                                            "ReduceMin", "ReduceMax", "Where", "Range", "Sum", "Pad",
                                            "Pow", "Clip", "Relu"};
  return ops.count(op) > 0;
}

Result<Tensor> tensor_from_proto(const onnx::TensorProto& t) {
  Tensor out;
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return make_error("tensor '" + t.name() + "' uses external data, which is not supported");
  int64_t n = 1;
  for (auto d : t.dims()) {
    if (d < 0 || d > kMaxElements) return make_error("tensor '" + t.name() + "' has a bad dimension");
    out.shape.push_back(d);
    n *= d;
    if (n > kMaxElements) return make_error("tensor '" + t.name() + "' is too large");
  }
  out.data.resize(static_cast<size_t>(n));
  const std::string& raw = t.raw_data();
  auto from_raw = [&](size_t esize, auto conv) -> Status {
    if (raw.size() != esize * static_cast<size_t>(n))
      return make_error("tensor '" + t.name() + "': raw_data has " + std::to_string(raw.size()) +
                        " bytes, expected " + std::to_string(esize * n));
    for (int64_t i = 0; i < n; ++i) out.data[i] = conv(raw.data() + i * esize);
    return {};
  };
  auto check = [&](int64_t have) -> Status {
    if (have != n)
      return make_error("tensor '" + t.name() + "' has " + std::to_string(have) + " values for shape " +
                        shape_str(out.shape));
    return {};
  };
  bool use_raw = t.has_raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (use_raw) {
        ZK_TRY(from_raw(4, [](const char* p) { float f; std::memcpy(&f, p, 4); return double(f); }));
      } else {
        ZK_TRY(check(t.float_data_size()));
        for (int64_t i = 0; i < n; ++i) out.data[i] = t.float_data(i);
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (use_raw) {
        ZK_TRY(from_raw(8, [](const char* p) { double f; std::memcpy(&f, p, 8); return f; }));
      } else {
        ZK_TRY(check(t.double_data_size()));
        for (int64_t i = 0; i < n; ++i) out.data[i] = t.double_data(i);
      }
      break;
    case onnx::TensorProto::INT64:
      if (use_raw) {
        ZK_TRY(from_raw(8, [](const char* p) { int64_t v; std::memcpy(&v, p, 8); return double(v); }));
      } else {
        ZK_TRY(check(t.int64_data_size()));
        for (int64_t i = 0; i < n; ++i) out.data[i] = static_cast<double>(t.int64_data(i));
      }
      break;
    case onnx::TensorProto::UINT64:
      if (use_raw) {
        ZK_TRY(from_raw(8, [](const char* p) { uint64_t v; std::memcpy(&v, p, 8); return double(v); }));
      } else {
        ZK_TRY(check(t.uint64_data_size()));
        for (int64_t i = 0; i < n; ++i) out.data[i] = static_cast<double>(t.uint64_data(i));
      }
      break;
    case onnx::TensorProto::INT32: case onnx::TensorProto::INT16: case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT16: case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL:
    case onnx::TensorProto::FLOAT16: case onnx::TensorProto::UINT32: {
      int dt = t.data_type();
      size_t es = dt == onnx::TensorProto::INT32 || dt == onnx::TensorProto::UINT32 ? 4
                  : dt == onnx::TensorProto::INT16 || dt == onnx::TensorProto::UINT16 || dt == onnx::TensorProto::FLOAT16 ? 2
                                                                                                                             : 1;
      auto conv = [dt](int64_t v) -> double {
        switch (dt) {
          case onnx::TensorProto::INT16: return double(int16_t(v));
          case onnx::TensorProto::INT8: return double(int8_t(v));
          case onnx::TensorProto::UINT16: return double(uint16_t(v));
          case onnx::TensorProto::UINT8: return double(uint8_t(v));
          case onnx::TensorProto::BOOL: return v ? 1.0 : 0.0;
          case onnx::TensorProto::FLOAT16: return half_to_double(uint16_t(v));
          case onnx::TensorProto::UINT32: return double(uint32_t(v));
          default: return double(int32_t(v));
        }
      };
      if (use_raw) {
        ZK_TRY(from_raw(es, [&](const char* p) {
          uint32_t v = 0;
          std::memcpy(&v, p, es);
          return conv(int64_t(v));
        }));
      } else if (dt == onnx::TensorProto::UINT32) {
        ZK_TRY(check(t.uint64_data_size()));
        for (int64_t i = 0; i < n; ++i) out.data[i] = double(t.uint64_data(i));
      } else {
        ZK_TRY(check(t.int32_data_size()));
        for (int64_t i = 0; i < n; ++i) out.data[i] = conv(t.int32_data(i));
      }
      break;
    }
    default:
      return make_error("tensor '" + t.name() + "' has unsupported data type " + std::to_string(t.data_type()));
  }
  return out;
}

Result<Attr> attr_from_proto(const onnx::AttributeProto& a) {
  Attr r;
  switch (a.type()) {
    case onnx::AttributeProto::INT: r.kind = Attr::Kind::Int; r.i = a.i(); r.f = double(a.i()); break;
    case onnx::AttributeProto::FLOAT: r.kind = Attr::Kind::Float; r.f = a.f(); r.i = int64_t(a.f()); break;
    case onnx::AttributeProto::STRING: r.kind = Attr::Kind::String; r.s = a.s(); break;
    case onnx::AttributeProto::INTS:
      r.kind = Attr::Kind::Ints;
      r.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      r.kind = Attr::Kind::Floats;
      for (float f : a.floats()) r.floats.push_back(f);
      break;
    case onnx::AttributeProto::TENSOR: {
      auto t = tensor_from_proto(a.t());
      if (!t.ok()) return Error{t.error()};
      r.kind = Attr::Kind::Floats;
      r.floats = t->data;
      r.ints.assign(t->shape.begin(), t->shape.end());
      r.f = r.floats.empty() ? 0.0 : r.floats[0];
      break;
    }
    default:
      return make_error("attribute '" + a.name() + "' has an unsupported type");
  }
  return r;
}

// Inputs that must be constant for the op to have a static meaning.
bool needs_const_input(const std::string& op, size_t i) {
  if (i == 0) return false;
  if (op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Expand" || op == "Upsample" ||
      op == "Slice" || op == "Pad" || op == "Resize" || op == "ReduceSum" || op == "ReduceMean" ||
      op == "Clip" || op == "Conv" || op == "ConvTranspose" || op == "BatchNormalization" ||
      op == "PRelu" || op == "LayerNormalization" || op == "Pow" || op == "Gather")
    return true;
  if (op == "Gemm") return true;
  return false;
}

std::string node_label(const onnx::NodeProto& n, size_t idx) {
  if (!n.name().empty()) return n.name();
  std::string label = "#";
  return label += std::to_string(idx);
}

int64_t default_opset(const onnx::ModelProto& mp) {
  int64_t v = 0;
  for (const auto& os : mp.opset_import())
    if (os.domain().empty() || os.domain() == "ai.onnx") v = os.version();
  return v;
}

// A model older than kMinOpset goes through ONNX's own version converter (the op
// adapters ONNX maintains), so we never reinterpret old semantics by hand.
Status upgrade_opset(onnx::ModelProto& mp) {
  int64_t v = default_opset(mp);
  if (v == 0 || v >= kMinOpset) return {};
  try {
    mp = onnx::version_conversion::ConvertVersion(mp, static_cast<int>(kMinOpset));
  } catch (const std::exception& e) {
    return make_error("opset " + std::to_string(v) + " is not supported (supported: " + std::to_string(kMinOpset) +
                      "-" + std::to_string(kMaxOpset) + ") and ONNX's version converter cannot upgrade it: " +
                      e.what());
  }
  return {};
}

}  // namespace

Result<Graph> import_onnx(std::span<const uint8_t> bytes, const ImportOptions& opt) {
  onnx::ModelProto mp;
  if (bytes.empty()) return make_error("not an ONNX model: the file is empty");
  if (bytes.size() > (size_t(1) << 31) || !mp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return make_error("not an ONNX model: protobuf parsing failed (truncated or corrupt file?)");
  if (!mp.has_graph() || mp.graph().node_size() == 0)
    return make_error("not an ONNX model: no graph or an empty graph");
  ZK_TRY(upgrade_opset(mp));
  Graph g;
  const auto& gp = mp.graph();
  g.name = gp.name();
  for (const auto& os : mp.opset_import())
    if (os.domain().empty() || os.domain() == "ai.onnx") g.opset = os.version();
  if (g.opset == 0) return make_error("the model imports no default-domain opset");
  if (g.opset < kMinOpset || g.opset > kMaxOpset)
    return make_error("opset " + std::to_string(g.opset) + " is not supported (supported: " +
                      std::to_string(kMinOpset) + "-" + std::to_string(kMaxOpset) + ")");

  std::unordered_map<std::string, int> ids;
  std::vector<Tensor> vals;  // working data: constants and dummy activations
  // By value id: holds integers (shape arithmetic), where Div truncates (ONNX's integer
  // semantics) instead of dividing as reals.
  std::vector<char> integral;
  auto define = [&](Value v, Tensor t, bool is_integral = false) -> int {
    int id = g.add_value(std::move(v));
    ids[g.values[id].name] = id;
    vals.push_back(std::move(t));
    integral.resize(g.values.size(), 0);
    integral[size_t(id)] = is_integral;
    return id;
  };
  for (const auto& init : gp.initializer()) {
    auto t = tensor_from_proto(init);
    if (!t.ok()) return Error{t.error()};
    Value v{init.name(), t->shape, true, t->data};
    define(std::move(v), std::move(*t), integral_type(init.data_type()));
  }
  bool dynamic_inputs = false;  // some input dimension was set by an override
  for (const auto& in : gp.input()) {
    if (ids.count(in.name())) continue;  // an initializer listed as input
    const auto& tt = in.type().tensor_type();
    if (!in.type().has_tensor_type() || !tt.has_shape())
      return make_error("input '" + in.name() + "' has no tensor shape");
    int et = tt.elem_type();
    if (et != onnx::TensorProto::FLOAT && et != onnx::TensorProto::DOUBLE && et != onnx::TensorProto::FLOAT16)
      return make_error("input '" + in.name() + "' has element type " + std::to_string(et) +
                        "; only float inputs are supported");
    Shape s;
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const auto& dim = tt.shape().dim(d);
      int64_t v = dim.has_dim_value() ? dim.dim_value() : -1;
      auto given = opt.input_shapes.find(in.name());
      if (given != opt.input_shapes.end() && given->second.size() == size_t(tt.shape().dim_size())) {
        if (v > 0 && given->second[d] != v)
          return make_error("input '" + in.name() + "': the given shape " + shape_str(given->second) +
                            " does not match the model's");
        v = given->second[d];
      }
      if (v <= 0) {
        dynamic_inputs = true;
        auto it = opt.dims.find(dim.dim_param());
        if (!dim.dim_param().empty() && it != opt.dims.end()) v = it->second;
        else if (d == 0) v = opt.batch;
        else
          return make_error("input '" + in.name() + "' dimension " + std::to_string(d) + " ('" + dim.dim_param() +
                            "') is dynamic: give it a value with a dimension override");
      }
      if (v <= 0 || v > kMaxElements) return make_error("input '" + in.name() + "' has a bad dimension");
      s.push_back(v);
    }
    if (numel(s) > kMaxElements) return make_error("input '" + in.name() + "' is too large");
    int id = define(Value{in.name(), s, false, {}}, Tensor{s, std::vector<double>(size_t(numel(s)), 0.0)});
    g.inputs.push_back(id);
  }
  if (g.inputs.empty()) return make_error("the model has no non-constant input");

  // Topological order (ONNX requires it, but be tolerant).
  std::vector<int> order;
  {
    std::set<std::string> known;
    for (auto& [k, v] : ids) known.insert(k);
    std::vector<char> done(gp.node_size(), 0);
    bool progress = true;
    while (progress && order.size() < size_t(gp.node_size())) {
      progress = false;
      for (int k = 0; k < gp.node_size(); ++k) {
        if (done[k]) continue;
        bool ready = true;
        for (const auto& i : gp.node(k).input()) ready &= i.empty() || known.count(i);
        if (!ready) continue;
        done[k] = 1;
        progress = true;
        order.push_back(k);
        for (const auto& o : gp.node(k).output()) known.insert(o);
      }
    }
    for (int k = 0; k < gp.node_size(); ++k)
      if (!done[k]) {
        for (const auto& i : gp.node(k).input())
          if (!i.empty() && !known.count(i))
            return make_error("node '" + node_label(gp.node(k), k) + "' (" + gp.node(k).op_type() +
                              ") uses undefined tensor '" + i + "' (or the graph has a cycle)");
      }
  }

  EvalOptions eo;
  eo.opset = g.opset;
  for (int k : order) {
    const auto& np = gp.node(k);
    std::string label = node_label(np, k);
    if (!np.domain().empty() && np.domain() != "ai.onnx")
      return make_error("unsupported op '" + np.domain() + "::" + np.op_type() + "' (node '" + label + "', opset " +
                        std::to_string(g.opset) + ")");
    Node n;
    n.op = np.op_type();
    n.name = label;
    for (const auto& a : np.attribute()) {
      auto at = attr_from_proto(a);
      if (!at.ok()) return make_error(n.op + " node '" + label + "': " + at.error());
      n.attrs[a.name()] = std::move(*at);
    }
    if (n.op == "Constant") {
      Tensor t;
      bool is_integral = false;
      if (np.attribute_size() != 1) return make_error("Constant node '" + label + "' needs one attribute");
      const auto& a = np.attribute(0);
      if (a.type() == onnx::AttributeProto::TENSOR) {
        auto r = tensor_from_proto(a.t());
        if (!r.ok()) return Error{r.error()};
        t = std::move(*r);
        is_integral = integral_type(a.t().data_type());
      } else if (a.name() == "value_float" || a.name() == "value_int") {
        t = Tensor{{}, {n.attrs[a.name()].f}};
        is_integral = a.name() == "value_int";
      } else if (a.name() == "value_floats") {
        t = Tensor{{int64_t(a.floats_size())}, n.attrs[a.name()].floats};
      } else if (a.name() == "value_ints") {
        t.shape = {int64_t(a.ints_size())};
        for (auto v : a.ints()) t.data.push_back(double(v));
        is_integral = true;
      } else {
        return make_error("Constant node '" + label + "': attribute '" + a.name() + "' is not supported");
      }
      if (np.output_size() != 1) return make_error("Constant node '" + label + "' needs one output");
      if (ids.count(np.output(0))) return make_error("tensor '" + np.output(0) + "' is defined twice");
      define(Value{np.output(0), t.shape, true, t.data}, t, is_integral);
      continue;
    }
    if (!is_supported_op(n.op))
      return make_error("unsupported op '" + n.op + "' (node '" + label + "', opset " + std::to_string(g.opset) + ")");
    bool all_const = true;
    for (int i = 0; i < np.input_size(); ++i) {
      const std::string& in = np.input(i);
      if (in.empty()) {
        n.inputs.push_back(-1);
        continue;
      }
      int id = ids.at(in);
      n.inputs.push_back(id);
      if (!g.values[id].is_const) {
        all_const = false;
        if (needs_const_input(n.op, static_cast<size_t>(i)) && !(n.op == "Gather" && i == 1 && false))
          return make_error(n.op + " node '" + label + "': input " + std::to_string(i) + " ('" + in +
                            "') must be constant (dynamic shapes and non-constant weights are not supported)");
      }
    }
    if (n.op == "Gather" && !g.values[n.inputs[0]].is_const && n.inputs.size() > 1 &&
        !g.values[n.inputs[1]].is_const)
      return make_error("Gather node '" + label + "': indices must be constant");
    if (n.op == "Shape") all_const = true;  // depends only on the static shape
    std::vector<const Tensor*> in;
    for (int id : n.inputs) in.push_back(id >= 0 ? &vals[id] : nullptr);
    for (int i = 0; i < np.output_size(); ++i) n.outputs.push_back(-1);
    std::vector<Tensor> out;
    auto st = eval_node(n, in, out, eo);
    if (!st.ok()) return Error{st.error() + " (opset " + std::to_string(g.opset) + ")"};
    bool out_integral = n.op == "Shape" || n.op == "Size";
    if (n.op == "Cast") out_integral = integral_type(n.attr_i("to", 1));
    if (n.op == "ConstantOfShape") out_integral = np.attribute_size() == 1 && integral_type(np.attribute(0).t().data_type());
    if (keeps_input_type(n.op)) {
      const size_t data = n.op == "Where" ? 1 : 0;
      out_integral = data < n.inputs.size() && n.inputs[data] >= 0 && integral[size_t(n.inputs[data])];
    }
    if (out_integral && n.op == "Div")  // integer division truncates toward zero (as onnxruntime)
      for (auto& v : out[0].data) v = std::trunc(v);
    for (int i = 0; i < np.output_size(); ++i) {
      if (np.output(i).empty()) continue;
      if (ids.count(np.output(i))) return make_error("tensor '" + np.output(i) + "' is defined twice");
      Value v{np.output(i), out[i].shape, all_const, all_const ? out[i].data : std::vector<double>{}};
      n.outputs[i] = define(std::move(v), std::move(out[i]), out_integral);
    }
    if (!all_const) g.nodes.push_back(std::move(n));
  }
  for (const auto& o : gp.output()) {
    auto it = ids.find(o.name());
    if (it == ids.end()) return make_error("graph output '" + o.name() + "' is never produced");
    if (g.values[it->second].is_const) return make_error("graph output '" + o.name() + "' is a constant");
    // A static shape the model declares must be the one the import computed: a
    // difference means an op was read with other semantics than the exporter's. (Not
    // where an input dimension was dynamic: an exporter may leave the traced size on an
    // output.)
    if (!dynamic_inputs && o.type().has_tensor_type() && o.type().tensor_type().has_shape()) {
      const auto& ds = o.type().tensor_type().shape();
      const Shape& got = g.values[it->second].shape;
      bool differs = ds.dim_size() != int(got.size());
      for (int d = 0; !differs && d < ds.dim_size(); ++d)
        differs = ds.dim(d).has_dim_value() && ds.dim(d).dim_value() > 0 && ds.dim(d).dim_value() != got[size_t(d)];
      if (differs) {
        Shape declared;
        for (int d = 0; d < ds.dim_size(); ++d) declared.push_back(ds.dim(d).has_dim_value() ? ds.dim(d).dim_value() : -1);
        return make_error("graph output '" + o.name() + "': the model declares shape " + shape_str(declared) +
                          " but the import computes " + shape_str(got) +
                          " (an op of the graph is not read as its exporter meant; please report the model)");
      }
    }
    g.outputs.push_back(it->second);
  }
  if (g.outputs.empty()) return make_error("the model has no outputs");
  // Constants no longer need their data in the working copy.
  if (opt.expand_layer_norm) expand_layer_norms(g);
  if (opt.fold_linear) fold_linear_ops(g);
  g.prune();
  return g;
}

Result<Tensor> parse_tensor_proto(std::span<const uint8_t> bytes) {
  onnx::TensorProto tp;
  if (bytes.size() > (size_t(1) << 31) || !tp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return make_error("not an ONNX tensor: protobuf parsing failed");
  return tensor_from_proto(tp);
}

Result<Graph> import_onnx_file(const std::string& path, const ImportOptions& opt) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error("cannot open '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto g = import_onnx(bytes, opt);
  if (!g.ok()) return make_error(path + ": " + g.error());
  return g;
}

}  // namespace zks::model
