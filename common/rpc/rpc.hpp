#pragma once
// Signed unary RPCs over gRPC's generic API (DESIGN.md section 5, rule 14). Daemons
// serve and call raw bytes so the envelope signs exactly the bytes on the wire: the
// server hashes the request bytes it received, the client the response bytes it got.
//
// Server: SignedService maps method names to handlers. Each call: read the request,
// verify its envelope (crypto::EnvelopeVerifier, in its documented order), then hand
// the handler the verified envelope and the raw body; the handler answers once, from
// any thread, through its Responder. An OK answer is signed (sign_response, bound to
// the request's nonce and body hash) in the response's initial metadata; error
// statuses carry no body and no signature (a caller learns nothing it could misuse).
//
// Client: SignedClient signs a request to a known peer (or, for GetInfo only, to the
// all-zero key "whoever answers"), sends it, and verifies the response's envelope
// against the request before returning the body.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "crypto/envelope.hpp"
#include "crypto/keys.hpp"
#include "crypto/verifier.hpp"
#include "util/result.hpp"

namespace zks::rpc {

inline constexpr uint32_t kProtocolVersion = 1;

namespace method {
inline constexpr std::string_view kMinerGetInfo = "/zkslice.v1.Miner/GetInfo";
inline constexpr std::string_view kMinerProveSlice = "/zkslice.v1.Miner/ProveSlice";
inline constexpr std::string_view kMinerPushArtifact = "/zkslice.v1.Miner/PushArtifact";
inline constexpr std::string_view kValidatorInfer = "/zkslice.v1.Validator/Infer";
inline constexpr std::string_view kValidatorGetModel = "/zkslice.v1.Validator/GetModel";
inline constexpr std::string_view kValidatorListMiners = "/zkslice.v1.Validator/ListMiners";
inline constexpr std::string_view kValidatorGetWeights = "/zkslice.v1.Validator/GetWeights";
inline constexpr std::string_view kValidatorRegister = "/zkslice.v1.Validator/Register";
}  // namespace method

// The gRPC status for an envelope refusal (see crypto/verifier.hpp).
grpc::StatusCode status_for(crypto::EnvelopeError e);

// A verified call, as a handler sees it.
struct Call {
  crypto::Envelope envelope;  // verified; body_hash is the hash of `body`
  std::string body;           // the request exactly as received
  std::chrono::system_clock::time_point deadline;  // the caller's (max() when none)
};

// Answers a call, exactly once, from any thread. A non-OK status sends no body.
using Responder = std::function<void(const grpc::Status& status, std::string body)>;
using CallHandler = std::function<void(Call call, Responder respond)>;

class SignedService final : public grpc::CallbackGenericService {
 public:
  // `self` and `verifier` must outlive the service.
  SignedService(const crypto::Keypair& self, crypto::EnvelopeVerifier& verifier);

  // Registers a handler before the server starts. any_receiver: the call may be
  // addressed to the all-zero key (GetInfo).
  void handle(std::string_view method, CallHandler handler, bool any_receiver = false);
  // From now on new calls get UNAVAILABLE (shutting down); calls already handed to a
  // handler are still answered by it.
  void stop_accepting() { m_accepting = false; }
  // Called for every call refused before a handler (metrics); set before the server starts.
  void on_refused(std::function<void(crypto::EnvelopeError)> fn) { m_on_refused = std::move(fn); }

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override;

 private:
  class Reactor;
  struct Entry {
    CallHandler handler;
    bool any_receiver = false;
  };
  const crypto::Keypair& m_self;
  crypto::EnvelopeVerifier& m_verifier;
  std::map<std::string, Entry, std::less<>> m_handlers;
  std::atomic<bool> m_accepting{true};
  std::function<void(crypto::EnvelopeError)> m_on_refused;
  crypto::NonceSource m_nonces;
  std::string m_uuid;
};

struct Response {
  grpc::Status status;
  std::string body;           // only when status is OK
  crypto::PublicKey signer;   // who signed the response (OK only)
};

class SignedClient {
 public:
  // target "host:port"; peer: the node's hotkey, or the zero key when unknown (then
  // only GetInfo can be called, and the answer names the signer).
  SignedClient(const std::string& target, const crypto::Keypair& self, crypto::PublicKey peer,
               size_t max_message_bytes = 64u << 20);

  // Signs and sends `body`, verifies the signed response (an unsigned or wrongly signed
  // OK answer becomes UNAUTHENTICATED).
  Response call(std::string_view method, const std::string& body, std::chrono::milliseconds timeout);
  // Sends `body` with exactly the given metadata, unchecked (tests craft bad envelopes).
  Response call_raw(std::string_view method, const std::string& body, const crypto::Metadata& metadata,
                    std::chrono::milliseconds timeout, crypto::Metadata* response_metadata = nullptr);

  // A signed envelope for `body`, as call() would send it (tests change it first).
  crypto::Envelope sign(std::string_view method, const std::string& body);

  const crypto::PublicKey& peer() const { return m_peer; }

 private:
  const crypto::Keypair& m_self;
  crypto::PublicKey m_peer;
  std::shared_ptr<grpc::Channel> m_channel;
  grpc::GenericStub m_stub;
  crypto::NonceSource m_nonces;
  std::string m_uuid;
};

std::string to_string(const grpc::ByteBuffer& buffer);

// Parses a request body as Msg and checks its protocol_version.
template <typename Msg>
Result<Msg> parse_request(const Call& call) {
  Msg m;
  if (!m.ParseFromString(call.body)) return make_error("the request is not a valid " + Msg::descriptor()->name());
  if (m.protocol_version() != kProtocolVersion)
    return make_error("protocol version " + std::to_string(m.protocol_version()) + " is not " + std::to_string(kProtocolVersion));
  return m;
}

// A started server: the service (with gRPC's health service) on `listen`, message sizes
// limited both ways; `address` is host:port with the port actually bound.
struct Server {
  std::unique_ptr<grpc::Server> server;
  std::string address;
};
Result<Server> serve(const std::string& listen, SignedService& service, size_t max_message_mb);

// Writes "host:port\n" to `path` atomically (tests and scripts wait for it), then the
// metrics endpoint's host:port on a second line when there is one.
void write_ready_file(const std::string& path, const std::string& address, const std::string& metrics = {});

}  // namespace zks::rpc
