#include "poly/padded.hpp"

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

field::Fp2 PaddedShape::selector(std::span<const field::Fp2> point) const {
  ZK_ASSERT(point.size() == m_vars);
  field::Fp2 acc = field::Fp2::one();
  for (size_t a = 0; a < m_dims.size(); ++a) acc *= lt_eval(m_dims[a], point.subspan(m_offset[a], m_bits[a]));
  return acc;
}

std::string PaddedShape::to_string() const {
  std::string s = "[";
  for (size_t a = 0; a < m_dims.size(); ++a) s += (a ? "," : "") + std::to_string(m_dims[a]);
  return s + "]";
}

}  // namespace zks::poly
