// zkslice-miner as a real process on 127.0.0.1 (port 0): ping, proved slices that
// stitch into a bundle that verifies, deadlines, a full queue, SIGTERM during a job,
// the data-dir lock and config errors, and every envelope refusal with its status.
#include <catch2/catch.hpp>
#include <future>
#include <random>

#include "circuits/slice/bundle.hpp"
#include "integration/subnet.hpp"
#include "util/bytes.hpp"
#include "zkslice/v1/miner.pb.h"
#include "zkslice/v1/validator.pb.h"

namespace c = zks::circuits;
namespace crypto = zks::crypto;
namespace pb = zkslice::v1;
namespace rpc = zks::rpc;
using namespace std::chrono_literals;
using grpc::StatusCode;
using zks::test::Process;
using zks::test::TempDir;

namespace {

const zks::pcs::Params kParams = zks::pcs::Params::standard();
using zks::test::key;
using zks::test::make_model;
using zks::test::Miner;
using zks::test::Model;
std::string s(const zks::hash::Digest& d) { return zks::test::str(d); }

std::string get_info_body() {
  pb::GetInfoRequest r;
  r.set_protocol_version(rpc::kProtocolVersion);
  return r.SerializeAsString();
}

pb::GetInfoResponse get_info(rpc::SignedClient& client) {
  auto r = client.call(rpc::method::kMinerGetInfo, get_info_body(), 10s);
  INFO(r.status.error_message());
  REQUIRE(r.status.ok());
  pb::GetInfoResponse info;
  REQUIRE(info.ParseFromString(r.body));
  return info;
}

void push(rpc::SignedClient& client, const Model& m) {
  pb::PushArtifactRequest r;
  r.set_protocol_version(rpc::kProtocolVersion);
  r.set_hash(s(m.hash));
  r.set_manifest(m.bytes);
  auto resp = client.call(rpc::method::kMinerPushArtifact, r.SerializeAsString(), 30s);
  INFO(resp.status.error_message());
  REQUIRE(resp.status.ok());
}

std::string prove_body(const Model& m, size_t slice, const zks::hash::Digest& job) {
  pb::ProveSliceRequest r;
  r.set_protocol_version(rpc::kProtocolVersion);
  r.set_job_id(s(job));
  r.set_artifact(s(m.hash));
  r.set_slice(uint32_t(slice));
  for (int t : m.man.slices[slice].inputs) {
    auto* in = r.add_inputs();
    in->set_id(t);
    in->mutable_values()->Add(m.c.run.values[t].begin(), m.c.run.values[t].end());
  }
  return r.SerializeAsString();
}

zks::hash::Digest job_id(uint8_t n) {
  zks::hash::Digest d{};
  d[0] = n;
  d[31] = 0x5a;
  return d;
}

}  // namespace

TEST_CASE("miner: ping answers with the signed hotkey, and the health service serves", "[miner]") {
  TempDir dir;
  Miner miner(dir);
  auto client_key = key(2);
  rpc::SignedClient anyone(miner.addr, client_key, crypto::PublicKey{});
  auto r = anyone.call(rpc::method::kMinerGetInfo, get_info_body(), 10s);
  REQUIRE(r.status.ok());
  REQUIRE(r.signer == miner.keypair.public_key());
  pb::GetInfoResponse info;
  REQUIRE(info.ParseFromString(r.body));
  REQUIRE(info.hotkey() == miner.keypair.public_key().to_string());
  REQUIRE(info.backends_size() >= 1);
  REQUIRE(info.workers() >= 1);
  // Only GetInfo may be addressed to "whoever answers".
  auto prove = anyone.call(rpc::method::kMinerProveSlice, "", 10s);
  REQUIRE(prove.status.error_code() == StatusCode::UNAUTHENTICATED);
  // gRPC health: Check("") -> SERVING (HealthCheckResponse{status: 1} is 08 01).
  auto health = anyone.call_raw("/grpc.health.v1.Health/Check", "", {}, 10s);
  REQUIRE(health.status.ok());
  REQUIRE(health.body == std::string("\x08\x01", 2));
  miner.proc->stop();
}

TEST_CASE("miner: proved slices stitch into a bundle that verifies offline", "[miner]") {
  TempDir dir;
  Miner miner(dir);
  auto client_key = key(2);
  rpc::SignedClient client(miner.addr, client_key, miner.keypair.public_key());
  Model m = make_model("4l_relu_conv_fc", 2);
  // An unknown artifact is a clear FAILED_PRECONDITION.
  auto early = client.call(rpc::method::kMinerProveSlice, prove_body(m, 0, job_id(1)), 30s);
  REQUIRE(early.status.error_code() == StatusCode::FAILED_PRECONDITION);
  push(client, m);
  auto info = get_info(client);
  REQUIRE(info.cached_artifacts_size() == 1);
  REQUIRE(info.cached_artifacts(0) == s(m.hash));

  c::Bundle b;
  b.manifest_hash = m.hash;
  b.params_id = kParams.params_id();
  for (int t : m.man.model.inputs) b.tensors[t] = m.c.run.values[t];
  for (size_t j = 0; j < m.man.slices.size(); ++j) {
    auto r = client.call(rpc::method::kMinerProveSlice, prove_body(m, j, job_id(uint8_t(10 + j))), 60s);
    INFO(r.status.error_message());
    REQUIRE(r.status.ok());
    pb::ProveSliceResponse resp;
    REQUIRE(resp.ParseFromString(r.body));
    REQUIRE(resp.job_id() == s(job_id(uint8_t(10 + j))));
    REQUIRE(resp.prove_ms() > 0);
    for (const auto& t : resp.public_outputs()) {
      std::vector<int64_t> v(t.values().begin(), t.values().end());
      REQUIRE(v == m.c.run.values[t.id()]);  // the model's output, recomputed by the miner
      b.tensors[t.id()] = v;
    }
    for (const auto& tc : resp.output_commitments()) {
      zks::util::ByteReader rd({reinterpret_cast<const uint8_t*>(tc.encoded().data()), tc.encoded().size()});
      auto cm = zks::pcs::Commitment::read(rd, kParams);
      REQUIRE(cm.ok());
      // The validator's own commitment of the boundary it computed is the miner's.
      auto own = c::boundary_commitment(m.man.model, tc.id(), m.c.run.values[tc.id()], kParams);
      REQUIRE(own.ok());
      REQUIRE(*own == *cm);
      b.commitments[tc.id()] = *cm;
    }
    b.proofs.emplace_back(resp.proof().begin(), resp.proof().end());
    b.bindings.push_back({job_id(uint8_t(10 + j)), miner.keypair.public_key().bytes()});
  }
  auto fp = c::check_sealed(m.man, kParams);
  REQUIRE(fp.ok());
  auto verified = c::verify_bundle(m.man, m.hash, b, kParams, nullptr, &*fp);
  INFO(verified.error());
  REQUIRE(verified.ok());
  // The proofs are bound to the miner and the job (rule 11).
  auto stolen = b;
  stolen.bindings[0].prover = key(9).public_key().bytes();
  REQUIRE_FALSE(c::verify_bundle(m.man, m.hash, stolen, kParams, nullptr).ok());
  auto other_job = b;
  other_job.bindings[1].job_id = job_id(99);
  REQUIRE_FALSE(c::verify_bundle(m.man, m.hash, other_job, kParams, nullptr).ok());

  SECTION("bad requests get clear statuses") {
    auto bad_slice = prove_body(m, 0, job_id(2));
    pb::ProveSliceRequest r;
    REQUIRE(r.ParseFromString(bad_slice));
    r.set_slice(7);
    REQUIRE(client.call(rpc::method::kMinerProveSlice, r.SerializeAsString(), 30s).status.error_code() ==
            StatusCode::INVALID_ARGUMENT);
    REQUIRE(r.ParseFromString(bad_slice));
    r.mutable_inputs(0)->mutable_values()->RemoveLast();
    REQUIRE(client.call(rpc::method::kMinerProveSlice, r.SerializeAsString(), 30s).status.error_code() ==
            StatusCode::INVALID_ARGUMENT);
    REQUIRE(r.ParseFromString(bad_slice));
    r.set_job_id("short");
    REQUIRE(client.call(rpc::method::kMinerProveSlice, r.SerializeAsString(), 30s).status.error_code() ==
            StatusCode::INVALID_ARGUMENT);
    REQUIRE(r.ParseFromString(bad_slice));
    r.set_protocol_version(2);
    REQUIRE(client.call(rpc::method::kMinerProveSlice, r.SerializeAsString(), 30s).status.error_code() ==
            StatusCode::INVALID_ARGUMENT);
    // An artifact whose bytes are not its hash is refused.
    pb::PushArtifactRequest pa;
    pa.set_protocol_version(rpc::kProtocolVersion);
    pa.set_hash(s(job_id(3)));
    pa.set_manifest(m.bytes);
    REQUIRE(client.call(rpc::method::kMinerPushArtifact, pa.SerializeAsString(), 30s).status.error_code() ==
            StatusCode::INVALID_ARGUMENT);
  }
  miner.proc->stop();
}

namespace {

// The validator's side of an artifact fetch, served for real through common/rpc:
// Validator.GetModel answering with `served`.
struct ModelServer {
  crypto::Keypair keypair = key(5);
  crypto::MemoryNonceStore nonces;
  crypto::EnvelopeVerifier verifier{keypair.public_key(), {}, nonces};
  rpc::SignedService service{keypair, verifier};
  std::unique_ptr<grpc::Server> server;
  std::string addr;
  std::string served;

  ModelServer() {
    service.handle(rpc::method::kValidatorGetModel, [this](rpc::Call, rpc::Responder respond) {
      pb::GetModelResponse r;
      r.set_protocol_version(rpc::kProtocolVersion);
      r.set_manifest(served);
      respond(grpc::Status::OK, r.SerializeAsString());
    });
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterCallbackGenericService(&service);
    server = b.BuildAndStart();
    REQUIRE(port != 0);
    addr = "127.0.0.1:" + std::to_string(port);
  }
  ~ModelServer() { server->Shutdown(); }
};

}  // namespace

TEST_CASE("miner: an uncached artifact is fetched from the calling validator, its hash checked", "[miner]") {
  TempDir dir;
  Miner miner(dir);
  ModelServer validator;
  rpc::SignedClient client(miner.addr, validator.keypair, miner.keypair.public_key());
  Model m = make_model("1l_relu", 1);
  Model other = make_model("1l_sigmoid", 1);
  pb::ProveSliceRequest req;
  REQUIRE(req.ParseFromString(prove_body(m, 0, job_id(40))));
  req.set_artifact_endpoint(validator.addr);
  // The validator serves the wrong bytes: refused, nothing cached.
  validator.served = other.bytes;
  auto bad = client.call(rpc::method::kMinerProveSlice, req.SerializeAsString(), 60s);
  REQUIRE(bad.status.error_code() == StatusCode::FAILED_PRECONDITION);
  REQUIRE_THAT(bad.status.error_message(), Catch::Contains("content hash"));
  REQUIRE(get_info(client).cached_artifacts_size() == 0);
  // The right bytes: fetched, cached, proved.
  validator.served = m.bytes;
  auto good = client.call(rpc::method::kMinerProveSlice, req.SerializeAsString(), 60s);
  INFO(good.status.error_message());
  REQUIRE(good.status.ok());
  auto info = get_info(client);
  REQUIRE(info.cached_artifacts_size() == 1);
  REQUIRE(info.cached_artifacts(0) == s(m.hash));
  miner.proc->stop();
}

TEST_CASE("miner: deadlines, a full queue and SIGTERM during a job", "[miner]") {
  TempDir dir;
  Model m = make_model("age", 1);  // one slice of about 2 s: long enough to fill the queue
  auto client_key = key(2);
  {
    Miner miner(dir, {"--workers", "1", "--queue", "1"});
    rpc::SignedClient client(miner.addr, client_key, miner.keypair.public_key());
    push(client, m);
    // Four jobs at once: one runs, one waits, the others find the queue full.
    std::vector<std::future<rpc::Response>> calls;
    for (int i = 0; i < 4; ++i)
      calls.push_back(std::async(std::launch::async, [&, i] {
        return client.call(rpc::method::kMinerProveSlice, prove_body(m, 0, job_id(uint8_t(20 + i))), 120s);
      }));
    int ok = 0, full = 0;
    for (auto& f : calls) {
      auto r = f.get();
      INFO(r.status.error_message());
      if (r.status.ok()) ++ok;
      else if (r.status.error_code() == StatusCode::RESOURCE_EXHAUSTED) ++full;
      else FAIL("unexpected status " << int(r.status.error_code()) << ": " << r.status.error_message());
    }
    REQUIRE(ok >= 1);
    REQUIRE(full >= 1);
    REQUIRE(ok + full == 4);

    // A job whose deadline passes while it waits behind a running one. "Running" is
    // only this job once the miner was idle first and its queue is empty again.
    auto wait_for = [&](auto pred) {
      for (int i = 0; i < 1000; ++i) {
        if (pred(get_info(client))) return true;
        std::this_thread::sleep_for(10ms);
      }
      return false;
    };
    auto idle = [](const pb::GetInfoResponse& i) { return i.in_flight() == 0 && i.queue_depth() == 0; };
    auto one_running = [](const pb::GetInfoResponse& i) { return i.in_flight() == 1 && i.queue_depth() == 0; };
    REQUIRE(wait_for(idle));
    auto running = std::async(std::launch::async, [&] {
      return client.call(rpc::method::kMinerProveSlice, prove_body(m, 0, job_id(30)), 120s);
    });
    REQUIRE(wait_for(one_running));
    auto late = client.call(rpc::method::kMinerProveSlice, prove_body(m, 0, job_id(31)), 300ms);
    REQUIRE(late.status.error_code() == StatusCode::DEADLINE_EXCEEDED);
    REQUIRE(running.get().status.ok());

    // SIGTERM while a job runs: the job finishes and is answered, the miner exits 0.
    // First let the expired job leave the queue, so "in flight" below is this job.
    REQUIRE(wait_for(idle));
    auto during = std::async(std::launch::async, [&] {
      return client.call(rpc::method::kMinerProveSlice, prove_body(m, 0, job_id(32)), 120s);
    });
    REQUIRE(wait_for(one_running));
    miner.proc->signal(SIGTERM);
    auto r = during.get();
    INFO(r.status.error_message());
    REQUIRE(r.status.ok());
    REQUIRE(miner.proc->wait_exit() == 0);
  }
  // The data dir's lock was released: the miner starts again on it, the artifact cached.
  Miner again(dir);
  rpc::SignedClient client(again.addr, client_key, again.keypair.public_key());
  REQUIRE(get_info(client).cached_artifacts_size() == 1);
  // A second miner on the same data dir is refused (exit 1), naming the lock.
  {
    std::filesystem::create_directories(dir.path / "second");
    Process second(ZKS_MINER_BIN, {"--listen", "127.0.0.1:0", "--key", dir / "miner.key", "--data-dir", dir / "miner-data"},
                   dir / "second.log");
    REQUIRE(second.wait_exit() == 1);
    std::ifstream log(dir / "second.log");
    std::string text((std::istreambuf_iterator<char>(log)), {});
    REQUIRE_THAT(text, Catch::Contains("in use"));
  }
  again.proc->stop();
}

TEST_CASE("miner: config file options, flags winning, unknown keys refused", "[miner]") {
  TempDir dir;
  REQUIRE(crypto::save_key(dir / "miner.key", key(1), false).ok());
  {
    std::ofstream f(dir / "miner.toml");
    f << "listen = \"127.0.0.1:0\"\nkey = \"" << (dir / "miner.key") << "\"\ndata-dir = \"" << (dir / "data")
      << "\"\nqueue = 3\nworkers = 2\n";
  }
  {
    Process p(ZKS_MINER_BIN, {"--config", dir / "miner.toml", "--queue", "5", "--ready-file", dir / "ready"}, dir / "log");
    std::string addr = p.wait_ready(dir / "ready");
    auto client_key = key(2);
    rpc::SignedClient client(addr, client_key, key(1).public_key());
    auto info = get_info(client);
    REQUIRE(info.workers() == 2);
    REQUIRE(info.queue_capacity() == 5);
    p.stop();
  }
  {
    std::ofstream f(dir / "bad.toml");
    f << "listen = \"127.0.0.1:0\"\nqueueue = 3\n";
  }
  Process bad(ZKS_MINER_BIN, {"--config", dir / "bad.toml"}, dir / "bad.log");
  REQUIRE(bad.wait_exit() == 2);
  Process nokey(ZKS_MINER_BIN, {"--listen", "127.0.0.1:0", "--data-dir", dir / "d2"}, dir / "nokey.log");
  REQUIRE(nokey.wait_exit() == 1);
}

TEST_CASE("miner: every bad envelope is refused with its status", "[miner]") {
  TempDir dir;
  auto c1 = key(2), c3 = key(3), stranger = key(4);
  std::vector<std::string> args{"--allow", c1.public_key().to_string(), "--allow", c3.public_key().to_string(),
                                "--rate", "0.5", "--burst", "4", "--max-message-mb", "1"};
  auto miner = std::make_unique<Miner>(dir, args);
  rpc::SignedClient client(miner->addr, c1, miner->keypair.public_key());
  const auto method = rpc::method::kMinerGetInfo;
  const std::string body = get_info_body();
  auto send = [&](const crypto::Envelope& env, const std::string& b) {
    return client.call_raw(method, b, crypto::encode_metadata(env), 10s).status.error_code();
  };
  REQUIRE(client.call(method, body, 10s).status.ok());

  SECTION("no signature") {
    auto md = crypto::encode_metadata(client.sign(method, body));
    md.pop_back();  // zks-sig
    REQUIRE(client.call_raw(method, body, md, 10s).status.error_code() == StatusCode::UNAUTHENTICATED);
  }
  SECTION("empty signature") {
    auto env = client.sign(method, body);
    env.signature.clear();
    REQUIRE(send(env, body) == StatusCode::UNAUTHENTICATED);
  }
  SECTION("signed with another key") {
    auto env = client.sign(method, body);
    env.signature = stranger.sign(crypto::signing_message(env, nullptr));
    REQUIRE(send(env, body) == StatusCode::UNAUTHENTICATED);
  }
  SECTION("body changed after signing") {
    auto env = client.sign(method, body);
    pb::GetInfoRequest other;
    other.set_protocol_version(rpc::kProtocolVersion + 1);
    REQUIRE(send(env, other.SerializeAsString()) == StatusCode::UNAUTHENTICATED);
  }
  SECTION("addressed to another node") {
    rpc::SignedClient misaddressed(miner->addr, c1, stranger.public_key());
    REQUIRE(misaddressed.call(method, body, 10s).status.error_code() == StatusCode::UNAUTHENTICATED);
  }
  SECTION("stale nonce") {
    auto env = crypto::sign_request(c1, miner->keypair.public_key(), method, crypto::wall_clock_ns() - 120'000'000'000ull,
                                    "stale-uuid", {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
    REQUIRE(send(env, body) == StatusCode::UNAUTHENTICATED);
  }
  SECTION("replayed nonce, also after a restart") {
    auto env = client.sign(method, body);
    REQUIRE(send(env, body) == StatusCode::OK);
    REQUIRE(send(env, body) == StatusCode::UNAUTHENTICATED);
    miner->proc->stop();
    miner.reset();
    miner = std::make_unique<Miner>(dir, args);
    rpc::SignedClient after(miner->addr, c1, miner->keypair.public_key());
    REQUIRE(after.call_raw(method, body, crypto::encode_metadata(env), 10s).status.error_code() ==
            StatusCode::UNAUTHENTICATED);
    REQUIRE(after.call(method, body, 10s).status.ok());
  }
  SECTION("unknown sender") {
    rpc::SignedClient unknown(miner->addr, stranger, miner->keypair.public_key());
    REQUIRE(unknown.call(method, body, 10s).status.error_code() == StatusCode::PERMISSION_DENIED);
  }
  SECTION("over the rate limit") {
    rpc::SignedClient fast(miner->addr, c3, miner->keypair.public_key());
    int limited = 0;
    for (int i = 0; i < 8; ++i) limited += fast.call(method, body, 10s).status.error_code() == StatusCode::RESOURCE_EXHAUSTED;
    REQUIRE(limited >= 3);  // a burst of 4 at 0.5/s: at most 5 of 8 pass
  }
  SECTION("oversized message") {
    std::string big(2u << 20, 'x');
    REQUIRE(client.call(method, big, 10s).status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
  }
  SECTION("garbage bytes") {
    std::string garbage = "\xff\xff\xff\xff garbage";
    REQUIRE(client.call(method, garbage, 10s).status.error_code() == StatusCode::INVALID_ARGUMENT);
    auto md = crypto::encode_metadata(client.sign(method, body));
    md[2].second = "not-a-nonce";
    REQUIRE(client.call_raw(method, body, md, 10s).status.error_code() == StatusCode::INVALID_ARGUMENT);
  }
  if (miner) miner->proc->stop();
}
