#include "circuits/gadgets/table.hpp"

#include <algorithm>
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
    col[i] = Fp::from_i64(inputs ? t.input(i) : t.values[i]);
  return col;
}

void absorb_statement(transcript::Transcript& t, const TableShape& s) {
  if (s.whole) t.absorb("table.whole_hash", s.whole->content_hash());
  t.absorb("table.hash", s.table->content_hash());
}

}  // namespace

unsigned FunctionTable::in_bits() const { return poly::log2_ceil(values.size()); }

std::optional<size_t> FunctionTable::row_of(int64_t x) const {
  if (inputs.empty()) {
    if (x < in_lo || x - in_lo >= int64_t(values.size())) return std::nullopt;
    return size_t(x - in_lo);
  }
  auto it = std::lower_bound(inputs.begin(), inputs.end(), x);
  if (it == inputs.end() || *it != x) return std::nullopt;
  return size_t(it - inputs.begin());
}

Status FunctionTable::check() const {
  if (values.empty() || !std::has_single_bit(values.size()) || in_bits() > kMaxTableBits)
    return make_error("table: " + std::to_string(values.size()) + " entries is not 2^B with B <= 16");
  if (in_lo <= -(int64_t(1) << 40) || in_lo >= (int64_t(1) << 40)) return make_error("table: input offset out of range");
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i] <= -(int64_t(1) << 62) || values[i] >= (int64_t(1) << 62))
      return make_error("table: entry " + std::to_string(i) + " out of range");
  if (!inputs.empty()) {
    if (inputs.size() != values.size()) return make_error("table: the inputs and the values differ in number");
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i] <= -(int64_t(1) << 40) || inputs[i] >= (int64_t(1) << 40) || (i > 0 && inputs[i] <= inputs[i - 1]))
        return make_error("table: the inputs are not strictly increasing in range");
  }
  return {};
}

namespace {
// A list of 64 entries or more is absorbed as the digests of its eight equal chunks,
// hashed side by side (hash::hash_many: eight BLAKE2b lanes at once); a shorter one
// entry by entry. Both sides absorb every table a slice looks into (its windows' whole
// tables too), about 4 MB on age, so this is a fifth of its verification otherwise.
void absorb_list(hash::Hasher& h, std::span<const int64_t> v) {
  static_assert(std::endian::native == std::endian::little, "entries are hashed as little-endian bytes");
  constexpr size_t kChunks = 8;
  if (v.size() < 8 * kChunks || v.size() % kChunks != 0) {
    h.update_i64s(v);
    return;
  }
  const size_t bytes = v.size() / kChunks * sizeof(int64_t);
  std::array<hash::Digest, kChunks> d;
  hash::hash_many(hash::Domain::Commitment, reinterpret_cast<const uint8_t*>(v.data()), bytes, bytes, kChunks, d.data());
  for (const auto& x : d) h.update(x);
}
}  // namespace

hash::Digest FunctionTable::content_hash() const {
  hash::Hasher h(hash::Domain::Commitment);
  h.update_u64(static_cast<uint64_t>(in_lo)).update_u64(values.size());
  absorb_list(h, values);
  if (!inputs.empty()) {
    h.update_u64(inputs.size());
    absorb_list(h, inputs);
  }
  return h.finalize();
}

Status TableShape::check() const {
  if (!table) return make_error("table: no table");
  ZK_TRY(table->check());
  if (whole) ZK_TRY(whole->check());
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
  const auto real = shape.real_mask();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!real[i]) continue;
    auto k = table.row_of(x[i]);
    if (!k)
      return make_error("table: input " + std::to_string(x[i]) + " at entry " + std::to_string(i) + " is outside [" +
                        std::to_string(table.input(0)) + ", " + std::to_string(table.input(table.values.size() - 1)) + "]");
    y[i] = Fp::from_i64(table.values[*k]);
  }
  return y;
}

Result<FunctionTable> table_window(const FunctionTable& t, const TableWindow& w) {
  ZK_TRY(t.check());
  if (!t.inputs.empty()) return make_error("table: a window of a window");
  const unsigned full = t.in_bits();
  const size_t n = size_t(1) << std::min(w.bits, 63u);
  FunctionTable out;
  if (w.rows.empty()) {
    if (w.bits > full || uint64_t(w.first) + n > t.values.size())
      return make_error("table: a window of 2^" + std::to_string(w.bits) + " entries from entry " +
                        std::to_string(w.first) + " is outside a table of 2^" + std::to_string(full));
    out.in_lo = t.in_lo + int64_t(w.first);
    out.values.assign(t.values.begin() + std::ptrdiff_t(w.first), t.values.begin() + std::ptrdiff_t(w.first + n));
    return out;
  }
  if (w.bits > std::min(full, kMaxWindowRowBits) || w.rows.size() != n)
    return make_error("table: a window of " + std::to_string(w.rows.size()) + " rows is not 2^" + std::to_string(w.bits) +
                      " rows of at most 2^" + std::to_string(std::min(full, kMaxWindowRowBits)));
  for (size_t i = 0; i < n; ++i) {
    if (w.rows[i] >= t.values.size() || (i > 0 && w.rows[i] <= w.rows[i - 1]))
      return make_error("table: the window's rows are not strictly increasing rows of the table");
    out.inputs.push_back(t.in_lo + int64_t(w.rows[i]));
    out.values.push_back(t.values[w.rows[i]]);
  }
  out.in_lo = out.inputs[0];
  return out;
}

namespace {
// Calls f(k) with the table index k of every real input; fails on one outside the table.
template <typename F>
Status for_each_index(const TableShape& s, const std::vector<std::span<const Fp>>& xs, F&& f) {
  ZK_TRY(s.check());
  if (xs.size() != s.layout.blocks().size()) return make_error("table: one input per block expected");
  for (size_t b = 0; b < xs.size(); ++b) {
    const auto real = s.layout.blocks()[b].real_mask();
    if (xs[b].size() != real.size()) return make_error("table: block " + std::to_string(b) + " has the wrong size");
    for (size_t i = 0; i < xs[b].size(); ++i) {
      if (!real[i]) continue;
      auto k = s.table->row_of(xs[b][i].to_i64_centered());
      if (!k) return make_error("table: block " + std::to_string(b) + " entry " + std::to_string(i) + " is outside the table");
      f(uint64_t(*k));
    }
  }
  return {};
}
}  // namespace

Result<std::vector<Fp>> table_multiplicities(const TableShape& s, const std::vector<std::span<const Fp>>& xs) {
  std::vector<uint64_t> counts(s.table ? s.table->values.size() : 0, 0);
  ZK_TRY(for_each_index(s, xs, [&](uint64_t k) { ++counts[k]; }));
  std::vector<Fp> m(counts.size());
  for (size_t j = 0; j < m.size(); ++j) m[j] = Fp(counts[j]);
  return m;
}

Result<TableWindow> smallest_window(const TableShape& s, const std::vector<std::span<const Fp>>& xs) {
  std::vector<bool> used(s.table ? s.table->values.size() : 0, false);
  uint64_t lo = UINT64_MAX, hi = 0, distinct = 0;
  ZK_TRY(for_each_index(s, xs, [&](uint64_t k) {
    lo = std::min(lo, k), hi = std::max(hi, k);
    if (!used[k]) used[k] = true, ++distinct;
  }));
  if (distinct == 0) return TableWindow{};
  // 2^bits > hi - lo entries from lo, moved down where they would pass the table's end;
  // or the rows used, where fewer.
  const unsigned bits = unsigned(std::bit_width(hi - lo)), row_bits = unsigned(std::bit_width(distinct - 1));
  if (row_bits >= bits || row_bits > kMaxWindowRowBits)
    return TableWindow{bits, uint32_t(std::min<uint64_t>(lo, used.size() - (uint64_t(1) << bits))), {}};
  TableWindow w{row_bits, 0, {}};
  for (uint64_t k = 0, spare = (uint64_t(1) << row_bits) - distinct; k < used.size(); ++k)
    if (used[k] || (spare > 0 && spare--)) w.rows.push_back(uint32_t(k));
  return w;
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
  // (the eq weights sum to one), or the MLE of a row selection's inputs, and the MLE of
  // the values.
  Fp2 in_eval = Fp2::zero();
  if (s.table->inputs.empty()) {
    for (size_t i = lk->table_point.size(); i-- > 0;) in_eval = in_eval + in_eval + lk->table_point[i];
    in_eval = in_eval + Fp2(Fp::from_i64(s.table->in_lo));
  } else {
    in_eval = poly::evaluate(table_column(*s.table, true), lk->table_point);
  }
  if (lk->table_evals[0] != in_eval) return make_error("table: the input column is not the table's domain");
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
