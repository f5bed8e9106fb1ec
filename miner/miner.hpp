#pragma once
// The miner node (DESIGN.md section 5, issue 7): staged start-up (key, data dir, artifact
// cache, workers, gRPC server) and the reverse on shutdown. Serves the Miner service
// (GetInfo, ProveSlice, PushArtifact) as signed unary calls, plus gRPC's health service.

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "crypto/keys.hpp"
#include "util/result.hpp"

namespace zks::miner {

struct MinerConfig {
  std::string listen = "127.0.0.1:7100";  // host:port; port 0 picks a free one
  std::string key_file;                   // the hotkey (zkslice keygen)
  std::string data_dir = "miner-data";    // RocksDB (nonces, artifact index) and artifacts
  size_t workers = 0;                     // slices proved at once; 0: one per 2 cores
  size_t queue = 16;                      // jobs that may wait for a worker
  bool gpu = true;                        // prove on the GPU when one is present
  size_t weight_cache_mb = 512;           // weight commitments kept across jobs (0: none)
  size_t max_message_mb = 64;             // gRPC message size limit, both ways
  std::set<crypto::PublicKey> allow;      // callers allowed (empty: everyone)
  double rate_per_sec = 50;               // per-sender token bucket (0: off)
  double burst = 100;
  double freshness_s = 60;                // envelope freshness window
  std::string ready_file;                 // written with "host:port" once serving
  std::string metrics_listen;             // host:port for /metrics (empty: no endpoint)
  std::string register_with;              // a validator's host:port to Register with (again every interval)
  std::string advertise;                  // the endpoint announced (default: the bound address)
  double register_interval_s = 30;
  // Faults for testing validators (never set in production): answer only after this
  // many extra milliseconds; flip one byte of every proof.
  uint32_t test_delay_ms = 0;
  bool test_corrupt_proofs = false;
};

class MinerNode {
 public:
  static Result<std::unique_ptr<MinerNode>> start(const MinerConfig& config);
  ~MinerNode();  // shutdown()

  // The address actually bound (the port resolved when 0 was asked for).
  const std::string& address() const;
  const crypto::PublicKey& hotkey() const;
  const std::string& metrics_address() const;  // empty without --metrics-listen
  // Reverse order of start-up: refuse new calls, drop queued jobs (UNAVAILABLE), let
  // running jobs finish and answer, stop the server, close the data dir.
  void shutdown();

 private:
  struct Impl;
  explicit MinerNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace zks::miner
