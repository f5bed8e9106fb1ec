// EnvelopeVerifier: every check, in order, with its own error code; responses bound
// to their request. A fake clock makes freshness and rate limits deterministic.
#include <catch2/catch.hpp>

#include <string>

#include "crypto/verifier.hpp"
#include "util/bytes.hpp"

using namespace zks::crypto;

namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;
constexpr uint64_t kStart = 1'700'000'000ull * kSecond;
const char* kMethod = "/zkslice.v1.Miner/ProveSlice";

std::vector<uint8_t> body(const std::string& s) { return {s.begin(), s.end()}; }
Keypair seeded(uint8_t b) {
  std::array<uint8_t, kSeedBytes> seed;
  seed.fill(b);
  return Keypair::from_seed(seed);
}

struct Fixture {
  Keypair client = seeded(1);
  Keypair miner = seeded(2);
  Keypair stranger = seeded(3);
  uint64_t now = kStart;
  MemoryNonceStore nonces;
  VerifierConfig config;
  std::vector<uint8_t> raw = body("serialized ProveSliceRequest");

  Fixture() {
    config.rate_per_sec = 0;  // off unless a test turns it on
  }
  EnvelopeVerifier verifier() {
    return EnvelopeVerifier(miner.public_key(), config, nonces, [this] { return now; });
  }
  Metadata request(uint64_t nonce, const std::string& uuid = "client-1", const Keypair* from = nullptr) {
    return encode_metadata(sign_request(from ? *from : client, miner.public_key(), kMethod, nonce, uuid, raw));
  }
};

Metadata replace(Metadata md, const std::string& key, const std::string& value) {
  for (auto& kv : md)
    if (kv.first == key) kv.second = value;
  return md;
}
Metadata drop(Metadata md, const std::string& key) {
  std::erase_if(md, [&](auto& kv) { return kv.first == key; });
  return md;
}

#define REQUIRE_REJECTED(verdict, expected_code)                \
  do {                                                          \
    auto&& v_ = (verdict);                                      \
    REQUIRE_FALSE(v_.ok());                                     \
    INFO(v_.error());                                           \
    CHECK(to_string(v_.code()) == to_string(expected_code));    \
  } while (0)

}  // namespace

TEST_CASE("verifier accepts a valid request and reports the computed body hash", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  auto verdict = v.verify_request(kMethod, f.request(kStart), f.raw);
  REQUIRE(verdict.ok());
  CHECK(verdict.envelope().sender == f.client.public_key());
  CHECK(verdict.envelope().body_hash == body_hash(f.raw));
  CHECK(verdict.envelope().method == kMethod);
}

TEST_CASE("verifier rejects malformed metadata", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  REQUIRE_REJECTED(v.verify_request(kMethod, {}, f.raw), EnvelopeError::Malformed);
  REQUIRE_REJECTED(v.verify_request(kMethod, replace(f.request(kStart), "zks-nonce", "garbage"), f.raw),
                   EnvelopeError::Malformed);
  Metadata junk = {{"zks-sender", "\xff\xfe"}, {"zks-sig", "00"}};
  REQUIRE_REJECTED(v.verify_request(kMethod, junk, f.raw), EnvelopeError::Malformed);
}

TEST_CASE("verifier rejects a missing or empty signature", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  REQUIRE_REJECTED(v.verify_request(kMethod, drop(f.request(kStart), "zks-sig"), f.raw), EnvelopeError::MissingSignature);
  REQUIRE_REJECTED(v.verify_request(kMethod, replace(f.request(kStart), "zks-sig", ""), f.raw),
                   EnvelopeError::MissingSignature);
}

TEST_CASE("verifier rejects bad signatures", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  SECTION("signed by another key than the claimed sender") {
    Envelope env = sign_request(f.stranger, f.miner.public_key(), kMethod, kStart, "u", f.raw);
    env.sender = f.client.public_key();
    REQUIRE_REJECTED(v.verify_request(kMethod, encode_metadata(env), f.raw), EnvelopeError::BadSignature);
  }
  SECTION("body changed after signing") {
    auto tampered = f.raw;
    tampered[0] ^= 1;
    auto verdict = v.verify_request(kMethod, f.request(kStart), tampered);
    REQUIRE_REJECTED(verdict, EnvelopeError::BadSignature);
    CHECK_THAT(verdict.error(), Catch::Contains("body does not match"));
  }
  SECTION("body and claimed body hash both changed") {
    auto tampered = body("another request");
    auto md = replace(f.request(kStart), "zks-body-hash", zks::util::to_hex(body_hash(tampered)));
    REQUIRE_REJECTED(v.verify_request(kMethod, md, tampered), EnvelopeError::BadSignature);
  }
  SECTION("claimed body hash changed, body intact: still verified on the real bytes") {
    auto md = replace(f.request(kStart), "zks-body-hash", std::string(64, '0'));
    CHECK(v.verify_request(kMethod, md, f.raw).ok());
  }
  SECTION("a signature byte flipped") {
    auto md = f.request(kStart);
    for (auto& kv : md)
      if (kv.first == "zks-sig") kv.second[10] = kv.second[10] == '0' ? '1' : '0';
    REQUIRE_REJECTED(v.verify_request(kMethod, md, f.raw), EnvelopeError::BadSignature);
  }
  SECTION("short signature") {
    auto md = f.request(kStart);
    for (auto& kv : md)
      if (kv.first == "zks-sig") kv.second.resize(126);
    REQUIRE_REJECTED(v.verify_request(kMethod, md, f.raw), EnvelopeError::BadSignature);
  }
  SECTION("signed for another method") {
    REQUIRE_REJECTED(v.verify_request("/zkslice.v1.Miner/GetInfo", f.request(kStart), f.raw),
                     EnvelopeError::BadSignature);
  }
  SECTION("a nonce changed after signing") {
    REQUIRE_REJECTED(v.verify_request(kMethod, replace(f.request(kStart), "zks-nonce", std::to_string(kStart + 1)), f.raw),
                     EnvelopeError::BadSignature);
  }
}

TEST_CASE("verifier rejects a request addressed to another node", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  auto md = encode_metadata(sign_request(f.client, f.stranger.public_key(), kMethod, kStart, "u", f.raw));
  REQUIRE_REJECTED(v.verify_request(kMethod, md, f.raw), EnvelopeError::WrongReceiver);
}

TEST_CASE("verifier enforces the freshness window", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(kStart - 61 * kSecond), f.raw), EnvelopeError::Stale);
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(kStart + 61 * kSecond), f.raw), EnvelopeError::Stale);
  CHECK(v.verify_request(kMethod, f.request(kStart - 59 * kSecond), f.raw).ok());
  CHECK(v.verify_request(kMethod, f.request(kStart + 59 * kSecond), f.raw).ok());

  f.config.freshness_window = std::chrono::seconds(5);
  auto tight = f.verifier();
  REQUIRE_REJECTED(tight.verify_request(kMethod, f.request(kStart - 6 * kSecond), f.raw), EnvelopeError::Stale);
}

TEST_CASE("verifier rejects a replayed nonce and accepts out-of-order nonces", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  auto first = f.request(kStart);
  REQUIRE(v.verify_request(kMethod, first, f.raw).ok());
  REQUIRE_REJECTED(v.verify_request(kMethod, first, f.raw), EnvelopeError::Replayed);

  // Parallel requests arrive out of order: both inside the window, both accepted.
  CHECK(v.verify_request(kMethod, f.request(kStart + 2000), f.raw).ok());
  CHECK(v.verify_request(kMethod, f.request(kStart + 1000), f.raw).ok());
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(kStart + 1000), f.raw), EnvelopeError::Replayed);
  // Same nonce from another process of the same sender, or from another sender: fine.
  CHECK(v.verify_request(kMethod, f.request(kStart, "client-2"), f.raw).ok());
  CHECK(v.verify_request(kMethod, f.request(kStart, "client-1", &f.stranger), f.raw).ok());
}

TEST_CASE("verifier prunes the seen-set after the window and still rejects old replays", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  auto old = f.request(kStart);
  REQUIRE(v.verify_request(kMethod, old, f.raw).ok());
  CHECK(f.nonces.size() == 1);
  f.now += 100 * kSecond;  // stale, but kept (prune keeps two windows)
  REQUIRE(v.verify_request(kMethod, f.request(f.now), f.raw).ok());
  CHECK(f.nonces.size() == 2);
  f.now += 100 * kSecond;
  REQUIRE(v.verify_request(kMethod, f.request(f.now), f.raw).ok());
  CHECK(f.nonces.size() == 2);  // the first entry is gone ...
  REQUIRE_REJECTED(v.verify_request(kMethod, old, f.raw), EnvelopeError::Stale);  // ... and not needed
}

TEST_CASE("verifier applies the allow-list and the allow callback", "[crypto]") {
  Fixture f;
  f.config.allow_list = {f.stranger.public_key()};
  auto v = f.verifier();
  auto verdict = v.verify_request(kMethod, f.request(kStart), f.raw);
  REQUIRE_REJECTED(verdict, EnvelopeError::NotAllowed);
  CHECK_THAT(verdict.error(), Catch::Contains(f.client.public_key().to_string()));
  CHECK(v.verify_request(kMethod, f.request(kStart, "u", &f.stranger), f.raw).ok());

  f.config.allow_list.clear();
  f.config.allow = [&](const PublicKey& pk) { return pk == f.client.public_key(); };
  auto by_stake = f.verifier();
  CHECK(by_stake.verify_request(kMethod, f.request(kStart + 1), f.raw).ok());
  REQUIRE_REJECTED(by_stake.verify_request(kMethod, f.request(kStart + 1, "u2", &f.stranger), f.raw),
                   EnvelopeError::NotAllowed);
}

TEST_CASE("verifier rate limits per sender and refills with the clock", "[crypto]") {
  Fixture f;
  f.config.rate_per_sec = 2;
  f.config.burst = 3;
  auto v = f.verifier();
  uint64_t nonce = kStart;
  for (int i = 0; i < 3; ++i) REQUIRE(v.verify_request(kMethod, f.request(++nonce), f.raw).ok());
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(++nonce), f.raw), EnvelopeError::RateLimited);
  // Another sender has its own bucket.
  CHECK(v.verify_request(kMethod, f.request(++nonce, "s", &f.stranger), f.raw).ok());

  f.now += kSecond / 2;  // one token back
  CHECK(v.verify_request(kMethod, f.request(++nonce), f.raw).ok());
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(++nonce), f.raw), EnvelopeError::RateLimited);
  f.now += 10 * kSecond;  // refilled, but only up to the burst
  for (int i = 0; i < 3; ++i) REQUIRE(v.verify_request(kMethod, f.request(f.now + i), f.raw).ok());
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(f.now + 3), f.raw), EnvelopeError::RateLimited);
}

TEST_CASE("verifier reports the first failing check", "[crypto]") {
  Fixture f;
  f.config.allow_list = {f.stranger.public_key()};
  f.config.rate_per_sec = 1;
  f.config.burst = 1;
  auto v = f.verifier();
  // Unsigned, misaddressed, stale, not allowed: the missing signature comes first.
  auto all_wrong = encode_metadata(sign_request(f.client, f.stranger.public_key(), kMethod, kStart - 100 * kSecond, "u", f.raw));
  REQUIRE_REJECTED(v.verify_request(kMethod, drop(all_wrong, "zks-sig"), f.raw), EnvelopeError::MissingSignature);
  // Signed: misaddressed comes before stale.
  REQUIRE_REJECTED(v.verify_request(kMethod, all_wrong, f.raw), EnvelopeError::WrongReceiver);
  // Stale before not allowed.
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(kStart - 100 * kSecond), f.raw), EnvelopeError::Stale);
  // Not allowed is checked after the seen-set: the first send is NotAllowed, its replay Replayed.
  auto md = f.request(kStart);
  REQUIRE_REJECTED(v.verify_request(kMethod, md, f.raw), EnvelopeError::NotAllowed);
  REQUIRE_REJECTED(v.verify_request(kMethod, md, f.raw), EnvelopeError::Replayed);
  // Rate limit last.
  REQUIRE(v.verify_request(kMethod, f.request(kStart, "u", &f.stranger), f.raw).ok());
  REQUIRE_REJECTED(v.verify_request(kMethod, f.request(kStart + 1, "u", &f.stranger), f.raw), EnvelopeError::RateLimited);
}

namespace {
class BrokenNonceStore final : public NonceStore {
 public:
  zks::Result<bool> insert_if_absent(const NonceKey&) override { return zks::make_error("disk on fire"); }
  zks::Status prune_older_than(uint64_t) override { return zks::make_error("disk on fire"); }
};
}  // namespace

TEST_CASE("verifier refuses when the nonce store fails", "[crypto]") {
  Fixture f;
  BrokenNonceStore broken;
  EnvelopeVerifier v(f.miner.public_key(), f.config, broken, [&] { return f.now; });
  auto verdict = v.verify_request(kMethod, f.request(kStart), f.raw);
  REQUIRE_REJECTED(verdict, EnvelopeError::Internal);
  CHECK_THAT(verdict.error(), Catch::Contains("disk on fire"));
}

TEST_CASE("responses verify only for the request they answer", "[crypto]") {
  Fixture f;
  auto v = f.verifier();
  // The miner verifies the request, then answers it.
  auto req_verdict = v.verify_request(kMethod, f.request(kStart), f.raw);
  REQUIRE(req_verdict.ok());
  const Envelope& req = req_verdict.envelope();
  auto resp_body = body("serialized ProveSliceResponse");
  Metadata resp = encode_metadata(sign_response(f.miner, req, kStart + 5, "miner-1", resp_body));

  ResponseCheck check;
  check.self = f.client.public_key();
  check.expected_sender = f.miner.public_key();
  check.request = RequestBinding{req.nonce, body_hash(f.raw)};
  check.clock = [&] { return f.now; };
  CHECK(verify_response(check, kMethod, resp, resp_body).ok());

  SECTION("signed for another request nonce") {
    ResponseCheck other = check;
    other.request.nonce += 1;
    REQUIRE_REJECTED(verify_response(other, kMethod, resp, resp_body), EnvelopeError::BadSignature);
  }
  SECTION("signed for another request body") {
    ResponseCheck other = check;
    other.request.body_hash = body_hash(body("another request"));
    REQUIRE_REJECTED(verify_response(other, kMethod, resp, resp_body), EnvelopeError::BadSignature);
  }
  SECTION("response body changed") {
    auto tampered = resp_body;
    tampered.back() ^= 1;
    REQUIRE_REJECTED(verify_response(check, kMethod, resp, tampered), EnvelopeError::BadSignature);
  }
  SECTION("from a node that was not called") {
    Metadata forged = encode_metadata(sign_response(f.stranger, req, kStart + 5, "s", resp_body));
    REQUIRE_REJECTED(verify_response(check, kMethod, forged, resp_body), EnvelopeError::BadSignature);
  }
  SECTION("addressed to another caller") {
    ResponseCheck other = check;
    other.self = f.stranger.public_key();
    REQUIRE_REJECTED(verify_response(other, kMethod, resp, resp_body), EnvelopeError::WrongReceiver);
  }
  SECTION("stale") {
    f.now += 120 * kSecond;
    REQUIRE_REJECTED(verify_response(check, kMethod, resp, resp_body), EnvelopeError::Stale);
  }
  SECTION("missing signature") {
    REQUIRE_REJECTED(verify_response(check, kMethod, drop(resp, "zks-sig"), resp_body), EnvelopeError::MissingSignature);
  }
  SECTION("a request cannot pass as a response, nor a response as a request") {
    // The miner's signed request to the client, shaped like the response.
    Metadata as_request = encode_metadata(sign_request(f.miner, f.client.public_key(), kMethod, kStart + 5, "miner-1", resp_body));
    REQUIRE_REJECTED(verify_response(check, kMethod, as_request, resp_body), EnvelopeError::BadSignature);
    MemoryNonceStore client_nonces;
    EnvelopeVerifier client_side(f.client.public_key(), f.config, client_nonces, [&] { return f.now; });
    REQUIRE_REJECTED(client_side.verify_request(kMethod, resp, resp_body), EnvelopeError::BadSignature);
  }
}
