#include "validator/scoring.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace zks::validator {

std::string ScoreState::to_json() const {
  return nlohmann::json{{"score", score},       {"strikes", strikes}, {"benched_until_ms", benched_until_ms},
                        {"valid", valid},       {"invalid", invalid}, {"failed", failed},
                        {"last_latency_ms", last_latency_ms}}
      .dump();
}

Result<ScoreState> ScoreState::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("score record is not JSON");
  try {
    ScoreState s;
    s.score = j.at("score").get<double>();
    s.strikes = j.at("strikes").get<uint32_t>();
    s.benched_until_ms = j.at("benched_until_ms").get<uint64_t>();
    s.valid = j.at("valid").get<uint64_t>();
    s.invalid = j.at("invalid").get<uint64_t>();
    s.failed = j.at("failed").get<uint64_t>();
    s.last_latency_ms = j.at("last_latency_ms").get<double>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return make_error(std::string("score record: ") + e.what());
  }
}

void score_response(ScoreState& s, Outcome outcome, double latency_ms, uint64_t now_ms, const ScoringParams& p) {
  switch (outcome) {
    case Outcome::Valid:
      s.score = (1 - p.alpha) * s.score + p.alpha * p.latency_ref_ms / (p.latency_ref_ms + std::max(0.0, latency_ms));
      s.last_latency_ms = latency_ms;
      ++s.valid;
      break;
    case Outcome::Invalid:
      s.score *= 1 - p.invalid_penalty;
      ++s.strikes;
      s.benched_until_ms = now_ms + p.bench_ms;
      ++s.invalid;
      break;
    case Outcome::Failed:
      s.score *= 1 - p.alpha / 2;
      ++s.failed;
      break;
  }
}

std::map<uint32_t, double> compute_weights(const std::map<uint32_t, ScoreState>& scores, uint64_t now_ms,
                                           const ScoringParams& p) {
  std::map<uint32_t, double> w;
  double total = 0;
  for (const auto& [uid, s] : scores) {
    double v = s.benched(now_ms) ? 0.0 : std::max(0.0, s.score);
    w[uid] = v;
    total += v;
  }
  if (total <= 0) return {};
  for (auto& [uid, v] : w) v /= total;
  // Cap at max_weight, spreading the excess over the uncapped (positive) ones, until
  // nothing exceeds the cap or nobody is left to take the excess.
  for (int round = 0; round < 64; ++round) {
    double excess = 0, free_total = 0;
    for (auto& [uid, v] : w)
      if (v > p.max_weight) excess += v - p.max_weight, v = p.max_weight;
    if (excess <= 1e-15) break;
    for (const auto& [uid, v] : w)
      if (v > 0 && v < p.max_weight) free_total += v;
    if (free_total <= 0) break;
    for (auto& [uid, v] : w)
      if (v > 0 && v < p.max_weight) v += excess * v / free_total;
  }
  return w;
}

}  // namespace zks::validator
