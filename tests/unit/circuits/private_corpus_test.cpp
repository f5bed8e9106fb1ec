// Private-input proofs on every corpus model the private prover takes, and the age model
// (the selfie case), Release only: the sanitizer runs take private_proof_test.cpp.
#include <catch2/catch.hpp>

#include "circuits/slice/private_proof.hpp"
#include "unit/circuits/compiled.hpp"

namespace c = zks::circuits;
using zks::field::Fp;

namespace {

const zks::pcs::Params kParams = zks::pcs::Params::standard();

zks::pcs::Seed seed_of(uint8_t b) {
  zks::pcs::Seed s{};
  s.fill(b);
  return s;
}

struct Case {
  zks::test::Compiled m;
  c::PrivateStatement st;
  std::vector<std::vector<int64_t>> inputs;
};

Case load(const std::string& name) {
  Case k{zks::test::compile(name), {}, {}};
  k.st.model = &k.m.q;
  for (int t : k.m.q.outputs) k.st.outputs.push_back(k.m.run.values[size_t(t)]);
  for (int t : k.m.q.inputs) k.inputs.push_back(k.m.run.values[size_t(t)]);
  k.st.binding.job_id[0] = 7;
  return k;
}

// The statement must point at the case's own model after a copy.
c::PrivateStatement statement_of(const Case& k) {
  auto st = k.st;
  st.model = &k.m.q;
  return st;
}

zks::util::Bytes proved(const Case& k, const c::PrivateTamper& tamper = {}, uint8_t seed = 1) {
  auto proof = c::prove_private(statement_of(k), k.inputs, kParams, seed_of(seed), tamper);
  INFO((proof.ok() ? std::string() : proof.error()));
  REQUIRE(proof.ok());
  return std::move(proof).value();
}

std::string rejection(const Case& k, const zks::util::Bytes& proof, const c::PrivateStatement* st = nullptr) {
  auto s = c::verify_private(st ? *st : statement_of(k), proof, kParams);
  return s.ok() ? std::string() : s.error();
}

}  // namespace

TEST_CASE("private proofs of dense networks and table ops verify at 100 bits", "[private]") {
  // Every corpus model the private prover takes (the rest are refused: see
  // private_proof_test.cpp), age below.
  const auto name = GENERATE(as<std::string>{}, "1l_average", "1l_batch_norm", "1l_concat", "1l_conv",
                             "1l_conv_transpose", "1l_div", "1l_downsample", "1l_elu", "1l_erf", "1l_flatten",
                             "1l_gelu_noappx", "1l_gelu_tanh_appx", "1l_identity", "1l_leakyrelu", "1l_linear",
                             "1l_max_pool", "1l_mean", "1l_mlp", "1l_pad", "1l_prelu", "1l_relu", "1l_reshape",
                             "1l_sigmoid", "1l_slice", "1l_sqrt", "1l_tanh", "1l_upsample", "1l_var", "2l_relu_fc",
                             "2l_relu_sigmoid_conv", "3l_relu_conv_fc", "4l_relu_conv_fc", "accuracy", "eye",
                             "idolmodel", "mnist_gan", "prelu_gmm", "quantize_dequantize", "sklearn_mlp",
                             "variable_cnn");
  INFO(name);
  const Case k = load(name);
  REQUIRE(c::check_private_provable(k.m.q).ok());
  const auto proof = proved(k);
  zks::transcript::SoundnessLedger ledger;
  auto s = c::verify_private(statement_of(k), proof, kParams, &ledger);
  INFO(s.error());
  REQUIRE(s.ok());
  CHECK(ledger.bits() >= 100.0);
  // The output changed by one: rejected.
  auto st = statement_of(k);
  st.outputs[0][0] += 1;
  CHECK_FALSE(rejection(k, proof, &st).empty());
}


TEST_CASE("the age model proves privately: the photo is not in the proof", "[private][age]") {
  const Case k = load("age");
  REQUIRE(k.st.outputs.size() == 9);
  const auto proof = proved(k);
  zks::transcript::SoundnessLedger ledger;
  auto s = c::verify_private(statement_of(k), proof, kParams, &ledger);
  INFO(s.error());
  REQUIRE(s.ok());
  CHECK(ledger.bits() >= 100.0);
  auto st = statement_of(k);
  st.outputs[3][0] += 1;  // another age offset
  CHECK_FALSE(rejection(k, proof, &st).empty());
}
