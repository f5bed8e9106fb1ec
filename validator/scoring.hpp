#pragma once
// Scores, strikes and weights (DESIGN.md section 5, "Scoring and weights"). Pure
// logic, no I/O: the validator persists what these functions return.
//
// Per response, with the latency L measured by the validator (monotonic clock around
// the call, never miner-reported):
//   valid proof          score <- (1 - a) score + a * L_ref / (L_ref + L)   (a = alpha)
//   invalid proof        score <- score * (1 - invalid_penalty), a strike, benched
//                        (weight 0, not dispatched to) for bench_ms
//   timeout / transport  score <- (1 - a/2) score                        (lighter)
// Weights: scores of miners not benched, normalized, each capped at max_weight with
// the excess spread over the others (when the cap is feasible).

#include <cstdint>
#include <map>
#include <string>

#include "util/result.hpp"

namespace zks::validator {

struct ScoringParams {
  double alpha = 0.2;
  double latency_ref_ms = 1000;
  double invalid_penalty = 0.9;
  uint64_t bench_ms = 10 * 60 * 1000;
  double max_weight = 1.0;  // 1: no cap
};

struct ScoreState {
  double score = 0;
  uint32_t strikes = 0;
  uint64_t benched_until_ms = 0;
  uint64_t valid = 0, invalid = 0, failed = 0;  // responses counted, by outcome
  double last_latency_ms = 0;

  bool benched(uint64_t now_ms) const { return now_ms < benched_until_ms; }
  std::string to_json() const;
  static Result<ScoreState> from_json(const std::string& text);
  bool operator==(const ScoreState&) const = default;
};

enum class Outcome { Valid, Invalid, Failed };

void score_response(ScoreState& s, Outcome outcome, double latency_ms, uint64_t now_ms, const ScoringParams& p);

// uid -> weight, summing to 1 (empty when no miner has a positive score).
std::map<uint32_t, double> compute_weights(const std::map<uint32_t, ScoreState>& scores, uint64_t now_ms,
                                           const ScoringParams& p);

}  // namespace zks::validator
