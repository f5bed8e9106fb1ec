#pragma once
// Signed envelopes (DESIGN.md section 5, binding rule 14). Every RPC carries, in gRPC
// metadata, who sent it to whom, a nonce, a per-process uuid, the BLAKE2b-256 of the
// serialized body and an ed25519 signature over:
//
//   request:  zkslice-v1|req|<method>|<nonce>|<sender hex>|<receiver hex>|<uuid>|<body hash hex>
//   response: zkslice-v1|resp|<method>|<nonce>|<sender hex>|<receiver hex>|<uuid>|<body hash hex>
//             |<request nonce>|<request body hash hex>
//
// nonce: decimal u64 (nanoseconds since the Unix epoch, strictly increasing per
// process); keys: 64 lowercase hex digits (no "zks1" prefix); hashes: 64 lowercase
// hex digits. The direction tag stops a response being replayed as a request, and the
// request binding stops a response to one request being passed off as the answer to
// another. method and uuid can never contain '|' (checked), so the message parses
// one way only.
//
// Body hash: plain unkeyed BLAKE2b-256 (no zkslice domain byte) of the raw serialized
// body, so any BLAKE2b library can produce it. The receiver always hashes the bytes it
// received itself and never trusts the claimed zks-body-hash.
//
// Metadata (ASCII values, gRPC copies them verbatim; see kMeta* below):
//   zks-sender     hotkey "zks1<hex>"        zks-receiver  hotkey "zks1<hex>"
//   zks-nonce      decimal u64               zks-uuid      1-64 of [0-9A-Za-z-]
//   zks-body-hash  64 hex digits             zks-sig       128 hex digits
// The method is never taken from metadata: the gRPC layer passes the method of the
// call itself ("/zkslice.v1.Miner/ProveSlice"), so a signature for one method cannot
// be used on another.

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/keys.hpp"
#include "hash/blake2b.hpp"
#include "util/result.hpp"

namespace zks::crypto {

inline constexpr std::string_view kMetaSender = "zks-sender";
inline constexpr std::string_view kMetaReceiver = "zks-receiver";
inline constexpr std::string_view kMetaNonce = "zks-nonce";
inline constexpr std::string_view kMetaUuid = "zks-uuid";
inline constexpr std::string_view kMetaBodyHash = "zks-body-hash";
inline constexpr std::string_view kMetaSignature = "zks-sig";

enum class Direction { Request, Response };

struct Envelope {
  std::string method;
  uint64_t nonce = 0;
  PublicKey sender, receiver;
  std::string uuid;
  hash::Digest body_hash{};
  std::vector<uint8_t> signature;
};

// What a response is bound to: the request's nonce and body hash (rule 14).
struct RequestBinding {
  uint64_t nonce = 0;
  hash::Digest body_hash{};
};

using Metadata = std::vector<std::pair<std::string, std::string>>;
using MetadataView = std::span<const std::pair<std::string, std::string>>;

hash::Digest body_hash(std::span<const uint8_t> raw_body);

// Checks that a method / uuid can go into a signing message.
Status check_method(std::string_view method);
Status check_uuid(std::string_view uuid);

// The exact bytes that are signed. `request` is null for requests and required for
// responses.
std::string signing_message(const Envelope& env, const RequestBinding* request);

// Signs a request: the body hash is computed here from the raw body bytes.
// method and uuid come from this process's code, so invalid ones are a bug (asserted).
Envelope sign_request(const Keypair& self, const PublicKey& receiver, std::string_view method,
                      uint64_t nonce, std::string_view uuid, std::span<const uint8_t> raw_body);

// Signs a response to a verified `request` (whose body_hash is the one the verifier
// computed): sent back to the request's sender, for the same method, bound to the
// request's nonce and body hash.
Envelope sign_response(const Keypair& self, const Envelope& request, uint64_t nonce, std::string_view uuid,
                       std::span<const uint8_t> raw_body);

// Envelope <-> metadata. Decoding refuses missing, duplicate, empty (except the
// signature) or malformed zks-* fields and unknown zks-* keys; other keys (user-agent
// ...) are ignored. A missing or empty zks-sig decodes to an empty signature so the
// verifier can report it as MissingSignature.
Metadata encode_metadata(const Envelope& env);
Result<Envelope> decode_metadata(MetadataView metadata, std::string_view method);

// Strictly increasing nanosecond nonces for one process: max(now, last + 1), so two
// calls in the same nanosecond never collide in the receiver's seen-set.
class NonceSource {
 public:
  uint64_t next();

 private:
  std::atomic<uint64_t> m_last{0};
};

// A random per-process uuid (RFC 4122 version 4 text form).
std::string make_process_uuid();

// Nanoseconds since the Unix epoch (system clock: nonces are compared across machines).
uint64_t wall_clock_ns();

}  // namespace zks::crypto
