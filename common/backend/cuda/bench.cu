// Device-resident timings for the GPU benchmarks (tests/bench/bench_gpu.cpp): inputs are
// random (never zeros) and uploaded once, twiddles built once; each repetition is timed
// with CUDA events around the kernels alone and the median is returned.
#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/cuda_ops.hpp"
#include "backend/cuda/merkle.cuh"
#include "backend/cuda/mle.cuh"
#include "backend/cuda/ntt.cuh"
#include "backend/cuda/sumcheck.cuh"

namespace zks::backend::cuda_ops {

using namespace detail;

namespace {

const char* random_device(DeviceArray<uint64_t>& a, size_t words, uint64_t seed) {
  if (words > (size_t(1) << 32)) return "time_op: more than 2^32 words of input";
  std::vector<uint64_t> h(words);
  std::mt19937_64 rng(seed);
  for (auto& x : h) x = rng() % Fp::P;
  return a.upload(h.data(), words);
}

struct Events {
  cudaEvent_t start = nullptr, stop = nullptr;
  ~Events() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
};

}  // namespace

const char* time_op(int device, const char* op, unsigned log_n, unsigned arg, int reps, double* ms_out,
                    double* bytes_out) {
  if (reps < 1 || log_n < 1 || log_n > 30 || arg > 64) return "time_op: bad arguments";
  ZKS_CUDA_TRY(cudaSetDevice(device));
  const size_t n = size_t(1) << log_n;
  const std::string name = op;
  DeviceArray<uint64_t> a, b, c, tw, sums;
  std::vector<const uint64_t*> tables;
  std::vector<std::vector<uint64_t>> host_tables;
  std::vector<uint64_t> weights;
  std::vector<DeviceArray<uint64_t>> factors;
  // Set-up per op; `bytes` is the least traffic the op needs (each input read once,
  // each output written once), for comparison with the copy bandwidth.
  double bytes = 0;
  if (name == "copy") {
    if (const char* e = random_device(a, n, 1)) return e;
    if (const char* e = b.alloc(n)) return e;
    bytes = 2.0 * n * 8;
  } else if (name == "ntt") {  // arg: batch
    const size_t batch = arg ? arg : 1;
    if (const char* e = random_device(a, n * batch, 2)) return e;
    if (const char* e = make_twiddles(tw, n)) return e;
    bytes = 2.0 * n * batch * 8;
  } else if (name == "rs_encode") {  // arg: log_blowup
    if (arg > 6 || log_n + arg > 32) return "time_op: rs_encode needs a blowup of at most 2^6 and codewords of at most 2^32";
    if (const char* e = random_device(a, n, 3)) return e;
    if (const char* e = b.alloc(n << arg)) return e;
    if (const char* e = make_twiddles(tw, n)) return e;
    bytes = (1.0 + double(size_t(1) << arg)) * n * 8;
  } else if (name == "commit") {  // a Basefold commitment: evals to coefficients, rs_encode (blowup 4), its tree (16 values a leaf)
    if (log_n + 2 > 32) return "time_op: commit codewords above 2^32 values";
    if (const char* e = random_device(a, n, 7)) return e;
    if (const char* e = b.alloc(n << 2)) return e;
    if (const char* e = c.alloc(2 * (n << 2) / 16 * 4)) return e;
    if (const char* e = make_twiddles(tw, n)) return e;
    // transform in place, read the coefficients, write and re-read the codeword; the tree
    bytes = (2.0 + 1.0 + 4.0 + 4.0) * n * 8 + 2.0 * (n << 2) / 16 * 32;
  } else if (name == "merkle") {  // log_n: leaves; arg: words per leaf
    const size_t words = arg ? arg : 16;
    if (const char* e = random_device(a, n * words, 4)) return e;
    if (const char* e = b.alloc(2 * n * 4)) return e;
    bytes = double(n) * words * 8 + 2.0 * n * 32;
  } else if (name == "fold") {
    if (const char* e = random_device(a, 2 * n, 5)) return e;
    if (const char* e = b.alloc(n)) return e;
    bytes = 2.0 * n * 8 + 1.0 * n * 8;
  } else if (name == "sumcheck") {  // arg: factors d; eq weights included
    if (arg > 8) return "time_op: sumcheck takes 1 to 8 factors";
    const unsigned d = arg ? arg : 2;
    factors.resize(d);
    for (unsigned j = 0; j < d; ++j) {
      if (const char* e = random_device(factors[j], 2 * n, 10 + j)) return e;
      tables.push_back(factors[j].ptr);
    }
    if (const char* e = random_device(b, n, 6)) return e;  // n/2 weights
    if (const char* e = c.alloc(size_t(round_grid(n)) * (d + 1) * 2)) return e;
    if (const char* e = sums.alloc(size_t(d + 1) * 2)) return e;
    bytes = double(d) * n * 16 + n / 2.0 * 16;
  } else if (name == "sumcheck_full") {  // arg: factors d, base-field tables, eq weights; every round
    if (arg > 8) return "time_op: sumcheck takes 1 to 8 factors";
    const unsigned d = arg ? arg : 2;
    factors.resize(d);
    for (unsigned j = 0; j < d; ++j) {
      if (const char* e = random_device(factors[j], n, 10 + j)) return e;
      host_tables.emplace_back(n);
      ZKS_CUDA_TRY(cudaMemcpy(host_tables.back().data(), factors[j].ptr, n * 8, cudaMemcpyDeviceToHost));
    }
    weights.resize(n);  // n/2 F_p^2 weights
    for (size_t i = 0; i < n; ++i) weights[i] = (i * 0x9e3779b97f4a7c15ull) % Fp::P;
    // As the session runs: round 0 reads the base tables (T bytes), round 1 reads them
    // again and writes their fold (T: n/2 F_p^2 values), each later round reads the last
    // fold and writes the next (half as large): 4T read, 2T written. The weights (W):
    // read in round 0, then read and halved each round: 3W read, W written.
    const double table = double(d) * n * 8, w = n / 2.0 * 16;
    bytes = 6 * table + 4 * w;
  } else {
    return "time_op: unknown op (copy, ntt, rs_encode, commit, merkle, fold, sumcheck, sumcheck_full)";
  }
  // sumcheck_full: a fresh session per repetition (its upload untimed), then every round
  // with its challenge, the round's sums read back each time as the prover must.
  SumcheckSession* session = nullptr;
  auto open_session = [&]() -> const char* {
    std::vector<const uint64_t*> ptrs;
    for (const auto& h : host_tables) ptrs.push_back(h.data());
    sumcheck_close(session);
    return sumcheck_open(device, ptrs.data(), (1u << ptrs.size()) - 1, unsigned(ptrs.size()), n, weights.data(), 0,
                         nullptr, nullptr, nullptr, &session);
  };
  struct Closer {
    SumcheckSession*& s;
    ~Closer() { sumcheck_close(s); }
  } closer{session};
  auto run = [&]() -> const char* {
    if (name == "copy") {
      ZKS_CUDA_TRY(cudaMemcpyAsync(b.ptr, a.ptr, n * 8, cudaMemcpyDeviceToDevice));
      return nullptr;
    }
    if (name == "ntt") return ntt_dif_device(a.ptr, n, arg ? arg : 1, tw.ptr);
    if (name == "rs_encode") return rs_encode_device(a.ptr, n, arg, b.ptr, tw.ptr);
    if (name == "commit") {
      if (const char* e = mobius_device(a.ptr, n, 0)) return e;
      if (const char* e = rs_encode_device(a.ptr, n, 2, b.ptr, tw.ptr)) return e;
      return merkle_tree_device(b.ptr, 16, (n << 2) / 16, c.ptr);
    }
    if (name == "merkle") return merkle_tree_device(a.ptr, arg ? arg : 16, n, b.ptr);
    if (name == "fold") return fold_device(a.ptr, false, n, Fp2(Fp(3), Fp(5)), b.ptr);
    if (name == "sumcheck_full") {
      const unsigned d = arg ? arg : 2;
      uint64_t l[2 * (kMaxL + 1)], r[2] = {3, 5};
      for (unsigned i = 0; i < log_n; ++i) {
        if (const char* e = sumcheck_round(session, d, true, l)) return e;
        if (const char* e = sumcheck_bind(session, r)) return e;
      }
      return nullptr;
    }
    const unsigned d = arg ? arg : 2;
    Tables src{};
    for (unsigned j = 0; j < d; ++j) src.t[j] = tables[j];
    return round_device(src, 0, nullptr, Fp2::zero(), b.ptr, nullptr, n, product_poly(d), d, true, c.ptr, round_grid(n),
                        sums.ptr, 0);
  };
  if (name == "sumcheck_full")
    if (const char* e = open_session()) return e;
  if (const char* e = run()) return e;  // warm-up
  ZKS_CUDA_TRY(cudaDeviceSynchronize());
  Events ev;
  ZKS_CUDA_TRY(cudaEventCreate(&ev.start));
  ZKS_CUDA_TRY(cudaEventCreate(&ev.stop));
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    if (name == "sumcheck_full")
      if (const char* e = open_session()) return e;
    ZKS_CUDA_TRY(cudaEventRecord(ev.start));
    if (const char* e = run()) return e;
    ZKS_CUDA_TRY(cudaEventRecord(ev.stop));
    ZKS_CUDA_TRY(cudaEventSynchronize(ev.stop));
    float ms = 0;
    ZKS_CUDA_TRY(cudaEventElapsedTime(&ms, ev.start, ev.stop));
    times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  *ms_out = times[times.size() / 2];
  if (bytes_out) *bytes_out = bytes;
  return nullptr;
}

}  // namespace zks::backend::cuda_ops
