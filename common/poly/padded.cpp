#include "poly/padded.hpp"

#include <algorithm>

#include "poly/mle.hpp"
#include "util/assert.hpp"

namespace zks::poly {

PaddedShape::PaddedShape(std::vector<uint32_t> dims) : m_dims(std::move(dims)) {
  m_bits.resize(m_dims.size());
  m_offset.resize(m_dims.size());
  unsigned off = 0;
  for (size_t a = m_dims.size(); a-- > 0;) {
    m_bits[a] = log2_ceil(m_dims[a]);
    m_offset[a] = off;
    off += m_bits[a];
  }
  m_vars = off;
}

PaddedShape PaddedShape::flat(uint64_t n) {
  ZK_ASSERT(n < (uint64_t(1) << 32));
  return PaddedShape({static_cast<uint32_t>(n)});
}

uint64_t PaddedShape::real_count() const {
  uint64_t n = 1;
  for (uint32_t d : m_dims) n *= d;
  return n;
}

bool PaddedShape::is_real(size_t index) const {
  for (size_t a = 0; a < m_dims.size(); ++a) {
    size_t i = (index >> m_offset[a]) & ((size_t(1) << m_bits[a]) - 1);
    if (i >= m_dims[a]) return false;
  }
  return (index >> m_vars) == 0;
}

size_t PaddedShape::padded_index(uint64_t dense) const {
  size_t out = 0;
  for (size_t a = m_dims.size(); a-- > 0;) {
    out |= size_t(dense % m_dims[a]) << m_offset[a];
    dense /= m_dims[a];
  }
  return out;
}

std::vector<size_t> PaddedShape::padded_indices() const {
  std::vector<size_t> out(real_count());
  if (out.empty()) return out;
  // An odometer over the axes, the last fastest, carrying the padded index along.
  std::vector<uint32_t> at(m_dims.size(), 0);
  size_t padded = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = padded;
    for (size_t a = m_dims.size(); a-- > 0;) {
      if (++at[a] < m_dims[a]) {
        padded += size_t(1) << m_offset[a];
        break;
      }
      padded -= size_t(at[a] - 1) << m_offset[a];
      at[a] = 0;
    }
  }
  return out;
}

std::vector<uint8_t> PaddedShape::real_mask() const {
  std::vector<uint8_t> mask(padded_size(), 0);
  for (size_t x : padded_indices()) mask[x] = 1;
  return mask;
}

std::vector<field::Fp> PaddedShape::selector_table() const {
  std::vector<field::Fp> sel(padded_size(), field::Fp::zero());
  for (size_t x : padded_indices()) sel[x] = field::Fp::one();
  return sel;
}

field::Fp2 PaddedShape::selector(std::span<const field::Fp2> point) const {
  ZK_ASSERT(point.size() == m_vars);
  field::Fp2 acc = field::Fp2::one();
  for (size_t a = 0; a < m_dims.size(); ++a) acc *= lt_eval(m_dims[a], point.subspan(m_offset[a], m_bits[a]));
  return acc;
}

std::string PaddedShape::to_string() const {
  std::string s = "[";
  for (size_t a = 0; a < m_dims.size(); ++a) {
    if (a) s += ',';
    s += std::to_string(m_dims[a]);
  }
  return s + "]";
}

BlockLayout::BlockLayout(PaddedShape single) : BlockLayout(std::vector<PaddedShape>{std::move(single)}) {}

BlockLayout::BlockLayout(std::vector<PaddedShape> blocks, unsigned min_block_vars) : m_blocks(std::move(blocks)) {
  ZK_ASSERT(!m_blocks.empty());
  for (const auto& b : m_blocks) m_block_vars.push_back(std::max(b.num_vars(), min_block_vars));
  m_by_offset.resize(m_blocks.size());
  for (size_t b = 0; b < m_blocks.size(); ++b) m_by_offset[b] = b;
  std::stable_sort(m_by_offset.begin(), m_by_offset.end(),
                   [&](size_t a, size_t b) { return m_block_vars[a] > m_block_vars[b]; });
  m_offset.resize(m_blocks.size());
  size_t cursor = 0;
  for (size_t b : m_by_offset) {
    m_offset[b] = cursor;  // sizes only shrink, so cursor stays a multiple of this size
    cursor += size_t(1) << m_block_vars[b];
  }
  m_vars = log2_ceil(cursor);
}

bool BlockLayout::is_real(size_t index) const {
  // The block starting at or before index (offsets increase along m_by_offset).
  auto it = std::upper_bound(m_by_offset.begin(), m_by_offset.end(), index,
                             [&](size_t i, size_t b) { return i < m_offset[b]; });
  if (it == m_by_offset.begin()) return false;
  size_t b = *(it - 1), i = index - m_offset[b];
  return i < m_blocks[b].padded_size() && m_blocks[b].is_real(i);
}

std::vector<uint8_t> BlockLayout::real_mask() const {
  std::vector<uint8_t> mask(padded_size(), 0);
  for (size_t b = 0; b < m_blocks.size(); ++b)
    for (size_t x : m_blocks[b].padded_indices()) mask[m_offset[b] + x] = 1;
  return mask;
}

field::Fp2 BlockLayout::block_weight(size_t b, std::span<const field::Fp2> point) const {
  const unsigned k = m_block_vars[b];
  const size_t block = m_offset[b] >> k;
  field::Fp2 w = field::Fp2::one();
  for (unsigned i = k; i < m_vars; ++i) w *= ((block >> (i - k)) & 1) ? point[i] : field::Fp2::one() - point[i];
  return w;
}

field::Fp2 BlockLayout::combine(std::span<const field::Fp2> point, std::span<const field::Fp2> block_evals) const {
  ZK_ASSERT(point.size() == m_vars && block_evals.size() == m_blocks.size());
  field::Fp2 acc = field::Fp2::zero();
  for (size_t b = 0; b < m_blocks.size(); ++b) acc += block_weight(b, point) * block_evals[b];
  return acc;
}

field::Fp2 BlockLayout::selector(std::span<const field::Fp2> point) const {
  std::vector<field::Fp2> sels;
  for (size_t b = 0; b < m_blocks.size(); ++b) {
    // The tensor's selector, zero past it in its block.
    const unsigned k = m_blocks[b].num_vars();
    field::Fp2 s = m_blocks[b].selector(point.first(k));
    for (unsigned i = k; i < m_block_vars[b]; ++i) s *= field::Fp2::one() - point[i];
    sels.push_back(s);
  }
  return combine(point, sels);
}

std::vector<field::Fp> BlockLayout::concat(const std::vector<std::span<const field::Fp>>& tables) const {
  ZK_ASSERT(tables.size() == m_blocks.size());
  std::vector<field::Fp> out(padded_size(), field::Fp::zero());
  for (size_t b = 0; b < tables.size(); ++b) {
    ZK_ASSERT(tables[b].size() == (size_t(1) << m_block_vars[b]));
    std::copy(tables[b].begin(), tables[b].end(), out.begin() + std::ptrdiff_t(m_offset[b]));
  }
  return out;
}

}  // namespace zks::poly
