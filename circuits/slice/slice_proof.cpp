#include "circuits/slice/slice_proof.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "circuits/gadgets/hadamard.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "field/field.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"
#include "circuits/slice/phase_clock.hpp"
#include "util/log.hpp"

namespace zks::circuits {

namespace {

using namespace slice_detail;
using model::QModel;
using model::QNode;

constexpr uint32_t kProofVersion = 9;  // 3: table windows and several witness commitments in the header;
                                        // 4: no range term a lookup implies;
                                        // 5: the 8-bit range table for small witnesses;
                                        // 6: requantization limbs of one bit proved bits (C10), a max
                                        //    pooling's taps in one gather and one product sumcheck;
                                        // 7: one folding run opens every commitment (pcs proof v2);
                                        // 8: several witness stacks are one joint commitment (pcs v3)
                                        // 9: sumcheck rounds without s(1) and without a shape header

const Fp kPReluOne = Fp::from_i64(int64_t(1) << 16);  // PRelu's slope of the positive side


// A point on the output's layout mapped to a broadcast operand's layout: the kept axes'
// coordinates, and the product of the broadcast axes' selectors (the operand's MLE on the
// output layout is its own MLE at the kept coordinates times that factor).
std::pair<std::vector<Fp2>, Fp2> broadcast_point(const poly::PaddedShape& from, const poly::PaddedShape& to,
                                                 std::span<const Fp2> pt) {
  std::vector<Fp2> out;
  Fp2 factor = Fp2::one();
  for (size_t a = to.dims().size(); a-- > 0;) {  // low axes first, as the point lists them
    auto coords = pt.subspan(to.axis_offset(a), to.axis_bits(a));
    if (from.dims()[a] == to.dims()[a]) out.insert(out.end(), coords.begin(), coords.end());
    else factor *= poly::lt_eval(to.dims()[a], coords);
  }
  return {out, factor};
}

// A Concat's output in the padded layout: its parts (fill 0) plus the fill. sources[i]
// is part i's (requantized) input.
std::vector<Fp> concat_values(const NodePlan& np, const std::vector<std::span<const Fp>>& sources) {
  std::vector<Fp> y(np.gather.out.padded_size(), Fp::zero());
  for (size_t i = 0; i < np.parts.size(); ++i) {
    auto part = apply_gather(np.parts[i], sources[i]);
    for (size_t k = 0; k < y.size(); ++k) y[k] += part[k];
  }
  const auto& g = np.parts[0].gather;
  const auto out = np.gather.out.padded_indices();
  for (size_t k = 0; k < g.size(); ++k) {
    bool any = false;
    for (const auto& part : np.parts) any |= part.gather[k] >= 0;
    if (!any) y[out[k]] = Fp::from_i64(np.concat_fill);
  }
  return y;
}

// sum over real outputs k that take the fill of eq(r, k).
Fp2 concat_fill_weight(const NodePlan& np, std::span<const Fp2> point) {
  auto eq_r = poly::eq_table(point);
  const auto out = np.gather.out.padded_indices();
  Fp2 acc = Fp2::zero();
  for (size_t k = 0; k < np.parts[0].gather.size(); ++k) {
    bool any = false;
    for (const auto& part : np.parts) any |= part.gather[k] >= 0;
    if (!any) acc += eq_r[out[k]];
  }
  return acc;
}

// A left shift by k (requantization shift -k) is a requantization by 0 of the
// accumulator times 2^k: the requant gadget sees the scaled accumulator, and its claim
// on it is a claim on the accumulator times 2^k.
std::vector<Fp> scaled_acc(const NodePlan& np, std::vector<Fp> acc) {
  if (np.acc_scale != Fp::one())
    for (auto& v : acc) v *= np.acc_scale;
  return acc;
}
EvalClaim unscaled_claim(const NodePlan& np, const EvalClaim& c) {
  return {c.point, c.value * Fp2(np.acc_scale.inverse())};
}

// The commitment of boundary i on side 0 (inputs) or 1 (outputs), or null when public.
const pcs::Commitment* private_commitment(const SliceStatement& st, int side, size_t i) {
  const auto& cs = side == 0 ? st.input_commitments : st.output_commitments;
  return i < cs.size() && cs[i] ? &*cs[i] : nullptr;
}

// The private boundary tensors in commitment order (inputs, then outputs not already
// listed), each once.
std::vector<std::pair<int, const pcs::Commitment*>> private_boundaries(const SliceStatement& st) {
  std::vector<std::pair<int, const pcs::Commitment*>> out;
  for (int side = 0; side < 2; ++side) {
    const auto& ids = side == 0 ? st.inputs : st.outputs;
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto* c = private_commitment(st, side, i);
      bool listed = false;
      for (const auto& [t, _] : out) listed |= t == ids[i];
      if (c && !listed) out.push_back({ids[i], c});
    }
  }
  return out;
}

// The polynomials with at least one claim, in order, and the claims renumbered to them.
std::vector<size_t> claimed_polys(const std::vector<pcs::Claim>& claims, size_t n) {
  std::vector<char> used(n, 0);
  for (const auto& c : claims) used[c.poly] = 1;
  std::vector<size_t> out;
  for (size_t i = 0; i < n; ++i)
    if (used[i]) out.push_back(i);
  return out;
}
std::vector<pcs::Claim> reindex_claims(std::vector<pcs::Claim> claims, size_t n) {
  auto polys = claimed_polys(claims, n);
  std::vector<size_t> index(n, 0);
  for (size_t k = 0; k < polys.size(); ++k) index[polys[k]] = k;
  for (auto& c : claims) c.poly = index[c.poly];
  return claims;
}

// Several witness stacks are one joint commitment (pcs::commit_joint: one Merkle path
// per query opens them all); so are several weight stacks (pcs::commit_stack_cached).
bool joint_witness(const Plan& p) { return p.witness_stacks >= 2; }

// Everything both sides absorb before the first challenge.
void absorb_statement(transcript::Transcript& t, const SliceStatement& st, const Plan& p, const pcs::Params& params,
                      const std::vector<pcs::Commitment>& commitments) {
  t.absorb_u64("slice.version", kProofVersion);
  t.absorb("slice.params", params.params_id());
  t.absorb_u64("slice.saturating_nodes", p.choices.saturating.size());
  for (size_t k : p.choices.saturating) t.absorb_u64("slice.saturating_node", k);
  t.absorb_u64("slice.table_windows", p.choices.windows.size());
  for (const auto& [g, win] : p.choices.windows) {
    t.absorb_u64("slice.window_lookup", g);
    t.absorb_u64("slice.window_bits", win.bits);
    t.absorb_u64("slice.window_first", win.first);
    t.absorb_u64("slice.window_rows", win.rows.size());
    for (uint32_t row : win.rows) t.absorb_u64("slice.window_row", row);
  }
  t.absorb("slice.fingerprint", st.fingerprint);
  t.absorb_u64("slice.index", st.index);
  t.absorb("slice.job_id", st.binding.job_id);
  t.absorb("slice.prover", st.binding.prover);
  t.absorb_u64("slice.first", st.first);
  t.absorb_u64("slice.end", st.end);
  for (int side = 0; side < 2; ++side) {
    const auto& values = side == 0 ? st.input_values : st.output_values;
    for (size_t i = 0; i < values.size(); ++i) {
      if (const auto* c = private_commitment(st, side, i)) {
        t.absorb_u64("slice.private_boundary_vars", c->num_vars);
        t.absorb("slice.private_boundary", c->root);
        continue;
      }
      std::vector<Fp> f(values[i].size());
      for (size_t k = 0; k < f.size(); ++k) f[k] = Fp::from_i64(values[i][k]);
      t.absorb("slice.boundary", std::span<const Fp>(f));
    }
  }
  for (const auto& c : commitments) {
    t.absorb_u64("slice.commitment_vars", c.num_vars);
    t.absorb("slice.commitment", c.root);
    // A joint commitment's shape (fixed by the plan; bound here too, before any challenge).
    t.absorb_u64("slice.commitment_members", c.joint.size());
    if (!c.joint.empty()) t.absorb_u64("slice.commitment_member", c.member);
  }
}

// Claims on tensors, routed by kind (shared by prover and verifier).
struct Router {
  const Plan& plan;
  std::vector<pcs::Claim> openings;
  std::map<int, std::vector<EvalClaim>> pending;  // virtual tensors
  std::vector<std::pair<int, EvalClaim>> input_claims;
  std::vector<std::pair<const std::vector<Fp>*, EvalClaim>> public_claims;  // evaluated by the verifier
  std::map<int, size_t> boundary_poly;  // private boundary tensors -> their polynomial

  void route(int tensor, const EvalClaim& c) {
    switch (plan.kind.at(tensor)) {
      case TensorKind::PublicInput:
        if (auto it = boundary_poly.find(tensor); it != boundary_poly.end())
          openings.push_back({it->second, c.point, c.value});
        else
          input_claims.push_back({tensor, c});
        break;
      case TensorKind::Committed: open(plan.col_of.at(tensor), c); break;
      case TensorKind::Virtual: pending[tensor].push_back(c); break;
      case TensorKind::PublicConst: public_claims.push_back({&plan.const_tables.at(tensor), c}); break;
    }
  }
  // A claim on a column is a claim on its stack at (point, bits of its block index).
  void open(size_t column, const EvalClaim& c) {
    const auto& slot = plan.slots[column];
    const unsigned k = plan.columns[column].shape.num_vars();
    ZK_ASSERT(c.point.size() == k);  // every gadget claims its columns at their own size
    const unsigned total = plan.stack_vars[size_t(slot.poly)];
    std::vector<Fp2> point = c.point;
    const size_t block = slot.offset >> k;
    for (unsigned i = k; i < total; ++i) point.push_back(((block >> (i - k)) & 1) ? Fp2::one() : Fp2::zero());
    openings.push_back({size_t(slot.poly), std::move(point), c.value});
  }
};

// Stage k's input is the node's input (k = 0) or stage k-1's committed output.
void route_maxpool(Router& router, const NodePlan& np, size_t k, const MaxPoolClaims& mc) {
  const auto& st = np.stages[k];
  if (k == 0) router.route(np.x, mc.x);
  else router.open(np.stages[k - 1].y_col, mc.x);
  router.open(st.y_col, mc.y);
  for (size_t t = 0; t < mc.d_rho.size(); ++t) {
    router.open(st.d_col + t, mc.d_rho[t]);
    router.open(st.d_col + t, mc.d_r[t]);
  }
}

// Softmax's zerocheck over the entries: s (1 - s) = 0 and sel (d + x - spread(m)) = 0,
// factors s, d, x, spread(m), sel.
std::vector<sumcheck::Term> softmax_terms(const Fp2& gamma) {
  return {{Fp2::one(), {0}}, {-Fp2::one(), {0, 0}}, {gamma, {4, 1}}, {gamma, {4, 2}}, {-gamma, {4, 3}}};
}

// A lookup member's claims: its input (the tensor x, or a column) and its output column.
void route_lookup(Router& router, const NodePlan& np, const EvalClaim& in, const EvalClaim& out) {
  if (np.lookup_in == SIZE_MAX) router.route(np.x, in);
  else router.open(np.lookup_in, in);
  router.open(np.lookup_out, out);
}

Status check_against_executor(const QNode& n, const model::IntRun& run, int tensor, std::span<const Fp> padded,
                              const poly::PaddedShape& s) {
  const auto& want = run.values[tensor];
  const auto at = s.padded_indices();
  if (at.size() != want.size()) return node_error(n, "the executor's tensor has the wrong size");
  for (uint64_t i = 0; i < want.size(); ++i)
    if (padded[at[i]] != Fp::from_i64(want[i]))
      return node_error(n, "the circuit's result differs from the model executor at entry " + std::to_string(i));
  return {};
}


// The header's choices: the saturating nodes (relative to the slice's first node,
// strictly increasing), then the table windows (lookup, bits, first entry, the count of
// listed rows and the rows; lookups strictly increasing). make_plan checks that each
// window lies inside its table.
void write_choices(util::ByteWriter& w, const SliceStatement& st, const ProofChoices& c) {
  w.u32(uint32_t(c.saturating.size()));
  for (size_t k : c.saturating) w.u32(uint32_t(k - st.first));
  w.u32(uint32_t(c.windows.size()));
  for (const auto& [g, win] : c.windows) {
    w.u32(uint32_t(g));
    w.u8(uint8_t(win.bits));
    w.u32(win.first);
    w.u32(uint32_t(win.rows.size()));
    for (uint32_t row : win.rows) w.u32(row);
  }
}

// Only the form is checked here (counts bounded by the slice's nodes, lists strictly
// increasing); make_plan checks the rest: each listed node may saturate, each window's
// lookup exists and the window lies inside its table.
Result<ProofChoices> read_choices(util::ByteReader& r, const SliceStatement& st) {
  ProofChoices c;
  const uint32_t nodes = uint32_t(st.end - st.first);
  uint32_t n;
  if (!r.u32(n) || n > nodes) return make_error("slice proof: bad saturating-node list");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t rel;
    if (!r.u32(rel) || rel >= nodes || (!c.saturating.empty() && st.first + rel <= *c.saturating.rbegin()))
      return make_error("slice proof: bad saturating-node list");
    c.saturating.insert(st.first + rel);
  }
  if (!r.u32(n) || n > nodes) return make_error("slice proof: bad table-window list");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t g, first, rows;
    uint8_t bits;
    if (!r.u32(g) || !r.u8(bits) || !r.u32(first) || !r.u32(rows) || g >= nodes ||
        (!c.windows.empty() && g <= c.windows.rbegin()->first) || rows > (1u << kMaxWindowRowBits))
      return make_error("slice proof: bad table-window list");
    TableWindow win{bits, first, std::vector<uint32_t>(rows)};
    for (auto& row : win.rows)
      if (!r.u32(row)) return make_error("slice proof: bad table-window list");
    c.windows[g] = std::move(win);
  }
  return c;
}

}  // namespace

Result<double> expected_error(const SliceStatement& st, const pcs::Params& params) {
  auto planned = make_plan(st);
  if (!planned.ok()) return make_error(planned.error());
  // The largest witness a run can need: every requantization that may clamp proved in
  // the saturating form, every table whole (the default windows).
  ProofChoices worst;
  worst.saturating = planned->may_saturate;
  if (!worst.saturating.empty()) {
    planned = make_plan(st, worst);
    if (!planned.ok()) return make_error(planned.error());
  }
  const Plan& p = *planned;
  std::vector<unsigned> sizes(p.stack_vars.begin(), p.stack_vars.end());
  // Every boundary tensor that is not the model's input or output is a commitment of
  // its own (private boundaries, the default).
  std::set<int> boundaries(st.inputs.begin(), st.inputs.end());
  boundaries.insert(st.outputs.begin(), st.outputs.end());
  for (int t : st.model->inputs) boundaries.erase(t);
  for (int t : st.model->outputs) boundaries.erase(t);
  for (int t : boundaries) {
    auto shape = padded_of(st.model->tensors[t].shape);
    if (!shape.ok()) return make_error(shape.error());
    sizes.push_back(poly::log2_ceil(shape->padded_size()));
  }
  double error = params.batch_error_terms(sizes, pcs::Params::kMaxClaims).total();
  // The gadgets: LogUp charges (N + M) max(1, columns - 1) / |F| a lookup (tables of
  // at most three columns) over its witness and table leaves; a committed entry is read
  // by at most one lookup and one range term. Sumchecks and random points are
  // (variables x degree) / |F| each, a few hundred a slice.
  double leaves = 0;
  for (size_t i = 0; i < p.witness_stacks; ++i) leaves += 2 * std::ldexp(1.0, int(p.stack_vars[i]));
  for (const auto& g : p.table_groups) leaves += double(g.table->values.size());
  leaves += std::ldexp(1.0, int(p.range.table_bits));
  const double inv_f = std::exp2(-2.0 * std::log2(double(field::Fp::P)));
  error += 2 * leaves * inv_f + std::exp2(-110.0);
  return error;
}

Result<std::optional<WeightCommitment>> weight_commitment(const SliceStatement& st, const pcs::Params& params) {
  auto planned = make_plan(st);
  if (!planned.ok()) return make_error(planned.error());
  if (!planned->has_weights()) return std::optional<WeightCommitment>{};
  auto c = weight_stack_commitment(*planned, params);
  if (!c.ok()) return make_error(c.error());
  return std::optional<WeightCommitment>(std::move(*c));
}

util::Bytes write_weight_commitment(const WeightCommitment& c) {
  ZK_ASSERT(!c.empty());
  util::ByteWriter w;
  if (c.size() == 1) {
    c[0].write(w);
  } else {
    w.u32(uint32_t(c.size()));
    for (const auto& m : c) w.u32(m.num_vars);
    w.raw(c[0].root);
  }
  return w.take();
}

Result<WeightCommitment> read_weight_commitment(std::span<const uint8_t> bytes, const pcs::Params& params) {
  util::ByteReader r(bytes);
  if (bytes.size() == 36) {  // one commitment
    auto c = pcs::Commitment::read(r, params);
    if (!c.ok() || !r.at_end()) return make_error("malformed weight commitment");
    return WeightCommitment{*c};
  }
  uint32_t count = 0;
  if (!r.u32(count) || count < 2 || count > pcs::Params::kMaxPolys || bytes.size() != 36 + 4 * size_t(count))
    return make_error("malformed weight commitment");
  std::vector<uint32_t> sizes(count);
  for (auto& n : sizes) r.u32(n);
  if (auto st = pcs::check_joint(sizes, params); !st.ok()) return make_error("weight commitment: " + st.error());
  hash::Digest root;
  if (!r.raw(root) || !r.at_end()) return make_error("malformed weight commitment");
  WeightCommitment out;
  for (uint32_t i = 0; i < count; ++i) out.push_back({root, sizes[i], sizes, i});
  return out;
}

Result<std::shared_ptr<const pcs::CommittedPoly>> commit_boundary(const model::QModel& m, int tensor,
                                                                  std::span<const int64_t> values, const pcs::Params& params) {
  auto shape = padded_of(m.tensors[tensor].shape);
  if (!shape.ok()) return make_error(shape.error());
  if (values.size() != shape->real_count()) return make_error("boundary '" + m.tensors[tensor].name + "' has the wrong size");
  auto cp = pcs::commit(padded_values(std::vector<int64_t>(values.begin(), values.end()), *shape), params);
  if (!cp.ok()) return make_error(cp.error());
  return std::make_shared<const pcs::CommittedPoly>(std::move(cp).value());
}

Result<pcs::Commitment> boundary_commitment(const model::QModel& m, int tensor, std::span<const int64_t> values,
                                           const pcs::Params& params) {
  auto cp = commit_boundary(m, tensor, values, params);
  if (!cp.ok()) return make_error(cp.error());
  return (*cp)->commitment();
}

namespace {
Result<util::Bytes> prove_impl(const SliceStatement& st, const pcs::Params& params, const ForcedChoices& forced);
}  // namespace

Result<util::Bytes> prove_slice(const SliceStatement& st, const pcs::Params& params) {
  return prove_impl(st, params, {});
}

Result<util::Bytes> prove_slice_with(const SliceStatement& st, const pcs::Params& params, const ForcedChoices& forced) {
  return prove_impl(st, params, forced);
}

namespace {
Result<util::Bytes> prove_impl(const SliceStatement& st, const pcs::Params& params, const ForcedChoices& forced) {
  auto planned = make_plan(st);
  if (!planned.ok()) return make_error(planned.error());
  const QModel& m = *st.model;
  PhaseClock clock;

  // The model's own run of the slice: the reference every circuit result must match.
  model::IntRun run;
  run.values.resize(m.tensors.size());
  for (size_t i = 0; i < st.inputs.size(); ++i) run.values[st.inputs[i]] = st.input_values[i];
  ZK_TRY(model::run_int_range(m, st.first, st.end, run));
  for (size_t i = 0; i < st.outputs.size(); ++i)
    if (run.values[st.outputs[i]] != st.output_values[i])
      return make_error("slice: output '" + m.tensors[st.outputs[i]].name + "' is not the model's result for the input");
  // Only the nodes that clamped a value in this run take the saturating form.
  ProofChoices choices;
  for (size_t k : planned->may_saturate)
    if (forced.saturating ? forced.saturating->count(k) > 0 : run.node_saturations[k] > 0) choices.saturating.insert(k);
  if (!choices.saturating.empty()) {
    planned = make_plan(st, choices);
    if (!planned.ok()) return make_error(planned.error());
  }
  Plan plan = std::move(planned).value();
  const Plan& p = plan;  // planned once more below when a lookup looks into a window
  clock.lap("run");

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
  // An element-wise operand on the output's layout: broadcast from the executor's values.
  auto operand_table = [&](const NodePlan& np, int t) -> std::vector<Fp> {
    if (!np.broadcast.count(t)) return vals.at(t);
    const auto& ys = m.tensors[np.y].shape;
    auto idx = model::kern::broadcast_index(m.tensors[t].shape, ys);
    std::vector<int64_t> dense;
    for (auto i : idx) dense.push_back(run.values[t][size_t(i)]);
    return padded_values(dense, padded_of(ys).value());
  };
  // Routes a claim on an operand on the output's layout: a broadcast operand's own claim
  // is at the kept coordinates, its value sent in the proof.
  auto route_operand = [&](Router& router, util::ByteWriter& w, transcript::Transcript& t, const NodePlan& np,
                           int tensor, const EvalClaim& c) {
    if (!np.broadcast.count(tensor)) return router.route(tensor, c);
    auto from = padded_of(m.tensors[tensor].shape).value();
    auto [pt, factor] = broadcast_point(from, padded_of(m.tensors[np.y].shape).value(), c.point);
    Fp2 v = poly::evaluate(std::span<const Fp>(vals.at(tensor)), pt);
    field::write(w, v);
    t.absorb("slice.broadcast_value", v);
    router.route(tensor, {pt, v});
  };
  std::vector<std::vector<Fp>> cols(p.columns.size());
  // A Concat part's input: the input tensor, or its requantization to the output's scale.
  auto part_sources = [&](const NodePlan& np) {
    std::vector<std::span<const Fp>> out;
    for (size_t i = 0; i < np.parts.size(); ++i)
      out.push_back(np.part_rq_col[i] == SIZE_MAX ? std::span<const Fp>(vals.at(np.part_inputs[i]))
                                                 : std::span<const Fp>(cols[np.part_rq_col[i]]));
    return out;
  };
  for (const auto& np : p.nodes) {
    const QNode& n = *np.node;
    const auto& x = vals.at(np.x);
    auto yshape = padded_of(m.tensors[np.y].shape).value();
    if (np.kind == Kind::Conv || np.kind == Kind::Gemm || np.kind == Kind::ConvT) {
      cols[np.w_col] = weight_column(p, np, p.columns[np.w_col]);
      std::vector<Fp> bias;
      if (np.b >= 0) cols[np.b_col] = weight_column(p, np, p.columns[np.b_col]), bias = cols[np.b_col];
      if (np.kind == Kind::Gemm) accs[np.y] = matmul(np.mm, x, cols[np.w_col], bias);
      else if (np.kind == Kind::Conv) accs[np.y] = conv(np.conv, x, cols[np.w_col], bias);
      else accs[np.y] = conv(np.conv, apply_gather(np.gather, x), cols[np.w_col], bias);
    } else if (np.kind == Kind::Mul) {
      accs[np.y] = hadamard(operand_table(np, np.x), operand_table(np, np.x2));
    } else if (np.kind == Kind::Add) {
      std::vector<std::span<const Fp>> xs;
      std::vector<std::vector<Fp>> tables;
      for (int t2 : np.operands) tables.push_back(operand_table(np, t2));
      for (const auto& tb : tables) xs.push_back(tb);
      accs[np.y] = linear_combination(np.linear, xs);
    } else if (np.kind == Kind::MatMul) {
      if (np.w >= 0) cols[np.w_col] = weight_column(p, np, p.columns[np.w_col]);
      accs[np.y] = bmm(np.bmm, x, np.w >= 0 ? cols[np.w_col] : vals.at(np.x2));
    } else if (np.kind == Kind::AvgPool) {
      sums[np.y] = conv(np.conv, x, np.ones, {});
      accs[np.y] = hadamard(np.mult, sums[np.y]);
    } else if (np.kind == Kind::PRelu) {
      auto r = apply_table(*p.relu, yshape, to_i64(x));
      if (!r.ok()) return node_error(n, r.error());
      cols[np.lookup_out] = *r;
      auto& acc = accs[np.y];
      acc.resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) acc[i] = kPReluOne * (*r)[i] + np.slope[i] * (x[i] - (*r)[i]);
    } else if (np.kind == Kind::Reduce) {
      sums[np.y] = apply_gather(np.gather, x);
      accs[np.y] = sums[np.y];
      for (auto& v : accs[np.y]) v *= np.reduce_mult;
    }
    if (np.requant) {
      auto w = requant_witness(np.rq, to_i64(scaled_acc(np, accs[np.y])));
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
    } else if (np.kind == Kind::Softmax) {
      // The executor's row max (its first position), d = max - x, exp, the row sums.
      const auto& xd = run.values[np.x];
      const auto& h = np.sm.spread.gather;
      std::vector<int64_t> mx(np.sm.sum.out.real_count(), INT64_MIN), d(xd.size()), s1(xd.size(), 0);
      std::vector<int64_t> at(mx.size(), -1);
      for (size_t i = 0; i < xd.size(); ++i)
        if (xd[i] > mx[size_t(h[i])]) mx[size_t(h[i])] = xd[i], at[size_t(h[i])] = int64_t(i);
      for (size_t i = 0; i < xd.size(); ++i) d[i] = mx[size_t(h[i])] - xd[i], s1[i] = at[size_t(h[i])] == int64_t(i);
      cols[np.lookup_in] = padded_values(d, yshape);
      cols[np.sm.s_col] = padded_values(s1, yshape);
      cols[np.sm.m_col] = padded_values(mx, np.sm.sum.out);
      auto e = apply_table(*p.table_groups[np.group].table, yshape, to_i64(cols[np.lookup_in]));
      if (!e.ok()) return node_error(n, e.error());
      cols[np.lookup_out] = *e;
      auto sums = apply_gather(np.sm.spread, apply_gather(np.sm.sum, *e));
      auto dw = divide_witness(np.div, to_i64(*e), to_i64(sums));
      if (!dw.ok()) return node_error(n, dw.error());
      for (size_t i = 0; i < dw->columns.size(); ++i) cols[np.y_col + i] = std::move(dw->columns[i]);
      vals[np.y] = cols[np.y_col];
    } else if (np.kind == Kind::Div) {
      auto dw = divide_witness(np.div, to_i64(operand_table(np, np.x)), to_i64(operand_table(np, np.x2)));
      if (!dw.ok()) return node_error(n, dw.error());
      for (size_t i = 0; i < dw->columns.size(); ++i) cols[np.y_col + i] = std::move(dw->columns[i]);
      vals[np.y] = cols[np.y_col];
    } else if (np.kind == Kind::Table) {
      auto y = apply_table(*p.table_groups[np.group].table, yshape, to_i64(x));
      if (!y.ok()) return node_error(n, y.error());
      cols[np.y_col] = *y;
      vals[np.y] = *y;
    } else if (np.parts.empty()) {
      vals[np.y] = apply_gather(np.gather, x);
    } else {
      for (size_t i = 0; i < np.parts.size(); ++i) {
        if (np.part_rq_col[i] == SIZE_MAX) continue;
        auto w = requant_witness(np.part_rq[i], to_i64(vals.at(np.part_inputs[i])));
        if (!w.ok()) return node_error(n, w.error());
        for (size_t c = 0; c < w->columns.size(); ++c) cols[np.part_rq_col[i] + c] = std::move(w->columns[c]);
      }
      vals[np.y] = concat_values(np, part_sources(np));
    }
    if (np.kind == Kind::Gather && p.kind.at(np.y) == TensorKind::Committed) cols[np.y_col] = vals[np.y];
    ZK_TRY(check_against_executor(n, run, np.y, vals[np.y], yshape));
  }
  clock.lap("witness");
  // Per table: the members' inputs and outputs, and the multiplicities over all of them.
  auto group_io = [&](const Plan::TableGroup& g) {
    std::vector<std::span<const Fp>> xs, ys;
    for (size_t k : g.members) {
      const auto& mem = p.nodes[k];
      xs.push_back(mem.lookup_in == SIZE_MAX ? std::span<const Fp>(vals.at(mem.x)) : std::span<const Fp>(cols[mem.lookup_in]));
      ys.push_back(cols[mem.lookup_out]);
    }
    return std::make_pair(xs, ys);
  };
  // Each lookup looks into the smallest window of its table that holds its inputs
  // (smallest_window). Only the multiplicity columns' sizes (and so the stacking) change: the
  // plan's columns keep their indices, and the witness built above stands.
  if (forced.windows) {
    choices.windows = *forced.windows;
  } else {
    for (size_t gi = 0; gi < p.table_groups.size(); ++gi) {
      const auto& g = p.table_groups[gi];
      auto win = smallest_window(g.shape, group_io(g).first);
      if (!win.ok()) return make_error("slice: " + win.error());
      if (win->bits < g.table->in_bits()) choices.windows[gi] = *win;
    }
  }
  if (!choices.windows.empty()) {
    auto windowed = make_plan(st, choices);
    if (!windowed.ok()) return make_error(windowed.error());
    ZK_ASSERT(windowed->columns.size() == p.columns.size());
    plan = std::move(windowed).value();
  }
  for (const auto& g : p.table_groups) {
    auto mult = table_multiplicities(g.shape, group_io(g).first);
    if (!mult.ok()) return make_error("slice: " + mult.error());
    cols[g.m_col] = std::move(mult).value();
  }
  for (const auto& sp : p.range_splits) {
    auto limbs = split_limbs(sp, cols[sp.column]);
    if (!limbs.ok()) return make_error("slice: " + limbs.error());
    cols[sp.lo] = std::move(limbs->lo);
    cols[sp.hi] = std::move(limbs->hi);
  }
  // The range terms' columns, as views into cols.
  auto range_views = [&] {
    std::vector<std::span<const Fp>> v;
    for (const auto& term : p.range.terms) v.push_back(cols[term.column]);
    return v;
  };
  std::vector<std::span<const Fp>> range_cols = range_views();
  RangeWitness range_w;
  if (!p.range.terms.empty()) {
    auto rw = range_witness(p.range, range_cols);
    if (!rw.ok()) return make_error("slice: " + rw.error());
    range_w = std::move(rw).value();
    cols[p.range_m_col] = range_w.multiplicities;
  }
  if (forced.tamper) {  // a cheating prover (tests): from here on it proves the changed columns
    const auto before = cols;
    forced.tamper(p, cols);
    ZK_ASSERT(cols.size() == before.size());
    for (size_t c = 0; c < cols.size(); ++c) ZK_ASSERT(cols[c].size() == before[c].size());
    for (const auto& [tensor, c] : p.col_of)
      if (vals.count(tensor)) vals[tensor] = cols[c];
    // It splits a changed column into limbs again and recounts the multiplicities of
    // what it now looks up, wherever the values allow (unless the test changed those
    // itself), so that only the gadgets' relations catch a change that stays in range.
    for (const auto& sp : p.range_splits) {
      if (cols[sp.column] == before[sp.column] || cols[sp.lo] != before[sp.lo] || cols[sp.hi] != before[sp.hi]) continue;
      if (auto limbs = split_limbs(sp, cols[sp.column]); limbs.ok()) cols[sp.lo] = std::move(limbs->lo), cols[sp.hi] = std::move(limbs->hi);
    }
    range_cols = range_views();  // the hook may have replaced a column's storage
    for (const auto& g : p.table_groups) {
      auto mult = table_multiplicities(g.shape, group_io(g).first);
      if (mult.ok() && cols[g.m_col] == before[g.m_col]) cols[g.m_col] = std::move(mult).value();
    }
    if (!p.range.terms.empty()) {
      auto rw = range_witness(p.range, range_cols);
      if (rw.ok() && cols[p.range_m_col] == before[p.range_m_col]) cols[p.range_m_col] = rw->multiplicities;
      range_w.witness = range_stack(p.range, range_cols);
      range_w.multiplicities = cols[p.range_m_col];
    }
  }
  clock.lap("multiplicities");
  if (log::get("slice")->should_log(spdlog::level::debug)) {
    std::map<size_t, size_t> by_size;
    for (const auto& c : cols) if (!c.empty()) by_size[c.size()]++;
    std::string line;
    for (const auto& [sz, n] : by_size) line += fmt::format(" {}x{}", n, sz);
    ZKS_LOG_DEBUG("slice", "columns:{}", line);
    for (size_t gi = 0; gi < p.table_groups.size(); ++gi) {
      const auto& g = p.table_groups[gi];
      size_t entries = 0;
      for (size_t k : g.members) entries += m.tensors[p.nodes[k].y].shape.empty() ? 1 : size_t(model::numel(m.tensors[p.nodes[k].y].shape));
      auto win = p.choices.windows.find(gi);
      ZKS_LOG_DEBUG("slice", "table of {} ({} entries{}): {} lookups of {} entries", p.nodes[g.members[0]].node->op,
                    g.table->values.size(),
                    win == p.choices.windows.end() ? "" : win->second.rows.empty() ? fmt::format(" from entry {}", win->second.first) : " listed",
                    g.members.size(), entries);
    }
    if (!p.range.terms.empty()) {
      std::map<unsigned, size_t> by_bits;
      for (const auto& term : p.range.terms) by_bits[term.bits] += term.shape.padded_size();
      std::string bits;
      for (const auto& [b, n] : by_bits) bits += fmt::format(" {}b:{}", b, n);
      ZKS_LOG_DEBUG("slice", "range: {} terms ({} split into limbs), table 2^{}, witness 2^{}, padded entries by bits:{}",
                    p.range.terms.size(), p.range_splits.size(), p.range.table_bits, p.range.witness_vars(), bits);
    }
  }

  // Commit everything before any challenge: the witness stack and the weight stack.
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> committed;
  std::vector<pcs::Commitment> commitments;
  auto commit_fresh = [&](std::span<const Fp> values) -> Result<std::shared_ptr<const pcs::CommittedPoly>> {
    auto cp = pcs::commit(values, params);
    if (!cp.ok()) return make_error(cp.error());
    return std::make_shared<const pcs::CommittedPoly>(std::move(cp).value());
  };
  const auto stacks = build_stacks(p, cols);
  const bool joint = joint_witness(p);
  auto add = [&](auto made) -> Status {
    if (!made.ok()) return make_error("slice: " + made.error());
    for (auto& cp : *made) {
      commitments.push_back(cp->commitment());
      committed.push_back(std::move(cp));
    }
    return {};
  };
  const std::vector<std::span<const Fp>> tables(stacks.begin(), stacks.end());
  const auto witness = std::span<const std::span<const Fp>>(tables).first(p.witness_stacks);
  if (joint) {
    ZK_TRY(add(pcs::commit_joint(witness, params)));
  } else if (!witness.empty()) {
    auto cp = commit_fresh(witness[0]);
    if (!cp.ok()) return make_error("slice: " + cp.error());
    commitments.push_back((*cp)->commitment());
    committed.push_back(std::move(cp).value());
  }
  // The weight stacks are the same in every proof of this slice: committed once per
  // process (pcs::commit_stack_cached).
  if (p.has_weights()) ZK_TRY(add(pcs::commit_stack_cached(std::span<const std::span<const Fp>>(tables).subspan(p.weight_stack()), params)));
  if (log::get("slice")->should_log(spdlog::level::debug))
    for (size_t i = 0; i < stacks.size(); ++i) {
      size_t used = 0;
      for (size_t c = 0; c < p.columns.size(); ++c)
        if (size_t(p.slots[c].poly) == i) used = std::max(used, p.slots[c].offset + p.columns[c].shape.padded_size());
      ZKS_LOG_DEBUG("slice", "stack {}: 2^{} entries, {} used{}", i, poly::log2_ceil(stacks[i].size()), used,
                    commitments[i].joint.empty() ? "" : " (joint)");
    }
  if (st.weights && (!p.has_weights() || !std::equal(commitments.begin() + std::ptrdiff_t(p.weight_stack()),
                                                      commitments.end(), st.weights->begin(), st.weights->end())))
    return make_error("slice: the model's weights do not match the manifest's weight commitment");
  Router router{p, {}, {}, {}, {}, {}};
  for (const auto& [tensor, c] : private_boundaries(st)) {
    std::shared_ptr<const pcs::CommittedPoly> cp;
    if (auto it = st.boundary_polys.find(tensor); it != st.boundary_polys.end() && it->second) {
      cp = it->second;
    } else {
      auto fresh = commit_fresh(vals.at(tensor));
      if (!fresh.ok()) return make_error("slice: " + fresh.error());
      cp = std::move(fresh).value();
    }
    if (!(cp->commitment() == *c))
      return make_error("slice: boundary '" + m.tensors[tensor].name + "' does not match its commitment");
    router.boundary_poly[tensor] = commitments.size();
    commitments.push_back(cp->commitment());
    committed.push_back(std::move(cp));
  }
  clock.lap("commit");
  util::ByteWriter w;
  clock.count_bytes(w);
  w.u32(kProofVersion);
  w.raw(params.params_id());
  write_choices(w, st, p.choices);
  w.u8(uint8_t(p.witness_stacks));
  if (joint) {  // the sizes, then the one root
    for (size_t i = 0; i < p.witness_stacks; ++i) w.u32(commitments[i].num_vars);
    w.raw(commitments[0].root);
  } else {
    for (size_t i = 0; i < p.witness_stacks; ++i) commitments[i].write(w);
  }
  transcript::Transcript t("zkslice-slice");
  absorb_statement(t, st, p, params, commitments);
  clock.lap("header");

  for (size_t i = 0; i < st.outputs.size(); ++i) {
    const int out = st.outputs[i];
    if (p.kind.at(out) == TensorKind::PublicInput) continue;  // passed through: checked by the verifier
    const auto& v = vals.at(out);
    EvalClaim c{t.challenges("slice.output_point", poly::log2_ceil(v.size())), Fp2::zero()};
    c.value = poly::evaluate(std::span<const Fp>(v), c.point);
    if (private_commitment(st, 1, i)) {  // its value comes from the proof, its commitment must agree
      field::write(w, c.value);
      t.absorb("slice.output_value", c.value);
      router.openings.push_back({router.boundary_poly.at(out), c.point, c.value});
    }
    router.route(out, c);
  }
  // A table's lookup runs once, at its group's last member (in forward order).
  auto prove_lookup = [&](const NodePlan& np) {
    const auto& g = p.table_groups[np.group];
    if (np.block + 1 != g.members.size()) return;
    auto [xs, ys] = group_io(g);
    auto tb = prove_table(g.shape, xs, ys, cols[g.m_col], t);
    tb.proof.write(w);
    for (size_t b = 0; b < g.members.size(); ++b) route_lookup(router, p.nodes[g.members[b]], tb.claims.inputs[b], tb.claims.outputs[b]);
    router.open(g.m_col, tb.claims.multiplicities);
  };
  clock.lap("outputs");
  for (size_t k = p.nodes.size(); k-- > 0;) {
    const NodePlan& np = p.nodes[k];
    const auto& x = vals.at(np.x);
    PhaseClock::Scope lap{clock, "node." + np.node->op};
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
      if (np.parts.empty()) {
        auto g = prove_gather(np.gather, x, claim, t);
        g.proof.write(w);
        router.route(np.x, g.x);
      } else {  // Concat: the claim split over the inputs' parts
        auto sources = part_sources(np);
        std::vector<Fp2> part_values;
        for (size_t i = 0; i < np.parts.size(); ++i)
          part_values.push_back(
              poly::evaluate(std::span<const Fp>(apply_gather(np.parts[i], sources[i])), claim.point));
        field::write_vec(w, part_values);
        t.absorb("slice.concat_parts", std::span<const Fp2>(part_values));
        for (size_t i = 0; i < np.parts.size(); ++i) {
          auto g = prove_gather(np.parts[i], sources[i], {claim.point, part_values[i]}, t);
          g.proof.write(w);
          if (np.part_rq_col[i] == SIZE_MAX) {
            router.route(np.part_inputs[i], g.x);
            continue;
          }
          router.open(np.part_rq_col[i], g.x);
          RequantWitness rw;
          for (size_t c = 0; c < np.part_rq[i].num_columns(); ++c) rw.columns.push_back(cols[np.part_rq_col[i] + c]);
          auto rq = prove_requant(np.part_rq[i], vals.at(np.part_inputs[i]), rw, t);
          rq.proof.write(w);
          for (size_t c = 0; c < rq.claims.columns.size(); ++c) router.open(np.part_rq_col[i] + c, rq.claims.columns[c]);
          router.route(np.part_inputs[i], rq.claims.acc);
        }
      }
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
      prove_lookup(np);
    } else if (np.kind == Kind::Softmax) {
      const auto yshape = padded_of(m.tensors[np.y].shape).value();
      const auto &e = cols[np.lookup_out], &d = cols[np.lookup_in], &s1 = cols[np.sm.s_col], &mc = cols[np.sm.m_col];
      const auto rows = apply_gather(np.sm.sum, e), spread = apply_gather(np.sm.spread, rows);
      // y = round(e 2^f / S) with S the spread row sums of e.
      DivideWitness dw;
      for (size_t i = 0; i < np.div.num_columns(); ++i) dw.columns.push_back(cols[np.y_col + i]);
      DivideClaims dc;
      prove_divide(np.div, e, spread, dw, t, &dc).write(w);
      for (size_t i = 0; i < dc.columns.size(); ++i) router.open(np.y_col + i, dc.columns[i]);
      router.open(np.lookup_out, dc.a);
      auto g1 = prove_gather(np.sm.spread, rows, dc.b, t);
      g1.proof.write(w);
      auto g2 = prove_gather(np.sm.sum, e, g1.x, t);
      g2.proof.write(w);
      router.open(np.lookup_out, g2.x);
      // The max: s is one-hot per row (its row sums are the row selector) ...
      auto z1 = t.challenges("slice.softmax_rows", np.sm.sum.out.num_vars());
      auto g3 = prove_gather(np.sm.sum, s1, {z1, np.sm.sum.out.selector(z1)}, t);
      g3.proof.write(w);
      router.open(np.sm.s_col, g3.x);
      // ... and marks a position with d = 0 (sum of s d per row is 0) ...
      auto z2 = t.challenges("slice.softmax_rows", np.sm.sum.out.num_vars());
      auto g4 = prove_gather(np.sm.sum, hadamard(s1, d), {z2, Fp2::zero()}, t);
      g4.proof.write(w);
      HadamardClaims hc;
      prove_hadamard(s1, d, g4.x, t, &hc).write(w);
      router.open(np.sm.s_col, hc.a);
      router.open(np.lookup_in, hc.b);
      // ... s is boolean and d = spread(m) - x on real entries; d >= 0 is the lookup's domain.
      const auto mb = apply_gather(np.sm.spread, mc);
      const std::vector<Fp> sel = yshape.selector_table();
      auto tau = t.challenges("slice.softmax_tau", yshape.num_vars());
      Fp2 gamma = t.challenge("slice.softmax_gamma");
      sumcheck::Instance inst;
      inst.factors = {std::span<const Fp>(s1), std::span<const Fp>(d), std::span<const Fp>(x), std::span<const Fp>(mb),
                      std::span<const Fp>(sel)};
      inst.terms = softmax_terms(gamma);
      inst.eq_point = tau;
      auto sc = sumcheck::prove(inst, Fp2::zero(), t);
      sc.proof.write(w);
      std::vector<Fp2> ev(sc.factor_evals.begin(), sc.factor_evals.begin() + 4);
      field::write_vec(w, ev);
      t.absorb("slice.softmax_evals", std::span<const Fp2>(ev));
      router.open(np.sm.s_col, {sc.point, ev[0]});
      router.open(np.lookup_in, {sc.point, ev[1]});
      router.route(np.x, {sc.point, ev[2]});
      auto g5 = prove_gather(np.sm.spread, mc, {sc.point, ev[3]}, t);
      g5.proof.write(w);
      router.open(np.sm.m_col, g5.x);
      prove_lookup(np);
    } else if (np.kind == Kind::Div) {
      DivideWitness dw;
      for (size_t i = 0; i < np.div.num_columns(); ++i) dw.columns.push_back(cols[np.y_col + i]);
      DivideClaims dc;
      prove_divide(np.div, operand_table(np, np.x), operand_table(np, np.x2), dw, t, &dc).write(w);
      for (size_t i = 0; i < dc.columns.size(); ++i) router.open(np.y_col + i, dc.columns[i]);
      route_operand(router, w, t, np, np.x, dc.a);
      route_operand(router, w, t, np, np.x2, dc.b);
    } else {
      RequantWitness rw;
      for (size_t i = 0; i < np.rq.num_columns(); ++i) rw.columns.push_back(cols[np.rq_col + i]);
      auto rq = prove_requant(np.rq, scaled_acc(np, accs.at(np.y)), rw, t);
      rq.proof.write(w);
      for (size_t i = 0; i < rq.claims.columns.size(); ++i) router.open(np.rq_col + i, rq.claims.columns[i]);
      const EvalClaim acc_claim = unscaled_claim(np, rq.claims.acc);
      std::vector<Fp> bias = np.b >= 0 ? cols[np.b_col] : std::vector<Fp>{};
      if (np.kind == Kind::Conv || np.kind == Kind::ConvT) {
        const bool spread = np.kind == Kind::ConvT;
        const auto up = spread ? apply_gather(np.gather, x) : std::vector<Fp>{};
        auto cv = prove_conv(np.conv, spread ? std::span<const Fp>(up) : std::span<const Fp>(x), cols[np.w_col], bias, acc_claim, t);
        cv.proof.write(w, np.conv);
        if (spread) {
          auto g = prove_gather(np.gather, x, cv.claims.x, t);
          g.proof.write(w);
          router.route(np.x, g.x);
        } else {
          router.route(np.x, cv.claims.x);
        }
        router.open(np.w_col, cv.claims.w);
        if (cv.claims.bias) router.open(np.b_col, *cv.claims.bias);
      } else if (np.kind == Kind::Gemm) {
        auto mm = prove_matmul(np.mm, x, cols[np.w_col], bias, acc_claim, t);
        mm.proof.write(w, np.mm);
        router.route(np.x, mm.claims.a);
        router.open(np.w_col, mm.claims.b);
        if (mm.claims.bias) router.open(np.b_col, *mm.claims.bias);
      } else if (np.kind == Kind::Mul) {
        HadamardClaims hc;
        prove_hadamard(operand_table(np, np.x), operand_table(np, np.x2), acc_claim, t, &hc).write(w);
        route_operand(router, w, t, np, np.x, hc.a);
        route_operand(router, w, t, np, np.x2, hc.b);
      } else if (np.kind == Kind::Add) {
        std::vector<std::span<const Fp>> xs;
        std::vector<std::vector<Fp>> tables;
        for (int op : np.operands) tables.push_back(operand_table(np, op));
        for (const auto& tb : tables) xs.push_back(tb);
        auto lp = prove_linear(np.linear, xs, acc_claim, t);
        lp.write(w);
        for (size_t i = 0; i < np.operands.size(); ++i)
          route_operand(router, w, t, np, np.operands[i], {acc_claim.point, lp.input_evals[i]});
      } else if (np.kind == Kind::MatMul) {
        BmmClaims bc;
        prove_bmm(np.bmm, x, np.w >= 0 ? cols[np.w_col] : vals.at(np.x2), acc_claim, t, &bc).write(w);
        router.route(np.x, bc.a);
        if (np.w >= 0) router.open(np.w_col, bc.b);
        else router.route(np.x2, bc.b);
      } else if (np.kind == Kind::PRelu) {
        // acc = 2^16 r + slope * d with d = x - r: r's value at the point (an opening)
        // leaves a claim on slope * d; the product leaves claims on slope (public) and d,
        // and r's value there gives the claim on x.
        const auto& r = cols[np.lookup_out];
        const auto& acc = acc_claim;
        Fp2 r_at = poly::evaluate(std::span<const Fp>(r), acc.point);
        field::write(w, r_at);
        t.absorb("slice.prelu_relu", r_at);
        router.open(np.lookup_out, {acc.point, r_at});
        std::vector<Fp> d(x.size());
        for (size_t i = 0; i < d.size(); ++i) d[i] = x[i] - r[i];
        HadamardClaims hc;
        prove_hadamard(np.slope, d, {acc.point, acc.value - Fp2(kPReluOne) * r_at}, t, &hc).write(w);
        router.public_claims.push_back({&np.slope, hc.a});
        Fp2 r_rho = poly::evaluate(std::span<const Fp>(r), hc.b.point);
        field::write(w, r_rho);
        t.absorb("slice.prelu_relu", r_rho);
        router.open(np.lookup_out, {hc.b.point, r_rho});
        router.route(np.x, {hc.b.point, hc.b.value + r_rho});
        prove_lookup(np);
      } else if (np.kind == Kind::Reduce) {
        EvalClaim sum{acc_claim.point, acc_claim.value * Fp2(np.reduce_mult.inverse())};
        auto g = prove_gather(np.gather, x, sum, t);
        g.proof.write(w);
        router.route(np.x, g.x);
      } else {  // AvgPool
        HadamardClaims hc;
        prove_hadamard(np.mult, sums.at(np.y), acc_claim, t, &hc).write(w);
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
    if (!p.range_splits.empty()) {
      std::vector<std::span<const Fp>> split_cols;
      for (const auto& sp : p.range_splits)
        for (uint32_t c : {sp.column, sp.lo, sp.hi}) split_cols.push_back(cols[c]);
      SplitProof sp;
      for (const auto& cc : prove_splits(p.range_splits, split_cols, sp, t)) router.open(cc.column, cc.claim);
      sp.write(w);
    }
  }
  clock.lap("range");
  // A slice of layout ops only commits nothing and has nothing to open.
  if (committed.empty()) {
    w.u32(0);
    return w.take();
  }
  // Only the polynomials that received claims are opened (a private boundary passed
  // through unread has none).
  std::vector<const pcs::CommittedPoly*> polys;
  for (size_t i : claimed_polys(router.openings, committed.size())) polys.push_back(committed[i].get());
  auto claims = reindex_claims(router.openings, committed.size());
  auto opening = pcs::open_batch(polys, claims, t, params);
  if (!opening.ok()) return make_error("slice: " + opening.error());
  w.u32(static_cast<uint32_t>(opening->size()));
  w.raw(*opening);
  clock.lap("open");
  clock.log("prove");
  return w.take();
}

}  // namespace

namespace {
Status verify_impl(const SliceStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params,
                   transcript::Transcript& t);
}  // namespace

Status verify_slice(const SliceStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params,
                    transcript::SoundnessLedger* soundness) {
  if (st.slices == 0 || st.index >= st.slices)
    return make_error("slice: a statement of slice " + std::to_string(st.index) + " of " + std::to_string(st.slices));
  transcript::Transcript t("zkslice-slice");
  transcript::SoundnessLedger ledger;
  t.set_ledger(&ledger);
  ZK_TRY(verify_impl(st, bytes, params, t));
  // Every challenge the verifier drew is a random check whose error is in the ledger.
  if (ledger.challenges() != t.field_challenges())
    return make_error("slice: internal error: the soundness ledger counts " + std::to_string(ledger.challenges()) +
                      " of the verifier's " + std::to_string(t.field_challenges()) + " challenges");
  // Rule 8: a slice alone reaches 100 bits; a bundle's slices together (the sum of their
  // errors) are checked by whoever stitches them (check_bundle_soundness).
  if (ledger.bits() < pcs::kMinSecurityBits) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "slice: soundness %.2f bits is below %.0f: ", ledger.bits(), pcs::kMinSecurityBits);
    return make_error(buf + ledger.describe());
  }
  if (soundness) *soundness = ledger;
  return {};
}

namespace {
Status verify_impl(const SliceStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params,
                   transcript::Transcript& t) {
  PhaseClock clock;
  if (!st.model || st.first >= st.end || st.end > st.model->nodes.size())
    return make_error("slice: no model, or a node range out of its bounds");
  const QModel& m = *st.model;
  util::ByteReader r(bytes);
  uint32_t version;
  uint8_t witness_stacks = 0;
  hash::Digest pid;
  if (!r.u32(version)) return make_error("slice proof: truncated header");
  if (version != kProofVersion) return make_error("slice proof: unknown version " + std::to_string(version));
  if (!r.raw(pid)) return make_error("slice proof: truncated header");
  if (pid != params.params_id()) return make_error("slice proof: made with other commitment parameters");
  auto choices = read_choices(r, st);
  if (!choices.ok()) return make_error(choices.error());
  // The plan of the statement with the proof's choices (planned once: make_plan checks
  // the statement and the choices alike).
  auto planned = make_plan(st, *choices);
  if (!planned.ok()) return make_error(planned.error());
  clock.lap("plan");
  const Plan& p = *planned;
  // Public boundary values must be in the activation range (rule 5: every tensor
  // entering a linear op is range-checked; the verifier checks public ones itself;
  // a private one was range-checked as an output of the slice that made it).
  for (int side = 0; side < 2; ++side) {
    const auto& ids = side == 0 ? st.inputs : st.outputs;
    const auto& values = side == 0 ? st.input_values : st.output_values;
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto& name = m.tensors[ids[i]].name;
      if (const auto* c = private_commitment(st, side, i)) {
        auto shape = padded_of(m.tensors[ids[i]].shape);
        if (!shape.ok() || c->num_vars != shape->num_vars())
          return make_error("slice: the commitment to boundary '" + name + "' has the wrong size");
        continue;
      }
      if (values[i].size() != uint64_t(model::numel(m.tensors[ids[i]].shape)))
        return make_error("slice: boundary '" + name + "' has the wrong size");
      for (int64_t e : values[i])
        if (e < m.act_lo() || e > m.act_hi()) return make_error("slice: boundary '" + name + "' has a value outside the activation range");
    }
  }
  // A tensor passed through the slice unchanged must equal its input.
  for (size_t i = 0; i < st.outputs.size(); ++i)
    for (size_t j = 0; j < st.inputs.size(); ++j) {
      if (st.inputs[j] != st.outputs[i]) continue;
      const auto *ci = private_commitment(st, 0, j), *co = private_commitment(st, 1, i);
      bool same = (ci && co) ? *ci == *co : (!ci && !co && st.input_values[j] == st.output_values[i]);
      if (!same) return make_error("slice: passed-through tensor '" + m.tensors[st.outputs[i]].name + "' changed");
    }

  if (!r.u8(witness_stacks)) return make_error("slice proof: truncated header");
  if (witness_stacks != p.witness_stacks)
    return make_error("slice proof: " + std::to_string(witness_stacks) + " witness commitments where the plan has " +
                      std::to_string(p.witness_stacks));
  // The witness stacks' commitments come from the proof; the weight stack is laid out
  // and committed here, from the model.
  std::vector<pcs::Commitment> commitments;
  if (joint_witness(p)) {
    const std::vector<uint32_t> sizes(p.stack_vars.begin(), p.stack_vars.begin() + std::ptrdiff_t(p.witness_stacks));
    for (uint32_t expected : sizes) {
      uint32_t n = 0;
      if (!r.u32(n)) return make_error("slice proof: truncated witness commitment");
      if (n != expected) return make_error("slice proof: a witness commitment has the wrong size");
    }
    hash::Digest root;
    if (!r.raw(root)) return make_error("slice proof: truncated witness commitment");
    for (size_t i = 0; i < sizes.size(); ++i) commitments.push_back({root, sizes[i], sizes, uint32_t(i)});
  } else {
    for (size_t i = 0; i < p.witness_stacks; ++i) {
      auto c = pcs::Commitment::read(r, params);
      if (!c.ok()) return make_error("slice proof: " + c.error());
      if (c->num_vars != p.stack_vars[i]) return make_error("slice proof: a witness commitment has the wrong size");
      commitments.push_back(*c);
    }
  }
  if (p.has_weights()) {
    if (st.weights) {
      bool fits = st.weights->size() == p.weight_stacks();
      for (size_t i = 0; fits && i < p.weight_stacks(); ++i) fits = (*st.weights)[i].num_vars == p.stack_vars[p.weight_stack() + i];
      if (!fits) return make_error("slice: the manifest's weight commitment has the wrong sizes");
      commitments.insert(commitments.end(), st.weights->begin(), st.weights->end());
    } else {
      auto wc = weight_stack_commitment(p, params);
      if (!wc.ok()) return make_error(wc.error());
      commitments.insert(commitments.end(), wc->begin(), wc->end());
    }
  } else if (st.weights) {
    return make_error("slice: the manifest has a weight commitment for a slice without weights");
  }
  Router router{p, {}, {}, {}, {}, {}};
  for (const auto& [tensor, c] : private_boundaries(st)) {
    router.boundary_poly[tensor] = commitments.size();
    commitments.push_back(*c);
  }
  absorb_statement(t, st, p, params, commitments);
  clock.lap("header");
  // A claim on a broadcast operand: its value at the kept coordinates comes from the
  // proof and must reproduce the claim through the broadcast axes' selectors.
  auto verify_operand = [&](const NodePlan& np, int tensor, const EvalClaim& c) -> Status {
    if (!np.broadcast.count(tensor)) {
      router.route(tensor, c);
      return {};
    }
    auto from = padded_of(m.tensors[tensor].shape).value();
    auto [pt, factor] = broadcast_point(from, padded_of(m.tensors[np.y].shape).value(), c.point);
    Fp2 v;
    ZK_TRY(field::read(r, v));
    t.absorb("slice.broadcast_value", v);
    if (v * factor != c.value) return make_error("slice: a broadcast operand's claim does not match");
    router.route(tensor, {pt, v});
    return {};
  };

  auto verify_lookup = [&](const NodePlan& np, const std::string& at) -> Status {
    const auto& g = p.table_groups[np.group];
    if (np.block + 1 != g.members.size()) return {};
    auto tp = TableProof::read(r, g.shape);
    if (!tp.ok()) return make_error(at + tp.error());
    auto c = verify_table(g.shape, *tp, t);
    if (!c.ok()) return make_error(at + c.error());
    for (size_t b = 0; b < g.members.size(); ++b) route_lookup(router, p.nodes[g.members[b]], c->inputs[b], c->outputs[b]);
    router.open(g.m_col, c->multiplicities);
    return {};
  };

  std::map<int, std::vector<Fp>> public_vals;
  for (size_t i = 0; i < st.inputs.size(); ++i)
    if (!private_commitment(st, 0, i))
      public_vals[st.inputs[i]] = padded_values(st.input_values[i], padded_of(m.tensors[st.inputs[i]].shape).value());
  for (size_t i = 0; i < st.outputs.size(); ++i) {
    const int out = st.outputs[i];
    if (p.kind.at(out) == TensorKind::PublicInput) continue;
    const unsigned vars = padded_of(m.tensors[out].shape).value().num_vars();
    EvalClaim c{t.challenges("slice.output_point", vars), Fp2::zero()};
    transcript::charge_point(t, vars);
    if (private_commitment(st, 1, i)) {
      ZK_TRY(field::read(r, c.value));
      t.absorb("slice.output_value", c.value);
      router.openings.push_back({router.boundary_poly.at(out), c.point, c.value});
    } else {
      auto v = padded_values(st.output_values[i], padded_of(m.tensors[out].shape).value());
      c.value = poly::evaluate(std::span<const Fp>(v), c.point);
    }
    router.route(out, c);
  }
  clock.lap("outputs");
  for (size_t k = p.nodes.size(); k-- > 0;) {
    const NodePlan& np = p.nodes[k];
    PhaseClock::Scope lap{clock, "node." + np.node->op};
    const std::string at = np.node->op + " node '" + np.node->name + "': ";
    if (np.kind == Kind::Gather) {
      EvalClaim claim;
      if (p.kind.at(np.y) == TensorKind::Committed) {
        claim.point = t.challenges("slice.layout_point", np.gather.out.num_vars());
        transcript::charge_point(t, np.gather.out.num_vars());
        ZK_TRY(field::read(r, claim.value));
        t.absorb("slice.layout_value", claim.value);
        router.open(np.y_col, claim);
      } else {
        auto pend = router.pending[np.y];
        if (pend.size() != 1) return make_error(at + "no claim reached this layout op");
        claim = pend[0];
      }
      if (np.parts.empty()) {
        auto gp = GatherProof::read(r, np.gather);
        if (!gp.ok()) return make_error(at + gp.error());
        auto c = verify_gather(np.gather, claim, *gp, t);
        if (!c.ok()) return make_error(at + c.error());
        router.route(np.x, *c);
      } else {  // Concat: the parts plus the fill must give the claim
        std::vector<Fp2> part_values;
        ZK_TRY(field::read_vec(r, part_values, np.parts.size()));
        if (part_values.size() != np.parts.size()) return make_error(at + "wrong number of concatenated parts");
        t.absorb("slice.concat_parts", std::span<const Fp2>(part_values));
        Fp2 sum = Fp2(Fp::from_i64(np.concat_fill)) * concat_fill_weight(np, claim.point);
        for (const auto& v : part_values) sum += v;
        if (sum != claim.value) return make_error(at + "the concatenated parts do not add up to the claim");
        for (size_t i = 0; i < np.parts.size(); ++i) {
          auto gp = GatherProof::read(r, np.parts[i]);
          if (!gp.ok()) return make_error(at + gp.error());
          auto c = verify_gather(np.parts[i], {claim.point, part_values[i]}, *gp, t);
          if (!c.ok()) return make_error(at + c.error());
          if (np.part_rq_col[i] == SIZE_MAX) {
            router.route(np.part_inputs[i], *c);
            continue;
          }
          router.open(np.part_rq_col[i], *c);
          auto rp = RequantProof::read(r, np.part_rq[i]);
          if (!rp.ok()) return make_error(at + rp.error());
          auto rc = verify_requant(np.part_rq[i], *rp, t);
          if (!rc.ok()) return make_error(at + rc.error());
          for (size_t col = 0; col < rc->columns.size(); ++col) router.open(np.part_rq_col[i] + col, rc->columns[col]);
          router.route(np.part_inputs[i], rc->acc);
        }
      }
    } else if (np.kind == Kind::MaxPool) {
      for (size_t k = np.stages.size(); k-- > 0;) {
        auto mp = MaxPoolProof::read(r, np.stages[k].shape);
        if (!mp.ok()) return make_error(at + mp.error());
        auto mc = verify_maxpool(np.stages[k].shape, *mp, t);
        if (!mc.ok()) return make_error(at + mc.error());
        route_maxpool(router, np, k, *mc);
      }
    } else if (np.kind == Kind::Table) {
      ZK_TRY(verify_lookup(np, at));
    } else if (np.kind == Kind::Softmax) {  // see the prover
      const auto yshape = padded_of(m.tensors[np.y].shape).value();
      auto gather = [&](const GatherShape& g, const EvalClaim& c) -> Result<EvalClaim> {
        auto gp = GatherProof::read(r, g);
        if (!gp.ok()) return make_error(at + gp.error());
        auto out = verify_gather(g, c, *gp, t);
        if (!out.ok()) return make_error(at + out.error());
        return out;
      };
      auto dp = DivideProof::read(r, np.div);
      if (!dp.ok()) return make_error(at + dp.error());
      auto dc = verify_divide(np.div, *dp, t);
      if (!dc.ok()) return make_error(at + dc.error());
      for (size_t i = 0; i < dc->columns.size(); ++i) router.open(np.y_col + i, dc->columns[i]);
      router.open(np.lookup_out, dc->a);
      auto g1 = gather(np.sm.spread, dc->b);
      if (!g1.ok()) return make_error(g1.error());
      auto g2 = gather(np.sm.sum, *g1);
      if (!g2.ok()) return make_error(g2.error());
      router.open(np.lookup_out, *g2);
      auto z1 = t.challenges("slice.softmax_rows", np.sm.sum.out.num_vars());
      transcript::charge_point(t, np.sm.sum.out.num_vars());
      auto g3 = gather(np.sm.sum, {z1, np.sm.sum.out.selector(z1)});
      if (!g3.ok()) return make_error(g3.error());
      router.open(np.sm.s_col, *g3);
      auto z2 = t.challenges("slice.softmax_rows", np.sm.sum.out.num_vars());
      transcript::charge_point(t, np.sm.sum.out.num_vars());
      auto g4 = gather(np.sm.sum, {z2, Fp2::zero()});
      if (!g4.ok()) return make_error(g4.error());
      auto hp = HadamardProof::read(r, yshape.num_vars());
      if (!hp.ok()) return make_error(at + hp.error());
      auto hc = verify_hadamard(yshape.num_vars(), *g4, *hp, t);
      if (!hc.ok()) return make_error(at + hc.error());
      router.open(np.sm.s_col, hc->a);
      router.open(np.lookup_in, hc->b);
      auto tau = t.challenges("slice.softmax_tau", yshape.num_vars());
      Fp2 gamma = t.challenge("slice.softmax_gamma");
      auto terms = softmax_terms(gamma);
      transcript::charge_point(t, yshape.num_vars());
      transcript::charge_powers(t, 2);  // two constraints: s boolean, the difference
      auto zp = sumcheck::Proof::read(r, yshape.num_vars(), sumcheck::degree_of(0, terms, yshape.num_vars() > 0));
      if (!zp.ok()) return make_error(at + zp.error());
      auto sub = sumcheck::verify(Fp2::zero(), yshape.num_vars(), sumcheck::degree_of(0, terms, yshape.num_vars() > 0), *zp, t);
      if (!sub.ok()) return make_error(at + "softmax zerocheck: " + sub.error());
      std::vector<Fp2> ev;
      ZK_TRY(field::read_vec(r, ev, 4));
      if (ev.size() != 4) return make_error(at + "softmax: wrong number of evaluations");
      std::vector<Fp2> all = ev;
      all.push_back(yshape.selector(sub->point));
      if (auto st = sumcheck::check_final(*sub, all, tau, terms); !st.ok()) return make_error(at + "softmax zerocheck: " + st.error());
      t.absorb("slice.softmax_evals", std::span<const Fp2>(ev));
      router.open(np.sm.s_col, {sub->point, ev[0]});
      router.open(np.lookup_in, {sub->point, ev[1]});
      router.route(np.x, {sub->point, ev[2]});
      auto g5 = gather(np.sm.spread, {sub->point, ev[3]});
      if (!g5.ok()) return make_error(g5.error());
      router.open(np.sm.m_col, *g5);
      ZK_TRY(verify_lookup(np, at));
    } else if (np.kind == Kind::Div) {
      auto dp = DivideProof::read(r, np.div);
      if (!dp.ok()) return make_error(at + dp.error());
      auto dc = verify_divide(np.div, *dp, t);
      if (!dc.ok()) return make_error(at + dc.error());
      for (size_t i = 0; i < dc->columns.size(); ++i) router.open(np.y_col + i, dc->columns[i]);
      ZK_TRY(verify_operand(np, np.x, dc->a));
      ZK_TRY(verify_operand(np, np.x2, dc->b));
    } else {
      auto rp = RequantProof::read(r, np.rq);
      if (!rp.ok()) return make_error(at + rp.error());
      auto rc = verify_requant(np.rq, *rp, t);
      if (!rc.ok()) return make_error(at + rc.error());
      for (size_t i = 0; i < rc->columns.size(); ++i) router.open(np.rq_col + i, rc->columns[i]);
      const EvalClaim acc_claim = unscaled_claim(np, rc->acc);
      if (np.kind == Kind::Conv || np.kind == Kind::AvgPool || np.kind == Kind::ConvT) {
        EvalClaim conv_claim = acc_claim;
        if (np.kind == Kind::AvgPool) {
          auto hp = HadamardProof::read(r, np.rq.num_vars());
          if (!hp.ok()) return make_error(at + hp.error());
          auto hc = verify_hadamard(np.rq.num_vars(), acc_claim, *hp, t);
          if (!hc.ok()) return make_error(at + hc.error());
          router.public_claims.push_back({&np.mult, hc->a});
          conv_claim = hc->b;
        }
        auto cp = ConvProof::read(r, np.conv);
        if (!cp.ok()) return make_error(at + cp.error());
        auto c = verify_conv(np.conv, conv_claim, *cp, t);
        if (!c.ok()) return make_error(at + c.error());
        if (np.kind == Kind::ConvT) {
          auto gp = GatherProof::read(r, np.gather);
          if (!gp.ok()) return make_error(at + gp.error());
          auto gx = verify_gather(np.gather, c->x, *gp, t);
          if (!gx.ok()) return make_error(at + gx.error());
          router.route(np.x, *gx);
        } else {
          router.route(np.x, c->x);
        }
        if (np.kind == Kind::AvgPool) {
          router.public_claims.push_back({&np.ones, c->w});
        } else {
          router.open(np.w_col, c->w);
          if (c->bias) router.open(np.b_col, *c->bias);
        }
      } else if (np.kind == Kind::Gemm) {
        auto mp = MatmulProof::read(r, np.mm);
        if (!mp.ok()) return make_error(at + mp.error());
        auto c = verify_matmul(np.mm, acc_claim, *mp, t);
        if (!c.ok()) return make_error(at + c.error());
        router.route(np.x, c->a);
        router.open(np.w_col, c->b);
        if (c->bias) router.open(np.b_col, *c->bias);
      } else if (np.kind == Kind::Add) {
        auto lp = LinearProof::read(r, np.linear);
        if (!lp.ok()) return make_error(at + lp.error());
        auto lc = verify_linear(np.linear, acc_claim, *lp, t);
        if (!lc.ok()) return make_error(at + lc.error());
        for (size_t i = 0; i < np.operands.size(); ++i) ZK_TRY(verify_operand(np, np.operands[i], (*lc)[i]));
      } else if (np.kind == Kind::MatMul) {
        auto bp = BmmProof::read(r, np.bmm);
        if (!bp.ok()) return make_error(at + bp.error());
        auto bc = verify_bmm(np.bmm, acc_claim, *bp, t);
        if (!bc.ok()) return make_error(at + bc.error());
        router.route(np.x, bc->a);
        if (np.w >= 0) router.open(np.w_col, bc->b);
        else router.route(np.x2, bc->b);
      } else if (np.kind == Kind::PRelu) {  // see the prover
        const auto& acc = acc_claim;
        Fp2 r_at, r_rho;
        ZK_TRY(field::read(r, r_at));
        t.absorb("slice.prelu_relu", r_at);
        router.open(np.lookup_out, {acc.point, r_at});
        auto hp = HadamardProof::read(r, np.rq.num_vars());
        if (!hp.ok()) return make_error(at + hp.error());
        auto hc = verify_hadamard(np.rq.num_vars(), {acc.point, acc.value - Fp2(kPReluOne) * r_at}, *hp, t);
        if (!hc.ok()) return make_error(at + hc.error());
        router.public_claims.push_back({&np.slope, hc->a});
        ZK_TRY(field::read(r, r_rho));
        t.absorb("slice.prelu_relu", r_rho);
        router.open(np.lookup_out, {hc->b.point, r_rho});
        router.route(np.x, {hc->b.point, hc->b.value + r_rho});
        ZK_TRY(verify_lookup(np, at));
      } else if (np.kind == Kind::Reduce) {
        auto gp = GatherProof::read(r, np.gather);
        if (!gp.ok()) return make_error(at + gp.error());
        auto c = verify_gather(np.gather, {acc_claim.point, acc_claim.value * Fp2(np.reduce_mult.inverse())}, *gp, t);
        if (!c.ok()) return make_error(at + c.error());
        router.route(np.x, *c);
      } else {  // Mul
        auto hp = HadamardProof::read(r, np.rq.num_vars());
        if (!hp.ok()) return make_error(at + hp.error());
        auto hc = verify_hadamard(np.rq.num_vars(), acc_claim, *hp, t);
        if (!hc.ok()) return make_error(at + hc.error());
        ZK_TRY(verify_operand(np, np.x, hc->a));
        ZK_TRY(verify_operand(np, np.x2, hc->b));
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
    if (!p.range_splits.empty()) {
      auto sp = SplitProof::read(r, p.range_splits);
      if (!sp.ok()) return make_error(sp.error());
      auto sc = verify_splits(p.range_splits, *sp, t);
      if (!sc.ok()) return make_error(sc.error());
      for (const auto& cc : *sc) router.open(cc.column, cc.claim);
    }
  }
  clock.lap("range");
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
  std::vector<pcs::Commitment> opened;
  for (size_t i : claimed_polys(router.openings, commitments.size())) opened.push_back(commitments[i]);
  clock.lap("public");
  Status s = pcs::verify_batch(opened, reindex_claims(router.openings, commitments.size()), opening, t, params);
  if (!s.ok()) return make_error("slice: " + s.error());
  clock.lap("open");
  clock.log("verify");
  return {};
}
}  // namespace

}  // namespace zks::circuits
