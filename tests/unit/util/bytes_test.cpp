// The byte writer and reader's varints: round trips at the edges, and every malformed
// encoding refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "util/bytes.hpp"

using zks::util::ByteReader;
using zks::util::ByteWriter;
using zks::util::Bytes;

TEST_CASE("varints round trip and take the fewest bytes", "[util][bytes]") {
  std::vector<int64_t> values = {0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, (1 << 20), -(1 << 20),
                                 std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  std::mt19937_64 rng(4);
  for (int i = 0; i < 1000; ++i) values.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
  ByteWriter w;
  for (int64_t v : values) w.svarint(v);
  ByteReader r(w.bytes());
  for (int64_t v : values) {
    int64_t got = 0;
    REQUIRE(r.svarint(got));
    REQUIRE(got == v);
  }
  CHECK(r.at_end());
  auto size = [](int64_t v) {
    ByteWriter one;
    one.svarint(v);
    return one.bytes().size();
  };
  CHECK(size(0) == 1);
  CHECK(size(-64) == 1);
  CHECK(size(64) == 2);
  CHECK(size(-(1 << 15)) == 3);  // a 16-bit activation: 3 bytes, not 8
  CHECK(size(std::numeric_limits<int64_t>::min()) == 10);
  ByteWriter u;
  u.varint(std::numeric_limits<uint64_t>::max());
  CHECK(u.bytes() == Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
}

TEST_CASE("malformed varints are refused", "[util][bytes]") {
  auto refused = [](Bytes b) {
    ByteReader r(b);
    uint64_t v = 0;
    return !r.varint(v);
  };
  CHECK(refused({}));                            // nothing
  CHECK(refused({0x80}));                        // truncated
  CHECK(refused({0xff, 0xff}));                  // truncated
  CHECK(refused({0x81, 0x00}));                  // 1 in two bytes: not the shortest
  CHECK(refused({0x80, 0x80, 0x00}));            // 0 in three bytes
  CHECK(refused({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}));  // 65 bits
  CHECK(refused({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01}));  // 11 bytes
  CHECK_FALSE(refused({0x80, 0x01}));           // 128
  CHECK_FALSE(refused({0x00}));                 // 0
}
