// zkslice-validator: dispatches inference to miners, verifies and stitches the proofs,
// scores the miners and sets weights (see validator.hpp). Every option is a flag and a
// key of the TOML config file (--config), flags winning; unknown keys are refused.
// SIGINT/SIGTERM shut down in reverse start-up order; exit 0 after a clean shutdown,
// 1 when start-up fails (the reason is logged), 2 on bad usage.

#include <CLI/CLI.hpp>

#include "rpc/daemon.hpp"
#include "validator/validator.hpp"

int main(int argc, char** argv) {
  zks::validator::ValidatorConfig cfg;
  std::vector<std::string> allow;
  std::string log_level = "info";
  CLI::App app{"zkslice-validator: proves inference with a subnet of miners"};
  app.set_config("--config", "", "TOML config file (keys are the long flag names)");
  app.allow_config_extras(false);
  app.add_option("--listen", cfg.listen, "host:port to serve on (port 0: any free port)")->capture_default_str();
  app.add_option("--advertise", cfg.advertise, "host:port miners fetch artifacts from (default: the bound address)");
  app.add_option("--key", cfg.key_file, "hotkey file (zkslice keygen --out FILE)");
  app.add_option("--data-dir", cfg.data_dir, "data directory (RocksDB)")->capture_default_str();
  app.add_option("--model", cfg.models, "compiled model directory (zkslice compile --out DIR); repeatable");
  app.add_option("--miner", cfg.miners, "static miner hotkey@host:port; repeatable");
  app.add_option("--k", cfg.k, "competing miners per slice")->capture_default_str()->check(CLI::Range(1, 16));
  app.add_option("--explore", cfg.explore, "chance to try a random miner")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--request-timeout-ms", cfg.request_timeout_ms, "default Infer deadline")->capture_default_str();
  app.add_option("--slice-budget-ms", cfg.slice_budget_ms, "hedge a slice to one more miner past this")->capture_default_str();
  app.add_option("--epoch-s", cfg.epoch_s, "seconds per epoch (weights are set every epoch)")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--alpha", cfg.scoring.alpha, "score EMA factor")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--latency-ref-ms", cfg.scoring.latency_ref_ms, "latency with half the best target score")->capture_default_str();
  app.add_option("--bench-ms", cfg.scoring.bench_ms, "how long an invalid proof benches a miner")->capture_default_str();
  app.add_option("--max-weight", cfg.scoring.max_weight, "cap on one miner's weight")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--bench-idle-s", cfg.bench_idle_s, "benchmark requests after this much idle time (0: off)")->capture_default_str();
  app.add_option("--max-concurrent", cfg.max_concurrent, "Infer requests at once")->capture_default_str();
  app.add_option("--max-miners", cfg.max_miners, "metagraph size")->capture_default_str();
  app.add_option("--allow", allow, "client hotkeys allowed (default: everyone; registered miners always)");
  app.add_option("--rate", cfg.rate_per_sec, "requests per second per sender (0: unlimited)")->capture_default_str();
  app.add_option("--burst", cfg.burst, "token bucket size per sender")->capture_default_str();
  app.add_option("--freshness-s", cfg.freshness_s, "envelope freshness window in seconds")->capture_default_str();
  app.add_option("--max-message-mb", cfg.max_message_mb, "gRPC message size limit")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_flag("--share-weights", cfg.share_weights,
               "GetModel sends clients the full manifest (default: the verify-only one; miners always get the full one)");
  app.add_flag("--closed-registration", cfg.closed_registration,
               "refuse Register calls: the miners are the --miner entries (keeps the weights with them)");
  app.add_option("--metrics-listen", cfg.metrics_listen, "host:port for Prometheus /metrics (port 0: any; default: none)");
  app.add_option("--ready-file", cfg.ready_file, "write host:port here once serving");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  return zks::rpc::daemon_main(app, argc, argv, "validator", log_level, allow, cfg.allow,
                               [&] { return zks::validator::ValidatorNode::start(cfg); });
}
