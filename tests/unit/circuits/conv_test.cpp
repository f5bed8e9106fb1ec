// Convolution gadget: the executor against a dense reference, completeness over
// strides, padding, dilation and groups, and tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "unit/support.hpp"

#include "circuits/gadgets/conv.hpp"
#include "poly/mle.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::transcript::Transcript;
namespace c = zks::circuits;

namespace {
using zks::test::rand2;

// Dense NCHW reference with int64 arithmetic (ONNX Conv semantics).
std::vector<int64_t> reference_conv(const c::ConvShape& s, const std::vector<int64_t>& x,
                                    const std::vector<int64_t>& w, const std::vector<int64_t>& bias) {
  uint32_t OH = s.out_h(), OW = s.out_w(), cg = s.in_channels / s.groups, og = s.out_channels / s.groups;
  std::vector<int64_t> y(size_t(s.out_channels) * OH * OW);
  for (uint32_t oc = 0; oc < s.out_channels; ++oc)
    for (uint32_t oh = 0; oh < OH; ++oh)
      for (uint32_t ow = 0; ow < OW; ++ow) {
        int64_t acc = s.has_bias ? bias[oc] : 0;
        for (uint32_t ic = 0; ic < cg; ++ic)
          for (uint32_t kh = 0; kh < s.kernel_h; ++kh)
            for (uint32_t kw = 0; kw < s.kernel_w; ++kw) {
              int64_t ih = int64_t(oh) * s.stride_h + int64_t(kh) * s.dilation_h - s.pad_top;
              int64_t iw = int64_t(ow) * s.stride_w + int64_t(kw) * s.dilation_w - s.pad_left;
              if (ih < 0 || iw < 0 || ih >= s.in_h || iw >= s.in_w) continue;
              uint32_t ch = (oc / og) * cg + ic;
              acc += w[((size_t(oc) * cg + ic) * s.kernel_h + kh) * s.kernel_w + kw] *
                     x[(size_t(ch) * s.in_h + ih) * s.in_w + iw];
            }
        y[(size_t(oc) * OH + oh) * OW + ow] = acc;
      }
  return y;
}

std::vector<Fp> to_field(const std::vector<int64_t>& v) {
  std::vector<Fp> out;
  for (auto x : v) out.push_back(Fp::from_i64(x));
  return out;
}

struct Case {
  c::ConvShape s;
  std::vector<Fp> x, w, bias, y;
  c::EvalClaim y_claim;

  Case(const c::ConvShape& shape, uint64_t seed) : s(shape) {
    std::mt19937_64 rng(seed);
    auto rnd = [&](size_t n, int range) {
      std::vector<int64_t> v(n);
      for (auto& e : v) e = int64_t(rng() % (2 * range + 1)) - range;
      return v;
    };
    auto xd = rnd(size_t(s.in_channels) * s.in_h * s.in_w, 127);
    auto wd = rnd(size_t(s.out_channels) * (s.in_channels / s.groups) * s.kernel_h * s.kernel_w, 127);
    auto bd = rnd(s.out_channels, 10000);
    x = c::pad_conv_input(to_field(xd), s);
    w = c::pad_conv_weights(to_field(wd), s);
    if (s.has_bias) bias = c::pad_conv_bias(to_field(bd), s);
    y = c::conv(s, x, w, bias);
    // The padded executor agrees with the dense reference on every real entry.
    auto ref = reference_conv(s, xd, wd, bd);
    unsigned owb = zks::poly::log2_ceil(s.out_w()), ohb = zks::poly::log2_ceil(s.out_h());
    for (uint32_t oc = 0; oc < s.out_channels; ++oc)
      for (uint32_t oh = 0; oh < s.out_h(); ++oh)
        for (uint32_t ow = 0; ow < s.out_w(); ++ow)
          REQUIRE(y[(size_t(oc) << (ohb + owb)) | (size_t(oh) << owb) | ow] ==
                  Fp::from_i64(ref[(size_t(oc) * s.out_h() + oh) * s.out_w() + ow]));
    for (unsigned i = 0; i < s.y_vars(); ++i) y_claim.point.push_back(rand2(rng));
    y_claim.value = zks::poly::evaluate(y, y_claim.point);
  }

  zks::Status check(const c::EvalClaim& claim, const c::ConvProof& proof,
                    const c::ConvShape* shape = nullptr) const {
    Transcript t("conv-test");
    auto claims = c::verify_conv(shape ? *shape : s, claim, proof, t);
    if (!claims.ok()) return zks::make_error(claims.error());
    if (claims->x.value != zks::poly::evaluate(x, claims->x.point)) return zks::make_error("X claim false");
    if (claims->w.value != zks::poly::evaluate(w, claims->w.point)) return zks::make_error("W claim false");
    if (s.has_bias && claims->bias->value != zks::poly::evaluate(bias, claims->bias->point))
      return zks::make_error("bias claim false");
    return {};
  }

  c::ConvProverOutput prove(const c::EvalClaim& claim) const {
    Transcript t("conv-test");
    return c::prove_conv(s, x, w, bias, claim, t);
  }
};

c::ConvShape shape(uint32_t cin, uint32_t h, uint32_t w, uint32_t cout, uint32_t k, uint32_t stride,
                   uint32_t pad, uint32_t dil, uint32_t groups, bool bias) {
  c::ConvShape s;
  s.in_channels = cin, s.in_h = h, s.in_w = w, s.out_channels = cout;
  s.kernel_h = s.kernel_w = k;
  s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = pad;
  s.dilation_h = s.dilation_w = dil;
  s.groups = groups;
  s.has_bias = bias;
  return s;
}
}  // namespace

TEST_CASE("conv gadget is complete over strides, padding, dilation and groups", "[circuits]") {
  std::vector<c::ConvShape> shapes = {
      shape(1, 1, 1, 1, 1, 1, 0, 1, 1, false),   // a single multiply
      shape(1, 5, 5, 1, 3, 1, 0, 1, 1, true),    // valid 3x3
      shape(3, 7, 6, 4, 3, 1, 1, 1, 1, true),    // same padding, odd sizes
      shape(2, 9, 9, 3, 3, 2, 1, 1, 1, true),    // stride 2
      shape(2, 8, 8, 2, 3, 1, 2, 2, 1, false),   // dilation 2
      shape(4, 6, 6, 6, 3, 1, 1, 1, 2, true),    // two groups
      shape(5, 6, 5, 5, 3, 2, 1, 1, 5, true),    // depthwise, stride 2
      shape(3, 10, 10, 8, 5, 3, 2, 1, 1, true),  // 5x5 stride 3
      shape(8, 4, 4, 16, 1, 1, 0, 1, 1, true),   // 1x1 (pointwise)
  };
  c::ConvShape asym = shape(2, 7, 9, 3, 3, 1, 0, 1, 1, true);
  asym.kernel_w = 2, asym.stride_w = 2, asym.pad_right = 1, asym.pad_top = 2;
  shapes.push_back(asym);
  for (size_t i = 0; i < shapes.size(); ++i) {
    CAPTURE(i);
    REQUIRE(shapes[i].check().ok());
    Case cs(shapes[i], 100 + i);
    auto out = cs.prove(cs.y_claim);
    REQUIRE(cs.check(cs.y_claim, out.proof).ok());
  }
}

TEST_CASE("conv gadget rejects false claims and tampered proofs", "[circuits]") {
  Case cs(shape(3, 7, 7, 4, 3, 2, 1, 1, 1, true), 7);
  auto out = cs.prove(cs.y_claim);
  REQUIRE(cs.check(cs.y_claim, out.proof).ok());
  const Fp2 one = Fp2::one();
  auto wrong = cs.y_claim;
  wrong.value += one;
  REQUIRE_FALSE(cs.check(wrong, out.proof).ok());
  REQUIRE_FALSE(cs.check(wrong, cs.prove(wrong).proof).ok());
  for (Fp2 c::ConvProof::*f : {&c::ConvProof::bias_eval, &c::ConvProof::w_eval, &c::ConvProof::xg_eval,
                               &c::ConvProof::x_eval}) {
    auto p = out.proof;
    p.*f += one;
    REQUIRE_FALSE(cs.check(cs.y_claim, p).ok());
  }
  for (size_t r = 0; r < out.proof.weights_sumcheck.rounds.size(); ++r) {
    auto p = out.proof;
    p.weights_sumcheck.rounds[r][0] += one;
    REQUIRE_FALSE(cs.check(cs.y_claim, p).ok());
  }
  for (size_t r = 0; r < out.proof.input_sumcheck.rounds.size(); ++r) {
    auto p = out.proof;
    p.input_sumcheck.rounds[r].back() += one;
    REQUIRE_FALSE(cs.check(cs.y_claim, p).ok());
  }
  SECTION("a statement with other stride, padding or groups is rejected") {
    for (int which = 0; which < 3; ++which) {
      auto s2 = cs.s;
      if (which == 0) s2.pad_bottom = 0;     // same output size
      if (which == 1) s2.dilation_w = 2, s2.pad_right = 3;
      if (which == 2) s2.pad_top = 0, s2.pad_bottom = 2;
      CAPTURE(which);
      REQUIRE(s2.check().ok());
      REQUIRE(s2.y_vars() == cs.s.y_vars());
      REQUIRE_FALSE(cs.check(cs.y_claim, out.proof, &s2).ok());
    }
  }
  SECTION("an input off by one entry is caught at its opening") {
    auto x2 = cs.x;
    x2[5] += Fp::one();
    Transcript t("conv-test");
    auto p2 = c::prove_conv(cs.s, x2, cs.w, cs.bias, cs.y_claim, t);
    REQUIRE_FALSE(cs.check(cs.y_claim, p2.proof).ok());
  }
}

TEST_CASE("conv shapes are validated and proofs serialize", "[circuits]") {
  REQUIRE_FALSE(shape(3, 5, 5, 4, 3, 1, 0, 1, 2, false).check().ok());  // 3 % 2
  REQUIRE_FALSE(shape(1, 2, 2, 1, 5, 1, 0, 1, 1, false).check().ok());  // kernel too big
  REQUIRE_FALSE(shape(1, 5, 5, 1, 3, 0, 0, 1, 1, false).check().ok());  // stride 0
  Case cs(shape(2, 6, 6, 3, 3, 1, 1, 1, 1, true), 9);
  auto out = cs.prove(cs.y_claim);
  zks::util::ByteWriter w;
  out.proof.write(w, cs.s);
  auto bytes = w.take();
  zks::util::ByteReader r(bytes);
  auto back = c::ConvProof::read(r, cs.s);
  REQUIRE(back.ok());
  REQUIRE(r.at_end());
  REQUIRE(cs.check(cs.y_claim, *back).ok());
  zks::util::ByteReader tr(std::span<const uint8_t>(bytes.data(), bytes.size() - 1));
  REQUIRE_FALSE(c::ConvProof::read(tr, cs.s).ok());
}

TEST_CASE("conv() is the field's sum for any values: exact integer sums when they fit, field arithmetic otherwise",
          "[circuits]") {
  std::mt19937_64 rng(77);
  const auto s = shape(3, 5, 6, 4, 3, 1, 1, 1, 1, true);
  const uint32_t OH = s.out_h(), OW = s.out_w(), taps = s.in_channels * s.kernel_h * s.kernel_w;
  // magnitude bits of x, w and the bias: small (int64 sums), larger (__int128 sums), products near the
  // __int128 bound on either side, and whole-field values (field path).
  for (unsigned bits : {8u, 24u, 40u, 60u, 62u, 64u}) {
    CAPTURE(bits);
    auto rnd = [&](size_t n) {
      std::vector<Fp> v(n);
      for (auto& e : v) {
        if (bits == 64) e = Fp(rng());
        else e = Fp::from_i64(int64_t(rng() % (uint64_t(1) << (bits - 1))) * ((rng() & 1) ? 1 : -1));
      }
      return v;
    };
    auto xd = rnd(size_t(s.in_channels) * s.in_h * s.in_w), wd = rnd(size_t(s.out_channels) * taps), bd = rnd(s.out_channels);
    auto x = c::pad_conv_input(xd, s), w = c::pad_conv_weights(wd, s), bias = c::pad_conv_bias(bd, s);
    auto y = c::conv(s, x, w, bias);
    unsigned owb = zks::poly::log2_ceil(OW), ohb = zks::poly::log2_ceil(OH);
    for (uint32_t oc = 0; oc < s.out_channels; ++oc)
      for (uint32_t oh = 0; oh < OH; ++oh)
        for (uint32_t ow = 0; ow < OW; ++ow) {
          Fp acc = bd[oc];
          for (uint32_t ic = 0; ic < s.in_channels; ++ic)
            for (uint32_t kh = 0; kh < s.kernel_h; ++kh)
              for (uint32_t kw = 0; kw < s.kernel_w; ++kw) {
                int64_t ih = int64_t(oh) + kh - s.pad_top, iw = int64_t(ow) + kw - s.pad_left;
                if (ih < 0 || iw < 0 || ih >= s.in_h || iw >= s.in_w) continue;
                acc += wd[((size_t(oc) * s.in_channels + ic) * s.kernel_h + kh) * s.kernel_w + kw] *
                       xd[(size_t(ic) * s.in_h + ih) * s.in_w + iw];
              }
          REQUIRE(y[(size_t(oc) << (ohb + owb)) | (size_t(oh) << owb) | ow] == acc);
        }
  }
}
