#pragma once
// Internal: the Basefold opening proof as data, with its byte encoding. Only the pcs
// module and its tests see this; callers handle proofs as bytes (basefold.hpp).
//
// Layout (all integers little-endian):
//   u32 version | params_id (32 bytes) | u32 group count | groups...
// A group is:
//   u8 kind | u32 num_vars | u32 poly count | kind-specific body
// kind Clear (num_vars <= final_log, one group per size): per polynomial its
//   evaluation table.
// kind Fold (at most one, first: every larger polynomial, num_vars the largest's): the
//   claim-reduction rounds (3 values each), each polynomial's value at their point,
//   the opening's sumcheck rounds, roots of the folded layers, the final message, the
//   PoW nonce, then per polynomial and per folded layer the opened leaves (sorted
//   unique leaf indices) and one pruned multiproof.
// Reading refuses truncation, non-canonical field elements, trailing bytes and counts
// above limits derived from the parameters, each with a reason.

#include <array>
#include <cstdint>
#include <vector>

#include "field/ext2.hpp"
#include "hash/merkle.hpp"
#include "pcs/params.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::pcs::detail {

using field::Fp;
using field::Fp2;

constexpr uint32_t kProofVersion = 3;  // 2: one folding run for every size; 3: joint commitments

enum class GroupKind : uint8_t { Clear = 0, Fold = 1 };

struct GroupProof {
  GroupKind kind = GroupKind::Fold;
  uint32_t num_vars = 0;
  uint32_t num_polys = 0;
  // Clear
  std::vector<std::vector<Fp>> tables;
  // Fold
  std::vector<std::array<Fp2, 3>> reduce_rounds;  // the claims reduced to one point
  std::vector<Fp2> point_evals;                   // each polynomial at that point
  std::vector<std::array<Fp2, 3>> rounds;         // s_i(0), s_i(1), s_i(2)
  std::vector<hash::Digest> layer_roots;    // committed folded codewords
  std::vector<Fp2> final_message;           // monomial coefficients, 2^final_log
  uint64_t pow_nonce = 0;
  std::vector<std::vector<Fp>> base_leaves;  // per polynomial: opened leaves of its codeword, concatenated
  std::vector<hash::MultiProof> base_proofs;
  std::vector<std::vector<Fp2>> layer_leaves;  // per folded layer
  std::vector<hash::MultiProof> layer_proofs;
};

struct OpeningProof {
  uint32_t version = kProofVersion;
  hash::Digest params_id{};
  std::vector<GroupProof> groups;

  util::Bytes to_bytes() const;
  static Result<OpeningProof> from_bytes(std::span<const uint8_t> bytes, const Params& params);
};

}  // namespace zks::pcs::detail
