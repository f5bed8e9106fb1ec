#pragma once
// Shared by the daemon integration tests: deterministic keys, compiled and sealed
// corpus models (in memory and as a `zkslice compile` directory), and a miner process.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "circuits/slice/fingerprint.hpp"
#include "crypto/key_file.hpp"
#include "integration/process.hpp"
#include "rpc/rpc.hpp"
#include "unit/circuits/compiled.hpp"

namespace zks::test {

inline crypto::Keypair key(uint8_t seed) {
  std::array<uint8_t, 32> s{};
  s[0] = seed;
  return crypto::Keypair::from_seed(s);
}

// A compiled, sealed model as `zkslice compile` writes it, with a run of its input.
struct Model {
  Compiled c;
  slicer::Manifest man;
  std::string bytes;
  hash::Digest hash{};

  // Writes DIR/manifest.pb (a compiled-model directory).
  void write_dir(const std::string& dir) const {
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/manifest.pb", std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  }
};

inline Model make_model(const std::string& name, int slices) {
  Model m{compile(name), {}, {}, {}};
  m.man.model = m.c.q;
  auto plan = slicer::plan_slices(m.man.model, {slices, 0, 0});
  REQUIRE(plan.ok());
  m.man.slices = *plan;
  REQUIRE(circuits::seal_manifest(m.man, pcs::Params::standard()).ok());
  auto bytes = slicer::serialize_manifest(m.man);
  m.bytes.assign(bytes.begin(), bytes.end());
  m.hash = slicer::manifest_hash(bytes);
  return m;
}

inline std::string str(const hash::Digest& d) { return std::string(d.begin(), d.end()); }

// A miner process with its own key file and data dir under `dir`.
struct Miner {
  crypto::Keypair keypair;
  std::unique_ptr<Process> proc;
  std::string addr;

  Miner(const TempDir& dir, std::vector<std::string> extra = {}, uint8_t seed = 1, const std::string& name = "miner")
      : keypair(key(seed)) {
    const std::string key_file = dir / (name + ".key"), ready = dir / (name + ".ready");
    if (!std::filesystem::exists(key_file)) REQUIRE(crypto::save_key(key_file, keypair, false).ok());
    std::filesystem::remove(ready);
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--key", key_file, "--data-dir", dir / (name + "-data"),
                                  "--ready-file", ready};
    args.insert(args.end(), extra.begin(), extra.end());
    proc = std::make_unique<Process>(ZKS_MINER_BIN, args, dir / (name + ".log"));
    addr = proc->wait_ready(ready);
  }
  std::string entry() const { return keypair.public_key().to_string() + "@" + addr; }
};

}  // namespace zks::test
