#pragma once
// A corpus model as a private-input proof's case: its statement (the outputs of its run),
// its inputs, and the prove / verify helpers the private proof tests share.
#include <catch2/catch.hpp>

#include "circuits/slice/private_proof.hpp"
#include "unit/circuits/compiled.hpp"

namespace zks::test::priv {

namespace c = zks::circuits;
using zks::field::Fp;

inline const zks::pcs::Params kParams = zks::pcs::Params::standard();

inline zks::pcs::Seed seed_of(uint8_t b) {
  zks::pcs::Seed s{};
  s.fill(b);
  return s;
}

struct Case {
  zks::test::Compiled m;
  c::PrivateStatement st;
  std::vector<std::vector<int64_t>> inputs;
};

inline Case load(const std::string& name) {
  Case k{zks::test::compile(name), {}, {}};
  k.st.model = &k.m.q;
  for (int t : k.m.q.outputs) k.st.outputs.push_back(k.m.run.values[size_t(t)]);
  for (int t : k.m.q.inputs) k.inputs.push_back(k.m.run.values[size_t(t)]);
  k.st.binding.job_id[0] = 7;
  return k;
}

// A graph built in a test (calibrated on `inputs`) as a case, run on those inputs.
inline Case of_graph(const zks::model::Graph& g, const std::vector<zks::model::Tensor>& inputs) {
  auto q = zks::model::quantize(g, {inputs});
  INFO((q.ok() ? std::string() : q.error()));
  REQUIRE(q.ok());
  auto run = zks::model::run_int(*q, inputs);
  REQUIRE(run.ok());
  Case k{{std::move(q).value(), std::move(run).value()}, {}, {}};
  k.st.model = &k.m.q;
  for (int t : k.m.q.outputs) k.st.outputs.push_back(k.m.run.values[size_t(t)]);
  for (int t : k.m.q.inputs) k.inputs.push_back(k.m.run.values[size_t(t)]);
  k.st.binding.job_id[0] = 7;
  return k;
}

// The case on other inputs (dense, in the model's input order), with the outputs the
// executor gives; `saturations` counts its clamps.
inline Case on_inputs(const Case& k, std::vector<std::vector<int64_t>> inputs, uint64_t* saturations = nullptr) {
  Case c = k;
  c.inputs = std::move(inputs);
  c.m.run.values.assign(c.m.q.tensors.size(), {});
  c.m.run.saturations = 0;
  for (size_t i = 0; i < c.inputs.size(); ++i) c.m.run.values[size_t(c.m.q.inputs[i])] = c.inputs[i];
  auto s = zks::model::run_int_range(c.m.q, 0, c.m.q.nodes.size(), c.m.run);
  INFO(s.error());
  REQUIRE(s.ok());
  c.st.outputs.clear();
  for (int t : c.m.q.outputs) c.st.outputs.push_back(c.m.run.values[size_t(t)]);
  if (saturations) *saturations = c.m.run.saturations;
  return c;
}

// Every input entry `value` (an extreme input, where requantizations clamp).
inline Case on_input(const Case& k, int64_t value, uint64_t* saturations = nullptr) {
  auto inputs = k.inputs;
  for (auto& in : inputs) std::fill(in.begin(), in.end(), value);
  return on_inputs(k, std::move(inputs), saturations);
}

// The statement must point at the case's own model after a copy.
inline c::PrivateStatement statement_of(const Case& k) {
  auto st = k.st;
  st.model = &k.m.q;
  return st;
}

inline zks::util::Bytes proved(const Case& k, const c::PrivateTamper& tamper = {}, uint8_t seed = 1) {
  auto proof = c::prove_private(statement_of(k), k.inputs, kParams, seed_of(seed), tamper);
  INFO((proof.ok() ? std::string() : proof.error()));
  REQUIRE(proof.ok());
  return std::move(proof).value();
}

inline std::string rejection(const Case& k, const zks::util::Bytes& proof, const c::PrivateStatement* st = nullptr) {
  auto s = c::verify_private(st ? *st : statement_of(k), proof, kParams);
  return s.ok() ? std::string() : s.error();
}


// Proves the case, verifies it at 100 bits or more, and checks that the proof does not
// verify with output `out`'s first entry changed by one.
inline void check_proves(const Case& k, size_t out = 0) {
  const auto proof = proved(k);
  zks::transcript::SoundnessLedger ledger;
  auto s = c::verify_private(statement_of(k), proof, kParams, &ledger);
  INFO(s.error());
  REQUIRE(s.ok());
  CHECK(ledger.bits() >= 100.0);
  auto st = statement_of(k);
  st.outputs.at(out).at(0) += 1;
  CHECK_FALSE(rejection(k, proof, &st).empty());
}

}  // namespace zks::test::priv

namespace zks::test::priv {

// A partition of the model's nodes at `cuts` (ascending, inside (0, nodes)).
inline std::vector<std::pair<size_t, size_t>> ranges_at(const Case& k, const std::vector<size_t>& cuts) {
  std::vector<std::pair<size_t, size_t>> r;
  size_t first = 0;
  for (size_t c : cuts) r.emplace_back(first, c), first = c;
  r.emplace_back(first, k.m.q.nodes.size());
  return r;
}

inline c::PrivateBundleFile bundle_of(const Case& k, const std::vector<std::pair<size_t, size_t>>& ranges,
                                      uint8_t seed = 1) {
  auto b = c::prove_private_bundle(k.m.q, ranges, {}, k.st.binding, k.inputs, kParams, seed_of(seed));
  INFO((b.ok() ? std::string() : b.error()));
  REQUIRE(b.ok());
  return std::move(b).value();
}

// The bundle verified with its partition set to `ranges` (another partition: a changed
// bundle file).
inline std::string bundle_rejection(const Case& k, const std::vector<std::pair<size_t, size_t>>& ranges,
                                    c::PrivateBundleFile b, std::vector<c::SliceTiming>* timings = nullptr) {
  b.ranges = ranges;
  auto s = c::verify_private_bundle(k.m.q, {}, k.st.binding, b, kParams, timings);
  return s.ok() ? std::string() : s.error();
}

}  // namespace zks::test::priv
