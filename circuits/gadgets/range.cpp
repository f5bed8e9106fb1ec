#include "circuits/gadgets/range.hpp"

#include <algorithm>
#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

// One block of the witness: term `term`, scaled by 2^shift (shift 0 or B - bits).
struct Block {
  size_t term;
  unsigned shift;
};

std::vector<Block> blocks_of(const RangeShape& s) {
  std::vector<Block> out;
  for (size_t i = 0; i < s.terms.size(); ++i) {
    out.push_back({i, 0});
    if (s.terms[i].bits < s.table_bits) out.push_back({i, s.table_bits - s.terms[i].bits});
  }
  return out;
}

// The blocks stacked by size (poly::BlockLayout): no column is padded to the largest.
poly::BlockLayout layout_of(const RangeShape& s) {
  std::vector<poly::PaddedShape> shapes;
  for (const auto& b : blocks_of(s)) shapes.push_back(s.terms[b.term].shape);
  return poly::BlockLayout(std::move(shapes));
}

// Every witness row is looked up: padded rows hold zero, which is in the table.
lookup::Shape lookup_shape(const RangeShape& s) {
  return lookup::Shape{poly::PaddedShape::flat(uint64_t(1) << s.witness_vars()), s.table_bits, 1};
}

// A checked value's statement: its shape, width and offset (terms and splits alike).
void write_bound(util::ByteWriter& w, const poly::PaddedShape& shape, unsigned bits, int64_t offset) {
  w.u32(static_cast<uint32_t>(shape.dims().size()));
  for (uint32_t d : shape.dims()) w.u32(d);
  w.u32(bits);
  w.u64(static_cast<uint64_t>(offset));
}

// The statement (every term) goes into the transcript before any challenge.
void absorb_terms(transcript::Transcript& t, const RangeShape& s) {
  util::ByteWriter w;
  w.u32(s.table_bits);
  w.u32(static_cast<uint32_t>(s.terms.size()));
  for (const auto& term : s.terms) {
    w.u32(term.column);
    write_bound(w, term.shape, term.bits, term.offset);
  }
  t.absorb_bytes("range.terms", w.bytes());
}

// The identity table's MLE: sum_i 2^i x_i.
Fp2 identity_eval(std::span<const Fp2> x) {
  Fp2 acc = Fp2::zero();
  for (size_t i = x.size(); i-- > 0;) acc = acc + acc + x[i];
  return acc;
}

// The witness MLE at `point` from the terms' column evaluations at its low part.
Fp2 recombine(const RangeShape& s, std::span<const Fp2> point, std::span<const Fp2> column_evals) {
  const auto layout = layout_of(s);
  const auto blocks = blocks_of(s);
  std::vector<Fp2> vals;
  for (const auto& b : blocks) {
    const RangeTerm& term = s.terms[b.term];
    auto low = point.first(term.num_vars());
    vals.push_back((column_evals[b.term] + Fp2(Fp::from_i64(term.offset)) * term.shape.selector(low)) *
                   Fp2(Fp(uint64_t(1) << b.shift)));
  }
  return layout.combine(point, vals);
}

}  // namespace

Status RangeShape::check() const {
  if (terms.empty()) return make_error("range: no terms");
  if (terms.size() > (1u << 12)) return make_error("range: too many terms");
  if (table_bits != 8 && table_bits != kRangeBits) return make_error("range: the table must be [0, 2^8) or [0, 2^16)");
  for (size_t i = 0; i < terms.size(); ++i) {
    const auto& t = terms[i];
    std::string at = "range term " + std::to_string(i) + ": ";
    if (t.bits < 1 || t.bits > table_bits) return make_error(at + "bits must be 1.." + std::to_string(table_bits));
    if (t.num_vars() > 28) return make_error(at + "column larger than 2^28");
    if (t.shape.dims().size() > 8) return make_error(at + "more than 8 axes");
    if (t.offset <= -(int64_t(1) << 40) || t.offset >= (int64_t(1) << 40)) return make_error(at + "offset out of range");
  }
  if (witness_vars() > 30) return make_error("range: witness larger than 2^30");
  return {};
}

size_t RangeShape::num_blocks() const { return blocks_of(*this).size(); }
unsigned RangeShape::witness_vars() const { return layout_of(*this).num_vars(); }

std::vector<Fp> range_stack(const RangeShape& s, const std::vector<std::span<const Fp>>& columns) {
  ZK_ASSERT(columns.size() == s.terms.size());
  const auto layout = layout_of(s);
  std::vector<Fp> stack(layout.padded_size(), Fp::zero());
  const auto blocks = blocks_of(s);
  for (size_t bi = 0; bi < blocks.size(); ++bi) {
    const RangeTerm& term = s.terms[blocks[bi].term];
    auto col = columns[blocks[bi].term];
    ZK_ASSERT(col.size() == term.shape.padded_size());
    Fp* dst = stack.data() + layout.offset(bi);
    const auto real = term.shape.real_mask();
    const Fp offset = Fp::from_i64(term.offset), scale(uint64_t(1) << blocks[bi].shift);
    for (size_t x = 0; x < col.size(); ++x) dst[x] = (real[x] ? col[x] + offset : col[x]) * scale;
  }
  return stack;
}

Result<RangeWitness> range_witness(const RangeShape& s, const std::vector<std::span<const Fp>>& columns) {
  ZK_TRY(s.check());
  RangeWitness w;
  w.witness = range_stack(s, columns);
  std::vector<uint64_t> counts(size_t(1) << s.table_bits, 0);
  const auto layout = layout_of(s);
  const auto blocks = blocks_of(s);
  size_t filled = 0;
  for (size_t bi = 0; bi < blocks.size(); ++bi) {
    const RangeTerm& term = s.terms[blocks[bi].term];
    const Fp* v = w.witness.data() + layout.offset(bi);
    for (size_t x = 0; x < term.shape.padded_size(); ++x) {
      uint64_t u = v[x].value();
      if (u >> s.table_bits) {
        const auto col = columns[blocks[bi].term];
        return make_error("range term " + std::to_string(blocks[bi].term) + " (column " +
                          std::to_string(term.column) + "): row " + std::to_string(x) + " value " +
                          std::to_string(col[x].to_i64_centered()) + " + offset " + std::to_string(term.offset) +
                          " is outside [0, 2^" + std::to_string(term.bits) + ")");
      }
      ++counts[u];
    }
    filled += term.shape.padded_size();
  }
  counts[0] += w.witness.size() - filled;  // the stack's zero tail
  w.multiplicities.resize(counts.size());
  for (size_t j = 0; j < counts.size(); ++j) w.multiplicities[j] = Fp(counts[j]);
  return w;
}

RangeProverOutput prove_range(const RangeShape& s, const std::vector<std::span<const Fp>>& columns,
                              const RangeWitness& w, transcript::Transcript& t) {
  ZK_ASSERT(s.check().ok() && columns.size() == s.terms.size());
  std::vector<Fp> table(size_t(1) << s.table_bits);
  for (size_t j = 0; j < table.size(); ++j) table[j] = Fp(j);
  absorb_terms(t, s);
  lookup::Input in{{w.witness}, {table}, poly::PaddedShape::flat(w.witness.size())};
  auto lk = lookup::prove(in, w.multiplicities, t);
  RangeProverOutput out;
  const auto low = std::span<const Fp2>(lk.claims.witness_point);
  for (size_t i = 0; i < s.terms.size(); ++i) {
    std::vector<Fp2> pt(low.begin(), low.begin() + s.terms[i].num_vars());
    Fp2 v = poly::evaluate(columns[i], pt);
    out.proof.column_evals.push_back(v);
    out.claims.columns.push_back({s.terms[i].column, {std::move(pt), v}});
  }
  t.absorb("range.column_evals", std::span<const Fp2>(out.proof.column_evals));
  out.claims.multiplicities = {lk.claims.table_point, lk.claims.m_eval};
  out.proof.lookup = std::move(lk.proof);
  return out;
}

Result<RangeClaims> verify_range(const RangeShape& s, const RangeProof& proof, transcript::Transcript& t) {
  ZK_TRY(s.check());
  if (proof.column_evals.size() != s.terms.size()) return make_error("range: wrong number of column evaluations");
  absorb_terms(t, s);
  auto lk = lookup::verify(lookup_shape(s), proof.lookup, t);
  if (!lk.ok()) return make_error("range: " + lk.error());
  if (lk->table_evals[0] != identity_eval(lk->table_point))
    return make_error("range: the table is not [0, 2^" + std::to_string(s.table_bits) + ")");
  if (lk->witness_evals[0] != recombine(s, lk->witness_point, proof.column_evals))
    return make_error("range: the looked-up values are not the committed columns");
  t.absorb("range.column_evals", std::span<const Fp2>(proof.column_evals));
  RangeClaims claims;
  const auto low = std::span<const Fp2>(lk->witness_point);
  for (size_t i = 0; i < s.terms.size(); ++i)
    claims.columns.push_back({s.terms[i].column,
                              {std::vector<Fp2>(low.begin(), low.begin() + s.terms[i].num_vars()),
                               proof.column_evals[i]}});
  claims.multiplicities = {lk->table_point, lk->m_eval};
  return claims;
}

void RangeProof::write(util::ByteWriter& w) const {
  lookup.write(w);
  for (const auto& e : column_evals) field::write(w, e);
}

Result<RangeProof> RangeProof::read(util::ByteReader& r, const RangeShape& shape) {
  ZK_TRY(shape.check());
  auto lk = lookup::Proof::read(r, lookup_shape(shape));
  if (!lk.ok()) return make_error("range proof: " + lk.error());
  RangeProof p;
  p.lookup = std::move(lk).value();
  p.column_evals.resize(shape.terms.size());
  for (auto& e : p.column_evals) ZK_TRY(field::read(r, e));
  return p;
}

namespace {
constexpr unsigned kLimbBits = 8;

void absorb_splits(transcript::Transcript& t, std::span<const RangeSplit> splits) {
  util::ByteWriter w;
  w.u32(static_cast<uint32_t>(splits.size()));
  for (const auto& s : splits) {
    for (uint32_t id : {s.column, s.lo, s.hi}) w.u32(id);
    write_bound(w, s.shape, s.bits, s.offset);
  }
  t.absorb_bytes("range.splits", w.bytes());
}
}  // namespace

Status RangeSplit::check() const {
  if (bits <= kLimbBits || bits > kRangeBits) return make_error("range split: bits must be 9..16");
  if (shape.num_vars() > 28) return make_error("range split: column larger than 2^28");
  if (offset <= -(int64_t(1) << 40) || offset >= (int64_t(1) << 40)) return make_error("range split: offset out of range");
  return {};
}

Result<RangeLimbs> split_limbs(const RangeSplit& s, std::span<const Fp> column) {
  ZK_TRY(s.check());
  if (column.size() != s.shape.padded_size()) return make_error("range split: column of the wrong size");
  RangeLimbs out{std::vector<Fp>(column.size()), std::vector<Fp>(column.size())};
  const auto real = s.shape.real_mask();
  for (size_t x = 0; x < column.size(); ++x) {
    Fp v = column[x];
    if (real[x]) v += Fp::from_i64(s.offset);
    const uint64_t u = v.value();
    if (u >> s.bits)
      return make_error("range split (column " + std::to_string(s.column) + "): row " + std::to_string(x) +
                        " value " + std::to_string(column[x].to_i64_centered()) + " + offset " +
                        std::to_string(s.offset) + " is outside [0, 2^" + std::to_string(s.bits) + ")");
    out.lo[x] = Fp(u & ((1u << kLimbBits) - 1));
    out.hi[x] = Fp(u >> kLimbBits);
  }
  return out;
}

std::vector<ColumnClaim> prove_splits(std::span<const RangeSplit> splits,
                                      const std::vector<std::span<const Fp>>& columns, SplitProof& proof,
                                      transcript::Transcript& t) {
  ZK_ASSERT(columns.size() == 3 * splits.size());
  absorb_splits(t, splits);
  std::vector<ColumnClaim> claims;
  proof.evals.clear();
  for (size_t i = 0; i < splits.size(); ++i) {
    const auto& s = splits[i];
    const auto point = t.challenges("range.split_point", s.shape.num_vars());
    const uint32_t ids[3] = {s.column, s.lo, s.hi};
    for (size_t k = 0; k < 3; ++k) {
      const Fp2 v = poly::evaluate(columns[3 * i + k], point);
      proof.evals.push_back(v);
      claims.push_back({ids[k], {point, v}});
    }
    t.absorb("range.split_evals", std::span<const Fp2>(proof.evals).last(3));
  }
  return claims;
}

Result<std::vector<ColumnClaim>> verify_splits(std::span<const RangeSplit> splits, const SplitProof& proof,
                                               transcript::Transcript& t) {
  for (const auto& s : splits) ZK_TRY(s.check());
  if (proof.evals.size() != 3 * splits.size()) return make_error("range split: wrong number of evaluations");
  absorb_splits(t, splits);
  std::vector<ColumnClaim> claims;
  for (size_t i = 0; i < splits.size(); ++i) {
    const auto& s = splits[i];
    const auto point = t.challenges("range.split_point", s.shape.num_vars());
    transcript::charge_point(t, s.shape.num_vars());
    const Fp2 col = proof.evals[3 * i], lo = proof.evals[3 * i + 1], hi = proof.evals[3 * i + 2];
    // The selector is the verifier's own: v = col + offset on real rows only.
    if (col + Fp2(Fp::from_i64(s.offset)) * s.shape.selector(point) != lo + Fp2(Fp(1u << kLimbBits)) * hi)
      return make_error("range split (column " + std::to_string(s.column) + "): the limbs do not make up the value");
    const uint32_t ids[3] = {s.column, s.lo, s.hi};
    for (size_t k = 0; k < 3; ++k) claims.push_back({ids[k], {point, proof.evals[3 * i + k]}});
    t.absorb("range.split_evals", std::span<const Fp2>(proof.evals).subspan(3 * i, 3));
  }
  return claims;
}

void SplitProof::write(util::ByteWriter& w) const {
  for (const auto& e : evals) field::write(w, e);
}

Result<SplitProof> SplitProof::read(util::ByteReader& r, std::span<const RangeSplit> splits) {
  SplitProof p;
  p.evals.resize(3 * splits.size());
  for (auto& e : p.evals) {
    auto st = field::read(r, e);
    if (!st.ok()) return make_error("range split proof: " + st.error());
  }
  return p;
}

}  // namespace zks::circuits
