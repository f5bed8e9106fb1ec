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
double pow2_ceil(double x) { return x <= 1 ? 1 : std::exp2(std::ceil(std::log2(x))); }
}  // namespace

// Cost model: sumcheck-based protocols cost O(size) per committed or claimed
// polynomial; Conv is charged its im2col size; lookups their table plus queries.
// The constants are rough CPU figures (ns per element), to be tuned by benchmarks.
OpCost estimate_cost(const QModel& m, const QNode& n) {
  double elems = 0, lookups = 0;
  for (int i : n.inputs) elems += static_cast<double>(numel(m.tensors[i].shape));
  double out = static_cast<double>(numel(m.tensors[n.outputs[0]].shape));
  elems += out;
  if (n.op == "Conv" || n.op == "ConvTranspose") {
    const auto& w = m.tensors[n.inputs[1]].shape;
    double per_out = static_cast<double>(numel(w)) / static_cast<double>(w[n.op == "Conv" ? 0 : 1]);
    elems += out * per_out;  // im2col view
  }
  bool requant = n.gather.empty() && n.op != "Relu" && n.op != "MaxPool" && n.op != "Clip";
  if (requant) lookups += out * 2;  // remainder limbs and the clamp range checks
  if (n.table >= 0) lookups += out + static_cast<double>(m.tables[n.table].values.size());
  OpCost c;
  c.prove_ms = (elems * 40.0 + lookups * 120.0) * 1e-6;
  c.memory_bytes = 8.0 * 4.0 * 2.0 * pow2_ceil(elems + lookups);  // blowup 4, ext field
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
    s.inputs = j == 0 ? m.inputs : boundary(m, s.first);
    s.outputs = boundary(m, s.end);
    for (size_t k = s.first; k < s.end; ++k) {
      auto c = estimate_cost(m, m.nodes[k]);
      s.cost.prove_ms += c.prove_ms;
      s.cost.memory_bytes = std::max(s.cost.memory_bytes, c.memory_bytes);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Slice>> plan_slices(const QModel& m, const Budget& b) {
  size_t n = m.nodes.size();
  if (n == 0) return make_error("the model has no nodes");
  std::vector<OpCost> cost(n);
  for (size_t k = 0; k < n; ++k) cost[k] = estimate_cost(m, m.nodes[k]);
  std::vector<size_t> cuts;
  if (b.slices > 0) {
    size_t N = std::min<size_t>(static_cast<size_t>(b.slices), n);
    if (static_cast<size_t>(b.slices) > n)
      return make_error("cannot cut " + std::to_string(n) + " nodes into " + std::to_string(b.slices) +
                        " slices (splitting one op by output channels is not implemented yet)");
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
      if ((b.max_memory_mb > 0 && mb > b.max_memory_mb) || (b.max_prove_ms > 0 && cost[k].prove_ms > b.max_prove_ms))
        return make_error(m.nodes[k].op + " node '" + m.nodes[k].name + "' alone exceeds the slice budget (" +
                          std::to_string(mb) + " MB, " + std::to_string(cost[k].prove_ms) +
                          " ms); splitting one op by output channels is not implemented yet");
      bool over = (b.max_memory_mb > 0 && std::max(mem, mb) > b.max_memory_mb) ||
                  (b.max_prove_ms > 0 && t + cost[k].prove_ms > b.max_prove_ms);
      if (over && k > 0) {
        cuts.push_back(k);
        t = 0;
        mem = 0;
      }
      t += cost[k].prove_ms;
      mem = std::max(mem, mb);
    }
  }
  return slices_at(m, cuts);
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
