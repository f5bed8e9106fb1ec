// Import errors: truncated / corrupt files, unknown ops, dynamic shapes.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "corpus_util.hpp"
#include "model/onnx_import.hpp"

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
