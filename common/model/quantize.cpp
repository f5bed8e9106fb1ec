#include "model/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <cstring>
#include <limits>
#include <tuple>

#include "hash/blake2b.hpp"
#include "model/fixmath.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "util/bytes.hpp"

namespace zks::model {

std::array<uint8_t, 32> table_hash(const QTable& t) {
  util::ByteWriter w;
  auto str = [&](const std::string& s) {
    w.u64(s.size());
    w.raw({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  str("zkslice-table-v1");
  str(t.fn);
  for (double d : {t.alpha, t.beta, t.gamma}) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    w.u64(bits);
  }
  w.u64(static_cast<uint64_t>(static_cast<int64_t>(t.in_scale)));
  w.u64(static_cast<uint64_t>(static_cast<int64_t>(t.out_scale)));
  w.u64(static_cast<uint64_t>(t.in_lo));
  w.u64(t.values.size());
  for (int64_t v : t.values) w.u64(static_cast<uint64_t>(v));
  return hash::hash(hash::Domain::Generic, w.bytes());
}

namespace {

const std::set<std::string> kPassOps = {"Relu", "Abs", "Neg", "MaxPool", "GlobalMaxPool", "Clip"};

int choose_scale(double maxabs, int bits, int headroom, int maxs) {
  if (!(maxabs > 0) || !std::isfinite(maxabs)) return std::min(maxs, bits - 2 - headroom);
  double lim = std::ldexp(1.0, bits - 1) - 1;
  int f = static_cast<int>(std::floor(std::log2(lim / maxabs))) - headroom;
  return std::clamp(f, -maxs, maxs);
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

Error node_err(const Node& n, const std::string& what) {
  return make_error(n.op + " node '" + n.name + "': " + what);
}

std::string table_fn(const Node& n) {
  if (n.op == "Gelu") return n.attr_s("approximate", "none") == "tanh" ? "GeluTanh" : "Gelu";
  return n.op;
}

struct Builder {
  const Graph& g;
  const QuantConfig& cfg;
  QModel m;
  std::vector<double> amax;  // calibrated max |x| per graph value
  std::map<std::tuple<std::string, double, double, int, int>, int> table_cache;

  int64_t lo() const { return m.act_lo(); }
  int64_t hi() const { return m.act_hi(); }

  int add_const(const std::string& name, const Shape& s, const std::vector<double>& d, int scale) {
    QTensor t;
    t.name = name;
    t.shape = s;
    t.scale = scale;
    t.is_const = true;
    t.data.resize(d.size());
    int64_t big = std::numeric_limits<int64_t>::max() / 4;
    for (size_t i = 0; i < d.size(); ++i) t.data[i] = quantize_value(d[i], scale, -big, big);
    m.tensors.push_back(std::move(t));
    return static_cast<int>(m.tensors.size() - 1);
  }
  int weight_scale(const std::vector<double>& d) const {
    return choose_scale(max_abs(d), cfg.weight_bits, 0, cfg.max_scale);
  }
  int act_scale(int v) const {
    return std::min(cfg.max_act_scale, choose_scale(amax[v], cfg.act_bits, cfg.headroom_bits, cfg.max_scale));
  }

  int make_table(const fixmath::FnSpec& f, int in_scale, int out_scale, int64_t in_lo, int64_t in_hi) {
    auto key = std::make_tuple(f.fn + "/" + std::to_string(in_lo), f.alpha, f.beta, in_scale, out_scale);
    if (auto it = table_cache.find(key); it != table_cache.end()) return it->second;
    QTable t;
    t.fn = f.fn;
    t.alpha = f.alpha;
    t.beta = f.beta;
    t.gamma = f.gamma;
    t.in_scale = in_scale;
    t.out_scale = out_scale;
    t.in_lo = in_lo;
    t.values.resize(static_cast<size_t>(in_hi - in_lo + 1));
    for (int64_t q = in_lo; q <= in_hi; ++q) t.values[q - in_lo] = fixmath::eval(f, q, in_scale, out_scale, lo(), hi());
    t.hash = table_hash(t);
    m.tables.push_back(std::move(t));
    int id = static_cast<int>(m.tables.size() - 1);
    table_cache[key] = id;
    return id;
  }



  // Gather map of a layout node: run it on element indices.
  Status layout_map(const Node& n, QNode& q, const std::vector<int>& act_inputs) {
    std::vector<Tensor> holders(n.inputs.size());
    std::vector<const Tensor*> in(n.inputs.size(), nullptr);
    int64_t off = 0;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      int v = n.inputs[i];
      if (v < 0) continue;
      const Value& val = g.values[v];
      bool indexed = !val.is_const || (n.op == "Concat") || i == 0;
      if (indexed) {
        holders[i].shape = val.shape;
        int64_t cnt = numel(val.shape);
        holders[i].data.resize(static_cast<size_t>(cnt));
        for (int64_t k = 0; k < cnt; ++k) holders[i].data[k] = static_cast<double>(off + k);
        off += cnt;
      } else {
        holders[i] = Tensor{val.shape, val.data};
      }
      in[i] = &holders[i];
      if (n.op != "Concat" && i == 0) {
        // only input 0 is moved; the others are parameters
      }
    }
    EvalOptions eo;
    eo.opset = g.opset;
    eo.index_mode = true;
    std::vector<Tensor> out;
    ZK_TRY(eval_node(n, in, out, eo));
    q.gather.resize(out[0].data.size());
    for (size_t i = 0; i < q.gather.size(); ++i) q.gather[i] = static_cast<int64_t>(out[0].data[i]);
    (void)act_inputs;
    return {};
  }

  Status build(const std::vector<std::vector<Tensor>>& calibration) {
    if (calibration.empty()) return make_error("quantization needs at least one calibration input");
    if (cfg.act_bits < 4 || cfg.act_bits > 40 || cfg.weight_bits < 2 || cfg.weight_bits > 40)
      return make_error("act_bits must be in [4, 40] and weight_bits in [2, 40]");
    amax.assign(g.values.size(), 0.0);
    for (const auto& in : calibration) {
      auto all = run_float_all(g, in);
      if (!all.ok()) return make_error("calibration: " + all.error());
      for (size_t v = 0; v < g.values.size(); ++v)
        if (!g.values[v].is_const) amax[v] = std::max(amax[v], max_abs((*all)[v].data));
    }
    m.name = g.name;
    m.opset = g.opset;
    m.cfg = cfg;
    std::vector<int> tid(g.values.size(), -1);
    for (size_t v = 0; v < g.values.size(); ++v) {
      if (g.values[v].is_const) continue;
      QTensor t;
      t.name = g.values[v].name;
      t.shape = g.values[v].shape;
      t.scale = act_scale(static_cast<int>(v));
      tid[v] = static_cast<int>(m.tensors.size());
      m.tensors.push_back(std::move(t));
    }
    for (int v : g.inputs) m.inputs.push_back(tid[v]);
    for (int v : g.outputs) m.outputs.push_back(tid[v]);

    for (const Node& n : g.nodes) {
      QNode q;
      q.op = n.op;
      q.name = n.name;
      q.attrs = n.attrs;
      for (int o : n.outputs) q.outputs.push_back(o >= 0 ? tid[o] : -1);
      if (q.outputs.size() > 1) {
        for (size_t k = 1; k < q.outputs.size(); ++k)
          if (q.outputs[k] >= 0) return node_err(n, "extra outputs are not supported by the quantizer");
        q.outputs.resize(1);
      }
      // A function, not a reference: add_const appends to m.tensors and may move it.
      auto out = [&]() -> QTensor& { return m.tensors[q.outputs[0]]; };
      auto in_scale = [&](size_t i) { return m.tensors[tid[n.inputs[i]]].scale; };
      auto is_act = [&](size_t i) { return i < n.inputs.size() && n.inputs[i] >= 0 && !g.values[n.inputs[i]].is_const; };
      auto cval = [&](size_t i) -> const Value& { return g.values[n.inputs[i]]; };
      const std::string& op = n.op;
      if (!is_act(0) && op != "Add" && op != "Mul" && op != "Sub" && op != "Div" && op != "MatMul" && op != "Sum")
        return node_err(n, "the first input must be an activation");

      if (kPassOps.count(op) || (is_layout_op(op) && op != "Concat")) {
        q.inputs.push_back(tid[n.inputs[0]]);
        out().scale = in_scale(0);
        if (op == "Clip") {
          double lo_f = n.attr_f("min", -INFINITY), hi_f = n.attr_f("max", INFINITY);
          if (n.inputs.size() > 1 && n.inputs[1] >= 0) lo_f = cval(1).data.at(0);
          if (n.inputs.size() > 2 && n.inputs[2] >= 0) hi_f = cval(2).data.at(0);
          q.mult = {std::isfinite(lo_f) ? quantize_value(lo_f, out().scale, lo(), hi()) : lo(),
                    std::isfinite(hi_f) ? quantize_value(hi_f, out().scale, lo(), hi()) : hi()};
        }
        if (is_layout_op(op)) {
          ZK_TRY(layout_map(n, q, {}));
          if (op == "Pad") {
            double v = n.attr_f("value", 0.0);
            if (n.inputs.size() > 2 && n.inputs[2] >= 0 && !cval(2).data.empty()) v = cval(2).data[0];
            q.fill = quantize_value(v, out().scale, lo(), hi());
          }
        }
      } else if (op == "Concat") {
        int f = 1 << 20;
        for (size_t i = 0; i < n.inputs.size(); ++i)
          if (is_act(i)) f = std::min(f, in_scale(i));
        out().scale = f;
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          if (is_act(i)) {
            q.inputs.push_back(tid[n.inputs[i]]);
            q.in_shift.push_back(in_scale(i) - f);
          } else {
            q.inputs.push_back(add_const(cval(i).name + "@" + n.name, cval(i).shape, cval(i).data, f));
            q.in_shift.push_back(0);
          }
        }
        ZK_TRY(layout_map(n, q, {}));
      } else if (op == "Conv" || op == "ConvTranspose" || op == "Gemm") {
        int fx = in_scale(0);
        std::vector<double> w = cval(1).data;
        Shape ws = cval(1).shape;
        std::vector<double> b;
        Shape bs;
        if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
          b = cval(2).data;
          bs = cval(2).shape;
        }
        if (op == "Gemm") {
          if (n.attr_i("transA", 0)) return node_err(n, "transA on an activation is not supported");
          if (g.values[n.inputs[0]].shape.size() != 2) return node_err(n, "A must be 2-D");
          if (n.attr_i("transB", 0)) {
            std::vector<double> t(w.size());
            for (int64_t r = 0; r < ws[0]; ++r)
              for (int64_t c = 0; c < ws[1]; ++c) t[c * ws[0] + r] = w[r * ws[1] + c];
            w = t;
            ws = {ws[1], ws[0]};
          }
          double alpha = n.attr_f("alpha", 1.0), beta = n.attr_f("beta", 1.0);
          for (auto& x : w) x *= alpha;
          for (auto& x : b) x *= beta;
          q.attrs.clear();
        }
        int fw = std::min(weight_scale(w), cfg.max_acc_scale - fx);
        q.inputs = {tid[n.inputs[0]], add_const(cval(1).name + "@" + n.name, ws, w, fw)};
        if (!b.empty()) q.inputs.push_back(add_const(cval(2).name + "@" + n.name, bs, b, fx + fw));
        q.shift = fx + fw - out().scale;
      } else if (op == "MatMul" || op == "Mul") {
        int fs[2];
        for (size_t i = 0; i < 2; ++i) {
          if (is_act(i)) {
            q.inputs.push_back(tid[n.inputs[i]]);
            fs[i] = in_scale(i);
          } else {
            fs[i] = std::min(weight_scale(cval(i).data), cfg.max_acc_scale - in_scale(1 - i));
            q.inputs.push_back(add_const(cval(i).name + "@" + n.name, cval(i).shape, cval(i).data, fs[i]));
          }
        }
        q.shift = fs[0] + fs[1] - out().scale;
      } else if (op == "Add" || op == "Sub" || op == "Sum") {
        std::vector<int> fs;
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          if (is_act(i)) {
            q.inputs.push_back(tid[n.inputs[i]]);
            fs.push_back(in_scale(i));
          } else {
            int f = weight_scale(cval(i).data);
            // a constant never needs more precision than the output
            f = std::min(f, out().scale + 8);
            q.inputs.push_back(add_const(cval(i).name + "@" + n.name, cval(i).shape, cval(i).data, f));
            fs.push_back(f);
          }
        }
        int F = *std::max_element(fs.begin(), fs.end());
        for (int f : fs) q.in_shift.push_back(F - f);
        q.shift = F - out().scale;
      } else if (op == "Div") {
        int fs[2];
        for (size_t i = 0; i < 2; ++i) {
          if (is_act(i)) {
            q.inputs.push_back(tid[n.inputs[i]]);
            fs[i] = in_scale(i);
          } else {
            fs[i] = weight_scale(cval(i).data);
            q.inputs.push_back(add_const(cval(i).name + "@" + n.name, cval(i).shape, cval(i).data, fs[i]));
          }
        }
        q.aux = out().scale + fs[1] - fs[0];
      } else if (op == "LeakyRelu" || op == "PRelu") {
        q.inputs.push_back(tid[n.inputs[0]]);
        out().scale = in_scale(0);
        const Shape& ys = g.values[n.outputs[0]].shape;
        if (op == "LeakyRelu") {
          q.mult = {quantize_value(n.attr_f("alpha", 0.01), 16, INT32_MIN, INT32_MAX)};
        } else {
          Shape ss = cval(1).shape;
          const Shape& xs = g.values[n.inputs[0]].shape;
          if (ss.size() == 1 && xs.size() >= 3 && ss[0] == xs[1] && ss[0] != xs.back()) ss.resize(xs.size() - 1, 1);
          auto bi = kern::broadcast_index(ss, ys);
          for (auto k : bi) q.mult.push_back(quantize_value(cval(1).data[k], 16, INT32_MIN, INT32_MAX));
        }
        q.shift = 16;
      } else if (fixmath::is_table_fn(table_fn(n))) {
        q.inputs.push_back(tid[n.inputs[0]]);
        fixmath::FnSpec f;
        f.fn = table_fn(n);
        if (op == "Elu") f.alpha = n.attr_f("alpha", 1.0);
        if (op == "Selu") {
          f.alpha = n.attr_f("alpha", 1.6732632423543772);
          f.gamma = n.attr_f("gamma", 1.0507009873554805);
        }
        if (op == "HardSigmoid") {
          f.alpha = n.attr_f("alpha", 0.2);
          f.beta = n.attr_f("beta", 0.5);
        }
        q.table = make_table(f, in_scale(0), out().scale, lo(), hi());
      } else if (op == "AveragePool" || op == "GlobalAveragePool" || op == "ReduceMean" || op == "ReduceSum") {
        q.inputs.push_back(tid[n.inputs[0]]);
        int fx = in_scale(0);
        std::vector<int64_t> cnt;
        if (op == "ReduceMean" || op == "ReduceSum") {
          cnt = {numel(g.values[n.inputs[0]].shape) / std::max<int64_t>(1, numel(g.values[n.outputs[0]].shape))};
          if (n.inputs.size() > 1 && n.inputs[1] >= 0) q.attrs["axes"] = Attr{Attr::Kind::Ints, 0, 0, [&] {
            std::vector<int64_t> a;
            for (double d : cval(1).data) a.push_back(static_cast<int64_t>(d));
            return a;
          }(), {}, ""};
        } else {
          kern::PoolParams p{};
          Shape ys;
          ZK_TRY(pool_setup(n, g.values[n.inputs[0]].shape, p, ys));
          std::vector<double> zero(static_cast<size_t>(numel(g.values[n.inputs[0]].shape)), 0.0), y(numel(ys));
          cnt.resize(static_cast<size_t>(numel(ys)));
          kern::pool2d<double>(p, false, zero.data(), y.data(), cnt.data());
        }
        if (op == "ReduceSum") {
          q.shift = fx - out().scale;
        } else {
          int64_t mc = *std::max_element(cnt.begin(), cnt.end());
          int k = 16;
          while ((int64_t(1) << (k - 16)) < mc) ++k;
          for (auto c : cnt) q.mult.push_back(((int64_t(1) << (k + 1)) / std::max<int64_t>(1, c) + 1) / 2);
          q.shift = k + fx - out().scale;
        }
      } else if (op == "Softmax") {
        q.inputs.push_back(tid[n.inputs[0]]);
        fixmath::FnSpec f;
        f.fn = "Exp";
        int fx = in_scale(0);
        // exp(d) for d = x - max in [-(2^bits - 1), 0]; entries that round to 0 are cut.
        int64_t dlo = -(int64_t(1) << cfg.act_bits) + 1;
        int64_t a = dlo, b = 0;
        while (b - a > 1) {
          int64_t mid = a + (b - a) / 2;
          if (fixmath::eval(f, mid, fx, cfg.exp_bits, 0, INT64_MAX) == 0) a = mid;
          else b = mid;
        }
        q.table = make_table(f, fx, cfg.exp_bits, a, 0);
        q.aux = out().scale;
      } else if (op == "LayerNormalization") {
        q.inputs.push_back(tid[n.inputs[0]]);
        int fx = in_scale(0), fz = 12;
        int64_t axis = n.attr_i("axis", -1);
        const Shape& xs = g.values[n.inputs[0]].shape;
        if (axis < 0) axis += static_cast<int64_t>(xs.size());
        int64_t len = 1;
        for (size_t d = static_cast<size_t>(axis); d < xs.size(); ++d) len *= xs[d];
        Shape inner(xs.begin() + axis, xs.end());
        std::vector<double> gam(static_cast<size_t>(len)), bet(static_cast<size_t>(len), 0.0);
        auto gi = kern::broadcast_index(cval(1).shape, inner);
        for (int64_t j = 0; j < len; ++j) gam[j] = cval(1).data[gi[j]];
        if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
          auto bi = kern::broadcast_index(cval(2).shape, inner);
          for (int64_t j = 0; j < len; ++j) bet[j] = cval(2).data[bi[j]];
        }
        int fg = weight_scale(gam);
        q.inputs.push_back(add_const(n.name + ".gamma", inner, gam, fg));
        q.inputs.push_back(add_const(n.name + ".beta", inner, bet, fz + fg));
        double eps = n.attr_f("epsilon", 1e-5);
        double l = static_cast<double>(len);
        q.mult = {static_cast<int64_t>(std::floor(std::ldexp(eps * l * l * l, 2 * fx) + 0.5))};
        q.aux = fz;
        q.attrs["axis"] = Attr{Attr::Kind::Int, axis, 0, {}, {}, ""};
        q.shift = fz + fg - out().scale;
      } else {
        return node_err(n, "the op is not supported by the quantizer");
      }
      m.nodes.push_back(std::move(q));
    }
    return {};
  }
};

}  // namespace

int64_t quantize_value(double x, int f, int64_t lo, int64_t hi, bool* saturated) {
  double v = std::floor(std::ldexp(x, f) + 0.5);
  bool sat = false;
  int64_t q;
  if (std::isnan(v)) {
    q = 0;
    sat = true;
  } else if (v <= static_cast<double>(lo)) {
    q = lo;
    sat = v < static_cast<double>(lo);
  } else if (v >= static_cast<double>(hi)) {
    q = hi;
    sat = v > static_cast<double>(hi);
  } else {
    q = static_cast<int64_t>(v);
  }
  if (saturated) *saturated = sat;
  return q;
}

Result<QModel> quantize(const Graph& g, const std::vector<std::vector<Tensor>>& calibration, const QuantConfig& cfg) {
  Builder b{g, cfg, {}, {}, {}};
  ZK_TRY(b.build(calibration));
  ZK_TRY(range_analysis(b.m));
  return std::move(b.m);
}

}  // namespace zks::model
