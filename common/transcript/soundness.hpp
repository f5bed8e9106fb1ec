#pragma once
// The soundness ledger (DESIGN.md section 8 rule 8): the verifier's running sum of the
// probability that each of its random checks misses a false statement. The total over
// a proof is its soundness error, by the union bound over every check the false
// statement must survive; security bits = -log2(total).
//
// A verifier attaches a ledger to its transcript (Transcript::set_ledger); every verify
// function charges the checks it makes where it draws their challenges, through the
// helpers below (no-ops on the prover's side, whose transcript has no ledger). Each
// charge also says how many field challenges it covers, so a verifier can check that
// no challenge went uncounted: challenges() must equal the transcript's
// field_challenges() when the proof is accepted.
//
// Errors are probabilities over challenges uniform in F_{p^2}. Collision resistance of
// BLAKE2b (Merkle trees, Fiat-Shamir) is a computational assumption, not a term here.

#include <array>
#include <cstdint>
#include <string>

namespace zks::transcript {

class Transcript;

class SoundnessLedger {
 public:
  enum class Check : uint8_t {
    Sumcheck,  // a round polynomial of degree d agrees with the true one: d / |F|
    Point,     // two multilinear polynomials in n variables agree at a random point: n / |F|
    Batching,  // claims or constraints combined by the powers of one challenge: (K-1) / |F|
    Lookup,    // LogUp's rational identity and its GKR layer reductions
    Pcs,       // the commitment's opening: queries, folds, batching, its sumcheck
    kCount
  };

  void add(Check c, double error, uint64_t challenges);

  double error(Check c) const { return m_error[size_t(c)]; }
  double total() const;
  // -log2(total()); infinite when nothing can go wrong (no random checks at all).
  double bits() const;
  uint64_t challenges() const { return m_challenges; }
  // "101.3 bits (pcs 2^-103.0, lookup 2^-107.2, ...)".
  std::string describe() const;
  // Adds another proof's terms (a bundle is sound only if each of its slices is).
  void merge(const SoundnessLedger& other);

 private:
  std::array<double, size_t(Check::kCount)> m_error{};
  uint64_t m_challenges = 0;
};

// 1 / |F_{p^2}|.
double inverse_field_size();

// Charges t's ledger, if it has one. `error` is a probability.
void charge(Transcript& t, SoundnessLedger::Check c, double error, uint64_t challenges);
// `rounds` sumcheck rounds with round polynomials of degree `degree`.
void charge_sumcheck(Transcript& t, unsigned rounds, unsigned degree);
// A random point in `vars` variables at which two multilinear polynomials (or the
// eq-weighted sum of a zerocheck) are compared.
void charge_point(Transcript& t, unsigned vars);
// One challenge, drawn by the caller, whose powers combine `items` claims or
// constraints (a polynomial of degree items - 1 in it).
void charge_powers(Transcript& t, size_t items);

}  // namespace zks::transcript
