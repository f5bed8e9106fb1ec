// Many equal-length messages hashed at once, four at a time: BLAKE2b's state words of
// four messages side by side in one vector, so AVX2 runs the four compressions in the
// time of about one (GCC vector extensions; the function is cloned for AVX2 and a
// baseline and picked at load time). Byte-identical to Hasher (tests compare them).
#include <bit>
#include <cstring>

#include "hash/blake2b.hpp"
#include "util/assert.hpp"

// The vector helpers below are internal (anonymous namespace, inlined): the ABI of
// passing 32-byte vectors between functions built with and without AVX never applies.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace zks::hash {

namespace {

static_assert(std::endian::native == std::endian::little, "message words are loaded little-endian");

using V4 = uint64_t __attribute__((vector_size(32)));

constexpr uint64_t kIv[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
                             0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
                             0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};

constexpr uint8_t kSigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

using B32 = uint8_t __attribute__((vector_size(32)));

inline V4 rotr(V4 x, int n) { return (x >> n) | (x << (64 - n)); }
// Rotations by whole bytes as one byte shuffle (vpshufb under AVX2).
template <int kBytes>
inline V4 rotr_bytes(V4 x) {
  constexpr auto at = [](int i) { return uint8_t((i & ~7) | ((i + kBytes) & 7)); };
  B32 b = reinterpret_cast<B32>(x);
  B32 mask = {at(0),  at(1),  at(2),  at(3),  at(4),  at(5),  at(6),  at(7),  at(8),  at(9),  at(10),
              at(11), at(12), at(13), at(14), at(15), at(16), at(17), at(18), at(19), at(20), at(21),
              at(22), at(23), at(24), at(25), at(26), at(27), at(28), at(29), at(30), at(31)};
  return reinterpret_cast<V4>(__builtin_shuffle(b, mask));
}

// BLAKE2b-256's initial chaining value with the domain's personalization (no key, no
// salt, fanout and depth 1).
void initial_state(Domain d, uint64_t h[8]) {
  auto personal = personalization(d);
  for (int i = 0; i < 8; ++i) h[i] = kIv[i];
  h[0] ^= 0x01010000ull ^ 32;
  uint64_t p0, p1;
  std::memcpy(&p0, personal.data(), 8);
  std::memcpy(&p1, personal.data() + 8, 8);
  h[6] ^= p0;
  h[7] ^= p1;
}

// Hashes four messages of `len` bytes at msgs[0..3] into out[0..3].
__attribute__((target_clones("avx2", "default"))) void hash4(const uint64_t h0[8], const uint8_t* const msgs[4],
                                                              size_t len, Digest* const out[4]) {
  V4 h[8];
  for (int i = 0; i < 8; ++i) h[i] = V4{h0[i], h0[i], h0[i], h0[i]};
  const size_t blocks = (len + 127) / 128;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t at = b * 128, take = len - at < 128 ? len - at : 128;
    V4 m[16];
    for (int lane = 0; lane < 4; ++lane) {
      uint64_t w[16] = {};
      std::memcpy(w, msgs[lane] + at, take);
      for (int j = 0; j < 16; ++j) m[j][lane] = w[j];
    }
    const uint64_t t = at + take;
    const bool last = b + 1 == blocks;
    V4 v[16]{};  // every lane set below; the braces keep GCC's -O1 (sanitizer) builds from a false warning
    for (int i = 0; i < 8; ++i) v[i] = h[i];
    for (int i = 0; i < 8; ++i) v[8 + i] = V4{kIv[i], kIv[i], kIv[i], kIv[i]};
    v[12] ^= V4{t, t, t, t};
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; ++r) {
      const uint8_t* s = kSigma[r];
      auto g = [&](int a, int bb, int c, int d, int x, int y) {
        v[a] = v[a] + v[bb] + m[s[x]];
        v[d] = rotr_bytes<4>(v[d] ^ v[a]);
        v[c] = v[c] + v[d];
        v[bb] = rotr_bytes<3>(v[bb] ^ v[c]);
        v[a] = v[a] + v[bb] + m[s[y]];
        v[d] = rotr_bytes<2>(v[d] ^ v[a]);
        v[c] = v[c] + v[d];
        v[bb] = rotr(v[bb] ^ v[c], 63);
      };
      g(0, 4, 8, 12, 0, 1);
      g(1, 5, 9, 13, 2, 3);
      g(2, 6, 10, 14, 4, 5);
      g(3, 7, 11, 15, 6, 7);
      g(0, 5, 10, 15, 8, 9);
      g(1, 6, 11, 12, 10, 11);
      g(2, 7, 8, 13, 12, 13);
      g(3, 4, 9, 14, 14, 15);
    }
    for (int i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[8 + i];
  }
  for (int lane = 0; lane < 4; ++lane)
    for (int i = 0; i < 4; ++i) {
      uint64_t word = h[i][lane];
      std::memcpy(out[lane]->data() + 8 * i, &word, 8);
    }
}

}  // namespace

void hash_many(Domain d, const uint8_t* data, size_t stride, size_t len, size_t count, Digest* out) {
  ZK_ASSERT(len >= 1);
  uint64_t h0[8];
  initial_state(d, h0);
  for (size_t i = 0; i < count; i += 4) {
    const uint8_t* msgs[4];
    Digest spare[4];
    Digest* outs[4];
    for (size_t lane = 0; lane < 4; ++lane) {
      const bool real = i + lane < count;  // past the end: repeat the last message, drop its digest
      msgs[lane] = data + stride * (real ? i + lane : count - 1);
      outs[lane] = real ? out + i + lane : &spare[lane];
    }
    hash4(h0, msgs, len, outs);
  }
}

}  // namespace zks::hash
