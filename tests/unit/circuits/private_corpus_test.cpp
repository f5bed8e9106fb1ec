// Private-input proofs on every corpus model the private prover takes, and the age model
// (the selfie case), Release only: the sanitizer runs take private_proof_test.cpp.
#include <catch2/catch.hpp>

#include "unit/circuits/private_case.hpp"

using namespace zks::test::priv;

TEST_CASE("private proofs of every corpus network verify at 100 bits", "[private]") {
  // Every corpus model; age below, paddleocr_cls in private_large_test.cpp.
  const auto name = GENERATE(as<std::string>{}, "1l_average", "1l_batch_norm", "1l_concat", "1l_conv",
                             "1l_conv_transpose", "1l_div", "1l_downsample", "1l_eltwise_div", "1l_elu", "1l_erf",
                             "1l_flatten", "1l_gelu_noappx", "1l_gelu_tanh_appx", "1l_identity", "1l_leakyrelu",
                             "1l_linear", "1l_max_pool", "1l_mean", "1l_mlp", "1l_pad", "1l_prelu", "1l_relu",
                             "1l_reshape", "1l_sigmoid", "1l_slice", "1l_softmax", "1l_sqrt", "1l_tanh",
                             "1l_upsample", "1l_var", "2l_relu_fc", "2l_relu_sigmoid_conv", "3l_relu_conv_fc",
                             "4l_relu_conv_fc", "accuracy", "eye", "idolmodel", "large_op_graph", "layernorm",
                             "mnist_gan", "multihead_attention", "prelu_gmm", "quantize_dequantize", "sklearn_mlp",
                             "softsign", "tutorial", "variable_cnn", "wakeword_hello_deepa");
  INFO(name);
  const Case k = load(name);
  REQUIRE(c::check_private_provable(k.m.q).ok());
  check_proves(k);
}

TEST_CASE("the age model proves privately: the photo is not in the proof", "[private][age]") {
  const Case k = load("age");
  REQUIRE(k.st.outputs.size() == 9);
  check_proves(k, 3);  // another age offset: rejected
}


TEST_CASE("age on an overexposed photo (its requantizations clamp) proves", "[private][age]") {
  // Every pixel white: a Mul near the head clamps; the proof shows it.
  const Case k = load("age");
  uint64_t saturations = 0;
  const Case white = on_input(k, k.m.q.act_hi(), &saturations);
  REQUIRE(saturations > 0);
  check_proves(white, 3);
}

TEST_CASE("private bundles of corpus networks verify, cut anywhere", "[private][bundle]") {
  // Every single cut (five spread out on larger networks), and one node a slice: layout
  // ops kept in place at a cut, tensors read by several slices, model outputs made
  // before the last slice.
  const auto name = GENERATE(as<std::string>{}, "sklearn_mlp", "3l_relu_conv_fc", "4l_relu_conv_fc", "tutorial",
                             "idolmodel", "prelu_gmm", "layernorm", "multihead_attention", "large_op_graph");
  INFO(name);
  const Case k = load(name);
  const size_t n = k.m.q.nodes.size();
  REQUIRE(n >= 2);
  std::vector<std::vector<size_t>> partitions;
  const size_t singles = std::min<size_t>(n - 1, 5);
  for (size_t i = 1; i <= singles; ++i) partitions.push_back({std::max<size_t>(1, i * n / (singles + 1))});
  const size_t parts = std::min<size_t>(n, c::kMaxBundleSlices);
  std::vector<size_t> many;
  for (size_t i = 1; i < parts; ++i) many.push_back(i * n / parts);
  partitions.push_back(many);
  for (const auto& cuts : partitions) {
    INFO("cuts at " << cuts.front() << " (" << cuts.size() << ")");
    const auto ranges = ranges_at(k, cuts);
    auto b = bundle_of(k, ranges);
    CHECK(b.outputs == k.st.outputs);
    CHECK(bundle_rejection(k, ranges, b).empty());
    b.outputs.back().back() += 1;
    CHECK_FALSE(bundle_rejection(k, ranges, b).empty());
  }
}

TEST_CASE("age as four slices proves privately (the photo shared by two)", "[private][age][bundle]") {
  const Case k = load("age");
  const auto ranges = ranges_at(k, {2, 8, 17});  // zkslice compile --slices 4
  auto slices = c::private_slices(k.m.q, ranges);
  REQUIRE(slices.ok());
  // The photo is read by slice 0 and by the second branch's first conv in slice 2; slice
  // 1 neither reads nor commits it.
  const int photo = k.m.q.inputs[0];
  CHECK((*slices)[0].shared == std::map<int, unsigned>{{photo, 2}, {k.m.q.nodes[1].outputs[0], 2}});
  CHECK_FALSE((*slices)[1].shared.count(photo));
  CHECK((*slices)[2].shared.count(photo));
  auto b = bundle_of(k, ranges);
  std::vector<c::SliceTiming> timings;
  CHECK(bundle_rejection(k, ranges, b, &timings).empty());
  CHECK(c::bundle_soundness_bits(timings) >= 100.0);
  b.outputs[3][0] += 1;
  CHECK_FALSE(bundle_rejection(k, ranges, b).empty());
}
