#pragma once
// The private prover's plan (circuits/slice/private_proof.hpp): what it commits, which
// sumchecks, product checks and lookups prove a model, in one order for prover and
// verifier. The Planner (private_planner.hpp, private_plan.cpp, private_ops.cpp) builds it
// from a model; private_proof.cpp proves and verifies it. Internal to those files.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "circuits/gadgets/table.hpp"
#include "circuits/slice/private_proof.hpp"
#include "field/field.hpp"
#include "lookup/zk_logup.hpp"
#include "model/quantize.hpp"
#include "poly/mle.hpp"
#include "poly/padded.hpp"
#include "sumcheck/zk.hpp"
#include "transcript/soundness.hpp"
#include "util/result.hpp"

namespace zks::circuits::private_detail {

namespace sc = sumcheck;
namespace lk = lookup;
using field::Fp;
using field::Fp2;
using model::QModel;
using model::QNode;

// Every masked read of a column (a sumcheck factor) spans at least 2^7 entries of it, and
// the planner bounds the reads of each block (count_reads). A read shows f~(r) + c R~(r): two F_p
// equations in the read's block of R. A block of 2^n read more than 2^(n-1) times would
// leave a combination of what the proof shows free of R, and show f (a read review found
// it: a 2-entry tensor read by its Requant and by the next Gemm was solvable).
constexpr unsigned kMinReadVars = 7;
constexpr unsigned kLimbBits = 16;
// A batched lookup's witness: its tensors' blocks side by side (a BlockLayout read in
// place, never copied), at most 2^20 entries and lk::kMaxZkBlocks blocks.
constexpr unsigned kMaxLookupVars = 20;

enum class LookupKind : uint8_t { Act = 1, Range = 2, Function = 3 };

// A zerocheck's second constraint (a clamp's product), joined to its first by a challenge
// gamma drawn after tau: sum_o eq(tau, o) [first(o) + gamma second(o)] = 0 shows both
// are 0 at every o but with probability about 1 / |F_{p^2}| (charged as two powers).
struct Second {
  std::vector<sc::Term> terms;
  bool empty() const { return terms.empty(); }
  std::vector<sc::Term> with(std::vector<sc::Term> first, const Fp2& gamma) const {
    for (sc::Term t : terms) {
      t.coeff *= gamma;
      first.push_back(std::move(t));
    }
    return first;
  }
  // The zerocheck's terms on both sides: `first` alone, or with these after drawing gamma
  // from `t` (and charging it where `t` keeps a soundness ledger: the verifier's).
  std::vector<sc::Term> joined(const std::vector<sc::Term>& first, transcript::Transcript& t) const {
    if (empty()) return first;
    auto out = with(first, t.challenge("private.gamma"));
    transcript::charge_powers(t, 2);
    return out;
  }
};

// The node of a batched lookup (of several tensors).
constexpr size_t kBatchedNode = SIZE_MAX - 1;

// An error naming the node (or the batched lookup) a step belongs to.
Error step_error(const QModel& m, size_t node, const std::string& what);

struct LookupPlan {
  LookupKind kind = LookupKind::Act;
  size_t node = SIZE_MAX;    // the node whose tensor it checks (SIZE_MAX: an input)
  // Witness column j's blocks: cols[j][b] holds block b of shape.witness (one block a
  // tensor; a batched lookup reads its tensors' columns in place, as one layout).
  std::vector<std::vector<size_t>> cols;
  size_t m_col = 0;          // the multiplicities' column
  unsigned table_vars = 0;
  unsigned range_bits = 0;             // Range: the limb's bits
  const FunctionTable* fn = nullptr;   // Function
  std::vector<std::vector<Fp>> table;  // the public columns (the verifier's own)
  lk::ZkShape shape;
  std::vector<unsigned> degrees;
  size_t off = 0;  // its slice of the mask table
  // The rows it reads: its blocks' real entries.
  uint64_t rows() const {
    uint64_t n = 0;
    for (const auto& b : shape.witness.blocks()) n += b.real_count();
    return n;
  }
};

// One input of a linear op: acc += M x over dense indices. `fold` gives M(r, .) over the
// input column's padded layout (2^kv entries) for a point r on the output's nv
// variables; `apply` adds M x to a dense accumulator.
struct LinearInput {
  size_t col = 0;
  std::function<std::vector<Fp2>(std::span<const Fp2> r, unsigned kv)> fold;
  std::function<void(std::span<const int64_t> x, std::vector<int64_t>& acc)> apply;
};

struct LinearPlan {
  size_t node = 0;
  // The inputs (fold and apply unused for a product: acc = x_0 x_1 entry by entry, both
  // in the output's layout, proved by sum_o eq(r, o) x_0(o) x_1(o)).
  std::vector<LinearInput> ins;
  bool product = false;
  // A MatMul of two activations, A [batch.., M, K] B [batch.., K, N] (ins: A, then B
  // transposed to [batch.., N, K] by a copy, so k is the lowest variable of both): the
  // map sumcheck runs over (k, batch) of sum eq(r_b, b) A(k, r_m, b) Bt(k, r_n, b).
  bool matmul = false;
  unsigned kb = 0, mb = 0, nb = 0, bb = 0;  // the axes' variables
  int64_t mm_K = 0, mm_batches = 0;
  bool derived = false;      // a column the plan adds (a copy, max pooling's D)
  bool requantizes = false;  // an activation requantized (clamped where it may clamp); else a copy
  // A range check: acc itself in [0, 2^shift), its limbs' sum (no q, no rounding bias):
  // the Requant zerocheck is sum_o eq(tau, o) sel(o) [acc(o) - sum_j 2^(16 j) l_j(o)] = 0.
  bool range_only = false;
  // A requantization the range analysis says may clamp: y = clamp(q_full, lo, hi) with
  // the excess c = |q_full - y| >= 0 in limbs (lowest first) and
  //     q_full = y + c (2y - lo - hi) / (hi - lo)      (in the Requant zerocheck),
  //     c (y - lo) (hi - y) = 0                         (a product check).
  // The second makes c = 0 or y one of lo, hi (p is prime and each factor lies in
  // [0, p)); there (2y - lo - hi) / (hi - lo) is +1 or -1, so q_full = y + c at hi and
  // y - c at lo, and with y in range, y is the executor's clamp of q_full.
  std::vector<size_t> excess_cols;
  unsigned excess_bits = 0;   // c below 2^excess_bits
  std::vector<int64_t> bias;  // dense, one an output
  size_t q_col = 0;
  std::vector<size_t> limb_cols;
  std::vector<unsigned> limb_bits;
  // The committed columns the Requant zerocheck reads, its factors 1.. (acc is 0, sel
  // last): q (not in a range check), the remainder's limbs, the excesses' limbs.
  std::vector<size_t> reader_cols() const {
    std::vector<size_t> c;
    if (!range_only) c.push_back(q_col);
    c.insert(c.end(), limb_cols.begin(), limb_cols.end());
    c.insert(c.end(), excess_cols.begin(), excess_cols.end());
    return c;
  }
  poly::PaddedShape out;  // q's layout
  unsigned kv = 0, nv = 0, shift = 0;
  std::vector<sc::Term> terms;        // the Requant zerocheck's
  Second second;                      // its clamp's (where it may clamp)
  std::vector<sc::Term> maker_terms;  // sum_j M_j x_j
  std::vector<unsigned> d_reader, d_maker;
  size_t off_reader = 0, off_maker = 0, off_S = 0;
};

// Max pooling's y = max over each window: y is committed, D[t][o] = y(o) - x(tap t of
// o) (1 at taps outside the input) is a linear op's output, range-checked in
// [0, 2^16), and zerochecks show that one tap of each window attains the max:
//     sum_o eq(tau, o) sel(o) prod_t D_t(o) = 0,
// in products of at most four factors (a sumcheck's round 0 has degree 3 in each
// masked factor, at most 16 in all): E = D_0 D_1 D_2 D_3 is committed and checked by
// sum_o eq(tau, o) sel(o) [E(o) - prod(o)] = 0, and so on, the last product being 0.
struct Factor {
  size_t col = 0, block = 0;  // the column's 2^nv entries from block 2^nv
  unsigned block_bits = 0;    // the block index's variables (above the nv)
};
struct ProductCheck {
  size_t node = 0;
  std::string what = "max";  // or "clamp" (a division's: DivPlan)
  std::vector<Factor> factors;
  size_t e_col = SIZE_MAX;  // E = prod (SIZE_MAX: prod = 0)
  poly::PaddedShape out;    // the entries' layout
  unsigned nv = 0;
  std::vector<sc::Term> terms;
  Second second;
  std::vector<unsigned> degrees;
  size_t off = 0;
  size_t masked_count() const { return factors.size() + (e_col == SIZE_MAX ? 0 : 1); }
};

// y(o) = max_t x(taps[t][o]) (taps[t][o] < 0: outside the input, never the max).
struct MaxPlan {
  size_t node = 0;
  size_t x_col = 0, y_col = 0;
  std::vector<std::vector<int64_t>> taps;
};

// The executor's Div, q = floor((2A + D) / (2D)) with A = a 2^ka and D = b 2^kb (round
// half up), for b > 0: q is committed and checked by a product and two range checks
// (Planner::divide). `a` is an activation column or constants; both are broadcast to q
// by index.
struct DivPlan {
  size_t node = 0;
  // q_col: the quotient; y_col: the output, clamp(q) (q_col itself where it cannot clamp,
  // else as a requantization's clamp: an excess c in limbs, q = y + c (2y - lo - hi) /
  // (hi - lo) and c (y - lo) (hi - y) = 0 by two product checks).
  size_t a_col = SIZE_MAX, b_col = 0, q_col = 0, y_col = 0;
  std::vector<size_t> excess_cols;
  unsigned excess_bits = 0;
  const std::vector<int64_t>* a_const = nullptr;
  std::vector<int64_t> ia, ib;
  unsigned ka = 0, kb = 0;
};

enum class Step : uint8_t { Linear, Unary, Max, Div };

struct UnaryPlan {
  size_t node = 0;
  size_t x_col = 0, y_col = 0;
  const FunctionTable* table = nullptr;
  bool derived = false;  // not a node's output (Softmax's exponentials)
};

// Blocks (tables of 2^vars values) in the polynomials of one joint hiding commitment: a
// block marked alone, or larger than a pack, is a polynomial of its own; the others are
// blocks of packs (one polynomial: a leaf a query for all of them, where a polynomial
// each made most of a private proof's opening) of about a quarter of their total, at
// most 2^20 values, filled largest block first so every offset is a multiple of its
// block's size. The joint
// commitment holds the units largest first: member j is unit order[j], pos[u] unit u's.
// A shared tensor's block (PrivateSlice) is a unit of its own outside the joint
// commitment (its own root): those units come last, after the joint commitment's
// `joint` members.
struct Packing {
  std::vector<unsigned> block_vars;
  std::vector<size_t> unit, offset;  // each block's unit and first entry in it
  std::vector<unsigned> unit_vars;   // each unit's value variables
  std::vector<size_t> order, pos;
  size_t joint = 0;                  // members in the joint commitment (the first ones)

  size_t members() const { return unit_vars.size(); }
  size_t member(size_t block) const { return pos[unit[block]]; }
  unsigned member_vars(size_t j) const { return unit_vars[order[j]] + 1; }  // with the mask's
  // A point on a block (block_vars coordinates) as a point on its unit: the block's offset
  // bits after it.
  std::vector<Fp2> point(size_t block, std::vector<Fp2> point) const {
    const size_t at = offset[block] >> block_vars[block];
    for (unsigned b = block_vars[block]; b < unit_vars[unit[block]]; ++b)
      point.push_back((at >> (b - block_vars[block])) & 1 ? Fp2::one() : Fp2::zero());
    return point;
  }
  // The members' value tables from each block's values: a lone block as it is, a pack
  // assembled (into `store`).
  std::vector<std::span<const Fp>> tables(std::span<const std::span<const Fp>> blocks,
                                          std::deque<std::vector<Fp>>& store) const;
  // Block b's values and mask in its member's committed table (values, then mask).
  std::pair<std::span<const Fp>, std::span<const Fp>> block(std::span<const Fp> member_table, size_t b) const {
    const size_t half = size_t(1) << unit_vars[unit[b]], n = size_t(1) << block_vars[b];
    return {member_table.subspan(offset[b], n), member_table.subspan(half + offset[b], n)};
  }
};

// Packs blocks; `reads` counts each block's masked reads (its pack's mask must outnumber
// what they and one opening show), `alone` marks the blocks that stay alone, and
// `own_vars`, where given and nonzero, the blocks committed on their own (a unit of
// those value variables, after the joint members).
Packing pack_blocks(const std::vector<unsigned>& vars, const std::vector<size_t>& reads,
                    const std::vector<char>& alone, const std::vector<unsigned>& own_vars = {});

// A shared tensor's commitment: its column of 2^vars entries under a mask of 2^n, n the
// least at least kMinHidingVars and vars with 2^n above everything its `openings` proofs
// show of it (each opening's leaves and at most 2^vars masked reads in all: count_reads
// holds each proof to its share).
unsigned shared_vars(unsigned vars, unsigned openings);

struct Plan {
  const QModel* m = nullptr;
  // BLAKE2b of the model as a manifest serializes it (graph, weights, scales, shifts,
  // tables): absorbed, so a proof is bound to the model even when it is not sealed.
  hash::Digest model_digest{};
  std::vector<poly::PaddedShape> col_shape;  // each column's layout (multiplicities: the table's rows)
  std::vector<unsigned> col_vars;            // each column's value variables (its lookup's, or its own)
  std::vector<size_t> input_cols, output_cols;
  std::map<int, size_t> tensor_cols;  // every tensor the plan holds, by id
  // A slice's shared tensors (PrivateSlice::shared), ascending: (column, tensor, openings).
  struct Shared {
    size_t col = 0;
    int tensor = 0;
    unsigned openings = 0;
  };
  std::vector<Shared> shared;
  const PrivateSlice* slice = nullptr;  // null: the whole model
  std::vector<LinearPlan> linears;
  std::vector<UnaryPlan> unaries;
  std::vector<MaxPlan> maxes;
  std::vector<DivPlan> divs;
  std::vector<ProductCheck> products;
  std::vector<LookupPlan> lookups;
  std::vector<std::pair<Step, size_t>> steps;  // the run's order
  std::vector<std::shared_ptr<FunctionTable>> tables;
  size_t mask_size = 0;
  unsigned mask_vars = 0;  // the mask table's value variables
  // The committed units: blocks are every column (vars_of), then the mask table (alone).
  Packing units;
  // Every lookup's helpers (lookup l's k-th is block helper_block(l, k)), committed after each
  // lookup's alpha and beta in a second joint commitment, whose members come after the
  // units' in the opening.
  Packing helpers;

  size_t columns() const { return col_shape.size(); }
  size_t members() const { return units.members(); }
  size_t member(size_t col) const { return units.member(col); }
  size_t mask_member() const { return units.member(columns()); }
  unsigned vars_of(size_t col) const { return col_vars[col]; }
  static size_t helper_block(size_t lookup, size_t k) { return lk::kZkHelpers * lookup + k; }
  size_t helper_member(size_t lookup, size_t k) const { return members() + helpers.member(helper_block(lookup, k)); }
  // A point on column `col` (vars_of(col) coordinates) as a point on its unit.
  std::vector<Fp2> unit_point(size_t col, std::vector<Fp2> point) const { return units.point(col, std::move(point)); }
};

// eq(r, .) on 2^|r| entries.
inline std::vector<Fp2> eq_of(std::span<const Fp2> r) { return poly::eq_table(r); }

// The plan of a model (or of one slice of it), or the first node it cannot take, named.
Result<Plan> make_private_plan(const QModel& m, const PrivateSlice* slice = nullptr);

}  // namespace zks::circuits::private_detail
