// A cheating slice prover (ForcedChoices::tamper): the witness is changed after it is
// built and before it is committed, and the prover then proves the changed columns as
// if they were the honest ones. The verifier must reject every such proof: one real
// entry of any witness column off by one, limbs that keep their sum but leave the
// range, and multiplicities moved between table rows with their total kept. And a
// bundle whose slices use different range tables.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "circuits/slice/bundle.hpp"
#include "circuits/slice/slice_plan.hpp"
#include "circuits/slice/slice_proof.hpp"
#include "pcs/basefold.hpp"
#include "unit/circuits/compiled.hpp"

namespace c = zks::circuits;
namespace sd = zks::circuits::slice_detail;
using zks::field::Fp;

namespace {

const zks::pcs::Params kParams = zks::pcs::Params::standard();
using Columns = std::vector<std::vector<Fp>>;
using Tamper = std::function<void(const sd::Plan&, Columns&)>;

// Proves with the tamper hook; the cheating prover always gets a proof out. Returns
// whether the verifier accepted it, and how many columns the hook changed.
struct Outcome {
  bool accepted = false;
  bool changed = false;
  std::string error;
};
Outcome cheat(const c::SliceStatement& st, const Tamper& tamper) {
  Outcome out;
  c::ForcedChoices forced;
  forced.tamper = [&](const sd::Plan& p, Columns& cols) {
    const Columns before = cols;
    tamper(p, cols);
    out.changed = cols != before;
  };
  auto proof = c::prove_slice_with(st, kParams, forced);
  INFO((proof.ok() ? std::string() : proof.error()));
  REQUIRE(proof.ok());
  auto verified = c::verify_slice(st, *proof, kParams);
  out.accepted = verified.ok();
  if (!verified.ok()) out.error = verified.error();
  return out;
}

// The columns a prover makes (not the weights, which the verifier lays out itself).
std::vector<size_t> witness_columns(const sd::Plan& p) {
  std::vector<size_t> out;
  for (size_t c = 0; c < p.columns.size(); ++c)
    if (p.columns[c].weight_tensor < 0) out.push_back(c);
  return out;
}

sd::Plan plan_of(const c::SliceStatement& st) {
  auto p = sd::make_plan(st);
  REQUIRE(p.ok());
  return std::move(p).value();
}

// Moves one count of a multiplicity column from a row that has one to another row.
void move_count(std::vector<Fp>& m) {
  for (size_t from = 0; from < m.size(); ++from)
    if (m[from] != Fp::zero()) {
      size_t to = (from + 1) % m.size();
      m[from] -= Fp::one();
      m[to] += Fp::one();
      return;
    }
}

// Each witness column of the prover's own plan in turn (its saturating choices add
// columns), its first entry (real in every padded layout) plus one.
void every_column_off_by_one(const c::SliceStatement& st) {
  size_t tried = 0;
  for (size_t i = 0;; ++i) {
    CAPTURE(i);
    auto out = cheat(st, [&](const sd::Plan& p, Columns& cols) {
      const auto w = witness_columns(p);
      if (i < w.size()) cols[w[i]][0] += Fp::one();
    });
    if (!out.changed) break;
    REQUIRE_FALSE(out.accepted);
    ++tried;
  }
  REQUIRE(tried >= 2);
}

}  // namespace

TEST_CASE("a cheating prover's unchanged witness still proves (the hook itself is complete)", "[circuits][slice]") {
  auto m = zks::test::compile("4l_relu_conv_fc");
  auto st = zks::test::whole_statement(m);
  size_t seen = 0;
  auto out = cheat(st, [&](const sd::Plan& p, Columns& cols) {
    REQUIRE(cols.size() == p.columns.size());
    for (size_t c : witness_columns(p)) seen += !cols[c].empty();
  });
  INFO(out.error);
  REQUIRE(out.accepted);
  REQUIRE_FALSE(out.changed);
  REQUIRE(seen > 10);
}

TEST_CASE("a witness column with one real entry off by one is rejected, for every column", "[circuits][slice]") {
  // Between them: requantizations (plain and saturating, with flags and excess limbs),
  // Relu and model tables, max pooling, Softmax (max, one-hot, exp, division), Div,
  // PRelu, range splits under the 8-bit table and the 16-bit table's multiplicities.
  for (const char* name :
       {"4l_relu_conv_fc", "1l_max_pool", "1l_softmax", "1l_eltwise_div", "1l_prelu", "1l_sigmoid", "layernorm"}) {
    CAPTURE(name);
    auto m = zks::test::compile(name);
    every_column_off_by_one(zks::test::whole_statement(m));
  }
  // Concat of different scales: the finer input's requantization columns.
  auto m = zks::test::compile("1l_concat");
  zks::model::QNode* cat = nullptr;
  for (auto& n : m.q.nodes)
    if (n.op == "Concat") cat = &n;
  REQUIRE(cat);
  REQUIRE(cat->in_shift.size() >= 2);
  cat->in_shift[1] = 3;
  zks::model::IntRun run;
  run.values.resize(m.q.tensors.size());
  for (int t : m.q.inputs) run.values[t] = m.run.values[t];
  REQUIRE(zks::model::run_int_range(m.q, 0, m.q.nodes.size(), run).ok());
  m.run = run;
  every_column_off_by_one(zks::test::whole_statement(m));
}

TEST_CASE("limbs that keep their sum but leave the 8-bit range are rejected", "[circuits][slice]") {
  auto m = zks::test::compile("4l_relu_conv_fc");
  auto st = zks::test::whole_statement(m);
  const auto p = plan_of(st);  // as proved: nothing saturates, so the prover's plan has the same columns
  REQUIRE(p.choices.saturating.empty());
  REQUIRE(p.range.table_bits == 8);
  REQUIRE_FALSE(p.range_splits.empty());
  size_t moved = 0;
  for (const auto& sp : p.range_splits) {
    CAPTURE(sp.column);
    // lo + 256 and hi - 1 on a row with hi >= 1: v = lo + 256 hi holds, lo is not a byte.
    auto out = cheat(st, [&](const sd::Plan& pp, Columns& cols) {
      REQUIRE(pp.columns.size() == p.columns.size());
      for (size_t x = 0; x < cols[sp.hi].size(); ++x)
        if (cols[sp.hi][x] != Fp::zero()) {
          cols[sp.lo][x] += Fp(256);
          cols[sp.hi][x] -= Fp::one();
          return;
        }
    });
    if (!out.changed) continue;  // every hi limb zero: nothing to move
    INFO(out.error);
    REQUIRE_FALSE(out.accepted);
    ++moved;
  }
  REQUIRE(moved > 0);
  // And the other way: hi + 1, lo - 256 (lo below zero).
  for (const auto& sp : p.range_splits) {
    auto out = cheat(st, [&](const sd::Plan&, Columns& cols) {
      cols[sp.lo][0] -= Fp(256);
      cols[sp.hi][0] += Fp::one();
    });
    REQUIRE(out.changed);
    REQUIRE_FALSE(out.accepted);
  }
}

TEST_CASE("multiplicities moved between table rows, their total kept, are rejected", "[circuits][slice]") {
  for (const char* name : {"4l_relu_conv_fc", "1l_softmax", "1l_sigmoid", "mnist_gan"}) {
    CAPTURE(name);
    auto m = zks::test::compile(name);
    auto st = zks::test::whole_statement(m);
    // The multiplicity columns of the prover's plan: each table's, then the range check's.
    size_t tried = 0;
    for (size_t i = 0;; ++i) {
      CAPTURE(i);
      auto out = cheat(st, [&](const sd::Plan& p, Columns& cols) {
        std::vector<size_t> mult_cols;
        for (const auto& g : p.table_groups) mult_cols.push_back(g.m_col);
        if (!p.range.terms.empty()) mult_cols.push_back(p.range_m_col);
        if (i < mult_cols.size()) move_count(cols[mult_cols[i]]);
      });
      if (!out.changed) break;
      INFO(out.error);
      REQUIRE_FALSE(out.accepted);
      ++tried;
    }
    REQUIRE(tried >= 1);
  }
}

TEST_CASE("a bundle whose slices check ranges against different tables verifies, each slice bound to its own", "[circuits][slice]") {
  // mnist_gan's whole range witness needs the 16-bit table; cut into slices, the small
  // ones take the 8-bit table. Each verifier plans its slice and so its table itself.
  auto m = zks::test::compile("mnist_gan");
  for (int n : {2, 3, 4}) {
    CAPTURE(n);
    zks::slicer::Manifest man{m.q, {}, {}, {}, {}, {}, {}};
    auto slices = zks::slicer::plan_slices(man.model, {n, 0, 0});
    REQUIRE(slices.ok());
    man.slices = *slices;
    std::set<unsigned> bits;
    for (const auto& s : man.slices) {
      c::SliceStatement st;
      st.model = &man.model;
      st.first = s.first, st.end = s.end, st.inputs = s.inputs, st.outputs = s.outputs;
      for (int t : st.inputs) st.input_values.push_back(m.run.values[t]);
      for (int t : st.outputs) st.output_values.push_back(m.run.values[t]);
      auto p = sd::make_plan(st);
      INFO((p.ok() ? std::string() : p.error()));
      REQUIRE(p.ok());
      if (!p->range.terms.empty()) bits.insert(p->range.table_bits);
    }
    if (bits.size() < 2) continue;
    zks::hash::Digest id{};
    id[0] = uint8_t(n);
    auto bundle = zks::test::proved_bundle(m, man, id, kParams);
    // The first and last proofs swapped: each is checked against the other slice's plan.
    auto swapped = bundle;
    std::swap(swapped.proofs.front(), swapped.proofs.back());
    REQUIRE_FALSE(c::verify_bundle(man, id, swapped, kParams, nullptr).ok());
    return;
  }
  FAIL("no cut of mnist_gan into 2..4 slices mixes the 8-bit and 16-bit range tables");
}
