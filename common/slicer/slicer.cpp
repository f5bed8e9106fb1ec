#include "slicer/slicer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace zks::slicer {

using model::numel;
using model::QModel;
using model::QNode;

namespace {

// Elements of a tensor once each axis is padded to a power of two in its own bit field
// (DESIGN.md section 8, rule 4): what the prover's tables really hold.
double padded(const model::Shape& s) {
  double n = 1;
  for (auto d : s) n *= d <= 1 ? 1.0 : std::exp2(std::ceil(std::log2(static_cast<double>(d))));
  return n;
}

// Per-element constants, measured by the proof-gadget benchmarks (docs/benchmarks.md,
// Release build, 2 threads, wall time; rerun `bench_core` and `bench_pcs` to retune):
//   sumcheck, degree 2 with eq (BM_SumcheckProve): 14.1 ms at 2^18 -> 54 ns per element;
//   degree 3 with eq: 22.1 ms at 2^18 -> 84 ns per element;
//   Basefold commit (bench_pcs, 2026-11-25): 99 ms at 2^20 (4.4 ms at 2^16, 449 ms at
//   2^22) -> 94 ns; Basefold open, one claim: 44 ms at 2^20 -> 42 ns per element;
//   F_p2 multiply: 189 M/s on one core -> about 5 ns per im2col element (the Conv prover
//   streams the patch view once to bind the output point; it never stores it).
// A LogUp-GKR leaf (a range-check query or a table entry): its fraction tree's build and
// layer sumchecks measured on age's trees (2026-11-25): 90 ns at 2^20 leaves, 100 ns at 2^16.
constexpr double kSumcheckNs = 54;
constexpr double kGatherNs = 5;
constexpr double kCommitNs = 94 + 42;  // commit, then open once per proof
constexpr double kOpenNs = 42;         // weights: committed at compile time, opened per proof
constexpr double kLookupNs = 90;
// Fitted to the measured prove times of every corpus model that proves as one slice
// (docs/models.md's proofs part; tests/bench/calibrate_cost.py). 2026-12-06, after the
// eight-lane kernels and the 8-bit range table for small witnesses: measured = 3.7 ms +
// 0.745 x the estimate with the scale then in use (1.36), R^2 0.947 over 36 models, so
// the scale became 1.36 x 0.745. The scale covers what the primitive rates leave out
// (folding the stacked witness, eq tables, claim merging) and how much faster the
// kernels got since the rates were measured. The fixed cost per proof is now small (it
// was 53 ms, 2026-11-25, most of it the 2^16-entry range table's LogUp tree, which small
// witnesses no longer pay); it is not charged per node, so budgets still partition the
// nodes alone.
constexpr double kMeasuredScale = 1.01;
// Memory per element: a sumcheck table is 8 B in the base field plus its first fold in
// F_p2 (n/2 * 16 B); a committed element is 8 B + a rate-1/4 codeword (32 B) + Merkle
// digests (128-byte leaves hold 16 elements; 2 * 4n/16 nodes of 32 B = 16 B); a LogUp
// leaf is a fraction (numerator, denominator in F_p2: 32 B) and the tree about doubles it.
constexpr double kSumcheckBytes = 16;
constexpr double kCommitBytes = 56;
constexpr double kLookupBytes = 64;

}  // namespace

// Cost model from the per-op protocols of DESIGN.md section 3 and rules 1-3 of section 8:
// linear ops are sumchecks over their padded operands (Conv also streams its patch view);
// a requantized output commits q and ceil(s/16) remainder limbs and range-checks both
// (the saturating form's flags and excess limbs are proved only for a node that clamped
// in the run, which calibrated inputs rarely do); table ops commit their output,
// look it up, and commit multiplicities over the table. The 16-bit range table is shared
// by a slice and not charged per op. Prove time adds up over a slice; memory is the
// largest op (the prover runs layer by layer).
OpCost estimate_cost(const QModel& m, const QNode& n) {
  double sumcheck = 0, committed = 0, lookups = 0, weights = 0, gather = 0;
  for (int i : n.inputs) {
    double e = padded(m.tensors[i].shape);
    sumcheck += e;
    if (m.tensors[i].is_const) weights += e;
  }
  double out = padded(m.tensors[n.outputs[0]].shape);
  sumcheck += out;
  if (n.op == "Conv" || n.op == "ConvTranspose") {
    const auto& w = m.tensors[n.inputs[1]].shape;
    double per_out = static_cast<double>(numel(w)) / static_cast<double>(w[n.op == "Conv" ? 0 : 1]);
    gather += static_cast<double>(numel(m.tensors[n.outputs[0]].shape)) * per_out;
  }
  bool layout = !n.gather.empty();
  if (layout && (n.op == "Transpose" || n.op == "Concat" || n.op == "Identity" || n.op == "Flatten" ||
                 n.op == "Squeeze" || n.op == "Unsqueeze"))
    sumcheck = 0;  // aligned relabelling of MLE variables: free (rule 4); others use a predicate sumcheck
  bool requant = !layout && n.op != "Relu" && n.op != "MaxPool" && n.op != "GlobalMaxPool" && n.op != "Clip" &&
                 n.op != "Abs" && n.op != "Neg" && n.table < 0;
  if (requant) {
    double limbs = std::max(1.0, std::ceil(std::max(0, n.shift) / 16.0));
    committed += out * (1 + limbs);
    lookups += out * (1 + limbs);
  } else if (n.op == "Relu" || n.op == "Clip" || n.op == "Abs" || n.op == "Neg") {
    committed += out;  // pair-table lookup (q, f(q))
    lookups += out;
  } else if (n.op == "MaxPool" || n.op == "GlobalMaxPool") {
    committed += out;  // m, then m - a_i range-checked and a zerocheck over the window
    lookups += padded(m.tensors[n.inputs[0]].shape);
  }
  if (n.table >= 0) {
    double t = static_cast<double>(m.tables[n.table].values.size());
    committed += out + t;  // outputs and multiplicities
    lookups += out + t;
  }
  OpCost c;
  c.prove_ms = (sumcheck * kSumcheckNs + gather * kGatherNs + committed * kCommitNs + weights * kOpenNs +
                lookups * kLookupNs) * 1e-6 * kMeasuredScale;
  c.memory_bytes = sumcheck * kSumcheckBytes + committed * kCommitBytes + lookups * kLookupBytes;
  return c;
}

std::vector<int> boundary(const QModel& m, size_t cut) {
  std::set<int> live;
  if (cut >= m.nodes.size()) return m.outputs;
  std::vector<char> produced_before(m.tensors.size(), 0);
  for (int i : m.inputs) produced_before[i] = 1;
  for (size_t k = 0; k < cut; ++k)
    for (int o : m.nodes[k].outputs)
      if (o >= 0) produced_before[o] = 1;
  for (size_t k = cut; k < m.nodes.size(); ++k)
    for (int i : m.nodes[k].inputs)
      if (!m.tensors[i].is_const && produced_before[i]) live.insert(i);
  for (int o : m.outputs)
    if (produced_before[o]) live.insert(o);
  return {live.begin(), live.end()};
}

std::vector<Slice> slices_at(const QModel& m, const std::vector<size_t>& cuts) {
  std::vector<size_t> pts = {0};
  for (size_t c : cuts)
    if (c > pts.back() && c < m.nodes.size()) pts.push_back(c);
  pts.push_back(m.nodes.size());
  std::vector<Slice> out;
  for (size_t j = 0; j + 1 < pts.size(); ++j) {
    Slice s;
    s.first = pts[j];
    s.end = pts[j + 1];
    if (s.end == s.first + 1 && is_channel_part(m.nodes[s.first])) {
      const QNode& n = m.nodes[s.first];
      std::set<int> in;
      for (int i : n.inputs)
        if (!m.tensors[i].is_const) in.insert(i);
      s.inputs.assign(in.begin(), in.end());
      s.outputs = n.outputs;
      s.channel_part = true;
    } else {
      s.inputs = j == 0 ? m.inputs : boundary(m, s.first);
      s.outputs = boundary(m, s.end);
    }
    for (size_t k = s.first; k < s.end; ++k) {
      auto c = estimate_cost(m, m.nodes[k]);
      s.cost.prove_ms += c.prove_ms;
      s.cost.memory_bytes = std::max(s.cost.memory_bytes, c.memory_bytes);
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

bool over_budget(const OpCost& c, const Budget& b) {
  return (b.max_memory_mb > 0 && c.memory_bytes / 1048576.0 > b.max_memory_mb) ||
         (b.max_prove_ms > 0 && c.prove_ms > b.max_prove_ms);
}

// Splits every Conv/MatMul/Gemm that alone exceeds a memory or time budget into as few
// channel parts as make each part fit (doubling from the cost ratio; at most one
// channel per part).
Status split_oversized(QModel& m, const Budget& b) {
  for (size_t k = 0; k < m.nodes.size(); ++k) {
    OpCost c = estimate_cost(m, m.nodes[k]);
    if (!over_budget(c, b) || !can_split(m, m.nodes[k])) continue;
    double ratio = std::max(b.max_memory_mb > 0 ? c.memory_bytes / 1048576.0 / b.max_memory_mb : 0.0,
                            b.max_prove_ms > 0 ? c.prove_ms / b.max_prove_ms : 0.0);
    const QNode& n = m.nodes[k];
    int64_t channels = m.tensors[n.outputs[0]].shape[n.op == "Conv" ? 1 : m.tensors[n.outputs[0]].shape.size() - 1];
    int parts = static_cast<int>(std::min<double>(static_cast<double>(channels), std::max(2.0, std::ceil(ratio))));
    for (;;) {
      QModel trial = m;
      ZK_TRY(split_output_channels(trial, k, parts));
      bool fits = true;
      for (int p = 0; p < parts; ++p) fits &= !over_budget(estimate_cost(trial, trial.nodes[k + p]), b);
      if (fits || parts == channels) {
        m = std::move(trial);
        k += static_cast<size_t>(parts);  // past the parts, onto the Concat
        break;
      }
      parts = static_cast<int>(std::min<int64_t>(channels, int64_t(parts) * 2));
    }
  }
  return {};
}

}  // namespace

Result<std::vector<Slice>> plan_slices(QModel& model, const Budget& b) {
  if (model.nodes.empty()) return make_error("the model has no nodes");
  // Splits go to a copy, committed only with a plan: a refused budget leaves `model` as it was.
  QModel split_copy;
  bool split = b.slices <= 0 && (b.max_memory_mb > 0 || b.max_prove_ms > 0);
  if (split) {
    split_copy = model;
    ZK_TRY(split_oversized(split_copy, b));
  }
  QModel& m = split ? split_copy : model;
  size_t n = m.nodes.size();
  std::vector<OpCost> cost(n);
  for (size_t k = 0; k < n; ++k) cost[k] = estimate_cost(m, m.nodes[k]);
  std::vector<size_t> cuts;
  if (b.slices > 0) {
    size_t N = std::min<size_t>(static_cast<size_t>(b.slices), n);
    if (static_cast<size_t>(b.slices) > n)
      return make_error("cannot cut " + std::to_string(n) + " nodes into " + std::to_string(b.slices) +
                        " slices (a memory or time budget splits large ops by output channels)");
    // Linear partition minimising the largest slice time (DP, O(N n^2)).
    std::vector<double> pre(n + 1, 0);
    for (size_t k = 0; k < n; ++k) pre[k + 1] = pre[k] + cost[k].prove_ms;
    const double INF = std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> dp(N + 1, std::vector<double>(n + 1, INF));
    std::vector<std::vector<size_t>> arg(N + 1, std::vector<size_t>(n + 1, 0));
    dp[0][0] = 0;
    for (size_t j = 1; j <= N; ++j)
      for (size_t i = j; i <= n; ++i)
        for (size_t p = j - 1; p < i; ++p) {
          double v = std::max(dp[j - 1][p], pre[i] - pre[p]);
          if (v < dp[j][i]) {
            dp[j][i] = v;
            arg[j][i] = p;
          }
        }
    size_t i = n;
    for (size_t j = N; j > 1; --j) {
      i = arg[j][i];
      cuts.push_back(i);
    }
    std::reverse(cuts.begin(), cuts.end());
  } else if (b.max_memory_mb > 0 || b.max_prove_ms > 0) {
    double t = 0, mem = 0;
    for (size_t k = 0; k < n; ++k) {
      double mb = cost[k].memory_bytes / 1048576.0;
      if (over_budget(cost[k], b)) {
        std::string why;
        if (!can_split(m, m.nodes[k], &why)) why = "it cannot be split by output channels: " + why;
        else why = "even one output channel per part does not fit";
        return make_error(m.nodes[k].op + " node '" + m.nodes[k].name + "' alone exceeds the slice budget (" +
                          std::to_string(mb) + " MB, " + std::to_string(cost[k].prove_ms) + " ms); " + why);
      }
      bool over = (b.max_memory_mb > 0 && std::max(mem, mb) > b.max_memory_mb) ||
                  (b.max_prove_ms > 0 && t + cost[k].prove_ms > b.max_prove_ms);
      // Each channel part is a slice of its own, independent of its siblings.
      over |= is_channel_part(m.nodes[k]) || (k > 0 && is_channel_part(m.nodes[k - 1]));
      if (over && k > 0) {
        cuts.push_back(k);
        t = 0;
        mem = 0;
      }
      t += cost[k].prove_ms;
      mem = std::max(mem, mb);
    }
  }
  auto out = slices_at(m, cuts);
  if (split) model = std::move(split_copy);
  return out;
}

Result<std::vector<std::vector<int64_t>>> run_slice(const QModel& m, const Slice& s,
                                                    const std::vector<std::vector<int64_t>>& inputs,
                                                    uint64_t* saturations) {
  if (inputs.size() != s.inputs.size())
    return make_error("slice expects " + std::to_string(s.inputs.size()) + " boundary inputs, got " +
                      std::to_string(inputs.size()));
  model::IntRun run;
  run.values.resize(m.tensors.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& t = m.tensors[s.inputs[i]];
    if (inputs[i].size() != static_cast<size_t>(numel(t.shape)))
      return make_error("boundary tensor '" + t.name + "' has the wrong size");
    run.values[s.inputs[i]] = inputs[i];
  }
  ZK_TRY(model::run_int_range(m, s.first, s.end, run));
  std::vector<std::vector<int64_t>> out;
  for (int o : s.outputs) out.push_back(std::move(run.values[o]));
  if (saturations) *saturations += run.saturations;
  return out;
}

}  // namespace zks::slicer
