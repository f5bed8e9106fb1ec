#include "circuits/slice/private_proof.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <tuple>
#include <limits>
#include <map>
#include <set>

#include "circuits/slice/phase_clock.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "field/field.hpp"
#include "lookup/zk_logup.hpp"
#include "model/float_exec.hpp"
#include "model/kernels.hpp"
#include "poly/mle.hpp"
#include "slicer/slicer.hpp"
#include "sumcheck/zk.hpp"
#include "transcript/soundness.hpp"

namespace zks::circuits {

namespace {

using field::Fp;
using field::Fp2;
using model::QModel;
using model::QNode;
namespace sc = sumcheck;
namespace lk = lookup;
using slice_detail::node_error;

constexpr uint32_t kPrivateVersion = 2;  // 2: clamping requantizations, Div, Softmax
// Every masked read of a column (a sumcheck factor) spans at least 2^7 entries of it, and
// the planner bounds the reads of each block (count_reads). A read shows f~(r) + c R~(r): two F_p
// equations in the read's block of R. A block of 2^n read more than 2^(n-1) times would
// leave a combination of what the proof shows free of R, and show f (a read review found
// it: a 2-entry tensor read by its Requant and by the next Gemm was solvable).
constexpr unsigned kMinReadVars = 7;
constexpr unsigned kLimbBits = 16;
constexpr unsigned kMaxStackVars = 20;  // a batched lookup's stack: at most 2^20 entries

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
};

// The node of a lookup's stack column (of several tensors) and of a batched lookup.
constexpr size_t kStackNode = SIZE_MAX - 1;

// An error naming the node (or the lookup stack) a step belongs to.
Error step_error(const QModel& m, size_t node, const std::string& what) {
  if (node < m.nodes.size()) return node_error(m.nodes[node], what);
  return make_error("a lookup's stack column: " + what);
}

struct LookupPlan {
  LookupKind kind = LookupKind::Act;
  size_t node = SIZE_MAX;       // the node whose tensor it checks (SIZE_MAX: an input)
  std::vector<size_t> cols;     // witness columns
  size_t m_col = 0;             // the multiplicities' column
  unsigned table_vars = 0;
  unsigned range_bits = 0;      // Range: the limb's bits
  const FunctionTable* fn = nullptr;   // Function
  std::vector<std::vector<Fp>> table;  // the public columns (the verifier's own)
  lk::ZkShape shape;
  std::vector<unsigned> degrees;
  size_t off = 0;               // its slice of the mask table
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
  bool derived = false;  // a column the plan adds (a copy, a stack, max pooling's D)
  bool requantizes = false;  // an activation requantized (clamped where it may clamp); else a copy or stack
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
  unsigned excess_bits = 0;  // c below 2^excess_bits
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
  poly::PaddedShape out;      // q's layout
  unsigned kv = 0, nv = 0, shift = 0;
  std::vector<sc::Term> terms;         // the Requant zerocheck's
  Second second;                       // its clamp's (where it may clamp)
  std::vector<sc::Term> maker_terms;   // sum_j M_j x_j
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

struct Plan {
  const QModel* m = nullptr;
  // BLAKE2b of the model as a manifest serializes it (graph, weights, scales, shifts,
  // tables): absorbed, so a proof is bound to the model even when it is not sealed.
  hash::Digest model_digest{};
  std::vector<poly::PaddedShape> col_shape;  // each column's layout (multiplicities: the table's rows)
  std::vector<unsigned> col_vars;            // each column's value variables (its lookup's, or its own)
  std::vector<size_t> input_cols, output_cols;
  std::map<int, size_t> tensor_cols;  // every tensor the plan holds, by id
  std::vector<LinearPlan> linears;
  std::vector<UnaryPlan> unaries;
  std::vector<MaxPlan> maxes;
  std::vector<DivPlan> divs;
  std::vector<ProductCheck> products;
  std::vector<LookupPlan> lookups;
  std::vector<std::pair<Step, size_t>> steps;  // the run's order
  std::vector<std::shared_ptr<FunctionTable>> tables;
  size_t mask_size = 0;
  unsigned mask_vars = 0;          // the mask table's value variables
  // Committed units: each lookup's witness and multiplicity columns alone (a lookup reads
  // a whole polynomial), every other column a block of one pack (one polynomial: a leaf a
  // query for all of them, where a polynomial each made age's opening most of its time),
  // and the mask table. Column c is in unit col_unit[c] from entry col_offset[c]
  // (blocks largest first, each at a multiple of its size).
  std::vector<size_t> col_unit, col_offset;
  std::vector<unsigned> unit_vars;  // each unit's value variables
  size_t mask_unit = 0;
  // The joint commitment holds the units largest first: member j is unit order[j], and
  // pos[u] is unit u's member.
  std::vector<size_t> order, pos;

  size_t columns() const { return col_shape.size(); }
  size_t members() const { return unit_vars.size(); }
  size_t member(size_t col) const { return pos[col_unit[col]]; }
  size_t mask_member() const { return pos[mask_unit]; }
  unsigned vars_of(size_t col) const { return col_vars[col]; }
  unsigned member_vars(size_t j) const { return unit_vars[order[j]] + 1; }
  size_t helper_poly(size_t lookup, size_t k) const { return members() + 4 * lookup + k; }
  // A point on column `col` (vars_of(col) coordinates) as a point on its unit: the
  // block's offset bits after it.
  std::vector<Fp2> unit_point(size_t col, std::vector<Fp2> point) const {
    const size_t block = col_offset[col] >> col_vars[col];
    for (unsigned b = col_vars[col]; b < unit_vars[col_unit[col]]; ++b)
      point.push_back((block >> (b - col_vars[col])) & 1 ? Fp2::one() : Fp2::zero());
    return point;
  }
};

std::vector<Fp> act_table(const QModel& m) {
  std::vector<Fp> t;
  for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) t.push_back(Fp::from_i64(v));
  return t;
}

// eq(r, .) on 2^|r| entries.
std::vector<Fp2> eq_of(std::span<const Fp2> r) { return poly::eq_table(r); }

// A linear map given entry by entry: out[o] += coeff x[i] for each (o, i, coeff), dense.
struct Entry {
  uint32_t o, i;
  int64_t coeff;
};
LinearInput sparse_input(size_t col, const poly::PaddedShape& in, const poly::PaddedShape& out,
                         std::shared_ptr<const std::vector<Entry>> entries) {
  LinearInput li;
  li.col = col;
  li.fold = [in, out, entries](std::span<const Fp2> r, unsigned kv) {
    const auto e = eq_of(r);
    const auto pin = in.padded_indices(), pout = out.padded_indices();
    std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
    for (const Entry& x : *entries) mr[pin[x.i]] += e[pout[x.o]] * Fp2(Fp::from_i64(x.coeff));
    return mr;
  };
  li.apply = [entries](std::span<const int64_t> x, std::vector<int64_t>& acc) {
    for (const Entry& e : *entries) acc[e.o] += e.coeff * x[e.i];
  };
  return li;
}

model::Node as_graph_node(const QNode& n) {
  model::Node g;
  g.op = n.op, g.name = n.name, g.attrs = n.attrs;
  return g;
}

// Max |acc| a linear op can reach from inputs in the activation range (rule 5).
void entries_bound(const std::vector<Entry>& entries, double in_max, std::vector<double>& bound) {
  for (const Entry& e : entries) bound[e.o] += std::fabs(double(e.coeff)) * in_max;
}

class Planner {
 public:
  explicit Planner(const QModel& m) : m_(m) {
    p_.m = &m;
    auto relu = std::make_shared<FunctionTable>();
    relu->in_lo = m.act_lo();
    for (int64_t v = m.act_lo(); v <= m.act_hi(); ++v) relu->values.push_back(std::max<int64_t>(0, v));
    relu_ = relu.get();
    p_.tables.push_back(std::move(relu));
  }

  Result<Plan> run() {
    const QModel& m = m_;
    if (m.cfg.act_bits > 16 || m.cfg.act_bits < 2)
      return make_error("private proof: activations of " + std::to_string(m.cfg.act_bits) +
                        " bits (at most 16: the range tables have 2^bits rows)");
    if (m.inputs.empty() || m.outputs.empty()) return make_error("private proof: the model has no input or no output");
    for (int t : m.inputs) {
      if (t < 0 || size_t(t) >= m.tensors.size()) return make_error("private proof: input tensor id out of range");
      auto shape = slice_detail::padded_of(m.tensors[t].shape);
      if (!shape.ok()) return make_error("private proof: input '" + m.tensors[t].name + "': " + shape.error());
      const size_t c = new_col(*shape);
      col_of_[t] = c;
      p_.input_cols.push_back(c);
      needs_range_.push_back({c, SIZE_MAX});
    }
    for (size_t k = 0; k < m.nodes.size(); ++k) ZK_TRY(node(k));
    p_.tensor_cols = col_of_;
    for (int t : m.outputs) {
      auto c = col_of_.find(t);
      if (c == col_of_.end()) return make_error("private proof: output '" + m.tensors[t].name + "' is not computed");
      p_.output_cols.push_back(c->second);
    }
    ZK_TRY(finish());
    slicer::Manifest man;
    man.model = m;
    p_.model_digest = hash::hash(hash::Domain::Generic, slicer::serialize_manifest(man));
    // A hiding table has one variable more than its values.
    const unsigned max_vars = pcs::Params::standard().max_num_vars - 1;
    for (unsigned v : p_.unit_vars)
      if (v > max_vars)
        return make_error("private proof: a tensor of 2^" + std::to_string(v) + " entries is too large (2^" +
                          std::to_string(max_vars) + " at most)");
    return std::move(p_);
  }

 private:
  size_t new_col(const poly::PaddedShape& s) {
    p_.col_shape.push_back(s);
    return p_.col_shape.size() - 1;
  }

  Result<size_t> held(const QNode& n, int tensor) {
    auto c = col_of_.find(tensor);
    if (c == col_of_.end()) return node_error(n, "reads a tensor the private proof does not hold");
    return c->second;
  }

  Status node(size_t k) {
    const QModel& m = m_;
    const QNode& n = m.nodes[k];
    if (n.inputs.empty() || n.outputs.size() != 1) return node_error(n, "expected inputs and one output");
    const int y = n.outputs[0];
    auto out = slice_detail::padded_of(m.tensors[y].shape);
    if (!out.ok()) return node_error(n, out.error());
    if (n.op == "Gemm") return gemm(k, *out);
    if (n.op == "Conv") return conv(k, *out);
    if (n.op == "AveragePool" || n.op == "GlobalAveragePool") return avgpool(k, *out);
    if (n.op == "Add" || n.op == "Sub" || n.op == "Sum" || n.op == "Mul") return elementwise(k, *out);
    if (n.op == "MaxPool" || n.op == "GlobalMaxPool") return maxpool(k, *out);
    if (n.op == "ReduceMean" || n.op == "ReduceSum") return reduce(k, *out);
    if (n.op == "ConvTranspose") return conv_transpose(k, *out);
    if (n.op == "MatMul") return matmul(k, *out);
    if (n.op == "Div") return div_node(k, *out);
    if (n.op == "Softmax") return softmax(k, *out);
    if (n.op == "PRelu" && !slice_detail::is_function_op(n)) return prelu(k, *out);
    if (n.op == "Concat" || slice_detail::is_layout(n)) return layout(k, *out);
    if (n.op == "Relu" || slice_detail::is_table_op(m, n) || slice_detail::is_function_op(n)) return unary(k);
    return node_error(n, "is not provable in a private-input proof yet (it proves Gemm, Conv, ConvTranspose, "
                         "pooling, ReduceSum/Mean, Add/Sub/Sum, Mul, Div, MatMul, Softmax, layout ops, Relu, "
                         "PRelu, and table and function ops)");
  }

  // A linear op's output column, limbs and lookups; `bound` is max |acc| per output.
  // `node_output`: the map's output is the node's output tensor (not a column of its own:
  // a max pool's differences, a broadcast copy, a lookup's stack).
  Status add_linear(size_t k, LinearPlan lp, const poly::PaddedShape& out, int shift, const std::vector<double>& bound,
                    bool needs_range, bool node_output = true) {
    if (shift > 46 || shift < -40) return step_error(m_, k, "requantizes by shift " + std::to_string(shift));
    // Field headroom (rule 5) for any input in range, the map scaled by a left shift:
    // (sum |M| 2^(act-1) + |b|) 2^max(0,-s) + 2^s < 2^62.
    const double scale = std::ldexp(1.0, std::max(0, -shift));
    double max_acc = 0;
    for (size_t o = 0; o < bound.size(); ++o) {
      const double a = (bound[o] + std::fabs(double(lp.bias[o]))) * scale;
      max_acc = std::max(max_acc, a);
      if (a + std::ldexp(1.0, std::max(0, shift)) >= std::ldexp(1.0, 62))
        return step_error(m_, k, "its accumulator may reach 2^62 (field headroom)");
    }
    // A left shift scales the map (acc 2^-s is exact): a shift of 0 after it. The bound
    // above keeps the scaled bias in int64.
    if (shift < 0) {
      const int64_t scale = int64_t(1) << (-shift);
      for (auto& in : lp.ins) {
        auto fold = in.fold;
        auto apply = in.apply;
        in.fold = [fold, scale](std::span<const Fp2> r, unsigned kv) {
          auto v = fold(r, kv);
          for (auto& x : v) x *= Fp2(Fp(uint64_t(scale)));
          return v;
        };
        in.apply = [apply, scale](std::span<const int64_t> x, std::vector<int64_t>& acc) {
          std::vector<int64_t> part(acc.size(), 0);
          apply(x, part);
          for (size_t i = 0; i < acc.size(); ++i) acc[i] += part[i] * scale;
        };
      }
      for (auto& b : lp.bias) b *= scale;
    }
    lp.shift = static_cast<unsigned>(std::max(0, shift));
    lp.node = k, lp.out = out;
    lp.nv = std::max(kMinReadVars, out.num_vars());
    lp.kv = kMinReadVars;
    for (const auto& in : lp.ins) lp.kv = std::max(lp.kv, p_.col_shape[in.col].num_vars());
    lp.q_col = lp.range_only ? SIZE_MAX : new_col(out);
    // Limbs of 16 bits and a top limb of t = s - 16 (L - 1) bits (rule 3), each in
    // [0, 2^16) by the 16-bit range lookup; a top limb l of t < 16 bits also has
    // l + 2^16 - 2^t in [0, 2^16) (a copy with that offset, below), so l < 2^t. Every
    // limb then shares one table, where a table per width was a lookup per width.
    std::vector<std::pair<size_t, unsigned>> tops;  // limbs of fewer than 16 bits: (column, bits)
    for (unsigned done = 0; done < lp.shift; done += kLimbBits) {
      lp.limb_cols.push_back(new_col(out));
      lp.limb_bits.push_back(std::min(kLimbBits, lp.shift - done));
      range16(k, lp.limb_cols.back());
    }
    if (lp.limb_bits.size() && lp.limb_bits.back() < kLimbBits) tops.emplace_back(lp.limb_cols.back(), lp.limb_bits.back());
    // Clamping (LinearPlan::excess_cols): an excess of up to G bits, where the range
    // analysis bounds q_full. Soundness needs the Requant equation exact over the
    // integers, 2^(s + G) <= 2^61: full 16-bit limbs when their 16 L bits meet that,
    // else a top limb of exact width (as the remainder's).
    if (needs_range) {
      const double half = lp.shift == 0 ? 0.0 : std::ldexp(1.0, int(lp.shift) - 1);
      const double q_hi = std::floor((max_acc + half) / std::ldexp(1.0, int(lp.shift)));
      const double q_lo = std::floor((-max_acc + half) / std::ldexp(1.0, int(lp.shift)));
      const double excess = std::max(q_hi - double(m_.act_hi()), double(m_.act_lo()) - q_lo);
      if (excess > 0) {
        const unsigned G = unsigned(std::ceil(std::log2(excess + 2)));
        const unsigned L = (G + kLimbBits - 1) / kLimbBits;
        const bool full = lp.shift + kLimbBits * L <= 61;
        if (!full && lp.shift + G > 61)
          return step_error(m_, k, "its requantization may clamp by 2^" + std::to_string(G) +
                                       " (too wide for a private proof)");
        lp.excess_bits = full ? kLimbBits * L : G;
        lp.excess_cols = excess_limbs(k, out, lp.excess_bits, tops);
      }
    }
    // Factors: acc (masked by S), the reader's columns (masked by their commitments), sel.
    const auto rc = lp.reader_cols();
    const unsigned sel = static_cast<unsigned>(rc.size() + 1);
    auto factor_of = [&](size_t col) { return unsigned(std::find(rc.begin(), rc.end(), col) - rc.begin() + 1); };
    lp.terms = {{Fp2::one(), {0, sel}}};
    if (!lp.range_only) {
      lp.terms.push_back({-Fp2(Fp(uint64_t(1) << lp.shift)), {factor_of(lp.q_col), sel}});
      if (lp.shift > 0) lp.terms.push_back({Fp2(Fp(uint64_t(1) << (lp.shift - 1))), {sel}});
    }
    for (size_t j = 0; j < lp.limb_cols.size(); ++j)
      lp.terms.push_back({-Fp2(Fp(uint64_t(1) << (kLimbBits * j))), {factor_of(lp.limb_cols[j]), sel}});
    // - 2^s c (2y - lo - hi) / (hi - lo), c = sum_j 2^(16 j) c_j
    const Fp inv_width = Fp::from_i64(m_.act_hi() - m_.act_lo()).inverse();
    for (size_t j = 0; j < lp.excess_cols.size(); ++j) {
      const Fp2 c(Fp(uint64_t(1) << (lp.shift + kLimbBits * j)) * inv_width);
      const unsigned e = factor_of(lp.excess_cols[j]), y = factor_of(lp.q_col);
      lp.terms.push_back({-c * Fp2(Fp(2)), {e, y, sel}});
      lp.terms.push_back({c * Fp2(Fp::from_i64(m_.act_lo() + m_.act_hi())), {e, sel}});
    }
    if (!lp.excess_cols.empty()) {
      std::vector<unsigned> e;
      for (size_t c : lp.excess_cols) e.push_back(factor_of(c));
      lp.second.terms = clamp_terms(factor_of(lp.q_col), e, sel);
    }
    std::vector<char> masked(sel + 1, 1);
    masked[sel] = 0;
    lp.d_reader = sc::masked_degrees(lp.nv, lp.second.with(lp.terms, Fp2::one()), masked, true);
    std::vector<char> maker_masked;
    if (lp.matmul) {
      lp.kv = lp.kb + lp.bb;
      lp.maker_terms = {{Fp2::one(), {0, 1, 2}}};  // eq(r_b, b) (the verifier's), A', Bt'
      maker_masked = {0, 1, 1};
      lp.d_maker = sc::masked_degrees(lp.kv, lp.maker_terms, maker_masked, false);
    } else if (lp.product) {
      lp.kv = lp.nv;
      maker_masked = {1, 1};  // x_0 x_1 with eq(r, .): the product of every factor
      lp.d_maker = sc::masked_degrees(lp.kv, {}, maker_masked, true);
    } else {
      for (unsigned j = 0; j < lp.ins.size(); ++j) {
        lp.maker_terms.push_back({Fp2::one(), {2 * j, 2 * j + 1}});
        maker_masked.push_back(0), maker_masked.push_back(1);  // M_j(r, .) public, x_j committed
      }
      lp.d_maker = sc::masked_degrees(lp.kv, lp.maker_terms, maker_masked, false);
    }
    lp.requantizes = needs_range;
    if (needs_range) needs_range_.push_back({lp.q_col, k});
    for (size_t c : lp.limb_cols) col_max_[c] = std::ldexp(1.0, kLimbBits);
    if (!needs_range && !lp.range_only && shift == 0) {  // a derived column: its accumulator's bound
      double mx = 0;
      for (size_t o = 0; o < bound.size(); ++o) mx = std::max(mx, bound[o] + std::fabs(double(lp.bias[o])));
      col_max_[lp.q_col] = mx;
    }
    if (node_output) col_of_[m_.nodes[k].outputs[0]] = lp.q_col;
    lp.derived = !node_output;
    p_.steps.emplace_back(Step::Linear, p_.linears.size());
    p_.linears.push_back(std::move(lp));
    return offset_copies(k, out, tops);
  }

  // A value of `bits` bits in 16-bit limbs (lowest first), each range-checked; a top limb
  // of t < 16 bits goes to `tops` (offset_copies makes it exact).
  std::vector<size_t> excess_limbs(size_t k, const poly::PaddedShape& out, unsigned bits,
                                   std::vector<std::pair<size_t, unsigned>>& tops) {
    std::vector<size_t> cols;
    for (unsigned done = 0; done < bits; done += kLimbBits) {
      cols.push_back(new_col(out));
      range16(k, cols.back());
      col_max_[cols.back()] = std::ldexp(1.0, kLimbBits);
    }
    if (bits % kLimbBits != 0) tops.emplace_back(cols.back(), bits % kLimbBits);
    return cols;
  }

  // Each top limb l of t < 16 bits: l + 2^16 - 2^t in [0, 2^16) too, so l < 2^t.
  Status offset_copies(size_t k, const poly::PaddedShape& out, const std::vector<std::pair<size_t, unsigned>>& tops) {
    for (const auto& [col, t] : tops) {
      auto e = std::make_shared<std::vector<Entry>>();
      const uint64_t N = out.real_count();
      for (uint64_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(o), 1});
      const int64_t offset = (int64_t(1) << kLimbBits) - (int64_t(1) << t);
      ZK_TRY(sparse_linear(k, out, {{col, e}}, std::vector<int64_t>(N, offset), 0, false, false));
      range16(k, p_.linears.back().q_col);
    }
    return {};
  }

  // The clamp's product c (y - lo) (hi - y) (to be 0 at every output), c = sum_j 2^(16 j)
  // c_j in limbs; factor y is `y`, c_j is e[j]; (y - lo)(hi - y) = -y^2 + (lo + hi) y - lo hi.
  // It joins a zerocheck the clamp has anyway, as a second constraint (Gamma).
  std::vector<sc::Term> clamp_terms(unsigned y, const std::vector<unsigned>& e, unsigned sel) const {
    const int64_t lo = m_.act_lo(), hi = m_.act_hi();
    std::vector<sc::Term> out;
    for (unsigned j = 0; j < e.size(); ++j) {
      const Fp2 c(Fp(uint64_t(1) << (kLimbBits * j)));
      out.push_back({-c, {y, y, e[j], sel}});
      out.push_back({c * Fp2(Fp::from_i64(lo + hi)), {y, e[j], sel}});
      out.push_back({-c * Fp2(Fp::from_i64(lo * hi)), {e[j], sel}});
    }
    return out;
  }

  void range16(size_t k, size_t col) {
    LookupPlan l;
    l.kind = LookupKind::Range, l.node = k, l.cols = {col};
    l.range_bits = l.table_vars = kLimbBits;
    p_.lookups.push_back(std::move(l));
  }

  Status gemm(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    if (n.inputs.size() < 2 || n.inputs.size() > 3) return node_error(n, "expected 2 or 3 inputs");
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const model::QTensor& w = m_.tensors[n.inputs[1]];
    if (!w.is_const || w.shape.size() != 2) return node_error(n, "needs constant 2-d weights");
    const size_t K = size_t(w.shape[0]), N = size_t(w.shape[1]);
    if (K == 0 || N == 0 || w.data.size() != K * N) return node_error(n, "malformed weights");
    const poly::PaddedShape in = p_.col_shape[*x];
    if (in.real_count() != K || out.real_count() != N)
      return node_error(n, "proves one row at a time (input [1, K], output [1, N]) in a private proof");
    LinearPlan lp;
    ZK_TRY(bias_of(n, 2, N, lp.bias));
    const std::vector<int64_t>* W = &w.data;
    LinearInput li;
    li.col = *x;
    li.fold = [W, K, N, in, out](std::span<const Fp2> r, unsigned kv) {
      const auto e = eq_of(r);
      const auto pin = in.padded_indices(), pout = out.padded_indices();
      std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
      for (size_t i = 0; i < K; ++i) {
        Fp2 acc = Fp2::zero();
        for (size_t j = 0; j < N; ++j) acc += e[pout[j]] * Fp2(Fp::from_i64((*W)[i * N + j]));
        mr[pin[i]] = acc;
      }
      return mr;
    };
    li.apply = [W, K, N](std::span<const int64_t> xv, std::vector<int64_t>& acc) {
      for (size_t i = 0; i < K; ++i)
        if (xv[i] != 0)
          for (size_t j = 0; j < N; ++j) acc[j] += xv[i] * (*W)[i * N + j];
    };
    lp.ins.push_back(std::move(li));
    std::vector<double> bound(N, 0.0);
    for (size_t i = 0; i < K; ++i)
      for (size_t j = 0; j < N; ++j) bound[j] += std::fabs(double(w.data[i * N + j])) * in_max();
    return add_linear(k, std::move(lp), out, n.shift, bound, true);
  }

  // A Conv's or ConvTranspose's parameters (of one image, constant weights) and its
  // bias, one a channel, over the dense output.
  Status conv_of(const QNode& n, const std::string& what, model::kern::ConvParams& cp, std::vector<int64_t>& bias) {
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    const model::QTensor& w = m_.tensors[n.inputs[1]];
    if (xs.size() != 4 || xs[0] != 1 || !w.is_const) return node_error(n, "proves 2-D " + what + " of one image");
    ZK_TRY(model::conv_setup(as_graph_node(n), xs, w.shape, cp));
    bias.assign(size_t(cp.M * cp.OH * cp.OW), 0);
    if (n.inputs.size() > 2) {
      const model::QTensor& b = m_.tensors[n.inputs[2]];
      if (!b.is_const || b.data.size() != size_t(cp.M)) return node_error(n, "needs a constant bias per channel");
      for (size_t o = 0; o < bias.size(); ++o) bias[o] = b.data[o / size_t(cp.OH * cp.OW)];
    }
    return {};
  }

  // Conv of one image. M(r, (c, h, w)) = sum_{kh, kw} Wr[c][kh][kw] Eh[kh][h] Ew[kw][w]:
  // the output's eq factors by axis (the padded layout puts each axis in its own bits),
  // Wr the weights folded over the output channels of c's group, Eh[kh][h] the eq weight
  // of the output row that reads row h through tap kh (at most one), Ew likewise.
  Status conv(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const model::QTensor& w = m_.tensors[n.inputs[1]];
    model::kern::ConvParams cp{};
    LinearPlan lp;
    ZK_TRY(conv_of(n, "convolution", cp, lp.bias));
    const int64_t Cg = cp.C / cp.group, Mg = cp.M / cp.group;
    if (out.dims().size() != 4 || out.dims()[1] != cp.M || out.dims()[2] != cp.OH || out.dims()[3] != cp.OW)
      return node_error(n, "output shape does not match the convolution");
    const poly::PaddedShape in = p_.col_shape[*x];
    if (in.real_count() != uint64_t(cp.C * cp.H * cp.W)) return node_error(n, "input size does not match");
    const std::vector<int64_t>* W = &w.data;
    LinearInput li;
    li.col = *x;
    li.fold = [W, cp, Cg, Mg, in, out](std::span<const Fp2> r, unsigned kv) {
      // The output's axes (dims [1, M, OH, OW]): eq of each from its coordinates, and
      // the coordinates above the layout (when it has no variables) at 0.
      auto axis_eq = [&](size_t a) {
        return eq_of(r.subspan(out.axis_offset(a), out.axis_bits(a)));
      };
      Fp2 extra = Fp2::one();
      for (size_t j = out.num_vars(); j < r.size(); ++j) extra *= Fp2::one() - r[j];
      const auto Ec = axis_eq(1), Eh = axis_eq(2), Ew = axis_eq(3);
      // Wr[c][kh][kw]
      std::vector<Fp2> Wr(size_t(cp.C * cp.KH * cp.KW), Fp2::zero());
      for (int64_t co = 0; co < cp.M; ++co) {
        const int64_t g = co / Mg;
        const Fp2 ec = Ec[size_t(co)] * extra;
        for (int64_t ic = 0; ic < Cg; ++ic)
          for (int64_t t = 0; t < cp.KH * cp.KW; ++t)
            Wr[size_t((g * Cg + ic) * cp.KH * cp.KW + t)] += ec * Fp2(Fp::from_i64((*W)[size_t((co * Cg + ic) * cp.KH * cp.KW + t)]));
      }
      // Th[kh][h] = Eh[oh] where oh sh + kh dh - pt = h; Tw likewise.
      auto taps = [](const std::vector<Fp2>& E, int64_t K, int64_t O, int64_t I, int64_t s, int64_t d, int64_t pad) {
        std::vector<Fp2> T(size_t(K * I), Fp2::zero());
        for (int64_t kk = 0; kk < K; ++kk)
          for (int64_t o = 0; o < O; ++o) {
            const int64_t i = o * s + kk * d - pad;
            if (i >= 0 && i < I) T[size_t(kk * I + i)] += E[size_t(o)];
          }
        return T;
      };
      const auto Th = taps(Eh, cp.KH, cp.OH, cp.H, cp.sh, cp.dh, cp.pt);
      const auto Tw = taps(Ew, cp.KW, cp.OW, cp.W, cp.sw, cp.dw, cp.pl);
      const auto pin = in.padded_indices();
      std::vector<Fp2> mr(size_t(1) << kv, Fp2::zero());
      std::vector<Fp2> row(size_t(cp.KW * cp.W));
      for (int64_t c = 0; c < cp.C; ++c)
        for (int64_t h = 0; h < cp.H; ++h) {
          // row[kw][w] = sum_kh Wr[c][kh][kw] Th[kh][h]
          std::fill(row.begin(), row.end(), Fp2::zero());
          for (int64_t kh = 0; kh < cp.KH; ++kh) {
            const Fp2 th = Th[size_t(kh * cp.H + h)];
            if (th.is_zero()) continue;
            for (int64_t kw = 0; kw < cp.KW; ++kw) {
              const Fp2 a = Wr[size_t((c * cp.KH + kh) * cp.KW + kw)] * th;
              for (int64_t ww = 0; ww < cp.W; ++ww) row[size_t(kw * cp.W + ww)] += a * Tw[size_t(kw * cp.W + ww)];
            }
          }
          for (int64_t ww = 0; ww < cp.W; ++ww) {
            Fp2 v = Fp2::zero();
            for (int64_t kw = 0; kw < cp.KW; ++kw) v += row[size_t(kw * cp.W + ww)];
            mr[pin[size_t((c * cp.H + h) * cp.W + ww)]] = v;
          }
        }
      return mr;
    };
    li.apply = [W, cp](std::span<const int64_t> xv, std::vector<int64_t>& acc) {
      std::vector<int64_t> y(acc.size(), 0);
      model::kern::conv2d<int64_t>(cp, xv.data(), W->data(), nullptr, y.data());
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += y[i];
    };
    lp.ins.push_back(std::move(li));
    std::vector<double> bound(size_t(cp.M * cp.OH * cp.OW), 0.0);
    for (int64_t co = 0; co < cp.M; ++co) {
      double b = 0;
      for (int64_t t = 0; t < Cg * cp.KH * cp.KW; ++t) b += std::fabs(double(w.data[size_t(co * Cg * cp.KH * cp.KW + t)]));
      for (int64_t o = 0; o < cp.OH * cp.OW; ++o) bound[size_t(co * cp.OH * cp.OW + o)] = b * in_max();
    }
    return add_linear(k, std::move(lp), out, n.shift, bound, true);
  }

  Status avgpool(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    model::kern::PoolParams pp{};
    model::Shape ys;
    ZK_TRY(model::pool_setup(as_graph_node(n), xs, pp, ys));
    const size_t N = size_t(pp.N * pp.C * pp.OH * pp.OW);
    if (n.mult.size() != N || out.real_count() != N) return node_error(n, "expected one multiplier an output");
    auto entries = std::make_shared<std::vector<Entry>>();
    for (int64_t nc = 0; nc < pp.N * pp.C; ++nc)
      for (int64_t oh = 0; oh < pp.OH; ++oh)
        for (int64_t ow = 0; ow < pp.OW; ++ow) {
          const int64_t o = (nc * pp.OH + oh) * pp.OW + ow;
          for (int64_t kh = 0; kh < pp.KH; ++kh)
            for (int64_t kw = 0; kw < pp.KW; ++kw) {
              const int64_t ih = oh * pp.sh - pp.pt + kh * pp.dh, iw = ow * pp.sw - pp.pl + kw * pp.dw;
              if (ih < 0 || ih >= pp.H || iw < 0 || iw >= pp.W) continue;
              entries->push_back({uint32_t(o), uint32_t((nc * pp.H + ih) * pp.W + iw), n.mult[size_t(o)]});
            }
        }
    return sparse_linear(k, out, {{*x, entries}}, std::vector<int64_t>(N, 0), n.shift, true);
  }

  // Add/Sub/Sum (each input shifted left by in_shift), Mul with one constant factor;
  // constants enter the bias, activations the map (broadcast by index).
  Status elementwise(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    const auto& os = m_.tensors[n.outputs[0]].shape;
    const size_t N = out.real_count();
    std::vector<int64_t> bias(N, 0);
    std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
    if (n.op == "Mul") {
      if (n.inputs.size() != 2) return node_error(n, "expected two inputs");
      const bool c0 = m_.tensors[n.inputs[0]].is_const, c1 = m_.tensors[n.inputs[1]].is_const;
      if (!c0 && !c1) return product(k, out);
      if (c0 && c1) return node_error(n, "multiplies two constants");
      const int xt = c0 ? n.inputs[1] : n.inputs[0];
      const model::QTensor& c = m_.tensors[c0 ? n.inputs[0] : n.inputs[1]];
      auto x = held(n, xt);
      if (!x.ok()) return make_error(x.error());
      const auto ix = model::kern::broadcast_index(m_.tensors[xt].shape, os);
      const auto ic = model::kern::broadcast_index(c.shape, os);
      if (ix.size() != N || ic.size() != N) return node_error(n, "inputs do not broadcast to the output");
      auto e = std::make_shared<std::vector<Entry>>();
      for (size_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(ix[o]), c.data[size_t(ic[o])]});
      parts.emplace_back(*x, e);
    } else {
      if (n.in_shift.size() != n.inputs.size()) return node_error(n, "expected a shift an input");
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        const model::QTensor& t = m_.tensors[n.inputs[i]];
        const int64_t mul = (n.op == "Sub" && i == 1 ? -1 : 1) * (int64_t(1) << n.in_shift[i]);
        const auto bi = model::kern::broadcast_index(t.shape, os);
        if (bi.size() != N) return node_error(n, "inputs do not broadcast to the output");
        if (t.is_const) {
          for (size_t o = 0; o < N; ++o) bias[o] += t.data[size_t(bi[o])] * mul;
          continue;
        }
        auto x = held(n, n.inputs[i]);
        if (!x.ok()) return make_error(x.error());
        auto e = std::make_shared<std::vector<Entry>>();
        for (size_t o = 0; o < N; ++o) e->push_back({uint32_t(o), uint32_t(bi[o]), mul});
        parts.emplace_back(*x, e);
      }
      if (parts.empty()) return node_error(n, "has no activation input");
    }
    return sparse_linear(k, out, parts, std::move(bias), n.shift, true);
  }

  // Layout ops: y[o] = src[gather[o]] or the fill; Concat gathers from its inputs laid
  // end to end (only unshifted parts: a shifted part is requantized first). A layout
  // that keeps every entry in place is the same column; any other is a linear op of
  // shift 0 whose outputs are entries of range-checked columns (or the fill).
  Status layout(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    const size_t N = out.real_count();
    if (n.gather.size() != N) return node_error(n, "expected a gather map an output");
    if (n.op == "Concat") {
      for (int s : n.in_shift)
        if (s != 0) return node_error(n, "concatenates requantized parts: not provable in a private proof yet");
    } else if (n.inputs.size() != 1) {
      return node_error(n, "expected one input");
    }
    if (n.fill < m_.act_lo() || n.fill > m_.act_hi()) return node_error(n, "its fill is outside the activation range");
    std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
    std::vector<int64_t> starts;  // each part's first source index
    int64_t total = 0;
    for (int t : n.inputs) {
      auto x = held(n, t);
      if (!x.ok()) return make_error(x.error());
      parts.emplace_back(*x, std::make_shared<std::vector<Entry>>());
      starts.push_back(total);
      total += int64_t(p_.col_shape[*x].real_count());
    }
    std::vector<int64_t> bias(N, 0);
    bool identity = n.inputs.size() == 1 && size_t(total) == N;
    for (size_t o = 0; o < N; ++o) {
      const int64_t g = n.gather[o];
      identity = identity && g == int64_t(o);
      if (g < 0) {
        bias[o] = n.fill;
        continue;
      }
      if (g >= total) return node_error(n, "its gather map reads past its inputs");
      const size_t part = size_t(std::upper_bound(starts.begin(), starts.end(), g) - starts.begin()) - 1;
      parts[part].second->push_back({uint32_t(o), uint32_t(g - starts[part]), 1});
    }
    if (identity) {
      col_of_[n.outputs[0]] = parts[0].first;  // every entry in place: the same column
      return {};
    }
    std::erase_if(parts, [](const auto& pr) { return pr.second->empty(); });
    if (parts.empty()) return node_error(n, "outputs only its fill");
    return sparse_linear(k, out, parts, std::move(bias), 0, false);
  }

  // x_0 x_1 entry by entry, a broadcast factor copied into the output's layout first.
  Status product(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    LinearPlan lp;
    const auto& os = m_.tensors[n.outputs[0]].shape;
    double bound = 1;
    for (int t : n.inputs) {
      auto x = held(n, t);
      if (!x.ok()) return make_error(x.error());
      auto col = copy_to(k, *x, model::kern::broadcast_index(m_.tensors[t].shape, os), out);
      if (!col.ok()) return make_error(col.error());
      LinearInput li;
      li.col = *col;
      lp.ins.push_back(std::move(li));
      bound *= max_of(*col);
    }
    lp.product = true;
    lp.bias.assign(out.real_count(), 0);
    return add_linear(k, std::move(lp), out, n.shift, std::vector<double>(out.real_count(), bound), true);
  }

  // `col` read at index[o] for each output o, in the output's layout: the column itself
  // when that is the identity, else its copy (a layout op).
  Result<size_t> copy_to(size_t k, size_t col, const std::vector<int64_t>& index, const poly::PaddedShape& out) {
    if (index.size() != out.real_count()) return step_error(m_, k, "inputs do not broadcast to the output");
    bool identity = p_.col_shape[col] == out;
    for (size_t o = 0; o < index.size() && identity; ++o) identity = index[o] == int64_t(o);
    if (identity) return col;
    auto e = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < index.size(); ++o) e->push_back({uint32_t(o), uint32_t(index[o]), 1});
    ZK_TRY(sparse_linear(k, out, {{col, e}}, std::vector<int64_t>(out.real_count(), 0), 0, false, false));
    return p_.linears.back().q_col;
  }

  // One operand of a division: an activation column or constants, and the entry each
  // output reads.
  struct Operand {
    size_t col = SIZE_MAX;
    const std::vector<int64_t>* konst = nullptr;
    std::vector<int64_t> index;
  };

  Status div_node(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    if (n.inputs.size() != 2) return node_error(n, "expected two inputs");
    const auto& os = m_.tensors[n.outputs[0]].shape;
    const model::QTensor &at = m_.tensors[n.inputs[0]], &bt = m_.tensors[n.inputs[1]];
    if (bt.is_const) return node_error(n, "divides by a constant (the compiler makes that a Mul)");
    Operand a, b;
    a.index = model::kern::broadcast_index(at.shape, os);
    b.index = model::kern::broadcast_index(bt.shape, os);
    if (at.is_const) {
      a.konst = &at.data;
    } else {
      auto x = held(n, n.inputs[0]);
      if (!x.ok()) return make_error(x.error());
      a.col = *x;
    }
    auto y = held(n, n.inputs[1]);
    if (!y.ok()) return make_error(y.error());
    b.col = *y;
    // |q| <= |A| / D + 1 <= |a| 2^ka + 1 (D >= 1).
    const double a_max = a.konst ? [&] {
      double mx = 0;
      for (int64_t v : *a.konst) mx = std::max(mx, std::fabs(double(v)));
      return mx;
    }() : max_of(a.col);
    auto q = divide(k, out, a, b, n.aux, std::ldexp(a_max, int(std::max<int64_t>(n.aux, 0))) + 1);
    if (!q.ok()) return make_error(q.error());
    col_of_[n.outputs[0]] = *q;
    return {};
  }

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
                        double q_bound) {
    const size_t N = out.real_count();
    if (shift < -30 || shift > 30)
      return step_error(m_, k, "divides at a scale shift of " + std::to_string(shift) + " (at most 30 in a private proof)");
    if (a.index.size() != N || b.index.size() != N) return step_error(m_, k, "inputs do not broadcast to the output");
    DivPlan d;
    d.node = k, d.a_col = a.col, d.a_const = a.konst, d.b_col = b.col, d.ia = a.index, d.ib = b.index;
    d.ka = unsigned(std::max<int64_t>(shift, 0)), d.kb = unsigned(std::max<int64_t>(-shift, 0));
    if (a.konst)
      for (int64_t i : a.index) {
        if (i < 0 || size_t(i) >= a.konst->size()) return step_error(m_, k, "its constant does not broadcast");
        if (std::ldexp(std::fabs(double((*a.konst)[size_t(i)])), int(d.ka) + 1) >= std::ldexp(1.0, 62))
          return step_error(m_, k, "its constant numerator may reach 2^62 (field headroom)");
      }
    d.q_col = d.y_col = new_col(out);
    std::vector<std::pair<size_t, unsigned>> tops;
    const double excess = std::max(q_bound - double(m_.act_hi()), q_bound + double(m_.act_lo()));
    if (excess > 0) {  // q may clamp: y of its own, and the excess
      d.y_col = new_col(out);
      const unsigned G = unsigned(std::ceil(std::log2(excess + 2)));
      if (G > 45) return step_error(m_, k, "its quotient may clamp by 2^" + std::to_string(G) + " (too wide)");
      d.excess_cols = excess_limbs(k, out, G, tops);
      d.excess_bits = G;
      col_max_[d.q_col] = std::ldexp(1.0, int(G)) + in_max();  // |q| = |y +- c| as proved
      // q - y - c (2y - lo - hi) / (hi - lo) = 0
      ProductCheck pc;
      pc.node = k, pc.what = "clamp", pc.out = out, pc.nv = std::max(kMinReadVars, out.num_vars());
      pc.factors = {{d.q_col, 0, 0}, {d.y_col, 0, 0}};
      for (size_t c : d.excess_cols) pc.factors.push_back({c, 0, 0});
      const unsigned sel = unsigned(pc.factors.size());
      pc.terms = {{Fp2::one(), {0, sel}}, {-Fp2::one(), {1, sel}}};
      const Fp inv_width = Fp::from_i64(m_.act_hi() - m_.act_lo()).inverse();
      for (unsigned j = 0; j < d.excess_cols.size(); ++j) {
        const Fp2 c(Fp(uint64_t(1) << (kLimbBits * j)) * inv_width);
        pc.terms.push_back({-c * Fp2(Fp(2)), {2 + j, 1, sel}});
        pc.terms.push_back({c * Fp2(Fp::from_i64(m_.act_lo() + m_.act_hi())), {2 + j, sel}});
      }
      std::vector<unsigned> e;
      for (unsigned j = 0; j < d.excess_cols.size(); ++j) e.push_back(2 + j);
      pc.second.terms = clamp_terms(1, e, sel);
      std::vector<char> masked(sel + 1, 1);
      masked[sel] = 0;
      pc.degrees = sc::masked_degrees(pc.nv, pc.second.with(pc.terms, Fp2::one()), masked, true);
      p_.products.push_back(std::move(pc));
    }
    needs_range_.push_back({d.y_col, k});
    p_.steps.emplace_back(Step::Div, p_.divs.size());
    p_.divs.push_back(d);
    ZK_TRY(offset_copies(k, out, tops));
    // P = b q.
    auto bq = copy_to(k, b.col, b.index, out);
    if (!bq.ok()) return bq;
    LinearPlan lp;
    lp.product = true;
    for (size_t c : {*bq, d.q_col}) {
      LinearInput li;
      li.col = c;
      lp.ins.push_back(std::move(li));
    }
    lp.bias.assign(N, 0);
    ZK_TRY(add_linear(k, std::move(lp), out, 0, std::vector<double>(N, max_of(*bq) * max_of(d.q_col)), false, false));
    const size_t P = p_.linears.back().q_col;
    unsigned W = 0;
    while (std::ldexp(1.0, W) < 2 * max_of(b.col) * std::ldexp(1.0, d.kb)) ++W;
    if (W == 0) return step_error(m_, k, "divides by a tensor that is always 0");
    const int64_t A2 = int64_t(1) << (d.ka + 1), B1 = int64_t(1) << d.kb;
    for (const int64_t sign : {1, -1}) {  // r, then u
      std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
      std::vector<int64_t> bias(N, sign > 0 ? 0 : -1);
      auto ea = std::make_shared<std::vector<Entry>>(), eb = std::make_shared<std::vector<Entry>>(),
           ep = std::make_shared<std::vector<Entry>>();
      for (size_t o = 0; o < N; ++o) {
        if (a.konst) {
          bias[o] += sign * A2 * (*a.konst)[size_t(a.index[o])];
        } else {
          ea->push_back({uint32_t(o), uint32_t(a.index[o]), sign * A2});
        }
        eb->push_back({uint32_t(o), uint32_t(b.index[o]), B1});
        ep->push_back({uint32_t(o), uint32_t(o), -sign * 2 * B1});
      }
      if (!a.konst) parts.emplace_back(a.col, ea);
      parts.emplace_back(b.col, eb);
      parts.emplace_back(P, ep);
      ZK_TRY(range_check(k, out, parts, std::move(bias), W));
    }
    return d.y_col;
  }

  // Softmax along an axis (the executor's), per row: m = max x (a max check), d = x - m +
  // act_hi (in the activation range: its lookup's), e = exp(d - act_hi) by a function
  // lookup (the model's table, 0 below it), S = sum e (a linear op), and y = round(e 2^fo
  // / S): a division with a = e, b = S and scale shift fo.
  Status softmax(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    if (n.table < 0 || size_t(n.table) >= m_.tables.size() || xs != m_.tensors[n.outputs[0]].shape ||
        !(p_.col_shape[*x] == out))
      return node_error(n, "needs its table and equal shapes");
    int64_t outer = 0, len = 0, inner = 0;
    model::softmax_layout(as_graph_node(n), xs, m_.opset, outer, len, inner);
    const size_t N = out.real_count(), R = size_t(outer * inner);
    if (len < 1 || size_t(outer * len * inner) != N) return node_error(n, "its axis does not fit its shape");
    const poly::PaddedShape rows = poly::PaddedShape::flat(R);
    std::vector<int64_t> row_of(N);
    std::vector<std::vector<int64_t>> taps(static_cast<size_t>(len), std::vector<int64_t>(R));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < len; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t at = (o * len + j) * inner + i;
          row_of[size_t(at)] = o * inner + i;
          taps[size_t(j)][size_t(o * inner + i)] = at;
        }
    auto mx = max_check(k, *x, rows, std::move(taps));
    if (!mx.ok()) return make_error(mx.error());
    auto ex = std::make_shared<std::vector<Entry>>(), em = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < N; ++o) {
      ex->push_back({uint32_t(o), uint32_t(o), 1});
      em->push_back({uint32_t(o), uint32_t(row_of[o]), -1});
    }
    ZK_TRY(sparse_linear(k, out, {{*x, ex}, {*mx, em}}, std::vector<int64_t>(N, m_.act_hi()), 0, false, false));
    const size_t d_col = p_.linears.back().q_col;
    // exp over d in [act_lo, act_hi], d - act_hi <= 0: the model's table, 0 below it
    // (the executor's; its table holds 0, so never past it).
    const model::QTable& qt = m_.tables[size_t(n.table)];
    auto fe = std::make_shared<FunctionTable>();
    fe->in_lo = m_.act_lo();
    for (int64_t v = m_.act_lo(); v <= m_.act_hi(); ++v) {
      const int64_t row = v - m_.act_hi() - qt.in_lo;
      if (row >= int64_t(qt.values.size())) return node_error(n, "its table does not hold 0");
      fe->values.push_back(row < 0 ? 0 : qt.values[size_t(row)]);
      if (fe->values.back() < 0) return node_error(n, "its exp table has a negative entry");
    }
    const size_t e_col = add_unary(k, d_col, intern(std::move(fe)), true);
    auto es = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < N; ++o) es->push_back({uint32_t(row_of[o]), uint32_t(o), 1});
    ZK_TRY(sparse_linear(k, rows, {{e_col, es}}, std::vector<int64_t>(R, 0), 0, false, false));
    Operand a, b;
    a.col = e_col, b.col = p_.linears.back().q_col;
    for (size_t o = 0; o < N; ++o) a.index.push_back(int64_t(o));
    b.index = row_of;
    // e <= S, so q <= floor(2^fo + 1/2) = 2^fo.
    auto q = divide(k, out, a, b, n.aux, std::ldexp(1.0, int(std::max<int64_t>(n.aux, 0))));
    if (!q.ok()) return make_error(q.error());
    col_of_[n.outputs[0]] = *q;
    return {};
  }

  Status reduce(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto idx = model::reduce_index(n, m_.tensors[n.inputs[0]].shape);
    if (idx.size() != p_.col_shape[*x].real_count()) return node_error(n, "axes do not match the output");
    if (n.op == "ReduceMean" && n.mult.size() != 1) return node_error(n, "expected one multiplier");
    const int64_t mult = n.op == "ReduceMean" ? n.mult[0] : 1;
    auto e = std::make_shared<std::vector<Entry>>();
    for (size_t i = 0; i < idx.size(); ++i) {
      if (idx[i] < 0 || uint64_t(idx[i]) >= out.real_count()) return node_error(n, "axes do not match the output");
      e->push_back({uint32_t(idx[i]), uint32_t(i), mult});
    }
    return sparse_linear(k, out, {{*x, e}}, std::vector<int64_t>(out.real_count(), 0), n.shift, true);
  }

  // MatMul with one constant 2-d operand, entry by entry: x [.., M, K] W [K, N], or
  // W [M, K] x [K, N].
  Status matmul(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    if (n.inputs.size() != 2) return node_error(n, "expected two inputs");
    const model::QTensor &a = m_.tensors[n.inputs[0]], &b = m_.tensors[n.inputs[1]];
    if (!a.is_const && !b.is_const) return activation_matmul(k, out);
    if (a.is_const && b.is_const) return node_error(n, "multiplies two constants");
    const model::QTensor& w = a.is_const ? a : b;
    const model::QTensor& xt = a.is_const ? b : a;
    auto x = held(n, a.is_const ? n.inputs[1] : n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    if (w.shape.size() != 2 || xt.shape.empty()) return node_error(n, "needs a 2-d constant operand");
    auto e = std::make_shared<std::vector<Entry>>();
    const size_t X = p_.col_shape[*x].real_count();
    if (!a.is_const) {  // x [rows, K] W [K, N]
      const size_t K = size_t(w.shape[0]), N = size_t(w.shape[1]);
      if (size_t(xt.shape.back()) != K || X % K != 0 || out.real_count() != X / K * N) return node_error(n, "shapes do not match");
      if (X / K * K * N > (size_t(1) << 26)) return node_error(n, "too many multiplications for a private proof");
      for (size_t row = 0; row < X / K; ++row)
        for (size_t i = 0; i < K; ++i)
          for (size_t j = 0; j < N; ++j)
            if (w.data[i * N + j] != 0) e->push_back({uint32_t(row * N + j), uint32_t(row * K + i), w.data[i * N + j]});
    } else {  // W [M, K] x [K, N]
      const size_t M = size_t(w.shape[0]), K = size_t(w.shape[1]);
      if (xt.shape.size() != 2 || size_t(xt.shape[0]) != K) return node_error(n, "needs a 2-d activation [K, N]");
      const size_t N = size_t(xt.shape[1]);
      if (out.real_count() != M * N || M * K * N > (size_t(1) << 26)) return node_error(n, "shapes do not match");
      for (size_t i = 0; i < M; ++i)
        for (size_t kk = 0; kk < K; ++kk)
          for (size_t j = 0; j < N; ++j)
            if (w.data[i * K + kk] != 0) e->push_back({uint32_t(i * N + j), uint32_t(kk * N + j), w.data[i * K + kk]});
    }
    return sparse_linear(k, out, {{*x, e}}, std::vector<int64_t>(out.real_count(), 0), n.shift, true);
  }

  Status activation_matmul(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    const auto &as = m_.tensors[n.inputs[0]].shape, &bs = m_.tensors[n.inputs[1]].shape;
    const auto& os = m_.tensors[n.outputs[0]].shape;
    if (as.size() < 2 || as.size() != bs.size() || os.size() != as.size() ||
        !std::equal(as.begin(), as.end() - 2, bs.begin()) || !std::equal(as.begin(), as.end() - 2, os.begin()))
      return node_error(n, "multiplies activations of other ranks or batches: not provable in a private proof yet");
    const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
    if (bs[bs.size() - 2] != K || os[os.size() - 2] != M || os.back() != N) return node_error(n, "shapes do not match");
    if (K < 2) return node_error(n, "contracts one entry: not provable in a private proof yet");
    auto a = held(n, n.inputs[0]), b = held(n, n.inputs[1]);
    if (!a.ok()) return make_error(a.error());
    if (!b.ok()) return make_error(b.error());
    auto a_shape = slice_detail::padded_of(as);
    if (!a_shape.ok() || !(p_.col_shape[*a] == *a_shape) || p_.col_shape[*b].real_count() != uint64_t(model::numel(bs)))
      return node_error(n, "its operands are not laid out as their shapes: not provable in a private proof yet");
    // B transposed: Bt [batch.., N, K], a copy.
    model::Shape ts(bs.begin(), bs.end() - 2);
    ts.push_back(N), ts.push_back(K);
    auto bt_shape = slice_detail::padded_of(ts);
    if (!bt_shape.ok()) return node_error(n, bt_shape.error());
    const int64_t batches = model::numel(bs) / (K * N);
    auto e = std::make_shared<std::vector<Entry>>();
    for (int64_t bi = 0; bi < batches; ++bi)
      for (int64_t kk = 0; kk < K; ++kk)
        for (int64_t j = 0; j < N; ++j)
          e->push_back({uint32_t((bi * N + j) * K + kk), uint32_t((bi * K + kk) * N + j), 1});
    ZK_TRY(sparse_linear(k, *bt_shape, {{*b, e}}, std::vector<int64_t>(size_t(model::numel(ts)), 0), 0, false, false));
    LinearPlan lp;
    lp.matmul = true;
    LinearInput la, lb;
    la.col = *a, lb.col = p_.linears.back().q_col;
    lp.ins = {la, lb};
    const size_t r = as.size();
    lp.kb = a_shape->axis_bits(r - 1), lp.mb = a_shape->axis_bits(r - 2), lp.nb = out.axis_bits(r - 1);
    lp.bb = a_shape->num_vars() - lp.kb - lp.mb;
    lp.mm_K = K, lp.mm_batches = batches;
    lp.bias.assign(out.real_count(), 0);
    const std::vector<double> bound(out.real_count(), double(K) * in_max() * in_max());
    return add_linear(k, std::move(lp), out, n.shift, bound, true);
  }

  // ConvTranspose entry by entry (its MACs: the corpus's are small).
  Status conv_transpose(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const model::QTensor& w = m_.tensors[n.inputs[1]];
    model::kern::ConvParams cp{};
    std::vector<int64_t> bias;
    ZK_TRY(conv_of(n, "transposed convolution", cp, bias));
    const int64_t cg = cp.C / cp.group, mg = cp.M / cp.group;
    if (out.real_count() != uint64_t(cp.M * cp.OH * cp.OW)) return node_error(n, "output size does not match");
    auto e = std::make_shared<std::vector<Entry>>();
    for (int64_t c = 0; c < cp.C; ++c)
      for (int64_t mm = 0; mm < mg; ++mm) {
        const int64_t mo = (c / cg) * mg + mm;
        for (int64_t ih = 0; ih < cp.H; ++ih)
          for (int64_t iw = 0; iw < cp.W; ++iw)
            for (int64_t kh = 0; kh < cp.KH; ++kh) {
              const int64_t oh = ih * cp.sh - cp.pt + kh * cp.dh;
              if (oh < 0 || oh >= cp.OH) continue;
              for (int64_t kw = 0; kw < cp.KW; ++kw) {
                const int64_t ow = iw * cp.sw - cp.pl + kw * cp.dw;
                if (ow < 0 || ow >= cp.OW) continue;
                const int64_t wv = w.data[size_t(((c * mg + mm) * cp.KH + kh) * cp.KW + kw)];
                if (wv != 0)
                  e->push_back({uint32_t((mo * cp.OH + oh) * cp.OW + ow), uint32_t((c * cp.H + ih) * cp.W + iw), wv});
              }
            }
      }
    if (e->size() > (size_t(1) << 26)) return node_error(n, "too many multiplications for a private proof");
    return sparse_linear(k, out, {{*x, e}}, std::move(bias), n.shift, true);
  }

  // PRelu with a slope per entry: y = requant(2^16 relu(x) + slope (x - relu(x))), so a
  // Relu lookup (x, relu(x)) and a linear op of x and relu(x).
  Status prelu(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const size_t N = out.real_count();
    if (p_.col_shape[*x].real_count() != N || (n.mult.size() != 1 && n.mult.size() != N))
      return node_error(n, "expected one slope or one an output");
    const size_t r_col = add_unary(k, *x, relu_, false);
    auto ex = std::make_shared<std::vector<Entry>>(), er = std::make_shared<std::vector<Entry>>();
    for (size_t o = 0; o < N; ++o) {
      const int64_t sl = n.mult.size() == 1 ? n.mult[0] : n.mult[o];
      ex->push_back({uint32_t(o), uint32_t(o), sl});
      er->push_back({uint32_t(o), uint32_t(o), (int64_t(1) << 16) - sl});
    }
    return sparse_linear(k, out, {{*x, ex}, {r_col, er}}, std::vector<int64_t>(N, 0), n.shift, true);
  }

  // Max pooling (see ProductCheck): y committed, D = [y - x at each tap] by a linear op
  // of shift 0, D in [0, 2^16), and the product zerocheck.
  Status maxpool(size_t k, const poly::PaddedShape& out) {
    const QNode& n = m_.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const auto& xs = m_.tensors[n.inputs[0]].shape;
    model::kern::PoolParams pp{};
    model::Shape ys;
    ZK_TRY(model::pool_setup(as_graph_node(n), xs, pp, ys));
    const size_t N = size_t(pp.N * pp.C * pp.OH * pp.OW);
    if (out.real_count() != N || p_.col_shape[*x].real_count() != size_t(pp.N * pp.C * pp.H * pp.W))
      return node_error(n, "shapes do not match the pooling");
    std::vector<std::vector<int64_t>> taps(size_t(pp.KH * pp.KW), std::vector<int64_t>(N, -1));
    for (int64_t nc = 0; nc < pp.N * pp.C; ++nc)
      for (int64_t oh = 0; oh < pp.OH; ++oh)
        for (int64_t ow = 0; ow < pp.OW; ++ow)
          for (int64_t kh = 0; kh < pp.KH; ++kh)
            for (int64_t kw = 0; kw < pp.KW; ++kw) {
              const int64_t ih = oh * pp.sh - pp.pt + kh * pp.dh, iw = ow * pp.sw - pp.pl + kw * pp.dw;
              if (ih >= 0 && ih < pp.H && iw >= 0 && iw < pp.W)
                taps[size_t(kh * pp.KW + kw)][size_t((nc * pp.OH + oh) * pp.OW + ow)] = (nc * pp.H + ih) * pp.W + iw;
            }
    auto y = max_check(k, *x, out, std::move(taps));
    if (!y.ok()) return make_error(y.error());
    col_of_[n.outputs[0]] = *y;
    return {};
  }

  // y(o) = max_t x(taps[t][o]) as a committed column (returned), by the product check.
  // More than 64 taps: a tree, the max of the maxes of groups of 64 (each level a check).
  Result<size_t> max_check(size_t k, size_t x_col, const poly::PaddedShape& out, std::vector<std::vector<int64_t>> taps) {
    constexpr size_t kMaxTaps = 64;
    const size_t N = out.real_count(), T = taps.size();
    if (T == 0 || T > (size_t(1) << 16)) return step_error(m_, k, "takes the max of " + std::to_string(T) + " taps");
    std::vector<int64_t> some(N, -1);  // a tap inside the input, for each output
    for (const auto& t : taps)
      for (size_t o = 0; o < N; ++o)
        if (some[o] < 0) some[o] = t[o];
    for (size_t o = 0; o < N; ++o)
      if (some[o] < 0) return step_error(m_, k, "has a window outside its input");
    if (T > kMaxTaps) {
      // Level one: output (g, o) is the max of group g's taps of o (o's first tap again
      // where the group has none inside: the max is the same).
      const size_t G = (T + kMaxTaps - 1) / kMaxTaps;
      std::vector<std::vector<int64_t>> first(kMaxTaps, std::vector<int64_t>(G * N, -1));
      for (size_t g = 0; g < G; ++g)
        for (size_t o = 0; o < N; ++o) {
          bool any = false;
          for (size_t t = 0; t < kMaxTaps && g * kMaxTaps + t < T; ++t) {
            first[t][g * N + o] = taps[g * kMaxTaps + t][o];
            any = any || first[t][g * N + o] >= 0;
          }
          if (!any) first[0][g * N + o] = some[o];
        }
      auto partial = max_check(k, x_col, poly::PaddedShape::flat(G * N), std::move(first));
      if (!partial.ok()) return partial;
      std::vector<std::vector<int64_t>> second(G, std::vector<int64_t>(N));
      for (size_t g = 0; g < G; ++g)
        for (size_t o = 0; o < N; ++o) second[g][o] = int64_t(g * N + o);
      return max_check(k, *partial, out, std::move(second));
    }
    MaxPlan mp;
    mp.node = k, mp.x_col = x_col, mp.y_col = new_col(out), mp.taps = std::move(taps);
    p_.steps.emplace_back(Step::Max, p_.maxes.size());
    // D over [taps] x 2^nv (nv = y's layout, at least kMinReadVars): entry (t, o) at
    // t 2^nv + o's padded index; the entries past y's are 0 (in range, never read by the
    // product, whose selector is y's).
    const unsigned nv = std::max(kMinReadVars, out.num_vars());
    const size_t block = size_t(1) << nv;
    const poly::PaddedShape d_shape({uint32_t(T), uint32_t(block)});
    const auto pout = out.padded_indices();
    auto ey = std::make_shared<std::vector<Entry>>(), ex = std::make_shared<std::vector<Entry>>();
    std::vector<int64_t> bias(T * block, 0);
    for (size_t t = 0; t < T; ++t)
      for (size_t o = 0; o < N; ++o) {
        const size_t d = t * block + pout[o];
        if (mp.taps[t][o] < 0) {
          bias[d] = 1;  // a tap outside the input: 1, never the max
          continue;
        }
        ey->push_back({uint32_t(d), uint32_t(o), 1});
        ex->push_back({uint32_t(d), uint32_t(mp.taps[t][o]), -1});
      }
    const size_t y_col = mp.y_col;
    p_.maxes.push_back(std::move(mp));
    // The map's output is D, a column of its own (not the node's output).
    ZK_TRY(sparse_linear(k, d_shape, {{y_col, ey}, {x_col, ex}}, std::move(bias), 0, false, false));
    const size_t d_col = p_.linears.back().q_col;
    range16(k, d_col);
    std::vector<Factor> left;
    for (size_t t = 0; t < T; ++t) left.push_back({d_col, t, d_shape.num_vars() - nv});
    constexpr size_t kGroup = 4;
    while (true) {
      ProductCheck pc;
      pc.node = k, pc.out = out, pc.nv = nv;
      const bool last = left.size() <= kGroup;
      pc.factors.assign(left.begin(), left.begin() + static_cast<long>(std::min(kGroup, left.size())));
      left.erase(left.begin(), left.begin() + static_cast<long>(pc.factors.size()));
      const unsigned g = static_cast<unsigned>(pc.factors.size());
      sc::Term prod{last ? Fp2::one() : -Fp2::one(), {}};
      for (unsigned j = 0; j < g; ++j) prod.factors.push_back(j);
      const unsigned sel = last ? g : g + 1;
      prod.factors.push_back(sel);
      pc.terms = {prod};
      if (!last) {
        pc.e_col = new_col(out);
        pc.terms.push_back({Fp2::one(), {g, sel}});
        left.push_back({pc.e_col, 0, 0});
      }
      std::vector<char> masked(sel + 1, 1);
      masked[sel] = 0;
      pc.degrees = sc::masked_degrees(pc.nv, pc.terms, masked, true);
      p_.products.push_back(std::move(pc));
      if (last) break;
    }
    return y_col;
  }

  using Parts = std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>>;
  Status sparse_linear(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias, int shift,
                       bool needs_range, bool node_output = true, bool range_only = false) {
    if (parts.size() > sc::kMaxFactors / 2)
      return step_error(m_, k, "reads more than " + std::to_string(sc::kMaxFactors / 2) +
                                   " activations (not provable in a private proof yet)");
    LinearPlan lp;
    lp.bias = std::move(bias);
    lp.range_only = range_only;
    std::vector<double> bound(out.real_count(), 0.0);
    for (const auto& [col, entries] : parts) {
      lp.ins.push_back(sparse_input(col, p_.col_shape[col], out, entries));
      entries_bound(*entries, max_of(col), bound);
    }
    return add_linear(k, std::move(lp), out, shift, bound, needs_range, node_output);
  }

  // acc = sum M_j x_j + b in [0, 2^bits), by its limbs (LinearPlan::range_only).
  Status range_check(size_t k, const poly::PaddedShape& out, const Parts& parts, std::vector<int64_t> bias, unsigned bits) {
    return sparse_linear(k, out, parts, std::move(bias), int(bits), false, false, true);
  }

  Status bias_of(const QNode& n, size_t input, size_t N, std::vector<int64_t>& bias) {
    bias.assign(N, 0);
    if (n.inputs.size() <= input) return {};
    const model::QTensor& c = m_.tensors[n.inputs[input]];
    if (!c.is_const) return node_error(n, "needs a constant bias");
    const auto ci = model::kern::broadcast_index(c.shape, m_.tensors[n.outputs[0]].shape);
    if (ci.size() != N) return node_error(n, "its bias does not broadcast to its output");
    for (size_t j = 0; j < N; ++j) {
      if (ci[j] < 0 || size_t(ci[j]) >= c.data.size()) return node_error(n, "its bias does not broadcast");
      bias[j] = c.data[size_t(ci[j])];
    }
    return {};
  }

  Status unary(size_t k) {
    const QModel& m = m_;
    const QNode& n = m.nodes[k];
    auto x = held(n, n.inputs[0]);
    if (!x.ok()) return make_error(x.error());
    const FunctionTable* ft = relu_;
    if (slice_detail::is_function_op(n)) {
      ft = intern(std::make_shared<FunctionTable>(slice_detail::function_table(m, n)));
    } else if (n.op != "Relu") {
      auto& slot = model_tables_[n.table];
      if (!slot) {
        auto t = std::make_shared<FunctionTable>();
        t->in_lo = m.tables[size_t(n.table)].in_lo;
        t->values = m.tables[size_t(n.table)].values;
        p_.tables.push_back(t);
        slot = t.get();
      }
      ft = slot;
    }
    if (ft->in_lo != m.act_lo() || ft->values.size() != (size_t(1) << m.cfg.act_bits))
      return node_error(n, "its table does not cover the activation range");
    for (int64_t v : ft->values)
      if (v < m.act_lo() || v > m.act_hi()) return node_error(n, "its table has an entry outside the activation range");
    col_of_[n.outputs[0]] = add_unary(k, *x, ft, false);
    return {};
  }

  // Nodes with the same function (two Clips alike) share one table, so one lookup.
  const FunctionTable* intern(std::shared_ptr<FunctionTable> t) {
    auto same = std::find_if(p_.tables.begin(), p_.tables.end(), [&](const auto& o) {
      return o->in_lo == t->in_lo && o->values == t->values && o->inputs == t->inputs;
    });
    if (same == p_.tables.end()) p_.tables.push_back(std::move(t)), same = p_.tables.end() - 1;
    return same->get();
  }

  // y = f(x) by a lookup of (x, y) in f's table over the activation range; y returned.
  size_t add_unary(size_t k, size_t x_col, const FunctionTable* ft, bool derived) {
    UnaryPlan u{k, x_col, new_col(p_.col_shape[x_col]), ft, derived};
    LookupPlan l;
    l.kind = LookupKind::Function, l.node = k, l.cols = {u.x_col, u.y_col}, l.fn = ft;
    l.table_vars = unsigned(m_.cfg.act_bits);
    p_.lookups.push_back(std::move(l));
    in_function_.insert(u.x_col);
    double mx = 0;
    for (int64_t v : ft->values) mx = std::max(mx, std::fabs(double(v)));
    col_max_[u.y_col] = mx;
    p_.steps.emplace_back(Step::Unary, p_.unaries.size());
    p_.unaries.push_back(u);
    return u.y_col;
  }

  // Range checks, batching, sizes, the lookups' tables and the mask table's slices.
  Status finish() {
    const unsigned act = unsigned(m_.cfg.act_bits);
    for (const auto& [c, node] : needs_range_) {
      if (in_function_.count(c)) continue;  // its table op checks it
      LookupPlan l;
      l.kind = LookupKind::Act, l.node = node, l.cols = {c}, l.table_vars = act;
      p_.lookups.push_back(std::move(l));
    }
    ZK_TRY(batch_lookups());
    p_.col_vars.clear();
    for (const auto& sh : p_.col_shape) p_.col_vars.push_back(std::max(pcs::kMinHidingVars, sh.num_vars()));
    for (auto& l : p_.lookups) {
      if (l.kind == LookupKind::Range) {
        l.table = {std::vector<Fp>(size_t(1) << l.range_bits)};
        for (size_t v = 0; v < l.table[0].size(); ++v) l.table[0][v] = Fp(v);
      } else if (l.kind == LookupKind::Act) {
        l.table = {act_table(m_)};
      } else {
        l.table = {act_table(m_), {}};
        for (int64_t v : l.fn->values) l.table[1].push_back(Fp::from_i64(v));
      }
      l.m_col = new_col(poly::PaddedShape::flat(uint64_t(1) << l.table_vars));
      const unsigned vars =
          std::max({pcs::kMinHidingVars, l.table_vars, p_.col_shape[l.cols[0]].num_vars()});
      p_.col_vars.push_back(vars);  // m
      for (size_t c : l.cols) p_.col_vars[c] = vars;
      l.shape = {p_.col_shape[l.cols[0]], l.table_vars, static_cast<unsigned>(l.cols.size()), vars};
      l.degrees = lk::zk_lookup_degrees(l.shape);
    }
    for (auto& lp : p_.linears) {
      lp.off_reader = p_.mask_size, p_.mask_size += sc::mask_entries(lp.d_reader);
      lp.off_maker = p_.mask_size, p_.mask_size += sc::mask_entries(lp.d_maker);
      lp.off_S = p_.mask_size, p_.mask_size += sc::affine_mask_entries(lp.nv);
    }
    for (auto& pc : p_.products) pc.off = p_.mask_size, p_.mask_size += sc::mask_entries(pc.degrees);
    for (auto& l : p_.lookups) l.off = p_.mask_size, p_.mask_size += sc::mask_entries(l.degrees);
    p_.mask_vars = pcs::hiding_value_vars(p_.mask_size);
    ZK_TRY(assign_units());
    // Members largest first (ties in unit order).
    p_.order.resize(p_.members());
    for (size_t j = 0; j < p_.order.size(); ++j) p_.order[j] = j;
    std::stable_sort(p_.order.begin(), p_.order.end(),
                     [&](size_t a, size_t b) { return p_.unit_vars[a] > p_.unit_vars[b]; });
    p_.pos.assign(p_.members(), 0);
    for (size_t j = 0; j < p_.order.size(); ++j) p_.pos[p_.order[j]] = j;
    return {};
  }

  // Lookup witnesses and multiplicities alone, the rest packed (see Plan).
  Status assign_units() {
    const size_t C = p_.columns();
    std::vector<char> alone(C, 0);
    for (const auto& l : p_.lookups) {
      alone[l.m_col] = 1;
      for (size_t c : l.cols) alone[c] = 1;
    }
    p_.col_unit.assign(C, 0);
    p_.col_offset.assign(C, 0);
    p_.unit_vars.clear();
    std::vector<size_t> packed;
    for (size_t c = 0; c < C; ++c) {
      if (alone[c]) {
        p_.col_unit[c] = p_.unit_vars.size();
        p_.unit_vars.push_back(p_.col_vars[c]);
      } else {
        // A block of at least 2^kMinReadVars entries: every masked read stays in it.
        p_.col_vars[c] = std::max(kMinReadVars, p_.col_shape[c].num_vars());
        packed.push_back(c);
      }
    }
    // Packs of at most 2^kPackVars values (a hiding table of twice that, inside the
    // commitment's limits), filled largest block first, so every offset stays a
    // multiple of its block's size.
    constexpr unsigned kPackVars = 20;
    std::stable_sort(packed.begin(), packed.end(), [&](size_t a, size_t b) { return p_.col_vars[a] > p_.col_vars[b]; });
    std::vector<size_t> reads(C, 0);  // masked reads of each column
    for (const auto& lp : p_.linears) {
      for (size_t c : lp.reader_cols()) ++reads[c];
      for (const auto& in : lp.ins) ++reads[in.col];
    }
    for (const auto& pc : p_.products) {
      for (const auto& f : pc.factors) ++reads[f.col];
      if (pc.e_col != SIZE_MAX) ++reads[pc.e_col];
    }
    size_t at = 0, shown = 0;
    auto close_pack = [&]() {
      // The pack's mask must outnumber what one opening and its masked reads show.
      const unsigned vars = std::max(pcs::hiding_value_vars(at), pcs::hiding_value_vars(pcs::kRevealedPerOpening + shown + 1));
      p_.unit_vars.push_back(vars);
      at = 0, shown = 0;
    };
    for (size_t c : packed) {
      if (p_.col_vars[c] > kPackVars) {  // a tensor larger than a pack: alone
        p_.col_unit[c] = p_.unit_vars.size();
        p_.unit_vars.push_back(p_.col_vars[c]);
        continue;
      }
      if (at + (size_t(1) << p_.col_vars[c]) > (size_t(1) << kPackVars)) close_pack();
      p_.col_unit[c] = p_.unit_vars.size();
      p_.col_offset[c] = at;
      at += size_t(1) << p_.col_vars[c];
      shown += 2 * reads[c];
    }
    if (at > 0) close_pack();
    p_.mask_unit = p_.unit_vars.size();
    p_.unit_vars.push_back(p_.mask_vars);
    return count_reads();
  }

  // Lookups into one table become one: each witness column's tensors laid end to end in
  // a stack column (a layout op of shift 0 proves the stack from them), one lookup of
  // the stacks. A lookup's cost is mostly its argument (2^16 rows for a 16-bit table,
  // four helper tables and the multiplicities), whatever the tensor's size.
  Status batch_lookups() {
    // Keyed by the table's position in the plan, never its address: prover and verifier
    // must build the same plan.
    auto table_id = [&](const FunctionTable* fn) -> size_t {
      for (size_t i = 0; i < p_.tables.size(); ++i)
        if (p_.tables[i].get() == fn) return i;
      return SIZE_MAX;
    };
    std::map<std::tuple<int, unsigned, size_t>, std::vector<size_t>> groups;
    for (size_t i = 0; i < p_.lookups.size(); ++i) {
      const auto& l = p_.lookups[i];
      groups[{int(l.kind), l.range_bits, table_id(l.fn)}].push_back(i);
    }
    // A group whose stack would pass 2^kMaxStackVars entries is cut into several, in order:
    // a lookup's witness is one polynomial of the commitment, bounded in size.
    std::vector<std::vector<size_t>> chunks;
    for (auto& [key, members] : groups) {
      uint64_t size = 0;
      chunks.emplace_back();
      for (size_t i : members) {
        const uint64_t n = p_.col_shape[p_.lookups[i].cols[0]].real_count();
        if (!chunks.back().empty() && size + n > (uint64_t(1) << kMaxStackVars)) chunks.emplace_back(), size = 0;
        chunks.back().push_back(i);
        size += n;
      }
    }
    std::vector<LookupPlan> out;
    std::vector<std::pair<size_t, LookupPlan>> batched;  // by the first member's position
    for (auto& members : chunks) {
      if (members.size() == 1) {
        batched.emplace_back(members[0], std::move(p_.lookups[members[0]]));
        continue;
      }
      LookupPlan l = p_.lookups[members[0]];
      for (size_t j = 0; j < l.cols.size(); ++j) {
        std::vector<size_t> cols;
        for (size_t i : members) cols.push_back(p_.lookups[i].cols[j]);
        auto st = stack_columns(kStackNode, cols);
        if (!st.ok()) return make_error(st.error());
        l.cols[j] = *st;
      }
      l.node = kStackNode;  // several tensors
      batched.emplace_back(members[0], std::move(l));
    }
    std::sort(batched.begin(), batched.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [i, l] : batched) out.push_back(std::move(l));
    p_.lookups = std::move(out);
    return {};
  }

  // The masked reads of each column (see kMinReadVars): a read of n variables from entry
  // `start` involves that block of the column's mask. Each block some read spans may be
  // spanned, within itself, by at most 2^(n-1) - 1 reads; a read reaching past it
  // brings mask entries of its own. (A sufficient condition for points in general
  // position, not a proof: docs/ARCHITECTURE.md.) Only planning-time counts.
  Status count_reads() const {
    struct Read {
      size_t start;
      unsigned vars;
    };
    std::vector<std::vector<Read>> reads(p_.col_shape.size());
    auto read = [&](size_t col, size_t start, unsigned vars) {
      reads[col].push_back({start, std::min(vars, p_.col_vars[col])});  // a longer read spans the block
    };
    for (const auto& lp : p_.linears) {
      for (size_t c : lp.reader_cols()) read(c, 0, lp.nv);
      for (const auto& in : lp.ins) read(in.col, 0, lp.matmul ? p_.col_shape[in.col].num_vars() : lp.kv);
    }
    for (const auto& pc : p_.products) {
      for (const auto& f : pc.factors) read(f.col, f.block << pc.nv, pc.nv);
      if (pc.e_col != SIZE_MAX) read(pc.e_col, 0, pc.nv);
    }
    for (size_t c = 0; c < reads.size(); ++c)
      for (const Read& outer : reads[c]) {
        size_t inside = 0;
        for (const Read& r : reads[c])
          inside += r.start >= outer.start &&
                    r.start + (size_t(1) << r.vars) <= outer.start + (size_t(1) << outer.vars);
        if (inside > (size_t(1) << (outer.vars - 1)) - 1)
          return make_error("private proof: a tensor's block of 2^" + std::to_string(outer.vars) + " entries is read " +
                            std::to_string(inside) + " times (too many to stay hidden)");
      }
    return {};
  }

  // The columns' real entries end to end in one column (flat), by layout ops of at most
  // kMaxParts inputs each (a sumcheck takes 16 factors: two an input), in a tree.
  static constexpr size_t kMaxParts = sc::kMaxFactors / 2;
  Result<size_t> stack_columns(size_t node, const std::vector<size_t>& cols) {
    if (cols.size() > kMaxParts) {
      std::vector<size_t> subs;
      const size_t per = (cols.size() + kMaxParts - 1) / kMaxParts;
      for (size_t at = 0; at < cols.size(); at += per) {
        const std::vector<size_t> chunk(cols.begin() + static_cast<long>(at),
                                        cols.begin() + static_cast<long>(std::min(cols.size(), at + per)));
        auto sub = chunk.size() == 1 ? Result<size_t>(chunk[0]) : stack_columns(node, chunk);
        if (!sub.ok()) return sub;
        subs.push_back(*sub);
      }
      return stack_columns(node, subs);
    }
    uint64_t total = 0;
    std::vector<std::pair<size_t, std::shared_ptr<std::vector<Entry>>>> parts;
    for (size_t c : cols) {
      const uint64_t n = p_.col_shape[c].real_count();
      auto e = std::make_shared<std::vector<Entry>>();
      for (uint64_t d = 0; d < n; ++d) e->push_back({uint32_t(total + d), uint32_t(d), 1});
      parts.emplace_back(c, e);
      total += n;
    }
    ZK_TRY(sparse_linear(node, poly::PaddedShape::flat(total), parts, std::vector<int64_t>(total, 0), 0, false, false));
    return p_.linears.back().q_col;
  }

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

Result<Plan> make_private_plan(const QModel& m) { return Planner(m).run(); }

// Everything both sides absorb before the first challenge.
void absorb_statement(transcript::Transcript& t, const PrivateStatement& st, const Plan& p, const pcs::Params& params,
                      const hash::Digest& root) {
  t.absorb_u64("private.version", kPrivateVersion);
  t.absorb("private.params", params.params_id());
  t.absorb("private.fingerprint", st.fingerprint);
  t.absorb("private.model", p.model_digest);
  t.absorb("private.job", st.binding.job_id);
  t.absorb_bytes("private.prover", st.binding.prover);
  for (size_t c = 0; c < p.columns(); ++c) {
    t.absorb_u64("private.col_vars", p.col_vars[c]);
    t.absorb_u64("private.col_unit", p.col_unit[c]);
    t.absorb_u64("private.col_offset", p.col_offset[c]);
  }
  t.absorb_u64("private.mask_size", p.mask_size);
  for (const auto& lp : p.linears) {
    t.absorb_u64("private.linear", lp.node);
    t.absorb_u64("private.linear.inputs", lp.ins.size());
    t.absorb_u64("private.linear.shift", lp.shift);
    t.absorb_u64("private.linear.kv", lp.kv);
    t.absorb_u64("private.linear.nv", lp.nv);
    t.absorb_u64("private.linear.product", lp.product);
    t.absorb_u64("private.linear.matmul", lp.matmul);
    t.absorb_u64("private.linear.range", lp.range_only);
    t.absorb_u64("private.linear.excess", lp.excess_bits);
  }
  for (const auto& d : p.divs) {
    t.absorb_u64("private.div", d.node);
    t.absorb_u64("private.div.ka", d.ka);
    t.absorb_u64("private.div.kb", d.kb);
    t.absorb_u64("private.div.excess", d.excess_bits);
  }
  for (const auto& pc : p.products) {
    t.absorb_u64("private.product", pc.node);
    t.absorb_bytes("private.product.what", std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pc.what.data()),
                                                                      pc.what.size()));
    t.absorb_u64("private.max.factors", pc.factors.size());
    t.absorb_u64("private.max.e", pc.e_col);
  }
  for (const auto& u : p.unaries) {
    t.absorb_u64("private.table_op", u.node);
    t.absorb("private.table", u.table->content_hash());
  }
  for (const auto& l : p.lookups) {
    t.absorb_u64("private.lookup", uint64_t(l.kind));
    t.absorb_u64("private.lookup.node", l.node);
    t.absorb_u64("private.lookup.rows", p.col_shape[l.cols[0]].real_count());
    t.absorb_u64("private.lookup.table_vars", l.table_vars);
  }
  t.absorb_u64("private.outputs", st.outputs.size());
  for (const auto& o : st.outputs) {
    std::vector<Fp> v;
    for (int64_t x : o) v.push_back(Fp::from_i64(x));
    t.absorb("private.output", std::span<const Fp>(v));
  }
  t.absorb("private.root", root);
  for (size_t j = 0; j < p.members(); ++j) t.absorb_u64("private.member_vars", p.member_vars(j));
}

// The joint commitment's members as the verifier knows them: one root, the sizes the
// plan fixes.
std::vector<pcs::Commitment> members_of(const Plan& p, const hash::Digest& root) {
  std::vector<uint32_t> vars;
  for (size_t j = 0; j < p.members(); ++j) vars.push_back(p.member_vars(j));
  std::vector<pcs::Commitment> out;
  for (size_t j = 0; j < p.members(); ++j) out.push_back(pcs::Commitment{root, vars[j], vars, uint32_t(j)});
  return out;
}

// sel over 2^nv entries: the output layout's real entries.
std::vector<Fp> selector(const poly::PaddedShape& out, unsigned nv) {
  std::vector<Fp> s(size_t(1) << nv, Fp::zero());
  for (size_t i : out.padded_indices()) s[i] = Fp::one();
  return s;
}

Fp2 bias_at(const LinearPlan& lp, std::span<const Fp2> r) {
  const auto e = eq_of(r);
  const auto pout = lp.out.padded_indices();
  Fp2 b = Fp2::zero();
  for (size_t o = 0; o < lp.bias.size(); ++o)
    if (lp.bias[o] != 0) b += e[pout[o]] * Fp2(Fp::from_i64(lp.bias[o]));
  return b;
}

std::vector<Fp2> padded(std::vector<Fp2> point, unsigned vars) {
  point.resize(vars, Fp2::zero());
  return point;
}

// A MatMul of activations: the output point r's pieces (n, m, batch) and the factor of
// the coordinates above the output's layout, all of which read 0.
struct MatmulPoint {
  std::span<const Fp2> n, m, b;
  Fp2 extra = Fp2::one();
};
MatmulPoint matmul_point(const LinearPlan& lp, std::span<const Fp2> r) {
  MatmulPoint p{r.subspan(0, lp.nb), r.subspan(lp.nb, lp.mb), r.subspan(lp.nb + lp.mb, lp.bb)};
  for (size_t j = lp.out.num_vars(); j < r.size(); ++j) p.extra *= Fp2::one() - r[j];
  return p;
}
// Operand j's point: (k, its own middle axis (m for A, n for Bt), batch), k and batch
// from the map sumcheck's point.
std::vector<Fp2> matmul_operand_point(const LinearPlan& lp, size_t j, std::span<const Fp2> r,
                                      std::span<const Fp2> r_in) {
  const auto mp = matmul_point(lp, r);
  std::vector<Fp2> z(r_in.begin(), r_in.begin() + lp.kb);
  const auto mid = j == 0 ? mp.m : mp.n;
  z.insert(z.end(), mid.begin(), mid.end());
  z.insert(z.end(), r_in.begin() + lp.kb, r_in.begin() + lp.kb + lp.bb);
  return z;
}

// What a linear op's two sumchecks end in (both sides).
struct LinearEnds {
  sc::ZkProof reader, maker;
  std::vector<Fp2> reader_evals;  // acc^ q^ l^..
  std::vector<Fp2> x_evals;       // x_j^ at r'
  std::vector<Fp2> r, r_in;
  Fp2 rho_reader, rho_maker;
};

struct ProductEnds {
  sc::ZkProof proof;
  std::vector<Fp2> evals;  // each factor's, then E's (masked) at r
  std::vector<Fp2> r;
  Fp2 rho;
};

// A factor's point: r, then its block's bits, then zeros up to A variables.
std::vector<Fp2> factor_point(const Factor& f, std::span<const Fp2> r, unsigned A) {
  std::vector<Fp2> z(r.begin(), r.end());
  for (unsigned b = 0; b < f.block_bits; ++b) z.push_back((f.block >> b) & 1 ? Fp2::one() : Fp2::zero());
  return padded(std::move(z), A);
}

struct Ends {
  std::vector<LinearEnds> linears;
  std::vector<ProductEnds> products;
  std::vector<lk::ZkClaims> lookups;
  std::vector<std::vector<Fp2>> z;  // each output's point
  std::vector<Fp2> output_values;
};

// Every claim of the opening, in one order for both sides.
// Masked claims on one polynomial at points that differ only in 0/1 coordinates past
// their last free one (the blocks of one pack, read by one sumcheck at one point) as
// one claim weighted over those coordinates and the mask's: the i-th times mu^i. A
// pack's reads are a few claims then, not one a column (the opening takes 4,096 at
// most). `merged` counts the claims that went into groups (the powers of mu charged).
Result<std::vector<pcs::Claim>> merge_masked(std::vector<std::pair<size_t, std::vector<Fp2>>> reads,
                                            const std::vector<Fp2>& values, const Fp2& mu, size_t& merged) {
  auto binary = [](const Fp2& v) { return v == Fp2::zero() || v == Fp2::one(); };
  std::map<std::pair<size_t, std::vector<std::pair<uint64_t, uint64_t>>>, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  std::vector<size_t> low(reads.size());
  for (size_t i = 0; i < reads.size(); ++i) {
    const auto& z = reads[i].second;
    size_t n = z.size();
    while (n > 0 && binary(z[n - 1])) --n;
    low[i] = n;
    std::vector<std::pair<uint64_t, uint64_t>> key;
    for (size_t j = 0; j < n; ++j) key.emplace_back(z[j].c0().value(), z[j].c1().value());
    auto [it, fresh] = group_of.try_emplace({reads[i].first, std::move(key)}, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<pcs::Claim> out;
  merged = 0;
  for (const auto& g : groups) {
    std::vector<pcs::Claim> each;
    for (size_t i : g) {
      auto c = pcs::masked_claim(reads[i].first, reads[i].second, values[i]);
      if (!c.ok()) return make_error("private proof: " + c.error());
      each.push_back(std::move(c).value());
    }
    if (each.size() == 1) {
      out.push_back(std::move(each[0]));
      continue;
    }
    // Each claim's point: (the shared low part, its 0/1 bits, the mask's coordinate).
    const size_t n = low[g[0]], high = each[0].point.size() - n;
    pcs::Claim c{each[0].poly, {each[0].point.begin(), each[0].point.begin() + long(n)}, Fp2::zero(),
                 std::vector<Fp2>(size_t(1) << high, Fp2::zero())};
    Fp2 power = Fp2::one();
    for (const pcs::Claim& one : each) {
      std::vector<Fp2> w = poly::eq_table(std::span<const Fp2>(one.point).subspan(n));
      for (size_t x = 0; x < w.size(); ++x) c.weights[x] += power * w[x];
      c.value += power * one.value;
      power *= mu;
    }
    merged += each.size();
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<pcs::Claim>> claims_of(const Plan& p, const Ends& e, const Fp2& lambda, const Fp2& mu,
                                          size_t& merged) {
  std::vector<std::pair<size_t, std::vector<Fp2>>> reads;
  std::vector<Fp2> read_values;
  auto masked = [&](size_t poly, std::span<const Fp2> point, const Fp2& v) -> Status {
    reads.emplace_back(poly, std::vector<Fp2>(point.begin(), point.end()));
    read_values.push_back(v);
    return {};
  };
  // Every final mask is a weighted claim on the mask table; they go in as one, the i-th
  // times lambda^i (pcs::combine_weighted's order), built in place: one weight vector,
  // not one a claim (the mask table grows with the ops).
  pcs::Claim masks{p.mask_member(), {}, Fp2::zero(), std::vector<Fp2>(size_t(1) << p.mask_vars, Fp2::zero())};
  Fp2 power = Fp2::one();
  auto place = [&](std::span<const Fp2> w, size_t off, const Fp2& value) {
    for (size_t i = 0; i < w.size(); ++i) masks.weights[off + i] += power * w[i];
    masks.value += power * value;
    power *= lambda;
  };
  // f^ at a point on a column's first 2^|point| values: a point longer than the column
  // read it zero-extended (both its values and its mask), which scales f^ by
  // prod (1 - point_i) over the extra coordinates.
  auto on_column = [&](size_t col, std::span<const Fp2> point, const Fp2& v) -> Status {
    const unsigned vars = p.vars_of(col);
    if (point.size() <= vars)
      return masked(p.member(col), p.unit_point(col, padded({point.begin(), point.end()}, vars)), v);
    Fp2 scale = Fp2::one();
    for (size_t i = vars; i < point.size(); ++i) scale *= Fp2::one() - point[i];
    if (scale.is_zero()) return make_error("private proof: a point outside a column's extension (retry)");
    return masked(p.member(col), p.unit_point(col, {point.begin(), point.begin() + vars}), v * scale.inverse());
  };
  for (size_t li = 0; li < p.linears.size(); ++li) {
    const LinearPlan& lp = p.linears[li];
    const LinearEnds& le = e.linears[li];
    const auto rc = lp.reader_cols();
    for (size_t j = 0; j < rc.size(); ++j) ZK_TRY(on_column(rc[j], le.r, le.reader_evals[1 + j]));
    for (size_t j = 0; j < lp.ins.size(); ++j)
      ZK_TRY(on_column(lp.ins[j].col, lp.matmul ? matmul_operand_point(lp, j, le.r, le.r_in) : le.r_in, le.x_evals[j]));
    place(sc::final_mask_weights(lp.d_reader, le.rho_reader, le.r), lp.off_reader, le.reader.final_mask);
    // The maker's final mask with the secret offset's part, K 2^-kv = c S(r) 2^-kv (S's
    // entries at off_S), as one claim.
    const Fp2 k_scale = sc::mask_factor(le.r) * Fp2(Fp(uint64_t(1) << lp.kv).inverse());
    const auto ws = sc::affine_mask_weights(le.r);
    for (size_t i = 0; i < ws.size(); ++i) masks.weights[lp.off_S + i] += power * k_scale * ws[i];
    place(sc::final_mask_weights(lp.d_maker, le.rho_maker, le.r_in), lp.off_maker, le.maker.final_mask);
  }
  for (size_t pi = 0; pi < p.products.size(); ++pi) {
    const ProductCheck& pc = p.products[pi];
    const ProductEnds& pe = e.products[pi];
    for (size_t j = 0; j < pc.factors.size(); ++j)
      ZK_TRY(masked(p.member(pc.factors[j].col),
                    p.unit_point(pc.factors[j].col, factor_point(pc.factors[j], pe.r, p.vars_of(pc.factors[j].col))),
                    pe.evals[j]));
    if (pc.e_col != SIZE_MAX) ZK_TRY(on_column(pc.e_col, pe.r, pe.evals.back()));
    place(sc::final_mask_weights(pc.degrees, pe.rho, pe.r), pc.off, pe.proof.final_mask);
  }
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    const lk::ZkClaims& c = e.lookups[li];
    for (size_t k = 0; k < 4; ++k) ZK_TRY(masked(p.helper_poly(li, k), c.point, c.helper_evals[k]));
    ZK_TRY(masked(p.member(l.m_col), c.point, c.m_eval));
    for (size_t j = 0; j < l.cols.size(); ++j) ZK_TRY(masked(p.member(l.cols[j]), c.point, c.witness_evals[j]));
    place(sc::final_mask_weights(l.degrees, c.rho, c.point), l.off, c.final_mask);
  }
  auto out = merge_masked(std::move(reads), read_values, mu, merged);
  if (!out.ok()) return out;
  for (size_t o = 0; o < p.output_cols.size(); ++o)
    out->push_back(pcs::Claim{p.member(p.output_cols[o]), p.unit_point(p.output_cols[o], e.z[o]), e.output_values[o]});
  out->push_back(std::move(masks));
  return out;
}

// A public output's MLE at z in its column's layout (zero elsewhere): the verifier's own.
Fp2 output_at(const poly::PaddedShape& shape, std::span<const int64_t> values, std::span<const Fp2> z) {
  std::vector<Fp> v(size_t(1) << z.size(), Fp::zero());
  const auto pad = shape.padded_indices();
  for (size_t i = 0; i < values.size(); ++i) v[pad[i]] = Fp::from_i64(values[i]);
  return poly::evaluate(std::span<const Fp>(v), z);
}

pcs::Seed derive_seed(const pcs::Seed& seed, std::string_view label) {
  std::vector<uint8_t> msg(seed.begin(), seed.end());
  msg.insert(msg.end(), label.begin(), label.end());
  return hash::hash(hash::Domain::Mask, msg);
}

Result<Plan> plan_for(const PrivateStatement& st) {
  if (!st.model) return make_error("private proof: no model");
  auto plan = make_private_plan(*st.model);
  if (!plan.ok()) return make_error(plan.error());
  if (st.outputs.size() != plan->output_cols.size())
    return make_error("private proof: the statement has " + std::to_string(st.outputs.size()) + " outputs, the model " +
                      std::to_string(plan->output_cols.size()));
  for (size_t o = 0; o < st.outputs.size(); ++o)
    if (st.outputs[o].size() != plan->col_shape[plan->output_cols[o]].real_count())
      return make_error("private proof: output " + std::to_string(o) + " has " + std::to_string(st.outputs[o].size()) +
                        " entries, the model's " +
                        std::to_string(plan->col_shape[plan->output_cols[o]].real_count()));
  return plan;
}

std::string lookup_name(const QModel& m, const LookupPlan& l) {
  const std::string what = l.kind == LookupKind::Range ? "a remainder's range" :
                           l.kind == LookupKind::Act   ? "the activation range" : "its table";
  const std::string where = l.node == SIZE_MAX       ? std::string("an input") :
                            l.node == kStackNode   ? std::string("several tensors") :
                                                     m.nodes[l.node].op + " node '" + m.nodes[l.node].name + "'";
  return where + ": lookup into " + what;
}

}  // namespace

Status check_private_provable(const model::QModel& m) {
  auto p = make_private_plan(m);
  if (!p.ok()) return make_error(p.error());
  return {};
}

namespace {
constexpr std::string_view kFileMagic = "ZKSPRIV1";
constexpr size_t kMaxFileOutputs = 1024;
constexpr size_t kMaxFileValues = size_t(1) << 24;
}  // namespace

util::Bytes PrivateProofFile::write() const {
  util::ByteWriter w;
  w.raw(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kFileMagic.data()), kFileMagic.size()));
  w.u32(static_cast<uint32_t>(outputs.size()));
  for (const auto& o : outputs) {
    w.u32(static_cast<uint32_t>(o.size()));
    for (int64_t v : o) w.svarint(v);
  }
  w.u64(proof.size());
  w.raw(proof);
  return w.take();
}

bool PrivateProofFile::is_one(std::span<const uint8_t> bytes) {
  return bytes.size() >= kFileMagic.size() && std::equal(kFileMagic.begin(), kFileMagic.end(), bytes.begin());
}

Result<PrivateProofFile> PrivateProofFile::read(std::span<const uint8_t> bytes) {
  if (!is_one(bytes)) return make_error("private proof file: bad magic");
  util::ByteReader r(bytes.subspan(kFileMagic.size()));
  uint32_t count = 0;
  if (!r.u32(count) || count > kMaxFileOutputs) return make_error("private proof file: bad output count");
  PrivateProofFile f;
  f.outputs.resize(count);
  for (auto& o : f.outputs) {
    uint32_t len = 0;
    if (!r.u32(len) || len > kMaxFileValues || len > r.remaining()) return make_error("private proof file: bad output size");
    o.resize(len);
    for (auto& v : o)
      if (!r.svarint(v)) return make_error("private proof file: truncated output");
  }
  uint64_t len = 0;
  if (!r.u64(len) || len != r.remaining()) return make_error("private proof file: the proof's length is wrong");
  f.proof.resize(len);
  if (!r.raw(f.proof)) return make_error("private proof file: truncated proof");
  return f;
}

pcs::Seed random_seed() {
  hash::ensure_sodium();
  pcs::Seed s{};
  randombytes_buf(s.data(), s.size());
  return s;
}

Result<util::Bytes> prove_private(const PrivateStatement& st, const std::vector<std::vector<int64_t>>& inputs,
                                  const pcs::Params& params, const pcs::Seed& seed, const PrivateTamper& tamper,
                                  const PrivateProgress& progress) {
  auto plan = plan_for(st);
  if (!plan.ok()) return make_error(plan.error());
  const Plan& p = *plan;
  const QModel& m = *st.model;
  PhaseClock clock;
  auto phase_start = std::chrono::steady_clock::now();
  auto lap = [&](const std::string& phase) {
    clock.lap(phase);
    const auto now = std::chrono::steady_clock::now();
    if (progress) progress(phase, std::chrono::duration<double, std::milli>(now - phase_start).count());
    phase_start = now;
  };
  {
    size_t values = 0;
    for (size_t c = 0; c < p.columns(); ++c) values += size_t(1) << p.vars_of(c);
    ZKS_LOG_DEBUG("slice", "private proof: {} columns ({} values), {} linear maps, {} max checks, {} lookups",
                  p.columns(), values, p.linears.size(), p.products.size(), p.lookups.size());
  }
  if (inputs.size() != p.input_cols.size())
    return make_error("private proof: " + std::to_string(inputs.size()) + " inputs given, the model takes " +
                      std::to_string(p.input_cols.size()));
  // The run, in integers: each column's real entries (dense).
  std::vector<std::vector<int64_t>> ints(p.columns());
  for (size_t k = 0; k < inputs.size(); ++k) {
    const size_t c = p.input_cols[k];
    if (inputs[k].size() != p.col_shape[c].real_count())
      return make_error("private proof: input " + std::to_string(k) + " has " + std::to_string(inputs[k].size()) +
                        " entries, the model takes " + std::to_string(p.col_shape[c].real_count()));
    for (size_t i = 0; i < inputs[k].size(); ++i)
      if (inputs[k][i] < m.act_lo() || inputs[k][i] > m.act_hi())
        return make_error("private proof: input " + std::to_string(k) + " entry " + std::to_string(i) + " (" +
                          std::to_string(inputs[k][i]) + ") is outside the activation range");
    ints[c] = inputs[k];
  }
  std::vector<std::vector<Fp>> accs(p.linears.size());
  auto run_step = [&](Step step, size_t idx) -> Status {
    if (step == Step::Max) {
      const MaxPlan& mp = p.maxes[idx];
      const auto& x = ints[mp.x_col];
      auto& y = ints[mp.y_col];
      y.assign(mp.taps[0].size(), std::numeric_limits<int64_t>::min());
      for (const auto& tap : mp.taps)
        for (size_t o = 0; o < y.size(); ++o)
          if (tap[o] >= 0) y[o] = std::max(y[o], x[size_t(tap[o])]);
    } else if (step == Step::Div) {
      const DivPlan& d = p.divs[idx];
      const auto& b = ints[d.b_col];
      auto& q = ints[d.q_col];
      q.assign(d.ib.size(), 0);
      if (d.y_col != d.q_col) ints[d.y_col].assign(q.size(), 0);
      for (size_t c : d.excess_cols) ints[c].assign(q.size(), 0);
      for (size_t o = 0; o < q.size(); ++o) {
        const __int128 A = __int128(d.a_const ? (*d.a_const)[size_t(d.ia[o])] : ints[d.a_col][size_t(d.ia[o])]) *
                           (__int128(1) << d.ka);
        const __int128 D = __int128(b[size_t(d.ib[o])]) * (__int128(1) << d.kb);
        if (D <= 0)
          return step_error(m, d.node, "divides by " + std::to_string(b[size_t(d.ib[o])]) + " at output " +
                                           std::to_string(o) + " (a private proof divides by positive values only)");
        const __int128 t = 2 * A + D, d2 = 2 * D;
        const __int128 v = t / d2 - ((t % d2 != 0) && t < 0 ? 1 : 0);
        q[o] = static_cast<int64_t>(v);
        if (d.y_col == d.q_col) {
          if (v < m.act_lo() || v > m.act_hi())
            return step_error(m, d.node, "internal error: its quotient clamps at output " + std::to_string(o) +
                                             " where the plan says it cannot");
          continue;
        }
        const __int128 y = std::clamp<__int128>(v, m.act_lo(), m.act_hi());
        const __int128 c = v > y ? v - y : y - v;
        if ((c >> d.excess_bits) != 0)
          return step_error(m, d.node, "internal error: its quotient clamps at output " + std::to_string(o) +
                                           " by more than the plan allows");
        ints[d.y_col][o] = static_cast<int64_t>(y);
        for (size_t l = 0; l < d.excess_cols.size(); ++l)
          ints[d.excess_cols[l]][o] = static_cast<int64_t>((c >> (kLimbBits * l)) & 0xffff);
      }
    } else if (step == Step::Linear) {
      const LinearPlan& lp = p.linears[idx];
      std::vector<int64_t> acc = lp.bias;
      if (lp.product) {
        for (size_t o = 0; o < acc.size(); ++o) acc[o] = ints[lp.ins[0].col][o] * ints[lp.ins[1].col][o];
      } else if (lp.matmul) {  // acc[b][m][n] = sum_k A[b][m][k] Bt[b][n][k]
        const auto &A = ints[lp.ins[0].col], &Bt = ints[lp.ins[1].col];
        const size_t Kd = size_t(lp.mm_K), Md = A.size() / Kd / size_t(lp.mm_batches),
                     Nd = Bt.size() / Kd / size_t(lp.mm_batches);
        for (size_t b = 0; b < size_t(lp.mm_batches); ++b)
          for (size_t i = 0; i < Md; ++i)
            for (size_t j = 0; j < Nd; ++j) {
              int64_t v = 0;
              for (size_t kk = 0; kk < Kd; ++kk) v += A[(b * Md + i) * Kd + kk] * Bt[(b * Nd + j) * Kd + kk];
              acc[(b * Md + i) * Nd + j] = v;
            }
      } else {
        for (const auto& in : lp.ins) in.apply(ints[in.col], acc);
      }
      const auto pout = lp.out.padded_indices();
      auto& accf = accs[idx];
      accf.assign(size_t(1) << lp.nv, Fp::zero());
      std::vector<int64_t> unused;
      auto& q = lp.range_only ? unused : ints[lp.q_col];
      q.assign(acc.size(), 0);
      for (size_t c : lp.limb_cols) ints[c].assign(acc.size(), 0);
      for (size_t c : lp.excess_cols) ints[c].assign(acc.size(), 0);
      for (size_t j = 0; j < acc.size(); ++j) {
        accf[pout[j]] = Fp::from_i64(acc[j]);
        const int64_t biased = lp.shift == 0 ? acc[j] : acc[j] + (int64_t(1) << (lp.shift - 1));
        if (lp.range_only) {
          // The limbs sum to acc whatever it is; only a cheating prover's acc leaves the
          // range, and then its top limb does (the range lookup's to catch).
          if ((acc[j] < 0 || (acc[j] >> lp.shift) != 0) && !tamper.values)
            return step_error(m, lp.node, "internal error: a range check's value " + std::to_string(acc[j]) +
                                              " is outside [0, 2^" + std::to_string(lp.shift) + ")");
          int64_t v = acc[j];
          for (size_t l = 0; l + 1 < lp.limb_cols.size(); ++l, v >>= kLimbBits)
            ints[lp.limb_cols[l]][j] = v & ((int64_t(1) << kLimbBits) - 1);
          ints[lp.limb_cols.back()][j] = v;
          continue;
        }
        const int64_t q_full = biased >> lp.shift;
        uint64_t rem = static_cast<uint64_t>(biased - q_full * (int64_t(1) << lp.shift));
        for (size_t l = 0; l < lp.limb_cols.size(); ++l, rem >>= kLimbBits)
          ints[lp.limb_cols[l]][j] = int64_t(rem & ((uint64_t(1) << lp.limb_bits[l]) - 1));
        q[j] = lp.requantizes ? std::clamp(q_full, m.act_lo(), m.act_hi()) : q_full;
        if (q[j] == q_full) continue;
        // Clamped: the excess in limbs (the plan has them where it can clamp).
        const uint64_t excess = static_cast<uint64_t>(q_full > q[j] ? q_full - q[j] : q[j] - q_full);
        if (lp.excess_cols.empty() || (excess >> lp.excess_bits) != 0)
          return step_error(m, lp.node, "internal error: its requantization clamps at output " + std::to_string(j) +
                                            " by more than the range analysis allows");
        for (size_t l = 0; l < lp.excess_cols.size(); ++l)
          ints[lp.excess_cols[l]][j] = int64_t((excess >> (kLimbBits * l)) & 0xffff);
      }
    } else {
      const UnaryPlan& u = p.unaries[idx];
      const auto& x = ints[u.x_col];
      auto& y = ints[u.y_col];
      y.resize(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        const int64_t row = x[i] - u.table->in_lo;
        if (row >= 0 && size_t(row) < u.table->values.size()) {
          y[i] = u.table->values[size_t(row)];
        } else if (tamper.values) {  // a cheating prover's input has no row: its lookup fails
          y[i] = 0;
        } else {
          return step_error(m, u.node, "internal error: a table input " + std::to_string(x[i]) + " has no row");
        }
      }
    }
    return {};
  };
  for (const auto& [step, idx] : p.steps) ZK_TRY(run_step(step, idx));
  for (size_t o = 0; o < p.output_cols.size(); ++o)
    if (ints[p.output_cols[o]] != st.outputs[o])
      return make_error("private proof: the statement's output " + std::to_string(o) +
                        " is not the model's result on this input");
  if (tamper.values) {  // a cheating prover's values; what the plan derives follows them
    std::map<int, std::vector<int64_t>> tensors;
    std::map<int, std::vector<std::vector<int64_t>>> limbs;
    for (const auto& [t, c] : p.tensor_cols) tensors[t] = ints[c];
    // The internal tensors (PrivateTamper::values) under -1, -2, ...
    std::set<size_t> held;
    for (const auto& [t, c] : p.tensor_cols) held.insert(c);
    std::vector<size_t> internal;
    for (const auto& mp : p.maxes)
      if (!held.count(mp.y_col)) internal.push_back(mp.y_col);
    for (const auto& d : p.divs)
      if (d.q_col != d.y_col) internal.push_back(d.q_col);
    for (size_t i = 0; i < internal.size(); ++i) tensors[-1 - int(i)] = ints[internal[i]];
    for (const auto& lp : p.linears)
      if (lp.requantizes)
        for (size_t c : lp.reader_cols())
          if (c != lp.q_col) limbs[m.nodes[lp.node].outputs[0]].push_back(ints[c]);
    tamper.values(tensors, limbs);
    for (const auto& [t, c] : p.tensor_cols) ints[c] = tensors[t];
    for (size_t i = 0; i < internal.size(); ++i) ints[internal[i]] = tensors[-1 - int(i)];
    for (const auto& lp : p.linears)
      if (lp.requantizes)
        for (size_t j = 0, at = 0; j < lp.reader_cols().size(); ++j)
          if (lp.reader_cols()[j] != lp.q_col) ints[lp.reader_cols()[j]] = limbs[m.nodes[lp.node].outputs[0]][at++];
    for (const auto& [step, idx] : p.steps)
      if ((step == Step::Linear && p.linears[idx].derived) || (step == Step::Unary && p.unaries[idx].derived))
        ZK_TRY(run_step(step, idx));
  }
  // Columns: the tensors in their padded layouts, then each lookup's multiplicities.
  std::vector<std::vector<Fp>> cols(p.columns());
  for (size_t c = 0; c < p.columns(); ++c) cols[c].assign(size_t(1) << p.vars_of(c), Fp::zero());
  for (size_t c = 0; c < p.columns(); ++c) {
    if (ints[c].empty()) continue;
    const auto pad = p.col_shape[c].padded_indices();
    for (size_t i = 0; i < ints[c].size(); ++i) cols[c][pad[i]] = Fp::from_i64(ints[c][i]);
  }
  for (const ProductCheck& pc : p.products) {  // E = the product of its factors (in the field)
    if (pc.e_col == SIZE_MAX) continue;
    const size_t no = size_t(1) << pc.nv;
    for (size_t i : pc.out.padded_indices()) {
      Fp v = Fp::one();
      for (const Factor& f : pc.factors) v *= cols[f.col][f.block * no + i];
      cols[pc.e_col][i] = v;
    }
  }
  for (const auto& l : p.lookups) {
    auto& mult = cols[l.m_col];
    for (int64_t v : ints[l.cols[0]]) {
      const int64_t row = l.kind == LookupKind::Range ? v : v - m.act_lo();
      if (row >= 0 && size_t(row) < (size_t(1) << l.table_vars)) {
        mult[size_t(row)] += Fp::one();
      } else if (!tamper.values) {  // only a cheating prover's value has no row
        return make_error("private proof: internal error: " + lookup_name(m, l) + ": the value " + std::to_string(v) +
                          " has no row");
      }
    }
  }
  if (tamper.columns) tamper.columns(cols, p.output_cols);
  lap("run");
  // The mask table and the joint commitment, before any challenge.
  const std::vector<Fp> mask_table = pcs::expand_seed(seed, "private.mask_table", {}, p.mask_size);
  // The units: a lone column as it is, the pack assembled from its blocks.
  std::vector<std::vector<Fp>> packs(p.members());
  std::vector<std::span<const Fp>> unit_values(p.members());
  unit_values[p.mask_unit] = mask_table;
  for (size_t c = 0; c < p.columns(); ++c) {
    const size_t u = p.col_unit[c];
    if (p.unit_vars[u] == p.col_vars[c] && p.col_offset[c] == 0 && packs[u].empty()) {
      unit_values[u] = cols[c];
      continue;
    }
    if (packs[u].empty()) packs[u].assign(size_t(1) << p.unit_vars[u], Fp::zero());
    std::copy(cols[c].begin(), cols[c].end(), packs[u].begin() + static_cast<long>(p.col_offset[c]));
    unit_values[u] = packs[u];
  }
  std::vector<std::span<const Fp>> spans;  // members largest first
  for (size_t u : p.order) spans.push_back(unit_values[u]);
  auto cp = pcs::commit_joint_hiding(spans, derive_seed(seed, "private.columns"), params, "private.columns");
  if (!cp.ok()) return make_error("private proof: " + cp.error());
  const hash::Digest root = (*cp)[0]->commitment().root;
  const auto members = members_of(p, root);
  for (size_t j = 0; j < p.members(); ++j)
    if (!((*cp)[j]->commitment() == members[j])) return make_error("private proof: internal error: member layout");
  transcript::Transcript t("zkslice-private-v1");
  absorb_statement(t, st, p, params, root);
  // The commitment holds every value now: the run's copies go (a tenth of the peak).
  ints = {}, cols = {}, packs = {}, unit_values = {}, spans = {};
  lap("commit");
  auto value_of = [&](size_t col) {
    return (*cp)[p.member(col)]->evaluations().subspan(p.col_offset[col], size_t(1) << p.vars_of(col));
  };
  auto mask_of = [&](size_t col) {
    const size_t unit = size_t(1) << p.unit_vars[p.col_unit[col]];
    return (*cp)[p.member(col)]->evaluations().subspan(unit + p.col_offset[col], size_t(1) << p.vars_of(col));
  };
  // A column's first n values and mask, zero-extended where n is past its size.
  std::deque<std::vector<Fp>> extended;
  auto first = [&](size_t col, size_t n) -> std::pair<std::span<const Fp>, std::span<const Fp>> {
    auto v = value_of(col), r = mask_of(col);
    if (n <= v.size()) return {v.first(n), r.first(n)};
    auto& ev = extended.emplace_back(n, Fp::zero());
    auto& er = extended.emplace_back(n, Fp::zero());
    std::copy(v.begin(), v.end(), ev.begin());
    std::copy(r.begin(), r.end(), er.begin());
    return {ev, er};
  };
  const auto T = (*cp)[p.mask_member()]->evaluations().first(size_t(1) << p.mask_vars);

  util::ByteWriter w;
  w.u32(kPrivateVersion);
  w.raw(root);
  clock.count_bytes(w);
  Ends ends;
  for (size_t li = 0; li < p.linears.size(); ++li) {
    const LinearPlan& lp = p.linears[li];
    const size_t no = size_t(1) << lp.nv, ni = size_t(1) << lp.kv;
    const std::vector<Fp2> tau = t.challenges("private.tau", lp.nv);
    const auto terms = lp.second.empty() ? lp.terms : lp.second.with(lp.terms, t.challenge("private.gamma"));
    const auto S = sc::affine_mask_table(T.subspan(lp.off_S, sc::affine_mask_entries(lp.nv)), lp.nv);
    const auto sel = selector(lp.out, lp.nv);
    sc::MaskedInstance reader{{{std::span<const Fp>(accs[li])}, terms, tau}, {std::span<const Fp2>(S)}};
    for (size_t c : lp.reader_cols()) {
      reader.inst.factors.push_back(value_of(c).first(no));
      reader.masks.push_back(mask_of(c).first(no));
    }
    reader.inst.factors.push_back(std::span<const Fp>(sel));
    reader.masks.push_back(std::span<const Fp>());
    const sc::Mask reader_mask(T.subspan(lp.off_reader, sc::mask_entries(lp.d_reader)), lp.d_reader);
    auto orr = sc::prove_zk(reader, Fp2::zero(), reader_mask, root, t);
    LinearEnds le;
    le.reader = orr.proof;
    le.reader_evals.assign(orr.factor_evals.begin(), orr.factor_evals.end() - 1);  // not sel's
    t.absorb("private.reader_evals", std::span<const Fp2>(le.reader_evals));
    le.r = orr.point, le.rho_reader = orr.rho;
    // The map, proving acc^(r) - b(r) with the secret offset c S(r).
    std::vector<std::vector<Fp2>> folded;
    sc::MaskedInstance maker{{{}, lp.maker_terms, {}}, {}};
    std::vector<std::vector<Fp2>> matmul_tables;  // E, A', RA', Bt', RBt'
    if (lp.matmul) {
      const auto mp = matmul_point(lp, le.r);
      const auto em = poly::eq_table(mp.m), en = poly::eq_table(mp.n), eb = poly::eq_table(mp.b);
      const size_t kn = size_t(1) << lp.kb, tn = size_t(1) << lp.kv;
      matmul_tables.assign(5, std::vector<Fp2>(tn, Fp2::zero()));
      for (size_t b = 0; b < eb.size(); ++b) {
        for (size_t kk = 0; kk < kn; ++kk) matmul_tables[0][kk + b * kn] = mp.extra * eb[b];
        // operand j's middle axis has mid bits; fold it with its eq table
        auto fold = [&](size_t col, const std::vector<Fp2>& e, unsigned mid, std::vector<Fp2>& vt, std::vector<Fp2>& mt) {
          const auto v = value_of(col), mask = mask_of(col);
          for (size_t x = 0; x < e.size(); ++x)
            for (size_t kk = 0; kk < kn; ++kk) {
              const size_t at = kk + (x << lp.kb) + (b << (lp.kb + mid));
              vt[kk + b * kn] += e[x] * Fp2(v[at]);
              mt[kk + b * kn] += e[x] * Fp2(mask[at]);
            }
        };
        fold(lp.ins[0].col, em, lp.mb, matmul_tables[1], matmul_tables[2]);
        fold(lp.ins[1].col, en, lp.nb, matmul_tables[3], matmul_tables[4]);
      }
      maker.inst.factors = {std::span<const Fp2>(matmul_tables[0]), std::span<const Fp2>(matmul_tables[1]),
                            std::span<const Fp2>(matmul_tables[3])};
      maker.masks = {std::span<const Fp>(), std::span<const Fp2>(matmul_tables[2]), std::span<const Fp2>(matmul_tables[4])};
    } else if (lp.product) {
      maker.inst.eq_point = le.r;
      for (const auto& in : lp.ins) {
        const auto [v, mask] = first(in.col, ni);
        maker.inst.factors.push_back(v);
        maker.masks.push_back(mask);
      }
    } else {
      for (const auto& in : lp.ins) folded.push_back(in.fold(le.r, lp.kv));
      for (size_t j = 0; j < lp.ins.size(); ++j) {
        const auto [v, mask] = first(lp.ins[j].col, ni);
        maker.inst.factors.push_back(std::span<const Fp2>(folded[j]));
        maker.inst.factors.push_back(v);
        maker.masks.push_back(std::span<const Fp>());
        maker.masks.push_back(mask);
      }
    }
    const Fp2 K = sc::mask_factor(le.r) * poly::evaluate(std::span<const Fp2>(S), le.r);
    const sc::Mask maker_mask(T.subspan(lp.off_maker, sc::mask_entries(lp.d_maker)), lp.d_maker);
    auto om = sc::prove_zk(maker, le.reader_evals[0] - bias_at(lp, le.r), maker_mask, root, t, K);
    le.maker = om.proof;
    for (size_t j = 0; j < lp.ins.size(); ++j)
      le.x_evals.push_back(om.factor_evals[lp.matmul ? 1 + j : lp.product ? j : 2 * j + 1]);
    t.absorb("private.maker_evals", std::span<const Fp2>(le.x_evals));
    le.r_in = om.point, le.rho_maker = om.rho;
    le.reader.write(w);
    for (const auto& v : le.reader_evals) field::write(w, v);  // their count is the plan's
    le.maker.write(w);
    for (const auto& v : le.x_evals) field::write(w, v);
    ends.linears.push_back(std::move(le));
  }
  lap("linear maps");
  for (const ProductCheck& pc : p.products) {
    const size_t no = size_t(1) << pc.nv;
    const std::vector<Fp2> tau = t.challenges("private.tau", pc.nv);
    const auto terms = pc.second.empty() ? pc.terms : pc.second.with(pc.terms, t.challenge("private.gamma"));
    const auto sel = selector(pc.out, pc.nv);
    sc::MaskedInstance zc{{{}, terms, tau}, {}};
    for (const Factor& f : pc.factors) {
      zc.inst.factors.push_back(value_of(f.col).subspan(f.block * no, no));
      zc.masks.push_back(mask_of(f.col).subspan(f.block * no, no));
    }
    if (pc.e_col != SIZE_MAX) {
      const auto [v, mask] = first(pc.e_col, no);
      zc.inst.factors.push_back(v);
      zc.masks.push_back(mask);
    }
    zc.inst.factors.push_back(std::span<const Fp>(sel));
    zc.masks.push_back(std::span<const Fp>());
    const sc::Mask mask(T.subspan(pc.off, sc::mask_entries(pc.degrees)), pc.degrees);
    auto out = sc::prove_zk(zc, Fp2::zero(), mask, root, t);
    ProductEnds pe{out.proof, {out.factor_evals.begin(), out.factor_evals.end() - 1}, out.point, out.rho};
    t.absorb("private.product_evals", std::span<const Fp2>(pe.evals));
    pe.proof.write(w);
    for (const auto& v : pe.evals) field::write(w, v);
    ends.products.push_back(std::move(pe));
  }
  lap("max and clamps");
  std::vector<std::shared_ptr<const pcs::CommittedPoly>> helpers;
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    lk::ZkInput in;
    for (size_t c : l.cols) in.witness.push_back((*cp)[p.member(c)].get());
    in.m = (*cp)[p.member(l.m_col)].get();
    for (const auto& col : l.table) in.table.push_back(col);
    in.mask_root = root;
    const sc::Mask mask(T.subspan(l.off, sc::mask_entries(l.degrees)), l.degrees);
    auto out = lk::prove_zk(l.shape, in, mask, derive_seed(seed, "private.lookup." + std::to_string(li)), params, t);
    if (!out.ok()) return make_error("private proof: " + lookup_name(m, l) + ": " + out.error());
    out->proof.write(w);
    for (auto& h : out->helpers) helpers.push_back(std::move(h));
    ends.lookups.push_back(out->claims);
  }
  lap("lookups");
  for (size_t o = 0; o < p.output_cols.size(); ++o) {
    ends.z.push_back(t.challenges("private.output", p.vars_of(p.output_cols[o])));
    ends.output_values.push_back(output_at(p.col_shape[p.output_cols[o]], st.outputs[o], ends.z.back()));
  }
  const Fp2 lambda = t.challenge("private.lambda");
  const Fp2 mu = t.challenge("private.merge");
  size_t merged = 0;
  auto claims = claims_of(p, ends, lambda, mu, merged);
  if (!claims.ok()) return make_error(claims.error());
  std::vector<const pcs::CommittedPoly*> ptrs;
  for (const auto& c : *cp) ptrs.push_back(c.get());
  for (const auto& h : helpers) ptrs.push_back(h.get());
  auto opening = pcs::open_hiding(ptrs, *claims, t, params, derive_seed(seed, "private.opening"));
  if (!opening.ok()) return make_error("private proof: opening: " + opening.error());
  w.u64(opening->size());
  w.raw(*opening);
  lap("opening");
  clock.log("private proof");
  return w.take();
}

Status verify_private(const PrivateStatement& st, std::span<const uint8_t> bytes, const pcs::Params& params,
                      transcript::SoundnessLedger* soundness) {
  auto plan = plan_for(st);
  if (!plan.ok()) return make_error(plan.error());
  const Plan& p = *plan;
  util::ByteReader r(bytes);
  uint32_t version = 0;
  hash::Digest root{};
  if (!r.u32(version) || version != kPrivateVersion) return make_error("private proof: unknown version");
  if (!r.raw(root)) return make_error("private proof: truncated header");
  transcript::Transcript t("zkslice-private-v1");
  transcript::SoundnessLedger ledger;
  t.set_ledger(&ledger);
  absorb_statement(t, st, p, params, root);
  const auto members = members_of(p, root);
  Ends ends;
  for (const LinearPlan& lp : p.linears) {
    auto fail = [&](const std::string& what) {
      return step_error(*st.model, lp.node, "private proof: map " + std::to_string(&lp - p.linears.data()) + ": " + what);
    };
    const std::vector<Fp2> tau = t.challenges("private.tau", lp.nv);
    transcript::charge_point(t, lp.nv);
    auto terms = lp.terms;
    if (!lp.second.empty()) {
      terms = lp.second.with(lp.terms, t.challenge("private.gamma"));
      transcript::charge_powers(t, 2);
    }
    LinearEnds le;
    auto reader = sc::ZkProof::read(r, lp.d_reader);
    if (!reader.ok()) return fail("requant: " + reader.error());
    le.reader = std::move(reader).value();
    le.reader_evals.resize(1 + lp.reader_cols().size());
    for (auto& v : le.reader_evals)
      if (!field::read(r, v).ok()) return fail("requant: truncated values");
    auto maker = sc::ZkProof::read(r, lp.d_maker);
    if (!maker.ok()) return fail("linear map: " + maker.error());
    le.maker = std::move(maker).value();
    le.x_evals.resize(lp.ins.size());
    for (auto& v : le.x_evals)
      if (!field::read(r, v).ok()) return fail("linear map: truncated values");
    auto s1 = sc::verify_zk(Fp2::zero(), lp.d_reader, root, le.reader, t);
    if (!s1.ok()) return fail("requant: " + s1.error());
    std::vector<Fp2> evals = le.reader_evals;
    const auto sel = selector(lp.out, lp.nv);
    evals.push_back(poly::evaluate(std::span<const Fp>(sel), s1->point));
    if (auto c = sc::check_final(*s1, evals, tau, terms); !c.ok())
      return fail((lp.second.empty() ? "requant: " : "requant and clamp: ") + c.error());
    t.absorb("private.reader_evals", std::span<const Fp2>(le.reader_evals));
    le.r = s1->point, le.rho_reader = s1->rho;
    auto s2 = sc::verify_zk(le.reader_evals[0] - bias_at(lp, le.r), lp.d_maker, root, le.maker, t);
    if (!s2.ok()) return fail("linear map: " + s2.error());
    std::vector<Fp2> maker_evals;
    if (lp.matmul) {  // eq(r_b, b) times the extension's factor, constant in k
      const auto mp = matmul_point(lp, le.r);
      const auto rb = std::span<const Fp2>(s2->point).subspan(lp.kb, lp.bb);
      Fp2 e = mp.extra;
      for (unsigned i = 0; i < lp.bb; ++i) e *= mp.b[i] * rb[i] + (Fp2::one() - mp.b[i]) * (Fp2::one() - rb[i]);
      maker_evals = {e, le.x_evals[0], le.x_evals[1]};
    } else if (lp.product) {
      maker_evals = le.x_evals;
    } else {
      for (size_t j = 0; j < lp.ins.size(); ++j) {
        const auto folded = lp.ins[j].fold(le.r, lp.kv);  // the verifier's own M_j(r, .)
        maker_evals.push_back(poly::evaluate(std::span<const Fp2>(folded), s2->point));
        maker_evals.push_back(le.x_evals[j]);
      }
    }
    const std::span<const Fp2> maker_eq = lp.product ? std::span<const Fp2>(le.r) : std::span<const Fp2>();
    if (auto c = sc::check_final(*s2, maker_evals, maker_eq, lp.maker_terms); !c.ok())
      return fail("linear map: " + c.error());
    t.absorb("private.maker_evals", std::span<const Fp2>(le.x_evals));
    le.r_in = s2->point, le.rho_maker = s2->rho;
    ends.linears.push_back(std::move(le));
  }
  for (const ProductCheck& pc : p.products) {
    const QNode& n = st.model->nodes[pc.node];
    const std::vector<Fp2> tau = t.challenges("private.tau", pc.nv);
    transcript::charge_point(t, pc.nv);
    auto terms = pc.terms;
    if (!pc.second.empty()) {
      terms = pc.second.with(pc.terms, t.challenge("private.gamma"));
      transcript::charge_powers(t, 2);
    }
    const std::string what = "private proof: " + pc.what + ": ";
    auto proof = sc::ZkProof::read(r, pc.degrees);
    if (!proof.ok()) return node_error(n, what + proof.error());
    ProductEnds pe;
    pe.proof = std::move(proof).value();
    pe.evals.resize(pc.masked_count());
    for (auto& v : pe.evals)
      if (!field::read(r, v).ok()) return node_error(n, what + "truncated values");
    auto sub = sc::verify_zk(Fp2::zero(), pc.degrees, root, pe.proof, t);
    if (!sub.ok()) return node_error(n, what + sub.error());
    std::vector<Fp2> evals = pe.evals;
    const auto sel = selector(pc.out, pc.nv);
    evals.push_back(poly::evaluate(std::span<const Fp>(sel), sub->point));
    if (auto c = sc::check_final(*sub, evals, tau, terms); !c.ok()) return node_error(n, what + c.error());
    t.absorb("private.product_evals", std::span<const Fp2>(pe.evals));
    pe.r = sub->point, pe.rho = sub->rho;
    ends.products.push_back(std::move(pe));
  }
  std::vector<pcs::Commitment> comms = members;
  for (size_t li = 0; li < p.lookups.size(); ++li) {
    const LookupPlan& l = p.lookups[li];
    auto proof = lk::ZkProof::read(r, l.shape);
    if (!proof.ok()) return make_error("private proof: " + lookup_name(*st.model, l) + ": " + proof.error());
    lk::ZkCommitments lc;
    for (size_t c : l.cols) lc.witness.push_back(members[p.member(c)]);
    lc.m = members[p.member(l.m_col)];
    lc.mask_root = root;
    auto claims = lk::verify_zk(l.shape, l.table, lc, *proof, t);
    if (!claims.ok()) return make_error("private proof: " + lookup_name(*st.model, l) + ": " + claims.error());
    for (const auto& h : claims->helpers) comms.push_back(h);
    ends.lookups.push_back(std::move(claims).value());
  }
  for (size_t o = 0; o < p.output_cols.size(); ++o) {
    ends.z.push_back(t.challenges("private.output", p.vars_of(p.output_cols[o])));
    transcript::charge_point(t, p.vars_of(p.output_cols[o]));
    ends.output_values.push_back(output_at(p.col_shape[p.output_cols[o]], st.outputs[o], ends.z.back()));
  }
  const Fp2 lambda = t.challenge("private.lambda");
  transcript::charge_powers(t, 2 * p.linears.size() + p.products.size() + p.lookups.size());
  const Fp2 mu = t.challenge("private.merge");
  size_t merged = 0;
  auto claims = claims_of(p, ends, lambda, mu, merged);
  if (!claims.ok()) return make_error(claims.error());
  transcript::charge_powers(t, std::max<size_t>(merged, 1));  // every group's polynomial in mu
  uint64_t len = 0;
  if (!r.u64(len) || len != r.remaining()) return make_error("private proof: the opening's length is wrong");
  if (auto s = pcs::verify_hiding(comms, *claims, bytes.subspan(r.position()), t, params); !s.ok())
    return make_error("private proof: opening: " + s.error());
  if (ledger.challenges() != t.field_challenges())
    return make_error("private proof: internal error: the soundness ledger counts " +
                      std::to_string(ledger.challenges()) + " challenges of " + std::to_string(t.field_challenges()));
  if (ledger.bits() < pcs::kMinSecurityBits) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "private proof: soundness %.2f bits is below %.0f: ", ledger.bits(),
                  pcs::kMinSecurityBits);
    return make_error(buf + ledger.describe());
  }
  if (soundness) *soundness = ledger;
  return {};
}

}  // namespace zks::circuits
