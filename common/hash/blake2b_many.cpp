// Many equal-length messages hashed at once: BLAKE2b's state words of several messages
// side by side in one vector, so the compressions of eight (AVX-512) or four (AVX2)
// messages run in about the time of one (GCC vector extensions; the eight-lane function
// is built for AVX-512, the four-lane one cloned for AVX2 and a baseline, picked at load
// time). Byte-identical to Hasher (tests compare them).
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

using V8 = uint64_t __attribute__((vector_size(64)));

// m[j][l] = word j of the 64 bytes at msgs[l] + at (j, l < 8): the 8 x 8 word matrix
// transposed in three rounds of shuffles (pairs of words, then of pairs, then of
// quadruples) instead of 64 single-word inserts.
[[gnu::always_inline]] inline void transpose8(const uint8_t* const msgs[8], size_t at, V8 m[8]) {
  using I = V8;
  V8 r[8], t[8];
  for (int l = 0; l < 8; ++l) std::memcpy(&r[l], msgs[l] + at, 64);
  for (int l = 0; l < 8; l += 2) {
    t[l] = __builtin_shuffle(r[l], r[l + 1], I{0, 8, 2, 10, 4, 12, 6, 14});
    t[l + 1] = __builtin_shuffle(r[l], r[l + 1], I{1, 9, 3, 11, 5, 13, 7, 15});
  }
  // t[l] (l even) holds words 0, 2, 4, 6 of rows l, l + 1 interleaved; t[l + 1] words 1, 3, 5, 7.
  for (int q : {0, 4})
    for (int odd : {0, 1}) {
      const V8 a = t[q + odd], b = t[q + 2 + odd];
      r[q + odd] = __builtin_shuffle(a, b, I{0, 1, 8, 9, 4, 5, 12, 13});      // words odd, 4 + odd
      r[q + 2 + odd] = __builtin_shuffle(a, b, I{2, 3, 10, 11, 6, 7, 14, 15});  // words 2 + odd, 6 + odd
    }
  // r[q + k] (k < 4) holds words k and k + 4 of rows q..q + 3.
  for (int k = 0; k < 4; ++k) {
    m[k] = __builtin_shuffle(r[k], r[4 + k], I{0, 1, 2, 3, 8, 9, 10, 11});
    m[k + 4] = __builtin_shuffle(r[k], r[4 + k], I{4, 5, 6, 7, 12, 13, 14, 15});
  }
}

// Hashes L messages of `len` bytes at msgs[0..L-1] into out[0..L-1], lane l of every
// vector holding message l's state. V is L words wide; Rot rotates each word.
template <typename V, int L, V (*Rot)(V, int)>
[[gnu::always_inline]] inline void hash_lanes(const uint64_t h0[8], const uint8_t* const msgs[L], size_t len,
                                              Digest* const out[L]) {
  auto splat = [](uint64_t x) {
    V r;
    for (int lane = 0; lane < L; ++lane) r[lane] = x;
    return r;
  };
  V h[8];
  for (int i = 0; i < 8; ++i) h[i] = splat(h0[i]);
  const size_t blocks = (len + 127) / 128;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t at = b * 128, take = len - at < 128 ? len - at : 128;
    V m[16];
    if constexpr (L == 8) {
      if (take == 128) {
        transpose8(msgs, at, m);
        transpose8(msgs, at + 64, m + 8);
      }
    }
    if (L != 8 || take != 128)
      for (int lane = 0; lane < L; ++lane) {
        uint64_t w[16] = {};
        std::memcpy(w, msgs[lane] + at, take);
        for (int j = 0; j < 16; ++j) m[j][lane] = w[j];
      }
    const uint64_t t = at + take;
    const bool last = b + 1 == blocks;
    V v[16]{};  // every lane set below; the braces keep GCC's -O1 (sanitizer) builds from a false warning
    for (int i = 0; i < 8; ++i) v[i] = h[i];
    for (int i = 0; i < 8; ++i) v[8 + i] = splat(kIv[i]);
    v[12] ^= splat(t);
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; ++r) {
      const uint8_t* s = kSigma[r];
      auto g = [&](int a, int bb, int c, int d, int x, int y) {
        v[a] = v[a] + v[bb] + m[s[x]];
        v[d] = Rot(v[d] ^ v[a], 32);
        v[c] = v[c] + v[d];
        v[bb] = Rot(v[bb] ^ v[c], 24);
        v[a] = v[a] + v[bb] + m[s[y]];
        v[d] = Rot(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];
        v[bb] = Rot(v[bb] ^ v[c], 63);
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
  for (int lane = 0; lane < L; ++lane)
    for (int i = 0; i < 4; ++i) {
      uint64_t word = h[i][lane];
      std::memcpy(out[lane]->data() + 8 * i, &word, 8);
    }
}

// Four lanes: AVX2 (whole-byte rotations as byte shuffles) or the baseline.
[[gnu::always_inline]] inline V4 rot4(V4 x, int n) {
  switch (n) {
    case 32: return rotr_bytes<4>(x);
    case 24: return rotr_bytes<3>(x);
    case 16: return rotr_bytes<2>(x);
    default: return rotr(x, n);
  }
}
__attribute__((target_clones("avx2", "default"))) void hash4(const uint64_t h0[8], const uint8_t* const msgs[4],
                                                              size_t len, Digest* const out[4]) {
  hash_lanes<V4, 4, rot4>(h0, msgs, len, out);
}

// Eight lanes on AVX-512, whose rotations are single instructions (vprorq).
[[gnu::always_inline]] inline V8 rot8(V8 x, int n) { return (x >> n) | (x << (64 - n)); }
__attribute__((target("avx512f,avx512vl,avx512bw"))) void hash8(const uint64_t h0[8], const uint8_t* const msgs[8],
                                                                 size_t len, Digest* const out[8]) {
  hash_lanes<V8, 8, rot8>(h0, msgs, len, out);
}

// msgs[i] = data + stride * i for the count messages from `first`; lanes past the end
// repeat the last message and their digests are dropped.
template <int L>
void hash_group(void (*fn)(const uint64_t*, const uint8_t* const*, size_t, Digest* const*), const uint64_t h0[8],
                const uint8_t* data, size_t stride, size_t len, size_t count, size_t first, Digest* out) {
  const uint8_t* msgs[L];
  Digest spare[L];
  Digest* outs[L];
  for (size_t lane = 0; lane < L; ++lane) {
    const bool real = first + lane < count;
    msgs[lane] = data + stride * (real ? first + lane : count - 1);
    outs[lane] = real ? out + first + lane : &spare[lane];
  }
  fn(h0, msgs, len, outs);
}

}  // namespace

void hash_many(Domain d, const uint8_t* data, size_t stride, size_t len, size_t count, Digest* out) {
  ZK_ASSERT(len >= 1);
  uint64_t h0[8];
  initial_state(d, h0);
  static const bool wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                           __builtin_cpu_supports("avx512bw");
  size_t i = 0;
  if (wide)
    for (; i + 4 < count; i += 8) hash_group<8>(hash8, h0, data, stride, len, count, i, out);
  for (; i < count; i += 4) hash_group<4>(hash4, h0, data, stride, len, count, i, out);
}

}  // namespace zks::hash
