// zkslice-miner: proves slices for validators (see miner.hpp). Every option is a flag
// and a key of the TOML config file (--config), flags winning; unknown keys are refused.
// SIGINT/SIGTERM shut down in reverse start-up order; the exit code is 0 after a clean
// shutdown, 1 when start-up fails (the reason is logged), 2 on bad usage.

#include <CLI/CLI.hpp>

#include "miner/miner.hpp"
#include "rpc/daemon.hpp"
#include "util/memory.hpp"

int main(int argc, char** argv) {
  zks::util::tune_allocator_for_proving(/*heap_only=*/false);  // a daemon
  zks::miner::MinerConfig cfg;
  std::vector<std::string> allow;
  std::string log_level = "info";
  CLI::App app{"zkslice-miner: proves model slices for validators"};
  app.set_config("--config", "", "TOML config file (keys are the long flag names)");
  app.allow_config_extras(false);
  app.add_option("--listen", cfg.listen, "host:port to serve on (port 0: any free port)")->capture_default_str();
  app.add_option("--key", cfg.key_file, "hotkey file (zkslice keygen --out FILE)");
  app.add_option("--data-dir", cfg.data_dir, "data directory (RocksDB, artifacts)")->capture_default_str();
  app.add_option("--workers", cfg.workers, "slices proved at once (0: one per 2 cores this process may use)")->capture_default_str();
  app.add_option("--gpu", cfg.gpu, "prove on the GPU when one is present (false: CPU only)")->capture_default_str();
  app.add_option("--weight-cache-mb", cfg.weight_cache_mb,
                 "memory for weight commitments kept across jobs of the same model (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(size_t(0), size_t(1) << 20));
  app.add_option("--queue", cfg.queue, "jobs that may wait for a worker")->capture_default_str();
  app.add_option("--max-message-mb", cfg.max_message_mb, "gRPC message size limit")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--allow", allow, "hotkeys allowed to call (default: everyone)");
  app.add_option("--rate", cfg.rate_per_sec, "requests per second per sender (0: unlimited)")->capture_default_str();
  app.add_option("--burst", cfg.burst, "token bucket size per sender")->capture_default_str();
  app.add_option("--freshness-s", cfg.freshness_s, "envelope freshness window in seconds")->capture_default_str();
  app.add_option("--ready-file", cfg.ready_file, "write host:port here once serving");
  app.add_option("--metrics-listen", cfg.metrics_listen, "host:port for Prometheus /metrics (port 0: any; default: none)");
  app.add_option("--register", cfg.register_with, "a validator's host:port to register with");
  app.add_option("--advertise", cfg.advertise, "the host:port announced to the validator (default: the bound address)");
  app.add_option("--register-interval-s", cfg.register_interval_s, "re-register (heartbeat) interval")->capture_default_str();
  app.add_option("--test-delay-ms", cfg.test_delay_ms, "testing only: answer this much later");
  app.add_flag("--test-corrupt-proofs", cfg.test_corrupt_proofs, "testing only: return invalid proofs");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  return zks::rpc::daemon_main(app, argc, argv, "miner", log_level, allow, cfg.allow,
                               [&] { return zks::miner::MinerNode::start(cfg); });
}
