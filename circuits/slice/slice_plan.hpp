#pragma once
// The plan of a slice proof, shared by the prover and the verifier (slice_proof.cpp) and
// by sealing (fingerprint.cpp): which tensors are public, committed or virtual, the
// gadget shape of every node, every committed column and how the columns are stacked.
// Internal to circuits/slice.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "circuits/gadgets/bmm.hpp"
#include "circuits/gadgets/conv.hpp"
#include "circuits/gadgets/divide.hpp"
#include "circuits/gadgets/gather.hpp"
#include "circuits/gadgets/linear.hpp"
#include "circuits/gadgets/matmul.hpp"
#include "circuits/gadgets/maxpool.hpp"
#include "circuits/gadgets/range.hpp"
#include "circuits/gadgets/requant.hpp"
#include "circuits/gadgets/table.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "model/quantize.hpp"
#include "pcs/basefold.hpp"

namespace zks::circuits::slice_detail {

using model::QModel;
using model::QNode;

// ConvT: ConvTranspose as a gather (x spread out by the strides, padded: `gather`) and
// a stride-1 Conv with the kernel flipped and its channel axes swapped (`conv`).
enum class Kind { Conv, Gemm, Table, Gather, Mul, AvgPool, MaxPool, Add, PRelu, Reduce, Div, MatMul, Softmax, ConvT };
// PublicConst: a constant of the model used as an operand (the verifier evaluates it).
enum class TensorKind { PublicInput, PublicConst, Committed, Virtual };

struct Column {
  poly::PaddedShape shape;
  int weight_tensor = -1;  // a weight or bias the verifier lays out itself
  bool conv_weights = false;
  bool transposed = false;  // a ConvTranspose kernel, laid out as its equivalent Conv's
  // Its gadget proves every padded entry zero (a requantization's or a division's q):
  // only such a column may trade its range term for a lookup, which bounds real entries
  // only (drop_range_terms_implied_by_lookups).
  bool zero_padded = false;
};

struct NodePlan {
  Kind kind;
  const QNode* node;
  int x = -1, y = -1;
  ConvShape conv;
  MatmulShape mm;
  RequantShape rq;
  int w = -1, b = -1;
  // Column indices; b_col only when b >= 0 (never a default that aliases another column).
  size_t w_col = SIZE_MAX, b_col = SIZE_MAX, rq_col = 0;  // requant columns rq_col .. + rq.num_columns()
  size_t group = 0, block = 0;  // table ops: their lookup group and block in it
  // The lookup's output column, and its input: the tensor x, or a column (Softmax's d).
  size_t lookup_out = SIZE_MAX, lookup_in = SIZE_MAX;
  size_t y_col = 0;             // the committed output (its first column)
  GatherShape gather;
  // Concat: one gather per input (fill 0), their sum plus the fill (concat_fill where
  // the map says so) is the output; empty for a one-input layout op.
  std::vector<GatherShape> parts;
  std::vector<int> part_inputs;
  // Concat of different scales: part i is its input requantized by its shift first
  // (part_rq_col[i] == SIZE_MAX: shift 0, the input itself).
  std::vector<RequantShape> part_rq;
  std::vector<size_t> part_rq_col;
  int64_t concat_fill = 0;
  int x2 = -1;                      // Mul: the second operand
  std::vector<int> operands;        // Add/Sub/Sum: every operand
  std::set<int> broadcast;          // Mul/Add: activation operands broadcast to the output
  LinearShape linear;               // Add/Sub/Sum: +-2^in_shift per operand
  std::vector<Fp> ones, mult;       // AvgPool: the all-ones kernel and the divisor multipliers
  std::vector<Fp> slope;            // PRelu: the negative slope of every entry (2^16 = 1)
  Fp reduce_mult = Fp::one();       // Reduce: acc = sum * reduce_mult (ReduceMean's multiplier)
  DivideShape div;                  // Div: its shape; its columns start at y_col (q first)
  BmmShape bmm;                     // MatMul: A = x, B = the weight w (w_col) or the activation x2
  // Softmax over rows (the other axes): m = the row max, s = a one-hot of its position,
  // d = m - x >= 0 (the exp table's input, lookup_in), e = exp (lookup_out), S = the row
  // sum of e; y = round(e 2^f / S) by the divide gadget (its columns from y_col).
  struct SoftmaxPlan {
    GatherShape sum, spread;  // entries -> rows (a sum), rows -> entries (a gather)
    size_t m_col = 0, s_col = 0;
  } sm;
  bool requant = false;             // Conv, Gemm, Mul, AvgPool end in a requantization
  Fp acc_scale = Fp::one();         // 2^k for a left shift by k (requantized by 0)
  // MaxPool: one stage, or two (a row max, then a column max) when the window has more
  // taps than one zerocheck can take; stage k reads stage k-1's committed output.
  struct PoolStage {
    MaxPoolShape shape;
    size_t y_col = 0, d_col = 0;  // its output column and first per-tap difference column
  };
  std::vector<PoolStage> stages;
};

constexpr size_t kMaxStacksPerKind = 3;  // witness stacks, and weight stacks
constexpr unsigned kSplitFromVars = 16;
// Weights split from 2^18: below, their opening is a small part of a proof, and the
// split's extra rows cost more bytes than its time saves (age's 2^17 weight stack
// split was 13 KB more proof for no measurable time).
constexpr unsigned kSplitWeightsFromVars = 18;
constexpr unsigned kMinSplitStackVars = 12;
// The largest stack a slice commits (pcs::Params::standard().max_num_vars): more
// columns than that are split however full the stack would be.
constexpr unsigned kMaxStackVars = 22;

struct Plan {
  const QModel* m = nullptr;
  // The prover's choices (ProofChoices): requantizations that may saturate (by the
  // model's range analysis) are proved in the saturating form (flags and excess limbs)
  // only for the nodes in choices.saturating; the others prove q = q_full in range,
  // which is exact when no value was clamped (both forms prove the same function). A
  // lookup with a window in choices.windows looks into that window of its table.
  ProofChoices choices;
  std::set<size_t> may_saturate;   // model node indices with a requantization that can clamp
  std::vector<NodePlan> nodes;
  std::map<int, TensorKind> kind;
  std::map<int, size_t> col_of;  // committed tensors -> their column
  std::vector<Column> columns;
  std::map<int, std::vector<Fp>> const_tables;  // PublicConst tensors, padded
  // Columns are committed stacked: all witness columns in one polynomial, all weight
  // columns in another. Sorted by size (largest first), each column starts at an
  // offset that is a multiple of its own size, so its MLE is the stack's MLE with the
  // high variables fixed to the (Boolean) bits of its block index: a claim on a column
  // is a claim on the stack at (point, block bits). One commitment, one folding run.
  struct Slot {
    int poly = -1;      // index among the committed stacks
    size_t offset = 0;  // in the stack
  };
  std::vector<Slot> slots;
  // The stacks in commitment order: the witness stacks, then the weight stacks (if any
  // weights); each entry its number of variables. The witness columns go into one stack,
  // or, where that stack would have 2^kSplitFromVars entries or more and be a quarter or
  // more padding, into a stack of the largest power of two they fill exactly and stacks
  // for the rest, likewise (at most kMaxStacksPerKind, the rest at least
  // 2^kMinSplitStackVars): age's 1.38M witness entries take 2^20 + 2^18 + 2^16 instead of
  // 2^21. The weight columns likewise from 2^kSplitWeightsFromVars (mnist_gan's 1.06M
  // weights: 2^20 + 2^14, not 2^21). Several stacks of one kind are one joint commitment (pcs::commit_joint), so a
  // split costs the proof only the smaller stacks' opened rows, not Merkle paths.
  std::vector<unsigned> stack_vars;
  size_t witness_stacks = 0;
  bool has_weights() const { return stack_vars.size() > witness_stacks; }
  size_t weight_stack() const { return witness_stacks; }  // the first one's index (when has_weights())
  size_t weight_stacks() const { return stack_vars.size() - witness_stacks; }
  RangeShape range;
  size_t range_m_col = 0;
  // With the 8-bit range table: the terms of more than 8 bits, split into limb columns
  // (use_small_range_table).
  std::vector<RangeSplit> range_splits;
  // One lookup per table, shared by every node that looks into it (one table tree, one
  // multiplicity column). It runs when the reverse walk reaches its last member: every
  // member's input is made earlier, so its claims reach producers not yet walked.
  struct TableGroup {
    const FunctionTable* table = nullptr;
    std::vector<size_t> members;  // indices into nodes, in forward order
    TableShape shape;
    size_t m_col = 0;
  };
  std::vector<TableGroup> table_groups;
  std::vector<std::shared_ptr<FunctionTable>> windows;  // the windows looked into (choices.windows)
  // Function tables: Relu's, and the model's own (generated integer-exactly at compile
  // time, content-hashed into the manifest). Held by pointer: TableShapes point at them
  // across moves of the plan.
  std::shared_ptr<FunctionTable> relu;
  std::map<int, std::shared_ptr<FunctionTable>> model_tables;
  std::map<size_t, std::shared_ptr<FunctionTable>> node_tables;  // generated per node (Clip, LeakyRelu)
};

// A node whose integer semantics are y = T[x - in_lo] over the whole activation range
// (its model table covers it).
bool is_table_op(const model::QModel& m, const model::QNode& n);
// Clip, Abs, Neg, and LeakyRelu/PRelu with one slope: proved by a table the prover and
// verifier generate from the node (function_table) over the activation range.
bool is_function_op(const model::QNode& n);
FunctionTable function_table(const model::QModel& m, const model::QNode& n);
// Layout ops: y[i] = x[gather[i]] or the fill (every gather node but Concat).
bool is_layout(const model::QNode& n);

Error node_error(const model::QNode& n, const std::string& what);
Result<poly::PaddedShape> padded_of(const model::Shape& s);
// Plans a slice; fails, naming the node, on anything not provable yet, or on choices
// that are not well formed (a window outside its table, a lookup the slice lacks).
Result<Plan> make_plan(const SliceStatement& st, const ProofChoices& choices = {});
// Drops every range term that a table lookup of the same column implies (make_plan
// calls it before applying windows; see slice_plan.cpp).
void drop_range_terms_implied_by_lookups(Plan& p);
// A range witness of at most 2^kSmallRangeVars entries is checked against [0, 2^8)
// instead of [0, 2^16): every term of more than 8 bits is split into two committed limb
// columns (RangeSplit). make_plan calls it after the drop above.
constexpr unsigned kSmallRangeVars = 13;
void use_small_range_table(Plan& p);
// The stacks' tables from the columns' tables.
std::vector<std::vector<Fp>> build_stacks(const Plan& p, const std::vector<std::vector<Fp>>& cols);
// The padded table of a weight column, from the model.
std::vector<Fp> weight_column(const Plan& p, const NodePlan& np, const Column& c);
// The weight stack's commitment, laid out from the model.
Result<WeightCommitment> weight_stack_commitment(const Plan& p, const pcs::Params& params);
// The weight stacks' tables, laid out from the model.
std::vector<std::vector<Fp>> weight_stack_tables(const Plan& p);
std::vector<Fp> padded_values(const std::vector<int64_t>& dense, const poly::PaddedShape& s);
std::vector<int64_t> to_i64(std::span<const Fp> v);

}  // namespace zks::circuits::slice_detail
