#pragma once
// The private prover's planner (private_plan.hpp builds with it): the primitives it
// plans with (linear maps, range checks, lookups, product checks), in private_plan.cpp,
// and the ops it plans, each from those, in private_ops.cpp. Internal to those files.

#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "circuits/slice/private_plan.hpp"
#include "model/graph.hpp"
#include "model/kernels.hpp"

namespace zks::circuits::private_detail {

// A linear map given entry by entry: out[o] += coeff x[i] for each (o, i, coeff), dense.
struct Entry {
  uint32_t o, i;
  int64_t coeff;
};
LinearInput sparse_input(size_t col, const poly::PaddedShape& in, const poly::PaddedShape& out,
                         std::shared_ptr<const std::vector<Entry>> entries);

// 0, 1, .., n - 1: each entry read where it is (copy_to's index for a change of layout).
inline std::vector<int64_t> identity_index(size_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), int64_t(0));
  return v;
}

inline model::Node as_graph_node(const QNode& n) {
  model::Node g;
  g.op = n.op, g.name = n.name, g.attrs = n.attrs;
  return g;
}

class Planner {
 public:
  explicit Planner(const QModel& m, const PrivateSlice* slice = nullptr) : m_(m) {
    p_.m = &m;
    p_.slice = slice;
    auto relu = std::make_shared<FunctionTable>();
    relu->in_lo = m.act_lo();
    for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) relu->values.push_back(std::max<int64_t>(0, v));
    relu_ = relu.get();
    p_.tables.push_back(std::move(relu));
  }

  Result<Plan> run();

 private:
  size_t new_col(const poly::PaddedShape& s);

  Result<size_t> held(const QNode& n, int tensor);

  Status node(size_t k);

  // A linear op's output column, limbs and lookups; `bound` is max |acc| per output.
  // `node_output`: the map's output is the node's output tensor (not a column of its own:
  // a max pool's differences, a broadcast copy).
  Status add_linear(size_t k, LinearPlan lp, const poly::PaddedShape& out, int shift, const std::vector<double>& bound,
                    bool needs_range, bool node_output = true);

  // A value of `bits` bits in 16-bit limbs (lowest first), each range-checked but a
  // one-bit top; a top limb of t < 16 bits goes to `tops` (check_tops makes it exact).
  std::vector<size_t> limbs(size_t k, const poly::PaddedShape& out, unsigned bits,
                            std::vector<std::pair<size_t, unsigned>>& tops);

  // Each top limb l of t < 16 bits made exact: at t = 1, l (l - 1) = 0 by a product
  // check (a "bit" check); else l + 2^16 - 2^t in [0, 2^16) too (an offset copy in the
  // range lookup), so l < 2^t.
  Status check_tops(size_t k, const poly::PaddedShape& out, const std::vector<std::pair<size_t, unsigned>>& tops);

  // The clamp's product c (y - lo) (hi - y) (to be 0 at every output), c = sum_j 2^(16 j)
  // c_j in limbs; factor y is `y`, c_j is e[j]; (y - lo)(hi - y) = -y^2 + (lo + hi) y - lo hi.
  // It joins a zerocheck the clamp has anyway, as a second constraint (Gamma).
  std::vector<sc::Term> clamp_terms(unsigned y, const std::vector<unsigned>& e, unsigned sel) const;
  // - 2^shift c (2y - lo - hi) / (hi - lo), c = sum_j 2^(16 j) c_j (factor y is `y`, c_j
  // is e[j]): the clamp's q_full - y, in a zerocheck of y, its excess and more.
  std::vector<sc::Term> excess_terms(unsigned y, const std::vector<unsigned>& e, unsigned sel, unsigned shift) const;

  void range16(size_t k, size_t col);

  Status gemm(size_t k, const poly::PaddedShape& out);

  // A Conv's or ConvTranspose's parameters (of one image, constant weights) and its
  // bias, one a channel, over the dense output.
  Status conv_of(const QNode& n, const std::string& what, model::kern::ConvParams& cp, std::vector<int64_t>& bias);

  // Conv of one image. M(r, (c, h, w)) = sum_{kh, kw} Wr[c][kh][kw] Eh[kh][h] Ew[kw][w]:
  // the output's eq factors by axis (the padded layout puts each axis in its own bits),
  // Wr the weights folded over the output channels of c's group, Eh[kh][h] the eq weight
  // of the output row that reads row h through tap kh (at most one), Ew likewise.
  Status conv(size_t k, const poly::PaddedShape& out);

  // A pooling node's windows: taps[t][o] is the input entry tap t of output o reads
  // (-1: outside the input).
  Status pool_taps(const QNode& n, size_t x_col, const poly::PaddedShape& out, std::vector<std::vector<int64_t>>& taps);

  Status avgpool(size_t k, const poly::PaddedShape& out);

  // Add/Sub/Sum (each input shifted left by in_shift), Mul with one constant factor;
  // constants enter the bias, activations the map (broadcast by index).
  Status elementwise(size_t k, const poly::PaddedShape& out);

  // Layout ops: y[o] = src[gather[o]] or the fill; Concat gathers from its inputs laid
  // end to end (only unshifted parts: a shifted part is requantized first). A layout
  // that keeps every entry in place is the same column; any other is a linear op of
  // shift 0 whose outputs are entries of range-checked columns (or the fill).
  Status layout(size_t k, const poly::PaddedShape& out);

  // x_0 x_1 entry by entry, a broadcast factor copied into the output's layout first.
  Status product(size_t k, const poly::PaddedShape& out);

  // `col` read at index[o] for each output o, in the output's layout: the column itself
  // when that is the identity (unless `fresh`: a column of its own), else its copy (a
  // layout op).
  Result<size_t> copy_to(size_t k, size_t col, const std::vector<int64_t>& index, const poly::PaddedShape& out,
                         bool fresh = false);

  // One operand of a division: an activation column or constants, and the entry each
  // output reads.
  struct Operand {
    size_t col = SIZE_MAX;
    const std::vector<int64_t>* konst = nullptr;
    std::vector<int64_t> index;
  };

  Status div_node(size_t k, const poly::PaddedShape& out);

  // The executor's Div (DivPlan), q returned: q committed in the activation range,
  // P = b q a product of shift 0, and two range checks of W bits (2D <= 2^W), linear in
  // a, b and P:
  //     r = 2A + D - 2D q = 2^(ka+1) a + 2^kb b - 2^(kb+1) P,
  //     u = 2D - 1 - r    = 2^kb b - 2^(ka+1) a + 2^(kb+1) P - 1.
  // r, u >= 0 give 0 <= r <= 2D - 1, so D >= 1 (b > 0) and 2A + D = 2D q + r is a
  // division with remainder: q = floor((2A + D) / (2D)). Every magnitude stays far below
  // p (add_linear's headroom), so the field's equations are the integers'.
  // `q_bound` bounds |q| (Softmax's quotients are at most 2^fo).
  Result<size_t> divide(size_t k, const poly::PaddedShape& out, const Operand& a, const Operand& b, int64_t shift,
                        double q_bound);

  // Softmax along an axis (the executor's), per row: m = max x (a max check), d = x - m +
  // act_hi (in the activation range: its lookup's), e = exp(d - act_hi) by a function
  // lookup (the model's table, 0 below it), S = sum e (a linear op), and y = round(e 2^fo
  // / S): a division with a = e, b = S and scale shift fo.
  Status softmax(size_t k, const poly::PaddedShape& out);

  Status reduce(size_t k, const poly::PaddedShape& out);

  // MatMul with one constant 2-d operand, entry by entry: x [.., M, K] W [K, N], or
  // W [M, K] x [K, N].
  Status matmul(size_t k, const poly::PaddedShape& out);

  Status activation_matmul(size_t k, const poly::PaddedShape& out);

  // ConvTranspose entry by entry (its MACs: the corpus's are small).
  Status conv_transpose(size_t k, const poly::PaddedShape& out);

  // PRelu with a slope per entry: y = requant(2^16 relu(x) + slope (x - relu(x))), so a
  // Relu lookup (x, relu(x)) and a linear op of x and relu(x).
  Status prelu(size_t k, const poly::PaddedShape& out);

  // Max pooling (see ProductCheck): y committed, D = [y - x at each tap] by a linear op
  // of shift 0, D in [0, 2^16), and the product zerocheck.
  Status maxpool(size_t k, const poly::PaddedShape& out);

  // y(o) = max_t x(taps[t][o]) as a committed column (returned), by the product check.
  // More than 64 taps: a tree, the max of the maxes of groups of 64 (each level a check).
  Result<size_t> max_check(size_t k, size_t x_col, const poly::PaddedShape& out,
                           std::vector<std::vector<int64_t>> taps);

  using Parts = std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>>;
  Status sparse_linear(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias, int shift,
                       bool needs_range, bool node_output = true, bool range_only = false);

  // acc = sum M_j x_j + b in [0, 2^bits), by its limbs (LinearPlan::range_only).
  Status range_check(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias,
                     unsigned bits);

  Status bias_of(const QNode& n, size_t input, size_t N, std::vector<int64_t>& bias);

  Status unary(size_t k);

  // Nodes with the same function (two Clips alike) share one table, so one lookup.
  const FunctionTable* intern(std::shared_ptr<FunctionTable> t);

  // y = f(x) by a lookup of (x, y) in f's table over the activation range; y returned.
  size_t add_unary(size_t k, size_t x_col, const FunctionTable* ft, bool derived);

  // A slice's shared tensors (PrivateSlice::shared): each one's column, in its own
  // layout (a copy where the slice holds it in another's, or in a column that is
  // already another's).
  Status share();

  // Range checks, batching, sizes, the lookups' tables and the mask table's slices.
  Status finish();

  // Every column a block of a pack (the mask table alone), the lookups' helpers packed the
  // same way in a commitment of their own (see Plan).
  Status assign_units();

  // Lookups into one table become one: each witness column's tensors, as committed, are
  // the blocks of one layout (poly::BlockLayout) the lookup reads in place; nothing is
  // copied or committed again. A lookup's cost is mostly its argument (2^16 rows for a
  // 16-bit table and its multiplicities), whatever the tensor's size.
  Status batch_lookups();

  // The masked reads of each column (see kMinReadVars): a read of n variables from entry
  // `start` involves that block of the column's mask. Each block some read spans may be
  // spanned, within itself, by at most 2^(n-1) - 1 reads; a read reaching past it
  // brings mask entries of its own. (A sufficient condition for points in general
  // position, not a proof: docs/ARCHITECTURE.md.) Only planning-time counts.
  Status count_reads() const;

  double in_max() const { return std::ldexp(1.0, m_.cfg.act_bits - 1); }
  // A bound on |x| for x in the column: an activation's, or what the plan derived.
  double max_of(size_t col) const {
    auto it = col_max_.find(col);
    return it == col_max_.end() ? in_max() : it->second;
  }

  const QModel& m_;
  Plan p_;
  const FunctionTable* relu_ = nullptr;
  std::map<int, size_t> col_of_;
  std::map<int, const FunctionTable*> model_tables_;
  std::vector<std::pair<size_t, size_t>> needs_range_;  // (column, node or SIZE_MAX for an input)
  std::set<size_t> in_function_;                        // columns a full-range table op reads
  std::map<size_t, double> col_max_;                    // bounds of columns outside the activation range
};

}  // namespace zks::circuits::private_detail
