// ed25519 hotkeys: sign/verify round trip, tampering, the printable form.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "crypto/keys.hpp"

using namespace zks::crypto;

namespace {
std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
Keypair seeded(uint8_t b) {
  std::array<uint8_t, kSeedBytes> seed;
  seed.fill(b);
  return Keypair::from_seed(seed);
}
}  // namespace

TEST_CASE("sign and verify round trip", "[crypto]") {
  Keypair kp = Keypair::generate();
  std::string msg = "zkslice-v1|req|hello";
  auto sig = kp.sign(msg);
  REQUIRE(sig.size() == kSignatureBytes);
  CHECK(verify(kp.public_key(), msg, sig));
  CHECK(verify(kp.public_key(), bytes_of(msg), sig));
  // Empty messages are signable too.
  auto sig_empty = kp.sign(std::string_view{});
  CHECK(verify(kp.public_key(), std::string_view{}, sig_empty));
}

TEST_CASE("verify rejects tampered messages, signatures and keys", "[crypto]") {
  Keypair kp = seeded(7);
  std::string msg = "the quick brown fox";
  auto sig = kp.sign(msg);

  SECTION("changed message byte") {
    for (size_t i = 0; i < msg.size(); ++i) {
      std::string m = msg;
      m[i] ^= 1;
      CHECK_FALSE(verify(kp.public_key(), m, sig));
    }
  }
  SECTION("changed signature byte") {
    for (size_t i = 0; i < sig.size(); ++i) {
      auto s = sig;
      s[i] ^= 0x80;
      CHECK_FALSE(verify(kp.public_key(), msg, s));
    }
  }
  SECTION("wrong key") { CHECK_FALSE(verify(seeded(8).public_key(), msg, sig)); }
  SECTION("empty, short and long signatures") {
    CHECK_FALSE(verify(kp.public_key(), msg, std::vector<uint8_t>{}));
    CHECK_FALSE(verify(kp.public_key(), msg, std::vector<uint8_t>(sig.begin(), sig.end() - 1)));
    auto longer = sig;
    longer.push_back(0);
    CHECK_FALSE(verify(kp.public_key(), msg, longer));
    CHECK_FALSE(verify(kp.public_key(), msg, std::vector<uint8_t>(64, 0)));
  }
  SECTION("all-zero public key") { CHECK_FALSE(verify(PublicKey{}, msg, sig)); }
}

TEST_CASE("deterministic keys from a seed", "[crypto]") {
  CHECK(seeded(1).public_key() == seeded(1).public_key());
  CHECK(seeded(1).public_key() != seeded(2).public_key());
  CHECK(Keypair::generate().public_key() != Keypair::generate().public_key());
}

TEST_CASE("hotkey printable form is zks1 plus lowercase hex", "[crypto]") {
  Keypair kp = seeded(3);
  std::string text = kp.public_key().to_string();
  CHECK(text.size() == 68);
  CHECK(text.rfind("zks1", 0) == 0);
  CHECK(text.substr(4) == kp.public_key().hex());
  auto back = PublicKey::parse(text);
  REQUIRE(back.ok());
  CHECK(*back == kp.public_key());

  CHECK_FALSE(PublicKey::parse(kp.public_key().hex()).ok());           // no prefix
  CHECK_FALSE(PublicKey::parse(text.substr(0, 67)).ok());              // short
  CHECK_FALSE(PublicKey::parse(text + "0").ok());                      // long
  std::string upper = text;
  for (size_t i = 4; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  if (upper != text) CHECK_FALSE(PublicKey::parse(upper).ok());        // uppercase hex
  CHECK_FALSE(PublicKey::parse("zks1" + std::string(64, 'g')).ok());
  CHECK_FALSE(PublicKey::from_bytes(std::vector<uint8_t>(31)).ok());
}

TEST_CASE("secret key consistency is checked", "[crypto]") {
  Keypair kp = seeded(5);
  std::array<uint8_t, kSecretKeyBytes> raw;
  std::copy(kp.secret_key().bytes().begin(), kp.secret_key().bytes().end(), raw.begin());
  auto sk_good = SecretKey::from_bytes(raw);
  REQUIRE(sk_good.ok());
  auto good = Keypair::from_secret(std::move(*sk_good));
  REQUIRE(good.ok());
  CHECK(good->public_key() == kp.public_key());

  raw[40] ^= 1;  // the embedded public half no longer matches the seed
  auto sk_bad = SecretKey::from_bytes(raw);
  REQUIRE(sk_bad.ok());
  auto bad = Keypair::from_secret(std::move(*sk_bad));
  CHECK_FALSE(bad.ok());
  CHECK_FALSE(SecretKey::from_bytes(std::vector<uint8_t>(63)).ok());
}

TEST_CASE("a moved-from secret key is wiped", "[crypto]") {
  Keypair kp = seeded(9);
  auto sk = SecretKey::from_bytes(kp.secret_key().bytes());
  REQUIRE(sk.ok());
  SecretKey moved = std::move(*sk);
  bool all_zero = true;
  for (uint8_t b : sk->bytes()) all_zero &= (b == 0);
  CHECK(all_zero);
  CHECK(std::equal(moved.bytes().begin(), moved.bytes().end(), kp.secret_key().bytes().begin()));
}
