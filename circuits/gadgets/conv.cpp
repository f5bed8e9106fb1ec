#include "circuits/gadgets/conv.hpp"

#include <string>

#include "field/field.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::circuits {

namespace {
using poly::log2_ceil;

// Bit widths of every axis, computed once per call.
struct Bits {
  unsigned c, h, w;        // input
  unsigned ic, kh, kw, k;  // kernel (k = ic + kh + kw)
  unsigned oc, oh, ow;     // output
  explicit Bits(const ConvShape& s)
      : c(log2_ceil(s.in_channels)),
        h(log2_ceil(s.in_h)),
        w(log2_ceil(s.in_w)),
        ic(log2_ceil(s.in_channels / s.groups)),
        kh(log2_ceil(s.kernel_h)),
        kw(log2_ceil(s.kernel_w)),
        k(ic + kh + kw),
        oc(log2_ceil(s.out_channels)),
        oh(log2_ceil(s.out_h())),
        ow(log2_ceil(s.out_w())) {}
};

// Input coordinate of output position o and kernel tap t along one axis, or -1.
inline int64_t tap(uint32_t o, uint32_t t, uint32_t stride, uint32_t dil, uint32_t pad, uint32_t n) {
  int64_t i = int64_t(o) * stride + int64_t(t) * dil - int64_t(pad);
  return (i >= 0 && i < int64_t(n)) ? i : -1;
}

std::span<const Fp2> sub(std::span<const Fp2> p, size_t off, size_t len) { return p.subspan(off, len); }

// Th[h] = sum_{t < K, o < O, tap(o, t) = h} eq_t[t] eq_o[o] (one axis of the patch predicate).
std::vector<Fp2> axis_table(uint32_t n, unsigned n_bits, uint32_t K, uint32_t O, uint32_t stride,
                            uint32_t dil, uint32_t pad, std::span<const Fp2> eq_t,
                            std::span<const Fp2> eq_o) {
  std::vector<Fp2> t(size_t(1) << n_bits, Fp2::zero());
  for (uint32_t k = 0; k < K; ++k)
    for (uint32_t o = 0; o < O; ++o) {
      int64_t i = tap(o, k, stride, dil, pad, n);
      if (i >= 0) t[size_t(i)] += eq_t[k] * eq_o[o];
    }
  return t;
}

// Tc[c] = (sum_{oc in group(c)} eq(rho_oc, oc)) * eq(rho_ic, c mod Cg) for c < Cin.
std::vector<Fp2> channel_table(const ConvShape& s, const Bits& b, std::span<const Fp2> rho_ic,
                               std::span<const Fp2> rho_oc) {
  uint32_t cg = s.in_channels / s.groups, og = s.out_channels / s.groups;
  auto eq_oc = poly::eq_table(rho_oc);
  auto eq_ic = poly::eq_table(rho_ic);
  std::vector<Fp2> wg(s.groups, Fp2::zero());
  for (uint32_t oc = 0; oc < s.out_channels; ++oc) wg[oc / og] += eq_oc[oc];
  std::vector<Fp2> t(size_t(1) << b.c, Fp2::zero());
  for (uint32_t c = 0; c < s.in_channels; ++c) t[c] = wg[c / cg] * eq_ic[c % cg];
  return t;
}

// The three factors of the patch predicate T(c, h, w) = Tc[c] Th[h] Tw[w] of step (2),
// from the point rho of step (1) and the output point (r_oh, r_ow).
struct PatchTables {
  std::vector<Fp2> c, h, w;
};

PatchTables patch_tables(const ConvShape& s, const Bits& b, std::span<const Fp2> rho,
                         std::span<const Fp2> r_oh, std::span<const Fp2> r_ow) {
  auto rho_kw = sub(rho, 0, b.kw), rho_kh = sub(rho, b.kw, b.kh), rho_ic = sub(rho, b.kw + b.kh, b.ic),
       rho_oc = sub(rho, b.k, b.oc);
  return {channel_table(s, b, rho_ic, rho_oc),
          axis_table(s.in_h, b.h, s.kernel_h, s.out_h(), s.stride_h, s.dilation_h, s.pad_top,
                     poly::eq_table(rho_kh), poly::eq_table(r_oh)),
          axis_table(s.in_w, b.w, s.kernel_w, s.out_w(), s.stride_w, s.dilation_w, s.pad_left,
                     poly::eq_table(rho_kw), poly::eq_table(r_ow))};
}

// The output point split by axis.
struct OutPoint {
  std::span<const Fp2> ow, oh, oc;
};
OutPoint split_out(const Bits& b, std::span<const Fp2> p) {
  return {sub(p, 0, b.ow), sub(p, b.ow, b.oh), sub(p, b.ow + b.oh, b.oc)};
}

// Absorbs the bias evaluation and removes its contribution [p real] bias~(r_oc) from
// the claimed value (prover and verifier alike).
Fp2 without_bias(const ConvShape& s, const OutPoint& r, const Fp2& value, const Fp2& bias_eval,
                 transcript::Transcript& t) {
  t.absorb("conv.bias_eval", bias_eval);
  return value - poly::lt_eval(s.out_w(), r.ow) * poly::lt_eval(s.out_h(), r.oh) * bias_eval;
}

void absorb_shape(transcript::Transcript& t, const ConvShape& s) {
  const uint32_t fields[] = {s.in_channels, s.in_h,      s.in_w,       s.out_channels, s.kernel_h,
                             s.kernel_w,    s.stride_h,  s.stride_w,   s.dilation_h,   s.dilation_w,
                             s.pad_top,     s.pad_left,  s.pad_bottom, s.pad_right,    s.groups,
                             s.has_bias};
  util::ByteWriter w;
  for (uint32_t f : fields) w.u32(f);
  t.absorb_bytes("conv.shape", w.bytes());
}

// The powers of two and the eq point (1/2, ..., 1/2, r_oc) of sumcheck (1).
std::vector<Fp2> half_point(unsigned k_bits, std::span<const Fp2> r_oc) {
  std::vector<Fp2> z(k_bits, Fp2(Fp(2).inverse()));
  z.insert(z.end(), r_oc.begin(), r_oc.end());
  return z;
}
Fp2 inv_pow2(unsigned k) { return Fp2(Fp(2).inverse().pow(k)); }

}  // namespace

uint32_t ConvShape::out_h() const {
  int64_t span = int64_t(dilation_h) * (kernel_h - 1) + 1;
  int64_t n = int64_t(in_h) + pad_top + pad_bottom - span;
  return n < 0 || stride_h == 0 ? 0 : uint32_t(n / stride_h + 1);
}
uint32_t ConvShape::out_w() const {
  int64_t span = int64_t(dilation_w) * (kernel_w - 1) + 1;
  int64_t n = int64_t(in_w) + pad_left + pad_right - span;
  return n < 0 || stride_w == 0 ? 0 : uint32_t(n / stride_w + 1);
}

Status ConvShape::check() const {
  if (!in_channels || !in_h || !in_w || !out_channels || !kernel_h || !kernel_w)
    return make_error("conv: a dimension is zero");
  if (!stride_h || !stride_w || !dilation_h || !dilation_w) return make_error("conv: stride or dilation is zero");
  if (!groups || in_channels % groups || out_channels % groups)
    return make_error("conv: channels " + std::to_string(in_channels) + "/" + std::to_string(out_channels) +
                      " not divisible by groups " + std::to_string(groups));
  if (out_h() == 0 || out_w() == 0) return make_error("conv: kernel larger than the padded input");
  Bits b(*this);
  if (b.c + b.h + b.w > 30 || b.oc + b.k > 30 || b.oc + b.oh + b.ow > 30)
    return make_error("conv: tensor larger than 2^30 entries");
  return {};
}

unsigned ConvShape::x_vars() const { Bits b(*this); return b.c + b.h + b.w; }
unsigned ConvShape::w_vars() const { Bits b(*this); return b.oc + b.k; }
unsigned ConvShape::y_vars() const { Bits b(*this); return b.oc + b.oh + b.ow; }

std::vector<Fp> pad_conv_input(std::span<const Fp> dense, const ConvShape& s) {
  Bits b(s);
  ZK_ASSERT(dense.size() == size_t(s.in_channels) * s.in_h * s.in_w);
  std::vector<Fp> out(size_t(1) << (b.c + b.h + b.w), Fp::zero());
  for (size_t c = 0; c < s.in_channels; ++c)
    for (size_t h = 0; h < s.in_h; ++h)
      for (size_t w = 0; w < s.in_w; ++w)
        out[(c << (b.h + b.w)) | (h << b.w) | w] = dense[(c * s.in_h + h) * s.in_w + w];
  return out;
}

std::vector<Fp> pad_conv_weights(std::span<const Fp> dense, const ConvShape& s) {
  Bits b(s);
  uint32_t cg = s.in_channels / s.groups;
  ZK_ASSERT(dense.size() == size_t(s.out_channels) * cg * s.kernel_h * s.kernel_w);
  std::vector<Fp> out(size_t(1) << (b.oc + b.k), Fp::zero());
  for (size_t oc = 0; oc < s.out_channels; ++oc)
    for (size_t ic = 0; ic < cg; ++ic)
      for (size_t kh = 0; kh < s.kernel_h; ++kh)
        for (size_t kw = 0; kw < s.kernel_w; ++kw)
          out[(oc << b.k) | (ic << (b.kh + b.kw)) | (kh << b.kw) | kw] =
              dense[((oc * cg + ic) * s.kernel_h + kh) * s.kernel_w + kw];
  return out;
}

std::vector<Fp> pad_conv_bias(std::span<const Fp> dense, const ConvShape& s) {
  ZK_ASSERT(dense.size() == s.out_channels);
  std::vector<Fp> out(size_t(1) << log2_ceil(s.out_channels), Fp::zero());
  std::copy(dense.begin(), dense.end(), out.begin());
  return out;
}

namespace {
// The values as signed integers (their centered representatives) and the largest
// magnitude among them.
std::vector<int64_t> centered(std::span<const Fp> v, unsigned __int128& max_abs) {
  std::vector<int64_t> out(v.size());
  max_abs = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = v[i].to_i64_centered();
    const unsigned __int128 a = out[i] < 0 ? -(unsigned __int128)out[i] : (unsigned __int128)out[i];
    if (a > max_abs) max_abs = a;
  }
  return out;
}

Fp from_i128(__int128 v) {
  const unsigned __int128 a = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  const Fp r = Fp::reduce128(uint64_t(a), uint64_t(a >> 64));
  return v < 0 ? -r : r;
}

// y = conv(x, w) + bias over a number type T: int64 inputs with __int128 sums (exact,
// so the same field values, at a fraction of the cost), or Fp.
template <typename T, typename Acc, typename Out>
std::vector<Fp> conv_with(const ConvShape& s, const T* x, const T* w, const T* bias, Out&& out) {
  Bits b(s);
  uint32_t cg = s.in_channels / s.groups, og = s.out_channels / s.groups;
  uint32_t OH = s.out_h(), OW = s.out_w();
  std::vector<Fp> y(size_t(1) << (b.oc + b.oh + b.ow), Fp::zero());
  util::ThreadPool::global().parallel_for(s.out_channels, [&](size_t lo, size_t hi) {
    for (size_t oc = lo; oc < hi; ++oc) {
      size_t g = oc / og;
      for (uint32_t oh = 0; oh < OH; ++oh)
        for (uint32_t ow = 0; ow < OW; ++ow) {
          Acc acc = bias ? Acc(bias[oc]) : Acc(0);
          for (uint32_t ic = 0; ic < cg; ++ic)
            for (uint32_t kh = 0; kh < s.kernel_h; ++kh) {
              int64_t ih = tap(oh, kh, s.stride_h, s.dilation_h, s.pad_top, s.in_h);
              if (ih < 0) continue;
              const size_t c = g * cg + ic;
              const T* wr = w + ((oc << b.k) | (ic << (b.kh + b.kw)) | (kh << b.kw));
              const T* xr = x + ((c << (b.h + b.w)) | (size_t(ih) << b.w));
              for (uint32_t kw = 0; kw < s.kernel_w; ++kw) {
                int64_t iw = tap(ow, kw, s.stride_w, s.dilation_w, s.pad_left, s.in_w);
                if (iw < 0) continue;
                acc += Acc(wr[kw]) * Acc(xr[iw]);
              }
            }
          y[(oc << (b.oh + b.ow)) | (oh << b.ow) | ow] = out(acc);
        }
    }
  }, 1);
  return y;
}

// y = conv(x, w) + bias when every sum stays inside int64: the executor's kernel
// (model::kern::conv2d: channels in parallel, a vectorisable inner loop) on the dense
// tensors, scattered back into the padded layout.
std::vector<Fp> conv_int64(const ConvShape& s, const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                           const std::vector<int64_t>& bias) {
  Bits b(s);
  const uint32_t cg = s.in_channels / s.groups, OH = s.out_h(), OW = s.out_w();
  const size_t C = s.in_channels, H = s.in_h, W = s.in_w, KH = s.kernel_h, KW = s.kernel_w, OC = s.out_channels;
  std::vector<int64_t> xd(C * H * W), wd(OC * cg * KH * KW), yd(OC * OH * OW);
  for (size_t c = 0; c < C; ++c)
    for (size_t h = 0; h < H; ++h)
      std::copy_n(x.begin() + std::ptrdiff_t((c << (b.h + b.w)) | (h << b.w)), W, xd.begin() + std::ptrdiff_t((c * H + h) * W));
  for (size_t oc = 0; oc < OC; ++oc)
    for (size_t ic = 0; ic < cg; ++ic)
      for (size_t kh = 0; kh < KH; ++kh)
        std::copy_n(w.begin() + std::ptrdiff_t((oc << b.k) | (ic << (b.kh + b.kw)) | (kh << b.kw)), KW,
                    wd.begin() + std::ptrdiff_t(((oc * cg + ic) * KH + kh) * KW));
  const model::kern::ConvParams p{1, int64_t(C), int64_t(H), int64_t(W), int64_t(OC), int64_t(KH), int64_t(KW),
                                  OH, OW, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left,
                                  s.groups};
  model::kern::conv2d<int64_t>(p, xd.data(), wd.data(), s.has_bias ? bias.data() : nullptr, yd.data());
  std::vector<Fp> y(size_t(1) << (b.oc + b.oh + b.ow), Fp::zero());
  for (size_t oc = 0; oc < OC; ++oc)
    for (size_t oh = 0; oh < OH; ++oh)
      for (size_t ow = 0; ow < OW; ++ow)
        y[(oc << (b.oh + b.ow)) | (oh << b.ow) | ow] = Fp::from_i64(yd[(oc * OH + oh) * OW + ow]);
  return y;
}

}  // namespace

std::vector<Fp> conv(const ConvShape& s, std::span<const Fp> x, std::span<const Fp> w,
                     std::span<const Fp> bias) {
  ZK_ASSERT(s.check().ok());
  // Exact over the integers when no sum can leave __int128: every term is at most
  // max|w| max|x| and a sum has at most taps + 1 terms.
  unsigned __int128 mx = 0, mw = 0, mb = 0;
  const auto xi = centered(x, mx), wi = centered(w, mw), bi = centered(bias, mb);
  const unsigned __int128 terms = (unsigned __int128)(s.in_channels / s.groups) * s.kernel_h * s.kernel_w + 1;
  const unsigned __int128 limit = (unsigned __int128)1 << 126;
  const unsigned __int128 top = mx > mw ? mx : mw;
  if (top < ((unsigned __int128)1 << 62) && mb < limit / 2 && mx * mw < limit / 2 / terms) {
    if (mx * mw * terms + mb < ((unsigned __int128)1 << 62)) return conv_int64(s, xi, wi, bi);
    return conv_with<int64_t, __int128>(s, xi.data(), wi.data(), s.has_bias ? bi.data() : nullptr,
                                        [](__int128 v) { return from_i128(v); });
  }
  return conv_with<Fp, Fp>(s, x.data(), w.data(), s.has_bias ? bias.data() : nullptr, [](const Fp& v) { return v; });
}

ConvProverOutput prove_conv(const ConvShape& s, std::span<const Fp> x, std::span<const Fp> w,
                            std::span<const Fp> bias, const EvalClaim& y_claim,
                            transcript::Transcript& t) {
  ZK_ASSERT(s.check().ok());
  Bits b(s);
  ZK_ASSERT(x.size() == size_t(1) << s.x_vars() && w.size() == size_t(1) << s.w_vars());
  ZK_ASSERT(y_claim.point.size() == s.y_vars());
  const uint32_t OH = s.out_h(), OW = s.out_w(), cg = s.in_channels / s.groups,
                 og = s.out_channels / s.groups;
  const OutPoint rp = split_out(b, y_claim.point);
  auto r_ow = rp.ow, r_oh = rp.oh, r_oc = rp.oc;
  absorb_shape(t, s);

  ConvProverOutput out;
  Fp2 target = y_claim.value;
  if (s.has_bias) {
    out.proof.bias_eval = poly::evaluate(bias, r_oc);
    target = without_bias(s, rp, target, out.proof.bias_eval, t);
    out.claims.bias = EvalClaim{std::vector<Fp2>(r_oc.begin(), r_oc.end()), out.proof.bias_eval};
  }

  // Xg[oc][k] = sum_p eq(r_p, p) Xcol[g(oc)][k][p], separably: first over ow, then oh.
  auto eq_ow = poly::eq_table(r_ow), eq_oh = poly::eq_table(r_oh);
  const size_t C = s.in_channels, H = s.in_h, KH = s.kernel_h, KW = s.kernel_w;
  std::vector<Fp2> U(C * H * KW, Fp2::zero());  // U[c][h][kw]
  util::ThreadPool::global().parallel_for(C * H, [&](size_t lo, size_t hi) {
    for (size_t ch = lo; ch < hi; ++ch) {
      size_t c = ch / H, h = ch % H;
      const Fp* row = x.data() + ((c << (b.h + b.w)) | (h << b.w));
      for (uint32_t kw = 0; kw < KW; ++kw) {
        Fp2 acc = Fp2::zero();
        for (uint32_t ow = 0; ow < OW; ++ow) {
          int64_t iw = tap(ow, kw, s.stride_w, s.dilation_w, s.pad_left, s.in_w);
          if (iw >= 0) acc += eq_ow[ow] * row[iw];
        }
        U[ch * KW + kw] = acc;
      }
    }
  }, 16);
  std::vector<Fp2> V(C * KH * KW, Fp2::zero());  // V[c][kh][kw]
  for (size_t c = 0; c < C; ++c)
    for (uint32_t kh = 0; kh < KH; ++kh)
      for (uint32_t oh = 0; oh < OH; ++oh) {
        int64_t ih = tap(oh, kh, s.stride_h, s.dilation_h, s.pad_top, s.in_h);
        if (ih < 0) continue;
        for (uint32_t kw = 0; kw < KW; ++kw)
          V[(c * KH + kh) * KW + kw] += eq_oh[oh] * U[(c * H + size_t(ih)) * KW + kw];
      }
  std::vector<Fp2> xg(size_t(1) << (b.oc + b.k), Fp2::zero());
  for (size_t oc = 0; oc < s.out_channels; ++oc) {
    size_t g = oc / og;
    for (size_t ic = 0; ic < cg; ++ic)
      for (size_t kh = 0; kh < KH; ++kh)
        for (size_t kw = 0; kw < KW; ++kw)
          xg[(oc << b.k) | (ic << (b.kh + b.kw)) | (kh << b.kw) | kw] = V[((g * cg + ic) * KH + kh) * KW + kw];
  }

  // (1) sum_{oc,k} eq((1/2.., r_oc), (k, oc)) W Xg = 2^-|k| target.
  sumcheck::Instance inst1;
  inst1.factors = {std::span<const Fp>(w), std::span<const Fp2>(xg)};
  inst1.eq_point = half_point(b.k, r_oc);
  auto sc1 = sumcheck::prove(inst1, target * inv_pow2(b.k), t);
  out.proof.weights_sumcheck = std::move(sc1.proof);
  out.proof.w_eval = sc1.factor_evals[0];
  out.proof.xg_eval = sc1.factor_evals[1];
  Fp2 e1[2] = {out.proof.w_eval, out.proof.xg_eval};
  t.absorb("conv.evals1", std::span<const Fp2>(e1, 2));
  out.claims.w = EvalClaim{sc1.point, out.proof.w_eval};

  // (2) Xg~(rho) = sum_x X[x] Tc[c] Th[h] Tw[w].
  PatchTables pt = patch_tables(s, b, sc1.point, r_oh, r_ow);
  std::vector<Fp2> T(x.size(), Fp2::zero());
  for (size_t c = 0; c < s.in_channels; ++c)
    for (size_t h = 0; h < s.in_h; ++h) {
      Fp2 ch = pt.c[c] * pt.h[h];
      for (size_t ww = 0; ww < s.in_w; ++ww) T[(c << (b.h + b.w)) | (h << b.w) | ww] = ch * pt.w[ww];
    }
  sumcheck::Instance inst2;
  inst2.factors = {std::span<const Fp>(x), std::span<const Fp2>(T)};
  auto sc2 = sumcheck::prove(inst2, out.proof.xg_eval, t);
  out.proof.input_sumcheck = std::move(sc2.proof);
  out.proof.x_eval = sc2.factor_evals[0];
  t.absorb("conv.x_eval", out.proof.x_eval);
  out.claims.x = EvalClaim{sc2.point, out.proof.x_eval};
  return out;
}

Result<ConvClaims> verify_conv(const ConvShape& s, const EvalClaim& y_claim,
                               const ConvProof& proof, transcript::Transcript& t) {
  ZK_TRY(s.check());
  Bits b(s);
  if (y_claim.point.size() != s.y_vars()) return make_error("conv: claim point has the wrong size");
  const OutPoint rp = split_out(b, y_claim.point);
  absorb_shape(t, s);

  ConvClaims claims;
  Fp2 target = y_claim.value;
  if (s.has_bias) {
    target = without_bias(s, rp, target, proof.bias_eval, t);
    claims.bias = EvalClaim{std::vector<Fp2>(rp.oc.begin(), rp.oc.end()), proof.bias_eval};
  }
  auto z = half_point(b.k, rp.oc);
  auto sub1 = sumcheck::verify(target * inv_pow2(b.k), b.k + b.oc, b.k + b.oc > 0 ? 3 : 2,
                              proof.weights_sumcheck, t);
  if (!sub1.ok()) return make_error("conv weights sumcheck: " + sub1.error());
  Fp2 e1[2] = {proof.w_eval, proof.xg_eval};
  if (auto st = sumcheck::check_final(*sub1, e1, z); !st.ok()) return make_error("conv weights sumcheck: " + st.error());
  t.absorb("conv.evals1", std::span<const Fp2>(e1, 2));
  claims.w = EvalClaim{sub1->point, proof.w_eval};

  auto sub2 = sumcheck::verify(proof.xg_eval, b.c + b.h + b.w, 2, proof.input_sumcheck, t);
  if (!sub2.ok()) return make_error("conv input sumcheck: " + sub2.error());
  // The patch predicate, evaluated by the verifier from its three small factors.
  PatchTables pt = patch_tables(s, b, sub1->point, rp.oh, rp.ow);
  std::span<const Fp2> px(sub2->point);
  Fp2 tc = poly::evaluate(std::span<const Fp2>(pt.c), sub(px, b.w + b.h, b.c));
  Fp2 th = poly::evaluate(std::span<const Fp2>(pt.h), sub(px, b.w, b.h));
  Fp2 tw = poly::evaluate(std::span<const Fp2>(pt.w), sub(px, 0, b.w));
  Fp2 e2[2] = {proof.x_eval, tc * th * tw};
  if (auto st = sumcheck::check_final(*sub2, e2, {}); !st.ok()) return make_error("conv input sumcheck: " + st.error());
  t.absorb("conv.x_eval", proof.x_eval);
  claims.x = EvalClaim{sub2->point, proof.x_eval};
  return claims;
}

void ConvProof::write(util::ByteWriter& w, const ConvShape& shape) const {
  if (shape.has_bias) field::write(w, bias_eval);
  weights_sumcheck.write(w);
  field::write(w, w_eval);
  field::write(w, xg_eval);
  input_sumcheck.write(w);
  field::write(w, x_eval);
}

Result<ConvProof> ConvProof::read(util::ByteReader& r, const ConvShape& shape) {
  ZK_TRY(shape.check());
  ConvProof p;
  if (shape.has_bias) ZK_TRY(field::read(r, p.bias_eval));
  auto s1 = sumcheck::Proof::read(r, shape.w_vars(), shape.w_vars() > 0 ? 3 : 2);
  if (!s1.ok()) return make_error("conv proof: " + s1.error());
  p.weights_sumcheck = std::move(s1).value();
  ZK_TRY(field::read(r, p.w_eval));
  ZK_TRY(field::read(r, p.xg_eval));
  auto s2 = sumcheck::Proof::read(r, shape.x_vars(), 2);
  if (!s2.ok()) return make_error("conv proof: " + s2.error());
  p.input_sumcheck = std::move(s2).value();
  ZK_TRY(field::read(r, p.x_eval));
  return p;
}

}  // namespace zks::circuits
