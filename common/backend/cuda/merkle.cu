// Device BLAKE2b-256 and Merkle trees (merkle.cuh). Byte-identical to hash::hash_many and
// hash::MerkleTree (parity tests); written from RFC 7693.
#include <cstring>

#include "backend/cuda/cuda_ops.hpp"
#include "backend/cuda/merkle.cuh"

namespace zks::backend::cuda_ops {

namespace detail {

namespace {

__constant__ uint64_t kIv[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
                                0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
                                0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};
// The chaining value after BLAKE2b-256's parameter block for one domain.
struct State {
  uint64_t h[8];
};

State domain_state(uint8_t domain) {
  static const uint64_t iv[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
                                 0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
                                 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};
  uint8_t personal[16] = {'z', 'k', 's', 'l', 'i', 'c', 'e', '-', 'h', 'a', 's', 'h', '-', 'v', '1', domain};
  State s;
  for (int i = 0; i < 8; ++i) s.h[i] = iv[i];
  s.h[0] ^= 0x01010000ull ^ 32;  // digest length 32, no key, fanout 1, depth 1
  uint64_t p0, p1;
  std::memcpy(&p0, personal, 8);
  std::memcpy(&p1, personal + 8, 8);
  s.h[6] ^= p0;
  s.h[7] ^= p1;
  return s;
}
constexpr uint8_t kMerkleLeaf = 0x01, kMerkleNode = 0x02, kMerkleJoin = 0x07;  // hash::Domain

__device__ __forceinline__ uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

__device__ void compress(uint64_t h[8], const uint64_t m[16], uint64_t t, bool last) {
  uint64_t v[16];
#pragma unroll
  for (int i = 0; i < 8; ++i) v[i] = h[i], v[8 + i] = kIv[i];
  v[12] ^= t;
  if (last) v[14] = ~v[14];
  auto g = [&](int a, int b, int c, int d, uint64_t x, uint64_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = rotr(v[d] ^ v[a], 32);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 24);
    v[a] = v[a] + v[b] + y;
    v[d] = rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 63);
  };
  // The 12 rounds with BLAKE2b's message schedule sigma written out, so every m[] index
  // is a constant and m stays in registers (a table lookup put it on the stack).
#define ZKS_ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
  g(0, 4, 8, 12, m[s0], m[s1]);                                                        \
  g(1, 5, 9, 13, m[s2], m[s3]);                                                        \
  g(2, 6, 10, 14, m[s4], m[s5]);                                                       \
  g(3, 7, 11, 15, m[s6], m[s7]);                                                       \
  g(0, 5, 10, 15, m[s8], m[s9]);                                                       \
  g(1, 6, 11, 12, m[s10], m[s11]);                                                     \
  g(2, 7, 8, 13, m[s12], m[s13]);                                                      \
  g(3, 4, 9, 14, m[s14], m[s15]);
  ZKS_ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
  ZKS_ROUND(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3)
  ZKS_ROUND(11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4)
  ZKS_ROUND(7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8)
  ZKS_ROUND(9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13)
  ZKS_ROUND(2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9)
  ZKS_ROUND(12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11)
  ZKS_ROUND(13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10)
  ZKS_ROUND(6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5)
  ZKS_ROUND(10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0)
  ZKS_ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
  ZKS_ROUND(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3)
#undef ZKS_ROUND
#pragma unroll
  for (int i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[8 + i];
}

// BLAKE2b-256 of the little-endian u64 words a[0..na) then b[0..nb) (8 (na + nb) bytes,
// na + nb >= 1). out may be a: it is written after the last read.
__device__ void hash_words(const State& s0, const uint64_t* a, size_t na, const uint64_t* b, size_t nb, uint64_t* out) {
  uint64_t h[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) h[i] = s0.h[i];
  const size_t words = na + nb, blocks = (words + 15) / 16;
  for (size_t blk = 0; blk < blocks; ++blk) {
    uint64_t m[16];
    const size_t at = blk * 16;
#pragma unroll
    for (int k = 0; k < 16; ++k) {
      const size_t i = at + k;
      m[k] = i < na ? a[i] : i < words ? b[i - na] : 0;
    }
    const size_t done = at + 16 < words ? at + 16 : words;
    compress(h, m, uint64_t(done) * 8, blk + 1 == blocks);
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) out[i] = h[i];
}

__global__ void hash_leaves(const uint64_t* rows, size_t row_words, size_t count, uint64_t* nodes, State s) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < count) hash_words(s, rows + i * row_words, row_words, nullptr, 0, nodes + (count + i) * 4);
}

__global__ void hash_level(uint64_t* nodes, size_t first, State s) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < first) hash_words(s, nodes + 2 * (first + i) * 4, 8, nullptr, 0, nodes + (first + i) * 4);
}

// Node first + j (j < first) becomes H(MerkleJoin || node || row j).
__global__ void join_level(uint64_t* nodes, size_t first, const uint64_t* rows, size_t row_words, State s) {
  size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (j < first) hash_words(s, nodes + (first + j) * 4, 4, rows + j * row_words, row_words, nodes + (first + j) * 4);
}

}  // namespace

const char* merkle_join_device(uint64_t* nodes, size_t count, const JoinRows* joins, size_t num_joins) {
  const State node = domain_state(kMerkleNode), join = domain_state(kMerkleJoin);
  auto join_at = [&](unsigned height) -> const char* {
    for (size_t k = 0; k < num_joins; ++k) {
      if (joins[k].height != height) continue;
      const size_t first = count >> height;
      join_level<<<blocks_for(first), kThreads>>>(nodes, first, joins[k].rows, joins[k].row_words, join);
      ZKS_CUDA_LAUNCHED();
    }
    return nullptr;
  };
  if (const char* e = join_at(0)) return e;
  unsigned height = 0;
  for (size_t level = count / 2; level >= 1; level /= 2) {
    hash_level<<<blocks_for(level), kThreads>>>(nodes, level, node);
    ZKS_CUDA_LAUNCHED();
    if (const char* e = join_at(++height)) return e;
  }
  return nullptr;
}

const char* merkle_tree_device(const uint64_t* rows, size_t row_words, size_t count, uint64_t* nodes) {
  const State leaf = domain_state(kMerkleLeaf), node = domain_state(kMerkleNode);
  hash_leaves<<<blocks_for(count), kThreads>>>(rows, row_words, count, nodes, leaf);
  ZKS_CUDA_LAUNCHED();
  for (size_t level = count / 2; level >= 1; level /= 2) {
    hash_level<<<blocks_for(level), kThreads>>>(nodes, level, node);
    ZKS_CUDA_LAUNCHED();
  }
  return nullptr;
}

}  // namespace detail

using namespace detail;

const char* merkle_tree(int device, const uint64_t* rows, size_t row_words, size_t count, uint8_t* nodes) {
  if (count == 0 || (count & (count - 1)) != 0 || row_words == 0) return "merkle_tree: bad shape";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> d_rows, d_nodes;
  if (const char* e = d_rows.upload(rows, row_words * count)) return e;
  if (const char* e = d_nodes.alloc(2 * count * 4)) return e;
  ZKS_CUDA_TRY(cudaMemset(d_nodes.ptr, 0, 2 * count * 4 * sizeof(uint64_t)));
  if (const char* e = merkle_tree_device(d_rows.ptr, row_words, count, d_nodes.ptr)) return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  static_assert(sizeof(uint64_t) == 8, "");
  return d_nodes.download(reinterpret_cast<uint64_t*>(nodes), 2 * count * 4);  // little-endian words = digest bytes
}

}  // namespace zks::backend::cuda_ops
