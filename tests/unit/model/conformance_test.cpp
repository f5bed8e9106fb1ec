// ONNX's own per-operator tests (Debian's libonnx-testdata: data/node/<case>/model.onnx
// plus test_data_set_*/input_*.pb, output_*.pb) run through our importer and float
// executor. Only one-node cases of an op we support are taken (the `_expanded` variants
// test other ops). A case our importer refuses (an attribute, a dtype or a dynamic shape
// we do not support) is counted and listed, not failed; a case it accepts must match.
//
// ONNX feeds weights, shapes and indices as graph inputs; our importer wants them
// constant, so a refused case is retried once with every input after the first bound as
// an initializer (the form real models have). Tolerance is ONNX's backend-test default:
// |got - expected| <= 1e-7 + 1e-3 |expected| (we compute in double, ONNX in float32).
//
// The per-op counts are docs/models.md's last section: ZKS_WRITE_DOCS=1 rewrites it.
#include <catch2/catch.hpp>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "corpus_util.hpp"
#include "model/float_exec.hpp"
#include "model/onnx_import.hpp"

using namespace zks;
using namespace zks::model;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct OpCounts {
  int cases = 0, pass = 0, pass_baked = 0, refused = 0, failed = 0;
  std::vector<std::string> refused_cases;
};

struct DataSet {
  std::vector<Tensor> inputs, outputs;
};

std::vector<DataSet> load_data_sets(const fs::path& dir) {
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  std::vector<DataSet> out;
  for (const auto& s : sets) {
    DataSet d;
    for (const char* kind : {"input", "output"}) {
      for (int k = 0;; ++k) {
        fs::path p = s / (std::string(kind) + "_" + std::to_string(k) + ".pb");
        if (!fs::exists(p)) break;
        auto b = read_bytes(p);
        auto t = parse_tensor_proto(b);
        // An unreadable tensor (a string dtype, say) makes the case unsupported.
        if (!t.ok()) return {};
        (std::string(kind) == "input" ? d.inputs : d.outputs).push_back(std::move(*t));
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

// The graph inputs that are not initializers, in order (input_k.pb is the k-th).
std::vector<std::string> runtime_inputs(const onnx::ModelProto& mp) {
  std::set<std::string> inits;
  for (const auto& i : mp.graph().initializer()) inits.insert(i.name());
  std::vector<std::string> out;
  for (const auto& i : mp.graph().input())
    if (!inits.count(i.name())) out.push_back(i.name());
  return out;
}

// Binds inputs 1.. of the first data set as initializers (weights, shapes, indices).
std::vector<uint8_t> bake_inputs(onnx::ModelProto mp, const fs::path& set0) {
  auto names = runtime_inputs(mp);
  for (size_t k = 1; k < names.size(); ++k) {
    auto b = read_bytes(set0 / ("input_" + std::to_string(k) + ".pb"));
    auto* t = mp.mutable_graph()->add_initializer();
    t->ParseFromArray(b.data(), static_cast<int>(b.size()));
    t->set_name(names[k]);
  }
  std::string s;
  mp.SerializeToString(&s);
  return {s.begin(), s.end()};
}

// Worst |got - expected| over the tolerance; > 1 is a failure. Both NaN counts as equal.
double worst_ratio(const Tensor& got, const Tensor& exp) {
  double worst = 0;
  for (size_t i = 0; i < exp.data.size(); ++i) {
    double a = got.data[i], b = exp.data[i];
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) return INFINITY;
      continue;
    }
    if (std::isinf(a) || std::isinf(b)) {
      if (a != b) return INFINITY;
      continue;
    }
    worst = std::max(worst, std::fabs(a - b) / (1e-7 + 1e-3 * std::fabs(b)));
  }
  return worst;
}

struct Conformance {
  std::map<std::string, OpCounts> ops;
  std::vector<std::string> failures;
  std::vector<std::string> refusals;  // printed with ZKS_VERBOSE=1
};

Conformance run_conformance(const fs::path& root) {
  Conformance c;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    std::string name = dir.filename().string();
    auto bytes = read_bytes(dir / "model.onnx");
    onnx::ModelProto mp;
    if (!mp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || mp.graph().node_size() != 1) continue;
    const auto& node = mp.graph().node(0);
    if (!node.domain().empty() && node.domain() != "ai.onnx") continue;
    const std::string op = node.op_type();
    if (!is_supported_op(op)) continue;
    OpCounts& oc = c.ops[op];
    ++oc.cases;
    std::string label = name.rfind("test_", 0) == 0 ? name.substr(5) : name;
    auto sets = load_data_sets(dir);
    auto refuse = [&](const std::string& why) {
      ++oc.refused;
      oc.refused_cases.push_back(label);
      c.refusals.push_back(name + ": " + why);
    };
    if (sets.empty() || sets[0].inputs.empty()) {
      refuse("unreadable test data (unsupported dtype)");
      continue;
    }
    auto names = runtime_inputs(mp);
    if (names.size() != sets[0].inputs.size()) {
      refuse("input count mismatch");
      continue;
    }
    ImportOptions io;
    for (size_t k = 0; k < names.size(); ++k) io.input_shapes[names[k]] = sets[0].inputs[k].shape;
    auto g = import_onnx(bytes, io);
    bool baked = false;
    if (!g.ok() && names.size() > 1) {
      auto g2 = import_onnx(bake_inputs(mp, dir / "test_data_set_0"), io);
      baked = true;
      g = std::move(g2);  // report why the realistic form is refused
    }
    if (!g.ok()) {
      refuse(g.error());
      continue;
    }
    bool good = true;
    for (size_t s = 0; s < sets.size() && good; ++s) {
      std::vector<Tensor> in;
      for (int id : g->inputs)
        for (size_t k = 0; k < names.size(); ++k)
          if (names[k] == g->values[id].name) in.push_back(sets[s].inputs[k]);
      auto out = run_float(*g, in);
      std::string why;
      if (!out.ok()) why = "run failed: " + out.error();
      else if (out->size() != sets[s].outputs.size()) why = "output count differs";
      for (size_t k = 0; why.empty() && k < out->size(); ++k) {
        const Tensor& got = (*out)[k];
        const Tensor& exp = sets[s].outputs[k];
        if (got.shape != exp.shape) why = "output " + std::to_string(k) + " has shape " + shape_str(got.shape) +
                                          ", expected " + shape_str(exp.shape);
        else if (double r = worst_ratio(got, exp); r > 1)
          why = "output " + std::to_string(k) + " differs (worst error " + std::to_string(r) + "x the tolerance)";
      }
      if (!why.empty()) {
        c.failures.push_back(name + " (data set " + std::to_string(s) + "): " + why);
        good = false;
      }
    }
    if (!good) ++oc.failed;
    else if (baked) ++oc.pass_baked;
    else ++oc.pass;
  }
  return c;
}

std::string conformance_md(const Conformance& c) {
  std::ostringstream o;
  int cases = 0, pass = 0, refused = 0;
  for (const auto& [op, k] : c.ops) {
    cases += k.cases;
    pass += k.pass + k.pass_baked;
    refused += k.refused;
  }
  o << test::kConformanceHeading << "\n\n"
    << "ONNX's own per-operator tests (Debian `libonnx-testdata` 1.12, `/usr/share/libonnx-testdata/data/node/`)\n"
       "through our importer and float executor, generated by `ZKS_WRITE_DOCS=1 test_model \"[conformance]\"`\n"
       "(tests/unit/model/conformance_test.cpp). Every one-node case of a supported op is run; a case the importer\n"
       "accepts must match every data set within ONNX's backend-test tolerance (|d| <= 1e-7 + 1e-3 |expected|),\n"
       "so the failed column is always 0. \"as constants\": passes once the inputs after the first (weights,\n"
       "shapes, indices, which ONNX's tests feed as graph inputs) are bound as initializers, as in real models.\n"
       "Refused: the importer rejects the case with a message (an attribute, dtype, extra output or non-constant\n"
       "operand we do not support). Cases older than opset 9 (Elu, Selu, HardSigmoid, the global pools) pass\n"
       "through ONNX's own version converter first, as every old model does on import. Total: "
    << cases << " cases, " << pass << " pass, " << refused << " refused.\n\n"
    << "| op | cases | pass | of which as constants | refused | refused cases |\n|---|---|---|---|---|---|\n";
  for (const auto& [op, k] : c.ops) {
    std::string names;
    for (const auto& n : k.refused_cases) names += (names.empty() ? "" : ", ") + n;
    o << "| " << op << " | " << k.cases << " | " << k.pass + k.pass_baked << " | " << k.pass_baked << " | "
      << k.refused << " | " << names << " |\n";
  }
  return o.str();
}

fs::path testdata_dir() {
  if (const char* e = std::getenv("ZKS_ONNX_TESTDATA")) return e;
  return ZKS_ONNX_TESTDATA;
}

}  // namespace

TEST_CASE("float executor passes ONNX's own operator tests", "[model][conformance]") {
  fs::path root = testdata_dir();
  if (!fs::is_directory(root)) {
    WARN("ONNX operator tests not found at " << root.string()
                                             << ": install libonnx-testdata (deploy/install-deps.sh); skipping");
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  Conformance c = run_conformance(root);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int cases = 0, pass = 0;
  for (const auto& [op, k] : c.ops) {
    cases += k.cases;
    pass += k.pass + k.pass_baked;
    std::printf("conformance %-20s cases %3d pass %3d (as constants %d) refused %3d failed %d\n", op.c_str(), k.cases,
                k.pass + k.pass_baked, k.pass_baked, k.refused, k.failed);
  }
  std::printf("conformance: %d cases, %d pass, %zu fail, %.1f s\n", cases, pass, c.failures.size(), secs);
  if (std::getenv("ZKS_VERBOSE"))
    for (const auto& r : c.refusals) std::printf("refused %s\n", r.c_str());
  for (const auto& f : c.failures) FAIL_CHECK("wrong answer: " << f);
  CHECK(c.ops.size() >= 40);  // every supported op family has ONNX tests
  CHECK(pass > cases / 2);
  std::string md = conformance_md(c);
  if (std::getenv("ZKS_WRITE_DOCS")) {
    test::write_models_md_part(1, md);
    return;
  }
  CHECK(test::models_md_part(test::read_text(test::models_md_path()), 1) == md);
}
