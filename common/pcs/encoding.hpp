#pragma once
// Basefold's code (Zeilberger-Chen-Fisch, CRYPTO 2024, instantiated with Reed-Solomon
// as in their "FRI-style" variant). Internal to the pcs module.
//
// A multilinear f over n variables has monomial coefficients c (c_S for the monomial
// prod_{b in S} x_b, S read as an n-bit index, variable 0 = least significant bit). The
// message is c; its univariate P(X) = sum_i c_i X^i has degree < 2^n, and the codeword
// is P on the subgroup D = <w_N>, N = 2^(n + log_blowup), in bit-reversed order.
//
// Binding variable 0 to r maps c to c'_i = c_{2i} + r c_{2i+1}, which on the
// univariate side is FRI folding: P'(x^2) = P_e(x^2) + r P_o(x^2) with
// P_e(x^2) = (P(x) + P(-x)) / 2 and P_o(x^2) = (P(x) - P(-x)) / (2x). In bit-reversed
// order x and -x sit at positions 2t and 2t+1, x = w_N^rev(t) (rev over log N - 1
// bits), and the folded value lands at position t of the half-size codeword. A run of
// a folds consumes an aligned block of 2^a positions: one Merkle leaf.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "field/ext2.hpp"
#include "field/goldilocks.hpp"

namespace zks::pcs::detail {

using field::Fp;
using field::Fp2;

// Evaluation table <-> monomial coefficients (Moebius / zeta transform over the
// subset lattice), in place, O(n 2^n).
void evals_to_coeffs(std::span<Fp> a);
void evals_to_coeffs(std::span<Fp2> a);
void coeffs_to_evals(std::span<Fp> a);
void coeffs_to_evals(std::span<Fp2> a);

// The codeword of monomial coefficients c (size 2^n): P on <w_N>, N = 2^(n+log_blowup),
// bit-reversed order.
std::vector<Fp> rs_encode(std::span<const Fp> c, unsigned log_blowup);
std::vector<Fp2> rs_encode(std::span<const Fp2> c, unsigned log_blowup);

// inv_two_x[t] = 1 / (2 w_N^rev(t)) for t < N/2, rev over log N - 1 bits. The table
// for N is a prefix-extension of the one for N/2 (w_N^(2 rev'(t)) = w_{N/2}^rev'(t)),
// so one cached table of the largest size serves every layer.
std::shared_ptr<const std::vector<Fp>> inv_two_x_table(unsigned log_n);

// One fold of a codeword of size 2M: out[t] = (a + b)/2 + r (a - b) inv_two_x[t],
// a = cw[2t], b = cw[2t+1]. The reference for the verifier's per-leaf fold; the prover
// does not call it (it re-encodes the folded message per committed layer instead,
// which gives the same codeword for less work), the tests check the identity.
std::vector<Fp2> fold_codeword(std::span<const Fp> cw, const Fp2& r, const Fp* inv_two_x);
std::vector<Fp2> fold_codeword(std::span<const Fp2> cw, const Fp2& r, const Fp* inv_two_x);

// x / 2 in F_p without a multiplication.
inline Fp half(Fp x) {
  uint64_t v = x.value();
  return Fp::from_canonical((v >> 1) + ((v & 1) ? (Fp::P >> 1) + 1 : 0));
}
inline Fp2 half(const Fp2& x) { return Fp2(half(x.c0()), half(x.c1())); }

}  // namespace zks::pcs::detail
