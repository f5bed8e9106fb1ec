#include "slicer/slicer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
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

// The cost model: a slice's prove time on one core (a slice proved on its own core, as
// when slices are proved in parallel) as a sum of its features (SliceFeatures), each
// times a rate fitted by non-negative least squares to measured slice prove times
// (tests/bench/slice_costs over every corpus model that proves, cut into 1 to 12
// slices, then tests/bench/fit_slice_cost.py; docs/benchmarks.md, "The slicer's cost
// model"). A rate of 0: the fit gave the feature no weight (its work is carried by a
// correlated one: committed entries are also looked up). Rates in ns per element,
// those named _ms in ms per tensor or per slice.
struct Rates {
  double sumcheck, gather, committed, lookups, weights, table_entries;
  double inputs_read_ms, input_elements, outputs_made_ms, output_elements;
  double range_entries, range_table, per_slice_ms;
};
// 2026-12-06: 211 slices of 5 ms or more (11 models), median error 7.4%, R^2 0.921.
constexpr Rates kRates{/*sumcheck*/ 16.0, /*gather*/ 1.5, /*committed*/ 0.0, /*lookups*/ 143.4, /*weights*/ 42.7,
                       /*table_entries*/ 364.2, /*inputs_read*/ 2.4, /*input_elements*/ 249.3,
                       /*outputs_made*/ 1.2, /*output_elements*/ 0.0, /*range_entries*/ 186.4,
                       /*range_table*/ 182.1, /*per_slice*/ 4.0};

// Memory: a slice's witness and weights are committed before any challenge and held to
// the end (each element with its column, its stack, a rate-1/4 codeword and Merkle
// digests, and its tables in the gadgets), so a slice's peak grows with its committed
// entries and weights, not with its largest op. Fitted to the peak RSS of `zkslice
// --threads 1 prove --jobs 1` over 25 networks in one slice (15 of the corpus, 10 larger:
// ResNets of 0.3M and 2.8M weights, MobileNets, U-Nets, transformer encoders, 19 MB to
// 1.1 GB): the process's own 21 MB plus 198 B a committed entry and 112 B a weight,
// within 0.7-1.27x of every measurement (docs/benchmarks.md; the per-op model before it
// was 5-56x low).
constexpr double kProcessBytes = 21.0 * 1048576;
constexpr double kCommittedBytes = 198;
constexpr double kWeightBytes = 112;

bool is_pair_lookup(const QNode& n) { return n.op == "Relu" || n.op == "Clip" || n.op == "Abs" || n.op == "Neg"; }

// A slice's features as it grows by one node at a time (the partition's search extends
// every candidate slice this way). From the per-op protocols of DESIGN.md section 3 and
// rules 1-3 of section 8: linear ops are sumchecks over their padded operands (Conv
// also streams its patch view); a requantized output commits q and ceil(s/16) remainder
// limbs and range-checks both (the saturating form's flags and excess limbs are proved
// only for a node that clamped in the run, which calibrated inputs rarely do); table ops
// (and Relu, Clip, Abs, Neg: pair tables) commit their output and look it up, each
// table once per slice, in the window of it the lookups need; max pooling commits its
// maximum and range-checks its differences; layout ops that only relabel variables are
// free (rule 4), others are a predicate sumcheck.
class SliceCoster {
 public:
  // Tensors' last consumers and roles, shared by every slice of `m`.
  struct Model {
    explicit Model(const QModel& m) : m(m), last_use(m.tensors.size(), -1), is_input(m.tensors.size(), 0),
                                      is_output(m.tensors.size(), 0) {
      for (size_t k = 0; k < m.nodes.size(); ++k)
        for (int i : m.nodes[k].inputs) last_use[i] = static_cast<long>(k);
      for (int i : m.inputs) is_input[i] = 1;
      for (int o : m.outputs) is_output[o] = 1;
    }
    const QModel& m;
    std::vector<long> last_use;
    std::vector<char> is_input, is_output;
  };

  explicit SliceCoster(const Model& model) : m_model(&model), m_made(model.m.tensors.size(), 0) {}

  // Appends node k (the slice's next node).
  void add(size_t k) {
    const QModel& m = m_model->m;
    const QNode& n = m.nodes[k];
    add_work(m, n);
    for (int i : n.inputs)
      if (!m.tensors[i].is_const && !m_made[i] && !m_model->is_input[i] && big(i) && m_read.insert(i).second)
        m_f.inputs_read += 1, m_f.input_elements += padded(m.tensors[i].shape);
    for (int o : n.outputs) {
      if (o < 0) continue;
      m_made[o] = 1;
      if (m_model->last_use[o] > static_cast<long>(k) && !m_model->is_output[o] && big(o)) {
        m_f.outputs_made += 1, m_f.output_elements += padded(m.tensors[o].shape);
        m_leaving.emplace(m_model->last_use[o], o);
      }
    }
    // Outputs whose last consumer is node k are no longer live past the slice.
    for (auto it = m_leaving.begin(); it != m_leaving.end() && it->first <= static_cast<long>(k);) {
      m_f.outputs_made -= 1, m_f.output_elements -= padded(m.tensors[it->second].shape);
      it = m_leaving.erase(it);
    }
  }

  SliceFeatures features() const {
    const QModel& m = m_model->m;
    SliceFeatures f = m_f;
    // A lookup looks into the window of its table its inputs need (ProofChoices): at
    // most the table, and about as many rows as it looks up when that is fewer.
    for (const auto& [table, n] : m_looked_up) {
      const double rows = table.second >= 0 ? static_cast<double>(m.tables[table.second].values.size())
                                            : std::exp2(m.cfg.act_bits);
      f.table_entries += std::min(rows, std::exp2(std::ceil(std::log2(n))));
    }
    // The range check's table: 2^16 rows, or 2^8 for a witness of at most 2^13 entries.
    if (f.range_entries > 0) f.range_table = f.range_entries > 8192 ? 65536 : 256;
    return f;
  }

 private:
  void add_work(const QModel& m, const QNode& n) {
    double sumcheck = 0;
    for (int i : n.inputs) {
      const double e = padded(m.tensors[i].shape);
      sumcheck += e;
      if (m.tensors[i].is_const) m_f.weights += e;
    }
    const double out = padded(m.tensors[n.outputs[0]].shape);
    sumcheck += out;
    if (n.op == "Conv" || n.op == "ConvTranspose") {
      const auto& ws = m.tensors[n.inputs[1]].shape;
      const double per_out = static_cast<double>(numel(ws)) / static_cast<double>(ws[n.op == "Conv" ? 0 : 1]);
      m_f.gather += static_cast<double>(numel(m.tensors[n.outputs[0]].shape)) * per_out;
    }
    const bool layout = !n.gather.empty();
    if (!(layout && (n.op == "Transpose" || n.op == "Concat" || n.op == "Identity" || n.op == "Flatten" ||
                     n.op == "Squeeze" || n.op == "Unsqueeze")))
      m_f.sumcheck += sumcheck;
    double committed = 0, range = 0;
    if (n.table >= 0 || is_pair_lookup(n)) {
      committed = out;
      m_looked_up[{n.table >= 0 ? std::string() : n.op, n.table}] += out;
      // Softmax and LayerNormalization also prove a maximum or a mean and a division
      // with a range-checked remainder: about 8 range-checked entries an element.
      if (n.op == "Softmax" || n.op == "LayerNormalization") range = 8 * out;
    } else if (n.op == "Div") {
      committed = 2 * out;  // the quotient and the remainder's limbs
      range = 6 * out;
    } else if (n.op == "MaxPool" || n.op == "GlobalMaxPool") {
      committed = out;
      range = padded(m.tensors[n.inputs[0]].shape);
    } else if (!layout) {  // requantized
      const double limbs = std::max(1.0, std::ceil(std::max(0, n.shift) / 16.0));
      committed = range = out * (1 + limbs);
    }
    m_f.committed += committed;
    m_f.lookups += committed + range;
    m_f.range_entries += range;
  }

  // Boundary tensors of at most 2^8 entries are opened in the clear: nearly free.
  bool big(int t) const { return padded(m_model->m.tensors[t].shape) > 256.0; }

  const Model* m_model;
  std::vector<char> m_made;
  SliceFeatures m_f;
  std::map<std::pair<std::string, int>, double> m_looked_up;  // by table (pair tables by op)
  std::set<int> m_read;
  std::multimap<long, int> m_leaving;  // counted outputs by their last consumer
};

}  // namespace

double estimate_ms(const SliceFeatures& f) {
  const Rates& r = kRates;
  const double ns = f.sumcheck * r.sumcheck + f.gather * r.gather + f.committed * r.committed +
                    f.lookups * r.lookups + f.weights * r.weights + f.table_entries * r.table_entries +
                    f.input_elements * r.input_elements + f.output_elements * r.output_elements +
                    f.range_entries * r.range_entries + f.range_table * r.range_table;
  return ns * 1e-6 + f.inputs_read * r.inputs_read_ms + f.outputs_made * r.outputs_made_ms + r.per_slice_ms;
}

namespace {
// A slice's own work: what no cut can take away.
SliceFeatures without_boundaries(SliceFeatures f) {
  f.inputs_read = f.input_elements = f.outputs_made = f.output_elements = 0;
  return f;
}
}  // namespace

// Committing a slice's weights (padded into stacks, encoded at rate 1/4 and hashed), what
// a one-shot run adds to a warm miner's time: 175-212 ns a weight on one core, measured
// 2026-12-07 as `zkslice --threads 1 prove` against the estimate on mnist_gan (1.06M
// weights: 217.8 ms estimated, 436-450 ms measured), variable_cnn and wakeword.
constexpr double kOneShotWeightNs = 200;

double estimate_one_shot_ms(const SliceFeatures& f) { return estimate_ms(f) + f.weights * kOneShotWeightNs * 1e-6; }

double estimate_memory_bytes(const SliceFeatures& f) {
  return kProcessBytes + f.committed * kCommittedBytes + f.weights * kWeightBytes;
}

OpCost estimate_cost(const QModel& m, size_t k) {
  const SliceFeatures f = slice_features(m, k, k + 1);
  return {estimate_ms(f), estimate_memory_bytes(f)};
}

SliceFeatures slice_features(const QModel& m, size_t first, size_t end) {
  const SliceCoster::Model model(m);
  SliceCoster c(model);
  for (size_t k = first; k < end; ++k) c.add(k);
  return c.features();
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

std::vector<std::pair<size_t, size_t>> node_ranges(const std::vector<Slice>& slices) {
  std::vector<std::pair<size_t, size_t>> r;
  for (const auto& s : slices) r.emplace_back(s.first, s.end);
  return r;
}

std::vector<Slice> slices_at(const QModel& m, const std::vector<size_t>& cuts) {
  std::vector<size_t> pts = {0};
  for (size_t c : cuts)
    if (c > pts.back() && c < m.nodes.size()) pts.push_back(c);
  pts.push_back(m.nodes.size());
  const SliceCoster::Model model(m);
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
    SliceCoster c(model);
    for (size_t k = s.first; k < s.end; ++k) c.add(k);
    s.cost = {estimate_ms(c.features()), estimate_memory_bytes(c.features())};
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
    OpCost c = estimate_cost(m, k);
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
      for (int p = 0; p < parts; ++p) fits &= !over_budget(estimate_cost(trial, k + static_cast<size_t>(p)), b);
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

// Estimates within this fraction of each other count as equal: rounding only. (A
// margin of 2% let the fewest-boundaries choice below pick a partition of age in 3
// slices 12% slower: the cost model's error is larger than such a margin.)
constexpr double kSlack = 1e-9;

// Cuts of the node order into N slices. First the smallest estimate of the slowest
// slice (M); then, among the partitions whose every slice is estimated at most M (there
// are many when one slice is the bottleneck), the one with the fewest private boundary
// tensors, each an opening of its own in the slices on both sides (18-57 KB of proof on
// age). Two DPs over cut points, O(N n^2) each; a candidate slice [p, i) is costed as a
// whole (its tables once, its boundaries), grown one node at a time from p.
struct Partition {
  std::vector<size_t> cuts;
  double slowest_ms = 0;
  double boundaries = 0;  // private boundary tensors read or made, over the slices
};
Partition balanced_cuts(const QModel& m, size_t N) {
  const size_t n = m.nodes.size();
  const SliceCoster::Model costing(m);
  const double INF = std::numeric_limits<double>::infinity();
  // dp[j][i]: the best value over the first i nodes cut into j slices; `combine` adds a
  // slice to it (INF: not allowed).
  auto run = [&](auto combine) {
    std::vector<std::vector<double>> dp(N + 1, std::vector<double>(n + 1, INF));
    std::vector<std::vector<size_t>> arg(N + 1, std::vector<size_t>(n + 1, 0));
    dp[0][0] = 0;
    for (size_t j = 1; j <= N; ++j)
      for (size_t p = j - 1; p < n; ++p) {
        if (dp[j - 1][p] == INF) continue;
        SliceCoster c(costing);
        for (size_t i = p + 1; i <= n; ++i) {
          c.add(i - 1);
          const double v = combine(dp[j - 1][p], c.features());
          if (v < dp[j][i]) dp[j][i] = v, arg[j][i] = p;
        }
      }
    std::optional<std::vector<size_t>> cuts;
    if (dp[N][n] == INF) return cuts;  // no partition allowed
    cuts.emplace();
    for (size_t j = N, i = n; j > 1; --j) cuts->push_back(i = arg[j][i]);
    std::reverse(cuts->begin(), cuts->end());
    return cuts;
  };
  // The slowest slice's estimate and the boundary tensors of a partition.
  auto measure = [&](std::vector<size_t> cuts) {
    Partition p;
    size_t first = 0;
    cuts.push_back(n);
    for (size_t end : cuts) {
      const auto f = slice_features(m, first, end);
      p.slowest_ms = std::max(p.slowest_ms, estimate_ms(f));
      p.boundaries += f.inputs_read + f.outputs_made;
      first = end;
    }
    return p;
  };
  const auto fastest = run([](double before, const SliceFeatures& f) { return std::max(before, estimate_ms(f)); });
  ZK_ASSERT(fastest.has_value());  // N <= n: every node a slice of its own is a partition
  const double bound = measure(*fastest).slowest_ms * (1 + kSlack);
  // The fastest partition is among those allowed; rounding aside, so is a fewest one.
  auto cuts = run([&](double before, const SliceFeatures& f) {
                return estimate_ms(f) > bound ? INF : before + f.inputs_read + f.outputs_made;
              }).value_or(*fastest);
  Partition out = measure(cuts);
  out.cuts = std::move(cuts);
  return out;
}

// A slowest slice that improves this much (by the estimates), in proportion and in
// milliseconds, is worth a split. Each channel part adds a boundary tensor, opened on
// both sides (bundles 20-100% larger), and the cost model, fitted on unsplit slices, is
// off by 15% and more on slices with parts: age in 8 slices, a 13% better estimate,
// measured 3% faster; variable_cnn in 4 and wakeword in 4, 11 and 3 ms better
// estimates, measured 8% and 25% slower (a part keeps most of its op's fixed cost).
// Age in 16 slices, 149 -> 101 ms estimated, measured 153 -> 128 ms.
constexpr double kSplitGain = 0.15;
constexpr double kSplitGainMs = 20.0;

// With a slice count, the slowest slice may hold one Conv/MatMul/Gemm that no cut can
// share out (age in 16 slices: its first Conv alone, 149 ms, against 52 ms a slice on
// average). Splits that node by output channels into the number of parts that gives
// the fastest slowest slice, while that beats the partition so far by kSplitGain and
// kSplitGainMs; then looks at the new slowest slice. The parts are nodes like any
// other: the cuts may keep several in one slice (an uneven split), and a part alone in
// a slice reads only its node's inputs (slices_at).
void split_bottlenecks(QModel& m, size_t N, Partition& best) {
  // No partition's slowest slice is much below the whole model's estimate over N (a
  // slice's work does not shrink by cutting, its boundaries only add): when the gain
  // asked for would go below that, no split is tried (each try is two DPs).
  const double floor_ms = estimate_ms(slice_features(m, 0, m.nodes.size())) / static_cast<double>(N);
  for (size_t round = 0; round < 4; ++round) {  // each round gains 15%: four is plenty
    const double wanted = std::min(best.slowest_ms * (1 - kSplitGain), best.slowest_ms - kSplitGainMs);
    if (wanted < floor_ms) break;
    // The slowest slice of the partition so far, and its costliest splittable node.
    size_t first = 0, a = 0, b = 0;
    double slowest = -1;
    std::vector<size_t> ends = best.cuts;
    ends.push_back(m.nodes.size());
    for (size_t end : ends) {
      const double ms = estimate_ms(slice_features(m, first, end));
      if (ms > slowest) slowest = ms, a = first, b = end;
      first = end;
    }
    size_t node = SIZE_MAX;
    double node_ms = 0;
    for (size_t k = a; k < b; ++k) {
      if (!can_split(m, m.nodes[k])) continue;
      const double ms = estimate_cost(m, k).prove_ms;
      if (ms > node_ms) node = k, node_ms = ms;
    }
    if (node == SIZE_MAX) break;
    const QNode& n = m.nodes[node];
    const model::Shape& ys = m.tensors[n.outputs[0]].shape;
    const int64_t channels = ys[n.op == "Conv" ? 1 : ys.size() - 1];
    std::optional<QModel> chosen;
    Partition chosen_cuts = best;
    for (int parts : {2, 3, 4, 6, 8, 12, 16}) {
      if (parts > std::min<int64_t>(channels, static_cast<int64_t>(N))) break;
      QModel trial = m;
      if (!split_output_channels(trial, node, parts).ok()) break;
      Partition p = balanced_cuts(trial, N);
      if (p.slowest_ms < chosen_cuts.slowest_ms) chosen = std::move(trial), chosen_cuts = std::move(p);
    }
    if (!chosen || chosen_cuts.slowest_ms > wanted) break;
    m = std::move(*chosen);
    best = std::move(chosen_cuts);
  }
}

// A topological order that runs the consumers of what was just computed first (a
// depth-first walk; ties by the node's index).
std::vector<size_t> depth_first_order(const QModel& m) {
  const size_t n = m.nodes.size();
  std::vector<std::vector<size_t>> consumers(m.tensors.size());
  std::vector<size_t> waiting(n, 0);
  std::vector<char> made(m.tensors.size(), 0);  // written by a node (not an input or a constant)
  for (const auto& node : m.nodes)
    for (int o : node.outputs)
      if (o >= 0) made[o] = 1;
  for (size_t k = 0; k < n; ++k) {
    std::set<int> reads(m.nodes[k].inputs.begin(), m.nodes[k].inputs.end());
    for (int i : reads)
      if (made[i]) consumers[i].push_back(k), ++waiting[k];
  }
  std::vector<size_t> stack, order;
  for (size_t k = n; k-- > 0;)
    if (waiting[k] == 0) stack.push_back(k);
  while (!stack.empty()) {
    const size_t k = stack.back();
    stack.pop_back();
    order.push_back(k);
    std::vector<size_t> ready;
    for (int o : m.nodes[k].outputs)
      if (o >= 0)
        for (size_t c : consumers[o])
          if (--waiting[c] == 0) ready.push_back(c);
    std::sort(ready.rbegin(), ready.rend());
    stack.insert(stack.end(), ready.begin(), ready.end());
  }
  ZK_ASSERT(order.size() == n);  // the node order is topological, so every node runs
  return order;
}

void reorder_nodes(QModel& m, const std::vector<size_t>& order) {
  std::vector<QNode> nodes;
  nodes.reserve(order.size());
  for (size_t k : order) nodes.push_back(std::move(m.nodes[k]));
  m.nodes = std::move(nodes);
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
  for (size_t k = 0; k < n; ++k) cost[k] = estimate_cost(m, k);
  std::vector<size_t> cuts;
  if (b.slices > 0) {
    size_t N = std::min<size_t>(static_cast<size_t>(b.slices), n);
    if (static_cast<size_t>(b.slices) > n)
      return make_error("cannot cut " + std::to_string(n) + " nodes into " + std::to_string(b.slices) +
                        " slices (a memory or time budget splits large ops by output channels)");
    auto best = balanced_cuts(m, N);
    // The same nodes in depth-first order finish a branch (and its heads) before the
    // next starts, so fewer tensors may cross the cuts: kept when its slowest slice is
    // estimated faster, or as fast with fewer boundary tensors.
    if (N > 1) {
      QModel deep = m;
      reorder_nodes(deep, depth_first_order(m));
      auto other = balanced_cuts(deep, N);
      const bool faster = other.slowest_ms < best.slowest_ms / (1 + kSlack);
      const bool as_fast = other.slowest_ms <= best.slowest_ms * (1 + kSlack);
      if (faster || (as_fast && other.boundaries < best.boundaries)) {
        m = std::move(deep);
        best = std::move(other);
      }
      split_bottlenecks(m, N, best);
    }
    cuts = std::move(best.cuts);
  } else if (b.max_memory_mb > 0 || b.max_prove_ms > 0) {
    if (b.max_memory_mb > 0 && b.max_memory_mb <= kProcessBytes / 1048576.0)
      return make_error("a memory budget of " + std::to_string(b.max_memory_mb) + " MB is below the prover's own " +
                        std::to_string(kProcessBytes / 1048576.0) + " MB");
    const SliceCoster::Model costing(m);
    SliceCoster slice(costing);
    for (size_t k = 0; k < n; ++k) {
      const double mb = cost[k].memory_bytes / 1048576.0;
      // A node over the budget on its own work is refused; one over it only by the
      // boundary tensors it must read or write (a Concat of channel parts reads every
      // part) gets a slice of its own, as good as it gets.
      OpCost own = cost[k];
      own.prove_ms = estimate_ms(without_boundaries(slice_features(m, k, k + 1)));
      if (over_budget(own, b)) {
        std::string why;
        if (!can_split(m, m.nodes[k], &why)) why = "it cannot be split by output channels: " + why;
        else why = "even one output channel per part does not fit";
        return make_error(m.nodes[k].op + " node '" + m.nodes[k].name + "' alone exceeds the slice budget (" +
                          std::to_string(mb) + " MB, " + std::to_string(own.prove_ms) + " ms); " + why);
      }
      SliceCoster grown = slice;
      grown.add(k);
      bool over = (b.max_memory_mb > 0 && estimate_memory_bytes(grown.features()) / 1048576.0 > b.max_memory_mb) ||
                  (b.max_prove_ms > 0 && estimate_ms(grown.features()) > b.max_prove_ms);
      // Each channel part is a slice of its own, independent of its siblings.
      over |= is_channel_part(m.nodes[k]) || (k > 0 && is_channel_part(m.nodes[k - 1]));
      if (over && k > 0) {
        cuts.push_back(k);
        grown = SliceCoster(costing);
        grown.add(k);
      }
      slice = std::move(grown);
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
