// Bad input, end to end: an ONNX file with an unknown op, and the `zkslice` CLI's exit
// codes (0 ok, 1 failure, 2 usage) on missing files, corrupt models, unknown flags and
// bad input JSON, run as real processes (the binary comes from $<TARGET_FILE:zkslice>).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "corpus_util.hpp"
#include "model/onnx_import.hpp"
#include "unit/onnx_graph.hpp"

using namespace zks::model;
namespace fs = std::filesystem;

namespace {

struct Proc {
  int rc = -1;
  std::string output;  // stdout and stderr
};

Proc run_cli(const std::string& args) {
  Proc p;
  std::string cmd = std::string("'") + ZKS_CLI_BIN + "' " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) p.output.append(buf.data(), n);
  int st = pclose(f);
  p.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return p;
}

// A scratch directory per test run, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("zks_cli_test_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

void write_file(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string q(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("an unknown op is refused naming the op, the node and the opset", "[model][import][bad]") {
  auto mp = zks::test::onnx_model({4}, [](onnx::GraphProto& g) {
    zks::test::add_node(g, "Relu", {"x"}, "h")->set_name(std::string("first"));
    zks::test::add_node(g, "FrobnicateV2", {"h"}, "y")->set_name(std::string("mystery_layer"));
  });
  auto* node = mp.mutable_graph()->mutable_node(1);
  std::string bytes;
  REQUIRE(mp.SerializeToString(&bytes));
  auto r = import_onnx(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  REQUIRE(!r.ok());
  INFO(r.error());
  CHECK(r.error().find("unsupported op 'FrobnicateV2'") != std::string::npos);
  CHECK(r.error().find("mystery_layer") != std::string::npos);
  CHECK(r.error().find("opset 13") != std::string::npos);
  // A custom domain is named too.
  node->set_domain("com.example");
  REQUIRE(mp.SerializeToString(&bytes));
  r = import_onnx(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  REQUIRE(!r.ok());
  CHECK(r.error().find("com.example::FrobnicateV2") != std::string::npos);
}

TEST_CASE("zkslice compile and run exit codes on bad input", "[cli][bad]") {
  TempDir tmp;
  const std::string model = test::corpus_path("1l_relu", "model.onnx");
  const std::string input = test::corpus_path("1l_relu", "input.json");
  const std::string out = tmp / "out";

  SECTION("usage errors exit 2") {
    for (const std::string& args : std::vector<std::string>{"compile", "compile " + q(model), "compile " + q(model) + " --out " + q(out) + " --no-such-flag",
                                   "compile " + q(model) + " --out " + q(out) + " --slices 0",
                                   "compile " + q(model) + " --out " + q(out) + " --slices 2 --max-slice-mb 3",
                                   "compile " + q(model) + " --out " + q(out) + " --dim batch=abc", "run " + q(out),
                                   "no-such-command"}) {
      INFO(args);
      auto p = run_cli(args);
      INFO(p.output);
      CHECK(p.rc == 2);
    }
  }
  SECTION("a missing or corrupt model exits 1 with a message") {
    auto p = run_cli("compile " + q(tmp / "missing.onnx") + " --out " + q(out) + " --calibration " + q(input));
    CHECK(p.rc == 1);
    CHECK(p.output.find("cannot open") != std::string::npos);
    write_file(tmp / "junk.onnx", std::string(300, '\x07') + "not a model");
    p = run_cli("compile " + q(tmp / "junk.onnx") + " --out " + q(out) + " --calibration " + q(input));
    CHECK(p.rc == 1);
    CHECK(p.output.find("not an ONNX model") != std::string::npos);
    CHECK(!fs::exists(tmp / "out/manifest.pb"));
  }
  SECTION("compile, then run with good and bad input JSON") {
    auto p = run_cli("compile " + q(model) + " --out " + q(out));
    INFO(p.output);
    REQUIRE(p.rc == 0);
    REQUIRE(fs::exists(tmp / "out/manifest.pb"));
    p = run_cli("run " + q(out) + " --input " + q(input) + " --sliced");
    CHECK(p.rc == 0);
    CHECK(p.output.find("bit-identical to the whole run") != std::string::npos);
    struct Bad {
      const char* what;
      std::string json;
      const char* says;
    };
    // 1l_relu's input is "input", [3].
    for (const Bad& b : {Bad{"not JSON", "{\"input_data\": [[1, 2", "not valid JSON"},
                         Bad{"NaN", "{\"input_data\": [[1, NaN, 2]]}", "NaN and Infinity are not JSON numbers"},
                         Bad{"no input_data", "{\"something\": 1}", ""},
                         Bad{"wrong size", "{\"input_data\": [[1.0, 2.0, 3.0, 4.0, 5.0]]}", "has 5 values, the model's [1,3] takes 3"},
                         Bad{"not numbers", "{\"input_data\": [[\"a\", \"b\"]]}", "value 0 is not a number"},
                         Bad{"ragged lists", "{\"input_data\": [[[1, 2], [3]]]}", "the lists are nested unevenly"},
                         Bad{"a nesting of another shape", "{\"input_data\": [[[1, 2, 3], [4, 5, 6]]]}",
                             "has shape [2,3], the model's is [1,3]"},
                         Bad{"another name", "{\"input_data\": [[1, 2, 3]], \"input_names\": [\"foo\"]}",
                             "the model's input 'input' is not given (the file names foo)"},
                         Bad{"another shape", "{\"input_data\": [[1, 2, 3, 4, 5, 6]], \"input_shapes\": [[2, 3]]}",
                             "has shape [2,3], the model's is [1,3]"}}) {
      INFO(b.what);
      write_file(tmp / "bad.json", b.json);
      p = run_cli("run " + q(out) + " --input " + q(tmp / "bad.json"));
      INFO(p.output);
      CHECK(p.rc == 1);
      CHECK(p.output.find("error:") != std::string::npos);
      CHECK(p.output.find(b.says) != std::string::npos);
    }
    // Nested lists are read row-major; a run that saturates says so when proved.
    write_file(tmp / "nested.json", "{\"input_data\": [[[0.5], [-0.25], [0.125]]], \"input_names\": [\"input\"]}");
    p = run_cli("run " + q(out) + " --input " + q(tmp / "nested.json"));
    INFO(p.output);
    CHECK(p.rc == 0);
    write_file(tmp / "huge.json", "{\"input_data\": [[1e30, 0, 0]]}");
    p = run_cli("prove " + q(out) + " --input " + q(tmp / "huge.json") + " --out " + q(tmp / "huge.bundle"));
    INFO(p.output);
    CHECK(p.rc == 0);
    CHECK(p.output.find("warning: 1 values saturated in the integer run") != std::string::npos);
    p = run_cli("run " + q(out) + " --input " + q(tmp / "missing.json"));
    CHECK(p.rc == 1);
    p = run_cli("run " + q(tmp / "nowhere") + " --input " + q(input));
    CHECK(p.rc == 1);
    write_file(tmp / "out/manifest.pb", "corrupt");
    p = run_cli("run " + q(out) + " --input " + q(input));
    CHECK(p.rc == 1);
    CHECK(p.output.find("manifest") != std::string::npos);
  }
}
