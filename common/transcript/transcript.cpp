#include "transcript/transcript.hpp"

#include <atomic>
#include <cstring>
#include <iterator>
#include <limits>

#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::transcript {

namespace {
// Whether a proof-of-work digest starts with `bits` zero bits (its first bytes lead).
bool leading_zeros_ok(const hash::Digest& h, unsigned bits) {
  if (bits == 0) return true;
  uint64_t lead = 0;
  for (int b = 0; b < 8; ++b) lead = (lead << 8) | h[b];
  return bits >= 64 ? lead == 0 : (lead >> (64 - bits)) == 0;  // a shift below 64
}

// Message kinds, absorbed before each frame so a label can never be read as data.
constexpr uint8_t kAbsorb = 0xA0;
constexpr uint8_t kSqueeze = 0xA1;
}  // namespace

Transcript::Transcript(std::string_view protocol) : m_state(hash::Domain::Transcript) {
  absorb_bytes("protocol",
               std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(protocol.data()),
                                        protocol.size()));
}

void Transcript::frame(std::string_view label, uint64_t len) {
  uint8_t kind = kAbsorb;
  m_state.update({&kind, 1});
  m_state.update_u64(label.size());
  m_state.update({reinterpret_cast<const uint8_t*>(label.data()), label.size()});
  m_state.update_u64(len);
}

void Transcript::absorb_bytes(std::string_view label, std::span<const uint8_t> data) {
  frame(label, data.size());
  m_state.update(data);
}

void Transcript::absorb_u64(std::string_view label, uint64_t v) {
  frame(label, 8);
  m_state.update_u64(v);
}

void Transcript::absorb(std::string_view label, Fp x) { absorb_u64(label, x.value()); }

void Transcript::absorb(std::string_view label, const Fp2& x) {
  frame(label, 16);
  m_state.update_u64(x.c0().value());
  m_state.update_u64(x.c1().value());
}

namespace {
// h.update_u64(word(i)) for i < n, a block of words at a time.
template <typename Word>
void update_words(hash::Hasher& h, size_t n, Word&& word) {
  uint64_t buf[512];
  for (size_t i = 0; i < n;) {
    size_t k = 0;
    for (; k < std::size(buf) && i < n; ++k, ++i) buf[k] = word(i);
    h.update_u64s(std::span<const uint64_t>(buf, k));
  }
}
}  // namespace

void Transcript::absorb(std::string_view label, std::span<const Fp> xs) {
  frame(label, 8 * xs.size());
  update_words(m_state, xs.size(), [&](size_t i) { return xs[i].value(); });
}

void Transcript::absorb(std::string_view label, std::span<const Fp2> xs) {
  frame(label, 16 * xs.size());
  update_words(m_state, 2 * xs.size(), [&](size_t i) { return (i & 1 ? xs[i / 2].c1() : xs[i / 2].c0()).value(); });
}

void Transcript::absorb(std::string_view label, const hash::Digest& d) { absorb_bytes(label, d); }

hash::Digest Transcript::squeeze(std::string_view label) {
  hash::Digest out = hash::Hasher(hash::Domain::Challenge)
                         .update(m_state.finalize())
                         .update_u64(label.size())
                         .update({reinterpret_cast<const uint8_t*>(label.data()), label.size()})
                         .update_u64(m_squeezes++)
                         .finalize();
  // Feed the output back: the next squeeze, even with the same label, differs.
  uint8_t kind = kSqueeze;
  m_state.update({&kind, 1});
  m_state.update(out);
  return out;
}

namespace {
uint64_t word(const hash::Digest& d, size_t i) {
  uint64_t w = 0;
  for (int b = 0; b < 8; ++b) w |= uint64_t(d[8 * i + b]) << (8 * b);
  return w;
}
}  // namespace

Fp2 Transcript::challenge(std::string_view label) {
  // Each 64-bit word is accepted when below p (rejection probability about 2^-32),
  // so both coordinates are exactly uniform.
  ++m_field_challenges;
  uint64_t c[2];
  int have = 0;
  while (have < 2) {
    hash::Digest d = squeeze(label);
    for (size_t i = 0; i < 4 && have < 2; ++i) {
      uint64_t w = word(d, i);
      if (w < Fp::P) c[have++] = w;
    }
  }
  return Fp2(Fp::from_canonical(c[0]), Fp::from_canonical(c[1]));
}

std::vector<Fp2> Transcript::challenges(std::string_view label, size_t n) {
  std::vector<Fp2> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(challenge(label));
  return out;
}

uint64_t Transcript::challenge_index(std::string_view label, uint64_t bound) {
  ZK_ASSERT(bound >= 1);
  // Accept w < limit, the largest multiple of bound that fits, so w % bound is uniform.
  uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
  for (;;) {
    hash::Digest d = squeeze(label);
    for (size_t i = 0; i < 4; ++i) {
      uint64_t w = word(d, i);
      if (w < limit) return w % bound;
    }
  }
}

bool pow_ok(const hash::Digest& prefix, uint64_t nonce, unsigned bits) {
  if (bits == 0) return true;
  return leading_zeros_ok(hash::Hasher(hash::Domain::ProofOfWork).update(prefix).update_u64(nonce).finalize(), bits);
}

uint64_t Transcript::grind(std::string_view label, unsigned bits) {
  ZK_ASSERT_MSG(bits <= 40, "grinding above 40 bits is not a sensible parameter");
  hash::Digest prefix = m_state.finalize();
  // Threads scan interleaved blocks; the smallest nonce found wins, so the result
  // does not depend on the thread count.
  constexpr uint64_t kBlock = 1 << 14;
  std::atomic<uint64_t> best{std::numeric_limits<uint64_t>::max()};
  auto& pool = util::ThreadPool::global();
  for (uint64_t base = 0; best.load() == std::numeric_limits<uint64_t>::max();
       base += kBlock * pool.size()) {
    pool.parallel_for(pool.size(), [&](size_t b, size_t e) {
      // kBatch messages prefix || nonce hashed side by side (hash_many), then checked in
      // nonce order: the same function as pow_ok, several times faster.
      constexpr size_t kBatch = 64, kLen = 40;
      uint8_t msgs[kBatch * kLen];
      hash::Digest out[kBatch];
      for (size_t i = 0; i < kBatch; ++i) std::memcpy(msgs + i * kLen, prefix.data(), 32);
      for (size_t t = b; t < e; ++t) {
        const uint64_t start = base + t * kBlock;
        bool found = false;
        for (uint64_t n0 = start; n0 < start + kBlock && !found; n0 += kBatch) {
          if (n0 >= best.load(std::memory_order_relaxed)) break;
          for (size_t i = 0; i < kBatch; ++i)
            for (int k = 0; k < 8; ++k) msgs[i * kLen + 32 + k] = uint8_t((n0 + i) >> (8 * k));
          hash::hash_many(hash::Domain::ProofOfWork, msgs, kLen, kLen, kBatch, out);
          for (size_t i = 0; i < kBatch && !found; ++i) {
            if (!leading_zeros_ok(out[i], bits)) continue;
            const uint64_t n = n0 + i;
            uint64_t cur = best.load();
            while (n < cur && !best.compare_exchange_weak(cur, n)) {
            }
            found = true;
          }
        }
      }
    }, 1);
  }
  uint64_t nonce = best.load();
  absorb_u64(label, nonce);
  return nonce;
}

bool Transcript::check_grind(std::string_view label, unsigned bits, uint64_t nonce) {
  bool ok = pow_ok(m_state.finalize(), nonce, bits);
  absorb_u64(label, nonce);
  return ok;
}

}  // namespace zks::transcript
