// zkslice-validator as a real process with real miners on 127.0.0.1: answers that
// verify offline and weights that rank an honest fast, an honest slow and a cheating
// miner; clear errors for bad requests; registration; and crash safety under kill -9.
#include <catch2/catch.hpp>
#include <atomic>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "circuits/slice/bundle.hpp"
#include "integration/subnet.hpp"
#include "store/store.hpp"
#include "validator/scoring.hpp"
#include "zkslice/v1/validator.pb.h"

namespace c = zks::circuits;
namespace crypto = zks::crypto;
namespace pb = zkslice::v1;
namespace rpc = zks::rpc;
using namespace std::chrono_literals;
using grpc::StatusCode;
using zks::test::key;
using zks::test::make_model;
using zks::test::Miner;
using zks::test::Model;
using zks::test::Process;
using zks::test::TempDir;

namespace {

const zks::pcs::Params kParams = zks::pcs::Params::standard();

struct Validator {
  crypto::Keypair keypair = key(50);
  std::unique_ptr<Process> proc;
  std::string addr;

  Validator(const TempDir& dir, std::vector<std::string> extra) {
    if (!std::filesystem::exists(dir / "validator.key")) REQUIRE(crypto::save_key(dir / "validator.key", keypair, false).ok());
    std::filesystem::remove(dir / "validator.ready");
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--key", dir / "validator.key", "--data-dir",
                                  dir / "validator-data", "--ready-file", dir / "validator.ready"};
    if (std::find(extra.begin(), extra.end(), "--bench-idle-s") == extra.end()) args.insert(args.end(), {"--bench-idle-s", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    proc = std::make_unique<Process>(ZKS_VALIDATOR_BIN, args, dir / "validator.log");
    addr = proc->wait_ready(dir / "validator.ready");
  }
};

std::string infer_body(const Model& m, uint32_t deadline_ms = 60000) {
  pb::InferRequest r;
  r.set_protocol_version(rpc::kProtocolVersion);
  r.set_model(zks::test::str(m.hash));
  r.set_deadline_ms(deadline_ms);
  for (int t : m.man.model.inputs) {
    auto* x = r.add_inputs();
    x->set_id(t);
    x->mutable_values()->Add(m.c.run.values[t].begin(), m.c.run.values[t].end());
  }
  return r.SerializeAsString();
}

template <typename Req, typename Resp>
Resp ask(rpc::SignedClient& client, std::string_view method) {
  Req req;
  req.set_protocol_version(rpc::kProtocolVersion);
  auto r = client.call(method, req.SerializeAsString(), 10s);
  INFO(r.status.error_message());
  REQUIRE(r.status.ok());
  Resp resp;
  REQUIRE(resp.ParseFromString(r.body));
  return resp;
}

std::map<std::string, double> weights_by_hotkey(rpc::SignedClient& client, uint64_t* epoch = nullptr) {
  auto w = ask<pb::GetWeightsRequest, pb::GetWeightsResponse>(client, rpc::method::kValidatorGetWeights);
  auto l = ask<pb::ListMinersRequest, pb::ListMinersResponse>(client, rpc::method::kValidatorListMiners);
  std::map<uint32_t, std::string> hk;
  for (const auto& m : l.miners()) hk[m.uid()] = m.hotkey();
  std::map<std::string, double> out;
  for (const auto& m : l.miners()) out[m.hotkey()] = 0;
  for (int i = 0; i < w.uids_size(); ++i) out[hk[w.uids(i)]] = w.weights(i);
  if (epoch) *epoch = w.epoch();
  return out;
}

}  // namespace

TEST_CASE("validator: answers verify offline, and weights rank fast over slow, the cheater gets 0 and a strike", "[validator]") {
  TempDir dir;
  Model m = make_model("4l_relu_conv_fc", 2);
  m.write_dir(dir / "model");
  Miner fast(dir, {}, 11, "fast");
  Miner slow(dir, {"--test-delay-ms", "600"}, 12, "slow");
  Miner cheat(dir, {"--test-corrupt-proofs"}, 13, "cheat");
  Validator v(dir, {"--model", dir / "model", "--miner", fast.entry(), "--miner", slow.entry(), "--miner", cheat.entry(),
                    "--k", "3", "--explore", "0", "--epoch-s", "0.3", "--latency-ref-ms", "100"});
  auto client_key = key(60);
  rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
  auto fp = c::check_sealed(m.man, kParams);
  REQUIRE(fp.ok());
  const int kRequests = 5;
  for (int i = 0; i < kRequests; ++i) {
    auto r = client.call(rpc::method::kValidatorInfer, infer_body(m), 60s);
    INFO(r.status.error_message());
    REQUIRE(r.status.ok());
    pb::InferResponse resp;
    REQUIRE(resp.ParseFromString(r.body));
    auto b = c::Bundle::read({reinterpret_cast<const uint8_t*>(resp.bundle().data()), resp.bundle().size()});
    REQUIRE(b.ok());
    auto valid = c::verify_bundle(m.man, m.hash, *b, kParams, nullptr, &*fp);
    INFO(valid.error());
    REQUIRE(valid.ok());
    for (int t : m.man.model.outputs) REQUIRE(b->tensors.at(t) == m.c.run.values[t]);
    for (const auto& s : resp.slices()) REQUIRE(s.miner() != cheat.keypair.public_key().to_string());
  }
  // The slow miner's answers arrive after each request is answered, and the cheater's
  // may (on a loaded machine): they are scored too. Wait (bounded) for an epoch that has
  // seen them all: the cheater's weight is 0 before its first answer is scored as well.
  std::map<std::string, double> w;
  const auto F = fast.keypair.public_key().to_string(), S = slow.keypair.public_key().to_string(),
             X = cheat.keypair.public_key().to_string();
  auto cheater_struck = [&] {
    auto l = ask<pb::ListMinersRequest, pb::ListMinersResponse>(client, rpc::method::kValidatorListMiners);
    for (const auto& e : l.miners())
      if (e.hotkey() == X) return e.strikes() >= 1;
    return false;
  };
  bool ranked = false;
  for (int i = 0; i < 100 && !ranked; ++i) {
    std::this_thread::sleep_for(100ms);
    w = weights_by_hotkey(client);
    ranked = w[F] > w[S] && w[S] > 0 && w[X] == 0 && cheater_struck();
  }
  INFO("fast " << w[F] << " slow " << w[S] << " cheat " << w[X]);
  REQUIRE(ranked);
  auto miners = ask<pb::ListMinersRequest, pb::ListMinersResponse>(client, rpc::method::kValidatorListMiners);
  for (const auto& e : miners.miners()) {
    if (e.hotkey() == X) REQUIRE(e.strikes() >= 1);
    else REQUIRE(e.strikes() == 0);
  }
  v.proc->stop();
}

TEST_CASE("validator: bad requests get clear errors, and registration works", "[validator]") {
  TempDir dir;
  Model m = make_model("1l_relu", 1);
  m.write_dir(dir / "model");
  auto client_key = key(60);
  SECTION("no miners") {
    Validator v(dir, {"--model", dir / "model"});
    rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
    auto r = client.call(rpc::method::kValidatorInfer, infer_body(m), 30s);
    REQUIRE(r.status.error_code() == StatusCode::UNAVAILABLE);
    REQUIRE_THAT(r.status.error_message(), Catch::Contains("no miners"));
    // A miner registers itself with a signed Register; then it is listed.
    auto mk = key(21);
    rpc::SignedClient as_miner(v.addr, mk, v.keypair.public_key());
    pb::RegisterRequest reg;
    reg.set_protocol_version(rpc::kProtocolVersion);
    reg.set_endpoint("127.0.0.1:1");
    auto rr = as_miner.call(rpc::method::kValidatorRegister, reg.SerializeAsString(), 10s);
    REQUIRE(rr.status.ok());
    auto l = ask<pb::ListMinersRequest, pb::ListMinersResponse>(client, rpc::method::kValidatorListMiners);
    REQUIRE(l.miners_size() == 1);
    REQUIRE(l.miners(0).hotkey() == mk.public_key().to_string());
    reg.set_endpoint("no-port");
    REQUIRE(as_miner.call(rpc::method::kValidatorRegister, reg.SerializeAsString(), 10s).status.error_code() ==
            StatusCode::INVALID_ARGUMENT);
    // That miner does not answer: every dispatch fails and the client hears why.
    auto down = client.call(rpc::method::kValidatorInfer, infer_body(m, 5000), 30s);
    REQUIRE(down.status.error_code() == StatusCode::UNAVAILABLE);
    REQUIRE_THAT(down.status.error_message(), Catch::Contains("every miner failed slice 0"));
    v.proc->stop();
  }
  SECTION("unknown model, wrong input size, expired deadline, every miner cheating") {
    Miner cheat(dir, {"--test-corrupt-proofs"}, 13, "cheat");
    Validator v(dir, {"--model", dir / "model", "--miner", cheat.entry()});
    rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
    pb::InferRequest r;
    REQUIRE(r.ParseFromString(infer_body(m)));
    r.set_model(std::string(32, 'x'));
    REQUIRE(client.call(rpc::method::kValidatorInfer, r.SerializeAsString(), 30s).status.error_code() == StatusCode::NOT_FOUND);
    REQUIRE(r.ParseFromString(infer_body(m)));
    r.mutable_inputs(0)->mutable_values()->RemoveLast();
    auto small = client.call(rpc::method::kValidatorInfer, r.SerializeAsString(), 30s);
    REQUIRE(small.status.error_code() == StatusCode::INVALID_ARGUMENT);
    REQUIRE_THAT(small.status.error_message(), Catch::Contains("values"));
    auto late = client.call(rpc::method::kValidatorInfer, infer_body(m, 1), 30s);
    REQUIRE(late.status.error_code() == StatusCode::DEADLINE_EXCEEDED);
    auto cheated = client.call(rpc::method::kValidatorInfer, infer_body(m), 30s);
    REQUIRE(cheated.status.error_code() == StatusCode::UNAVAILABLE);
    REQUIRE_THAT(cheated.status.error_message(), Catch::Contains("invalid"));
    auto l = ask<pb::ListMinersRequest, pb::ListMinersResponse>(client, rpc::method::kValidatorListMiners);
    REQUIRE(l.miners(0).strikes() >= 1);
    v.proc->stop();
  }
}

TEST_CASE("validator: clients get the verify-only manifest, registered miners the full one", "[validator]") {
  TempDir dir;
  Model m = make_model("1l_mlp", 1);
  m.write_dir(dir / "model");
  auto get_model = [&](rpc::SignedClient& who) {
    pb::GetModelRequest req;
    req.set_protocol_version(rpc::kProtocolVersion);
    req.set_model(zks::test::str(m.hash));
    auto r = who.call(rpc::method::kValidatorGetModel, req.SerializeAsString(), 10s);
    INFO(r.status.error_message());
    REQUIRE(r.status.ok());
    pb::GetModelResponse resp;
    REQUIRE(resp.ParseFromString(r.body));
    return resp.manifest();
  };
  auto miner_key = key(22);
  pb::RegisterRequest reg;
  reg.set_protocol_version(rpc::kProtocolVersion);
  reg.set_endpoint("127.0.0.1:1");
  {
    Validator v(dir, {"--model", dir / "model"});
    const auto client_key = key(61);  // (the client keeps a reference)
    rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
    const auto sent = get_model(client);
    auto man = zks::slicer::parse_manifest({reinterpret_cast<const uint8_t*>(sent.data()), sent.size()});
    REQUIRE(man.ok());
    REQUIRE(man->verify_only());
    REQUIRE(std::equal(m.hash.begin(), m.hash.end(), man->published_from.begin()));
    size_t withheld = 0;
    for (const auto& t : man->model.tensors) withheld += t.withheld && t.data.empty();
    REQUIRE(withheld == 2);  // the Gemm's weight and bias
    auto fp = zks::circuits::check_sealed(*man, kParams);
    REQUIRE(fp.ok());
    REQUIRE(std::equal(fp->begin(), fp->end(), m.man.fingerprint.begin()));
    // Registered, the same caller's key as a miner's gets the full manifest.
    rpc::SignedClient as_miner(v.addr, miner_key, v.keypair.public_key());
    REQUIRE(get_model(as_miner) != m.bytes);
    REQUIRE(as_miner.call(rpc::method::kValidatorRegister, reg.SerializeAsString(), 10s).status.ok());
    REQUIRE(get_model(as_miner) == m.bytes);
    REQUIRE(get_model(client) == sent);
    v.proc->stop();
  }
  {
    // --share-weights: the full one to everyone; --closed-registration: no new miners.
    Validator v(dir, {"--model", dir / "model", "--share-weights", "--closed-registration"});
    const auto client_key = key(62);
    rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
    REQUIRE(get_model(client) == m.bytes);
    auto r = client.call(rpc::method::kValidatorRegister, reg.SerializeAsString(), 10s);
    REQUIRE(r.status.error_code() == StatusCode::PERMISSION_DENIED);
    REQUIRE_THAT(r.status.error_message(), Catch::Contains("closed"));
    v.proc->stop();
  }
}

namespace {

// What a killed validator left in its data dir.
struct Persisted {
  std::set<std::string> requests;         // ids of finished requests in the audit log
  std::map<uint32_t, uint64_t> events;    // scored responses per uid in the audit log
  std::map<uint32_t, zks::validator::ScoreState> scores;
  uint64_t epoch = 0, last_weights_epoch = 0;
};

Persisted read_persisted(const std::string& dir) {
  auto st = zks::store::Store::open(dir, zks::store::all_column_families());
  INFO((st.ok() ? std::string() : st.error()));
  REQUIRE(st.ok());
  Persisted p;
  REQUIRE(st->for_each_prefix(zks::store::cf::kRequests, "", [&](std::string_view k, std::string_view v) {
    auto j = nlohmann::json::parse(v);
    if (k[0] == 'r') p.requests.insert(j.at("request").get<std::string>());
    else ++p.events[j.at("uid").get<uint32_t>()];
    return true;
  }).ok());
  REQUIRE(st->for_each_prefix(zks::store::cf::kScores, "", [&](std::string_view k, std::string_view v) {
    uint32_t uid = 0;
    for (unsigned char ch : k) uid = (uid << 8) | ch;
    p.scores[uid] = *zks::validator::ScoreState::from_json(std::string(v));
    return true;
  }).ok());
  auto e = st->get(zks::store::cf::kMeta, "epoch");
  REQUIRE(e.ok());
  if (e->has_value()) p.epoch = std::stoull(**e);
  REQUIRE(st->for_each_prefix(zks::store::cf::kWeights, "", [&](std::string_view k, std::string_view) {
    uint64_t ep = 0;
    for (unsigned char ch : k) ep = (ep << 8) | ch;
    p.last_weights_epoch = std::max(p.last_weights_epoch, ep);
    return true;
  }).ok());
  return p;
}

}  // namespace

TEST_CASE("validator: kill -9 at random points loses nothing acknowledged", "[validator]") {
  TempDir dir;
  Model m = make_model("1l_relu", 1);
  m.write_dir(dir / "model");
  Miner a(dir, {}, 11, "a"), b(dir, {}, 12, "b");
  const std::vector<std::string> args{"--model", dir / "model", "--miner", a.entry(), "--miner", b.entry(),
                                      "--k", "1", "--epoch-s", "0.2"};
  auto client_key = key(60);
  std::mt19937_64 rng(2026);
  std::set<std::string> acknowledged;
  uint64_t acked_epoch = 0;
  for (int round = 0; round < 6; ++round) {
    CAPTURE(round);
    Validator v(dir, args);
    rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
    // The last acknowledged Infer, to replay after the restart.
    std::string replay_body;
    crypto::Metadata replay_md;
    std::atomic<bool> stop{false}, malformed{false};
    std::thread load([&] {  // no Catch2 assertions on this thread
      for (int i = 0; i < 1000 && !stop; ++i) {
        std::string body = infer_body(m);
        auto md = crypto::encode_metadata(client.sign(rpc::method::kValidatorInfer, body));
        auto r = client.call_raw(rpc::method::kValidatorInfer, body, md, 10s);
        if (!r.status.ok()) break;  // killed
        pb::InferResponse resp;
        if (!resp.ParseFromString(r.body)) {
          malformed = true;
          break;
        }
        acknowledged.insert(resp.request_id());
        replay_body = body, replay_md = md;
        pb::GetWeightsRequest gw;
        gw.set_protocol_version(rpc::kProtocolVersion);
        auto w = client.call(rpc::method::kValidatorGetWeights, gw.SerializeAsString(), 10s);
        pb::GetWeightsResponse wr;
        if (w.status.ok() && wr.ParseFromString(w.body)) acked_epoch = std::max(acked_epoch, wr.epoch());
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 1300));
    v.proc->signal(SIGKILL);
    v.proc->wait_exit();
    stop = true;
    load.join();
    REQUIRE_FALSE(malformed);
    // Everything acknowledged is in the data dir, and scores agree with the audit log.
    auto p = read_persisted(dir / "validator-data/db");
    for (const auto& id : acknowledged) REQUIRE(p.requests.count(id) == 1);
    for (const auto& [uid, s] : p.scores) REQUIRE(s.valid + s.invalid + s.failed == p.events[uid]);
    REQUIRE(p.epoch == p.last_weights_epoch);
    REQUIRE(p.epoch >= acked_epoch);
    // After a restart: the same epoch onwards, and the acknowledged envelope is a replay.
    Validator again(dir, args);
    rpc::SignedClient after(again.addr, client_key, again.keypair.public_key());
    uint64_t ep = 0;
    (void)weights_by_hotkey(after, &ep);
    REQUIRE(ep >= p.epoch);
    if (!replay_body.empty())
      REQUIRE(after.call_raw(rpc::method::kValidatorInfer, replay_body, replay_md, 10s).status.error_code() ==
              StatusCode::UNAUTHENTICATED);
    again.proc->stop();
  }
  REQUIRE(acknowledged.size() >= 6);
}

TEST_CASE("validator: miners that register themselves are used, and the idle benchmark loop scores them", "[validator]") {
  TempDir dir;
  Model m = make_model("1l_relu", 1);
  m.write_dir(dir / "model");
  Validator v(dir, {"--model", dir / "model", "--bench-idle-s", "0.3", "--epoch-s", "0.3"});
  Miner a(dir, {"--register", v.addr, "--register-interval-s", "0.5"}, 11, "a");
  auto client_key = key(60);
  rpc::SignedClient client(v.addr, client_key, v.keypair.public_key());
  // No client request at all: the miner registers, the benchmark loop sends it fresh
  // random inputs, and its valid proofs give it a score and a weight.
  bool scored = false;
  for (int i = 0; i < 150 && !scored; ++i) {
    std::this_thread::sleep_for(100ms);
    auto l = ask<pb::ListMinersRequest, pb::ListMinersResponse>(client, rpc::method::kValidatorListMiners);
    scored = l.miners_size() == 1 && l.miners(0).hotkey() == a.keypair.public_key().to_string() && l.miners(0).score() > 0 &&
             weights_by_hotkey(client)[a.keypair.public_key().to_string()] > 0;
  }
  REQUIRE(scored);
  auto r = client.call(rpc::method::kValidatorInfer, infer_body(m), 60s);
  INFO(r.status.error_message());
  REQUIRE(r.status.ok());
  a.proc->stop();
  v.proc->stop();
}
