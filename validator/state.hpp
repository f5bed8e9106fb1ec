#pragma once
// The validator's persistent state (DESIGN.md section 5, "Persistence"): the metagraph,
// scores, weights history, epoch and the request audit log, in RocksDB column families.
// Every mutation writes one atomic, synced batch first and updates memory after, so
// what a caller was told is durable, and a kill -9 loses nothing acknowledged. Loaded
// whole at start-up, before anything is served. Thread safe.
//
// Keys (big-endian numbers, so keys sort in order):
//   miners    be32(uid) -> JSON {hotkey, endpoint, stake, registered_ms, last_seen_ms}
//   scores    be32(uid) -> ScoreState JSON
//   weights   be64(epoch) -> JSON {time_ms, weights: {uid: w}}
//   requests  "e" be64(seq) -> a scored response; "r" be64(seq) -> a finished request
//   meta      "seq", "epoch" -> decimal; "bench/" hash -> "" (benchmark inputs used)

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "hash/blake2b.hpp"
#include "store/store.hpp"
#include "validator/scoring.hpp"

namespace zks::validator {

struct MinerEntry {
  uint32_t uid = 0;
  crypto::PublicKey hotkey;
  std::string endpoint;  // host:port
  double stake = 1;
  uint64_t registered_ms = 0, last_seen_ms = 0;
};

class ValidatorState {
 public:
  // `store` must outlive the state.
  static Result<std::unique_ptr<ValidatorState>> load(store::Store& store, size_t max_miners);

  // A miner (re)announces itself: its uid is kept; a new hotkey gets a free uid, or when
  // the metagraph is full the uid of the lowest-scored miner, whose score is reset.
  Result<uint32_t> register_miner(const crypto::PublicKey& hotkey, const std::string& endpoint, double stake,
                                  uint64_t now_ms);
  // Scores one response and appends it to the audit log, in one batch.
  Status record_response(uint32_t uid, Outcome outcome, double latency_ms, uint64_t now_ms, const ScoringParams& p,
                         const std::string& event_json);
  // Appends a finished request to the audit log.
  Status record_request(const std::string& request_json);
  // The benchmark loop's hash guard: true if this input hash is new (now recorded,
  // durably, so an input is never reused across restarts either).
  Result<bool> claim_bench_input(const hash::Digest& input_hash);
  // Starts the next epoch with these weights.
  Status set_weights(const std::map<uint32_t, double>& weights, uint64_t now_ms);

  std::vector<MinerEntry> miners() const;
  std::optional<MinerEntry> miner(uint32_t uid) const;
  std::map<uint32_t, ScoreState> scores() const;
  uint64_t epoch() const;
  std::map<uint32_t, double> weights() const;  // of the current epoch
  uint64_t last_weights_ms() const;

 private:
  explicit ValidatorState(store::Store& store) : m_store(store) {}
  store::Store& m_store;
  size_t m_max_miners = 256;
  mutable std::mutex m_mu;
  std::map<uint32_t, MinerEntry> m_miners;
  std::map<uint32_t, ScoreState> m_scores;
  std::map<uint32_t, double> m_weights;
  uint64_t m_epoch = 0, m_seq = 0, m_weights_ms = 0;
};

std::string be32(uint32_t v);
std::string be64(uint64_t v);

}  // namespace zks::validator
