#pragma once
// Number-theoretic transform over Goldilocks (radix-2, in place, precomputed twiddles,
// multi-threaded on the global pool for large sizes). The size is a power of two up to
// 2^32 (the two-adicity of p - 1). The evaluation points are the subgroup <w_n> with
// w_n = 7^((p-1)/n), so A[k] = sum_j a_j w_n^(jk).
//
// Two orderings: the Gentleman-Sande (DIF) forward transform takes natural-order input
// and leaves the output in bit-reversed order with no permutation pass, which is what
// Basefold's codewords want (a folding coset is then contiguous); the Cooley-Tukey
// (DIT) inverse takes bit-reversed input back to natural order.

#include <cstddef>
#include <cstdint>
#include <span>

#include "field/ext2.hpp"
#include "field/goldilocks.hpp"

namespace zks::pcs {

using field::Fp;
using field::Fp2;

constexpr unsigned kMaxNttLog = 32;

// A primitive 2^log_n-th root of unity, log_n <= 32.
Fp root_of_unity(unsigned log_n);
Fp inverse_root_of_unity(unsigned log_n);

// The low `bits` bits of x in reverse order.
inline size_t reverse_bits(size_t x, unsigned bits) {
  if (bits == 0) return 0;
  uint64_t v = static_cast<uint64_t>(x);
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = __builtin_bswap64(v);
  return static_cast<size_t>(v >> (64 - bits));
}

// out[l] = in[l] first step^l (the coset shift before an NTT).
void scale_by_powers(std::span<const Fp> in, std::span<Fp> out, Fp first, Fp step);

// a[i] <-> a[rev(i)].
void bit_reverse_permute(std::span<Fp> a);
void bit_reverse_permute(std::span<Fp2> a);

// Natural order in, bit-reversed out: a[rev(k)] = A(w_n^k).
void ntt_dif(std::span<Fp> a);
// Bit-reversed in, natural order out, including the 1/n factor (inverts ntt_dif).
void intt_dit(std::span<Fp> a);

// Natural order in and out.
void ntt(std::span<Fp> a);
void intt(std::span<Fp> a);

}  // namespace zks::pcs
