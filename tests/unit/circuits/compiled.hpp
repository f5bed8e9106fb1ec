#pragma once
// A corpus model imported, quantized and run: what the slice tests prove.
#include <catch2/catch.hpp>
#include <string>

#include "model/io.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"

namespace zks::test {

struct Compiled {
  model::QModel q;
  model::IntRun run;
};

inline Compiled compile(const std::string& name) {
  std::string dir = std::string(ZKS_CORPUS_DIR) + "/" + name;
  auto in = model::load_tensors_json(dir + "/input.json", "input");
  REQUIRE(in.ok());
  model::ImportOptions opts;
  for (size_t i = 0; i < in->names.size(); ++i) opts.input_shapes[in->names[i]] = in->tensors[i].shape;
  auto g = model::import_onnx_file(dir + "/model.onnx", opts);
  REQUIRE(g.ok());
  auto q = model::quantize(*g, {in->tensors});
  REQUIRE(q.ok());
  auto run = model::run_int(*q, in->tensors);
  REQUIRE(run.ok());
  return {std::move(q).value(), std::move(run).value()};
}

}  // namespace zks::test
