#pragma once
// Zero knowledge, stage 1 (docs/ARCHITECTURE.md, "Zero knowledge"): hiding commitments
// and zero-knowledge openings, built on the Basefold batch of basefold.hpp. Nothing in
// the slice prover uses them yet; stages 2-5 will.
//
// Commit: a table of values is zero-padded to 2^n entries (n >= kMinHidingVars) and
// followed by 2^n mask values R drawn from the prover's seed: the committed polynomial
// f' has n + 1 variables, f'(x, 0) = f(x) and f'(x, 1) = R(x). In the monomial basis its
// upper half is c_R - c_f, uniform, so the Reed-Solomon codeword is
// P_f(w) + w^(2^n) P_mask(w) with P_mask uniform of degree < 2^n: its entries at any
// 2^n or fewer distinct positions are uniform and independent of f (a Vandermonde
// system). One seed gives one root (a boundary tensor's maker and readers share it,
// DESIGN.md rule 13).
//
// Open: claims on f at z are claims on f' at (z, 0). The prover commits a fresh
// uniform h (as large as the largest f'), drawn from its seed, the transcript's state
// and the opening's statement, and the batch opens [f'_1 .. f'_m, h] together, with h
// claimed at every claim's point, placed as the batch places that claim's table (its
// last variables; the first ones 0). What the batch reveals is then masked:
//   - claim-reduction rounds: sum_j beta_j sum_x f'_j(x) W_j(x) touches only the
//     f'_j(., 0) = f_j, and every term of it has a twin in h's with the same eq
//     factors (with one point for h, a round evaluated where h's eq factor vanishes
//     would show the other terms unmasked);
//   - each polynomial's value at the reduction point rho: f'_j(rho) is masked by
//     R_j(rho') (rho's last coordinate is a nonzero challenge), h(rho) by h(rho', 1);
//   - the folded layers and the final message are of sum_j alpha_j f'_j + alpha_h h,
//     uniform because h is;
//   - the opened leaves of each f' are codeword entries (uniform, above) and of h
//     (uniform).
// This holds while what one opening reveals stays below the masks' dimensions: 2,208
// leaf entries a codeword at 138 queries, and about 2 x 2,208 F_p values a folded
// layer. kMinHidingVars = 13 leaves room at every size (2^13 mask values against 2,208;
// h's 2^14 against at most about 11,500). Leaves are not salted: every leaf of a masked
// codeword holds uniform values, so its hash reveals nothing a salt would hide.
//
// A seed commits one table: two tables under one seed share their mask, and the
// difference of their codewords is unmasked. A table reopened uses up its mask: each
// opening shows up to kRevealedPerOpening entries of its codeword, so a table that k
// openings will read (a boundary tensor: its maker's proof and each reader's) needs
// 2^n above k times that: commit it with `openings` = k. A weight table reopened by
// every proof cannot be hidden this way (docs/ARCHITECTURE.md).

#include <array>
#include <span>
#include <string_view>

#include "pcs/basefold.hpp"

namespace zks::pcs {

using Seed = std::array<uint8_t, 32>;

// The smallest value table a hiding commitment holds (see above).
constexpr unsigned kMinHidingVars = 13;
// The most codeword entries one opening shows under the parameters hiding openings
// accept (the standard ones: 138 queries, leaves of 16).
constexpr size_t kRevealedPerOpening = 138 * 16;

// `count` uniform field elements from (seed, label, context): BLAKE2b in counter mode
// (domain Mask), each 64-bit word kept when below p, so every element is exactly
// uniform. What a prover draws from its secret seed: masks, mask tables, other seeds.
std::vector<Fp> expand_seed(const Seed& seed, std::string_view label, std::span<const uint8_t> context, size_t count);

// A seed of its own for one use of `seed` (BLAKE2b, domain Mask, of seed || label): what
// a prover hands each commitment, opening or slice, so that no two share a mask.
Seed derive_seed(const Seed& seed, std::string_view label);

// The value table's variables for `count` values read by `openings` openings:
// ceil(log2 count), at least kMinHidingVars, and 2^n above openings times
// kRevealedPerOpening. A hiding commitment has one variable more.
unsigned hiding_value_vars(size_t count, unsigned openings = 1);

// Commits values || mask (one more variable); deterministic in (values, seed).
Result<CommittedPoly> commit_hiding(std::span<const Fp> values, const Seed& seed, const Params& params,
                                    unsigned openings = 1);
// The hiding form of commit_joint (a proof's witness stacks): each table as
// commit_hiding lays it out (sized for `openings`), member i's mask drawn from
// (seed, stack, i), one Merkle tree for all. Stacks committed under one seed need
// different `stack` labels, or their members i share a mask. Tables in order of
// non-increasing size; open_hiding opens all members together. keep_codewords as
// commit_joint's.
Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_joint_hiding(std::span<const std::span<const Fp>> tables,
                                                                              const Seed& seed, const Params& params,
                                                                              std::string_view stack = "",
                                                                              unsigned openings = 1,
                                                                              bool keep_codewords = true);

// Stage 3's masked evaluations (sumcheck/zk.hpp): f^ = f~ + x_0 (1 - x_0) R~ agrees
// with f on the hypercube and f^(z) = f~(z) + c R~(z), c = z_0 (1 - z_0). As a claim on
// the committed table f'(x, y) = (1 - y) f~(x) + y R~(x): f'(z, c / (1 + c)) =
// f^(z) / (1 + c). Refused where 1 + c = 0 (two values of z_0 in F_{p^2}).
Result<Claim> masked_claim(size_t poly, std::span<const Fp2> point, const Fp2& masked_value);

// Opens claims on the value tables of hiding commitments (points of num_vars - 1
// coordinates, Claim::poly indexing `polys`; an evaluation claim of num_vars
// coordinates, as masked_claim makes, is on the committed table itself). The seed must
// be secret: it draws h.
Result<util::Bytes> open_hiding(std::span<const CommittedPoly* const> polys, std::span<const Claim> claims,
                                transcript::Transcript& t, const Params& params, const Seed& seed);
Status verify_hiding(std::span<const Commitment> commitments, std::span<const Claim> claims,
                     std::span<const uint8_t> proof, transcript::Transcript& t, const Params& params);

}  // namespace zks::pcs
