#pragma once
// Zero knowledge, stage 4 (docs/ARCHITECTURE.md, "Zero knowledge"): a LogUp lookup
// whose proof reveals nothing of the witness or the multiplicities, built from the
// hiding commitments of stage 1 and the masked sumcheck of stages 2 and 3. The plain
// lookup (logup.hpp) stays the one sound-only proofs use.
//
// Why not LogUp-GKR masked: its fraction tree shows two children of every layer and
// the roots, and the roots alone are a hash of the witness multiset at alpha
// (q_w = prod_i (alpha - c(w_i))). Masking each layer needs a mask polynomial per layer
// whose values at the next layer's point stay independent of those the layer showed
// (Libra's extra summed variable), with its own analysis. A helper column needs neither:
// the prover commits (hiding) the witness side's fractions after alpha and beta,
//     h_w[i] = sel_i / (alpha - c(w_i)),   c(row) = sum_c beta^c row_c,
// and one masked sumcheck proves, batched by gamma,
//     sum_x eq(tau, x) [h_w (alpha - c(w)) - sel](x)   = 0  (h_w is right)
//   + gamma   sum_x [h_w - m u](x)                      = 0  (the sums agree)
// with claimed sum 0: no root, no layer, no sum is shown. The table side's weights
// u[j] = [j < 2^table_vars] / (alpha - c(t_j)) are public (the table is), so the
// verifier computes u's MLE at the sumcheck's point itself and the table side commits
// nothing but m (a helper h_t = m u, committed and checked by a second zerocheck, was
// two more hiding tables of the table's size a lookup, until 2026-12-07). Every value
// the sumcheck ends in is a masked evaluation (f^ = f + x_0 (1 - x_0) R) of a hiding
// commitment (the witness columns, m, h_w), or one the verifier computes (eq, the
// selector, u). h_w is in F_{p^2}: two committed F_p tables (h_w = h0 + h1 X).
//
// Sizes: the sumcheck runs over 2^num_vars entries. prove_zk's tables all have that
// many (the witness columns' and m's hiding value tables, at least 2^13; the helpers
// zero-padded to it). The phased form reads shorter tables zero-extended (ZkTables). The
// witness layout's real rows are the selector's ones and every other row is zero; the
// public table has at most 2^num_vars rows and u is zero past them, so rows of the
// extension count nothing whatever m holds there.
//
// Soundness: alpha and beta as LogUp's (the caller absorbs the witness and m
// commitments first); tau (num_vars / |F|); gamma (1 / |F|); the sumcheck's rounds.

#include <array>
#include <functional>
#include <span>
#include <vector>

#include "lookup/logup.hpp"
#include "pcs/hiding.hpp"
#include "sumcheck/zk.hpp"

namespace zks::lookup {

// The most blocks a witness layout has (a private proof's batched lookup reads its
// tensors' columns in place, one block each; the verifier's cost is linear in them).
constexpr size_t kMaxZkBlocks = 256;

// The helper tables a lookup commits: h_w's two F_p halves.
constexpr size_t kZkHelpers = 2;
using ZkHelpers = std::array<std::vector<Fp>, kZkHelpers>;  // h_w0, h_w1

struct ZkShape {
  poly::BlockLayout witness;  // the real rows (padded size at most 2^num_vars)
  unsigned table_vars = 0;    // the public table has 2^table_vars rows (at most 2^num_vars)
  unsigned columns = 1;
  unsigned num_vars = 0;      // the argument's tables' size
};

// The masked sumcheck's round degrees (its mask slice: sumcheck::mask_entries of it).
std::vector<unsigned> zk_lookup_degrees(const ZkShape& shape);

struct ZkInput {
  // Hiding commitments (2^(num_vars + 1) entries: values, then R) of each witness column
  // and of the multiplicities (multiplicities() of the real rows, zero-padded).
  std::vector<const pcs::CommittedPoly*> witness;
  const pcs::CommittedPoly* m = nullptr;
  std::vector<std::span<const Fp>> table;  // public columns of 2^table_vars rows
  hash::Digest mask_root{};                // the proof's mask table's commitment
  // A cheating prover, for tamper tests: called with the helper tables (h_w0, h_w1)
  // before they are committed, and the table side's sum (zk_table_sum) that h_w's must
  // match; the prover then proves them as they are.
  std::function<void(ZkHelpers&, const Fp2& table_sum)> tamper_helpers = {};
};

// What the verifier holds before the proof: the commitments the lookup relies on. Both
// sides absorb them (and the shape) before alpha, beta and rho.
struct ZkCommitments {
  std::vector<pcs::Commitment> witness;
  pcs::Commitment m;
  hash::Digest mask_root{};
};

// The sumcheck's part of a proof: its rounds and f^ at its point of the helpers, m and
// each witness column.
struct ZkRounds {
  sumcheck::ZkProof sumcheck;
  std::vector<Fp2> masked_evals;

  void write(util::ByteWriter& w) const;
  static Result<ZkRounds> read(util::ByteReader& r, const ZkShape& shape);
};

struct ZkProof : ZkRounds {
  hash::Digest helper_root{};  // one joint hiding commitment of h_w0 and h_w1

  void write(util::ByteWriter& w) const;  // the root, then the rounds
  static Result<ZkProof> read(util::ByteReader& r, const ZkShape& shape);
};

// What the caller proves in the proof's hiding opening: pcs::masked_claim(its index,
// point, value) for each helper, m and witness column, and the mask slice's weighted
// claim (sumcheck::final_mask_weights(degrees, rho, point)) with final_mask.
struct ZkClaims {
  std::vector<Fp2> point;
  std::array<pcs::Commitment, kZkHelpers> helpers;  // prove_zk and verify_zk's (not the rounds')
  std::array<Fp2, kZkHelpers> helper_evals{};
  Fp2 m_eval;
  std::vector<Fp2> witness_evals;
  Fp2 final_mask, rho;
};

struct ZkProverOutput {
  ZkProof proof;
  ZkClaims claims;
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> helpers;  // to open with the others (both together)
};

// Proves the lookup; the mask is the sumcheck's slice of the proof's mask table (of
// zk_lookup_degrees(shape)) and the seed, with the transcript's state, draws the
// helpers' masks (so two lookups under one seed, in one proof or two, get different
// ones). Fails, naming the row, when a denominator alpha - c(row) is zero (probability
// (rows) / |F|).
Result<ZkProverOutput> prove_zk(const ZkShape& shape, const ZkInput& in, const sumcheck::Mask& mask,
                                const pcs::Seed& seed, const pcs::Params& params, transcript::Transcript& t);

// Checks the sumcheck against the values the verifier computes itself and returns the
// claims to open, or the reason to reject.
Result<ZkClaims> verify_zk(const ZkShape& shape, std::span<const std::vector<Fp>> table, const ZkCommitments& comms,
                           const ZkProof& proof, transcript::Transcript& t);

// The same lookup in phases, for a caller that commits the tables itself: a proof whose
// witness columns and multiplicities are blocks of larger hiding tables, and whose
// lookups' helpers all go in one commitment (one tree and a few polynomials in the
// opening, where a joint commitment a lookup gave private proofs most of their bytes).
// Both sides, each lookup in turn: zk_challenges (the caller absorbed every commitment
// the tables are in). The prover: zk_helpers, then one commitment of every lookup's
// helpers, absorbed, then prove_zk_rounds for each lookup; the verifier: verify_zk_rounds.
//
// Where a lookup's committed tables are: each witness column's and m's values and their
// masks R (f' = (f, R) as a hiding commitment lays them out). Each table has a power of
// two entries, at most 2^num_vars, and is read zero-extended to 2^num_vars (values and
// mask alike: its masked value at a point r is the table's own at r's first coordinates
// times prod (1 - r_i) over the rest); the witness columns hold at least the layout's
// rows, m at least the table's.
struct ZkTables {
  std::vector<std::span<const Fp>> witness, witness_mask;
  std::span<const Fp> m, m_mask;
};
struct ZkChallenges {
  Fp2 alpha, beta;
};
// Absorbs the shape and draws alpha and beta (charged to the ledger where `charge`, the
// verifier's side). The shape must be valid (zk_lookup_degrees accepts it): callers take
// it from their plan, not from a proof.
ZkChallenges zk_challenges(transcript::Transcript& t, const ZkShape& shape, bool charge);
// The helper tables, as long as their nonzero part: h_w0 and h_w1 over the layout's
// 2^witness.num_vars() rows (zero beyond, read zero-extended like ZkTables). Refused,
// naming the row, where a denominator is zero.
Result<ZkHelpers> zk_helpers(const ZkShape& shape, const ZkTables& in, const ZkChallenges& ch);
// The table side's sum, sum_j m_j / (alpha - c(t_j)) over the table's rows: what the
// witness side's h_w sums to when every looked-up row is in the table (tamper tests forge
// helpers to it). Refused where a denominator is zero.
Result<Fp2> zk_table_sum(const ZkShape& shape, std::span<const Fp> m, std::span<const std::span<const Fp>> table,
                         const ZkChallenges& ch);
// The helpers as committed: each one's values and mask (zero-extended like ZkTables).
struct ZkHelperTables {
  std::array<std::span<const Fp>, kZkHelpers> values, masks;
};
struct ZkRoundsOutput {
  ZkRounds rounds;
  ZkClaims claims;  // helpers unset: the caller's commitment
};
// tau, gamma and the masked sumcheck, after the caller absorbed the helpers' commitment.
Result<ZkRoundsOutput> prove_zk_rounds(const ZkShape& shape, const ZkTables& in,
                                       std::span<const std::span<const Fp>> table, const ZkChallenges& ch,
                                       const ZkHelperTables& helpers, const sumcheck::Mask& mask,
                                       const hash::Digest& mask_root, transcript::Transcript& t);
Result<ZkClaims> verify_zk_rounds(const ZkShape& shape, std::span<const std::vector<Fp>> table, const ZkChallenges& ch,
                                  const ZkRounds& rounds, const hash::Digest& mask_root, transcript::Transcript& t);

}  // namespace zks::lookup
