#include "pcs/encoding.hpp"

#include <algorithm>
#include <bit>
#include <mutex>

#include "pcs/butterfly.hpp"
#include "pcs/ntt.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::pcs::detail {

namespace {

template <typename T>
void check_pow2(std::span<T> a) {
  ZK_ASSERT_MSG(!a.empty() && std::has_single_bit(a.size()), "table size must be 2^k");
}

// f(x) = sum_{S subset of x} c_S: one pass per variable, c_{S+b} -= c_S (Moebius) or
// += (zeta). The pass for variable b is the butterfly pass of half-size 2^b.
template <typename T>
void evals_to_coeffs_impl(std::span<T> a) {
  check_pow2(a);
  butterfly_passes(a.data(), a.size(), false, [](T& lo, T& hi, size_t, size_t) { hi -= lo; });
}
template <typename T>
void coeffs_to_evals_impl(std::span<T> a) {
  check_pow2(a);
  butterfly_passes(a.data(), a.size(), false, [](T& lo, T& hi, size_t, size_t) { hi += lo; });
}

template <typename F>
std::vector<Fp2> fold_codeword_impl(std::span<const F> cw, const Fp2& r, const Fp* itx) {
  ZK_ASSERT(cw.size() >= 2 && cw.size() % 2 == 0);
  std::vector<Fp2> out(cw.size() / 2);
  util::ThreadPool::global().parallel_for(out.size(), [&](size_t lo, size_t hi) {
    for (size_t t = lo; t < hi; ++t) {
      F a = cw[2 * t], b = cw[2 * t + 1];
      // (a+b)/2 and (a-b)/(2x) stay in the base field when the codeword does.
      F e = half(a + b);
      F o = (a - b) * itx[t];
      out[t] = r * o + e;
    }
  }, kParallelMin);
  return out;
}

}  // namespace

void evals_to_coeffs(std::span<Fp> a) { evals_to_coeffs_impl(a); }
void evals_to_coeffs(std::span<Fp2> a) { evals_to_coeffs_impl(a); }
void coeffs_to_evals(std::span<Fp> a) { coeffs_to_evals_impl(a); }
void coeffs_to_evals(std::span<Fp2> a) { coeffs_to_evals_impl(a); }

std::vector<Fp> rs_encode(std::span<const Fp> c, unsigned log_blowup) {
  ZK_ASSERT_MSG(!c.empty() && std::has_single_bit(c.size()), "message size must be 2^n");
  const size_t n = c.size(), blocks = size_t(1) << log_blowup;
  const unsigned log_n = static_cast<unsigned>(std::countr_zero(n));
  ZK_ASSERT(log_n + log_blowup <= kMaxNttLog);
  // Position j*n + q of the bit-reversed codeword holds P(s_j w_n^rev(q)) with
  // s_j = w_{N}^rev(j) (rev over log_blowup bits): block j is the DIF NTT of
  // c_l s_j^l. This avoids transforming the zero padding.
  std::vector<Fp> out(n * blocks);
  const Fp wN = root_of_unity(log_n + log_blowup);
  for (size_t j = 0; j < blocks; ++j) {
    Fp s = wN.pow(reverse_bits(j, log_blowup));
    std::span<Fp> blk(out.data() + j * n, n);
    if (j == 0) std::copy(c.begin(), c.end(), blk.begin());  // s_0 = 1
    else scale_by_powers(c, blk, Fp::one(), s);
    ntt_dif(blk);
  }
  return out;
}

std::vector<Fp2> rs_encode(std::span<const Fp2> c, unsigned log_blowup) {
  // The code is F_p-linear: encode both coordinates.
  std::vector<Fp> c0(c.size()), c1(c.size());
  for (size_t i = 0; i < c.size(); ++i) c0[i] = c[i].c0(), c1[i] = c[i].c1();
  std::vector<Fp> e0 = rs_encode(c0, log_blowup), e1 = rs_encode(c1, log_blowup);
  std::vector<Fp2> out(e0.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = Fp2(e0[i], e1[i]);
  return out;
}

std::shared_ptr<const std::vector<Fp>> inv_two_x_table(unsigned log_n) {
  ZK_ASSERT(log_n >= 1 && log_n <= kMaxNttLog);
  static std::mutex mu;
  static std::shared_ptr<const std::vector<Fp>> cached;
  static unsigned cached_log = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (cached && cached_log >= log_n) return cached;
  const size_t half_n = size_t(1) << (log_n - 1);
  const unsigned bits = log_n - 1;
  auto t = std::make_shared<std::vector<Fp>>(half_n);
  // Powers of (w_N)^-1 / 2 in natural order, then permuted: t[i] = w_N^-rev(i) / 2.
  const Fp wi = root_of_unity(log_n).inverse();
  const Fp inv2 = Fp(2).inverse();
  auto& v = *t;
  util::ThreadPool::global().parallel_for(half_n, [&](size_t lo, size_t hi) {
    Fp x = wi.pow(lo) * inv2;
    for (size_t i = lo; i < hi; ++i) {
      v[i] = x;
      x *= wi;
    }
  }, kParallelMin);
  if (bits > 0) bit_reverse_permute(std::span<Fp>(v));
  cached = std::move(t);
  cached_log = log_n;
  return cached;
}

std::vector<Fp2> fold_codeword(std::span<const Fp> cw, const Fp2& r, const Fp* itx) {
  return fold_codeword_impl(cw, r, itx);
}
std::vector<Fp2> fold_codeword(std::span<const Fp2> cw, const Fp2& r, const Fp* itx) {
  return fold_codeword_impl(cw, r, itx);
}

}  // namespace zks::pcs::detail
