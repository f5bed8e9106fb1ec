#include "circuits/gadgets/table.hpp"

#include <bit>
#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

constexpr unsigned kMaxTableBits = 16;

lookup::Shape lookup_shape(const TableShape& s) {
  return lookup::Shape{s.layout, s.table->in_bits(), 2};
}

// Per-block claims at the low part of the lookup's witness point.
std::vector<EvalClaim> block_claims(const TableShape& s, std::span<const Fp2> point, std::span<const Fp2> evals) {
  std::vector<EvalClaim> out;
  for (size_t b = 0; b < evals.size(); ++b) {
    auto k = s.layout.blocks()[b].num_vars();
    out.push_back({std::vector<Fp2>(point.begin(), point.begin() + k), evals[b]});
  }
  return out;
}

std::vector<Fp> table_column(const FunctionTable& t, bool inputs) {
  std::vector<Fp> col(t.values.size());
  for (size_t i = 0; i < col.size(); ++i)
    col[i] = Fp::from_i64(inputs ? t.in_lo + int64_t(i) : t.values[i]);
  return col;
}

void absorb_statement(transcript::Transcript& t, const TableShape& s) {
  t.absorb("table.hash", s.table->content_hash());
}

}  // namespace

unsigned FunctionTable::in_bits() const { return poly::log2_ceil(values.size()); }

Status FunctionTable::check() const {
  if (values.empty() || !std::has_single_bit(values.size()) || in_bits() > kMaxTableBits)
    return make_error("table: " + std::to_string(values.size()) + " entries is not 2^B with B <= 16");
  if (in_lo <= -(int64_t(1) << 40) || in_lo >= (int64_t(1) << 40)) return make_error("table: input offset out of range");
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i] <= -(int64_t(1) << 62) || values[i] >= (int64_t(1) << 62))
      return make_error("table: entry " + std::to_string(i) + " out of range");
  return {};
}

hash::Digest FunctionTable::content_hash() const {
  hash::Hasher h(hash::Domain::Commitment);
  h.update_u64(static_cast<uint64_t>(in_lo)).update_u64(values.size());
  for (int64_t v : values) h.update_u64(static_cast<uint64_t>(v));
  return h.finalize();
}

Status TableShape::check() const {
  if (!table) return make_error("table: no table");
  ZK_TRY(table->check());
  if (layout.num_vars() > 28 || layout.blocks().size() > 64) return make_error("table: tensors too large");
  for (const auto& b : layout.blocks())
    if (b.dims().size() > 8) return make_error("table: more than 8 axes");
  return {};
}

Result<std::vector<Fp>> apply_table(const FunctionTable& table, const poly::PaddedShape& shape,
                                    std::span<const int64_t> x) {
  ZK_TRY(table.check());
  if (x.size() != shape.padded_size()) return make_error("table: input has the wrong size");
  std::vector<Fp> y(x.size(), Fp::zero());
  const int64_t n = int64_t(table.values.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (!shape.is_real(i)) continue;
    int64_t k = x[i] - table.in_lo;
    if (k < 0 || k >= n)
      return make_error("table: input " + std::to_string(x[i]) + " at entry " + std::to_string(i) + " is outside [" +
                        std::to_string(table.in_lo) + ", " + std::to_string(table.in_lo + n) + ")");
    y[i] = Fp::from_i64(table.values[size_t(k)]);
  }
  return y;
}

Result<std::vector<Fp>> table_multiplicities(const TableShape& s, const std::vector<std::span<const Fp>>& xs) {
  ZK_TRY(s.check());
  if (xs.size() != s.layout.blocks().size()) return make_error("table: one input per block expected");
  std::vector<uint64_t> counts(s.table->values.size(), 0);
  for (size_t b = 0; b < xs.size(); ++b)
    for (size_t i = 0; i < xs[b].size(); ++i) {
      if (!s.layout.blocks()[b].is_real(i)) continue;
      int64_t k = xs[b][i].to_i64_centered() - s.table->in_lo;
      if (k < 0 || k >= int64_t(counts.size()))
        return make_error("table: block " + std::to_string(b) + " entry " + std::to_string(i) + " is outside the table");
      ++counts[size_t(k)];
    }
  std::vector<Fp> m(counts.size());
  for (size_t j = 0; j < m.size(); ++j) m[j] = Fp(counts[j]);
  return m;
}

TableProverOutput prove_table(const TableShape& s, const std::vector<std::span<const Fp>>& xs,
                              const std::vector<std::span<const Fp>>& ys, std::span<const Fp> multiplicities,
                              transcript::Transcript& t) {
  ZK_ASSERT(s.check().ok() && xs.size() == s.layout.blocks().size() && ys.size() == xs.size());
  absorb_statement(t, s);
  auto tx = table_column(*s.table, true), ty = table_column(*s.table, false);
  auto x = s.layout.concat(xs), y = s.layout.concat(ys);
  lookup::Input in{{x, y}, {tx, ty}, s.layout};
  auto lk = lookup::prove(in, multiplicities, t);
  TableProverOutput out;
  const auto& pt = lk.claims.witness_point;
  for (size_t b = 0; b < xs.size(); ++b) {
    auto low = std::span<const Fp2>(pt).first(s.layout.blocks()[b].num_vars());
    out.proof.input_evals.push_back(poly::evaluate(xs[b], low));
    out.proof.output_evals.push_back(poly::evaluate(ys[b], low));
  }
  t.absorb("table.input_evals", std::span<const Fp2>(out.proof.input_evals));
  t.absorb("table.output_evals", std::span<const Fp2>(out.proof.output_evals));
  out.claims.inputs = block_claims(s, pt, out.proof.input_evals);
  out.claims.outputs = block_claims(s, pt, out.proof.output_evals);
  out.claims.multiplicities = {lk.claims.table_point, lk.claims.m_eval};
  out.proof.lookup = std::move(lk.proof);
  return out;
}

Result<TableClaims> verify_table(const TableShape& s, const TableProof& proof, transcript::Transcript& t) {
  ZK_TRY(s.check());
  absorb_statement(t, s);
  auto lk = lookup::verify(lookup_shape(s), proof.lookup, t);
  if (!lk.ok()) return make_error("table: " + lk.error());
  // The table's columns at the lookup's point, computed here: in_lo + sum_i 2^i r_i
  // (the eq weights sum to one) and the MLE of the values.
  Fp2 idx = Fp2::zero();
  for (size_t i = lk->table_point.size(); i-- > 0;) idx = idx + idx + lk->table_point[i];
  if (lk->table_evals[0] != Fp2(Fp::from_i64(s.table->in_lo)) + idx)
    return make_error("table: the input column is not the table's domain");
  auto ty = table_column(*s.table, false);
  if (lk->table_evals[1] != poly::evaluate(ty, lk->table_point))
    return make_error("table: the output column is not the function table");
  // The lookup's witness claims must be the blocks' claims laid side by side.
  const size_t nb = s.layout.blocks().size();
  if (proof.input_evals.size() != nb || proof.output_evals.size() != nb)
    return make_error("table: wrong number of block evaluations");
  if (lk->witness_evals[0] != s.layout.combine(lk->witness_point, proof.input_evals) ||
      lk->witness_evals[1] != s.layout.combine(lk->witness_point, proof.output_evals))
    return make_error("table: the looked-up rows are not the tensors' entries");
  t.absorb("table.input_evals", std::span<const Fp2>(proof.input_evals));
  t.absorb("table.output_evals", std::span<const Fp2>(proof.output_evals));
  TableClaims claims;
  claims.inputs = block_claims(s, lk->witness_point, proof.input_evals);
  claims.outputs = block_claims(s, lk->witness_point, proof.output_evals);
  claims.multiplicities = {lk->table_point, lk->m_eval};
  return claims;
}

void TableProof::write(util::ByteWriter& w) const {
  lookup.write(w);
  for (const auto* v : {&input_evals, &output_evals})
    for (const auto& e : *v) field::write(w, e);
}

Result<TableProof> TableProof::read(util::ByteReader& r, const TableShape& s) {
  ZK_TRY(s.check());
  auto lk = lookup::Proof::read(r, lookup_shape(s));
  if (!lk.ok()) return make_error("table proof: " + lk.error());
  TableProof p{std::move(lk).value(), {}, {}};
  const size_t nb = s.layout.blocks().size();
  p.input_evals.resize(nb);
  p.output_evals.resize(nb);
  for (auto* v : {&p.input_evals, &p.output_evals})
    for (auto& e : *v) ZK_TRY(field::read(r, e));
  return p;
}

}  // namespace zks::circuits
