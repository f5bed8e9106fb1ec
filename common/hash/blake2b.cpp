#include "hash/blake2b.hpp"

#include <cstring>
#include <mutex>

#include "util/assert.hpp"

namespace zks::hash {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] { ZK_ASSERT_MSG(sodium_init() >= 0, "libsodium failed to initialise"); });
}

std::array<uint8_t, 16> personalization(Domain d) {
  static constexpr char kPrefix[] = "zkslice-hash-v1";  // 15 bytes
  static_assert(sizeof kPrefix == 16);
  std::array<uint8_t, 16> p{};
  std::memcpy(p.data(), kPrefix, 15);
  p[15] = static_cast<uint8_t>(d);
  return p;
}

Hasher::Hasher(Domain d) {
  ensure_sodium();
  auto personal = personalization(d);
  crypto_generichash_blake2b_init_salt_personal(&m_state, nullptr, 0, 32, nullptr, personal.data());
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

Hasher& Hasher::update_u64s(std::span<const uint64_t> v) {
  uint8_t buf[4096];
  size_t n = 0;
  for (uint64_t x : v) {
    for (int i = 0; i < 8; ++i) buf[n++] = static_cast<uint8_t>(x >> (8 * i));
    if (n == sizeof(buf)) update(buf), n = 0;
  }
  return update(std::span<const uint8_t>(buf, n));
}

Digest Hasher::finalize() const {
  auto copy = m_state;
  Digest out;
  crypto_generichash_blake2b_final(&copy, out.data(), out.size());
  return out;
}

Digest hash(Domain d, std::span<const uint8_t> data) { return Hasher(d).update(data).finalize(); }

Digest hash_node(const Digest& left, const Digest& right) {
  // One-shot call on a 64-byte buffer (one compression): the hot loop of Merkle
  // building. A tree built from given digests may reach here before any Hasher
  // exists, and libsodium wants sodium_init() first (a call_once check is cheap).
  ensure_sodium();
  static const auto personal = personalization(Domain::MerkleNode);
  uint8_t buf[64];
  std::memcpy(buf, left.data(), 32);
  std::memcpy(buf + 32, right.data(), 32);
  Digest out;
  crypto_generichash_blake2b_salt_personal(out.data(), out.size(), buf, sizeof buf, nullptr, 0,
                                           nullptr, personal.data());
  return out;
}

}  // namespace zks::hash
