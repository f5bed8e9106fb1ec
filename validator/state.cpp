#include "validator/state.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

namespace zks::validator {

namespace {

uint64_t read_be(std::string_view key) {
  uint64_t v = 0;
  for (unsigned char c : key) v = (v << 8) | c;
  return v;
}

std::string miner_json(const MinerEntry& m) {
  return nlohmann::json{{"hotkey", m.hotkey.to_string()}, {"endpoint", m.endpoint},         {"stake", m.stake},
                        {"registered_ms", m.registered_ms}, {"last_seen_ms", m.last_seen_ms}}
      .dump();
}

Result<MinerEntry> parse_miner(uint32_t uid, std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("miner record " + std::to_string(uid) + " is not JSON");
  try {
    MinerEntry m;
    m.uid = uid;
    auto k = crypto::PublicKey::parse(j.at("hotkey").get<std::string>());
    if (!k.ok()) return make_error("miner record " + std::to_string(uid) + ": " + k.error());
    m.hotkey = *k;
    m.endpoint = j.at("endpoint").get<std::string>();
    m.stake = j.at("stake").get<double>();
    m.registered_ms = j.at("registered_ms").get<uint64_t>();
    m.last_seen_ms = j.at("last_seen_ms").get<uint64_t>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    return make_error("miner record " + std::to_string(uid) + ": " + e.what());
  }
}

// A prefixed audit log key ("e" or "r" then be64(seq)).
std::string log_key(char prefix, uint64_t seq) {
  std::string k(1, prefix);
  k.append(be64(seq));
  return k;
}

}  // namespace

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) s[size_t(i)] = char(v & 0xff);
  return s;
}

std::string be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[size_t(i)] = char(v & 0xff);
  return s;
}

Result<std::unique_ptr<ValidatorState>> ValidatorState::load(store::Store& store, size_t max_miners) {
  std::unique_ptr<ValidatorState> st(new ValidatorState(store));
  st->m_max_miners = max_miners;
  std::string err;
  ZK_TRY(store.for_each_prefix(store::cf::kMiners, "", [&](std::string_view k, std::string_view v) {
    auto m = parse_miner(uint32_t(read_be(k)), v);
    if (!m.ok()) return err = m.error(), false;
    st->m_miners[m->uid] = *m;
    return true;
  }));
  ZK_TRY(store.for_each_prefix(store::cf::kScores, "", [&](std::string_view k, std::string_view v) {
    auto s = ScoreState::from_json(std::string(v));
    if (!s.ok()) return err = s.error(), false;
    st->m_scores[uint32_t(read_be(k))] = *s;
    return true;
  }));
  if (!err.empty()) return make_error("validator state: " + err);
  for (const char* key : {"seq", "epoch"}) {
    auto v = store.get(store::cf::kMeta, key);
    if (!v.ok()) return make_error(v.error());
    if (!v->has_value()) continue;
    uint64_t& out = std::string(key) == "seq" ? st->m_seq : st->m_epoch;
    const auto& text = **v;
    if (std::from_chars(text.data(), text.data() + text.size(), out).ec != std::errc{})
      return make_error(std::string("validator state: counter '") + key + "' is not a number");
  }
  if (st->m_epoch > 0) {
    auto w = store.get(store::cf::kWeights, be64(st->m_epoch));
    if (!w.ok()) return make_error(w.error());
    if (w->has_value()) {
      auto j = nlohmann::json::parse(**w, nullptr, false);
      if (j.is_discarded() || !j.contains("weights")) return make_error("weights record of epoch " + std::to_string(st->m_epoch) + " is malformed");
      st->m_weights_ms = j.value("time_ms", uint64_t(0));
      for (auto& [uid, w2] : j["weights"].items()) {
        uint32_t id = 0;
        if (std::from_chars(uid.data(), uid.data() + uid.size(), id).ec != std::errc{} || !w2.is_number())
          return make_error("weights record of epoch " + std::to_string(st->m_epoch) + " is malformed");
        st->m_weights[id] = w2.get<double>();
      }
    }
  }
  return st;
}

Result<uint32_t> ValidatorState::register_miner(const crypto::PublicKey& hotkey, const std::string& endpoint,
                                                double stake, uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(m_mu);
  MinerEntry entry;
  bool reset = false;
  for (const auto& [uid, m] : m_miners)
    if (m.hotkey == hotkey) entry = m;
  if (entry.hotkey != hotkey) {  // new to the metagraph
    entry = MinerEntry{};
    uint32_t uid = 0;
    while (m_miners.count(uid)) ++uid;
    if (uid >= m_max_miners) {  // full: replace the lowest-scored miner
      double lowest = 1e300;
      for (const auto& [u, m] : m_miners) {
        double s = m_scores.count(u) ? m_scores.at(u).score : 0;
        if (s < lowest) lowest = s, uid = u;
      }
    }
    entry.uid = uid;
    entry.hotkey = hotkey;
    entry.registered_ms = now_ms;
    reset = true;  // a uid whose hotkey changes starts from a fresh score
  }
  entry.endpoint = endpoint;
  entry.stake = stake;
  entry.last_seen_ms = now_ms;
  store::Batch b;
  b.put(store::cf::kMiners, be32(entry.uid), miner_json(entry));
  if (reset) b.put(store::cf::kScores, be32(entry.uid), ScoreState{}.to_json());
  ZK_TRY(m_store.write(b));
  m_miners[entry.uid] = entry;
  if (reset) m_scores[entry.uid] = ScoreState{};
  return entry.uid;
}

Status ValidatorState::record_response(uint32_t uid, Outcome outcome, double latency_ms, uint64_t now_ms,
                                       const ScoringParams& p, const std::string& event_json) {
  std::lock_guard<std::mutex> lock(m_mu);
  ScoreState s = m_scores[uid];
  score_response(s, outcome, latency_ms, now_ms, p);
  store::Batch b;
  b.put(store::cf::kScores, be32(uid), s.to_json());
  b.put(store::cf::kRequests, log_key('e', m_seq), event_json);
  b.put(store::cf::kMeta, "seq", std::to_string(m_seq + 1));
  ZK_TRY(m_store.write(b));
  m_scores[uid] = s;
  ++m_seq;
  return {};
}

Status ValidatorState::record_request(const std::string& request_json) {
  std::lock_guard<std::mutex> lock(m_mu);
  store::Batch b;
  b.put(store::cf::kRequests, log_key('r', m_seq), request_json);
  b.put(store::cf::kMeta, "seq", std::to_string(m_seq + 1));
  ZK_TRY(m_store.write(b));
  ++m_seq;
  return {};
}

Result<bool> ValidatorState::claim_bench_input(const hash::Digest& input_hash) {
  std::lock_guard<std::mutex> lock(m_mu);
  std::string key = "bench/";
  key.append(input_hash.begin(), input_hash.end());
  auto seen = m_store.get(store::cf::kMeta, key);
  if (!seen.ok()) return make_error(seen.error());
  if (seen->has_value()) return false;
  ZK_TRY(m_store.put(store::cf::kMeta, key, ""));
  return true;
}

Status ValidatorState::set_weights(const std::map<uint32_t, double>& weights, uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(m_mu);
  nlohmann::json w = nlohmann::json::object();
  for (const auto& [uid, v] : weights) w[std::to_string(uid)] = v;
  store::Batch b;
  b.put(store::cf::kWeights, be64(m_epoch + 1), nlohmann::json{{"time_ms", now_ms}, {"weights", w}}.dump());
  b.put(store::cf::kMeta, "epoch", std::to_string(m_epoch + 1));
  ZK_TRY(m_store.write(b));
  ++m_epoch;
  m_weights = weights;
  m_weights_ms = now_ms;
  return {};
}

std::vector<MinerEntry> ValidatorState::miners() const {
  std::lock_guard<std::mutex> lock(m_mu);
  std::vector<MinerEntry> out;
  for (const auto& [uid, m] : m_miners) out.push_back(m);
  return out;
}

std::optional<MinerEntry> ValidatorState::miner(uint32_t uid) const {
  std::lock_guard<std::mutex> lock(m_mu);
  auto it = m_miners.find(uid);
  if (it == m_miners.end()) return std::nullopt;
  return it->second;
}

std::map<uint32_t, ScoreState> ValidatorState::scores() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_scores;
}

uint64_t ValidatorState::epoch() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_epoch;
}

std::map<uint32_t, double> ValidatorState::weights() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_weights;
}

uint64_t ValidatorState::last_weights_ms() const {
  std::lock_guard<std::mutex> lock(m_mu);
  return m_weights_ms;
}

}  // namespace zks::validator
