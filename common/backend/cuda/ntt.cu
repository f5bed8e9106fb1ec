// The device NTT and Reed-Solomon encoding (see ntt.cuh); the host entry points are in
// cuda_ops.hpp. Byte-identical to pcs::ntt_dif and pcs::detail::rs_encode (parity tests).
#include "backend/cuda/cuda_ops.hpp"
#include "backend/cuda/merkle.cuh"
#include "backend/cuda/ntt.cuh"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace zks::backend::cuda_ops {

namespace detail {

namespace {

__global__ void twiddle_kernel(uint64_t* tw, size_t n, Roots roots) {
  size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (t >= n) return;
  if (t == 0) {
    tw[0] = 1;
    return;
  }
  const unsigned k = 63 - __clzll(static_cast<long long>(t));  // h = 2^k <= t < 2h
  const size_t j = t - (size_t(1) << k);
  tw[t] = Fp::from_canonical(roots.r[k + 1]).pow(j).value();  // w_{2h} has order 2^(k+1)
}

// Levels h = H, H/2, ..., s of every vector in one trip through memory, s = H / 2^(T-1):
// element g 2H + l + m s (group g of 2H elements, column l < s, row m < 2^T) meets only
// elements of the same group and column in these levels, which are a DIF of size 2^T
// over the rows. A block loads kCols adjacent columns of one group (2^T rows of kCols
// words: 32-byte runs, whole memory sectors), runs the T levels in shared memory and
// writes the tile back. The twiddle of row pair (m, m + h') at level h = h' s, column l
// is w_{2h}^(l + j' s) = w_{2h}^l w_{2h'}^j' (j' = m mod h'), both factors from the
// table (tw[h + l] and tw[h' + j']), so the products are the CPU's twiddles exactly.
__global__ void dif_strided_levels(uint64_t* a, size_t n, size_t H, unsigned T, const uint64_t* tw) {
  extern __shared__ uint64_t s_tile[];  // row m, column c at m * kCols + c
  const size_t rows = size_t(1) << T, s = H >> (T - 1);
  const size_t col_blocks = s / kCols, groups = n / (2 * H);
  size_t tile = blockIdx.x;
  const size_t l0 = (tile % col_blocks) * kCols;
  tile /= col_blocks;
  const size_t g = tile % groups, b = tile / groups;
  uint64_t* base = a + b * n + g * 2 * H + l0;
  for (size_t i = threadIdx.x; i < rows * kCols; i += blockDim.x) s_tile[i] = base[(i / kCols) * s + i % kCols];
  for (size_t hp = rows / 2; hp >= 1; hp /= 2) {
    __syncthreads();
    const size_t h = hp * s;
    for (size_t idx = threadIdx.x; idx < rows / 2 * kCols; idx += blockDim.x) {
      const size_t c = idx % kCols, k = idx / kCols, jp = k & (hp - 1), m = (k / hp) * 2 * hp + jp;
      const Fp w = Fp::from_canonical(tw[h + l0 + c]) * Fp::from_canonical(tw[hp + jp]);
      Fp x = Fp::from_canonical(s_tile[m * kCols + c]), y = Fp::from_canonical(s_tile[(m + hp) * kCols + c]);
      s_tile[m * kCols + c] = (x + y).value();
      s_tile[(m + hp) * kCols + c] = ((x - y) * w).value();
    }
  }
  __syncthreads();
  for (size_t i = threadIdx.x; i < rows * kCols; i += blockDim.x) base[(i / kCols) * s + i % kCols] = s_tile[i];
}

// Levels h = chunk/2 .. 1 of one chunk of `chunk` contiguous elements per block
// (blockDim.x = chunk / 2).
__global__ void dif_shared_levels(uint64_t* a, size_t chunk, const uint64_t* tw) {
  extern __shared__ uint64_t s[];
  uint64_t* base = a + blockIdx.x * chunk;
  for (size_t i = threadIdx.x; i < chunk; i += blockDim.x) s[i] = base[i];
  for (size_t h = chunk / 2; h >= 1; h /= 2) {
    __syncthreads();
    const size_t k = threadIdx.x, j = k & (h - 1), g = k / h, i = g * 2 * h + j;
    Fp x = Fp::from_canonical(s[i]), y = Fp::from_canonical(s[i + h]);
    s[i] = (x + y).value();
    s[i + h] = ((x - y) * Fp::from_canonical(tw[h + j])).value();
  }
  __syncthreads();
  for (size_t i = threadIdx.x; i < chunk; i += blockDim.x) base[i] = s[i];
}

struct Shifts {
  uint64_t s[64];  // s_j for the (at most 64) cosets, passed by value
};

__global__ void coset_scale(const uint64_t* c, size_t n, size_t blocks, uint64_t* out, Shifts shifts) {
  size_t idx = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (idx >= n * blocks) return;
  const size_t j = idx / n, l = idx % n;
  out[idx] = (Fp::from_canonical(c[l]) * Fp::from_canonical(shifts.s[j]).pow(l)).value();
}

// One coordinate of n interleaved F_p^2 values, or the two coordinates interleaved back.
__global__ void take_coordinate(const uint64_t* x, size_t n, unsigned which, uint64_t* out) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = x[2 * i + which];
}
__global__ void interleave(const uint64_t* c0, const uint64_t* c1, size_t n, uint64_t* out) {
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < n) out[2 * i] = c0[i], out[2 * i + 1] = c1[i];
}


// Levels a .. a + L - 1 of the Moebius transform of n words (pairs 2^l apart, l in that
// range: hi -= lo, pcs::detail::evals_to_coeffs) in one trip: each thread holds the 2^L
// words base + k 2^a (in registers: L is a constant), which meet only each other there.
template <unsigned L>
__global__ void mobius_levels(uint64_t* data, size_t n, unsigned a) {
  const size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (t >= (n >> L)) return;
  const size_t low = t & ((size_t(1) << a) - 1), base = ((t >> a) << (a + L)) | low;
  constexpr unsigned m = 1u << L;
  Fp x[m];
#pragma unroll
  for (unsigned k = 0; k < m; ++k) x[k] = fp_at(data, base + (size_t(k) << a));
#pragma unroll
  for (unsigned l = 0; l < L; ++l)
#pragma unroll
    for (unsigned k = 0; k < m; ++k)
      if (!((k >> l) & 1)) x[k | (1u << l)] = x[k | (1u << l)] - x[k];
#pragma unroll
  for (unsigned k = 0; k < m; ++k) data[base + (size_t(k) << a)] = x[k].value();
}

// out[t] = word t % row_words of row index[t / row_words].
__global__ void gather_rows(const uint64_t* src, size_t row_words, const uint64_t* index, size_t count, uint64_t* out) {
  const size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (t >= count * row_words) return;
  out[t] = src[index[t / row_words] * row_words + t % row_words];
}

}  // namespace

const char* make_twiddles(DeviceArray<uint64_t>& tw, size_t n) {
  const size_t size = n < 2 ? 2 : n;
  if (const char* e = tw.alloc(size)) return e;
  twiddle_kernel<<<blocks_for(size), kThreads>>>(tw.ptr, size, make_roots());
  ZKS_CUDA_LAUNCHED();
  return nullptr;
}

const char* shared_twiddles(int device, size_t n, const uint64_t** out) {
  // tw[h + j] does not depend on the table's size, so the largest table built so far
  // serves every smaller NTT. A larger one replaces it for later calls; the old one stays
  // allocated (calls on other threads may still read it), at most half the new one's size.
  using Grown = std::vector<DeviceArray<uint64_t>>;  // growing sizes, the last in use
  struct Cache {
    std::mutex mu;
    std::map<int, Grown> tables;  // per device
  };
  static Cache* cache = new Cache;  // never destroyed: no cudaFree after the runtime has gone
  std::lock_guard<std::mutex> lock(cache->mu);
  auto& tables = cache->tables[device];
  if (tables.empty() || tables.back().size < n) {
    size_t size = size_t(1) << 16;
    while (size < n) size *= 2;
    DeviceArray<uint64_t> tw;
    if (const char* e = make_twiddles(tw, size)) return e;
    ZKS_CUDA_TRY(cudaDeviceSynchronize());
    tables.push_back(std::move(tw));
  }
  *out = tables.back().ptr;
  return nullptr;
}

const char* mobius_device(uint64_t* data, size_t n, unsigned first_level) {
  static_assert(kMobiusLevels == 4);
  unsigned log_n = 0;
  while ((size_t(1) << log_n) < n) ++log_n;
  for (unsigned a = first_level; a < log_n; a += kMobiusLevels) {
    const unsigned L = log_n - a < kMobiusLevels ? log_n - a : kMobiusLevels;
    void (*levels)(uint64_t*, size_t, unsigned) =
        L == 4 ? mobius_levels<4> : L == 3 ? mobius_levels<3> : L == 2 ? mobius_levels<2> : mobius_levels<1>;
    levels<<<blocks_for(n >> L), kThreads>>>(data, n, a);
    ZKS_CUDA_LAUNCHED();
  }
  return nullptr;
}

const char* ntt_dif_device(uint64_t* data, size_t n, size_t batch, const uint64_t* tw) {
  if (n < 2 || batch == 0) return nullptr;
  const size_t chunk = n < kSharedChunk ? n : kSharedChunk;
  // The levels above the chunk, up to kStridedLevels at a time, each group in one trip.
  for (size_t H = n / 2; H >= chunk;) {
    unsigned T = 1;
    while (T < kStridedLevels && (H >> T) >= chunk) ++T;
    const size_t s = H >> (T - 1), tiles = batch * (n / (2 * H)) * (s / kCols);
    if (tiles > 0x7fffffffu) return "ntt: too many tiles for one launch";
    dif_strided_levels<<<static_cast<unsigned>(tiles), kThreads, (size_t(kCols) << T) * sizeof(uint64_t)>>>(data, n, H,
                                                                                                         T, tw);
    ZKS_CUDA_LAUNCHED();
    H >>= T;
  }
  const size_t chunks = n / chunk * batch;
  dif_shared_levels<<<static_cast<unsigned>(chunks), static_cast<unsigned>(chunk / 2), chunk * sizeof(uint64_t)>>>(
      data, chunk, tw);
  ZKS_CUDA_LAUNCHED();
  return nullptr;
}

const char* rs_encode_device(const uint64_t* coeffs, size_t n, unsigned log_blowup, uint64_t* out, const uint64_t* tw) {
  if (n == 0 || (n & (n - 1)) != 0 || log_blowup > 6) return "rs_encode: 2^k coefficients, blowup at most 2^6";
  const size_t blocks = size_t(1) << log_blowup;
  unsigned log_n = 0;
  while ((size_t(1) << log_n) < n) ++log_n;
  if (log_n + log_blowup > 32) return "rs_encode: codewords above 2^32 values";  // the largest root of unity
  const Roots roots = make_roots();
  const Fp wN = Fp::from_canonical(roots.r[log_n + log_blowup]);
  Shifts shifts{};
  for (size_t j = 0; j < blocks; ++j) shifts.s[j] = wN.pow(reverse_bits(j, log_blowup)).value();
  coset_scale<<<blocks_for(n * blocks), kThreads>>>(coeffs, n, blocks, out, shifts);
  ZKS_CUDA_LAUNCHED();
  return ntt_dif_device(out, n, blocks, tw);
}

}  // namespace detail

using namespace detail;

const char* ntt_dif(int device, uint64_t* data, size_t n, size_t batch) {
  if ((n & (n - 1)) != 0 || n > (size_t(1) << 32)) return "ntt_dif: n must be 2^k, k <= 32";
  if (n < 2 || batch == 0) return nullptr;
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> d;
  if (const char* e = d.upload(data, n * batch)) return e;
  const uint64_t* tw = nullptr;
  if (const char* e = shared_twiddles(device, n, &tw)) return e;
  if (const char* e = ntt_dif_device(d.ptr, n, batch, tw)) return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  return d.download(data, n * batch);
}

const char* rs_encode(int device, const uint64_t* coeffs, size_t n, unsigned log_blowup, uint64_t* out) {
  if (n == 0 || (n & (n - 1)) != 0 || log_blowup > 6) return "rs_encode: 2^k coefficients, blowup at most 2^6";
  if ((n << log_blowup) > (size_t(1) << 32)) return "rs_encode: codewords above 2^32 values";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> c, cw;
  if (const char* e = c.upload(coeffs, n)) return e;
  if (const char* e = cw.alloc(n << log_blowup)) return e;
  const uint64_t* tw = nullptr;
  if (const char* e = shared_twiddles(device, n, &tw)) return e;
  if (const char* e = rs_encode_device(c.ptr, n, log_blowup, cw.ptr, tw)) return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  return cw.download(out, n << log_blowup);
}

struct DeviceCommit {
  int device = 0;
  size_t rows = 0, row_words = 0;
  DeviceArray<uint64_t> codeword, tree;  // the tree: 2 rows digests of 4 words, heap order
};

const char* commit(int device, const uint64_t* evals, size_t n, bool fp2, unsigned log_blowup, size_t leaf_width,
                   bool tree, uint8_t root[32], DeviceCommit** out) {
  *out = nullptr;
  const size_t len = n << log_blowup;
  if (n == 0 || (n & (n - 1)) != 0 || log_blowup > 6 || leaf_width == 0 || len % leaf_width != 0)
    return "commit: bad shape";
  if (len > (size_t(1) << 32)) return "commit: codewords above 2^32 values";
  const size_t w = fp2 ? 2 : 1;  // words per value
  ZKS_CUDA_TRY(cudaSetDevice(device));
  auto c = std::make_unique<DeviceCommit>();
  c->device = device;
  c->rows = len / leaf_width;  // a power of two: len is one and leaf_width divides it
  c->row_words = leaf_width * w;
  DeviceArray<uint64_t> coeffs;
  if (const char* e = coeffs.upload(evals, n * w)) return e;
  // Over F_p^2 the words of value i are 2i and 2i + 1: the transform of each coordinate
  // is the words' transform without its lowest level.
  if (const char* e = mobius_device(coeffs.ptr, n * w, fp2 ? 1 : 0)) return e;
  const uint64_t* tw = nullptr;
  if (const char* e = shared_twiddles(device, n, &tw)) return e;
  if (const char* e = c->codeword.alloc(len * w)) return e;
  if (!fp2) {
    if (const char* e = rs_encode_device(coeffs.ptr, n, log_blowup, c->codeword.ptr, tw)) return e;
  } else {
    DeviceArray<uint64_t> c0, c1, e0, e1;
    if (const char* e = c0.alloc(n)) return e;
    if (const char* e = c1.alloc(n)) return e;
    if (const char* e = e0.alloc(len)) return e;
    if (const char* e = e1.alloc(len)) return e;
    take_coordinate<<<blocks_for(n), kThreads>>>(coeffs.ptr, n, 0, c0.ptr);
    ZKS_CUDA_LAUNCHED();
    take_coordinate<<<blocks_for(n), kThreads>>>(coeffs.ptr, n, 1, c1.ptr);
    ZKS_CUDA_LAUNCHED();
    if (const char* e = rs_encode_device(c0.ptr, n, log_blowup, e0.ptr, tw)) return e;
    if (const char* e = rs_encode_device(c1.ptr, n, log_blowup, e1.ptr, tw)) return e;
    interleave<<<blocks_for(len), kThreads>>>(e0.ptr, e1.ptr, len, c->codeword.ptr);
    ZKS_CUDA_LAUNCHED();
    ZKS_CUDA_TRY(cudaDeviceSynchronize());  // before c0, c1, e0 and e1 are freed
  }
  std::memset(root, 0, 32);
  if (tree) {
    if (const char* e = c->tree.alloc(2 * c->rows * 4)) return e;
    ZKS_CUDA_TRY(cudaMemset(c->tree.ptr, 0, 2 * c->rows * 4 * sizeof(uint64_t)));
    if (const char* e = merkle_tree_device(c->codeword.ptr, c->row_words, c->rows, c->tree.ptr)) return e;
    ZKS_CUDA_TRY(cudaMemcpy(root, c->tree.ptr + 4, 32, cudaMemcpyDeviceToHost));  // node 1; waits for the kernels
  }
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  *out = c.release();
  return nullptr;
}

const char* commit_join(DeviceCommit* c, const JoinPart* parts, size_t count, uint8_t root[32]) {
  if (c->tree.size == 0) return "commit join: the codeword has no tree to join into";
  const unsigned depth = unsigned(__builtin_ctzll(c->rows));
  for (size_t k = 0; k < count; ++k) {
    const JoinPart& p = parts[k];
    if (p.height > depth || p.row_words == 0 || (p.member == nullptr) == (p.host_rows == nullptr))
      return "commit join: bad join";
    if (p.member && (p.member->device != c->device || p.member->row_words != p.row_words ||
                     p.member->rows != (c->rows >> p.height)))
      return "commit join: a member's rows do not fit the tree";
  }
  ZKS_CUDA_TRY(cudaSetDevice(c->device));
  std::vector<DeviceArray<uint64_t>> uploaded(count);  // the rows of members held on the host
  std::vector<JoinRows> joins(count);
  for (size_t k = 0; k < count; ++k) {
    const JoinPart& p = parts[k];
    if (p.host_rows) {
      if (const char* e = uploaded[k].upload(p.host_rows, (c->rows >> p.height) * p.row_words)) return e;
    }
    joins[k] = {p.member ? p.member->codeword.ptr : uploaded[k].ptr, p.row_words, p.height};
  }
  if (const char* e = merkle_join_device(c->tree.ptr, c->rows, joins.data(), count)) return e;
  ZKS_CUDA_TRY(cudaMemcpy(root, c->tree.ptr + 4, 32, cudaMemcpyDeviceToHost));  // waits for the kernels
  ZKS_CUDA_TRY(cudaDeviceSynchronize());  // before the uploaded rows are freed
  return nullptr;
}

namespace {
// out[i] = row index[i] of src (rows of row_words words); index and out in host memory.
const char* gather(int device, const uint64_t* src, size_t row_words, size_t rows, const uint64_t* index, size_t count,
                   uint64_t* out) {
  for (size_t i = 0; i < count; ++i)
    if (index[i] >= rows) return "commit: row or node index out of range";
  if (count == 0) return nullptr;
  ZKS_CUDA_TRY(cudaSetDevice(device));
  DeviceArray<uint64_t> idx, got;
  if (const char* e = idx.upload(index, count)) return e;
  if (const char* e = got.alloc(count * row_words)) return e;
  gather_rows<<<blocks_for(count * row_words), kThreads>>>(src, row_words, idx.ptr, count, got.ptr);
  ZKS_CUDA_LAUNCHED();
  return got.download(out, count * row_words);  // cudaMemcpy waits for the kernel
}
}  // namespace

const char* commit_rows(const DeviceCommit* c, const uint64_t* index, size_t count, uint64_t* out) {
  return gather(c->device, c->codeword.ptr, c->row_words, c->rows, index, count, out);
}

const char* commit_nodes(const DeviceCommit* c, const uint64_t* index, size_t count, uint8_t* out) {
  if (c->tree.size == 0) return "commit: the codeword has no tree";
  return gather(c->device, c->tree.ptr, 4, 2 * c->rows, index, count, reinterpret_cast<uint64_t*>(out));
}

size_t commit_device_bytes(const DeviceCommit* c) { return (c->codeword.size + c->tree.size) * sizeof(uint64_t); }

void commit_free(DeviceCommit* c) {
  if (!c) return;
  cudaSetDevice(c->device);
  delete c;
}

}  // namespace zks::backend::cuda_ops
