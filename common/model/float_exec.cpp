#include "model/float_exec.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

#include "model/kernels.hpp"

namespace zks::model {

namespace kern {
bool broadcast_shape(const Shape& a, const Shape& b, Shape& out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

std::vector<int64_t> broadcast_index(const Shape& in, const Shape& out) {
  int64_t n = numel(out);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  size_t r = out.size(), off = r - in.size();
  std::vector<int64_t> stride(r, 0);
  int64_t s = 1;
  for (size_t d = r; d-- > off;) {
    stride[d] = in[d - off] == 1 ? 0 : s;
    s *= in[d - off];
  }
  std::vector<int64_t> c(r, 0);
  int64_t pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    idx[i] = pos;
    for (size_t d = r; d-- > 0;) {
      ++c[d];
      pos += stride[d];
      if (c[d] < out[d]) break;
      pos -= stride[d] * out[d];
      c[d] = 0;
    }
  }
  return idx;
}
}  // namespace kern

namespace {

const std::set<std::string>& layout_ops() {
  static const std::set<std::string> s = {"Reshape", "Flatten", "Transpose", "Concat", "Slice",
                                          "Pad", "Squeeze", "Unsqueeze", "Identity", "Dropout",
                                          "Resize", "Upsample", "Gather", "Expand", "Cast"};
  return s;
}

const std::set<std::string>& unary_ops() {
  static const std::set<std::string> s = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Erf",
                                          "Elu", "Softplus", "Softsign", "HardSigmoid",
                                          "HardSwish", "Sqrt", "Exp", "Abs", "Neg", "Reciprocal",
                                          "Gelu", "Clip", "Floor", "Ceil", "Selu", "Log"};
  return s;
}

const std::set<std::string>& other_ops() {
  static const std::set<std::string> s = {
      "Add", "Sub", "Mul", "Div", "Pow", "PRelu", "MatMul", "Gemm", "Conv", "ConvTranspose",
      "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum",
      "Softmax", "LayerNormalization", "BatchNormalization", "Shape", "ConstantOfShape", "Sum"};
  return s;
}

Error err(const Node& n, const std::string& what) {
  return make_error(n.op + " node '" + n.name + "': " + what);
}

int64_t norm_axis(int64_t a, size_t rank) { return a < 0 ? a + static_cast<int64_t>(rank) : a; }

std::vector<int64_t> ints_of(const Tensor& t) {
  std::vector<int64_t> v(t.data.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(t.data[i]);
  return v;
}

const Tensor* opt_in(const std::vector<const Tensor*>& in, size_t i) {
  return i < in.size() ? in[i] : nullptr;
}

double unary_fn(const Node& n, double x) {
  const std::string& op = n.op;
  if (op == "Relu") return x > 0 ? x : 0;
  if (op == "LeakyRelu") return x >= 0 ? x : x * n.attr_f("alpha", 0.01);
  if (op == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (op == "Tanh") return std::tanh(x);
  if (op == "Erf") return std::erf(x);
  if (op == "Elu") return x >= 0 ? x : n.attr_f("alpha", 1.0) * (std::exp(x) - 1);
  if (op == "Selu")
    return n.attr_f("gamma", 1.0507009873554805) *
           (x > 0 ? x : n.attr_f("alpha", 1.6732632423543772) * (std::exp(x) - 1));
  if (op == "Softplus") return x > 30 ? x : std::log1p(std::exp(x));
  if (op == "Softsign") return x / (1 + std::fabs(x));
  if (op == "HardSigmoid")
    return std::clamp(n.attr_f("alpha", 0.2) * x + n.attr_f("beta", 0.5), 0.0, 1.0);
  if (op == "HardSwish") return x * std::clamp(x / 6 + 0.5, 0.0, 1.0);
  if (op == "Sqrt") return std::sqrt(x);
  if (op == "Exp") return std::exp(x);
  if (op == "Log") return std::log(x);
  if (op == "Abs") return std::fabs(x);
  if (op == "Neg") return -x;
  if (op == "Reciprocal") return 1.0 / x;
  if (op == "Floor") return std::floor(x);
  if (op == "Ceil") return std::ceil(x);
  if (op == "Gelu") {
    if (n.attr_s("approximate", "none") == "tanh")
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  }
  return x;
}

double binary_fn(const std::string& op, double a, double b) {
  if (op == "Add" || op == "Sum") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") return a / b;
  if (op == "Pow") return std::pow(a, b);
  if (op == "PRelu") return a >= 0 ? a : a * b;
  return 0;
}

Status eval_binary(const Node& n, const Tensor& a, Tensor b, Tensor& y) {
  if (n.op == "PRelu" && b.shape.size() == 1 && a.shape.size() >= 3 && b.shape[0] == a.shape[1] &&
      b.shape[0] != a.shape.back()) {
    b.shape.resize(a.shape.size() - 1, 1);  // per-channel slope given as [C]
  }
  if (!kern::broadcast_shape(a.shape, b.shape, y.shape))
    return err(n, "shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not broadcast");
  auto ia = kern::broadcast_index(a.shape, y.shape), ib = kern::broadcast_index(b.shape, y.shape);
  y.data.resize(ia.size());
  for (size_t i = 0; i < ia.size(); ++i) y.data[i] = binary_fn(n.op, a.data[ia[i]], b.data[ib[i]]);
  return {};
}

Status conv_params(const Node& n, const Shape& xs, const Shape& ws, bool transpose,
                   kern::ConvParams& p) {
  if (xs.size() != 4 || ws.size() != 4) return err(n, "only 1-D and 2-D convolutions are supported");
  auto k = n.attr_ints("kernel_shape", {ws[2], ws[3]});
  auto st = n.attr_ints("strides", {1, 1});
  auto dl = n.attr_ints("dilations", {1, 1});
  auto pads = n.attr_ints("pads", {0, 0, 0, 0});
  int64_t g = n.attr_i("group", 1);
  if (k.size() != 2 || st.size() != 2 || dl.size() != 2 || pads.size() != 4 || g < 1)
    return err(n, "bad kernel_shape/strides/dilations/pads/group");
  p.N = xs[0];
  p.C = xs[1];
  p.H = xs[2];
  p.W = xs[3];
  p.KH = ws[2];
  p.KW = ws[3];
  p.sh = st[0];
  p.sw = st[1];
  p.dh = dl[0];
  p.dw = dl[1];
  p.group = g;
  if (p.sh < 1 || p.sw < 1 || p.dh < 1 || p.dw < 1) return err(n, "bad strides or dilations");
  std::string ap = n.attr_s("auto_pad", "NOTSET");
  if (!transpose) {
    p.M = ws[0];
    if (p.C % g != 0 || p.M % g != 0 || ws[1] * g != p.C)
      return err(n, "weight shape " + shape_str(ws) + " does not match input " + shape_str(xs));
    int64_t ekh = (p.KH - 1) * p.dh + 1, ekw = (p.KW - 1) * p.dw + 1;
    if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      p.OH = (p.H + p.sh - 1) / p.sh;
      p.OW = (p.W + p.sw - 1) / p.sw;
      int64_t th = std::max<int64_t>(0, (p.OH - 1) * p.sh + ekh - p.H);
      int64_t tw = std::max<int64_t>(0, (p.OW - 1) * p.sw + ekw - p.W);
      p.pt = ap == "SAME_UPPER" ? th / 2 : th - th / 2;
      p.pl = ap == "SAME_UPPER" ? tw / 2 : tw - tw / 2;
    } else {
      if (ap == "VALID") pads = {0, 0, 0, 0};
      p.pt = pads[0];
      p.pl = pads[1];
      p.OH = (p.H + pads[0] + pads[2] - ekh) / p.sh + 1;
      p.OW = (p.W + pads[1] + pads[3] - ekw) / p.sw + 1;
    }
  } else {
    p.M = ws[1] * g;
    if (ws[0] != p.C || p.C % g != 0)
      return err(n, "weight shape " + shape_str(ws) + " does not match input " + shape_str(xs));
    auto op = n.attr_ints("output_padding", {0, 0});
    if (op.size() != 2) return err(n, "bad output_padding");
    if (ap != "NOTSET" && ap != "VALID") return err(n, "auto_pad " + ap + " is not supported");
    int64_t th = p.sh * (p.H - 1) + op[0] + (p.KH - 1) * p.dh + 1;
    int64_t tw = p.sw * (p.W - 1) + op[1] + (p.KW - 1) * p.dw + 1;
    if (n.has("output_shape")) {
      auto os = n.attr_ints("output_shape");
      if (os.size() != 2) return err(n, "bad output_shape");
      int64_t ph = th - os[0], pw = tw - os[1];
      pads = {ph / 2, pw / 2, ph - ph / 2, pw - pw / 2};
    }
    p.pt = pads[0];
    p.pl = pads[1];
    p.OH = th - pads[0] - pads[2];
    p.OW = tw - pads[1] - pads[3];
  }
  if (p.OH < 1 || p.OW < 1) return err(n, "empty output");
  return {};
}

Status eval_conv(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  if (in.size() < 2 || !in[0] || !in[1]) return err(n, "needs X and W");
  const Tensor &x = *in[0], &w = *in[1];
  const bool one_d = x.shape.size() == 3;  // conv_setup lifts 1-D to 2-D (H = 1)
  kern::ConvParams p{};
  const bool tr = n.op == "ConvTranspose";
  ZK_TRY(conv_setup(n, x.shape, w.shape, p));
  const Tensor* b = opt_in(in, 2);
  if (b && static_cast<int64_t>(b->data.size()) != p.M) return err(n, "bias size mismatch");
  y.shape = {p.N, p.M, p.OH, p.OW};
  y.data.assign(static_cast<size_t>(numel(y.shape)), 0.0);
  if (tr)
    kern::conv_transpose2d<double>(p, x.data.data(), w.data.data(), b ? b->data.data() : nullptr, y.data.data());
  else
    kern::conv2d<double>(p, x.data.data(), w.data.data(), b ? b->data.data() : nullptr, y.data.data());
  if (one_d) y.shape.erase(y.shape.begin() + 2);
  return {};
}

Status pool_params(const Node& n, const Shape& xs0, kern::PoolParams& p, Shape& ys) {
  Shape xs = xs0;
  bool one_d = xs.size() == 3;
  if (one_d) xs.insert(xs.begin() + 2, 1);
  if (xs.size() != 4) return err(n, "only 1-D and 2-D pooling is supported");
  p.N = xs[0];
  p.C = xs[1];
  p.H = xs[2];
  p.W = xs[3];
  bool global = n.op.rfind("Global", 0) == 0;
  std::vector<int64_t> k, st, dl, pads;
  if (global) {
    k = {p.H, p.W};
    st = {1, 1};
    dl = {1, 1};
    pads = {0, 0, 0, 0};
  } else {
    k = n.attr_ints("kernel_shape");
    st = n.attr_ints("strides", std::vector<int64_t>(k.size(), 1));
    dl = n.attr_ints("dilations", std::vector<int64_t>(k.size(), 1));
    pads = n.attr_ints("pads", std::vector<int64_t>(2 * k.size(), 0));
    if (one_d) {
      if (k.size() != 1) return err(n, "a 1-D input needs a 1-D kernel_shape");
      k.insert(k.begin(), 1);
      st.insert(st.begin(), 1);
      dl.insert(dl.begin(), 1);
      if (pads.size() == 2) pads = {0, pads[0], 0, pads[1]};
    }
  }
  if (k.size() != 2 || st.size() != 2 || dl.size() != 2 || pads.size() != 4)
    return err(n, "bad kernel_shape/strides/pads");
  p.KH = k[0];
  p.KW = k[1];
  p.sh = st[0];
  p.sw = st[1];
  p.dh = dl[0];
  p.dw = dl[1];
  if (p.sh < 1 || p.sw < 1 || p.KH < 1 || p.KW < 1) return err(n, "bad kernel or strides");
  p.count_include_pad = n.attr_i("count_include_pad", 0) != 0;
  std::string ap = n.attr_s("auto_pad", "NOTSET");
  int64_t ekh = (p.KH - 1) * p.dh + 1, ekw = (p.KW - 1) * p.dw + 1;
  if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    p.OH = (p.H + p.sh - 1) / p.sh;
    p.OW = (p.W + p.sw - 1) / p.sw;
    int64_t th = std::max<int64_t>(0, (p.OH - 1) * p.sh + ekh - p.H);
    int64_t tw = std::max<int64_t>(0, (p.OW - 1) * p.sw + ekw - p.W);
    p.pt = ap == "SAME_UPPER" ? th / 2 : th - th / 2;
    p.pl = ap == "SAME_UPPER" ? tw / 2 : tw - tw / 2;
    p.pb = th - p.pt;
    p.pr = tw - p.pl;
  } else {
    if (ap == "VALID") pads = {0, 0, 0, 0};
    p.pt = pads[0];
    p.pl = pads[1];
    p.pb = pads[2];
    p.pr = pads[3];
    bool ceil_mode = n.attr_i("ceil_mode", 0) != 0;
    auto outsz = [&](int64_t in, int64_t pa, int64_t pb, int64_t ek, int64_t s) {
      int64_t span = in + pa + pb - ek;
      int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
      if (ceil_mode && (o - 1) * s >= in + pa) --o;
      return o;
    };
    p.OH = outsz(p.H, p.pt, p.pb, ekh, p.sh);
    p.OW = outsz(p.W, p.pl, p.pr, ekw, p.sw);
  }
  if (p.OH < 1 || p.OW < 1) return err(n, "empty output");
  ys = {p.N, p.C, p.OH, p.OW};
  if (one_d) ys.erase(ys.begin() + 2);
  return {};
}

std::vector<int64_t> reduce_axes(const Node& n, const std::vector<const Tensor*>& in, size_t rank,
                                 int64_t opset) {
  std::vector<int64_t> axes = n.attr_ints("axes");
  if (const Tensor* t = opt_in(in, 1)) axes = ints_of(*t);
  if (axes.empty() && n.attr_i("noop_with_empty_axes", 0) == 0)
    for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
  for (auto& a : axes) a = norm_axis(a, rank);
  std::sort(axes.begin(), axes.end());
  return axes;
}

Status eval_reduce(const Node& n, const std::vector<const Tensor*>& in, Tensor& y, int64_t opset) {
  const Tensor& x = *in[0];
  auto axes = reduce_axes(n, in, x.shape.size(), opset);
  std::vector<char> red(x.shape.size(), 0);
  for (auto a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(x.shape.size())) return err(n, "axis out of range");
    red[a] = 1;
  }
  bool keep = n.attr_i("keepdims", 1) != 0;
  Shape ks;
  for (size_t d = 0; d < x.shape.size(); ++d) ks.push_back(red[d] ? 1 : x.shape[d]);
  auto idx = kern::broadcast_index(ks, x.shape);
  Tensor r{ks, std::vector<double>(static_cast<size_t>(numel(ks)), 0.0)};
  for (size_t i = 0; i < idx.size(); ++i) r.data[idx[i]] += x.data[i];
  if (n.op == "ReduceMean") {
    double cnt = static_cast<double>(numel(x.shape) / std::max<int64_t>(1, numel(ks)));
    for (auto& v : r.data) v /= cnt;
  }
  y.data = std::move(r.data);
  y.shape.clear();
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (!red[d] || keep) y.shape.push_back(ks[d]);
  return {};
}

// Softmax over [axis, rank) for opset < 13 (coerced to 2-D), over `axis` from 13.
void softmax_groups(const Shape& s, int64_t axis, int64_t opset, int64_t& outer, int64_t& len,
                    int64_t& inner) {
  outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[d];
  if (opset < 13) {
    len = numel(s) / std::max<int64_t>(1, outer);
    inner = 1;
  } else {
    len = s[axis];
    inner = numel(s) / std::max<int64_t>(1, outer * len);
  }
}

Status eval_softmax(const Node& n, const Tensor& x, Tensor& y, int64_t opset) {
  int64_t axis = norm_axis(n.attr_i("axis", opset < 13 ? 1 : -1), x.shape.size());
  if (axis < 0 || axis >= static_cast<int64_t>(x.shape.size())) return err(n, "axis out of range");
  int64_t outer, len, inner;
  softmax_groups(x.shape, axis, opset, outer, len, inner);
  y = x;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) -> double& { return y.data[(o * len + j) * inner + in]; };
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < len; ++j) m = std::max(m, at(j));
      for (int64_t j = 0; j < len; ++j) s += (at(j) = std::exp(at(j) - m));
      for (int64_t j = 0; j < len; ++j) at(j) /= s;
    }
  return {};
}

// Y and, when asked for, the Mean and InvStdDev outputs (shape x.shape[:axis] + 1s).
Status eval_layernorm(const Node& n, const std::vector<const Tensor*>& in, std::vector<Tensor>& out) {
  Tensor& y = out[0];
  const Tensor& x = *in[0];
  int64_t axis = norm_axis(n.attr_i("axis", -1), x.shape.size());
  if (axis < 0 || axis >= static_cast<int64_t>(x.shape.size())) return err(n, "axis out of range");
  double eps = n.attr_f("epsilon", 1e-5);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[d];
  int64_t len = numel(x.shape) / std::max<int64_t>(1, outer);
  const Tensor* g = opt_in(in, 1);
  const Tensor* b = opt_in(in, 2);
  if (!g) return err(n, "needs Scale");
  Shape inner(x.shape.begin() + axis, x.shape.end());
  auto gi = kern::broadcast_index(g->shape, inner);
  std::vector<int64_t> bi;
  if (b) bi = kern::broadcast_index(b->shape, inner);
  y = x;
  Shape stat_shape(x.shape.begin(), x.shape.begin() + axis);
  stat_shape.resize(x.shape.size(), 1);
  for (size_t k = 1; k < out.size() && k < 3; ++k) out[k] = Tensor{stat_shape, std::vector<double>(size_t(outer))};
  for (int64_t o = 0; o < outer; ++o) {
    double* r = y.data.data() + o * len;
    double m = 0, v = 0;
    for (int64_t j = 0; j < len; ++j) m += r[j];
    m /= static_cast<double>(len);
    for (int64_t j = 0; j < len; ++j) v += (r[j] - m) * (r[j] - m);
    v /= static_cast<double>(len);
    double inv = 1.0 / std::sqrt(v + eps);
    if (out.size() > 1) out[1].data[o] = m;
    if (out.size() > 2) out[2].data[o] = inv;
    for (int64_t j = 0; j < len; ++j)
      r[j] = (r[j] - m) * inv * g->data[gi[j]] + (b ? b->data[bi[j]] : 0.0);
  }
  return {};
}

Status eval_batchnorm(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  if (in.size() < 5) return err(n, "needs 5 inputs");
  for (auto* t : in)
    if (!t) return err(n, "missing input");
  const Tensor& x = *in[0];
  if (x.shape.size() < 2) return err(n, "input rank < 2");
  int64_t C = x.shape[1], inner = numel(x.shape) / (x.shape[0] * C);
  for (int i = 1; i < 5; ++i)
    if (static_cast<int64_t>(in[i]->data.size()) != C) return err(n, "parameter size mismatch");
  double eps = n.attr_f("epsilon", 1e-5);
  y = x;
  for (int64_t b = 0; b < x.shape[0]; ++b)
    for (int64_t c = 0; c < C; ++c) {
      double sc = in[1]->data[c] / std::sqrt(in[4]->data[c] + eps);
      double sh = in[2]->data[c] - in[3]->data[c] * sc;
      double* r = y.data.data() + (b * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) r[i] = r[i] * sc + sh;
    }
  return {};
}

Status eval_gemm(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  if (in.size() < 2 || !in[0] || !in[1]) return err(n, "needs A and B");
  const Tensor &a = *in[0], &b = *in[1];
  if (a.shape.size() != 2 || b.shape.size() != 2) return err(n, "A and B must be 2-D");
  bool ta = n.attr_i("transA", 0) != 0, tb = n.attr_i("transB", 0) != 0;
  double alpha = n.attr_f("alpha", 1.0), beta = n.attr_f("beta", 1.0);
  int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  int64_t K2 = tb ? b.shape[1] : b.shape[0], N = tb ? b.shape[0] : b.shape[1];
  if (K != K2) return err(n, "inner dimensions differ: " + shape_str(a.shape) + " x " + shape_str(b.shape));
  y.shape = {M, N};
  y.data.assign(static_cast<size_t>(M * N), 0.0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) {
      double av = ta ? a.data[k * M + m] : a.data[m * K + k];
      for (int64_t j = 0; j < N; ++j) y.data[m * N + j] += av * (tb ? b.data[j * K + k] : b.data[k * N + j]);
    }
  for (auto& v : y.data) v *= alpha;
  if (const Tensor* c = opt_in(in, 2)) {
    Shape bs;
    if (!kern::broadcast_shape(c->shape, y.shape, bs) || bs != y.shape) return err(n, "C does not broadcast");
    auto ci = kern::broadcast_index(c->shape, y.shape);
    for (size_t i = 0; i < ci.size(); ++i) y.data[i] += beta * c->data[ci[i]];
  }
  return {};
}

Status eval_matmul(const Node& n, const Tensor& a0, const Tensor& b0, Tensor& y) {
  Tensor a = a0, b = b0;
  bool va = a.shape.size() == 1, vb = b.shape.size() == 1;
  if (va) a.shape.insert(a.shape.begin(), 1);
  if (vb) b.shape.push_back(1);
  if (a.shape.size() < 2 || b.shape.size() < 2) return err(n, "rank 0 operand");
  if (a.shape.back() != b.shape[b.shape.size() - 2])
    return err(n, "inner dimensions differ: " + shape_str(a0.shape) + " x " + shape_str(b0.shape));
  Shape ba(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2), bo;
  if (!kern::broadcast_shape(ba, bb, bo)) return err(n, "batch dims do not broadcast");
  y.shape = bo;
  y.shape.push_back(a.shape[a.shape.size() - 2]);
  y.shape.push_back(b.shape.back());
  y.data.assign(static_cast<size_t>(numel(y.shape)), 0.0);
  kern::matmul<double>(a.shape, a.data.data(), b.shape, b.data.data(), y.shape, y.data.data());
  if (va) y.shape.erase(y.shape.end() - 2);
  if (vb) y.shape.pop_back();
  return {};
}

// --- layout ops ---

Status eval_transpose(const Node& n, const Tensor& x, Tensor& y) {
  size_t r = x.shape.size();
  std::vector<int64_t> perm = n.attr_ints("perm");
  if (perm.empty())
    for (size_t i = 0; i < r; ++i) perm.push_back(static_cast<int64_t>(r - 1 - i));
  if (perm.size() != r) return err(n, "perm size mismatch");
  std::vector<int64_t> instr(r, 1);
  for (size_t d = r - 1; d-- > 0 && r > 0;) instr[d] = instr[d + 1] * x.shape[d + 1];
  y.shape.resize(r);
  std::vector<int64_t> st(r);
  for (size_t d = 0; d < r; ++d) {
    if (perm[d] < 0 || perm[d] >= static_cast<int64_t>(r)) return err(n, "bad perm");
    y.shape[d] = x.shape[perm[d]];
    st[d] = instr[perm[d]];
  }
  int64_t N = numel(y.shape);
  y.data.resize(static_cast<size_t>(N));
  std::vector<int64_t> c(r, 0);
  int64_t pos = 0;
  for (int64_t i = 0; i < N; ++i) {
    y.data[i] = x.data[pos];
    for (size_t d = r; d-- > 0;) {
      ++c[d];
      pos += st[d];
      if (c[d] < y.shape[d]) break;
      pos -= st[d] * y.shape[d];
      c[d] = 0;
    }
  }
  return {};
}

Status eval_reshape(const Node& n, const std::vector<const Tensor*>& in, Tensor& y, int64_t opset) {
  const Tensor& x = *in[0];
  Shape s;
  const std::string& op = n.op;
  if (op == "Reshape") {
    std::vector<int64_t> t = n.attr_ints("shape");
    if (const Tensor* st = opt_in(in, 1)) t = ints_of(*st);
    int64_t known = 1, neg = -1;
    bool allowzero = n.attr_i("allowzero", 0) != 0;
    for (size_t i = 0; i < t.size(); ++i) {
      int64_t d = t[i];
      if (d == 0 && !allowzero) {
        if (i >= x.shape.size()) return err(n, "0 in shape beyond input rank");
        d = x.shape[i];
      }
      if (d == -1) {
        if (neg >= 0) return err(n, "two -1 in shape");
        neg = static_cast<int64_t>(i);
        s.push_back(1);
        continue;
      }
      if (d < 0) return err(n, "negative dimension in shape");
      s.push_back(d);
      known *= d;
    }
    if (neg >= 0) {
      if (known == 0 || numel(x.shape) % known != 0) return err(n, "cannot infer -1 dimension");
      s[neg] = numel(x.shape) / known;
    }
  } else if (op == "Flatten") {
    int64_t axis = norm_axis(n.attr_i("axis", 1), x.shape.size());
    int64_t a = 1;
    for (int64_t d = 0; d < axis; ++d) a *= x.shape[d];
    s = {a, numel(x.shape) / std::max<int64_t>(1, a)};
  } else if (op == "Squeeze") {
    std::vector<int64_t> axes = n.attr_ints("axes");
    if (const Tensor* t = opt_in(in, 1)) axes = ints_of(*t);
    for (auto& a : axes) a = norm_axis(a, x.shape.size());
    for (size_t d = 0; d < x.shape.size(); ++d) {
      bool sq = axes.empty() ? x.shape[d] == 1
                             : std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
      if (sq && x.shape[d] != 1) return err(n, "squeezing a dimension that is not 1");
      if (!sq) s.push_back(x.shape[d]);
    }
  } else {  // Unsqueeze
    std::vector<int64_t> axes = n.attr_ints("axes");
    if (const Tensor* t = opt_in(in, 1)) axes = ints_of(*t);
    size_t r = x.shape.size() + axes.size();
    for (auto& a : axes) a = norm_axis(a, r);
    std::sort(axes.begin(), axes.end());
    size_t src = 0;
    for (size_t d = 0; d < r; ++d) {
      if (std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end()) s.push_back(1);
      else if (src < x.shape.size()) s.push_back(x.shape[src++]);
      else return err(n, "bad axes");
    }
  }
  if (numel(s) != numel(x.shape))
    return err(n, "cannot reshape " + shape_str(x.shape) + " to " + shape_str(s));
  y.shape = s;
  y.data = x.data;
  return {};
}

Status eval_concat(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  if (in.empty() || !in[0]) return err(n, "no inputs");
  size_t r = in[0]->shape.size();
  int64_t axis = norm_axis(n.attr_i("axis", 0), r);
  if (axis < 0 || axis >= static_cast<int64_t>(r)) return err(n, "axis out of range");
  y.shape = in[0]->shape;
  y.shape[axis] = 0;
  for (auto* t : in) {
    if (!t || t->shape.size() != r) return err(n, "rank mismatch");
    for (size_t d = 0; d < r; ++d)
      if (static_cast<int64_t>(d) != axis && t->shape[d] != in[0]->shape[d]) return err(n, "shape mismatch");
    y.shape[axis] += t->shape[axis];
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y.shape[d];
  for (size_t d = axis + 1; d < r; ++d) inner *= y.shape[d];
  y.data.clear();
  y.data.reserve(static_cast<size_t>(numel(y.shape)));
  for (int64_t o = 0; o < outer; ++o)
    for (auto* t : in) {
      int64_t len = t->shape[axis] * inner;
      y.data.insert(y.data.end(), t->data.begin() + o * len, t->data.begin() + (o + 1) * len);
    }
  return {};
}

// Generic gather by a per-output function of coordinates.
void gather_coords(const Tensor& x, const Shape& ys, Tensor& y,
                   const std::function<int64_t(const std::vector<int64_t>&)>& src) {
  y.shape = ys;
  int64_t N = numel(ys);
  y.data.resize(static_cast<size_t>(N));
  std::vector<int64_t> c(ys.size(), 0);
  for (int64_t i = 0; i < N; ++i) {
    int64_t s = src(c);
    y.data[i] = s >= 0 ? x.data[s] : NAN;
    for (size_t d = ys.size(); d-- > 0;) {
      if (++c[d] < ys[d]) break;
      c[d] = 0;
    }
  }
}

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

Status eval_slice(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = *in[0];
  size_t r = x.shape.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (in.size() >= 3 && in[1] && in[2]) {
    starts = ints_of(*in[1]);
    ends = ints_of(*in[2]);
    if (const Tensor* t = opt_in(in, 3)) axes = ints_of(*t);
    if (const Tensor* t = opt_in(in, 4)) steps = ints_of(*t);
  } else {
    starts = n.attr_ints("starts");
    ends = n.attr_ints("ends");
    axes = n.attr_ints("axes");
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return err(n, "starts/ends/axes/steps sizes differ");
  std::vector<int64_t> st(r, 0), sp(r, 1);
  Shape ys = x.shape;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = norm_axis(axes[i], r);
    if (a < 0 || a >= static_cast<int64_t>(r) || steps[i] == 0) return err(n, "bad axis or step");
    int64_t D = x.shape[a], s = starts[i], e = ends[i], k = steps[i];
    if (s < 0) s += D;
    if (e < 0) e += D;
    if (k > 0) {
      s = std::clamp<int64_t>(s, 0, D);
      e = std::clamp<int64_t>(e, 0, D);
      ys[a] = e > s ? (e - s + k - 1) / k : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, D - 1);
      e = std::clamp<int64_t>(e, -1, D - 1);
      ys[a] = s > e ? (s - e - k - 1) / (-k) : 0;
    }
    st[a] = s;
    sp[a] = k;
  }
  auto xs = strides_of(x.shape);
  gather_coords(x, ys, y, [&](const std::vector<int64_t>& c) {
    int64_t o = 0;
    for (size_t d = 0; d < r; ++d) o += (st[d] + c[d] * sp[d]) * xs[d];
    return o;
  });
  return {};
}

Status eval_pad(const Node& n, const std::vector<const Tensor*>& in, Tensor& y, const EvalOptions& opt) {
  const Tensor& x = *in[0];
  size_t r = x.shape.size();
  std::vector<int64_t> pads = n.attr_ints("pads");
  double value = n.attr_f("value", 0.0);
  if (const Tensor* t = opt_in(in, 1)) pads = ints_of(*t);
  if (const Tensor* t = opt_in(in, 2))
    if (!t->data.empty()) value = t->data[0];
  if (const Tensor* t = opt_in(in, 3)) {  // axes (opset 18)
    (void)t;
    return err(n, "Pad with axes is not supported");
  }
  if (pads.size() != 2 * r) return err(n, "pads size mismatch");
  std::string mode = n.attr_s("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect") return err(n, "mode " + mode + " is not supported");
  Shape ys(r);
  for (size_t d = 0; d < r; ++d) {
    ys[d] = x.shape[d] + pads[d] + pads[d + r];
    if (ys[d] < 0) return err(n, "negative output size");
  }
  auto xs = strides_of(x.shape);
  gather_coords(x, ys, y, [&](const std::vector<int64_t>& c) -> int64_t {
    int64_t o = 0;
    for (size_t d = 0; d < r; ++d) {
      int64_t i = c[d] - pads[d], D = x.shape[d];
      if (i < 0 || i >= D) {
        if (mode == "constant") return -1;
        if (mode == "edge") i = std::clamp<int64_t>(i, 0, D - 1);
        else {
          if (D == 1) i = 0;
          while (i < 0 || i >= D) i = i < 0 ? -i : 2 * (D - 1) - i;
        }
      }
      o += i * xs[d];
    }
    return o;
  });
  double fill = opt.index_mode ? -1.0 : value;
  for (auto& v : y.data)
    if (std::isnan(v)) v = fill;
  return {};
}

// The largest output a Resize may make (the importer's limit on a tensor).
constexpr double kMaxResizeElements = double(int64_t(1) << 30);

Status eval_resize(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = *in[0];
  size_t r = x.shape.size();
  std::string mode = n.attr_s("mode", "nearest");
  if (mode != "nearest") return err(n, "mode " + mode + " is not supported (nearest only)");
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  if (n.op == "Upsample") {
    if (const Tensor* t = opt_in(in, 1)) scales = t->data;
    else scales = n.has("scales") ? n.attrs.at("scales").floats : std::vector<double>{};
  } else if (in.size() == 2) {  // opset 10: X, scales
    if (in[1]) scales = in[1]->data;
  } else {
    if (const Tensor* t = opt_in(in, 2)) scales = t->data;
    if (const Tensor* t = opt_in(in, 3)) sizes = ints_of(*t);
  }
  Shape ys(r);
  if (!sizes.empty()) {
    if (sizes.size() != r) return err(n, "sizes rank mismatch");
    for (size_t d = 0; d < r; ++d) {
      ys[d] = sizes[d];
      scales.resize(r);
    }
    for (size_t d = 0; d < r; ++d) scales[d] = static_cast<double>(ys[d]) / static_cast<double>(x.shape[d]);
  } else {
    if (scales.size() != r) return err(n, "scales rank mismatch");
    for (size_t d = 0; d < r; ++d) {
      const double v = std::floor(static_cast<double>(x.shape[d]) * scales[d]);
      if (!(v >= 0 && v <= kMaxResizeElements)) return err(n, "scales give an output dimension out of range");
      ys[d] = static_cast<int64_t>(v);
    }
  }
  double total = 1;
  for (size_t d = 0; d < r; ++d) {
    if (ys[d] < 0 || x.shape[d] < 1) return err(n, "sizes give an output dimension out of range");
    total *= static_cast<double>(ys[d]);
  }
  if (total > kMaxResizeElements) return err(n, "output of " + std::to_string(total) + " values is too large");
  std::string ctm = n.attr_s("coordinate_transformation_mode", n.op == "Resize" && in.size() > 2 ? "half_pixel" : "asymmetric");
  if (ctm != "half_pixel" && ctm != "align_corners" && ctm != "pytorch_half_pixel" && ctm != "asymmetric" &&
      ctm != "tf_half_pixel_for_nn")
    return err(n, "coordinate_transformation_mode " + ctm + " is not supported");
  std::string nm = n.attr_s("nearest_mode", "round_prefer_floor");
  if (nm != "round_prefer_floor" && nm != "round_prefer_ceil" && nm != "floor" && nm != "ceil")
    return err(n, "nearest_mode " + nm + " is not supported");
  if (n.op == "Upsample" || in.size() == 2) nm = "floor";
  auto xs = strides_of(x.shape);
  Status st;
  gather_coords(x, ys, y, [&](const std::vector<int64_t>& c) {
    int64_t o = 0;
    for (size_t d = 0; d < r; ++d) {
      double s = scales[d], xo = static_cast<double>(c[d]);
      double xi;
      if (ctm == "half_pixel") xi = (xo + 0.5) / s - 0.5;
      else if (ctm == "align_corners") xi = ys[d] > 1 ? xo * (x.shape[d] - 1) / double(ys[d] - 1) : 0;
      else if (ctm == "pytorch_half_pixel") xi = ys[d] > 1 ? (xo + 0.5) / s - 0.5 : 0;
      else if (ctm == "tf_half_pixel_for_nn") xi = (xo + 0.5) / s;
      else xi = xo / s;  // asymmetric
      int64_t i;
      if (nm == "floor") i = static_cast<int64_t>(std::floor(xi));
      else if (nm == "ceil") i = static_cast<int64_t>(std::ceil(xi));
      else if (nm == "round_prefer_ceil") i = static_cast<int64_t>(std::floor(xi + 0.5));
      else i = static_cast<int64_t>(std::ceil(xi - 0.5));
      i = std::clamp<int64_t>(i, 0, x.shape[d] - 1);
      o += i * xs[d];
    }
    return o;
  });
  return st;
}

Status eval_gather(const Node& n, const Tensor& x, const Tensor& ind, Tensor& y) {
  size_t r = x.shape.size();
  int64_t axis = norm_axis(n.attr_i("axis", 0), r);
  if (axis < 0 || axis >= static_cast<int64_t>(r)) return err(n, "axis out of range");
  auto idx = ints_of(ind);
  for (auto& i : idx) {
    if (i < 0) i += x.shape[axis];
    if (i < 0 || i >= x.shape[axis]) return err(n, "index out of range");
  }
  Shape ys(x.shape.begin(), x.shape.begin() + axis);
  ys.insert(ys.end(), ind.shape.begin(), ind.shape.end());
  ys.insert(ys.end(), x.shape.begin() + axis + 1, x.shape.end());
  auto xs = strides_of(x.shape);
  size_t ir = ind.shape.size();
  auto is = strides_of(ind.shape);
  gather_coords(x, ys, y, [&](const std::vector<int64_t>& c) {
    int64_t o = 0, k = 0;
    for (int64_t d = 0; d < axis; ++d) o += c[d] * xs[d];
    for (size_t d = 0; d < ir; ++d) k += c[axis + d] * is[d];
    o += idx[k] * xs[axis];
    for (size_t d = axis + 1; d < r; ++d) o += c[d + ir - 1] * xs[d];
    return o;
  });
  return {};
}

Status eval_expand(const Node& n, const Tensor& x, const Tensor& shp, Tensor& y) {
  Shape ys;
  if (!kern::broadcast_shape(x.shape, ints_of(shp), ys)) return err(n, "shape does not broadcast");
  auto idx = kern::broadcast_index(x.shape, ys);
  y.shape = ys;
  y.data.resize(idx.size());
  for (size_t i = 0; i < idx.size(); ++i) y.data[i] = x.data[idx[i]];
  return {};
}

}  // namespace

bool is_layout_op(const std::string& op) { return layout_ops().count(op) != 0; }

bool is_supported_op(const std::string& op) {
  return layout_ops().count(op) || unary_ops().count(op) || other_ops().count(op);
}

Status eval_node(const Node& n, const std::vector<const Tensor*>& in, std::vector<Tensor>& out,
                 const EvalOptions& opt) {
  out.assign(n.outputs.size(), Tensor{});
  if (in.empty() || !in[0]) {
    if (n.op != "ConstantOfShape") return err(n, "missing first input");
  }
  if (out.empty()) return err(n, "has no outputs");
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] && in[i]->data.size() != static_cast<size_t>(std::max<int64_t>(0, numel(in[i]->shape))))
      return err(n, "input " + std::to_string(i) + " holds " + std::to_string(in[i]->data.size()) +
                        " values for shape " + shape_str(in[i]->shape));
  Tensor& y = out[0];
  const std::string& op = n.op;
  if (op == "Identity" || op == "Dropout" || op == "Cast") {
    if (op == "Dropout") {
      // Inference only: the mask output and training mode (random) have no static meaning.
      if (n.outputs.size() > 1) return err(n, "the mask output is not supported");
      if (const Tensor* t = opt_in(in, 2))
        for (double v : t->data)
          if (v != 0) return err(n, "training mode is not supported");
    }
    y = *in[0];
    if (op == "Cast") {
      int64_t to = n.attr_i("to", 1);
      bool integral = to == 2 || to == 3 || to == 4 || to == 5 || to == 6 || to == 7 || to == 12 || to == 13;
      if (integral)
        for (auto& v : y.data) v = std::trunc(v);
      else if (to == 9)
        for (auto& v : y.data) v = v != 0 ? 1 : 0;
      else if (to == 1)
        for (auto& v : y.data) v = static_cast<double>(static_cast<float>(v));
      else if (to != 11)  // float16, bfloat16, string, complex
        return err(n, "cast to element type " + std::to_string(to) + " is not supported");
    }
    return {};
  }
  if (op == "Clip") {
    double lo = n.attr_f("min", -INFINITY), hi = n.attr_f("max", INFINITY);
    if (const Tensor* t = opt_in(in, 1))
      if (!t->data.empty()) lo = t->data[0];
    if (const Tensor* t = opt_in(in, 2))
      if (!t->data.empty()) hi = t->data[0];
    y = *in[0];
    for (auto& v : y.data) v = std::clamp(v, lo, hi);
    return {};
  }
  if (unary_ops().count(op)) {
    y = *in[0];
    for (auto& v : y.data) v = unary_fn(n, v);
    return {};
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "PRelu" || op == "Sum") {
    if (in.size() < 2 || !in[1]) {
      if (op == "Sum") {
        y = *in[0];
        return {};
      }
      return err(n, "needs two inputs");
    }
    ZK_TRY(eval_binary(n, *in[0], *in[1], y));
    for (size_t i = 2; op == "Sum" && i < in.size(); ++i) {
      Tensor t = y;
      ZK_TRY(eval_binary(n, t, *in[i], y));
    }
    return {};
  }
  if (op == "MatMul") {
    if (in.size() < 2 || !in[1]) return err(n, "needs two inputs");
    return eval_matmul(n, *in[0], *in[1], y);
  }
  if (op == "Gemm") return eval_gemm(n, in, y);
  if (op == "Conv" || op == "ConvTranspose") return eval_conv(n, in, y);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    kern::PoolParams p{};
    ZK_TRY(pool_params(n, in[0]->shape, p, y.shape));
    y.data.assign(static_cast<size_t>(numel(y.shape)), 0.0);
    std::vector<int64_t> cnt(y.data.size());
    bool is_max = op == "MaxPool" || op == "GlobalMaxPool";
    kern::pool2d<double>(p, is_max, in[0]->data.data(), y.data.data(), cnt.data());
    if (!is_max)
      for (size_t i = 0; i < cnt.size(); ++i) y.data[i] /= static_cast<double>(std::max<int64_t>(1, cnt[i]));
    if (n.outputs.size() > 1) return err(n, "MaxPool indices output is not supported");
    return {};
  }
  if (op == "ReduceMean" || op == "ReduceSum") return eval_reduce(n, in, y, opt.opset);
  if (op == "Softmax") return eval_softmax(n, *in[0], y, opt.opset);
  if (op == "LayerNormalization") {
    if (n.outputs.size() > 3) return err(n, "too many outputs");
    return eval_layernorm(n, in, out);  // the quantizer refuses Mean/InvStdDev consumers
  }
  if (op == "BatchNormalization") {
    if (n.outputs.size() > 1) return err(n, "training-mode outputs are not supported");
    return eval_batchnorm(n, in, y);
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze")
    return eval_reshape(n, in, y, opt.opset);
  if (op == "Transpose") return eval_transpose(n, *in[0], y);
  if (op == "Concat") return eval_concat(n, in, y);
  if (op == "Slice") return eval_slice(n, in, y);
  if (op == "Pad") return eval_pad(n, in, y, opt);
  if (op == "Resize" || op == "Upsample") return eval_resize(n, in, y);
  if (op == "Gather") {
    if (in.size() < 2 || !in[1]) return err(n, "needs indices");
    return eval_gather(n, *in[0], *in[1], y);
  }
  if (op == "Expand") {
    if (in.size() < 2 || !in[1]) return err(n, "needs shape");
    return eval_expand(n, *in[0], *in[1], y);
  }
  if (op == "Shape") {
    const Shape& s = in[0]->shape;
    int64_t r = static_cast<int64_t>(s.size());
    int64_t b = norm_axis(n.attr_i("start", 0), s.size()), e = n.has("end") ? norm_axis(n.attr_i("end", r), s.size()) : r;
    b = std::clamp<int64_t>(b, 0, r);
    e = std::clamp<int64_t>(e, b, r);
    y.shape = {e - b};
    for (int64_t i = b; i < e; ++i) y.data.push_back(static_cast<double>(s[i]));
    return {};
  }
  if (op == "ConstantOfShape") {
    if (in.empty() || !in[0]) return err(n, "needs shape");
    y.shape = ints_of(*in[0]);
    for (auto d : y.shape)
      if (d < 0) return err(n, "negative dimension");
    double v = n.attr_f("value", 0.0);
    y.data.assign(static_cast<size_t>(numel(y.shape)), v);
    return {};
  }
  return err(n, "op is not supported");
}

Status conv_setup(const Node& n, const Shape& xs0, const Shape& ws0, kern::ConvParams& p) {
  Shape xs = xs0, ws = ws0;
  Node nn = n;
  if (xs.size() == 3) {
    xs.insert(xs.begin() + 2, 1);
    ws.insert(ws.begin() + 2, 1);
    auto fix = [&](const char* k, int64_t def, size_t want) {
      if (!n.has(k)) return;
      auto v = n.attr_ints(k);
      if (want == 2) v.insert(v.begin(), def);
      else if (v.size() == 2) v = {0, v[0], 0, v[1]};
      nn.attrs[k].ints = v;
    };
    fix("kernel_shape", 1, 2);
    fix("strides", 1, 2);
    fix("dilations", 1, 2);
    fix("output_padding", 0, 2);
    fix("output_shape", 1, 2);
    fix("pads", 0, 4);
  }
  return conv_params(nn, xs, ws, n.op == "ConvTranspose", p);
}

Status pool_setup(const Node& n, const Shape& xs, kern::PoolParams& p, Shape& ys) { return pool_params(n, xs, p, ys); }

void softmax_layout(const Node& n, const Shape& s, int64_t opset, int64_t& outer, int64_t& len, int64_t& inner) {
  int64_t axis = norm_axis(n.attr_i("axis", opset < 13 ? 1 : -1), s.size());
  softmax_groups(s, axis, opset, outer, len, inner);
}

Result<std::vector<Tensor>> run_float_all(const Graph& g, const std::vector<Tensor>& inputs) {
  if (inputs.size() != g.inputs.size())
    return make_error("expected " + std::to_string(g.inputs.size()) + " inputs, got " + std::to_string(inputs.size()));
  std::vector<Tensor> vals(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].is_const) vals[i] = Tensor{g.values[i].shape, g.values[i].data};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value& v = g.values[g.inputs[i]];
    if (numel(inputs[i].shape) != numel(v.shape) || inputs[i].data.size() != static_cast<size_t>(numel(v.shape)))
      return make_error("input '" + v.name + "' has " + std::to_string(inputs[i].data.size()) +
                        " elements, the model expects " + shape_str(v.shape));
    vals[g.inputs[i]] = Tensor{v.shape, inputs[i].data};
  }
  EvalOptions opt;
  opt.opset = g.opset;
  for (const Node& n : g.nodes) {
    std::vector<const Tensor*> in;
    for (int i : n.inputs) in.push_back(i >= 0 ? &vals[i] : nullptr);
    std::vector<Tensor> out;
    ZK_TRY(eval_node(n, in, out, opt));
    for (size_t k = 0; k < n.outputs.size() && k < out.size(); ++k)
      if (n.outputs[k] >= 0) vals[n.outputs[k]] = std::move(out[k]);
  }
  return vals;
}

Result<std::vector<Tensor>> run_float(const Graph& g, const std::vector<Tensor>& inputs) {
  auto all = run_float_all(g, inputs);
  if (!all.ok()) return Error{all.error()};
  std::vector<Tensor> out;
  for (int o : g.outputs) out.push_back(std::move((*all)[o]));
  return out;
}

}  // namespace zks::model
