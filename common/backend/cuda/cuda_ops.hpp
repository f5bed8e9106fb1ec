#pragma once
// The raw CUDA entry points, over plain pointers so this header compiles as C++17
// under nvcc (CMake 3.25 cannot ask nvcc for C++20). backend.cpp checks arguments
// once and dispatches here. F_p values are canonical u64 words, F_p^2 values two words
// (c0, c1). Every function returns null or the CUDA error string; nothing aborts.
// Host-memory entry points upload, run and download (for the parity tests and one-off
// use); the *_device functions in the .cuh files work on device memory.

#include <cstddef>
#include <cstdint>

namespace zks::backend::cuda_ops {

struct DeviceProps {
  char name[256];
  size_t memory_bytes;
  int sm_major, sm_minor;
};

// Number of visible devices; 0 (never an error) when there is no driver or GPU.
// `why` receives the CUDA error string in that case (may be null).
int device_count(const char** why);
bool device_props(int device, DeviceProps* out);

// out[i] = a[i] * b[i] over canonical Goldilocks values.
const char* mul(int device, const uint64_t* a, const uint64_t* b, uint64_t* out, size_t n);

// pcs::ntt_dif on `batch` contiguous vectors of n = 2^k values, in place (ntt.cu).
const char* ntt_dif(int device, uint64_t* data, size_t n, size_t batch);
// pcs::detail::rs_encode: out holds n << log_blowup values (ntt.cu).
const char* rs_encode(int device, const uint64_t* coeffs, size_t n, unsigned log_blowup, uint64_t* out);
// hash::MerkleTree::from_rows over `count` (a power of two) rows of row_words words:
// nodes receives 2 * count digests of 32 bytes, node 1 the root, leaves from node count
// on, node 0 zero (merkle.cu).
const char* merkle_tree(int device, const uint64_t* rows, size_t row_words, size_t count, uint8_t* nodes);
// poly::fold: out[i] = f[2i] + r (f[2i+1] - f[2i]), i < n/2, f in F_p (base) or F_p^2,
// r and out in F_p^2 (mle.cu).
const char* fold(int device, const uint64_t* f, bool base, size_t n, const uint64_t r[2], uint64_t* out);
// poly::evaluate of a base-field table of n = 2^k entries at an F_p^2 point of k
// coordinates (mle.cu).
const char* mle_evaluate(int device, const uint64_t* f, size_t n, const uint64_t* point, size_t k, uint64_t out[2]);
// One layer of a LogUp-GKR fraction tree from its children (n F_p^2 values each):
// p_out[x] = p[2x] q[2x+1] + p[2x+1] q[2x], q_out[x] = q[2x] q[2x+1] (mle.cu).
const char* fraction_layer(int device, const uint64_t* p, const uint64_t* q, size_t n, uint64_t* p_out,
                           uint64_t* q_out);
// sumcheck::Prover's round sums for a product of d <= 8 F_p^2 tables of n entries with
// optional eq weights (n/2 F_p^2 values, null for none): out[t] = l(t), t = 0..L <= 8,
// l(1) left zero when skip_one (sumcheck.cu).
const char* product_round(int device, const uint64_t* const* tables, unsigned d, size_t n, const uint64_t* weights,
                          unsigned L, bool skip_one, uint64_t* out);

// A sumcheck held on the device from its first round to its last (sumcheck.cu): d <= 8
// tables of n = 2^k entries (table j base-field when bit j of base_mask is set, else
// F_p^2), optional eq weights (n/2 F_p^2 values, null for none) and the polynomial:
// num_terms (<= 8) terms coeffs[k] (F_p^2) times the product of term_sizes[k] factors
// listed in term_factors, or the product of every factor when num_terms is 0.
struct SumcheckSession;
const char* sumcheck_open(int device, const uint64_t* const* tables, uint32_t base_mask, unsigned d, size_t n,
                          const uint64_t* weights, unsigned num_terms, const uint64_t* coeffs,
                          const unsigned* term_sizes, const unsigned* term_factors, SumcheckSession** out);
// The round's sums l(0..L) (L <= 8; l(1) left zero when skip_one) into out; the
// previous challenge's fold runs in the same kernel.
const char* sumcheck_round(SumcheckSession* s, unsigned L, bool skip_one, uint64_t* out);
// Binds the current variable to r (F_p^2); the fold itself waits for the next round.
const char* sumcheck_bind(SumcheckSession* s, const uint64_t r[2]);
// Factor j's table as it stands (every challenge folded in) as F_p^2 values: out holds
// sumcheck_entries(s) of them.
const char* sumcheck_table(SumcheckSession* s, unsigned j, uint64_t* out);
size_t sumcheck_entries(const SumcheckSession* s);
void sumcheck_close(SumcheckSession* s);

// A Basefold commitment made and kept on the device (ntt.cu): the evaluation table's
// monomial coefficients (pcs::detail::evals_to_coeffs), their Reed-Solomon codeword
// (rs_encode) and its Merkle tree in rows of leaf_width values (merkle_tree) stay in
// device memory; the root (node 1) comes back, rows and tree nodes on request. fp2: n
// F_p^2 values (2n words), each coordinate encoded on its own as
// pcs::detail::rs_encode(span<const Fp2>) does. tree false: no tree (root zero; a
// joint commitment's member, whose rows are joined into another's tree).
// commit_free releases it.
struct DeviceCommit;
const char* commit(int device, const uint64_t* evals, size_t n, bool fp2, unsigned log_blowup, size_t leaf_width,
                   bool tree, uint8_t root[32], DeviceCommit** out);
// A joint commitment (hash::MerkleTree::from_leaves(leaves, joined)): c's tree keeps its
// leaves and is hashed again above them with each part's rows joined at its height, in
// order; root receives the new node 1. A part's rows (c's rows >> height of them,
// row_words each) are another device commitment's codeword, or host memory.
struct JoinPart {
  const DeviceCommit* member;  // or null, and host_rows
  const uint64_t* host_rows;
  size_t row_words;
  unsigned height;
};
const char* commit_join(DeviceCommit* c, const JoinPart* parts, size_t count, uint8_t root[32]);
// Rows index[0..count) of the codeword (leaf_width values each) into out, in that order.
const char* commit_rows(const DeviceCommit* c, const uint64_t* index, size_t count, uint64_t* out);
// Tree nodes index[0..count) (heap positions: node 1 the root, the leaves from node
// `rows` on) into out, 32 bytes each.
const char* commit_nodes(const DeviceCommit* c, const uint64_t* index, size_t count, uint8_t* out);
size_t commit_device_bytes(const DeviceCommit* c);
void commit_free(DeviceCommit* c);

// Median milliseconds of `reps` device-resident runs of op ("copy", "ntt" (arg: batch),
// "rs_encode" (arg: log blowup), "commit" (blowup 4, 16 values a leaf), "merkle" (arg:
// words per leaf), "fold", "sumcheck"
// (one round, arg: factors), "sumcheck_full" (a whole session, arg: factors)) at size 2^log_n, and the fewest bytes the op must move (bench.cu).
const char* time_op(int device, const char* op, unsigned log_n, unsigned arg, int reps, double* ms,
                    double* bytes);

}  // namespace zks::backend::cuda_ops
