// Import errors: truncated / corrupt files, unknown ops, dynamic shapes.
#include <catch2/catch.hpp>

#include <fstream>
#include <tuple>
#include <iterator>

#include "corpus_util.hpp"
#include "unit/onnx_graph.hpp"
#include "model/float_exec.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"

using namespace zks::model;

namespace {
std::vector<uint8_t> read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("every corpus model imports or is refused with a message", "[model][import]") {
  for (const auto& m : test::corpus_models()) {
    auto g = import_onnx_file(test::corpus_path(m, "model.onnx"));
    if (!g.ok()) {
      INFO(m);
      CHECK(!g.error().empty());
    } else {
      CHECK(!g->nodes.empty());
    }
  }
}

TEST_CASE("truncated and corrupt ONNX files are clear errors", "[model][import]") {
  auto bytes = read_file(test::corpus_path("age", "model.onnx"));
  REQUIRE(bytes.size() > 1000);
  for (size_t cut : {size_t(0), size_t(1), size_t(17), bytes.size() / 3, bytes.size() / 2, bytes.size() - 5}) {
    std::vector<uint8_t> t(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    auto g = import_onnx(t);
    CHECK(!g.ok());
  }
  std::vector<uint8_t> junk(4096);
  uint32_t s = 12345;
  for (auto& b : junk) b = static_cast<uint8_t>((s = s * 1103515245 + 12345) >> 24);
  CHECK(!import_onnx(junk).ok());
  // Flipped bytes: must never crash (may import or fail).
  for (size_t i = 0; i < 64; ++i) {
    auto c = bytes;
    c[(i * 7919) % c.size()] ^= 0x5a;
    auto g = import_onnx(c);
    (void)g;
  }
}

TEST_CASE("a dynamic dimension without an override is a clear error", "[model][import]") {
  auto g = import_onnx_file(test::corpus_path("paddleocr_cls", "model.onnx"));
  REQUIRE(!g.ok());
  CHECK(g.error().find("is dynamic") != std::string::npos);
  ImportOptions o;
  o.input_shapes["x"] = {1, 3, 48, 192};
  CHECK(import_onnx_file(test::corpus_path("paddleocr_cls", "model.onnx"), o).ok());
}

namespace {
// A changed ONNX file through the whole compile path: import, the float run, quantize,
// the integer run. Returns whether it was refused (with a reason) anywhere.
bool compile_corrupted(const std::vector<uint8_t>& onnx, const NamedTensors& in) {
  auto g = import_onnx(onnx, test::import_options(in));
  if (!g.ok()) {
    CHECK(!g.error().empty());
    return true;
  }
  if (!run_float(*g, in.tensors).ok()) return true;
  auto q = quantize(*g, {in.tensors});
  return !q.ok() || !run_int(*q, in.tensors).ok();
}
}  // namespace

TEST_CASE("a corrupted ONNX file is refused with a reason or compiles and runs, never a crash", "[model][import][bad]") {
  // What once crashed: a node left without outputs (1l_slice), a 2-D pooling kernel on a
  // 1-D input (1l_max_pool), output_padding stored as floats (1l_conv_transpose), Resize
  // scales making 2^60 values (1l_upsample).
  const std::tuple<const char*, size_t, uint8_t> found[] = {
      {"1l_slice", 371, 0x80}, {"1l_max_pool", 169, 0x01}, {"1l_conv_transpose", 208, 0x01}, {"1l_upsample", 103, 0x80}};
  for (const auto& [m, pos, flip] : found) {
    INFO(m << " byte " << pos);
    auto bytes = read_file(test::corpus_path(m, "model.onnx"));
    auto in = load_tensors_json(test::corpus_path(m, "input.json"), "input");
    REQUIRE(in.ok());
    REQUIRE(pos < bytes.size());
    bytes[pos] ^= flip;
    CHECK(compile_corrupted(bytes, *in));
  }
  // Then about 64 bytes of every corpus model under 3 KB (40 of them), each flipped in
  // its low bit or its high bit by turns (every byte of all 18 KB ran clean once, by hand).
  size_t models = 0, refused = 0, compiled = 0;
  for (const auto& m : test::corpus_models()) {
    auto bytes = read_file(test::corpus_path(m, "model.onnx"));
    auto in = load_tensors_json(test::corpus_path(m, "input.json"), "input");
    if (bytes.empty() || bytes.size() >= 3000 || !in.ok()) continue;
    ++models;
    for (size_t pos = 0; pos < bytes.size(); pos += std::max<size_t>(1, bytes.size() / 64)) {
      auto c = bytes;
      c[pos] ^= pos % 2 ? 0x80 : 0x01;
      ++(compile_corrupted(c, *in) ? refused : compiled);
    }
  }
  CHECK(models >= 30);
  CHECK(refused > 0);
  CHECK(compiled > 0);
}

namespace {
// x[1, 12] sliced by shape arithmetic as torch's exports do: third = (12 + 2) / 3 in
// int64, then y = x[..., third : 2 * third].
onnx::ModelProto shape_arithmetic_model(int64_t declared_width) {
  auto mp = zks::test::onnx_model({1, 12}, [](onnx::GraphProto& g) {
    auto constant = [&](const std::string& name, int64_t v) {
      auto* n = g.add_node();
      n->set_op_type("Constant");
      n->add_output(name);
      auto* a = n->add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
      a->mutable_t()->add_dims(1);
      a->mutable_t()->add_int64_data(v);
    };
    zks::test::add_node(g, "Shape", {"x"}, "s");
    constant("last", -1), constant("two", 2), constant("three", 3), constant("zero", 0);
    zks::test::add_node(g, "Gather", {"s", "last"}, "w");
    zks::test::add_node(g, "Add", {"w", "two"}, "w2");
    zks::test::add_node(g, "Div", {"w2", "three"}, "third");
    zks::test::add_node(g, "Mul", {"third", "two"}, "end");
    zks::test::add_node(g, "Slice", {"x", "third", "end", "last"}, "y");
  });
  auto* tt = mp.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(1);
  tt->mutable_shape()->add_dim()->set_dim_value(declared_width);
  return mp;
}
std::vector<uint8_t> bytes_of(const onnx::ModelProto& mp) {
  std::string s;
  REQUIRE(mp.SerializeToString(&s));
  return {s.begin(), s.end()};
}
}  // namespace

TEST_CASE("integer shape arithmetic divides as integers, and a declared output shape is checked", "[model][import]") {
  // (12 + 2) / 3 is 4 in int64 (it was 4.67, and y took 5 columns).
  auto g = import_onnx(bytes_of(shape_arithmetic_model(4)));
  INFO((g.ok() ? std::string() : g.error()));
  REQUIRE(g.ok());
  REQUIRE(g->outputs.size() == 1);
  CHECK(g->values[g->outputs[0]].shape == Shape{1, 4});
  Tensor x{{1, 12}, {}};
  for (int i = 0; i < 12; ++i) x.data.push_back(i);
  auto y = run_float(*g, {x});
  REQUIRE(y.ok());
  CHECK(y->at(0).data == std::vector<double>{4, 5, 6, 7});
  // A model whose declared output shape differs from the computed one is refused, by name.
  auto bad = import_onnx(bytes_of(shape_arithmetic_model(5)));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("graph output 'y': the model declares shape [1,5] but the import computes [1,4]") != std::string::npos);
}
