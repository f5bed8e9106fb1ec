#include "circuits/slice/private_proof.hpp"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "circuits/slice/slice_plan.hpp"
#include "field/field.hpp"
#include "lookup/zk_logup.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "sumcheck/zk.hpp"
#include "transcript/soundness.hpp"

namespace zks::circuits {

namespace {

using field::Fp;
using field::Fp2;
using model::QModel;
using model::QNode;
namespace sc = sumcheck;
namespace lk = lookup;
using slice_detail::node_error;

constexpr uint32_t kPrivateVersion = 1;
constexpr unsigned kLimbBits = 16;

// ceil(log2 n), at least 1 (a sumcheck has one variable at least).
unsigned vars_for(size_t n) { return std::max(1u, static_cast<unsigned>(std::bit_width(n - 1))); }

size_t numel(const model::Shape& s) {
  size_t n = 1;
  for (int64_t d : s) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
  return n;
}

enum class LookupKind : uint8_t { Act = 1, Range = 2, Function = 3 };

struct LookupPlan {
  LookupKind kind = LookupKind::Act;
  size_t node = 0;              // the node whose tensor it checks (the input: SIZE_MAX)
  std::vector<size_t> cols;     // witness columns
  size_t m_col = 0;             // the multiplicities' column
  unsigned table_vars = 0;
  unsigned range_bits = 0;      // Range: the limb's bits
  const FunctionTable* fn = nullptr;  // Function
  std::vector<std::vector<Fp>> table;  // the public columns (the verifier's own)
  lk::ZkShape shape;
  std::vector<unsigned> degrees;
  size_t off = 0;               // its slice of the mask table
};

struct GemmPlan {
  size_t node = 0;
  size_t x_col = 0, q_col = 0;
  std::vector<size_t> limb_cols;
  std::vector<unsigned> limb_bits;
  size_t K = 0, N = 0;
  unsigned kv = 0, nv = 0, shift = 0;
  const std::vector<int64_t>* W = nullptr;  // [K, N] row-major
  std::vector<int64_t> bias;                // N entries (zero without a bias)
  std::vector<sc::Term> terms;              // the Requant zerocheck's
  std::vector<char> masked;
  std::vector<unsigned> d_reader, d_maker;
  size_t off_reader = 0, off_maker = 0, off_S = 0;
};

struct UnaryPlan {
  size_t node = 0;
  size_t x_col = 0, y_col = 0;
  const FunctionTable* table = nullptr;
};

struct Plan {
  const QModel* m = nullptr;
  unsigned A = 0;                  // every column's value variables
  std::vector<size_t> col_rows;    // real entries a column (the multiplicities: table rows)
  size_t input_col = 0, output_col = 0;
  std::vector<GemmPlan> gemms;
  std::vector<UnaryPlan> unaries;
  std::vector<LookupPlan> lookups;
  std::vector<std::pair<bool, size_t>> steps;  // node order: (is_gemm, index)
  std::vector<std::shared_ptr<FunctionTable>> tables;
  size_t mask_size = 0;
  unsigned mask_vars = 0;          // the mask table's value variables
  bool mask_first = false;         // the joint commitment holds members largest first

  size_t columns() const { return col_rows.size(); }
  size_t members() const { return columns() + 1; }
  size_t member(size_t col) const { return mask_first ? col + 1 : col; }
  size_t mask_member() const { return mask_first ? 0 : columns(); }
  unsigned member_vars(size_t j) const { return (j == mask_member() ? mask_vars : A) + 1; }
  size_t helper_poly(size_t lookup, size_t k) const { return members() + 4 * lookup + k; }
};

std::vector<Fp> act_table(const QModel& m) {
  std::vector<Fp> t;
  for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) t.push_back(Fp::from_i64(v));
  return t;
}

Result<Plan> make_private_plan(const QModel& m) {
  if (m.inputs.size() != 1 || m.outputs.size() != 1)
    return make_error("private proof: the model must have one input and one output (it has " +
                      std::to_string(m.inputs.size()) + " and " + std::to_string(m.outputs.size()) + ")");
  if (m.cfg.act_bits > 16 || m.cfg.act_bits < 2)
    return make_error("private proof: activations of " + std::to_string(m.cfg.act_bits) +
                      " bits (at most 16: the range tables have 2^bits rows)");
  const unsigned act = static_cast<unsigned>(m.cfg.act_bits);
  Plan p;
  p.m = &m;
  std::map<int, size_t> col_of;
  auto new_col = [&](size_t rows) {
    p.col_rows.push_back(rows);
    return p.col_rows.size() - 1;
  };
  const int input = m.inputs[0];
  if (input < 0 || size_t(input) >= m.tensors.size()) return make_error("private proof: input tensor id out of range");
  p.input_col = col_of[input] = new_col(numel(m.tensors[input].shape));
  if (p.col_rows[p.input_col] == 0) return make_error("private proof: the input is empty");
  std::vector<size_t> needs_range{p.input_col};  // columns a linear op may read
  std::set<size_t> in_function;                   // columns a full-range table op reads
  auto relu = std::make_shared<FunctionTable>();
  relu->in_lo = m.act_lo();
  for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) relu->values.push_back(std::max<int64_t>(0, v));
  p.tables.push_back(relu);
  std::map<int, const FunctionTable*> model_tables;

  for (size_t k = 0; k < m.nodes.size(); ++k) {
    const QNode& n = m.nodes[k];
    if (n.inputs.empty() || n.outputs.size() != 1) return node_error(n, "expected one activation input and one output");
    auto x = col_of.find(n.inputs[0]);
    if (x == col_of.end()) return node_error(n, "reads a tensor the private proof does not hold");
    const model::QTensor& out = m.tensors[n.outputs[0]];
    if (n.op == "Gemm") {
      if (n.inputs.size() < 2 || n.inputs.size() > 3) return node_error(n, "expected 2 or 3 inputs");
      const model::QTensor& w = m.tensors[n.inputs[1]];
      if (!w.is_const || w.shape.size() != 2) return node_error(n, "needs constant 2-d weights");
      GemmPlan g;
      g.node = k, g.x_col = x->second, g.W = &w.data;
      g.K = static_cast<size_t>(w.shape[0]), g.N = static_cast<size_t>(w.shape[1]);
      if (g.K == 0 || g.N == 0 || w.data.size() != g.K * g.N) return node_error(n, "malformed weights");
      if (p.col_rows[g.x_col] != g.K || numel(out.shape) != g.N)
        return node_error(n, "proves one row at a time (input [1, K], output [1, N]) in a private proof");
      if (n.shift < 1 || n.shift > 46)
        return node_error(n, "requantizes by shift " + std::to_string(n.shift) +
                                 " (a private proof takes right shifts of 1 to 46 bits)");
      g.shift = static_cast<unsigned>(n.shift);
      g.bias.assign(g.N, 0);
      if (n.inputs.size() == 3) {
        const model::QTensor& c = m.tensors[n.inputs[2]];
        if (!c.is_const) return node_error(n, "needs a constant bias");
        const auto ci = model::kern::broadcast_index(c.shape, out.shape);
        if (ci.size() != g.N) return node_error(n, "its bias does not broadcast to its output");
        for (size_t j = 0; j < g.N; ++j) {
          if (ci[j] < 0 || size_t(ci[j]) >= c.data.size()) return node_error(n, "its bias does not broadcast");
          g.bias[j] = c.data[size_t(ci[j])];
        }
      }
      // Field headroom (rule 5), for any input in the activation range.
      const double in_max = std::ldexp(1.0, int(act) - 1);
      for (size_t j = 0; j < g.N; ++j) {
        double bound = std::fabs(double(g.bias[j])) + std::ldexp(1.0, int(g.shift) - 1);
        for (size_t i = 0; i < g.K; ++i) bound += std::fabs(double(w.data[i * g.N + j])) * in_max;
        if (bound >= std::ldexp(1.0, 62)) return node_error(n, "its accumulator may reach 2^62 (field headroom)");
      }
      g.kv = vars_for(g.K), g.nv = vars_for(g.N);
      g.q_col = new_col(g.N);
      for (unsigned done = 0; done < g.shift; done += kLimbBits) {
        g.limb_cols.push_back(new_col(g.N));
        g.limb_bits.push_back(std::min(kLimbBits, g.shift - done));
        LookupPlan l;
        l.kind = LookupKind::Range, l.node = k, l.cols = {g.limb_cols.back()};
        l.range_bits = l.table_vars = g.limb_bits.back();
        p.lookups.push_back(std::move(l));
      }
      // Factors: acc (masked by S), q, the limbs (masked by their commitments), sel.
      const unsigned L = static_cast<unsigned>(g.limb_cols.size()), sel = 2 + L;
      g.terms = {{Fp2::one(), {0, sel}}, {Fp2(Fp(uint64_t(1) << (g.shift - 1))), {sel}},
                 {-Fp2(Fp(uint64_t(1) << g.shift)), {1, sel}}};
      for (unsigned j = 0; j < L; ++j) g.terms.push_back({-Fp2(Fp(uint64_t(1) << (kLimbBits * j))), {2 + j, sel}});
      g.masked.assign(3 + L, 1);
      g.masked[sel] = 0;
      g.d_reader = sc::masked_degrees(g.nv, g.terms, g.masked, true);
      const std::vector<char> maker_masked = {0, 1};  // W(., r) public, x committed
      g.d_maker = sc::masked_degrees(g.kv, {}, maker_masked, false);
      needs_range.push_back(g.q_col);
      col_of[n.outputs[0]] = g.q_col;
      p.steps.emplace_back(true, p.gemms.size());
      p.gemms.push_back(std::move(g));
    } else if (n.op == "Relu" || slice_detail::is_table_op(m, n) || slice_detail::is_function_op(n)) {
      const FunctionTable* ft = relu.get();
      if (slice_detail::is_function_op(n)) {
        p.tables.push_back(std::make_shared<FunctionTable>(slice_detail::function_table(m, n)));
        ft = p.tables.back().get();
      } else if (n.op != "Relu") {
        auto& slot = model_tables[n.table];
        if (!slot) {
          auto t = std::make_shared<FunctionTable>();
          t->in_lo = m.tables[size_t(n.table)].in_lo;
          t->values = m.tables[size_t(n.table)].values;
          p.tables.push_back(t);
          slot = t.get();
        }
        ft = slot;
      }
      if (ft->in_lo != m.act_lo() || ft->values.size() != (size_t(1) << act))
        return node_error(n, "its table does not cover the activation range");
      for (int64_t v : ft->values)
        if (v < m.act_lo() || v > m.act_hi()) return node_error(n, "its table has an entry outside the activation range");
      UnaryPlan u{k, x->second, new_col(p.col_rows[x->second]), ft};
      LookupPlan l;
      l.kind = LookupKind::Function, l.node = k, l.cols = {u.x_col, u.y_col}, l.fn = ft, l.table_vars = act;
      p.lookups.push_back(std::move(l));
      in_function.insert(u.x_col);
      col_of[n.outputs[0]] = u.y_col;
      p.steps.emplace_back(false, p.unaries.size());
      p.unaries.push_back(u);
    } else if (slice_detail::is_layout(n) && n.inputs.size() == 1 && numel(out.shape) == p.col_rows[x->second] &&
               n.gather.size() == numel(out.shape) &&
               std::all_of(n.gather.begin(), n.gather.end(), [i = int64_t(0)](int64_t g) mutable { return g == i++; })) {
      col_of[n.outputs[0]] = x->second;  // every entry stays in place: the same column
    } else {
      return node_error(n, "is not provable in a private-input proof yet (it proves Gemm, Relu, table and function "
                           "ops, and layout ops that keep every entry in place)");
    }
  }
  auto out = col_of.find(m.outputs[0]);
  if (out == col_of.end()) return make_error("private proof: the model's output is not computed by its nodes");
  p.output_col = out->second;
  // Everything a linear op may read is range-checked, by its table op or by the
  // activation table (a table op's output is one of its entries, checked above).
  for (size_t c : needs_range) {
    if (in_function.count(c)) continue;
    LookupPlan l;
    l.kind = LookupKind::Act, l.node = SIZE_MAX, l.cols = {c}, l.table_vars = act;
    for (const auto& g : p.gemms)
      if (g.q_col == c) l.node = g.node;
    p.lookups.push_back(std::move(l));
  }
  // Sizes: one for every column, the largest table or tensor (and the hiding minimum).
  size_t rows = 0;
  for (size_t r : p.col_rows) rows = std::max(rows, r);
  p.A = std::max({pcs::kMinHidingVars, act, kLimbBits, vars_for(rows)});
  if (p.A > 24) return make_error("private proof: a tensor of " + std::to_string(rows) + " entries is too large");
  // The lookups' tables, multiplicity columns, shapes and mask slices.
  for (auto& l : p.lookups) {
    if (l.kind == LookupKind::Range) {
      l.table = {std::vector<Fp>(size_t(1) << l.range_bits)};
      for (size_t v = 0; v < l.table[0].size(); ++v) l.table[0][v] = Fp(v);
    } else if (l.kind == LookupKind::Act) {
      l.table = {act_table(m)};
    } else {
      l.table = {act_table(m), {}};
      for (int64_t v : l.fn->values) l.table[1].push_back(Fp::from_i64(v));
    }
    l.m_col = new_col(size_t(1) << l.table_vars);
    l.shape = {poly::PaddedShape::flat(p.col_rows[l.cols[0]]), l.table_vars, static_cast<unsigned>(l.cols.size()), p.A};
    l.degrees = lk::zk_lookup_degrees(l.shape);
  }
  for (auto& g : p.gemms) {
    g.off_reader = p.mask_size, p.mask_size += sc::mask_entries(g.d_reader);
    g.off_maker = p.mask_size, p.mask_size += sc::mask_entries(g.d_maker);
    g.off_S = p.mask_size, p.mask_size += sc::affine_mask_entries(g.nv);
  }
  for (auto& l : p.lookups) l.off = p.mask_size, p.mask_size += sc::mask_entries(l.degrees);
  p.mask_vars = pcs::hiding_value_vars(p.mask_size);
  p.mask_first = p.mask_vars > p.A;
  return p;
}

// Everything both sides absorb before the first challenge.
void absorb_statement(transcript::Transcript& t, const PrivateStatement& st, const Plan& p, const pcs::Params& params,
                      const hash::Digest& root) {
  t.absorb("private.params", params.params_id());
  t.absorb("private.fingerprint", st.fingerprint);
  t.absorb("private.job", st.binding.job_id);
  t.absorb_bytes("private.prover", st.binding.prover);
  t.absorb_u64("private.A", p.A);
  t.absorb_u64("private.mask_size", p.mask_size);
  for (const auto& g : p.gemms) {
    t.absorb_u64("private.gemm", g.node);
    t.absorb_u64("private.gemm.K", g.K);
    t.absorb_u64("private.gemm.N", g.N);
    t.absorb_u64("private.gemm.shift", g.shift);
  }
  for (const auto& u : p.unaries) {
    t.absorb_u64("private.table_op", u.node);
    t.absorb("private.table", u.table->content_hash());
  }
  for (const auto& l : p.lookups) {
    t.absorb_u64("private.lookup", uint64_t(l.kind));
    t.absorb_u64("private.lookup.node", l.node);
    t.absorb_u64("private.lookup.rows", p.col_rows[l.cols[0]]);
    t.absorb_u64("private.lookup.table_vars", l.table_vars);
  }
  std::vector<Fp> out;
  for (int64_t v : st.output) out.push_back(Fp::from_i64(v));
  t.absorb_u64("private.output.size", out.size());
  t.absorb("private.output", std::span<const Fp>(out));
  t.absorb("private.root", root);
  for (size_t j = 0; j < p.members(); ++j) t.absorb_u64("private.member_vars", p.member_vars(j));
}

// The joint commitment's members as the verifier knows them: one root, the sizes the
// plan fixes.
std::vector<pcs::Commitment> members_of(const Plan& p, const hash::Digest& root) {
  std::vector<uint32_t> vars;
  for (size_t j = 0; j < p.members(); ++j) vars.push_back(p.member_vars(j));
  std::vector<pcs::Commitment> out;
  for (size_t j = 0; j < p.members(); ++j) out.push_back(pcs::Commitment{root, vars[j], vars, uint32_t(j)});
  return out;
}

// sel on 2^nv entries: 1 for the first n.
std::vector<Fp> selector(size_t n, unsigned nv) {
  std::vector<Fp> s(size_t(1) << nv, Fp::zero());
  std::fill(s.begin(), s.begin() + static_cast<long>(n), Fp::one());
  return s;
}

// W(., r) on 2^kv entries (its MLE in the output variables bound to r), and b(r).
std::vector<Fp2> weights_at(const GemmPlan& g, std::span<const Fp2> r) {
  const auto e = poly::eq_table(r);
  std::vector<Fp2> w(size_t(1) << g.kv, Fp2::zero());
  for (size_t i = 0; i < g.K; ++i) {
    Fp2 acc = Fp2::zero();
    for (size_t j = 0; j < g.N; ++j) acc += e[j] * Fp2(Fp::from_i64((*g.W)[i * g.N + j]));
    w[i] = acc;
  }
  return w;
}
Fp2 bias_at(const GemmPlan& g, std::span<const Fp2> r) {
  const auto e = poly::eq_table(r);
  Fp2 b = Fp2::zero();
  for (size_t j = 0; j < g.N; ++j) b += e[j] * Fp2(Fp::from_i64(g.bias[j]));
  return b;
}

std::vector<Fp2> padded(std::vector<Fp2> point, unsigned vars) {
  point.resize(vars, Fp2::zero());
  return point;
}

// What a Gemm's two sumchecks end in (both sides).
struct GemmEnds {
  sc::ZkProof reader, maker;
  std::vector<Fp2> reader_evals;  // acc^ q^ l^..
  Fp2 x_eval;                     // x^ at r_k
  std::vector<Fp2> r, r_k;
  Fp2 rho_reader, rho_maker;
};

struct Ends {
  std::vector<GemmEnds> gemms;
  std::vector<lk::ZkProof> lookup_proofs;
  std::vector<lk::ZkClaims> lookups;
  std::vector<Fp2> z;  // the output's point
  Fp2 output_value;
};

// Every claim of the opening, in one order for both sides.
Result<std::vector<pcs::Claim>> claims_of(const Plan& p, const Ends& e, const Fp2& lambda) {
  std::vector<pcs::Claim> out;
  auto masked = [&](size_t poly, std::span<const Fp2> point, const Fp2& v) -> Status {
    auto c = pcs::masked_claim(poly, point, v);
    if (!c.ok()) return make_error("private proof: " + c.error());
    out.push_back(std::move(c).value());
    return {};
  };
  const size_t mask_values = size_t(1) << p.mask_vars;
  std::vector<pcs::Claim> masks;
  auto place = [&](std::span<const Fp2> w, size_t off, const Fp2& value) -> pcs::Claim& {
    masks.push_back(pcs::Claim{p.mask_member(), {}, value, std::vector<Fp2>(mask_values, Fp2::zero())});
    std::copy(w.begin(), w.end(), masks.back().weights.begin() + static_cast<long>(off));
    return masks.back();
  };
  for (size_t gi = 0; gi < p.gemms.size(); ++gi) {
    const GemmPlan& g = p.gemms[gi];
    const GemmEnds& ge = e.gemms[gi];
    const auto r = padded(ge.r, p.A);
    ZK_TRY(masked(p.member(g.q_col), r, ge.reader_evals[1]));
    for (size_t j = 0; j < g.limb_cols.size(); ++j) ZK_TRY(masked(p.member(g.limb_cols[j]), r, ge.reader_evals[2 + j]));
    ZK_TRY(masked(p.member(g.x_col), padded(ge.r_k, p.A), ge.x_eval));
    place(sc::final_mask_weights(g.d_reader, ge.rho_reader, ge.r), g.off_reader, ge.reader.final_mask);
    auto& maker = place(sc::final_mask_weights(g.d_maker, ge.rho_maker, ge.r_k), g.off_maker, ge.maker.final_mask);
    // The secret offset's part of the final mask: K 2^-kv = c S(r) 2^-kv.
    const Fp2 k_scale = sc::mask_factor(ge.r) * Fp2(Fp(uint64_t(1) << g.kv).inverse());
    const auto ws = sc::affine_mask_weights(ge.r);
    for (size_t i = 0; i < ws.size(); ++i) maker.weights[g.off_S + i] += k_scale * ws[i];
  }
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    const lk::ZkClaims& c = e.lookups[li];
    for (size_t k = 0; k < 4; ++k) ZK_TRY(masked(p.helper_poly(li, k), c.point, c.helper_evals[k]));
    ZK_TRY(masked(p.member(l.m_col), c.point, c.m_eval));
    for (size_t j = 0; j < l.cols.size(); ++j) ZK_TRY(masked(p.member(l.cols[j]), c.point, c.witness_evals[j]));
    place(sc::final_mask_weights(l.degrees, c.rho, c.point), l.off, c.final_mask);
  }
  out.push_back(pcs::Claim{p.member(p.output_col), e.z, e.output_value});
  auto combined = pcs::combine_weighted(masks, lambda);
  if (!combined.ok()) return make_error("private proof: " + combined.error());
  out.push_back(std::move(combined).value());
  return out;
}

// The public output's MLE at z (zero-padded to 2^A): the verifier's own.
Fp2 output_at(const PrivateStatement& st, std::span<const Fp2> z) {
  std::vector<Fp> v(size_t(1) << z.size(), Fp::zero());
  for (size_t i = 0; i < st.output.size(); ++i) v[i] = Fp::from_i64(st.output[i]);
  return poly::evaluate(std::span<const Fp>(v), z);
}

pcs::Seed derive_seed(const pcs::Seed& seed, std::string_view label) {
  std::vector<uint8_t> msg(seed.begin(), seed.end());
  msg.insert(msg.end(), label.begin(), label.end());
  return hash::hash(hash::Domain::Mask, msg);
}

Status check_statement(const PrivateStatement& st) {
  if (!st.model) return make_error("private proof: no model");
  return {};
}

}  // namespace

Status check_private_provable(const model::QModel& m) {
  auto p = make_private_plan(m);
  if (!p.ok()) return make_error(p.error());
  return {};
}

pcs::Seed random_seed() {
  hash::ensure_sodium();
  pcs::Seed s{};
  randombytes_buf(s.data(), s.size());
  return s;
}

Result<util::Bytes> prove_private(const PrivateStatement& st, std::span<const int64_t> input, const pcs::Params& params,
                                  const pcs::Seed& seed, const PrivateTamper& tamper) {
  ZK_TRY(check_statement(st));
  const QModel& m = *st.model;
  auto plan = make_private_plan(m);
  if (!plan.ok()) return make_error(plan.error());
  const Plan& p = *plan;
  if (input.size() != p.col_rows[p.input_col])
    return make_error("private proof: the input has " + std::to_string(input.size()) + " entries, the model takes " +
                      std::to_string(p.col_rows[p.input_col]));
  // The run, in integers: each column's real entries.
  std::vector<std::vector<int64_t>> ints(p.columns());
  for (size_t i = 0; i < input.size(); ++i)
    if (input[i] < m.act_lo() || input[i] > m.act_hi())
      return make_error("private proof: input entry " + std::to_string(i) + " (" + std::to_string(input[i]) +
                        ") is outside the activation range");
  ints[p.input_col].assign(input.begin(), input.end());
  std::vector<std::vector<Fp>> accs(p.gemms.size());
  for (const auto& [is_gemm, idx] : p.steps) {
    if (is_gemm) {
      const GemmPlan& g = p.gemms[idx];
      const QNode& n = m.nodes[g.node];
      const auto& x = ints[g.x_col];
      auto& acc = accs[idx];
      acc.assign(size_t(1) << g.nv, Fp::zero());
      auto& q = ints[g.q_col];
      q.assign(g.N, 0);
      for (size_t c : g.limb_cols) ints[c].assign(g.N, 0);
      for (size_t j = 0; j < g.N; ++j) {
        int64_t a = g.bias[j];
        for (size_t i = 0; i < g.K; ++i) a += x[i] * (*g.W)[i * g.N + j];
        acc[j] = Fp::from_i64(a);
        const int64_t biased = a + (int64_t(1) << (g.shift - 1));
        q[j] = biased >> g.shift;
        if (q[j] < m.act_lo() || q[j] > m.act_hi())
          return node_error(n, "its requantization clamps at output " + std::to_string(j) +
                                   " (a private proof does not prove clamping yet)");
        uint64_t rem = static_cast<uint64_t>(biased - (q[j] << g.shift));
        for (size_t l = 0; l < g.limb_cols.size(); ++l, rem >>= kLimbBits)
          ints[g.limb_cols[l]][j] = int64_t(rem & ((uint64_t(1) << g.limb_bits[l]) - 1));
      }
    } else {
      const UnaryPlan& u = p.unaries[idx];
      const auto& x = ints[u.x_col];
      auto& y = ints[u.y_col];
      y.resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) y[i] = u.table->values[size_t(x[i] - u.table->in_lo)];
    }
  }
  if (ints[p.output_col] != st.output)
    return make_error("private proof: the statement's output is not the model's result on this input");
  // Columns: the tensors, then each lookup's multiplicities.
  std::vector<std::vector<Fp>> cols(p.columns(), std::vector<Fp>(size_t(1) << p.A, Fp::zero()));
  for (size_t c = 0; c < p.columns(); ++c)
    for (size_t i = 0; i < ints[c].size(); ++i) cols[c][i] = Fp::from_i64(ints[c][i]);
  for (const auto& l : p.lookups) {
    auto& mult = cols[l.m_col];
    const auto& w = ints[l.cols[0]];
    for (int64_t v : w) {
      const int64_t row = l.kind == LookupKind::Range ? v : v - m.act_lo();
      mult[size_t(row)] += Fp::one();
    }
  }
  if (tamper.columns) tamper.columns(cols);
  // The mask table and the joint commitment, before any challenge.
  const std::vector<Fp> mask_table = pcs::expand_seed(seed, "private.mask_table", {}, p.mask_size);
  std::vector<std::span<const Fp>> spans;
  if (p.mask_first) spans.push_back(mask_table);
  for (const auto& c : cols) spans.push_back(c);
  if (!p.mask_first) spans.push_back(mask_table);
  auto cp = pcs::commit_joint_hiding(spans, derive_seed(seed, "private.columns"), params, "private.columns");
  if (!cp.ok()) return make_error("private proof: " + cp.error());
  const hash::Digest root = (*cp)[0]->commitment().root;
  const auto members = members_of(p, root);
  for (size_t j = 0; j < p.members(); ++j)
    if (!((*cp)[j]->commitment() == members[j])) return make_error("private proof: internal error: member layout");
  transcript::Transcript t("zkslice-private-v1");
  absorb_statement(t, st, p, params, root);
  const size_t values = size_t(1) << p.A;
  auto value_of = [&](size_t col) { return (*cp)[p.member(col)]->evaluations().first(values); };
  auto mask_of = [&](size_t col) { return (*cp)[p.member(col)]->evaluations().subspan(values, values); };
  const auto T = (*cp)[p.mask_member()]->evaluations().first(size_t(1) << p.mask_vars);

  util::ByteWriter w;
  w.u32(kPrivateVersion);
  w.raw(root);
  Ends ends;
  for (size_t gi = 0; gi < p.gemms.size(); ++gi) {
    const GemmPlan& g = p.gemms[gi];
    const size_t no = size_t(1) << g.nv, ni = size_t(1) << g.kv;
    const std::vector<Fp2> tau = t.challenges("private.tau", g.nv);
    const auto S = sc::affine_mask_table(T.subspan(g.off_S, sc::affine_mask_entries(g.nv)), g.nv);
    const auto sel = selector(g.N, g.nv);
    sc::MaskedInstance reader{{{std::span<const Fp>(accs[gi]), value_of(g.q_col).first(no)}, g.terms, tau},
                              {std::span<const Fp2>(S), mask_of(g.q_col).first(no)}};
    for (size_t c : g.limb_cols) {
      reader.inst.factors.push_back(value_of(c).first(no));
      reader.masks.push_back(mask_of(c).first(no));
    }
    reader.inst.factors.push_back(std::span<const Fp>(sel));
    reader.masks.push_back(std::span<const Fp>());
    const sc::Mask reader_mask(T.subspan(g.off_reader, sc::mask_entries(g.d_reader)), g.d_reader);
    auto orr = sc::prove_zk(reader, Fp2::zero(), reader_mask, root, t);
    GemmEnds ge;
    ge.reader = orr.proof;
    ge.reader_evals.assign(orr.factor_evals.begin(), orr.factor_evals.end() - 1);  // not sel's
    t.absorb("private.reader_evals", std::span<const Fp2>(ge.reader_evals));
    ge.r = orr.point, ge.rho_reader = orr.rho;
    // The MatMul, proving acc^(r) - b(r) with the secret offset c S(r).
    const auto W_r = weights_at(g, ge.r);
    sc::MaskedInstance maker{{{std::span<const Fp2>(W_r), value_of(g.x_col).first(ni)}, {}, {}},
                             {std::span<const Fp>(), mask_of(g.x_col).first(ni)}};
    const Fp2 K = sc::mask_factor(ge.r) * poly::evaluate(std::span<const Fp2>(S), ge.r);
    const sc::Mask maker_mask(T.subspan(g.off_maker, sc::mask_entries(g.d_maker)), g.d_maker);
    auto om = sc::prove_zk(maker, ge.reader_evals[0] - bias_at(g, ge.r), maker_mask, root, t, K);
    ge.maker = om.proof;
    ge.x_eval = om.factor_evals[1];
    t.absorb("private.maker_eval", ge.x_eval);
    ge.r_k = om.point, ge.rho_maker = om.rho;
    ge.reader.write(w);
    for (const auto& v : ge.reader_evals) field::write(w, v);  // their count is the plan's
    ge.maker.write(w);
    field::write(w, ge.x_eval);
    ends.gemms.push_back(std::move(ge));
  }
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> helpers;
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    lk::ZkInput in;
    for (size_t c : l.cols) in.witness.push_back((*cp)[p.member(c)].get());
    in.m = (*cp)[p.member(l.m_col)].get();
    for (const auto& col : l.table) in.table.push_back(col);
    in.mask_root = root;
    const sc::Mask mask(T.subspan(l.off, sc::mask_entries(l.degrees)), l.degrees);
    auto out = lk::prove_zk(l.shape, in, mask, derive_seed(seed, "private.lookup." + std::to_string(li)), params, t);
    if (!out.ok()) return make_error("private proof: lookup " + std::to_string(li) + ": " + out.error());
    out->proof.write(w);
    for (auto& h : out->helpers) helpers.push_back(std::move(h));
    ends.lookups.push_back(out->claims);
  }
  ends.z = t.challenges("private.output", p.A);
  ends.output_value = output_at(st, ends.z);
  const Fp2 lambda = t.challenge("private.lambda");
  auto claims = claims_of(p, ends, lambda);
  if (!claims.ok()) return make_error(claims.error());
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (const auto& c : *cp) ptrs.push_back(c.get());
  for (const auto& h : helpers) ptrs.push_back(h.get());
  auto opening = pcs::open_hiding(ptrs, *claims, t, params, derive_seed(seed, "private.opening"));
  if (!opening.ok()) return make_error("private proof: opening: " + opening.error());
  w.u64(opening->size());
  w.raw(*opening);
  return w.take();
}

Status verify_private(const PrivateStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params,
                      transcript::SoundnessLedger* soundness) {
  ZK_TRY(check_statement(st));
  auto plan = make_private_plan(*st.model);
  if (!plan.ok()) return make_error(plan.error());
  const Plan& p = *plan;
  if (st.output.size() != p.col_rows[p.output_col])
    return make_error("private proof: the statement's output has " + std::to_string(st.output.size()) +
                      " entries, the model's " + std::to_string(p.col_rows[p.output_col]));
  util::ByteReader r(bytes);
  uint32_t version = 0;
  hash::Digest root{};
  if (!r.u32(version) || version != kPrivateVersion) return make_error("private proof: unknown version");
  if (!r.raw(root)) return make_error("private proof: truncated header");
  transcript::Transcript t("zkslice-private-v1");
  transcript::SoundnessLedger ledger;
  t.set_ledger(&ledger);
  absorb_statement(t, st, p, params, root);
  const auto members = members_of(p, root);
  Ends ends;
  for (const GemmPlan& g : p.gemms) {
    const QNode& n = st.model->nodes[g.node];
    auto fail = [&](const std::string& what) { return node_error(n, "private proof: " + what); };
    const std::vector<Fp2> tau = t.challenges("private.tau", g.nv);
    transcript::charge_point(t, g.nv);
    GemmEnds ge;
    auto reader = sc::ZkProof::read(r, g.d_reader);
    if (!reader.ok()) return fail("requant: " + reader.error());
    ge.reader = std::move(reader).value();
    ge.reader_evals.resize(2 + g.limb_cols.size());
    for (auto& v : ge.reader_evals)
      if (!field::read(r, v).ok()) return fail("requant: truncated values");
    auto maker = sc::ZkProof::read(r, g.d_maker);
    if (!maker.ok()) return fail("matmul: " + maker.error());
    ge.maker = std::move(maker).value();
    if (!field::read(r, ge.x_eval).ok()) return fail("matmul: truncated value");
    auto s1 = sc::verify_zk(Fp2::zero(), g.d_reader, root, ge.reader, t);
    if (!s1.ok()) return fail("requant: " + s1.error());
    std::vector<Fp2> evals = ge.reader_evals;
    const auto sel = selector(g.N, g.nv);
    evals.push_back(poly::evaluate(std::span<const Fp>(sel), s1->point));
    if (auto c = sc::check_final(*s1, evals, tau, g.terms); !c.ok()) return fail("requant: " + c.error());
    t.absorb("private.reader_evals", std::span<const Fp2>(ge.reader_evals));
    ge.r = s1->point, ge.rho_reader = s1->rho;
    auto s2 = sc::verify_zk(ge.reader_evals[0] - bias_at(g, ge.r), g.d_maker, root, ge.maker, t);
    if (!s2.ok()) return fail("matmul: " + s2.error());
    const auto W_r = weights_at(g, ge.r);
    const std::vector<Fp2> maker_evals = {poly::evaluate(std::span<const Fp2>(W_r), s2->point), ge.x_eval};
    if (auto c = sc::check_final(*s2, maker_evals, {}); !c.ok()) return fail("matmul: " + c.error());
    t.absorb("private.maker_eval", ge.x_eval);
    ge.r_k = s2->point, ge.rho_maker = s2->rho;
    ends.gemms.push_back(std::move(ge));
  }
  std::vector<pcs::Commitment> comms = members;
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    auto proof = lk::ZkProof::read(r, l.shape);
    if (!proof.ok()) return make_error("private proof: lookup " + std::to_string(li) + ": " + proof.error());
    lk::ZkCommitments lc;
    for (size_t c : l.cols) lc.witness.push_back(members[p.member(c)]);
    lc.m = members[p.member(l.m_col)];
    lc.mask_root = root;
    auto claims = lk::verify_zk(l.shape, l.table, lc, *proof, t);
    if (!claims.ok()) {
      std::string what = l.kind == LookupKind::Range ? "a remainder's range" :
                         l.kind == LookupKind::Act   ? "the activation range" : "its table";
      std::string where = l.node == SIZE_MAX ? std::string("the input") : st.model->nodes[l.node].op + " node '" +
                                                                             st.model->nodes[l.node].name + "'";
      return make_error("private proof: " + where + ": lookup into " + what + ": " + claims.error());
    }
    for (const auto& h : claims->helpers) comms.push_back(h);
    ends.lookups.push_back(std::move(claims).value());
  }
  ends.z = t.challenges("private.output", p.A);
  transcript::charge_point(t, p.A);
  ends.output_value = output_at(st, ends.z);
  const Fp2 lambda = t.challenge("private.lambda");
  transcript::charge_powers(t, 2 * p.gemms.size() + p.lookups.size());
  auto claims = claims_of(p, ends, lambda);
  if (!claims.ok()) return make_error(claims.error());
  uint64_t len = 0;
  if (!r.u64(len) || len != r.remaining()) return make_error("private proof: the opening's length is wrong");
  if (auto st2 = pcs::verify_hiding(comms, *claims, bytes.subspan(r.position()), t, params); !st2.ok())
    return make_error("private proof: opening: " + st2.error());
  if (ledger.challenges() != t.field_challenges())
    return make_error("private proof: internal error: the soundness ledger counts " +
                      std::to_string(ledger.challenges()) + " challenges of " + std::to_string(t.field_challenges()));
  if (ledger.bits() < pcs::kMinSecurityBits) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "private proof: soundness %.2f bits is below %.0f: ", ledger.bits(),
                  pcs::kMinSecurityBits);
    return make_error(buf + ledger.describe());
  }
  if (soundness) *soundness = ledger;
  return {};
}

}  // namespace zks::circuits
