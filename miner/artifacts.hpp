#pragma once
// The miner's artifact cache: compiled models (manifests) by content hash, on disk
// under DATA/artifacts/<hex>.pb with an index in the store's "artifacts" family, and
// parsed in memory on first use. The hash is checked on the way in (push) and again
// when a file is loaded from disk, so a corrupted file is refused, never proved.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "circuits/slice/bundle.hpp"
#include "hash/blake2b.hpp"
#include "slicer/slicer.hpp"
#include "store/store.hpp"
#include "util/result.hpp"

namespace zks::miner {

// A cached compiled model with its seal checked once (fingerprint and R_W decoded).
struct Artifact {
  std::shared_ptr<const slicer::Manifest> manifest;
  circuits::SealedModel sealed;  // points into *manifest
};

class ArtifactCache {
 public:
  ArtifactCache(store::Store& store, std::filesystem::path dir);

  // Stores a manifest after checking that `hash` is its content hash and that it
  // parses (and, when sealed, that its fingerprint holds). true if it was new.
  Result<bool> put(const hash::Digest& hash, const std::string& bytes);
  // The parsed, seal-checked manifest, or an error naming why not (not cached, corrupted).
  Result<std::shared_ptr<const Artifact>> get(const hash::Digest& hash);
  std::vector<hash::Digest> list() const;

 private:
  store::Store& m_store;
  std::filesystem::path m_dir;
  mutable std::mutex m_mu;
  std::map<hash::Digest, std::shared_ptr<const Artifact>> m_loaded;
};

}  // namespace zks::miner
