// `zkslice consensus`: Yuma consensus over several validators' weights
// (validator/consensus.hpp). Each source is a validator: a live one (--validator
// HOST:PORT, its signed answers) or a file `zkslice weights --json` wrote. With the
// validators' stake (--stake HOTKEY=AMOUNT) it prints one epoch: each miner's
// consensus weight, incentive, trust and emission share, each validator's bonds (summed
// over the miners), trust, dividends and emission share. --state DIR keeps the bonds in RocksDB, so the next run
// continues their moving average; the new bonds, the epoch number and the epoch's
// result are written in one atomic batch.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <type_traits>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "store/store.hpp"
#include "validator/consensus.hpp"

namespace zks::cli {

namespace {

constexpr std::string_view kCf = "consensus";  // bond/<validator>/<miner>, epoch/<n>
constexpr std::string_view kEpochKey = "consensus_epoch";

// One validator's weights: its hotkey and miner hotkey -> weight.
struct Source {
  std::string validator;
  std::map<std::string, double> weights;
};

Result<Source> parse_source(const nlohmann::json& j, const std::string& where) {
  Source s;
  try {
    if (!j.is_object() || !j.contains("validator") || !j.contains("miners") || !j["miners"].is_array())
      return make_error(where + ": not a `zkslice weights --json` answer (validator, miners)");
    s.validator = j["validator"].get<std::string>();
    for (const auto& m : j["miners"]) {
      const std::string hk = m.at("hotkey").get<std::string>();
      if (hk.empty() || hk.find('/') != std::string::npos) return make_error(where + ": miner hotkey '" + hk + "' is not a hotkey");
      const double w = m.at("weight").get<double>();
      if (!(w >= 0)) return make_error(where + ": miner " + hk + " has a weight that is not >= 0");
      if (!s.weights.emplace(hk, w).second) return make_error(where + ": miner " + hk + " is listed twice");
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(where + ": " + e.what());
  }
  if (s.validator.empty() || s.validator.find('/') != std::string::npos)
    return make_error(where + ": validator hotkey '" + s.validator + "' is not a hotkey");
  return s;
}

Result<Source> read_source(const std::string& file) {
  std::ifstream f(file);
  if (!f) return make_error("cannot read " + file);
  std::stringstream ss;
  ss << f.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return make_error(file + ": not JSON");
  return parse_source(j, file);
}

std::string bond_key(const std::string& v, const std::string& m) { return "bond/" + v + "/" + m; }

// The whole of `text` as a number (what this command wrote into its state dir).
template <typename T>
bool parse_number(const std::string& text, T& out) {
  // Digits first: no sign, space, "inf" or "nan" (stod and stoull accept them).
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  try {
    size_t used = 0;
    if constexpr (std::is_same_v<T, double>) {
      out = std::stod(text, &used);
      if (!std::isfinite(out)) return false;
    } else {
      out = std::stoull(text, &used);
    }
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

struct Args {
  std::vector<std::string> files, validators, stakes;
  std::string state, key;
  double timeout_s = 10;
  validator::YumaParams params;
  bool json = false;
};

int run_consensus(const Args& a) {
  std::vector<Source> sources;
  for (const auto& f : a.files) {
    auto s = read_source(f);
    if (!s.ok()) return fail(s.error());
    sources.push_back(std::move(*s));
  }
  for (const auto& t : a.validators) {
    auto j = fetch_weights(t, a.key, a.timeout_s);
    if (!j.ok()) return fail(j.error());
    auto s = parse_source(*j, t);
    if (!s.ok()) return fail(s.error());
    sources.push_back(std::move(*s));
  }
  if (sources.empty()) return fail("no weights: give files from `zkslice weights --json` or --validator HOST:PORT");
  std::map<std::string, double> stake;
  for (const auto& e : a.stakes) {
    const auto eq = e.find('=');
    double amount = 0;
    if (eq == std::string::npos || !parse_number(e.substr(eq + 1), amount))
      return fail("--stake '" + e + "' is not HOTKEY=AMOUNT");
    if (!stake.emplace(e.substr(0, eq), amount).second) return fail("--stake for " + e.substr(0, eq) + " is given twice");
  }
  // Validators and miners in a fixed order (hotkeys sorted), so the bonds line up.
  std::sort(sources.begin(), sources.end(), [](const Source& x, const Source& y) { return x.validator < y.validator; });
  std::set<std::string> miner_set;
  validator::YumaInput in;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (i > 0 && sources[i].validator == sources[i - 1].validator)
      return fail("validator " + sources[i].validator + " is given twice");
    auto st = stake.find(sources[i].validator);
    if (st == stake.end()) return fail("no --stake for validator " + sources[i].validator);
    in.stake.push_back(st->second);
    for (const auto& [m, w] : sources[i].weights) miner_set.insert(m);
  }
  const std::vector<std::string> miners(miner_set.begin(), miner_set.end());
  if (miners.empty()) return fail("the validators list no miners");
  for (const auto& s : sources) {
    std::vector<double> row;
    for (const auto& m : miners) row.push_back(s.weights.count(m) ? s.weights.at(m) : 0.0);
    in.weights.push_back(std::move(row));
  }
  // Last epoch's bonds, when the state dir has them (pairs not seen before start at 0).
  std::optional<store::Store> db;
  uint64_t epoch = 0;
  if (!a.state.empty()) {
    auto opened = store::Store::open(a.state, {std::string(kCf), std::string(store::cf::kMeta)});
    if (!opened.ok()) return fail(opened.error());
    db.emplace(std::move(*opened));
    auto e = db->get(store::cf::kMeta, kEpochKey);
    if (!e.ok()) return fail(e.error());
    if (*e && !parse_number(**e, epoch)) return fail(a.state + ": the epoch number is corrupt ('" + **e + "')");
    if (epoch > 0) {
      in.bonds.assign(sources.size(), std::vector<double>(miners.size(), 0));
      for (size_t i = 0; i < sources.size(); ++i)
        for (size_t j = 0; j < miners.size(); ++j) {
          const std::string key = bond_key(sources[i].validator, miners[j]);
          auto b = db->get(kCf, key);
          if (!b.ok()) return fail(b.error());
          if (*b && !parse_number(**b, in.bonds[i][j])) return fail(a.state + ": bond " + key + " is corrupt");
        }
    }
  }
  auto out = validator::yuma_epoch(in, a.params);
  if (!out.ok()) return fail(out.error());
  nlohmann::json j{{"epoch", epoch + 1}, {"miners", nlohmann::json::array()}, {"validators", nlohmann::json::array()}};
  for (size_t k = 0; k < miners.size(); ++k)
    j["miners"].push_back({{"hotkey", miners[k]},
                           {"consensus", out->consensus[k]},
                           {"incentive", out->incentive[k]},
                           {"trust", out->trust[k]},
                           {"emission", out->miner_emission[k]}});
  for (size_t i = 0; i < sources.size(); ++i)
    j["validators"].push_back({{"hotkey", sources[i].validator},
                               {"stake", in.stake[i]},
                               {"bonds", std::accumulate(out->bonds[i].begin(), out->bonds[i].end(), 0.0)},
                               {"trust", out->validator_trust[i]},
                               {"dividends", out->dividends[i]},
                               {"emission", out->validator_emission[i]}});
  if (db) {
    store::Batch batch;
    // This run's validators' bonds are replaced ('0' follows '/': every key under
    // "bond/<validator>/"); the bonds of a validator left out of this run are kept.
    for (const auto& src : sources) batch.del_range(kCf, bond_key(src.validator, ""), "bond/" + src.validator + "0");
    for (size_t i = 0; i < sources.size(); ++i)
      for (size_t k = 0; k < miners.size(); ++k)
        if (out->bonds[i][k] > 0) batch.put(kCf, bond_key(sources[i].validator, miners[k]), fmt::format("{:.17g}", out->bonds[i][k]));
    batch.put(kCf, fmt::format("epoch/{:020}", epoch + 1), j.dump());
    batch.put(store::cf::kMeta, kEpochKey, std::to_string(epoch + 1));
    if (auto st = db->write(batch); !st.ok()) return fail(st.error());
  }
  if (a.json) {
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("epoch {}: {} validators, {} miners (kappa {}, bond penalty {}, bonds' alpha {}, validators' share {})\n",
             epoch + 1, sources.size(), miners.size(), a.params.kappa, a.params.bond_penalty, a.params.bond_alpha,
             a.params.validator_share);
  fmt::print("  {:<20} {:>10} {:>10} {:>8} {:>9}\n", "miner", "consensus", "incentive", "trust", "emission");
  for (const auto& m : j["miners"])
    fmt::print("  {:<20} {:>10.4f} {:>10.4f} {:>8.4f} {:>9.4f}\n", m["hotkey"].get<std::string>().substr(0, 20),
               m["consensus"].get<double>(), m["incentive"].get<double>(), m["trust"].get<double>(),
               m["emission"].get<double>());
  fmt::print("  {:<20} {:>10} {:>10} {:>8} {:>9}\n", "validator", "stake", "dividends", "trust", "emission");
  for (const auto& v : j["validators"])
    fmt::print("  {:<20} {:>10.4g} {:>10.4f} {:>8.4f} {:>9.4f}\n", v["hotkey"].get<std::string>().substr(0, 20),
               v["stake"].get<double>(), v["dividends"].get<double>(), v["trust"].get<double>(),
               v["emission"].get<double>());
  return 0;
}

}  // namespace

void register_consensus(CLI::App& app, Context& ctx) {
  static Args a;
  auto* c = app.add_subcommand("consensus",
                               "Yuma consensus over several validators' weights: miners' incentive, validators' dividends");
  c->add_option("weights", a.files, "Files written by `zkslice weights --json`, one per validator");
  c->add_option("--validator", a.validators, "HOST:PORT of a validator to ask for its weights (repeatable)");
  c->add_option("--stake", a.stakes, "HOTKEY=AMOUNT: a validator's stake (one for every validator)")->required();
  c->add_option("--state", a.state, "RocksDB dir keeping the bonds between runs (the moving average)");
  c->add_option("--key", a.key, "Your hotkey file for --validator calls (default: a fresh key)");
  c->add_option("--timeout", a.timeout_s, "Seconds to wait for each validator");
  c->add_option("--kappa", a.params.kappa, "Stake that must support a weight")->check(CLI::Range(0.0, 1.0));
  c->add_option("--bond-penalty", a.params.bond_penalty, "How much clipped weight bonds lose")->check(CLI::Range(0.0, 1.0));
  c->add_option("--bond-alpha", a.params.bond_alpha, "Bonds' moving-average rate")->check(CLI::Range(0.0, 1.0));
  c->add_option("--validator-share", a.params.validator_share, "The validators' part of the emission")
      ->check(CLI::Range(0.0, 1.0));
  c->add_flag("--json", a.json, "Print JSON");
  c->callback([&ctx] { ctx.exit_code = run_consensus(a); });
}

}  // namespace zks::cli
