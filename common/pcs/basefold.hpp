#pragma once
// The polynomial commitment: Basefold (Zeilberger, Chen, Fisch, "BaseFold: Efficient
// Field-Agnostic Polynomial Commitment Schemes from Foldable Codes", CRYPTO 2024) with a
// Reed-Solomon code of rate 1/4 over Goldilocks, in the unique-decoding regime
// (DESIGN.md section 3, section 8 rules 6-8). Callers see commitments, claims and
// proof bytes; the code, the folding and the proof layout stay inside this module.
//
// Commit: the evaluation table (zero-padded to 2^n) is turned into monomial
// coefficients, encoded by NTT into 4 * 2^n values in bit-reversed order, and
// Merkle-committed with one folding coset (2^a values) per leaf. No salt: equal
// vectors give equal roots (slices are stitched by comparing roots, rule 7).
//
// Open: the sumcheck of sum_x f(x) W(x), W(x) = sum_t g^t eq(z_t, x) over the distinct
// claimed points z_t (rule 6), runs in lockstep with FRI-style folding of the codeword
// with the same challenges; each a rounds the folded codeword is committed. Once
// 2^final_log coefficients remain they are sent in clear, and the verifier finishes the
// sum itself (sum_x f'(x) W(r, x) over the last variables) instead of running the last
// rounds. Then a proof-of-work nonce, then query indices; each query opens one leaf per
// committed codeword (pruned multiproofs) and the verifier checks the folds down to the
// codeword of the final message, which it encodes itself.
//
// Batches: one folding run opens every polynomial above 2^final_log, whatever its size
// (polynomials of at most 2^final_log elements are sent in clear: the verifier
// recomputes their roots and evaluations). First each polynomial's claims are reduced
// to its value at one random point by a batched sumcheck; then the Basefold sumcheck
// opens sum_j alpha_j f_j there, with f_j of n_j < n variables joining the folded word
// when it reaches their length, as a function of the last n_j variables (the same
// codeword values as committing it tiled to the largest size). A query opens each
// codeword once, at the positions its chain of folds reaches when that codeword joins;
// the folded layers are shared (see FoldBatch in basefold.cpp). Params::
// batch_error_terms() bounds the run's error; verify_batch charges it to the
// transcript's soundness ledger.
//
// Defaults (Params::standard()): arity 16, final message 2^8, 12 grinding bits and 138
// queries, whose term is 2^-105 (131 would give the commitment alone 100 bits; the rest
// is room for a proof's other terms, rule 8). Arity 16 gave
// the smallest proofs of 2, 4, 8 and 16 at every size (bench_pcs BM_ProofSizeByArity,
// 12 grinding bits; at 2^20: 428 / 226 / 176 / 162 KB, at 2^18: 317 / 168 / 136 /
// 116 KB) and the fastest verification.

#include <memory>
#include <span>
#include <vector>

#include "field/ext2.hpp"
#include "hash/blake2b.hpp"
#include "pcs/params.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::hash {
class MerkleTree;
}

namespace zks::pcs {

namespace detail {
template <typename F>
class Encoded;
}

using field::Fp;
using field::Fp2;

struct Commitment {
  hash::Digest root{};
  uint32_t num_vars = 0;  // the committed table has 2^num_vars entries
  // A member of a joint commitment (commit_joint): every member's num_vars, largest
  // first, and which member this is. Empty for a commitment of one polynomial.
  std::vector<uint32_t> joint;
  uint32_t member = 0;

  bool operator==(const Commitment&) const = default;
  // The encoding of a commitment of one polynomial (a joint one is written by its owner).
  void write(util::ByteWriter& w) const;
  static Result<Commitment> read(util::ByteReader& r, const Params& params);
};

// The prover's side of a commitment: the table, its codeword and Merkle tree (kept in
// GPU memory when it was committed on the GPU: only the opened rows and paths come back).
class CommittedPoly {
 public:
  CommittedPoly(CommittedPoly&&) noexcept;
  CommittedPoly& operator=(CommittedPoly&&) noexcept;
  ~CommittedPoly();

  const Commitment& commitment() const { return m_commitment; }
  unsigned num_vars() const { return m_commitment.num_vars; }
  std::span<const Fp> evaluations() const { return m_evals; }
  // The MLE at `point` (num_vars coordinates).
  Fp2 evaluate(std::span<const Fp2> point) const;
  // Memory held by the codeword and tree: on the host, and on the GPU.
  size_t host_bytes() const;
  size_t device_bytes() const;

  struct Access;  // for the prover in basefold.cpp

 private:
  CommittedPoly();
  Commitment m_commitment;
  std::vector<Fp> m_evals;  // zero-padded evaluation table
  std::unique_ptr<detail::Encoded<Fp>> m_encoded;  // RS codeword (bit-reversed) and tree
  // A joint commitment's largest member: the others (its tree, in m_encoded, joins their
  // rows, and is made again from them if the GPU holding it fails).
  std::vector<std::shared_ptr<const CommittedPoly>> m_members;
};

// "Polynomial `poly` of the batch evaluates to `value` at `point`." With `weights` set,
// a weighted claim instead: sum_x f(x) eq(point, x_low) weights[x_high] = value, where
// x_low are the first point.size() variables and x_high the rest (weights has
// 2^(num_vars - point.size()) entries; an empty point makes it the inner product
// <f, weights>). The verifier computes the weights itself and evaluates their MLE, so a
// weighted claim costs it O(|weights|). An evaluation claim is the case weights = {},
// which stays the encoding and transcript of older proofs. (Zero knowledge stage 2:
// a Libra mask's g(r) is an inner product of its coefficient table, not an MLE value.)
struct Claim {
  size_t poly = 0;  // index into the batch (0 for the single-polynomial calls)
  std::vector<Fp2> point;
  Fp2 value;
  std::vector<Fp2> weights{};
};

// What a claim says `table` gives: f(point) for an evaluation claim, the weighted sum
// for a weighted one (table zero-padded to 2^num_vars, num_vars from the claim).
Fp2 claim_value(std::span<const Fp> table, const Claim& claim);

// Weighted claims on one polynomial with one point (a proof's final masks on its mask
// table), as one: weights sum_i lambda^i w_i, value sum_i lambda^i v_i. The caller draws
// lambda after the values are in the transcript and charges (count - 1) / |F|
// (transcript::charge_powers): one false claim makes the combination false but for
// that many lambdas. Refused when the claims differ in polynomial, point or size.
Result<Claim> combine_weighted(std::span<const Claim> claims, const Fp2& lambda);

// Commits to the MLE of `values` (zero-padded to a power of two, at least one value).
// On the GPU when gpu_commitments() (byte-identical: the same codeword and tree, which
// then stay in GPU memory).
Result<CommittedPoly> commit(std::span<const Fp> values, const Params& params);
// One commitment to several tables that are always opened together (a proof's witness
// stacks): each is encoded as by commit(), and one Merkle tree commits to every
// codeword, the smaller ones' leaves joined to the largest's tree at the height where
// their positions line up (hash::MerkleTree's mixed-height trees). An opening then sends
// one path per query for all of them. Tables in order of non-increasing size, each of
// a size joinable(); member i's commitment() has the joint root, `joint` = every
// member's num_vars and `member` = i. open_batch() must open all members together.
Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_joint(std::span<const std::span<const Fp>> tables,
                                                                       const Params& params);
// The same, taking the tables (no copy). keep_codewords = false frees each codeword
// once the tree is made, and an opening encodes it again to read its queried rows: a
// private proof's witness, whose codewords were half its peak memory, for one more
// encoding.
Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_joint(std::vector<std::vector<Fp>> tables,
                                                                       const Params& params,
                                                                       bool keep_codewords = true);
// Whether a polynomial of 2^num_vars entries may be a member of a joint commitment: it
// is opened by folding (not in clear), and a query reaches one leaf of its codeword
// wherever it joins a folding run.
bool joinable(unsigned num_vars, const Params& params);
// A joint commitment's sizes as commit_joint makes them (verifiers check sizes read
// from a proof), with the reason if not.
Status check_joint(std::span<const uint32_t> sizes, const Params& params);

// commit() of one table, or commit_joint() of several, remembered across calls for
// tables that recur from job to job (a model's weight stacks, committed by every proof
// and every verification of its slice): keyed by a BLAKE2b digest of the tables and
// the parameters' id, so a hit is the very commitment a fresh call would make. Least
// recently used entries go first once the cache holds more than its capacity in host
// and GPU memory together (set_commit_cache_capacity; 0 turns the cache off). An entry
// made on the GPU keeps its codewords there, so a model's weights are uploaded once,
// not per job.
Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_stack_cached(std::span<const std::span<const Fp>> tables,
                                                                              const Params& params);
Result<std::shared_ptr<const CommittedPoly>> commit_cached(std::span<const Fp> values, const Params& params);
// The commitments alone, for callers that need nothing else (a verifier committing the
// weights itself, sealing): a full entry's if there is one, else kept in a small map of
// digests to commitments (the last 4096), so such a process never holds codewords it
// does not read.
Result<std::vector<Commitment>> commitments_cached(std::span<const std::span<const Fp>> tables, const Params& params);
Result<Commitment> commitment_cached(std::span<const Fp> values, const Params& params);
constexpr size_t kCommitCacheBytes = size_t(512) << 20;
void set_commit_cache_capacity(size_t bytes);
struct CommitCacheStats {
  size_t entries = 0, bytes = 0, hits = 0, misses = 0;
};
CommitCacheStats commit_cache_stats();

// Whether commit() encodes and hashes on the GPU: a GPU is present and enabled
// (backend::set_gpu_enabled), and it matched the CPU on a self-check of every kernel
// path, run once per process (a mismatch switches it off with a warning in the log).
bool gpu_commitments();

// What openings disclose (sound, not yet hiding). An opening sends a table of at most
// 2^final_log entries in clear; a larger one reveals one whole leaf of its codeword per
// query (or, joining a larger run, a block of up to 2^(arity - 1) positions), and
// queries are fresh and uniform in every opening. The code is MDS, so any
// 2^num_vars distinct codeword entries (a quarter of the leaves, at rate 1/4) determine
// the table. Returns the expected number of openings after which they do: 1 for a table
// sent in clear, and never below 1. A commitment that every proof reopens (a model's
// weights) is disclosed by that many proofs.
double openings_to_reveal(const Commitment& c, const Params& params);

// Opening proofs. Prover and verifier run the same transcript calls: the caller absorbs
// its statement first; these absorb params_id, the commitments and the claims
// themselves before any challenge. A false claim gives a proof that fails to verify.
Result<util::Bytes> open(const CommittedPoly& poly, std::span<const Claim> claims,
                         transcript::Transcript& t, const Params& params);
Status verify(const Commitment& commitment, std::span<const Claim> claims,
              std::span<const uint8_t> proof, transcript::Transcript& t, const Params& params);

Result<util::Bytes> open_batch(std::span<const CommittedPoly* const> polys,
                               std::span<const Claim> claims, transcript::Transcript& t,
                               const Params& params);
Status verify_batch(std::span<const Commitment> commitments, std::span<const Claim> claims,
                    std::span<const uint8_t> proof, transcript::Transcript& t,
                    const Params& params);

}  // namespace zks::pcs
