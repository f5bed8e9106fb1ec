// Sumchecks on the device. One kernel computes a round's sums as sumcheck::Prover's
// generic kernel does: l(t) = sum_i w_i P(t, pair i) for t = 0..L, P a sum of terms
// c * prod_j f_j (one term, the product of every factor, for a plain product) with
// f_j(t, i) = f_j[2i] + t (f_j[2i+1] - f_j[2i]). In a session (SumcheckSession) the same
// kernel first folds every table by the previous round's challenge, two entries per
// pair, and sums the eq weights' pairs, so a round is one pass over the tables and the
// host sees only the round's L + 1 values. Each block reduces its threads' sums in
// shared memory and one more block adds the blocks' sums (exact field additions: any
// order gives the CPU's result).
#include <vector>

#include "backend/cuda/cuda_ops.hpp"
#include "backend/cuda/sumcheck.cuh"

namespace zks::backend::cuda_ops {

namespace detail {

namespace {

__device__ inline Fp2 entry(const uint64_t* t, bool base, size_t i) { return base ? Fp2(fp_at(t, i)) : fp2_at(t, i); }

// One thread per pair of the (folded) tables, striding over the grid.
__global__ void round_kernel(Tables src, uint32_t base_mask, OutTables dst, bool fold, Fp2 r, const uint64_t* w_src,
                             uint64_t* w_dst, size_t half, SumPoly poly, unsigned L, bool skip_one,
                             uint64_t* partials) {
  extern __shared__ uint64_t sh[];  // blockDim.x * (L + 1) F_p^2 values
  Fp2 acc[kMaxL + 1];
  for (unsigned t = 0; t <= L; ++t) acc[t] = Fp2::zero();
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < half; i += stride) {
    Fp2 val[kMaxFactors], diff[kMaxFactors];
    for (unsigned j = 0; j < poly.d; ++j) {
      const bool base = (base_mask >> j) & 1;
      Fp2 a, b;
      if (fold) {  // this pair's two entries are folds of the source's 4i..4i+3
        Fp2 s0 = entry(src.t[j], base, 4 * i), s1 = entry(src.t[j], base, 4 * i + 1);
        Fp2 s2 = entry(src.t[j], base, 4 * i + 2), s3 = entry(src.t[j], base, 4 * i + 3);
        a = s0 + r * (s1 - s0);
        b = s2 + r * (s3 - s2);
        fp2_put(dst.t[j], 2 * i, a);
        fp2_put(dst.t[j], 2 * i + 1, b);
      } else {
        a = entry(src.t[j], base, 2 * i);
        b = entry(src.t[j], base, 2 * i + 1);
      }
      val[j] = a;
      diff[j] = b - a;
    }
    Fp2 wi = Fp2::one();
    if (w_src) {
      if (fold) {  // eq(z_{>i+1}, x) = eq(z_{>i}, (0, x)) + eq(z_{>i}, (1, x))
        wi = fp2_at(w_src, 2 * i) + fp2_at(w_src, 2 * i + 1);
        fp2_put(w_dst, i, wi);
      } else {
        wi = fp2_at(w_src, i);
      }
    }
    for (unsigned t = 0; t <= L; ++t) {
      if (t > 0)
        for (unsigned j = 0; j < poly.d; ++j) val[j] += diff[j];
      if (t == 1 && skip_one) continue;
      Fp2 v = Fp2::zero();
      for (unsigned k = 0; k < poly.num_terms; ++k) {
        Fp2 prod = val[poly.factor[k][0]];
        for (unsigned q = 1; q < poly.len[k]; ++q) prod *= val[poly.factor[k][q]];
        v += Fp2(Fp::from_canonical(poly.coeff[k][0]), Fp::from_canonical(poly.coeff[k][1])) * prod;
      }
      acc[t] += wi * v;
    }
  }
  const unsigned width = L + 1;
  for (unsigned t = 0; t <= L; ++t) fp2_put(sh, threadIdx.x * width + t, acc[t]);
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      for (unsigned t = 0; t <= L; ++t)
        fp2_put(sh, threadIdx.x * width + t, fp2_at(sh, threadIdx.x * width + t) + fp2_at(sh, (threadIdx.x + s) * width + t));
    __syncthreads();
  }
  if (threadIdx.x == 0)
    for (unsigned t = 0; t <= L; ++t) fp2_put(partials, blockIdx.x * width + t, fp2_at(sh, t));
}

// out[t] = sum over the blocks of partials[b * width + t]; one thread per t.
__global__ void add_partials_kernel(const uint64_t* partials, unsigned blocks, unsigned width, uint64_t* out) {
  const unsigned t = threadIdx.x;
  if (t >= width) return;
  Fp2 sum = Fp2::zero();
  for (unsigned b = 0; b < blocks; ++b) sum += fp2_at(partials, size_t(b) * width + t);
  fp2_put(out, t, sum);
}

// A fold on its own (the last challenge, or before reading a table back): entry x of
// every table, and weight x while x < new_w.
__global__ void fold_tables_kernel(Tables src, uint32_t base_mask, OutTables dst, unsigned d, size_t new_n, Fp2 r,
                                   const uint64_t* w_src, uint64_t* w_dst, size_t new_w) {
  size_t x = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (x >= new_n) return;
  for (unsigned j = 0; j < d; ++j) {
    const bool base = (base_mask >> j) & 1;
    Fp2 a = entry(src.t[j], base, 2 * x), b = entry(src.t[j], base, 2 * x + 1);
    fp2_put(dst.t[j], x, a + r * (b - a));
  }
  if (w_src && x < new_w) fp2_put(w_dst, x, fp2_at(w_src, 2 * x) + fp2_at(w_src, 2 * x + 1));
}

}  // namespace

unsigned round_grid(size_t n) {
  unsigned g = blocks_for(n / 2);
  return g > 1024 ? 1024 : g;
}

const char* round_device(const Tables& src, uint32_t base_mask, const OutTables* dst, const Fp2& r, const uint64_t* w_src,
                         uint64_t* w_dst, size_t n, const SumPoly& poly, unsigned L, bool skip_one, uint64_t* partials,
                         unsigned grid, uint64_t* out, cudaStream_t stream) {
  if (poly.d == 0 || poly.d > kMaxFactors || poly.num_terms == 0 || poly.num_terms > kMaxTerms || L > kMaxL)
    return "sumcheck round: 1 to 8 factors and terms, L at most 8";
  const size_t shared = size_t(kThreads) * (L + 1) * 2 * sizeof(uint64_t);
  const bool fold = dst != nullptr;
  round_kernel<<<grid, kThreads, shared, stream>>>(src, base_mask, fold ? *dst : OutTables{}, fold, r, w_src, w_dst,
                                                   n / 2, poly, L, skip_one, partials);
  ZKS_CUDA_LAUNCHED();
  if (out) {
    add_partials_kernel<<<1, 32, 0, stream>>>(partials, grid, L + 1, out);
    ZKS_CUDA_LAUNCHED();
  }
  return nullptr;
}

SumPoly product_poly(unsigned d) {
  SumPoly p{};
  p.d = d;
  p.num_terms = 1;
  p.coeff[0][0] = 1;
  p.len[0] = static_cast<uint8_t>(d);
  for (unsigned j = 0; j < d; ++j) p.factor[0][j] = static_cast<uint8_t>(j);
  return p;
}

}  // namespace detail

using namespace detail;

const char* product_round(int device, const uint64_t* const* tables, unsigned d, size_t n, const uint64_t* weights,
                          unsigned L, bool skip_one, uint64_t* out) {
  if (d == 0 || d > kMaxFactors || L > kMaxL || n < 2 || (n & (n - 1)) != 0)
    return "product_round: at most 8 factors of 2^k entries (k >= 1), L <= 8";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  std::vector<DeviceArray<uint64_t>> dev(d);
  Tables src{};
  for (unsigned j = 0; j < d; ++j) {
    if (const char* e = dev[j].upload(tables[j], 2 * n)) return e;
    src.t[j] = dev[j].ptr;
  }
  DeviceArray<uint64_t> dw, partials, sums;
  if (weights)
    if (const char* e = dw.upload(weights, n)) return e;  // n/2 F_p^2 weights
  const unsigned grid = round_grid(n);
  if (const char* e = partials.alloc(size_t(grid) * (L + 1) * 2)) return e;
  if (const char* e = sums.alloc(size_t(L + 1) * 2)) return e;
  if (const char* e = round_device(src, 0, nullptr, Fp2::zero(), weights ? dw.ptr : nullptr, nullptr, n, product_poly(d),
                                   L, skip_one, partials.ptr, grid, sums.ptr, 0))
    return e;
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  return sums.download(out, size_t(L + 1) * 2);
}

// ---------------------------------------------------------------------------------
// A session: the tables and weights stay on the device from the first round to the
// last. Buffers: the uploaded tables (freed once the first fold has run), then two per
// factor that the folds alternate between (n/2 and n/4 entries: each fold halves the
// table, so after the first fold every table fits in the first buffer and after the
// second in the second); the eq weights likewise. Two allocations in all (the uploads,
// and the rest), since cudaMalloc and cudaFree are slow and cudaFree waits for the whole
// device. Each session has its own stream, so sessions of concurrent jobs (a miner's
// workers) overlap instead of queuing on the default stream, and a round waits for its
// own kernels only.

struct SumcheckSession {
  ~SumcheckSession() {
    if (stream) cudaStreamDestroy(stream);
  }
  cudaStream_t stream = nullptr;
  int device = 0;
  SumPoly poly{};
  uint32_t base_mask = 0;  // which tables are still the uploaded base-field ones
  size_t n = 0;            // entries per table now
  DeviceArray<uint64_t> uploads, work;
  const uint64_t* uploaded_w = nullptr;
  uint64_t* buf[2][kMaxFactors] = {};
  uint64_t* w_buf[2] = {};
  uint64_t *partials = nullptr, *sums = nullptr;
  Tables cur{};
  const uint64_t* w_cur = nullptr;  // n/2 weights, or null for none
  int cur_buf = -1;                 // -1: the uploaded tables
  bool pending = false;             // a challenge not yet folded in
  Fp2 r;
};

namespace {

// Where the next fold writes: the buffer not holding the current tables.
int next_buf(const SumcheckSession& s) { return s.cur_buf == 0 ? 1 : 0; }

OutTables tables_of(SumcheckSession& s, int b) {
  OutTables t{};
  for (unsigned j = 0; j < s.poly.d; ++j) t.t[j] = s.buf[b][j];
  return t;
}

Tables readable(const OutTables& o) {
  Tables t{};
  for (unsigned j = 0; j < kMaxFactors; ++j) t.t[j] = o.t[j];
  return t;
}

// Folds the pending challenge in on its own (no round sums).
const char* flush(SumcheckSession& s) {
  if (!s.pending) return nullptr;
  const int b = next_buf(s);
  const size_t new_n = s.n / 2, new_w = s.n / 4;
  uint64_t* w_dst = s.w_cur && new_w ? s.w_buf[b] : nullptr;
  fold_tables_kernel<<<blocks_for(new_n), kThreads, 0, s.stream>>>(s.cur, s.base_mask, tables_of(s, b), s.poly.d, new_n, s.r,
                                                     w_dst ? s.w_cur : nullptr, w_dst, new_w);
  ZKS_CUDA_LAUNCHED();
  s.cur = readable(tables_of(s, b));
  if (w_dst) s.w_cur = w_dst;
  s.cur_buf = b;
  s.base_mask = 0;
  s.n = new_n;
  s.pending = false;
  return nullptr;
}

// Waits for the session's queued work; then the uploaded tables, once folded away, go.
const char* finish(SumcheckSession& s) {
  ZKS_CUDA_TRY(cudaStreamSynchronize(s.stream));
  if (s.cur_buf >= 0 && s.uploads.ptr && (!s.uploaded_w || s.w_cur != s.uploaded_w)) {
    s.uploads.reset();
    s.uploaded_w = nullptr;
  }
  return nullptr;
}

}  // namespace

const char* sumcheck_open(int device, const uint64_t* const* tables, uint32_t base_mask, unsigned d, size_t n,
                          const uint64_t* weights, unsigned num_terms, const uint64_t* coeffs,
                          const unsigned* term_sizes, const unsigned* term_factors, SumcheckSession** out) {
  *out = nullptr;
  if (d == 0 || d > kMaxFactors || n < 2 || (n & (n - 1)) != 0 || num_terms > kMaxTerms || (base_mask >> d) != 0)
    return "sumcheck_open: 1 to 8 tables of 2^k entries (k >= 1), at most 8 terms";
  SumPoly poly = product_poly(d);
  if (num_terms > 0) {
    poly.num_terms = num_terms;
    for (unsigned k = 0, at = 0; k < num_terms; ++k) {
      if (term_sizes[k] == 0 || term_sizes[k] > kMaxFactors) return "sumcheck_open: a term has 1 to 8 factors";
      poly.coeff[k][0] = coeffs[2 * k], poly.coeff[k][1] = coeffs[2 * k + 1];
      if (poly.coeff[k][0] >= Fp::P || poly.coeff[k][1] >= Fp::P) return "sumcheck_open: a non-canonical coefficient";
      poly.len[k] = static_cast<uint8_t>(term_sizes[k]);
      for (unsigned q = 0; q < term_sizes[k]; ++q, ++at) {
        if (term_factors[at] >= d) return "sumcheck_open: a term names a missing factor";
        poly.factor[k][q] = static_cast<uint8_t>(term_factors[at]);
      }
    }
  }
  ZKS_CUDA_TRY(cudaSetDevice(device));
  auto* s = new SumcheckSession;
  auto fail = [&](const char* e) {
    delete s;
    return e;
  };
  if (cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking) != cudaSuccess) {
    s->stream = nullptr;
    return fail("sumcheck_open: cannot create a stream");
  }
  s->device = device;
  s->poly = poly;
  s->base_mask = base_mask;
  s->n = n;
  size_t upload_words = weights ? n : 0;  // n/2 F_p^2 weights
  for (unsigned j = 0; j < d; ++j) upload_words += (base_mask >> j) & 1 ? n : 2 * n;
  if (const char* e = s->uploads.alloc(upload_words)) return fail(e);
  uint64_t* at = s->uploads.ptr;
  auto upload = [&](const uint64_t* host, size_t words) {
    // On the session's stream, so its kernels run after the copy; from pageable memory
    // the call returns once the host buffer has been read.
    const cudaError_t err = cudaMemcpyAsync(at, host, words * sizeof(uint64_t), cudaMemcpyHostToDevice, s->stream);
    at += words;
    return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
  };
  for (unsigned j = 0; j < d; ++j) {
    s->cur.t[j] = at;
    if (const char* e = upload(tables[j], (base_mask >> j) & 1 ? n : 2 * n)) return fail(e);
  }
  if (weights) {
    s->uploaded_w = s->w_cur = at;
    if (const char* e = upload(weights, n)) return fail(e);
  }
  // The fold buffers (n/2 and n/4 F_p^2 entries a factor; n/4 and n/8 weights), the
  // blocks' sums and their totals.
  const size_t b0 = n, b1 = n > 2 ? n / 2 : 2, w0 = weights ? (n > 2 ? n / 2 : 2) : 0, w1 = weights ? (n > 4 ? n / 4 : 2) : 0;
  const size_t partial_words = size_t(round_grid(n)) * (kMaxL + 1) * 2, sum_words = (kMaxL + 1) * 2;
  if (const char* e = s->work.alloc(d * (b0 + b1) + w0 + w1 + partial_words + sum_words)) return fail(e);
  uint64_t* next = s->work.ptr;
  auto carve = [&](size_t words) {
    uint64_t* p = next;
    next += words;
    return p;
  };
  for (unsigned j = 0; j < d; ++j) s->buf[0][j] = carve(b0), s->buf[1][j] = carve(b1);
  if (weights) s->w_buf[0] = carve(w0), s->w_buf[1] = carve(w1);
  s->partials = carve(partial_words);
  s->sums = carve(sum_words);
  *out = s;
  return nullptr;
}

const char* sumcheck_round(SumcheckSession* s, unsigned L, bool skip_one, uint64_t* out) {
  if (L > kMaxL) return "sumcheck_round: L at most 8";
  const size_t n = s->pending ? s->n / 2 : s->n;  // entries per table in this round
  if (n < 2) return "sumcheck_round: every variable is bound";
  ZKS_CUDA_TRY(cudaSetDevice(s->device));
  const unsigned grid = round_grid(n);
  if (s->pending) {
    const int b = next_buf(*s);
    const OutTables dst = tables_of(*s, b);
    uint64_t* w_dst = s->w_cur ? s->w_buf[b] : nullptr;
    if (const char* e = round_device(s->cur, s->base_mask, &dst, s->r, s->w_cur, w_dst, n, s->poly, L, skip_one,
                                     s->partials, grid, s->sums, s->stream))
      return e;
    s->cur = readable(dst);
    if (w_dst) s->w_cur = w_dst;
    s->cur_buf = b;
    s->base_mask = 0;
    s->n = n;
    s->pending = false;
  } else if (const char* e = round_device(s->cur, s->base_mask, nullptr, Fp2::zero(), s->w_cur, nullptr, n, s->poly, L,
                                          skip_one, s->partials, grid, s->sums, s->stream)) {
    return e;
  }
  ZKS_CUDA_TRY(cudaMemcpyAsync(out, s->sums, size_t(L + 1) * 2 * sizeof(uint64_t), cudaMemcpyDeviceToHost, s->stream));
  return finish(*s);
}

const char* sumcheck_bind(SumcheckSession* s, const uint64_t r[2]) {
  if (r[0] >= Fp::P || r[1] >= Fp::P) return "sumcheck_bind: a non-canonical challenge";
  if ((s->pending ? s->n / 2 : s->n) < 2) return "sumcheck_bind: every variable is bound";
  ZKS_CUDA_TRY(cudaSetDevice(s->device));
  if (const char* e = flush(*s)) return e;  // two binds without a round between them
  s->r = Fp2(Fp::from_canonical(r[0]), Fp::from_canonical(r[1]));
  s->pending = true;
  return nullptr;
}

const char* sumcheck_table(SumcheckSession* s, unsigned j, uint64_t* out) {
  if (j >= s->poly.d) return "sumcheck_table: no such factor";
  ZKS_CUDA_TRY(cudaSetDevice(s->device));
  if (const char* e = flush(*s)) return e;
  if ((s->base_mask >> j) & 1) {  // still the uploaded base-field table: widen on the host
    std::vector<uint64_t> base(s->n);
    ZKS_CUDA_TRY(cudaMemcpyAsync(base.data(), s->cur.t[j], s->n * sizeof(uint64_t), cudaMemcpyDeviceToHost, s->stream));
    if (const char* e = finish(*s)) return e;
    for (size_t i = 0; i < s->n; ++i) out[2 * i] = base[i], out[2 * i + 1] = 0;
    return nullptr;
  }
  ZKS_CUDA_TRY(cudaMemcpyAsync(out, s->cur.t[j], s->n * 2 * sizeof(uint64_t), cudaMemcpyDeviceToHost, s->stream));
  return finish(*s);
}

size_t sumcheck_entries(const SumcheckSession* s) { return s->pending ? s->n / 2 : s->n; }

void sumcheck_close(SumcheckSession* s) {
  if (!s) return;
  cudaSetDevice(s->device);
  delete s;
}

}  // namespace zks::backend::cuda_ops
