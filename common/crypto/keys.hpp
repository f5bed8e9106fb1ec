#pragma once
// ed25519 hotkeys over libsodium, behind RAII types so nothing else sees libsodium.
//
// Printable hotkey form: "zks1" followed by the 32-byte public key in lowercase hex
// (68 characters), e.g. zks1 3b6a27bc...  The prefix says "zkslice key, format 1" and
// keeps a hotkey from being mistaken for a hash. Bittensor uses sr25519 keys printed
// as SS58; zkslice uses ed25519 (libsodium) and plain hex, so the two are not
// interchangeable.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace zks::crypto {

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSecretKeyBytes = 64;  // libsodium layout: seed (32) || public key (32)
inline constexpr size_t kSeedBytes = 32;
inline constexpr size_t kSignatureBytes = 64;
inline constexpr std::string_view kHotkeyPrefix = "zks1";

class PublicKey {
 public:
  PublicKey() = default;  // all zero: not a usable key, only a placeholder
  explicit PublicKey(const std::array<uint8_t, kPublicKeyBytes>& bytes) : m_bytes(bytes) {}

  static Result<PublicKey> from_bytes(std::span<const uint8_t> bytes);
  // Parses the printable form "zks1" + 64 lowercase hex digits.
  static Result<PublicKey> parse(std::string_view text);
  // Parses 64 lowercase hex digits (no prefix).
  static Result<PublicKey> from_hex(std::string_view hex);

  std::string to_string() const;  // "zks1" + hex
  std::string hex() const;        // 64 lowercase hex digits
  const std::array<uint8_t, kPublicKeyBytes>& bytes() const { return m_bytes; }

  auto operator<=>(const PublicKey&) const = default;

 private:
  std::array<uint8_t, kPublicKeyBytes> m_bytes{};
};

// The 64-byte libsodium secret key. Move-only, wiped on destruction and when moved
// from, never printed (no to_string, no operator<<).
class SecretKey {
 public:
  SecretKey() = default;
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  static Result<SecretKey> from_bytes(std::span<const uint8_t> bytes);
  // For the key file writer only; callers must wipe what they copy out.
  std::span<const uint8_t, kSecretKeyBytes> bytes() const { return m_bytes; }

 private:
  friend class Keypair;
  std::array<uint8_t, kSecretKeyBytes> m_bytes{};
};

class Keypair {
 public:
  static Keypair generate();
  // Deterministic key from a 32-byte seed (tests, fixtures).
  static Keypair from_seed(std::span<const uint8_t, kSeedBytes> seed);
  // Checks that the secret key's embedded public key is the one its seed derives.
  static Result<Keypair> from_secret(SecretKey secret);

  const PublicKey& public_key() const { return m_public; }
  const SecretKey& secret_key() const { return m_secret; }

  // Detached ed25519 signature (64 bytes).
  std::vector<uint8_t> sign(std::span<const uint8_t> message) const;
  std::vector<uint8_t> sign(std::string_view message) const;

 private:
  Keypair() = default;
  PublicKey m_public;
  SecretKey m_secret;
};

// True only for a 64-byte signature by `pk` over `message`. An empty, short or long
// signature, or an invalid public key, is a plain false.
bool verify(const PublicKey& pk, std::span<const uint8_t> message, std::span<const uint8_t> signature);
bool verify(const PublicKey& pk, std::string_view message, std::span<const uint8_t> signature);

// Strict lowercase hex decoding into exactly out.size() bytes.
bool decode_hex(std::string_view hex, std::span<uint8_t> out);

}  // namespace zks::crypto

template <>
struct std::hash<zks::crypto::PublicKey> {
  size_t operator()(const zks::crypto::PublicKey& pk) const noexcept {
    size_t h = 0;
    for (size_t i = 0; i < sizeof(size_t); ++i) h = (h << 8) | pk.bytes()[i];
    return h;  // public keys are uniformly distributed
  }
};
