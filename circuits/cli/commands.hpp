#pragma once
// The `zkslice` command line: each subcommand lives in its own cmd_*.cpp and
// registers itself on the CLI11 app. A subcommand's callback stores its exit code
// in `exit_code` (0 ok, 1 failure / invalid, 2 usage).

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "util/result.hpp"

namespace zks::cli {

struct Context {
  int exit_code = 0;
};

void register_selftest(CLI::App& app, Context& ctx);
void register_prove(CLI::App& app, Context& ctx);
void register_compile(CLI::App& app, Context& ctx);
void register_keygen(CLI::App& app, Context& ctx);
void register_ping(CLI::App& app, Context& ctx);
void register_infer(CLI::App& app, Context& ctx);
void register_consensus(CLI::App& app, Context& ctx);

// "error: <what>" on stderr; returns 1, a subcommand's failure exit code.
int fail(const std::string& what);

// A validator's weights and miners, signed answers checked (`zkslice weights --json`'s
// form: validator, epoch, miners [uid, hotkey, endpoint, score, strikes, weight]).
// Without a key file a fresh key is used for the call.
Result<nlohmann::json> fetch_weights(const std::string& target, const std::string& key_file, double timeout_s);

}  // namespace zks::cli
