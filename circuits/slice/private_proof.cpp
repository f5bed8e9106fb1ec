#include "circuits/slice/private_proof.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "circuits/slice/phase_clock.hpp"
#include "circuits/slice/private_plan.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "field/field.hpp"
#include "lookup/zk_logup.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "slicer/slicer.hpp"
#include "sumcheck/zk.hpp"
#include "transcript/soundness.hpp"

namespace zks::circuits {

namespace {

using namespace private_detail;
using slice_detail::node_error;

// 2: clamping requantizations, Div, Softmax; 3: clamps as second constraints, divisions'
// clamps, merged claims.
// 4: lookups' columns in packs, every lookup's helpers in one commitment.
// 5: batched lookups read their columns in place (each block's value after the rounds).
// 6: the lookups' table side public (u = 1 / (alpha - c(t)), no committed h_t).
// 7: a one-bit top limb is a bit check b (b - 1) = 0, not a range row and an offset copy.
constexpr uint32_t kPrivateVersion = 7;

// Everything both sides absorb before the first challenge.
void absorb_statement(transcript::Transcript& t, const PrivateStatement& st, const Plan& p, const pcs::Params& params,
                      const hash::Digest& root, std::span<const hash::Digest> shared_roots) {
  t.absorb_u64("private.version", kPrivateVersion);
  t.absorb("private.params", params.params_id());
  t.absorb("private.fingerprint", st.fingerprint);
  t.absorb("private.model", p.model_digest);
  t.absorb("private.job", st.binding.job_id);
  t.absorb_bytes("private.prover", st.binding.prover);
  if (const PrivateSlice* sl = st.slice) {  // which slice, and the roots that stitch it (rule 7)
    t.absorb_u64("private.slice", sl->index);
    t.absorb_u64("private.slice.count", sl->count);
    t.absorb_u64("private.slice.first", sl->first);
    t.absorb_u64("private.slice.end", sl->end);
    for (size_t i = 0; i < p.shared.size(); ++i) {
      t.absorb_u64("private.shared", uint64_t(p.shared[i].tensor));
      t.absorb_u64("private.shared.openings", p.shared[i].openings);
      t.absorb("private.shared.root", shared_roots[i]);
    }
  }
  for (size_t c = 0; c < p.columns(); ++c) {
    t.absorb_u64("private.col_vars", p.col_vars[c]);
    t.absorb_u64("private.col_unit", p.units.unit[c]);
    t.absorb_u64("private.col_offset", p.units.offset[c]);
  }
  t.absorb_u64("private.mask_size", p.mask_size);
  for (const auto& lp : p.linears) {
    t.absorb_u64("private.linear", lp.node);
    t.absorb_u64("private.linear.inputs", lp.ins.size());
    t.absorb_u64("private.linear.shift", lp.shift);
    t.absorb_u64("private.linear.kv", lp.kv);
    t.absorb_u64("private.linear.nv", lp.nv);
    t.absorb_u64("private.linear.product", lp.product);
    t.absorb_u64("private.linear.matmul", lp.matmul);
    t.absorb_u64("private.linear.range", lp.range_only);
    t.absorb_u64("private.linear.excess", lp.excess_bits);
  }
  for (const auto& d : p.divs) {
    t.absorb_u64("private.div", d.node);
    t.absorb_u64("private.div.ka", d.ka);
    t.absorb_u64("private.div.kb", d.kb);
    t.absorb_u64("private.div.excess", d.excess_bits);
  }
  for (const auto& pc : p.products) {
    t.absorb_u64("private.product", pc.node);
    t.absorb_bytes("private.product.what",
                   std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pc.what.data()), pc.what.size()));
    t.absorb_u64("private.max.factors", pc.factors.size());
    t.absorb_u64("private.max.e", pc.e_col);
  }
  for (const auto& u : p.unaries) {
    t.absorb_u64("private.table_op", u.node);
    t.absorb("private.table", u.table->content_hash());
  }
  for (const auto& l : p.lookups) {
    t.absorb_u64("private.lookup", uint64_t(l.kind));
    t.absorb_u64("private.lookup.node", l.node);
    t.absorb_u64("private.lookup.rows", l.rows());
    t.absorb_u64("private.lookup.table_vars", l.table_vars);
  }
  t.absorb_u64("private.outputs", st.outputs.size());
  for (const auto& o : st.outputs) {
    std::vector<Fp> v;
    for (int64_t x : o) v.push_back(Fp::from_i64(x));
    t.absorb("private.output", std::span<const Fp>(v));
  }
  t.absorb("private.root", root);
  for (size_t j = 0; j < p.members(); ++j) t.absorb_u64("private.member_vars", p.units.member_vars(j));
  for (size_t b = 0; b < p.helpers.block_vars.size(); ++b) {
    t.absorb_u64("private.helper_unit", p.helpers.unit[b]);
    t.absorb_u64("private.helper_offset", p.helpers.offset[b]);
  }
  for (size_t j = 0; j < p.helpers.members(); ++j) t.absorb_u64("private.helper_vars", p.helpers.member_vars(j));
}

// A joint commitment's members as the verifier knows them: one root, the sizes the plan
// fixes.
std::vector<pcs::Commitment> members_of(const Packing& k, const hash::Digest& root) {
  std::vector<uint32_t> vars;
  for (size_t j = 0; j < k.joint; ++j) vars.push_back(k.member_vars(j));
  std::vector<pcs::Commitment> out;
  for (size_t j = 0; j < k.joint; ++j) out.push_back(pcs::Commitment{root, vars[j], vars, uint32_t(j)});
  return out;
}

// The shared tensors' commitments as the verifier knows them: the roots it was given,
// the sizes the plan fixes (members after the joint ones, in the plan's order).
Result<std::vector<hash::Digest>> shared_roots_of(const PrivateStatement& st, const Plan& p) {
  std::vector<hash::Digest> out;
  for (const auto& sh : p.shared) {
    auto it = st.slice->roots.find(sh.tensor);
    if (it == st.slice->roots.end())
      return make_error("private proof: slice " + std::to_string(st.slice->index) + ": no root for the shared tensor '" +
                        st.model->tensors[size_t(sh.tensor)].name + "'");
    out.push_back(it->second);
  }
  return out;
}

// An internal check: a joint commitment made as the plan lays it out.
Status check_layout(const std::vector<std::shared_ptr<const pcs::CommittedPoly>>& polys, const Packing& k,
                    const std::string& what) {
  const auto members = members_of(k, polys[0]->commitment().root);
  for (size_t j = 0; j < polys.size(); ++j)
    if (!(polys[j]->commitment() == members[j])) return make_error("private proof: internal error: " + what);
  return {};
}

// sel over 2^nv entries: the output layout's real entries.
std::vector<Fp> selector(const poly::PaddedShape& out, unsigned nv) {
  std::vector<Fp> s(size_t(1) << nv, Fp::zero());
  for (size_t i : out.padded_indices()) s[i] = Fp::one();
  return s;
}

Fp2 bias_at(const LinearPlan& lp, std::span<const Fp2> r) {
  const auto e = eq_of(r);
  const auto pout = lp.out.padded_indices();
  Fp2 b = Fp2::zero();
  for (size_t o = 0; o < lp.bias.size(); ++o)
    if (lp.bias[o] != 0) b += e[pout[o]] * Fp2(Fp::from_i64(lp.bias[o]));
  return b;
}

std::vector<Fp2> padded(std::vector<Fp2> point, unsigned vars) {
  point.resize(vars, Fp2::zero());
  return point;
}

// A MatMul of activations: the output point r's pieces (n, m, batch) and the factor of
// the coordinates above the output's layout, all of which read 0.
struct MatmulPoint {
  std::span<const Fp2> n, m, b;
  Fp2 extra = Fp2::one();
};
MatmulPoint matmul_point(const LinearPlan& lp, std::span<const Fp2> r) {
  MatmulPoint p{r.subspan(0, lp.nb), r.subspan(lp.nb, lp.mb), r.subspan(lp.nb + lp.mb, lp.bb)};
  for (size_t j = lp.out.num_vars(); j < r.size(); ++j) p.extra *= Fp2::one() - r[j];
  return p;
}
// Operand j's point: (k, its own middle axis (m for A, n for Bt), batch), k and batch
// from the map sumcheck's point.
std::vector<Fp2> matmul_operand_point(const LinearPlan& lp, size_t j, std::span<const Fp2> r,
                                      std::span<const Fp2> r_in) {
  const auto mp = matmul_point(lp, r);
  std::vector<Fp2> z(r_in.begin(), r_in.begin() + lp.kb);
  const auto mid = j == 0 ? mp.m : mp.n;
  z.insert(z.end(), mid.begin(), mid.end());
  z.insert(z.end(), r_in.begin() + lp.kb, r_in.begin() + lp.kb + lp.bb);
  return z;
}

// What a linear op's two sumchecks end in (both sides).
struct LinearEnds {
  sc::ZkProof reader, maker;
  std::vector<Fp2> reader_evals;  // acc^ q^ l^..
  std::vector<Fp2> x_evals;       // x_j^ at r'
  std::vector<Fp2> r, r_in;
  Fp2 rho_reader, rho_maker;
};

struct ProductEnds {
  sc::ZkProof proof;
  std::vector<Fp2> evals;  // each factor's, then E's (masked) at r
  std::vector<Fp2> r;
  Fp2 rho;
};

// A factor's point: r, then its block's bits, then zeros up to A variables.
std::vector<Fp2> factor_point(const Factor& f, std::span<const Fp2> r, unsigned A) {
  std::vector<Fp2> z(r.begin(), r.end());
  for (unsigned b = 0; b < f.block_bits; ++b) z.push_back((f.block >> b) & 1 ? Fp2::one() : Fp2::zero());
  return padded(std::move(z), A);
}

struct Ends {
  std::vector<LinearEnds> linears;
  std::vector<ProductEnds> products;
  std::vector<lk::ZkClaims> lookups;
  std::vector<std::vector<Fp2>> lookup_blocks;  // each lookup's blocks' f^ (lookup_block_evals)
  std::vector<std::vector<Fp2>> z;  // each output's point
  std::vector<Fp2> output_values;
};

// Every claim of the opening, in one order for both sides.
// Masked claims on one polynomial at points that differ only in 0/1 coordinates past
// their last free one (the blocks of one pack, read by one sumcheck at one point) as
// one claim weighted over those coordinates and the mask's: the i-th times mu^i. A
// pack's reads are a few claims then, not one a column (the opening takes 4,096 at
// most). `merged` counts the claims that went into groups (the powers of mu charged).
Result<std::vector<pcs::Claim>> merge_masked(std::vector<std::pair<size_t, std::vector<Fp2>>> reads,
                                             const std::vector<Fp2>& values, const Fp2& mu, size_t& merged,
                                             size_t max_merged_vars) {
  auto binary = [](const Fp2& v) { return v == Fp2::zero() || v == Fp2::one(); };
  std::map<std::pair<size_t, std::vector<std::pair<uint64_t, uint64_t>>>, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  std::vector<size_t> low(reads.size());
  for (size_t i = 0; i < reads.size(); ++i) {
    const auto& z = reads[i].second;
    size_t n = z.size();
    while (n > 0 && binary(z[n - 1])) --n;
    low[i] = n;
    // The length, then the free part; a claim whose 0/1 part is longer than
    // max_merged_vars stays alone (its weights would cost the verifier 2^that in hashing
    // and evaluation).
    std::vector<std::pair<uint64_t, uint64_t>> key{{z.size(), z.size() - n > max_merged_vars ? i : SIZE_MAX}};
    for (size_t j = 0; j < n; ++j) key.emplace_back(z[j].c0().value(), z[j].c1().value());
    auto [it, fresh] = group_of.try_emplace({reads[i].first, std::move(key)}, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<pcs::Claim> out;
  merged = 0;
  for (const auto& g : groups) {
    std::vector<pcs::Claim> each;
    for (size_t i : g) {
      auto c = pcs::masked_claim(reads[i].first, reads[i].second, values[i]);
      if (!c.ok()) return make_error("private proof: " + c.error());
      each.push_back(std::move(c).value());
    }
    if (each.size() == 1) {
      out.push_back(std::move(each[0]));
      continue;
    }
    // Each claim's point: (the shared low part, its 0/1 bits, the mask's coordinate).
    const size_t n = low[g[0]], high = each[0].point.size() - n;
    pcs::Claim c{each[0].poly,
                 {each[0].point.begin(), each[0].point.begin() + long(n)},
                 Fp2::zero(),
                 std::vector<Fp2>(size_t(1) << high, Fp2::zero())};
    Fp2 power = Fp2::one();
    for (const pcs::Claim& one : each) {
      std::vector<Fp2> w = poly::eq_table(std::span<const Fp2>(one.point).subspan(n));
      for (size_t x = 0; x < w.size(); ++x) c.weights[x] += power * w[x];
      c.value += power * one.value;
      power *= mu;
    }
    merged += each.size();
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<pcs::Claim>> claims_of(const Plan& p, const Ends& e, const Fp2& lambda, const Fp2& mu,
                                          size_t& merged) {
  std::vector<std::pair<size_t, std::vector<Fp2>>> reads;
  std::vector<Fp2> read_values;
  auto masked = [&](size_t poly, std::span<const Fp2> point, const Fp2& v) -> Status {
    reads.emplace_back(poly, std::vector<Fp2>(point.begin(), point.end()));
    read_values.push_back(v);
    return {};
  };
  // Every final mask is a weighted claim on the mask table; they go in as one, the i-th
  // times lambda^i (pcs::combine_weighted's order), built in place: one weight vector,
  // not one a claim (the mask table grows with the ops).
  pcs::Claim masks{p.mask_member(), {}, Fp2::zero(), std::vector<Fp2>(size_t(1) << p.mask_vars, Fp2::zero())};
  Fp2 power = Fp2::one();
  auto place = [&](std::span<const Fp2> w, size_t off, const Fp2& value) {
    for (size_t i = 0; i < w.size(); ++i) masks.weights[off + i] += power * w[i];
    masks.value += power * value;
    power *= lambda;
  };
  // f^ at a point on a block's first 2^|point| values (a column's, a helper's): a point
  // longer than the block read it zero-extended (both its values and its mask), which
  // scales f^ by prod (1 - point_i) over the extra coordinates.
  auto on_block = [&](size_t member, const Packing& k, size_t b, std::span<const Fp2> point, const Fp2& v) -> Status {
    const unsigned vars = k.block_vars[b];
    if (point.size() <= vars) return masked(member, k.point(b, padded({point.begin(), point.end()}, vars)), v);
    Fp2 scale = Fp2::one();
    for (size_t i = vars; i < point.size(); ++i) scale *= Fp2::one() - point[i];
    if (scale.is_zero()) return make_error("private proof: a point outside a table's extension (retry)");
    return masked(member, k.point(b, {point.begin(), point.begin() + vars}), v * scale.inverse());
  };
  auto on_column = [&](size_t col, std::span<const Fp2> point, const Fp2& v) {
    return on_block(p.member(col), p.units, col, point, v);
  };
  for (size_t li = 0; li < p.linears.size(); ++li) {
    const LinearPlan& lp = p.linears[li];
    const LinearEnds& le = e.linears[li];
    const auto rc = lp.reader_cols();
    for (size_t j = 0; j < rc.size(); ++j) ZK_TRY(on_column(rc[j], le.r, le.reader_evals[1 + j]));
    for (size_t j = 0; j < lp.ins.size(); ++j)
      ZK_TRY(on_column(lp.ins[j].col, lp.matmul ? matmul_operand_point(lp, j, le.r, le.r_in) : le.r_in, le.x_evals[j]));
    place(sc::final_mask_weights(lp.d_reader, le.rho_reader, le.r), lp.off_reader, le.reader.final_mask);
    // The maker's final mask with the secret offset's part, K 2^-kv = c S(r) 2^-kv (S's
    // entries at off_S), as one claim.
    const Fp2 k_scale = sc::mask_factor(le.r) * Fp2(Fp(uint64_t(1) << lp.kv).inverse());
    const auto ws = sc::affine_mask_weights(le.r);
    for (size_t i = 0; i < ws.size(); ++i) masks.weights[lp.off_S + i] += power * k_scale * ws[i];
    place(sc::final_mask_weights(lp.d_maker, le.rho_maker, le.r_in), lp.off_maker, le.maker.final_mask);
  }
  for (size_t pi = 0; pi < p.products.size(); ++pi) {
    const ProductCheck& pc = p.products[pi];
    const ProductEnds& pe = e.products[pi];
    for (size_t j = 0; j < pc.factors.size(); ++j)
      ZK_TRY(masked(p.member(pc.factors[j].col),
                    p.unit_point(pc.factors[j].col, factor_point(pc.factors[j], pe.r, p.vars_of(pc.factors[j].col))),
                    pe.evals[j]));
    if (pc.e_col != SIZE_MAX) ZK_TRY(on_column(pc.e_col, pe.r, pe.evals.back()));
    place(sc::final_mask_weights(pc.degrees, pe.rho, pe.r), pc.off, pe.proof.final_mask);
  }
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    const lk::ZkClaims& c = e.lookups[li];
    for (size_t k = 0; k < lk::kZkHelpers; ++k)
      ZK_TRY(on_block(p.helper_member(li, k), p.helpers, p.helper_block(li, k), c.point, c.helper_evals[k]));
    ZK_TRY(on_column(l.m_col, c.point, c.m_eval));
    const auto& be = e.lookup_blocks[li];
    for (size_t j = 0, i = 0; j < l.cols.size(); ++j)
      for (size_t b = 0; b < l.cols[j].size(); ++b, ++i)
        ZK_TRY(on_column(l.cols[j][b], std::span<const Fp2>(c.point).first(l.shape.witness.block_vars(b)), be[i]));
    place(sc::final_mask_weights(l.degrees, c.rho, c.point), l.off, c.final_mask);
  }
  // Claims whose 0/1 part passes 6 coordinates (a 2^7 block in a 2^20 pack) stay alone,
  // unless that passes the opening's limit (each claim has a twin on the opening's h):
  // then every group is merged.
  const size_t others = p.output_cols.size() + 1;
  auto out = merge_masked(reads, read_values, mu, merged, 6);
  if (out.ok() && 2 * (out->size() + others) > pcs::Params::kMaxClaims)
    out = merge_masked(std::move(reads), read_values, mu, merged, SIZE_MAX);
  if (!out.ok()) return out;
  for (size_t o = 0; o < p.output_cols.size(); ++o)
    out->push_back(pcs::Claim{p.member(p.output_cols[o]), p.unit_point(p.output_cols[o], e.z[o]), e.output_values[o]});
  out->push_back(std::move(masks));
  return out;
}

// A public output's MLE at z in its column's layout (zero elsewhere): the verifier's own.
Fp2 output_at(const poly::PaddedShape& shape, std::span<const int64_t> values, std::span<const Fp2> z) {
  std::vector<Fp> v(size_t(1) << z.size(), Fp::zero());
  const auto pad = shape.padded_indices();
  for (size_t i = 0; i < values.size(); ++i) v[pad[i]] = Fp::from_i64(values[i]);
  return poly::evaluate(std::span<const Fp>(v), z);
}

// The bytes of a proof's two commitments' codewords (the columns', the helpers'; hiding
// tables of twice the values, times the blowup), which stay in memory until the opening
// while they fit prove_private's codeword_memory.
size_t codeword_bytes(const Plan& p, const pcs::Params& params) {
  size_t bytes = 0;
  for (const Packing* k : {&p.units, &p.helpers})
    for (size_t j = 0; j < k->members(); ++j) bytes += sizeof(Fp) << (k->member_vars(j) + params.log_blowup);
  return bytes;
}

Result<Plan> plan_for(const PrivateStatement& st) {
  if (!st.model) return make_error("private proof: no model");
  auto plan = make_private_plan(*st.model, st.slice);
  if (!plan.ok()) return make_error(plan.error());
  if (st.outputs.size() != plan->output_cols.size())
    return make_error("private proof: the statement has " + std::to_string(st.outputs.size()) + " outputs, the model " +
                      std::to_string(plan->output_cols.size()));
  for (size_t o = 0; o < st.outputs.size(); ++o)
    if (st.outputs[o].size() != plan->col_shape[plan->output_cols[o]].real_count())
      return make_error("private proof: output " + std::to_string(o) + " has " + std::to_string(st.outputs[o].size()) +
                        " entries, the model's " + std::to_string(plan->col_shape[plan->output_cols[o]].real_count()));
  return plan;
}

// A lookup's witness columns are blocks of the commitment's columns read in place (its
// layout, l.shape.witness). Its rounds end in each witness column's f^ at r over the
// whole layout; the proof also shows each block's own f^ at r's first k_b coordinates (a
// masked read of the block's column: the opening's claim), column by column, and the
// verifier checks that they make the first:
//     f^(r) = prod_{i >= wv} (1 - r_i) sum_b eq(r[k_b, wv), block b's bits) f^_b(r[0, k_b)).
std::vector<Fp2> lookup_block_evals(const LookupPlan& l, const std::function<std::span<const Fp>(size_t)>& value_of,
                                    const std::function<std::span<const Fp>(size_t)>& mask_of,
                                    std::span<const Fp2> r) {
  const Fp2 c = sc::mask_factor(r);
  std::vector<Fp2> out;
  for (const auto& blocks : l.cols)
    for (size_t b = 0; b < blocks.size(); ++b) {
      const auto z = r.first(l.shape.witness.block_vars(b));
      out.push_back(poly::evaluate(value_of(blocks[b]), z) + c * poly::evaluate(mask_of(blocks[b]), z));
    }
  return out;
}

// Block b's weight in a witness column's f^(r): the zero-extension's and the layout's.
Fp2 lookup_block_weight(const LookupPlan& l, size_t b, std::span<const Fp2> r) {
  const auto& layout = l.shape.witness;
  Fp2 w = layout.block_weight(b, r.first(layout.num_vars()));
  for (size_t i = layout.num_vars(); i < r.size(); ++i) w *= Fp2::one() - r[i];
  return w;
}

Status check_lookup_blocks(const LookupPlan& l, const lk::ZkClaims& claims, std::span<const Fp2> block_evals) {
  const size_t B = l.shape.witness.blocks().size();
  if (block_evals.size() != l.cols.size() * B) return make_error("wrong number of block values");
  std::vector<Fp2> weights(B);
  for (size_t b = 0; b < B; ++b) weights[b] = lookup_block_weight(l, b, claims.point);
  for (size_t j = 0; j < l.cols.size(); ++j) {
    Fp2 v = Fp2::zero();
    for (size_t b = 0; b < B; ++b) v += weights[b] * block_evals[j * B + b];
    if (v != claims.witness_evals[j]) return make_error("its witness blocks' values do not make the witness's");
  }
  return {};
}

std::string lookup_name(const QModel& m, const LookupPlan& l) {
  const std::string what = l.kind == LookupKind::Range ? "a remainder's range"
                           : l.kind == LookupKind::Act ? "the activation range"
                                                       : "its table";
  const std::string where = l.node == SIZE_MAX       ? std::string("an input")
                            : l.node == kBatchedNode ? std::string("several tensors")
                                                     : m.nodes[l.node].op + " node '" + m.nodes[l.node].name + "'";
  return where + ": lookup into " + what;
}

}  // namespace

Status check_private_provable(const model::QModel& m) {
  auto p = make_private_plan(m);
  if (!p.ok()) return make_error(p.error());
  return {};
}

namespace {
constexpr std::string_view kFileMagic = "ZKSPRIV1";
constexpr std::string_view kBundleMagic = "ZKSPRIVB";
constexpr size_t kMaxFileOutputs = 1024;
constexpr size_t kMaxFileValues = size_t(1) << 24;
constexpr size_t kMaxFileRoots = size_t(1) << 16;

bool starts_with(std::span<const uint8_t> bytes, std::string_view magic) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

// The magic, then the outputs: u32 count, for each a u32 length and its values.
util::ByteWriter write_head(std::string_view magic, const std::vector<std::vector<int64_t>>& outputs) {
  util::ByteWriter w;
  w.raw(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(magic.data()), magic.size()));
  w.u32(static_cast<uint32_t>(outputs.size()));
  for (const auto& o : outputs) {
    w.u32(static_cast<uint32_t>(o.size()));
    for (int64_t v : o) w.svarint(v);
  }
  return w;
}

Status read_outputs(util::ByteReader& r, std::vector<std::vector<int64_t>>& outputs) {
  uint32_t count = 0;
  if (!r.u32(count) || count > kMaxFileOutputs) return make_error("bad output count");
  outputs.resize(count);
  for (auto& o : outputs) {
    uint32_t len = 0;
    if (!r.u32(len) || len > kMaxFileValues || len > r.remaining()) return make_error("bad output size");
    o.resize(len);
    for (auto& v : o)
      if (!r.svarint(v)) return make_error("truncated output");
  }
  return {};
}

// A u64 length and that many bytes (`last`: the rest of the file, exactly).
Status read_proof(util::ByteReader& r, util::Bytes& proof, bool last) {
  uint64_t len = 0;
  if (!r.u64(len) || len > r.remaining() || (last && len != r.remaining()))
    return make_error("the proof's length is wrong");
  proof.resize(len);
  if (!r.raw(proof)) return make_error("truncated proof");
  return {};
}
}  // namespace

util::Bytes PrivateProofFile::write() const {
  util::ByteWriter w = write_head(kFileMagic, outputs);
  w.u64(proof.size());
  w.raw(proof);
  return w.take();
}

bool PrivateProofFile::is_one(std::span<const uint8_t> bytes) { return starts_with(bytes, kFileMagic); }

Result<PrivateProofFile> PrivateProofFile::read(std::span<const uint8_t> bytes) {
  if (!is_one(bytes)) return make_error("private proof file: bad magic");
  util::ByteReader r(bytes.subspan(kFileMagic.size()));
  PrivateProofFile f;
  if (Status s = read_outputs(r, f.outputs); !s.ok()) return make_error("private proof file: " + s.error());
  if (Status s = read_proof(r, f.proof, true); !s.ok()) return make_error("private proof file: " + s.error());
  return f;
}

util::Bytes PrivateBundleFile::write() const {
  util::ByteWriter w = write_head(kBundleMagic, outputs);
  w.u32(static_cast<uint32_t>(ranges.size()));
  for (const auto& [first, end] : ranges) {
    w.u32(static_cast<uint32_t>(first));
    w.u32(static_cast<uint32_t>(end));
  }
  w.u32(static_cast<uint32_t>(roots.size()));
  for (const auto& [t, root] : roots) {
    w.u32(static_cast<uint32_t>(t));
    w.raw(root);
  }
  for (const auto& p : proofs) {
    w.u64(p.size());
    w.raw(p);
  }
  return w.take();
}

bool PrivateBundleFile::is_one(std::span<const uint8_t> bytes) { return starts_with(bytes, kBundleMagic); }

Result<PrivateBundleFile> PrivateBundleFile::read(std::span<const uint8_t> bytes) {
  if (!is_one(bytes)) return make_error("private bundle file: bad magic");
  util::ByteReader r(bytes.subspan(kBundleMagic.size()));
  PrivateBundleFile f;
  if (Status s = read_outputs(r, f.outputs); !s.ok()) return make_error("private bundle file: " + s.error());
  uint32_t count = 0;
  if (!r.u32(count) || count == 0 || count > kMaxBundleSlices) return make_error("private bundle file: bad slice count");
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t first = 0, end = 0;
    if (!r.u32(first) || !r.u32(end)) return make_error("private bundle file: truncated slices");
    f.ranges.emplace_back(first, end);
  }
  if (!r.u32(count) || count > kMaxFileRoots) return make_error("private bundle file: bad root count");
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t t = 0;
    hash::Digest root{};
    if (!r.u32(t) || !r.raw(root)) return make_error("private bundle file: truncated roots");
    if (t > uint32_t(std::numeric_limits<int>::max()) || !f.roots.emplace(int(t), root).second ||
        f.roots.rbegin()->first != int(t))
      return make_error("private bundle file: the roots' tensors are not ascending");
  }
  f.proofs.resize(f.ranges.size());
  for (size_t i = 0; i < f.proofs.size(); ++i)
    if (Status s = read_proof(r, f.proofs[i], i + 1 == f.proofs.size()); !s.ok())
      return make_error("private bundle file: slice " + std::to_string(i) + ": " + s.error());
  return f;
}

pcs::Seed random_seed() {
  hash::ensure_sodium();
  pcs::Seed s{};
  randombytes_buf(s.data(), s.size());
  return s;
}

Result<util::Bytes> prove_private(const PrivateStatement& st, const std::vector<std::vector<int64_t>>& inputs,
                                  const pcs::Params& params, const pcs::Seed& seed, const PrivateTamper& tamper,
                                  const PrivateProgress& progress, size_t codeword_memory,
                                  std::map<int, hash::Digest>* shared_roots) {
  auto plan = plan_for(st);
  if (!plan.ok()) return make_error(plan.error());
  const Plan& p = *plan;
  const QModel& m = *st.model;
  PhaseClock clock;
  auto phase_start = std::chrono::steady_clock::now();
  auto lap = [&](const std::string& phase) {
    clock.lap(phase);
    const auto now = std::chrono::steady_clock::now();
    if (progress) progress(phase, std::chrono::duration<double, std::milli>(now - phase_start).count());
    phase_start = now;
  };
  {
    size_t values = 0;
    for (size_t c = 0; c < p.columns(); ++c) values += size_t(1) << p.vars_of(c);
    ZKS_LOG_DEBUG("slice", "private proof: {} columns ({} values), {} linear maps, {} max checks, {} lookups",
                  p.columns(), values, p.linears.size(), p.products.size(), p.lookups.size());
    for (const LookupPlan& l : p.lookups)
      ZKS_LOG_DEBUG("slice", "private proof: {}: {} rows read (2^{} with padding), a table of 2^{}", lookup_name(m, l),
                    l.rows(), l.shape.witness.num_vars(), l.table_vars);
  }
  if (inputs.size() != p.input_cols.size())
    return make_error("private proof: " + std::to_string(inputs.size()) + " inputs given, the model takes " +
                      std::to_string(p.input_cols.size()));
  // The run, in integers: each column's real entries (dense).
  std::vector<std::vector<int64_t>> ints(p.columns());
  for (size_t k = 0; k < inputs.size(); ++k) {
    const size_t c = p.input_cols[k];
    if (inputs[k].size() != p.col_shape[c].real_count())
      return make_error("private proof: input " + std::to_string(k) + " has " + std::to_string(inputs[k].size()) +
                        " entries, the model takes " + std::to_string(p.col_shape[c].real_count()));
    for (size_t i = 0; i < inputs[k].size(); ++i)
      if (inputs[k][i] < m.act_lo() || inputs[k][i] > m.act_hi())
        return make_error("private proof: input " + std::to_string(k) + " entry " + std::to_string(i) + " (" +
                          std::to_string(inputs[k][i]) + ") is outside the activation range");
    ints[c] = inputs[k];
  }
  std::vector<std::vector<Fp>> accs(p.linears.size());
  auto run_step = [&](Step step, size_t idx) -> Status {
    if (step == Step::Max) {
      const MaxPlan& mp = p.maxes[idx];
      const auto& x = ints[mp.x_col];
      auto& y = ints[mp.y_col];
      y.assign(mp.taps[0].size(), std::numeric_limits<int64_t>::min());
      for (const auto& tap : mp.taps)
        for (size_t o = 0; o < y.size(); ++o)
          if (tap[o] >= 0) y[o] = std::max(y[o], x[size_t(tap[o])]);
    } else if (step == Step::Div) {
      const DivPlan& d = p.divs[idx];
      const auto& b = ints[d.b_col];
      auto& q = ints[d.q_col];
      q.assign(d.ib.size(), 0);
      if (d.y_col != d.q_col) ints[d.y_col].assign(q.size(), 0);
      for (size_t c : d.excess_cols) ints[c].assign(q.size(), 0);
      for (size_t o = 0; o < q.size(); ++o) {
        const __int128 A = __int128(d.a_const ? (*d.a_const)[size_t(d.ia[o])] : ints[d.a_col][size_t(d.ia[o])]) *
                           (__int128(1) << d.ka);
        const __int128 D = __int128(b[size_t(d.ib[o])]) * (__int128(1) << d.kb);
        if (D <= 0)
          return step_error(m, d.node,
                            "divides by " + std::to_string(b[size_t(d.ib[o])]) + " at output " + std::to_string(o) +
                                " (a private proof divides by positive values only)");
        const __int128 t = 2 * A + D, d2 = 2 * D;
        const __int128 v = t / d2 - ((t % d2 != 0) && t < 0 ? 1 : 0);
        q[o] = static_cast<int64_t>(v);
        if (d.y_col == d.q_col) {
          if (v < m.act_lo() || v > m.act_hi())
            return step_error(m, d.node,
                              "internal error: its quotient clamps at output " + std::to_string(o) +
                                  " where the plan says it cannot");
          continue;
        }
        const __int128 y = std::clamp<__int128>(v, m.act_lo(), m.act_hi());
        const __int128 c = v > y ? v - y : y - v;
        if ((c >> d.excess_bits) != 0)
          return step_error(m, d.node,
                            "its quotient clamps at output " + std::to_string(o) + " by 2^" +
                                std::to_string(d.excess_bits) + " or more (not provable in a private proof)");
        ints[d.y_col][o] = static_cast<int64_t>(y);
        for (size_t l = 0; l < d.excess_cols.size(); ++l)
          ints[d.excess_cols[l]][o] = static_cast<int64_t>((c >> (kLimbBits * l)) & 0xffff);
      }
    } else if (step == Step::Linear) {
      const LinearPlan& lp = p.linears[idx];
      std::vector<int64_t> acc = lp.bias;
      if (lp.product) {
        for (size_t o = 0; o < acc.size(); ++o) acc[o] = ints[lp.ins[0].col][o] * ints[lp.ins[1].col][o];
      } else if (lp.matmul) {  // acc[b][m][n] = sum_k A[b][m][k] Bt[b][n][k]
        const auto &A = ints[lp.ins[0].col], &Bt = ints[lp.ins[1].col];
        const size_t Kd = size_t(lp.mm_K), Md = A.size() / Kd / size_t(lp.mm_batches),
                     Nd = Bt.size() / Kd / size_t(lp.mm_batches);
        for (size_t b = 0; b < size_t(lp.mm_batches); ++b)
          for (size_t i = 0; i < Md; ++i)
            for (size_t j = 0; j < Nd; ++j) {
              int64_t v = 0;
              for (size_t kk = 0; kk < Kd; ++kk) v += A[(b * Md + i) * Kd + kk] * Bt[(b * Nd + j) * Kd + kk];
              acc[(b * Md + i) * Nd + j] = v;
            }
      } else {
        for (const auto& in : lp.ins) in.apply(ints[in.col], acc);
      }
      const auto pout = lp.out.padded_indices();
      auto& accf = accs[idx];
      accf.assign(size_t(1) << lp.nv, Fp::zero());
      std::vector<int64_t> unused;
      auto& q = lp.range_only ? unused : ints[lp.q_col];
      q.assign(acc.size(), 0);
      for (size_t c : lp.limb_cols) ints[c].assign(acc.size(), 0);
      for (size_t c : lp.excess_cols) ints[c].assign(acc.size(), 0);
      for (size_t j = 0; j < acc.size(); ++j) {
        accf[pout[j]] = Fp::from_i64(acc[j]);
        const int64_t biased = lp.shift == 0 ? acc[j] : acc[j] + (int64_t(1) << (lp.shift - 1));
        if (lp.range_only) {
          // The limbs sum to acc whatever it is; only a cheating prover's acc leaves the
          // range, and then its top limb does (the range lookup's to catch).
          if ((acc[j] < 0 || (acc[j] >> lp.shift) != 0) && !tamper.values)
            return step_error(m, lp.node,
                              "internal error: a range check's value " + std::to_string(acc[j]) + " is outside [0, 2^" +
                                  std::to_string(lp.shift) + ")");
          int64_t v = acc[j];
          for (size_t l = 0; l + 1 < lp.limb_cols.size(); ++l, v >>= kLimbBits)
            ints[lp.limb_cols[l]][j] = v & ((int64_t(1) << kLimbBits) - 1);
          ints[lp.limb_cols.back()][j] = v;
          continue;
        }
        const int64_t q_full = biased >> lp.shift;
        uint64_t rem = static_cast<uint64_t>(biased - q_full * (int64_t(1) << lp.shift));
        for (size_t l = 0; l < lp.limb_cols.size(); ++l, rem >>= kLimbBits)
          ints[lp.limb_cols[l]][j] = int64_t(rem & ((uint64_t(1) << lp.limb_bits[l]) - 1));
        q[j] = lp.requantizes ? std::clamp(q_full, m.act_lo(), m.act_hi()) : q_full;
        if (q[j] == q_full) continue;
        // Clamped: the excess in limbs (the plan has them where it can clamp).
        const uint64_t excess = static_cast<uint64_t>(q_full > q[j] ? q_full - q[j] : q[j] - q_full);
        if (lp.excess_cols.empty() || (excess >> lp.excess_bits) != 0)
          return step_error(m, lp.node,
                            "internal error: its requantization clamps at output " + std::to_string(j) +
                                " by more than the range analysis allows");
        for (size_t l = 0; l < lp.excess_cols.size(); ++l)
          ints[lp.excess_cols[l]][j] = int64_t((excess >> (kLimbBits * l)) & 0xffff);
      }
    } else {
      const UnaryPlan& u = p.unaries[idx];
      const auto& x = ints[u.x_col];
      auto& y = ints[u.y_col];
      y.resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        const int64_t row = x[i] - u.table->in_lo;
        if (row >= 0 && size_t(row) < u.table->values.size()) {
          y[i] = u.table->values[size_t(row)];
        } else if (tamper.values) {  // a cheating prover's input has no row: its lookup fails
          y[i] = 0;
        } else {
          return step_error(m, u.node, "internal error: a table input " + std::to_string(x[i]) + " has no row");
        }
      }
    }
    return {};
  };
  for (const auto& [step, idx] : p.steps) ZK_TRY(run_step(step, idx));
  for (size_t o = 0; o < p.output_cols.size(); ++o)
    if (ints[p.output_cols[o]] != st.outputs[o])
      return make_error("private proof: the statement's output " + std::to_string(o) +
                        " is not the model's result on this input");
  if (tamper.values) {  // a cheating prover's values; what the plan derives follows them
    std::map<int, std::vector<int64_t>> tensors;
    std::map<int, std::vector<std::vector<int64_t>>> limbs;
    for (const auto& [t, c] : p.tensor_cols) tensors[t] = ints[c];
    // The internal tensors (PrivateTamper::values) under -1, -2, ...
    std::set<size_t> held;
    for (const auto& [t, c] : p.tensor_cols) held.insert(c);
    std::vector<size_t> internal;
    for (const auto& mp : p.maxes)
      if (!held.count(mp.y_col)) internal.push_back(mp.y_col);
    for (const auto& d : p.divs)
      if (d.q_col != d.y_col) internal.push_back(d.q_col);
    for (size_t i = 0; i < internal.size(); ++i) tensors[-1 - int(i)] = ints[internal[i]];
    // Each node output's limb columns: a requantization's remainder and excess, a
    // division's excess. (A derived requantization, a Concat's part, is made again below.)
    std::vector<std::pair<int, std::vector<size_t>>> limb_cols;
    for (const auto& lp : p.linears)
      if (lp.requantizes && !lp.derived) {
        limb_cols.emplace_back(m.nodes[lp.node].outputs[0], lp.reader_cols());
        std::erase(limb_cols.back().second, lp.q_col);
      }
    for (const auto& d : p.divs)
      if (!d.excess_cols.empty()) limb_cols.emplace_back(m.nodes[d.node].outputs[0], d.excess_cols);
    for (const auto& [t, cs] : limb_cols)
      for (size_t c : cs) limbs[t].push_back(ints[c]);
    tamper.values(tensors, limbs);
    for (const auto& [t, c] : p.tensor_cols) ints[c] = tensors[t];
    for (size_t i = 0; i < internal.size(); ++i) ints[internal[i]] = tensors[-1 - int(i)];
    for (const auto& [t, cs] : limb_cols)
      for (size_t j = 0; j < cs.size(); ++j) ints[cs[j]] = limbs[t].at(j);
    for (const auto& [step, idx] : p.steps)
      if ((step == Step::Linear && p.linears[idx].derived) || (step == Step::Unary && p.unaries[idx].derived))
        ZK_TRY(run_step(step, idx));
  }
  // Columns: the tensors in their padded layouts, then each lookup's multiplicities.
  std::vector<std::vector<Fp>> cols(p.columns());
  for (size_t c = 0; c < p.columns(); ++c) cols[c].assign(size_t(1) << p.vars_of(c), Fp::zero());
  for (size_t c = 0; c < p.columns(); ++c) {
    if (ints[c].empty()) continue;
    const auto pad = p.col_shape[c].padded_indices();
    for (size_t i = 0; i < ints[c].size(); ++i) cols[c][pad[i]] = Fp::from_i64(ints[c][i]);
  }
  for (const ProductCheck& pc : p.products) {  // E = the product of its factors (in the field)
    if (pc.e_col == SIZE_MAX) continue;
    const size_t no = size_t(1) << pc.nv;
    for (size_t i : pc.out.padded_indices()) {
      Fp v = Fp::one();
      for (const Factor& f : pc.factors) v *= cols[f.col][f.block * no + i];
      cols[pc.e_col][i] = v;
    }
  }
  for (const auto& l : p.lookups) {
    auto& mult = cols[l.m_col];
    for (size_t block : l.cols[0]) {
      for (int64_t v : ints[block]) {
        const int64_t row = l.kind == LookupKind::Range ? v : v - m.act_lo();
        if (row >= 0 && size_t(row) < (size_t(1) << l.table_vars)) {
          mult[size_t(row)] += Fp::one();
        } else if (!tamper.values) {  // only a cheating prover's value has no row
          return make_error("private proof: internal error: " + lookup_name(m, l) + ": the value " +
                            std::to_string(v) + " has no row");
        }
      }
    }
  }
  if (tamper.columns) tamper.columns(cols, p.output_cols);
  lap("run");
  // The mask table and the joint commitment, before any challenge.
  const std::vector<Fp> mask_table = pcs::expand_seed(seed, "private.mask_table", {}, p.mask_size);
  std::vector<std::span<const Fp>> blocks(cols.begin(), cols.end());
  blocks.push_back(mask_table);
  std::deque<std::vector<Fp>> packs;
  // Codewords past the budget go once the tree is made (the opening encodes each
  // again): they were half of age's peak memory.
  const size_t codewords = codeword_bytes(p, params);
  const bool keep = codewords <= codeword_memory;
  ZKS_LOG_DEBUG("slice", "private proof: codewords of {} MB {} (budget {} MB)", codewords >> 20,
                keep ? "kept for the opening" : "made again in the opening", codeword_memory >> 20);
  const auto tables = p.units.tables(blocks, packs);
  auto cp = pcs::commit_joint_hiding(std::span(tables).first(p.units.joint), pcs::derive_seed(seed, "private.columns"),
                                     params, "private.columns", 1, keep);
  if (!cp.ok()) return make_error("private proof: " + cp.error());
  const hash::Digest root = (*cp)[0]->commitment().root;
  ZK_TRY(check_layout(*cp, p.units, "member layout"));
  // A slice's shared tensors, each committed on its own (the members after the joint ones).
  std::vector<hash::Digest> roots;
  for (const auto& sh : p.shared) {
    const size_t j = p.member(sh.col);
    if (j != cp->size()) return make_error("private proof: internal error: a shared tensor's member");
    const std::string& name = m.tensors[size_t(sh.tensor)].name;
    auto seed_of = st.slice->seeds.find(sh.tensor);
    if (seed_of == st.slice->seeds.end())
      return make_error("private proof: no mask seed for the shared tensor '" + name + "'");
    auto one = pcs::commit_hiding(tables[j], seed_of->second, params, sh.openings);
    if (!one.ok()) return make_error("private proof: a shared tensor: " + one.error());
    if (one->commitment().num_vars != p.units.member_vars(j))
      return make_error("private proof: internal error: a shared tensor's layout");
    roots.push_back(one->commitment().root);
    if (auto given = st.slice->roots.find(sh.tensor); given != st.slice->roots.end() && given->second != roots.back())
      return make_error("private proof: slice " + std::to_string(st.slice->index) + ": tensor '" + name +
                        "' is not the one the bundle's other slices committed (another value or boundary seed)");
    if (shared_roots) (*shared_roots)[sh.tensor] = roots.back();
    cp->push_back(std::make_shared<const pcs::CommittedPoly>(std::move(one).value()));
  }
  transcript::Transcript t("zkslice-private-v1");
  absorb_statement(t, st, p, params, root, roots);
  // The commitment holds every value now: the run's copies go (a tenth of the peak).
  ints = {}, cols = {}, packs = {}, blocks = {};
  lap("commit");
  auto value_of = [&](size_t col) { return p.units.block((*cp)[p.member(col)]->evaluations(), col).first; };
  auto mask_of = [&](size_t col) { return p.units.block((*cp)[p.member(col)]->evaluations(), col).second; };
  // A column's first n values and mask, zero-extended where n is past its size.
  std::deque<std::vector<Fp>> extended;
  auto first = [&](size_t col, size_t n) -> std::pair<std::span<const Fp>, std::span<const Fp>> {
    auto v = value_of(col), r = mask_of(col);
    if (n <= v.size()) return {v.first(n), r.first(n)};
    auto& ev = extended.emplace_back(n, Fp::zero());
    auto& er = extended.emplace_back(n, Fp::zero());
    std::copy(v.begin(), v.end(), ev.begin());
    std::copy(r.begin(), r.end(), er.begin());
    return {ev, er};
  };
  const auto T = (*cp)[p.mask_member()]->evaluations().first(size_t(1) << p.mask_vars);

  util::ByteWriter w;
  w.u32(kPrivateVersion);
  w.raw(root);
  clock.count_bytes(w);
  Ends ends;
  for (size_t li = 0; li < p.linears.size(); ++li) {
    const LinearPlan& lp = p.linears[li];
    const size_t no = size_t(1) << lp.nv, ni = size_t(1) << lp.kv;
    const std::vector<Fp2> tau = t.challenges("private.tau", lp.nv);
    const auto terms = lp.second.joined(lp.terms, t);
    const auto S = sc::affine_mask_table(T.subspan(lp.off_S, sc::affine_mask_entries(lp.nv)), lp.nv);
    const auto sel = selector(lp.out, lp.nv);
    sc::MaskedInstance reader{{{std::span<const Fp>(accs[li])}, terms, tau}, {std::span<const Fp2>(S)}};
    for (size_t c : lp.reader_cols()) {
      reader.inst.factors.push_back(value_of(c).first(no));
      reader.masks.push_back(mask_of(c).first(no));
    }
    reader.inst.factors.push_back(std::span<const Fp>(sel));
    reader.masks.push_back(std::span<const Fp>());
    const sc::Mask reader_mask(T.subspan(lp.off_reader, sc::mask_entries(lp.d_reader)), lp.d_reader);
    auto orr = sc::prove_zk(reader, Fp2::zero(), reader_mask, root, t);
    LinearEnds le;
    le.reader = orr.proof;
    le.reader_evals.assign(orr.factor_evals.begin(), orr.factor_evals.end() - 1);  // not sel's
    t.absorb("private.reader_evals", std::span<const Fp2>(le.reader_evals));
    le.r = orr.point, le.rho_reader = orr.rho;
    // The map, proving acc^(r) - b(r) with the secret offset c S(r).
    std::vector<std::vector<Fp2>> folded;
    sc::MaskedInstance maker{{{}, lp.maker_terms, {}}, {}};
    std::vector<std::vector<Fp2>> matmul_tables;  // E, A', RA', Bt', RBt'
    if (lp.matmul) {
      const auto mp = matmul_point(lp, le.r);
      const auto em = poly::eq_table(mp.m), en = poly::eq_table(mp.n), eb = poly::eq_table(mp.b);
      const size_t kn = size_t(1) << lp.kb, tn = size_t(1) << lp.kv;
      matmul_tables.assign(5, std::vector<Fp2>(tn, Fp2::zero()));
      for (size_t b = 0; b < eb.size(); ++b) {
        for (size_t kk = 0; kk < kn; ++kk) matmul_tables[0][kk + b * kn] = mp.extra * eb[b];
        // operand j's middle axis has mid bits; fold it with its eq table
        auto fold = [&](size_t col, const std::vector<Fp2>& e, unsigned mid, std::vector<Fp2>& vt,
                        std::vector<Fp2>& mt) {
          const auto v = value_of(col), mask = mask_of(col);
          for (size_t x = 0; x < e.size(); ++x)
            for (size_t kk = 0; kk < kn; ++kk) {
              const size_t at = kk + (x << lp.kb) + (b << (lp.kb + mid));
              vt[kk + b * kn] += e[x] * Fp2(v[at]);
              mt[kk + b * kn] += e[x] * Fp2(mask[at]);
            }
        };
        fold(lp.ins[0].col, em, lp.mb, matmul_tables[1], matmul_tables[2]);
        fold(lp.ins[1].col, en, lp.nb, matmul_tables[3], matmul_tables[4]);
      }
      maker.inst.factors = {std::span<const Fp2>(matmul_tables[0]), std::span<const Fp2>(matmul_tables[1]),
                            std::span<const Fp2>(matmul_tables[3])};
      maker.masks = {std::span<const Fp>(), std::span<const Fp2>(matmul_tables[2]),
                     std::span<const Fp2>(matmul_tables[4])};
    } else if (lp.product) {
      maker.inst.eq_point = le.r;
      for (const auto& in : lp.ins) {
        const auto [v, mask] = first(in.col, ni);
        maker.inst.factors.push_back(v);
        maker.masks.push_back(mask);
      }
    } else {
      for (const auto& in : lp.ins) folded.push_back(in.fold(le.r, lp.kv));
      for (size_t j = 0; j < lp.ins.size(); ++j) {
        const auto [v, mask] = first(lp.ins[j].col, ni);
        maker.inst.factors.push_back(std::span<const Fp2>(folded[j]));
        maker.inst.factors.push_back(v);
        maker.masks.push_back(std::span<const Fp>());
        maker.masks.push_back(mask);
      }
    }
    const Fp2 K = sc::mask_factor(le.r) * poly::evaluate(std::span<const Fp2>(S), le.r);
    const sc::Mask maker_mask(T.subspan(lp.off_maker, sc::mask_entries(lp.d_maker)), lp.d_maker);
    auto om = sc::prove_zk(maker, le.reader_evals[0] - bias_at(lp, le.r), maker_mask, root, t, K);
    le.maker = om.proof;
    for (size_t j = 0; j < lp.ins.size(); ++j)
      le.x_evals.push_back(om.factor_evals[lp.matmul ? 1 + j : lp.product ? j : 2 * j + 1]);
    t.absorb("private.maker_evals", std::span<const Fp2>(le.x_evals));
    le.r_in = om.point, le.rho_maker = om.rho;
    le.reader.write(w);
    for (const auto& v : le.reader_evals) field::write(w, v);  // their count is the plan's
    le.maker.write(w);
    for (const auto& v : le.x_evals) field::write(w, v);
    ends.linears.push_back(std::move(le));
    extended.clear();  // this map's copies
  }
  lap("linear maps");
  for (const ProductCheck& pc : p.products) {
    const size_t no = size_t(1) << pc.nv;
    const std::vector<Fp2> tau = t.challenges("private.tau", pc.nv);
    const auto terms = pc.second.joined(pc.terms, t);
    const auto sel = selector(pc.out, pc.nv);
    sc::MaskedInstance zc{{{}, terms, tau}, {}};
    for (const Factor& f : pc.factors) {
      zc.inst.factors.push_back(value_of(f.col).subspan(f.block * no, no));
      zc.masks.push_back(mask_of(f.col).subspan(f.block * no, no));
    }
    if (pc.e_col != SIZE_MAX) {
      const auto [v, mask] = first(pc.e_col, no);
      zc.inst.factors.push_back(v);
      zc.masks.push_back(mask);
    }
    zc.inst.factors.push_back(std::span<const Fp>(sel));
    zc.masks.push_back(std::span<const Fp>());
    const sc::Mask mask(T.subspan(pc.off, sc::mask_entries(pc.degrees)), pc.degrees);
    auto out = sc::prove_zk(zc, Fp2::zero(), mask, root, t);
    ProductEnds pe{out.proof, {out.factor_evals.begin(), out.factor_evals.end() - 1}, out.point, out.rho};
    t.absorb("private.product_evals", std::span<const Fp2>(pe.evals));
    pe.proof.write(w);
    for (const auto& v : pe.evals) field::write(w, v);
    ends.products.push_back(std::move(pe));
    extended.clear();
  }
  lap("max and clamps");
  // The lookups: each one's alpha and beta, then every helper in one commitment, then
  // each one's sumcheck.
  std::vector<lk::ZkTables> lookup_tables;
  std::vector<std::vector<std::span<const Fp>>> public_tables;
  std::vector<lk::ZkChallenges> challenges;
  std::vector<lk::ZkHelpers> helper_values;
  // Each batched lookup's witness columns, their blocks side by side (freed after its rounds).
  std::vector<std::deque<std::vector<Fp>>> layouts(p.lookups.size());
  for (const LookupPlan& l : p.lookups) {
    auto& layout = layouts[lookup_tables.size()];
    lk::ZkTables& in = lookup_tables.emplace_back();
    for (const auto& blocks : l.cols) {
      if (blocks.size() == 1) {
        in.witness.push_back(value_of(blocks[0])), in.witness_mask.push_back(mask_of(blocks[0]));
        continue;
      }
      std::vector<std::span<const Fp>> values, masks;
      for (size_t c : blocks) values.push_back(value_of(c)), masks.push_back(mask_of(c));
      in.witness.push_back(layout.emplace_back(l.shape.witness.concat(values)));
      in.witness_mask.push_back(layout.emplace_back(l.shape.witness.concat(masks)));
    }
    in.m = value_of(l.m_col), in.m_mask = mask_of(l.m_col);
    public_tables.emplace_back(l.table.begin(), l.table.end());
    challenges.push_back(lk::zk_challenges(t, l.shape, false));
    auto h = lk::zk_helpers(l.shape, in, challenges.back());
    if (!h.ok()) return make_error("private proof: " + lookup_name(m, l) + ": " + h.error());
    helper_values.push_back(std::move(*h));
  }
  if (tamper.helpers) {
    std::vector<Fp2> sums;
    for (size_t li = 0; li < p.lookups.size(); ++li) {
      auto s = lk::zk_table_sum(p.lookups[li].shape, lookup_tables[li].m, public_tables[li], challenges[li]);
      if (!s.ok()) return make_error("private proof: " + s.error());
      sums.push_back(*s);
    }
    tamper.helpers(helper_values, sums);
  }
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> hp;
  if (p.helpers.members() > 0) {
    std::vector<std::span<const Fp>> hb;
    for (const auto& h : helper_values) hb.insert(hb.end(), h.begin(), h.end());
    std::deque<std::vector<Fp>> store;
    auto joint = pcs::commit_joint_hiding(p.helpers.tables(hb, store), pcs::derive_seed(seed, "private.helpers"), params,
                                          "private.helpers", 1, keep);
    if (!joint.ok()) return make_error("private proof: the lookups' helpers: " + joint.error());
    hp = std::move(*joint);
    ZK_TRY(check_layout(hp, p.helpers, "the helpers' layout"));
    w.raw(hp[0]->commitment().root);
    t.absorb("private.helper_root", hp[0]->commitment().root);
  }
  helper_values = {};
  lap("lookups' helpers");
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    lk::ZkHelperTables ht;
    for (size_t k = 0; k < lk::kZkHelpers; ++k) {
      const size_t b = p.helper_block(li, k);
      std::tie(ht.values[k], ht.masks[k]) = p.helpers.block(hp[p.helpers.member(b)]->evaluations(), b);
    }
    const sc::Mask mask(T.subspan(l.off, sc::mask_entries(l.degrees)), l.degrees);
    auto out = lk::prove_zk_rounds(l.shape, lookup_tables[li], public_tables[li], challenges[li], ht, mask, root, t);
    if (!out.ok()) return make_error("private proof: " + lookup_name(m, l) + ": " + out.error());
    out->rounds.write(w);
    layouts[li].clear();
    auto blocks = lookup_block_evals(l, value_of, mask_of, out->claims.point);
    if (tamper.lookup_blocks) {
      std::vector<Fp2> weights;  // each block's weight in its column's value
      for (size_t b = 0; b < l.shape.witness.blocks().size(); ++b)
        weights.push_back(lookup_block_weight(l, b, out->claims.point));
      tamper.lookup_blocks(li, weights, blocks);
    }
    for (const auto& v : blocks) field::write(w, v);  // their count is the plan's
    t.absorb("private.lookup_blocks", std::span<const Fp2>(blocks));
    ends.lookups.push_back(std::move(out->claims));
    ends.lookup_blocks.push_back(std::move(blocks));
  }
  lap("lookups");
  for (size_t o = 0; o < p.output_cols.size(); ++o) {
    ends.z.push_back(t.challenges("private.output", p.vars_of(p.output_cols[o])));
    ends.output_values.push_back(output_at(p.col_shape[p.output_cols[o]], st.outputs[o], ends.z.back()));
  }
  const Fp2 lambda = t.challenge("private.lambda");
  const Fp2 mu = t.challenge("private.merge");
  size_t merged = 0;
  auto claims = claims_of(p, ends, lambda, mu, merged);
  if (!claims.ok()) return make_error(claims.error());
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (const auto& c : *cp) ptrs.push_back(c.get());
  for (const auto& h : hp) ptrs.push_back(h.get());
  auto opening = pcs::open_hiding(ptrs, *claims, t, params, pcs::derive_seed(seed, "private.opening"));
  if (!opening.ok()) return make_error("private proof: opening: " + opening.error());
  w.u64(opening->size());
  w.raw(*opening);
  lap("opening");
  clock.log("private proof");
  return w.take();
}

Status verify_private(const PrivateStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params,
                      transcript::SoundnessLedger* soundness) {
  auto plan = plan_for(st);
  if (!plan.ok()) return make_error(plan.error());
  const Plan& p = *plan;
  std::vector<hash::Digest> shared_roots;
  if (st.slice) {
    auto roots = shared_roots_of(st, p);
    if (!roots.ok()) return make_error(roots.error());
    shared_roots = std::move(*roots);
  }
  util::ByteReader r(bytes);
  uint32_t version = 0;
  hash::Digest root{};
  if (!r.u32(version) || version != kPrivateVersion) return make_error("private proof: unknown version");
  if (!r.raw(root)) return make_error("private proof: truncated header");
  transcript::Transcript t("zkslice-private-v1");
  transcript::SoundnessLedger ledger;
  t.set_ledger(&ledger);
  absorb_statement(t, st, p, params, root, shared_roots);
  auto members = members_of(p.units, root);
  for (size_t i = 0; i < p.shared.size(); ++i) {
    const size_t j = p.member(p.shared[i].col);
    if (j != members.size()) return make_error("private proof: internal error: a shared tensor's member");
    members.push_back(pcs::Commitment{shared_roots[i], p.units.member_vars(j), {}, 0});
  }
  Ends ends;
  for (const LinearPlan& lp : p.linears) {
    auto fail = [&](const std::string& what) {
      return step_error(*st.model, lp.node,
                        "private proof: map " + std::to_string(&lp - p.linears.data()) + ": " + what);
    };
    const std::vector<Fp2> tau = t.challenges("private.tau", lp.nv);
    transcript::charge_point(t, lp.nv);
    const auto terms = lp.second.joined(lp.terms, t);
    LinearEnds le;
    auto reader = sc::ZkProof::read(r, lp.d_reader);
    if (!reader.ok()) return fail("requant: " + reader.error());
    le.reader = std::move(reader).value();
    le.reader_evals.resize(1 + lp.reader_cols().size());
    for (auto& v : le.reader_evals)
      if (!field::read(r, v).ok()) return fail("requant: truncated values");
    auto maker = sc::ZkProof::read(r, lp.d_maker);
    if (!maker.ok()) return fail("linear map: " + maker.error());
    le.maker = std::move(maker).value();
    le.x_evals.resize(lp.ins.size());
    for (auto& v : le.x_evals)
      if (!field::read(r, v).ok()) return fail("linear map: truncated values");
    auto s1 = sc::verify_zk(Fp2::zero(), lp.d_reader, root, le.reader, t);
    if (!s1.ok()) return fail("requant: " + s1.error());
    std::vector<Fp2> evals = le.reader_evals;
    const auto sel = selector(lp.out, lp.nv);
    evals.push_back(poly::evaluate(std::span<const Fp>(sel), s1->point));
    if (auto c = sc::check_final(*s1, evals, tau, terms); !c.ok())
      return fail((lp.second.empty() ? "requant: " : "requant and clamp: ") + c.error());
    t.absorb("private.reader_evals", std::span<const Fp2>(le.reader_evals));
    le.r = s1->point, le.rho_reader = s1->rho;
    auto s2 = sc::verify_zk(le.reader_evals[0] - bias_at(lp, le.r), lp.d_maker, root, le.maker, t);
    if (!s2.ok()) return fail("linear map: " + s2.error());
    std::vector<Fp2> maker_evals;
    if (lp.matmul) {  // eq(r_b, b) times the extension's factor, constant in k
      const auto mp = matmul_point(lp, le.r);
      const auto rb = std::span<const Fp2>(s2->point).subspan(lp.kb, lp.bb);
      Fp2 e = mp.extra;
      for (unsigned i = 0; i < lp.bb; ++i) e *= mp.b[i] * rb[i] + (Fp2::one() - mp.b[i]) * (Fp2::one() - rb[i]);
      maker_evals = {e, le.x_evals[0], le.x_evals[1]};
    } else if (lp.product) {
      maker_evals = le.x_evals;
    } else {
      for (size_t j = 0; j < lp.ins.size(); ++j) {
        const auto folded = lp.ins[j].fold(le.r, lp.kv);  // the verifier's own M_j(r, .)
        maker_evals.push_back(poly::evaluate(std::span<const Fp2>(folded), s2->point));
        maker_evals.push_back(le.x_evals[j]);
      }
    }
    const std::span<const Fp2> maker_eq = lp.product ? std::span<const Fp2>(le.r) : std::span<const Fp2>();
    if (auto c = sc::check_final(*s2, maker_evals, maker_eq, lp.maker_terms); !c.ok())
      return fail("linear map: " + c.error());
    t.absorb("private.maker_evals", std::span<const Fp2>(le.x_evals));
    le.r_in = s2->point, le.rho_maker = s2->rho;
    ends.linears.push_back(std::move(le));
  }
  for (const ProductCheck& pc : p.products) {
    const QNode& n = st.model->nodes[pc.node];
    const std::vector<Fp2> tau = t.challenges("private.tau", pc.nv);
    transcript::charge_point(t, pc.nv);
    const auto terms = pc.second.joined(pc.terms, t);
    const std::string what = "private proof: " + pc.what + ": ";
    auto proof = sc::ZkProof::read(r, pc.degrees);
    if (!proof.ok()) return node_error(n, what + proof.error());
    ProductEnds pe;
    pe.proof = std::move(proof).value();
    pe.evals.resize(pc.masked_count());
    for (auto& v : pe.evals)
      if (!field::read(r, v).ok()) return node_error(n, what + "truncated values");
    auto sub = sc::verify_zk(Fp2::zero(), pc.degrees, root, pe.proof, t);
    if (!sub.ok()) return node_error(n, what + sub.error());
    std::vector<Fp2> evals = pe.evals;
    const auto sel = selector(pc.out, pc.nv);
    evals.push_back(poly::evaluate(std::span<const Fp>(sel), sub->point));
    if (auto c = sc::check_final(*sub, evals, tau, terms); !c.ok()) return node_error(n, what + c.error());
    t.absorb("private.product_evals", std::span<const Fp2>(pe.evals));
    pe.r = sub->point, pe.rho = sub->rho;
    ends.products.push_back(std::move(pe));
  }
  std::vector<lk::ZkChallenges> challenges;
  for (const LookupPlan& l : p.lookups) challenges.push_back(lk::zk_challenges(t, l.shape, true));
  std::vector<pcs::Commitment> comms = members;
  if (p.helpers.members() > 0) {
    hash::Digest helper_root{};
    if (!r.raw(helper_root)) return make_error("private proof: the lookups' helpers: truncated root");
    t.absorb("private.helper_root", helper_root);
    for (auto& c : members_of(p.helpers, helper_root)) comms.push_back(std::move(c));
  }
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    auto fail = [&](const std::string& what) {
      return make_error("private proof: " + lookup_name(*st.model, l) + ": " + what);
    };
    auto rounds = lk::ZkRounds::read(r, l.shape);
    if (!rounds.ok()) return fail(rounds.error());
    auto claims = lk::verify_zk_rounds(l.shape, l.table, challenges[li], *rounds, root, t);
    if (!claims.ok()) return fail(claims.error());
    std::vector<Fp2> blocks(l.cols.size() * l.shape.witness.blocks().size());
    for (auto& v : blocks)
      if (!field::read(r, v).ok()) return fail("truncated block values");
    if (Status bs = check_lookup_blocks(l, *claims, blocks); !bs) return fail(bs.error());
    t.absorb("private.lookup_blocks", std::span<const Fp2>(blocks));
    ends.lookups.push_back(std::move(claims).value());
    ends.lookup_blocks.push_back(std::move(blocks));
  }
  for (size_t o = 0; o < p.output_cols.size(); ++o) {
    ends.z.push_back(t.challenges("private.output", p.vars_of(p.output_cols[o])));
    transcript::charge_point(t, p.vars_of(p.output_cols[o]));
    ends.output_values.push_back(output_at(p.col_shape[p.output_cols[o]], st.outputs[o], ends.z.back()));
  }
  const Fp2 lambda = t.challenge("private.lambda");
  transcript::charge_powers(t, 2 * p.linears.size() + p.products.size() + p.lookups.size());
  const Fp2 mu = t.challenge("private.merge");
  size_t merged = 0;
  auto claims = claims_of(p, ends, lambda, mu, merged);
  if (!claims.ok()) return make_error(claims.error());
  transcript::charge_powers(t, std::max<size_t>(merged, 1));  // every group's polynomial in mu
  uint64_t len = 0;
  if (!r.u64(len) || len != r.remaining()) return make_error("private proof: the opening's length is wrong");
  if (auto s = pcs::verify_hiding(comms, *claims, bytes.subspan(r.position()), t, params); !s.ok())
    return make_error("private proof: opening: " + s.error());
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
