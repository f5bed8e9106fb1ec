// Private proofs across slices (circuits/slice/private_proof.hpp, PrivateSlice): which
// tensors slices share, completeness, and a bundle's stitching: each slice's proof is
// bound to the roots of the tensors it shares, so a slice proved on another boundary
// value, a root, a proof or an output changed, or another partition, is rejected.
#include <catch2/catch.hpp>

#include "circuits/slice/private_plan.hpp"
#include "unit/circuits/private_case.hpp"

using namespace zks::test::priv;

TEST_CASE("private slices: who holds and shares each tensor", "[private][bundle]") {
  // sklearn_mlp: Gemm Relu Gemm Reshape. Cut after the Relu: its output is made by slice
  // 0 and read by slice 1, the model input only by slice 0.
  const Case k = load("sklearn_mlp");
  const auto& m = k.m.q;
  REQUIRE(m.nodes.size() == 4);
  auto s = c::private_slices(m, ranges_at(k, {2}));
  REQUIRE(s.ok());
  REQUIRE(s->size() == 2);
  const int relu = m.nodes[1].outputs[0];
  CHECK((*s)[0].inputs == m.inputs);
  CHECK((*s)[0].outputs.empty());
  CHECK((*s)[1].inputs == std::vector<int>{relu});
  CHECK((*s)[1].outputs == m.outputs);
  CHECK((*s)[0].shared == std::map<int, unsigned>{{relu, 2}});
  CHECK((*s)[1].shared == (*s)[0].shared);
  // Partitions that do not cover the model, overlap or leave a gap are refused.
  for (const auto& bad : std::vector<std::vector<std::pair<size_t, size_t>>>{
           {}, {{0, 2}}, {{0, 2}, {3, 4}}, {{0, 2}, {1, 4}}, {{0, 0}, {0, 4}}, {{1, 4}}})
    CHECK_FALSE(c::private_slices(m, bad).ok());
}

TEST_CASE("a private bundle verifies, and its stitching is checked", "[private][bundle][tamper]") {
  const Case k = load("sklearn_mlp");
  const auto ranges = ranges_at(k, {1, 2, 3});  // one node a slice
  const auto b = bundle_of(k, ranges);
  REQUIRE(b.proofs.size() == 4);
  REQUIRE(b.roots.size() == 3);  // the three tensors crossing the cuts
  std::vector<c::SliceTiming> timings;
  CHECK(bundle_rejection(k, ranges, b, &timings).empty());
  REQUIRE(timings.size() == 4);
  CHECK(c::bundle_soundness_bits(timings) >= 100.0);
  CHECK(b.outputs == k.st.outputs);

  SECTION("the same seed gives the same bundle, another seed other roots (they hide)") {
    CHECK(bundle_of(k, ranges).write() == b.write());
    const auto other = bundle_of(k, ranges, 2);
    for (const auto& [t, root] : b.roots) CHECK(other.roots.at(t) != root);
    CHECK(bundle_rejection(k, ranges, other).empty());
  }
  SECTION("a changed output, root, proof byte, proof order or binding is rejected") {
    auto x = b;
    x.outputs[0][0] += 1;
    CHECK_FALSE(bundle_rejection(k, ranges, x).empty());
    for (const auto& [t, root] : b.roots) {
      x = b;
      x.roots[t][5] ^= 1;
      CHECK_FALSE(bundle_rejection(k, ranges, x).empty());
      x.roots.erase(t);
      CHECK_THAT(bundle_rejection(k, ranges, x), Catch::Contains("no root for the shared tensor"));
    }
    x = b;
    x.roots[k.m.q.inputs[0]] = b.roots.begin()->second;  // a root no two slices share
    CHECK_THAT(bundle_rejection(k, ranges, x), Catch::Contains("which no two slices share"));
    for (size_t j = 0; j < b.proofs.size(); ++j)
      for (const size_t at : {size_t(4), size_t(40), b.proofs[j].size() / 2, b.proofs[j].size() - 1}) {
        x = b;
        x.proofs[j][at] ^= 0x10;
        CHECK_FALSE(bundle_rejection(k, ranges, x).empty());
      }
    x = b;
    std::swap(x.proofs[1], x.proofs[2]);
    CHECK_FALSE(bundle_rejection(k, ranges, x).empty());
    x = b;
    x.proofs.pop_back();
    CHECK_FALSE(bundle_rejection(k, ranges, x).empty());
    Case other = k;
    other.st.binding.job_id[0] ^= 1;
    CHECK_FALSE(bundle_rejection(other, ranges, b).empty());
  }
  SECTION("another partition of the model is rejected") {
    CHECK_FALSE(bundle_rejection(k, ranges_at(k, {1, 2}), b).empty());
    // As many slices, cut elsewhere: past the proof count, each statement's range.
    const auto b13 = bundle_of(k, ranges_at(k, {1, 3}));
    CHECK(bundle_rejection(k, ranges_at(k, {1, 3}), b13).empty());
    auto moved = b13;
    moved.roots.clear();
    const auto elsewhere = c::private_slices(k.m.q, ranges_at(k, {2, 3}));
    REQUIRE(elsewhere.ok());
    for (const auto& sl : *elsewhere)
      for (const auto& [t, n] : sl.shared) moved.roots[t] = b13.roots.count(t) ? b13.roots.at(t) : b13.roots.begin()->second;
    CHECK_THAT(bundle_rejection(k, ranges_at(k, {2, 3}), moved), Catch::Contains("slice"));
    auto two = bundle_of(k, ranges_at(k, {2}));
    CHECK(bundle_rejection(k, ranges_at(k, {2}), two).empty());
    two.proofs = {two.proofs[0], b.proofs[2], b.proofs[3]};
    two.roots = b.roots;
    CHECK_FALSE(bundle_rejection(k, ranges, two).empty());
  }
  SECTION("a round trip through the file, and malformed files refused") {
    const auto bytes = b.write();
    REQUIRE(c::PrivateBundleFile::is_one(bytes));
    CHECK_FALSE(c::PrivateProofFile::is_one(bytes));
    auto back = c::PrivateBundleFile::read(bytes);
    REQUIRE(back.ok());
    CHECK(back->outputs == b.outputs);
    CHECK(back->ranges == ranges);
    CHECK(back->roots == b.roots);
    CHECK(back->proofs == b.proofs);
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 40)
      CHECK_FALSE(c::PrivateBundleFile::read(std::span<const uint8_t>(bytes).first(cut)).ok());
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(c::PrivateBundleFile::read(longer).ok());
  }
}

TEST_CASE("balanced private partitions cover the model in order", "[private][bundle]") {
  for (const std::string name : {"sklearn_mlp", "3l_relu_conv_fc", "tutorial"}) {
    INFO(name);
    const Case k = load(name);
    const size_t n = k.m.q.nodes.size();
    for (size_t slices : {size_t(1), size_t(2), size_t(3), n, n + 5}) {
      const auto r = c::balanced_ranges(k.m.q, slices);
      CHECK(r.size() == std::min(slices, n));
      CHECK(c::private_slices(k.m.q, r).ok());  // contiguous, no slice empty, covering
    }
  }
  // age in 4: the committed values of each slice within a factor of 3 of the others'.
  const Case age = load("age");
  const auto r = c::balanced_ranges(age.m.q, 4);
  REQUIRE(r.size() == 4);
  std::vector<double> values;
  for (const auto& [first, end] : r) {
    double v = 0;
    for (size_t i = first; i < end; ++i) v += double(zks::model::numel(age.m.q.tensors[size_t(age.m.q.nodes[i].outputs[0])].shape));
    values.push_back(v);
  }
  CHECK(*std::max_element(values.begin(), values.end()) < 3 * *std::min_element(values.begin(), values.end()));
}

TEST_CASE("a slice proved on another boundary value does not stitch", "[private][bundle][tamper]") {
  // The last slice of sklearn_mlp cut after its Relu, proved by a cheater on a changed
  // Relu output: its proof is valid for its own root and outputs, but the bundle has one
  // root for that tensor, the maker's, and one of the two proofs fails with either.
  const Case k = load("sklearn_mlp");
  const auto ranges = ranges_at(k, {2});
  const auto honest = bundle_of(k, ranges);
  auto slices = c::private_slices(k.m.q, ranges);
  REQUIRE(slices.ok());
  c::PrivateSlice sl = (*slices)[1];
  const int relu = k.m.q.nodes[1].outputs[0];
  REQUIRE(sl.inputs == std::vector<int>{relu});
  // The cheater is the bundle's prover: it has the tensor's mask seed (bundle_of's).
  const auto boundary = zks::pcs::derive_seed(seed_of(1), "private.bundle.boundary");
  sl.seeds[relu] = zks::pcs::derive_seed(boundary, "private.shared." + std::to_string(relu));
  {  // a positive control: on the honest value, the same seed gives the bundle's root
    c::PrivateStatement st = statement_of(k);
    st.slice = &sl;
    std::map<int, zks::hash::Digest> roots;
    auto proof = c::prove_private(st, {k.m.run.values[size_t(relu)]}, kParams, seed_of(9), {}, {},
                                  c::kDefaultCodewordMemory, &roots);
    REQUIRE(proof.ok());
    CHECK(roots.at(relu) == honest.roots.at(relu));
    CHECK(bundle_rejection(k, ranges, {honest.outputs, ranges, honest.roots, {honest.proofs[0], *proof}}).empty());
  }
  auto run = k.m.run;
  auto& t = run.values[size_t(relu)];
  t[0] = t[0] < k.m.q.act_hi() ? t[0] + 1 : t[0] - 1;
  REQUIRE(zks::model::run_int_range(k.m.q, sl.first, sl.end, run).ok());
  c::PrivateStatement st = statement_of(k);
  st.slice = &sl;
  st.outputs.clear();
  for (int o : sl.outputs) st.outputs.push_back(run.values[size_t(o)]);
  REQUIRE(st.outputs != k.st.outputs);  // the lie reaches the outputs
  std::map<int, zks::hash::Digest> roots;
  auto cheat = c::prove_private(st, {t}, kParams, seed_of(9), {}, {}, c::kDefaultCodewordMemory, &roots);
  REQUIRE(cheat.ok());
  REQUIRE(roots.count(relu));
  sl.roots = roots;
  CHECK(c::verify_private(st, *cheat, kParams).ok());  // alone, for its own root: valid

  c::PrivateBundleFile x{st.outputs, ranges, honest.roots, {honest.proofs[0], *cheat}};
  CHECK_THAT(bundle_rejection(k, ranges, x), Catch::Contains("slice 1"));
  x.roots = roots;
  CHECK_THAT(bundle_rejection(k, ranges, x), Catch::Contains("slice 0"));
  // An honest prover given the bundle's roots refuses to prove on another value.
  sl.roots = honest.roots;
  auto refused = c::prove_private(st, {t}, kParams, seed_of(9));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error(), Catch::Contains("is not the one the bundle's other slices committed"));
}

namespace {
// Whether an activation-range lookup of the plan reads column `col`.
bool act_checked(const zks::circuits::private_detail::Plan& p, size_t col) {
  for (const auto& l : p.lookups)
    if (l.kind == zks::circuits::private_detail::LookupKind::Act)
      for (const auto& blocks : l.cols)
        if (std::find(blocks.begin(), blocks.end(), col) != blocks.end()) return true;
  return false;
}
}  // namespace

TEST_CASE("rule 5 across slices: a model input is checked by each holder, a made tensor by its maker",
          "[private][bundle]") {
  // sklearn_mlp cut after its Relu: slice 1's input is the Relu's output, which slice 0
  // made and checked (its Relu lookup); slice 1 does not check it again.
  const Case k = load("sklearn_mlp");
  auto slices = c::private_slices(k.m.q, ranges_at(k, {2}));
  REQUIRE(slices.ok());
  auto reader = c::private_detail::make_private_plan(k.m.q, &(*slices)[1]);
  REQUIRE(reader.ok());
  REQUIRE(reader->input_cols.size() == 1);
  CHECK_FALSE(act_checked(*reader, reader->input_cols[0]));
  // tutorial in one-node slices: its model input is read by several slices, each of
  // which checks it (by an activation lookup, or a table op's).
  const Case t = load("tutorial");
  std::vector<size_t> cuts;
  for (size_t i = 1; i < t.m.q.nodes.size(); ++i) cuts.push_back(i);
  auto each = c::private_slices(t.m.q, ranges_at(t, cuts));
  REQUIRE(each.ok());
  const int x = t.m.q.inputs[0];
  size_t holders = 0;
  for (const auto& sl : *each) {
    auto at = std::find(sl.inputs.begin(), sl.inputs.end(), x);
    if (at == sl.inputs.end()) continue;
    ++holders;
    auto p = c::private_detail::make_private_plan(t.m.q, &sl);
    REQUIRE(p.ok());
    const size_t col = p->input_cols[size_t(at - sl.inputs.begin())];
    bool by_table = false;
    for (const auto& u : p->unaries) by_table |= u.x_col == col;
    CHECK((act_checked(*p, col) || by_table));
  }
  CHECK(holders >= 2);
}

TEST_CASE("a shared tensor a layout op kept in place gets a column of its own", "[private][bundle]") {
  // 3l_relu_conv_fc starts with a Reshape of its input; cut after it, the Reshape's
  // output is shared with slice 1, but slice 0 holds it in the input's column (and
  // layout): the plan copies it into a column of its own, in its own layout, which is
  // what slice 1 commits too.
  const Case k = load("3l_relu_conv_fc");
  REQUIRE(k.m.q.nodes[0].op == "Reshape");
  const auto ranges = ranges_at(k, {1});
  auto slices = c::private_slices(k.m.q, ranges);
  REQUIRE(slices.ok());
  const int y = k.m.q.nodes[0].outputs[0];
  REQUIRE((*slices)[0].shared.count(y));
  auto plan = c::private_detail::make_private_plan(k.m.q, &(*slices)[0]);
  REQUIRE(plan.ok());
  REQUIRE(plan->shared.size() == 1);
  CHECK(plan->shared[0].tensor == y);
  CHECK(plan->shared[0].col != plan->input_cols[0]);
  REQUIRE(plan->linears.size() == 1);  // the copy
  CHECK(plan->linears[0].q_col == plan->shared[0].col);
  const auto b = bundle_of(k, ranges);
  CHECK(bundle_rejection(k, ranges, b).empty());
}
