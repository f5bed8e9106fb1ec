// Layout ops as gathers (Flatten, Transpose, Slice, Pad): completeness and tamper tests.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/gadgets/gather.hpp"
#include "poly/mle.hpp"
#include "unit/support.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::test::rand2;
using zks::transcript::Transcript;
namespace c = zks::circuits;
using zks::poly::PaddedShape;

namespace {

struct Case {
  c::GatherShape s;
  std::vector<Fp> x, y;
  c::EvalClaim claim;

  Case(c::GatherShape shape, uint64_t seed) : s(std::move(shape)) {
    std::mt19937_64 rng(seed);
    std::vector<Fp> dense(s.in.real_count());
    for (auto& v : dense) v = Fp::from_i64(int64_t(rng() % 65536) - 32768);
    x = zks::poly::pad_tensor<Fp>(dense, s.in);
    y = c::apply_gather(s, x);
    for (unsigned i = 0; i < s.out.num_vars(); ++i) claim.point.push_back(rand2(rng));
    claim.value = zks::poly::evaluate(y, claim.point);
  }

  zks::Status check(const c::GatherProof& p, const c::GatherShape* other = nullptr) const {
    Transcript t("gather-test");
    auto r = c::verify_gather(other ? *other : s, claim, p, t);
    if (!r.ok()) return zks::make_error(r.error());
    if (zks::poly::evaluate(x, r->point) != r->value) return zks::make_error("x claim false");
    return {};
  }
  c::GatherProof prove() const {
    Transcript t("gather-test");
    return c::prove_gather(s, x, claim, t).proof;
  }
};

c::GatherShape flatten(uint32_t C, uint32_t H, uint32_t W) {
  c::GatherShape s{PaddedShape({1, C, H, W}), PaddedShape({1, C * H * W}), {}, 0};
  for (int64_t i = 0; i < int64_t(C * H * W); ++i) s.gather.push_back(i);
  return s;
}

c::GatherShape transpose(uint32_t A, uint32_t B) {
  c::GatherShape s{PaddedShape({A, B}), PaddedShape({B, A}), {}, 0};
  for (uint32_t i = 0; i < B; ++i)
    for (uint32_t j = 0; j < A; ++j) s.gather.push_back(int64_t(j) * B + i);
  return s;
}

c::GatherShape pad(uint32_t n, uint32_t before, uint32_t after, int64_t fill) {
  c::GatherShape s{PaddedShape({n}), PaddedShape({n + before + after}), {}, fill};
  for (uint32_t i = 0; i < n + before + after; ++i)
    s.gather.push_back(i < before || i >= before + n ? -1 : int64_t(i - before));
  return s;
}

}  // namespace

TEST_CASE("gathers prove flatten, transpose, slice and pad", "[circuits]") {
  std::vector<c::GatherShape> shapes = {flatten(4, 5, 5), flatten(3, 4, 4), transpose(3, 7), pad(10, 2, 3, -7)};
  c::GatherShape slice{PaddedShape({6, 6}), PaddedShape({3, 2}), {}, 0};  // rows 1..3, columns 2..3
  for (int64_t i = 1; i < 4; ++i)
    for (int64_t j = 2; j < 4; ++j) slice.gather.push_back(i * 6 + j);
  shapes.push_back(slice);
  for (size_t k = 0; k < shapes.size(); ++k) {
    CAPTURE(k);
    Case cs(shapes[k], k + 1);
    REQUIRE(cs.check(cs.prove()).ok());
  }
}

TEST_CASE("gathers reject false claims, other maps and tampered proofs", "[circuits]") {
  Case cs(transpose(5, 6), 11);
  auto p = cs.prove();
  REQUIRE(cs.check(p).ok());
  auto wrong = cs;
  wrong.claim.value += Fp2::one();
  REQUIRE_FALSE(wrong.check(p).ok());
  REQUIRE_FALSE(wrong.check(wrong.prove()).ok());
  auto other = cs.s;
  std::swap(other.gather[0], other.gather[1]);
  REQUIRE_FALSE(cs.check(p, &other).ok());
  auto t1 = p;
  t1.x_eval += Fp2::one();
  REQUIRE_FALSE(cs.check(t1).ok());
  auto t2 = p;
  t2.sumcheck.rounds[0][0] += Fp2::one();
  REQUIRE_FALSE(cs.check(t2).ok());
  Case padded(pad(8, 1, 1, 5), 12);
  auto pp = padded.prove();
  auto other_fill = padded.s;
  other_fill.fill = 6;
  REQUIRE_FALSE(padded.check(pp, &other_fill).ok());
  c::GatherShape bad = cs.s;
  bad.gather.back() = 1000;
  REQUIRE_FALSE(bad.check().ok());
  zks::util::ByteWriter w;
  p.write(w);
  zks::util::ByteReader r(w.bytes());
  auto back = c::GatherProof::read(r, cs.s);
  REQUIRE(back.ok());
  REQUIRE(cs.check(*back).ok());
}

namespace {

// A 2-D pad of a C x H x W tensor (top/left/bottom/right) with fill, and a pooling tap:
// out (c, oh, ow) reads in (c, oh * s + kh - pt, ow * s + kw - pl), -1 outside.
c::GatherShape pad2d(uint32_t C, uint32_t H, uint32_t W, uint32_t t, uint32_t l, uint32_t b, uint32_t r) {
  const uint32_t OH = H + t + b, OW = W + l + r;
  c::GatherShape s{PaddedShape({C, H, W}), PaddedShape({C, OH, OW}), {}, 3};
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t i = 0; i < OH; ++i)
      for (uint32_t j = 0; j < OW; ++j)
        s.gather.push_back(i < t || i >= t + H || j < l || j >= l + W ? -1 : (int64_t(c) * H + (i - t)) * W + (j - l));
  return s;
}
c::GatherShape tap(uint32_t C, uint32_t H, uint32_t W, uint32_t stride, uint32_t kh, uint32_t kw, uint32_t pad) {
  const uint32_t OH = (H + 2 * pad - 3) / stride + 1, OW = (W + 2 * pad - 3) / stride + 1;
  c::GatherShape s{PaddedShape({1, C, H, W}), PaddedShape({1, C, OH, OW}), {}, 0};
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t i = 0; i < OH; ++i)
      for (uint32_t j = 0; j < OW; ++j) {
        int64_t ih = int64_t(i * stride + kh) - pad, iw = int64_t(j * stride + kw) - pad;
        s.gather.push_back(ih < 0 || ih >= H || iw < 0 || iw >= W ? -1 : (int64_t(c) * H + ih) * W + iw);
      }
  return s;
}

// P~(r, rho) and the fill weight over every entry, as the verifier computed them before
// it went axis by axis.
std::pair<Fp2, Fp2> flat_predicate(const c::GatherShape& s, std::span<const Fp2> r, std::span<const Fp2> rho) {
  auto eq_r = zks::poly::eq_table(r), eq_rho = zks::poly::eq_table(rho);
  Fp2 p = Fp2::zero(), fill = Fp2::zero();
  for (size_t i = 0; i < s.gather.size(); ++i) {
    if (s.gather[i] < 0) fill += eq_r[s.out.padded_index(i)];
    else p += eq_r[s.out.padded_index(i)] * eq_rho[s.in.padded_index(uint64_t(s.gather[i]))];
  }
  return {p, fill};
}

}  // namespace

TEST_CASE("the verifier evaluates a gather's predicate axis by axis where the map is a product of axis maps", "[circuits]") {
  c::GatherShape slice{PaddedShape({6, 6}), PaddedShape({3, 2}), {}, 0};  // rows 1..3, columns 2..3
  for (int64_t i = 1; i < 4; ++i)
    for (int64_t j = 2; j < 4; ++j) slice.gather.push_back(i * 6 + j);
  c::GatherShape strided{PaddedShape({5, 9}), PaddedShape({5, 3}), {}, 0};  // every third column, reversed
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 3; ++j) strided.gather.push_back(i * 9 + (8 - 3 * j));
  struct Named {
    const char* name;
    c::GatherShape s;
    bool separable;
  };
  std::vector<Named> shapes = {{"pad", pad(10, 2, 3, -7), true},
                               {"pad2d", pad2d(3, 5, 6, 1, 2, 2, 0), true},
                               {"slice", slice, true},
                               {"strided", strided, true},
                               {"tap, stride 2, padding 1", tap(4, 7, 9, 2, 0, 2, 1), true},
                               {"tap, stride 1", tap(2, 6, 6, 1, 1, 1, 0), true},
                               {"transpose", transpose(3, 7), false},
                               {"flatten", flatten(4, 5, 5), false},
                               {"scalar (rank 0)", c::GatherShape{PaddedShape(std::vector<uint32_t>{}), PaddedShape(std::vector<uint32_t>{}), {0}, 0}, false}};
  // Not products: the pad with one inner entry moved, and with one inner entry filled.
  auto moved = pad2d(2, 4, 4, 1, 1, 1, 1);
  std::swap(moved.gather[14], moved.gather[15]);
  shapes.push_back({"pad2d, two entries swapped", moved, false});
  auto holed = pad2d(2, 4, 4, 1, 1, 1, 1);
  holed.gather[14] = -1;
  shapes.push_back({"pad2d, an inner entry filled", holed, false});
  std::mt19937_64 rng(31);
  for (const auto& [name, s, separable] : shapes) {
    CAPTURE(name);
    REQUIRE(s.check().ok());
    auto maps = c::separable_axes(s);
    REQUIRE(maps.has_value() == separable);
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<Fp2> r, rho;
      for (unsigned i = 0; i < s.out.num_vars(); ++i) r.push_back(rand2(rng));
      for (unsigned i = 0; i < s.in.num_vars(); ++i) rho.push_back(rand2(rng));
      auto [p, fill] = flat_predicate(s, r, rho);
      REQUIRE(c::gather_predicate(s, maps, r, rho) == p);
      REQUIRE(c::gather_fill_weight(s, maps, r) == fill);
    }
    Case cs(s, 40);
    auto proof = cs.prove();
    REQUIRE(cs.check(proof).ok());
    auto wrong = cs;
    wrong.claim.value += Fp2::one();
    REQUIRE_FALSE(wrong.check(proof).ok());
    if (s.fill != 0) {
      auto other_fill = s;
      other_fill.fill += 1;
      REQUIRE_FALSE(cs.check(proof, &other_fill).ok());
    }
  }
}

namespace {

// A sum over the axes `reduce` of an A x B x C tensor (a ReduceSum with keepdims).
c::GatherShape reduce(uint32_t A, uint32_t B, uint32_t C, std::vector<bool> reduce) {
  uint32_t dims[3] = {A, B, C}, kept[3];
  for (int a = 0; a < 3; ++a) kept[a] = reduce[a] ? 1 : dims[a];
  c::GatherShape s{PaddedShape({A, B, C}), PaddedShape({kept[0], kept[1], kept[2]}), {}, 0};
  for (uint32_t i = 0; i < A; ++i)
    for (uint32_t j = 0; j < B; ++j)
      for (uint32_t k = 0; k < C; ++k) {
        uint32_t o[3] = {reduce[0] ? 0 : i, reduce[1] ? 0 : j, reduce[2] ? 0 : k};
        s.sum_into.push_back((int64_t(o[0]) * kept[1] + o[1]) * kept[2] + o[2]);
      }
  return s;
}

}  // namespace

TEST_CASE("sums over axes prove ReduceSum over the last, the first and all axes", "[circuits]") {
  std::vector<c::GatherShape> shapes = {reduce(3, 5, 6, {false, false, true}), reduce(3, 5, 6, {true, false, false}),
                                        reduce(2, 3, 5, {true, true, true}), reduce(1, 7, 3, {false, true, false})};
  for (size_t k = 0; k < shapes.size(); ++k) {
    CAPTURE(k);
    Case cs(shapes[k], 20 + k);
    // The sum is the executor's: every real entry counted once.
    std::vector<Fp> dense(cs.s.in.real_count());
    for (uint64_t j = 0; j < dense.size(); ++j) dense[j] = cs.x[cs.s.in.padded_index(j)];
    std::vector<Fp> want(cs.s.out.real_count(), Fp::zero());
    for (uint64_t j = 0; j < dense.size(); ++j) want[size_t(cs.s.sum_into[j])] += dense[j];
    for (uint64_t i = 0; i < want.size(); ++i) REQUIRE(cs.y[cs.s.out.padded_index(i)] == want[i]);
    REQUIRE(cs.check(cs.prove()).ok());
  }
}

TEST_CASE("sums reject false claims, other maps, padded entries and tampered proofs", "[circuits]") {
  Case cs(reduce(3, 5, 6, {false, false, true}), 31);
  auto p = cs.prove();
  REQUIRE(cs.check(p).ok());
  auto wrong = cs;
  wrong.claim.value += Fp2::one();
  REQUIRE_FALSE(wrong.check(p).ok());
  REQUIRE_FALSE(wrong.check(wrong.prove()).ok());
  auto other = cs.s;
  other.sum_into[0] = 1;  // entry 0 summed into another row
  REQUIRE_FALSE(cs.check(p, &other).ok());
  // A value hidden in a padded slot of x (6 -> 8 along the last axis) must not enter the sum.
  auto hidden = cs;
  hidden.x[6] = Fp::from_i64(5);
  hidden.y = cs.y;
  hidden.y[0] += Fp::from_i64(5);
  hidden.claim.value = zks::poly::evaluate(hidden.y, hidden.claim.point);
  REQUIRE_FALSE(hidden.check(hidden.prove()).ok());
  auto t1 = p;
  t1.x_eval += Fp2::one();
  REQUIRE_FALSE(cs.check(t1).ok());
  c::GatherShape bad = cs.s;
  bad.sum_into.back() = 1000;
  REQUIRE_FALSE(bad.check().ok());
  bad = cs.s;
  bad.gather.push_back(0);
  REQUIRE_FALSE(bad.check().ok());
}

TEST_CASE("batched gathers of one tensor: one sumcheck, each claim bound", "[circuits]") {
  // Three taps of pooling windows over x (1, 3, 7, 6), one with a nonzero fill, each
  // claimed at its own point.
  std::vector<c::GatherShape> shapes = {tap(3, 7, 6, 2, 0, 0, 1), tap(3, 7, 6, 2, 1, 2, 1), tap(3, 7, 6, 1, 2, 1, 0)};
  shapes[1].fill = -5;
  std::mt19937_64 rng(17);
  std::vector<Fp> dense(shapes[0].in.real_count());
  for (auto& v : dense) v = Fp::from_i64(int64_t(rng() % 65536) - 32768);
  const auto x = zks::poly::pad_tensor<Fp>(dense, shapes[0].in);
  std::vector<c::EvalClaim> claims;
  std::vector<const c::GatherShape*> ptrs;
  for (const auto& s : shapes) {
    c::EvalClaim cl;
    for (unsigned i = 0; i < s.out.num_vars(); ++i) cl.point.push_back(rand2(rng));
    cl.value = zks::poly::evaluate(c::apply_gather(s, x), cl.point);
    claims.push_back(cl);
    ptrs.push_back(&s);
  }
  auto prove = [&](const std::vector<c::EvalClaim>& cl) {
    Transcript t("gathers-test");
    return c::prove_gathers(ptrs, x, cl, t);
  };
  auto verify = [&](const std::vector<const c::GatherShape*>& sh, const std::vector<c::EvalClaim>& cl,
                    const c::GatherProof& p) -> zks::Status {
    Transcript t("gathers-test");
    auto r = c::verify_gathers(sh, cl, p, t);
    if (!r.ok()) return zks::make_error(r.error());
    if (zks::poly::evaluate(x, r->point) != r->value) return zks::make_error("x claim false");
    return {};
  };
  auto out = prove(claims);
  REQUIRE(verify(ptrs, claims, out.proof).ok());
  SECTION("each claim's value changed is rejected") {
    for (size_t k = 0; k < claims.size(); ++k) {
      auto bad = claims;
      bad[k].value += Fp2::one();
      CAPTURE(k);
      REQUIRE_FALSE(verify(ptrs, bad, out.proof).ok());
      REQUIRE_FALSE(verify(ptrs, bad, prove(bad).proof).ok());  // nor can it be proved
    }
  }
  SECTION("claims swapped between gathers, a gather left out, a tampered proof") {
    auto swapped = claims;
    std::swap(swapped[0].value, swapped[1].value);
    REQUIRE_FALSE(verify(ptrs, swapped, out.proof).ok());
    std::vector<const c::GatherShape*> fewer(ptrs.begin(), ptrs.begin() + 2);
    std::vector<c::EvalClaim> fewer_claims(claims.begin(), claims.begin() + 2);
    REQUIRE_FALSE(verify(fewer, fewer_claims, out.proof).ok());
    auto p = out.proof;
    p.x_eval += Fp2::one();
    REQUIRE_FALSE(verify(ptrs, claims, p).ok());
    p = out.proof;
    p.sumcheck.rounds[0][1] += Fp2::one();
    REQUIRE_FALSE(verify(ptrs, claims, p).ok());
  }
  SECTION("gathers of different tensors are refused") {
    auto wrong = transpose(4, 5);  // reads a (4, 5) tensor
    std::vector<const c::GatherShape*> mixed = {ptrs[0], &wrong};
    std::vector<c::EvalClaim> mixed_claims = {claims[0], {std::vector<Fp2>(wrong.out.num_vars()), Fp2::zero()}};
    auto r = verify(mixed, mixed_claims, out.proof);
    REQUIRE_FALSE(r.ok());
    REQUIRE_THAT(r.error(), Catch::Contains("different layouts"));
  }
}
