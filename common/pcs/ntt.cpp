#include "pcs/ntt.hpp"

#include <bit>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "pcs/butterfly.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::pcs {

namespace {

// Per-pass twiddles: for each half-size h (a power of two below 2^log_n) the entries
// [h, 2h) hold w_{2h}^j (forward) and w_{2h}^-j (inverse), j < h, so a pass reads
// its twiddles contiguously. Built once for the largest size asked so far; a table
// for 2^k serves every smaller size.
struct Twiddles {
  unsigned log_n = 0;
  std::vector<Fp> fwd, inv;
};

std::shared_ptr<const Twiddles> twiddles(unsigned log_n) {
  static std::mutex mu;
  static std::shared_ptr<const Twiddles> cached;
  std::lock_guard<std::mutex> lock(mu);
  if (cached && cached->log_n >= log_n) return cached;
  auto t = std::make_shared<Twiddles>();
  t->log_n = std::max(log_n, cached ? cached->log_n : 0u);
  size_t n = size_t(1) << t->log_n;
  t->fwd.assign(std::max<size_t>(n, 2), Fp::one());
  t->inv.assign(std::max<size_t>(n, 2), Fp::one());
  for (size_t h = 1; h < n; h *= 2) {
    unsigned lg = static_cast<unsigned>(std::countr_zero(2 * h));
    Fp w = root_of_unity(lg), wi = w.inverse();
    util::ThreadPool::global().parallel_for(h, [&](size_t lo, size_t hi) {
      Fp x = w.pow(lo), xi = wi.pow(lo);
      for (size_t j = lo; j < hi; ++j) {
        t->fwd[h + j] = x;
        t->inv[h + j] = xi;
        x *= w;
        xi *= wi;
      }
    }, 1 << 14);
  }
  cached = std::move(t);
  return cached;
}

unsigned checked_log(size_t n) {
  ZK_ASSERT_MSG(n >= 1 && std::has_single_bit(n), "NTT size must be a power of two");
  unsigned lg = static_cast<unsigned>(std::countr_zero(n));
  ZK_ASSERT_MSG(lg <= kMaxNttLog, "NTT size above 2^32");
  return lg;
}

template <typename T>
void bit_reverse_impl(std::span<T> a) {
  size_t n = a.size();
  if (n <= 2) return;
  unsigned lg = checked_log(n);
  util::ThreadPool::global().parallel_for(n, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      size_t j = reverse_bits(i, lg);
      if (i < j) std::swap(a[i], a[j]);  // each pair is swapped by its smaller index only
    }
  }, detail::kParallelMin);
}

}  // namespace

namespace {
struct RootTable {
  Fp root[kMaxNttLog + 1], inv[kMaxNttLog + 1];
  RootTable() {
    // 7 generates F_p^*, so 7^((p-1)/2^32) has order exactly 2^32.
    Fp g = Fp(field::kMultiplicativeGenerator).pow((Fp::P - 1) >> field::kTwoAdicity);
    for (unsigned i = kMaxNttLog + 1; i-- > 0;) {
      root[i] = g;
      inv[i] = g.inverse();
      g = g.square();
    }
  }
};
const RootTable& roots() {
  static const RootTable t;
  return t;
}
}  // namespace

Fp root_of_unity(unsigned log_n) {
  ZK_ASSERT(log_n <= kMaxNttLog);
  return roots().root[log_n];
}

Fp inverse_root_of_unity(unsigned log_n) {
  ZK_ASSERT(log_n <= kMaxNttLog);
  return roots().inv[log_n];
}

void bit_reverse_permute(std::span<Fp> a) { bit_reverse_impl(a); }
void bit_reverse_permute(std::span<Fp2> a) { bit_reverse_impl(a); }

void ntt_dif(std::span<Fp> a) {
  unsigned lg = checked_log(a.size());
  if (lg == 0) return;
  auto tw = twiddles(lg);
  const Fp* w = tw->fwd.data();
  detail::butterfly_passes(a.data(), a.size(), true, [w](Fp& x, Fp& y, size_t h, size_t j) {
    Fp u = x, v = y;
    x = u + v;
    y = (u - v) * w[h + j];
  });
}

void intt_dit(std::span<Fp> a) {
  unsigned lg = checked_log(a.size());
  if (lg == 0) return;
  auto tw = twiddles(lg);
  const Fp* w = tw->inv.data();
  detail::butterfly_passes(a.data(), a.size(), false, [w](Fp& x, Fp& y, size_t h, size_t j) {
    Fp u = x, v = y * w[h + j];
    x = u + v;
    y = u - v;
  });
  Fp n_inv = Fp(a.size()).inverse();
  util::ThreadPool::global().parallel_for(a.size(), [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) a[i] *= n_inv;
  }, detail::kParallelMin);
}

void ntt(std::span<Fp> a) {
  ntt_dif(a);
  bit_reverse_permute(a);
}

void intt(std::span<Fp> a) {
  bit_reverse_permute(a);
  intt_dit(a);
}

}  // namespace zks::pcs
