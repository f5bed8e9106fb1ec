#include "crypto/keys.hpp"

#include <cstring>

#include <sodium.h>

#include "hash/blake2b.hpp"
#include "util/bytes.hpp"

namespace zks::crypto {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

bool decode_hex(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

Result<PublicKey> PublicKey::from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kPublicKeyBytes)
    return make_error("public key must be 32 bytes, got " + std::to_string(bytes.size()));
  std::array<uint8_t, kPublicKeyBytes> a;
  std::memcpy(a.data(), bytes.data(), a.size());
  return PublicKey(a);
}

Result<PublicKey> PublicKey::from_hex(std::string_view hex) {
  std::array<uint8_t, kPublicKeyBytes> a;
  if (!decode_hex(hex, a))
    return make_error("public key must be 64 lowercase hex digits");
  return PublicKey(a);
}

Result<PublicKey> PublicKey::parse(std::string_view text) {
  if (!text.starts_with(kHotkeyPrefix))
    return make_error("hotkey must start with \"zks1\" followed by 64 lowercase hex digits");
  auto pk = from_hex(text.substr(kHotkeyPrefix.size()));
  if (!pk) return make_error("hotkey must be \"zks1\" followed by 64 lowercase hex digits");
  return pk;
}

std::string PublicKey::hex() const { return util::to_hex(m_bytes); }
std::string PublicKey::to_string() const { return std::string(kHotkeyPrefix) + hex(); }

SecretKey::~SecretKey() { sodium_memzero(m_bytes.data(), m_bytes.size()); }

SecretKey::SecretKey(SecretKey&& other) noexcept : m_bytes(other.m_bytes) {
  sodium_memzero(other.m_bytes.data(), other.m_bytes.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    m_bytes = other.m_bytes;
    sodium_memzero(other.m_bytes.data(), other.m_bytes.size());
  }
  return *this;
}

Result<SecretKey> SecretKey::from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kSecretKeyBytes)
    return make_error("secret key must be 64 bytes, got " + std::to_string(bytes.size()));
  SecretKey sk;
  std::memcpy(sk.m_bytes.data(), bytes.data(), kSecretKeyBytes);
  return sk;
}

Keypair Keypair::generate() {
  hash::ensure_sodium();
  Keypair kp;
  std::array<uint8_t, kPublicKeyBytes> pk;
  crypto_sign_ed25519_keypair(pk.data(), kp.m_secret.m_bytes.data());
  kp.m_public = PublicKey(pk);
  return kp;
}

Keypair Keypair::from_seed(std::span<const uint8_t, kSeedBytes> seed) {
  hash::ensure_sodium();
  Keypair kp;
  std::array<uint8_t, kPublicKeyBytes> pk;
  crypto_sign_ed25519_seed_keypair(pk.data(), kp.m_secret.m_bytes.data(), seed.data());
  kp.m_public = PublicKey(pk);
  return kp;
}

Result<Keypair> Keypair::from_secret(SecretKey secret) {
  hash::ensure_sodium();
  // Re-derive from the seed half: a secret key whose second half is not the public
  // key of its seed would sign with one key while claiming another.
  std::array<uint8_t, kSeedBytes> seed;
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret.m_bytes.data());
  Keypair kp = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (sodium_memcmp(kp.m_secret.m_bytes.data(), secret.m_bytes.data(), kSecretKeyBytes) != 0)
    return make_error("secret key is inconsistent: its public half does not match its seed");
  return kp;
}

std::vector<uint8_t> Keypair::sign(std::span<const uint8_t> message) const {
  hash::ensure_sodium();
  std::vector<uint8_t> sig(kSignatureBytes);
  crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(), message.size(),
                               m_secret.m_bytes.data());
  return sig;
}

std::vector<uint8_t> Keypair::sign(std::string_view message) const { return sign(as_bytes(message)); }

bool verify(const PublicKey& pk, std::span<const uint8_t> message, std::span<const uint8_t> signature) {
  if (signature.size() != kSignatureBytes) return false;
  hash::ensure_sodium();
  return crypto_sign_ed25519_verify_detached(signature.data(), message.data(), message.size(),
                                             pk.bytes().data()) == 0;
}

bool verify(const PublicKey& pk, std::string_view message, std::span<const uint8_t> signature) {
  return verify(pk, as_bytes(message), signature);
}

}  // namespace zks::crypto
