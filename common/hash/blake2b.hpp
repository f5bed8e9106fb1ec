#pragma once
// BLAKE2b-256 (libsodium) with domain separation. Every use of the hash names a
// domain so a Merkle leaf can never be confused with a node or a transcript state.
// The domain goes into BLAKE2b's 16-byte personalization ("zkslice-hash-v1" then the
// domain byte), not into the message: a 128-byte Merkle leaf (16 Goldilocks values,
// one folding coset) stays one compression instead of two.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <sodium.h>

namespace zks::hash {

using Digest = std::array<uint8_t, 32>;

// One-byte domain tags (the last byte of the personalization).
enum class Domain : uint8_t {
  MerkleLeaf = 0x01,
  MerkleNode = 0x02,
  Transcript = 0x03,
  Challenge = 0x04,
  ProofOfWork = 0x05,
  Commitment = 0x06,
  MerkleJoin = 0x07,  // a node with another codeword's leaf joined to it (merkle.hpp)
  Mask = 0x08,        // a prover's masks drawn from its seed (pcs/hiding.hpp)
  Generic = 0x7f,
};

// Incremental BLAKE2b-256 that starts with a domain tag.
class Hasher {
 public:
  explicit Hasher(Domain d);
  Hasher& update(std::span<const uint8_t> data);
  Hasher& update_u64(uint64_t v);  // little-endian
  // update_u64 of each value in order, a few KiB per call into libsodium.
  Hasher& update_u64s(std::span<const uint64_t> v);
  Hasher& update_i64s(std::span<const int64_t> v) {  // two's complement, as update_u64(uint64_t(x))
    return update_u64s({reinterpret_cast<const uint64_t*>(v.data()), v.size()});
  }
  Digest finalize() const;         // does not consume the state

 private:
  crypto_generichash_blake2b_state m_state;
};

Digest hash(Domain d, std::span<const uint8_t> data);
// The 16-byte BLAKE2b personalization of a domain.
std::array<uint8_t, 16> personalization(Domain d);
// H(MerkleNode || left || right).
Digest hash_node(const Digest& left, const Digest& right);
// out[i] = hash(d, the len bytes at data + i * stride) for i < count: equal-length
// messages hashed four at a time (the Merkle trees' bulk path).
void hash_many(Domain d, const uint8_t* data, size_t stride, size_t len, size_t count, Digest* out);

// Makes sure libsodium is initialised (idempotent, thread safe).
void ensure_sodium();

}  // namespace zks::hash
