#include "crypto/verifier.hpp"

#include <algorithm>

#include "util/assert.hpp"
#include "util/log.hpp"

namespace zks::crypto {

std::string_view to_string(EnvelopeError e) {
  switch (e) {
    case EnvelopeError::Malformed: return "malformed";
    case EnvelopeError::MissingSignature: return "missing signature";
    case EnvelopeError::BadSignature: return "bad signature";
    case EnvelopeError::WrongReceiver: return "wrong receiver";
    case EnvelopeError::Stale: return "stale";
    case EnvelopeError::Replayed: return "replayed";
    case EnvelopeError::NotAllowed: return "not allowed";
    case EnvelopeError::RateLimited: return "rate limited";
    case EnvelopeError::Internal: return "internal";
  }
  return "unknown";
}

const Envelope& Verdict::envelope() const {
  ZK_ASSERT_MSG(ok(), "Verdict::envelope() on a rejection");
  return std::get<0>(m_v);
}
EnvelopeError Verdict::code() const {
  ZK_ASSERT_MSG(!ok(), "Verdict::code() on an accepted envelope");
  return std::get<1>(m_v).code;
}
const std::string& Verdict::error() const {
  ZK_ASSERT_MSG(!ok(), "Verdict::error() on an accepted envelope");
  return std::get<1>(m_v).message;
}

std::string NonceKey::encode() const {
  std::string k;
  k.reserve(8 + kPublicKeyBytes + uuid.size());
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(nonce >> (8 * i)));
  k.append(reinterpret_cast<const char*>(sender.bytes().data()), kPublicKeyBytes);
  k += uuid;
  return k;
}

namespace {
std::string be64(uint64_t v) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(v >> (8 * i)));
  return k;
}

uint64_t abs_diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

std::string seconds_text(uint64_t ns) { return std::to_string(double(ns) / 1e9) + " s"; }

// Steps 1-4, shared by requests and responses. `signer` is the key the signature must
// verify under; `binding` is set for responses.
Verdict check_common(std::string_view method, MetadataView metadata, std::span<const uint8_t> raw_body,
                     const PublicKey& self, const PublicKey* expected_signer, const RequestBinding* binding,
                     uint64_t window_ns, uint64_t now, bool any_receiver = false) {
  auto decoded = decode_metadata(metadata, method);
  if (!decoded) return {EnvelopeError::Malformed, "malformed envelope: " + decoded.error()};
  Envelope env = std::move(*decoded);

  if (env.signature.empty()) return {EnvelopeError::MissingSignature, "envelope has no signature (zks-sig)"};
  if (expected_signer && env.sender != *expected_signer)
    return {EnvelopeError::BadSignature, "envelope is from " + env.sender.to_string() + ", expected " +
                                             expected_signer->to_string()};
  hash::Digest claimed = env.body_hash;
  // Rule 14: the signature covers the hash of the bytes that actually arrived.
  env.body_hash = body_hash(raw_body);
  if (!verify(env.sender, signing_message(env, binding), env.signature)) {
    if (claimed != env.body_hash)
      return {EnvelopeError::BadSignature, "body does not match the signed body hash"};
    if (env.signature.size() != kSignatureBytes)
      return {EnvelopeError::BadSignature,
              "signature is " + std::to_string(env.signature.size()) + " bytes, expected 64"};
    return {EnvelopeError::BadSignature, "signature does not verify for sender " + env.sender.to_string()};
  }
  if (env.receiver != self && !(any_receiver && env.receiver == PublicKey{}))
    return {EnvelopeError::WrongReceiver,
            "envelope is addressed to " + env.receiver.to_string() + ", this node is " + self.to_string()};
  if (abs_diff(now, env.nonce) > window_ns)
    return {EnvelopeError::Stale, "nonce is " + seconds_text(abs_diff(now, env.nonce)) + (env.nonce < now ? " old" : " in the future") +
                                      ", outside the freshness window of " + seconds_text(window_ns)};
  return env;
}
}  // namespace

Result<bool> MemoryNonceStore::insert_if_absent(const NonceKey& key) {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_keys.insert(key.encode()).second;
}

Status MemoryNonceStore::prune_older_than(uint64_t cutoff_ns) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_keys.erase(m_keys.begin(), m_keys.lower_bound(be64(cutoff_ns)));
  return {};
}

size_t MemoryNonceStore::size() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_keys.size();
}

EnvelopeVerifier::EnvelopeVerifier(PublicKey self, VerifierConfig config, NonceStore& nonces, Clock clock)
    : m_self(self), m_config(std::move(config)), m_nonces(nonces), m_clock(std::move(clock)) {
  ZK_ASSERT(m_clock);
  ZK_ASSERT(m_config.freshness_window.count() > 0);
}

Verdict EnvelopeVerifier::verify_request(std::string_view method, MetadataView metadata,
                                         std::span<const uint8_t> raw_body, bool any_receiver) {
  const uint64_t now = m_clock();
  const uint64_t window = static_cast<uint64_t>(m_config.freshness_window.count());
  Verdict v = check_common(method, metadata, raw_body, m_self, nullptr, nullptr, window, now, any_receiver);
  if (!v.ok()) return v;
  const Envelope& env = v.envelope();

  maybe_prune(now);
  auto fresh = m_nonces.insert_if_absent(NonceKey{env.sender, env.uuid, env.nonce});
  if (!fresh) {
    ZKS_LOG_ERROR("crypto", "nonce store failed: {}", fresh.error());
    return {EnvelopeError::Internal, "nonce store unavailable: " + fresh.error()};
  }
  if (!*fresh)
    return {EnvelopeError::Replayed, "nonce " + std::to_string(env.nonce) + " from " + env.sender.to_string() +
                                         " (uuid " + env.uuid + ") was already used"};

  bool allowed = m_config.allow ? m_config.allow(env.sender)
                                : (m_config.allow_list.empty() || m_config.allow_list.count(env.sender) > 0);
  if (!allowed) return {EnvelopeError::NotAllowed, "sender " + env.sender.to_string() + " is not allowed"};

  if (!take_token(env.sender, now))
    return {EnvelopeError::RateLimited, "sender " + env.sender.to_string() + " is over its rate limit"};
  return v;
}

bool EnvelopeVerifier::take_token(const PublicKey& sender, uint64_t now) {
  if (m_config.rate_per_sec <= 0) return true;
  std::lock_guard<std::mutex> lock(m_mu);
  auto [it, inserted] = m_buckets.try_emplace(sender, Bucket{m_config.burst, now});
  Bucket& b = it->second;
  if (now > b.last_ns) {
    b.tokens = std::min(m_config.burst, b.tokens + double(now - b.last_ns) * 1e-9 * m_config.rate_per_sec);
    b.last_ns = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void EnvelopeVerifier::maybe_prune(uint64_t now) {
  const uint64_t window = static_cast<uint64_t>(m_config.freshness_window.count());
  {
    std::lock_guard<std::mutex> lock(m_mu);
    if (now < m_last_prune_ns + window) return;
    m_last_prune_ns = now;
    // Buckets idle long enough to be full again carry no state worth keeping.
    if (m_config.rate_per_sec > 0) {
      const double refill_ns = m_config.burst / m_config.rate_per_sec * 1e9;
      std::erase_if(m_buckets, [&](const auto& kv) { return double(now - std::min(now, kv.second.last_ns)) >= refill_ns; });
    }
  }
  // Keep entries for two windows, not one: another thread may have read the clock a
  // little earlier, passed the freshness check, and not yet inserted its nonce; its
  // replay must still be found.
  if (now <= 2 * window) return;
  if (auto st = m_nonces.prune_older_than(now - 2 * window); !st.ok())
    ZKS_LOG_WARN("crypto", "pruning the nonce store failed (will retry): {}", st.error());
}

Verdict verify_response(const ResponseCheck& check, std::string_view method, MetadataView metadata,
                        std::span<const uint8_t> raw_body) {
  ZK_ASSERT(check.clock);
  return check_common(method, metadata, raw_body, check.self, &check.expected_sender, &check.request,
                      static_cast<uint64_t>(check.freshness_window.count()), check.clock());
}

}  // namespace zks::crypto
