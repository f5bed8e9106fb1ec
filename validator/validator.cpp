#include "validator/validator.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>
#include <variant>

#include <nlohmann/json.hpp>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/fingerprint.hpp"
#include "crypto/key_file.hpp"
#include "metrics/metrics.hpp"
#include "pcs/params.hpp"
#include "rpc/rpc.hpp"
#include "store/nonce_store.hpp"
#include "store/store.hpp"
#include "util/bytes.hpp"
#include "util/log.hpp"
#include "validator/state.hpp"
#include "zkslice/v1/miner.pb.h"
#include "zkslice/v1/validator.pb.h"

namespace zks::validator {

namespace {

using grpc::Status;
using grpc::StatusCode;
namespace pb = zkslice::v1;
using Clock = std::chrono::steady_clock;

uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }


const char* outcome_name(Outcome o) { return o == Outcome::Valid ? "valid" : o == Outcome::Invalid ? "invalid" : "failed"; }

struct LoadedModel {
  std::string path;
  std::string bytes;      // the full manifest (miners prove with it)
  std::string published;  // its verify-only form (what clients verify with)
  std::unique_ptr<slicer::Manifest> man;
  circuits::SealedModel sealed;
};

// The state of one Infer (or benchmark) request, shared with its dispatch threads.
struct SliceRun {
  bool done = false;
  int pending = 0;
  std::set<uint32_t> tried;
  std::vector<std::string> errors;
  util::Bytes proof;
  circuits::ProofBinding binding;
  uint32_t winner = 0;
  double latency_ms = 0;
  transcript::SoundnessLedger soundness;  // the winning proof's error terms
  Clock::time_point last_dispatch;
};

struct RequestRun {
  std::string id;
  std::string kind;  // "infer" or "benchmark"
  const LoadedModel* model = nullptr;
  circuits::Bundle bundle;  // the validator's own skeleton: tensors and commitments
  model::IntRun run;
  // Set once the boundary commitments are in `bundle` (made while the miners prove);
  // a proof is checked only after.
  std::shared_future<zks::Status> committed;
  std::chrono::system_clock::time_point deadline;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SliceRun> slices;
};

struct Failure {
  StatusCode code;
  std::string message;
};

std::string random_hex(std::mt19937_64& rng, size_t bytes) {
  std::string s;
  for (size_t i = 0; i < bytes; ++i) s += "0123456789abcdef"[rng() % 16], s += "0123456789abcdef"[rng() % 16];
  return s;
}

}  // namespace

struct ValidatorNode::Impl {
  ValidatorConfig config;
  std::optional<crypto::Keypair> key;
  std::optional<store::Store> store;
  std::unique_ptr<store::RocksNonceStore> nonces;
  std::unique_ptr<crypto::EnvelopeVerifier> verifier;
  std::unique_ptr<ValidatorState> state;
  std::unique_ptr<metrics::Metrics> metrics;
  std::map<hash::Digest, LoadedModel> models;
  std::unique_ptr<rpc::SignedService> service;
  std::unique_ptr<grpc::Server> server;
  std::string address, advertise;
  const pcs::Params params = pcs::Params::standard();

  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  bool stopping = false;
  size_t active_requests = 0, active_threads = 0;
  struct Peer {
    std::string endpoint;
    std::shared_ptr<rpc::SignedClient> client;
  };
  std::map<uint32_t, Peer> clients;  // one channel per miner, for its current hotkey and endpoint
  std::map<uint32_t, int> inflight;  // dispatches per miner
  std::mt19937_64 rng{std::random_device{}()};
  Clock::time_point last_infer = Clock::now();
  std::set<std::pair<uint32_t, hash::Digest>> has_artifact;  // miners that proved a model (so cache it)
  std::thread epoch_thread, bench_thread;

  // Runs fn on a tracked thread (shutdown waits for it).
  void spawn(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++active_threads;
    }
    std::thread([this, fn = std::move(fn)] {
      fn();
      std::lock_guard<std::mutex> lock(mu);
      --active_threads;
      cv.notify_all();
    }).detach();
  }

  std::shared_ptr<rpc::SignedClient> client_for(const MinerEntry& m) {
    std::lock_guard<std::mutex> lock(mu);
    auto& p = clients[m.uid];
    if (!p.client || p.client->peer() != m.hotkey || p.endpoint != m.endpoint)
      p = {m.endpoint, std::make_shared<rpc::SignedClient>(m.endpoint, *key, m.hotkey, config.max_message_mb << 20)};
    return p.client;
  }

  // The next miner for a slice: not benched, not tried for it, best score per load
  // (unscored miners count as 0.5 so they get tried; one that has the model's artifact
  // cached counts 20% more), sometimes a random one.
  std::optional<MinerEntry> pick(const std::set<uint32_t>& tried, const hash::Digest& model) {
    auto scores = state->scores();
    const uint64_t now = now_ms();
    std::vector<std::pair<double, MinerEntry>> cands;
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& m : state->miners()) {
      if (tried.count(m.uid)) continue;
      auto it = scores.find(m.uid);
      if (it != scores.end() && it->second.benched(now)) continue;
      double s = (it == scores.end() || it->second.valid + it->second.invalid + it->second.failed == 0) ? 0.5 : it->second.score;
      if (has_artifact.count({m.uid, model})) s *= 1.2;
      cands.push_back({s / (1.0 + inflight[m.uid]), m});
    }
    if (cands.empty()) return std::nullopt;
    std::uniform_real_distribution<double> u(0, 1);
    if (cands.size() > 1 && u(rng) < config.explore) return cands[rng() % cands.size()].second;
    return std::max_element(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.first < b.first; })->second;
  }

  void dispatch(const std::shared_ptr<RequestRun>& req, size_t j, const MinerEntry& miner);
  // The per-miner gauges (score, strikes, weight), the epoch and the metagraph size.
  void update_miner_gauges() {
    auto scores = state->scores();
    auto weights = state->weights();
    auto miners = state->miners();
    for (const auto& m : miners) {
      const metrics::Labels l{{"uid", std::to_string(m.uid)}, {"hotkey", m.hotkey.to_string()}};
      metrics->set("zks_validator_miner_score", l, scores[m.uid].score);
      metrics->set("zks_validator_miner_strikes", l, double(scores[m.uid].strikes));
      metrics->set("zks_validator_miner_weight", l, weights.count(m.uid) ? weights[m.uid] : 0.0);
    }
    metrics->set("zks_validator_epoch", {}, double(state->epoch()));
    metrics->set("zks_validator_miners", {}, double(miners.size()));
  }
  std::variant<pb::InferResponse, Failure> infer(const LoadedModel& lm, const std::vector<std::vector<int64_t>>& inputs,
                                                 std::chrono::system_clock::time_point deadline, const std::string& kind);
  void handle_infer(rpc::Call call, rpc::Responder respond);
  void count_request(const LoadedModel& lm, const char* kind, const std::variant<pb::InferResponse, Failure>& r,
                     Clock::time_point t0) {
    const auto* f = std::get_if<Failure>(&r);
    metrics->inc("zks_validator_requests_total", {{"kind", kind}, {"status", f ? std::to_string(int(f->code)) : "ok"}});
    if (!f)
      metrics->observe("zks_validator_request_seconds", {{"model", util::to_hex(lm.sealed.manifest_hash).substr(0, 16)}},
                       std::chrono::duration<double>(Clock::now() - t0).count());
  }
  void epoch_loop();
  void bench_loop();
};

void ValidatorNode::Impl::dispatch(const std::shared_ptr<RequestRun>& req, size_t j, const MinerEntry& miner) {
  {
    std::lock_guard<std::mutex> lock(req->mu);
    auto& sr = req->slices[j];
    ++sr.pending;
    sr.tried.insert(miner.uid);
    sr.last_dispatch = Clock::now();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ++inflight[miner.uid];
  }
  spawn([this, req, j, miner] {
    hash::Digest job{};
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& b : job) b = uint8_t(rng());
    }
    const auto& lm = *req->model;
    const auto& s = lm.man->slices[j];
    pb::ProveSliceRequest r;
    r.set_protocol_version(rpc::kProtocolVersion);
    r.set_job_id(std::string(job.begin(), job.end()));
    r.set_artifact(std::string(lm.sealed.manifest_hash.begin(), lm.sealed.manifest_hash.end()));
    r.set_slice(uint32_t(j));
    r.set_artifact_endpoint(advertise);
    for (int t : s.inputs) {
      auto* in = r.add_inputs();
      in->set_id(t);
      in->mutable_values()->Add(req->run.values[t].begin(), req->run.values[t].end());
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(req->deadline - std::chrono::system_clock::now());
    auto t0 = Clock::now();
    auto resp = client_for(miner)->call(rpc::method::kMinerProveSlice, r.SerializeAsString(), std::max(left, std::chrono::milliseconds(1)));
    const double latency = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    Outcome outcome = Outcome::Failed;
    std::string reason;
    const metrics::Labels labels{{"model", util::to_hex(lm.sealed.manifest_hash).substr(0, 16)}, {"slice", std::to_string(j)}};
    metrics->observe("zks_validator_slice_seconds", labels, latency / 1000);
    const char* result = "transport";
    util::Bytes proof;
    transcript::SoundnessLedger soundness;
    circuits::ProofBinding binding{job, miner.hotkey.bytes()};
    bool scored = true;
    if (!resp.status.ok()) {
      reason = "status " + std::to_string(int(resp.status.error_code())) + ": " + resp.status.error_message();
      if (resp.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) result = "timeout";
    } else {
      pb::ProveSliceResponse pr;
      if (!pr.ParseFromString(resp.body) || pr.job_id() != r.job_id()) {
        outcome = Outcome::Invalid, reason = "malformed response or another job's";
      } else if (auto committed = req->committed.get(); !committed.ok()) {
        // The validator's own failure: the proof cannot be checked, the miner is not scored.
        reason = "not checked: " + committed.error(), scored = false;
      } else {
        proof.assign(pr.proof().begin(), pr.proof().end());
        // Checked against the validator's own tensors and commitments, never the miner's.
        auto v0 = Clock::now();
        auto v = circuits::verify_slice_proof(lm.sealed, j, req->bundle, proof, binding, params, &soundness);
        metrics->observe("zks_validator_verify_seconds", labels, std::chrono::duration<double>(Clock::now() - v0).count());
        outcome = v.ok() ? Outcome::Valid : Outcome::Invalid;
        if (!v.ok()) reason = v.error();
        else metrics->set("zks_validator_slice_soundness_bits", labels, soundness.bits());
      }
    }
    const std::string event = nlohmann::json{{"request", req->id}, {"kind", req->kind},  {"slice", j},
                                             {"uid", miner.uid},   {"hotkey", miner.hotkey.to_string()},
                                             {"outcome", outcome_name(outcome)}, {"latency_ms", latency},
                                             {"reason", reason},   {"time_ms", now_ms()}}
                                  .dump();
    if (!scored) result = "unchecked";
    else if (auto st = state->record_response(miner.uid, outcome, latency, now_ms(), config.scoring, event); !st.ok())
      ZKS_LOG_ERROR("validator", "cannot record a response: {}", st.error());
    if (scored && outcome != Outcome::Failed) result = outcome == Outcome::Valid ? "valid" : "invalid";
    metrics->inc("zks_validator_proofs_total", {{"result", result}});
    update_miner_gauges();
    if (outcome == Outcome::Valid)
      ZKS_LOG_INFO("validator", "request {} slice {}: valid proof from uid {} in {:.1f} ms", req->id, j, miner.uid, latency);
    else
      ZKS_LOG_WARN("validator", "request {} slice {}: {} from uid {}: {}", req->id, j, outcome_name(outcome), miner.uid, reason);
    {
      std::lock_guard<std::mutex> lock(mu);
      --inflight[miner.uid];
      if (outcome == Outcome::Valid) has_artifact.insert({miner.uid, lm.sealed.manifest_hash});
    }
    std::lock_guard<std::mutex> lock(req->mu);
    auto& sr = req->slices[j];
    --sr.pending;
    if (outcome == Outcome::Valid && !sr.done) {
      sr.done = true;
      sr.proof = std::move(proof);
      sr.binding = binding;
      sr.winner = miner.uid;
      sr.latency_ms = latency;
      sr.soundness = soundness;
    } else if (outcome != Outcome::Valid) {
      sr.errors.push_back("uid " + std::to_string(miner.uid) + ": " + outcome_name(outcome) + " (" + reason + ")");
    }
    req->cv.notify_all();
  });
}

std::variant<pb::InferResponse, Failure> ValidatorNode::Impl::infer(const LoadedModel& lm,
                                                                    const std::vector<std::vector<int64_t>>& inputs,
                                                                    std::chrono::system_clock::time_point deadline,
                                                                    const std::string& kind) {
  auto req = std::make_shared<RequestRun>();
  {
    std::lock_guard<std::mutex> lock(mu);
    req->id = random_hex(rng, 8);
  }
  req->kind = kind;
  req->model = &lm;
  req->deadline = deadline;
  const auto t_start = Clock::now();
  auto fwd = circuits::bundle_forward(lm.sealed, inputs, params, req->run);
  if (!fwd.ok()) return Failure{StatusCode::INVALID_ARGUMENT, fwd.error()};
  const auto t_forward = Clock::now();
  req->bundle = std::move(fwd).value();
  const size_t n = lm.man->slices.size();
  req->slices.resize(n);
  if (state->miners().empty()) return Failure{StatusCode::UNAVAILABLE, "no miners are registered"};
  // The slices go out as soon as the forward pass has their inputs; the boundary
  // commitments, which only checking a proof needs, are made while the miners prove.
  std::promise<zks::Status> committed;
  req->committed = committed.get_future().share();
  // Settled on every way out, an exception included, so no dispatch thread waits forever
  // or finds a broken promise.
  struct Settle {
    std::promise<zks::Status>& promise;
    bool done = false;
    void operator()(zks::Status st) {
      if (!done) promise.set_value(std::move(st)), done = true;
    }
    ~Settle() { (*this)(make_error("the request ended before the validator's commitments were made")); }
  } settle{committed};
  for (size_t j = 0; j < n; ++j) {
    for (size_t c = 0; c < std::max<size_t>(1, config.k); ++c) {
      std::set<uint32_t> tried;
      {
        std::lock_guard<std::mutex> lock(req->mu);
        tried = req->slices[j].tried;
      }
      auto m = pick(tried, lm.sealed.manifest_hash);
      if (!m) break;
      dispatch(req, j, *m);
    }
  }
  const auto t_dispatched = Clock::now();
  const zks::Status commit = circuits::add_boundaries(lm.sealed, req->run, params, true, req->bundle);
  settle(commit);
  if (!commit.ok()) return Failure{StatusCode::INTERNAL, commit.error()};
  const auto t_committed = Clock::now();
  const auto budget = std::chrono::milliseconds(config.slice_budget_ms);
  std::unique_lock<std::mutex> lock(req->mu);
  for (;;) {
    bool all = true;
    for (size_t j = 0; j < n; ++j) {
      auto& sr = req->slices[j];
      if (sr.done) continue;
      all = false;
      const bool idle = sr.pending == 0;
      const bool hedge = !idle && Clock::now() - sr.last_dispatch > budget;
      if (!idle && !hedge) continue;
      auto tried = sr.tried;
      lock.unlock();
      auto m = pick(tried, lm.sealed.manifest_hash);
      if (m) dispatch(req, j, *m);
      lock.lock();
      if (!m && idle) {
        std::string why;
        for (const auto& e : req->slices[j].errors) why += (why.empty() ? "" : "; ") + e;
        if (why.empty()) why = "no miner could be tried";
        return Failure{StatusCode::UNAVAILABLE, "every miner failed slice " + std::to_string(j) + ": " + why};
      }
    }
    if (all) break;
    if (std::chrono::system_clock::now() >= deadline) {
      std::string which;
      for (size_t j = 0; j < n; ++j)
        if (!req->slices[j].done) which += (which.empty() ? "" : ", ") + std::to_string(j);
      return Failure{StatusCode::DEADLINE_EXCEEDED, "the deadline passed with slices " + which + " unproved"};
    }
    req->cv.wait_until(lock, std::min(deadline, std::chrono::system_clock::now() + std::chrono::milliseconds(50)));
  }
  const auto t_proved = Clock::now();
  // The slices' errors add up: a bundle below 100 bits is the partition's fault (sealing
  // refuses those it can foresee), not a miner's.
  {
    std::vector<circuits::SliceTiming> verified(n);
    for (size_t j = 0; j < n; ++j) verified[j].soundness = req->slices[j].soundness;
    if (auto st = circuits::check_bundle_soundness(verified); !st.ok())
      return Failure{StatusCode::FAILED_PRECONDITION, st.error()};
  }
  // Stitch: the first valid proof of every slice, each with its own binding, into a copy
  // (a late answer's dispatch thread may still be checking against req->bundle).
  circuits::Bundle b = req->bundle;
  b.bindings.resize(n);
  pb::InferResponse out;
  out.set_protocol_version(rpc::kProtocolVersion);
  out.set_request_id(req->id);
  nlohmann::json slices = nlohmann::json::array();
  for (size_t j = 0; j < n; ++j) {
    auto& sr = req->slices[j];
    b.proofs[j] = sr.proof;
    b.bindings[j] = sr.binding;
    auto* rep = out.add_slices();
    rep->set_slice(uint32_t(j));
    auto m = state->miner(sr.winner);
    rep->set_miner(m ? m->hotkey.to_string() : "");
    rep->set_latency_ms(sr.latency_ms);
    rep->set_proof_bytes(sr.proof.size());
    slices.push_back({{"slice", j}, {"uid", sr.winner}, {"latency_ms", sr.latency_ms}});
  }
  lock.unlock();
  for (int t : lm.man->model.outputs) {
    auto* o = out.add_outputs();
    o->set_id(t);
    o->mutable_values()->Add(req->run.values[t].begin(), req->run.values[t].end());
  }
  auto bytes = b.write();
  out.set_bundle(std::string(bytes.begin(), bytes.end()));
  auto rec = nlohmann::json{{"request", req->id}, {"kind", kind}, {"model", util::to_hex(lm.sealed.manifest_hash)},
                            {"slices", slices}, {"bundle_bytes", bytes.size()}, {"time_ms", now_ms()}};
  if (auto st = state->record_request(rec.dump()); !st.ok())
    return Failure{StatusCode::UNAVAILABLE, "cannot record the request: " + st.error()};
  auto ms = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const auto t_end = Clock::now();
  const std::string model = util::to_hex(lm.sealed.manifest_hash).substr(0, 16);
  for (const auto& [phase, a, b] : {std::tuple{"forward", t_start, t_forward}, std::tuple{"commitments", t_dispatched, t_committed},
                                    std::tuple{"proofs", t_dispatched, t_proved}, std::tuple{"stitch", t_proved, t_end}})
    metrics->observe("zks_validator_phase_seconds", {{"model", model}, {"phase", phase}}, ms(a, b) / 1000);
  ZKS_LOG_DEBUG("validator",
                "request {}: forward pass {:.1f} ms, dispatch {:.1f} ms, boundary commitments {:.1f} ms (while proving), "
                "proofs in {:.1f} ms after dispatch, stitched {:.1f} ms",
                req->id, ms(t_start, t_forward), ms(t_forward, t_dispatched), ms(t_dispatched, t_committed),
                ms(t_dispatched, t_proved), ms(t_proved, t_end));
  return out;
}

void ValidatorNode::Impl::handle_infer(rpc::Call call, rpc::Responder respond) {
  auto req = rpc::parse_request<pb::InferRequest>(call);
  if (!req.ok()) return respond(Status(StatusCode::INVALID_ARGUMENT, req.error()), {});
  if (req->model().size() != 32) return respond(Status(StatusCode::INVALID_ARGUMENT, "model must be a 32-byte content hash"), {});
  hash::Digest id;
  std::copy(req->model().begin(), req->model().end(), id.begin());
  auto it = models.find(id);
  if (it == models.end()) return respond(Status(StatusCode::NOT_FOUND, "unknown model " + util::to_hex(id)), {});
  const auto& lm = it->second;
  const auto& ins = lm.man->model.inputs;
  if (size_t(req->inputs_size()) != ins.size())
    return respond(Status(StatusCode::INVALID_ARGUMENT, "the model has " + std::to_string(ins.size()) + " inputs"), {});
  std::vector<std::vector<int64_t>> inputs;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (req->inputs(int(i)).id() != ins[i])
      return respond(Status(StatusCode::INVALID_ARGUMENT, "input " + std::to_string(i) + " is not tensor " + std::to_string(ins[i])), {});
    inputs.emplace_back(req->inputs(int(i)).values().begin(), req->inputs(int(i)).values().end());
  }
  auto deadline = std::min(call.deadline, std::chrono::system_clock::now() +
                                              std::chrono::milliseconds(req->deadline_ms() ? req->deadline_ms() : config.request_timeout_ms));
  if (std::chrono::system_clock::now() >= deadline)
    return respond(Status(StatusCode::DEADLINE_EXCEEDED, "the deadline has already passed"), {});
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return respond(Status(StatusCode::UNAVAILABLE, "the validator is shutting down"), {});
    if (active_requests >= config.max_concurrent)
      return respond(Status(StatusCode::RESOURCE_EXHAUSTED, "too many requests in flight"), {});
    ++active_requests;
    last_infer = Clock::now();
  }
  spawn([this, &lm, inputs = std::move(inputs), deadline, respond] {
    auto t0 = Clock::now();
    auto result = infer(lm, inputs, deadline, "infer");
    count_request(lm, "infer", result, t0);
    {
      std::lock_guard<std::mutex> lock(mu);
      --active_requests;
      last_infer = Clock::now();
    }
    if (auto* f = std::get_if<Failure>(&result)) return respond(Status(f->code, f->message), {});
    respond(Status::OK, std::get<pb::InferResponse>(result).SerializeAsString());
  });
}

void ValidatorNode::Impl::epoch_loop() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    cv.wait_for(lock, std::chrono::milliseconds(int64_t(config.epoch_s * 1000)), [this] { return stopping; });
    if (stopping) break;
    lock.unlock();
    auto w = compute_weights(state->scores(), now_ms(), config.scoring);
    if (auto st = state->set_weights(w, now_ms()); !st.ok()) ZKS_LOG_ERROR("validator", "cannot set weights: {}", st.error());
    else ZKS_LOG_INFO("validator", "epoch {}: weights set for {} miners", state->epoch(), w.size());
    update_miner_gauges();
    lock.lock();
  }
}

void ValidatorNode::Impl::bench_loop() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    cv.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping; });
    if (stopping || models.empty() || active_requests > 0 ||
        Clock::now() - last_infer < std::chrono::milliseconds(int64_t(config.bench_idle_s * 1000)))
      continue;
    // A fresh random input for a random model; its hash is never used twice.
    auto it = models.begin();
    std::advance(it, long(rng() % models.size()));
    const LoadedModel& lm = it->second;
    std::vector<std::vector<int64_t>> inputs;
    hash::Hasher h(hash::Domain::Generic);
    for (int t : lm.man->model.inputs) {
      std::vector<int64_t> v(size_t(model::numel(lm.man->model.tensors[t].shape)));
      for (auto& x : v) x = int64_t(rng() % 2048) - 1024;
      h.update_i64s(v);
      inputs.push_back(std::move(v));
    }
    lock.unlock();
    auto fresh = state->claim_bench_input(h.finalize());
    lock.lock();
    if (!fresh.ok() || !*fresh) continue;
    ++active_requests;
    lock.unlock();
    auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(config.request_timeout_ms);
    auto t0 = Clock::now();
    auto result = infer(lm, inputs, deadline, "benchmark");
    count_request(lm, "benchmark", result, t0);
    if (auto* f = std::get_if<Failure>(&result)) ZKS_LOG_INFO("validator", "benchmark request: {}", f->message);
    lock.lock();
    --active_requests;
    last_infer = Clock::now();
  }
}

ValidatorNode::ValidatorNode(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ValidatorNode::~ValidatorNode() { shutdown(); }
const std::string& ValidatorNode::address() const { return m_impl->address; }
const crypto::PublicKey& ValidatorNode::hotkey() const { return m_impl->key->public_key(); }

Result<std::unique_ptr<ValidatorNode>> ValidatorNode::start(const ValidatorConfig& cfg) {
  auto impl = std::make_unique<Impl>();
  impl->config = cfg;
  Impl* p = impl.get();
  // 1. Identity.
  if (cfg.key_file.empty()) return make_error("no key file (--key); create one with `zkslice keygen --out FILE`");
  auto key = crypto::load_key(cfg.key_file);
  if (!key.ok()) return make_error(key.error());
  impl->key.emplace(std::move(key).value());
  ZKS_LOG_INFO("validator", "hotkey {}", impl->key->public_key().to_string());
  // 2. Data dir and state, loaded before anything is served.
  auto st = store::Store::open(std::filesystem::path(cfg.data_dir) / "db", store::all_column_families());
  if (!st.ok()) return make_error(st.error());
  impl->store.emplace(std::move(st).value());
  auto state = ValidatorState::load(*impl->store, cfg.max_miners);
  if (!state.ok()) return make_error(state.error());
  impl->state = std::move(state).value();
  ZKS_LOG_INFO("validator", "state: {} miners, epoch {}", impl->state->miners().size(), impl->state->epoch());
  auto metrics = metrics::Metrics::start(cfg.metrics_listen, "validator", "0.1.0", "cpu");
  if (!metrics.ok()) return make_error(metrics.error());
  impl->metrics = std::move(metrics).value();
  // 3. Models.
  for (const auto& dir : cfg.models) {
    std::ifstream f(std::filesystem::path(dir) / "manifest.pb", std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) return make_error("cannot read " + dir + "/manifest.pb");
    LoadedModel lm;
    lm.path = dir;
    lm.bytes = ss.str();
    auto man = slicer::parse_manifest(bytes_of(lm.bytes));
    if (!man.ok()) return make_error(dir + ": " + man.error());
    if (man->verify_only())
      return make_error(dir + ": a verify-only manifest (published without its weights); a validator needs the full one");
    lm.man = std::make_unique<slicer::Manifest>(std::move(man).value());
    const auto id = slicer::manifest_hash(bytes_of(lm.bytes));
    auto sealed = circuits::seal_check(*lm.man, id, impl->params);
    if (!sealed.ok()) return make_error(dir + ": " + sealed.error());
    if (lm.man->fingerprint.empty()) {
      lm.published = lm.bytes;  // unsealed: a verifier commits the weights itself, so it needs them
    } else {
      auto published = circuits::publish_manifest(*lm.man, id, impl->params);
      if (!published.ok()) return make_error(dir + ": " + published.error());
      const auto pub_bytes = slicer::serialize_manifest(*published);
      lm.published.assign(pub_bytes.begin(), pub_bytes.end());
      // Clients get the verify-only form, but every answer's bundle opens the weights'
      // encoding (sound, not yet hiding): say after how many answers they are known.
      auto exposure = circuits::weight_exposure(*published, impl->params);
      if (!exposure.ok()) return make_error(dir + ": " + exposure.error());
      double first = std::numeric_limits<double>::infinity();
      for (const auto& e : *exposure)
        if (e) first = std::min(first, e->all);
      if (!cfg.share_weights && first < std::numeric_limits<double>::infinity()) {
        ZKS_LOG_WARN("validator",
                     "model {}: clients get the verify-only manifest, but proofs are not yet hiding: about {:.0f} "
                     "answers' bundles determine a slice's weights (zkslice inspect lists each slice)",
                     util::to_hex(id), std::ceil(first));
        impl->metrics->set("zks_validator_weight_exposure_answers", {{"model", util::to_hex(id).substr(0, 16)}},
                           std::ceil(first));
      }
    }
    if (auto st = circuits::check_partition_soundness(*lm.man, impl->params); !st.ok())
      return make_error(dir + ": " + st.error() + " (recompile the model)");
    lm.sealed = std::move(sealed).value();
    ZKS_LOG_INFO("validator", "model {} from {}: {} slices", util::to_hex(id), dir, lm.man->slices.size());
    ZK_TRY(impl->store->put(store::cf::kModels, std::string(id.begin(), id.end()), dir));
    impl->models.emplace(id, std::move(lm));
  }
  // 4. The static metagraph.
  for (const auto& entry : cfg.miners) {
    auto at = entry.find('@');
    if (at == std::string::npos) return make_error("miner entry '" + entry + "' is not hotkey@host:port");
    auto k = crypto::PublicKey::parse(entry.substr(0, at));
    if (!k.ok()) return make_error("miner entry '" + entry + "': " + k.error());
    auto uid = impl->state->register_miner(*k, entry.substr(at + 1), 1.0, now_ms());
    if (!uid.ok()) return make_error(uid.error());
  }
  // 5. Envelopes: clients on the allow list (or everyone), and registered miners.
  impl->nonces = std::make_unique<store::RocksNonceStore>(*impl->store);
  crypto::VerifierConfig vc;
  vc.freshness_window = std::chrono::nanoseconds(int64_t(cfg.freshness_s * 1e9));
  vc.rate_per_sec = cfg.rate_per_sec;
  vc.burst = cfg.burst;
  vc.allow = [p](const crypto::PublicKey& k) {
    if (p->config.allow.empty() || p->config.allow.count(k)) return true;
    for (const auto& m : p->state->miners())
      if (m.hotkey == k) return true;
    return false;
  };
  impl->verifier = std::make_unique<crypto::EnvelopeVerifier>(impl->key->public_key(), vc, *impl->nonces);
  // 6. The server.
  impl->service = std::make_unique<rpc::SignedService>(*impl->key, *impl->verifier);
  impl->service->on_refused([p](crypto::EnvelopeError e) {
    p->metrics->inc("zks_rpc_refused_total", {{"component", "validator"}, {"reason", std::string(crypto::to_string(e))}});
  });
  auto& svc = *impl->service;
  svc.handle(rpc::method::kValidatorInfer, [p](rpc::Call c, rpc::Responder r) { p->handle_infer(std::move(c), std::move(r)); });
  svc.handle(rpc::method::kValidatorGetModel, [p](rpc::Call c, rpc::Responder r) {
    auto req = rpc::parse_request<pb::GetModelRequest>(c);
    if (!req.ok()) return r(Status(StatusCode::INVALID_ARGUMENT, req.error()), {});
    hash::Digest id{};
    if (req->model().size() != 32) return r(Status(StatusCode::INVALID_ARGUMENT, "model must be 32 bytes"), {});
    std::copy(req->model().begin(), req->model().end(), id.begin());
    auto it = p->models.find(id);
    if (it == p->models.end()) return r(Status(StatusCode::NOT_FOUND, "unknown model " + util::to_hex(id)), {});
    // Registered miners prove with the weights; a client only verifies (unless the
    // operator shares the weights).
    bool full = p->config.share_weights;
    for (const auto& m : p->state->miners()) full = full || m.hotkey == c.envelope.sender;
    pb::GetModelResponse out;
    out.set_protocol_version(rpc::kProtocolVersion);
    out.set_manifest(full ? it->second.bytes : it->second.published);
    r(Status::OK, out.SerializeAsString());
  }, true);
  svc.handle(rpc::method::kValidatorListMiners, [p](rpc::Call c, rpc::Responder r) {
    auto req = rpc::parse_request<pb::ListMinersRequest>(c);
    if (!req.ok()) return r(Status(StatusCode::INVALID_ARGUMENT, req.error()), {});
    pb::ListMinersResponse out;
    out.set_protocol_version(rpc::kProtocolVersion);
    auto scores = p->state->scores();
    for (const auto& m : p->state->miners()) {
      auto* e = out.add_miners();
      e->set_uid(m.uid);
      e->set_hotkey(m.hotkey.to_string());
      e->set_endpoint(m.endpoint);
      e->set_stake(m.stake);
      e->set_registered_unix_ms(m.registered_ms);
      e->set_last_seen_unix_ms(m.last_seen_ms);
      e->set_score(scores[m.uid].score);
      e->set_strikes(scores[m.uid].strikes);
    }
    r(Status::OK, out.SerializeAsString());
  }, true);
  svc.handle(rpc::method::kValidatorGetWeights, [p](rpc::Call c, rpc::Responder r) {
    auto req = rpc::parse_request<pb::GetWeightsRequest>(c);
    if (!req.ok()) return r(Status(StatusCode::INVALID_ARGUMENT, req.error()), {});
    pb::GetWeightsResponse out;
    out.set_protocol_version(rpc::kProtocolVersion);
    out.set_epoch(p->state->epoch());
    for (const auto& [uid, w] : p->state->weights()) out.add_uids(uid), out.add_weights(w);
    r(Status::OK, out.SerializeAsString());
  }, true);
  svc.handle(rpc::method::kValidatorRegister, [p](rpc::Call c, rpc::Responder r) {
    auto req = rpc::parse_request<pb::RegisterRequest>(c);
    if (!req.ok()) return r(Status(StatusCode::INVALID_ARGUMENT, req.error()), {});
    if (p->config.closed_registration)
      return r(Status(StatusCode::PERMISSION_DENIED, "registration is closed on this validator"), {});
    if (req->endpoint().empty() || req->endpoint().find(':') == std::string::npos)
      return r(Status(StatusCode::INVALID_ARGUMENT, "endpoint must be host:port"), {});
    auto uid = p->state->register_miner(c.envelope.sender, req->endpoint(), 1.0, now_ms());
    if (!uid.ok()) return r(Status(StatusCode::UNAVAILABLE, uid.error()), {});
    ZKS_LOG_INFO("validator", "miner {} registered as uid {} at {}", c.envelope.sender.to_string(), *uid, req->endpoint());
    pb::RegisterResponse out;
    out.set_protocol_version(rpc::kProtocolVersion);
    out.set_uid(*uid);
    r(Status::OK, out.SerializeAsString());
  });
  auto served = rpc::serve(cfg.listen, *impl->service, cfg.max_message_mb);
  if (!served.ok()) return make_error(served.error());
  impl->server = std::move(served->server);
  impl->address = served->address;
  impl->advertise = cfg.advertise.empty() ? impl->address : cfg.advertise;
  // 7. Loops.
  impl->epoch_thread = std::thread([p] { p->epoch_loop(); });
  if (cfg.bench_idle_s > 0) impl->bench_thread = std::thread([p] { p->bench_loop(); });
  ZKS_LOG_INFO("validator", "serving on {}: {} models, {} miners, k={}", impl->address, impl->models.size(),
               impl->state->miners().size(), cfg.k);
  impl->update_miner_gauges();
  rpc::write_ready_file(cfg.ready_file, impl->address, impl->metrics->address());
  return std::unique_ptr<ValidatorNode>(new ValidatorNode(std::move(impl)));
}

void ValidatorNode::shutdown() {
  auto& p = *m_impl;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.stopping) return;
    p.stopping = true;
  }
  ZKS_LOG_INFO("validator", "shutting down");
  p.service->stop_accepting();
  p.cv.notify_all();
  if (p.epoch_thread.joinable()) p.epoch_thread.join();
  if (p.bench_thread.joinable()) p.bench_thread.join();
  {
    // Requests and dispatches end by their deadlines at the latest.
    std::unique_lock<std::mutex> lock(p.mu);
    p.cv.wait(lock, [&] { return p.active_threads == 0; });
  }
  p.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  p.server->Wait();
  p.server.reset();
  p.clients.clear();
  p.verifier.reset();
  p.nonces.reset();
  p.state.reset();
  p.store.reset();
  p.metrics.reset();
  ZKS_LOG_INFO("validator", "stopped");
}

}  // namespace zks::validator
