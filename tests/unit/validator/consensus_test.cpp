// Yuma consensus across validators: the stake-weighted median, clipping a minority
// that over-weights its own miner, bonds as a moving average, dividends and emission,
// and misshapen input refused by name.
#include <catch2/catch.hpp>

#include <numeric>

#include "validator/consensus.hpp"

namespace v = zks::validator;

namespace {
double sum(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0); }
}  // namespace

TEST_CASE("consensus: the largest weight kappa of the stake supports", "[validator][consensus]") {
  v::YumaInput in;
  in.stake = {2, 3, 5};
  in.weights = {{0.9, 0.1}, {0.6, 0.4}, {0.3, 0.7}};
  auto out = v::yuma_epoch(in);
  REQUIRE(out.ok());
  // Miner 0: 0.9 (0.2 of the stake), 0.6 (0.5 with it): 0.6. Miner 1: 0.7 alone is 0.5.
  CHECK(out->consensus[0] == Approx(0.6));
  CHECK(out->consensus[1] == Approx(0.7));
  // Clipped: validator 0 gives miner 0 0.9 -> 0.6; rank 0 = 0.2*0.6 + 0.3*0.6 + 0.5*0.3.
  CHECK(out->rank[0] == Approx(0.2 * 0.6 + 0.3 * 0.6 + 0.5 * 0.3));
  CHECK(out->rank[1] == Approx(0.2 * 0.1 + 0.3 * 0.4 + 0.5 * 0.7));
  CHECK(out->validator_trust[0] == Approx(0.7));
  CHECK(out->trust[0] == Approx(out->rank[0] / (0.2 * 0.9 + 0.3 * 0.6 + 0.5 * 0.3)));
  // A larger kappa asks more stake for a weight.
  v::YumaParams strict;
  strict.kappa = 0.6;
  auto s = v::yuma_epoch(in, strict);
  REQUIRE(s.ok());
  CHECK(s->consensus[0] == Approx(0.3));
  // Weights are normalized per validator: the same rows scaled give the same answer.
  auto scaled = in;
  for (double& w : scaled.weights[1]) w *= 7;
  auto sc = v::yuma_epoch(scaled);
  REQUIRE(sc.ok());
  CHECK(sc->incentive[0] == Approx(out->incentive[0]));
}

TEST_CASE("consensus: a minority that weights its own miner is clipped to the majority's view", "[validator][consensus]") {
  // Two honest validators (70% of the stake) split their weight over honest miners 0
  // and 1; a cabal (30%) puts all of it on its own miner 2, which does no work.
  v::YumaInput in;
  in.stake = {35, 35, 30};
  in.weights = {{0.5, 0.5, 0}, {0.5, 0.5, 0}, {0, 0, 1}};
  auto out = v::yuma_epoch(in);
  REQUIRE(out.ok());
  CHECK(out->consensus[2] == 0);
  CHECK(out->incentive[2] == 0);
  CHECK(out->incentive[0] == Approx(0.5));
  CHECK(out->validator_trust[2] == 0);
  CHECK(out->dividends[2] == 0);
  CHECK(out->dividends[0] == Approx(0.5));
  // The same cabal with the majority of the stake wins: clipping protects an honest
  // majority only.
  in.stake = {20, 20, 60};
  auto won = v::yuma_epoch(in);
  REQUIRE(won.ok());
  CHECK(won->incentive[2] == Approx(1.0));
  // Without clipping (kappa small enough that the cabal's stake suffices) the cabal's
  // miner is paid for nothing: the test above depends on the median.
  in.stake = {35, 35, 30};
  v::YumaParams loose;
  loose.kappa = 0.3;
  auto unclipped = v::yuma_epoch(in, loose);
  REQUIRE(unclipped.ok());
  CHECK(unclipped->incentive[2] > 0.2);
}

TEST_CASE("consensus: bonds are a moving average, and dividends and emission follow", "[validator][consensus]") {
  v::YumaInput in;
  in.stake = {1, 1};
  // Validator 0 finds miner 1 a round early.
  in.weights = {{0.5, 0.5}, {1, 0}};
  v::YumaParams p;
  p.bond_alpha = 0.1;
  p.validator_share = 0.41;
  auto e1 = v::yuma_epoch(in, p);
  REQUIRE(e1.ok());
  // Miner 0: weights 0.5 and 1 at equal stake (its consensus is 1: nothing is clipped),
  // so instant bonds 1/3 and 2/3; from no bonds, 10% of them. Miner 1: validator 0's alone.
  CHECK(e1->bonds[0][0] == Approx(0.1 / 3));
  CHECK(e1->bonds[1][0] == Approx(0.2 / 3));
  CHECK(e1->bonds[0][1] == Approx(0.1));
  CHECK(e1->bonds[1][1] == 0);
  in.bonds = e1->bonds;
  in.weights = {{0.5, 0.5}, {0.5, 0.5}};
  auto e2 = v::yuma_epoch(in, p);
  REQUIRE(e2.ok());
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 2; ++j) {
      // Both weight miner j equally now: the instant bond is 1/2 each.
      CHECK(e2->bonds[i][j] == Approx(0.1 * 0.5 + 0.9 * e1->bonds[i][j]));
    }
  // Emission: the miners' 59% and the validators' 41% of one epoch.
  CHECK(sum(e2->miner_emission) == Approx(0.59));
  CHECK(sum(e2->validator_emission) == Approx(0.41));
  CHECK(sum(e2->dividends) == Approx(1.0));
  // A validator that set no weights is not active: it does not dilute the median.
  v::YumaInput idle;
  idle.stake = {1, 1, 10};
  idle.weights = {{1, 0}, {1, 0}, {0, 0}};
  auto out = v::yuma_epoch(idle);
  REQUIRE(out.ok());
  CHECK(out->consensus[0] == Approx(1.0));
  CHECK(out->dividends[2] == 0);
}

TEST_CASE("consensus: misshapen input is refused by name", "[validator][consensus]") {
  auto refused = [](const v::YumaInput& in, const char* what, v::YumaParams p = {}) {
    auto out = v::yuma_epoch(in, p);
    REQUIRE_FALSE(out.ok());
    CHECK_THAT(out.error(), Catch::Contains(what));
  };
  v::YumaInput ok;
  ok.stake = {1, 2};
  ok.weights = {{1, 0}, {0, 1}};
  REQUIRE(v::yuma_epoch(ok).ok());
  refused({}, "no validators");
  auto rows = ok;
  rows.weights.pop_back();
  refused(rows, "rows of weights");
  auto ragged = ok;
  ragged.weights[1].push_back(1);
  refused(ragged, "weights 3 miners");
  auto negative = ok;
  negative.stake[0] = -1;
  refused(negative, "stake is not >= 0");
  auto none = ok;
  none.stake = {0, 0};
  refused(none, "no stake");
  auto nan = ok;
  nan.weights[0][1] = std::nan("");
  refused(nan, "weight that is not >= 0");
  auto bonds = ok;
  bonds.bonds = {{0.1, 0.1}};
  refused(bonds, "bonds have the wrong number of validators");
  bonds.bonds = {{0.1, 2}, {0, 0}};
  refused(bonds, "not in [0, 1]");
  auto quiet = ok;
  quiet.weights = {{0, 0}, {0, 0}};
  refused(quiet, "no validator with stake set any weight");
  auto huge = ok;
  huge.stake = {1e308, 1e308};
  refused(huge, "more than a double holds");
  // Each validator weights only its own miner, none with half the stake: no weight has
  // kappa's support, so nothing can be paid.
  v::YumaInput split;
  split.stake = {1, 1, 1};
  split.weights = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  refused(split, "nothing to pay");
  v::YumaParams bad;
  bad.kappa = 0;
  refused(ok, "kappa", bad);
  bad = {};
  bad.bond_alpha = 1.5;
  refused(ok, "alpha", bad);
}
