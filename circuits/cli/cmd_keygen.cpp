// `zkslice keygen --out FILE [--force]`: writes a new ed25519 hotkey file (mode 0600,
// format in common/crypto/key_file.hpp) and prints the public hotkey.
#include <filesystem>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "crypto/key_file.hpp"
#include "crypto/keys.hpp"

namespace zks::cli {

namespace {
int run_keygen(const std::string& out, bool force) {
  crypto::Keypair kp = crypto::Keypair::generate();
  Status st = crypto::save_key(out, kp, force);
  if (!st.ok()) {
    std::error_code ec;
    bool exists = !force && std::filesystem::exists(std::filesystem::symlink_status(out, ec));
    fmt::print(stderr, "zkslice keygen: {}{}\n", st.error(), exists ? " (use --force to replace it)" : "");
    return 1;
  }
  fmt::print("wrote {} (mode 0600)\nhotkey: {}\n", out, kp.public_key().to_string());
  return 0;
}
}  // namespace

void register_keygen(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("keygen", "Create a new ed25519 hotkey file (mode 0600) and print its hotkey");
  static std::string out;
  static bool force = false;
  cmd->add_option("--out", out, "Key file to write")->required();
  cmd->add_flag("--force", force, "Replace an existing key file (the old key is lost)");
  cmd->callback([&ctx] { ctx.exit_code = run_keygen(out, force); });
}

}  // namespace zks::cli
