#pragma once
// The Fiat-Shamir transcript (DESIGN.md section 3). A running BLAKE2b-256 state in
// the Transcript domain absorbs labelled, length-prefixed messages; challenges are
// squeezed from a copy of it in the Challenge domain and the squeezed bytes are fed
// back, so every later challenge depends on every earlier message and challenge.
// Prover and verifier run the same sequence of calls: whatever the prover sends,
// both absorb it whole before the next challenge.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "field/ext2.hpp"
#include "hash/blake2b.hpp"

namespace zks::transcript {

using field::Fp;
using field::Fp2;

class SoundnessLedger;

class Transcript {
 public:
  // Starts a transcript for one protocol; the tag is the first absorbed message.
  explicit Transcript(std::string_view protocol);

  void absorb_bytes(std::string_view label, std::span<const uint8_t> data);
  void absorb_u64(std::string_view label, uint64_t v);
  void absorb(std::string_view label, Fp x);
  void absorb(std::string_view label, const Fp2& x);
  void absorb(std::string_view label, std::span<const Fp> xs);
  void absorb(std::string_view label, std::span<const Fp2> xs);
  void absorb(std::string_view label, const hash::Digest& d);

  // A uniform element of F_{p^2}, by rejection sampling on 64-bit words.
  Fp2 challenge(std::string_view label);
  std::vector<Fp2> challenges(std::string_view label, size_t n);
  // A uniform integer in [0, bound), bound >= 1 (query indices).
  uint64_t challenge_index(std::string_view label, uint64_t bound);

  // Proof of work: the smallest nonce with H(PoW || state || nonce) starting with
  // `bits` zero bits; the nonce is then absorbed. Runs on the global thread pool.
  uint64_t grind(std::string_view label, unsigned bits);
  // The verifier's side: checks the nonce and absorbs it. False = reject.
  bool check_grind(std::string_view label, unsigned bits, uint64_t nonce);

  // The current state digest (for tests and for binding sub-protocols).
  hash::Digest state() const { return m_state.finalize(); }

  // The verifier's soundness ledger (soundness.hpp); none on the prover's side.
  void set_ledger(SoundnessLedger* ledger) { m_ledger = ledger; }
  SoundnessLedger* ledger() const { return m_ledger; }
  // Field challenges drawn so far (challenge() and challenges(), not query indices).
  uint64_t field_challenges() const { return m_field_challenges; }

 private:
  void frame(std::string_view label, uint64_t len);
  hash::Digest squeeze(std::string_view label);

  hash::Hasher m_state;
  uint64_t m_squeezes = 0;
  uint64_t m_field_challenges = 0;
  SoundnessLedger* m_ledger = nullptr;
};

// Whether H(PoW || prefix || nonce) starts with `bits` zero bits.
bool pow_ok(const hash::Digest& prefix, uint64_t nonce, unsigned bits);

}  // namespace zks::transcript
