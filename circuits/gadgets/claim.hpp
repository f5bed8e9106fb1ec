#pragma once
// Claims flowing through the layer-by-layer prover: "the MLE of some tensor equals
// `value` at `point`". Gadgets turn a claim on an op's output into claims on its
// inputs; claims on committed tensors are finally batched into one opening.

#include <cstdint>
#include <span>
#include <vector>

#include "field/ext2.hpp"

namespace zks::circuits {

using field::Fp;
using field::Fp2;

struct EvalClaim {
  std::vector<Fp2> point;
  Fp2 value;
};

// A matrix stored row-major with each axis zero-padded to a power of two in its own
// bit field (DESIGN.md section 8 rule 4): entry (i, j) sits at index (i << col_bits) | j,
// so the column index is the low variables of the MLE and the row index the high ones.
struct MatShape {
  uint32_t rows = 0, cols = 0;
  unsigned row_bits() const;
  unsigned col_bits() const;
  size_t padded_size() const { return size_t(1) << (row_bits() + col_bits()); }
};

// a followed by b (points are listed low variables first).
std::vector<Fp2> concat(std::span<const Fp2> a, std::span<const Fp2> b);

// Lays out a dense row-major rows x cols matrix in the padded form above.
std::vector<Fp> pad_matrix(std::span<const Fp> dense, const MatShape& shape);

}  // namespace zks::circuits
