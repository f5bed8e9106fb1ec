// The private prover's planner (private_plan.hpp): each node of a model as linear maps,
// product checks and lookups over committed columns.
#include "circuits/slice/private_plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "circuits/slice/slice_plan.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "pcs/hiding.hpp"
#include "slicer/slicer.hpp"

namespace zks::circuits::private_detail {

using slice_detail::node_error;

// An error naming the node (or the lookup stack) a step belongs to.
Error step_error(const QModel& m, size_t node, const std::string& what) {
  if (node < m.nodes.size()) return node_error(m.nodes[node], what);
  return make_error("a lookup's stack column: " + what);
}

namespace {

std::vector<Fp> act_table(const QModel& m) {
  std::vector<Fp> t;
  for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) t.push_back(Fp::from_i64(v));
  return t;
}

// A linear map given entry by entry: out[o] += coeff x[i] for each (o, i, coeff), dense.
struct Entry {
  uint32_t o, i;
  int64_t coeff;
};
LinearInput sparse_input(size_t col, const poly::PaddedShape& in, const poly::PaddedShape& out,
                         std::shared_ptr<const std::vector<Entry>> entries) {
  LinearInput li;
  li.col = col;
  li.fold = [in, out, entries](std::span<const Fp2> r, unsigned kv) {
    const auto e = eq_of(r);
    const auto pin = in.padded_indices(), pout = out.padded_indices();
    std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
    for (const Entry& x : *entries) mr[pin[x.i]] += e[pout[x.o]] * Fp2(Fp::from_i64(x.coeff));
    return mr;
  };
  li.apply = [entries](std::span<const int64_t> x, std::vector<int64_t>& acc) {
    for (const Entry& e : *entries) acc[e.o] += e.coeff * x[e.i];
  };
  return li;
}

model::Node as_graph_node(const QNode& n) {
  model::Node g;
  g.op = n.op, g.name = n.name, g.attrs = n.attrs;
  return g;
}

// Max |acc| a linear op can reach from inputs in the activation range (rule 5).
void entries_bound(const std::vector<Entry>& entries, double in_max, std::vector<double>& bound) {
  for (const Entry& e : entries) bound[e.o] += std::fabs(double(e.coeff)) * in_max;
}

class Planner {
 public:
  explicit Planner(const QModel& m) : m_(m) {
    p_.m = &m;
    auto relu = std::make_shared<FunctionTable>();
    relu->in_lo = m.act_lo();
    for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) relu->values.push_back(std::max<int64_t>(0, v));
    relu_ = relu.get();
    p_.tables.push_back(std::move(relu));
  }

  Result<Plan> run() {
    const QModel& m = m_;
    if (m.cfg.act_bits > 16 || m.cfg.act_bits < 2)
      return make_error("private proof: activations of " + std::to_string(m.cfg.act_bits) +
                        " bits (at most 16: the range tables have 2^bits rows)");
    if (m.inputs.empty() || m.outputs.empty()) return make_error("private proof: the model has no input or no output");
    for (int t : m.inputs) {
      if (t < 0 || size_t(t) >= m.tensors.size()) return make_error("private proof: input tensor id out of range");
      auto shape = slice_detail::padded_of(m.tensors[t].shape);
      if (!shape.ok()) return make_error("private proof: input '" + m.tensors[t].name + "': " + shape.error());
      const size_t c = new_col(*shape);
      col_of_[t] = c;
      p_.input_cols.push_back(c);
      needs_range_.push_back({c, SIZE_MAX});
    }
    for (size_t k = 0; k < m.nodes.size(); ++k) ZK_TRY(node(k));
    p_.tensor_cols = col_of_;
    for (int t : m.outputs) {
      auto c = col_of_.find(t);
      if (c == col_of_.end()) return make_error("private proof: output '" + m.tensors[t].name + "' is not computed");
      p_.output_cols.push_back(c->second);
    }
    ZK_TRY(finish());
    slicer::Manifest man;
    man.model = m;
    p_.model_digest = hash::hash(hash::Domain::Generic, slicer::serialize_manifest(man));
    // A hiding table has one variable more than its values.
    const unsigned max_vars = pcs::Params::standard().max_num_vars - 1;
    for (unsigned v : p_.unit_vars)
      if (v > max_vars)
        return make_error("private proof: a tensor of 2^" + std::to_string(v) + " entries is too large (2^" +
                          std::to_string(max_vars) + " at most)");
    return std::move(p_);
  }

 private:
  size_t new_col(const poly::PaddedShape& s) {
    p_.col_shape.push_back(s);
    return p_.col_shape.size() - 1;
  }

  Result<size_t> held(const QNode& n, int tensor) {
    auto c = col_of_.find(tensor);
    if (c == col_of_.end()) return node_error(n, "reads a tensor the private proof does not hold");
    return c->second;
  }

  Status node(size_t k) {
    const QModel& m = m_;
    const QNode& n = m.nodes[k];
    if (n.inputs.empty() || n.outputs.size() != 1) return node_error(n, "expected inputs and one output");
    const int y = n.outputs[0];
    auto out = slice_detail::padded_of(m.tensors[y].shape);
    if (!out.ok()) return node_error(n, out.error());
    if (n.op == "Gemm") return gemm(k, *out);
    if (n.op == "Conv") return conv(k, *out);
    if (n.op == "AveragePool" || n.op == "GlobalAveragePool") return avgpool(k, *out);
    if (n.op == "Add" || n.op == "Sub" || n.op == "Sum" || n.op == "Mul") return elementwise(k, *out);
    if (n.op == "MaxPool" || n.op == "GlobalMaxPool") return maxpool(k, *out);
    if (n.op == "ReduceMean" || n.op == "ReduceSum") return reduce(k, *out);
    if (n.op == "ConvTranspose") return conv_transpose(k, *out);
    if (n.op == "MatMul") return matmul(k, *out);
    if (n.op == "Div") return div_node(k, *out);
    if (n.op == "Softmax") return softmax(k, *out);
    if (n.op == "PRelu" && !slice_detail::is_function_op(n)) return prelu(k, *out);
    if (n.op == "Concat" || slice_detail::is_layout(n)) return layout(k, *out);
    if (n.op == "Relu" || slice_detail::is_table_op(m, n) || slice_detail::is_function_op(n)) return unary(k);
    return node_error(n, "is not provable in a private-input proof yet (it proves Gemm, Conv, ConvTranspose, "
                         "pooling, ReduceSum/Mean, Add/Sub/Sum, Mul, Div, MatMul, Softmax, layout ops, Relu, "
                         "PRelu, and table and function ops)");
  }

  // A linear op's output column, limbs and lookups; `bound` is max |acc| per output.
  // `node_output`: the map's output is the node's output tensor (not a column of its own:
  // a max pool's differences, a broadcast copy, a lookup's stack).
  Status add_linear(size_t k, LinearPlan lp, const poly::PaddedShape& out, int shift, const std::vector<double>& bound,
                    bool needs_range, bool node_output = true) {
    if (shift > 46 || shift < -40) return step_error(m_, k, "requantizes by shift " + std::to_string(shift));
    // Field headroom (rule 5) for any input in range, the map scaled by a left shift:
    // (sum |M| 2^(act-1) + |b|) 2^max(0,-s) + 2^s < 2^62.
    const double scale = std::ldexp(1.0, std::max(0, -shift));
    double max_acc = 0;
    for (size_t o = 0; o < bound.size(); ++o) {
      const double a = (bound[o] + std::fabs(double(lp.bias[o]))) * scale;
      max_acc = std::max(max_acc, a);
      if (a + std::ldexp(1.0, std::max(0, shift)) >= std::ldexp(1.0, 62))
        return step_error(m_, k, "its accumulator may reach 2^62 (field headroom)");
    }
    // A left shift scales the map (acc 2^-s is exact): a shift of 0 after it. The bound
    // above keeps the scaled bias in int64.
    if (shift < 0) {
      const int64_t scale = int64_t(1) << (-shift);
      for (auto& in : lp.ins) {
        auto fold = in.fold;
        auto apply = in.apply;
        in.fold = [fold, scale](std::span<const Fp2> r, unsigned kv) {
          auto v = fold(r, kv);
          for (auto& x : v) x *= Fp2(Fp(uint64_t(scale)));
          return v;
        };
        in.apply = [apply, scale](std::span<const int64_t> x, std::vector<int64_t>& acc) {
          std::vector<int64_t> part(acc.size(), 0);
          apply(x, part);
          for (size_t i = 0; i < acc.size(); ++i) acc[i] += part[i] * scale;
        };
      }
      for (auto& b : lp.bias) b *= scale;
    }
    lp.shift = static_cast<unsigned>(std::max(0, shift));
    lp.node = k, lp.out = out;
    lp.nv = std::max(kMinReadVars, out.num_vars());
    lp.kv = kMinReadVars;
    for (const auto& in : lp.ins) lp.kv = std::max(lp.kv, p_.col_shape[in.col].num_vars());
    lp.q_col = lp.range_only ? SIZE_MAX : new_col(out);
    // Limbs of 16 bits and a top limb of t = s - 16 (L - 1) bits (rule 3), each in
    // [0, 2^16) by the 16-bit range lookup; a top limb l of t < 16 bits also has
    // l + 2^16 - 2^t in [0, 2^16) (a copy with that offset, below), so l < 2^t. Every
    // limb then shares one table, where a table per width was a lookup per width.
    std::vector<std::pair<size_t, unsigned>> tops;  // limbs of fewer than 16 bits: (column, bits)
    for (unsigned done = 0; done < lp.shift; done += kLimbBits) {
      lp.limb_cols.push_back(new_col(out));
      lp.limb_bits.push_back(std::min(kLimbBits, lp.shift - done));
      range16(k, lp.limb_cols.back());
    }
    if (lp.limb_bits.size() && lp.limb_bits.back() < kLimbBits) tops.emplace_back(lp.limb_cols.back(), lp.limb_bits.back());
    // Clamping (LinearPlan::excess_cols): an excess of up to G bits, where the range
    // analysis bounds q_full. Soundness needs the Requant equation exact over the
    // integers, 2^(s + G) <= 2^61: full 16-bit limbs when their 16 L bits meet that,
    // else a top limb of exact width (as the remainder's).
    if (needs_range) {
      const double half = lp.shift == 0 ? 0.0 : std::ldexp(1.0, int(lp.shift) - 1);
      const double q_hi = std::floor((max_acc + half) / std::ldexp(1.0, int(lp.shift)));
      const double q_lo = std::floor((-max_acc + half) / std::ldexp(1.0, int(lp.shift)));
      const double excess = std::max(q_hi - double(m_.act_hi()), double(m_.act_lo()) - q_lo);
      if (excess > 0) {
        const unsigned G = unsigned(std::ceil(std::log2(excess + 2)));
        const unsigned L = (G + kLimbBits - 1) / kLimbBits;
        const bool full = lp.shift + kLimbBits * L <= 61;
        if (!full && lp.shift + G > 61)
          return step_error(m_, k, "its requantization may clamp by 2^" + std::to_string(G) +
                                       " (too wide for a private proof)");
        lp.excess_bits = full ? kLimbBits * L : G;
        lp.excess_cols = excess_limbs(k, out, lp.excess_bits, tops);
      }
    }
    // Factors: acc (masked by S), the reader's columns (masked by their commitments), sel.
    const auto rc = lp.reader_cols();
    const unsigned sel = static_cast<unsigned>(rc.size() + 1);
    auto factor_of = [&](size_t col) { return unsigned(std::find(rc.begin(), rc.end(), col) - rc.begin() + 1); };
    lp.terms = {{Fp2::one(), {0, sel}}};
    if (!lp.range_only) {
      lp.terms.push_back({-Fp2(Fp(uint64_t(1) << lp.shift)), {factor_of(lp.q_col), sel}});
      if (lp.shift > 0) lp.terms.push_back({Fp2(Fp(uint64_t(1) << (lp.shift - 1))), {sel}});
    }
    for (size_t j = 0; j < lp.limb_cols.size(); ++j)
      lp.terms.push_back({-Fp2(Fp(uint64_t(1) << (kLimbBits * j))), {factor_of(lp.limb_cols[j]), sel}});
    // - 2^s c (2y - lo - hi) / (hi - lo), c = sum_j 2^(16 j) c_j
    const Fp inv_width = Fp::from_i64(m_.act_hi() - m_.act_lo()).inverse();
    for (size_t j = 0; j < lp.excess_cols.size(); ++j) {
      const Fp2 c(Fp(uint64_t(1) << (lp.shift + kLimbBits * j)) * inv_width);
      const unsigned e = factor_of(lp.excess_cols[j]), y = factor_of(lp.q_col);
      lp.terms.push_back({-c * Fp2(Fp(2)), {e, y, sel}});
      lp.terms.push_back({c * Fp2(Fp::from_i64(m_.act_lo() + m_.act_hi())), {e, sel}});
    }
    if (!lp.excess_cols.empty()) {
      std::vector<unsigned> e;
      for (size_t c : lp.excess_cols) e.push_back(factor_of(c));
      lp.second.terms = clamp_terms(factor_of(lp.q_col), e, sel);
    }
    std::vector<char> masked(sel + 1, 1);
    masked[sel] = 0;
    lp.d_reader = sc::masked_degrees(lp.nv, lp.second.with(lp.terms, Fp2::one()), masked, true);
    std::vector<char> maker_masked;
    if (lp.matmul) {
      lp.kv = lp.kb + lp.bb;
      lp.maker_terms = {{Fp2::one(), {0, 1, 2}}};  // eq(r_b, b) (the verifier's), A', Bt'
      maker_masked = {0, 1, 1};
      lp.d_maker = sc::masked_degrees(lp.kv, lp.maker_terms, maker_masked, false);
    } else if (lp.product) {
      lp.kv = lp.nv;
      maker_masked = {1, 1};  // x_0 x_1 with eq(r, .): the product of every factor
      lp.d_maker = sc::masked_degrees(lp.kv, {}, maker_masked, true);
    } else {
      for (unsigned j = 0; j < lp.ins.size(); ++j) {
        lp.maker_terms.push_back({Fp2::one(), {2 * j, 2 * j + 1}});
        maker_masked.push_back(0), maker_masked.push_back(1);  // M_j(r, .) public, x_j committed
      }
      lp.d_maker = sc::masked_degrees(lp.kv, lp.maker_terms, maker_masked, false);
    }
    lp.requantizes = needs_range;
    if (needs_range) needs_range_.push_back({lp.q_col, k});
    for (size_t c : lp.limb_cols) col_max_[c] = std::ldexp(1.0, kLimbBits);
    if (!needs_range && !lp.range_only && shift == 0) {  // a derived column: its accumulator's bound
      double mx = 0;
      for (size_t o = 0; o < bound.size(); ++o) mx = std::max(mx, bound[o] + std::fabs(double(lp.bias[o])));
      col_max_[lp.q_col] = mx;
    }
    if (node_output) col_of_[m_.nodes[k].outputs[0]] = lp.q_col;
    lp.derived = !node_output;
    p_.steps.emplace_back(Step::Linear, p_.linears.size());
    p_.linears.push_back(std::move(lp));
    return offset_copies(k, out, tops);
  }

  // A value of `bits` bits in 16-bit limbs (lowest first), each range-checked; a top limb
  // of t < 16 bits goes to `tops` (offset_copies makes it exact).
  std::vector<size_t> excess_limbs(size_t k, const poly::PaddedShape& out, unsigned bits,
                                   std::vector<std::pair<size_t, unsigned>>& tops) {
    std::vector<size_t> cols;
    for (unsigned done = 0; done < bits; done += kLimbBits) {
      cols.push_back(new_col(out));
      range16(k, cols.back());
      col_max_[cols.back()] = std::ldexp(1.0, kLimbBits);
    }
    if (bits % kLimbBits != 0) tops.emplace_back(cols.back(), bits % kLimbBits);
    return cols;
  }

  // Each top limb l of t < 16 bits: l + 2^16 - 2^t in [0, 2^16) too, so l < 2^t.
  Status offset_copies(size_t k, const poly::PaddedShape& out, const std::vector<std::pair<size_t, unsigned>>& tops) {
    for (const auto& [col, t] : tops) {
      auto e = std::make_shared<std::vector<Entry>>();
      const uint64_t N = out.real_count();
      for (uint64_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(o), 1});
      const int64_t offset = (int64_t(1) << kLimbBits) - (int64_t(1) << t);
      ZK_TRY(sparse_linear(k, out, {{col, e}}, std::vector<int64_t>(N, offset), 0, false, false));
      range16(k, p_.linears.back().q_col);
    }
    return {};
  }

  // The clamp's product c (y - lo) (hi - y) (to be 0 at every output), c = sum_j 2^(16 j)
  // c_j in limbs; factor y is `y`, c_j is e[j]; (y - lo)(hi - y) = -y^2 + (lo + hi) y - lo hi.
  // It joins a zerocheck the clamp has anyway, as a second constraint (Gamma).
  std::vector<sc::Term> clamp_terms(unsigned y, const std::vector<unsigned>& e, unsigned sel) const {
    const int64_t lo = m_.act_lo(), hi = m_.act_hi();
    std::vector<sc::Term> out;
    for (unsigned j = 0; j < e.size(); ++j) {
      const Fp2 c(Fp(uint64_t(1) << (kLimbBits * j)));
      out.push_back({-c, {y, y, e[j], sel}});
      out.push_back({c * Fp2(Fp::from_i64(lo + hi)), {y, e[j], sel}});
      out.push_back({-c * Fp2(Fp::from_i64(lo * hi)), {e[j], sel}});
    }
    return out;
  }

  void range16(size_t k, size_t col) {
    LookupPlan l;
    l.kind = LookupKind::Range, l.node = k, l.cols = {col};
    l.range_bits = l.table_vars = kLimbBits;
    p_.lookups.push_back(std::move(l));
  }

  Status gemm(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    if (n.inputs.size() < 2 || n.inputs.size() > 3) return node_error(n, "expected 2 or 3 inputs");
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const model::QTensor& w = m_.tensors[n.inputs[1]];
    if (!w.is_const || w.shape.size() != 2) return node_error(n, "needs constant 2-d weights");
    const size_t K = size_t(w.shape[0]), N = size_t(w.shape[1]);
    if (K == 0 || N == 0 || w.data.size() != K * N) return node_error(n, "malformed weights");
    const poly::PaddedShape in = p_.col_shape[*x];
    if (in.real_count() != K || out.real_count() != N)
      return node_error(n, "proves one row at a time (input [1, K], output [1, N]) in a private proof");
    LinearPlan lp;
    ZK_TRY(bias_of(n, 2, N, lp.bias));
    const std::vector<int64_t>* W = &w.data;
    LinearInput li;
    li.col = *x;
    li.fold = [W, K, N, in, out](std::span<const Fp2> r, unsigned kv) {
      const auto e = eq_of(r);
      const auto pin = in.padded_indices(), pout = out.padded_indices();
      std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
      for (size_t i = 0; i < K; ++i) {
        Fp2 acc = Fp2::zero();
        for (size_t j = 0; j < N; ++j) acc += e[pout[j]] * Fp2(Fp::from_i64((*W)[i * N + j]));
        mr[pin[i]] = acc;
      }
      return mr;
    };
    li.apply = [W, K, N](std::span<const int64_t> xv, std::vector<int64_t>& acc) {
      for (size_t i = 0; i < K; ++i)
        if (xv[i] != 0)
          for (size_t j = 0; j < N; ++j) acc[j] += xv[i] * (*W)[i * N + j];
    };
    lp.ins.push_back(std::move(li));
    std::vector<double> bound(N, 0.0);
    for (size_t i = 0; i < K; ++i)
      for (size_t j = 0; j < N; ++j) bound[j] += std::fabs(double(w.data[i * N + j])) * in_max();
    return add_linear(k, std::move(lp), out, n.shift, bound, true);
  }

  // A Conv's or ConvTranspose's parameters (of one image, constant weights) and its
  // bias, one a channel, over the dense output.
  Status conv_of(const QNode& n, const std::string& what, model::kern::ConvParams& cp, std::vector<int64_t>& bias) {
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

  // Conv of one image. M(r, (c, h, w)) = sum_{kh, kw} Wr[c][kh][kw] Eh[kh][h] Ew[kw][w]:
  // the output's eq factors by axis (the padded layout puts each axis in its own bits),
  // Wr the weights folded over the output channels of c's group, Eh[kh][h] the eq weight
  // of the output row that reads row h through tap kh (at most one), Ew likewise.
  Status conv(size_t k, const poly::PaddedShape& out) {
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
      auto axis_eq = [&](size_t a) {
        return eq_of(r.subspan(out.axis_offset(a), out.axis_bits(a)));
      };
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
            Wr[size_t((g * Cg + ic) * cp.KH * cp.KW + t)] += ec * Fp2(Fp::from_i64((*W)[size_t((co * Cg + ic) * cp.KH * cp.KW + t)]));
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
      for (int64_t t = 0; t < Cg * cp.KH * cp.KW; ++t) b += std::fabs(double(w.data[size_t(co * Cg * cp.KH * cp.KW + t)]));
      for (int64_t o = 0; o < cp.OH * cp.OW; ++o) bound[size_t(co * cp.OH * cp.OW + o)] = b * in_max();
    }
    return add_linear(k, std::move(lp), out, n.shift, bound, true);
  }

  Status avgpool(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    model::kern::PoolParams pp{};
    model::Shape ys;
    ZK_TRY(model::pool_setup(as_graph_node(n), xs, pp, ys));
    const size_t N = size_t(pp.N * pp.C * pp.OH * pp.OW);
    if (n.mult.size() != N || out.real_count() != N) return node_error(n, "expected one multiplier an output");
    auto entries = std::make_shared<std::vector<Entry>>();
    for (int64_t nc = 0; nc < pp.N * pp.C; ++nc)
      for (int64_t oh = 0; oh < pp.OH; ++oh)
        for (int64_t ow = 0; ow < pp.OW; ++ow) {
          const int64_t o = (nc * pp.OH + oh) * pp.OW + ow;
          for (int64_t kh = 0; kh < pp.KH; ++kh)
            for (int64_t kw = 0; kw < pp.KW; ++kw) {
              const int64_t ih = oh * pp.sh - pp.pt + kh * pp.dh, iw = ow * pp.sw - pp.pl + kw * pp.dw;
              if (ih < 0 || ih >= pp.H || iw < 0 || iw >= pp.W) continue;
              entries->push_back({uint32_t(o), uint32_t((nc * pp.H + ih) * pp.W + iw), n.mult[size_t(o)]});
            }
        }
    return sparse_linear(k, out, {{*x, entries}}, std::vector<int64_t>(N, 0), n.shift, true);
  }

  // Add/Sub/Sum (each input shifted left by in_shift), Mul with one constant factor;
  // constants enter the bias, activations the map (broadcast by index).
  Status elementwise(size_t k, const poly::PaddedShape& out) {
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

  // Layout ops: y[o] = src[gather[o]] or the fill; Concat gathers from its inputs laid
  // end to end (only unshifted parts: a shifted part is requantized first). A layout
  // that keeps every entry in place is the same column; any other is a linear op of
  // shift 0 whose outputs are entries of range-checked columns (or the fill).
  Status layout(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    const size_t N = out.real_count();
    if (n.gather.size() != N) return node_error(n, "expected a gather map an output");
    if (n.op == "Concat") {
      for (int s : n.in_shift)
        if (s != 0) return node_error(n, "concatenates requantized parts: not provable in a private proof yet");
    } else if (n.inputs.size() != 1) {
      return node_error(n, "expected one input");
    }
    if (n.fill < m_.act_lo() || n.fill > m_.act_hi()) return node_error(n, "its fill is outside the activation range");
    std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
    std::vector<int64_t> starts;  // each part's first source index
    int64_t total = 0;
    for (int t : n.inputs) {
      auto x = held(n, t);
      if (!x.ok()) return make_error(x.error());
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

  // x_0 x_1 entry by entry, a broadcast factor copied into the output's layout first.
  Status product(size_t k, const poly::PaddedShape& out) {
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

  // `col` read at index[o] for each output o, in the output's layout: the column itself
  // when that is the identity, else its copy (a layout op).
  Result<size_t> copy_to(size_t k, size_t col, const std::vector<int64_t>& index, const poly::PaddedShape& out) {
    if (index.size() != out.real_count()) return step_error(m_, k, "inputs do not broadcast to the output");
    bool identity = p_.col_shape[col] == out;
    for (size_t o = 0; o < index.size() && identity; ++o) identity = index[o] == int64_t(o);
    if (identity) return col;
    auto e = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < index.size(); ++o) e->push_back({uint32_t(o), uint32_t(index[o]), 1});
    ZK_TRY(sparse_linear(k, out, {{col, e}}, std::vector<int64_t>(out.real_count(), 0), 0, false, false));
    return p_.linears.back().q_col;
  }

  // One operand of a division: an activation column or constants, and the entry each
  // output reads.
  struct Operand {
    size_t col = SIZE_MAX;
    const std::vector<int64_t>* konst = nullptr;
    std::vector<int64_t> index;
  };

  Status div_node(size_t k, const poly::PaddedShape& out) {
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

  // The executor's Div (DivPlan), q returned: q committed in the activation range,
  // P = b q a product of shift 0, and two range checks of W bits (2D <= 2^W), linear in
  // a, b and P:
  //     r = 2A + D - 2D q = 2^(ka+1) a + 2^kb b - 2^(kb+1) P,
  //     u = 2D - 1 - r    = 2^kb b - 2^(ka+1) a + 2^(kb+1) P - 1.
  // r, u >= 0 give 0 <= r <= 2D - 1, so D >= 1 (b > 0) and 2A + D = 2D q + r is a
  // division with remainder: q = floor((2A + D) / (2D)). Every magnitude stays far below
  // p (add_linear's headroom), so the field's equations are the integers'.
  // `q_bound` bounds |q| (Softmax's quotients are at most 2^fo).
  Result<size_t> divide(size_t k, const poly::PaddedShape& out, const Operand& a, const Operand& b, int64_t shift,
                        double q_bound) {
    const size_t N = out.real_count();
    if (shift < -30 || shift > 30)
      return step_error(m_, k, "divides at a scale shift of " + std::to_string(shift) + " (at most 30 in a private proof)");
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
      const unsigned G = unsigned(std::ceil(std::log2(excess + 2)));
      if (G > 45) return step_error(m_, k, "its quotient may clamp by 2^" + std::to_string(G) + " (too wide)");
      d.excess_cols = excess_limbs(k, out, G, tops);
      d.excess_bits = G;
      col_max_[d.q_col] = std::ldexp(1.0, int(G)) + in_max();  // |q| = |y +- c| as proved
      // q - y - c (2y - lo - hi) / (hi - lo) = 0
      ProductCheck pc;
      pc.node = k, pc.what = "clamp", pc.out = out, pc.nv = std::max(kMinReadVars, out.num_vars());
      pc.factors = {{d.q_col, 0, 0}, {d.y_col, 0, 0}};
      for (size_t c : d.excess_cols) pc.factors.push_back({c, 0, 0});
      const unsigned sel = unsigned(pc.factors.size());
      pc.terms = {{Fp2::one(), {0, sel}}, {-Fp2::one(), {1, sel}}};
      const Fp inv_width = Fp::from_i64(m_.act_hi() - m_.act_lo()).inverse();
      for (unsigned j = 0; j < d.excess_cols.size(); ++j) {
        const Fp2 c(Fp(uint64_t(1) << (kLimbBits * j)) * inv_width);
        pc.terms.push_back({-c * Fp2(Fp(2)), {2 + j, 1, sel}});
        pc.terms.push_back({c * Fp2(Fp::from_i64(m_.act_lo() + m_.act_hi())), {2 + j, sel}});
      }
      std::vector<unsigned> e;
      for (unsigned j = 0; j < d.excess_cols.size(); ++j) e.push_back(2 + j);
      pc.second.terms = clamp_terms(1, e, sel);
      std::vector<char> masked(sel + 1, 1);
      masked[sel] = 0;
      pc.degrees = sc::masked_degrees(pc.nv, pc.second.with(pc.terms, Fp2::one()), masked, true);
      p_.products.push_back(std::move(pc));
    }
    needs_range_.push_back({d.y_col, k});
    p_.steps.emplace_back(Step::Div, p_.divs.size());
    p_.divs.push_back(d);
    ZK_TRY(offset_copies(k, out, tops));
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

  // Softmax along an axis (the executor's), per row: m = max x (a max check), d = x - m +
  // act_hi (in the activation range: its lookup's), e = exp(d - act_hi) by a function
  // lookup (the model's table, 0 below it), S = sum e (a linear op), and y = round(e 2^fo
  // / S): a division with a = e, b = S and scale shift fo.
  Status softmax(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    if (n.table < 0 || size_t(n.table) >= m_.tables.size() || xs != m_.tensors[n.outputs[0]].shape ||
        !(p_.col_shape[*x] == out))
      return node_error(n, "needs its table and equal shapes");
    int64_t outer = 0, len = 0, inner = 0;
    model::softmax_layout(as_graph_node(n), xs, m_.opset, outer, len, inner);
    const size_t N = out.real_count(), R = size_t(outer * inner);
    if (len < 1 || size_t(outer * len * inner) != N) return node_error(n, "its axis does not fit its shape");
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

  Status reduce(size_t k, const poly::PaddedShape& out) {
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

  // MatMul with one constant 2-d operand, entry by entry: x [.., M, K] W [K, N], or
  // W [M, K] x [K, N].
  Status matmul(size_t k, const poly::PaddedShape& out) {
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
      if (size_t(xt.shape.back()) != K || X % K != 0 || out.real_count() != X / K * N) return node_error(n, "shapes do not match");
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

  Status activation_matmul(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    const auto &as = m_.tensors[n.inputs[0]].shape, &bs = m_.tensors[n.inputs[1]].shape;
    const auto& os = m_.tensors[n.outputs[0]].shape;
    if (as.size() < 2 || as.size() != bs.size() || os.size() != as.size() ||
        !std::equal(as.begin(), as.end() - 2, bs.begin()) || !std::equal(as.begin(), as.end() - 2, os.begin()))
      return node_error(n, "multiplies activations of other ranks or batches: not provable in a private proof yet");
    const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
    if (bs[bs.size() - 2] != K || os[os.size() - 2] != M || os.back() != N) return node_error(n, "shapes do not match");
    if (K < 2) return node_error(n, "contracts one entry: not provable in a private proof yet");
    auto a = held(n, n.inputs[0]), b = held(n, n.inputs[1]);
    if (!a.ok()) return make_error(a.error());
    if (!b.ok()) return make_error(b.error());
    auto a_shape = slice_detail::padded_of(as);
    if (!a_shape.ok() || !(p_.col_shape[*a] == *a_shape) || p_.col_shape[*b].real_count() != uint64_t(model::numel(bs)))
      return node_error(n, "its operands are not laid out as their shapes: not provable in a private proof yet");
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

  // ConvTranspose entry by entry (its MACs: the corpus's are small).
  Status conv_transpose(size_t k, const poly::PaddedShape& out) {
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

  // PRelu with a slope per entry: y = requant(2^16 relu(x) + slope (x - relu(x))), so a
  // Relu lookup (x, relu(x)) and a linear op of x and relu(x).
  Status prelu(size_t k, const poly::PaddedShape& out) {
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

  // Max pooling (see ProductCheck): y committed, D = [y - x at each tap] by a linear op
  // of shift 0, D in [0, 2^16), and the product zerocheck.
  Status maxpool(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    model::kern::PoolParams pp{};
    model::Shape ys;
    ZK_TRY(model::pool_setup(as_graph_node(n), xs, pp, ys));
    const size_t N = size_t(pp.N * pp.C * pp.OH * pp.OW);
    if (out.real_count() != N || p_.col_shape[*x].real_count() != size_t(pp.N * pp.C * pp.H * pp.W))
      return node_error(n, "shapes do not match the pooling");
    std::vector<std::vector<int64_t>> taps(size_t(pp.KH * pp.KW), std::vector<int64_t>(N, -1));
    for (int64_t nc = 0; nc < pp.N * pp.C; ++nc)
      for (int64_t oh = 0; oh < pp.OH; ++oh)
        for (int64_t ow = 0; ow < pp.OW; ++ow)
          for (int64_t kh = 0; kh < pp.KH; ++kh)
            for (int64_t kw = 0; kw < pp.KW; ++kw) {
              const int64_t ih = oh * pp.sh - pp.pt + kh * pp.dh, iw = ow * pp.sw - pp.pl + kw * pp.dw;
              if (ih >= 0 && ih < pp.H && iw >= 0 && iw < pp.W)
                taps[size_t(kh * pp.KW + kw)][size_t((nc * pp.OH + oh) * pp.OW + ow)] = (nc * pp.H + ih) * pp.W + iw;
            }
    auto y = max_check(k, *x, out, std::move(taps));
    if (!y.ok()) return make_error(y.error());
    col_of_[n.outputs[0]] = *y;
    return {};
  }

  // y(o) = max_t x(taps[t][o]) as a committed column (returned), by the product check.
  // More than 64 taps: a tree, the max of the maxes of groups of 64 (each level a check).
  Result<size_t> max_check(size_t k, size_t x_col, const poly::PaddedShape& out, std::vector<std::vector<int64_t>> taps) {
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

  using Parts = std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>>;
  Status sparse_linear(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias, int shift,
                       bool needs_range, bool node_output = true, bool range_only = false) {
    if (parts.size() > sc::kMaxFactors / 2)
      return step_error(m_, k, "reads more than " + std::to_string(sc::kMaxFactors / 2) +
                                   " activations (not provable in a private proof yet)");
    LinearPlan lp;
    lp.bias = std::move(bias);
    lp.range_only = range_only;
    std::vector<double> bound(out.real_count(), 0.0);
    for (const auto& [col, entries] : parts) {
      lp.ins.push_back(sparse_input(col, p_.col_shape[col], out, entries));
      entries_bound(*entries, max_of(col), bound);
    }
    return add_linear(k, std::move(lp), out, shift, bound, needs_range, node_output);
  }

  // acc = sum M_j x_j + b in [0, 2^bits), by its limbs (LinearPlan::range_only).
  Status range_check(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias, unsigned bits) {
    return sparse_linear(k, out, parts, std::move(bias), int(bits), false, false, true);
  }

  Status bias_of(const QNode& n, size_t input, size_t N, std::vector<int64_t>& bias) {
    bias.assign(N, 0);
    if (n.inputs.size() <= input) return {};
    const model::QTensor& c = m_.tensors[n.inputs[input]];
    if (!c.is_const) return node_error(n, "needs a constant bias");
    const auto ci = model::kern::broadcast_index(c.shape, m_.tensors[n.outputs[0]].shape);
    if (ci.size() != N) return node_error(n, "its bias does not broadcast to its output");
    for (size_t j = 0; j < N; ++j) {
      if (ci[j] < 0 || size_t(ci[j]) >= c.data.size()) return node_error(n, "its bias does not broadcast");
      bias[j] = c.data[size_t(ci[j])];
    }
    return {};
  }

  Status unary(size_t k) {
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

  // Nodes with the same function (two Clips alike) share one table, so one lookup.
  const FunctionTable* intern(std::shared_ptr<FunctionTable> t) {
    auto same = std::find_if(p_.tables.begin(), p_.tables.end(), [&](const auto& o) {
      return o->in_lo == t->in_lo && o->values == t->values && o->inputs == t->inputs;
    });
    if (same == p_.tables.end()) p_.tables.push_back(std::move(t)), same = p_.tables.end() - 1;
    return same->get();
  }

  // y = f(x) by a lookup of (x, y) in f's table over the activation range; y returned.
  size_t add_unary(size_t k, size_t x_col, const FunctionTable* ft, bool derived) {
    UnaryPlan u{k, x_col, new_col(p_.col_shape[x_col]), ft, derived};
    LookupPlan l;
    l.kind = LookupKind::Function, l.node = k, l.cols = {u.x_col, u.y_col}, l.fn = ft;
    l.table_vars = unsigned(m_.cfg.act_bits);
    p_.lookups.push_back(std::move(l));
    in_function_.insert(u.x_col);
    double mx = 0;
    for (int64_t v : ft->values) mx = std::max(mx, std::fabs(double(v)));
    col_max_[u.y_col] = mx;
    p_.steps.emplace_back(Step::Unary, p_.unaries.size());
    p_.unaries.push_back(u);
    return u.y_col;
  }

  // Range checks, batching, sizes, the lookups' tables and the mask table's slices.
  Status finish() {
    const unsigned act = unsigned(m_.cfg.act_bits);
    for (const auto& [c, node] : needs_range_) {
      if (in_function_.count(c)) continue;  // its table op checks it
      LookupPlan l;
      l.kind = LookupKind::Act, l.node = node, l.cols = {c}, l.table_vars = act;
      p_.lookups.push_back(std::move(l));
    }
    ZK_TRY(batch_lookups());
    p_.col_vars.clear();
    for (const auto& sh : p_.col_shape) p_.col_vars.push_back(std::max(pcs::kMinHidingVars, sh.num_vars()));
    for (auto& l : p_.lookups) {
      if (l.kind == LookupKind::Range) {
        l.table = {std::vector<Fp>(size_t(1) << l.range_bits)};
        for (size_t v = 0; v < l.table[0].size(); ++v) l.table[0][v] = Fp(v);
      } else if (l.kind == LookupKind::Act) {
        l.table = {act_table(m_)};
      } else {
        l.table = {act_table(m_), {}};
        for (int64_t v : l.fn->values) l.table[1].push_back(Fp::from_i64(v));
      }
      l.m_col = new_col(poly::PaddedShape::flat(uint64_t(1) << l.table_vars));
      const unsigned vars =
          std::max({pcs::kMinHidingVars, l.table_vars, p_.col_shape[l.cols[0]].num_vars()});
      p_.col_vars.push_back(vars);  // m
      for (size_t c : l.cols) p_.col_vars[c] = vars;
      l.shape = {p_.col_shape[l.cols[0]], l.table_vars, static_cast<unsigned>(l.cols.size()), vars};
      l.degrees = lk::zk_lookup_degrees(l.shape);
    }
    for (auto& lp : p_.linears) {
      lp.off_reader = p_.mask_size, p_.mask_size += sc::mask_entries(lp.d_reader);
      lp.off_maker = p_.mask_size, p_.mask_size += sc::mask_entries(lp.d_maker);
      lp.off_S = p_.mask_size, p_.mask_size += sc::affine_mask_entries(lp.nv);
    }
    for (auto& pc : p_.products) pc.off = p_.mask_size, p_.mask_size += sc::mask_entries(pc.degrees);
    for (auto& l : p_.lookups) l.off = p_.mask_size, p_.mask_size += sc::mask_entries(l.degrees);
    p_.mask_vars = pcs::hiding_value_vars(p_.mask_size);
    ZK_TRY(assign_units());
    // Members largest first (ties in unit order).
    p_.order.resize(p_.members());
    for (size_t j = 0; j < p_.order.size(); ++j) p_.order[j] = j;
    std::stable_sort(p_.order.begin(), p_.order.end(),
                     [&](size_t a, size_t b) { return p_.unit_vars[a] > p_.unit_vars[b]; });
    p_.pos.assign(p_.members(), 0);
    for (size_t j = 0; j < p_.order.size(); ++j) p_.pos[p_.order[j]] = j;
    return {};
  }

  // Lookup witnesses and multiplicities alone, the rest packed (see Plan).
  Status assign_units() {
    const size_t C = p_.columns();
    std::vector<char> alone(C, 0);
    for (const auto& l : p_.lookups) {
      alone[l.m_col] = 1;
      for (size_t c : l.cols) alone[c] = 1;
    }
    p_.col_unit.assign(C, 0);
    p_.col_offset.assign(C, 0);
    p_.unit_vars.clear();
    std::vector<size_t> packed;
    for (size_t c = 0; c < C; ++c) {
      if (alone[c]) {
        p_.col_unit[c] = p_.unit_vars.size();
        p_.unit_vars.push_back(p_.col_vars[c]);
      } else {
        // A block of at least 2^kMinReadVars entries: every masked read stays in it.
        p_.col_vars[c] = std::max(kMinReadVars, p_.col_shape[c].num_vars());
        packed.push_back(c);
      }
    }
    // Packs of at most 2^kPackVars values (a hiding table of twice that, inside the
    // commitment's limits), filled largest block first, so every offset stays a
    // multiple of its block's size.
    constexpr unsigned kPackVars = 20;
    std::stable_sort(packed.begin(), packed.end(), [&](size_t a, size_t b) { return p_.col_vars[a] > p_.col_vars[b]; });
    std::vector<size_t> reads(C, 0);  // masked reads of each column
    for (const auto& lp : p_.linears) {
      for (size_t c : lp.reader_cols()) ++reads[c];
      for (const auto& in : lp.ins) ++reads[in.col];
    }
    for (const auto& pc : p_.products) {
      for (const auto& f : pc.factors) ++reads[f.col];
      if (pc.e_col != SIZE_MAX) ++reads[pc.e_col];
    }
    size_t at = 0, shown = 0;
    auto close_pack = [&]() {
      // The pack's mask must outnumber what one opening and its masked reads show.
      const unsigned vars = std::max(pcs::hiding_value_vars(at), pcs::hiding_value_vars(pcs::kRevealedPerOpening + shown + 1));
      p_.unit_vars.push_back(vars);
      at = 0, shown = 0;
    };
    for (size_t c : packed) {
      if (p_.col_vars[c] > kPackVars) {  // a tensor larger than a pack: alone
        p_.col_unit[c] = p_.unit_vars.size();
        p_.unit_vars.push_back(p_.col_vars[c]);
        continue;
      }
      if (at + (size_t(1) << p_.col_vars[c]) > (size_t(1) << kPackVars)) close_pack();
      p_.col_unit[c] = p_.unit_vars.size();
      p_.col_offset[c] = at;
      at += size_t(1) << p_.col_vars[c];
      shown += 2 * reads[c];
    }
    if (at > 0) close_pack();
    p_.mask_unit = p_.unit_vars.size();
    p_.unit_vars.push_back(p_.mask_vars);
    return count_reads();
  }

  // Lookups into one table become one: each witness column's tensors laid end to end in
  // a stack column (a layout op of shift 0 proves the stack from them), one lookup of
  // the stacks. A lookup's cost is mostly its argument (2^16 rows for a 16-bit table,
  // four helper tables and the multiplicities), whatever the tensor's size.
  Status batch_lookups() {
    // Keyed by the table's position in the plan, never its address: prover and verifier
    // must build the same plan.
    auto table_id = [&](const FunctionTable* fn) -> size_t {
      for (size_t i = 0; i < p_.tables.size(); ++i)
        if (p_.tables[i].get() == fn) return i;
      return SIZE_MAX;
    };
    std::map<std::tuple<int, unsigned, size_t>, std::vector<size_t>> groups;
    for (size_t i = 0; i < p_.lookups.size(); ++i) {
      const auto& l = p_.lookups[i];
      groups[{int(l.kind), l.range_bits, table_id(l.fn)}].push_back(i);
    }
    // A group whose stack would pass 2^kMaxStackVars entries is cut into several, in order:
    // a lookup's witness is one polynomial of the commitment, bounded in size.
    std::vector<std::vector<size_t>> chunks;
    for (auto& [key, members] : groups) {
      uint64_t size = 0;
      chunks.emplace_back();
      for (size_t i : members) {
        const uint64_t n = p_.col_shape[p_.lookups[i].cols[0]].real_count();
        if (!chunks.back().empty() && size + n > (uint64_t(1) << kMaxStackVars)) chunks.emplace_back(), size = 0;
        chunks.back().push_back(i);
        size += n;
      }
    }
    std::vector<LookupPlan> out;
    std::vector<std::pair<size_t, LookupPlan>> batched;  // by the first member's position
    for (auto& members : chunks) {
      if (members.size() == 1) {
        batched.emplace_back(members[0], std::move(p_.lookups[members[0]]));
        continue;
      }
      LookupPlan l = p_.lookups[members[0]];
      for (size_t j = 0; j < l.cols.size(); ++j) {
        std::vector<size_t> cols;
        for (size_t i : members) cols.push_back(p_.lookups[i].cols[j]);
        auto st = stack_columns(kStackNode, cols);
        if (!st.ok()) return make_error(st.error());
        l.cols[j] = *st;
      }
      l.node = kStackNode;  // several tensors
      batched.emplace_back(members[0], std::move(l));
    }
    std::sort(batched.begin(), batched.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [i, l] : batched) out.push_back(std::move(l));
    p_.lookups = std::move(out);
    return {};
  }

  // The masked reads of each column (see kMinReadVars): a read of n variables from entry
  // `start` involves that block of the column's mask. Each block some read spans may be
  // spanned, within itself, by at most 2^(n-1) - 1 reads; a read reaching past it
  // brings mask entries of its own. (A sufficient condition for points in general
  // position, not a proof: docs/ARCHITECTURE.md.) Only planning-time counts.
  Status count_reads() const {
    struct Read {
      size_t start;
      unsigned vars;
    };
    std::vector<std::vector<Read>> reads(p_.col_shape.size());
    auto read = [&](size_t col, size_t start, unsigned vars) {
      reads[col].push_back({start, std::min(vars, p_.col_vars[col])});  // a longer read spans the block
    };
    for (const auto& lp : p_.linears) {
      for (size_t c : lp.reader_cols()) read(c, 0, lp.nv);
      for (const auto& in : lp.ins) read(in.col, 0, lp.matmul ? p_.col_shape[in.col].num_vars() : lp.kv);
    }
    for (const auto& pc : p_.products) {
      for (const auto& f : pc.factors) read(f.col, f.block << pc.nv, pc.nv);
      if (pc.e_col != SIZE_MAX) read(pc.e_col, 0, pc.nv);
    }
    for (size_t c = 0; c < reads.size(); ++c)
      for (const Read& outer : reads[c]) {
        size_t inside = 0;
        for (const Read& r : reads[c])
          inside += r.start >= outer.start &&
                    r.start + (size_t(1) << r.vars) <= outer.start + (size_t(1) << outer.vars);
        if (inside > (size_t(1) << (outer.vars - 1)) - 1)
          return make_error("private proof: a tensor's block of 2^" + std::to_string(outer.vars) + " entries is read " +
                            std::to_string(inside) + " times (too many to stay hidden)");
      }
    return {};
  }

  // The columns' real entries end to end in one column (flat), by layout ops of at most
  // kMaxParts inputs each (a sumcheck takes 16 factors: two an input), in a tree.
  static constexpr size_t kMaxParts = sc::kMaxFactors / 2;
  Result<size_t> stack_columns(size_t node, const std::vector<size_t>& cols) {
    if (cols.size() > kMaxParts) {
      std::vector<size_t> subs;
      const size_t per = (cols.size() + kMaxParts - 1) / kMaxParts;
      for (size_t at = 0; at < cols.size(); at += per) {
        const std::vector<size_t> chunk(cols.begin() + static_cast<long>(at),
                                        cols.begin() + static_cast<long>(std::min(cols.size(), at + per)));
        auto sub = chunk.size() == 1 ? Result<size_t>(chunk[0]) : stack_columns(node, chunk);
        if (!sub.ok()) return sub;
        subs.push_back(*sub);
      }
      return stack_columns(node, subs);
    }
    uint64_t total = 0;
    std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
    for (size_t c : cols) {
      const uint64_t n = p_.col_shape[c].real_count();
      auto e = std::make_shared<std::vector<Entry>>();
      for (uint64_t d = 0; d < n; ++d) e->push_back({uint32_t(total + d), uint32_t(d), 1});
      parts.emplace_back(c, e);
      total += n;
    }
    ZK_TRY(sparse_linear(node, poly::PaddedShape::flat(total), parts, std::vector<int64_t>(total, 0), 0, false, false));
    return p_.linears.back().q_col;
  }

  double in_max() const { return std::ldexp(1.0, m_.cfg.act_bits - 1); }
  // A bound on |x| for x in the column: an activation's, or what the plan derived.
  double max_of(size_t col) const {
    auto it = col_max_.find(col);
    return it == col_max_.end() ? in_max() : it->second;
  }

  const QModel& m_;
  Plan p_;
  const FunctionTable* relu_ = nullptr;
  std::map<int, size_t> col_of_;
  std::map<int, const FunctionTable*> model_tables_;
  std::vector<std::pair<size_t, size_t>> needs_range_;  // (column, node or SIZE_MAX for an input)
  std::set<size_t> in_function_;                        // columns a full-range table op reads
  std::map<size_t, double> col_max_;                    // bounds of columns outside the activation range
};

}  // namespace

Result<Plan> make_private_plan(const QModel& m) { return Planner(m).run(); }

}  // namespace zks::circuits::private_detail
