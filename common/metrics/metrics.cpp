#include "metrics/metrics.hpp"


#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "util/assert.hpp"
#include "util/log.hpp"

namespace zks::metrics {

namespace {

enum class Type { Counter, Gauge, Histogram };
struct Spec {
  const char* name;
  Type type;
  const char* help;
};

// Every metric the daemons export.
constexpr Spec kCatalogue[] = {
    {"zks_build_info", Type::Gauge, "1, labelled with the component, version and proving backend"},
    {"zks_rpc_refused_total", Type::Counter, "Calls refused before any handler, by envelope reason"},
    {"zks_gpu_memory_bytes", Type::Gauge, "Memory of each GPU present"},
    {"zks_gpu_memory_used_bytes", Type::Gauge, "Memory in use on each GPU (NVML)"},
    {"zks_gpu_utilization_ratio", Type::Gauge, "Utilisation of each GPU, 0..1 (NVML)"},
    {"zks_gpu_fallbacks_total", Type::Counter, "GPU calls of the prover (sumchecks, commitments and their reads) that failed, their work redone on the CPU"},
    {"zks_miner_weight_cache_total", Type::Counter, "Weight commitments taken from the cache (hit) or made (miss)"},
    {"zks_miner_weight_cache_bytes", Type::Gauge, "Memory held by cached weight commitments"},
    {"zks_miner_jobs_total", Type::Counter, "ProveSlice calls by outcome (ok, deadline, full, failed, unavailable, bad_request)"},
    {"zks_miner_prove_seconds", Type::Histogram, "Time to prove one slice, by model and slice"},
    {"zks_miner_queue_seconds", Type::Histogram, "Time a job waited for a worker, by model and slice"},
    {"zks_miner_queue_depth", Type::Gauge, "Jobs waiting for a worker"},
    {"zks_miner_in_flight", Type::Gauge, "Jobs being proved"},
    {"zks_miner_queue_capacity", Type::Gauge, "Jobs that may wait for a worker"},
    {"zks_validator_requests_total", Type::Counter, "Infer and benchmark requests by kind and status"},
    {"zks_validator_request_seconds", Type::Histogram, "End-to-end time of an answered request, by model"},
    {"zks_validator_slice_seconds", Type::Histogram, "ProveSlice round trip measured by the validator, by model and slice"},
    {"zks_validator_verify_seconds", Type::Histogram, "Time to verify one slice proof, by model and slice"},
    {"zks_validator_phase_seconds", Type::Histogram,
     "Where an answered request's time went, by model and phase: forward (the validator's forward pass, before any "
     "slice is sent), commitments (its boundary commitments, while the miners prove), proofs (from dispatch to the "
     "last valid proof verified), stitch"},
    {"zks_validator_slice_soundness_bits", Type::Gauge, "Soundness of the last valid proof of each slice, in bits (at least 100; a bundle's slices together too, DESIGN.md rule 8)"},
    {"zks_validator_proofs_total", Type::Counter, "Miner responses by result (valid, invalid, timeout, transport; unchecked when the validator could not check one)"},
    {"zks_validator_miner_score", Type::Gauge, "Score of each miner"},
    {"zks_validator_miner_weight", Type::Gauge, "Weight of each miner in the current epoch"},
    {"zks_validator_miner_strikes", Type::Gauge, "Invalid proofs of each miner"},
    {"zks_validator_epoch", Type::Gauge, "The current epoch"},
    {"zks_validator_miners", Type::Gauge, "Miners in the metagraph"},
    {"zks_validator_weight_exposure_answers", Type::Gauge,
     "Answers whose bundles are expected to determine a slice's weights, the fewest over the model's slices (proofs "
     "are sound, not yet hiding); not set with --share-weights"},
};

const prometheus::Histogram::BucketBoundaries kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer;
  std::string address;
  std::map<std::string, prometheus::Family<prometheus::Counter>*, std::less<>> counters;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*, std::less<>> gauges;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*, std::less<>> histograms;
};

Result<std::unique_ptr<Metrics>> Metrics::start(const std::string& listen, const std::string& component,
                                                const std::string& version, const std::string& backend) {
  auto impl = std::make_unique<Impl>();
  for (const auto& s : kCatalogue) {
    switch (s.type) {
      case Type::Counter: impl->counters[s.name] = &prometheus::BuildCounter().Name(s.name).Help(s.help).Register(*impl->registry); break;
      case Type::Gauge: impl->gauges[s.name] = &prometheus::BuildGauge().Name(s.name).Help(s.help).Register(*impl->registry); break;
      case Type::Histogram:
        impl->histograms[s.name] = &prometheus::BuildHistogram().Name(s.name).Help(s.help).Register(*impl->registry);
        break;
    }
  }
  impl->gauges.at("zks_build_info")->Add({{"component", component}, {"version", version}, {"backend", backend}}).Set(1);
  if (!listen.empty()) {
    try {
      impl->exposer = std::make_unique<prometheus::Exposer>(listen, 2);
    } catch (const std::exception& e) {
      return make_error("cannot serve metrics on " + listen + ": " + e.what());
    }
    impl->exposer->RegisterCollectable(impl->registry);
    auto ports = impl->exposer->GetListeningPorts();
    if (ports.empty()) return make_error("cannot serve metrics on " + listen);
    impl->address = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(ports[0]);
    ZKS_LOG_INFO("metrics", "serving http://{}/metrics", impl->address);
  }
  return std::unique_ptr<Metrics>(new Metrics(std::move(impl)));
}

Metrics::Metrics(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Metrics::~Metrics() = default;
const std::string& Metrics::address() const { return m_impl->address; }

void Metrics::inc(std::string_view counter, const Labels& labels, double by) {
  auto it = m_impl->counters.find(counter);
  ZK_ASSERT(it != m_impl->counters.end());
  it->second->Add(labels).Increment(by);
}

void Metrics::set(std::string_view gauge, const Labels& labels, double value) {
  auto it = m_impl->gauges.find(gauge);
  ZK_ASSERT(it != m_impl->gauges.end());
  it->second->Add(labels).Set(value);
}

void Metrics::observe(std::string_view histogram, const Labels& labels, double seconds) {
  auto it = m_impl->histograms.find(histogram);
  ZK_ASSERT(it != m_impl->histograms.end());
  it->second->Add(labels, kBuckets).Observe(seconds);
}

}  // namespace zks::metrics
