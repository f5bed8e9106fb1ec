// Private-input proofs (circuits/slice/private_proof.hpp) on corpus models: completeness
// with the input never in the statement, refusals that name the node, and tampering
// (proof bytes, statement fields, witness columns) rejected.
#include <catch2/catch.hpp>
#include <random>

#include "circuits/slice/private_plan.hpp"
#include "unit/circuits/private_case.hpp"

using namespace zks::test::priv;
using zks::field::Fp;
using zks::field::Fp2;

namespace {

// The case is provable, proves and verifies, and output 0 changed at each of `at` is
// rejected.
void proves_privately(const Case& k, std::initializer_list<size_t> at) {
  auto provable = c::check_private_provable(k.m.q);
  INFO((provable.ok() ? std::string() : provable.error()));
  REQUIRE(provable.ok());
  const auto proof = proved(k);
  CHECK(rejection(k, proof).empty());
  for (size_t i : at) {
    auto st = statement_of(k);
    st.outputs[0].at(i) += 1;
    CHECK_FALSE(rejection(k, proof, &st).empty());
  }
}

zks::model::Node unsqueeze(int x, int u, int64_t axis) {
  zks::model::Node n;
  n.op = "Unsqueeze", n.name = "unsq", n.inputs = {x}, n.outputs = {u};
  zks::model::Attr axes;
  axes.kind = zks::model::Attr::Kind::Ints, axes.ints = {axis};
  n.attrs["axes"] = axes;
  return n;
}

}  // namespace

TEST_CASE("private proofs of small networks verify, and another output is rejected", "[private]") {
  const auto name = GENERATE(as<std::string>{}, "1l_mlp", "1l_max_pool", "1l_conv", "1l_gelu_noappx", "tutorial");
  INFO(name);
  check_proves(load(name));
}

TEST_CASE("codewords kept or made again in the opening give the same proof", "[private]") {
  const Case k = load("1l_mlp");
  auto with_budget = [&](size_t bytes) {
    auto proof = c::prove_private(statement_of(k), k.inputs, kParams, seed_of(3), {}, {}, bytes);
    INFO((proof.ok() ? std::string() : proof.error()));
    REQUIRE(proof.ok());
    return std::move(proof).value();
  };
  const auto made_again = with_budget(0), kept = with_budget(SIZE_MAX);
  CHECK(made_again == kept);
  CHECK(rejection(k, made_again).empty());
}

TEST_CASE("a private proof refuses what it cannot prove, naming it", "[private]") {
  {  // An op it does not take (every corpus op it does): named, before any work.
    Case c = load("1l_relu");
    c.m.q.nodes[0].op = "Gather";
    auto s = c::check_private_provable(c.m.q);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error(), Catch::Contains("Gather node"));
    auto p = c::prove_private(statement_of(c), c.inputs, kParams, seed_of(1));
    REQUIRE_FALSE(p.ok());
    CHECK_THAT(p.error(), Catch::Contains("Gather node"));
  }
  {  // A division by zero (1l_eltwise_div on the input 0): refused, never proved.
    Case c = load("1l_eltwise_div");
    for (auto& v : c.inputs[0]) v = 0;
    auto p = c::prove_private(statement_of(c), c.inputs, kParams, seed_of(1));
    REQUIRE_FALSE(p.ok());
    CHECK_THAT(p.error(), Catch::Contains("Div node") && Catch::Contains("divides by 0"));
  }
  const Case k = load("accuracy");
  // Another output than the model's on this input.
  auto st = statement_of(k);
  st.outputs[0][0] += 1;
  auto wrong = c::prove_private(st, k.inputs, kParams, seed_of(1));
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error(), Catch::Contains("not the model's result"));
  // An input of the wrong size, an input entry out of the activation range.
  auto shorter = k.inputs;
  shorter[0].pop_back();
  CHECK_THAT(c::prove_private(statement_of(k), shorter, kParams, seed_of(1)).error(), Catch::Contains("entries"));
  auto big = k.inputs;
  big[0][0] = int64_t(1) << 20;
  CHECK_THAT(c::prove_private(statement_of(k), big, kParams, seed_of(1)).error(),
             Catch::Contains("outside the activation range"));
  // Garbage and an empty proof.
  CHECK_FALSE(rejection(k, {}).empty());
  CHECK_FALSE(rejection(k, zks::util::Bytes(200, 0x5a)).empty());
}

TEST_CASE("requantizations that clamp prove (accuracy on extreme inputs)", "[private]") {
  const Case k = load("accuracy");
  for (const int64_t v : {k.m.q.act_hi(), k.m.q.act_lo()}) {
    INFO(v);
    uint64_t saturations = 0;
    const Case c = on_input(k, v, &saturations);
    REQUIRE(saturations > 10);  // the executor clamped: the proof shows the clamps
    check_proves(c);
  }
}

TEST_CASE("a Div whose quotient clamps proves (1l_eltwise_div, rescaled)", "[private]") {
  // 1l_eltwise_div is x / (x + x), 8192 at its output scale; three more bits of output
  // scale make it 65536, which the executor clamps to 32767.
  Case k = load("1l_eltwise_div");
  const size_t div = k.m.q.nodes.size() - 1;
  REQUIRE(k.m.q.nodes[div].op == "Div");
  k.m.q.nodes[div].aux += 3;
  const Case c = on_inputs(k, k.inputs);
  REQUIRE(c.m.run.node_saturations.at(div) > 0);
  REQUIRE(c.st.outputs[0][0] == k.m.q.act_hi());
  check_proves(c);
  // The output moved off its bound (the excess following): rejected.
  const int y = k.m.q.nodes[div].outputs[0];
  c::PrivateTamper t;
  t.values = [&](std::map<int, std::vector<int64_t>>& v, auto&) { v.at(y)[0] -= 1; };
  CHECK_FALSE(rejection(c, proved(c, t)).empty());
}

TEST_CASE("a Concat of requantized parts proves (each part requantized first)", "[private]") {
  // 1l_concat with its parts at other scales: one shifted right (rounded), one left
  // (clamped where it leaves the range), as the executor does before it concatenates.
  Case k = load("1l_concat");
  int concat = -1;
  for (size_t i = 0; i < k.m.q.nodes.size(); ++i)
    if (k.m.q.nodes[i].op == "Concat") concat = int(i);
  REQUIRE(concat >= 0);
  auto& n = k.m.q.nodes[size_t(concat)];
  REQUIRE(n.inputs.size() >= 2);
  n.in_shift.assign(n.inputs.size(), 0);
  n.in_shift[0] = 3, n.in_shift[1] = -2;
  for (const int64_t v : {int64_t(0), k.m.q.act_hi(), k.m.q.act_lo()}) {
    INFO(v);
    uint64_t saturations = 0;
    const Case c = v == 0 ? on_inputs(k, k.inputs) : on_input(k, v, &saturations);
    if (v != 0) CHECK(saturations > 0);  // the left-shifted part clamps
    const auto proof = proved(c);
    CHECK(rejection(c, proof).empty());
    auto st = statement_of(c);
    st.outputs[0][0] += 1;
    CHECK_FALSE(rejection(c, proof, &st).empty());
  }
}

TEST_CASE("a Softmax after an Unsqueeze (its input kept in place) proves", "[private]") {
  // 1l_softmax with an Unsqueeze in front: the Unsqueeze keeps x's column, laid out as
  // [1, 3], where the Softmax's output is [1, 3, 1]; the plan copies x into that layout.
  const std::string dir = std::string(ZKS_CORPUS_DIR) + "/1l_softmax";
  auto in = zks::model::load_tensors_json(dir + "/input.json", "input");
  REQUIRE(in.ok());
  zks::model::ImportOptions opts;
  opts.input_shapes[in->names[0]] = in->tensors[0].shape;
  auto g = zks::model::import_onnx_file(dir + "/model.onnx", opts);
  REQUIRE(g.ok());
  REQUIRE(g->nodes.size() == 1);
  REQUIRE(g->nodes[0].op == "Softmax");
  const int x = g->nodes[0].inputs[0], y = g->nodes[0].outputs[0];
  auto shape = g->values[size_t(x)].shape;
  shape.push_back(1);
  const int u = g->add_value({"u", shape, false, {}});
  g->nodes[0].inputs[0] = u;
  g->values[size_t(y)].shape = shape;
  g->nodes.insert(g->nodes.begin(), unsqueeze(x, u, int64_t(shape.size()) - 1));
  proves_privately(of_graph(*g, in->tensors), {1});
}

TEST_CASE("a MatMul of an unsqueezed activation by itself proves", "[private]") {
  // y = u u with u = Unsqueeze(x) [1, 3, 3]: u's column is x's, laid out as [3, 3]; the
  // plan copies it into u's layout for the product.
  zks::model::Graph g;
  g.name = "unsqueezed_matmul", g.opset = 11;  // Unsqueeze's axes an attribute
  const int x = g.add_value({"x", {3, 3}, false, {}});
  const int u = g.add_value({"u", {1, 3, 3}, false, {}});
  const int y = g.add_value({"y", {1, 3, 3}, false, {}});
  g.inputs = {x}, g.outputs = {y};
  zks::model::Node mm;
  mm.op = "MatMul", mm.name = "mm", mm.inputs = {u, u}, mm.outputs = {y};
  g.nodes = {unsqueeze(x, u, 0), mm};
  zks::model::Tensor in{{3, 3}, {0.5, -1.25, 2.0, 0.75, 1.5, -0.5, -2.0, 0.25, 1.0}};
  proves_privately(of_graph(g, {in}), {4});
}

TEST_CASE("a MatMul of activations over one entry (an outer product) proves", "[private]") {
  // a [2, 3, 1] b [2, 1, 4]: K = 1, each batch an outer product (Mul's broadcast).
  zks::model::Graph g;
  g.name = "outer_product", g.opset = 13;
  const int a = g.add_value({"a", {2, 3, 1}, false, {}});
  const int b = g.add_value({"b", {2, 1, 4}, false, {}});
  const int y = g.add_value({"y", {2, 3, 4}, false, {}});
  g.inputs = {a, b}, g.outputs = {y};
  zks::model::Node mm;
  mm.op = "MatMul", mm.name = "mm", mm.inputs = {a, b}, mm.outputs = {y};
  g.nodes = {mm};
  const zks::model::Tensor ta{{2, 3, 1}, {0.5, -1.25, 2.0, 0.75, 1.5, -0.5}};
  const zks::model::Tensor tb{{2, 1, 4}, {-2.0, 0.25, 1.0, 0.0, -0.75, 1.25, 0.5, 3.0}};
  proves_privately(of_graph(g, {ta, tb}), {0, 23});
}

TEST_CASE("a Gemm of three rows (a batch) proves", "[private]") {
  // y = x W + b with x [3, 4], W [4, 2], b [2]: each row by the same weights.
  zks::model::Graph g;
  g.name = "batch_gemm", g.opset = 13;
  const int x = g.add_value({"x", {3, 4}, false, {}});
  const int w = g.add_value({"w", {4, 2}, true, {0.5, -0.25, 1.0, 0.75, -1.5, 0.125, 0.25, -0.5}});
  const int b = g.add_value({"b", {2}, true, {0.1, -0.2}});
  const int y = g.add_value({"y", {3, 2}, false, {}});
  g.inputs = {x}, g.outputs = {y};
  zks::model::Node gemm;
  gemm.op = "Gemm", gemm.name = "gemm", gemm.inputs = {x, w, b}, gemm.outputs = {y};
  g.nodes = {gemm};
  zks::model::Tensor in{{3, 4}, {0.5, -1.25, 2.0, 0.75, 1.5, -0.5, -2.0, 0.25, 1.0, 0.0, -0.75, 1.25}};
  const Case k = of_graph(g, {in});
  REQUIRE(k.m.q.nodes.size() == 1);
  REQUIRE(k.m.q.nodes[0].op == "Gemm");
  REQUIRE(k.st.outputs[0].size() == 6);
  proves_privately(k, {0, 5});  // the first row's, the last row's
}

TEST_CASE("a Softmax over rows of 300 (a tree of max checks) proves", "[private]") {
  // 1l_softmax's node and table on a [2, 300] input: each row's max is the max of the
  // maxes of groups of 64 (5 groups, then one check of 5).
  Case k = load("1l_softmax");
  REQUIRE(k.m.q.nodes.size() == 1);
  const int x = k.m.q.nodes[0].inputs[0], y = k.m.q.nodes[0].outputs[0];
  k.m.q.tensors[size_t(x)].shape = k.m.q.tensors[size_t(y)].shape = {2, 300};
  std::mt19937_64 rng(5);
  std::vector<int64_t> in(600);
  for (auto& v : in) v = int64_t(rng() % 4000) - 2000;
  in[417] = 6000;  // one row's max, alone
  const Case c = on_inputs(k, {in});
  REQUIRE(c::check_private_provable(c.m.q).ok());
  check_proves(c);
  // The row max raised above every entry: the top check's product (not 0) rejects.
  c::PrivateTamper t;
  t.values = [&](std::map<int, std::vector<int64_t>>& v, auto&) {
    v.at(-2)[1] += 1;  // -1: the first level's maxes, -2: the rows' (-3: the quotient)
  };
  CHECK_THAT(rejection(c, proved(c, t)), Catch::Contains("max:"));
}

TEST_CASE("a 9x9 max pool (81 taps, a tree) proves, a wrong partial max fails", "[private]") {
  // 1l_max_pool's node with a 9x9 window padded by 4: corner windows leave a group of
  // 64 taps without one inside the input (it reads the window's first inside tap).
  Case k = load("1l_max_pool");
  size_t at = k.m.q.nodes.size();
  for (size_t i = 0; i < k.m.q.nodes.size(); ++i)
    if (k.m.q.nodes[i].op == "MaxPool") at = i;
  REQUIRE(at < k.m.q.nodes.size());
  auto& n = k.m.q.nodes[at];
  n.attrs["kernel_shape"].ints = {9, 9};
  n.attrs["pads"].ints = {4, 4, 4, 4};
  n.attrs["strides"].ints = {1, 1};
  const auto& xs = k.m.q.tensors[size_t(n.inputs[0])].shape;
  k.m.q.tensors[size_t(n.outputs[0])].shape = xs;  // stride 1, padded: the input's shape
  REQUIRE(n.outputs[0] == k.m.q.outputs.back());
  const Case c = on_inputs(k, k.inputs);
  REQUIRE(c::check_private_provable(c.m.q).ok());
  check_proves(c);
  c::PrivateTamper t;
  t.values = [&](std::map<int, std::vector<int64_t>>& v, auto&) { v.at(-1)[0] -= 1; };  // a first-level max
  CHECK_THAT(rejection(c, proved(c, t)), Catch::Contains("max:"));
}

TEST_CASE("a private proof is bound to its statement and its bytes", "[private][tamper]") {
  const Case k = load("accuracy");
  const auto proof = proved(k);
  REQUIRE(rejection(k, proof).empty());
  SECTION("statement fields: fingerprint, job, prover, output") {
    auto st = statement_of(k);
    st.fingerprint[3] ^= 1;
    CHECK_FALSE(rejection(k, proof, &st).empty());
    st = statement_of(k);
    st.binding.job_id[0] ^= 1;
    CHECK_FALSE(rejection(k, proof, &st).empty());
    st = statement_of(k);
    st.binding.prover[31] ^= 1;
    CHECK_FALSE(rejection(k, proof, &st).empty());
    st = statement_of(k);
    st.outputs.back().back() -= 1;
    CHECK_FALSE(rejection(k, proof, &st).empty());
  }
  SECTION("a changed byte anywhere: the root, the sumchecks, the lookups, the opening") {
    for (size_t at : {size_t(5), size_t(40), size_t(200), proof.size() / 8, proof.size() / 4, proof.size() / 2,
                      proof.size() - 10}) {
      auto p = proof;
      p[at] ^= 0x10;
      INFO(at);
      CHECK_FALSE(rejection(k, p).empty());
    }
    auto longer = proof;
    longer.push_back(0);
    CHECK_FALSE(rejection(k, longer).empty());
  }
  // The proof absorbs the model's digest, and the verifier folds its own weights.
  SECTION("another model: one bias changed by one") {
    Case other = load("accuracy");
    bool changed = false;
    for (auto& n : other.m.q.nodes)
      if (!changed && n.op == "Gemm" && n.inputs.size() > 2) {
        other.m.q.tensors[size_t(n.inputs[2])].data[0] += 1;
        changed = true;
      }
    REQUIRE(changed);
    auto st = statement_of(other);
    st.outputs = k.st.outputs;
    CHECK_FALSE(rejection(other, proof, &st).empty());
  }
  SECTION("fresh masks: another seed, another proof (of the same statement)") {
    const auto other = proved(k, {}, 2);
    CHECK(other != proof);
    CHECK(rejection(k, other).empty());
  }
}

TEST_CASE("malformed private proofs and files are rejected with a reason, never a crash", "[private][tamper]") {
  const Case k = load("1l_mlp");
  const auto proof = proved(k);
  std::mt19937_64 rng(13);
  // Bounded: 64 flipped bytes anywhere, 16 truncations, 8 random tails.
  for (int i = 0; i < 64; ++i) {
    auto p = proof;
    p[rng() % p.size()] ^= uint8_t(1 + rng() % 255);
    CHECK_FALSE(rejection(k, p).empty());
  }
  for (int i = 0; i < 16; ++i) {
    auto p = proof;
    p.resize(rng() % p.size());
    CHECK_FALSE(rejection(k, p).empty());
  }
  for (int i = 0; i < 8; ++i) {
    auto p = proof;
    const size_t at = rng() % p.size();
    for (size_t j = at; j < p.size(); ++j) p[j] = uint8_t(rng());
    CHECK_FALSE(rejection(k, p).empty());
  }
  // The file around it: its outputs and proof come back; a cut or a count past the end
  // is refused.
  const c::PrivateProofFile f{k.st.outputs, proof};
  const auto bytes = f.write();
  REQUIRE(c::PrivateProofFile::is_one(bytes));
  auto back = c::PrivateProofFile::read(bytes);
  REQUIRE(back.ok());
  CHECK(back->outputs == f.outputs);
  CHECK(back->proof == f.proof);
  for (size_t cut : {size_t(0), size_t(5), size_t(12), bytes.size() / 2, bytes.size() - 1})
    CHECK_FALSE(c::PrivateProofFile::read(std::span<const uint8_t>(bytes).first(cut)).ok());
  auto huge = bytes;
  huge[8] = huge[9] = huge[10] = huge[11] = 0xff;  // the output count
  CHECK_FALSE(c::PrivateProofFile::read(huge).ok());
}

TEST_CASE("one-bit top limbs: a bit check each, no range lookup", "[private][tamper]") {
  // A remainder of 17 bits (shift 17) or an excess of 17 bits is a 16-bit limb and a
  // top limb b with b (b - 1) = 0, where b was range-checked and its offset copy too.
  using Tensors = std::map<int, std::vector<int64_t>>;
  using Limbs = std::map<int, std::vector<std::vector<int64_t>>>;
  auto bit_checks = [](const Case& k) {
    auto plan = c::private_detail::make_private_plan(k.m.q);
    REQUIRE(plan.ok());
    size_t n = 0;
    for (const auto& pc : plan->products) n += pc.what == "bit";
    return n;
  };
  SECTION("a remainder's top bit raised to 2 (q - 1): the bit check") {
    const Case k = load("sklearn_mlp");  // Gemm (shift 17), Relu, ...
    const auto& n0 = k.m.q.nodes[0];
    REQUIRE(n0.op == "Gemm");
    REQUIRE(n0.shift == 17);
    CHECK(bit_checks(k) >= 1);
    CHECK(rejection(k, proved(k)).empty());
    const int q0 = n0.outputs[0];
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {  // acc + half = 2^17 (q - 1) + l0 + 2^16 (b + 2)
      v[q0][0] -= 1;
      limbs.at(q0).at(1)[0] += 2;
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("bit:"));
  }
  SECTION("a clamp the executor did not make (excess top -1): the bit check") {
    // y = hi where q_full < hi, c = q_full - hi < 0: c's low limb c mod 2^16 is in
    // range, its top limb is -1; the Requant equation and c (y - lo)(hi - y) = 0 hold.
    const Case k = load("2l_relu_fc");  // Gemm (may clamp by 17 bits), Relu
    const auto& n0 = k.m.q.nodes[0];
    REQUIRE(n0.op == "Gemm");
    CHECK(bit_checks(k) >= 1);
    const int q0 = n0.outputs[0];
    const size_t excess = size_t((n0.shift + 15) / 16);  // the remainder's limbs first
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      REQUIRE(limbs.at(q0).size() == excess + 2);  // 16 bits and one
      const int64_t q = v[q0][0], hi = k.m.q.act_hi();  // not clamped: q = q_full
      REQUIRE(q > k.m.q.act_lo());
      REQUIRE(q < hi);
      const int64_t c = q - hi;
      v[q0][0] = hi;
      limbs.at(q0).at(excess)[0] = c & 0xffff;
      limbs.at(q0).at(excess + 1)[0] = c >> 16;  // -1
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("bit:"));
  }
}

TEST_CASE("a cheating private prover's witness is rejected", "[private][tamper]") {
  const Case k = load("accuracy");  // Gemm Relu Gemm Relu Gemm
  const auto& nodes = k.m.q.nodes;
  const int input = k.m.q.inputs[0], q0 = nodes[0].outputs[0], y0 = nodes[1].outputs[0];
  using Tensors = std::map<int, std::vector<int64_t>>;
  using Limbs = std::map<int, std::vector<std::vector<int64_t>>>;
  SECTION("a Requant off by one (q + 1, rem - 2^s): the remainder's range lookup") {
    const int64_t s = nodes[0].shift;
    REQUIRE(s <= 16);
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      v[q0][0] += 1;
      limbs.at(q0).at(0)[0] -= int64_t(1) << s;
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("lookup into a remainder's range"));
  }
  SECTION("a Requant off the other way (q - 1, top limb + 2^t): the offset copy") {
    // The limb stays below 2^16, so its own check passes; l + 2^16 - 2^t does not.
    const int64_t s = nodes[0].shift;
    REQUIRE(s % 16 != 0);
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      v[q0][0] -= 1;
      limbs.at(q0).at(size_t(s / 16))[0] += int64_t(1) << (s % 16);
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("lookup into a remainder's range"));
  }
  SECTION("a lookup's helper changed, or forged to balance a false row: its sumcheck") {
    // Every lookup's helpers are blocks of one commitment. One entry of the first
    // lookup's h_w moved; then the Requant off by one of the first section (its
    // remainder negative: a false row in the range lookup, the Requant equation kept)
    // with each lookup's h_w made to sum to its table side's sum at row 0, which breaks
    // that row's constraint h_w (alpha - c(w)) = sel instead.
    using Helpers = std::vector<zks::lookup::ZkHelpers>;
    using Sums = std::span<const Fp2>;
    auto helper_sum = [](const zks::lookup::ZkHelpers& h) {  // sum h_w, h_w = h0 + h1 X
      Fp2 sum = Fp2::zero();
      for (size_t i = 0; i < h[0].size(); ++i) sum += Fp2(h[0][i], h[1][i]);
      return sum;
    };
    c::PrivateTamper moved;
    size_t balanced = 0;  // an honest run's helpers sum to the table sides' sums
    moved.helpers = [&](Helpers& h, Sums sums) {
      for (size_t l = 0; l < h.size(); ++l) balanced += helper_sum(h[l]) == sums[l];
      CHECK(balanced == h.size());
      h.at(0)[0][0] += Fp::one();
    };
    CHECK_THAT(rejection(k, proved(k, moved)), Catch::Contains("zk lookup"));
    c::PrivateTamper forged;
    const int64_t s = nodes[0].shift;
    REQUIRE(s <= 16);
    forged.values = [&](Tensors& v, Limbs& limbs) {
      v[q0][0] += 1;
      limbs.at(q0).at(0)[0] -= int64_t(1) << s;
    };
    size_t unbalanced = 0;  // lookups whose sums the false row breaks (the range lookup)
    forged.helpers = [&](Helpers& hs, Sums sums) {
      for (size_t l = 0; l < hs.size(); ++l) {
        const Fp2 w = helper_sum(hs[l]);
        if (w != sums[l]) ++unbalanced;
        hs[l][0][0] += sums[l].c0() - w.c0(), hs[l][1][0] += sums[l].c1() - w.c1();
      }
    };
    CHECK_THAT(rejection(k, proved(k, forged)), Catch::Contains("zk lookup"));
    CHECK(unbalanced >= 1);
  }
  SECTION("a lookup's block value changed: the blocks' sum, or the opening") {
    // A batched lookup reads its tensors' columns in place; the proof shows each block's
    // value at the lookup's point, and they must make the witness's. One changed (the
    // first or the last of every lookup) breaks that sum; two changed so that the sum
    // holds (v0 + d w1, v1 - d w0) are caught by the opening, which proves each block.
    using Weights = std::span<const Fp2>;
    for (bool last : {false, true}) {
      CAPTURE(last);
      c::PrivateTamper t;
      t.lookup_blocks = [&](size_t, Weights, std::vector<Fp2>& v) { (last ? v.back() : v.front()) += Fp2::one(); };
      CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("witness blocks"));
    }
    size_t batched = 0;
    c::PrivateTamper kept;
    kept.lookup_blocks = [&](size_t, Weights w, std::vector<Fp2>& v) {
      if (w.size() < 2) return;
      ++batched;
      v[0] += Fp2::from_u64(5) * w[1];
      v[1] -= Fp2::from_u64(5) * w[0];
    };
    CHECK_THAT(rejection(k, proved(k, kept)), Catch::Contains("opening"));
    CHECK(batched > 0);
  }
  SECTION("a Relu output changed: the next linear map (it read the output the run made)") {
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) { v[y0][1] += 1; };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("linear map"));
  }
  SECTION("the last Relu's output changed (1l_mlp: Gemm, Relu): its table lookup") {
    const Case mlp = load("1l_mlp");
    const int y = mlp.m.q.nodes[1].outputs[0];
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) { v[y][1] += 1; };
    CHECK_THAT(rejection(mlp, proved(mlp, t)), Catch::Contains("lookup into its table"));
  }
  SECTION("an output clamped that the executor did not clamp: the excess's range") {
    // y = hi where q_full < hi, with the excess c = q_full - hi < 0 so the Requant
    // equation holds (q_full = y + c at hi) and so does c (y - lo)(hi - y) = 0: only the
    // excess's 16-bit range lookup is left to catch it.
    const int64_t s = nodes[0].shift;
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      const size_t excess = size_t((s + 15) / 16);  // the remainder's limbs come first
      REQUIRE(limbs.at(q0).size() > excess);        // the range analysis says Gemm 0 may clamp
      const int64_t q_full = v[q0][0];
      REQUIRE(q_full < k.m.q.act_hi());
      v[q0][0] = k.m.q.act_hi();
      limbs.at(q0).at(excess)[0] = q_full - k.m.q.act_hi();
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("lookup into a remainder's range"));
  }
  SECTION("a clamped output moved off the bound: the clamp check") {
    // On an extreme input entry 0 of Gemm 0 clamps at hi; claim hi - 1 with the excess
    // one larger: q_full = y + c no longer holds at y = hi - 1 (rejected).
    const Case x = on_input(k, k.m.q.act_hi());
    int at = -1;
    for (size_t j = 0; j < x.m.run.values[size_t(q0)].size() && at < 0; ++j)
      if (x.m.run.values[size_t(q0)][j] == k.m.q.act_hi()) at = int(j);
    REQUIRE(at >= 0);
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      v[q0][size_t(at)] -= 1;
      limbs.at(q0).at(size_t((nodes[0].shift + 15) / 16))[size_t(at)] += 1;
    };
    CHECK_FALSE(rejection(x, proved(x, t)).empty());
  }
  SECTION("an unclamped output moved to -1: the clamp's product") {
    // Where q_full <= -2: y = -1 with c = (-1 - q_full)(hi - lo) satisfies the Requant
    // equation (2y - lo - hi = -1 as lo + hi = -1), c is in range, and Relu(-1) = 0 as
    // before, so nothing downstream moves: only c (y - lo)(hi - y) = 0 fails (the
    // zerocheck's second constraint).
    const auto& q = k.m.run.values[size_t(q0)];
    const auto at = size_t(std::find_if(q.begin(), q.end(), [](int64_t v) { return v <= -2; }) - q.begin());
    REQUIRE(at < q.size());
    const int64_t lo = k.m.q.act_lo(), hi = k.m.q.act_hi();
    REQUIRE(lo + hi == -1);
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      const size_t excess = size_t((nodes[0].shift + 15) / 16);
      REQUIRE(limbs.at(q0).size() >= excess + 2);
      const int64_t c = (-1 - v[q0][at]) * (hi - lo);
      REQUIRE(c < (int64_t(1) << 32));
      v[q0][at] = -1;
      limbs.at(q0).at(excess)[at] = c & 0xffff;
      limbs.at(q0).at(excess + 1)[at] = c >> 16;
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("requant and clamp:"));
  }
  SECTION("a Div output moved to -1 (softsign): the clamp's product") {
    // As for a requantization: where q <= -2, y = -1 with c = (-1 - q)(hi - lo) keeps
    // q = y + c (2y - lo - hi) / (hi - lo) (the relation), c is in range: only
    // c (y - lo)(hi - y) = 0 fails, the division's zerocheck's second constraint.
    const Case pos = load("softsign");
    auto neg = pos.inputs;
    for (auto& x : neg[0]) x = -std::abs(x) - 1;  // its corpus input is positive
    const Case ss = on_inputs(pos, neg);
    const int y = ss.m.q.nodes.back().outputs[0];
    const auto& q = ss.m.run.values[size_t(y)];
    const auto at = size_t(std::find_if(q.begin(), q.end(), [](int64_t v) { return v <= -2; }) - q.begin());
    REQUIRE(at < q.size());
    const int64_t lo = ss.m.q.act_lo(), hi = ss.m.q.act_hi();
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs& limbs) {
      REQUIRE(limbs.at(y).size() >= 2);  // the excess: two limbs at least
      const int64_t c = (-1 - v[y][at]) * (hi - lo);
      REQUIRE(c < (int64_t(1) << 32));
      v[y][at] = -1;  // the quotient (internal id -1) stays
      limbs.at(y)[0][at] = c & 0xffff;
      limbs.at(y)[1][at] = c >> 16;
    };
    CHECK_THAT(rejection(ss, proved(ss, t)), Catch::Contains("clamp:"));
  }
  SECTION("q changed alone: the Requant's zerocheck") {
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) { v[q0][2] += 1; };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("requant"));
  }
  SECTION("the input changed after the run: the linear map's sumcheck") {
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) { v[input][4] += 1; };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("linear map"));
  }
  SECTION("a MatMul operand changed after the run (tutorial): rejected") {
    const Case tut = load("tutorial");
    int operand = -1;
    for (const auto& n : tut.m.q.nodes)
      if (n.op == "MatMul") operand = n.inputs[1];
    REQUIRE(operand >= 0);
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) { v[operand][0] += 1; };
    CHECK_FALSE(rejection(tut, proved(tut, t)).empty());  // the maps that read it (a square first)
  }
  SECTION("a Div quotient off by one either way: a remainder's range") {
    // softsign: x / (1 + |x|). q + 1 makes r = 2A + D - 2Dq negative, q - 1 makes
    // u = 2D - 1 - r negative; the product and the range checks follow the lie.
    const Case ss = load("softsign");
    const int q = ss.m.q.nodes.back().outputs[0];
    REQUIRE(ss.m.q.nodes.back().op == "Div");
    for (const int64_t by : {1, -1}) {
      INFO(by);
      c::PrivateTamper t;
      t.values = [&](Tensors& v, Limbs&) {
        v[q][3] += by;
        v.at(-1)[3] += by;  // the unclamped quotient (the analysis says it may clamp) alike
      };
      CHECK_THAT(rejection(ss, proved(ss, t)), Catch::Contains("lookup into a remainder's range"));
    }
  }
  SECTION("a Softmax output off by one: its division's remainder range") {
    const Case sm = load("1l_softmax");
    const int y = sm.m.q.nodes[0].outputs[0];
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) {
      v[y][1] -= 1;
      v.at(-2)[1] -= 1;  // the unclamped quotient alike (-1 is the row max)
    };
    CHECK_THAT(rejection(sm, proved(sm, t)), Catch::Contains("lookup into a remainder's range"));
  }
  SECTION("a Softmax row max raised above every entry: the max's product check") {
    // Every difference m - x >= 1, in range; d, e, S and the division follow the lie,
    // so only the product of the differences (not 0) is left to catch it.
    const Case sm = load("1l_softmax");
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) {
      REQUIRE(v.count(-1));
      v.at(-1)[0] += 1;
    };
    CHECK_THAT(rejection(sm, proved(sm, t)), Catch::Contains("max:"));
  }
  SECTION("a Softmax input raised past its row's max after the run: rejected") {
    const Case sm = load("1l_softmax");
    const int x = sm.m.q.inputs[0];
    c::PrivateTamper t;
    t.values = [&](Tensors& v, Limbs&) { v[x][0] += 300; };
    CHECK_FALSE(rejection(sm, proved(sm, t)).empty());  // the max's differences: one < 0
  }
  SECTION("a multiplicity changed: its lookup") {
    c::PrivateTamper t;
    t.columns = [](std::vector<std::vector<Fp>>& cols, std::span<const size_t>) { cols.back()[0] += Fp::one(); };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("lookup"));
  }
  SECTION("a padding entry of the output set: the output's check at a random point") {
    REQUIRE(k.st.outputs[0].size() == 1);
    c::PrivateTamper t;
    t.columns = [](std::vector<std::vector<Fp>>& cols, std::span<const size_t> outputs) {
      cols[outputs[0]][1] = Fp(5);
    };
    CHECK_THAT(rejection(k, proved(k, t)), Catch::Contains("opening"));
  }
}
