#pragma once
// A corpus model imported, quantized and run: what the slice tests prove.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "model/io.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"

namespace zks::test {

struct Compiled {
  model::QModel q;
  model::IntRun run;
};

inline Compiled compile(const std::string& name, bool expand_layer_norm = true) {
  // The build's corpus, or ZKS_CORPUS_DIR from the environment (binaries carried to
  // another machine, tests/gpu/device.sh).
  const char* env = std::getenv("ZKS_CORPUS_DIR");
  std::string dir = std::string(env && *env ? env : ZKS_CORPUS_DIR) + "/" + name;
  auto in = model::load_tensors_json(dir + "/input.json", "input");
  REQUIRE(in.ok());
  model::ImportOptions opts;
  opts.expand_layer_norm = expand_layer_norm;
  for (size_t i = 0; i < in->names.size(); ++i) opts.input_shapes[in->names[i]] = in->tensors[i].shape;
  auto g = model::import_onnx_file(dir + "/model.onnx", opts);
  REQUIRE(g.ok());
  auto q = model::quantize(*g, {in->tensors});
  REQUIRE(q.ok());
  auto run = model::run_int(*q, in->tensors);
  REQUIRE(run.ok());
  return {std::move(q).value(), std::move(run).value()};
}

// The statement of the whole model as one slice, its boundaries public.
inline circuits::SliceStatement whole_statement(const Compiled& m) {
  circuits::SliceStatement st;
  st.model = &m.q;
  st.first = 0, st.end = m.q.nodes.size();
  st.inputs = m.q.inputs, st.outputs = m.q.outputs;
  for (int t : st.inputs) st.input_values.push_back(m.run.values[t]);
  for (int t : st.outputs) st.output_values.push_back(m.run.values[t]);
  return st;
}

// The bundle of a manifest of m's model on m's input, checked to verify and to carry
// the model's outputs.
inline circuits::Bundle proved_bundle(const Compiled& m, const slicer::Manifest& man, const hash::Digest& id,
                                      const pcs::Params& params) {
  std::vector<std::vector<int64_t>> inputs;
  for (int t : man.model.inputs) inputs.push_back(m.run.values[t]);
  auto bundle = circuits::prove_bundle(man, id, inputs, params, 2, nullptr, {});
  INFO((bundle.ok() ? std::string() : bundle.error()));
  REQUIRE(bundle.ok());
  REQUIRE(circuits::verify_bundle(man, id, *bundle, params, nullptr).ok());
  for (int t : man.model.outputs) REQUIRE(bundle->tensors.at(t) == m.run.values[t]);
  return std::move(bundle).value();
}

}  // namespace zks::test
