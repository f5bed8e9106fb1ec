// Larger slice proofs, run in the Release test pass only (not under the sanitizers).
#include <catch2/catch.hpp>
#include <chrono>
#include <random>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/fingerprint.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "unit/circuits/compiled.hpp"

namespace c = zks::circuits;
namespace model = zks::model;

namespace {

using zks::test::Compiled;
using zks::test::compile;


const zks::pcs::Params kParams = zks::pcs::Params::standard();

}  // namespace

TEST_CASE("paddleocr_cls proves whole in 25 slices (depthwise convs, squeeze-excite broadcasts, HardSwish, Softmax)", "[circuits][slice]") {
  Compiled m = compile("paddleocr_cls");
  size_t softmax = 0;
  while (softmax < m.q.nodes.size() && m.q.nodes[softmax].op != "Softmax") ++softmax;
  REQUIRE(softmax > 24);
  REQUIRE(softmax < m.q.nodes.size());
  // Several slices (one slice's witness would exceed the commitment's 2^22 limit).
  std::vector<size_t> cuts;
  for (size_t k = 1; k < 24; ++k) cuts.push_back(softmax * k / 24);
  cuts.push_back(softmax);
  auto slices = zks::slicer::slices_at(m.q, cuts);
  std::mt19937_64 rng(11);
  REQUIRE(slices.back().end == m.q.nodes.size());  // the last slice holds the softmax
  for (size_t j = 0; j < slices.size(); ++j) {
    CAPTURE(j);
    c::SliceStatement st;
    st.model = &m.q;
    st.first = slices[j].first, st.end = slices[j].end;
    st.inputs = slices[j].inputs, st.outputs = slices[j].outputs;
    for (int t : st.inputs) st.input_values.push_back(m.run.values[t]);
    for (int t : st.outputs) st.output_values.push_back(m.run.values[t]);
    auto proof = c::prove_slice(st, kParams);
    INFO((proof.ok() ? std::string() : proof.error()));
    REQUIRE(proof.ok());
    REQUIRE(c::verify_slice(st, *proof, kParams).ok());
    auto bad = *proof;
    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
    REQUIRE_FALSE(c::verify_slice(st, bad, kParams).ok());
  }
}

TEST_CASE("mnist_gan proves (Gemm, transposed convolutions, Tanh)", "[circuits][slice]") {
  Compiled m = compile("mnist_gan");
  auto st = zks::test::whole_statement(m);
  auto proof = c::prove_slice(st, kParams);
  INFO((proof.ok() ? std::string() : proof.error()));
  REQUIRE(proof.ok());
  REQUIRE(c::verify_slice(st, *proof, kParams).ok());
  st.output_values[0][10] += 1;
  REQUIRE_FALSE(c::verify_slice(st, *proof, kParams).ok());
}
