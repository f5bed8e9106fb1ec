// RocksNonceStore: the envelope seen-set survives a restart, and pruning works.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "crypto/verifier.hpp"
#include "store/nonce_store.hpp"
#include "unit/crypto/temp_dir.hpp"

using namespace zks::store;
using namespace zks::crypto;
using zks::test::TempDir;

namespace {
constexpr uint64_t kSecond = 1'000'000'000ull;
constexpr uint64_t kStart = 1'700'000'000ull * kSecond;
const char* kMethod = "/zkslice.v1.Miner/ProveSlice";
Keypair seeded(uint8_t b) {
  std::array<uint8_t, kSeedBytes> seed;
  seed.fill(b);
  return Keypair::from_seed(seed);
}
size_t count_nonces(Store& s) {
  size_t n = 0;
  REQUIRE(s.for_each_prefix(cf::kNonces, "", [&](auto, auto) { ++n; return true; }).ok());
  return n;
}
}  // namespace

TEST_CASE("rocks nonce store insert if absent", "[store]") {
  TempDir dir("nonces");
  auto s = Store::open(dir.path(), all_column_families());
  REQUIRE(s.ok());
  RocksNonceStore nonces(*s);
  Keypair a = seeded(1);
  NonceKey k{a.public_key(), "u", kStart};
  CHECK(*nonces.insert_if_absent(k) == true);
  CHECK(*nonces.insert_if_absent(k) == false);
  CHECK(*nonces.insert_if_absent(NonceKey{a.public_key(), "v", kStart}) == true);
  CHECK(*nonces.insert_if_absent(NonceKey{a.public_key(), "u", kStart + 1}) == true);
  CHECK(*nonces.insert_if_absent(NonceKey{seeded(2).public_key(), "u", kStart}) == true);
  CHECK(count_nonces(*s) == 4);

  REQUIRE(nonces.prune_older_than(kStart + 1).ok());
  CHECK(count_nonces(*s) == 1);
  CHECK(*nonces.insert_if_absent(NonceKey{a.public_key(), "u", kStart + 1}) == false);
}

TEST_CASE("a replay after a restart is still rejected", "[store]") {
  TempDir dir("nonces");
  Keypair client = seeded(1), miner = seeded(2);
  std::vector<uint8_t> raw = {1, 2, 3};
  uint64_t now = kStart;
  VerifierConfig config;
  Metadata md = encode_metadata(sign_request(client, miner.public_key(), kMethod, kStart, "client-1", raw));
  {
    auto s = Store::open(dir.path(), all_column_families());
    REQUIRE(s.ok());
    RocksNonceStore nonces(*s);
    EnvelopeVerifier v(miner.public_key(), config, nonces, [&] { return now; });
    REQUIRE(v.verify_request(kMethod, md, raw).ok());
    auto again = v.verify_request(kMethod, md, raw);
    REQUIRE_FALSE(again.ok());
    CHECK(again.code() == EnvelopeError::Replayed);
  }
  // "Restart": a new store, a new verifier, ten seconds later (inside the window).
  now += 10 * kSecond;
  auto s = Store::open(dir.path(), all_column_families());
  REQUIRE(s.ok());
  RocksNonceStore nonces(*s);
  EnvelopeVerifier v(miner.public_key(), config, nonces, [&] { return now; });
  auto replay = v.verify_request(kMethod, md, raw);
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.code() == EnvelopeError::Replayed);
  // A fresh request from the same sender still goes through.
  Metadata fresh = encode_metadata(sign_request(client, miner.public_key(), kMethod, now, "client-1", raw));
  CHECK(v.verify_request(kMethod, fresh, raw).ok());

  // Much later the verifier prunes the old entries; the old request is then stale.
  now += 300 * kSecond;
  Metadata later = encode_metadata(sign_request(client, miner.public_key(), kMethod, now, "client-1", raw));
  CHECK(v.verify_request(kMethod, later, raw).ok());
  CHECK(count_nonces(*s) == 1);
  auto old = v.verify_request(kMethod, md, raw);
  REQUIRE_FALSE(old.ok());
  CHECK(old.code() == EnvelopeError::Stale);
}

TEST_CASE("concurrent copies of one request: exactly one is accepted", "[store]") {
  TempDir dir("nonces");
  auto s = Store::open(dir.path(), all_column_families());
  REQUIRE(s.ok());
  RocksNonceStore nonces(*s);
  Keypair client = seeded(1), miner = seeded(2);
  std::vector<uint8_t> raw = {4, 5, 6};
  VerifierConfig config;
  config.rate_per_sec = 0;
  EnvelopeVerifier v(miner.public_key(), config, nonces, [] { return kStart; });
  Metadata md = encode_metadata(sign_request(client, miner.public_key(), kMethod, kStart, "client-1", raw));
  std::atomic<int> accepted{0}, replayed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      auto verdict = v.verify_request(kMethod, md, raw);
      if (verdict.ok()) ++accepted;
      else if (verdict.code() == EnvelopeError::Replayed) ++replayed;
    });
  for (auto& t : threads) t.join();
  CHECK(accepted == 1);
  CHECK(replayed == 7);
}
