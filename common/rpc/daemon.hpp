#pragma once
// What the daemons' main() functions share: hotkeys from flags, and running a node
// until SIGINT/SIGTERM (blocked before any thread starts, then awaited with sigwait, so
// no handler runs on an arbitrary thread).
#include <csignal>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "crypto/keys.hpp"
#include "util/log.hpp"
#include "util/result.hpp"

namespace zks::rpc {

inline Result<std::set<crypto::PublicKey>> parse_hotkeys(const std::vector<std::string>& texts) {
  std::set<crypto::PublicKey> out;
  for (const auto& t : texts) {
    auto k = crypto::PublicKey::parse(t);
    if (!k.ok()) return make_error(t + ": " + k.error());
    out.insert(*k);
  }
  return out;
}

// start() returns Result<std::unique_ptr<Node>> with Node::shutdown(). Returns the
// process exit code: 0 after a clean shutdown, 1 when start-up failed (logged).
template <typename Start>
int run_until_signal(const char* name, Start&& start) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto node = start();
  if (!node.ok()) {
    ZKS_LOG_ERROR(name, "start-up failed: {}", node.error());
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  ZKS_LOG_INFO(name, "{} received", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*node)->shutdown();
  return 0;
}

// A daemon's main() once its flags are declared: parses them (exit 2 on bad usage), sets
// the log level, turns the --allow hotkeys into `allowed` (exit 2 on a bad one), then
// runs the node until a signal.
template <typename Start>
int daemon_main(CLI::App& app, int argc, char** argv, const char* name, const std::string& log_level,
                const std::vector<std::string>& allow, std::set<crypto::PublicKey>& allowed, Start&& start) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  log::set_level(log_level);
  auto keys = parse_hotkeys(allow);
  if (!keys.ok()) {
    std::fprintf(stderr, "error: --allow %s\n", keys.error().c_str());
    return 2;
  }
  allowed = *keys;
  return run_until_signal(name, std::forward<Start>(start));
}

}  // namespace zks::rpc
