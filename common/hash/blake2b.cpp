#include "hash/blake2b.hpp"

#include <cstring>
#include <mutex>

#include "util/assert.hpp"

namespace zks::hash {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] { ZK_ASSERT_MSG(sodium_init() >= 0, "libsodium failed to initialise"); });
}

Hasher::Hasher(Domain d) {
  ensure_sodium();
  crypto_generichash_blake2b_init(&m_state, nullptr, 0, 32);
  uint8_t tag = static_cast<uint8_t>(d);
  crypto_generichash_blake2b_update(&m_state, &tag, 1);
}

Hasher& Hasher::update(std::span<const uint8_t> data) {
  crypto_generichash_blake2b_update(&m_state, data.data(), data.size());
  return *this;
}

Hasher& Hasher::update_u64(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return update(b);
}

Digest Hasher::finalize() const {
  auto copy = m_state;
  Digest out;
  crypto_generichash_blake2b_final(&copy, out.data(), out.size());
  return out;
}

Digest hash(Domain d, std::span<const uint8_t> data) { return Hasher(d).update(data).finalize(); }

Digest hash_node(const Digest& left, const Digest& right) {
  // One-shot call on a 65-byte buffer: the hot loop of Merkle building. A tree built
  // from given digests may reach here before any Hasher exists, and libsodium wants
  // sodium_init() first (a call_once check costs nothing next to a compression).
  ensure_sodium();
  uint8_t buf[65];
  buf[0] = static_cast<uint8_t>(Domain::MerkleNode);
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  Digest out;
  crypto_generichash_blake2b(out.data(), out.size(), buf, sizeof buf, nullptr, 0);
  return out;
}

}  // namespace zks::hash
