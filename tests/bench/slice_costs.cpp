// Measured prove time of every slice of corpus models cut into 1..N slices, with the
// slicer's features of each slice (slicer::slice_features), one JSON object a line: the
// data tests/bench/fit_slice_cost.py fits the slicer's cost model to. Each slice is
// proved as a miner proves it (prove_slice_job), once to warm up (allocator, twiddles,
// weight cache), then `--rounds` times; a slice's time is its fastest round. Run it on one thread, as a slice is proved on
// its own core when slices are proved in parallel:
//   taskset -c 0 build/tests/bench/slice_costs --threads 1 --slices 1,2,3,4 age variable_cnn ...
// or one partition of your own, cut before nodes 3, 14 and 22:
//   taskset -c 0 build/tests/bench/slice_costs --threads 1 --cuts 3,14,22 age
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/fingerprint.hpp"
#include "model/io.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"
#include "slicer/slicer.hpp"
#include "util/memory.hpp"
#include "util/thread_pool.hpp"

namespace {

namespace c = zks::circuits;
namespace model = zks::model;
namespace slicer = zks::slicer;

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  for (size_t at = 0; at < s.size();) {
    size_t comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::atoi(s.substr(at, comma - at).c_str()));
    at = comma + 1;
  }
  return out;
}

int fail(const std::string& name, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", name.c_str(), why.c_str());
  return 1;
}

// `counts`: slice counts the slicer plans; `cuts` (when not empty): one partition of
// the caller's, cut before each node listed.
int measure(const std::string& name, const std::vector<int>& counts, const std::vector<int>& cuts, int rounds) {
  const std::string dir = std::string(ZKS_CORPUS_DIR) + "/" + name;
  auto in = model::load_tensors_json(dir + "/input.json", "input");
  if (!in.ok()) return fail(name, in.error());
  model::ImportOptions opts;
  for (size_t k = 0; k < in->names.size(); ++k) opts.input_shapes[in->names[k]] = in->tensors[k].shape;
  auto g = model::import_onnx_file(dir + "/model.onnx", opts);
  if (!g.ok()) return fail(name, g.error());
  auto q = model::quantize(*g, {in->tensors});
  if (!q.ok()) return fail(name, q.error());
  auto run = model::run_int(*q, in->tensors);
  if (!run.ok()) return fail(name, run.error());
  std::vector<std::vector<int64_t>> inputs;
  for (int t : q->inputs) inputs.push_back(run->values[t]);
  const auto params = zks::pcs::Params::standard();
  // The models to measure, each with its slices (the slicer may reorder the nodes).
  std::vector<slicer::Manifest> partitions;
  if (!cuts.empty()) partitions.push_back({*q, slicer::slices_at(*q, {cuts.begin(), cuts.end()}), {}, {}, {}, {}, {}});
  for (int k : cuts.empty() ? counts : std::vector<int>{}) {
    if (k > static_cast<int>(q->nodes.size())) continue;
    slicer::Manifest man{*q, {}, {}, {}, {}, {}, {}};
    auto sl = slicer::plan_slices(man.model, {k, 0, 0});
    if (!sl.ok()) return fail(name, sl.error());
    man.slices = std::move(sl).value();
    partitions.push_back(std::move(man));
  }
  for (auto& man : partitions) {
    const int k = static_cast<int>(man.slices.size());
    if (auto st = c::seal_manifest(man, params); !st.ok()) return fail(name, st.error());
    const auto hash = slicer::manifest_hash(slicer::serialize_manifest(man));
    std::vector<double> best(man.slices.size(), std::numeric_limits<double>::infinity());
    std::vector<size_t> bytes(man.slices.size());
    auto sealed = c::seal_check(man, hash, params);
    if (!sealed.ok()) return fail(name, sealed.error());
    auto full = model::run_int(man.model, in->tensors);  // the slicer may have reordered the nodes
    if (!full.ok()) return fail(name, full.error());
    // Each slice as a miner proves it (prove_slice_job): from its input values, its
    // private boundaries committed once, in the job.
    for (int r = 0; r <= rounds; ++r)
      for (size_t j = 0; j < man.slices.size(); ++j) {
        std::vector<std::vector<int64_t>> slice_inputs;
        for (int t : man.slices[j].inputs) slice_inputs.push_back(full->values[t]);
        const auto t0 = std::chrono::steady_clock::now();
        auto job = c::prove_slice_job(*sealed, j, slice_inputs, params, {});
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!job.ok()) return fail(name, job.error());
        if (r == 0) continue;  // warm-up
        best[j] = std::min(best[j], ms), bytes[j] = job->proof.size();
      }
    for (size_t j = 0; j < man.slices.size(); ++j) {
      const auto& s = man.slices[j];
      const auto f = slicer::slice_features(man.model, s.first, s.end);
      std::printf("{\"model\":\"%s\",\"slices\":%d,\"index\":%zu,\"first\":%zu,\"end\":%zu,\"ms\":%.2f,"
                  "\"bytes\":%zu,\"estimate_ms\":%.2f,\"sumcheck\":%.0f,\"gather\":%.0f,\"committed\":%.0f,"
                  "\"lookups\":%.0f,\"weights\":%.0f,\"table_entries\":%.0f,\"inputs_read\":%.0f,"
                  "\"input_elements\":%.0f,\"outputs_made\":%.0f,\"output_elements\":%.0f,\"range_entries\":%.0f,"
                  "\"range_table\":%.0f}\n",
                  name.c_str(), k, j, s.first, s.end, best[j], bytes[j], s.cost.prove_ms, f.sumcheck, f.gather,
                  f.committed, f.lookups, f.weights, f.table_entries, f.inputs_read, f.input_elements, f.outputs_made,
                  f.output_elements, f.range_entries, f.range_table);
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  zks::util::tune_allocator_for_proving(true);
  std::vector<int> counts = {1, 2, 3, 4}, cuts;
  int rounds = 3, threads = 0, status = 0;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--slices" && i + 1 < argc) counts = parse_list(argv[++i]);
    else if (a == "--cuts" && i + 1 < argc) cuts = parse_list(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--threads" && i + 1 < argc) threads = std::max(1, std::atoi(argv[++i]));
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "usage: slice_costs [--threads T] [--rounds R] [--slices 1,2,4 | --cuts 3,14,22] MODEL...\n");
      return 2;
    } else names.push_back(a);
  }
  if (threads > 0) zks::util::ThreadPool::set_global_threads(static_cast<size_t>(threads));
  for (const auto& n : names) status |= measure(n, counts, cuts, rounds);
  return status;
}
