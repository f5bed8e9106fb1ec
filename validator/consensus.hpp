#pragma once
// Yuma consensus across several validators (DESIGN.md section 5, "Scoring and
// weights": the later stage). Each validator sets weights on the miners from its own
// scoring; this turns them, with the validators' stake and last epoch's bonds, into
// what one epoch's emission pays, the way Bittensor's subtensor does it (its
// docs/consensus.md, "Mathematical definitions"). Pure logic, no I/O: `zkslice
// consensus` reads the validators' weights and persists the bonds.
//
// With S the stake normalized, W each validator's weights normalized to sum to 1:
//   consensus     C_j = the largest w that validators holding at least kappa of the
//                       stake give miner j (W_ij >= w): a stake-weighted median
//   clipped       V_ij = min(W_ij, C_j)
//   rank          R_j = sum_i S_i V_ij;   incentive I = R / sum R;   trust T_j = R_j / P_j
//                 with prerank P_j = sum_i S_i W_ij
//   validator trust  sum_j V_ij
//   bond weights  U_ij = (1 - beta) W_ij + beta V_ij      (beta = bond_penalty)
//   bonds         B_ij = alpha dB_ij + (1 - alpha) B'_ij, dB_ij = S_i U_ij / sum_k S_k U_kj
//   dividends     D_i = sum_j B_ij I_j, normalized
//   emission      miner j: (1 - xi) I_j; validator i: xi D_i  (xi = validator_share)
// A minority of stake that over-weights its own miners is clipped to what the
// majority gives them, and its bonds (so its dividends) shrink with it.

#include <vector>

#include "util/result.hpp"

namespace zks::validator {

struct YumaParams {
  double kappa = 0.5;            // the stake that must support a weight, in (0, 1]
  double bond_penalty = 1.0;     // beta in [0, 1]: how much of the clipped excess bonds lose
  double bond_alpha = 0.1;       // the bonds' moving-average rate, in (0, 1]
  double validator_share = 0.5;  // xi in [0, 1]: the validators' part of the emission
};

struct YumaInput {
  std::vector<double> stake;                 // per validator, >= 0, not all 0
  std::vector<std::vector<double>> weights;  // [validator][miner], >= 0; a row of zeros: not active
  std::vector<std::vector<double>> bonds;    // last epoch's [validator][miner] bonds; empty: none yet
};

struct YumaOutput {
  std::vector<double> consensus, rank, incentive, trust;  // per miner
  std::vector<double> validator_trust, dividends;         // per validator
  std::vector<std::vector<double>> bonds;                 // this epoch's
  std::vector<double> miner_emission, validator_emission; // shares of the epoch's emission (together 1)
};

// One epoch. Errors name the input that is out of range or misshapen, and say so when no
// miner has a weight that kappa of the stake supports (then nothing can be paid).
Result<YumaOutput> yuma_epoch(const YumaInput& in, const YumaParams& p = {});

}  // namespace zks::validator
