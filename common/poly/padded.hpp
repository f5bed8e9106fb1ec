#pragma once
// Tensor shapes padded per axis (DESIGN.md section 8 rule 4). A tensor of dims
// d_0 x ... x d_{m-1} (row-major, the last axis fastest) is laid out with each axis
// zero-padded to a power of two in its own bit field, the last axis in the lowest
// bits: entry (i_0, ..., i_{m-1}) sits at index sum_a i_a << offset_a. Transposes and
// aligned concatenations are then relabellings of MLE variables, and the set of real
// entries is a product of per-axis prefixes, whose selector MLE the verifier evaluates
// in O(number of variables).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "field/ext2.hpp"

namespace zks::poly {

class PaddedShape {
 public:
  PaddedShape() = default;
  explicit PaddedShape(std::vector<uint32_t> dims);
  // A flat vector of n real entries (one axis).
  static PaddedShape flat(uint64_t n);

  const std::vector<uint32_t>& dims() const { return m_dims; }
  unsigned num_vars() const { return m_vars; }
  size_t padded_size() const { return size_t(1) << m_vars; }
  uint64_t real_count() const;
  // Bits and lowest bit of axis a.
  unsigned axis_bits(size_t a) const { return m_bits[a]; }
  unsigned axis_offset(size_t a) const { return m_offset[a]; }
  // Whether a padded index holds a real entry.
  bool is_real(size_t index) const;
  // Padded index of the row-major dense index i.
  size_t padded_index(uint64_t dense) const;
  // padded_index of every dense index in order (counting, no divisions).
  std::vector<size_t> padded_indices() const;
  // is_real of every padded index, as 0/1 bytes, and as field elements (the selector's
  // table).
  std::vector<uint8_t> real_mask() const;
  std::vector<field::Fp> selector_table() const;
  // The MLE of [index is real] at `point` (num_vars coordinates).
  field::Fp2 selector(std::span<const field::Fp2> point) const;
  std::string to_string() const;
  bool operator==(const PaddedShape& o) const { return m_dims == o.m_dims; }

 private:
  std::vector<uint32_t> m_dims;
  std::vector<unsigned> m_bits, m_offset;
  unsigned m_vars = 0;
};

// Several padded tensors stacked in one table. Blocks are placed largest first, each at
// an offset that is a multiple of its own size, so block b (k_b variables) occupies
// the indices whose high variables equal the bits of offset_b / 2^k_b: its MLE is the
// table's MLE with those variables fixed, and nothing is padded to the largest block.
// One tensor is one block (and then the layout is just its padded shape). Used to run
// one lookup over many tensors that look into the same table.
class BlockLayout {
 public:
  BlockLayout() = default;
  BlockLayout(PaddedShape single);  // NOLINT: one tensor is one block
  // Each block at least 2^min_block_vars entries: a tensor padded further with zeros
  // (its table as a committed block that every read spans).
  explicit BlockLayout(std::vector<PaddedShape> blocks, unsigned min_block_vars = 0);

  const std::vector<PaddedShape>& blocks() const { return m_blocks; }
  size_t offset(size_t b) const { return m_offset[b]; }
  // Block b's variables: its tensor's, at least min_block_vars.
  unsigned block_vars(size_t b) const { return m_block_vars[b]; }
  unsigned num_vars() const { return m_vars; }
  size_t padded_size() const { return size_t(1) << m_vars; }
  bool is_real(size_t index) const;
  // is_real of every index, as 0/1 bytes.
  std::vector<uint8_t> real_mask() const;
  // The MLE of [index is real] at `point`.
  field::Fp2 selector(std::span<const field::Fp2> point) const;
  // The layout's MLE at `point` from each block's own MLE at point[0, k_b).
  field::Fp2 combine(std::span<const field::Fp2> point, std::span<const field::Fp2> block_evals) const;
  // eq(point[k_b..], bits of offset_b / 2^k_b): block b's weight in combine().
  field::Fp2 block_weight(size_t b, std::span<const field::Fp2> point) const;
  // The tables of the blocks (each of its block's size, 2^block_vars(b)) side by side.
  std::vector<field::Fp> concat(const std::vector<std::span<const field::Fp>>& tables) const;

 private:
  std::vector<PaddedShape> m_blocks;
  std::vector<size_t> m_offset;
  std::vector<unsigned> m_block_vars;
  std::vector<size_t> m_by_offset;  // block indices sorted by offset
  unsigned m_vars = 0;
};

// Lays out a dense row-major tensor in its padded form.
template <typename T>
std::vector<T> pad_tensor(std::span<const T> dense, const PaddedShape& s) {
  std::vector<T> out(s.padded_size(), T{});
  for (uint64_t i = 0; i < dense.size(); ++i) out[s.padded_index(i)] = dense[i];
  return out;
}

}  // namespace zks::poly
