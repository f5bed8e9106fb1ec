// Scoring rules, weights with a cap, and the persistent metagraph (uid reuse resets the
// score; everything reloads after a reopen).
#include <catch2/catch.hpp>
#include <filesystem>

#include "validator/scoring.hpp"
#include "validator/state.hpp"

namespace v = zks::validator;

namespace {

zks::crypto::PublicKey hotkey(uint8_t n) {
  std::array<uint8_t, 32> b{};
  b[0] = n;
  return zks::crypto::PublicKey(b);
}

struct TempStore {
  std::filesystem::path dir;
  TempStore() {
    char tmpl[] = "/tmp/zks-vstate-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
  }
  ~TempStore() { std::filesystem::remove_all(dir); }
  zks::store::Store open() const {
    auto s = zks::store::Store::open(dir, zks::store::all_column_families());
    REQUIRE(s.ok());
    return std::move(s).value();
  }
};

}  // namespace

TEST_CASE("scores: faster valid proofs score higher, invalid ones strike and bench, failures cost less", "[validator]") {
  v::ScoringParams p;
  p.latency_ref_ms = 100;
  v::ScoreState fast, slow, cheat, flaky;
  for (int i = 0; i < 10; ++i) {
    v::score_response(fast, v::Outcome::Valid, 50, 0, p);
    v::score_response(slow, v::Outcome::Valid, 500, 0, p);
    v::score_response(cheat, v::Outcome::Valid, 50, 0, p);
    v::score_response(flaky, v::Outcome::Valid, 50, 0, p);
  }
  REQUIRE(fast.score > slow.score);
  REQUIRE(slow.score > 0);
  v::score_response(cheat, v::Outcome::Invalid, 50, 1000, p);
  v::score_response(flaky, v::Outcome::Failed, 50, 1000, p);
  REQUIRE(cheat.strikes == 1);
  REQUIRE(cheat.benched(1000 + p.bench_ms - 1));
  REQUIRE_FALSE(cheat.benched(1000 + p.bench_ms));
  REQUIRE(cheat.score < flaky.score);  // an invalid proof costs more than a failure
  REQUIRE(flaky.score < fast.score);
  REQUIRE(flaky.strikes == 0);
  REQUIRE(fast.valid == 10);
  REQUIRE(cheat.invalid == 1);
  REQUIRE(flaky.failed == 1);
  auto back = v::ScoreState::from_json(cheat.to_json());
  REQUIRE(back.ok());
  REQUIRE(*back == cheat);
  REQUIRE_FALSE(v::ScoreState::from_json("{\"score\": 1}").ok());
  REQUIRE_FALSE(v::ScoreState::from_json("garbage").ok());
}

TEST_CASE("weights: normalized, benched miners get 0, one miner is capped at max_weight", "[validator]") {
  v::ScoringParams p;
  std::map<uint32_t, v::ScoreState> s;
  s[0].score = 0.6, s[1].score = 0.3, s[2].score = 0.1, s[3].score = 0.9;
  s[3].benched_until_ms = 2000;
  auto w = v::compute_weights(s, 1000, p);
  REQUIRE(w[3] == 0);
  REQUIRE(w[0] == Approx(0.6));
  REQUIRE(w[1] == Approx(0.3));
  REQUIRE(w[2] == Approx(0.1));
  p.max_weight = 0.5;
  w = v::compute_weights(s, 1000, p);
  REQUIRE(w[0] == Approx(0.5));
  REQUIRE(w[1] + w[2] == Approx(0.5));
  REQUIRE(w[1] / w[2] == Approx(3.0));  // the excess is spread in proportion
  REQUIRE(v::compute_weights({}, 0, p).empty());
}

TEST_CASE("metagraph: uids persist, a new hotkey on a reused uid starts from a fresh score, benchmark inputs are never reused", "[validator]") {
  TempStore ts;
  v::ScoringParams p;
  {
    auto store = ts.open();
    auto st = v::ValidatorState::load(store, 2);
    REQUIRE(st.ok());
    auto& state = **st;
    REQUIRE(*state.register_miner(hotkey(1), "127.0.0.1:1", 1, 10) == 0);
    REQUIRE(*state.register_miner(hotkey(2), "127.0.0.1:2", 1, 10) == 1);
    REQUIRE(*state.register_miner(hotkey(1), "127.0.0.1:9", 1, 20) == 0);  // same hotkey: same uid, new endpoint
    REQUIRE(state.record_response(0, v::Outcome::Valid, 10, 30, p, "{}").ok());
    REQUIRE(state.record_response(1, v::Outcome::Valid, 900, 30, p, "{}").ok());
    REQUIRE(state.set_weights({{0, 0.7}, {1, 0.3}}, 40).ok());
    // Full: a third hotkey takes the lowest-scored uid (1), whose score is reset.
    REQUIRE(*state.register_miner(hotkey(3), "127.0.0.1:3", 1, 50) == 1);
    REQUIRE(state.scores().at(1).score == 0);
    REQUIRE(state.scores().at(1).valid == 0);
    REQUIRE(state.scores().at(0).valid == 1);
    zks::hash::Digest input{};
    input[0] = 1;
    REQUIRE(*state.claim_bench_input(input));
    REQUIRE_FALSE(*state.claim_bench_input(input));  // the hash guard: never twice
  }
  auto store = ts.open();
  auto st = v::ValidatorState::load(store, 2);
  REQUIRE(st.ok());
  auto& state = **st;
  REQUIRE(state.miners().size() == 2);
  REQUIRE(state.miner(0)->endpoint == "127.0.0.1:9");
  REQUIRE(state.miner(1)->hotkey == hotkey(3));
  REQUIRE(state.scores().at(0).valid == 1);
  REQUIRE(state.epoch() == 1);
  REQUIRE(state.weights().at(0) == Approx(0.7));
  zks::hash::Digest input{};
  input[0] = 1;
  REQUIRE_FALSE(*state.claim_bench_input(input));  // not after a restart either
}

TEST_CASE("a corrupted state record is a clear error at start-up, not a crash", "[validator]") {
  TempStore ts;
  {
    auto store = ts.open();
    REQUIRE(store.put(zks::store::cf::kMeta, "epoch", "not-a-number").ok());
  }
  {
    auto store = ts.open();
    auto st = v::ValidatorState::load(store, 8);
    REQUIRE_FALSE(st.ok());
    REQUIRE_THAT(st.error(), Catch::Contains("epoch"));
    REQUIRE(store.put(zks::store::cf::kMeta, "epoch", "1").ok());
    REQUIRE(store.put(zks::store::cf::kWeights, v::be64(1), R"({"weights": {"x": 0.5}})").ok());
    st = v::ValidatorState::load(store, 8);
    REQUIRE_FALSE(st.ok());
    REQUIRE_THAT(st.error(), Catch::Contains("malformed"));
    REQUIRE(store.put(zks::store::cf::kScores, v::be32(0), "{").ok());
    st = v::ValidatorState::load(store, 8);
    REQUIRE_FALSE(st.ok());
  }
}
