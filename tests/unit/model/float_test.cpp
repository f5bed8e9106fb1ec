// The float executor against onnxruntime's reference outputs for every corpus model.
#include <catch2/catch.hpp>

#include "corpus_util.hpp"
#include "model/float_exec.hpp"
#include "model/onnx_import.hpp"

using namespace zks::model;

TEST_CASE("float executor matches onnxruntime on the corpus", "[model][float]") {
  for (const auto& m : test::corpus_models()) {
    INFO("model " << m);
    auto in = load_tensors_json(test::corpus_path(m, "input.json"), "input");
    auto ref = load_tensors_json(test::corpus_path(m, "reference.json"), "output");
    REQUIRE(in.ok());
    auto g = import_onnx_file(test::corpus_path(m, "model.onnx"), test::import_options(*in));
    if (!g.ok()) {
      WARN(m << ": refused: " << g.error());
      continue;
    }
    REQUIRE(ref.ok());
    auto out = run_float(*g, in->tensors);
    REQUIRE(out.ok());
    REQUIRE(out->size() == ref->tensors.size());
    for (size_t i = 0; i < out->size(); ++i) {
      auto a = compare((*out)[i].data, ref->tensors[i].data);
      INFO("output " << i << " max_abs " << a.max_abs << " rel_l2 " << a.rel_l2);
      CHECK(a.max_abs < 1e-3);
      CHECK(a.rel_l2 < 1e-4);
    }
  }
}
