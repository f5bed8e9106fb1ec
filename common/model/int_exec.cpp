// The integer executor (reference semantics of the proofs) and the static range
// analysis over the same QModel.
#include <algorithm>
#include <cmath>

#include "model/fixmath.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "model/quantize.hpp"

namespace zks::model {

namespace {

using fixmath::i128;

// q_full = floor((acc + 2^(s-1)) / 2^s) by arithmetic shift (rule 9); s <= 0 shifts left.
inline int64_t requant(int64_t acc, int s) {
  if (s <= 0) return acc * (int64_t(1) << (-s));
  return (acc + (int64_t(1) << (s - 1))) >> s;
}

struct Clamp {
  int64_t lo, hi;
  uint64_t sat = 0;
  int64_t operator()(int64_t v) {
    if (v < lo) {
      ++sat;
      return lo;
    }
    if (v > hi) {
      ++sat;
      return hi;
    }
    return v;
  }
};

Node as_node(const QNode& q) {
  Node n;
  n.op = q.op;
  n.name = q.name;
  n.attrs = q.attrs;
  return n;
}

Error qerr(const QNode& n, const std::string& what) { return make_error(n.op + " node '" + n.name + "': " + what); }

}  // namespace

namespace {
// The input shape with the reduced axes set to 1; false when an axis is out of range.
bool reduce_kept(const QNode& n, const Shape& xs, Shape& ks) {
  auto axes = n.attrs.count("axes") ? n.attrs.at("axes").ints : std::vector<int64_t>{};
  // Empty axes reduce everything, unless noop_with_empty_axes (opset 13+) makes it the identity.
  bool noop = n.attrs.count("noop_with_empty_axes") && n.attrs.at("noop_with_empty_axes").i != 0;
  std::vector<char> red(xs.size(), axes.empty() && !noop ? 1 : 0);
  for (auto a : axes) {
    if (a < 0) a += static_cast<int64_t>(xs.size());
    if (a < 0 || a >= static_cast<int64_t>(xs.size())) return false;
    red[static_cast<size_t>(a)] = 1;
  }
  ks.clear();
  for (size_t d = 0; d < xs.size(); ++d) ks.push_back(red[d] ? 1 : xs[d]);
  return true;
}
}  // namespace

std::vector<int64_t> reduce_index(const QNode& n, const Shape& xs) {
  Shape ks;
  if (!reduce_kept(n, xs, ks)) return {};
  return kern::broadcast_index(ks, xs);
}

Status run_int_range(const QModel& m, size_t first, size_t last, IntRun& run) {
  run.values.resize(m.tensors.size());
  run.node_saturations.resize(m.nodes.size(), 0);
  auto val = [&](int t) -> const std::vector<int64_t>& {
    return m.tensors[t].is_const ? m.tensors[t].data : run.values[t];
  };
  for (size_t k = first; k < last && k < m.nodes.size(); ++k) {
    const QNode& n = m.nodes[k];
    const QTensor& ot = m.tensors[n.outputs[0]];
    std::vector<int64_t>& y = run.values[n.outputs[0]];
    int64_t N = numel(ot.shape);
    y.assign(static_cast<size_t>(N), 0);
    Clamp clamp{m.act_lo(), m.act_hi()};
    for (int i : n.inputs) {
      if (m.tensors[i].withheld)
        return qerr(n, "its weights were withheld (a verify-only manifest): running it needs the full manifest");
      if (!m.tensors[i].is_const && run.values[i].size() != static_cast<size_t>(numel(m.tensors[i].shape)))
        return qerr(n, "input '" + m.tensors[i].name + "' has not been computed");
    }
    const std::vector<int64_t>& x = val(n.inputs[0]);
    const Shape& xs = m.tensors[n.inputs[0]].shape;
    const std::string& op = n.op;
    if (!n.gather.empty() || is_layout_op(op)) {
      std::vector<int64_t> src;
      if (op == "Concat") {
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          const auto& v = val(n.inputs[i]);
          for (int64_t e : v) src.push_back(clamp(requant(e, n.in_shift[i])));
        }
      }
      const std::vector<int64_t>& s = op == "Concat" ? src : x;
      for (int64_t i = 0; i < N; ++i) y[i] = n.gather[i] < 0 ? n.fill : s[n.gather[i]];
    } else if (op == "Relu") {
      for (int64_t i = 0; i < N; ++i) y[i] = std::max<int64_t>(0, x[i]);
    } else if (op == "Abs") {
      for (int64_t i = 0; i < N; ++i) y[i] = clamp(x[i] < 0 ? -x[i] : x[i]);
    } else if (op == "Neg") {
      for (int64_t i = 0; i < N; ++i) y[i] = clamp(-x[i]);
    } else if (op == "Clip") {
      for (int64_t i = 0; i < N; ++i) y[i] = std::clamp(x[i], n.mult[0], std::max(n.mult[0], n.mult[1]));
    } else if (op == "MaxPool" || op == "GlobalMaxPool" || op == "AveragePool" || op == "GlobalAveragePool") {
      kern::PoolParams p{};
      Shape ys;
      ZK_TRY(pool_setup(as_node(n), xs, p, ys));
      bool is_max = op == "MaxPool" || op == "GlobalMaxPool";
      std::vector<int64_t> cnt(static_cast<size_t>(N));
      kern::pool2d<int64_t>(p, is_max, x.data(), y.data(), cnt.data());
      if (!is_max)
        for (int64_t i = 0; i < N; ++i) y[i] = clamp(requant(y[i] * n.mult[i], n.shift));
    } else if (op == "ReduceMean" || op == "ReduceSum") {
      auto idx = reduce_index(n, xs);
      if (idx.size() != x.size() || (!idx.empty() && *std::max_element(idx.begin(), idx.end()) >= N))
        return qerr(n, "axes do not match the output shape");
      if (op == "ReduceMean" && n.mult.size() != 1) return qerr(n, "expected one multiplier");
      std::vector<int64_t> acc(static_cast<size_t>(N), 0);
      for (size_t i = 0; i < idx.size(); ++i) acc[idx[i]] += x[i];
      for (int64_t i = 0; i < N; ++i)
        y[i] = clamp(requant(op == "ReduceMean" ? acc[i] * n.mult[0] : acc[i], n.shift));
    } else if (op == "Conv" || op == "ConvTranspose") {
      kern::ConvParams p{};
      const QTensor& w = m.tensors[n.inputs[1]];
      ZK_TRY(conv_setup(as_node(n), xs, w.shape, p));
      const int64_t* b = n.inputs.size() > 2 ? m.tensors[n.inputs[2]].data.data() : nullptr;
      if (op == "Conv") kern::conv2d<int64_t>(p, x.data(), w.data.data(), b, y.data());
      else kern::conv_transpose2d<int64_t>(p, x.data(), w.data.data(), b, y.data());
      for (auto& v : y) v = clamp(requant(v, n.shift));
    } else if (op == "Gemm") {
      const QTensor& w = m.tensors[n.inputs[1]];
      int64_t M = xs[0], K = xs[1], Nn = w.shape[1];
      for (int64_t i = 0; i < M; ++i)
        for (int64_t kk = 0; kk < K; ++kk) {
          int64_t a = x[i * K + kk];
          if (a == 0) continue;
          for (int64_t j = 0; j < Nn; ++j) y[i * Nn + j] += a * w.data[kk * Nn + j];
        }
      if (n.inputs.size() > 2) {
        const QTensor& c = m.tensors[n.inputs[2]];
        auto ci = kern::broadcast_index(c.shape, ot.shape);
        for (int64_t i = 0; i < N; ++i) y[i] += c.data[ci[i]];
      }
      for (auto& v : y) v = clamp(requant(v, n.shift));
    } else if (op == "MatMul") {
      const QTensor &ta = m.tensors[n.inputs[0]], &tb = m.tensors[n.inputs[1]];
      Shape as = ta.shape, bs = tb.shape, ys = ot.shape;
      if (as.size() == 1) as.insert(as.begin(), 1), ys.insert(ys.end() - (bs.size() == 1 ? 0 : 1), 1);
      if (bs.size() == 1) bs.push_back(1), ys.push_back(1);
      kern::matmul<int64_t>(as, val(n.inputs[0]).data(), bs, val(n.inputs[1]).data(), ys, y.data());
      for (auto& v : y) v = clamp(requant(v, n.shift));
    } else if (op == "Add" || op == "Sub" || op == "Sum") {
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        auto bi = kern::broadcast_index(m.tensors[n.inputs[i]].shape, ot.shape);
        const auto& v = val(n.inputs[i]);
        int64_t mul = int64_t(1) << n.in_shift[i];
        bool neg = op == "Sub" && i == 1;
        for (int64_t j = 0; j < N; ++j) y[j] += (neg ? -v[bi[j]] : v[bi[j]]) * mul;
      }
      for (auto& v : y) v = clamp(requant(v, n.shift));
    } else if (op == "Mul") {
      auto ia = kern::broadcast_index(m.tensors[n.inputs[0]].shape, ot.shape);
      auto ib = kern::broadcast_index(m.tensors[n.inputs[1]].shape, ot.shape);
      const auto &a = val(n.inputs[0]), &b = val(n.inputs[1]);
      for (int64_t j = 0; j < N; ++j) y[j] = clamp(requant(a[ia[j]] * b[ib[j]], n.shift));
    } else if (op == "Div") {
      // q = round(a * 2^k / b) with ties up: floor((2 num + den) / (2 den)), den > 0.
      auto ia = kern::broadcast_index(m.tensors[n.inputs[0]].shape, ot.shape);
      auto ib = kern::broadcast_index(m.tensors[n.inputs[1]].shape, ot.shape);
      const auto &a = val(n.inputs[0]), &b = val(n.inputs[1]);
      int k = static_cast<int>(n.aux);
      for (int64_t j = 0; j < N; ++j) {
        i128 num = i128(a[ia[j]]) << std::max(k, 0), den = i128(b[ib[j]]) << std::max(-k, 0);
        if (den == 0) {
          y[j] = clamp(num > 0 ? INT64_MAX : num < 0 ? INT64_MIN : 0);
          if (num == 0) ++clamp.sat;
          continue;
        }
        if (den < 0) num = -num, den = -den;
        i128 t = 2 * num + den, d2 = 2 * den;
        i128 qv = t / d2 - ((t % d2 != 0) && (t < 0) ? 1 : 0);
        y[j] = clamp(qv > INT64_MAX ? INT64_MAX : qv < INT64_MIN ? INT64_MIN : static_cast<int64_t>(qv));
      }
    } else if (op == "LeakyRelu" || op == "PRelu") {
      for (int64_t j = 0; j < N; ++j) {
        int64_t sl = n.mult.size() == 1 ? n.mult[0] : n.mult[j];
        y[j] = clamp(requant(x[j] >= 0 ? x[j] * (int64_t(1) << 16) : x[j] * sl, n.shift));
      }
    } else if (n.table >= 0 && op != "Softmax") {
      const QTable& t = m.tables[n.table];
      int64_t hi_i = t.in_lo + static_cast<int64_t>(t.values.size()) - 1;
      for (int64_t j = 0; j < N; ++j) y[j] = t.values[std::clamp(x[j], t.in_lo, hi_i) - t.in_lo];
    } else if (op == "Softmax") {
      const QTable& t = m.tables[n.table];
      int64_t outer, len, inner;
      softmax_layout(as_node(n), xs, m.opset, outer, len, inner);
      int fo = static_cast<int>(n.aux);
      std::vector<int64_t> e(static_cast<size_t>(len));
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in) {
          auto at = [&](int64_t j) { return (o * len + j) * inner + in; };
          int64_t mx = x[at(0)];
          for (int64_t j = 1; j < len; ++j) mx = std::max(mx, x[at(j)]);
          int64_t S = 0;
          for (int64_t j = 0; j < len; ++j) {
            int64_t d = x[at(j)] - mx;
            e[j] = d < t.in_lo ? 0 : t.values[d - t.in_lo];
            S += e[j];
          }
          for (int64_t j = 0; j < len; ++j) {
            i128 num = (i128(e[j]) << (fo + 1)) + S;
            y[at(j)] = clamp(static_cast<int64_t>(num / (2 * i128(S))));
          }
        }
    } else if (op == "LayerNormalization") {
      // z = (n x - sum x) / sqrt(V / n) with V = sum (n x - sum x)^2 + eps n^3 2^(2 fx):
      // R = round(2^fr sqrt(n / V)), z_q = round(d' R / 2^(fr - fz)), y = requant(z_q G + B).
      const QTensor &gt = m.tensors[n.inputs[1]], &bt = m.tensors[n.inputs[2]];
      int64_t len = numel(gt.shape), outer = N / len;
      int fz = static_cast<int>(n.aux), fr = 40;
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t* r = x.data() + o * len;
        i128 sum = 0, V = n.mult[0];
        for (int64_t j = 0; j < len; ++j) sum += r[j];
        for (int64_t j = 0; j < len; ++j) {
          i128 d = i128(len) * r[j] - sum;
          V += d * d;
        }
        if (V <= 0) V = 1;
        i128 R = (fixmath::isqrt((i128(len) << (2 * fr + 2)) / V) + 1) >> 1;
        for (int64_t j = 0; j < len; ++j) {
          i128 d = i128(len) * r[j] - sum;
          i128 z = fixmath::round_shift(d * R, fr - fz);
          i128 acc = z * gt.data[j] + bt.data[j];
          y[o * len + j] = clamp(static_cast<int64_t>(fixmath::round_shift(acc, n.shift)));
        }
      }
    } else {
      return qerr(n, "not supported by the integer executor");
    }
    run.saturations += clamp.sat;
    run.node_saturations[k] += clamp.sat;
  }
  return {};
}

Result<IntRun> quantize_inputs(const QModel& m, const std::vector<Tensor>& inputs) {
  if (inputs.size() != m.inputs.size())
    return make_error("expected " + std::to_string(m.inputs.size()) + " inputs, got " + std::to_string(inputs.size()));
  IntRun run;
  run.values.resize(m.tensors.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const QTensor& t = m.tensors[m.inputs[i]];
    if (inputs[i].data.size() != static_cast<size_t>(numel(t.shape)))
      return make_error("input '" + t.name + "' has " + std::to_string(inputs[i].data.size()) +
                        " elements, the model expects " + shape_str(t.shape));
    auto& v = run.values[m.inputs[i]];
    v.resize(inputs[i].data.size());
    for (size_t j = 0; j < v.size(); ++j) {
      bool sat = false;
      v[j] = quantize_value(inputs[i].data[j], t.scale, m.act_lo(), m.act_hi(), &sat);
      run.saturations += sat;
    }
  }
  return run;
}

Result<IntRun> run_int(const QModel& m, const std::vector<Tensor>& inputs) {
  auto run = quantize_inputs(m, inputs);
  if (!run.ok()) return run;
  ZK_TRY(run_int_range(m, 0, m.nodes.size(), *run));
  return run;
}

std::vector<Tensor> dequantize_outputs(const QModel& m, const IntRun& run) {
  std::vector<Tensor> out;
  for (int o : m.outputs) {
    const QTensor& t = m.tensors[o];
    Tensor x{t.shape, {}};
    for (int64_t v : run.values[o]) x.data.push_back(std::ldexp(static_cast<double>(v), -t.scale));
    out.push_back(std::move(x));
  }
  return out;
}

// ---- static range analysis (rule 5) ----

namespace {

// `in` broadcasts to `out` (numpy rules): the executor's broadcast_index reads it so.
bool broadcasts_to(const Shape& in, const Shape& out) {
  Shape r;
  return kern::broadcast_shape(in, out, r) && r == out;
}

// One node's shapes and parameters against what run_int_range does with them.
Status check_node(const QModel& m, const QNode& n) {
  const QTensor& ot = m.tensors[size_t(n.outputs[0])];
  const QTensor& xt = m.tensors[size_t(n.inputs[0])];
  const int64_t N = numel(ot.shape), nx = numel(xt.shape);
  const std::string& op = n.op;
  auto in = [&](size_t i) -> const QTensor& { return m.tensors[size_t(n.inputs[i])]; };
  auto shift_ok = [](int64_t s, int64_t lo, int64_t hi) { return s >= lo && s <= hi; };
  if (!n.gather.empty() || is_layout_op(op)) {
    int64_t src = nx;
    if (op == "Concat") {
      if (n.in_shift.size() != n.inputs.size()) return qerr(n, "needs one input shift per input");
      src = 0;
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (!shift_ok(n.in_shift[i], -62, 62)) return qerr(n, "has an input shift out of range");
        src += numel(in(i).shape);
      }
    }
    if (static_cast<int64_t>(n.gather.size()) != N) return qerr(n, "its gather map does not cover its output");
    for (int64_t g : n.gather)
      if (g >= src) return qerr(n, "its gather map reads past its input");
    return {};
  }
  auto same_size = [&]() -> Status {
    if (nx != N) return qerr(n, "input and output sizes differ");
    return {};
  };
  if (op == "Relu" || op == "Abs" || op == "Neg") return same_size();
  if (op == "Clip") {
    if (n.mult.size() < 2) return qerr(n, "needs its two bounds");
    return same_size();
  }
  if (op == "MaxPool" || op == "GlobalMaxPool" || op == "AveragePool" || op == "GlobalAveragePool") {
    kern::PoolParams p{};
    Shape ys;
    ZK_TRY(pool_setup(as_node(n), xt.shape, p, ys));
    if (ys != ot.shape) return qerr(n, "output shape does not match the pooling");
    if ((op == "AveragePool" || op == "GlobalAveragePool") && static_cast<int64_t>(n.mult.size()) != N)
      return qerr(n, "needs one multiplier per output");
    return {};
  }
  if (op == "ReduceMean" || op == "ReduceSum") {
    Shape ks;
    if (!reduce_kept(n, xt.shape, ks)) return qerr(n, "axis out of range");
    if (numel(ks) != N) return qerr(n, "output size does not match the reduction");
    if (op == "ReduceMean" && n.mult.size() != 1) return qerr(n, "expected one multiplier");
    return {};
  }
  if (op == "Conv" || op == "ConvTranspose") {
    if (n.inputs.size() < 2 || !in(1).is_const) return qerr(n, "needs constant weights");
    kern::ConvParams p{};
    ZK_TRY(conv_setup(as_node(n), xt.shape, in(1).shape, p));
    if (p.M < 1 || p.N * p.M * p.OH * p.OW != N || ot.shape.size() != xt.shape.size() || ot.shape[0] != p.N ||
        ot.shape[1] != p.M)
      return qerr(n, "output shape does not match the convolution");
    if (op == "ConvTranspose" && in(1).shape[0] * in(1).shape[1] < 1) return qerr(n, "has empty weights");
    if (n.inputs.size() > 2 && (!in(2).is_const || numel(in(2).shape) != p.M))
      return qerr(n, "needs a constant bias per output channel");
    return {};
  }
  if (op == "Gemm") {
    if (n.inputs.size() < 2 || !in(1).is_const || xt.shape.size() != 2 || in(1).shape.size() != 2 ||
        in(1).shape[0] != xt.shape[1] || ot.shape != Shape{xt.shape[0], in(1).shape[1]} || in(1).shape[1] < 1)
      return qerr(n, "input, weight and output shapes do not fit");
    if (n.inputs.size() > 2 && (!in(2).is_const || !broadcasts_to(in(2).shape, ot.shape)))
      return qerr(n, "needs a constant bias that broadcasts to its output");
    return {};
  }
  if (op == "MatMul") {
    if (n.inputs.size() < 2) return qerr(n, "needs two inputs");
    Shape as = xt.shape, bs = in(1).shape, ys = ot.shape;
    if (as.empty() || bs.empty()) return qerr(n, "has a scalar operand");
    if (as.size() == 1) as.insert(as.begin(), 1), ys.insert(ys.end() - (bs.size() == 1 ? 0 : 1), 1);
    if (bs.size() == 1) bs.push_back(1), ys.push_back(1);
    Shape batch;
    if (ys.size() < 2 || as.back() != bs[bs.size() - 2] || ys[ys.size() - 2] != as[as.size() - 2] ||
        ys.back() != bs.back() ||
        !kern::broadcast_shape(Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2), batch) ||
        batch != Shape(ys.begin(), ys.end() - 2) || ys[ys.size() - 2] * ys.back() < 1)
      return qerr(n, "operand and output shapes do not fit");
    return {};
  }
  if (op == "Add" || op == "Sub" || op == "Sum" || op == "Mul" || op == "Div") {
    const bool two = op != "Sum" && op != "Add";
    if (two && n.inputs.size() < 2) return qerr(n, "needs two inputs");
    if ((op == "Add" || op == "Sub" || op == "Sum") && n.in_shift.size() != n.inputs.size())
      return qerr(n, "needs one input shift per input");
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!broadcasts_to(in(i).shape, ot.shape)) return qerr(n, "an input does not broadcast to its output");
      if (i < n.in_shift.size() && (op == "Add" || op == "Sub" || op == "Sum") && !shift_ok(n.in_shift[i], 0, 62))
        return qerr(n, "has an input shift out of range");
    }
    if (op == "Div" && !shift_ok(n.aux, -62, 62)) return qerr(n, "has a scale shift out of range");
    return {};
  }
  if (op == "LeakyRelu" || op == "PRelu") {
    if (n.mult.size() != 1 && static_cast<int64_t>(n.mult.size()) != N) return qerr(n, "needs one slope or one per output");
    return same_size();
  }
  if (op == "Softmax") {
    if (n.table < 0 || xt.shape != ot.shape || xt.shape.empty()) return qerr(n, "needs its table and equal shapes");
    const QTable& t = m.tables[size_t(n.table)];
    if (t.in_lo > 0 || t.in_lo + static_cast<int64_t>(t.values.size()) <= 0) return qerr(n, "its table does not hold 0");
    if (!shift_ok(n.aux, 0, 62)) return qerr(n, "has an output scale out of range");
    const int64_t rank = static_cast<int64_t>(xt.shape.size());
    auto axis = n.attrs.count("axis") ? n.attrs.at("axis").i : (m.opset < 13 ? 1 : -1);
    if (axis < -rank || axis >= rank) return qerr(n, "axis out of range");
    return {};
  }
  if (op == "LayerNormalization") {
    if (n.inputs.size() < 3 || !in(1).is_const || !in(2).is_const || n.mult.empty()) return qerr(n, "needs constant scale and bias");
    const int64_t len = numel(in(1).shape);
    if (len < 1 || numel(in(2).shape) != len || N % len != 0) return qerr(n, "scale and bias do not fit its rows");
    if (!shift_ok(n.aux, 0, 40)) return qerr(n, "has a normalised scale out of range");
    return same_size();
  }
  if (n.table >= 0) return same_size();
  return qerr(n, "not supported by the integer executor");
}

}  // namespace

Status check_structure(const QModel& m) {
  const size_t nt = m.tensors.size();
  auto index_ok = [&](int t) { return t >= 0 && static_cast<size_t>(t) < nt; };
  std::vector<char> ready(nt, 0);
  for (size_t t = 0; t < nt; ++t) ready[t] = m.tensors[t].is_const;
  for (int i : m.inputs) {
    if (!index_ok(i) || m.tensors[size_t(i)].is_const) return make_error("a graph input is not an activation tensor");
    ready[size_t(i)] = 1;
  }
  // Each constant belongs to one node (quantize gives every node its own copies): the
  // slice planner lays a constant out for the node that reads it.
  std::vector<const QNode*> owner(nt, nullptr);
  for (const QNode& n : m.nodes) {
    if (n.inputs.empty() || n.outputs.size() != 1) return qerr(n, "needs inputs and one output");
    for (int i : n.inputs) {
      if (!index_ok(i)) return qerr(n, "has an input index out of range");
      if (!ready[size_t(i)]) return qerr(n, "reads '" + m.tensors[size_t(i)].name + "' before it is computed");
      if (m.tensors[size_t(i)].is_const) {
        if (owner[size_t(i)] && owner[size_t(i)] != &n)
          return qerr(n, "reads the constant '" + m.tensors[size_t(i)].name + "' of another node");
        owner[size_t(i)] = &n;
      }
    }
    const int o = n.outputs[0];
    if (!index_ok(o) || ready[size_t(o)]) return qerr(n, "does not write a tensor of its own");
    if (n.table >= static_cast<int>(m.tables.size()))
      return qerr(n, "has a table index out of range");
    if (n.shift < -62 || n.shift > 62) return qerr(n, "has a shift out of range");
    ZK_TRY(check_node(m, n));
    ready[size_t(o)] = 1;
  }
  for (int o : m.outputs)
    if (!index_ok(o) || !ready[size_t(o)]) return make_error("a graph output is never computed");
  return {};
}

double weight_l1_max(const QNode& n, const QTensor& w) {
  if (w.withheld) return w.l1_max;
  // Weight i feeds output channel (i / per) % channels: Conv [M, C/g, kh, kw],
  // ConvTranspose [C, M/g, kh, kw], Gemm [K, N].
  const int64_t total = numel(w.shape);
  const int64_t channels = n.op == "Conv" ? w.shape[0] : w.shape[1];
  const int64_t per = n.op == "Conv" ? total / channels : n.op == "ConvTranspose" ? total / (w.shape[0] * channels) : 1;
  std::vector<double> s(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < total; ++i) s[static_cast<size_t>((i / per) % channels)] += std::fabs(double(w.data[size_t(i)]));
  return s.empty() ? 0.0 : *std::max_element(s.begin(), s.end());
}

Status range_analysis(QModel& m) {
  const double kLimit = std::ldexp(1.0, 62);
  double qmax = std::ldexp(1.0, m.cfg.act_bits - 1);
  std::vector<double> bound(m.tensors.size(), 0.0);  // max |q| per tensor
  for (size_t t = 0; t < m.tensors.size(); ++t) {
    auto& T = m.tensors[t];
    if (T.is_const) {
      bound[t] = T.withheld ? static_cast<double>(T.abs_max) : 0.0;
      for (int64_t v : T.data) bound[t] = std::max(bound[t], std::fabs(static_cast<double>(v)));
    } else {
      bound[t] = qmax;  // inputs are range-checked; outputs are refined below
    }
  }
  for (auto& n : m.nodes) {
    double X = bound[n.inputs[0]];
    double acc = -1;  // < 0: no requantization in this node
    const std::string& op = n.op;
    const Shape& xs = m.tensors[n.inputs[0]].shape;
    double out_b = X;
    if (op == "Conv" || op == "ConvTranspose" || op == "Gemm") {
      double bmax = n.inputs.size() > 2 ? bound[n.inputs[2]] : 0.0;
      acc = weight_l1_max(n, m.tensors[n.inputs[1]]) * X + bmax;
    } else if (op == "MatMul") {
      acc = static_cast<double>(xs.back()) * X * bound[n.inputs[1]];
    } else if (op == "Mul") {
      acc = X * bound[n.inputs[1]];
    } else if (op == "Add" || op == "Sub" || op == "Sum") {
      acc = 0;
      for (size_t i = 0; i < n.inputs.size(); ++i) acc += std::ldexp(bound[n.inputs[i]], n.in_shift[i]);
    } else if (op == "Div") {
      int k = static_cast<int>(n.aux);
      acc = 2 * std::ldexp(X, std::max(k, 0)) + std::ldexp(bound[n.inputs[1]], std::max(-k, 0));
    } else if (op == "LeakyRelu" || op == "PRelu") {
      double sl = 65536;
      for (auto v : n.mult) sl = std::max(sl, std::fabs(double(v)));
      acc = X * sl;
    } else if (op == "AveragePool" || op == "GlobalAveragePool" || op == "ReduceMean") {
      double mm = 0;
      for (auto v : n.mult) mm = std::max(mm, double(v));
      double cnt = static_cast<double>(numel(xs)) / static_cast<double>(numel(m.tensors[n.outputs[0]].shape));
      acc = (op == "AveragePool" ? static_cast<double>(n.attrs.count("kernel_shape") ? [&] {
              double k = 1;
              for (auto d : n.attrs.at("kernel_shape").ints) k *= static_cast<double>(d);
              return k;
            }() : 1.0)
                                 : cnt) * X * mm;
    } else if (op == "ReduceSum") {
      acc = static_cast<double>(numel(xs)) / static_cast<double>(numel(m.tensors[n.outputs[0]].shape)) * X;
    } else if (op == "LayerNormalization") {
      double len = static_cast<double>(numel(m.tensors[n.inputs[1]].shape));
      acc = std::sqrt(len) * std::ldexp(1.0, static_cast<int>(n.aux) + 1) * bound[n.inputs[1]] + bound[n.inputs[2]];
    } else if (op == "Softmax") {
      acc = std::ldexp(1.0, m.cfg.exp_bits + static_cast<int>(n.aux) + 1) +
            static_cast<double>(numel(xs)) * std::ldexp(1.0, m.cfg.exp_bits);
      out_b = std::ldexp(1.0, static_cast<int>(n.aux));
    } else if (op == "Relu" || op == "MaxPool" || op == "GlobalMaxPool" || op == "Clip") {
      out_b = X;
    } else if (op == "Concat") {
      out_b = 0;
      for (int i : n.inputs) out_b = std::max(out_b, bound[i]);
    } else if (n.table >= 0) {
      out_b = 0;
      for (auto v : m.tables[n.table].values) out_b = std::max(out_b, std::fabs(double(v)));
    }
    n.acc_bound = std::max(acc, 0.0);
    if (acc >= 0) {
      int s = n.shift;
      double half = s > 0 ? std::ldexp(1.0, s - 1) : 0.0;
      if (acc + half >= kLimit * (1 - 1e-12))
        return make_error("range analysis refuses " + op + " node '" + n.name + "': |acc| can reach 2^" +
                          std::to_string(std::log2(acc + half)) + " (limit 2^62)");
      if (s > 0 && std::ldexp(qmax, s) > kLimit)
        return make_error("range analysis refuses " + op + " node '" + n.name + "': shift " + std::to_string(s) +
                          " times Q_max exceeds 2^62");
      out_b = std::min(qmax, std::ceil(std::ldexp(acc, -s)) + 1);
    }
    bound[n.outputs[0]] = std::min(out_b, qmax);
    auto& ot = m.tensors[n.outputs[0]];
    ot.hi = static_cast<int64_t>(bound[n.outputs[0]]);
    ot.lo = -ot.hi;
  }
  return {};
}

}  // namespace zks::model
