#include "field/field.hpp"

#include <array>
#include <string>

namespace zks::field {

namespace {
// Montgomery's trick on four interleaved chains (entry i on chain i % 4): each chain's
// running product depends only on its own, so the core overlaps four multiplications
// where one chain waited on each (2^16 entries of F_p: 0.89 to 0.5 ms). One inversion
// for all four (a sumcheck round interpolates a handful of points this way).
template <typename F>
void batch_inverse_impl(std::span<F> xs) {
  constexpr size_t kChains = 4;  // the inversion below combines exactly four
  // prefix[i] = product of the non-zero entries before i on i's chain.
  std::vector<F> prefix(xs.size());
  std::array<F, kChains> acc;
  acc.fill(F::one());
  for (size_t i = 0; i < xs.size(); ++i) {
    F& a = acc[i % kChains];
    prefix[i] = a;
    if (!xs[i].is_zero()) a *= xs[i];
  }
  {  // the four chains' inverses from one inversion
    const F a01 = acc[0] * acc[1], a23 = acc[2] * acc[3];
    const F t = (a01 * a23).inverse(), i01 = t * a23, i23 = t * a01;
    acc = {i01 * acc[1], i01 * acc[0], i23 * acc[3], i23 * acc[2]};
  }
  for (size_t i = xs.size(); i-- > 0;) {
    if (xs[i].is_zero()) continue;
    F& inv = acc[i % kChains];
    const F x = xs[i];
    xs[i] = inv * prefix[i];
    inv *= x;
  }
}
}  // namespace

void batch_inverse(std::span<Fp> xs) { batch_inverse_impl(xs); }

// 1 / (a + b X) = (a - b X) / (a^2 - 7 b^2): one batch inversion of the norms in F_p,
// where the trick in F_{p^2} multiplied in F_{p^2} three times an entry.
void batch_inverse(std::span<Fp2> xs) {
  std::vector<Fp> norms(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) norms[i] = xs[i].norm();
  batch_inverse_impl(std::span<Fp>(norms));
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = Fp2(xs[i].c0() * norms[i], -(xs[i].c1() * norms[i]));
}

void write(util::ByteWriter& w, Fp x) { w.u64(x.value()); }
void write(util::ByteWriter& w, const Fp2& x) {
  w.u64(x.c0().value());
  w.u64(x.c1().value());
}

Status read(util::ByteReader& r, Fp& x) {
  uint64_t v;
  if (!r.u64(v)) return make_error("field element truncated");
  if (v >= Fp::P) return make_error("non-canonical field element " + std::to_string(v));
  x = Fp::from_canonical(v);
  return {};
}

Status read(util::ByteReader& r, Fp2& x) {
  Fp c0, c1;
  ZK_TRY(read(r, c0));
  ZK_TRY(read(r, c1));
  x = Fp2(c0, c1);
  return {};
}

void write_vec(util::ByteWriter& w, std::span<const Fp2> xs) {
  w.u32(static_cast<uint32_t>(xs.size()));
  for (const auto& x : xs) write(w, x);
}

Status read_vec(util::ByteReader& r, std::vector<Fp2>& xs, size_t max_len) {
  uint32_t n;
  if (!r.u32(n)) return make_error("vector length truncated");
  if (n > max_len)
    return make_error("vector length " + std::to_string(n) + " exceeds limit " +
                      std::to_string(max_len));
  if (r.remaining() < size_t(n) * kFp2Bytes) return make_error("vector elements truncated");
  xs.resize(n);
  for (auto& x : xs) ZK_TRY(read(r, x));
  return {};
}

}  // namespace zks::field
