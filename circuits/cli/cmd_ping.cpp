// `zkslice ping HOST:PORT --key FILE [--to HOTKEY] [--json]`: a signed GetInfo to a
// miner, printed. Without --to the request is addressed to "whoever answers" and the
// answer's signer is printed (trust on first use, like ssh); with --to the answer must
// be signed by that hotkey. Exit 0 on a verified answer, 1 otherwise, 2 on bad usage.
#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "crypto/key_file.hpp"
#include "rpc/rpc.hpp"
#include "util/bytes.hpp"
#include "zkslice/v1/miner.pb.h"

namespace zks::cli {

namespace {

int run_ping(const std::string& target, const std::string& key_file, const std::string& to, bool json, double timeout_s) {
  auto key = crypto::load_key(key_file);
  if (!key.ok()) {
    fmt::print(stderr, "zkslice ping: {}\n", key.error());
    return 1;
  }
  crypto::PublicKey peer;
  if (!to.empty()) {
    auto k = crypto::PublicKey::parse(to);
    if (!k.ok()) {
      fmt::print(stderr, "zkslice ping: --to: {}\n", k.error());
      return 2;
    }
    peer = *k;
  }
  rpc::SignedClient client(target, *key, peer);
  zkslice::v1::GetInfoRequest req;
  req.set_protocol_version(rpc::kProtocolVersion);
  auto t0 = std::chrono::steady_clock::now();
  auto r = client.call(rpc::method::kMinerGetInfo, req.SerializeAsString(),
                       std::chrono::milliseconds(int64_t(timeout_s * 1000)));
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!r.status.ok()) {
    fmt::print(stderr, "zkslice ping {}: {} ({})\n", target, r.status.error_message(), int(r.status.error_code()));
    return 1;
  }
  zkslice::v1::GetInfoResponse info;
  if (!info.ParseFromString(r.body) || info.hotkey() != r.signer.to_string()) {
    fmt::print(stderr, "zkslice ping {}: the answer is malformed or names another hotkey than its signer\n", target);
    return 1;
  }
  std::vector<std::string> artifacts, backends(info.backends().begin(), info.backends().end());
  for (const auto& a : info.cached_artifacts()) artifacts.push_back(util::to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(a.data()), a.size())));
  if (json) {
    nlohmann::json j{{"target", target},         {"hotkey", info.hotkey()},       {"version", info.version()},
                     {"backends", backends},     {"workers", info.workers()},     {"queue_capacity", info.queue_capacity()},
                     {"queue_depth", info.queue_depth()}, {"in_flight", info.in_flight()},
                     {"cached_artifacts", artifacts}, {"round_trip_ms", ms}};
    j["gpus"] = nlohmann::json::array();
    for (const auto& g : info.gpus()) j["gpus"].push_back({{"name", g.name()}, {"memory_bytes", g.memory_bytes()}});
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{} answered in {:.1f} ms (signature verified)\n", target, ms);
  fmt::print("  hotkey   {}\n  version  {}\n  backends {}\n", info.hotkey(), info.version(), fmt::join(backends, ", "));
  for (const auto& g : info.gpus()) fmt::print("  gpu      {} ({} MiB)\n", g.name(), g.memory_bytes() >> 20);
  fmt::print("  workers  {}, queue {}/{}, in flight {}\n", info.workers(), info.queue_depth(), info.queue_capacity(), info.in_flight());
  fmt::print("  cached   {} artifact(s)\n", artifacts.size());
  for (const auto& a : artifacts) fmt::print("           {}\n", a);
  return 0;
}

}  // namespace

void register_ping(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ping", "Signed GetInfo to a miner: who it is and what it can do");
  static std::string target, key, to;
  static bool json = false;
  static double timeout_s = 10;
  cmd->add_option("target", target, "HOST:PORT of the miner")->required();
  cmd->add_option("--key", key, "Your hotkey file (zkslice keygen)")->required();
  cmd->add_option("--to", to, "The miner's hotkey, when known (zks1...)");
  cmd->add_option("--timeout", timeout_s, "Seconds to wait");
  cmd->add_flag("--json", json, "Print JSON");
  cmd->callback([&ctx] { ctx.exit_code = run_ping(target, key, to, json, timeout_s); });
}

}  // namespace zks::cli
