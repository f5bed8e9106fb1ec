#include "pcs/ntt.hpp"

#include <bit>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "field/simd.hpp"
#include "pcs/butterfly.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::pcs {

namespace {

// Per-pass twiddles: for each half-size h (a power of two below 2^log_n) the entries
// [h, 2h) hold w_{2h}^j (forward) or w_{2h}^-j (inverse), j < h, so a pass reads its
// twiddles contiguously. Built once per direction for the largest size asked so far (a
// table for 2^k serves every smaller size), and only for a direction in use: the
// prover's encodings are forward NTTs only.
struct Twiddles {
  unsigned log_n = 0;
  std::vector<Fp> w;
};

std::shared_ptr<const Twiddles> twiddles(unsigned log_n, bool inverse) {
  static std::mutex mu;
  static std::shared_ptr<const Twiddles> cached[2];
  std::lock_guard<std::mutex> lock(mu);
  auto& c = cached[inverse];
  if (c && c->log_n >= log_n) return c;
  auto t = std::make_shared<Twiddles>();
  t->log_n = std::max(log_n, c ? c->log_n : 0u);
  size_t n = size_t(1) << t->log_n;
  t->w.assign(std::max<size_t>(n, 2), Fp::one());
  for (size_t h = 1; h < n; h *= 2) {
    unsigned lg = static_cast<unsigned>(std::countr_zero(2 * h));
    Fp w = root_of_unity(lg);
    if (inverse) w = w.inverse();
    util::ThreadPool::global().parallel_for(h, [&](size_t lo, size_t hi) {
      Fp x = w.pow(lo);
      for (size_t j = lo; j < hi; ++j) {
        t->w[h + j] = x;
        x *= w;
      }
    }, 1 << 14);
  }
  c = std::move(t);
  return c;
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

using namespace field::simd;

// x, y <- x + y, (x - y) w over a run (the DIF butterfly), eight lanes at a time.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void dif_run(Fp* x, Fp* y, const Fp* w, size_t n) {
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const u64x8 u = load(x + c), v = load(y + c);
    store(x + c, add(u, v));
    store(y + c, mul(sub(u, v), load(w + c)));
  }
  for (; c < n; ++c) {
    const Fp u = x[c], v = y[c];
    x[c] = u + v;
    y[c] = (u - v) * w[c];
  }
}

// x, y <- x + y w, x - y w over a run (the DIT butterfly).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void dit_run(Fp* x, Fp* y, const Fp* w, size_t n) {
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const u64x8 u = load(x + c), v = mul(load(y + c), load(w + c));
    store(x + c, add(u, v));
    store(y + c, sub(u, v));
  }
  for (; c < n; ++c) {
    const Fp u = x[c], v = y[c] * w[c];
    x[c] = u + v;
    y[c] = u - v;
  }
}

// out[l] = in[l] x s^l, eight lanes at a time (lane k steps by s^8 from x s^k).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void powers_run(const Fp* in, Fp* out, size_t n, Fp x, Fp s) {
  size_t l = 0;
  if (n >= 8) {
    u64x8 xs;
    Fp p = x;
    for (int k = 0; k < 8; ++k, p *= s) xs[k] = p.value();
    const u64x8 step = splat(s.pow(8).value());
    for (; l + 8 <= n; l += 8) {
      store(out + l, mul(load(in + l), xs));
      xs = mul(xs, step);
    }
    x = Fp(xs[0]);
  }
  for (; l < n; ++l, x *= s) out[l] = in[l] * x;
}

// The DIF passes of half-size 4, 2 and 1 over a block of 16k values, whose runs are too
// short for dif_run's lanes: two 8-value groups at a time, their pairs regrouped into
// two vectors by shuffles before each pass. w is the twiddle table (pass h reads
// [h, 2h)); the pass h = 1 multiplies by w_2^0 = 1, which leaves a canonical value as
// it is, so it only adds and subtracts.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void dif_last_three(Fp* b, size_t n, const Fp* w) {
  const u64x8 w4 = {w[4].value(), w[5].value(), w[6].value(), w[7].value(),
                    w[4].value(), w[5].value(), w[6].value(), w[7].value()};
  const u64x8 w2 = {w[2].value(), w[3].value(), w[2].value(), w[3].value(),
                    w[2].value(), w[3].value(), w[2].value(), w[3].value()};
  for (size_t g = 0; g + 16 <= n; g += 16) {
    const u64x8 a = load(b + g), c = load(b + g + 8);
    // h = 4: pairs (i, i + 4) of each group.
    u64x8 x = low_halves(a, c), y = high_halves(a, c);
    u64x8 s = add(x, y), d = mul(sub(x, y), w4);
    // h = 2: the groups are now (s0..3, d0..3) and (s4..7, d4..7).
    x = __builtin_shuffle(s, d, u64x8{0, 1, 8, 9, 4, 5, 12, 13});
    y = __builtin_shuffle(s, d, u64x8{2, 3, 10, 11, 6, 7, 14, 15});
    s = add(x, y), d = mul(sub(x, y), w2);
    // h = 1: the groups are (s0, s1, d0, d1, s2, s3, d2, d3) and the same from s4, d4.
    x = __builtin_shuffle(s, d, u64x8{0, 8, 2, 10, 4, 12, 6, 14});
    y = __builtin_shuffle(s, d, u64x8{1, 9, 3, 11, 5, 13, 7, 15});
    s = add(x, y), d = sub(x, y);
    store(b + g, interleave_lo(s, d));
    store(b + g + 8, interleave_hi(s, d));
  }
}

// The NTT's butterflies over runs of pairs with consecutive twiddles (detail::apply_run);
// the DIF's last three passes block by block (detail::block_passes).
template <bool kDif>
struct Butterfly {
  const Fp* w;  // the twiddle table: pass h reads [h, 2h)
  void run(Fp* x, Fp* y, size_t h, size_t j0, size_t n) const {
    if (kDif) dif_run(x, y, w + h + j0, n);
    else dit_run(x, y, w + h + j0, n);
  }
  void last_three(Fp* b, size_t n) const
    requires kDif
  {
    dif_last_three(b, n, w);
  }
};

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

void scale_by_powers(std::span<const Fp> in, std::span<Fp> out, Fp first, Fp step) {
  ZK_ASSERT(in.size() == out.size());
  util::ThreadPool::global().parallel_for(in.size(), [&](size_t lo, size_t hi) {
    powers_run(in.data() + lo, out.data() + lo, hi - lo, first * step.pow(lo), step);
  }, detail::kParallelMin);
}

void bit_reverse_permute(std::span<Fp> a) { bit_reverse_impl(a); }
void bit_reverse_permute(std::span<Fp2> a) { bit_reverse_impl(a); }

void ntt_dif(std::span<Fp> a) {
  unsigned lg = checked_log(a.size());
  if (lg == 0) return;
  auto tw = twiddles(lg, false);
  const Fp* w = tw->w.data();
  detail::butterfly_passes(a.data(), a.size(), true, Butterfly<true>{w});
}

void intt_dit(std::span<Fp> a) {
  unsigned lg = checked_log(a.size());
  if (lg == 0) return;
  auto tw = twiddles(lg, true);
  const Fp* w = tw->w.data();
  detail::butterfly_passes(a.data(), a.size(), false, Butterfly<false>{w});
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
