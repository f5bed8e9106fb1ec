// The private prover's planner (private_plan.hpp): each node of a model as linear maps,
// product checks and lookups over committed columns.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "circuits/slice/private_planner.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "pcs/hiding.hpp"
#include "slicer/slicer.hpp"

namespace zks::circuits::private_detail {

using slice_detail::node_error;

// An error naming the node (or the batched lookup) a step belongs to.
Error step_error(const QModel& m, size_t node, const std::string& what) {
  if (node < m.nodes.size()) return node_error(m.nodes[node], what);
  return make_error("a batched lookup: " + what);
}

namespace {

std::vector<Fp> act_table(const QModel& m) {
  std::vector<Fp> t;
  for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) t.push_back(Fp::from_i64(v));
  return t;
}

// Max |acc| a linear op can reach from inputs in the activation range (rule 5).
void entries_bound(const std::vector<Entry>& entries, double in_max, std::vector<double>& bound) {
  for (const Entry& e : entries) bound[e.o] += std::fabs(double(e.coeff)) * in_max;
}

}  // namespace

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

Result<Plan> Planner::run() {
  const QModel& m = m_;
  if (m.cfg.act_bits > 16 || m.cfg.act_bits < 2)
    return make_error("private proof: activations of " + std::to_string(m.cfg.act_bits) +
                      " bits (at most 16: the range tables have 2^bits rows)");
  if (m.inputs.empty() || m.outputs.empty()) return make_error("private proof: the model has no input or no output");
  const PrivateSlice* sl = p_.slice;
  if (sl && (sl->first >= sl->end || sl->end > m.nodes.size()))
    return make_error("private proof: slice " + std::to_string(sl->index) + " has no nodes of the model");
  for (int t : sl ? sl->inputs : m.inputs) {
    if (t < 0 || size_t(t) >= m.tensors.size()) return make_error("private proof: input tensor id out of range");
    auto shape = slice_detail::padded_of(m.tensors[t].shape);
    if (!shape.ok()) return make_error("private proof: input '" + m.tensors[t].name + "': " + shape.error());
    const size_t c = new_col(*shape);
    col_of_[t] = c;
    p_.input_cols.push_back(c);
    // A slice's input that another slice made is the maker's column (one shared root),
    // which the maker's proof shows in the activation range (every tensor a private
    // proof makes is: rule 5 upstream, as the sound path's private boundaries). A model
    // input is checked by every slice that holds it.
    if (!sl || std::find(m.inputs.begin(), m.inputs.end(), t) != m.inputs.end()) needs_range_.push_back({c, SIZE_MAX});
  }
  for (size_t k = sl ? sl->first : 0; k < (sl ? sl->end : m.nodes.size()); ++k) ZK_TRY(node(k));
  for (int t : sl ? sl->outputs : m.outputs) {
    auto c = col_of_.find(t);
    if (c == col_of_.end()) return make_error("private proof: output '" + m.tensors[t].name + "' is not computed");
    p_.output_cols.push_back(c->second);
  }
  ZK_TRY(share());
  p_.tensor_cols = col_of_;
  ZK_TRY(finish());
  slicer::Manifest man;
  man.model = m;
  p_.model_digest = hash::hash(hash::Domain::Generic, slicer::serialize_manifest(man));
  // A hiding table has one variable more than its values.
  const unsigned max_vars = pcs::Params::standard().max_num_vars - 1;
  for (const Packing* k : {&p_.units, &p_.helpers})
    for (unsigned v : k->unit_vars)
      if (v > max_vars)
        return make_error("private proof: a tensor of 2^" + std::to_string(v) + " entries is too large (2^" +
                          std::to_string(max_vars) + " at most)");
  return std::move(p_);
}

Status Planner::share() {
  if (!p_.slice) return {};
  const auto& ins = p_.slice->inputs;
  std::set<size_t> taken(p_.input_cols.begin(), p_.input_cols.end());
  for (const auto& [t, openings] : p_.slice->shared) {
    auto c = col_of_.find(t);
    if (c == col_of_.end() || openings < 2)
      return make_error("private proof: slice " + std::to_string(p_.slice->index) + ": tensor " + std::to_string(t) +
                        " is not one it shares");
    size_t col = c->second;
    if (std::find(ins.begin(), ins.end(), t) == ins.end()) {  // made here: in its own layout, a column of its own
      size_t k = p_.slice->first;
      while (k < p_.slice->end && std::find(m_.nodes[k].outputs.begin(), m_.nodes[k].outputs.end(), t) ==
                                      m_.nodes[k].outputs.end())
        ++k;
      auto own = slice_detail::padded_of(m_.tensors[size_t(t)].shape);
      if (k == p_.slice->end || !own.ok()) return make_error("private proof: internal error: a shared tensor's maker");
      auto copy = copy_to(k, col, identity_index(own->real_count()), *own, taken.count(col) > 0);
      if (!copy.ok()) return make_error(copy.error());
      col = col_of_[t] = *copy;
    }
    taken.insert(col);
    p_.shared.push_back({col, t, openings});
  }
  // In column order: the order of their members (pack_blocks), roots and transcript.
  std::sort(p_.shared.begin(), p_.shared.end(), [](const auto& a, const auto& b) { return a.col < b.col; });
  return {};
}

size_t Planner::new_col(const poly::PaddedShape& s) {
  p_.col_shape.push_back(s);
  return p_.col_shape.size() - 1;
}

Result<size_t> Planner::held(const QNode& n, int tensor) {
  auto c = col_of_.find(tensor);
  if (c == col_of_.end()) return node_error(n, "reads a tensor the private proof does not hold");
  return c->second;
}

Status Planner::node(size_t k) {
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
  return node_error(n,
                    "is not provable in a private-input proof yet (it proves Gemm, Conv, ConvTranspose, "
                    "pooling, ReduceSum/Mean, Add/Sub/Sum, Mul, Div, MatMul, Softmax, layout ops, Relu, "
                    "PRelu, and table and function ops)");
}

Status Planner::add_linear(size_t k, LinearPlan lp, const poly::PaddedShape& out, int shift,
                           const std::vector<double>& bound, bool needs_range, bool node_output) {
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
  // [0, 2^16) by the 16-bit range lookup, a top limb of t < 16 bits made exact by
  // check_tops (a bit check at t = 1, else an offset copy).
  std::vector<std::pair<size_t, unsigned>> tops;  // limbs of fewer than 16 bits: (column, bits)
  lp.limb_cols = limbs(k, out, lp.shift, tops);
  for (unsigned done = 0; done < lp.shift; done += kLimbBits)
    lp.limb_bits.push_back(std::min(kLimbBits, lp.shift - done));
  // Clamping (LinearPlan::excess_cols): an excess of up to G bits, where the range
  // analysis bounds q_full. Soundness needs the Requant equation exact over the
  // integers, 2^(s + G) <= 2^61: full 16-bit limbs when their 16 L bits meet that and
  // the top limb would need an offset copy, else a top limb of exact width (a one-bit
  // top is a bit check, cheaper than a limb in the range lookup).
  if (needs_range) {
    const double half = lp.shift == 0 ? 0.0 : std::ldexp(1.0, int(lp.shift) - 1);
    const double q_hi = std::floor((max_acc + half) / std::ldexp(1.0, int(lp.shift)));
    const double q_lo = std::floor((-max_acc + half) / std::ldexp(1.0, int(lp.shift)));
    const double excess = std::max(q_hi - double(m_.act_hi()), double(m_.act_lo()) - q_lo);
    if (excess > 0) {
      const unsigned G = unsigned(std::ceil(std::log2(excess + 2)));
      const unsigned L = (G + kLimbBits - 1) / kLimbBits;
      const bool full = G % kLimbBits != 1 && lp.shift + kLimbBits * L <= 61;
      if (!full && lp.shift + G > 61)
        return step_error(m_, k,
                          "its requantization may clamp by 2^" + std::to_string(G) + " (too wide for a private proof)");
      lp.excess_bits = full ? kLimbBits * L : G;
      lp.excess_cols = limbs(k, out, lp.excess_bits, tops);
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
  if (!lp.excess_cols.empty()) {  // - 2^s c (2y - lo - hi) / (hi - lo), and the clamp's product
    std::vector<unsigned> e;
    for (size_t c : lp.excess_cols) e.push_back(factor_of(c));
    const auto x = excess_terms(factor_of(lp.q_col), e, sel, lp.shift);
    lp.terms.insert(lp.terms.end(), x.begin(), x.end());
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
  if (!needs_range && !lp.range_only && shift == 0) {  // a derived column: its accumulator's bound
    double mx = 0;
    for (size_t o = 0; o < bound.size(); ++o) mx = std::max(mx, bound[o] + std::fabs(double(lp.bias[o])));
    col_max_[lp.q_col] = mx;
  }
  if (node_output) col_of_[m_.nodes[k].outputs[0]] = lp.q_col;
  lp.derived = !node_output;
  p_.steps.emplace_back(Step::Linear, p_.linears.size());
  p_.linears.push_back(std::move(lp));
  return check_tops(k, out, tops);
}

std::vector<size_t> Planner::limbs(size_t k, const poly::PaddedShape& out, unsigned bits,
                                   std::vector<std::pair<size_t, unsigned>>& tops) {
  std::vector<size_t> cols;
  for (unsigned done = 0; done < bits; done += kLimbBits) {
    const unsigned b = std::min(kLimbBits, bits - done);
    cols.push_back(new_col(out));
    if (b > 1) range16(k, cols.back());  // a one-bit top: check_tops's bit check alone
    col_max_[cols.back()] = std::ldexp(1.0, int(b));
    if (b < kLimbBits) tops.emplace_back(cols.back(), b);
  }
  return cols;
}

Status Planner::check_tops(size_t k, const poly::PaddedShape& out,
                           const std::vector<std::pair<size_t, unsigned>>& tops) {
  for (const auto& [col, t] : tops) {
    if (t == 1) {  // b (b - 1) = 0 at every output
      ProductCheck pc;
      pc.node = k, pc.what = "bit", pc.out = out, pc.nv = std::max(kMinReadVars, out.num_vars());
      pc.factors = {{col, 0, 0}};
      pc.terms = {{Fp2::one(), {0, 0, 1}}, {-Fp2::one(), {0, 1}}};  // factor 1: sel
      const std::vector<char> masked = {1, 0};
      pc.degrees = sc::masked_degrees(pc.nv, pc.terms, masked, true);
      p_.products.push_back(std::move(pc));
      continue;
    }
    auto e = std::make_shared<std::vector<Entry>>();
    const uint64_t N = out.real_count();
    for (uint64_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(o), 1});
    const int64_t offset = (int64_t(1) << kLimbBits) - (int64_t(1) << t);
    ZK_TRY(sparse_linear(k, out, {{col, e}}, std::vector<int64_t>(N, offset), 0, false, false));
    range16(k, p_.linears.back().q_col);
  }
  return {};
}

std::vector<sc::Term> Planner::excess_terms(unsigned y, const std::vector<unsigned>& e, unsigned sel,
                                           unsigned shift) const {
  const Fp inv_width = Fp::from_i64(m_.act_hi() - m_.act_lo()).inverse();
  std::vector<sc::Term> out;
  for (unsigned j = 0; j < e.size(); ++j) {
    const Fp2 c(Fp(uint64_t(1) << (shift + kLimbBits * j)) * inv_width);
    out.push_back({-c * Fp2(Fp(2)), {e[j], y, sel}});
    out.push_back({c * Fp2(Fp::from_i64(m_.act_lo() + m_.act_hi())), {e[j], sel}});
  }
  return out;
}

std::vector<sc::Term> Planner::clamp_terms(unsigned y, const std::vector<unsigned>& e, unsigned sel) const {
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

void Planner::range16(size_t k, size_t col) {
  LookupPlan l;
  l.kind = LookupKind::Range, l.node = k, l.cols = {{col}};
  l.range_bits = l.table_vars = kLimbBits;
  p_.lookups.push_back(std::move(l));
}

Result<size_t> Planner::copy_to(size_t k, size_t col, const std::vector<int64_t>& index, const poly::PaddedShape& out,
                                bool fresh) {
  if (index.size() != out.real_count()) return step_error(m_, k, "inputs do not broadcast to the output");
  bool identity = !fresh && p_.col_shape[col] == out;
  for (size_t o = 0; o < index.size() && identity; ++o) identity = index[o] == int64_t(o);
  if (identity) return col;
  auto e = std::make_shared<std::vector<Entry>>();
  for (size_t o = 0; o < index.size(); ++o) e->push_back({uint32_t(o), uint32_t(index[o]), 1});
  ZK_TRY(sparse_linear(k, out, {{col, e}}, std::vector<int64_t>(out.real_count(), 0), 0, false, false));
  return p_.linears.back().q_col;
}

Status Planner::sparse_linear(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias,
                              int shift, bool needs_range, bool node_output, bool range_only) {
  if (parts.size() > sc::kMaxFactors / 2)
    return step_error(m_, k,
                      "reads more than " + std::to_string(sc::kMaxFactors / 2) +
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

Status Planner::range_check(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias,
                            unsigned bits) {
  return sparse_linear(k, out, parts, std::move(bias), int(bits), false, false, true);
}

Status Planner::bias_of(const QNode& n, size_t input, size_t N, std::vector<int64_t>& bias) {
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

const FunctionTable* Planner::intern(std::shared_ptr<FunctionTable> t) {
  auto same = std::find_if(p_.tables.begin(), p_.tables.end(), [&](const auto& o) {
    return o->in_lo == t->in_lo && o->values == t->values && o->inputs == t->inputs;
  });
  if (same == p_.tables.end()) p_.tables.push_back(std::move(t)), same = p_.tables.end() - 1;
  return same->get();
}

size_t Planner::add_unary(size_t k, size_t x_col, const FunctionTable* ft, bool derived) {
  UnaryPlan u{k, x_col, new_col(p_.col_shape[x_col]), ft, derived};
  LookupPlan l;
  l.kind = LookupKind::Function, l.node = k, l.cols = {{u.x_col}, {u.y_col}}, l.fn = ft;
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

Status Planner::finish() {
  const unsigned act = unsigned(m_.cfg.act_bits);
  for (const auto& [c, node] : needs_range_) {
    if (in_function_.count(c)) continue;  // its table op checks it
    LookupPlan l;
    l.kind = LookupKind::Act, l.node = node, l.cols = {{c}}, l.table_vars = act;
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
    p_.col_vars.push_back(l.table_vars);  // m
    // The argument's size; its tables are read zero-extended from their blocks.
    // The witness: its columns' blocks as committed (2^kMinReadVars entries or more).
    std::vector<poly::PaddedShape> blocks;
    for (size_t c : l.cols[0]) blocks.push_back(p_.col_shape[c]);
    poly::BlockLayout layout(std::move(blocks), kMinReadVars);
    const unsigned vars = std::max({kMinReadVars, l.table_vars, layout.num_vars()});
    l.shape = {std::move(layout), l.table_vars, static_cast<unsigned>(l.cols.size()), vars};
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
  return assign_units();
}

unsigned shared_vars(unsigned vars, unsigned openings) {
  unsigned n = std::max(vars, pcs::kMinHidingVars);
  while ((size_t(1) << n) <= size_t(openings) * pcs::kRevealedPerOpening + (size_t(1) << vars)) ++n;
  return n;
}

Packing pack_blocks(const std::vector<unsigned>& vars, const std::vector<size_t>& reads,
                    const std::vector<char>& alone, const std::vector<unsigned>& own_vars) {
  // Packs of at most 2^kPackVars values (a hiding table of twice that, inside the
  // commitment's limits).
  constexpr unsigned kPackVars = 20;
  Packing k;
  k.block_vars = vars;
  k.unit.assign(vars.size(), 0);
  k.offset.assign(vars.size(), 0);
  std::vector<size_t> packed, own;
  for (size_t b = 0; b < vars.size(); ++b) {
    if (b < own_vars.size() && own_vars[b] > 0) {
      own.push_back(b);
    } else if (alone[b] || vars[b] > kPackVars) {
      k.unit[b] = k.unit_vars.size();
      k.unit_vars.push_back(vars[b]);
    } else {
      packed.push_back(b);
    }
  }
  std::stable_sort(packed.begin(), packed.end(), [&](size_t a, size_t b) { return vars[a] > vars[b]; });
  // Packs of about a quarter of the blocks each (at least the largest block, at most
  // 2^kPackVars): the opening's h is as large as the largest polynomial, and one pack of
  // a small proof's few blocks made it 16 times larger than they are.
  size_t total = 0;
  for (size_t b : packed) total += size_t(1) << vars[b];
  const unsigned cap = packed.empty() ? 0
                                      : std::min(kPackVars, std::max(vars[packed[0]] + 2, poly::log2_ceil(total)) - 2);
  size_t at = 0, shown = 0;
  auto close_pack = [&]() {
    // The pack's mask must outnumber what one opening and its masked reads show.
    k.unit_vars.push_back(
        std::max(pcs::hiding_value_vars(at), pcs::hiding_value_vars(pcs::kRevealedPerOpening + shown + 1)));
    at = 0, shown = 0;
  };
  for (size_t b : packed) {
    if (at + (size_t(1) << vars[b]) > (size_t(1) << cap)) close_pack();
    k.unit[b] = k.unit_vars.size();
    k.offset[b] = at;
    at += size_t(1) << vars[b];
    shown += 2 * reads[b];
  }
  if (at > 0) close_pack();
  // The joint commitment's members largest first (ties in unit order), then the blocks
  // committed on their own, in block order.
  k.joint = k.members();
  k.order.resize(k.joint);
  for (size_t j = 0; j < k.order.size(); ++j) k.order[j] = j;
  std::stable_sort(k.order.begin(), k.order.end(), [&](size_t a, size_t b) { return k.unit_vars[a] > k.unit_vars[b]; });
  for (size_t b : own) {
    k.unit[b] = k.unit_vars.size();
    k.order.push_back(k.unit_vars.size());
    k.unit_vars.push_back(own_vars[b]);
  }
  k.pos.assign(k.members(), 0);
  for (size_t j = 0; j < k.order.size(); ++j) k.pos[k.order[j]] = j;
  return k;
}

std::vector<std::span<const Fp>> Packing::tables(std::span<const std::span<const Fp>> blocks,
                                                 std::deque<std::vector<Fp>>& store) const {
  std::vector<std::span<const Fp>> of_unit(members());
  std::vector<std::vector<Fp>*> packs(members(), nullptr);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const size_t u = unit[b];
    ZK_ASSERT_MSG(blocks[b].size() <= (size_t(1) << block_vars[b]), "a block longer than its size");
    if (unit_vars[u] == block_vars[b] && offset[b] == 0 && packs[u] == nullptr) {
      of_unit[u] = blocks[b];  // alone (the commitment zero-pads it)
      continue;
    }
    if (packs[u] == nullptr) packs[u] = &store.emplace_back(size_t(1) << unit_vars[u], Fp::zero());
    std::copy(blocks[b].begin(), blocks[b].end(), packs[u]->begin() + static_cast<long>(offset[b]));
    of_unit[u] = *packs[u];
  }
  std::vector<std::span<const Fp>> out;
  for (size_t u : order) out.push_back(of_unit[u]);
  return out;
}

Status Planner::assign_units() {
  const size_t C = p_.columns();
  std::vector<size_t> reads(C + 1, 0);  // masked reads of each column
  for (const auto& lp : p_.linears) {
    for (size_t c : lp.reader_cols()) ++reads[c];
    for (const auto& in : lp.ins) ++reads[in.col];
  }
  for (const auto& pc : p_.products) {
    for (const auto& f : pc.factors) ++reads[f.col];
    if (pc.e_col != SIZE_MAX) ++reads[pc.e_col];
  }
  for (const auto& l : p_.lookups) {
    for (const auto& blocks : l.cols)
      for (size_t c : blocks) ++reads[c];
    ++reads[l.m_col];
  }
  // Blocks of at least 2^kMinReadVars entries: every masked read stays in its block.
  for (size_t c = 0; c < C; ++c) p_.col_vars[c] = std::max(kMinReadVars, p_.col_shape[c].num_vars());
  // A lookup reads each of its blocks whole: the layout's block is the column's block.
  for (const auto& l : p_.lookups)
    for (const auto& blocks : l.cols)
      for (size_t b = 0; b < blocks.size(); ++b)
        ZK_ASSERT_MSG(l.shape.witness.block_vars(b) == p_.col_vars[blocks[b]], "a lookup block of another size");
  std::vector<unsigned> vars = p_.col_vars;
  vars.push_back(p_.mask_vars);
  std::vector<char> alone(C + 1, 0);
  alone[C] = 1;  // the mask table (read by weighted claims over all of it)
  std::vector<unsigned> own(C + 1, 0);
  for (const auto& sh : p_.shared) own[sh.col] = shared_vars(p_.col_vars[sh.col], sh.openings);
  p_.units = pack_blocks(vars, reads, alone, own);
  // Each lookup's helpers as long as their nonzero part, the witness layout's rows.
  std::vector<unsigned> helper_vars;
  for (const auto& l : p_.lookups)
    helper_vars.insert(helper_vars.end(), lk::kZkHelpers, std::max(kMinReadVars, l.shape.witness.num_vars()));
  p_.helpers = pack_blocks(helper_vars, std::vector<size_t>(helper_vars.size(), 1),
                           std::vector<char>(helper_vars.size(), 0));
  return count_reads();
}

Status Planner::batch_lookups() {
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
  // A group whose layout would pass 2^kMaxLookupVars entries or lk::kMaxZkBlocks blocks is
  // cut into several, in order: each is one lookup, its witness read in place.
  auto block_size = [&](size_t i) {
    return uint64_t(1) << std::max(kMinReadVars, p_.col_shape[p_.lookups[i].cols[0][0]].num_vars());
  };
  std::vector<std::vector<size_t>> chunks;
  for (auto& [key, members] : groups) {
    uint64_t size = 0;
    chunks.emplace_back();
    for (size_t i : members) {
      const uint64_t n = block_size(i);
      if (!chunks.back().empty() &&
          (size + n > (uint64_t(1) << kMaxLookupVars) || chunks.back().size() == lk::kMaxZkBlocks))
        chunks.emplace_back(), size = 0;
      chunks.back().push_back(i);
      size += n;
    }
  }
  std::vector<LookupPlan> out;
  std::vector<std::pair<size_t, LookupPlan>> batched;  // by the first member's position
  for (auto& members : chunks) {
    LookupPlan l = std::move(p_.lookups[members[0]]);
    for (size_t i = 1; i < members.size(); ++i)
      for (size_t j = 0; j < l.cols.size(); ++j) l.cols[j].push_back(p_.lookups[members[i]].cols[j][0]);
    if (members.size() > 1) l.node = kBatchedNode;  // several tensors
    batched.emplace_back(members[0], std::move(l));
  }
  std::sort(batched.begin(), batched.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [i, l] : batched) out.push_back(std::move(l));
  p_.lookups = std::move(out);
  return {};
}

Status Planner::count_reads() const {
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
  for (const auto& l : p_.lookups) {
    for (const auto& blocks : l.cols)
      for (size_t c : blocks) read(c, 0, p_.col_vars[c]);
    read(l.m_col, 0, p_.col_vars[l.m_col]);
  }
  // A shared tensor's column is read by each of the proofs that hold it: each may take
  // its share of the block's mask.
  std::vector<size_t> openings(reads.size(), 1);
  for (const auto& sh : p_.shared) openings[sh.col] = sh.openings;
  for (size_t c = 0; c < reads.size(); ++c)
    for (const Read& outer : reads[c]) {
      size_t inside = 0;
      for (const Read& r : reads[c])
        inside += r.start >= outer.start && r.start + (size_t(1) << r.vars) <= outer.start + (size_t(1) << outer.vars);
      if (inside * openings[c] > (size_t(1) << (outer.vars - 1)) - 1)
        return make_error("private proof: a tensor's block of 2^" + std::to_string(outer.vars) + " entries is read " +
                          std::to_string(inside) + " times (too many to stay hidden)");
    }
  return {};
}

Result<Plan> make_private_plan(const QModel& m, const PrivateSlice* slice) { return Planner(m, slice).run(); }

}  // namespace zks::circuits::private_detail
