// BLAKE2b-256 with domain tags: libsodium known answers, the tag encoding, domain
// separation and incremental hashing.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "hash/blake2b.hpp"
#include "util/bytes.hpp"

using zks::hash::Digest;
using zks::hash::Domain;
using zks::hash::Hasher;

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Plain BLAKE2b-256 straight from libsodium, no domain tag.
Digest plain_blake2b(std::span<const uint8_t> data) {
  zks::hash::ensure_sodium();
  Digest out;
  crypto_generichash_blake2b(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
  return out;
}

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

Digest random_digest(std::mt19937_64& rng) {
  Digest d;
  for (auto& b : d) b = static_cast<uint8_t>(rng());
  return d;
}

const Domain kAllDomains[] = {Domain::MerkleLeaf, Domain::MerkleNode, Domain::Transcript,
                              Domain::Challenge,  Domain::ProofOfWork, Domain::Commitment,
                              Domain::Generic};

}  // namespace

TEST_CASE("blake2b: plain BLAKE2b-256 known answers from libsodium", "[hash]") {
  CHECK(zks::util::to_hex(plain_blake2b({})) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(zks::util::to_hex(plain_blake2b(as_bytes("abc"))) ==
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_CASE("blake2b: domain tags are pinned (they are part of every proof)", "[hash]") {
  CHECK(static_cast<uint8_t>(Domain::MerkleLeaf) == 0x01);
  CHECK(static_cast<uint8_t>(Domain::MerkleNode) == 0x02);
  CHECK(static_cast<uint8_t>(Domain::Transcript) == 0x03);
  CHECK(static_cast<uint8_t>(Domain::Challenge) == 0x04);
  CHECK(static_cast<uint8_t>(Domain::ProofOfWork) == 0x05);
  CHECK(static_cast<uint8_t>(Domain::Commitment) == 0x06);
  CHECK(static_cast<uint8_t>(Domain::Generic) == 0x7f);
}

TEST_CASE("blake2b: hash(domain, x) is BLAKE2b-256 of x personalised by the domain", "[hash]") {
  // The personalization is "zkslice-hash-v1" followed by the domain byte.
  auto p = zks::hash::personalization(Domain::MerkleLeaf);
  CHECK(std::string(p.begin(), p.begin() + 15) == "zkslice-hash-v1");
  CHECK(p[15] == 0x01);
  std::mt19937_64 rng(11);
  for (size_t len : {0u, 1u, 31u, 32u, 63u, 64u, 127u, 128u, 129u, 1000u}) {
    auto data = random_bytes(rng, len);
    for (Domain d : kAllDomains) {
      auto personal = zks::hash::personalization(d);
      Digest want;
      crypto_generichash_blake2b_salt_personal(want.data(), want.size(), data.data(), data.size(),
                                               nullptr, 0, nullptr, personal.data());
      CHECK(zks::hash::hash(d, data) == want);
    }
  }
  // The empty message in a domain is not the plain empty-message digest.
  CHECK(zks::hash::hash(Domain::Generic, {}) != plain_blake2b({}));
}

TEST_CASE("blake2b: same bytes in different domains give different digests", "[hash]") {
  std::mt19937_64 rng(12);
  for (size_t len : {0u, 1u, 32u, 64u, 65u, 200u}) {
    auto data = random_bytes(rng, len);
    std::vector<Digest> seen;
    for (Domain d : kAllDomains) seen.push_back(zks::hash::hash(d, data));
    for (size_t i = 0; i < seen.size(); ++i)
      for (size_t j = i + 1; j < seen.size(); ++j) CHECK(seen[i] != seen[j]);
  }
}

TEST_CASE("blake2b: hash_node is H(MerkleNode || left || right) and differs from a leaf", "[hash]") {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 20; ++trial) {
    Digest l = random_digest(rng), r = random_digest(rng);
    Digest node = zks::hash::hash_node(l, r);

    CHECK(node == Hasher(Domain::MerkleNode).update(l).update(r).finalize());

    std::vector<uint8_t> cat(l.begin(), l.end());
    cat.insert(cat.end(), r.begin(), r.end());
    CHECK(node == zks::hash::hash(Domain::MerkleNode, cat));
    // The same 64 bytes hashed as a leaf (or anything else) must not collide.
    CHECK(node != zks::hash::hash(Domain::MerkleLeaf, cat));
    CHECK(node != plain_blake2b(cat));
    CHECK(node != zks::hash::hash_node(r, l));
  }
  Digest z{};
  CHECK(zks::hash::hash_node(z, z) != z);
}

TEST_CASE("blake2b: incremental Hasher equals one-shot hash", "[hash]") {
  std::mt19937_64 rng(14);
  for (size_t len : {0u, 1u, 7u, 64u, 127u, 128u, 129u, 255u, 256u, 257u, 777u}) {
    auto data = random_bytes(rng, len);
    Digest one_shot = zks::hash::hash(Domain::Generic, data);
    std::span<const uint8_t> all(data);

    // Every split point into two updates.
    for (size_t cut = 0; cut <= len; ++cut) {
      Digest two = Hasher(Domain::Generic).update(all.first(cut)).update(all.subspan(cut)).finalize();
      REQUIRE(two == one_shot);
    }
    // Random chunkings, including empty chunks.
    for (int trial = 0; trial < 10; ++trial) {
      Hasher h(Domain::Generic);
      size_t pos = 0;
      while (pos < len) {
        size_t take = std::min<size_t>(len - pos, rng() % 70);
        h.update(all.subspan(pos, take));
        pos += take;
      }
      h.update({});
      REQUIRE(h.finalize() == one_shot);
    }
    // Byte by byte.
    Hasher h(Domain::Generic);
    for (uint8_t b : data) h.update({&b, 1});
    CHECK(h.finalize() == one_shot);
  }
}

TEST_CASE("blake2b: update_u64 is the 8 little-endian bytes", "[hash]") {
  for (uint64_t v : {uint64_t(0), uint64_t(1), uint64_t(0x0102030405060708ull),
                     uint64_t(0xFFFFFFFF00000001ull), ~uint64_t(0)}) {
    uint8_t le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(v >> (8 * i));
    CHECK(Hasher(Domain::Generic).update_u64(v).finalize() ==
          zks::hash::hash(Domain::Generic, le));
  }
}

TEST_CASE("blake2b: update_u64s and update_i64s are update_u64 of each value, across buffer boundaries", "[hash]") {
  std::vector<uint64_t> u;
  std::vector<int64_t> s;
  for (uint64_t i = 0; i < 1500; ++i) {
    u.push_back(i * 0x9E3779B97F4A7C15ull);
    s.push_back(int64_t(i) * (i % 2 ? -1 : 1) - 7);
  }
  for (size_t n : {size_t(0), size_t(1), size_t(511), size_t(512), size_t(513), size_t(1500)}) {
    CAPTURE(n);
    Hasher one(Domain::Generic), many(Domain::Generic), one_s(Domain::Generic), many_s(Domain::Generic);
    for (size_t i = 0; i < n; ++i) one.update_u64(u[i]), one_s.update_u64(uint64_t(s[i]));
    many.update_u64s(std::span<const uint64_t>(u.data(), n));
    many_s.update_i64s(std::span<const int64_t>(s.data(), n));
    CHECK(one.finalize() == many.finalize());
    CHECK(one_s.finalize() == many_s.finalize());
  }
}

TEST_CASE("blake2b: finalize does not consume the state", "[hash]") {
  std::mt19937_64 rng(15);
  auto a = random_bytes(rng, 100), b = random_bytes(rng, 50);
  Hasher h(Domain::Transcript);
  h.update(a);
  Digest d1 = h.finalize();
  CHECK(h.finalize() == d1);
  CHECK(d1 == zks::hash::hash(Domain::Transcript, a));

  // Updating after a finalize continues the same message.
  Hasher copy = h;
  h.update(b);
  std::vector<uint8_t> ab(a);
  ab.insert(ab.end(), b.begin(), b.end());
  CHECK(h.finalize() == zks::hash::hash(Domain::Transcript, ab));
  // A copy is independent of the original.
  CHECK(copy.finalize() == d1);
}

TEST_CASE("hash_many equals the libsodium hasher for every length, count and domain", "[hash]") {
  std::mt19937_64 rng(21);
  for (Domain d : {Domain::MerkleLeaf, Domain::MerkleNode, Domain::Generic}) {
    for (size_t len : {1, 7, 64, 127, 128, 129, 200, 256, 300}) {
      for (size_t count : {1, 3, 4, 5, 8, 9, 12, 17}) {
        CAPTURE(int(d), len, count);
        const size_t stride = len + 3;  // messages need not be packed
        auto data = random_bytes(rng, stride * count);
        std::vector<Digest> out(count);
        zks::hash::hash_many(d, data.data(), stride, len, count, out.data());
        for (size_t i = 0; i < count; ++i)
          REQUIRE(out[i] == Hasher(d).update({data.data() + i * stride, len}).finalize());
      }
    }
  }
  // The Merkle node hash is the 64-byte case.
  Digest l{}, r{};
  l[0] = 1, r[31] = 2;
  uint8_t both[64];
  std::copy(l.begin(), l.end(), both);
  std::copy(r.begin(), r.end(), both + 32);
  Digest out;
  zks::hash::hash_many(Domain::MerkleNode, both, 64, 64, 1, &out);
  REQUIRE(out == zks::hash::hash_node(l, r));
}
