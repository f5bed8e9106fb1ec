// Envelope cost and ProveSlice overhead on loopback (issue 7).
//   BM_EnvelopeSignVerify: sign_request + the receiver's verify_request (in-memory
//     seen-set) for a body of the given size.
//   BM_ProveSliceOverhead: a ProveSlice round trip to an in-process miner on 127.0.0.1
//     proving 1l_relu; the counter overhead_ms is round trip minus the miner's
//     prove_ms (envelopes, serialization, queueing, gRPC).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "circuits/slice/fingerprint.hpp"
#include "crypto/key_file.hpp"
#include "miner/miner.hpp"
#include "model/io.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"
#include "rpc/rpc.hpp"
#include "util/assert.hpp"
#include "zkslice/v1/miner.pb.h"

namespace {

namespace crypto = zks::crypto;
namespace rpc = zks::rpc;
namespace pb = zkslice::v1;

crypto::Keypair key(uint8_t seed) {
  std::array<uint8_t, 32> s{};
  s[0] = seed;
  return crypto::Keypair::from_seed(s);
}

void BM_EnvelopeSignVerify(benchmark::State& state) {
  auto sender = key(1), receiver = key(2);
  crypto::MemoryNonceStore nonces;
  crypto::VerifierConfig cfg;
  cfg.rate_per_sec = 0;
  crypto::EnvelopeVerifier verifier(receiver.public_key(), cfg, nonces);
  crypto::NonceSource source;
  std::vector<uint8_t> body(size_t(state.range(0)), 7);
  for (auto _ : state) {
    auto env = crypto::sign_request(sender, receiver.public_key(), rpc::method::kMinerProveSlice, source.next(), "bench", body);
    auto v = verifier.verify_request(rpc::method::kMinerProveSlice, crypto::encode_metadata(env), body);
    ZK_ASSERT(v.ok());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EnvelopeSignVerify)->Arg(64)->Arg(64 << 10)->Arg(1 << 20)->Unit(benchmark::kMicrosecond);

void BM_ProveSliceOverhead(benchmark::State& state) {
  const std::string dir = std::string(ZKS_CORPUS_DIR) + "/1l_relu";
  auto in = zks::model::load_tensors_json(dir + "/input.json", "input");
  ZK_ASSERT(in.ok());
  zks::model::ImportOptions opts;
  for (size_t k = 0; k < in->names.size(); ++k) opts.input_shapes[in->names[k]] = in->tensors[k].shape;
  auto g = zks::model::import_onnx_file(dir + "/model.onnx", opts);
  ZK_ASSERT(g.ok());
  auto q = zks::model::quantize(*g, {in->tensors});
  ZK_ASSERT(q.ok());
  auto run = zks::model::run_int(*q, in->tensors);
  ZK_ASSERT(run.ok());
  zks::slicer::Manifest man{*q, {}, {}, {}, {}, {}, {}};
  man.slices = *zks::slicer::plan_slices(man.model, {1, 0, 0});
  ZK_ASSERT(zks::circuits::seal_manifest(man, zks::pcs::Params::standard()).ok());
  auto bytes = zks::slicer::serialize_manifest(man);
  auto hash = zks::slicer::manifest_hash(bytes);

  auto tmp = std::filesystem::temp_directory_path() / ("zks-bench-rpc-" + std::to_string(getpid()));
  std::filesystem::remove_all(tmp);
  std::filesystem::create_directories(tmp);
  auto miner_key = key(1), client_key = key(2);
  ZK_ASSERT(crypto::save_key(tmp / "miner.key", miner_key, true).ok());
  zks::miner::MinerConfig cfg;
  cfg.listen = "127.0.0.1:0";
  cfg.key_file = tmp / "miner.key";
  cfg.data_dir = tmp / "data";
  cfg.workers = 1;
  cfg.rate_per_sec = 0;
  auto node = zks::miner::MinerNode::start(cfg);
  ZK_ASSERT(node.ok());
  rpc::SignedClient client((*node)->address(), client_key, miner_key.public_key());
  pb::PushArtifactRequest push;
  push.set_protocol_version(rpc::kProtocolVersion);
  push.set_hash(std::string(hash.begin(), hash.end()));
  push.set_manifest(std::string(bytes.begin(), bytes.end()));
  ZK_ASSERT(client.call(rpc::method::kMinerPushArtifact, push.SerializeAsString(), std::chrono::seconds(10)).status.ok());
  pb::ProveSliceRequest req;
  req.set_protocol_version(rpc::kProtocolVersion);
  req.set_job_id(std::string(32, 'j'));
  req.set_artifact(std::string(hash.begin(), hash.end()));
  for (int t : man.slices[0].inputs) {
    auto* i = req.add_inputs();
    i->set_id(t);
    i->mutable_values()->Add(run->values[t].begin(), run->values[t].end());
  }
  const std::string body = req.SerializeAsString();
  double overhead = 0, prove = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = client.call(rpc::method::kMinerProveSlice, body, std::chrono::seconds(30));
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ZK_ASSERT(r.status.ok());
    pb::ProveSliceResponse resp;
    ZK_ASSERT(resp.ParseFromString(r.body));
    overhead += ms - resp.prove_ms();
    prove += resp.prove_ms();
  }
  state.counters["overhead_ms"] = overhead / double(state.iterations());
  state.counters["prove_ms"] = prove / double(state.iterations());
  (*node)->shutdown();
  std::filesystem::remove_all(tmp);
}
BENCHMARK(BM_ProveSliceOverhead)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
