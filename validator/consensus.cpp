#include "validator/consensus.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace zks::validator {

namespace {

bool finite_nonnegative(double x) { return std::isfinite(x) && x >= 0; }

// x / sum(x), or x unchanged when it sums to 0.
std::vector<double> normalized(std::vector<double> x) {
  const double s = std::accumulate(x.begin(), x.end(), 0.0);
  if (s > 0)
    for (double& v : x) v /= s;
  return x;
}

Status check(const YumaInput& in, const YumaParams& p) {
  if (!(p.kappa > 0 && p.kappa <= 1)) return make_error("consensus: kappa must be in (0, 1]");
  if (!(p.bond_penalty >= 0 && p.bond_penalty <= 1)) return make_error("consensus: the bond penalty must be in [0, 1]");
  if (!(p.bond_alpha > 0 && p.bond_alpha <= 1)) return make_error("consensus: the bonds' alpha must be in (0, 1]");
  if (!(p.validator_share >= 0 && p.validator_share <= 1))
    return make_error("consensus: the validators' share must be in [0, 1]");
  const size_t v = in.stake.size();
  if (v == 0) return make_error("consensus: no validators");
  if (in.weights.size() != v)
    return make_error("consensus: " + std::to_string(in.weights.size()) + " rows of weights for " + std::to_string(v) +
                      " validators");
  double total = 0;
  for (size_t i = 0; i < v; ++i) {
    if (!finite_nonnegative(in.stake[i])) return make_error("consensus: validator " + std::to_string(i) + "'s stake is not >= 0");
    total += in.stake[i];
  }
  if (!(total > 0)) return make_error("consensus: the validators hold no stake");
  if (!std::isfinite(total)) return make_error("consensus: the stake adds up to more than a double holds");
  const size_t m = in.weights[0].size();
  for (size_t i = 0; i < v; ++i) {
    if (in.weights[i].size() != m)
      return make_error("consensus: validator " + std::to_string(i) + " weights " + std::to_string(in.weights[i].size()) +
                        " miners, validator 0 " + std::to_string(m));
    for (double w : in.weights[i])
      if (!finite_nonnegative(w)) return make_error("consensus: validator " + std::to_string(i) + " has a weight that is not >= 0");
    if (!std::isfinite(std::accumulate(in.weights[i].begin(), in.weights[i].end(), 0.0)))
      return make_error("consensus: validator " + std::to_string(i) + "'s weights add up to more than a double holds");
  }
  if (!in.bonds.empty()) {
    if (in.bonds.size() != v) return make_error("consensus: last epoch's bonds have the wrong number of validators");
    for (const auto& row : in.bonds) {
      if (row.size() != m) return make_error("consensus: last epoch's bonds have the wrong number of miners");
      for (double b : row)
        if (!finite_nonnegative(b) || b > 1 + 1e-9) return make_error("consensus: a bond of last epoch is not in [0, 1]");
    }
  }
  return Status{};
}

// The largest w with sum_i S_i [col_i >= w] >= kappa (S sums to 1): the weights in
// decreasing order, the first at which the stake behind it reaches kappa.
double stake_median(const std::vector<double>& stake, const std::vector<double>& col, double kappa) {
  std::vector<size_t> order(col.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return col[a] > col[b]; });
  double behind = 0;
  for (size_t i : order) {
    behind += stake[i];
    // A tolerance for the stake's rounding: kappa = 0.5 of two equal halves is reached.
    if (behind >= kappa - 1e-12) return col[i];
  }
  return 0;
}

}  // namespace

Result<YumaOutput> yuma_epoch(const YumaInput& in, const YumaParams& p) {
  ZK_TRY(check(in, p));
  const size_t v = in.stake.size(), m = in.weights[0].size();
  // A validator that set no weights is not active this epoch: its stake neither supports
  // nor dilutes anyone's weights (subtensor's active stake).
  std::vector<double> S = in.stake;
  for (size_t i = 0; i < v; ++i)
    if (std::accumulate(in.weights[i].begin(), in.weights[i].end(), 0.0) <= 0) S[i] = 0;
  if (std::accumulate(S.begin(), S.end(), 0.0) <= 0) return make_error("consensus: no validator with stake set any weight");
  S = normalized(std::move(S));
  std::vector<std::vector<double>> W(v);
  for (size_t i = 0; i < v; ++i) W[i] = normalized(in.weights[i]);

  YumaOutput out;
  out.consensus.assign(m, 0);
  out.rank.assign(m, 0);
  out.trust.assign(m, 0);
  std::vector<double> prerank(m, 0), col(v);
  for (size_t j = 0; j < m; ++j) {
    for (size_t i = 0; i < v; ++i) {
      col[i] = W[i][j];
      prerank[j] += S[i] * W[i][j];
    }
    out.consensus[j] = stake_median(S, col, p.kappa);
  }
  // Clipped weights, rank, trust.
  std::vector<std::vector<double>> V(v, std::vector<double>(m, 0));
  out.validator_trust.assign(v, 0);
  for (size_t i = 0; i < v; ++i)
    for (size_t j = 0; j < m; ++j) {
      V[i][j] = std::min(W[i][j], out.consensus[j]);
      out.rank[j] += S[i] * V[i][j];
      out.validator_trust[i] += V[i][j];
    }
  for (size_t j = 0; j < m; ++j) out.trust[j] = prerank[j] > 0 ? out.rank[j] / prerank[j] : 0;
  if (std::accumulate(out.rank.begin(), out.rank.end(), 0.0) <= 0)
    return make_error("consensus: no miner has weight from validators holding kappa of the stake: nothing to pay");
  out.incentive = normalized(out.rank);
  // Bonds: this epoch's stake-weighted, penalized weights, normalized per miner, then
  // the moving average with last epoch's.
  out.bonds.assign(v, std::vector<double>(m, 0));
  for (size_t j = 0; j < m; ++j) {
    double col_sum = 0;
    for (size_t i = 0; i < v; ++i) col_sum += S[i] * ((1 - p.bond_penalty) * W[i][j] + p.bond_penalty * V[i][j]);
    for (size_t i = 0; i < v; ++i) {
      const double u = (1 - p.bond_penalty) * W[i][j] + p.bond_penalty * V[i][j];
      const double delta = col_sum > 0 ? S[i] * u / col_sum : 0;
      const double before = in.bonds.empty() ? 0 : in.bonds[i][j];
      out.bonds[i][j] = p.bond_alpha * delta + (1 - p.bond_alpha) * before;
    }
  }
  out.dividends.assign(v, 0);
  for (size_t i = 0; i < v; ++i)
    for (size_t j = 0; j < m; ++j) out.dividends[i] += out.bonds[i][j] * out.incentive[j];
  out.dividends = normalized(out.dividends);
  out.miner_emission.resize(m);
  out.validator_emission.resize(v);
  for (size_t j = 0; j < m; ++j) out.miner_emission[j] = (1 - p.validator_share) * out.incentive[j];
  for (size_t i = 0; i < v; ++i) out.validator_emission[i] = p.validator_share * out.dividends[i];
  return out;
}

}  // namespace zks::validator
