// `zkslice compile`: ONNX -> quantized, sliced manifest; `zkslice run`: the integer
// (and float) executors on a compiled manifest; `zkslice inspect`: what a manifest holds.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "circuits/slice/fingerprint.hpp"
#include "circuits/slice/private_proof.hpp"
#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "hash/blake2b.hpp"
#include "model/float_exec.hpp"
#include "model/io.hpp"
#include "model/onnx_import.hpp"
#include "model/quantize.hpp"
#include "slicer/slicer.hpp"

namespace zks::cli {

namespace {

namespace fs = std::filesystem;
using namespace zks::model;

std::string names_of(const QModel& m, const std::vector<int>& ids) {
  std::string s;
  for (int t : ids) s += (s.empty() ? "" : ", ") + m.tensors[t].name + shape_str(m.tensors[t].shape) + "@2^-" +
                         std::to_string(m.tensors[t].scale);
  return s;
}

nlohmann::json slices_json(const QModel& m, const std::vector<slicer::Slice>& sl) {
  auto arr = nlohmann::json::array();
  for (size_t j = 0; j < sl.size(); ++j) {
    const auto& s = sl[j];
    nlohmann::json js;
    js["index"] = j;
    js["nodes"] = {s.first, s.end};
    std::vector<std::string> ops;
    for (size_t k = s.first; k < s.end; ++k) ops.push_back(m.nodes[k].op);
    js["ops"] = ops;
    const auto f = slicer::slice_features(m, s.first, s.end);  // what the estimates are made of
    js["prove_ms_est"] = s.cost.prove_ms;
    js["one_shot_ms_est"] = slicer::estimate_one_shot_ms(f);
    js["memory_mb_est"] = s.cost.memory_bytes / 1048576.0;
    js["channel_part"] = s.channel_part;
    js["features"] = {{"sumcheck", f.sumcheck},         {"gather", f.gather},
                      {"committed", f.committed},       {"lookups", f.lookups},
                      {"weights", f.weights},           {"table_entries", f.table_entries},
                      {"range_entries", f.range_entries}, {"range_table", f.range_table},
                      {"inputs_read", f.inputs_read},   {"input_elements", f.input_elements},
                      {"outputs_made", f.outputs_made}, {"output_elements", f.output_elements}};
    auto b = [&](const std::vector<int>& ids) {
      auto a = nlohmann::json::array();
      for (int t : ids) a.push_back({{"name", m.tensors[t].name}, {"shape", m.tensors[t].shape}, {"scale", m.tensors[t].scale}});
      return a;
    };
    js["inputs"] = b(s.inputs);
    js["outputs"] = b(s.outputs);
    arr.push_back(js);
  }
  return arr;
}

void print_slices(const QModel& m, const std::vector<slicer::Slice>& sl) {
  for (size_t j = 0; j < sl.size(); ++j) {
    const auto& s = sl[j];
    std::string ops;
    for (size_t k = s.first; k < s.end; ++k) ops += (ops.empty() ? "" : " ") + m.nodes[k].op;
    const double one_shot = slicer::estimate_one_shot_ms(slicer::slice_features(m, s.first, s.end));
    fmt::print("slice {}: nodes [{}, {}), est. {:.2f} ms ({:.0f} ms one-shot), {:.1f} MB{}\n  ops: {}\n  in:  {}\n  out: {}\n",
               j, s.first, s.end, s.cost.prove_ms, one_shot, s.cost.memory_bytes / 1048576.0,
               s.channel_part ? " (channel part)" : "", ops,
               names_of(m, s.inputs),
               names_of(m, s.outputs));
  }
}

// What the slices' proofs disclose of their weights (circuits::weight_exposure): proofs
// are sound, not yet hiding, so a model owner should know how many bundles give its
// weights away. Per slice with weights, the expected proofs after which its first stack
// and all of its stacks are determined.
Result<nlohmann::json> exposure_json(const slicer::Manifest& man) {
  auto ex = circuits::weight_exposure(man, pcs::Params::standard());
  if (!ex.ok()) return make_error(ex.error());
  auto arr = nlohmann::json::array();
  for (size_t j = 0; j < ex->size(); ++j)
    if (const auto& e = (*ex)[j])
      arr.push_back({{"slice", j}, {"proofs_to_first_stack", std::ceil(e->first)}, {"proofs_to_all", std::ceil(e->all)}});
  return arr;
}

void print_exposure(const nlohmann::json& arr) {
  if (arr.empty()) return;
  fmt::print("weights disclosed by proofs (sound, not yet hiding: each proof opens the weights' encoding at fresh "
             "positions; expected proofs until the weights are determined):\n");
  for (const auto& e : arr) {
    const int first = e["proofs_to_first_stack"], all = e["proofs_to_all"];
    if (all <= 1)
      fmt::print("  slice {}: every proof (its weights are sent in clear)\n", int(e["slice"]));
    else if (first == all)
      fmt::print("  slice {}: about {} proofs\n", int(e["slice"]), all);
    else
      fmt::print("  slice {}: about {} proofs (its first weight stack: {})\n", int(e["slice"]), all, first);
  }
}

struct CompileArgs {
  std::string model, out;
  int slices = 0;
  double max_mb = 0, max_ms = 0;
  std::vector<std::string> calibration;
  std::vector<std::string> dims;
  int act_bits = 16, weight_bits = 16;
  bool json = false;
  bool fused_layer_norm = false;
};

int run_compile(const CompileArgs& a) {
  auto bytes = read_bytes(a.model);
  if (!bytes.ok()) {
    fmt::print(stderr, "error: {}\n", bytes.error());
    return 1;
  }
  std::vector<std::string> calib = a.calibration;
  if (calib.empty()) {
    auto guess = fs::path(a.model).parent_path() / "input.json";
    if (!fs::exists(guess)) {
      fmt::print(stderr, "error: give at least one --calibration IN.json\n");
      return 2;
    }
    calib.push_back(guess.string());
  }
  ImportOptions io;
  io.expand_layer_norm = !a.fused_layer_norm;
  for (const auto& d : a.dims) {
    auto eq = d.find('=');
    if (eq == std::string::npos) {
      fmt::print(stderr, "error: --dim takes NAME=VALUE\n");
      return 2;
    }
    std::string v = d.substr(eq + 1);
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n <= 0) {
      fmt::print(stderr, "error: --dim {}: the value must be a positive integer\n", d);
      return 2;
    }
    io.dims[d.substr(0, eq)] = n;
  }
  std::vector<NamedTensors> files;
  for (const auto& c : calib) {
    auto t = load_tensors_json(c, "input");
    if (!t.ok()) {
      fmt::print(stderr, "error: {}\n", t.error());
      return 1;
    }
    for (size_t i = 0; i < t->names.size(); ++i) io.input_shapes[t->names[i]] = t->tensors[i].shape;
    files.push_back(std::move(t).value());
  }
  auto g = import_onnx(*bytes, io);
  if (!g.ok()) {
    fmt::print(stderr, "error: {}: {}\n", a.model, g.error());
    return 1;
  }
  // Calibration inputs in the model's input order: by name where a file names them.
  std::vector<std::vector<Tensor>> cal;
  for (size_t f = 0; f < files.size(); ++f) {
    if (!files[f].named) {
      cal.push_back(files[f].tensors);
      continue;
    }
    std::vector<Tensor> ordered;
    for (int id : g->inputs) {
      const auto& name = g->values[id].name;
      auto at = std::find(files[f].names.begin(), files[f].names.end(), name);
      if (at == files[f].names.end()) {
        fmt::print(stderr, "error: {}: the model's input '{}' is not given\n", calib[f], name);
        return 1;
      }
      ordered.push_back(files[f].tensors[size_t(at - files[f].names.begin())]);
    }
    cal.push_back(std::move(ordered));
  }
  QuantConfig qc;
  qc.act_bits = a.act_bits;
  qc.weight_bits = a.weight_bits;
  auto q = quantize(*g, cal, qc);
  if (!q.ok()) {
    fmt::print(stderr, "error: {}: {}\n", a.model, q.error());
    return 1;
  }
  slicer::Budget b{a.slices, a.max_mb, a.max_ms};
  auto sl = slicer::plan_slices(*q, b);
  if (!sl.ok()) {
    fmt::print(stderr, "error: {}\n", sl.error());
    return 1;
  }
  slicer::Manifest man{std::move(*q), std::move(*sl), hash::hash(hash::Domain::Generic, *bytes), {}, {}, {}, {}};
  // Seal: R_W per slice, the proof parameters and the fingerprint FP over it all.
  std::vector<std::string> unprovable;
  if (auto st = circuits::seal_manifest(man, pcs::Params::standard(), &unprovable); !st.ok()) {
    fmt::print(stderr, "error: {}\n", st.error());
    return 1;
  }
  for (const auto& why : unprovable) fmt::print(stderr, "note: {} (zkslice prove will refuse it)\n", why);
  const std::string fp = util::to_hex(man.fingerprint);
  auto ser = slicer::serialize_manifest(man);
  std::string id = slicer::manifest_id(ser);
  std::error_code ec;
  fs::create_directories(a.out, ec);
  std::ofstream f(fs::path(a.out) / "manifest.pb", std::ios::binary);
  f.write(reinterpret_cast<const char*>(ser.data()), static_cast<std::streamsize>(ser.size()));
  std::ofstream(fs::path(a.out) / "manifest.id") << id << "\n";
  if (!f) {
    fmt::print(stderr, "error: cannot write the manifest to '{}'\n", a.out);
    return 1;
  }
  const QModel& m = man.model;
  if (a.json) {
    nlohmann::json j;
    j["manifest_id"] = id;
    j["fingerprint"] = fp;
    j["nodes"] = m.nodes.size();
    j["tables"] = m.tables.size();
    j["params"] = g->param_count();
    j["slices"] = slices_json(m, man.slices);
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("compiled {}: {} nodes, {} params, {} tables, {} slices, manifest {} bytes\nmanifest id {}\n"
               "model fingerprint {}\n",
               a.model, m.nodes.size(), g->param_count(), m.tables.size(), man.slices.size(), ser.size(), id, fp);
    print_slices(m, man.slices);
  }
  return 0;
}

Result<slicer::Manifest> load_manifest(const std::string& dir) {
  auto c = load_compiled(dir);
  if (!c.ok()) return Error{c.error()};
  return std::move(c->manifest);
}

int run_run(const std::string& dir, const std::string& input, const std::string& reference, bool sliced, bool json) {
  auto man = load_manifest(dir);
  if (!man.ok()) {
    fmt::print(stderr, "error: {}\n", man.error());
    return 1;
  }
  if (auto s = need_weights(*man, dir); !s.ok()) {
    fmt::print(stderr, "error: {}\n", s.error());
    return 1;
  }
  const QModel& m = man->model;
  auto in = load_model_inputs(m, input);
  if (!in.ok()) {
    fmt::print(stderr, "error: {}\n", in.error());
    return 1;
  }
  auto run = run_int(m, *in);
  if (!run.ok()) {
    fmt::print(stderr, "error: {}\n", run.error());
    return 1;
  }
  warn_saturations(*run);
  if (sliced) {  // run slice by slice from boundary tensors only; must be bit-identical
    std::vector<std::vector<int64_t>> vals(m.tensors.size());
    for (int i : m.inputs) vals[i] = run->values[i];
    for (const auto& s : man->slices) {
      std::vector<std::vector<int64_t>> bin;
      for (int t : s.inputs) bin.push_back(vals[t]);
      auto out = slicer::run_slice(m, s, bin);
      if (!out.ok()) {
        fmt::print(stderr, "error: {}\n", out.error());
        return 1;
      }
      for (size_t k = 0; k < s.outputs.size(); ++k) vals[s.outputs[k]] = (*out)[k];
    }
    for (int o : m.outputs)
      if (vals[o] != run->values[o]) {
        fmt::print(stderr, "error: sliced run differs from the whole run on '{}'\n", m.tensors[o].name);
        return 1;
      }
    fmt::print(stderr, "sliced run: {} slices, from their boundary tensors only, bit-identical to the whole run\n",
               man->slices.size());
  }
  auto out = dequantize_outputs(m, *run);
  NamedTensors res;
  for (size_t i = 0; i < out.size(); ++i) {
    res.names.push_back(m.tensors[m.outputs[i]].name);
    res.tensors.push_back(out[i]);
  }
  nlohmann::json j = nlohmann::json::parse(tensors_to_json(res, "output"));
  j["saturations"] = run->saturations;
  int rc = 0;
  if (!reference.empty()) {
    auto ref = load_tensors_json(reference, "output");
    if (!ref.ok()) {
      fmt::print(stderr, "error: {}\n", ref.error());
      return 1;
    }
    if (ref->tensors.size() != out.size()) {
      fmt::print(stderr, "error: the reference has {} outputs, the model {}\n", ref->tensors.size(), out.size());
      return 1;
    }
    auto arr = nlohmann::json::array();
    for (size_t i = 0; i < out.size(); ++i) {
      auto a = compare(out[i].data, ref->tensors[i].data);
      arr.push_back({{"output", res.names[i]}, {"max_abs", a.max_abs}, {"rel_l2", a.rel_l2}, {"argmax_equal", a.argmax_equal}});
      if (!json)
        fmt::print("{}: max abs error {:.3g}, relative L2 {:.3g}, argmax {}\n", res.names[i], a.max_abs, a.rel_l2,
                   a.argmax_equal ? "agrees" : "DIFFERS");
    }
    j["agreement"] = arr;
  }
  if (json) {
    fmt::print("{}\n", j.dump());
  } else {
    for (size_t i = 0; i < out.size(); ++i) {
      fmt::print("{} {}:", res.names[i], shape_str(out[i].shape));
      for (size_t k = 0; k < std::min<size_t>(out[i].data.size(), 16); ++k) fmt::print(" {:.5g}", out[i].data[k]);
      fmt::print("{}\n", out[i].data.size() > 16 ? " ..." : "");
    }
    fmt::print("saturations: {}\n", run->saturations);
  }
  return rc;
}

// `zkslice publish DIR --out OUT`: the verify-only form of a compiled model, for a
// model owner to hand to whoever verifies its bundles without handing over its weights.
int run_publish(const std::string& dir, const std::string& out, bool json) {
  auto c = load_compiled(dir);
  if (!c.ok()) {
    fmt::print(stderr, "error: {}\n", c.error());
    return 1;
  }
  std::error_code same_ec;
  if (fs::exists(out) && fs::equivalent(dir, out, same_ec)) {
    fmt::print(stderr, "error: --out is {} itself: the verify-only manifest would replace the full one\n", dir);
    return 1;
  }
  auto pub = circuits::publish_manifest(c->manifest, c->hash, pcs::Params::standard());
  if (!pub.ok()) {
    fmt::print(stderr, "error: {}: {}\n", dir, pub.error());
    return 1;
  }
  size_t tensors = 0, values = 0;
  for (size_t t = 0; t < pub->model.tensors.size(); ++t)
    if (pub->model.tensors[t].withheld) ++tensors, values += c->manifest.model.tensors[t].data.size();
  const auto full = slicer::serialize_manifest(c->manifest);
  const auto ser = slicer::serialize_manifest(*pub);
  const std::string id = util::to_hex(c->hash), fp = util::to_hex(pub->fingerprint);
  std::error_code ec;
  fs::create_directories(out, ec);
  std::ofstream f(fs::path(out) / "manifest.pb", std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(ser.data()), static_cast<std::streamsize>(ser.size()));
  std::ofstream idf(fs::path(out) / "manifest.id");
  idf << id << "\n";
  f.close();
  idf.close();
  if (!f || !idf) {
    fmt::print(stderr, "error: cannot write the manifest to '{}'\n", out);
    return 1;
  }
  auto exposure = exposure_json(*pub);
  if (!exposure.ok()) {
    fmt::print(stderr, "error: {}: {}\n", dir, exposure.error());
    return 1;
  }
  if (json) {
    nlohmann::json j{{"manifest_id", id},           {"fingerprint", fp},         {"withheld_tensors", tensors},
                     {"withheld_values", values},   {"manifest_bytes", ser.size()}, {"full_manifest_bytes", full.size()},
                     {"weight_exposure", *exposure}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("published a verify-only manifest of {} to {}: {} weight tensors ({} values) withheld, {} -> {} bytes\n"
               "manifest id {} (the full manifest's: its bundles verify with this one)\nmodel fingerprint {} (unchanged)\n",
               dir, out, tensors, values, full.size(), ser.size(), id, fp);
    print_exposure(*exposure);
  }
  return 0;
}

// Whether `prove --private` takes the model (it reads the weights: a verify-only
// manifest cannot say).
Status private_provable(const slicer::Manifest& man) {
  if (man.verify_only()) return make_error("a verify-only manifest has no weights to plan with");
  ZK_TRY(circuits::check_private_provable(man.model));
  if (man.slices.size() < 2) return {};
  if (Status s = circuits::check_private_bundle(man.model, slicer::node_ranges(man.slices)); !s.ok())
    return make_error("as one proof: provable; --sliced: " + s.error());
  return {};
}

int run_inspect(const std::string& dir, bool json) {
  auto man = load_manifest(dir);
  if (!man.ok()) {
    fmt::print(stderr, "error: {}\n", man.error());
    return 1;
  }
  const QModel& m = man->model;
  size_t withheld = 0;
  for (const auto& t : m.tensors) withheld += t.withheld;
  auto exposure = exposure_json(*man);
  if (!exposure.ok()) {
    fmt::print(stderr, "error: {}\n", exposure.error());
    return 1;
  }
  if (json) {
    nlohmann::json j;
    j["nodes"] = m.nodes.size();
    j["verify_only"] = man->verify_only();
    if (man->verify_only()) {
      j["withheld_tensors"] = withheld;
      j["published_from"] = util::to_hex(man->published_from);
    }
    j["slices"] = slices_json(m, man->slices);
    j["weight_exposure"] = *exposure;
    auto ra = nlohmann::json::array();
    for (const auto& n : m.nodes)
      if (n.acc_bound > 0) ra.push_back({{"node", n.name}, {"op", n.op}, {"acc_log2", std::log2(n.acc_bound)}, {"shift", n.shift}});
    j["range_analysis"] = ra;
    const Status priv = private_provable(*man);
    j["private_proofs"] = priv.ok() ? nlohmann::json{{"provable", true}}
                                    : nlohmann::json{{"provable", false}, {"reason", priv.error()}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("model '{}', opset {}, {} nodes, {} tensors, {} tables, act {} bits, weights {} bits\n", m.name, m.opset,
             m.nodes.size(), m.tensors.size(), m.tables.size(), m.cfg.act_bits, m.cfg.weight_bits);
  if (man->verify_only())
    fmt::print("verify-only manifest: {} weight tensors withheld; published from model {}\n", withheld,
               util::to_hex(man->published_from));
  print_slices(m, man->slices);
  print_exposure(*exposure);
  if (const Status priv = private_provable(*man); priv.ok())
    fmt::print("private proofs (prove --private, zero knowledge: the whole model in one proof, or one a slice with "
               "--sliced): provable\n");
  else
    fmt::print("private proofs (prove --private): not provable: {}\n", priv.error());
  fmt::print("range analysis (max |acc|, headroom to 2^62):\n");
  for (const auto& n : m.nodes)
    if (n.acc_bound > 0)
      fmt::print("  {:<20} {:<28} 2^{:.1f}  (shift {}, headroom {:.1f} bits)\n", n.op, n.name, std::log2(n.acc_bound),
                 n.shift, 62 - std::log2(n.acc_bound));
  return 0;
}

}  // namespace

void register_compile(CLI::App& app, Context& ctx) {
  static CompileArgs ca;
  auto* c = app.add_subcommand("compile", "Compile an ONNX model into a quantized, sliced manifest");
  c->add_option("model", ca.model, "ONNX model file")->required();
  c->add_option("--out", ca.out, "Output directory for manifest.pb")->required();
  auto* s = c->add_option("--slices", ca.slices, "Number of slices")->check(CLI::Range(1, 4096));
  auto* mb = c->add_option("--max-slice-mb", ca.max_mb, "Max estimated peak memory of a slice's prover (MB, the process's own ~21 MB included)");
  auto* ms = c->add_option("--max-slice-ms", ca.max_ms, "Max estimated prove time per slice (ms on one core, as a warm miner proves it: weight commitments cached; compile also prints the one-shot estimate)");
  s->excludes(mb)->excludes(ms);
  mb->excludes(ms);
  c->add_option("--calibration,--calibrate", ca.calibration, "Calibration input JSON files (default: input.json next to the model)");
  c->add_option("--dim", ca.dims, "Symbolic dimension override NAME=VALUE");
  c->add_option("--act-bits", ca.act_bits, "Activation bits")->check(CLI::Range(4, 40));
  c->add_option("--weight-bits", ca.weight_bits, "Weight bits")->check(CLI::Range(2, 40));
  c->add_flag("--json", ca.json, "Machine-readable output");
  c->add_flag("--fused-layernorm", ca.fused_layer_norm,
              "Keep LayerNormalization as one op (a little more accurate; not provable yet)");
  c->callback([&ctx] { ctx.exit_code = run_compile(ca); });

  static std::string dir, input, reference;
  static bool sliced = false, json = false;
  auto* r = app.add_subcommand("run", "Run a compiled manifest with the integer executor");
  r->add_option("dir", dir, "Directory holding manifest.pb")->required();
  r->add_option("--input", input, "Input JSON")->required();
  r->add_option("--reference", reference, "Reference output JSON: report max abs / relative L2 / argmax");
  r->add_flag("--sliced", sliced, "Also run slice by slice and check bit-identity");
  r->add_flag("--json", json, "Machine-readable output");
  r->callback([&ctx] { ctx.exit_code = run_run(dir, input, reference, sliced, json); });

  static std::string idir;
  static bool ijson = false;
  auto* i = app.add_subcommand("inspect", "Show a manifest's slices, ops, costs and range-analysis headroom");
  i->add_option("dir", idir, "Directory holding manifest.pb")->required();
  i->add_flag("--json", ijson, "Machine-readable output");
  i->callback([&ctx] { ctx.exit_code = run_inspect(idir, ijson); });

  static std::string pdir, pout;
  static bool pjson = false;
  auto* p = app.add_subcommand("publish", "Write a compiled model's verify-only manifest: no weights (their commitments and "
                                           "digest stay in the fingerprint); bundles verify with it, nothing proves or runs");
  p->add_option("dir", pdir, "Directory holding the full manifest.pb")->required();
  p->add_option("--out", pout, "Output directory for the verify-only manifest.pb")->required();
  p->add_flag("--json", pjson, "Machine-readable output");
  p->callback([&ctx] { ctx.exit_code = run_publish(pdir, pout, pjson); });
}

}  // namespace zks::cli
