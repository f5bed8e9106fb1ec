#pragma once
// Basefold parameters and their soundness accounting (DESIGN.md section 3 and
// section 8 rules 7 and 8). Every field here changes what a proof means, so all of
// them, plus the fixed choices of domain, ordering and encoding, go into params_id(),
// which every proof header records and every verifier compares.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hash/blake2b.hpp"
#include "util/result.hpp"

namespace zks::pcs {

// The floor below which no commitment, opening or verification runs, and which every
// whole proof must reach once its gadgets' terms are added (rule 8).
constexpr double kMinSecurityBits = 100.0;
// The standard parameters' query term is 2^-(100 + this): room for a proof's sumcheck,
// lookup and batching terms and for a bundle of up to 16 small slices, whose errors add
// up to at most 2^-100 (transcript/soundness.hpp, circuits/slice/slice_proof.hpp).
constexpr double kQueryMarginBits = 5.0;

struct Params {
  unsigned log_blowup = 2;      // rate rho = 2^-log_blowup = 1/4 (fixed by rule 7)
  unsigned fold_arity_log = 4;  // fold 2^a values per Merkle leaf and per committed layer
  unsigned final_log = 8;       // messages of <= 2^final_log coefficients are sent in clear
  unsigned num_queries = 138;
  unsigned grinding_bits = 12;  // proof of work before the query indices
  unsigned max_num_vars = 22;   // the largest polynomial the accounting covers (2^24 codeword)

  // Limits assumed by the batching terms (enforced by open/verify).
  static constexpr size_t kMaxClaims = 1 << 12;  // evaluation claims per opening
  static constexpr size_t kMaxPolys = 1 << 10;   // polynomials per batch

  // The defaults chosen from the proof-size measurements (see basefold.hpp).
  static Params standard();
  // The same shape with the fewest queries that reach `target_bits`.
  static Params with_queries_for(unsigned fold_arity_log, unsigned grinding_bits,
                                 double target_bits = kMinSecurityBits,
                                 unsigned max_num_vars = 22, unsigned final_log = 8);

  double rate() const;            // rho
  double delta() const;           // unique-decoding radius (1 - rho) / 2
  double bits_per_query() const;  // -log2(1 - delta)
  double query_bits() const;      // num_queries * bits_per_query() + grinding_bits

  // The error terms of an opening's folding run, each a probability (see params.cpp
  // for sources).
  struct ErrorTerms {
    double query;      // (1 - delta)^Q * 2^-grinding
    double folding;    // sum over fold rounds of (N_i + 1) / |F_{p^2}|
    double batching;   // codewords combined or joined (N/|F| per size), claims combined
    double sumcheck;   // the claim reduction's and the opening's rounds, degree 2
    double total() const { return query + folding + batching + sumcheck; }
  };
  // An opening of polynomials in `sizes` variables (those above final_log; the rest go
  // in clear, exactly), each claimed at up to `max_points` points.
  ErrorTerms batch_error_terms(std::span<const unsigned> sizes, size_t max_points) const;
  // The worst opening the parameters allow: every size up to max_num_vars (two of the
  // largest), kMaxClaims points.
  ErrorTerms error_terms() const;
  // -log2 of the worst opening's error terms: the commitment's share of a proof's
  // soundness. A whole proof adds its gadgets' terms (transcript/soundness.hpp).
  double security_bits() const;

  // Structural checks plus the 100-bit floor; the message says what is wrong.
  Status validate() const;

  // BLAKE2b-256 of a tagged canonical encoding of every parameter and of the fixed
  // choices: RS code over the subgroup <7^((p-1)/N)>, bit-reversed codeword order,
  // monomial-coefficient message, leaf = one folding coset, F_{p^2} = F_p[X]/(X^2-7).
  hash::Digest params_id() const;
  std::string describe() const;
};

}  // namespace zks::pcs
