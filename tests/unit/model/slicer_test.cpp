// Slicing: N slices run one after another from boundary tensors only give exactly the
// unsliced integer run (N = 1..8), and the manifest round-trips.
#include <catch2/catch.hpp>

#include "corpus_util.hpp"
#include "model/quantize.hpp"
#include "slicer/slicer.hpp"

using namespace zks;
using namespace zks::model;

namespace {
Result<QModel> compile_corpus(const std::string& m, NamedTensors& in) {
  auto t = load_tensors_json(test::corpus_path(m, "input.json"), "input");
  if (!t.ok()) return Error{t.error()};
  in = *t;
  auto g = import_onnx_file(test::corpus_path(m, "model.onnx"), test::import_options(in));
  if (!g.ok()) return Error{g.error()};
  return quantize(*g, {in.tensors});
}

std::vector<std::vector<int64_t>> run_sliced(const QModel& q, const std::vector<slicer::Slice>& sl,
                                             const IntRun& whole) {
  std::vector<std::vector<int64_t>> vals(q.tensors.size());
  for (int i : q.inputs) vals[i] = whole.values[i];
  for (const auto& s : sl) {
    std::vector<std::vector<int64_t>> bin;
    for (int t : s.inputs) bin.push_back(vals[t]);
    auto out = slicer::run_slice(q, s, bin);
    REQUIRE(out.ok());
    for (size_t k = 0; k < s.outputs.size(); ++k) vals[s.outputs[k]] = (*out)[k];
  }
  std::vector<std::vector<int64_t>> outs;
  for (int o : q.outputs) outs.push_back(vals[o]);
  return outs;
}
}  // namespace

TEST_CASE("sliced runs are bit-identical to the whole run", "[slicer]") {
  for (const char* m : {"age", "paddleocr_cls", "multihead_attention", "large_op_graph", "tutorial", "mnist_gan"}) {
    INFO("model " << m);
    NamedTensors in;
    auto q = compile_corpus(m, in);
    REQUIRE(q.ok());
    auto whole = run_int(*q, in.tensors);
    REQUIRE(whole.ok());
    std::vector<std::vector<int64_t>> expect;
    for (int o : q->outputs) expect.push_back(whole->values[o]);
    for (int n = 1; n <= 8; ++n) {
      INFO("slices " << n);
      auto sl = slicer::plan_slices(*q, {n, 0, 0});
      REQUIRE(sl.ok());
      CHECK(sl->size() == static_cast<size_t>(std::min<size_t>(n, q->nodes.size())));
      CHECK(run_sliced(*q, *sl, *whole) == expect);
    }
    // Every single cut position, including inside residual branches.
    for (size_t c = 1; c < q->nodes.size(); c += std::max<size_t>(1, q->nodes.size() / 23)) {
      auto sl = slicer::slices_at(*q, {c});
      CHECK(run_sliced(*q, sl, *whole) == expect);
    }
  }
}

TEST_CASE("a cut inside a residual branch carries every live tensor", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("paddleocr_cls", in);
  REQUIRE(q.ok());
  size_t widest = 0;
  for (size_t c = 1; c < q->nodes.size(); ++c) widest = std::max(widest, slicer::boundary(*q, c).size());
  CHECK(widest >= 2);
}

TEST_CASE("budgets by memory and time, and the manifest round trip", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("age", in);
  REQUIRE(q.ok());
  auto one = slicer::plan_slices(*q, {1, 0, 0});
  REQUIRE(one.ok());
  double total = one->at(0).cost.prove_ms;
  double biggest = 0;
  for (const auto& n : q->nodes) biggest = std::max(biggest, slicer::estimate_cost(*q, n).prove_ms);
  double budget = std::max(biggest, total / 4);
  auto by_time = slicer::plan_slices(*q, {0, 0, budget});
  REQUIRE(by_time.ok());
  CHECK(by_time->size() >= 2);
  for (const auto& s : *by_time) CHECK(s.cost.prove_ms <= budget + 1e-9);
  CHECK(!slicer::plan_slices(*q, {0, 1e-6, 0}).ok());

  slicer::Manifest man{*q, *by_time, {}};
  auto bytes = slicer::serialize_manifest(man);
  auto bytes2 = slicer::serialize_manifest(man);
  CHECK(bytes == bytes2);
  CHECK(slicer::manifest_id(bytes).size() == 64);
  auto back = slicer::parse_manifest(bytes);
  REQUIRE(back.ok());
  CHECK(slicer::serialize_manifest(*back) == bytes);
  auto r1 = run_int(*q, in.tensors), r2 = run_int(back->model, in.tensors);
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  for (int o : q->outputs) CHECK(r1->values[o] == r2->values[o]);
  // Corrupt manifests are errors, never crashes.
  for (size_t cut : {size_t(10), bytes.size() / 2}) {
    util::Bytes t(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    CHECK(!slicer::parse_manifest(t).ok());
  }
}
