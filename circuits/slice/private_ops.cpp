// The ops a private proof takes (private_planner.hpp), each planned from the planner's
// primitives: linear maps with public weights, products, max checks, divisions, lookups.
#include <algorithm>
#include <cmath>
#include <limits>

#include "circuits/slice/private_planner.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "model/float_exec.hpp"
#include "model/quantize.hpp"

namespace zks::circuits::private_detail {

using slice_detail::node_error;

Status Planner::gemm(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  if (n.inputs.size() < 2 || n.inputs.size() > 3) return node_error(n, "expected 2 or 3 inputs");
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  const model::QTensor& w = m_.tensors[n.inputs[1]];
  if (!w.is_const || w.shape.size() != 2) return node_error(n, "needs constant 2-d weights");
  const size_t K = size_t(w.shape[0]), N = size_t(w.shape[1]);
  if (K == 0 || N == 0 || w.data.size() != K * N) return node_error(n, "malformed weights");
  // Rows [M, K] by W [K, N], one row after another (a batch, or one row).
  const poly::PaddedShape in = p_.col_shape[*x];
  const auto& xs = m_.tensors[n.inputs[0]].shape;
  if (xs.size() != 2 || xs[0] < 1 || size_t(xs[1]) != K) return node_error(n, "needs an input [M, K]");
  const size_t M = size_t(xs[0]);
  if (in.real_count() != M * K || out.real_count() != M * N)
    return node_error(n, "input, weight and output sizes do not fit");
  if (M * K * N > (size_t(1) << 26)) return node_error(n, "too many multiplications for a private proof");
  LinearPlan lp;
  ZK_TRY(bias_of(n, 2, M * N, lp.bias));
  const std::vector<int64_t>* W = &w.data;
  LinearInput li;
  li.col = *x;
  li.fold = [W, M, K, N, in, out](std::span<const Fp2> r, unsigned kv) {
    const auto e = eq_of(r);
    const auto pin = in.padded_indices(), pout = out.padded_indices();
    std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
    for (size_t m = 0; m < M; ++m)
      for (size_t i = 0; i < K; ++i) {
        Fp2 acc = Fp2::zero();
        for (size_t j = 0; j < N; ++j) acc += e[pout[m * N + j]] * Fp2(Fp::from_i64((*W)[i * N + j]));
        mr[pin[m * K + i]] = acc;
      }
    return mr;
  };
  li.apply = [W, M, K, N](std::span<const int64_t> xv, std::vector<int64_t>& acc) {
    for (size_t m = 0; m < M; ++m)
      for (size_t i = 0; i < K; ++i)
        if (const int64_t a = xv[m * K + i]; a != 0)
          for (size_t j = 0; j < N; ++j) acc[m * N + j] += a * (*W)[i * N + j];
  };
  lp.ins.push_back(std::move(li));
  std::vector<double> bound(M * N, 0.0);
  for (size_t i = 0; i < K; ++i)
    for (size_t j = 0; j < N; ++j) bound[j] += std::fabs(double(w.data[i * N + j])) * in_max();
  for (size_t m = 1; m < M; ++m) std::copy_n(bound.begin(), N, bound.begin() + long(m * N));
  return add_linear(k, std::move(lp), out, n.shift, bound, true);
}

Status Planner::conv_of(const QNode& n, const std::string& what, model::kern::ConvParams& cp,
                        std::vector<int64_t>& bias) {
  const auto& xs = m_.tensors[n.inputs[0]].shape;
  const model::QTensor& w = m_.tensors[n.inputs[1]];
  if (xs.size() != 4 || xs[0] != 1 || !w.is_const) return node_error(n, "proves 2-D " + what + " of one image");
  ZK_TRY(model::conv_setup(as_graph_node(n), xs, w.shape, cp));
  bias.assign(size_t(cp.M * cp.OH * cp.OW), 0);
  if (n.inputs.size() > 2) {
    const model::QTensor& b = m_.tensors[n.inputs[2]];
    if (!b.is_const || b.data.size() != size_t(cp.M)) return node_error(n, "needs a constant bias per channel");
    for (size_t o = 0; o < bias.size(); ++o) bias[o] = b.data[o / size_t(cp.OH * cp.OW)];
  }
  return {};
}

Status Planner::conv(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  const model::QTensor& w = m_.tensors[n.inputs[1]];
  model::kern::ConvParams cp{};
  LinearPlan lp;
  ZK_TRY(conv_of(n, "convolution", cp, lp.bias));
  const int64_t Cg = cp.C / cp.group, Mg = cp.M / cp.group;
  if (out.dims().size() != 4 || out.dims()[1] != cp.M || out.dims()[2] != cp.OH || out.dims()[3] != cp.OW)
    return node_error(n, "output shape does not match the convolution");
  const poly::PaddedShape in = p_.col_shape[*x];
  if (in.real_count() != uint64_t(cp.C * cp.H * cp.W)) return node_error(n, "input size does not match");
  const std::vector<int64_t>* W = &w.data;
  LinearInput li;
  li.col = *x;
  li.fold = [W, cp, Cg, Mg, in, out](std::span<const Fp2> r, unsigned kv) {
    // The output's axes (dims [1, M, OH, OW]): eq of each from its coordinates, and
    // the coordinates above the layout (when it has no variables) at 0.
    auto axis_eq = [&](size_t a) { return eq_of(r.subspan(out.axis_offset(a), out.axis_bits(a))); };
    Fp2 extra = Fp2::one();
    for (size_t j = out.num_vars(); j < r.size(); ++j) extra *= Fp2::one() - r[j];
    const auto Ec = axis_eq(1), Eh = axis_eq(2), Ew = axis_eq(3);
    // Wr[c][kh][kw]
    std::vector<Fp2> Wr(size_t(cp.C * cp.KH * cp.KW), Fp2::zero());
    for (int64_t co = 0; co < cp.M; ++co) {
      const int64_t g = co / Mg;
      const Fp2 ec = Ec[size_t(co)] * extra;
      for (int64_t ic = 0; ic < Cg; ++ic)
        for (int64_t t = 0; t < cp.KH * cp.KW; ++t)
          Wr[size_t((g * Cg + ic) * cp.KH * cp.KW + t)] +=
              ec * Fp2(Fp::from_i64((*W)[size_t((co * Cg + ic) * cp.KH * cp.KW + t)]));
    }
    // Th[kh][h] = Eh[oh] where oh sh + kh dh - pt = h; Tw likewise.
    auto taps = [](const std::vector<Fp2>& E, int64_t K, int64_t O, int64_t I, int64_t s, int64_t d, int64_t pad) {
      std::vector<Fp2> T(size_t(K * I), Fp2::zero());
      for (int64_t kk = 0; kk < K; ++kk)
        for (int64_t o = 0; o < O; ++o) {
          const int64_t i = o * s + kk * d - pad;
          if (i >= 0 && i < I) T[size_t(kk * I + i)] += E[size_t(o)];
        }
      return T;
    };
    const auto Th = taps(Eh, cp.KH, cp.OH, cp.H, cp.sh, cp.dh, cp.pt);
    const auto Tw = taps(Ew, cp.KW, cp.OW, cp.W, cp.sw, cp.dw, cp.pl);
    const auto pin = in.padded_indices();
    std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
    std::vector<Fp2> row(size_t(cp.KW * cp.W));
    for (int64_t c = 0; c < cp.C; ++c)
      for (int64_t h = 0; h < cp.H; ++h) {
        // row[kw][w] = sum_kh Wr[c][kh][kw] Th[kh][h]
        std::fill(row.begin(), row.end(), Fp2::zero());
        for (int64_t kh = 0; kh < cp.KH; ++kh) {
          const Fp2 th = Th[size_t(kh * cp.H + h)];
          if (th.is_zero()) continue;
          for (int64_t kw = 0; kw < cp.KW; ++kw) {
            const Fp2 a = Wr[size_t((c * cp.KH + kh) * cp.KW + kw)] * th;
            for (int64_t ww = 0; ww < cp.W; ++ww) row[size_t(kw * cp.W + ww)] += a * Tw[size_t(kw * cp.W + ww)];
          }
        }
        for (int64_t ww = 0; ww < cp.W; ++ww) {
          Fp2 v = Fp2::zero();
          for (int64_t kw = 0; kw < cp.KW; ++kw) v += row[size_t(kw * cp.W + ww)];
          mr[pin[size_t((c * cp.H + h) * cp.W + ww)]] = v;
        }
      }
    return mr;
  };
  li.apply = [W, cp](std::span<const int64_t> xv, std::vector<int64_t>& acc) {
    std::vector<int64_t> y(acc.size(), 0);
    model::kern::conv2d<int64_t>(cp, xv.data(), W->data(), nullptr, y.data());
    for (size_t i = 0; i < acc.size(); ++i) acc[i] += y[i];
  };
  lp.ins.push_back(std::move(li));
  std::vector<double> bound(size_t(cp.M * cp.OH * cp.OW), 0.0);
  for (int64_t co = 0; co < cp.M; ++co) {
    double b = 0;
    for (int64_t t = 0; t < Cg * cp.KH * cp.KW; ++t)
      b += std::fabs(double(w.data[size_t(co * Cg * cp.KH * cp.KW + t)]));
    for (int64_t o = 0; o < cp.OH * cp.OW; ++o) bound[size_t(co * cp.OH * cp.OW + o)] = b * in_max();
  }
  return add_linear(k, std::move(lp), out, n.shift, bound, true);
}

Status Planner::pool_taps(const QNode& n, size_t x_col, const poly::PaddedShape& out,
                          std::vector<std::vector<int64_t>>& taps) {
  model::kern::PoolParams pp{};
  model::Shape ys;
  ZK_TRY(model::pool_setup(as_graph_node(n), m_.tensors[n.inputs[0]].shape, pp, ys));
  const size_t N = size_t(pp.N * pp.C * pp.OH * pp.OW);
  if (out.real_count() != N || p_.col_shape[x_col].real_count() != size_t(pp.N * pp.C * pp.H * pp.W))
    return node_error(n, "shapes do not match the pooling");
  taps.assign(size_t(pp.KH * pp.KW), std::vector<int64_t>(N, -1));
  for (int64_t nc = 0; nc < pp.N * pp.C; ++nc)
    for (int64_t oh = 0; oh < pp.OH; ++oh)
      for (int64_t ow = 0; ow < pp.OW; ++ow)
        for (int64_t kh = 0; kh < pp.KH; ++kh)
          for (int64_t kw = 0; kw < pp.KW; ++kw) {
            const int64_t ih = oh * pp.sh - pp.pt + kh * pp.dh, iw = ow * pp.sw - pp.pl + kw * pp.dw;
            if (ih >= 0 && ih < pp.H && iw >= 0 && iw < pp.W)
              taps[size_t(kh * pp.KW + kw)][size_t((nc * pp.OH + oh) * pp.OW + ow)] = (nc * pp.H + ih) * pp.W + iw;
          }
  return {};
}

Status Planner::avgpool(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  std::vector<std::vector<int64_t>> taps;
  ZK_TRY(pool_taps(n, *x, out, taps));
  const size_t N = out.real_count();
  if (n.mult.size() != N) return node_error(n, "expected one multiplier an output");
  auto entries = std::make_shared<std::vector<Entry>>();
  for (const auto& tap : taps)
    for (size_t o = 0; o < N; ++o)
      if (tap[o] >= 0) entries->push_back({uint32_t(o), uint32_t(tap[o]), n.mult[o]});
  return sparse_linear(k, out, {{*x, entries}}, std::vector<int64_t>(N, 0), n.shift, true);
}

Status Planner::elementwise(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  const auto& os = m_.tensors[n.outputs[0]].shape;
  const size_t N = out.real_count();
  std::vector<int64_t> bias(N, 0);
  std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
  if (n.op == "Mul") {
    if (n.inputs.size() != 2) return node_error(n, "expected two inputs");
    const bool c0 = m_.tensors[n.inputs[0]].is_const, c1 = m_.tensors[n.inputs[1]].is_const;
    if (!c0 && !c1) return product(k, out);
    if (c0 && c1) return node_error(n, "multiplies two constants");
    const int xt = c0 ? n.inputs[1] : n.inputs[0];
    const model::QTensor& c = m_.tensors[c0 ? n.inputs[0] : n.inputs[1]];
    auto x = held(n, xt);
    if (!x.ok()) return make_error(x.error());
    const auto ix = model::kern::broadcast_index(m_.tensors[xt].shape, os);
    const auto ic = model::kern::broadcast_index(c.shape, os);
    if (ix.size() != N || ic.size() != N) return node_error(n, "inputs do not broadcast to the output");
    auto e = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(ix[o]), c.data[size_t(ic[o])]});
    parts.emplace_back(*x, e);
  } else {
    if (n.in_shift.size() != n.inputs.size()) return node_error(n, "expected a shift an input");
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const model::QTensor& t = m_.tensors[n.inputs[i]];
      const int64_t mul = (n.op == "Sub" && i == 1 ? -1 : 1) * (int64_t(1) << n.in_shift[i]);
      const auto bi = model::kern::broadcast_index(t.shape, os);
      if (bi.size() != N) return node_error(n, "inputs do not broadcast to the output");
      if (t.is_const) {
        for (size_t o = 0; o < N; ++o) bias[o] += t.data[size_t(bi[o])] * mul;
        continue;
      }
      auto x = held(n, n.inputs[i]);
      if (!x.ok()) return make_error(x.error());
      auto e = std::make_shared<std::vector<Entry>>();
      for (size_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(bi[o]), mul});
      parts.emplace_back(*x, e);
    }
    if (parts.empty()) return node_error(n, "has no activation input");
  }
  return sparse_linear(k, out, parts, std::move(bias), n.shift, true);
}

Status Planner::layout(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  const size_t N = out.real_count();
  if (n.gather.size() != N) return node_error(n, "expected a gather map an output");
  if (n.op == "Concat") {
    if (n.in_shift.size() != n.inputs.size()) return node_error(n, "expected a shift an input");
  } else if (n.inputs.size() != 1) {
    return node_error(n, "expected one input");
  }
  if (n.fill < m_.act_lo() || n.fill > m_.act_hi()) return node_error(n, "its fill is outside the activation range");
  std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
  std::vector<int64_t> starts;  // each part's first source index
  int64_t total = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    auto x = held(n, n.inputs[i]);
    if (!x.ok()) return make_error(x.error());
    if (n.op == "Concat" && n.in_shift[i] != 0) {  // the part requantized first, as the executor does
      const poly::PaddedShape ps = p_.col_shape[*x];
      const size_t P = ps.real_count();
      auto e = std::make_shared<std::vector<Entry>>();
      for (size_t o = 0; o < P; ++o) e->push_back({uint32_t(o), uint32_t(o), 1});
      const size_t map = p_.linears.size();  // its limbs' offset copies may follow it
      ZK_TRY(sparse_linear(k, ps, {{*x, e}}, std::vector<int64_t>(P, 0), n.in_shift[i], true, false));
      x = p_.linears[map].q_col;
    }
    parts.emplace_back(*x, std::make_shared<std::vector<Entry>>());
    starts.push_back(total);
    total += int64_t(p_.col_shape[*x].real_count());
  }
  std::vector<int64_t> bias(N, 0);
  bool identity = n.inputs.size() == 1 && size_t(total) == N;
  for (size_t o = 0; o < N; ++o) {
    const int64_t g = n.gather[o];
    identity = identity && g == int64_t(o);
    if (g < 0) {
      bias[o] = n.fill;
      continue;
    }
    if (g >= total) return node_error(n, "its gather map reads past its inputs");
    const size_t part = size_t(std::upper_bound(starts.begin(), starts.end(), g) - starts.begin()) - 1;
    parts[part].second->push_back({uint32_t(o), uint32_t(g - starts[part]), 1});
  }
  if (identity) {
    col_of_[n.outputs[0]] = parts[0].first;  // every entry in place: the same column
    return {};
  }
  std::erase_if(parts, [](const auto& pr) { return pr.second->empty(); });
  if (parts.empty()) return node_error(n, "outputs only its fill");
  return sparse_linear(k, out, parts, std::move(bias), 0, false);
}

Status Planner::product(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  LinearPlan lp;
  const auto& os = m_.tensors[n.outputs[0]].shape;
  double bound = 1;
  for (int t : n.inputs) {
    auto x = held(n, t);
    if (!x.ok()) return make_error(x.error());
    auto col = copy_to(k, *x, model::kern::broadcast_index(m_.tensors[t].shape, os), out);
    if (!col.ok()) return make_error(col.error());
    LinearInput li;
    li.col = *col;
    lp.ins.push_back(std::move(li));
    bound *= max_of(*col);
  }
  lp.product = true;
  lp.bias.assign(out.real_count(), 0);
  return add_linear(k, std::move(lp), out, n.shift, std::vector<double>(out.real_count(), bound), true);
}

Status Planner::div_node(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  if (n.inputs.size() != 2) return node_error(n, "expected two inputs");
  const auto& os = m_.tensors[n.outputs[0]].shape;
  const model::QTensor &at = m_.tensors[n.inputs[0]], &bt = m_.tensors[n.inputs[1]];
  if (bt.is_const) return node_error(n, "divides by a constant (the compiler makes that a Mul)");
  Operand a, b;
  a.index = model::kern::broadcast_index(at.shape, os);
  b.index = model::kern::broadcast_index(bt.shape, os);
  if (at.is_const) {
    a.konst = &at.data;
  } else {
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    a.col = *x;
  }
  auto y = held(n, n.inputs[1]);
  if (!y.ok()) return make_error(y.error());
  b.col = *y;
  // |q| <= |A| / D + 1 <= |a| 2^ka + 1 (D >= 1).
  const double a_max = a.konst ? [&] {
    double mx = 0;
    for (int64_t v : *a.konst) mx = std::max(mx, std::fabs(double(v)));
    return mx;
  }() : max_of(a.col);
  auto q = divide(k, out, a, b, n.aux, std::ldexp(a_max, int(std::max<int64_t>(n.aux, 0))) + 1);
  if (!q.ok()) return make_error(q.error());
  col_of_[n.outputs[0]] = *q;
  return {};
}

Result<size_t> Planner::divide(size_t k, const poly::PaddedShape& out, const Operand& a, const Operand& b,
                               int64_t shift, double q_bound) {
  const size_t N = out.real_count();
  if (shift < -30 || shift > 30)
    return step_error(m_, k,
                      "divides at a scale shift of " + std::to_string(shift) + " (at most 30 in a private proof)");
  if (a.index.size() != N || b.index.size() != N) return step_error(m_, k, "inputs do not broadcast to the output");
  DivPlan d;
  d.node = k, d.a_col = a.col, d.a_const = a.konst, d.b_col = b.col, d.ia = a.index, d.ib = b.index;
  d.ka = unsigned(std::max<int64_t>(shift, 0)), d.kb = unsigned(std::max<int64_t>(-shift, 0));
  if (a.konst)
    for (int64_t i : a.index) {
      if (i < 0 || size_t(i) >= a.konst->size()) return step_error(m_, k, "its constant does not broadcast");
      if (std::ldexp(std::fabs(double((*a.konst)[size_t(i)])), int(d.ka) + 1) >= std::ldexp(1.0, 62))
        return step_error(m_, k, "its constant numerator may reach 2^62 (field headroom)");
    }
  d.q_col = d.y_col = new_col(out);
  std::vector<std::pair<size_t, unsigned>> tops;
  const double excess = std::max(q_bound - double(m_.act_hi()), q_bound + double(m_.act_lo()));
  if (excess > 0) {  // q may clamp: y of its own, and the excess
    d.y_col = new_col(out);
    // The width the bound asks for, at most 45 bits: a wider excess is refused when
    // proving (the run knows; the plan has only the bound).
    const unsigned G = std::min(45u, unsigned(std::ceil(std::log2(excess + 2))));
    d.excess_cols = limbs(k, out, G, tops);
    d.excess_bits = G;
    col_max_[d.q_col] = std::ldexp(1.0, int(G)) + in_max();  // |q| = |y +- c| as proved
    // q - y - c (2y - lo - hi) / (hi - lo) = 0
    ProductCheck pc;
    pc.node = k, pc.what = "clamp", pc.out = out, pc.nv = std::max(kMinReadVars, out.num_vars());
    pc.factors = {{d.q_col, 0, 0}, {d.y_col, 0, 0}};
    for (size_t c : d.excess_cols) pc.factors.push_back({c, 0, 0});
    const unsigned sel = unsigned(pc.factors.size());
    std::vector<unsigned> e;
    for (unsigned j = 0; j < d.excess_cols.size(); ++j) e.push_back(2 + j);
    pc.terms = excess_terms(1, e, sel, 0);
    pc.terms.insert(pc.terms.begin(), {{Fp2::one(), {0, sel}}, {-Fp2::one(), {1, sel}}});
    pc.second.terms = clamp_terms(1, e, sel);
    std::vector<char> masked(sel + 1, 1);
    masked[sel] = 0;
    pc.degrees = sc::masked_degrees(pc.nv, pc.second.with(pc.terms, Fp2::one()), masked, true);
    p_.products.push_back(std::move(pc));
  }
  needs_range_.push_back({d.y_col, k});
  p_.steps.emplace_back(Step::Div, p_.divs.size());
  p_.divs.push_back(d);
  ZK_TRY(check_tops(k, out, tops));
  // P = b q.
  auto bq = copy_to(k, b.col, b.index, out);
  if (!bq.ok()) return bq;
  LinearPlan lp;
  lp.product = true;
  for (size_t c : {*bq, d.q_col}) {
    LinearInput li;
    li.col = c;
    lp.ins.push_back(std::move(li));
  }
  lp.bias.assign(N, 0);
  ZK_TRY(add_linear(k, std::move(lp), out, 0, std::vector<double>(N, max_of(*bq) * max_of(d.q_col)), false, false));
  const size_t P = p_.linears.back().q_col;
  unsigned W = 0;
  while (std::ldexp(1.0, W) < 2 * max_of(b.col) * std::ldexp(1.0, d.kb)) ++W;
  if (W == 0) return step_error(m_, k, "divides by a tensor that is always 0");
  const int64_t A2 = int64_t(1) << (d.ka + 1), B1 = int64_t(1) << d.kb;
  for (const int64_t sign : {1, -1}) {  // r, then u
    std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
    std::vector<int64_t> bias(N, sign > 0 ? 0 : -1);
    auto ea = std::make_shared<std::vector<Entry>>(), eb = std::make_shared<std::vector<Entry>>(),
         ep = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < N; ++o) {
      if (a.konst) {
        bias[o] += sign * A2 * (*a.konst)[size_t(a.index[o])];
      } else {
        ea->push_back({uint32_t(o), uint32_t(a.index[o]), sign * A2});
      }
      eb->push_back({uint32_t(o), uint32_t(b.index[o]), B1});
      ep->push_back({uint32_t(o), uint32_t(o), -sign * 2 * B1});
    }
    if (!a.konst) parts.emplace_back(a.col, ea);
    parts.emplace_back(b.col, eb);
    parts.emplace_back(P, ep);
    ZK_TRY(range_check(k, out, parts, std::move(bias), W));
  }
  return d.y_col;
}

Status Planner::softmax(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto held_x = held(n, n.inputs[0]);
  if (!held_x.ok()) return make_error(held_x.error());
  const auto& xs = m_.tensors[n.inputs[0]].shape;
  if (n.table < 0 || size_t(n.table) >= m_.tables.size() || xs != m_.tensors[n.outputs[0]].shape)
    return node_error(n, "needs its table and equal shapes");
  int64_t outer = 0, len = 0, inner = 0;
  model::softmax_layout(as_graph_node(n), xs, m_.opset, outer, len, inner);
  const size_t N = out.real_count(), R = size_t(outer * inner);
  if (len < 1 || size_t(outer * len * inner) != N) return node_error(n, "its axis does not fit its shape");
  // x in the output's layout (a column kept in place by a layout op, Unsqueeze before
  // it, may have another): copied where it differs.
  if (p_.col_shape[*held_x].real_count() != N) return node_error(n, "its input's size does not match its shape");
  auto x = copy_to(k, *held_x, identity_index(N), out);
  if (!x.ok()) return make_error(x.error());
  const poly::PaddedShape rows = poly::PaddedShape::flat(R);
  std::vector<int64_t> row_of(N);
  std::vector<std::vector<int64_t>> taps(static_cast<size_t>(len), std::vector<int64_t>(R));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < len; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = (o * len + j) * inner + i;
        row_of[size_t(at)] = o * inner + i;
        taps[size_t(j)][size_t(o * inner + i)] = at;
      }
  auto mx = max_check(k, *x, rows, std::move(taps));
  if (!mx.ok()) return make_error(mx.error());
  auto ex = std::make_shared<std::vector<Entry>>(), em = std::make_shared<std::vector<Entry>>();
  for (size_t o = 0; o < N; ++o) {
    ex->push_back({uint32_t(o), uint32_t(o), 1});
    em->push_back({uint32_t(o), uint32_t(row_of[o]), -1});
  }
  ZK_TRY(sparse_linear(k, out, {{*x, ex}, {*mx, em}}, std::vector<int64_t>(N, m_.act_hi()), 0, false, false));
  const size_t d_col = p_.linears.back().q_col;
  // exp over d in [act_lo, act_hi], d - act_hi <= 0: the model's table, 0 below it
  // (the executor's; its table holds 0, so never past it).
  const model::QTable& qt = m_.tables[size_t(n.table)];
  auto fe = std::make_shared<FunctionTable>();
  fe->in_lo = m_.act_lo();
  for (int64_t v = m_.act_lo(); v <= m_.act_hi(); ++v) {
    const int64_t row = v - m_.act_hi() - qt.in_lo;
    if (row >= int64_t(qt.values.size())) return node_error(n, "its table does not hold 0");
    fe->values.push_back(row < 0 ? 0 : qt.values[size_t(row)]);
    if (fe->values.back() < 0) return node_error(n, "its exp table has a negative entry");
  }
  const size_t e_col = add_unary(k, d_col, intern(std::move(fe)), true);
  auto es = std::make_shared<std::vector<Entry>>();
  for (size_t o = 0; o < N; ++o) es->push_back({uint32_t(row_of[o]), uint32_t(o), 1});
  ZK_TRY(sparse_linear(k, rows, {{e_col, es}}, std::vector<int64_t>(R, 0), 0, false, false));
  Operand a, b;
  a.col = e_col, b.col = p_.linears.back().q_col;
  for (size_t o = 0; o < N; ++o) a.index.push_back(int64_t(o));
  b.index = row_of;
  // e <= S, so q <= floor(2^fo + 1/2) = 2^fo.
  auto q = divide(k, out, a, b, n.aux, std::ldexp(1.0, int(std::max<int64_t>(n.aux, 0))));
  if (!q.ok()) return make_error(q.error());
  col_of_[n.outputs[0]] = *q;
  return {};
}

Status Planner::reduce(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  const auto idx = model::reduce_index(n, m_.tensors[n.inputs[0]].shape);
  if (idx.size() != p_.col_shape[*x].real_count()) return node_error(n, "axes do not match the output");
  if (n.op == "ReduceMean" && n.mult.size() != 1) return node_error(n, "expected one multiplier");
  const int64_t mult = n.op == "ReduceMean" ? n.mult[0] : 1;
  auto e = std::make_shared<std::vector<Entry>>();
  for (size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] < 0 || uint64_t(idx[i]) >= out.real_count()) return node_error(n, "axes do not match the output");
    e->push_back({uint32_t(idx[i]), uint32_t(i), mult});
  }
  return sparse_linear(k, out, {{*x, e}}, std::vector<int64_t>(out.real_count(), 0), n.shift, true);
}

Status Planner::matmul(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  if (n.inputs.size() != 2) return node_error(n, "expected two inputs");
  const model::QTensor &a = m_.tensors[n.inputs[0]], &b = m_.tensors[n.inputs[1]];
  if (!a.is_const && !b.is_const) return activation_matmul(k, out);
  if (a.is_const && b.is_const) return node_error(n, "multiplies two constants");
  const model::QTensor& w = a.is_const ? a : b;
  const model::QTensor& xt = a.is_const ? b : a;
  auto x = held(n, a.is_const ? n.inputs[1] : n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  if (w.shape.size() != 2 || xt.shape.empty()) return node_error(n, "needs a 2-d constant operand");
  auto e = std::make_shared<std::vector<Entry>>();
  const size_t X = p_.col_shape[*x].real_count();
  if (!a.is_const) {  // x [rows, K] W [K, N]
    const size_t K = size_t(w.shape[0]), N = size_t(w.shape[1]);
    if (size_t(xt.shape.back()) != K || X % K != 0 || out.real_count() != X / K * N)
      return node_error(n, "shapes do not match");
    if (X / K * K * N > (size_t(1) << 26)) return node_error(n, "too many multiplications for a private proof");
    for (size_t row = 0; row < X / K; ++row)
      for (size_t i = 0; i < K; ++i)
        for (size_t j = 0; j < N; ++j)
          if (w.data[i * N + j] != 0) e->push_back({uint32_t(row * N + j), uint32_t(row * K + i), w.data[i * N + j]});
  } else {  // W [M, K] x [K, N]
    const size_t M = size_t(w.shape[0]), K = size_t(w.shape[1]);
    if (xt.shape.size() != 2 || size_t(xt.shape[0]) != K) return node_error(n, "needs a 2-d activation [K, N]");
    const size_t N = size_t(xt.shape[1]);
    if (out.real_count() != M * N || M * K * N > (size_t(1) << 26)) return node_error(n, "shapes do not match");
    for (size_t i = 0; i < M; ++i)
      for (size_t kk = 0; kk < K; ++kk)
        for (size_t j = 0; j < N; ++j)
          if (w.data[i * K + kk] != 0) e->push_back({uint32_t(i * N + j), uint32_t(kk * N + j), w.data[i * K + kk]});
  }
  return sparse_linear(k, out, {{*x, e}}, std::vector<int64_t>(out.real_count(), 0), n.shift, true);
}

Status Planner::activation_matmul(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  const auto &as = m_.tensors[n.inputs[0]].shape, &bs = m_.tensors[n.inputs[1]].shape;
  const auto& os = m_.tensors[n.outputs[0]].shape;
  if (as.size() < 2 || as.size() != bs.size() || os.size() != as.size() ||
      !std::equal(as.begin(), as.end() - 2, bs.begin()) || !std::equal(as.begin(), as.end() - 2, os.begin()))
    return node_error(n, "multiplies activations of other ranks or batches: not provable in a private proof yet");
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K || os[os.size() - 2] != M || os.back() != N) return node_error(n, "shapes do not match");
  // K = 1: y[.., m, n] = a[.., m, 0] b[.., 0, n], a product of the two broadcast (Mul's).
  if (K < 2) return product(k, out);
  auto a = held(n, n.inputs[0]), b = held(n, n.inputs[1]);
  if (!a.ok()) return make_error(a.error());
  if (!b.ok()) return make_error(b.error());
  auto a_shape = slice_detail::padded_of(as);
  if (!a_shape.ok()) return node_error(n, a_shape.error());
  if (p_.col_shape[*a].real_count() != uint64_t(model::numel(as)) ||
      p_.col_shape[*b].real_count() != uint64_t(model::numel(bs)))
    return node_error(n, "its operands' sizes do not match their shapes");
  // A in its shape's layout (a column kept in place by a layout op may have another).
  a = copy_to(k, *a, identity_index(size_t(model::numel(as))), *a_shape);
  if (!a.ok()) return make_error(a.error());
  // B transposed: Bt [batch.., N, K], a copy.
  model::Shape ts(bs.begin(), bs.end() - 2);
  ts.push_back(N), ts.push_back(K);
  auto bt_shape = slice_detail::padded_of(ts);
  if (!bt_shape.ok()) return node_error(n, bt_shape.error());
  const int64_t batches = model::numel(bs) / (K * N);
  auto e = std::make_shared<std::vector<Entry>>();
  for (int64_t bi = 0; bi < batches; ++bi)
    for (int64_t kk = 0; kk < K; ++kk)
      for (int64_t j = 0; j < N; ++j)
        e->push_back({uint32_t((bi * N + j) * K + kk), uint32_t((bi * K + kk) * N + j), 1});
  ZK_TRY(sparse_linear(k, *bt_shape, {{*b, e}}, std::vector<int64_t>(size_t(model::numel(ts)), 0), 0, false, false));
  LinearPlan lp;
  lp.matmul = true;
  LinearInput la, lb;
  la.col = *a, lb.col = p_.linears.back().q_col;
  lp.ins = {la, lb};
  const size_t r = as.size();
  lp.kb = a_shape->axis_bits(r - 1), lp.mb = a_shape->axis_bits(r - 2), lp.nb = out.axis_bits(r - 1);
  lp.bb = a_shape->num_vars() - lp.kb - lp.mb;
  lp.mm_K = K, lp.mm_batches = batches;
  lp.bias.assign(out.real_count(), 0);
  const std::vector<double> bound(out.real_count(), double(K) * in_max() * in_max());
  return add_linear(k, std::move(lp), out, n.shift, bound, true);
}

Status Planner::conv_transpose(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  const model::QTensor& w = m_.tensors[n.inputs[1]];
  model::kern::ConvParams cp{};
  std::vector<int64_t> bias;
  ZK_TRY(conv_of(n, "transposed convolution", cp, bias));
  const int64_t cg = cp.C / cp.group, mg = cp.M / cp.group;
  if (out.real_count() != uint64_t(cp.M * cp.OH * cp.OW)) return node_error(n, "output size does not match");
  auto e = std::make_shared<std::vector<Entry>>();
  for (int64_t c = 0; c < cp.C; ++c)
    for (int64_t mm = 0; mm < mg; ++mm) {
      const int64_t mo = (c / cg) * mg + mm;
      for (int64_t ih = 0; ih < cp.H; ++ih)
        for (int64_t iw = 0; iw < cp.W; ++iw)
          for (int64_t kh = 0; kh < cp.KH; ++kh) {
            const int64_t oh = ih * cp.sh - cp.pt + kh * cp.dh;
            if (oh < 0 || oh >= cp.OH) continue;
            for (int64_t kw = 0; kw < cp.KW; ++kw) {
              const int64_t ow = iw * cp.sw - cp.pl + kw * cp.dw;
              if (ow < 0 || ow >= cp.OW) continue;
              const int64_t wv = w.data[size_t(((c * mg + mm) * cp.KH + kh) * cp.KW + kw)];
              if (wv != 0)
                e->push_back({uint32_t((mo * cp.OH + oh) * cp.OW + ow), uint32_t((c * cp.H + ih) * cp.W + iw), wv});
            }
          }
    }
  if (e->size() > (size_t(1) << 26)) return node_error(n, "too many multiplications for a private proof");
  return sparse_linear(k, out, {{*x, e}}, std::move(bias), n.shift, true);
}

Status Planner::prelu(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  const size_t N = out.real_count();
  if (p_.col_shape[*x].real_count() != N || (n.mult.size() != 1 && n.mult.size() != N))
    return node_error(n, "expected one slope or one an output");
  const size_t r_col = add_unary(k, *x, relu_, false);
  auto ex = std::make_shared<std::vector<Entry>>(), er = std::make_shared<std::vector<Entry>>();
  for (size_t o = 0; o < N; ++o) {
    const int64_t sl = n.mult.size() == 1 ? n.mult[0] : n.mult[o];
    ex->push_back({uint32_t(o), uint32_t(o), sl});
    er->push_back({uint32_t(o), uint32_t(o), (int64_t(1) << 16) - sl});
  }
  return sparse_linear(k, out, {{*x, ex}, {r_col, er}}, std::vector<int64_t>(N, 0), n.shift, true);
}

Status Planner::maxpool(size_t k, const poly::PaddedShape& out) {
  const QNode& n = m_.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  std::vector<std::vector<int64_t>> taps;
  ZK_TRY(pool_taps(n, *x, out, taps));
  auto y = max_check(k, *x, out, std::move(taps));
  if (!y.ok()) return make_error(y.error());
  col_of_[n.outputs[0]] = *y;
  return {};
}

Result<size_t> Planner::max_check(size_t k, size_t x_col, const poly::PaddedShape& out,
                                  std::vector<std::vector<int64_t>> taps) {
  constexpr size_t kMaxTaps = 64;
  const size_t N = out.real_count(), T = taps.size();
  if (T == 0 || T > (size_t(1) << 16)) return step_error(m_, k, "takes the max of " + std::to_string(T) + " taps");
  std::vector<int64_t> some(N, -1);  // a tap inside the input, for each output
  for (const auto& t : taps)
    for (size_t o = 0; o < N; ++o)
      if (some[o] < 0) some[o] = t[o];
  for (size_t o = 0; o < N; ++o)
    if (some[o] < 0) return step_error(m_, k, "has a window outside its input");
  if (T > kMaxTaps) {
    // Level one: output (g, o) is the max of group g's taps of o (o's first tap again
    // where the group has none inside: the max is the same).
    const size_t G = (T + kMaxTaps - 1) / kMaxTaps;
    std::vector<std::vector<int64_t>> first(kMaxTaps, std::vector<int64_t>(G * N, -1));
    for (size_t g = 0; g < G; ++g)
      for (size_t o = 0; o < N; ++o) {
        bool any = false;
        for (size_t t = 0; t < kMaxTaps && g * kMaxTaps + t < T; ++t) {
          first[t][g * N + o] = taps[g * kMaxTaps + t][o];
          any = any || first[t][g * N + o] >= 0;
        }
        if (!any) first[0][g * N + o] = some[o];
      }
    auto partial = max_check(k, x_col, poly::PaddedShape::flat(G * N), std::move(first));
    if (!partial.ok()) return partial;
    std::vector<std::vector<int64_t>> second(G, std::vector<int64_t>(N));
    for (size_t g = 0; g < G; ++g)
      for (size_t o = 0; o < N; ++o) second[g][o] = int64_t(g * N + o);
    return max_check(k, *partial, out, std::move(second));
  }
  MaxPlan mp;
  mp.node = k, mp.x_col = x_col, mp.y_col = new_col(out), mp.taps = std::move(taps);
  p_.steps.emplace_back(Step::Max, p_.maxes.size());
  // D over [taps] x 2^nv (nv = y's layout, at least kMinReadVars): entry (t, o) at
  // t 2^nv + o's padded index; the entries past y's are 0 (in range, never read by the
  // product, whose selector is y's).
  const unsigned nv = std::max(kMinReadVars, out.num_vars());
  const size_t block = size_t(1) << nv;
  const poly::PaddedShape d_shape({uint32_t(T), uint32_t(block)});
  const auto pout = out.padded_indices();
  auto ey = std::make_shared<std::vector<Entry>>(), ex = std::make_shared<std::vector<Entry>>();
  std::vector<int64_t> bias(T * block, 0);
  for (size_t t = 0; t < T; ++t)
    for (size_t o = 0; o < N; ++o) {
      const size_t d = t * block + pout[o];
      if (mp.taps[t][o] < 0) {
        bias[d] = 1;  // a tap outside the input: 1, never the max
        continue;
      }
      ey->push_back({uint32_t(d), uint32_t(o), 1});
      ex->push_back({uint32_t(d), uint32_t(mp.taps[t][o]), -1});
    }
  const size_t y_col = mp.y_col;
  p_.maxes.push_back(std::move(mp));
  // The map's output is D, a column of its own (not the node's output).
  ZK_TRY(sparse_linear(k, d_shape, {{y_col, ey}, {x_col, ex}}, std::move(bias), 0, false, false));
  const size_t d_col = p_.linears.back().q_col;
  range16(k, d_col);
  std::vector<Factor> left;
  for (size_t t = 0; t < T; ++t) left.push_back({d_col, t, d_shape.num_vars() - nv});
  constexpr size_t kGroup = 4;
  while (true) {
    ProductCheck pc;
    pc.node = k, pc.out = out, pc.nv = nv;
    const bool last = left.size() <= kGroup;
    pc.factors.assign(left.begin(), left.begin() + static_cast<long>(std::min(kGroup, left.size())));
    left.erase(left.begin(), left.begin() + static_cast<long>(pc.factors.size()));
    const unsigned g = static_cast<unsigned>(pc.factors.size());
    sc::Term prod{last ? Fp2::one() : -Fp2::one(), {}};
    for (unsigned j = 0; j < g; ++j) prod.factors.push_back(j);
    const unsigned sel = last ? g : g + 1;
    prod.factors.push_back(sel);
    pc.terms = {prod};
    if (!last) {
      pc.e_col = new_col(out);
      pc.terms.push_back({Fp2::one(), {g, sel}});
      left.push_back({pc.e_col, 0, 0});
    }
    std::vector<char> masked(sel + 1, 1);
    masked[sel] = 0;
    pc.degrees = sc::masked_degrees(pc.nv, pc.terms, masked, true);
    p_.products.push_back(std::move(pc));
    if (last) break;
  }
  return y_col;
}

Status Planner::unary(size_t k) {
  const QModel& m = m_;
  const QNode& n = m.nodes[k];
  auto x = held(n, n.inputs[0]);
  if (!x.ok()) return make_error(x.error());
  const FunctionTable* ft = relu_;
  if (slice_detail::is_function_op(n)) {
    ft = intern(std::make_shared<FunctionTable>(slice_detail::function_table(m, n)));
  } else if (n.op != "Relu") {
    auto& slot = model_tables_[n.table];
    if (!slot) {
      auto t = std::make_shared<FunctionTable>();
      t->in_lo = m.tables[size_t(n.table)].in_lo;
      t->values = m.tables[size_t(n.table)].values;
      p_.tables.push_back(t);
      slot = t.get();
    }
    ft = slot;
  }
  if (ft->in_lo != m.act_lo() || ft->values.size() != (size_t(1) << m.cfg.act_bits))
    return node_error(n, "its table does not cover the activation range");
  for (int64_t v : ft->values)
    if (v < m.act_lo() || v > m.act_hi()) return node_error(n, "its table has an entry outside the activation range");
  col_of_[n.outputs[0]] = add_unary(k, *x, ft, false);
  return {};
}

}  // namespace zks::circuits::private_detail
