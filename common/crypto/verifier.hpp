#pragma once
// The receiver side of envelopes (DESIGN.md section 5, rule 14). EnvelopeVerifier runs
// the checks in this order and stops at the first failure, each with its own code:
//   1. parse the metadata                                     Malformed
//   2. signature present                                      MissingSignature
//      and valid over the hash of the received body           BadSignature
//   3. addressed to this node                                 WrongReceiver
//   4. nonce inside the freshness window (|now - nonce|)      Stale
//   5. (sender, uuid, nonce) not seen before (persisted)      Replayed
//   6. allow-list or stake rule                               NotAllowed
//   7. per-sender token bucket                                RateLimited
// A failing nonce store gives Internal (the request is refused, never let through).
// Suggested gRPC mapping: Malformed -> INVALID_ARGUMENT; MissingSignature,
// BadSignature, WrongReceiver, Stale, Replayed -> UNAUTHENTICATED; NotAllowed ->
// PERMISSION_DENIED; RateLimited -> RESOURCE_EXHAUSTED; Internal -> UNAVAILABLE.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "crypto/envelope.hpp"
#include "crypto/keys.hpp"
#include "util/result.hpp"

namespace zks::crypto {

enum class EnvelopeError {
  Malformed,
  MissingSignature,
  BadSignature,
  WrongReceiver,
  Stale,
  Replayed,
  NotAllowed,
  RateLimited,
  Internal,
};

std::string_view to_string(EnvelopeError e);

// Either the verified envelope (its body_hash is the one computed from the received
// bytes) or the reason it was refused.
class Verdict {
 public:
  Verdict(Envelope env) : m_v(std::move(env)) {}
  Verdict(EnvelopeError code, std::string message) : m_v(Failure{code, std::move(message)}) {}

  bool ok() const { return m_v.index() == 0; }
  const Envelope& envelope() const;
  EnvelopeError code() const;
  const std::string& error() const;

 private:
  struct Failure {
    EnvelopeError code;
    std::string message;
  };
  std::variant<Envelope, Failure> m_v;
};

// Injectable clock: nanoseconds since the Unix epoch.
using Clock = std::function<uint64_t()>;

// The seen-set of rule 14, keyed by (sender, uuid, nonce).
struct NonceKey {
  PublicKey sender;
  std::string uuid;
  uint64_t nonce = 0;

  // Big-endian nonce first, so keys sort by time and pruning is one range delete:
  // be64(nonce) || sender (32 bytes) || uuid.
  std::string encode() const;
};

class NonceStore {
 public:
  virtual ~NonceStore() = default;
  // true if the key was not there and is now stored (durably, for a persistent store);
  // false if it was already there. An error means "unknown": the caller refuses.
  virtual Result<bool> insert_if_absent(const NonceKey& key) = 0;
  // Forgets entries whose nonce is below cutoff_ns (they can only fail as Stale now).
  // The verifier calls it at most once a window, with cutoff = now - 2 * window.
  virtual Status prune_older_than(uint64_t cutoff_ns) = 0;
};

// In-memory seen-set (tests, and nodes that run without a data dir).
class MemoryNonceStore final : public NonceStore {
 public:
  Result<bool> insert_if_absent(const NonceKey& key) override;
  Status prune_older_than(uint64_t cutoff_ns) override;
  size_t size() const;

 private:
  mutable std::mutex m_mu;
  std::set<std::string> m_keys;
};

struct VerifierConfig {
  std::chrono::nanoseconds freshness_window = std::chrono::seconds(60);
  // Allow rule: if `allow` is set it decides; otherwise a non-empty allow_list must
  // contain the sender; both empty = everyone is allowed.
  std::set<PublicKey> allow_list;
  std::function<bool(const PublicKey&)> allow;
  // Token bucket per sender: `rate_per_sec` tokens a second up to `burst`; one token a
  // request. rate_per_sec <= 0 disables rate limiting.
  double rate_per_sec = 100.0;
  double burst = 200.0;
};

class EnvelopeVerifier {
 public:
  // `nonces` must outlive the verifier. Thread safe.
  EnvelopeVerifier(PublicKey self, VerifierConfig config, NonceStore& nonces, Clock clock = wall_clock_ns);

  // Server side: `method` is the method of the call itself, `metadata` the call's
  // metadata, `raw_body` the serialized request exactly as received. With any_receiver
  // the all-zero receiver ("whoever answers") is accepted too (GetInfo only: how a
  // client learns a node's hotkey from its signed answer).
  Verdict verify_request(std::string_view method, MetadataView metadata, std::span<const uint8_t> raw_body,
                         bool any_receiver = false);

  const PublicKey& self() const { return m_self; }

 private:
  bool take_token(const PublicKey& sender, uint64_t now);
  void maybe_prune(uint64_t now);

  struct Bucket {
    double tokens;
    uint64_t last_ns;
  };

  PublicKey m_self;
  VerifierConfig m_config;
  NonceStore& m_nonces;
  Clock m_clock;
  std::mutex m_mu;  // guards m_buckets and m_last_prune_ns
  std::unordered_map<PublicKey, Bucket> m_buckets;
  uint64_t m_last_prune_ns = 0;
};

// Client side: checks a response to a request this node sent. Order: parse, signature
// present and valid (bound to the request), addressed to this node, sent by the peer
// that was called, fresh. No seen-set is needed: the binding to the request's unique
// nonce already makes a response single-use.
struct ResponseCheck {
  PublicKey self;            // this node (the caller)
  PublicKey expected_sender; // the node that was called
  RequestBinding request;    // nonce and body hash of the request this node sent
  std::chrono::nanoseconds freshness_window = std::chrono::seconds(60);
  Clock clock = wall_clock_ns;
};

Verdict verify_response(const ResponseCheck& check, std::string_view method, MetadataView metadata,
                        std::span<const uint8_t> raw_body);

}  // namespace zks::crypto
