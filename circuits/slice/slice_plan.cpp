#include "circuits/slice/slice_plan.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"

namespace zks::circuits::slice_detail {

Error node_error(const QNode& n, const std::string& what) {
  return make_error(n.op + " node '" + n.name + "': " + what);
}

Result<poly::PaddedShape> padded_of(const model::Shape& s) {
  std::vector<uint32_t> dims;
  for (int64_t d : s) {
    if (d < 1 || d > (int64_t(1) << 30)) return make_error("tensor dimension " + std::to_string(d) + " out of range");
    dims.push_back(static_cast<uint32_t>(d));
  }
  return poly::PaddedShape(std::move(dims));
}

// Layout ops: the executor runs every node with a gather map (other than Concat) as
// y[i] = x[g(i)] or the fill.
bool is_layout(const QNode& n) { return !n.gather.empty() && n.op != "Concat"; }

bool is_table_op(const QModel& m, const QNode& n) {
  if (n.table < 0 || n.inputs.size() != 1 || n.op == "Softmax") return false;
  const auto& t = m.tables[n.table];
  return t.in_lo == m.act_lo() && int64_t(t.values.size()) == m.act_hi() - m.act_lo() + 1;
}

// Ops the executor runs as a function of one 16-bit activation without a table of the
// model's: Clip, Abs, Neg, and LeakyRelu/PRelu with a single slope. The slice prover proves them
// through a table it generates here from the node's parameters, with the executor's
// own arithmetic (the verifier generates the same table; its hash is absorbed).
bool is_function_op(const QNode& n) {
  if (n.op == "Clip") return n.mult.size() == 2;
  if (n.op == "Abs" || n.op == "Neg") return n.inputs.size() == 1;
  return (n.op == "LeakyRelu" || n.op == "PRelu") && n.mult.size() == 1 && n.shift >= 0;
}

FunctionTable function_table(const QModel& m, const QNode& n) {
  FunctionTable t;
  t.in_lo = m.act_lo();
  auto clamp = [&](int64_t v) { return std::clamp(v, m.act_lo(), m.act_hi()); };
  for (int64_t x = m.act_lo(); x <= m.act_hi(); ++x) {
    if (n.op == "Clip") {
      t.values.push_back(std::clamp(x, n.mult[0], std::max(n.mult[0], n.mult[1])));
    } else if (n.op == "Abs") {
      t.values.push_back(clamp(x < 0 ? -x : x));
    } else if (n.op == "Neg") {
      t.values.push_back(clamp(-x));
    } else {
      int64_t acc = x >= 0 ? x * (int64_t(1) << 16) : x * n.mult[0];
      int64_t q = n.shift == 0 ? acc : (acc + (int64_t(1) << (n.shift - 1))) >> n.shift;
      t.values.push_back(clamp(q));
    }
  }
  return t;
}

size_t add_column(Plan& p, Column c) {
  p.columns.push_back(std::move(c));
  return p.columns.size() - 1;
}

// The weight column of np.conv (a ConvTranspose kernel laid out as its equivalent
// Conv's when `transposed`) and its bias column, one value per output channel.
Status add_conv_weights(Plan& p, NodePlan& np, const QNode& n, bool transposed) {
  const ConvShape& s = np.conv;
  np.w = n.inputs[1];
  Column wc{poly::PaddedShape::flat(size_t(1) << s.w_vars()), np.w, true};
  wc.transposed = transposed;
  np.w_col = add_column(p, std::move(wc));
  if (s.has_bias) {
    np.b = n.inputs[2];
    if (model::numel(p.m->tensors[np.b].shape) != s.out_channels) return node_error(n, "bias is not one value per channel");
    np.b_col = add_column(p, {poly::PaddedShape::flat(s.out_channels), np.b, false});
  }
  return {};
}

Status plan_conv(Plan& p, NodePlan& np, const QNode& n) {
  const QModel& m = *p.m;
  const auto& xs = m.tensors[n.inputs[0]].shape;
  const auto& ws = m.tensors[n.inputs[1]].shape;
  if (xs.size() != 4 || xs[0] != 1) return node_error(n, "only 2-D convolution of one image is provable");
  model::Node as;
  as.op = n.op, as.name = n.name, as.attrs = n.attrs;
  model::kern::ConvParams cp{};
  ZK_TRY(model::conv_setup(as, xs, ws, cp));
  ConvShape& s = np.conv;
  s.in_channels = uint32_t(cp.C), s.in_h = uint32_t(cp.H), s.in_w = uint32_t(cp.W);
  s.out_channels = uint32_t(cp.M), s.kernel_h = uint32_t(cp.KH), s.kernel_w = uint32_t(cp.KW);
  s.stride_h = uint32_t(cp.sh), s.stride_w = uint32_t(cp.sw), s.dilation_h = uint32_t(cp.dh), s.dilation_w = uint32_t(cp.dw);
  s.pad_top = uint32_t(cp.pt), s.pad_left = uint32_t(cp.pl), s.groups = uint32_t(cp.group);
  int64_t pb = (cp.OH - 1) * cp.sh + cp.dh * (cp.KH - 1) + 1 - cp.H - cp.pt;
  int64_t pr = (cp.OW - 1) * cp.sw + cp.dw * (cp.KW - 1) + 1 - cp.W - cp.pl;
  s.pad_bottom = uint32_t(std::max<int64_t>(0, pb)), s.pad_right = uint32_t(std::max<int64_t>(0, pr));
  s.has_bias = n.inputs.size() > 2;
  ZK_TRY(s.check());
  if (s.out_h() != cp.OH || s.out_w() != cp.OW) return node_error(n, "output size does not match the convolution");
  return add_conv_weights(p, np, n, false);
}

// ConvTranspose y[m, ih s - pt + kh d] += x[c, ih] w[c, m, kh] equals a stride-1 Conv
// of U with the flipped kernel w'[m, c, KH-1-kh], where U spreads x out by the strides
// and pads it by d (KH - 1) - pt on top (and so on for the other sides).
Status plan_convt(Plan& p, NodePlan& np, const QNode& n) {
  const QModel& m = *p.m;
  const auto& xs = m.tensors[n.inputs[0]].shape;
  const auto& ws = m.tensors[n.inputs[1]].shape;
  if (xs.size() != 4 || xs[0] != 1 || !m.tensors[n.inputs[1]].is_const)
    return node_error(n, "only 2-D transposed convolution of one image with constant weights is provable");
  model::Node as;
  as.op = n.op, as.name = n.name, as.attrs = n.attrs;
  model::kern::ConvParams cp{};
  ZK_TRY(model::conv_setup(as, xs, ws, cp));
  const int64_t UH = cp.OH + cp.dh * (cp.KH - 1), UW = cp.OW + cp.dw * (cp.KW - 1);
  const int64_t top = cp.dh * (cp.KH - 1) - cp.pt, left = cp.dw * (cp.KW - 1) - cp.pl;
  ConvShape& s = np.conv;
  s.in_channels = uint32_t(cp.C), s.in_h = uint32_t(UH), s.in_w = uint32_t(UW);
  s.out_channels = uint32_t(cp.M), s.kernel_h = uint32_t(cp.KH), s.kernel_w = uint32_t(cp.KW);
  s.stride_h = s.stride_w = 1, s.dilation_h = uint32_t(cp.dh), s.dilation_w = uint32_t(cp.dw);
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 0, s.groups = uint32_t(cp.group);
  s.has_bias = n.inputs.size() > 2;
  ZK_TRY(s.check());
  if (s.out_h() != cp.OH || s.out_w() != cp.OW) return node_error(n, "output size does not match the transposed convolution");
  auto in = padded_of(xs);
  auto up = padded_of({1, cp.C, UH, UW});
  if (!in.ok() || !up.ok()) return node_error(n, "tensor too large");
  np.gather = GatherShape{*in, *up, {}, 0};
  for (int64_t c = 0; c < cp.C; ++c)
    for (int64_t i = 0; i < UH; ++i)
      for (int64_t j = 0; j < UW; ++j) {
        const int64_t a = i - top, b = j - left;
        const bool hit = a >= 0 && b >= 0 && a % cp.sh == 0 && b % cp.sw == 0 && a / cp.sh < cp.H && b / cp.sw < cp.W;
        np.gather.gather.push_back(hit ? (c * cp.H + a / cp.sh) * cp.W + b / cp.sw : -1);
      }
  if (auto st = np.gather.check(); !st.ok()) return node_error(n, st.error());
  return add_conv_weights(p, np, n, true);
}

Status plan_gemm(Plan& p, NodePlan& np, const QNode& n) {
  const QModel& m = *p.m;
  const auto& xs = m.tensors[n.inputs[0]].shape;
  const auto& wt = m.tensors[n.inputs[1]];
  if (xs.size() != 2 || wt.shape.size() != 2 || !wt.is_const) return node_error(n, "only 2-D Gemm with constant weights is provable");
  uint32_t M = uint32_t(xs[0]), K = uint32_t(xs[1]), N = uint32_t(wt.shape[1]);
  np.mm = MatmulShape{{M, K}, {K, N}, n.inputs.size() > 2};
  np.w = n.inputs[1];
  np.w_col = add_column(p, {poly::PaddedShape({K, N}), np.w, false});
  if (np.mm.has_bias) {
    np.b = n.inputs[2];
    const auto& bt = m.tensors[np.b];
    if (model::numel(bt.shape) != N || !(bt.shape.size() == 1 || (bt.shape.size() == 2 && bt.shape[0] == 1)))
      return node_error(n, "only a bias per output column is provable");
    np.b_col = add_column(p, {poly::PaddedShape::flat(N), np.b, false});
  }
  return {};
}

// A requantization of an accumulator of the given bound by `shift`, its columns
// allocated and their range terms added; returns its first column (the output q).
// A negative shift (a left shift by k) needs `scale`: the accumulator is then scaled
// by *scale = 2^k and requantized by 0.
Result<size_t> add_requant(Plan& p, RequantShape& r, const QNode& n, int shift, double acc_bound,
                           const poly::PaddedShape& out, Fp* scale = nullptr) {
  if (shift < 0) {
    if (!scale || shift < -30 || std::ldexp(acc_bound, -shift) >= std::ldexp(1.0, 61))
      return node_error(n, "a left shift (requantization shift " + std::to_string(shift) + ") is not provable here");
    *scale = Fp::from_i64(int64_t(1) << -shift);
    acc_bound = std::ldexp(acc_bound, -shift);
    shift = 0;
  }
  r.shape = out;
  r.shift = unsigned(shift);
  r.lo = p.m->act_lo(), r.hi = p.m->act_hi();
  // The largest |q_full| from the range analysis; saturation is possible past hi.
  double q_max = acc_bound / std::ldexp(1.0, shift) + 2;
  r.excess_bits = 0;
  if (q_max >= double(r.hi)) {
    const size_t k = size_t(&n - p.m->nodes.data());
    p.may_saturate.insert(k);
    // The saturating form is checked whether or not this proof uses it, so a node that
    // could not be proved when it clamps is refused at planning (and sealing), not
    // only when some input makes it clamp.
    RequantShape saturating = r;
    saturating.excess_bits = unsigned(std::ceil(std::log2(q_max + 1))) + 1;
    if (auto s = saturating.check(); !s.ok()) return node_error(n, s.error());
    if (p.choices.saturating.count(k)) r = saturating;
  }
  if (auto s = r.check(); !s.ok()) return node_error(n, s.error());
  const size_t first = p.columns.size();
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < r.num_columns(); ++i) ids.push_back(uint32_t(add_column(p, {out})));
  p.columns[ids[0]].zero_padded = true;  // q: C7 proves its padding zero
  for (auto& term : requant_range_terms(r, ids)) p.range.terms.push_back(term);
  return first;
}

Status plan_requant(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out) {
  auto col = add_requant(p, np.rq, n, n.shift, n.acc_bound, out, &np.acc_scale);
  if (!col.ok()) return make_error(col.error());
  np.requant = true;
  np.rq_col = *col;
  p.col_of[np.y] = np.rq_col;  // the output q is the first requant column
  return {};
}

// Operand `i` of an element-wise op: an activation of the output's shape, or a constant
// broadcast to it (the verifier evaluates the broadcast table itself). Every operand but
// the first (counted with the node) is one more read of its tensor, the same tensor
// twice too (Mul(x, x): two claims on x).
Status plan_operand(Plan& p, NodePlan& np, const QNode& n, size_t i, int y, const poly::PaddedShape& out,
                    std::map<int, int>& uses) {
  const int t = n.inputs[i];
  const QModel& m = *p.m;
  const auto& tt = m.tensors[t];
  if (tt.is_const) {
    // A verifier evaluates this constant itself: it is never withheld (a verify-only
    // manifest that withholds it is refused when its fingerprint is computed).
    if (tt.withheld) return node_error(n, "the constant operand '" + tt.name + "' is withheld, but a verifier reads it");
    if (p.const_tables.count(t) && p.const_tables[t].size() != out.padded_size())
      return node_error(n, "a constant used at two shapes is not provable yet");
    auto idx = model::kern::broadcast_index(tt.shape, m.tensors[y].shape);
    std::vector<Fp> dense;
    for (auto i : idx) dense.push_back(Fp::from_i64(tt.data[size_t(i)]));
    p.const_tables[t] = poly::pad_tensor<Fp>(dense, out);
    p.kind[t] = TensorKind::PublicConst;
  } else if (tt.shape != m.tensors[y].shape) {
    // An activation broadcast along axes of size 1 (a per-channel scale): its MLE on the
    // output's layout is its own MLE on the kept axes times the selectors of the others.
    const auto& ys = m.tensors[y].shape;
    bool ok = tt.shape.size() == ys.size();
    for (size_t a = 0; ok && a < ys.size(); ++a) ok = tt.shape[a] == ys[a] || tt.shape[a] == 1;
    if (!ok) return node_error(n, "broadcasting '" + tt.name + "' this way is not provable yet");
    np.broadcast.insert(t);
  }
  if (!p.kind.count(t)) return node_error(n, "operand '" + tt.name + "' is not computed in this slice");
  if (i > 0) ++uses[t];
  return {};
}

// Concat of activations: output entry k is entry g(k) of the inputs laid end to end
// (or the fill), each input first requantized to the output's scale. Input i's part is
// a gather of its own (requantized) entries.
Status plan_concat(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out, std::map<int, int>& uses) {
  const QModel& m = *p.m;
  if (n.in_shift.size() != n.inputs.size()) return node_error(n, "expected one input shift per input");
  std::vector<int64_t> offset;
  int64_t total = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const auto& tt = m.tensors[n.inputs[i]];
    if (tt.is_const) return node_error(n, "concatenating a constant is not provable yet");
    if (!p.kind.count(n.inputs[i])) return node_error(n, "input '" + tt.name + "' is not computed in this slice");
    if (i > 0) ++uses[n.inputs[i]];
    offset.push_back(total);
    total += model::numel(tt.shape);
  }
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    auto in = padded_of(m.tensors[n.inputs[i]].shape);
    if (!in.ok()) return node_error(n, in.error());
    GatherShape g{*in, out, {}, 0};
    const int64_t lo = offset[i], hi = lo + model::numel(m.tensors[n.inputs[i]].shape);
    for (int64_t src : n.gather) g.gather.push_back(src >= lo && src < hi ? src - lo : -1);
    if (auto s = g.check(); !s.ok()) return node_error(n, s.error());
    np.parts.push_back(std::move(g));
    np.part_inputs.push_back(n.inputs[i]);
    // A finer-scaled input is requantized to the output's scale first (the executor's
    // clamp(requant(x, shift))); its accumulator is the input itself.
    np.part_rq.emplace_back();
    np.part_rq_col.push_back(SIZE_MAX);
    if (n.in_shift[i] != 0) {
      double bound = double(std::max(-m.act_lo(), m.act_hi()));
      auto col = add_requant(p, np.part_rq.back(), n, n.in_shift[i], bound, *in);
      if (!col.ok()) return make_error(col.error());
      np.part_rq_col.back() = *col;
    }
  }
  np.concat_fill = n.fill;
  np.gather = GatherShape{out, out, {}, 0};  // only its output shape is used (committed output)
  return {};
}

// The model's pooling parameters of a 2-D pool over one image.
Result<model::kern::PoolParams> pool_params(const QModel& m, const QNode& n) {
  const auto& xs = m.tensors[n.inputs[0]].shape;
  if (xs.size() != 4 || xs[0] != 1) return node_error(n, "only 2-D pooling of one image is provable");
  model::Node as;
  as.op = n.op, as.name = n.name, as.attrs = n.attrs;
  model::kern::PoolParams pp{};
  model::Shape ys;
  ZK_TRY(model::pool_setup(as, xs, pp, ys));
  return pp;
}

// Average pooling = a depthwise convolution with an all-ones kernel (the sum over the
// in-bounds taps), times a public multiplier per output (the executor's divisor), then
// requantization.
Status plan_avgpool(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out) {
  const QModel& m = *p.m;
  auto params = pool_params(m, n);
  if (!params.ok()) return make_error(params.error());
  const auto& pp = *params;
  ConvShape& s = np.conv;
  s.in_channels = s.out_channels = s.groups = uint32_t(pp.C);
  s.in_h = uint32_t(pp.H), s.in_w = uint32_t(pp.W), s.kernel_h = uint32_t(pp.KH), s.kernel_w = uint32_t(pp.KW);
  s.stride_h = uint32_t(pp.sh), s.stride_w = uint32_t(pp.sw), s.dilation_h = uint32_t(pp.dh), s.dilation_w = uint32_t(pp.dw);
  s.pad_top = uint32_t(pp.pt), s.pad_left = uint32_t(pp.pl), s.pad_bottom = uint32_t(pp.pb), s.pad_right = uint32_t(pp.pr);
  ZK_TRY(s.check());
  if (s.out_h() != pp.OH || s.out_w() != pp.OW) return node_error(n, "output size does not match the pooling");
  std::vector<Fp> ones(size_t(pp.C) * pp.KH * pp.KW, Fp::one());
  np.ones = pad_conv_weights(ones, s);
  if (int64_t(n.mult.size()) != model::numel(m.tensors[n.outputs[0]].shape))
    return node_error(n, "expected one multiplier per output");
  std::vector<Fp> mult;
  for (int64_t v : n.mult) mult.push_back(Fp::from_i64(v));
  np.mult = poly::pad_tensor<Fp>(mult, out);
  return {};
}

Status plan_maxpool(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out) {
  auto params = pool_params(*p.m, n);
  if (!params.ok()) return make_error(params.error());
  const auto& pp = *params;
  const size_t max_taps = sumcheck::kMaxDegree - 1;
  struct Geometry {
    int64_t H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
  };
  // One axis's pooling (length L to O, window K, stride s, dilation d, padding p) as
  // stages of at most max_taps taps: the window itself, or, for a window over the whole
  // axis (a global pool) that is wider, windows of max_taps with that stride until what
  // is left fits one (max is associative; taps past the end are invalid, like padding).
  struct Axis {
    int64_t L, O, K, s, d, p;
  };
  const auto max_k = static_cast<int64_t>(max_taps);
  auto stages_of = [&](const Axis& a) -> std::optional<std::vector<Axis>> {
    if (a.K <= max_k) return std::vector<Axis>{a};
    if (a.O != 1 || a.d != 1 || a.p != 0 || a.K != a.L) return std::nullopt;
    std::vector<Axis> out;
    int64_t L = a.L;
    for (; L > max_k; L = (L + max_k - 1) / max_k) out.push_back({L, (L + max_k - 1) / max_k, max_k, max_k, 1, 0});
    out.push_back({L, 1, L, 1, 1, 0});
    return out;
  };
  std::vector<Geometry> geo;
  if (size_t(pp.KH * pp.KW) <= max_taps) {
    geo.push_back({pp.H, pp.W, pp.OH, pp.OW, pp.KH, pp.KW, pp.sh, pp.sw, pp.dh, pp.dw, pp.pt, pp.pl});
  } else {
    // Validity is separable (row inside and column inside), so the window's max is the
    // max over rows of the max over columns.
    auto cols = stages_of({pp.W, pp.OW, pp.KW, pp.sw, pp.dw, pp.pl});
    auto rows = stages_of({pp.H, pp.OH, pp.KH, pp.sh, pp.dh, pp.pt});
    if (!cols || !rows)
      return node_error(n, "a pooling window of " + std::to_string(pp.KH) + "x" + std::to_string(pp.KW) + " is not provable yet");
    int64_t W = pp.W, H = pp.H;
    for (const auto& a : *cols) geo.push_back({H, W, H, a.O, 1, a.K, 1, a.s, 1, a.d, 0, a.p}), W = a.O;
    for (const auto& a : *rows) geo.push_back({H, W, a.O, W, a.K, 1, a.s, 1, a.d, 1, a.p, 0}), H = a.O;
  }
  for (size_t k = 0; k < geo.size(); ++k) {
    const auto& g = geo[k];
    auto ms = maxpool_shape(uint32_t(pp.C), uint32_t(g.H), uint32_t(g.W), uint32_t(g.OH), uint32_t(g.OW),
                            uint32_t(g.KH), uint32_t(g.KW), uint32_t(g.sh), uint32_t(g.sw), uint32_t(g.dh),
                            uint32_t(g.dw), uint32_t(g.pt), uint32_t(g.pl));
    if (!ms.ok()) return node_error(n, ms.error());
    NodePlan::PoolStage st{std::move(ms).value(), 0, 0};
    st.y_col = add_column(p, {st.shape.out});
    st.d_col = p.columns.size();
    std::vector<uint32_t> ids;
    for (size_t t = 0; t < st.shape.taps.size(); ++t) ids.push_back(uint32_t(add_column(p, {st.shape.out})));
    for (auto& term : maxpool_range_terms(st.shape, ids)) p.range.terms.push_back(term);
    np.stages.push_back(std::move(st));
  }
  if (!(np.stages.back().shape.out == out)) return node_error(n, "output shape does not match the pooling");
  np.y_col = np.stages.back().y_col;
  p.col_of[np.y] = np.y_col;
  return {};
}

// The node looks its input up in `ft` (output column lookup_out): it joins the table's
// lookup group.
Status join_table(Plan& p, NodePlan& np, const FunctionTable* ft, const poly::PaddedShape& out) {
  size_t g = 0;
  while (g < p.table_groups.size() && p.table_groups[g].table != ft) ++g;
  if (g == p.table_groups.size()) {  // the table is checked once, by its first member
    if (auto s = ft->check(); !s.ok()) return node_error(*np.node, s.error());
    p.table_groups.push_back({ft, {}, {}, 0});
  }
  np.group = g;
  np.block = p.table_groups[g].members.size();
  p.table_groups[g].members.push_back(p.nodes.size());
  np.lookup_out = add_column(p, {out});
  return {};
}

// MatMul: a batched product (numpy broadcasting of batch axes) of the activation x and
// a weight (a committed weight column, in R_W) or a second activation.
Status plan_matmul(Plan& p, NodePlan& np, const QNode& n, std::map<int, int>& uses) {
  const QModel& m = *p.m;
  const auto& as = m.tensors[np.x].shape;
  const auto& bt = m.tensors[n.inputs[1]];
  const auto& ys = m.tensors[np.y].shape;
  if (m.tensors[np.x].is_const) return node_error(n, "a constant left operand is not provable yet");
  if (as.size() < 2 || bt.shape.size() < 2) return node_error(n, "a 1-D MatMul operand is not provable yet");
  auto ranked = [&](const model::Shape& sh) {
    std::vector<uint32_t> d(ys.size() - sh.size(), 1);
    for (int64_t v : sh) d.push_back(uint32_t(v));
    return poly::PaddedShape(std::move(d));
  };
  auto y = padded_of(ys);
  if (!y.ok()) return node_error(n, y.error());
  np.bmm = BmmShape{ranked(as), ranked(bt.shape), *y};
  if (auto s = np.bmm.check(); !s.ok()) return node_error(n, s.error());
  if (bt.is_const) {
    np.w = n.inputs[1];
    np.w_col = add_column(p, {np.bmm.b, np.w, false});
  } else {
    np.x2 = n.inputs[1];
    if (!p.kind.count(np.x2)) return node_error(n, "operand '" + bt.name + "' is not computed in this slice");
    ++uses[np.x2];
  }
  return {};
}

// Softmax: see NodePlan::SoftmaxPlan. The exp table is the model's, re-indexed by
// d = max - x in [0, 2^16) (0 past the model's cut, as the executor does).
// A division's committed columns (q, then its remainder limbs, on the output's shape)
// and their range terms; q is the output's column.
void add_divide_columns(Plan& p, NodePlan& np) {
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < np.div.num_columns(); ++i) ids.push_back(uint32_t(add_column(p, {np.div.shape})));
  np.y_col = ids[0];
  p.columns[np.y_col].zero_padded = true;  // q: C2 proves its padding zero
  for (auto& term : divide_range_terms(np.div, ids)) p.range.terms.push_back(term);
  p.col_of[np.y] = np.y_col;
}

Status plan_softmax(Plan& p, NodePlan& np, const QNode& n, size_t k, const poly::PaddedShape& out) {
  const QModel& m = *p.m;
  const auto& xs = m.tensors[np.x].shape;
  if (n.table < 0) return node_error(n, "no exp table");
  model::Node as;
  as.op = n.op, as.name = n.name, as.attrs = n.attrs;
  int64_t outer = 0, len = 0, inner = 0;
  model::softmax_layout(as, xs, m.opset, outer, len, inner);
  if (outer * len * inner != model::numel(xs) || len < 1) return node_error(n, "softmax layout does not cover the tensor");
  auto rows = padded_of({outer, inner});
  if (!rows.ok()) return node_error(n, rows.error());
  std::vector<int64_t> h(size_t(model::numel(xs)));
  for (size_t i = 0; i < h.size(); ++i) h[i] = int64_t(i) / (len * inner) * inner + int64_t(i) % inner;
  np.sm.sum = GatherShape{out, *rows, {}, 0, h};
  np.sm.spread = GatherShape{*rows, out, h, 0};
  for (const auto* g : {&np.sm.sum, &np.sm.spread})
    if (auto st = g->check(); !st.ok()) return node_error(n, st.error());
  const auto& t = m.tables[n.table];
  auto exp = std::make_shared<FunctionTable>();
  exp->in_lo = 0;
  int64_t top = 0;
  for (int64_t d = 0; d <= m.act_hi() - m.act_lo(); ++d) {
    const int64_t at = -d - t.in_lo;  // the executor's index of x - max = -d
    exp->values.push_back(-d < t.in_lo || at >= int64_t(t.values.size()) ? 0 : t.values[size_t(at)]);
    top = std::max(top, exp->values.back());
  }
  if (top <= 0) return node_error(n, "the exp table is empty");
  p.node_tables[k] = exp;
  ZK_TRY(join_table(p, np, exp.get(), out));
  np.lookup_in = add_column(p, {out});
  np.sm.m_col = add_column(p, {*rows});
  np.sm.s_col = add_column(p, {out});
  const unsigned sum_bits = unsigned(std::ceil(std::log2(double(len) * double(top) + 1)));
  np.div = DivideShape{out, unsigned(std::max<int64_t>(0, n.aux)), 0, m.act_lo(), m.act_hi(), std::max(1u, sum_bits)};
  if (auto st = np.div.check(); !st.ok()) return node_error(n, st.error());
  add_divide_columns(p, np);
  return {};
}

// PRelu with a slope per entry (per channel, broadcast): with r = Relu(x) from the Relu
// table, acc = 2^16 r + slope * (x - r), then requantization by 16.
Status plan_prelu(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out) {
  const QModel& m = *p.m;
  if (n.shift != 16 || m.tensors[np.x].shape != m.tensors[np.y].shape ||
      int64_t(n.mult.size()) != model::numel(m.tensors[np.y].shape))
    return node_error(n, "expected one slope per output entry and a shift of 16");
  std::vector<Fp> slope;
  for (int64_t v : n.mult) slope.push_back(Fp::from_i64(v));
  np.slope = poly::pad_tensor<Fp>(slope, out);
  ZK_TRY(join_table(p, np, p.relu.get(), out));
  return plan_requant(p, np, n, out);
}

// ReduceSum / ReduceMean: the sum over the reduced axes (a sum gather), times
// ReduceMean's multiplier, then requantization.
Status plan_reduce(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out) {
  const QModel& m = *p.m;
  const auto& xs = m.tensors[np.x].shape;
  auto in = padded_of(xs);
  if (!in.ok()) return node_error(n, in.error());
  auto idx = model::reduce_index(n, xs);
  if (idx.size() != uint64_t(model::numel(xs))) return node_error(n, "axis out of range");
  np.gather = GatherShape{*in, out, {}, 0, std::move(idx)};
  if (auto s = np.gather.check(); !s.ok()) return node_error(n, s.error());
  if (n.op == "ReduceMean") {
    if (n.mult.size() != 1 || n.mult[0] == 0) return node_error(n, "expected one nonzero multiplier");
    np.reduce_mult = Fp::from_i64(n.mult[0]);
  }
  return plan_requant(p, np, n, out);
}

// A range term on a column that some table looks up whole adds nothing when the
// table's inputs all lie in the term's range and the column's padding is proved zero
// elsewhere: the lookup already proves every real entry equal to one of those inputs,
// so it bounds the column as the range check would (rule 3;
// rule 5's "range-checked upstream" holds through the lookup). Such terms are dropped: a
// requantization feeding Relu or Tanh loses its output's 16-bit check, which is about a
// third of age's range witness. The test uses the whole table, before any window (a window
// is a subset of its table's rows), so the range statement does not depend on the run.
void drop_range_terms_implied_by_lookups(Plan& p) {
  const QModel& m = *p.m;
  // column -> (member, its table) for every lookup reading the column itself
  std::map<size_t, std::vector<std::pair<const NodePlan*, const FunctionTable*>>> lookups_of;
  for (const auto& g : p.table_groups)
    for (size_t k : g.members) {
      const NodePlan& np = p.nodes[k];
      auto col = p.col_of.find(np.x);
      // A member with a lookup column of its own (Softmax's d) looks that up, not x.
      if (np.lookup_in != SIZE_MAX || p.kind.at(np.x) != TensorKind::Committed || col == p.col_of.end()) continue;
      lookups_of[col->second].push_back({&np, g.table});
    }
  std::erase_if(p.range.terms, [&](const RangeTerm& term) {
    auto it = lookups_of.find(term.column);
    // The range check bounds every row of its column, padding included; a lookup only
    // the real entries, so the column's padding must be proved zero by its own gadget.
    if (it == lookups_of.end() || !p.columns[term.column].zero_padded) return false;
    const int64_t lo = -term.offset, hi = lo + (int64_t(1) << term.bits) - 1;
    for (const auto& [np, t] : it->second) {
      // Every real entry of the column is looked up: the lookup's block is y's shape.
      auto shape = padded_of(m.tensors[np->x].shape);
      if (shape.ok() && *shape == term.shape && m.tensors[np->y].shape == m.tensors[np->x].shape &&
          t->input(0) >= lo && t->input(t->values.size() - 1) <= hi)
        return true;
    }
    return false;
  });
}

// The 16-bit range table costs a 2^16-row LogUp tree and a 2^16-entry multiplicity
// column whatever the witness: a small network's range check is mostly that fixed cost
// (4l_relu_conv_fc: a 2^11-entry witness, and a witness stack of 2^17 entries for the
// multiplicities' sake). Below 2^kSmallRangeVars witness entries the 8-bit table is
// cheaper, each term of more than 8 bits paying two limb columns of its own size
// instead. The choice is a function of the plan alone (both sides make it), and the
// table's size is absorbed with the terms.
void use_small_range_table(Plan& p) {
  if (p.range.terms.empty() || p.range.witness_vars() > kSmallRangeVars) return;
  std::vector<RangeTerm> terms;
  for (const auto& t : p.range.terms) {
    if (t.bits <= 8) {
      terms.push_back(t);
      continue;
    }
    RangeSplit s{t.column, 0, 0, t.shape, t.bits, t.offset};
    s.lo = uint32_t(add_column(p, {t.shape}));
    s.hi = uint32_t(add_column(p, {t.shape}));
    terms.push_back({s.lo, t.shape, 8, 0});
    terms.push_back({s.hi, t.shape, t.bits - 8, 0});
    p.range_splits.push_back(std::move(s));
  }
  p.range.terms = std::move(terms);
  p.range.table_bits = 8;
}

Status stack_columns(Plan& p) {
  const size_t most = size_t(1) << kMaxStackVars;
  for (size_t c = 0; c < p.columns.size(); ++c) {
    if (p.columns[c].shape.padded_size() <= most) continue;
    int tensor = p.columns[c].weight_tensor;
    for (const auto& [t, col] : p.col_of)
      if (col == c) tensor = t;
    const std::string name = tensor >= 0 ? "'" + p.m->tensors[tensor].name + "'" : "a witness column";
    return make_error("tensor " + name + " takes 2^" + std::to_string(p.columns[c].shape.num_vars()) +
                      " entries once padded, more than one commitment holds (2^" + std::to_string(kMaxStackVars) +
                      "): split its node by output channels (compile with --max-slice-ms or --max-slice-mb)");
  }
  p.slots.assign(p.columns.size(), {});
  p.stack_vars.clear();
  for (int which : {0, 1}) {
    std::vector<size_t> members;
    size_t total = 0;
    for (size_t c = 0; c < p.columns.size(); ++c)
      if ((p.columns[c].weight_tensor >= 0) == (which == 1)) {
        members.push_back(c);
        total += p.columns[c].shape.padded_size();
      }
    if (members.empty()) continue;
    std::stable_sort(members.begin(), members.end(), [&](size_t a, size_t b) {
      return p.columns[a].shape.num_vars() > p.columns[b].shape.num_vars();
    });
    const size_t first = p.stack_vars.size();  // this kind's first stack
    // Sizes are powers of two taken largest first, so every column starts at a multiple
    // of its size, and a stack of 2^k <= the remaining total is filled exactly.
    size_t next = 0;
    while (next < members.size()) {
      size_t size = std::bit_ceil(total);
      const bool may_split = size >= (size_t(1) << (which == 0 ? kSplitFromVars : kSplitWeightsFromVars));
      const bool full_enough = 4 * total > 3 * size && size <= (size_t(1) << kMaxStackVars);
      const bool last = !may_split || p.stack_vars.size() - first + 1 == kMaxStacksPerKind || full_enough;
      if (!last) size = std::min(size >> 1, size_t(1) << kMaxStackVars);
      const int poly = int(p.stack_vars.size());
      size_t cursor = 0;
      while (next < members.size() && (last || cursor < size)) {
        const size_t c = members[next++];
        p.slots[c] = {poly, cursor};
        cursor += p.columns[c].shape.padded_size();
      }
      ZK_ASSERT(last || cursor == size);
      total -= cursor;
      // The rest of a split stack is at least 2^kMinSplitStackVars entries, so that
      // every stack can be a member of the joint commitment.
      const bool split = !last || size_t(poly) != first;
      p.stack_vars.push_back(std::max(poly::log2_ceil(cursor), split ? kMinSplitStackVars : 0u));
      if (p.stack_vars.back() > kMaxStackVars)
        return make_error(std::string(which == 0 ? "the slice's witness needs" : "the slice's weights need") + " more than " +
                          std::to_string(kMaxStacksPerKind) + " commitments of 2^" + std::to_string(kMaxStackVars) +
                          " entries: cut the model into more slices (--slices, --max-slice-ms or --max-slice-mb)");
    }
    if (which == 0) p.witness_stacks = p.stack_vars.size();
  }
  return {};
}

// The stacks' tables from the columns' tables.
std::vector<std::vector<Fp>> build_stacks(const Plan& p, const std::vector<std::vector<Fp>>& cols) {
  std::vector<std::vector<Fp>> stacks;
  for (unsigned vars : p.stack_vars) stacks.emplace_back(size_t(1) << vars, Fp::zero());
  for (size_t c = 0; c < cols.size(); ++c) {
    if (cols[c].empty()) continue;
    auto& st = stacks[size_t(p.slots[c].poly)];
    std::copy(cols[c].begin(), cols[c].end(), st.begin() + std::ptrdiff_t(p.slots[c].offset));
  }
  return stacks;
}

Result<Plan> make_plan(const SliceStatement& st, const ProofChoices& choices) {
  if (!st.model) return make_error("slice: no model");
  const QModel& m = *st.model;
  if (st.first >= st.end || st.end > m.nodes.size()) return make_error("slice: node range out of bounds");
  if (st.inputs.size() != st.input_values.size() || st.outputs.size() != st.output_values.size())
    return make_error("slice: boundary values do not match the boundary tensors");
  Plan p;
  p.m = &m;
  p.choices = choices;
  p.relu = std::make_shared<FunctionTable>();
  p.relu->in_lo = m.act_lo();
  for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) p.relu->values.push_back(std::max<int64_t>(0, v));
  for (int t : st.inputs) {
    if (t < 0 || size_t(t) >= m.tensors.size()) return make_error("slice: input tensor id out of range");
    p.kind[t] = TensorKind::PublicInput;
  }
  std::map<int, int> uses;
  for (size_t k = st.first; k < st.end; ++k) {
    const QNode& n = m.nodes[k];
    NodePlan np;
    np.node = &n;
    if (n.inputs.empty() || n.outputs.size() != 1) return node_error(n, "expected one activation input and one output");
    np.x = n.inputs[0], np.y = n.outputs[0];
    ++uses[np.x];
    auto out = padded_of(m.tensors[np.y].shape);
    if (!out.ok()) return node_error(n, out.error());
    if (n.op == "Conv") {
      np.kind = Kind::Conv;
      ZK_TRY(plan_conv(p, np, n));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "ConvTranspose") {
      np.kind = Kind::ConvT;
      ZK_TRY(plan_convt(p, np, n));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Gemm") {
      np.kind = Kind::Gemm;
      ZK_TRY(plan_gemm(p, np, n));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Relu" || is_table_op(m, n) || is_function_op(n)) {
      np.kind = Kind::Table;
      const FunctionTable* ft = p.relu.get();
      if (is_function_op(n)) {
        auto& slot = p.node_tables[k];
        slot = std::make_shared<FunctionTable>(function_table(m, n));
        ft = slot.get();
      } else if (n.op != "Relu") {
        auto& slot = p.model_tables[n.table];
        if (!slot) {
          slot = std::make_shared<FunctionTable>();
          slot->in_lo = m.tables[n.table].in_lo;
          slot->values = m.tables[n.table].values;
        }
        ft = slot.get();
      }
      ZK_TRY(join_table(p, np, ft, *out));
      np.y_col = np.lookup_out;
      p.col_of[np.y] = np.y_col;
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Mul") {
      np.kind = Kind::Mul;
      if (n.inputs.size() != 2) return node_error(n, "expected two operands");
      np.x2 = n.inputs[1];
      for (size_t i : {0, 1}) ZK_TRY(plan_operand(p, np, n, i, np.y, *out, uses));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Add" || n.op == "Sub" || n.op == "Sum") {
      np.kind = Kind::Add;
      if (n.in_shift.size() != n.inputs.size()) return node_error(n, "expected one input shift per operand");
      np.operands = n.inputs;
      np.linear.num_vars = out->num_vars();
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.in_shift[i] < 0 || n.in_shift[i] > 40) return node_error(n, "input shift out of range");
        ZK_TRY(plan_operand(p, np, n, i, np.y, *out, uses));
        int64_t c = int64_t(1) << n.in_shift[i];
        np.linear.coeffs.push_back(n.op == "Sub" && i == 1 ? -c : c);
      }
      ZK_TRY(np.linear.check());
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "PRelu" && !is_function_op(n)) {
      np.kind = Kind::PRelu;
      ++uses[np.x];  // read twice: by the product and by the Relu lookup
      ZK_TRY(plan_prelu(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "ReduceMean" || n.op == "ReduceSum") {
      np.kind = Kind::Reduce;
      ZK_TRY(plan_reduce(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Softmax" && n.inputs.size() == 1) {
      np.kind = Kind::Softmax;
      ZK_TRY(plan_softmax(p, np, n, k, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "MatMul" && n.inputs.size() == 2) {
      np.kind = Kind::MatMul;
      ZK_TRY(plan_matmul(p, np, n, uses));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Div" && n.inputs.size() == 2 && n.table < 0) {
      np.kind = Kind::Div;
      np.x2 = n.inputs[1];
      for (size_t i : {0, 1}) ZK_TRY(plan_operand(p, np, n, i, np.y, *out, uses));
      const int k = int(n.aux);
      np.div = DivideShape{*out, unsigned(std::max(k, 0)), unsigned(std::max(-k, 0)), m.act_lo(), m.act_hi(), 15};
      if (auto s = np.div.check(); !s.ok()) return node_error(n, s.error());
      add_divide_columns(p, np);
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "MaxPool" || n.op == "GlobalMaxPool") {
      np.kind = Kind::MaxPool;
      ZK_TRY(plan_maxpool(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "AveragePool" || n.op == "GlobalAveragePool") {
      np.kind = Kind::AvgPool;
      ZK_TRY(plan_avgpool(p, np, n, *out));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Concat" && !n.gather.empty()) {
      np.kind = Kind::Gather;
      ZK_TRY(plan_concat(p, np, n, *out, uses));
      p.kind[np.y] = TensorKind::Virtual;
    } else if (is_layout(n)) {
      np.kind = Kind::Gather;
      auto in = padded_of(m.tensors[np.x].shape);
      if (!in.ok()) return node_error(n, in.error());
      np.gather = GatherShape{*in, *out, n.gather, n.fill};
      if (auto s = np.gather.check(); !s.ok()) return node_error(n, s.error());
      p.kind[np.y] = TensorKind::Virtual;
    } else {
      return node_error(n, "op is not provable yet");
    }
    if (!p.kind.count(np.x)) return node_error(n, "input '" + m.tensors[np.x].name + "' is not computed in this slice");
    p.nodes.push_back(std::move(np));
  }
  for (int t : st.outputs) {
    if (t < 0 || size_t(t) >= m.tensors.size()) return make_error("slice: output tensor id out of range");
    if (!p.kind.count(t)) return make_error("slice: output '" + m.tensors[t].name + "' is not computed in this slice");
    ++uses[t];
  }
  // A layout output read more than once is committed: its node then proves the gather
  // from a fresh point on the commitment, and every reader's claim is an opening.
  for (auto& np : p.nodes)
    if (np.kind == Kind::Gather && uses[np.y] != 1) {
      p.kind[np.y] = TensorKind::Committed;
      np.y_col = add_column(p, {np.gather.out});
      p.col_of[np.y] = np.y_col;
    }
  for (size_t k : choices.saturating)
    if (!p.may_saturate.count(k))
      return make_error("slice: node '" + (k < m.nodes.size() ? m.nodes[k].name : std::to_string(k)) +
                        "' is listed as saturating but cannot saturate");
  drop_range_terms_implied_by_lookups(p);
  use_small_range_table(p);
  if (!choices.windows.empty() && choices.windows.rbegin()->first >= p.table_groups.size())
    return make_error("slice: a table window for lookup " + std::to_string(choices.windows.rbegin()->first) +
                      ", the slice has " + std::to_string(p.table_groups.size()));
  for (size_t gi = 0; gi < p.table_groups.size(); ++gi) {
    auto& g = p.table_groups[gi];
    const FunctionTable* whole = nullptr;
    if (auto it = choices.windows.find(gi); it != choices.windows.end()) {
      auto window = table_window(*g.table, it->second);
      if (!window.ok()) return make_error("slice: lookup " + std::to_string(gi) + ": " + window.error());
      whole = g.table;
      g.table = p.windows.emplace_back(std::make_shared<FunctionTable>(std::move(window).value())).get();
    }
    std::vector<poly::PaddedShape> shapes;
    for (size_t k : g.members) shapes.push_back(padded_of(m.tensors[p.nodes[k].y].shape).value());
    g.shape = TableShape{poly::BlockLayout(std::move(shapes)), g.table, whole};
    ZK_TRY(g.shape.check());
    g.m_col = add_column(p, {poly::PaddedShape::flat(g.table->values.size())});
  }
  if (!p.range.terms.empty()) {
    ZK_TRY(p.range.check());
    for (const auto& sp : p.range_splits) ZK_TRY(sp.check());
    p.range_m_col = add_column(p, {poly::PaddedShape::flat(size_t(1) << p.range.table_bits)});
  }
  ZK_TRY(stack_columns(p));
  return p;
}

// The padded table of a weight column, from the model (prover and verifier alike).
std::vector<Fp> weight_column(const Plan& p, const NodePlan& np, const Column& c) {
  const auto& t = p.m->tensors[c.weight_tensor];
  std::vector<Fp> dense(t.data.size());
  for (size_t i = 0; i < dense.size(); ++i) dense[i] = Fp::from_i64(t.data[i]);
  if (c.transposed) {  // w[c, mm, kh, kw] -> w'[g mg + mm, ci, KH-1-kh, KW-1-kw] with c = g cg + ci
    const auto& cs = np.conv;
    const size_t G = cs.groups, cg = cs.in_channels / G, mg = cs.out_channels / G, KH = cs.kernel_h, KW = cs.kernel_w;
    std::vector<Fp> conv(dense.size());
    for (size_t ch = 0; ch < cs.in_channels; ++ch)
      for (size_t mm = 0; mm < mg; ++mm)
        for (size_t kh = 0; kh < KH; ++kh)
          for (size_t kw = 0; kw < KW; ++kw) {
            const size_t g = ch / cg, ci = ch % cg, mo = g * mg + mm;
            conv[((mo * cg + ci) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)] = dense[((ch * mg + mm) * KH + kh) * KW + kw];
          }
    dense = std::move(conv);
  }
  if (c.conv_weights) return pad_conv_weights(dense, np.conv);
  return poly::pad_tensor<Fp>(dense, c.shape);
}

std::vector<Fp> padded_values(const std::vector<int64_t>& dense, const poly::PaddedShape& s) {
  std::vector<Fp> f(dense.size());
  for (size_t i = 0; i < f.size(); ++i) f[i] = Fp::from_i64(dense[i]);
  return poly::pad_tensor<Fp>(f, s);
}

std::vector<int64_t> to_i64(std::span<const Fp> v) {
  std::vector<int64_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = v[i].to_i64_centered();
  return out;
}

std::vector<std::vector<Fp>> weight_stack_tables(const Plan& p) {
  std::vector<std::vector<Fp>> stacks;
  for (size_t i = 0; i < p.weight_stacks(); ++i) stacks.emplace_back(size_t(1) << p.stack_vars[p.weight_stack() + i], Fp::zero());
  auto place = [&](const NodePlan& np, size_t c) {
    ZK_ASSERT(size_t(p.slots[c].poly) >= p.weight_stack());
    auto col = weight_column(p, np, p.columns[c]);
    auto& stack = stacks[size_t(p.slots[c].poly) - p.weight_stack()];
    std::copy(col.begin(), col.end(), stack.begin() + std::ptrdiff_t(p.slots[c].offset));
  };
  for (const auto& np : p.nodes)
    if (np.w >= 0) {
      place(np, np.w_col);
      if (np.b >= 0) place(np, np.b_col);
    }
  return stacks;
}

// The weight stacks' commitment, laid out from the model (verifier and sealing; the
// prover commits the same polynomials), remembered across calls (pcs::commitments_cached).
Result<WeightCommitment> weight_stack_commitment(const Plan& p, const pcs::Params& params) {
  if (!p.has_weights()) return make_error("slice: no weights to commit");
  for (const auto& c : p.columns)
    if (c.weight_tensor >= 0 && p.m->tensors[c.weight_tensor].withheld)
      return make_error("slice: the weights '" + p.m->tensors[c.weight_tensor].name +
                        "' were withheld (a verify-only manifest): committing them needs the full manifest");
  const auto stacks = weight_stack_tables(p);
  const std::vector<std::span<const Fp>> tables(stacks.begin(), stacks.end());
  auto c = pcs::commitments_cached(tables, params);
  if (!c.ok()) return make_error("slice: " + c.error());
  return *c;
}


}  // namespace zks::circuits::slice_detail
