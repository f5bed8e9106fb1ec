// Whole-network slice proofs: prove, verify, proof size, and the quantized forward pass
// they attest (the ratio is DESIGN.md section 7's "within 30x of the forward pass").
//   build/tests/bench/bench_slice --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <string>

#include "circuits/slice/slice_proof.hpp"
#include "model/io.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"
#include "util/assert.hpp"
#include "util/memory.hpp"

namespace {

namespace c = zks::circuits;
namespace model = zks::model;

// As the CLI and the miner run (before any thread starts).
const bool kAllocatorTuned = (zks::util::tune_allocator_for_proving(true), true);

struct Net {
  model::QModel q;
  std::vector<model::Tensor> inputs;
  c::SliceStatement st;
};

const char* kNets[] = {"1l_conv",         "1l_mlp",       "3l_relu_conv_fc", "4l_relu_conv_fc", "2l_relu_sigmoid_conv",
                        "1l_max_pool",     "1l_average",   "variable_cnn",    "accuracy",        "1l_prelu",
                        "1l_mean"};

Net& net(int i) {
  static std::vector<std::unique_ptr<Net>> nets(std::size(kNets));
  if (nets[i]) return *nets[i];
  auto n = std::make_unique<Net>();
  std::string dir = std::string(ZKS_CORPUS_DIR) + "/" + kNets[i];
  auto in = model::load_tensors_json(dir + "/input.json", "input");
  ZK_ASSERT(in.ok());
  model::ImportOptions opts;
  for (size_t k = 0; k < in->names.size(); ++k) opts.input_shapes[in->names[k]] = in->tensors[k].shape;
  auto g = model::import_onnx_file(dir + "/model.onnx", opts);
  ZK_ASSERT(g.ok());
  auto q = model::quantize(*g, {in->tensors});
  ZK_ASSERT(q.ok());
  n->q = std::move(q).value();
  n->inputs = in->tensors;
  auto run = model::run_int(n->q, n->inputs);
  ZK_ASSERT(run.ok());
  n->st.model = &n->q;
  n->st.first = 0, n->st.end = n->q.nodes.size();
  n->st.inputs = n->q.inputs, n->st.outputs = n->q.outputs;
  for (int t : n->st.inputs) n->st.input_values.push_back(run->values[t]);
  for (int t : n->st.outputs) n->st.output_values.push_back(run->values[t]);
  nets[i] = std::move(n);
  return *nets[i];
}

void BM_Forward(benchmark::State& state) {
  Net& n = net(int(state.range(0)));
  state.SetLabel(kNets[state.range(0)]);
  for (auto _ : state) benchmark::DoNotOptimize(model::run_int(n.q, n.inputs));
}

// Second argument 1: the weight commitment cached across proofs, as in a miner or a
// validator that sees the model again (pcs::commit_cached); 0: committed every time.
void set_weight_cache(benchmark::State& state) {
  zks::pcs::set_commit_cache_capacity(state.range(1) ? zks::pcs::kCommitCacheBytes : 0);
  state.SetLabel(std::string(kNets[state.range(0)]) + (state.range(1) ? " (weights cached)" : ""));
}

void BM_Prove(benchmark::State& state) {
  Net& n = net(int(state.range(0)));
  set_weight_cache(state);
  const auto params = zks::pcs::Params::standard();
  size_t bytes = 0;
  for (auto _ : state) {
    auto p = c::prove_slice(n.st, params);
    ZK_ASSERT(p.ok());
    bytes = p->size();
  }
  state.counters["proof_bytes"] = double(bytes);
}

void BM_Verify(benchmark::State& state) {
  Net& n = net(int(state.range(0)));
  set_weight_cache(state);
  const auto params = zks::pcs::Params::standard();
  auto p = c::prove_slice(n.st, params);
  ZK_ASSERT(p.ok());
  for (auto _ : state) ZK_ASSERT(c::verify_slice(n.st, *p, params).ok());
}

BENCHMARK(BM_Forward)->DenseRange(0, std::size(kNets) - 1)->Unit(benchmark::kMillisecond);
const std::vector<int64_t> kAllNets = benchmark::CreateDenseRange(0, std::size(kNets) - 1, 1);
BENCHMARK(BM_Prove)->ArgsProduct({kAllNets, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Verify)->ArgsProduct({kAllNets, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
