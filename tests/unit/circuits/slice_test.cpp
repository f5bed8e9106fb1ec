// The slice prover end to end on corpus models: import, quantize, run, prove, verify;
// and the first negative cases (a changed output, other weights, changed proof bytes).
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <algorithm>
#include <functional>
#include <random>
#include <set>

#include "backend/backend.hpp"
#include "circuits/slice/bundle.hpp"
#include "circuits/slice/fingerprint.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "model/onnx_import.hpp"
#include "pcs/basefold.hpp"
#include "sumcheck/sumcheck.hpp"
#include "unit/circuits/compiled.hpp"
#include "unit/onnx_graph.hpp"

namespace c = zks::circuits;
namespace model = zks::model;

namespace {

using zks::test::Compiled;
using zks::test::compile;

c::SliceStatement whole(const Compiled& m) { return zks::test::whole_statement(m); }

const zks::pcs::Params kParams = zks::pcs::Params::standard();

// The statement's proof, checked to prove and to verify (the completeness every test
// here starts from).
zks::Result<zks::util::Bytes> proved(const c::SliceStatement& st) {
  auto proof = c::prove_slice(st, kParams);
  INFO((proof.ok() ? std::string() : proof.error()));
  REQUIRE(proof.ok());
  REQUIRE(c::verify_slice(st, *proof, kParams).ok());
  return proof;
}

// Whether the proof still verifies with output value `at` changed by one (it must not).
bool verifies_with_changed_output(const c::SliceStatement& st, const zks::util::Bytes& proof, size_t at = 0) {
  auto changed = st;
  changed.output_values[0][at] += 1;
  return c::verify_slice(changed, proof, kParams).ok();
}

// The model planned into `slices` slices (not sealed).
zks::slicer::Manifest planned(const zks::model::QModel& q, int slices) {
  zks::slicer::Manifest man{q, {}, {}, {}, {}, {}, {}};
  auto plan = zks::slicer::plan_slices(man.model, {slices, 0, 0});
  REQUIRE(plan.ok());
  man.slices = *plan;
  return man;
}
// The model sealed as `slices` slices, and its inputs from the compiled run.
zks::slicer::Manifest sealed(const Compiled& m, size_t slices) {
  auto man = planned(m.q, int(slices));
  REQUIRE(c::seal_manifest(man, kParams).ok());
  return man;
}
std::vector<std::vector<int64_t>> model_inputs(const Compiled& m) {
  std::vector<std::vector<int64_t>> inputs;
  for (int t : m.q.inputs) inputs.push_back(m.run.values[t]);
  return inputs;
}

// Proof header fields (little-endian u32s).
uint32_t u32_at(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}
void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(v >> (8 * i));
}

// The header after version and parameters id (36 bytes): the saturating list, then the
// table windows (lookup, bits, first entry, count of listed rows, the rows), then the
// witness commitments.
struct HeaderWindow {
  size_t at;  // the window's offset in the proof
  uint32_t lookup, first, rows;
  uint8_t bits;
};
struct HeaderWindows {
  size_t list_at = 0;  // the count of windows
  std::vector<HeaderWindow> windows;
  size_t end = 0;      // the first byte past the list
};
HeaderWindows header_windows(const std::vector<uint8_t>& proof) {
  HeaderWindows h;
  h.list_at = 36 + 4 + 4 * size_t(u32_at(proof, 36));
  size_t at = h.list_at + 4;
  for (uint32_t i = 0, n = u32_at(proof, h.list_at); i < n; ++i) {
    HeaderWindow e{at, u32_at(proof, at), u32_at(proof, at + 5), u32_at(proof, at + 9), proof[at + 4]};
    h.windows.push_back(e);
    at += 13 + 4 * size_t(e.rows);
  }
  h.end = at;
  return h;
}

}  // namespace

TEST_CASE("slice proofs of whole corpus networks verify", "[circuits][slice]") {
  for (const char* name : {"1l_relu", "1l_mlp", "2l_relu_fc", "1l_conv", "1l_flatten", "1l_sigmoid", "1l_tanh",
                           "1l_erf", "1l_elu", "1l_sqrt", "1l_linear", "1l_reshape", "1l_identity", "1l_slice",
                           "1l_pad", "1l_downsample", "1l_average", "1l_div", "1l_max_pool", "1l_batch_norm", "idolmodel", "1l_leakyrelu", "1l_concat", "eye",
                           "3l_relu_conv_fc", "4l_relu_conv_fc",
                           "2l_relu_sigmoid_conv", "1l_prelu", "prelu_gmm", "1l_mean", "1l_var", "softsign",
                           "1l_eltwise_div", "wakeword_hello_deepa", "tutorial", "large_op_graph", "1l_softmax",
                           "multihead_attention", "1l_conv_transpose", "layernorm"}) {
    CAPTURE(name);
    Compiled m = compile(name);
    auto st = whole(m);
    auto t0 = std::chrono::steady_clock::now();
    auto proof = c::prove_slice(st, kParams);
    INFO((proof.ok() ? std::string() : proof.error()));
    REQUIRE(proof.ok());
    double prove_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto verified = c::verify_slice(st, *proof, kParams);
    INFO(verified.error());
    REQUIRE(verified.ok());
    WARN(name << ": proof " << proof->size() << " bytes, prove " << prove_ms << " ms (Release timings: see docs/benchmarks.md)");
  }
}

TEST_CASE("a slice proof's soundness counts every random check and reaches its floor (rule 8)", "[circuits][slice]") {
  using Check = zks::transcript::SoundnessLedger::Check;
  for (const char* name : {"1l_mlp", "1l_softmax", "1l_max_pool", "4l_relu_conv_fc"}) {
    CAPTURE(name);
    Compiled m = compile(name);
    auto st = whole(m);
    auto proof = c::prove_slice(st, kParams);
    REQUIRE(proof.ok());
    // verify_slice refuses when a challenge it drew is not in the ledger.
    zks::transcript::SoundnessLedger ledger;
    auto verified = c::verify_slice(st, *proof, kParams, &ledger);
    INFO(verified.error());
    REQUIRE(verified.ok());
    INFO(ledger.describe());
    CHECK(ledger.bits() >= zks::pcs::kMinSecurityBits);
    CHECK(ledger.bits() < zks::pcs::kMinSecurityBits + zks::pcs::kQueryMarginBits + 1);
    for (Check k : {Check::Sumcheck, Check::Point, Check::Lookup, Check::Pcs}) CHECK(ledger.error(k) > 0);
    // The commitment's term is the largest, the gadgets' far below it.
    CHECK(ledger.error(Check::Pcs) > ledger.total() / 2);
    // What sealing expects of the slice bounds what its proof has.
    auto expected = c::expected_error(st, kParams);
    REQUIRE(expected.ok());
    CHECK(*expected >= ledger.total());
    CHECK(*expected < 4 * ledger.total());
  }
  // Commitment parameters that give 100 bits on their own leave nothing for the rest:
  // such a proof is accepted alone, but two of them are not a 100-bit bundle (their
  // errors add up: check_bundle_soundness, which verify_bundle and the validator run).
  const auto bare = zks::pcs::Params::with_queries_for(4, 12);
  REQUIRE(bare.query_bits() < 101.0);
  Compiled m = compile("1l_mlp");
  auto st = whole(m);
  auto proof = c::prove_slice(st, bare);
  REQUIRE(proof.ok());
  zks::transcript::SoundnessLedger alone;
  REQUIRE(c::verify_slice(st, *proof, bare, &alone).ok());
  CHECK(alone.bits() >= zks::pcs::kMinSecurityBits);
  CHECK(alone.bits() < 101.0);
  std::vector<c::SliceTiming> two(2);
  two[0].soundness = two[1].soundness = alone;
  CHECK(c::check_bundle_soundness({two[0]}).ok());
  auto refused = c::check_bundle_soundness(two);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find("the bundle's soundness is") != std::string::npos);
  CHECK(refused.error().find("below 100") != std::string::npos);
  // The standard parameters carry a bundle of 16 such slices.
  auto standard = c::prove_slice(st, kParams);
  REQUIRE(standard.ok());
  std::vector<c::SliceTiming> sixteen(16);
  REQUIRE(c::verify_slice(st, *standard, kParams, &sixteen[0].soundness).ok());
  for (auto& t : sixteen) t.soundness = sixteen[0].soundness;
  CHECK(c::check_bundle_soundness(sixteen).ok());
  // Sealing foresees it: two slices under the bare parameters are refused, under the
  // standard ones sealed.
  Compiled four = compile("4l_relu_conv_fc");
  auto man = planned(four.q, 2);
  auto sealed_bare = c::seal_manifest(man, bare, nullptr);
  REQUIRE_FALSE(sealed_bare.ok());
  CHECK(sealed_bare.error().find("2 slices: their proofs would reach about") != std::string::npos);
  CHECK(c::seal_manifest(man, kParams, nullptr).ok());
}

TEST_CASE("slice proofs reject a changed output, other weights and changed bytes", "[circuits][slice]") {
  Compiled m = compile("4l_relu_conv_fc");
  auto st = whole(m);
  auto proof = proved(st);

  SECTION("an output value changed by one") {
    REQUIRE_FALSE(verifies_with_changed_output(st, *proof, 3));
  }
  SECTION("an input value changed by one") {
    auto st2 = st;
    st2.input_values[0][100] += 1;
    REQUIRE_FALSE(c::verify_slice(st2, *proof, kParams).ok());
  }
  SECTION("the verifier's model has one weight changed") {
    Compiled m2 = compile("4l_relu_conv_fc");
    for (auto& t : m2.q.tensors)
      if (t.is_const && t.data.size() > 10) {
        t.data[5] += 1;
        break;
      }
    auto st2 = whole(m2);
    st2.input_values = st.input_values, st2.output_values = st.output_values;
    REQUIRE_FALSE(c::verify_slice(st2, *proof, kParams).ok());
  }
  SECTION("a changed shift in the verifier's model") {
    Compiled m2 = compile("4l_relu_conv_fc");
    for (auto& n : m2.q.nodes)
      if (n.op == "Gemm") {
        n.shift += 1;
        break;
      }
    auto st2 = whole(m2);
    st2.input_values = st.input_values, st2.output_values = st.output_values;
    REQUIRE_FALSE(c::verify_slice(st2, *proof, kParams).ok());
  }
  SECTION("sampled single-byte changes of the proof") {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 40; ++i) {
      auto bad = *proof;
      size_t at = rng() % bad.size();
      bad[at] ^= uint8_t(1 + rng() % 255);
      CAPTURE(at);
      REQUIRE_FALSE(c::verify_slice(st, bad, kParams).ok());
    }
    auto truncated = *proof;
    truncated.resize(truncated.size() - 1);
    REQUIRE_FALSE(c::verify_slice(st, truncated, kParams).ok());
  }
  SECTION("a prover cannot prove a wrong output") {
    auto st2 = st;
    st2.output_values[0][0] += 1;
    REQUIRE_FALSE(c::prove_slice(st2, kParams).ok());
  }
}

TEST_CASE("slice prover refuses ops it cannot prove yet, naming the node", "[circuits][slice]") {
  Compiled m = compile("layernorm", /*expand_layer_norm=*/false);  // the fused op
  auto r = c::prove_slice(whole(m), kParams);
  REQUIRE_FALSE(r.ok());
  REQUIRE_THAT(r.error(), Catch::Contains("not provable yet"));
}

TEST_CASE("average pooling and products: changed outputs and proof bytes are rejected", "[circuits][slice]") {
  for (const char* name : {"1l_average", "1l_div", "1l_max_pool", "1l_concat", "1l_leakyrelu", "1l_prelu", "1l_mean",
                           "1l_var", "softsign", "1l_eltwise_div", "tutorial", "large_op_graph", "1l_softmax",
                           "1l_conv_transpose"}) {
    CAPTURE(name);
    Compiled m = compile(name);
    auto st = whole(m);
    auto proof = proved(st);
    REQUIRE_FALSE(verifies_with_changed_output(st, *proof));
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20; ++i) {
      auto bad = *proof;
      bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
      REQUIRE_FALSE(c::verify_slice(st, bad, kParams).ok());
    }
  }
}

TEST_CASE("saturating requantizations: only the nodes that clamped take the saturating form", "[circuits][slice]") {
  // Inputs at the ends of the range, signs at random, make some layers clamp.
  Compiled m = compile("4l_relu_conv_fc");
  std::mt19937_64 rng(3);
  std::vector<uint32_t> clamped;
  for (int attempt = 0; attempt < 20 && clamped.empty(); ++attempt) {
    for (int t : m.q.inputs)
      for (auto& v : m.run.values[t]) v = rng() % 2 ? m.q.act_hi() : m.q.act_lo();
    m.run.node_saturations.assign(m.q.nodes.size(), 0);
    REQUIRE(model::run_int_range(m.q, 0, m.q.nodes.size(), m.run).ok());
    for (size_t k = 0; k < m.q.nodes.size(); ++k)
      if (m.run.node_saturations[k] > 0) clamped.push_back(uint32_t(k));
  }
  REQUIRE_FALSE(clamped.empty());
  auto st = whole(m);
  auto proof = proved(st);

  // The header: version, parameters id, the count of saturating nodes, their indices.
  constexpr size_t kList = 4 + 32;
  const uint32_t n = u32_at(*proof, kList);
  REQUIRE(n >= 1);
  REQUIRE(n <= clamped.size());
  for (uint32_t i = 0; i < n; ++i)
    REQUIRE(std::find(clamped.begin(), clamped.end(), u32_at(*proof, kList + 4 + 4 * i)) != clamped.end());

  SECTION("a saturating node dropped from the list") {
    auto bad = *proof;
    put_u32(bad, kList, n - 1);
    bad.erase(bad.begin() + std::ptrdiff_t(kList + 4), bad.begin() + std::ptrdiff_t(kList + 8));
    REQUIRE_FALSE(c::verify_slice(st, bad, kParams).ok());
  }
  SECTION("a node without a requantization listed") {
    std::vector<uint32_t> list;
    for (uint32_t i = 0; i < n; ++i) list.push_back(u32_at(*proof, kList + 4 + 4 * i));
    uint32_t relu = 0;
    while (m.q.nodes[relu].op != "Relu") ++relu;
    list.push_back(relu);
    std::sort(list.begin(), list.end());
    auto bad = *proof;
    bad.insert(bad.begin() + std::ptrdiff_t(kList + 4), 4, 0);
    put_u32(bad, kList, n + 1);
    for (size_t i = 0; i < list.size(); ++i) put_u32(bad, kList + 4 + 4 * i, list[i]);
    auto r = c::verify_slice(st, bad, kParams);
    REQUIRE_FALSE(r.ok());
    REQUIRE_THAT(r.error(), Catch::Contains("cannot saturate"));
  }
  SECTION("a malformed list: an entry past the slice, a huge count, a cut-off list") {
    auto past = *proof;
    put_u32(past, kList + 4, uint32_t(m.q.nodes.size()));
    auto huge = *proof;
    put_u32(huge, kList, 0xffffffffu);
    std::vector<uint8_t> cut(proof->begin(), proof->begin() + std::ptrdiff_t(kList + 6));
    for (const auto* bad : {&past, &huge, &cut}) {
      auto r = c::verify_slice(st, *bad, kParams);
      REQUIRE_FALSE(r.ok());
      REQUIRE_THAT(r.error(), Catch::Contains("saturating-node list"));
    }
  }
  SECTION("a superset proves; leaving out a node that clamped does not") {
    std::set<size_t> all;
    for (size_t k = 0; k < m.q.nodes.size(); ++k) all.insert(k);
    auto superset = c::prove_slice_with(st, kParams, {.saturating = all});
    INFO((superset.ok() ? std::string() : superset.error()));
    REQUIRE(superset.ok());
    REQUIRE(u32_at(*superset, kList) > n);  // every node that may saturate, not only those that did
    REQUIRE(c::verify_slice(st, *superset, kParams).ok());
    std::set<size_t> short_list(clamped.begin() + 1, clamped.end());
    REQUIRE_FALSE(c::prove_slice_with(st, kParams, {.saturating = short_list}).ok());
  }
  SECTION("a slice that starts past node 0 lists its clamping nodes relative to its start") {
    const size_t first = clamped.front() > 0 ? clamped.front() - 1 : 0, end = std::min(m.q.nodes.size(), first + 3);
    c::SliceStatement sub;
    sub.model = &m.q;
    sub.first = first, sub.end = end;
    sub.inputs = m.q.nodes[first].inputs;
    sub.inputs.erase(std::remove_if(sub.inputs.begin(), sub.inputs.end(), [&](int t) { return m.q.tensors[t].is_const; }),
                     sub.inputs.end());
    sub.outputs = m.q.nodes[end - 1].outputs;
    for (int t : sub.inputs) sub.input_values.push_back(m.run.values[t]);
    for (int t : sub.outputs) sub.output_values.push_back(m.run.values[t]);
    auto p2 = c::prove_slice(sub, kParams);
    INFO((p2.ok() ? std::string() : p2.error()));
    REQUIRE(p2.ok());
    REQUIRE(u32_at(*p2, kList) >= 1);
    REQUIRE(u32_at(*p2, kList + 4) == clamped.front() - first);
    REQUIRE(c::verify_slice(sub, *p2, kParams).ok());
  }
  SECTION("a listed node repeated") {
    auto bad = *proof;
    bad.insert(bad.begin() + std::ptrdiff_t(kList + 4), bad.begin() + std::ptrdiff_t(kList + 4), bad.begin() + std::ptrdiff_t(kList + 8));
    put_u32(bad, kList, n + 1);
    REQUIRE_FALSE(c::verify_slice(st, bad, kParams).ok());
  }
}

namespace {

// Proves `name`, then checks the proof against the model changed by `change` (a
// statement field the verifier takes from the model): it must be rejected.
void require_model_change_rejected(Compiled m, const std::function<bool(model::QModel&)>& change) {
  auto st = whole(m);
  auto proof = proved(st);
  Compiled m2 = m;
  REQUIRE(change(m2.q));
  auto st2 = whole(m2);
  st2.input_values = st.input_values, st2.output_values = st.output_values;
  REQUIRE_FALSE(c::verify_slice(st2, *proof, kParams).ok());
}

model::QNode* find_op(model::QModel& q, const std::string& op) {
  for (auto& n : q.nodes)
    if (n.op == op) return &n;
  return nullptr;
}

}  // namespace

TEST_CASE("table lookups look into the smallest window of their table the run needs", "[circuits][slice]") {
  bool seen_rows = false, seen_range = false;
  for (const char* name : {"4l_relu_conv_fc", "2l_relu_sigmoid_conv"}) {
    CAPTURE(name);
    Compiled m = compile(name);
    auto st = whole(m);
    auto proof = proved(st);
    const auto header = header_windows(*proof);
    const size_t list_at = header.list_at;
    const auto& wins = header.windows;
    REQUIRE_FALSE(wins.empty());
    for (const auto& e : wins) {
      REQUIRE(e.bits < 16);
      if (e.rows) seen_rows = true;
      else seen_range = true;
    }
    const auto& e = wins.front();

    // Whole tables prove and verify too (a longer proof); a window that misses a
    // looked-up input cannot be proved.
    auto whole_tables = c::prove_slice_with(st, kParams, {.windows = std::map<size_t, c::TableWindow>{}});
    REQUIRE(whole_tables.ok());
    REQUIRE(c::verify_slice(st, *whole_tables, kParams).ok());
    REQUIRE(whole_tables->size() > proof->size());
    std::map<size_t, c::TableWindow> missing;
    missing[e.lookup] = c::TableWindow{0, e.rows ? u32_at(*proof, e.at + 13) : e.first, {}};
    auto refused = c::prove_slice_with(st, kParams, {.windows = missing});
    REQUIRE_FALSE(refused.ok());
    REQUIRE_THAT(refused.error(), Catch::Contains("outside the table"));

    // The verifier derives each window from the model's table, so a changed window is
    // another table (or another layout of the witness) and the proof fails.
    auto moved = *proof;
    if (e.rows) put_u32(moved, e.at + 13, u32_at(moved, e.at + 13) ^ 1);
    else put_u32(moved, e.at + 5, e.first + 1);
    REQUIRE_FALSE(c::verify_slice(st, moved, kParams).ok());
    auto wider = *proof;
    wider[e.at + 4] = uint8_t(e.bits + 1);
    REQUIRE_FALSE(c::verify_slice(st, wider, kParams).ok());
    // Malformed lists: a lookup the slice lacks, lookups out of order, a huge count,
    // more listed rows than a list may hold, a cut-off list.
    auto past = *proof;
    put_u32(past, e.at, 64);
    auto huge = *proof;
    put_u32(huge, list_at, 0xffffffffu);
    auto rows = *proof;
    put_u32(rows, e.at + 9, 1u << 20);
    std::vector<uint8_t> cut(proof->begin(), proof->begin() + std::ptrdiff_t(e.at + 7));
    for (const auto* bad : {&past, &huge, &rows, &cut}) {
      auto r = c::verify_slice(st, *bad, kParams);
      REQUIRE_FALSE(r.ok());
      REQUIRE_THAT(r.error(), Catch::Contains("table-window list"));
    }
    if (wins.size() > 1) {
      auto swapped = *proof;
      put_u32(swapped, wins[1].at, e.lookup);
      auto r = c::verify_slice(st, swapped, kParams);
      REQUIRE_FALSE(r.ok());
      REQUIRE_THAT(r.error(), Catch::Contains("table-window list"));
    }
  }
  REQUIRE(seen_range);
  REQUIRE(seen_rows);
}

TEST_CASE("a requantization's output that a table looks up has no range term of its own", "[circuits][slice]") {
  namespace sd = zks::circuits::slice_detail;
  // idolmodel: Conv -> Relu and Gemm -> Sigmoid, each table reading a requantized output.
  Compiled m = compile("idolmodel");
  // Terms on the column itself, or on its limbs where the 8-bit table split it.
  auto terms_on = [](const sd::Plan& p, size_t col) {
    return std::count_if(p.range.terms.begin(), p.range.terms.end(), [&](const c::RangeTerm& t) { return t.column == col; }) +
           std::count_if(p.range_splits.begin(), p.range_splits.end(), [&](const c::RangeSplit& s) { return s.column == col; });
  };
  // The requantized outputs a table reads: (the table's op, the output's column).
  auto looked_up = [&](const sd::Plan& p) {
    std::multimap<std::string, size_t> cols;
    for (const auto& np : p.nodes)
      if (np.kind == sd::Kind::Table && p.kind.at(np.x) == sd::TensorKind::Committed)
        for (const auto& producer : p.nodes)
          if (producer.requant && producer.y == np.x) cols.emplace(np.node->op, producer.rq_col);
    return cols;
  };
  auto column_of = [](const std::multimap<std::string, size_t>& cols, const std::string& op) {
    REQUIRE(cols.count(op) == 1);
    return cols.find(op)->second;
  };
  // Every requantized output a table reads has no term; every other one keeps its
  // check (q - lo in [0, 2^16)), and every remainder limb keeps its own.
  auto check_terms = [&](const sd::Plan& p) {
    const auto cols = looked_up(p);
    size_t dropped = 0, kept = 0;
    for (const auto& np : p.nodes) {
      if (!np.requant) continue;
      bool read_by_table = false;
      for (const auto& [op, col] : cols) read_by_table |= col == np.rq_col;
      REQUIRE(terms_on(p, np.rq_col) == (read_by_table ? 0 : 1));
      ++(read_by_table ? dropped : kept);
      // The limbs: remainder then excess, 16 bits each but the top one; one of a single
      // bit is proved a bit by the requantization itself (C10), not by a range term.
      size_t col = np.rq_col + 1 + 2 * size_t(np.rq.excess_bits > 0);
      for (auto [bits, limbs] : {std::pair{np.rq.shift, np.rq.remainder_limbs()}, std::pair{np.rq.excess_bits, np.rq.excess_limbs()}})
        for (unsigned i = 0; i < limbs; ++i, ++col)
          REQUIRE(terms_on(p, col) == (i + 1 == limbs && bits - 16 * (limbs - 1) == 1 ? 0 : 1));
      REQUIRE(col == np.rq_col + np.rq.num_columns());
    }
    return std::make_pair(dropped, kept);
  };
  auto plan = sd::make_plan(whole(m));
  REQUIRE(plan.ok());
  REQUIRE(check_terms(*plan) == std::make_pair(size_t(2), size_t(0)));
  // Conv Relu Conv Relu Flatten Gemm Relu Gemm: the last output is read by no table.
  Compiled fc = compile("4l_relu_conv_fc");
  auto plan_fc = sd::make_plan(whole(fc));
  REQUIRE(plan_fc.ok());
  REQUIRE(check_terms(*plan_fc) == std::make_pair(size_t(3), size_t(1)));

  // A table whose inputs reach outside a term's range does not imply it: the term stays.
  // (The planner's tables all cover the activation range exactly; this guards the rule.)
  const size_t relu_col = column_of(looked_up(*plan), "Relu");
  sd::NodePlan const* relu_producer = nullptr;
  for (const auto& np : plan->nodes)
    if (np.requant && np.rq_col == relu_col) relu_producer = &np;
  REQUIRE(relu_producer);
  auto q_term = c::RangeTerm{uint32_t(relu_col), relu_producer->rq.shape, relu_producer->rq.out_bits(), -relu_producer->rq.lo};
  auto with_term = *plan;
  with_term.range.terms.insert(with_term.range.terms.begin(), q_term);
  auto wider = with_term;
  wider.relu = std::make_shared<c::FunctionTable>(*plan->relu);
  wider.relu->in_lo -= 1;
  for (auto& g : wider.table_groups)
    if (g.table == plan->relu.get()) g.table = wider.relu.get();
  sd::drop_range_terms_implied_by_lookups(wider);
  REQUIRE(terms_on(wider, relu_col) == 1);
  // Nor does a column whose padding no gadget proves zero: the lookup bounds real
  // entries only, the range check every row.
  auto unpadded = with_term;
  REQUIRE(unpadded.columns[relu_col].zero_padded);
  unpadded.columns[relu_col].zero_padded = false;
  sd::drop_range_terms_implied_by_lookups(unpadded);
  REQUIRE(terms_on(unpadded, relu_col) == 1);
  sd::drop_range_terms_implied_by_lookups(with_term);
  REQUIRE(terms_on(with_term, relu_col) == 0);

  // The proof without those terms is complete, and a changed output is still rejected.
  auto st = whole(m);
  auto proof = proved(st);
  REQUIRE_FALSE(verifies_with_changed_output(st, *proof));
}

TEST_CASE("a small range witness is checked against the 8-bit table, its wide terms split into limbs", "[circuits][slice]") {
  namespace sd = zks::circuits::slice_detail;
  Compiled fc = compile("4l_relu_conv_fc");
  auto plan = sd::make_plan(whole(fc));
  REQUIRE(plan.ok());
  REQUIRE(plan->range.table_bits == 8);
  REQUIRE(plan->columns[plan->range_m_col].shape.padded_size() == 256);
  REQUIRE_FALSE(plan->range_splits.empty());
  for (const auto& t : plan->range.terms) REQUIRE(t.bits <= 8);
  for (const auto& sp : plan->range_splits) {
    REQUIRE(sp.bits > 8);
    // The limbs are range terms of 8 and bits - 8 bits on columns of the split's shape;
    // the split column itself has no term of its own any more.
    size_t lo = 0, hi = 0, own = 0;
    for (const auto& t : plan->range.terms) {
      lo += t.column == sp.lo && t.bits == 8 && t.offset == 0 && t.shape == sp.shape;
      hi += t.column == sp.hi && t.bits == sp.bits - 8 && t.offset == 0 && t.shape == sp.shape;
      own += t.column == sp.column;
    }
    REQUIRE(lo == 1);
    REQUIRE(hi == 1);
    REQUIRE(own == 0);
  }
  // Complete (the prover's plan, with its table windows, and the verifier's agree), and
  // a changed output is still rejected.
  auto st = whole(fc);
  auto proof = proved(st);
  REQUIRE_FALSE(verifies_with_changed_output(st, *proof));
  // The range statement, and so the table, follows the proof's own choices, which the
  // header carries: 1l_average's range witness grows from 2^7 entries as run to 2^9
  // with every node that may saturate in the saturating form (its excess limbs). Both
  // prove and verify. (No corpus network crosses 2^kSmallRangeVars by its choices since
  // limbs of one bit stopped being range terms; the verifier plans the mode from the
  // choices all the same.)
  Compiled avg = compile("1l_average");
  auto avg_st = whole(avg);
  auto avg_plan = sd::make_plan(avg_st);
  REQUIRE(avg_plan.ok());
  c::ProofChoices every;
  every.saturating = avg_plan->may_saturate;
  REQUIRE_FALSE(every.saturating.empty());
  auto avg_forced_plan = sd::make_plan(avg_st, every);
  REQUIRE(avg_forced_plan.ok());
  REQUIRE(avg_plan->range.table_bits == 8);
  REQUIRE(avg_forced_plan->range.table_bits == 8);
  REQUIRE(avg_forced_plan->range.witness_vars() > avg_plan->range.witness_vars());
  REQUIRE(proved(avg_st).ok());
  auto forced = c::prove_slice_with(avg_st, kParams, {.saturating = every.saturating});
  INFO((forced.ok() ? std::string() : forced.error()));
  REQUIRE(forced.ok());
  REQUIRE(c::verify_slice(avg_st, *forced, kParams).ok());
  // A witness above 2^kSmallRangeVars entries keeps the 16-bit table and no splits.
  Compiled gan = compile("mnist_gan");
  auto big = sd::make_plan(whole(gan));
  REQUIRE(big.ok());
  REQUIRE(big->range.table_bits == 16);
  REQUIRE(big->range_splits.empty());
  REQUIRE(big->range.witness_vars() > sd::kSmallRangeVars);
}

TEST_CASE("per-channel PRelu, ReduceMean, Div and left shifts: the verifier's slopes, multipliers and shifts bind", "[circuits][slice]") {
  SECTION("a PRelu slope changed") {
    require_model_change_rejected(compile("1l_prelu"), [](model::QModel& q) {
      auto* n = find_op(q, "PRelu");
      if (!n || n->mult.size() < 2) return false;
      n->mult[1] += 1;
      return true;
    });
  }
  SECTION("a ReduceMean multiplier changed") {
    require_model_change_rejected(compile("1l_mean"), [](model::QModel& q) {
      auto* n = find_op(q, "ReduceMean");
      if (!n) return false;
      n->mult[0] += 1;
      return true;
    });
  }
  SECTION("a Div's scale shift changed") {
    require_model_change_rejected(compile("1l_eltwise_div"), [](model::QModel& q) {
      auto* n = find_op(q, "Div");
      if (!n) return false;
      n->aux += 1;
      return true;
    });
  }
  SECTION("a MatMul's shift changed (two activations)") {
    require_model_change_rejected(compile("tutorial"), [](model::QModel& q) {
      auto* n = find_op(q, "MatMul");
      if (!n || q.tensors[n->inputs[1]].is_const) return false;
      n->shift += 1;
      return true;
    });
  }
  SECTION("a Softmax exp table entry changed") {
    require_model_change_rejected(compile("1l_softmax"), [](model::QModel& q) {
      auto* n = find_op(q, "Softmax");
      if (!n) return false;
      for (auto& v : q.tables[n->table].values)
        if (v > 0) {
          v -= 1;
          return true;
        }
      return false;
    });
  }
  SECTION("a Softmax output scale changed") {
    require_model_change_rejected(compile("1l_softmax"), [](model::QModel& q) {
      auto* n = find_op(q, "Softmax");
      if (!n) return false;
      n->aux -= 1;
      return true;
    });
  }
  SECTION("a ConvTranspose weight changed") {
    require_model_change_rejected(compile("1l_conv_transpose"), [](model::QModel& q) {
      auto* n = find_op(q, "ConvTranspose");
      if (!n) return false;
      q.tensors[n->inputs[1]].data[1] += 1;
      return true;
    });
  }
  SECTION("a left shift changed") {
    require_model_change_rejected(compile("1l_var"), [](model::QModel& q) {
      for (auto& n : q.nodes)
        if (n.shift < 0) {
          n.shift -= 1;
          return true;
        }
      return false;
    });
  }
}

TEST_CASE("Concat of different scales requantizes the finer inputs first", "[circuits][slice]") {
  Compiled m = compile("1l_concat");
  auto* cat = find_op(m.q, "Concat");
  REQUIRE(cat);
  REQUIRE(cat->in_shift.size() >= 2);
  cat->in_shift[1] = 3;  // the second input 3 bits finer: the executor shifts it right by 3
  model::IntRun run;
  run.values.resize(m.q.tensors.size());
  for (int t : m.q.inputs) run.values[t] = m.run.values[t];
  REQUIRE(model::run_int_range(m.q, 0, m.q.nodes.size(), run).ok());
  REQUIRE(run.values[m.q.outputs[0]] != m.run.values[m.q.outputs[0]]);
  m.run = run;
  auto st = whole(m);
  auto proof = proved(st);
  auto st2 = st;
  st2.output_values[0].back() += 1;
  REQUIRE_FALSE(c::verify_slice(st2, *proof, kParams).ok());
  require_model_change_rejected(m, [](model::QModel& q) {
    find_op(q, "Concat")->in_shift[1] = 2;
    return true;
  });
}

TEST_CASE("age in 16 slices: its first Conv split by output channels proves and verifies", "[circuits][slice][age][split]") {
  Compiled m = compile("age");
  auto man = planned(m.q, 16);
  size_t parts = 0;
  for (const auto& n : man.model.nodes) parts += zks::slicer::is_channel_part(n) ? 1 : 0;
  REQUIRE(parts >= 2);
  REQUIRE(c::seal_manifest(man, kParams, nullptr).ok());
  // The split renumbers tensors: the unsplit run's values are found by name.
  auto value_of = [&](int t) -> const std::vector<int64_t>& {
    for (size_t i = 0; i < m.q.tensors.size(); ++i)
      if (m.q.tensors[i].name == man.model.tensors[t].name) return m.run.values[i];
    FAIL("no tensor " << man.model.tensors[t].name << " in the unsplit model");
    throw std::logic_error("unreachable");
  };
  std::vector<std::vector<int64_t>> inputs;
  for (int t : man.model.inputs) inputs.push_back(value_of(t));
  zks::hash::Digest id{};
  id[0] = 16;
  auto bundle = c::prove_bundle(man, id, inputs, kParams, 2, nullptr, {});
  REQUIRE(bundle.ok());
  REQUIRE(c::verify_bundle(man, id, *bundle, kParams, nullptr).ok());
  for (int t : man.model.outputs) CHECK(bundle->tensors.at(t) == value_of(t));
  // A channel part's commitment changed: the slice that makes it and the one that
  // concatenates it both see another root.
  int part = -1;
  for (const auto& [t, cm] : bundle->commitments)
    if (man.model.tensors[t].name.find("#ch") != std::string::npos) part = t;
  REQUIRE(part >= 0);
  auto changed = *bundle;
  changed.commitments[part].root[0] ^= 1;
  REQUIRE_FALSE(c::verify_bundle(man, id, changed, kParams, nullptr).ok());
}

TEST_CASE("the age model proves and verifies as a bundle of 1 and 4 slices", "[circuits][slice][age]") {
  Compiled m = compile("age");
  {
    // More than 16 slices cannot keep the bundle at 100 bits: sealing refuses them.
    auto man = planned(m.q, 17);
    auto sealed = c::seal_manifest(man, kParams, nullptr);
    REQUIRE_FALSE(sealed.ok());
    CHECK(sealed.error().find("17 slices: a bundle keeps 100 bits of soundness with at most 16") != std::string::npos);
  }
  for (int n : {1, 4}) {
    CAPTURE(n);
    auto man = planned(m.q, n);
    zks::hash::Digest id{};
    id[0] = uint8_t(n);
    const auto bundle = zks::test::proved_bundle(m, man, id, kParams);  // verifies; the outputs are the model's
    std::vector<c::SliceTiming> verified;
    REQUIRE(c::verify_bundle(man, id, bundle, kParams, &verified).ok());
    // Each slice reaches 100 bits, the bundle too (here each reaches 100 + log2(n)), and
    // what sealing expects of each slice bounds its proof's error.
    for (size_t j = 0; j < verified.size(); ++j) {
      CHECK(verified[j].soundness.bits() >= 100.0 + std::log2(double(n)));
      zks::circuits::SliceStatement shape;
      shape.model = &man.model;
      shape.first = man.slices[j].first, shape.end = man.slices[j].end;
      shape.inputs = man.slices[j].inputs, shape.outputs = man.slices[j].outputs;
      shape.input_values.resize(shape.inputs.size()), shape.output_values.resize(shape.outputs.size());
      auto expected = c::expected_error(shape, kParams);
      REQUIRE(expected.ok());
      CHECK(*expected >= verified[j].soundness.total());
    }
    CHECK(c::bundle_soundness_bits(verified) >= 100.0);
    CHECK(c::bundle_soundness_bits(verified) <= verified[0].soundness.bits());
    if (n == 4) {
      auto reordered = bundle;
      std::swap(reordered.proofs[1], reordered.proofs[2]);
      REQUIRE_FALSE(c::verify_bundle(man, id, reordered, kParams, nullptr).ok());
      auto dropped = bundle;
      dropped.proofs.pop_back();
      REQUIRE_FALSE(c::verify_bundle(man, id, dropped, kParams, nullptr).ok());
      // The tensors crossing cuts are private: only their commitments are in the bundle.
      int cut = man.slices[1].inputs.back();
      REQUIRE(bundle.commitments.count(cut) == 1);
      REQUIRE(bundle.tensors.count(cut) == 0);
      // A boundary commitment changed between slices (C_out[j] != C_in[j+1]).
      auto boundary = bundle;
      boundary.commitments[cut].root[0] ^= 1;
      REQUIRE_FALSE(c::verify_bundle(man, id, boundary, kParams, nullptr).ok());
      // The commitment of another value of that tensor: both slices reject it.
      auto other_values = m.run.values[cut];
      other_values[0] += 1;
      auto other_c = c::boundary_commitment(man.model, cut, other_values, kParams);
      REQUIRE(other_c.ok());
      auto swapped = bundle;
      swapped.commitments[cut] = *other_c;
      REQUIRE_FALSE(c::verify_bundle(man, id, swapped, kParams, nullptr).ok());
      // Revealing a boundary instead of committing it is refused for the model's I/O only;
      // a public-boundary bundle of the same run verifies too.
      std::vector<std::vector<int64_t>> inputs;
      for (int t : man.model.inputs) inputs.push_back(m.run.values[t]);
      auto open_bundle = c::prove_bundle(man, id, inputs, kParams, 2, nullptr, {}, false);
      REQUIRE(open_bundle.ok());
      REQUIRE(open_bundle->commitments.empty());
      REQUIRE(c::verify_bundle(man, id, *open_bundle, kParams, nullptr).ok());
      // Serialization round trip.
      const auto bytes = bundle.write();
      auto back = c::Bundle::read(bytes);
      REQUIRE(back.ok());
      REQUIRE(c::verify_bundle(man, id, *back, kParams, nullptr).ok());
      // One byte of the written bundle changed, at 48 places spread over it (header,
      // tensors, commitments, every proof): refused when read or when verified.
      std::mt19937_64 rng(48);
      for (int k = 0; k < 48; ++k) {
        auto bad = bytes;
        const size_t at = k < 8 ? rng() % 4096 : rng() % bad.size();
        bad[at] ^= uint8_t(1 + rng() % 255);
        CAPTURE(at);
        auto read = c::Bundle::read(bad);
        CHECK_FALSE((read.ok() && c::verify_bundle(man, id, *read, kParams, nullptr).ok()));
      }
      zks::hash::Digest other = id;
      other[1] = 1;
      REQUIRE_FALSE(c::verify_bundle(man, other, bundle, kParams, nullptr).ok());
    }
  }
}

namespace {
// A small ONNX graph over one input x of `shape` (unit/onnx_graph.hpp), imported,
// quantized and run on a sine input.
Compiled compile_graph(const std::vector<int64_t>& shape, const std::function<void(onnx::GraphProto&)>& add_nodes) {
  const auto mp = zks::test::onnx_model(shape, add_nodes);
  std::string bytes;
  REQUIRE(mp.SerializeToString(&bytes));
  auto graph = model::import_onnx(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  INFO((graph.ok() ? std::string() : graph.error()));
  REQUIRE(graph.ok());
  model::Tensor x;
  x.shape = shape;
  const int64_t n = model::numel(shape);
  for (int64_t i = 0; i < n; ++i) x.data.push_back(std::sin(0.37 * double(i)));
  auto q = model::quantize(*graph, {{x}});
  REQUIRE(q.ok());
  auto run = model::run_int(*q, {x});
  REQUIRE(run.ok());
  return {std::move(q).value(), std::move(run).value()};
}
}  // namespace

TEST_CASE("an element-wise op reading one layout output twice proves (Mul(r, r), Add(r, r))", "[circuits][slice]") {
  for (const char* op : {"Mul", "Add"}) {
    INFO(op << "(r, r) after a Reshape");
    // x [1,4,4] -> Reshape [1,16] -> op(r, r): r is a layout output read twice by one
    // node, so it must be committed and both claims opened (it used to reach the prover
    // as a virtual tensor with two claims, and abort it).
    Compiled m = compile_graph({1, 4, 4}, [&](onnx::GraphProto& g) {
      auto* shape = g.add_initializer();
      shape->set_name(std::string("shape"));
      shape->set_data_type(onnx::TensorProto::INT64);
      shape->add_dims(2);
      shape->add_int64_data(1);
      shape->add_int64_data(16);
      zks::test::add_node(g, "Reshape", {"x", "shape"}, "r");
      zks::test::add_node(g, op, {"r", "r"}, "y");
    });
    auto st = whole(m);
    auto proof = proved(st);
    CHECK_FALSE(verifies_with_changed_output(st, *proof, 3));
  }
}

TEST_CASE("a max pool over a window wider than 15 taps a side is proved in stages", "[circuits][slice]") {
  // A global pool over an axis of L > 15 pools windows of 15 with stride 15 until what
  // is left fits one window; the stages chain through committed maxima.
  struct Case {
    const char* op;
    std::vector<int64_t> shape;
    size_t stages;
  };
  for (const Case& k : {Case{"GlobalMaxPool", {1, 3, 16, 16}, 4}, Case{"GlobalMaxPool", {1, 1, 250, 3}, 4},
                        Case{"MaxPool", {1, 2, 20, 20}, 4}}) {
    INFO(k.op << " over " << k.shape[2] << "x" << k.shape[3]);
    Compiled m = compile_graph(k.shape, [&](onnx::GraphProto& g) {
      auto* node = zks::test::add_node(g, k.op, {"x"}, "y");
      if (std::string(k.op) == "MaxPool") {
        auto* attr = node->add_attribute();
        attr->set_name(std::string("kernel_shape"));
        attr->set_type(onnx::AttributeProto::INTS);
        attr->add_ints(k.shape[2]);
        attr->add_ints(k.shape[3]);
      }
    });
    auto st = whole(m);
    auto proof = proved(st);
    CHECK_FALSE(verifies_with_changed_output(st, *proof));
    // A cheating prover that raises one maximum of any stage is caught.
    size_t stages = 0;
    for (size_t stage = 0;; ++stage) {
      bool changed = false;
      c::ForcedChoices forced;
      forced.tamper = [&](const zks::circuits::slice_detail::Plan& p, std::vector<std::vector<zks::field::Fp>>& cols) {
        for (const auto& np : p.nodes)
          if (stage < np.stages.size()) {
            cols[np.stages[stage].y_col][0] += zks::field::Fp::one();
            changed = true;
          }
        stages = p.nodes.empty() ? 0 : p.nodes[0].stages.size();
      };
      auto cheat = c::prove_slice_with(st, kParams, forced);
      if (!changed) break;
      REQUIRE(cheat.ok());
      CHECK_FALSE(c::verify_slice(st, *cheat, kParams).ok());
    }
    CHECK(stages == k.stages);
  }
}

TEST_CASE("a verified bundle answers the input it carries, which its requester checks", "[circuits][slice]") {
  Compiled m = compile("4l_relu_conv_fc");
  const auto man = sealed(m, 2);
  const auto bundle = zks::test::proved_bundle(m, man, zks::hash::Digest{}, kParams);
  const auto sent = model_inputs(m);
  CHECK(c::check_bundle_input(man, bundle, sent).ok());
  // Another request's input: the bundle still verifies, but it is not this answer.
  auto other = sent;
  other[0][other[0].size() / 2] += 1;
  auto st = c::check_bundle_input(man, bundle, other);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error(), Catch::Contains("another input"));
  REQUIRE_FALSE(c::check_bundle_input(man, bundle, {}).ok());
  auto without = bundle;
  without.tensors.erase(man.model.inputs[0]);
  REQUIRE_FALSE(c::check_bundle_input(man, without, sent).ok());
}

TEST_CASE("a large witness is committed as several stacks, each bound by the header", "[circuits][slice][age]") {
  // age's witness (about 1.4M entries) would be a 2^21 stack a third padding: it goes
  // into 2^20 + 2^18 + 2^16 instead, one joint commitment (their sizes, then one root).
  Compiled m = compile("age");
  auto st = whole(m);
  auto proof = proved(st);
  // Past version, parameters id, the saturating list and the table windows.
  const size_t count_at = header_windows(*proof).end;
  REQUIRE((*proof)[count_at] == 3);
  std::vector<uint32_t> vars;
  for (size_t i = 0; i < 3; ++i) vars.push_back(u32_at(*proof, count_at + 1 + 4 * i));
  REQUIRE(vars == std::vector<uint32_t>{20, 18, 16});
  const size_t root_at = count_at + 1 + 12;

  auto fewer = *proof;
  fewer[count_at] = 2;
  auto r = c::verify_slice(st, fewer, kParams);
  REQUIRE_FALSE(r.ok());
  REQUIRE_THAT(r.error(), Catch::Contains("witness commitments where the plan has 3"));
  // Sizes swapped (no longer the plan's), or the root changed in any byte.
  auto swapped = *proof;
  std::swap_ranges(swapped.begin() + std::ptrdiff_t(count_at + 1), swapped.begin() + std::ptrdiff_t(count_at + 5),
                   swapped.begin() + std::ptrdiff_t(count_at + 5));
  r = c::verify_slice(st, swapped, kParams);
  REQUIRE_FALSE(r.ok());
  REQUIRE_THAT(r.error(), Catch::Contains("wrong size"));
  for (size_t i = 0; i < 32; i += 5) {
    auto root = *proof;
    root[root_at + i] ^= 1;
    REQUIRE_FALSE(c::verify_slice(st, root, kParams).ok());
  }
}

TEST_CASE("sealed manifests: the fingerprint binds weights, and proofs do not replay under another", "[circuits][slice]") {
  Compiled m = compile("4l_relu_conv_fc");
  zks::slicer::Manifest man = sealed(m, 2);
  auto fp = c::check_sealed(man, kParams);
  REQUIRE(fp.ok());
  REQUIRE(man.slices[0].weight_commitment.size() == 36);
  // Sealing is deterministic, and the fingerprint covers every weight.
  zks::slicer::Manifest again{m.q, man.slices, {}, {}, {}, {}, {}};
  REQUIRE(c::seal_manifest(again, kParams).ok());
  REQUIRE(again.fingerprint == man.fingerprint);
  zks::slicer::Manifest other = again;
  for (auto& t : other.model.tensors)
    if (t.is_const && t.data.size() > 10) {
      t.data[3] += 1;
      break;
    }
  REQUIRE(c::seal_manifest(other, kParams).ok());
  REQUIRE(other.fingerprint != man.fingerprint);

  std::vector<std::vector<int64_t>> inputs;
  for (int t : man.model.inputs) inputs.push_back(m.run.values[t]);
  zks::hash::Digest id{};
  auto bundle = c::prove_bundle(man, id, inputs, kParams, 2, nullptr, {});
  REQUIRE(bundle.ok());
  REQUIRE(c::verify_bundle(man, id, *bundle, kParams, nullptr, &*fp).ok());
  SECTION("a pinned fingerprint of another model is refused") {
    auto other_fp = c::check_sealed(other, kParams);
    REQUIRE(other_fp.ok());
    REQUIRE_FALSE(c::verify_bundle(man, id, *bundle, kParams, nullptr, &*other_fp).ok());
  }
  SECTION("the proofs do not verify under the other model's fingerprint and R_W") {
    REQUIRE_FALSE(c::verify_bundle(other, id, *bundle, kParams, nullptr).ok());
  }
  SECTION("a manifest whose R_W was replaced without resealing is refused") {
    auto tampered = man;
    tampered.slices[0].weight_commitment = other.slices[0].weight_commitment;
    REQUIRE_FALSE(c::verify_bundle(tampered, id, *bundle, kParams, nullptr).ok());
  }
  SECTION("each proof is bound to its job id and prover hotkey (rule 11)") {
    c::ProofBinding bind;
    bind.job_id[0] = 7;
    bind.prover[31] = 9;
    auto bound = c::prove_bundle(man, id, inputs, kParams, 2, nullptr, {}, true, bind);
    REQUIRE(bound.ok());
    REQUIRE(bound->bindings == std::vector<c::ProofBinding>(2, bind));
    auto back = c::Bundle::read(bound->write());
    REQUIRE(back.ok());
    REQUIRE(back->bindings == bound->bindings);
    REQUIRE(c::verify_bundle(man, id, *back, kParams, nullptr, &*fp).ok());
    auto other_job = *bound;
    other_job.bindings[1].job_id[0] ^= 1;  // the proof copied into another job
    REQUIRE_FALSE(c::verify_bundle(man, id, other_job, kParams, nullptr).ok());
    auto other_miner = *bound;
    other_miner.bindings[0].prover[0] ^= 1;  // claimed by another miner
    REQUIRE_FALSE(c::verify_bundle(man, id, other_miner, kParams, nullptr).ok());
    auto unbound = *bound;
    unbound.bindings.clear();
    REQUIRE_FALSE(c::verify_bundle(man, id, unbound, kParams, nullptr).ok());
  }
  SECTION("the manifest round trips with its seal") {
    auto back = zks::slicer::parse_manifest(zks::slicer::serialize_manifest(man));
    REQUIRE(back.ok());
    REQUIRE(c::check_sealed(*back, kParams).ok());
    REQUIRE(c::verify_bundle(*back, id, *bundle, kParams, nullptr, &*fp).ok());
  }
}


namespace {
// A model sealed as `slices` slices, proved once on its input, and published verify-only.
struct Published {
  Compiled m;
  zks::slicer::Manifest man, pub;
  zks::hash::Digest id{}, fp{};
  c::Bundle bundle;
};
Published publish(Compiled m, size_t slices) {
  Published p{std::move(m), {}, {}, {}, {}, {}};
  p.man = sealed(p.m, slices);
  p.id = zks::slicer::manifest_hash(zks::slicer::serialize_manifest(p.man));
  auto fp = c::check_sealed(p.man, kParams);
  REQUIRE(fp.ok());
  p.fp = *fp;
  auto bundle = c::prove_bundle(p.man, p.id, model_inputs(p.m), kParams, 2, nullptr, {});
  REQUIRE(bundle.ok());
  p.bundle = std::move(*bundle);
  auto pub = c::publish_manifest(p.man, p.id, kParams);
  REQUIRE(pub.ok());
  p.pub = std::move(*pub);
  return p;
}
}  // namespace

TEST_CASE("verify-only manifests: bundles verify without the weights, under the same fingerprint", "[circuits][slice]") {
  const Published p = publish(compile("4l_relu_conv_fc"), 2);
  const auto& [m, man, published, id, fp, bundle] = p;
  const auto full_bytes = zks::slicer::serialize_manifest(man);
  const auto pub_bytes = zks::slicer::serialize_manifest(published);
  auto pub = zks::slicer::parse_manifest(pub_bytes);  // as a verifier reads it: the range analysis redone
  REQUIRE(pub.ok());
  REQUIRE(pub->verify_only());
  CHECK(pub_bytes.size() < full_bytes.size() / 3);
  // Every Conv and Gemm weight and bias is withheld; no value of one is left.
  size_t withheld = 0;
  for (const auto& n : pub->model.nodes)
    if (n.op == "Conv" || n.op == "Gemm")
      for (size_t i = 1; i < n.inputs.size(); ++i) {
        const auto& t = pub->model.tensors[size_t(n.inputs[i])];
        CHECK(t.withheld);
        CHECK(t.data.empty());
        withheld += t.withheld;
      }
  REQUIRE(withheld == 8);
  // The range analysis from the kept bounds is the one from the weights.
  for (size_t k = 0; k < man.model.nodes.size(); ++k) CHECK(pub->model.nodes[k].acc_bound == man.model.nodes[k].acc_bound);
  for (size_t t = 0; t < man.model.tensors.size(); ++t)
    if (!man.model.tensors[t].is_const) CHECK(pub->model.tensors[t].hi == man.model.tensors[t].hi);
  auto pub_fp = c::check_sealed(*pub, kParams);
  REQUIRE(pub_fp.ok());
  REQUIRE(*pub_fp == fp);
  REQUIRE(c::verify_bundle(*pub, id, bundle, kParams, nullptr, &fp).ok());

  SECTION("a changed proof byte is refused") {
    auto bad = bundle;
    bad.proofs[1][bad.proofs[1].size() / 2] ^= 1;
    REQUIRE_FALSE(c::verify_bundle(*pub, id, bad, kParams, nullptr).ok());
  }
  SECTION("a changed bound, digest or withheld set does not keep the fingerprint") {
    auto changed = *pub;
    for (auto& t : changed.model.tensors)
      if (t.withheld) {
        t.abs_max += 1;
        break;
      }
    REQUIRE_FALSE(c::check_sealed(changed, kParams).ok());
    changed = *pub;
    changed.withheld_digest[5] ^= 1;
    REQUIRE_FALSE(c::check_sealed(changed, kParams).ok());
    // A committed weight put back in the clear.
    changed = *pub;
    for (size_t t = 0; t < changed.model.tensors.size(); ++t)
      if (changed.model.tensors[t].withheld) {
        changed.model.tensors[t] = man.model.tensors[t];
        break;
      }
    auto r = c::check_sealed(changed, kParams);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("is not withheld"));
  }
  SECTION("the full manifest's weights are still covered: one changed value breaks its seal") {
    auto changed = man;
    for (auto& t : changed.model.tensors)
      if (t.is_const && t.data.size() > 10) {
        t.data[7] += 1;
        break;
      }
    REQUIRE_FALSE(c::check_sealed(changed, kParams).ok());
  }
  SECTION("proving and running need the full manifest") {
    auto proved = c::prove_bundle(*pub, id, model_inputs(m), kParams, 1, nullptr, {});
    REQUIRE_FALSE(proved.ok());
    CHECK_THAT(proved.error(), Catch::Contains("verify-only"));
    auto sm = c::seal_check(*pub, id, kParams);
    REQUIRE(sm.ok());
    auto job = c::prove_slice_job(*sm, 0, model_inputs(m), kParams, {});
    REQUIRE_FALSE(job.ok());
    CHECK_THAT(job.error(), Catch::Contains("verify-only"));
    zks::model::IntRun run;
    for (int t : pub->model.inputs) run.values.resize(pub->model.tensors.size()), run.values[t] = m.run.values[t];
    auto ran = zks::model::run_int_range(pub->model, 0, pub->model.nodes.size(), run);
    REQUIRE_FALSE(ran.ok());
    CHECK_THAT(ran.error(), Catch::Contains("withheld"));
    REQUIRE_FALSE(c::publish_manifest(*pub, id, kParams).ok());
  }
  SECTION("it stands for the full manifest's id, and files that mix the forms are refused") {
    auto r = c::verify_bundle(*pub, zks::slicer::manifest_hash(pub_bytes), bundle, kParams, nullptr);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("stands for the model"));
    auto no_source = published;
    no_source.published_from.clear();  // withheld weights in what reads as a full manifest
    auto parsed = zks::slicer::parse_manifest(zks::slicer::serialize_manifest(no_source));
    REQUIRE_FALSE(parsed.ok());
    no_source.withheld_digest.clear();
    parsed = zks::slicer::parse_manifest(zks::slicer::serialize_manifest(no_source));
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.error(), Catch::Contains("marked withheld"));
  }
}

TEST_CASE("verify-only manifests keep the constants a verifier reads in the clear", "[circuits][slice]") {
  // y = Relu(Gemm(x, W)) * C: W is a weight column (in R_W), C a Mul operand the verifier
  // evaluates itself. W is withheld, C is not, and a file withholding C is refused by
  // name (it used to be planned first, reading C's missing values).
  Compiled m = compile_graph({1, 4}, [&](onnx::GraphProto& g) {
    for (const char* name : {"W", "C"}) {
      auto* t = g.add_initializer();
      t->set_name(std::string(name));
      t->set_data_type(onnx::TensorProto::FLOAT);
      if (name[0] == 'W') t->add_dims(4);
      else t->add_dims(1);
      t->add_dims(4);
      for (int i = 0; i < (name[0] == 'W' ? 16 : 4); ++i) t->add_float_data(float(std::cos(0.7 * i)) / 2);
    }
    zks::test::add_node(g, "Gemm", {"x", "W"}, "g");
    zks::test::add_node(g, "Relu", {"g"}, "r");  // (a Mul right after the Gemm is folded into it)
    zks::test::add_node(g, "Mul", {"r", "C"}, "y");
  });
  const Published p = publish(std::move(m), 1);
  const auto* pub = &p.pub;
  const auto& id = p.id;
  int clear = -1;
  for (size_t t = 0; t < pub->model.tensors.size(); ++t) {
    const auto& T = pub->model.tensors[t];
    if (!T.is_const) continue;
    if (T.name.rfind("C", 0) == 0) {
      CHECK_FALSE(T.withheld);
      CHECK(T.data.size() == 4);
      clear = int(t);
    } else {
      CHECK(T.withheld);
    }
  }
  REQUIRE(clear >= 0);
  REQUIRE(c::verify_bundle(*pub, id, p.bundle, kParams, nullptr).ok());
  auto hidden = *pub;
  hidden.model.tensors[size_t(clear)].withheld = true;
  hidden.model.tensors[size_t(clear)].abs_max = 100;
  hidden.model.tensors[size_t(clear)].data.clear();
  auto parsed = zks::slicer::parse_manifest(zks::slicer::serialize_manifest(hidden));
  REQUIRE(parsed.ok());  // well formed; what it withholds is checked with its fingerprint
  auto r = c::check_sealed(*parsed, kParams);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Catch::Contains("not a committed weight"));
  auto v = c::verify_bundle(*parsed, id, p.bundle, kParams, nullptr);
  REQUIRE_FALSE(v.ok());
}

TEST_CASE("weights over a power of two are two weight stacks, one joint R_W bound by the manifest", "[circuits][slice]") {
  // variable_cnn's 262306 weight entries: 2^18 + 2^12 instead of a 2^19 stack half padding.
  Compiled m = compile("variable_cnn");
  zks::slicer::Manifest man = sealed(m, 1);
  const auto& wc = man.slices[0].weight_commitment;
  REQUIRE(wc.size() == 36 + 4 * 2);
  auto rw = c::read_weight_commitment(wc, kParams);
  REQUIRE(rw.ok());
  REQUIRE(rw->size() == 2);
  CHECK((*rw)[0].joint == std::vector<uint32_t>{18, 12});
  CHECK((*rw)[1].member == 1);
  CHECK((*rw)[0].root == (*rw)[1].root);
  CHECK(c::write_weight_commitment(*rw) == wc);
  // Malformed encodings are refused with a reason.
  auto bad = [&](zks::util::Bytes b) { return c::read_weight_commitment(b, kParams); };
  auto cut = wc;
  cut.pop_back();
  CHECK_FALSE(bad(cut).ok());
  auto one = wc;
  one[0] = 1;  // a joint commitment of one member
  CHECK_FALSE(bad(one).ok());
  auto order = wc;
  std::swap(order[4], order[8]);  // sizes 12 then 18
  CHECK_THAT(bad(order).error(), Catch::Contains("order of size"));
  auto tiny = wc;
  tiny[8] = 9;  // a member of 2^9 cannot be joined
  CHECK_THAT(bad(tiny).error(), Catch::Contains("cannot be joined"));

  zks::hash::Digest id{};
  auto bundle = c::prove_bundle(man, id, model_inputs(m), kParams, 1, nullptr, {});
  REQUIRE(bundle.ok());
  auto fp = c::check_sealed(man, kParams);
  REQUIRE(fp.ok());
  REQUIRE(c::verify_bundle(man, id, *bundle, kParams, nullptr, &*fp).ok());
  SECTION("an R_W with another root or other sizes, resealed, does not verify the proof") {
    for (size_t at : {size_t(40), size_t(4), wc.size() - 1}) {
      auto tampered = man;
      tampered.slices[0].weight_commitment[at] ^= (at == 4 ? 2 : 1);  // sizes 18 -> 16, or a root byte
      tampered.fingerprint.clear();
      auto sealed_fp = c::fingerprint_of(tampered);
      REQUIRE(sealed_fp.ok());
      tampered.fingerprint.assign(sealed_fp->begin(), sealed_fp->end());
      REQUIRE(c::check_sealed(tampered, kParams).ok());
      REQUIRE_FALSE(c::verify_bundle(tampered, id, *bundle, kParams, nullptr).ok());
    }
  }
  SECTION("other weights in the smaller stack change R_W and fail the proof") {
    zks::slicer::Manifest other = man;
    bool changed = false;
    for (auto& t : other.model.tensors)  // each weight tensor's last entry (the small columns are in the 2^12 stack)
      if (t.is_const && !t.data.empty()) t.data.back() += 1, changed = true;
    REQUIRE(changed);
    REQUIRE(c::seal_manifest(other, kParams).ok());
    REQUIRE(other.slices[0].weight_commitment != wc);
    REQUIRE_FALSE(c::verify_bundle(other, id, *bundle, kParams, nullptr).ok());
  }
}

TEST_CASE("bundles carry tensors as zigzag varints and refuse malformed bytes with a reason", "[circuits][slice]") {
  Compiled m = compile("4l_relu_conv_fc");
  const zks::slicer::Manifest man = sealed(m, 2);
  zks::hash::Digest id{};
  auto bundle = c::prove_bundle(man, id, model_inputs(m), kParams, 2, nullptr, {});
  REQUIRE(bundle.ok());
  const auto bytes = bundle->write();
  auto back = c::Bundle::read(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->tensors == bundle->tensors);
  REQUIRE(back->write() == bytes);
  size_t values = 0, proof_bytes = 0;
  for (const auto& [t, v] : bundle->tensors) values += v.size();
  for (const auto& pr : bundle->proofs) proof_bytes += pr.size();
  CHECK(bytes.size() < proof_bytes + 4 * values + 1024);  // not 8 bytes a value
  // The first tensor's first value (after magic, version, two hashes, the tensor count,
  // its id and its length) written with one byte more: not the shortest form.
  size_t last = 4 + 4 + 32 + 32 + 4 + 4 + 8;
  while (bytes[last] & 0x80) ++last;
  auto overlong = bytes;
  overlong[last] |= 0x80;
  overlong.insert(overlong.begin() + std::ptrdiff_t(last + 1), 0x00);
  auto r = c::Bundle::read(overlong);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error(), Catch::Contains("malformed value"));
  // Every prefix is refused, never a crash.
  for (size_t n = 0; n < bytes.size(); n += 1 + n / 8) {
    CAPTURE(n);
    CHECK_FALSE(c::Bundle::read(std::span<const uint8_t>(bytes.data(), n)).ok());
  }
}

TEST_CASE("sealing commits the real weights of a layer without bias", "[circuits][slice]") {
  // Regression: a layer without bias once left its weight column out of R_W (the bias
  // column index defaulted to the weight column's), so R_W committed zeros.
  Compiled m = compile("eye");
  auto man = planned(m.q, 1);
  REQUIRE(c::seal_manifest(man, kParams).ok());
  zks::slicer::Manifest zeroed = man;
  for (auto& t : zeroed.model.tensors)
    if (t.is_const) std::fill(t.data.begin(), t.data.end(), 0);
  REQUIRE(c::seal_manifest(zeroed, kParams).ok());
  REQUIRE(zeroed.slices[0].weight_commitment != man.slices[0].weight_commitment);
  std::vector<std::vector<int64_t>> inputs;
  for (int t : man.model.inputs) inputs.push_back(m.run.values[t]);
  zks::hash::Digest id{};
  auto bundle = c::prove_bundle(man, id, inputs, kParams, 1, nullptr, {});
  INFO((bundle.ok() ? std::string() : bundle.error()));
  REQUIRE(bundle.ok());
  REQUIRE(c::verify_bundle(man, id, *bundle, kParams, nullptr).ok());
  REQUIRE_FALSE(c::verify_bundle(zeroed, id, *bundle, kParams, nullptr).ok());
}

TEST_CASE("slice proofs are byte-identical with and without the GPU", "[circuits][slice][gpu]") {
  if (!zks::backend::gpu()) {
    WARN("SKIPPED: no CUDA device; GPU and CPU slice proofs not compared");
    return;
  }
  // A GPU is present: its commitments must pass their self-check (a mismatch is a GPU
  // bug this test reports rather than skips).
  REQUIRE(zks::pcs::gpu_commitments());
  REQUIRE(zks::sumcheck::gpu_sumchecks());
  const size_t failures = zks::backend::Gpu::failures();
  for (const char* name : {"4l_relu_conv_fc", "variable_cnn", "age"}) {
    CAPTURE(name);
    Compiled m = compile(name);
    auto st = whole(m);
    auto on_gpu = c::prove_slice(st, kParams);
    zks::backend::set_gpu_enabled(false);
    auto on_cpu = c::prove_slice(st, kParams);
    zks::backend::set_gpu_enabled(true);
    REQUIRE(on_gpu.ok());
    REQUIRE(on_cpu.ok());
    REQUIRE(*on_gpu == *on_cpu);
    REQUIRE(c::verify_slice(st, *on_gpu, kParams).ok());
  }
  REQUIRE(zks::backend::Gpu::failures() == failures);  // every GPU call held: nothing was redone on the CPU
}

TEST_CASE("a GPU call failing anywhere in a slice proof leaves the proof's bytes unchanged", "[circuits][slice][gpu]") {
  if (!zks::backend::gpu()) {
    WARN("SKIPPED: no CUDA device; the GPU fallbacks not driven");
    return;
  }
  REQUIRE(zks::pcs::gpu_commitments());  // the self-checks run before any failure is injected
  REQUIRE(zks::sumcheck::gpu_sumchecks());
  using zks::backend::Gpu;
  // A network whose witness stack (2^15) is committed on the GPU: the small ones now
  // check their ranges against the 8-bit table and commit too little to reach it.
  Compiled m = compile("variable_cnn");
  auto st = whole(m);
  zks::backend::set_gpu_enabled(false);
  auto want = c::prove_slice(st, kParams);
  zks::backend::set_gpu_enabled(true);
  REQUIRE(want.ok());
  const size_t start = Gpu::calls();
  auto clean = c::prove_slice(st, kParams);
  const size_t total = Gpu::calls() - start;
  REQUIRE(clean.ok());
  REQUIRE(*clean == *want);
  REQUIRE(total > 8);  // sumcheck sessions, commitments and the reads of the opened rows
  // Failures spread over the proof, and the last calls (the openings' row and path reads).
  std::vector<size_t> at;
  for (size_t k = 0; k < 6; ++k) at.push_back(k * total / 6);
  for (size_t k = 1; k <= 4; ++k) at.push_back(total - k);
  for (size_t p : at) {
    CAPTURE(p, total);
    const size_t failures = Gpu::failures();
    Gpu::fail_call(Gpu::calls() + p);
    auto got = c::prove_slice(st, kParams);
    Gpu::fail_call(SIZE_MAX);
    REQUIRE(got.ok());
    REQUIRE(*got == *want);
    REQUIRE(Gpu::failures() == failures + 1);
  }
}

TEST_CASE("a corrupted manifest, sealed again, is refused or proves: never a crash", "[slice][bad]") {
  // A miner proves whatever model a manifest describes once its seal holds, and anyone
  // can seal a manifest: so flip bytes, seal again, and prove. 1l_var's reduction once
  // read past its input this way.
  for (const char* name : {"1l_var", "1l_concat", "1l_eltwise_div", "1l_max_pool", "1l_prelu"}) {
    INFO("model " << name);
    auto m = compile(name);
    const auto bytes = zks::slicer::serialize_manifest(sealed(m, std::min<size_t>(2, m.q.nodes.size())));
    const size_t step = std::max<size_t>(1, bytes.size() / 800);  // every byte of these small manifests
    size_t refused = 0, proved_ok = 0;
    for (size_t pos = 0; pos < bytes.size(); pos += step) {
      auto t = bytes;
      t[pos] ^= 0x01;
      auto back = zks::slicer::parse_manifest(t);
      if (!back.ok() || !c::seal_manifest(*back, kParams).ok()) {
        ++refused;
        continue;
      }
      auto id = zks::slicer::manifest_hash(zks::slicer::serialize_manifest(*back));
      auto b = c::prove_bundle(*back, id, model_inputs(m), kParams, 1, nullptr, {});
      if (!b.ok()) continue;
      ++proved_ok;
      CHECK(c::verify_bundle(*back, id, *b, kParams, nullptr).ok());  // a model of its own, proved honestly
    }
    CHECK(refused > 0);
    CHECK(proved_ok > 0);
  }
}

TEST_CASE("a corrupted verify-only manifest is refused, or is the same model: never a crash", "[slice][bad]") {
  // A verifier reads a verify-only manifest from whoever sent it: every byte of one,
  // flipped, then parsed, checked against its seal and used to verify an honest bundle
  // under the pinned fingerprint. A withheld constant once crashed this path.
  const Published p = publish(compile("4l_relu_conv_fc"), 2);
  const auto bytes = zks::slicer::serialize_manifest(p.pub);
  size_t refused = 0, same = 0;
  for (size_t pos = 0; pos < bytes.size(); ++pos)
    for (uint8_t bit : {uint8_t(0x01), uint8_t(0x80)}) {
      auto t = bytes;
      t[pos] ^= bit;
      auto back = zks::slicer::parse_manifest(t);
      if (!back.ok() || !c::check_sealed(*back, kParams).ok() ||
          !c::verify_bundle(*back, p.id, p.bundle, kParams, nullptr, &p.fp).ok()) {
        ++refused;
        continue;
      }
      // Accepted under the pinned FP: then it is the same model (a flip outside what FP covers).
      auto again = c::fingerprint_of(*back);
      REQUIRE(again.ok());
      REQUIRE(*again == p.fp);
      ++same;
    }
  CHECK(refused > 2 * bytes.size() * 9 / 10);
  INFO(same << " flips accepted as the same model");
}

TEST_CASE("a weight tensor larger than one commitment is refused with a reason, not an abort", "[circuits][slice]") {
  // Gemm y = x W^T with W [2049, 2048]: padded to 2^12 x 2^11 = 2^23 entries, over the
  // 2^22 a commitment holds (stacking it aborted the planner).
  constexpr int64_t kIn = 2048, kOut = 2049;
  Compiled m = compile_graph({1, kIn}, [&](onnx::GraphProto& g) {
    auto* w = g.add_initializer();
    w->set_name(std::string("W"));
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(kOut);
    w->add_dims(kIn);
    for (int64_t i = 0; i < kIn * kOut; ++i) w->add_float_data(float(std::sin(0.01 * double(i))) / 64);
    auto* t = zks::test::add_node(g, "Gemm", {"x", "W"}, "y")->add_attribute();
    t->set_name(std::string("transB"));
    t->set_type(onnx::AttributeProto::INT);
    t->set_i(1);
  });
  auto man = planned(m.q, 1);
  std::vector<std::string> unprovable;
  REQUIRE(c::seal_manifest(man, kParams, &unprovable).ok());
  REQUIRE(unprovable.size() == 1);
  CHECK_THAT(unprovable[0], Catch::Contains("takes 2^23 entries once padded, more than one commitment holds (2^22)"));
  auto st = whole(m);
  auto proof = c::prove_slice(st, kParams);
  REQUIRE_FALSE(proof.ok());
  CHECK_THAT(proof.error(), Catch::Contains("split its node by output channels"));
}
