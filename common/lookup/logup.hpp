#pragma once
// LogUp lookups (Haboeck 2022, "Multivariate lookups based on logarithmic
// derivatives") proved with a GKR fraction tree (Papini-Haboeck 2023, "Improving
// logarithmic derivative lookups using GKR").
//
// Claim: every real row w_i of the witness columns appears as a row of the table,
// i.e. with alpha, beta random and c(row) = sum_c beta^c row_c,
//
//     sum_{i real} 1 / (alpha - c(w_i)) = sum_j m_j / (alpha - c(t_j)).
//
// The witness columns are tensors padded per axis (poly::PaddedShape); the real rows
// are those the shape marks real. Two fraction trees are built: the witness tree with
// leaves (sel_i, alpha - c(w_i)) where sel_i = [i is real] masks padding (DESIGN.md
// section 8 rule 4), and the table tree
// with leaves (m_j, alpha - c(t_j)). A parent is p = p_l q_r + p_r q_l, q = q_l q_r; the
// child bit is variable 0. The prover sends both roots; the verifier checks
// p_w q_t = p_t q_w with q_w, q_t != 0, then GKR reduces each root to one claim on the
// leaf layer, layer by layer, with one degree-3 sumcheck per layer over
// eq(r, x) (p0 q1 + p1 q0 + lambda q0 q1).
//
// What the caller must do (this module cannot): commit the witness columns and the
// multiplicities m and absorb those commitments before calling prove/verify (alpha
// and beta are drawn here), then check the returned evaluation claims: the witness
// columns and m against their commitments, the table columns against the table (the
// verifier computes a public table itself or opens the fingerprinted one). The
// selector is evaluated by the verifier here.

#include <cstdint>
#include <span>
#include <vector>

#include "field/ext2.hpp"
#include "poly/padded.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::lookup {

using field::Fp;
using field::Fp2;

struct Shape {
  poly::BlockLayout witness;  // the witness columns' layout: its real entries are looked up
  unsigned table_vars = 0;    // table columns have 2^table_vars rows
  unsigned columns = 1;       // columns per row (pair tables: 2)
  unsigned witness_vars() const { return witness.num_vars(); }
};

struct Input {
  std::vector<std::span<const Fp>> witness;  // `columns` spans of witness_shape.padded_size()
  std::vector<std::span<const Fp>> table;    // `columns` spans of 2^table_vars
  poly::BlockLayout witness_shape;
  Shape shape() const;
};

// m_j = number of real witness rows equal to table row j (the first table row when a
// row repeats). Fails, naming the row, when a witness row is not in the table.
Result<std::vector<Fp>> multiplicities(const Input& in);

struct LayerProof {
  sumcheck::Proof sumcheck;
  Fp2 p0, p1, q0, q1;  // the children's MLEs at the sumcheck point
};

struct Proof {
  Fp2 p_w, q_w, p_t, q_t;             // the two roots
  std::vector<LayerProof> witness_layers;  // witness_vars layers, root first
  std::vector<LayerProof> table_layers;    // table_vars layers, root first
  std::vector<Fp2> witness_evals;     // each witness column at witness_point
  std::vector<Fp2> table_evals;       // each table column at table_point
  Fp2 m_eval;                         // m at table_point

  void write(util::ByteWriter& w) const;
  static Result<Proof> read(util::ByteReader& r, const Shape& shape);
};

// The evaluation claims the caller must check (see above).
struct Claims {
  std::vector<Fp2> witness_point;
  std::vector<Fp2> witness_evals;
  std::vector<Fp2> table_point;
  std::vector<Fp2> table_evals;
  Fp2 m_eval;
};

struct ProverOutput {
  Proof proof;
  Claims claims;
};

// Proves with the given multiplicities (use multiplicities(); tests pass wrong ones).
ProverOutput prove(const Input& in, std::span<const Fp> m, transcript::Transcript& t);

// Checks the roots and every GKR layer; returns the claims or the reason to reject.
Result<Claims> verify(const Shape& shape, const Proof& proof, transcript::Transcript& t);

namespace detail {
using sumcheck::Instance;
// A lookup's shape as the transcript absorbs it: the witness layout's blocks and their
// dims, the table's variables and the columns (zk_logup appends its own size).
util::ByteWriter shape_bytes(const poly::BlockLayout& witness, unsigned table_vars, unsigned columns);
// One layer of a fraction tree of `size` fractions: the first p.size() held in p and q,
// every later one equal to (p_tail, q_tail). A witness's padding past its last block is
// such a tail (leaves (0, alpha - c(0))), and so is every parent over it: the prover
// neither builds nor sums it, and proves the same bytes as over the whole layer.
struct FractionTable {
  std::vector<Fp2> p, q;
  size_t size = 0;
  Fp2 p_tail = Fp2::zero(), q_tail = Fp2::one();
  Fp2 p_at(size_t i) const { return i < p.size() ? p[i] : p_tail; }
  Fp2 q_at(size_t i) const { return i < q.size() ? q[i] : q_tail; }
};
// One GKR layer of a fraction tree: the sumcheck of
// sum_x eq(r, x) (p0 q1 + p1 q0 + lambda q0 q1) with p_b(x) = p[2x + b], q_b likewise
// (p, q the children, 2^(|r|+1) of them), by the specialised kernel, whose work is
// proportional to the children held explicitly; on the GPU, as the generic instance
// below, when sumcheck::use_gpu(|r|) (the same proof either way).
sumcheck::ProverOutput prove_fraction_layer(const FractionTable& children, std::span<const Fp2> r,
                                            const Fp2& lambda, const Fp2& claim, transcript::Transcript& t);
// The same over children held in full.
sumcheck::ProverOutput prove_fraction_layer(std::span<const Fp2> p, std::span<const Fp2> q, std::span<const Fp2> r,
                                            const Fp2& lambda, const Fp2& claim, transcript::Transcript& t);
// The same sumcheck as a generic instance over `tables` (filled here): the GPU's
// instance, and the kernel's reference in the tests.
Instance fraction_layer_instance(std::span<const Fp2> p, std::span<const Fp2> q, std::span<const Fp2> r,
                                 const Fp2& lambda, std::vector<std::vector<Fp2>>& tables);
}  // namespace detail

}  // namespace zks::lookup
