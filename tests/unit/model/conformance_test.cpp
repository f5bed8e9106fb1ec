// ONNX's own per-operator tests (Debian's libonnx-testdata: data/node/<case>/model.onnx
// plus test_data_set_*/input_*.pb, output_*.pb) run through our importer and float
// executor. Only one-node cases of an op we support are taken (the `_expanded` variants
// test other ops). A case our importer refuses (an attribute, a dtype or a dynamic shape
// we do not support) is counted and listed, not failed; a case it accepts must match.
//
// ONNX feeds weights, shapes and indices as graph inputs; our importer wants them
// constant, so a refused case is retried once with every input after the first bound as
// an initializer (the form real models have). Tolerance is ONNX's backend-test default:
// |got - expected| <= 1e-7 + 1e-3 |expected| (we compute in double, ONNX in float32).
//
// Every case the float executor passes is then quantized and run by the integer executor,
// within the per-op budget stated at check_quantized below (and in docs/models.md).
//
// The per-op counts are docs/models.md's last section: ZKS_WRITE_DOCS=1 rewrites it.
#include <catch2/catch.hpp>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "corpus_util.hpp"
#include "model/float_exec.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"

using namespace zks;
using namespace zks::model;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct OpCounts {
  int cases = 0, pass = 0, pass_baked = 0, refused = 0, failed = 0;
  std::vector<std::string> refused_cases;
  int q_pass = 0, q_refused = 0, q_failed = 0;
  double q_worst = 0;  // worst |got - expected| in output steps 2^-f_out over passing cases
};

struct DataSet {
  std::vector<Tensor> inputs, outputs;
};

std::vector<DataSet> load_data_sets(const fs::path& dir) {
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  std::vector<DataSet> out;
  for (const auto& s : sets) {
    DataSet d;
    for (const char* kind : {"input", "output"}) {
      for (int k = 0;; ++k) {
        fs::path p = s / (std::string(kind) + "_" + std::to_string(k) + ".pb");
        if (!fs::exists(p)) break;
        auto b = read_bytes(p);
        auto t = parse_tensor_proto(b);
        // An unreadable tensor (a string dtype, say) makes the case unsupported.
        if (!t.ok()) return {};
        (std::string(kind) == "input" ? d.inputs : d.outputs).push_back(std::move(*t));
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

// The graph inputs that are not initializers, in order (input_k.pb is the k-th).
std::vector<std::string> runtime_inputs(const onnx::ModelProto& mp) {
  std::set<std::string> inits;
  for (const auto& i : mp.graph().initializer()) inits.insert(i.name());
  std::vector<std::string> out;
  for (const auto& i : mp.graph().input())
    if (!inits.count(i.name())) out.push_back(i.name());
  return out;
}

// Binds inputs 1.. of the first data set as initializers (weights, shapes, indices).
std::vector<uint8_t> bake_inputs(onnx::ModelProto mp, const fs::path& set0) {
  auto names = runtime_inputs(mp);
  for (size_t k = 1; k < names.size(); ++k) {
    auto b = read_bytes(set0 / ("input_" + std::to_string(k) + ".pb"));
    auto* t = mp.mutable_graph()->add_initializer();
    t->ParseFromArray(b.data(), static_cast<int>(b.size()));
    t->set_name(names[k]);
  }
  std::string s;
  mp.SerializeToString(&s);
  return {s.begin(), s.end()};
}

// Worst |got - expected| over the tolerance; > 1 is a failure. Both NaN counts as equal.
double worst_ratio(const Tensor& got, const Tensor& exp) {
  double worst = 0;
  for (size_t i = 0; i < exp.data.size(); ++i) {
    double a = got.data[i], b = exp.data[i];
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) return INFINITY;
      continue;
    }
    if (std::isinf(a) || std::isinf(b)) {
      if (a != b) return INFINITY;
      continue;
    }
    worst = std::max(worst, std::fabs(a - b) / (1e-7 + 1e-3 * std::fabs(b)));
  }
  return worst;
}

// ---- the quantized path ----
//
// For a case the float executor passes, the one-node graph is quantized with the case's own
// inputs (every data set) as the calibration sample, run by the integer executor and
// dequantized. The error splits in two:
//   representation: inputs rounded to their grid (x~ = round(x 2^f_x) 2^-f_x) and constants
//     rounded as the quantizer rounds them (W~, at the scale it recorded). This is a property
//     of the data and the 16-bit format, not of the executor; the float executor run on
//     (x~, W~) measures it exactly: y^ = float(x~, W~).
//   arithmetic: the integer executor on (x~, W~) is exact up to its own roundings, which we
//     bound per op family in output steps e = 2^-f_out:
//       exact ops (layout except Pad/Concat, Relu, Abs, Neg, Max pools)      0
//       one requant or table rounding (linear ops, Div, LeakyRelu/PRelu,
//         Clip/Pad/Concat, whose bounds, fill or rescale round to the grid,
//         every table op: round(f(x~) 2^f_out), tables are integer-exact)     e/2
//       average pools / means: + |y^| 2^-17 (multiplier round(2^k/c), 2^(k-16) >= c)
//       Softmax: + 2^-(b+1) (1 + len |y^|) (exp table at scale b = exp_bits,
//         the max entry is exactly 1 so the sum S >= 1; len entries each off by 2^-(b+1))
//       LayerNormalization: + max|gamma~| 2^-(fz+1) (normalised z rounded at 2^-fz)
// So a case passes when |got - y^| <= budget for every element of every output of every
// data set (plus 1e-9 e + 1e-12 |y^| for double rounding in y^), which with the float check
// gives |got - expected| <= budget + |y^ - y| + 1e-7 + 1e-3 |expected|.
// Refused (counted with the reason, never failed): non-float dtypes, non-finite data (no
// fixed-point form), or the quantizer / range analysis refusing the graph.
struct QOutcome {
  enum class Kind { Pass, Refused, Failed } kind = Kind::Pass;
  std::string why;
  double worst_steps = 0;  // max |got - expected| / e
};

bool is_float_elem(int32_t t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE || t == onnx::TensorProto::FLOAT16 ||
         t == onnx::TensorProto::BFLOAT16;
}

bool all_finite(const Tensor& t) {
  return std::all_of(t.data.begin(), t.data.end(), [](double v) { return std::isfinite(v); });
}

// The graph with every constant rounded the way the quantizer rounds it (W~).
Graph rounded_constants(const Graph& g, const QModel& qm) {
  Graph r = g;
  auto scale_of = [&](const std::string& name) -> std::optional<int> {
    for (const auto& t : qm.tensors)
      if (t.is_const && t.name == name) return t.scale;
    return std::nullopt;
  };
  const int64_t big = std::numeric_limits<int64_t>::max() / 4;
  auto round_at = [&](double w, int f, double factor) {
    return std::ldexp(static_cast<double>(quantize_value(factor * w, f, -big, big)), -f) / factor;
  };
  for (Node& n : r.nodes) {
    if (n.op == "LeakyRelu") {
      Attr a;
      a.kind = Attr::Kind::Float;
      a.f = round_at(n.attr_f("alpha", 0.01), 16, 1.0);
      n.attrs["alpha"] = a;
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      int v = n.inputs[i];
      if (v < 0 || !r.values[v].is_const) continue;
      std::optional<int> f;
      double factor = 1;
      if ((f = scale_of(r.values[v].name + "@" + n.name))) {
        // Gemm folds alpha into B and beta into C before quantizing.
        if (n.op == "Gemm" && i == 1) factor = n.attr_f("alpha", 1.0);
        if (n.op == "Gemm" && i == 2) factor = n.attr_f("beta", 1.0);
      } else if (n.op == "LayerNormalization" && i == 1) {
        f = scale_of(n.name + ".gamma");
      } else if (n.op == "LayerNormalization" && i == 2) {
        f = scale_of(n.name + ".beta");
      } else if (n.op == "PRelu" && i == 1) {
        f = 16;
      }
      if (!f || factor == 0) continue;
      for (double& w : r.values[v].data) w = round_at(w, *f, factor);
    }
  }
  return r;
}

// Arithmetic budget: |got - y^| <= abs + rel |y^|. Each node adds its own rounding (steps
// of its output grid plus its extra terms); BatchNormalization imports as Mul then Add, and
// a rounding before an Add passes through with gain 1, so the node budgets simply add up.
struct Budget {
  double abs = 0, rel = 0;
  bool covered = true;  // false: a multi-node graph whose gains the rule does not cover
};

Budget exec_budget(const Graph& gt, const QModel& qm) {
  static const std::set<std::string> exact = {"Relu", "Abs", "Neg", "MaxPool", "GlobalMaxPool"};
  Budget b;
  for (size_t k = 0; k < gt.nodes.size(); ++k) {
    const Node& n = gt.nodes[k];
    const std::string& op = n.op;
    if (k > 0 && op != "Add" && op != "Sub" && !is_layout_op(op)) b.covered = false;
    double e = std::ldexp(1.0, -qm.tensors[qm.nodes[k].outputs[0]].scale);
    double steps = 0.5;
    if (exact.count(op) || (is_layout_op(op) && op != "Pad" && op != "Concat")) {
      steps = 0;
    } else if (op == "AveragePool" || op == "GlobalAveragePool" || op == "ReduceMean") {
      b.rel += std::ldexp(1.0, -17);
    } else if (op == "Softmax") {
      int64_t outer, len, inner;
      softmax_layout(n, gt.values[n.inputs[0]].shape, gt.opset, outer, len, inner);
      double t = std::ldexp(1.0, -(qm.cfg.exp_bits + 1));
      b.abs += t;
      b.rel += static_cast<double>(len) * t;
    } else if (op == "LayerNormalization") {
      double gmax = 0;
      for (double v : gt.values[n.inputs[1]].data) gmax = std::max(gmax, std::fabs(v));
      b.abs += gmax * std::ldexp(1.0, -(static_cast<int>(qm.nodes[k].aux) + 1));
    }
    b.abs += steps * e;
  }
  return b;
}

QOutcome check_quantized(const Graph& g, const onnx::ModelProto& mp, const std::vector<std::vector<Tensor>>& ins,
                         const std::vector<DataSet>& sets) {
  using K = QOutcome::Kind;
  std::set<std::string> runtime;
  for (int id : g.inputs) runtime.insert(g.values[id].name);
  for (const auto& vi : mp.graph().input())
    if (runtime.count(vi.name()) && !is_float_elem(vi.type().tensor_type().elem_type()))
      return {K::Refused, "non-float input '" + vi.name() + "'"};
  for (const auto& vi : mp.graph().output())
    if (!is_float_elem(vi.type().tensor_type().elem_type())) return {K::Refused, "non-float output '" + vi.name() + "'"};
  for (size_t s = 0; s < sets.size(); ++s) {
    for (const auto& t : ins[s])
      if (!all_finite(t)) return {K::Refused, "a non-finite input has no fixed-point form"};
    for (const auto& t : sets[s].outputs)
      if (!all_finite(t)) return {K::Refused, "a non-finite expected output has no fixed-point form"};
  }
  // Optional extra outputs (LayerNormalization's Mean and InvStdDev) are checked by the float
  // path; inference models use only the first, which is all the quantizer supports.
  Graph g1 = g;
  if (g1.nodes.size() == 1 && g1.outputs.size() > 1) {
    g1.outputs = {g1.outputs.front()};
    for (size_t k = 1; k < g1.nodes[0].outputs.size(); ++k) g1.nodes[0].outputs[k] = -1;
  }
  auto qm = quantize(g1, ins);
  if (!qm.ok()) return {K::Refused, "quantizer: " + qm.error()};
  // What a manifest reader checks of a model must hold of every model the quantizer makes.
  if (auto st = check_structure(*qm); !st.ok()) return {K::Failed, "check_structure refuses it: " + st.error()};
  Graph gt = rounded_constants(g1, *qm);
  Budget b = exec_budget(gt, *qm);
  if (!b.covered) return {K::Failed, "the graph has " + std::to_string(gt.nodes.size()) + " nodes; extend exec_budget"};
  QOutcome res;
  for (size_t s = 0; s < sets.size(); ++s) {
    std::string at = "data set " + std::to_string(s) + ": ";
    auto run = run_int(*qm, ins[s]);
    if (!run.ok()) return {K::Failed, at + "integer run failed: " + run.error()};
    auto got = dequantize_outputs(*qm, *run);
    std::vector<Tensor> xt = ins[s];
    for (size_t i = 0; i < xt.size(); ++i) {
      int f = qm->tensors[qm->inputs[i]].scale;
      for (double& v : xt[i].data) v = std::ldexp(static_cast<double>(quantize_value(v, f, qm->act_lo(), qm->act_hi())), -f);
    }
    auto yhat = run_float(gt, xt);
    if (!yhat.ok()) return {K::Failed, at + "float run on the quantized inputs failed: " + yhat.error()};
    for (size_t k = 0; k < got.size(); ++k) {
      double e = std::ldexp(1.0, -qm->tensors[qm->outputs[k]].scale);
      const auto &y = got[k].data, &yh = (*yhat)[k].data, &ex = sets[s].outputs[k].data;
      for (size_t i = 0; i < y.size(); ++i) {
        double budget = b.abs + b.rel * std::fabs(yh[i]) + 1e-9 * e + 1e-12 * std::fabs(yh[i]);
        double d = std::fabs(y[i] - yh[i]);
        if (!(d <= budget)) {
          std::ostringstream o;
          o << at << "output " << k << "[" << i << "] = " << y[i] << ", float on quantized inputs " << yh[i]
            << ", expected " << ex[i] << ": off by " << d / e << " steps of 2^" << -qm->tensors[qm->outputs[k]].scale
            << ", budget " << budget / e;
          return {K::Failed, o.str()};
        }
        res.worst_steps = std::max(res.worst_steps, std::fabs(y[i] - ex[i]) / e);
      }
    }
  }
  return res;
}

struct Conformance {
  std::map<std::string, OpCounts> ops;
  std::vector<std::string> failures;
  std::vector<std::string> refusals;    // printed with ZKS_VERBOSE=1
  std::vector<std::string> q_refusals;  // the quantizer's, likewise
};

Conformance run_conformance(const fs::path& root) {
  Conformance c;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    std::string name = dir.filename().string();
    auto bytes = read_bytes(dir / "model.onnx");
    onnx::ModelProto mp;
    if (!mp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || mp.graph().node_size() != 1) continue;
    const auto& node = mp.graph().node(0);
    if (!node.domain().empty() && node.domain() != "ai.onnx") continue;
    const std::string op = node.op_type();
    if (!is_supported_op(op)) continue;
    OpCounts& oc = c.ops[op];
    ++oc.cases;
    std::string label = name.rfind("test_", 0) == 0 ? name.substr(5) : name;
    auto sets = load_data_sets(dir);
    auto refuse = [&](const std::string& why) {
      ++oc.refused;
      oc.refused_cases.push_back(label);
      c.refusals.push_back(name + ": " + why);
    };
    if (sets.empty() || sets[0].inputs.empty()) {
      refuse("unreadable test data (unsupported dtype)");
      continue;
    }
    auto names = runtime_inputs(mp);
    if (names.size() != sets[0].inputs.size()) {
      refuse("input count mismatch");
      continue;
    }
    ImportOptions io;
    for (size_t k = 0; k < names.size(); ++k) io.input_shapes[names[k]] = sets[0].inputs[k].shape;
    auto g = import_onnx(bytes, io);
    bool baked = false;
    if (!g.ok() && names.size() > 1) {
      auto g2 = import_onnx(bake_inputs(mp, dir / "test_data_set_0"), io);
      baked = true;
      g = std::move(g2);  // report why the realistic form is refused
    }
    if (!g.ok()) {
      refuse(g.error());
      continue;
    }
    bool good = true;
    std::vector<std::vector<Tensor>> ins;
    for (size_t s = 0; s < sets.size() && good; ++s) {
      std::vector<Tensor> in;
      for (int id : g->inputs)
        for (size_t k = 0; k < names.size(); ++k)
          if (names[k] == g->values[id].name) in.push_back(sets[s].inputs[k]);
      ins.push_back(in);
      auto out = run_float(*g, in);
      std::string why;
      if (!out.ok()) why = "run failed: " + out.error();
      else if (out->size() != sets[s].outputs.size()) why = "output count differs";
      for (size_t k = 0; why.empty() && k < out->size(); ++k) {
        const Tensor& got = (*out)[k];
        const Tensor& exp = sets[s].outputs[k];
        if (got.shape != exp.shape) why = "output " + std::to_string(k) + " has shape " + shape_str(got.shape) +
                                          ", expected " + shape_str(exp.shape);
        else if (double r = worst_ratio(got, exp); r > 1)
          why = "output " + std::to_string(k) + " differs (worst error " + std::to_string(r) + "x the tolerance)";
      }
      if (!why.empty()) {
        c.failures.push_back(name + " (data set " + std::to_string(s) + "): " + why);
        good = false;
      }
    }
    if (!good) {
      ++oc.failed;
      continue;
    }
    if (baked) ++oc.pass_baked;
    else ++oc.pass;
    QOutcome q = check_quantized(*g, mp, ins, sets);
    if (q.kind == QOutcome::Kind::Pass) {
      ++oc.q_pass;
      oc.q_worst = std::max(oc.q_worst, q.worst_steps);
    } else if (q.kind == QOutcome::Kind::Refused) {
      ++oc.q_refused;
      c.q_refusals.push_back(name + ": " + q.why);
    } else {
      ++oc.q_failed;
      c.failures.push_back(name + " (quantized): " + q.why);
    }
  }
  return c;
}

std::string conformance_md(const Conformance& c) {
  std::ostringstream o;
  int cases = 0, pass = 0, refused = 0, q_pass = 0, q_refused = 0;
  for (const auto& [op, k] : c.ops) {
    cases += k.cases;
    pass += k.pass + k.pass_baked;
    refused += k.refused;
    q_pass += k.q_pass;
    q_refused += k.q_refused;
  }
  o << test::kConformanceHeading << "\n\n"
    << "ONNX's own per-operator tests (Debian `libonnx-testdata` 1.12, `/usr/share/libonnx-testdata/data/node/`)\n"
       "through our importer and float executor, generated by `ZKS_WRITE_DOCS=1 test_model \"[conformance]\"`\n"
       "(tests/unit/model/conformance_test.cpp). Every one-node case of a supported op is run; a case the importer\n"
       "accepts must match every data set within ONNX's backend-test tolerance (|d| <= 1e-7 + 1e-3 |expected|),\n"
       "so the failed column is always 0. \"as constants\": passes once the inputs after the first (weights,\n"
       "shapes, indices, which ONNX's tests feed as graph inputs) are bound as initializers, as in real models.\n"
       "Refused: the importer rejects the case with a message (an attribute, dtype, extra output or non-constant\n"
       "operand we do not support). Cases older than opset 9 (Elu, Selu, HardSigmoid, the global pools) pass\n"
       "through ONNX's own version converter first, as every old model does on import. Total: "
    << cases << " cases, " << pass << " pass, " << refused << " refused.\n\n"
    << "**Quantized executor.** Every case the float executor passes is also quantized (`model::quantize`,\n"
       "16-bit activations and weights, the case's own inputs as the calibration sample), run by the integer\n"
       "executor (`model::run_int`) and dequantized. The error has two parts. *Representation*: the inputs\n"
       "rounded to their grid, x~ = round(x 2^f_x) 2^-f_x, and the constants rounded as the quantizer rounds\n"
       "them (W~, at the scale it recorded; LeakyRelu and PRelu slopes at 2^-16); the float executor run on\n"
       "(x~, W~) measures it exactly as y^ = float(x~, W~). *Arithmetic*: the integer executor's own roundings,\n"
       "bounded per op family in steps of the output grid e = 2^-f_out. A case passes when, for every element\n"
       "of every data set, |got - y^| <= budget, where the budget is 0 for exact ops (layout ops except Pad\n"
       "and Concat, Relu, Abs, Neg, max pools); e/2 for one requantization or one table lookup (linear ops,\n"
       "Div, LeakyRelu/PRelu, Clip/Pad/Concat whose bounds, fill or rescale round to the grid, every table\n"
       "op: tables hold round(f(x) 2^f_out) computed integer-exactly); plus |y^| 2^-17 for average pools and\n"
       "means (multiplier round(2^k / count) with 2^(k-16) >= count); plus 2^-16 (1 + len |y^|) for Softmax\n"
       "(exp table at 2^-15, the row maximum contributes exactly 1 so the sum is >= 1, each of len entries\n"
       "is off by at most 2^-16); plus max|gamma| 2^-13 for LayerNormalization (the normalised value is\n"
       "rounded at 2^-12). Nodes of a multi-node import (BatchNormalization = Mul then Add) add their\n"
       "budgets, the first rounding passing through the Add with gain 1. With the float check this bounds\n"
       "|got - expected| <= budget + |y^ - y| + 1e-7 + 1e-3 |expected|; the \"worst\" column is the largest\n"
       "|got - expected| / e seen (Log, Sqrt and Tanh are steep where ONNX samples them, so the input\n"
       "rounding moves the output by several output steps; the executor itself stays within e/2). LayerNorm's\n"
       "optional Mean and InvStdDev outputs are checked by the float path only; the quantizer supports the\n"
       "first output, the one inference models use. Refused (not failures): non-float dtypes, non-finite\n"
       "data (no fixed-point form) and graphs the quantizer or range analysis refuses with a message.\n"
       "Quantized total: "
    << q_pass << " pass, " << q_refused << " refused, 0 wrong.\n\n"
    << "| op | cases | pass | of which as constants | refused | refused cases | quantized pass | quantized refused | "
       "quantized worst (steps) |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [op, k] : c.ops) {
    std::string names;
    for (const auto& n : k.refused_cases) names += (names.empty() ? "" : ", ") + n;
    char worst[32];
    std::snprintf(worst, sizeof worst, "%.2f", k.q_worst);
    o << "| " << op << " | " << k.cases << " | " << k.pass + k.pass_baked << " | " << k.pass_baked << " | "
      << k.refused << " | " << names << " | " << k.q_pass << " | " << k.q_refused << " | "
      << (k.q_pass ? worst : "") << " |\n";
  }
  o << "\nRefused by the quantizer (the float executor passes them):\n\n";
  for (const auto& r : c.q_refusals) o << "- " << r << "\n";
  return o.str();
}

int q_pass_count(const Conformance& c) {
  int n = 0;
  for (const auto& [op, k] : c.ops) n += k.q_pass;
  return n;
}

fs::path testdata_dir() {
  if (const char* e = std::getenv("ZKS_ONNX_TESTDATA")) return e;
  return ZKS_ONNX_TESTDATA;
}

}  // namespace

TEST_CASE("float and quantized executors pass ONNX's own operator tests", "[model][conformance]") {
  fs::path root = testdata_dir();
  if (!fs::is_directory(root)) {
    WARN("ONNX operator tests not found at " << root.string()
                                             << ": install libonnx-testdata (deploy/install-deps.sh); skipping");
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  Conformance c = run_conformance(root);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int cases = 0, pass = 0;
  for (const auto& [op, k] : c.ops) {
    cases += k.cases;
    pass += k.pass + k.pass_baked;
    std::printf("conformance %-20s cases %3d pass %3d (as constants %d) refused %3d failed %d | quantized pass %3d "
                "refused %3d failed %d worst %.2f steps\n",
                op.c_str(), k.cases, k.pass + k.pass_baked, k.pass_baked, k.refused, k.failed, k.q_pass, k.q_refused,
                k.q_failed, k.q_worst);
  }
  std::printf("conformance: %d cases, %d pass (%d quantized), %zu fail, %.1f s\n", cases, pass, q_pass_count(c),
              c.failures.size(), secs);
  if (std::getenv("ZKS_VERBOSE"))
    for (const auto& r : c.refusals) std::printf("refused %s\n", r.c_str());
  if (std::getenv("ZKS_VERBOSE"))
    for (const auto& r : c.q_refusals) std::printf("quantizer refused %s\n", r.c_str());
  for (const auto& f : c.failures) FAIL_CHECK("wrong answer: " << f);
  CHECK(c.ops.size() >= 40);  // every supported op family has ONNX tests
  CHECK(pass > cases / 2);
  CHECK(q_pass_count(c) > pass * 3 / 4);  // the quantizer covers most of what the float executor runs
  std::string md = conformance_md(c);
  if (std::getenv("ZKS_WRITE_DOCS")) {
    test::write_models_md_part(1, md);
    return;
  }
  CHECK(test::models_md_part(test::read_text(test::models_md_path()), 1) == md);
}
