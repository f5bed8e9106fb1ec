// Envelopes: the signing message, metadata encode/decode, nonce source and uuid.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "crypto/envelope.hpp"
#include "util/bytes.hpp"

using namespace zks::crypto;

namespace {
std::vector<uint8_t> body(const std::string& s) { return {s.begin(), s.end()}; }
Keypair seeded(uint8_t b) {
  std::array<uint8_t, kSeedBytes> seed;
  seed.fill(b);
  return Keypair::from_seed(seed);
}
const char* kMethod = "/zkslice.v1.Miner/GetInfo";
}  // namespace

TEST_CASE("request signing message has the documented layout", "[crypto]") {
  Keypair a = seeded(1), b = seeded(2);
  auto raw = body("payload");
  Envelope env = sign_request(a, b.public_key(), kMethod, 123456789, "u-1", raw);
  std::string expected = std::string("zkslice-v1|req|") + kMethod + "|123456789|" + a.public_key().hex() + "|" +
                         b.public_key().hex() + "|u-1|" + zks::util::to_hex(body_hash(raw));
  CHECK(signing_message(env, nullptr) == expected);
  CHECK(verify(a.public_key(), expected, env.signature));
  CHECK(env.sender == a.public_key());
  CHECK(env.receiver == b.public_key());
}

TEST_CASE("response signing message binds direction and the request", "[crypto]") {
  Keypair client = seeded(1), miner = seeded(2);
  Envelope req = sign_request(client, miner.public_key(), kMethod, 100, "client-uuid", body("req"));
  Envelope resp = sign_response(miner, req, 200, "miner-uuid", body("resp"));
  CHECK(resp.receiver == client.public_key());
  CHECK(resp.method == req.method);
  RequestBinding binding{req.nonce, req.body_hash};
  std::string msg = signing_message(resp, &binding);
  CHECK(msg.rfind("zkslice-v1|resp|", 0) == 0);
  CHECK(msg.ends_with("|100|" + zks::util::to_hex(req.body_hash)));
  CHECK(verify(miner.public_key(), msg, resp.signature));
  // The same fields signed as a request give a different message: no confusion.
  CHECK_FALSE(verify(miner.public_key(), signing_message(resp, nullptr), resp.signature));
}

TEST_CASE("body hash is plain BLAKE2b-256", "[crypto]") {
  // BLAKE2b-256("") from RFC 7693 / libsodium.
  CHECK(zks::util::to_hex(body_hash({})) == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

TEST_CASE("metadata round trip", "[crypto]") {
  Keypair a = seeded(1), b = seeded(2);
  Envelope env = sign_request(a, b.public_key(), kMethod, 42, "abc-DEF-123", body("x"));
  Metadata md = encode_metadata(env);
  std::set<std::string> keys;
  for (auto& [k, v] : md) keys.insert(k);
  CHECK(keys == std::set<std::string>{"zks-sender", "zks-receiver", "zks-nonce", "zks-uuid", "zks-body-hash", "zks-sig"});
  md.emplace_back("user-agent", "grpc-c++/1.51");  // foreign keys are ignored
  auto back = decode_metadata(md, kMethod);
  REQUIRE(back.ok());
  CHECK(back->method == kMethod);
  CHECK(back->nonce == 42);
  CHECK(back->sender == env.sender);
  CHECK(back->receiver == env.receiver);
  CHECK(back->uuid == env.uuid);
  CHECK(back->body_hash == env.body_hash);
  CHECK(back->signature == env.signature);
}

TEST_CASE("metadata decode refuses missing, duplicate and malformed fields", "[crypto]") {
  Keypair a = seeded(1), b = seeded(2);
  const Metadata good = encode_metadata(sign_request(a, b.public_key(), kMethod, 42, "u", body("x")));
  auto with = [&](const std::string& key, const std::string& value) {
    Metadata md;
    for (auto& kv : good)
      if (kv.first != key) md.push_back(kv);
    md.emplace_back(key, value);
    return md;
  };
  auto without = [&](const std::string& key) {
    Metadata md;
    for (auto& kv : good)
      if (kv.first != key) md.push_back(kv);
    return md;
  };
  auto fails = [&](const Metadata& md, const std::string& fragment, std::string_view method = kMethod) {
    auto r = decode_metadata(md, method);
    REQUIRE_FALSE(r.ok());
    INFO(r.error());
    CHECK_THAT(r.error(), Catch::Contains(fragment));
  };

  for (const char* k : {"zks-sender", "zks-receiver", "zks-nonce", "zks-uuid", "zks-body-hash"}) {
    fails(without(k), std::string("missing envelope field \"") + k + "\"");
    fails(with(k, ""), std::string("missing envelope field \"") + k + "\"");
  }
  Metadata dup = good;
  dup.push_back(good[2]);
  fails(dup, "appears more than once");
  fails(with("zks-extra", "1"), "unknown envelope field");
  fails(with("zks-sender", "zks1zz"), "zks-sender");
  fails(with("zks-receiver", b.public_key().hex()), "zks-receiver");
  fails(with("zks-nonce", "-1"), "zks-nonce");
  fails(with("zks-nonce", "012"), "zks-nonce");
  fails(with("zks-nonce", "18446744073709551616"), "zks-nonce");  // 2^64
  fails(with("zks-nonce", "12a"), "zks-nonce");
  fails(with("zks-uuid", "a|b"), "zks-uuid");
  fails(with("zks-uuid", std::string(65, 'a')), "zks-uuid");
  fails(with("zks-body-hash", std::string(63, 'a')), "zks-body-hash");
  fails(with("zks-sig", "abc"), "zks-sig");
  fails(with("zks-sig", std::string(128, 'x')), "zks-sig");
  fails(good, "bad method", "/a|b");
  fails(good, "bad method", "");

  // A missing or empty signature decodes (the verifier reports MissingSignature).
  CHECK(decode_metadata(without("zks-sig"), kMethod)->signature.empty());
  CHECK(decode_metadata(with("zks-sig", ""), kMethod)->signature.empty());
  CHECK(decode_metadata(with("zks-nonce", "18446744073709551615"), kMethod).ok());
}

TEST_CASE("nonce source is strictly increasing", "[crypto]") {
  NonceSource src;
  uint64_t last = 0;
  for (int i = 0; i < 10000; ++i) {
    uint64_t n = src.next();
    REQUIRE(n > last);
    last = n;
  }
  CHECK(last > wall_clock_ns() - uint64_t(60e9));
}

TEST_CASE("process uuid is a valid, random envelope uuid", "[crypto]") {
  std::string u = make_process_uuid();
  CHECK(u.size() == 36);
  CHECK(check_uuid(u).ok());
  CHECK(u[14] == '4');
  CHECK(make_process_uuid() != u);
}
