// Import errors: truncated / corrupt files, unknown ops, dynamic shapes.
#include <catch2/catch.hpp>

#include <fstream>
#include <tuple>
#include <iterator>

#include "corpus_util.hpp"
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
