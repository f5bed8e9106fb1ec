#include "miner/miner.hpp"

#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <optional>
#include <mutex>
#include <thread>


#include "backend/backend.hpp"
#include "pcs/basefold.hpp"
#include "sumcheck/sumcheck.hpp"
#include "circuits/slice/bundle.hpp"
#include "crypto/key_file.hpp"
#include "miner/artifacts.hpp"
#include "metrics/metrics.hpp"
#include "miner/job_queue.hpp"
#include "pcs/params.hpp"
#include "rpc/rpc.hpp"
#include "store/nonce_store.hpp"
#include "store/store.hpp"
#include "util/log.hpp"
#include "util/thread_pool.hpp"
#include "zkslice/v1/miner.pb.h"
#include "zkslice/v1/validator.pb.h"

namespace zks::miner {

namespace {

using grpc::Status;
using grpc::StatusCode;
namespace pb = zkslice::v1;

constexpr const char* kVersion = "0.1.0";

Status error(StatusCode code, const std::string& what) { return Status(code, what); }


// Answers a call with a message or a status.
template <typename Msg>
void reply(const rpc::Responder& respond, const Msg& m) {
  respond(Status::OK, m.SerializeAsString());
}

Result<hash::Digest> digest_of(const std::string& bytes, const char* what) {
  if (bytes.size() != 32) return make_error(std::string(what) + " must be 32 bytes, got " + std::to_string(bytes.size()));
  hash::Digest d;
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

}  // namespace

struct MinerNode::Impl {
  MinerConfig config;
  std::optional<crypto::Keypair> key;
  std::optional<store::Store> store;
  std::unique_ptr<store::RocksNonceStore> nonces;
  std::unique_ptr<crypto::EnvelopeVerifier> verifier;
  std::unique_ptr<ArtifactCache> artifacts;
  std::unique_ptr<JobQueue> jobs;
  std::unique_ptr<metrics::Metrics> metrics;
  std::unique_ptr<rpc::SignedService> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  std::string backend_name = "cpu";
  bool stopped = false;
  std::mutex reg_mu;
  std::condition_variable reg_cv;
  bool reg_stop = false;
  std::thread reg_thread, gpu_thread;

  void register_loop();
  // GPU utilisation and memory in use, every 5 s while a GPU is present.
  void gpu_loop() {
    std::unique_lock<std::mutex> lock(reg_mu);
    while (!reg_stop) {
      for (const auto& g : backend::gpus())
        if (auto u = backend::gpu_usage(g.index)) {
          const metrics::Labels l{{"gpu", std::to_string(g.index) + " " + g.name}};
          metrics->set("zks_gpu_utilization_ratio", l, u->utilization);
          metrics->set("zks_gpu_memory_used_bytes", l, double(u->memory_used_bytes));
        }
      reg_cv.wait_for(lock, std::chrono::seconds(5), [this] { return reg_stop; });
    }
  }
  void count(const char* outcome) { metrics->inc("zks_miner_jobs_total", {{"outcome", outcome}}); }
  // Counters kept by the proving libraries, carried to the metrics after each job (and
  // once at start-up, so the series exist before the first job).
  std::mutex library_mu;
  pcs::CommitCacheStats cache_seen;
  size_t fallbacks_seen = 0;
  void sync_library_counters() {
    const auto cache = pcs::commit_cache_stats();
    const size_t fallbacks = backend::Gpu::failures();
    std::lock_guard<std::mutex> lock(library_mu);
    metrics->inc("zks_miner_weight_cache_total", {{"result", "hit"}}, double(cache.hits - cache_seen.hits));
    metrics->inc("zks_miner_weight_cache_total", {{"result", "miss"}}, double(cache.misses - cache_seen.misses));
    metrics->set("zks_miner_weight_cache_bytes", {}, double(cache.bytes));
    metrics->inc("zks_gpu_fallbacks_total", {}, double(fallbacks - fallbacks_seen));
    cache_seen = cache;
    fallbacks_seen = fallbacks;
  }

  void get_info(rpc::Call call, rpc::Responder respond);
  void prove_slice(rpc::Call call, rpc::Responder respond);
  void push_artifact(rpc::Call call, rpc::Responder respond);
  Result<std::shared_ptr<const Artifact>> fetch_artifact(const hash::Digest& h, const std::string& endpoint,
                                                                 const crypto::PublicKey& validator);
};

void MinerNode::Impl::get_info(rpc::Call call, rpc::Responder respond) {
  auto req = rpc::parse_request<pb::GetInfoRequest>(call);
  if (!req.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, req.error()), {});
  pb::GetInfoResponse r;
  r.set_protocol_version(rpc::kProtocolVersion);
  r.set_hotkey(key->public_key().to_string());
  r.set_version(kVersion);
  r.add_backends("cpu");
  for (const auto& g : backend::gpus()) {
    auto* gi = r.add_gpus();
    gi->set_name(g.name);
    gi->set_memory_bytes(g.memory_bytes);
  }
  if (pcs::gpu_commitments() || sumcheck::gpu_sumchecks()) r.add_backends("cuda");
  r.set_workers(uint32_t(jobs->workers()));
  r.set_queue_capacity(uint32_t(jobs->capacity()));
  r.set_queue_depth(uint32_t(jobs->depth()));
  r.set_in_flight(uint32_t(jobs->in_flight()));
  for (const auto& h : artifacts->list()) r.add_cached_artifacts(std::string(h.begin(), h.end()));
  reply(respond, r);
}

void MinerNode::Impl::push_artifact(rpc::Call call, rpc::Responder respond) {
  auto req = rpc::parse_request<pb::PushArtifactRequest>(call);
  if (!req.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, req.error()), {});
  auto h = digest_of(req->hash(), "hash");
  if (!h.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, h.error()), {});
  auto added = artifacts->put(*h, req->manifest());
  if (!added.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, added.error()), {});
  ZKS_LOG_INFO("miner", "artifact {} {}", util::to_hex(*h).substr(0, 16), *added ? "cached" : "already cached");
  pb::PushArtifactResponse r;
  r.set_protocol_version(rpc::kProtocolVersion);
  r.set_already_cached(!*added);
  reply(respond, r);
}

// The slice's inputs from the request, checked against the manifest.
static Result<std::vector<std::vector<int64_t>>> slice_inputs(const slicer::Manifest& m, const pb::ProveSliceRequest& req) {
  if (req.slice() >= m.slices.size())
    return make_error("slice " + std::to_string(req.slice()) + " does not exist (the model has " +
                      std::to_string(m.slices.size()) + ")");
  const auto& s = m.slices[req.slice()];
  if (size_t(req.inputs_size()) != s.inputs.size())
    return make_error("slice " + std::to_string(req.slice()) + " has " + std::to_string(s.inputs.size()) + " inputs, got " +
                      std::to_string(req.inputs_size()));
  std::vector<std::vector<int64_t>> inputs;
  for (size_t i = 0; i < s.inputs.size(); ++i) {
    const auto& t = req.inputs(int(i));
    if (t.id() != s.inputs[i])
      return make_error("input " + std::to_string(i) + " is tensor " + std::to_string(t.id()) + ", expected " +
                        std::to_string(s.inputs[i]));
    inputs.emplace_back(t.values().begin(), t.values().end());
  }
  return inputs;
}

Result<std::shared_ptr<const Artifact>> MinerNode::Impl::fetch_artifact(const hash::Digest& h, const std::string& endpoint,
                                                                        const crypto::PublicKey& validator) {
  ZKS_LOG_INFO("miner", "fetching artifact {} from {}", util::to_hex(h).substr(0, 16), endpoint);
  rpc::SignedClient client(endpoint, *key, validator, config.max_message_mb << 20);
  pb::GetModelRequest req;
  req.set_protocol_version(rpc::kProtocolVersion);
  req.set_model(std::string(h.begin(), h.end()));
  auto r = client.call(rpc::method::kValidatorGetModel, req.SerializeAsString(), std::chrono::seconds(60));
  if (!r.status.ok()) return make_error("fetching the artifact from " + endpoint + " failed: " + r.status.error_message());
  pb::GetModelResponse resp;
  if (!resp.ParseFromString(r.body)) return make_error("the artifact from " + endpoint + " is not a GetModelResponse");
  auto added = artifacts->put(h, resp.manifest());
  if (!added.ok()) return make_error("the artifact from " + endpoint + " is refused: " + added.error());
  return artifacts->get(h);
}

void MinerNode::Impl::prove_slice(rpc::Call call, rpc::Responder answer) {
  // Every answer is counted by its outcome.
  rpc::Responder respond = [this, answer](const grpc::Status& st, std::string body) {
    switch (st.error_code()) {
      case StatusCode::OK: count("ok"); break;
      case StatusCode::DEADLINE_EXCEEDED: count("deadline"); break;
      case StatusCode::RESOURCE_EXHAUSTED: count("full"); break;
      case StatusCode::UNAVAILABLE: count("unavailable"); break;
      case StatusCode::INVALID_ARGUMENT:
      case StatusCode::FAILED_PRECONDITION: count("bad_request"); break;
      default: count("failed");
    }
    answer(st, std::move(body));
  };
  auto req = rpc::parse_request<pb::ProveSliceRequest>(call);
  if (!req.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, req.error()), {});
  auto job_id = digest_of(req->job_id(), "job_id");
  if (!job_id.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, job_id.error()), {});
  auto art = digest_of(req->artifact(), "artifact");
  if (!art.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, art.error()), {});
  // A cached artifact and the inputs are checked here, at once; one to fetch is fetched
  // and checked by the worker (never block a gRPC thread on an outgoing call).
  auto cached = artifacts->get(*art);
  if (!cached.ok() && req->artifact_endpoint().empty())
    return respond(error(StatusCode::FAILED_PRECONDITION, cached.error()), {});
  std::shared_ptr<const Artifact> artifact = cached.ok() ? *cached : nullptr;
  std::optional<std::vector<std::vector<int64_t>>> inputs;
  if (artifact) {
    auto in = slice_inputs(*artifact->manifest, *req);
    if (!in.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, in.error()), {});
    inputs = std::move(in).value();
  }
  if (std::chrono::system_clock::now() >= call.deadline)
    return respond(error(StatusCode::DEADLINE_EXCEEDED, "the deadline passed before the job was queued"), {});
  const auto deadline = call.deadline;
  const circuits::ProofBinding binding{*job_id, key->public_key().bytes()};
  JobQueue::Job job;
  job.priority = req->priority();
  job.run = [this, respond, deadline, binding, artifact, inputs = std::move(inputs), model = *art,
             req = std::move(req).value(), validator = call.envelope.sender](double queue_ms) mutable {
    if (std::chrono::system_clock::now() >= deadline)
      return respond(error(StatusCode::DEADLINE_EXCEEDED, "the deadline passed while the job waited"), {});
    if (!artifact) {
      auto fetched = fetch_artifact(model, req.artifact_endpoint(), validator);
      if (!fetched.ok()) return respond(error(StatusCode::FAILED_PRECONDITION, fetched.error()), {});
      artifact = *fetched;
      auto in = slice_inputs(*artifact->manifest, req);
      if (!in.ok()) return respond(error(StatusCode::INVALID_ARGUMENT, in.error()), {});
      inputs = std::move(in).value();
    }
    const uint32_t slice = req.slice();
    const metrics::Labels labels{{"model", util::to_hex(model).substr(0, 16)},
                                 {"slice", std::to_string(slice)}};
    metrics->observe("zks_miner_queue_seconds", labels, queue_ms / 1000);
    auto t0 = std::chrono::steady_clock::now();
    ZKS_LOG_INFO("miner", "proving slice {} (job {}), waited {:.1f} ms", slice, util::to_hex(binding.job_id).substr(0, 12), queue_ms);
    auto proved = circuits::prove_slice_job(artifact->sealed, slice, *inputs, pcs::Params::standard(), binding);
    double prove_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    metrics->observe("zks_miner_prove_seconds", labels, prove_ms / 1000);
    sync_library_counters();
    if (!proved.ok()) {
      ZKS_LOG_WARN("miner", "slice {} failed: {}", slice, proved.error());
      return respond(error(StatusCode::INVALID_ARGUMENT, proved.error()), {});
    }
    if (std::chrono::system_clock::now() >= deadline)
      return respond(error(StatusCode::DEADLINE_EXCEEDED, "the deadline passed while proving"), {});
    ZKS_LOG_INFO("miner", "slice {} proved in {:.1f} ms, {} bytes", slice, prove_ms, proved->proof.size());
    if (config.test_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(config.test_delay_ms));
    if (config.test_corrupt_proofs && !proved->proof.empty()) proved->proof[proved->proof.size() / 2] ^= 0x5a;
    pb::ProveSliceResponse r;
    r.set_protocol_version(rpc::kProtocolVersion);
    r.set_job_id(std::string(binding.job_id.begin(), binding.job_id.end()));
    r.set_proof(std::string(proved->proof.begin(), proved->proof.end()));
    for (const auto& [id, v] : proved->public_outputs) {
      auto* t = r.add_public_outputs();
      t->set_id(id);
      t->mutable_values()->Add(v.begin(), v.end());
    }
    for (const auto& [id, c] : proved->output_commitments) {
      util::ByteWriter w;
      c.write(w);
      auto* tc = r.add_output_commitments();
      tc->set_id(id);
      tc->set_encoded(std::string(w.bytes().begin(), w.bytes().end()));
    }
    r.set_queue_ms(queue_ms);
    r.set_prove_ms(prove_ms);
    r.set_backend(backend_name);
    reply(respond, r);
  };
  job.dropped = [respond] { respond(error(StatusCode::UNAVAILABLE, "the miner is shutting down"), {}); };
  switch (jobs->push(std::move(job))) {
    case JobQueue::Push::Queued: return;
    case JobQueue::Push::Full:
      return respond(error(StatusCode::RESOURCE_EXHAUSTED, "the job queue is full (" + std::to_string(jobs->capacity()) + " waiting)"), {});
    case JobQueue::Push::Stopped: return respond(error(StatusCode::UNAVAILABLE, "the miner is shutting down"), {});
  }
}

// Announces this miner to a validator, again every interval (a heartbeat: the
// validator's last_seen). The validator's hotkey is learnt from its signed answer to a
// ListMiners addressed to "whoever answers".
void MinerNode::Impl::register_loop() {
  const std::string endpoint = config.advertise.empty() ? address : config.advertise;
  std::unique_lock<std::mutex> lock(reg_mu);
  while (!reg_stop) {
    lock.unlock();
    rpc::SignedClient anyone(config.register_with, *key, crypto::PublicKey{});
    pb::ListMinersRequest lm;
    lm.set_protocol_version(rpc::kProtocolVersion);
    auto who = anyone.call(rpc::method::kValidatorListMiners, lm.SerializeAsString(), std::chrono::seconds(10));
    if (!who.status.ok()) {
      ZKS_LOG_WARN("miner", "validator {} unreachable: {}", config.register_with, who.status.error_message());
    } else {
      rpc::SignedClient validator(config.register_with, *key, who.signer);
      pb::RegisterRequest reg;
      reg.set_protocol_version(rpc::kProtocolVersion);
      reg.set_endpoint(endpoint);
      auto r = validator.call(rpc::method::kValidatorRegister, reg.SerializeAsString(), std::chrono::seconds(10));
      pb::RegisterResponse rr;
      if (r.status.ok() && rr.ParseFromString(r.body))
        ZKS_LOG_INFO("miner", "registered with {} as uid {} ({})", config.register_with, rr.uid(), endpoint);
      else
        ZKS_LOG_WARN("miner", "registering with {} failed: {}", config.register_with, r.status.error_message());
    }
    lock.lock();
    reg_cv.wait_for(lock, std::chrono::milliseconds(int64_t(config.register_interval_s * 1000)), [this] { return reg_stop; });
  }
}

MinerNode::MinerNode(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
MinerNode::~MinerNode() { shutdown(); }
const std::string& MinerNode::address() const { return m_impl->address; }
const crypto::PublicKey& MinerNode::hotkey() const { return m_impl->key->public_key(); }
const std::string& MinerNode::metrics_address() const { return m_impl->metrics->address(); }

Result<std::unique_ptr<MinerNode>> MinerNode::start(const MinerConfig& cfg) {
  auto impl = std::make_unique<Impl>();
  impl->config = cfg;
  // 1. Identity.
  if (cfg.key_file.empty()) return make_error("no key file (--key); create one with `zkslice keygen --out FILE`");
  auto key = crypto::load_key(cfg.key_file);
  if (!key.ok()) return make_error(key.error());
  impl->key.emplace(std::move(key).value());
  ZKS_LOG_INFO("miner", "hotkey {}", impl->key->public_key().to_string());
  // 2. Data dir (RocksDB takes its lock: a second miner on the same dir is refused).
  auto st = store::Store::open(std::filesystem::path(cfg.data_dir) / "db", store::all_column_families());
  if (!st.ok()) return make_error(st.error());
  impl->store.emplace(std::move(st).value());
  impl->nonces = std::make_unique<store::RocksNonceStore>(*impl->store);
  crypto::VerifierConfig vc;
  vc.freshness_window = std::chrono::nanoseconds(int64_t(cfg.freshness_s * 1e9));
  vc.allow_list = cfg.allow;
  vc.rate_per_sec = cfg.rate_per_sec;
  vc.burst = cfg.burst;
  impl->verifier = std::make_unique<crypto::EnvelopeVerifier>(impl->key->public_key(), vc, *impl->nonces);
  // 3. Artifacts.
  impl->artifacts = std::make_unique<ArtifactCache>(*impl->store, std::filesystem::path(cfg.data_dir) / "artifacts");
  // 4. Workers, sized to the hardware: proving is itself multi-threaded.
  backend::set_gpu_enabled(cfg.gpu);
  pcs::set_commit_cache_capacity(cfg.weight_cache_mb << 20);
  backend::Backend& be = backend::select(cfg.gpu);
  // The GPU proves only after its self-checks against the CPU (commitments, then
  // sumchecks; run here, at start-up, so their log lines and the reported backend say
  // what the jobs will use, and no job waits on them).
  if (be.kind() == backend::Kind::Cuda) {
    const bool commits = pcs::gpu_commitments(), sumchecks = sumcheck::gpu_sumchecks();
    impl->backend_name = commits && sumchecks ? be.name()
                         : commits            ? be.name() + " (sumchecks on the CPU: GPU failed their self-check)"
                         : sumchecks          ? be.name() + " (commitments on the CPU: GPU failed their self-check)"
                                              : "cpu (GPU failed its self-checks)";
  } else {
    impl->backend_name = be.name();
  }
  size_t workers = cfg.workers ? cfg.workers : std::max<size_t>(1, util::available_cores() / 2);
  impl->jobs = std::make_unique<JobQueue>(workers, cfg.queue);
  auto metrics = metrics::Metrics::start(cfg.metrics_listen, "miner", kVersion, impl->backend_name);
  if (!metrics.ok()) return make_error(metrics.error());
  impl->metrics = std::move(metrics).value();
  for (const auto& g : backend::gpus())
    impl->metrics->set("zks_gpu_memory_bytes", {{"gpu", std::to_string(g.index) + " " + g.name}}, double(g.memory_bytes));
  impl->metrics->set("zks_miner_queue_depth", {}, 0);
  impl->sync_library_counters();
  impl->metrics->set("zks_miner_in_flight", {}, 0);
  impl->metrics->set("zks_miner_queue_capacity", {}, double(cfg.queue));
  impl->jobs->set_observer([m = impl->metrics.get()](size_t depth, size_t running) {
    m->set("zks_miner_queue_depth", {}, double(depth));
    m->set("zks_miner_in_flight", {}, double(running));
  });
  // 5. The server.
  impl->service = std::make_unique<rpc::SignedService>(*impl->key, *impl->verifier);
  Impl* p = impl.get();
  impl->service->on_refused([p](crypto::EnvelopeError e) {
    p->metrics->inc("zks_rpc_refused_total", {{"component", "miner"}, {"reason", std::string(crypto::to_string(e))}});
  });
  impl->service->handle(rpc::method::kMinerGetInfo, [p](rpc::Call c, rpc::Responder r) { p->get_info(std::move(c), std::move(r)); }, true);
  impl->service->handle(rpc::method::kMinerProveSlice, [p](rpc::Call c, rpc::Responder r) { p->prove_slice(std::move(c), std::move(r)); });
  impl->service->handle(rpc::method::kMinerPushArtifact, [p](rpc::Call c, rpc::Responder r) { p->push_artifact(std::move(c), std::move(r)); });
  auto served = rpc::serve(cfg.listen, *impl->service, cfg.max_message_mb);
  if (!served.ok()) return make_error(served.error());
  impl->server = std::move(served->server);
  impl->address = served->address;
  ZKS_LOG_INFO("miner", "serving on {} with {} workers, queue {}, backend {}", impl->address, workers, cfg.queue,
               impl->backend_name);
  if (!cfg.register_with.empty()) impl->reg_thread = std::thread([p] { p->register_loop(); });
  if (!backend::gpus().empty()) impl->gpu_thread = std::thread([p] { p->gpu_loop(); });
  rpc::write_ready_file(cfg.ready_file, impl->address, impl->metrics->address());
  return std::unique_ptr<MinerNode>(new MinerNode(std::move(impl)));
}

void MinerNode::shutdown() {
  auto& p = *m_impl;
  if (p.stopped) return;
  p.stopped = true;
  ZKS_LOG_INFO("miner", "shutting down: {} queued jobs dropped, {} running finish", p.jobs->depth(), p.jobs->in_flight());
  {
    std::lock_guard<std::mutex> lock(p.reg_mu);
    p.reg_stop = true;
  }
  p.reg_cv.notify_all();
  if (p.reg_thread.joinable()) p.reg_thread.join();
  if (p.gpu_thread.joinable()) p.gpu_thread.join();
  p.service->stop_accepting();
  p.jobs->stop();
  p.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  p.server->Wait();
  p.server.reset();
  p.verifier.reset();
  p.nonces.reset();
  p.store.reset();
  p.metrics.reset();
  ZKS_LOG_INFO("miner", "stopped");
}

}  // namespace zks::miner
