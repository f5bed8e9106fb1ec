// Slicing: N slices run one after another from boundary tensors only give exactly the
// unsliced integer run (N = 1..8), and the manifest round-trips.
#include <catch2/catch.hpp>
#include <limits>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "corpus_util.hpp"
#include "model/quantize.hpp"
#include "slicer/slicer.hpp"

using namespace zks;
using namespace zks::model;

namespace {
Result<QModel> compile_corpus(const std::string& m, NamedTensors& in) {
  auto t = load_tensors_json(test::corpus_path(m, "input.json"), "input");
  if (!t.ok()) return Error{t.error()};
  in = *t;
  auto g = import_onnx_file(test::corpus_path(m, "model.onnx"), test::import_options(in));
  if (!g.ok()) return Error{g.error()};
  return quantize(*g, {in.tensors});
}

// A corpus model compiled and run whole; its input is kept for runs of rewritten copies.
struct WholeRun {
  QModel q;
  NamedTensors in;
  IntRun run;
  std::vector<std::vector<int64_t>> outputs;  // the model's outputs, in order
};
WholeRun compile_and_run(const std::string& name) {
  WholeRun w;
  auto q = compile_corpus(name, w.in);
  REQUIRE(q.ok());
  w.q = std::move(q).value();
  auto run = run_int(w.q, w.in.tensors);
  REQUIRE(run.ok());
  w.run = std::move(run).value();
  for (int o : w.q.outputs) w.outputs.push_back(w.run.values[o]);
  return w;
}

std::vector<std::vector<int64_t>> run_sliced(const QModel& q, const std::vector<slicer::Slice>& sl,
                                             const IntRun& whole) {
  std::vector<std::vector<int64_t>> vals(q.tensors.size());
  for (int i : q.inputs) vals[i] = whole.values[i];
  for (const auto& s : sl) {
    std::vector<std::vector<int64_t>> bin;
    for (int t : s.inputs) bin.push_back(vals[t]);
    auto out = slicer::run_slice(q, s, bin);
    REQUIRE(out.ok());
    for (size_t k = 0; k < s.outputs.size(); ++k) vals[s.outputs[k]] = (*out)[k];
  }
  std::vector<std::vector<int64_t>> outs;
  for (int o : q.outputs) outs.push_back(vals[o]);
  return outs;
}
}  // namespace

TEST_CASE("sliced runs are bit-identical to the whole run", "[slicer]") {
  for (const char* m : {"age", "paddleocr_cls", "multihead_attention", "large_op_graph", "tutorial", "mnist_gan"}) {
    INFO("model " << m);
    auto w = compile_and_run(m);
    for (int n = 1; n <= 8; ++n) {
      INFO("slices " << n);
      auto sl = slicer::plan_slices(w.q, {n, 0, 0});
      REQUIRE(sl.ok());
      CHECK(sl->size() == static_cast<size_t>(std::min<size_t>(n, w.q.nodes.size())));
      CHECK(run_sliced(w.q, *sl, w.run) == w.outputs);
    }
    // Every single cut position, including inside residual branches.
    for (size_t c = 1; c < w.q.nodes.size(); c += std::max<size_t>(1, w.q.nodes.size() / 23)) {
      auto sl = slicer::slices_at(w.q, {c});
      CHECK(run_sliced(w.q, sl, w.run) == w.outputs);
    }
  }
}

TEST_CASE("a cut inside a residual branch carries every live tensor", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("paddleocr_cls", in);
  REQUIRE(q.ok());
  size_t widest = 0;
  for (size_t c = 1; c < q->nodes.size(); ++c) widest = std::max(widest, slicer::boundary(*q, c).size());
  CHECK(widest >= 2);
}

TEST_CASE("budgets by memory and time, and the manifest round trip", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("age", in);
  REQUIRE(q.ok());
  auto one = slicer::plan_slices(*q, {1, 0, 0});
  REQUIRE(one.ok());
  double total = one->at(0).cost.prove_ms;
  double biggest = 0;
  for (size_t k = 0; k < q->nodes.size(); ++k) biggest = std::max(biggest, slicer::estimate_cost(*q, k).prove_ms);
  double budget = std::max(biggest, total / 4);
  auto by_time = slicer::plan_slices(*q, {0, 0, budget});
  REQUIRE(by_time.ok());
  CHECK(by_time->size() >= 2);
  for (const auto& s : *by_time) CHECK(s.cost.prove_ms <= budget + 1e-9);
  CHECK(!slicer::plan_slices(*q, {0, 1e-6, 0}).ok());

  slicer::Manifest man{*q, *by_time, {}, {}, {}, {}, {}};
  auto bytes = slicer::serialize_manifest(man);
  auto bytes2 = slicer::serialize_manifest(man);
  CHECK(bytes == bytes2);
  CHECK(slicer::manifest_id(bytes).size() == 64);
  auto back = slicer::parse_manifest(bytes);
  REQUIRE(back.ok());
  CHECK(slicer::serialize_manifest(*back) == bytes);
  auto r1 = run_int(*q, in.tensors), r2 = run_int(back->model, in.tensors);
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  for (int o : q->outputs) CHECK(r1->values[o] == r2->values[o]);
  // Tables, gather maps and multipliers travel delta-coded: exactly, the int64 extremes
  // too, and in about a byte an entry.
  size_t entries = 0;
  for (size_t k = 0; k < q->nodes.size(); ++k) {
    CHECK(back->model.nodes[k].gather == q->nodes[k].gather);
    CHECK(back->model.nodes[k].mult == q->nodes[k].mult);
    entries += q->nodes[k].gather.size() + q->nodes[k].mult.size();
  }
  for (size_t i = 0; i < q->tables.size(); ++i) {
    CHECK(back->model.tables[i].values == q->tables[i].values);
    entries += q->tables[i].values.size();
  }
  CHECK(bytes.size() < entries * 13 / 10 + 200000);  // plain zigzag took 2.2 bytes an entry on age
  auto extreme = man;
  extreme.model.tables[0].values[0] = std::numeric_limits<int64_t>::min();
  extreme.model.tables[0].values[1] = std::numeric_limits<int64_t>::max();
  extreme.model.tables[0].values[2] = std::numeric_limits<int64_t>::min();
  // A table that does not match its hash is refused by name.
  auto unhashed = slicer::parse_manifest(slicer::serialize_manifest(extreme));
  REQUIRE_FALSE(unhashed.ok());
  CHECK_THAT(unhashed.error(), Catch::Contains("does not match its hash"));
  extreme.model.tables[0].hash = model::table_hash(extreme.model.tables[0]);
  auto ebytes = slicer::serialize_manifest(extreme);
  auto eback = slicer::parse_manifest(ebytes);
  REQUIRE(eback.ok());
  CHECK(eback->model.tables[0].values == extreme.model.tables[0].values);
  // Corrupt manifests are errors, never crashes.
  for (size_t cut : {size_t(10), bytes.size() / 2}) {
    util::Bytes t(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    CHECK(!slicer::parse_manifest(t).ok());
  }
}

namespace {
// Every tensor of the unsplit model that survives the split (same name) holds the same
// integers, and so do the graph outputs.
void check_same_run(const QModel& a, const IntRun& ra, const QModel& b, const IntRun& rb) {
  std::map<std::string, int> by_name;
  for (size_t t = 0; t < b.tensors.size(); ++t)
    if (!b.tensors[t].is_const) by_name[b.tensors[t].name] = static_cast<int>(t);
  for (size_t t = 0; t < a.tensors.size(); ++t) {
    if (a.tensors[t].is_const) continue;
    INFO("tensor " << a.tensors[t].name);
    REQUIRE(by_name.count(a.tensors[t].name));
    CHECK(ra.values[t] == rb.values[by_name[a.tensors[t].name]]);
  }
  REQUIRE(a.outputs.size() == b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) CHECK(ra.values[a.outputs[i]] == rb.values[b.outputs[i]]);
}

// A split model's plan: run slice by slice from boundary tensors only, bit-identical to
// the unsplit run, and its manifest round-trips. Returns the manifest read back.
slicer::Manifest check_split_plan(const WholeRun& w, const QModel& s, const std::vector<slicer::Slice>& sl) {
  auto whole_s = run_int(s, w.in.tensors);
  REQUIRE(whole_s.ok());
  check_same_run(w.q, w.run, s, *whole_s);
  CHECK(run_sliced(s, sl, *whole_s) == w.outputs);
  slicer::Manifest man{s, sl, {}, {}, {}, {}, {}};
  auto bytes = slicer::serialize_manifest(man);
  auto back = slicer::parse_manifest(bytes);
  REQUIRE(back.ok());
  CHECK(slicer::serialize_manifest(*back) == bytes);
  return std::move(back).value();
}
}  // namespace

TEST_CASE("splitting Conv, Gemm and MatMul by output channels is bit-identical", "[slicer][split]") {
  for (const char* name : {"age", "paddleocr_cls", "1l_mlp", "tutorial", "multihead_attention"}) {
    INFO("model " << name);
    NamedTensors in;
    auto q = compile_corpus(name, in);
    REQUIRE(q.ok());
    auto whole = run_int(*q, in.tensors);
    REQUIRE(whole.ok());
    QModel s = *q;
    std::set<std::string> split_ops;
    for (size_t k = s.nodes.size(); k-- > 0;) {  // from the back: earlier indices stay valid
      if (!slicer::can_split(s, s.nodes[k])) continue;
      const auto& ys = s.tensors[s.nodes[k].outputs[0]].shape;
      int64_t C = ys[s.nodes[k].op == "Conv" ? 1 : ys.size() - 1];
      if (C < 2) continue;
      split_ops.insert(s.nodes[k].op);
      REQUIRE(slicer::split_output_channels(s, k, static_cast<int>(std::min<int64_t>(C, 3))).ok());
    }
    CHECK(!split_ops.empty());
    auto r = run_int(s, in.tensors);
    REQUIRE(r.ok());
    check_same_run(*q, *whole, s, *r);
  }
  // What cannot be split says why.
  NamedTensors in;
  auto q = compile_corpus("age", in);
  REQUIRE(q.ok());
  for (size_t k = 0; k < q->nodes.size(); ++k)
    if (q->nodes[k].op == "Relu") {
      auto st = slicer::split_output_channels(*q, k, 2);
      REQUIRE(!st.ok());
      CHECK(st.error().find("only Conv, Gemm and MatMul") != std::string::npos);
      break;
    }
}

TEST_CASE("an op over the slice budget becomes independent channel-part slices", "[slicer][split]") {
  int budgets_tried = 0;
  for (const char* name : {"age", "paddleocr_cls"}) {
    auto w = compile_and_run(name);
    for (int by_time = 0; by_time < 2; ++by_time) {
      INFO("model " << name << (by_time ? ", time budget" : ", memory budget"));
      // The budget: the largest op that cannot be split, when one that can is larger.
      auto measure = [&](size_t k) {
        auto c = slicer::estimate_cost(w.q, k);
        return by_time ? c.prove_ms : c.memory_bytes / 1048576.0;
      };
      double fixed = 0, splittable = 0;
      for (size_t k = 0; k < w.q.nodes.size(); ++k) {
        double& m = slicer::can_split(w.q, w.q.nodes[k]) ? splittable : fixed;
        m = std::max(m, measure(k));
      }
      if (splittable <= fixed) continue;
      ++budgets_tried;
      QModel s = w.q;
      slicer::Budget b{0, by_time ? 0 : fixed, by_time ? fixed : 0};
      auto sl = slicer::plan_slices(s, b);
      REQUIRE(sl.ok());
      CHECK(s.nodes.size() > w.q.nodes.size());
      size_t parts = 0;
      for (const auto& sc : *sl) {
        CHECK((by_time ? sc.cost.prove_ms : sc.cost.memory_bytes / 1048576.0) <= fixed * (1 + 1e-9));
        if (!sc.channel_part) continue;
        ++parts;
        // A part reads only what its node reads: never a sibling part.
        const auto& node = s.nodes[sc.first];
        CHECK(slicer::is_channel_part(node));
        CHECK(sc.outputs == node.outputs);
        for (int t : sc.inputs) CHECK(s.tensors[t].name.find("#ch") == std::string::npos);
      }
      CHECK(parts >= 2);
      // Bit-identical slice by slice; the manifest keeps the parts.
      const auto back = check_split_plan(w, s, *sl);
      size_t back_parts = 0;
      for (const auto& sc : back.slices) back_parts += sc.channel_part ? 1 : 0;
      CHECK(back_parts == parts);
    }
  }
  CHECK(budgets_tried >= 2);
  // A budget below even one channel of the largest op is a clear error, and one below
  // the prover's own memory another.
  NamedTensors in;
  auto q = compile_corpus("age", in);
  REQUIRE(q.ok());
  auto tiny = slicer::plan_slices(*q, {0, 21.01, 0});
  REQUIRE(!tiny.ok());
  INFO(tiny.error());
  CHECK(tiny.error().find("alone exceeds the slice budget") != std::string::npos);
  auto none = slicer::plan_slices(*q, {0, 1e-6, 0});
  REQUIRE(!none.ok());
  CHECK(none.error().find("is below the prover's own 21") != std::string::npos);
}

TEST_CASE("a corrupted manifest is refused with a reason or runs, never crashes", "[slicer][bad]") {
  // Ops of every kind the executor treats apart: Conv, pools, Gemm, tables, Softmax,
  // MatMul of activations, LayerNormalization, gathers, Concat, Add, Mul, Div.
  size_t parsed_in_all = 0;
  for (const char* name : {"4l_relu_conv_fc", "1l_softmax", "1l_concat", "1l_eltwise_div", "layernorm",
                           "multihead_attention", "large_op_graph"}) {
    INFO("model " << name);
    NamedTensors in;
    auto q = compile_corpus(name, in);
    REQUIRE(q.ok());
    auto sl = slicer::plan_slices(*q, {std::min(2, static_cast<int>(q->nodes.size())), 0, 0});
    REQUIRE(sl.ok());
    const auto bytes = slicer::serialize_manifest(slicer::Manifest{*q, *sl, {}, {}, {}, {}, {}});
    // About 400 positions a model (spread over the file), each with three flips: a low
    // bit, the high bit, all bits (1,500 a model, 31,500 corrupt manifests, ran clean
    // under AddressSanitizer and UBSan once by hand).
    const size_t step = std::max<size_t>(1, bytes.size() / 400);
    size_t refused = 0, parsed = 0;
    for (size_t pos = 0; pos < bytes.size(); pos += step) {
      for (uint8_t flip : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
        auto t = bytes;
        t[pos] ^= flip;
        auto back = slicer::parse_manifest(t);
        if (!back.ok()) {
          CHECK(back.error().rfind("manifest: ", 0) == 0);
          ++refused;
          continue;
        }
        ++parsed;
        // What a miner does with it: run the model, and each slice from inputs of its
        // boundary tensors' sizes.
        (void)run_int(back->model, in.tensors);
        for (const auto& s : back->slices) {
          std::vector<std::vector<int64_t>> inputs;
          for (int b : s.inputs) inputs.emplace_back(static_cast<size_t>(numel(back->model.tensors[size_t(b)].shape)), 1);
          (void)slicer::run_slice(back->model, s, inputs);
        }
      }
    }
    CHECK(refused > 0);
    parsed_in_all += parsed;  // (1l_softmax is nearly all table: a changed table fails its hash)
  }
  CHECK(parsed_in_all > 100);
}

TEST_CASE("a one-shot run is estimated with its weight commitment, a warm miner without", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("4l_relu_conv_fc", in);
  REQUIRE(q.ok());
  const auto f = slicer::slice_features(*q, 0, q->nodes.size());
  REQUIRE(f.weights > 1000);
  const double warm = slicer::estimate_ms(f), once = slicer::estimate_one_shot_ms(f);
  CHECK(once > warm);
  CHECK(once - warm == Approx(f.weights * 200e-6));  // 200 ns a weight (slicer.cpp)
  auto none = f;
  none.weights = 0;
  CHECK(slicer::estimate_one_shot_ms(none) == slicer::estimate_ms(none));
}

TEST_CASE("a slice is costed as a whole: tables once, its private boundaries, and the partition minimises the slowest", "[slicer]") {
  for (const char* name : {"age", "multihead_attention"}) {
    INFO("model " << name);
    NamedTensors in;
    auto q = compile_corpus(name, in);
    REQUIRE(q.ok());
    const size_t n = q->nodes.size();
    // The whole model reads and makes no private boundary; a table shared by several
    // nodes is charged once; the whole costs less than its nodes as slices of their own.
    const auto whole = slicer::slice_features(*q, 0, n);
    CHECK(whole.inputs_read == 0);
    CHECK(whole.outputs_made == 0);
    double alone = 0, tables_alone = 0;
    for (size_t k = 0; k < n; ++k) {
      alone += slicer::estimate_cost(*q, k).prove_ms;
      tables_alone += slicer::slice_features(*q, k, k + 1).table_entries;
    }
    CHECK(whole.table_entries <= tables_alone);
    if (std::string(name) == "age") CHECK(whole.table_entries < tables_alone);  // 22 Relu nodes, one table
    CHECK(slicer::estimate_ms(whole) < alone);

    // The slicer may run the nodes in another topological order (depth-first) when
    // that cuts better: the same nodes, in an order the executor accepts.
    QModel planned = *q;
    auto sl = slicer::plan_slices(planned, {4, 0, 0});
    REQUIRE(sl.ok());
    REQUIRE(sl->size() == 4);
    CHECK(model::check_structure(planned).ok());
    std::multiset<std::string> before, after;
    for (const auto& node : q->nodes) before.insert(node.name + "/" + node.op);
    for (const auto& node : planned.nodes) after.insert(node.name + "/" + node.op);
    CHECK(before == after);
    double slowest = 0;
    for (const auto& s : *sl) {
      // Its boundaries as the manifest lists them: inputs it reads that an earlier slice
      // made, outputs it makes that a later slice reads (both over 2^8 entries).
      const auto f = slicer::slice_features(planned, s.first, s.end);
      CHECK(s.cost.prove_ms == Approx(slicer::estimate_ms(f)));
      std::set<int> made, read;
      for (size_t k = s.first; k < s.end; ++k) {
        for (int i : planned.nodes[k].inputs) read.insert(i);
        for (int o : planned.nodes[k].outputs) made.insert(o);
      }
      auto counted = [&](int t) {
        int64_t e = 1;
        for (auto d : q->tensors[t].shape) e *= int64_t(1) << (d <= 1 ? 0 : 64 - __builtin_clzll(uint64_t(d - 1)));
        return e > 256 && std::find(q->inputs.begin(), q->inputs.end(), t) == q->inputs.end() &&
               std::find(q->outputs.begin(), q->outputs.end(), t) == q->outputs.end();
      };
      double inputs = 0, outputs = 0;
      for (int t : s.inputs) inputs += read.count(t) && counted(t);
      for (int t : s.outputs) outputs += made.count(t) && counted(t);
      CHECK(f.inputs_read == inputs);
      CHECK(f.outputs_made == outputs);
      slowest = std::max(slowest, s.cost.prove_ms);
    }
    // No other 4-way partition, of either order, has a slowest slice estimated faster.
    std::mt19937 rng(7);
    for (const QModel* order : {&*q, &planned})
      for (int trial = 0; trial < 300; ++trial) {
        std::set<size_t> cuts;
        while (cuts.size() < 3) cuts.insert(1 + rng() % (n - 1));
        double worst = 0;
        for (const auto& s : slicer::slices_at(*order, {cuts.begin(), cuts.end()})) worst = std::max(worst, s.cost.prove_ms);
        CHECK(slowest <= worst * (1 + 1e-9));
      }
  }
}

TEST_CASE("a manifest whose slices leave out a tensor crossing a cut is refused", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("age", in);
  REQUIRE(q.ok());
  auto sl = slicer::plan_slices(*q, {4, 0, 0});
  REQUIRE(sl.ok());
  const slicer::Manifest good{*q, *sl, {}, {}, {}, {}, {}};
  REQUIRE(slicer::parse_manifest(slicer::serialize_manifest(good)).ok());
  for (size_t j = 1; j < 4; ++j)
    for (int side = 0; side < 2; ++side) {
      INFO("slice " << j << (side ? ", its inputs" : ", the outputs of the slice before"));
      slicer::Manifest bad = good;
      auto& list = side ? bad.slices[j].inputs : bad.slices[j - 1].outputs;
      REQUIRE(!list.empty());
      list.erase(list.begin());
      auto back = slicer::parse_manifest(slicer::serialize_manifest(bad));
      REQUIRE(!back.ok());
      CHECK_THAT(back.error(), Catch::Contains("does not list the tensors crossing its cuts"));
    }
  slicer::Manifest marked = good;
  marked.slices[1].channel_part = true;
  auto back = slicer::parse_manifest(slicer::serialize_manifest(marked));
  REQUIRE(!back.ok());
  CHECK_THAT(back.error(), Catch::Contains("marked as a channel part but is not one"));
}

TEST_CASE("a constant read by two nodes is refused by the structure check", "[slicer]") {
  NamedTensors in;
  auto q = compile_corpus("4l_relu_conv_fc", in);
  REQUIRE(q.ok());
  REQUIRE(model::check_structure(*q).ok());
  // The first two nodes with a constant operand; the second is pointed at the first's.
  std::vector<std::pair<size_t, size_t>> with_const;  // (node, input position)
  for (size_t k = 0; k < q->nodes.size() && with_const.size() < 2; ++k)
    for (size_t p = 0; p < q->nodes[k].inputs.size(); ++p)
      if (q->tensors[q->nodes[k].inputs[p]].is_const) {
        with_const.push_back({k, p});
        break;
      }
  REQUIRE(with_const.size() == 2);
  QModel shared = *q;
  shared.nodes[with_const[1].first].inputs[with_const[1].second] =
      shared.nodes[with_const[0].first].inputs[with_const[0].second];
  auto st = model::check_structure(shared);
  REQUIRE(!st.ok());
  CHECK_THAT(st.error(), Catch::Contains("of another node"));
}

TEST_CASE("a time budget that splits an op: the Concat reading every part gets a slice of its own", "[slicer][split]") {
  int planned = 0, with_parts = 0;
  for (const char* name : {"4l_relu_conv_fc", "variable_cnn", "age"}) {
    auto w = compile_and_run(name);
    double biggest = 0;
    for (size_t k = 0; k < w.q.nodes.size(); ++k) biggest = std::max(biggest, slicer::estimate_cost(w.q, k).prove_ms);
    for (double part : {2.0, 3.0, 5.0, 8.0, 16.0}) {
      const double budget = biggest / part;
      INFO("model " << name << ", budget " << budget << " ms");
      QModel s = w.q;
      auto sl = slicer::plan_slices(s, {0, 0, budget});
      if (!sl.ok()) {
        // Only a node whose own work is over the budget, and that cannot be split, is refused.
        CHECK_THAT(sl.error(), Catch::Contains("alone exceeds the slice budget"));
        CHECK_THAT(sl.error(), !Catch::Contains("Concat"));
        continue;
      }
      ++planned;
      with_parts += std::any_of(sl->begin(), sl->end(), [](const auto& c) { return c.channel_part; });
      auto run_s = run_int(s, w.in.tensors);
      REQUIRE(run_s.ok());
      CHECK(run_sliced(s, *sl, *run_s) == w.outputs);
      // A slice over the budget holds one node: the boundaries it reads or writes are
      // what no cut can take away.
      for (const auto& c : *sl)
        if (c.cost.prove_ms > budget * (1 + 1e-9)) CHECK(c.end == c.first + 1);
    }
  }
  CHECK(planned >= 3);
  CHECK(with_parts >= 2);  // 4l_relu_conv_fc's Conv in parts: its Concat used to be refused
}

TEST_CASE("a slice count splits the op that alone bounds the slowest slice, when that pays", "[slicer][split]") {
  auto w = compile_and_run("age");
  // No partition of the unsplit model beats its costliest node alone (age: the first
  // Conv, 149 ms estimated).
  double node_bound = 0;
  for (size_t k = 0; k < w.q.nodes.size(); ++k)
    node_bound = std::max(node_bound, slicer::estimate_ms(slicer::slice_features(w.q, k, k + 1)));
  QModel s = w.q;
  auto sl = slicer::plan_slices(s, {16, 0, 0});
  REQUIRE(sl.ok());
  REQUIRE(sl->size() == 16);
  CHECK(s.nodes.size() > w.q.nodes.size());
  double slowest = 0;
  for (const auto& sc : *sl) slowest = std::max(slowest, sc.cost.prove_ms);
  CHECK(slowest < node_bound * 0.85);
  check_split_plan(w, s, *sl);

  // Where a split gains little, nothing is split: age in 4 slices (its first Conv shares
  // a slice with the next node), variable_cnn in 4 (its Gemm, 23 ms, would gain 11 ms,
  // which measured as a loss).
  for (auto [name, n] : {std::pair<const char*, int>{"age", 4}, {"variable_cnn", 4}}) {
    INFO(name << " in " << n << " slices");
    auto v = name == std::string("age") ? w : compile_and_run(name);
    QModel vs = v.q;
    REQUIRE(slicer::plan_slices(vs, {n, 0, 0}).ok());
    CHECK(vs.nodes.size() == v.q.nodes.size());
  }
}
