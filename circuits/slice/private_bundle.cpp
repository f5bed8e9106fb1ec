// Private proofs across slices (private_proof.hpp, PrivateSlice; DESIGN.md rules 7 and
// 13): which tensors each slice holds and shares, and a bundle of one private proof a
// slice, stitched by the shared tensors' roots.
#include <algorithm>
#include <chrono>
#include <set>

#include "circuits/slice/private_plan.hpp"
#include "circuits/slice/private_proof.hpp"
#include "slicer/slicer.hpp"

namespace zks::circuits {

namespace {
// Slice `sl`'s statement in a bundle: the model's outputs where it shows them (the last).
PrivateStatement slice_statement(const model::QModel& m, const hash::Digest& fingerprint, const ProofBinding& binding,
                                 const PrivateSlice& sl, const std::vector<std::vector<int64_t>>& outputs) {
  PrivateStatement st;
  st.model = &m, st.fingerprint = fingerprint, st.binding = binding, st.slice = &sl;
  if (!sl.outputs.empty()) st.outputs = outputs;
  return st;
}
}  // namespace

Result<std::vector<PrivateSlice>> private_slices(const model::QModel& m,
                                                 const std::vector<std::pair<size_t, size_t>>& ranges) {
  if (ranges.empty() || ranges.size() > kMaxBundleSlices)
    return make_error("private bundle: " + std::to_string(ranges.size()) + " slices (1 to " +
                      std::to_string(kMaxBundleSlices) + ")");
  for (size_t j = 0; j < ranges.size(); ++j)
    if (ranges[j].first >= ranges[j].second || ranges[j].first != (j ? ranges[j - 1].second : 0))
      return make_error("private bundle: slice " + std::to_string(j) + " does not follow the one before it");
  if (ranges.back().second != m.nodes.size()) return make_error("private bundle: the slices do not cover the model");
  // Each activation's maker (the slice of the node that writes it; none for an input)
  // and the slices that hold it: its maker, the slices with a node that reads it, and
  // the last slice for a model output.
  bool ok = true;
  std::map<int, size_t> maker;
  std::map<int, std::set<size_t>> holders;
  std::vector<std::set<int>> inputs(ranges.size());
  for (size_t j = 0; j < ranges.size(); ++j)
    for (size_t k = ranges[j].first; k < ranges[j].second; ++k)
      for (int t : m.nodes[k].outputs) maker[t] = j, holders[t].insert(j);
  const std::set<int> model_inputs(m.inputs.begin(), m.inputs.end());
  auto hold = [&](int t, size_t j) {
    auto mk = maker.find(t);
    if (mk != maker.end() && mk->second == j) return;
    if (mk == maker.end() && !model_inputs.count(t)) {
      if (!m.tensors[size_t(t)].is_const) ok = false;  // read before anything makes it
      return;
    }
    holders[t].insert(j);
    inputs[j].insert(t);
  };
  for (size_t j = 0; j < ranges.size(); ++j)
    for (size_t k = ranges[j].first; k < ranges[j].second; ++k)
      for (int t : m.nodes[k].inputs)
        if (t >= 0) hold(t, j);
  for (int t : m.outputs) hold(t, ranges.size() - 1);
  if (!ok) return make_error("private bundle: a node reads a tensor that is neither made, an input nor a constant");
  std::vector<PrivateSlice> out(ranges.size());
  for (size_t j = 0; j < ranges.size(); ++j) {
    PrivateSlice& s = out[j];
    s.first = ranges[j].first, s.end = ranges[j].second;
    s.index = uint32_t(j), s.count = uint32_t(ranges.size());
    s.inputs.assign(inputs[j].begin(), inputs[j].end());
    if (j + 1 == ranges.size()) s.outputs = m.outputs;
  }
  for (const auto& [t, js] : holders)
    if (js.size() >= 2)
      for (size_t j : js) out[j].shared[t] = unsigned(js.size());
  return out;
}

Status check_private_bundle(const model::QModel& m, const std::vector<std::pair<size_t, size_t>>& ranges) {
  auto slices = private_slices(m, ranges);
  if (!slices.ok()) return make_error(slices.error());
  for (const auto& sl : *slices)
    if (auto p = private_detail::make_private_plan(m, &sl); !p.ok())
      return make_error("slice " + std::to_string(sl.index) + ": " + p.error());
  return {};
}

Result<PrivateBundleFile> prove_private_bundle(const model::QModel& m,
                                               const std::vector<std::pair<size_t, size_t>>& ranges,
                                               const hash::Digest& fingerprint, const ProofBinding& binding,
                                               const std::vector<std::vector<int64_t>>& inputs,
                                               const pcs::Params& params, const pcs::Seed& seed,
                                               const PrivateProgress& progress, size_t codeword_memory,
                                               std::vector<SliceTiming>* timings) {
  auto slices = private_slices(m, ranges);
  if (!slices.ok()) return make_error(slices.error());
  if (inputs.size() != m.inputs.size())
    return make_error("private bundle: " + std::to_string(inputs.size()) + " inputs given, the model takes " +
                      std::to_string(m.inputs.size()));
  model::IntRun run;
  run.values.resize(m.tensors.size());
  for (size_t i = 0; i < inputs.size(); ++i) run.values[size_t(m.inputs[i])] = inputs[i];
  if (Status s = model::run_int_range(m, 0, m.nodes.size(), run); !s.ok()) return make_error(s.error());
  PrivateBundleFile b;
  b.ranges = ranges;
  for (int t : m.outputs) b.outputs.push_back(run.values[size_t(t)]);
  // Keep only what the slices are given (their inputs): each makes the rest again.
  std::set<int> given;
  for (const auto& sl : *slices) given.insert(sl.inputs.begin(), sl.inputs.end());
  for (size_t t = 0; t < run.values.size(); ++t)
    if (!given.count(int(t))) run.values[t] = {};
  // A secret for each shared tensor's mask (handed to every slice that holds it), another
  // for each slice's own.
  const pcs::Seed boundary = pcs::derive_seed(seed, "private.bundle.boundary");
  for (PrivateSlice& sl : *slices) {
    for (const auto& [t, n] : sl.shared) sl.seeds[t] = pcs::derive_seed(boundary, "private.shared." + std::to_string(t));
    sl.roots = b.roots;  // each slice checks its shared roots against its makers'
    const PrivateStatement st = slice_statement(m, fingerprint, binding, sl, b.outputs);
    std::vector<std::vector<int64_t>> values;
    for (int t : sl.inputs) values.push_back(run.values[size_t(t)]);
    const std::string name = "slice " + std::to_string(sl.index);
    const auto t0 = std::chrono::steady_clock::now();
    auto proof = prove_private(
        st, values, params, pcs::derive_seed(seed, "private.bundle." + name), {},
        [&](const std::string& phase, double ms) {
          if (progress) progress(name + ": " + phase, ms);
        },
        codeword_memory, &b.roots);
    if (!proof.ok()) return make_error(name + ": " + proof.error());
    if (timings)
      timings->push_back(
          {std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(), proof->size(), {}});
    b.proofs.push_back(std::move(*proof));
  }
  return b;
}

Status verify_private_bundle(const model::QModel& m, const hash::Digest& fingerprint, const ProofBinding& binding,
                             const PrivateBundleFile& b, const pcs::Params& params, std::vector<SliceTiming>* timings) {
  auto slices = private_slices(m, b.ranges);
  if (!slices.ok()) return make_error(slices.error());
  if (b.proofs.size() != slices->size())
    return make_error("private bundle: " + std::to_string(b.proofs.size()) + " proofs for " +
                      std::to_string(slices->size()) + " slices");
  if (b.outputs.size() != m.outputs.size())
    return make_error("private bundle: " + std::to_string(b.outputs.size()) + " outputs, the model has " +
                      std::to_string(m.outputs.size()));
  std::set<int> shared;
  for (const auto& sl : *slices)
    for (const auto& [t, n] : sl.shared) shared.insert(t);
  for (const auto& [t, root] : b.roots)
    if (!shared.count(t)) return make_error("private bundle: a root for tensor " + std::to_string(t) + ", which no two slices share");
  std::vector<SliceTiming> times;
  for (PrivateSlice& sl : *slices) {
    sl.roots = b.roots;
    const PrivateStatement st = slice_statement(m, fingerprint, binding, sl, b.outputs);
    SliceTiming& tm = times.emplace_back();
    const auto t0 = std::chrono::steady_clock::now();
    if (Status s = verify_private(st, b.proofs[sl.index], params, &tm.soundness); !s.ok())
      return make_error("slice " + std::to_string(sl.index) + ": " + s.error());
    tm.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    tm.proof_bytes = b.proofs[sl.index].size();
  }
  ZK_TRY(check_bundle_soundness(times, "prove it in fewer"));
  if (timings) *timings = std::move(times);
  return {};
}

std::vector<std::pair<size_t, size_t>> balanced_ranges(const model::QModel& m, size_t slices) {
  const size_t n = m.nodes.size();
  slices = std::clamp<size_t>(slices, 1, std::min<size_t>(n, kMaxBundleSlices));
  // The slicer's estimate of a range's prove time (shapes only; balancing it balanced
  // the private slices' memory better than its memory estimate: age in 4 slices peaks at
  // 429 MB, against 539), and the cuts a greedy pass makes under a bound on it: a slice
  // grows while it stays within the bound.
  auto cost = [&](size_t a, size_t b) { return slicer::estimate_ms(slicer::slice_features(m, a, b)); };
  auto greedy = [&](double bound) {
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t first = 0; first < n;) {
      size_t end = first + 1;
      while (end < n && cost(first, end + 1) <= bound) ++end;
      out.emplace_back(first, end);
      first = end;
    }
    return out;
  };
  // The least bound (by bisection) whose greedy cuts make at most `slices` slices.
  double lo = 0, hi = cost(0, n);
  for (int i = 0; i < 40 && hi - lo > 1e-6 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (greedy(mid).size() <= slices ? hi : lo) = mid;
  }
  auto out = greedy(hi);
  // A range's estimate is not monotone in its end (a cut's boundary tensors cost), so the
  // greedy pass may make more slices than asked: merge the cheapest neighbours.
  while (out.size() > slices) {
    size_t best = 0;
    for (size_t j = 1; j + 1 < out.size(); ++j)
      if (cost(out[j].first, out[j + 1].second) < cost(out[best].first, out[best + 1].second)) best = j;
    out[best].second = out[best + 1].second;
    out.erase(out.begin() + long(best) + 1);
  }
  // Fewer than asked (a few costly nodes): split the costliest slice of two nodes or more.
  while (out.size() < slices) {
    size_t worst = SIZE_MAX;
    for (size_t j = 0; j < out.size(); ++j)
      if (out[j].second - out[j].first >= 2 &&
          (worst == SIZE_MAX || cost(out[j].first, out[j].second) > cost(out[worst].first, out[worst].second)))
        worst = j;
    if (worst == SIZE_MAX) break;
    const auto [a, b] = out[worst];
    const size_t mid = a + (b - a) / 2;
    out[worst] = {a, mid};
    out.insert(out.begin() + long(worst) + 1, {mid, b});
  }
  return out;
}

}  // namespace zks::circuits
