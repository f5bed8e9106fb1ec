// Fiat-Shamir transcript: determinism, binding of every absorbed detail, canonical and
// uniform challenges, query indices and proof of work.
#include <catch2/catch.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "transcript/soundness.hpp"
#include "transcript/transcript.hpp"
#include "util/thread_pool.hpp"

using zks::field::Fp;
using zks::field::Fp2;
using zks::hash::Digest;
using zks::transcript::Transcript;

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

using Body = std::function<void(Transcript&)>;

// Runs `body` on a fresh transcript and squeezes three challenges.
std::vector<Fp2> run(const Body& body, std::string_view protocol = "zks-test",
                     std::string_view challenge_label = "c") {
  Transcript t(protocol);
  body(t);
  return t.challenges(challenge_label, 3);
}

const std::vector<Fp> kVec{Fp(1), Fp(2), Fp(3)};
const std::vector<Fp2> kVec2{Fp2(Fp(4), Fp(5)), Fp2(Fp(6), Fp(7))};
const Digest kDigest = zks::hash::hash(zks::hash::Domain::Generic, as_bytes("root"));

// The baseline message sequence; each variant below changes one thing.
void baseline(Transcript& t) {
  t.absorb_bytes("msg", as_bytes("hello"));
  t.absorb_u64("n", 42);
  t.absorb("x", Fp(7));
  t.absorb("y", Fp2(Fp(1), Fp(2)));
  t.absorb("v", std::span<const Fp>(kVec));
  t.absorb("w", std::span<const Fp2>(kVec2));
  t.absorb("d", kDigest);
}

unsigned leading_zero_bits(const Digest& d) {
  unsigned z = 0;
  for (uint8_t b : d) {
    if (b == 0) {
      z += 8;
      continue;
    }
    z += static_cast<unsigned>(std::countl_zero(b));
    break;
  }
  return z;
}

}  // namespace

TEST_CASE("transcript: same calls give the same challenges", "[transcript]") {
  CHECK(run(baseline) == run(baseline));
  Transcript a("p"), b("p");
  baseline(a);
  baseline(b);
  CHECK(a.state() == b.state());
  for (int i = 0; i < 5; ++i) {
    CHECK(a.challenge("r") == b.challenge("r"));
    CHECK(a.challenge_index("q", 1000) == b.challenge_index("q", 1000));
    CHECK(a.state() == b.state());
  }
  // A copy continues identically.
  Transcript c = a;
  CHECK(c.challenge("z") == a.challenge("z"));
}

TEST_CASE("transcript: every change to the messages changes the challenges", "[transcript]") {
  Digest other_digest = kDigest;
  other_digest[31] ^= 1;
  std::vector<Fp> vec_changed{Fp(1), Fp(2), Fp(4)};
  std::vector<Fp2> vec2_changed{Fp2(Fp(4), Fp(5)), Fp2(Fp(6), Fp(8))};
  std::vector<Fp> vec_first{Fp(1), Fp(2)}, vec_last{Fp(3)};

  std::vector<std::pair<std::string, std::vector<Fp2>>> variants;
  variants.reserve(32);  // also quiets a GCC 12 -Warray-bounds false positive on regrowth
  variants.emplace_back("baseline", run(baseline));
  variants.emplace_back("protocol tag", run(baseline, "zks-tesT"));
  variants.emplace_back("challenge label", run(baseline, "zks-test", "d"));
  variants.emplace_back("label", run([&](Transcript& t) {
    t.absorb_bytes("msh", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("later label", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("e", kDigest);
  }));
  variants.emplace_back("bytes", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hellp"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("u64", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 43);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(8));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp as Fp2", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp2(Fp(7)));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp2 c1", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(3)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp2 swapped coordinates", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(2), Fp(1)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp vector", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(vec_changed));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp vector split in two", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(vec_first));
    t.absorb("v", std::span<const Fp>(vec_last));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("Fp2 vector", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(vec2_changed));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("digest", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", other_digest);
  }));
  variants.emplace_back("order", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb("x", Fp(7));
    t.absorb_u64("n", 42);
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("skipped absorb", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("split absorb", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("he"));
    t.absorb_bytes("msg", as_bytes("llo"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    t.absorb("d", kDigest);
  }));
  variants.emplace_back("extra empty absorb", run([&](Transcript& t) {
    baseline(t);
    t.absorb_bytes("msg", {});
  }));
  variants.emplace_back("extra empty label and data", run([&](Transcript& t) {
    baseline(t);
    t.absorb_bytes("", {});
  }));
  variants.emplace_back("challenge squeezed before the last absorb", run([&](Transcript& t) {
    t.absorb_bytes("msg", as_bytes("hello"));
    t.absorb_u64("n", 42);
    t.absorb("x", Fp(7));
    t.absorb("y", Fp2(Fp(1), Fp(2)));
    t.absorb("v", std::span<const Fp>(kVec));
    t.absorb("w", std::span<const Fp2>(kVec2));
    (void)t.challenge("c");
    t.absorb("d", kDigest);
  }));

  for (size_t i = 0; i < variants.size(); ++i)
    for (size_t j = i + 1; j < variants.size(); ++j) {
      INFO(variants[i].first << " vs " << variants[j].first);
      for (size_t c = 0; c < 3; ++c) CHECK(variants[i].second[c] != variants[j].second[c]);
    }
}

TEST_CASE("transcript: labels and data are length-prefixed (no concatenation ambiguity)", "[transcript]") {
  auto ab_c = run([](Transcript& t) { t.absorb_bytes("ab", as_bytes("c")); });
  auto a_bc = run([](Transcript& t) { t.absorb_bytes("a", as_bytes("bc")); });
  auto abc_ = run([](Transcript& t) { t.absorb_bytes("abc", {}); });
  auto _abc = run([](Transcript& t) { t.absorb_bytes("", as_bytes("abc")); });
  CHECK(ab_c != a_bc);
  CHECK(ab_c != abc_);
  CHECK(ab_c != _abc);
  CHECK(a_bc != abc_);
  CHECK(a_bc != _abc);
  CHECK(abc_ != _abc);

  // Data split differently across two messages with the same label.
  auto x_ab_c = run([](Transcript& t) {
    t.absorb_bytes("x", as_bytes("ab"));
    t.absorb_bytes("x", as_bytes("c"));
  });
  auto x_a_bc = run([](Transcript& t) {
    t.absorb_bytes("x", as_bytes("a"));
    t.absorb_bytes("x", as_bytes("bc"));
  });
  auto x_abc = run([](Transcript& t) { t.absorb_bytes("x", as_bytes("abc")); });
  CHECK(x_ab_c != x_a_bc);
  CHECK(x_ab_c != x_abc);
  CHECK(x_a_bc != x_abc);

  // A protocol tag cannot be extended by the first message.
  auto tag_ab = run([](Transcript& t) { t.absorb_bytes("x", as_bytes("b")); }, "a");
  auto tag_a_b = run([](Transcript& t) { t.absorb_bytes("x", as_bytes("b")); }, "ab");
  CHECK(tag_ab != tag_a_b);
}

TEST_CASE("transcript: a change after a challenge leaves that challenge alone", "[transcript]") {
  Transcript a("p"), b("p");
  baseline(a);
  baseline(b);
  CHECK(a.challenge("c") == b.challenge("c"));
  a.absorb_u64("late", 1);
  b.absorb_u64("late", 2);
  CHECK(a.challenge("c") != b.challenge("c"));
}

TEST_CASE("transcript: challenges are canonical Fp2 values and never repeat", "[transcript]") {
  Transcript t("canonical");
  baseline(t);
  std::set<std::pair<uint64_t, uint64_t>> seen;
  size_t base_field = 0;
  const size_t kDraws = 4000;
  for (size_t i = 0; i < kDraws; ++i) {
    Fp2 c = t.challenge("r");  // the same label every time
    REQUIRE(c.c0().value() < Fp::P);
    REQUIRE(c.c1().value() < Fp::P);
    if (c.is_base()) ++base_field;
    seen.emplace(c.c0().value(), c.c1().value());
  }
  CHECK(seen.size() == kDraws);
  CHECK(base_field == 0);

  // Coordinates look uniform: each bit of c0 and c1 is set in roughly half of the draws.
  Transcript u("bits");
  std::array<size_t, 128> ones{};
  for (size_t i = 0; i < kDraws; ++i) {
    Fp2 c = u.challenge("r");
    for (int b = 0; b < 64; ++b) {
      ones[b] += (c.c0().value() >> b) & 1;
      ones[64 + b] += (c.c1().value() >> b) & 1;
    }
  }
  for (size_t b = 0; b < 128; ++b) {
    INFO("bit " << b);
    CHECK(ones[b] > kDraws * 4 / 10);
    CHECK(ones[b] < kDraws * 6 / 10);
  }
}

TEST_CASE("transcript: challenges(n) equals n calls of challenge", "[transcript]") {
  Transcript a("n"), b("n");
  baseline(a);
  baseline(b);
  auto many = a.challenges("r", 17);
  REQUIRE(many.size() == 17);
  for (const Fp2& c : many) CHECK(c == b.challenge("r"));
  CHECK(a.state() == b.state());
  CHECK(a.challenges("r", 0).empty());
}

TEST_CASE("transcript: challenge_index stays in range and reaches every value", "[transcript]") {
  Transcript t("index");
  baseline(t);
  for (uint64_t bound : {uint64_t(1), uint64_t(2), uint64_t(3), uint64_t(7), uint64_t(1000),
                         (uint64_t(1) << 32) + 1, uint64_t(1) << 63, (uint64_t(1) << 63) + 1,
                         ~uint64_t(0) - 1, ~uint64_t(0)}) {
    for (int i = 0; i < 200; ++i) {
      uint64_t q = t.challenge_index("q", bound);
      INFO("bound " << bound);
      REQUIRE(q < bound);
    }
  }
  for (uint64_t bound : {uint64_t(2), uint64_t(5), uint64_t(8), uint64_t(37), uint64_t(256)}) {
    std::vector<size_t> hits(bound, 0);
    size_t distinct = 0, draws = 0;
    while (distinct < bound && draws < 100 * bound) {
      uint64_t q = t.challenge_index("q", bound);
      REQUIRE(q < bound);
      if (hits[q]++ == 0) ++distinct;
      ++draws;
    }
    INFO("bound " << bound << " after " << draws << " draws");
    CHECK(distinct == bound);
  }
  // Roughly uniform over a small bound.
  std::array<size_t, 4> counts{};
  for (int i = 0; i < 4000; ++i) ++counts[t.challenge_index("u", 4)];
  for (size_t c : counts) {
    CHECK(c > 800);
    CHECK(c < 1200);
  }
}

TEST_CASE("transcript: state changes with every absorb and squeeze", "[transcript]") {
  Transcript t("state");
  std::set<Digest> seen;
  auto step = [&](const char* what) {
    Digest s = t.state();
    INFO(what);
    CHECK(t.state() == s);  // reading the state does not change it
    CHECK(seen.insert(s).second);
  };
  step("start");
  t.absorb_bytes("b", as_bytes("x"));
  step("bytes");
  t.absorb_bytes("b", {});
  step("empty bytes");
  t.absorb_u64("u", 0);
  step("u64");
  t.absorb("f", Fp(0));
  step("Fp");
  t.absorb("f2", Fp2());
  step("Fp2");
  t.absorb("vf", std::span<const Fp>(kVec));
  step("Fp vector");
  t.absorb("vf", std::span<const Fp>());
  step("empty Fp vector");
  t.absorb("vf2", std::span<const Fp2>(kVec2));
  step("Fp2 vector");
  t.absorb("d", kDigest);
  step("digest");
  (void)t.challenge("c");
  step("challenge");
  (void)t.challenge_index("q", 10);
  step("challenge_index");
  (void)t.grind("pow", 4);
  step("grind");
  (void)t.check_grind("pow", 0, 0);
  step("check_grind");
}

TEST_CASE("transcript: pow_ok counts leading zero bits of H(PoW || prefix || nonce)", "[transcript]") {
  Digest prefix = kDigest;
  for (uint64_t nonce = 0; nonce < 300; ++nonce) {
    Digest h = zks::hash::Hasher(zks::hash::Domain::ProofOfWork).update(prefix).update_u64(nonce).finalize();
    unsigned z = leading_zero_bits(h);
    for (unsigned bits = 0; bits <= 24; ++bits) {
      INFO("nonce " << nonce << " bits " << bits);
      REQUIRE(zks::transcript::pow_ok(prefix, nonce, bits) == (z >= bits));
    }
  }
}

TEST_CASE("transcript: grind finds the smallest valid nonce and check_grind accepts it", "[transcript]") {
  for (unsigned bits = 0; bits <= 12; ++bits) {
    INFO("bits " << bits);
    Transcript prover("pow"), verifier("pow");
    baseline(prover);
    baseline(verifier);
    Digest prefix = prover.state();
    uint64_t nonce = prover.grind("nonce", bits);
    if (bits == 0) CHECK(nonce == 0);
    REQUIRE(zks::transcript::pow_ok(prefix, nonce, bits));
    for (uint64_t n = 0; n < nonce; ++n) REQUIRE_FALSE(zks::transcript::pow_ok(prefix, n, bits));

    REQUIRE(verifier.check_grind("nonce", bits, nonce));
    CHECK(prover.state() == verifier.state());
    CHECK(prover.challenge("after") == verifier.challenge("after"));
  }
}

TEST_CASE("transcript: check_grind rejects a wrong nonce", "[transcript]") {
  for (unsigned bits = 8; bits <= 16; ++bits) {
    INFO("bits " << bits);
    Transcript prover("pow-reject");
    baseline(prover);
    Digest prefix = prover.state();
    Transcript verifier = prover;
    uint64_t nonce = prover.grind("nonce", bits);

    // nonce + 1 fails with probability 1 - 2^-bits; search a little further if not.
    uint64_t wrong = nonce + 1;
    while (wrong < nonce + 1000 && zks::transcript::pow_ok(prefix, wrong, bits)) ++wrong;
    REQUIRE(wrong < nonce + 1000);
    Transcript honest = verifier;
    CHECK_FALSE(verifier.check_grind("nonce", bits, wrong));
    // The rejected nonce was still absorbed, so the transcripts part ways.
    CHECK(honest.check_grind("nonce", bits, nonce));
    CHECK(verifier.state() != honest.state());
  }
}

TEST_CASE("transcript: grind result does not depend on the thread count", "[transcript]") {
  // 16 bits puts the answer past the first 2^14-nonce block in most cases, so the
  // interleaved per-thread blocks really are exercised.
  const unsigned kBits = 16;
  for (const char* tag : {"threads-a", "threads-b", "threads-c"}) {
    INFO(tag);
    Transcript base(tag);
    baseline(base);
    Digest prefix = base.state();
    uint64_t expected = 0;
    while (!zks::transcript::pow_ok(prefix, expected, kBits)) ++expected;

    std::vector<uint64_t> found;
    std::vector<Digest> states;
    for (size_t threads : {1u, 2u, 3u}) {
      zks::util::ThreadPool::set_global_threads(threads);
      Transcript t = base;
      found.push_back(t.grind("nonce", kBits));
      states.push_back(t.state());
    }
    zks::util::ThreadPool::set_global_threads(0);
    for (size_t i = 0; i < found.size(); ++i) {
      CHECK(found[i] == expected);
      CHECK(states[i] == states[0]);
    }
  }
}

TEST_CASE("soundness ledger: charges, totals and the challenge count", "[transcript][soundness]") {
  using zks::transcript::SoundnessLedger;
  using Check = SoundnessLedger::Check;
  const double inv_f = zks::transcript::inverse_field_size();
  CHECK(std::abs(std::log2(inv_f) + 128.0) < 1e-6);  // |F_{p^2}| is about 2^128

  // Without a ledger (the prover's side) a charge does nothing.
  Transcript prover("soundness");
  zks::transcript::charge_sumcheck(prover, 20, 3);
  CHECK(prover.ledger() == nullptr);

  Transcript t("soundness");
  SoundnessLedger ledger;
  t.set_ledger(&ledger);
  CHECK(std::isinf(ledger.bits()));  // no random check, nothing can be missed
  t.challenges("rounds", 20);
  zks::transcript::charge_sumcheck(t, 20, 3);
  t.challenges("point", 7);
  zks::transcript::charge_point(t, 7);
  t.challenge("powers");
  zks::transcript::charge_powers(t, 5);
  t.challenge_index("query", 1000);  // a query index is not a field challenge
  CHECK(t.field_challenges() == 28);
  CHECK(ledger.challenges() == 28);
  CHECK(ledger.error(Check::Sumcheck) == 60 * inv_f);
  CHECK(ledger.error(Check::Point) == 7 * inv_f);
  CHECK(ledger.error(Check::Batching) == 4 * inv_f);
  CHECK(ledger.error(Check::Lookup) == 0);
  CHECK(std::abs(ledger.bits() - (128.0 - std::log2(71.0))) < 1e-6);
  CHECK(ledger.describe().find("sumcheck 2^") != std::string::npos);
  CHECK(ledger.describe().find("lookup") == std::string::npos);

  // A bundle's slices add up.
  SoundnessLedger two = ledger;
  two.merge(ledger);
  CHECK(std::abs(two.bits() - (ledger.bits() - 1.0)) < 1e-9);
  CHECK(two.challenges() == 56);
}
