// Graph rewrites after import: aliases (Identity, Dropout, Cast), division and
// subtraction by constants, Pow by small constants, Gemm normalisation, and the
// folds of DESIGN.md section 3: BatchNormalization and constant Mul/Add into the
// neighbouring Conv / ConvTranspose / Gemm, so they cost nothing in the proof.
#include <cmath>
#include <map>

#include "model/onnx_import.hpp"

namespace zks::model {

namespace {

struct Rewriter {
  Graph& g;
  std::vector<int> uses;  // consumers per value (graph outputs count)

  void count_uses() {
    uses.assign(g.values.size(), 0);
    for (const auto& n : g.nodes)
      if (!n.op.empty())
        for (int i : n.inputs)
          if (i >= 0) ++uses[i];
    for (int o : g.outputs) ++uses[o];
  }
  bool is_output(int v) const {
    for (int o : g.outputs)
      if (o == v) return true;
    return false;
  }
  const Value* konst(int v) const { return v >= 0 && g.values[v].is_const ? &g.values[v] : nullptr; }
  int new_const(const std::string& name, Shape s, std::vector<double> d) {
    Value v{name, std::move(s), true, std::move(d)};
    int id = g.add_value(std::move(v));
    uses.push_back(0);
    return id;
  }
  void replace_uses(int from, int to) {
    for (auto& n : g.nodes)
      for (int& i : n.inputs)
        if (i == from) i = to;
  }
  int producer(int v) const {
    for (size_t k = 0; k < g.nodes.size(); ++k)
      if (!g.nodes[k].op.empty())
        for (int o : g.nodes[k].outputs)
          if (o == v) return static_cast<int>(k);
    return -1;
  }

  // The per-output-channel vector of constant c applied to a linear op's output y,
  // or false if c varies along another axis.
  bool channel_vector(const Shape& ys, size_t chan_axis, const Value& c, std::vector<double>& out) const {
    size_t r = ys.size();
    if (c.shape.size() > r) return false;
    size_t off = r - c.shape.size();
    int64_t M = ys[chan_axis];
    bool per_chan = false;
    for (size_t d = 0; d < c.shape.size(); ++d) {
      size_t yd = d + off;
      if (c.shape[d] == 1) continue;
      if (yd != chan_axis || c.shape[d] != M) return false;
      per_chan = true;
    }
    out.assign(static_cast<size_t>(M), 0.0);
    for (int64_t m = 0; m < M; ++m) out[m] = per_chan ? c.data[m] : c.data[0];
    return true;
  }

  // Scale (mul) and shift (add) the outputs of linear node k per output channel.
  void fold_into_linear(Node& lin, const std::vector<double>* mul, const std::vector<double>* add) {
    const Value& w = g.values[lin.inputs[1]];
    int64_t M = 0;
    std::vector<double> nw = w.data;
    if (lin.op == "Conv") {
      M = w.shape[0];
      int64_t per = numel(w.shape) / M;
      if (mul)
        for (int64_t i = 0; i < numel(w.shape); ++i) nw[i] *= (*mul)[i / per];
    } else if (lin.op == "ConvTranspose") {
      int64_t C = w.shape[0], mg = w.shape[1], grp = lin.attr_i("group", 1);
      M = mg * grp;
      int64_t per = numel(w.shape) / (C * mg), cg = C / grp;
      if (mul)
        for (int64_t i = 0; i < numel(w.shape); ++i) {
          int64_t c = i / (mg * per), mm = (i / per) % mg;
          nw[i] *= (*mul)[(c / cg) * mg + mm];
        }
    } else {  // Gemm, normalised: W is [K, N]
      M = w.shape[1];
      if (mul)
        for (int64_t i = 0; i < numel(w.shape); ++i) nw[i] *= (*mul)[i % M];
    }
    std::vector<double> b(static_cast<size_t>(M), 0.0);
    if (lin.inputs.size() > 2 && lin.inputs[2] >= 0) b = g.values[lin.inputs[2]].data;
    for (int64_t m = 0; m < M; ++m) {
      if (mul) b[m] *= (*mul)[m];
      if (add) b[m] += (*add)[m];
    }
    lin.inputs[1] = new_const(lin.name + ".W'", g.values[lin.inputs[1]].shape, std::move(nw));
    int bid = new_const(lin.name + ".b'", {M}, std::move(b));
    if (lin.inputs.size() < 3) lin.inputs.resize(3, -1);
    lin.inputs[2] = bid;
  }

  // Linear node producing x with x used once (by the folding candidate) and not an output.
  Node* foldable_producer(int x) {
    if (uses[x] != 1 || is_output(x)) return nullptr;
    int p = producer(x);
    if (p < 0) return nullptr;
    Node& lin = g.nodes[p];
    bool ok = (lin.op == "Conv" || lin.op == "ConvTranspose" || lin.op == "Gemm") && lin.outputs.size() == 1 &&
              konst(lin.inputs[1]) && (lin.inputs.size() < 3 || lin.inputs[2] < 0 || konst(lin.inputs[2]));
    if (lin.op == "Gemm" && (lin.attr_i("transA", 0) || lin.attr_i("transB", 0) || lin.has("alpha") || lin.has("beta")))
      ok = false;
    if (lin.op == "Gemm" && lin.inputs.size() > 2 && lin.inputs[2] >= 0 &&
        numel(g.values[lin.inputs[2]].shape) != g.values[lin.inputs[1]].shape[1])
      ok = false;
    return ok ? &lin : nullptr;
  }

  bool step() {
    count_uses();
    for (size_t k = 0; k < g.nodes.size(); ++k) {
      Node& n = g.nodes[k];
      if (n.op.empty()) continue;
      std::string op = n.op;
      bool float_cast = op == "Cast" && (n.attr_i("to", 1) == 1 || n.attr_i("to", 1) == 11 || n.attr_i("to", 1) == 10);
      if ((op == "Identity" || op == "Dropout" || float_cast) && !is_output(n.outputs[0]) &&
          (n.outputs.size() == 1 || n.outputs[1] < 0 || uses[n.outputs[1]] == 0)) {
        replace_uses(n.outputs[0], n.inputs[0]);
        n.op.clear();
        return true;
      }
      if ((op == "Div" || op == "Sub") && n.inputs.size() == 2 && konst(n.inputs[1]) && !konst(n.inputs[0])) {
        const Value& c = g.values[n.inputs[1]];
        std::vector<double> d = c.data;
        for (auto& v : d) v = op == "Div" ? 1.0 / v : -v;
        n.inputs[1] = new_const(n.name + (op == "Div" ? ".recip" : ".neg"), c.shape, std::move(d));
        n.op = op == "Div" ? "Mul" : "Add";
        return true;
      }
      if (op == "Pow" && konst(n.inputs[1]) && g.values[n.inputs[1]].data.size() == 1) {
        double e = g.values[n.inputs[1]].data[0];
        if (e == 2.0) {
          n.op = "Mul";
          n.inputs[1] = n.inputs[0];
          return true;
        }
        if (e == 0.5) {
          n.op = "Sqrt";
          n.inputs.resize(1);
          return true;
        }
        if (e == 1.0) {
          n.op = "Identity";
          n.inputs.resize(1);
          return true;
        }
      }
      if (op == "MatMul" && konst(n.inputs[1]) && !konst(n.inputs[0]) &&
          g.values[n.inputs[0]].shape.size() == 2 && g.values[n.inputs[1]].shape.size() == 2) {
        n.op = "Gemm";
        n.attrs.clear();
        return true;
      }
      if (op == "Gemm" && konst(n.inputs[1]) && !n.attr_i("transA", 0) &&
          (n.attr_i("transB", 0) || n.has("alpha") || n.has("beta"))) {
        const Value& w = g.values[n.inputs[1]];
        bool tb = n.attr_i("transB", 0) != 0;
        double alpha = n.attr_f("alpha", 1.0), beta = n.attr_f("beta", 1.0);
        int64_t K = tb ? w.shape[1] : w.shape[0], N = tb ? w.shape[0] : w.shape[1];
        std::vector<double> nw(static_cast<size_t>(K * N));
        for (int64_t kk = 0; kk < K; ++kk)
          for (int64_t j = 0; j < N; ++j) nw[kk * N + j] = alpha * (tb ? w.data[j * K + kk] : w.data[kk * N + j]);
        if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
          const Value* c = konst(n.inputs[2]);
          std::vector<double> bias;
          Shape ys = {g.values[n.outputs[0]].shape};
          if (!c || !channel_vector(ys, 1, *c, bias)) continue;  // left as is; the quantizer refuses it
          for (auto& v : bias) v *= beta;
          n.inputs[2] = new_const(n.name + ".C'", {N}, std::move(bias));
        }
        n.inputs[1] = new_const(n.name + ".W'", {K, N}, std::move(nw));
        n.attrs.clear();
        return true;
      }
      if (op == "BatchNormalization") {
        bool all = n.inputs.size() >= 5;
        for (size_t i = 1; all && i < 5; ++i) all = konst(n.inputs[i]) != nullptr;
        if (!all) continue;
        int64_t C = numel(g.values[n.inputs[1]].shape);
        double eps = n.attr_f("epsilon", 1e-5);
        std::vector<double> sc(C), sh(C);
        for (int64_t c = 0; c < C; ++c) {
          sc[c] = g.values[n.inputs[1]].data[c] / std::sqrt(g.values[n.inputs[4]].data[c] + eps);
          sh[c] = g.values[n.inputs[2]].data[c] - g.values[n.inputs[3]].data[c] * sc[c];
        }
        if (Node* lin = foldable_producer(n.inputs[0]); lin && lin->op != "Gemm") {
          fold_into_linear(*lin, &sc, &sh);
          replace_uses(n.outputs[0], n.inputs[0]);
          for (int& o : g.outputs)
            if (o == n.outputs[0]) o = n.inputs[0];
          n.op.clear();
          return true;
        }
        // Not foldable: a per-channel Mul then Add.
        Shape cs(g.values[n.inputs[0]].shape.size() - 1, 1);
        cs[0] = C;
        int x = n.inputs[0], y = n.outputs[0];
        Value mid{n.name + ".scaled", g.values[x].shape, false, {}};
        int mid_id = g.add_value(std::move(mid));
        int sc_id = new_const(n.name + ".scale", cs, sc), sh_id = new_const(n.name + ".shift", cs, sh);
        Node mul{"Mul", n.name + ".mul", {x, sc_id}, {mid_id}, {}};
        Node add{"Add", n.name + ".add", {mid_id, sh_id}, {y}, {}};
        g.nodes[k] = std::move(mul);
        g.nodes.insert(g.nodes.begin() + static_cast<long>(k) + 1, std::move(add));
        return true;
      }
      if ((op == "Mul" || op == "Add") && n.inputs.size() == 2) {
        int xi = konst(n.inputs[1]) ? 0 : konst(n.inputs[0]) ? 1 : -1;
        if (xi < 0) continue;
        int x = n.inputs[xi];
        const Value& c = g.values[n.inputs[1 - xi]];
        Node* lin = foldable_producer(x);
        if (!lin) continue;
        const Shape& ys = g.values[x].shape;
        if (ys != g.values[n.outputs[0]].shape) continue;  // the constant must not broadcast y
        std::vector<double> v;
        if (!channel_vector(ys, 1, c, v)) continue;
        fold_into_linear(*lin, op == "Mul" ? &v : nullptr, op == "Add" ? &v : nullptr);
        // The linear op now produces n's output directly.
        for (int& o : lin->outputs)
          if (o == x) o = n.outputs[0];
        n.op.clear();
        return true;
      }
    }
    return false;
  }
};

}  // namespace

void expand_layer_norms(Graph& g) {
  std::vector<Node> out;
  for (auto& n : g.nodes) {
    const bool stats_used = (n.outputs.size() > 1 && n.outputs[1] >= 0) || (n.outputs.size() > 2 && n.outputs[2] >= 0);
    if (n.op != "LayerNormalization" || stats_used || n.inputs.size() < 2 || n.inputs[0] < 0 || n.inputs[1] < 0) {
      out.push_back(std::move(n));
      continue;
    }
    const Shape xs = g.values[n.inputs[0]].shape;
    const int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = n.attr_i("axis", -1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) {
      out.push_back(std::move(n));  // the executor reports the bad axis
      continue;
    }
    Shape ms = xs;
    std::vector<int64_t> axes;
    for (int64_t a = axis; a < rank; ++a) ms[size_t(a)] = 1, axes.push_back(a);
    auto value = [&](const std::string& suffix, const Shape& shape) {
      return g.add_value(Value{n.name + "/zks_" + suffix, shape, false, {}});
    };
    auto node = [&](const std::string& op, const std::string& suffix, std::vector<int> inputs, int output) {
      Node k;
      k.op = op;
      k.name = n.name + "/zks_" + suffix;
      k.inputs = std::move(inputs);
      k.outputs = {output};
      if (op == "ReduceMean") {
        k.attrs["axes"] = Attr{Attr::Kind::Ints, 0, 0, axes, {}, ""};
        k.attrs["keepdims"] = Attr{Attr::Kind::Int, 1, 0, {}, {}, ""};
      }
      out.push_back(std::move(k));
    };
    const int x = n.inputs[0], scale = n.inputs[1], bias = n.inputs.size() > 2 ? n.inputs[2] : -1, y = n.outputs[0];
    const int mean = value("mean", ms), d = value("centered", xs), sq = value("squared", xs), var = value("var", ms);
    const int eps = g.add_value(Value{n.name + "/zks_epsilon", {1}, true, {n.attr_f("epsilon", 1e-5)}});
    const int ve = value("var_eps", ms), sd = value("std", ms), z = value("normalized", xs);
    node("ReduceMean", "mean", {x}, mean);
    node("Sub", "center", {x, mean}, d);
    node("Mul", "square", {d, d}, sq);
    node("ReduceMean", "variance", {sq}, var);
    node("Add", "add_epsilon", {var, eps}, ve);
    node("Sqrt", "sqrt", {ve}, sd);
    node("Div", "normalize", {d, sd}, z);
    if (bias < 0) {
      node("Mul", "scale", {z, scale}, y);
    } else {
      const int zs = value("scaled", xs);
      node("Mul", "scale", {z, scale}, zs);
      node("Add", "shift", {zs, bias}, y);
    }
  }
  g.nodes = std::move(out);
}

void fold_linear_ops(Graph& g) {
  Rewriter rw{g, {}};
  for (int iter = 0; iter < 100000 && rw.step(); ++iter) {
  }
  std::vector<Node> kept;
  for (auto& n : g.nodes)
    if (!n.op.empty()) kept.push_back(std::move(n));
  g.nodes = std::move(kept);
}

}  // namespace zks::model
