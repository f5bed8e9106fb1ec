#include "rpc/rpc.hpp"

#include <filesystem>
#include <fstream>
#include <future>
#include <utility>

#include <grpcpp/health_check_service_interface.h>

#include "util/log.hpp"

namespace zks::rpc {

namespace {

grpc::ByteBuffer to_buffer(const std::string& s) {
  grpc::Slice slice(s.data(), s.size());
  return grpc::ByteBuffer(&slice, 1);
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

crypto::Metadata to_metadata(const std::multimap<grpc::string_ref, grpc::string_ref>& md) {
  crypto::Metadata out;
  for (const auto& [k, v] : md) out.emplace_back(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
  return out;
}

}  // namespace

std::string to_string(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::StatusCode status_for(crypto::EnvelopeError e) {
  using E = crypto::EnvelopeError;
  switch (e) {
    case E::Malformed: return grpc::StatusCode::INVALID_ARGUMENT;
    case E::MissingSignature:
    case E::BadSignature:
    case E::WrongReceiver:
    case E::Stale:
    case E::Replayed: return grpc::StatusCode::UNAUTHENTICATED;
    case E::NotAllowed: return grpc::StatusCode::PERMISSION_DENIED;
    case E::RateLimited: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case E::Internal: return grpc::StatusCode::UNAVAILABLE;
  }
  return grpc::StatusCode::INTERNAL;
}

// One unary call: read the request, verify, dispatch, answer once, delete on done.
class SignedService::Reactor final : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(SignedService& svc, grpc::GenericCallbackServerContext* ctx) : m_svc(svc), m_ctx(ctx) { StartRead(&m_request); }

  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
    if (!m_svc.m_accepting) return Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is shutting down"));
    const std::string& method = m_ctx->method();
    auto it = m_svc.m_handlers.find(method);
    if (it == m_svc.m_handlers.end())
      return Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method " + method));
    std::string body = to_string(m_request);
    auto md = to_metadata(m_ctx->client_metadata());
    crypto::Verdict v = m_svc.m_verifier.verify_request(method, md, bytes_of(body), it->second.any_receiver);
    if (!v.ok()) {
      ZKS_LOG_DEBUG("rpc", "{} refused: {}", method, v.error());
      if (m_svc.m_on_refused) m_svc.m_on_refused(v.code());
      return Finish(grpc::Status(status_for(v.code()), std::string(crypto::to_string(v.code())) + ": " + v.error()));
    }
    Call call{v.envelope(), std::move(body), m_ctx->deadline()};
    m_envelope = call.envelope;
    it->second.handler(std::move(call), [this](const grpc::Status& status, std::string reply) {
      answer(status, std::move(reply));
    });
  }

  void OnWriteDone(bool) override {}
  void OnDone() override { delete this; }

 private:
  void answer(const grpc::Status& status, std::string reply) {
    if (!status.ok()) return Finish(status);
    auto env = crypto::sign_response(m_svc.m_self, m_envelope, m_svc.m_nonces.next(), m_svc.m_uuid, bytes_of(reply));
    for (const auto& [k, v] : crypto::encode_metadata(env)) m_ctx->AddInitialMetadata(k, v);
    m_response = to_buffer(reply);
    StartWriteAndFinish(&m_response, grpc::WriteOptions(), grpc::Status::OK);
  }

  SignedService& m_svc;
  grpc::GenericCallbackServerContext* m_ctx;
  grpc::ByteBuffer m_request, m_response;
  crypto::Envelope m_envelope;
};

SignedService::SignedService(const crypto::Keypair& self, crypto::EnvelopeVerifier& verifier)
    : m_self(self), m_verifier(verifier), m_uuid(crypto::make_process_uuid()) {}

void SignedService::handle(std::string_view method, CallHandler handler, bool any_receiver) {
  m_handlers[std::string(method)] = Entry{std::move(handler), any_receiver};
}

grpc::ServerGenericBidiReactor* SignedService::CreateReactor(grpc::GenericCallbackServerContext* ctx) {
  return new Reactor(*this, ctx);
}

SignedClient::SignedClient(const std::string& target, const crypto::Keypair& self, crypto::PublicKey peer,
                           size_t max_message_bytes)
    : m_self(self),
      m_peer(peer),
      m_channel([&] {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(int(max_message_bytes));
        args.SetMaxSendMessageSize(int(max_message_bytes));
        return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
      }()),
      m_stub(m_channel),
      m_uuid(crypto::make_process_uuid()) {}

crypto::Envelope SignedClient::sign(std::string_view method, const std::string& body) {
  return crypto::sign_request(m_self, m_peer, method, m_nonces.next(), m_uuid, bytes_of(body));
}

Response SignedClient::call_raw(std::string_view method, const std::string& body, const crypto::Metadata& metadata,
                                std::chrono::milliseconds timeout, crypto::Metadata* response_metadata) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  grpc::ByteBuffer request = to_buffer(body), reply;
  std::promise<grpc::Status> done;
  m_stub.UnaryCall(&ctx, std::string(method), grpc::StubOptions(), &request, &reply,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
  Response out;
  out.status = done.get_future().get();
  if (response_metadata) *response_metadata = to_metadata(ctx.GetServerInitialMetadata());
  if (out.status.ok()) out.body = to_string(reply);
  return out;
}

Response SignedClient::call(std::string_view method, const std::string& body, std::chrono::milliseconds timeout) {
  crypto::Envelope env = sign(method, body);
  crypto::Metadata response_md;
  Response r = call_raw(method, body, crypto::encode_metadata(env), timeout, &response_md);
  if (!r.status.ok()) return r;
  // The signer: the peer we called, or (peer unknown, GetInfo) whoever signed.
  crypto::PublicKey expected = m_peer;
  if (expected == crypto::PublicKey{}) {
    auto decoded = crypto::decode_metadata(response_md, method);
    if (decoded) expected = decoded->sender;
  }
  crypto::ResponseCheck check{m_self.public_key(), expected, {env.nonce, env.body_hash}};
  crypto::Verdict v = crypto::verify_response(check, method, response_md, bytes_of(r.body));
  if (!v.ok())
    return {grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the response's envelope is invalid: " + v.error()), {}, {}};
  r.signer = v.envelope().sender;
  return r;
}

Result<Server> serve(const std::string& listen, SignedService& service, size_t max_message_mb) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(int(max_message_mb << 20));
  builder.SetMaxSendMessageSize(int(max_message_mb << 20));
  builder.RegisterCallbackGenericService(&service);
  Server out;
  out.server = builder.BuildAndStart();
  if (!out.server || port == 0) return make_error("cannot listen on " + listen);
  out.address = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port);
  return out;
}

void write_ready_file(const std::string& path, const std::string& address, const std::string& metrics) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << address << "\n" << (metrics.empty() ? "" : metrics + "\n");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) ZKS_LOG_ERROR("rpc", "cannot write the ready file {}: {}", path, ec.message());
}

}  // namespace zks::rpc
