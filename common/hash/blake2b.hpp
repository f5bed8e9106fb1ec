#pragma once
// BLAKE2b-256 (libsodium) with domain separation. Every use of the hash names a
// domain so a Merkle leaf can never be confused with a node or a transcript state.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <sodium.h>

namespace zks::hash {

using Digest = std::array<uint8_t, 32>;

// One-byte domain tags, absorbed first.
enum class Domain : uint8_t {
  MerkleLeaf = 0x01,
  MerkleNode = 0x02,
  Transcript = 0x03,
  Challenge = 0x04,
  ProofOfWork = 0x05,
  Commitment = 0x06,
  Generic = 0x7f,
};

// Incremental BLAKE2b-256 that starts with a domain tag.
class Hasher {
 public:
  explicit Hasher(Domain d);
  Hasher& update(std::span<const uint8_t> data);
  Hasher& update_u64(uint64_t v);  // little-endian
  Digest finalize() const;         // does not consume the state

 private:
  crypto_generichash_blake2b_state m_state;
};

Digest hash(Domain d, std::span<const uint8_t> data);
// H(MerkleNode || left || right).
Digest hash_node(const Digest& left, const Digest& right);

// Makes sure libsodium is initialised (idempotent, thread safe).
void ensure_sodium();

}  // namespace zks::hash
