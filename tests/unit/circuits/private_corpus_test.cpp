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
