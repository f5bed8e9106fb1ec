#include "circuits/slice/slice_proof.hpp"

#include <cmath>
#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "circuits/gadgets/conv.hpp"
#include "circuits/gadgets/gather.hpp"
#include "circuits/gadgets/hadamard.hpp"
#include "circuits/gadgets/linear.hpp"
#include "circuits/gadgets/matmul.hpp"
#include "circuits/gadgets/maxpool.hpp"
#include "circuits/gadgets/range.hpp"
#include "circuits/gadgets/requant.hpp"
#include "circuits/gadgets/table.hpp"
#include "field/field.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

constexpr uint32_t kProofVersion = 1;

using model::QModel;
using model::QNode;

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

enum class Kind { Conv, Gemm, Table, Gather, Mul, AvgPool, MaxPool, Add };
// PublicConst: a constant of the model used as an operand (the verifier evaluates it).
enum class TensorKind { PublicInput, PublicConst, Committed, Virtual };

struct Column {
  poly::PaddedShape shape;
  int weight_tensor = -1;  // a weight or bias the verifier lays out itself
  bool conv_weights = false;
};

struct NodePlan {
  Kind kind;
  const QNode* node;
  int x = -1, y = -1;
  ConvShape conv;
  MatmulShape mm;
  RequantShape rq;
  int w = -1, b = -1;
  size_t w_col = 0, b_col = 0, rq_col = 0;  // requant columns rq_col .. + rq.num_columns()
  size_t group = 0, block = 0;  // table ops: their lookup group and block in it
  size_t y_col = 0;
  GatherShape gather;
  int x2 = -1;                      // Mul: the second operand
  std::vector<int> operands;        // Add/Sub/Sum: every operand
  LinearShape linear;               // Add/Sub/Sum: +-2^in_shift per operand
  std::vector<Fp> ones, mult;       // AvgPool: the all-ones kernel and the divisor multipliers
  bool requant = false;             // Conv, Gemm, Mul, AvgPool end in a requantization
  // MaxPool: one stage, or two (a row max, then a column max) when the window has more
  // taps than one zerocheck can take; stage k reads stage k-1's committed output.
  struct PoolStage {
    MaxPoolShape shape;
    size_t y_col = 0, d_col = 0;  // its output column and first per-tap difference column
  };
  std::vector<PoolStage> stages;
};

struct Plan {
  const QModel* m = nullptr;
  std::vector<NodePlan> nodes;
  std::map<int, TensorKind> kind;
  std::map<int, size_t> col_of;  // committed tensors -> their column
  std::vector<Column> columns;
  std::map<int, std::vector<Fp>> const_tables;  // PublicConst tensors, padded
  // Columns are committed stacked: all witness columns in one polynomial, all weight
  // columns in another. Sorted by size (largest first), each column starts at an
  // offset that is a multiple of its own size, so its MLE is the stack's MLE with the
  // high variables fixed to the (Boolean) bits of its block index: a claim on a column
  // is a claim on the stack at (point, block bits). One commitment, one folding run.
  struct Slot {
    int poly = -1;      // index among the committed stacks
    size_t offset = 0;  // in the stack
  };
  std::vector<Slot> slots;
  unsigned stack_vars[2] = {0, 0};  // 0: witness stack, 1: weight stack
  bool stack_used[2] = {false, false};
  RangeShape range;
  size_t range_m_col = 0;
  // One lookup per table, shared by every node that looks into it (one table tree, one
  // multiplicity column). It runs when the reverse walk reaches its last member: every
  // member's input is made earlier, so its claims reach producers not yet walked.
  struct TableGroup {
    const FunctionTable* table = nullptr;
    std::vector<size_t> members;  // indices into nodes, in forward order
    TableShape shape;
    size_t m_col = 0;
  };
  std::vector<TableGroup> table_groups;
  // Function tables: Relu's, and the model's own (generated integer-exactly at compile
  // time, content-hashed into the manifest). Held by pointer: TableShapes point at them
  // across moves of the plan.
  std::shared_ptr<FunctionTable> relu;
  std::map<int, std::shared_ptr<FunctionTable>> model_tables;
};

// A node whose integer semantics are y = T[x - in_lo] over the whole activation range.
bool is_table_op(const QModel& m, const QNode& n) {
  if (n.table < 0 || n.table2 >= 0 || n.inputs.size() != 1 || n.op == "Softmax") return false;
  const auto& t = m.tables[n.table];
  return t.in_lo == m.act_lo() && int64_t(t.values.size()) == m.act_hi() - m.act_lo() + 1;
}

size_t add_column(Plan& p, Column c) {
  p.columns.push_back(std::move(c));
  return p.columns.size() - 1;
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
  np.w = n.inputs[1];
  np.w_col = add_column(p, {poly::PaddedShape::flat(size_t(1) << s.w_vars()), np.w, true});
  if (s.has_bias) {
    np.b = n.inputs[2];
    if (m.tensors[np.b].data.size() != s.out_channels) return node_error(n, "bias is not one value per channel");
    np.b_col = add_column(p, {poly::PaddedShape::flat(s.out_channels), np.b, false});
  }
  return {};
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
    if (bt.data.size() != N || !(bt.shape.size() == 1 || (bt.shape.size() == 2 && bt.shape[0] == 1)))
      return node_error(n, "only a bias per output column is provable");
    np.b_col = add_column(p, {poly::PaddedShape::flat(N), np.b, false});
  }
  return {};
}

Status plan_requant(Plan& p, NodePlan& np, const QNode& n, const poly::PaddedShape& out) {
  if (n.shift < 0) return node_error(n, "a left shift (requantization shift " + std::to_string(n.shift) + ") is not provable yet");
  np.requant = true;
  RequantShape& r = np.rq;
  r.shape = out;
  r.shift = unsigned(n.shift);
  r.lo = p.m->act_lo(), r.hi = p.m->act_hi();
  // The largest |q_full| from the range analysis; saturation is possible past hi.
  double q_max = n.acc_bound / std::ldexp(1.0, n.shift) + 2;
  r.excess_bits = q_max >= double(r.hi) ? unsigned(std::ceil(std::log2(q_max + 1))) + 1 : 0;
  ZK_TRY(r.check());
  np.rq_col = p.columns.size();
  for (size_t i = 0; i < r.num_columns(); ++i) add_column(p, {out});
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < r.num_columns(); ++i) ids.push_back(uint32_t(np.rq_col + i));
  for (auto& term : requant_range_terms(r, ids)) p.range.terms.push_back(term);
  p.col_of[np.y] = np.rq_col;  // the output q is the first requant column
  return {};
}

// An operand of an element-wise op: an activation of the output's shape, or a constant
// broadcast to it (the verifier evaluates the broadcast table itself).
Status plan_operand(Plan& p, const QNode& n, int t, int y, const poly::PaddedShape& out, std::map<int, int>& uses) {
  const QModel& m = *p.m;
  const auto& tt = m.tensors[t];
  if (tt.is_const) {
    if (p.const_tables.count(t) && p.const_tables[t].size() != out.padded_size())
      return node_error(n, "a constant used at two shapes is not provable yet");
    auto idx = model::kern::broadcast_index(tt.shape, m.tensors[y].shape);
    std::vector<Fp> dense;
    for (auto i : idx) dense.push_back(Fp::from_i64(tt.data[size_t(i)]));
    p.const_tables[t] = poly::pad_tensor<Fp>(dense, out);
    p.kind[t] = TensorKind::PublicConst;
  } else if (tt.shape != m.tensors[y].shape) {
    return node_error(n, "broadcasting an activation is not provable yet");
  }
  if (!p.kind.count(t)) return node_error(n, "operand '" + tt.name + "' is not computed in this slice");
  if (t != n.inputs[0]) ++uses[t];
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
  std::vector<Geometry> geo;
  if (size_t(pp.KH * pp.KW) <= max_taps) {
    geo.push_back({pp.H, pp.W, pp.OH, pp.OW, pp.KH, pp.KW, pp.sh, pp.sw, pp.dh, pp.dw, pp.pt, pp.pl});
  } else if (size_t(pp.KH) <= max_taps && size_t(pp.KW) <= max_taps) {
    // Validity is separable (row inside and column inside), so the window's max is the
    // max over rows of the max over columns.
    geo.push_back({pp.H, pp.W, pp.H, pp.OW, 1, pp.KW, 1, pp.sw, 1, pp.dw, 0, pp.pl});
    geo.push_back({pp.H, pp.OW, pp.OH, pp.OW, pp.KH, 1, pp.sh, 1, pp.dh, 1, pp.pt, 0});
  } else {
    return node_error(n, "a pooling window of " + std::to_string(pp.KH) + "x" + std::to_string(pp.KW) + " is not provable yet");
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

void stack_columns(Plan& p) {
  p.slots.assign(p.columns.size(), {});
  int next_poly = 0;
  for (int which : {0, 1}) {
    std::vector<size_t> members;
    for (size_t c = 0; c < p.columns.size(); ++c)
      if ((p.columns[c].weight_tensor >= 0) == (which == 1)) members.push_back(c);
    if (members.empty()) continue;
    std::stable_sort(members.begin(), members.end(), [&](size_t a, size_t b) {
      return p.columns[a].shape.num_vars() > p.columns[b].shape.num_vars();
    });
    size_t cursor = 0;
    for (size_t c : members) {
      p.slots[c] = {next_poly, cursor};
      cursor += p.columns[c].shape.padded_size();
    }
    p.stack_used[which] = true;
    p.stack_vars[which] = poly::log2_ceil(cursor);
    ++next_poly;
  }
}

// The stacks' tables from the columns' tables.
std::vector<std::vector<Fp>> build_stacks(const Plan& p, const std::vector<std::vector<Fp>>& cols) {
  std::vector<std::vector<Fp>> stacks;
  for (int which : {0, 1})
    if (p.stack_used[which]) stacks.emplace_back(size_t(1) << p.stack_vars[which], Fp::zero());
  for (size_t c = 0; c < cols.size(); ++c) {
    if (cols[c].empty()) continue;
    auto& st = stacks[size_t(p.slots[c].poly)];
    std::copy(cols[c].begin(), cols[c].end(), st.begin() + std::ptrdiff_t(p.slots[c].offset));
  }
  return stacks;
}

Result<Plan> make_plan(const SliceStatement& st) {
  if (!st.model) return make_error("slice: no model");
  const QModel& m = *st.model;
  if (st.first >= st.end || st.end > m.nodes.size()) return make_error("slice: node range out of bounds");
  if (st.inputs.size() != st.input_values.size() || st.outputs.size() != st.output_values.size())
    return make_error("slice: boundary values do not match the boundary tensors");
  Plan p;
  p.m = &m;
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
    } else if (n.op == "Gemm") {
      np.kind = Kind::Gemm;
      ZK_TRY(plan_gemm(p, np, n));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Relu" || is_table_op(m, n)) {
      np.kind = Kind::Table;
      const FunctionTable* ft = p.relu.get();
      if (n.op != "Relu") {
        auto& slot = p.model_tables[n.table];
        if (!slot) {
          slot = std::make_shared<FunctionTable>();
          slot->in_lo = m.tables[n.table].in_lo;
          slot->values = m.tables[n.table].values;
        }
        ft = slot.get();
      }
      if (auto s = ft->check(); !s.ok()) return node_error(n, s.error());
      size_t g = 0;
      while (g < p.table_groups.size() && p.table_groups[g].table != ft) ++g;
      if (g == p.table_groups.size()) p.table_groups.push_back({ft, {}, {}, 0});
      np.group = g;
      np.block = p.table_groups[g].members.size();
      p.table_groups[g].members.push_back(p.nodes.size());
      np.y_col = add_column(p, {*out});
      p.col_of[np.y] = np.y_col;
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Mul") {
      np.kind = Kind::Mul;
      if (n.inputs.size() != 2) return node_error(n, "expected two operands");
      np.x2 = n.inputs[1];
      for (int t : {np.x, np.x2}) ZK_TRY(plan_operand(p, n, t, np.y, *out, uses));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "Add" || n.op == "Sub" || n.op == "Sum") {
      np.kind = Kind::Add;
      if (n.in_shift.size() != n.inputs.size()) return node_error(n, "expected one input shift per operand");
      np.operands = n.inputs;
      np.linear.num_vars = out->num_vars();
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.in_shift[i] < 0 || n.in_shift[i] > 40) return node_error(n, "input shift out of range");
        ZK_TRY(plan_operand(p, n, n.inputs[i], np.y, *out, uses));
        int64_t c = int64_t(1) << n.in_shift[i];
        np.linear.coeffs.push_back(n.op == "Sub" && i == 1 ? -c : c);
      }
      ZK_TRY(np.linear.check());
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "MaxPool") {
      np.kind = Kind::MaxPool;
      ZK_TRY(plan_maxpool(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
    } else if (n.op == "AveragePool") {
      np.kind = Kind::AvgPool;
      ZK_TRY(plan_avgpool(p, np, n, *out));
      ZK_TRY(plan_requant(p, np, n, *out));
      p.kind[np.y] = TensorKind::Committed;
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
  for (auto& g : p.table_groups) {
    std::vector<poly::PaddedShape> shapes;
    for (size_t k : g.members) shapes.push_back(padded_of(m.tensors[p.nodes[k].y].shape).value());
    g.shape = TableShape{poly::BlockLayout(std::move(shapes)), g.table};
    ZK_TRY(g.shape.check());
    g.m_col = add_column(p, {poly::PaddedShape::flat(g.table->values.size())});
  }
  if (!p.range.terms.empty()) {
    ZK_TRY(p.range.check());
    p.range_m_col = add_column(p, {poly::PaddedShape::flat(size_t(1) << kRangeBits)});
  }
  stack_columns(p);
  return p;
}

// The padded table of a weight column, from the model (prover and verifier alike).
std::vector<Fp> weight_column(const Plan& p, const NodePlan& np, const Column& c) {
  const auto& t = p.m->tensors[c.weight_tensor];
  std::vector<Fp> dense(t.data.size());
  for (size_t i = 0; i < dense.size(); ++i) dense[i] = Fp::from_i64(t.data[i]);
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

// Everything both sides absorb before the first challenge.
void absorb_statement(transcript::Transcript& t, const SliceStatement& st, const pcs::Params& params,
                      const std::vector<pcs::Commitment>& commitments) {
  t.absorb_u64("slice.version", kProofVersion);
  t.absorb("slice.params", params.params_id());
  t.absorb("slice.fingerprint", st.fingerprint);
  t.absorb_u64("slice.index", st.index);
  t.absorb_u64("slice.first", st.first);
  t.absorb_u64("slice.end", st.end);
  for (const auto* group : {&st.input_values, &st.output_values})
    for (const auto& v : *group) {
      std::vector<Fp> f(v.size());
      for (size_t i = 0; i < v.size(); ++i) f[i] = Fp::from_i64(v[i]);
      t.absorb("slice.boundary", std::span<const Fp>(f));
    }
  for (const auto& c : commitments) {
    t.absorb_u64("slice.commitment_vars", c.num_vars);
    t.absorb("slice.commitment", c.root);
  }
}

// Claims on tensors, routed by kind (shared by prover and verifier).
struct Router {
  const Plan& plan;
  std::vector<pcs::Claim> openings;
  std::map<int, std::vector<EvalClaim>> pending;  // virtual tensors
  std::vector<std::pair<int, EvalClaim>> input_claims;
  std::vector<std::pair<const std::vector<Fp>*, EvalClaim>> public_claims;  // evaluated by the verifier

  void route(int tensor, const EvalClaim& c) {
    switch (plan.kind.at(tensor)) {
      case TensorKind::PublicInput: input_claims.push_back({tensor, c}); break;
      case TensorKind::Committed: open(plan.col_of.at(tensor), c); break;
      case TensorKind::Virtual: pending[tensor].push_back(c); break;
      case TensorKind::PublicConst: public_claims.push_back({&plan.const_tables.at(tensor), c}); break;
    }
  }
  // A claim on a column is a claim on its stack at (point, bits of its block index).
  void open(size_t column, const EvalClaim& c) {
    const auto& slot = plan.slots[column];
    const unsigned k = plan.columns[column].shape.num_vars();
    const bool weights = plan.columns[column].weight_tensor >= 0;
    const unsigned total = plan.stack_vars[weights ? 1 : 0];
    std::vector<Fp2> point = c.point;
    const size_t block = slot.offset >> k;
    for (unsigned i = k; i < total; ++i) point.push_back(((block >> (i - k)) & 1) ? Fp2::one() : Fp2::zero());
    openings.push_back({size_t(slot.poly), std::move(point), c.value});
  }
};

// Stage k's input is the node's input (k = 0) or stage k-1's committed output.
void route_maxpool(Router& router, const NodePlan& np, size_t k, const MaxPoolClaims& mc) {
  const auto& st = np.stages[k];
  for (size_t t = 0; t < mc.x.size(); ++t) {
    if (k == 0) router.route(np.x, mc.x[t]);
    else router.open(np.stages[k - 1].y_col, mc.x[t]);
    router.open(st.y_col, mc.y[t]);
    router.open(st.d_col + t, mc.d_rho[t]);
    router.open(st.d_col + t, mc.d_r[t]);
  }
}

Status check_against_executor(const QNode& n, const model::IntRun& run, int tensor, std::span<const Fp> padded,
                              const poly::PaddedShape& s) {
  const auto& want = run.values[tensor];
  for (uint64_t i = 0; i < want.size(); ++i)
    if (padded[s.padded_index(i)] != Fp::from_i64(want[i]))
      return node_error(n, "the circuit's result differs from the model executor at entry " + std::to_string(i));
  return {};
}

// The weight stack's commitment, laid out from the model (prover, verifier and sealing).
Result<pcs::Commitment> weight_stack_commitment(const Plan& p, const pcs::Params& params) {
  std::vector<std::vector<Fp>> cols(p.columns.size());
  for (const auto& np : p.nodes)
    for (size_t col : {np.w_col, np.b_col}) {
      if ((np.kind != Kind::Conv && np.kind != Kind::Gemm) || (col == np.b_col && np.b < 0)) continue;
      cols[col] = weight_column(p, np, p.columns[col]);
    }
  auto stacks = build_stacks(p, cols);
  auto cp = pcs::commit(stacks.back(), params);
  if (!cp.ok()) return make_error("slice: " + cp.error());
  return cp->commitment();
}

}  // namespace

Result<std::optional<pcs::Commitment>> weight_commitment(const SliceStatement& st, const pcs::Params& params) {
  auto planned = make_plan(st);
  if (!planned.ok()) return make_error(planned.error());
  if (!planned->stack_used[1]) return std::optional<pcs::Commitment>{};
  auto c = weight_stack_commitment(*planned, params);
  if (!c.ok()) return make_error(c.error());
  return std::optional<pcs::Commitment>(*c);
}

Result<util::Bytes> prove_slice(const SliceStatement& st, const pcs::Params& params) {
  auto planned = make_plan(st);
  if (!planned.ok()) return make_error(planned.error());
  const Plan& p = *planned;
  const QModel& m = *st.model;

  // The model's own run of the slice: the reference every circuit result must match.
  model::IntRun run;
  run.values.resize(m.tensors.size());
  for (size_t i = 0; i < st.inputs.size(); ++i) run.values[st.inputs[i]] = st.input_values[i];
  ZK_TRY(model::run_int_range(m, st.first, st.end, run));
  for (size_t i = 0; i < st.outputs.size(); ++i)
    if (run.values[st.outputs[i]] != st.output_values[i])
      return make_error("slice: output '" + m.tensors[st.outputs[i]].name + "' is not the model's result for the input");

  // Witness: every tensor in the padded layout, and every column.
  std::map<int, std::vector<Fp>> vals;
  std::map<int, std::vector<Fp>> accs;  // accumulators before requantization
  std::map<int, std::vector<Fp>> sums;  // AvgPool window sums
  for (const auto& [t, table] : p.const_tables) vals[t] = table;
  for (size_t i = 0; i < st.inputs.size(); ++i) {
    auto s = padded_of(m.tensors[st.inputs[i]].shape);
    if (!s.ok()) return make_error(s.error());
    vals[st.inputs[i]] = padded_values(st.input_values[i], *s);
  }
  std::vector<std::vector<Fp>> cols(p.columns.size());
  for (const auto& np : p.nodes) {
    const QNode& n = *np.node;
    const auto& x = vals.at(np.x);
    auto yshape = padded_of(m.tensors[np.y].shape).value();
    if (np.kind == Kind::Conv || np.kind == Kind::Gemm) {
      cols[np.w_col] = weight_column(p, np, p.columns[np.w_col]);
      std::vector<Fp> bias;
      if (np.b >= 0) cols[np.b_col] = weight_column(p, np, p.columns[np.b_col]), bias = cols[np.b_col];
      accs[np.y] = np.kind == Kind::Conv ? conv(np.conv, x, cols[np.w_col], bias) : matmul(np.mm, x, cols[np.w_col], bias);
    } else if (np.kind == Kind::Mul) {
      accs[np.y] = hadamard(x, vals.at(np.x2));
    } else if (np.kind == Kind::Add) {
      std::vector<std::span<const Fp>> xs;
      for (int t : np.operands) xs.push_back(vals.at(t));
      accs[np.y] = linear_combination(np.linear, xs);
    } else if (np.kind == Kind::AvgPool) {
      sums[np.y] = conv(np.conv, x, np.ones, {});
      accs[np.y] = hadamard(np.mult, sums[np.y]);
    }
    if (np.requant) {
      auto w = requant_witness(np.rq, to_i64(accs[np.y]));
      if (!w.ok()) return node_error(n, w.error());
      for (size_t i = 0; i < w->columns.size(); ++i) cols[np.rq_col + i] = std::move(w->columns[i]);
      vals[np.y] = cols[np.rq_col];
    } else if (np.kind == Kind::MaxPool) {
      std::span<const Fp> in = x;
      for (const auto& st : np.stages) {
        auto mw = maxpool_witness(st.shape, in);
        if (!mw.ok()) return node_error(n, mw.error());
        cols[st.y_col] = mw->y;
        for (size_t k = 0; k < mw->d.size(); ++k) cols[st.d_col + k] = std::move(mw->d[k]);
        in = cols[st.y_col];
      }
      vals[np.y] = cols[np.y_col];
    } else if (np.kind == Kind::Table) {
      auto y = apply_table(*p.table_groups[np.group].table, yshape, to_i64(x));
      if (!y.ok()) return node_error(n, y.error());
      cols[np.y_col] = *y;
      vals[np.y] = *y;
    } else {
      vals[np.y] = apply_gather(np.gather, x);
      if (p.kind.at(np.y) == TensorKind::Committed) cols[np.y_col] = vals[np.y];
    }
    ZK_TRY(check_against_executor(n, run, np.y, vals[np.y], yshape));
  }
  // Per table: the members' inputs and outputs, and the multiplicities over all of them.
  auto group_io = [&](const Plan::TableGroup& g) {
    std::vector<std::span<const Fp>> xs, ys;
    for (size_t k : g.members) xs.push_back(vals.at(p.nodes[k].x)), ys.push_back(cols[p.nodes[k].y_col]);
    return std::make_pair(xs, ys);
  };
  for (const auto& g : p.table_groups) {
    auto mult = table_multiplicities(g.shape, group_io(g).first);
    if (!mult.ok()) return make_error("slice: " + mult.error());
    cols[g.m_col] = std::move(mult).value();
  }
  std::vector<std::span<const Fp>> range_cols;
  RangeWitness range_w;
  if (!p.range.terms.empty()) {
    for (const auto& term : p.range.terms) range_cols.push_back(cols[term.column]);
    auto rw = range_witness(p.range, range_cols);
    if (!rw.ok()) return make_error("slice: " + rw.error());
    range_w = std::move(rw).value();
    cols[p.range_m_col] = range_w.multiplicities;
  }

  // Commit everything before any challenge: the witness stack and the weight stack.
  std::vector<pcs::CommittedPoly> committed;
  std::vector<pcs::Commitment> commitments;
  for (const auto& table : build_stacks(p, cols)) {
    auto cp = pcs::commit(table, params);
    if (!cp.ok()) return make_error("slice: " + cp.error());
    commitments.push_back(cp->commitment());
    committed.push_back(std::move(cp).value());
  }
  if (st.weights && (!p.stack_used[1] || !(commitments.back() == *st.weights)))
    return make_error("slice: the model's weights do not match the manifest's weight commitment");
  util::ByteWriter w;
  w.u32(kProofVersion);
  w.raw(params.params_id());
  w.u8(p.stack_used[0] ? 1 : 0);
  if (p.stack_used[0]) commitments[0].write(w);
  transcript::Transcript t("zkslice-slice");
  absorb_statement(t, st, params, commitments);

  Router router{p, {}, {}, {}};
  for (size_t i = 0; i < st.outputs.size(); ++i) {
    const int out = st.outputs[i];
    if (p.kind.at(out) == TensorKind::PublicInput) continue;  // passed through: checked as values
    const auto& v = vals.at(out);
    EvalClaim c{t.challenges("slice.output_point", poly::log2_ceil(v.size())), Fp2::zero()};
    c.value = poly::evaluate(std::span<const Fp>(v), c.point);
    router.route(out, c);
  }
  for (size_t k = p.nodes.size(); k-- > 0;) {
    const NodePlan& np = p.nodes[k];
    const auto& x = vals.at(np.x);
    if (np.kind == Kind::Gather) {
      EvalClaim claim;
      if (p.kind.at(np.y) == TensorKind::Committed) {
        claim.point = t.challenges("slice.layout_point", np.gather.out.num_vars());
        claim.value = poly::evaluate(std::span<const Fp>(cols[np.y_col]), claim.point);
        field::write(w, claim.value);
        t.absorb("slice.layout_value", claim.value);
        router.open(np.y_col, claim);
      } else {
        ZK_ASSERT(router.pending[np.y].size() == 1);
        claim = router.pending[np.y][0];
      }
      auto g = prove_gather(np.gather, x, claim, t);
      g.proof.write(w);
      router.route(np.x, g.x);
    } else if (np.kind == Kind::MaxPool) {
      for (size_t k = np.stages.size(); k-- > 0;) {
        const auto& st = np.stages[k];
        MaxPoolWitness mw{cols[st.y_col], {}};
        for (size_t t2 = 0; t2 < st.shape.taps.size(); ++t2) mw.d.push_back(cols[st.d_col + t2]);
        MaxPoolClaims mc;
        prove_maxpool(st.shape, k == 0 ? std::span<const Fp>(x) : std::span<const Fp>(cols[np.stages[k - 1].y_col]), mw,
                      t, &mc)
            .write(w);
        route_maxpool(router, np, k, mc);
      }
    } else if (np.kind == Kind::Table) {
      const auto& g = p.table_groups[np.group];
      if (np.block + 1 != g.members.size()) continue;  // the group's lookup ran at its last member
      auto [xs, ys] = group_io(g);
      auto tb = prove_table(g.shape, xs, ys, cols[g.m_col], t);
      tb.proof.write(w);
      for (size_t b = 0; b < g.members.size(); ++b) {
        router.route(p.nodes[g.members[b]].x, tb.claims.inputs[b]);
        router.open(p.nodes[g.members[b]].y_col, tb.claims.outputs[b]);
      }
      router.open(g.m_col, tb.claims.multiplicities);
    } else {
      RequantWitness rw;
      for (size_t i = 0; i < np.rq.num_columns(); ++i) rw.columns.push_back(cols[np.rq_col + i]);
      auto rq = prove_requant(np.rq, accs.at(np.y), rw, t);
      rq.proof.write(w);
      for (size_t i = 0; i < rq.claims.columns.size(); ++i) router.open(np.rq_col + i, rq.claims.columns[i]);
      std::vector<Fp> bias = np.b >= 0 ? cols[np.b_col] : std::vector<Fp>{};
      if (np.kind == Kind::Conv) {
        auto cv = prove_conv(np.conv, x, cols[np.w_col], bias, rq.claims.acc, t);
        cv.proof.write(w, np.conv);
        router.route(np.x, cv.claims.x);
        router.open(np.w_col, cv.claims.w);
        if (cv.claims.bias) router.open(np.b_col, *cv.claims.bias);
      } else if (np.kind == Kind::Gemm) {
        auto mm = prove_matmul(np.mm, x, cols[np.w_col], bias, rq.claims.acc, t);
        mm.proof.write(w, np.mm);
        router.route(np.x, mm.claims.a);
        router.open(np.w_col, mm.claims.b);
        if (mm.claims.bias) router.open(np.b_col, *mm.claims.bias);
      } else if (np.kind == Kind::Mul) {
        HadamardClaims hc;
        prove_hadamard(x, vals.at(np.x2), rq.claims.acc, t, &hc).write(w);
        router.route(np.x, hc.a);
        router.route(np.x2, hc.b);
      } else if (np.kind == Kind::Add) {
        std::vector<std::span<const Fp>> xs;
        for (int op : np.operands) xs.push_back(vals.at(op));
        auto lp = prove_linear(np.linear, xs, rq.claims.acc, t);
        lp.write(w);
        for (size_t i = 0; i < np.operands.size(); ++i) router.route(np.operands[i], {rq.claims.acc.point, lp.input_evals[i]});
      } else {  // AvgPool
        HadamardClaims hc;
        prove_hadamard(np.mult, sums.at(np.y), rq.claims.acc, t, &hc).write(w);
        router.public_claims.push_back({&np.mult, hc.a});
        auto cv = prove_conv(np.conv, x, np.ones, {}, hc.b, t);
        cv.proof.write(w, np.conv);
        router.route(np.x, cv.claims.x);
        router.public_claims.push_back({&np.ones, cv.claims.w});
      }
    }
  }
  if (!p.range.terms.empty()) {
    auto rg = prove_range(p.range, range_cols, range_w, t);
    rg.proof.write(w);
    for (const auto& cc : rg.claims.columns) router.open(cc.column, cc.claim);
    router.open(p.range_m_col, rg.claims.multiplicities);
  }
  // A slice of layout ops only commits nothing and has nothing to open.
  if (committed.empty()) {
    w.u32(0);
    return w.take();
  }
  std::vector<const pcs::CommittedPoly*> polys;
  for (const auto& c : committed) polys.push_back(&c);
  auto opening = pcs::open_batch(polys, router.openings, t, params);
  if (!opening.ok()) return make_error("slice: " + opening.error());
  w.u32(static_cast<uint32_t>(opening->size()));
  w.raw(*opening);
  return w.take();
}

Status verify_slice(const SliceStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params) {
  auto planned = make_plan(st);
  if (!planned.ok()) return make_error(planned.error());
  const Plan& p = *planned;
  const QModel& m = *st.model;
  // Public boundary values must be in the activation range (rule 5: every tensor
  // entering a linear op is range-checked; the verifier checks public ones itself).
  for (const auto* group : {&st.input_values, &st.output_values})
    for (const auto& v : *group)
      for (int64_t e : v)
        if (e < m.act_lo() || e > m.act_hi()) return make_error("slice: a boundary value is outside the activation range");
  for (size_t i = 0; i < st.inputs.size(); ++i)
    if (m.tensors[st.inputs[i]].shape.empty() || st.input_values[i].size() != uint64_t(model::numel(m.tensors[st.inputs[i]].shape)))
      return make_error("slice: input '" + m.tensors[st.inputs[i]].name + "' has the wrong size");
  for (size_t i = 0; i < st.outputs.size(); ++i) {
    if (st.output_values[i].size() != uint64_t(model::numel(m.tensors[st.outputs[i]].shape)))
      return make_error("slice: output '" + m.tensors[st.outputs[i]].name + "' has the wrong size");
    // A tensor passed through the slice unchanged must equal its input.
    for (size_t j = 0; j < st.inputs.size(); ++j)
      if (st.inputs[j] == st.outputs[i] && st.input_values[j] != st.output_values[i])
        return make_error("slice: passed-through tensor '" + m.tensors[st.outputs[i]].name + "' changed");
  }

  util::ByteReader r(bytes);
  uint32_t version;
  uint8_t has_witness;
  hash::Digest pid;
  if (!r.u32(version)) return make_error("slice proof: truncated header");
  if (version != kProofVersion) return make_error("slice proof: unknown version " + std::to_string(version));
  if (!r.raw(pid)) return make_error("slice proof: truncated header");
  if (pid != params.params_id()) return make_error("slice proof: made with other commitment parameters");
  if (!r.u8(has_witness) || has_witness != (p.stack_used[0] ? 1 : 0))
    return make_error("slice proof: the witness commitment is missing or unexpected");
  // The witness stack's commitment comes from the proof; the weight stack is laid out
  // and committed here, from the model.
  std::vector<pcs::Commitment> commitments;
  if (p.stack_used[0]) {
    auto c = pcs::Commitment::read(r, params);
    if (!c.ok()) return make_error("slice proof: " + c.error());
    if (c->num_vars != p.stack_vars[0]) return make_error("slice proof: the witness commitment has the wrong size");
    commitments.push_back(*c);
  }
  if (p.stack_used[1]) {
    if (st.weights) {
      if (st.weights->num_vars != p.stack_vars[1]) return make_error("slice: the manifest's weight commitment has the wrong size");
      commitments.push_back(*st.weights);
    } else {
      auto wc = weight_stack_commitment(p, params);
      if (!wc.ok()) return make_error(wc.error());
      commitments.push_back(*wc);
    }
  } else if (st.weights) {
    return make_error("slice: the manifest has a weight commitment for a slice without weights");
  }
  transcript::Transcript t("zkslice-slice");
  absorb_statement(t, st, params, commitments);

  Router router{p, {}, {}, {}};
  std::map<int, std::vector<Fp>> public_vals;
  for (size_t i = 0; i < st.inputs.size(); ++i)
    public_vals[st.inputs[i]] = padded_values(st.input_values[i], padded_of(m.tensors[st.inputs[i]].shape).value());
  for (size_t i = 0; i < st.outputs.size(); ++i) {
    const int out = st.outputs[i];
    if (p.kind.at(out) == TensorKind::PublicInput) continue;
    auto v = padded_values(st.output_values[i], padded_of(m.tensors[out].shape).value());
    EvalClaim c{t.challenges("slice.output_point", poly::log2_ceil(v.size())), Fp2::zero()};
    c.value = poly::evaluate(std::span<const Fp>(v), c.point);
    router.route(out, c);
  }
  for (size_t k = p.nodes.size(); k-- > 0;) {
    const NodePlan& np = p.nodes[k];
    const std::string at = np.node->op + " node '" + np.node->name + "': ";
    if (np.kind == Kind::Gather) {
      EvalClaim claim;
      if (p.kind.at(np.y) == TensorKind::Committed) {
        claim.point = t.challenges("slice.layout_point", np.gather.out.num_vars());
        ZK_TRY(field::read(r, claim.value));
        t.absorb("slice.layout_value", claim.value);
        router.open(np.y_col, claim);
      } else {
        auto pend = router.pending[np.y];
        if (pend.size() != 1) return make_error(at + "no claim reached this layout op");
        claim = pend[0];
      }
      auto gp = GatherProof::read(r, np.gather);
      if (!gp.ok()) return make_error(at + gp.error());
      auto c = verify_gather(np.gather, claim, *gp, t);
      if (!c.ok()) return make_error(at + c.error());
      router.route(np.x, *c);
    } else if (np.kind == Kind::MaxPool) {
      for (size_t k = np.stages.size(); k-- > 0;) {
        auto mp = MaxPoolProof::read(r, np.stages[k].shape);
        if (!mp.ok()) return make_error(at + mp.error());
        auto mc = verify_maxpool(np.stages[k].shape, *mp, t);
        if (!mc.ok()) return make_error(at + mc.error());
        route_maxpool(router, np, k, *mc);
      }
    } else if (np.kind == Kind::Table) {
      const auto& g = p.table_groups[np.group];
      if (np.block + 1 != g.members.size()) continue;
      auto tp = TableProof::read(r, g.shape);
      if (!tp.ok()) return make_error(at + tp.error());
      auto c = verify_table(g.shape, *tp, t);
      if (!c.ok()) return make_error(at + c.error());
      for (size_t b = 0; b < g.members.size(); ++b) {
        router.route(p.nodes[g.members[b]].x, c->inputs[b]);
        router.open(p.nodes[g.members[b]].y_col, c->outputs[b]);
      }
      router.open(g.m_col, c->multiplicities);
    } else {
      auto rp = RequantProof::read(r, np.rq);
      if (!rp.ok()) return make_error(at + rp.error());
      auto rc = verify_requant(np.rq, *rp, t);
      if (!rc.ok()) return make_error(at + rc.error());
      for (size_t i = 0; i < rc->columns.size(); ++i) router.open(np.rq_col + i, rc->columns[i]);
      if (np.kind == Kind::Conv || np.kind == Kind::AvgPool) {
        EvalClaim conv_claim = rc->acc;
        if (np.kind == Kind::AvgPool) {
          auto hp = HadamardProof::read(r, np.rq.num_vars());
          if (!hp.ok()) return make_error(at + hp.error());
          auto hc = verify_hadamard(np.rq.num_vars(), rc->acc, *hp, t);
          if (!hc.ok()) return make_error(at + hc.error());
          router.public_claims.push_back({&np.mult, hc->a});
          conv_claim = hc->b;
        }
        auto cp = ConvProof::read(r, np.conv);
        if (!cp.ok()) return make_error(at + cp.error());
        auto c = verify_conv(np.conv, conv_claim, *cp, t);
        if (!c.ok()) return make_error(at + c.error());
        router.route(np.x, c->x);
        if (np.kind == Kind::AvgPool) {
          router.public_claims.push_back({&np.ones, c->w});
        } else {
          router.open(np.w_col, c->w);
          if (c->bias) router.open(np.b_col, *c->bias);
        }
      } else if (np.kind == Kind::Gemm) {
        auto mp = MatmulProof::read(r, np.mm);
        if (!mp.ok()) return make_error(at + mp.error());
        auto c = verify_matmul(np.mm, rc->acc, *mp, t);
        if (!c.ok()) return make_error(at + c.error());
        router.route(np.x, c->a);
        router.open(np.w_col, c->b);
        if (c->bias) router.open(np.b_col, *c->bias);
      } else if (np.kind == Kind::Add) {
        auto lp = LinearProof::read(r, np.linear);
        if (!lp.ok()) return make_error(at + lp.error());
        auto lc = verify_linear(np.linear, rc->acc, *lp, t);
        if (!lc.ok()) return make_error(at + lc.error());
        for (size_t i = 0; i < np.operands.size(); ++i) router.route(np.operands[i], (*lc)[i]);
      } else {  // Mul
        auto hp = HadamardProof::read(r, np.rq.num_vars());
        if (!hp.ok()) return make_error(at + hp.error());
        auto hc = verify_hadamard(np.rq.num_vars(), rc->acc, *hp, t);
        if (!hc.ok()) return make_error(at + hc.error());
        router.route(np.x, hc->a);
        router.route(np.x2, hc->b);
      }
    }
  }
  if (!p.range.terms.empty()) {
    auto rp = RangeProof::read(r, p.range);
    if (!rp.ok()) return make_error(rp.error());
    auto c = verify_range(p.range, *rp, t);
    if (!c.ok()) return make_error(c.error());
    for (const auto& cc : c->columns) router.open(cc.column, cc.claim);
    router.open(p.range_m_col, c->multiplicities);
  }
  // Claims on public inputs: the verifier evaluates them itself (rule 12).
  for (const auto& [table, c] : router.public_claims)
    if (poly::evaluate(std::span<const Fp>(*table), c.point) != c.value)
      return make_error("slice: a claim on a public constant of the model is false");
  for (const auto& [tensor, c] : router.input_claims)
    if (poly::evaluate(std::span<const Fp>(public_vals.at(tensor)), c.point) != c.value)
      return make_error("slice: the proof does not lead back to the public input '" + m.tensors[tensor].name + "'");
  uint32_t len;
  if (!r.u32(len) || r.remaining() != len) return make_error("slice proof: opening truncated or followed by extra bytes");
  if (commitments.empty()) {
    if (len != 0 || !router.openings.empty()) return make_error("slice proof: an opening where nothing is committed");
    return {};
  }
  std::vector<uint8_t> opening(len);
  if (!r.raw(opening)) return make_error("slice proof: opening truncated");
  Status s = pcs::verify_batch(commitments, router.openings, opening, t, params);
  if (!s.ok()) return make_error("slice: " + s.error());
  return {};
}

}  // namespace zks::circuits
