#pragma once
// The validator node (DESIGN.md section 5, issue 8): serves Infer by running the
// quantized forward pass itself, dispatching every slice to k competing miners,
// verifying every proof as it arrives (against the validator's own boundary values and
// commitments, never the miner's), stitching the first valid proof per slice into a
// bundle, hedging and re-dispatching until the deadline; scores every response and
// sets weights every epoch; persists everything in RocksDB (validator/state.hpp).
// Same daemon shape as the miner: staged start-up, config, data dir, health, signals.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "util/result.hpp"
#include "validator/scoring.hpp"

namespace zks::validator {

struct ValidatorConfig {
  std::string listen = "127.0.0.1:7200";  // host:port; port 0 picks a free one
  std::string advertise;                  // where miners fetch artifacts (default: the bound address)
  std::string key_file;
  std::string data_dir = "validator-data";
  std::vector<std::string> models;        // compiled model dirs (zkslice compile --out DIR)
  std::vector<std::string> miners;        // static metagraph entries "zks1...@host:port"
  size_t k = 2;                           // competing miners per slice
  double explore = 0.1;                   // chance to try a random miner instead of the last pick
  uint32_t request_timeout_ms = 60000;    // default Infer deadline
  uint32_t slice_budget_ms = 10000;       // hedge a slice to one more miner past this
  double epoch_s = 60;                    // the block-like clock: weights every epoch
  ScoringParams scoring;
  double bench_idle_s = 30;               // benchmark requests after this much idle time (0: off)
  size_t max_concurrent = 8;              // Infer requests at once
  size_t max_miners = 256;
  std::set<crypto::PublicKey> allow;      // clients allowed (empty: everyone); miners always are
  double rate_per_sec = 50, burst = 100, freshness_s = 60;
  size_t max_message_mb = 64;
  // GetModel answers clients with a model's verify-only manifest (its weights withheld:
  // circuits::publish_manifest), registered miners with the full one; true: everyone
  // gets the full one. While registration is open, anyone can register and be a miner:
  // the weights stay with the listed miners only with closed_registration.
  bool share_weights = false;
  bool closed_registration = false;  // refuse Register: the miners are the --miner entries
  std::string ready_file;
  std::string metrics_listen;             // host:port for /metrics (empty: no endpoint)
};

class ValidatorNode {
 public:
  static Result<std::unique_ptr<ValidatorNode>> start(const ValidatorConfig& config);
  ~ValidatorNode();
  const std::string& address() const;
  const crypto::PublicKey& hotkey() const;
  // Refuses new calls, stops the epoch and benchmark loops, waits for requests and
  // dispatches in flight (bounded by their deadlines), stops the server, closes the store.
  void shutdown();

 private:
  struct Impl;
  explicit ValidatorNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace zks::validator
