#pragma once
// Multilinear extensions (DESIGN.md section 3, "Multilinear conventions"). A table of
// 2^k values is read as the MLE over k variables with variable 0 the least
// significant index bit: f(x) = sum_b table[b] * eq(x, bits(b)). Every function here
// is O(2^k) and runs on the global thread pool when the table is large.

#include <cstddef>
#include <span>
#include <vector>

#include "field/ext2.hpp"

namespace zks::poly {

using field::Fp;
using field::Fp2;

// eq(a, b) = prod_i (a_i b_i + (1 - a_i)(1 - b_i)).
Fp2 eq_eval(std::span<const Fp2> a, std::span<const Fp2> b);

// out[b] = eq(r, bits(b)) for b in [0, 2^k), k = r.size().
std::vector<Fp2> eq_table(std::span<const Fp2> r);
// dst[b] += c eq(r, bits(b)) for b in [0, 2^k) (dst.size() == 2^k), on this thread:
// the table is built scaled by c (no multiplication per entry for it) and its last
// variable is split straight into dst; scratch (2^(k-1) values) is reused across calls.
void eq_accumulate(std::span<const Fp2> r, const Fp2& c, std::span<Fp2> dst, std::vector<Fp2>& scratch);

// The MLE of `table` (size 2^k, k = r.size()) at r.
Fp2 evaluate(std::span<const Fp> table, std::span<const Fp2> r);
Fp2 evaluate(std::span<const Fp2> table, std::span<const Fp2> r);

// Binds variable 0 to r: out[i] = t[2i] + r (t[2i+1] - t[2i]); the result has half
// the size and is the table of f(r, x_1, ..., x_{k-1}).
std::vector<Fp2> fold(std::span<const Fp> table, const Fp2& r);
std::vector<Fp2> fold(std::span<const Fp2> table, const Fp2& r);
// In place: t keeps its first half.
void fold_in_place(std::vector<Fp2>& table, const Fp2& r);

// The MLE of the selector [index < n] over k = r.size() variables at r, in O(k):
// the verifier evaluates padding masks itself (DESIGN.md section 8 rule 4).
// Requires n <= 2^k.
Fp2 lt_eval(uint64_t n, std::span<const Fp2> r);

// Smallest k with 2^k >= n (k = 0 for n <= 1).
unsigned log2_ceil(size_t n);
// Zero-pads to the next power of two.
std::vector<Fp> pad_pow2(std::span<const Fp> values);

}  // namespace zks::poly
