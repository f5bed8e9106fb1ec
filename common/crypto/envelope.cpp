#include "crypto/envelope.hpp"

#include <charconv>
#include <chrono>
#include <map>

#include <sodium.h>

#include "util/assert.hpp"
#include "util/bytes.hpp"

namespace zks::crypto {

namespace {

constexpr size_t kMaxMethodBytes = 256;
constexpr size_t kMaxUuidBytes = 64;

std::string digest_hex(const hash::Digest& d) { return util::to_hex(d); }

Envelope sign(const Keypair& self, Envelope env, const RequestBinding* request) {
  ZK_ASSERT_MSG(check_method(env.method).ok(), "invalid method for an envelope");
  ZK_ASSERT_MSG(check_uuid(env.uuid).ok(), "invalid uuid for an envelope");
  env.signature = self.sign(signing_message(env, request));
  return env;
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

hash::Digest body_hash(std::span<const uint8_t> raw_body) {
  hash::ensure_sodium();
  hash::Digest out;
  crypto_generichash_blake2b(out.data(), out.size(), raw_body.data(), raw_body.size(), nullptr, 0);
  return out;
}

Status check_method(std::string_view method) {
  if (method.empty()) return make_error("method is empty");
  if (method.size() > kMaxMethodBytes) return make_error("method is longer than 256 bytes");
  for (char c : method)
    if (c < 0x21 || c > 0x7e || c == '|') return make_error("method contains a character other than printable ASCII or a '|'");
  return {};
}

Status check_uuid(std::string_view uuid) {
  if (uuid.empty() || uuid.size() > kMaxUuidBytes) return make_error("uuid must be 1 to 64 characters");
  for (char c : uuid) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return make_error("uuid may contain only letters, digits and '-'");
  }
  return {};
}

std::string signing_message(const Envelope& env, const RequestBinding* request) {
  std::string m = request ? "zkslice-v1|resp|" : "zkslice-v1|req|";
  m += env.method;
  m += '|';
  m += std::to_string(env.nonce);
  m += '|';
  m += env.sender.hex();
  m += '|';
  m += env.receiver.hex();
  m += '|';
  m += env.uuid;
  m += '|';
  m += digest_hex(env.body_hash);
  if (request) {
    m += '|';
    m += std::to_string(request->nonce);
    m += '|';
    m += digest_hex(request->body_hash);
  }
  return m;
}

Envelope sign_request(const Keypair& self, const PublicKey& receiver, std::string_view method, uint64_t nonce,
                      std::string_view uuid, std::span<const uint8_t> raw_body) {
  Envelope env;
  env.method = std::string(method);
  env.nonce = nonce;
  env.sender = self.public_key();
  env.receiver = receiver;
  env.uuid = std::string(uuid);
  env.body_hash = body_hash(raw_body);
  return sign(self, std::move(env), nullptr);
}

Envelope sign_response(const Keypair& self, const Envelope& request, uint64_t nonce, std::string_view uuid,
                       std::span<const uint8_t> raw_body) {
  Envelope env;
  env.method = request.method;
  env.nonce = nonce;
  env.sender = self.public_key();
  env.receiver = request.sender;
  env.uuid = std::string(uuid);
  env.body_hash = body_hash(raw_body);
  RequestBinding binding{request.nonce, request.body_hash};
  return sign(self, std::move(env), &binding);
}

Metadata encode_metadata(const Envelope& env) {
  return {
      {std::string(kMetaSender), env.sender.to_string()},
      {std::string(kMetaReceiver), env.receiver.to_string()},
      {std::string(kMetaNonce), std::to_string(env.nonce)},
      {std::string(kMetaUuid), env.uuid},
      {std::string(kMetaBodyHash), digest_hex(env.body_hash)},
      {std::string(kMetaSignature), util::to_hex(env.signature)},
  };
}

Result<Envelope> decode_metadata(MetadataView metadata, std::string_view method) {
  static const std::string_view known[] = {kMetaSender, kMetaReceiver, kMetaNonce,
                                           kMetaUuid,   kMetaBodyHash, kMetaSignature};
  std::map<std::string_view, std::string_view> f;
  for (const auto& [key, value] : metadata) {
    if (!std::string_view(key).starts_with("zks-")) continue;
    bool is_known = false;
    for (auto k : known) is_known |= (k == key);
    if (!is_known) return make_error("unknown envelope field \"" + key + "\"");
    if (!f.emplace(key, value).second) return make_error("envelope field \"" + key + "\" appears more than once");
  }
  auto field = [&](std::string_view name) -> Result<std::string_view> {
    auto it = f.find(name);
    if (it == f.end() || it->second.empty()) return make_error("missing envelope field \"" + std::string(name) + "\"");
    return it->second;
  };

  Envelope env;
  if (auto st = check_method(method); !st.ok()) return make_error("bad method: " + st.error());
  env.method = std::string(method);

  auto sender = field(kMetaSender);
  if (!sender) return make_error(sender.error());
  auto spk = PublicKey::parse(*sender);
  if (!spk) return make_error("field zks-sender: " + spk.error());
  env.sender = *spk;

  auto receiver = field(kMetaReceiver);
  if (!receiver) return make_error(receiver.error());
  auto rpk = PublicKey::parse(*receiver);
  if (!rpk) return make_error("field zks-receiver: " + rpk.error());
  env.receiver = *rpk;

  auto nonce = field(kMetaNonce);
  if (!nonce) return make_error(nonce.error());
  if (!parse_u64(*nonce, env.nonce)) return make_error("field zks-nonce must be a decimal u64 without leading zeros");

  auto uuid = field(kMetaUuid);
  if (!uuid) return make_error(uuid.error());
  if (auto st = check_uuid(*uuid); !st.ok()) return make_error("field zks-uuid: " + st.error());
  env.uuid = std::string(*uuid);

  auto bh = field(kMetaBodyHash);
  if (!bh) return make_error(bh.error());
  if (!decode_hex(*bh, env.body_hash)) return make_error("field zks-body-hash must be 64 lowercase hex digits");

  auto sig = f.find(kMetaSignature);
  if (sig != f.end() && !sig->second.empty()) {
    // Any even length decodes; a wrong length is rejected as a bad signature later.
    if (sig->second.size() % 2 != 0 || sig->second.size() > 2 * 1024)
      return make_error("field zks-sig must be hex (128 digits)");
    env.signature.resize(sig->second.size() / 2);
    if (!decode_hex(sig->second, env.signature)) return make_error("field zks-sig must be lowercase hex");
  }
  return env;
}

uint64_t NonceSource::next() {
  uint64_t now = wall_clock_ns();
  uint64_t last = m_last.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t want = now > last ? now : last + 1;
    if (m_last.compare_exchange_weak(last, want, std::memory_order_relaxed)) return want;
  }
}

std::string make_process_uuid() {
  hash::ensure_sodium();
  std::array<uint8_t, 16> b;
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string h = util::to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

uint64_t wall_clock_ns() {
  auto d = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

}  // namespace zks::crypto
