#include "miner/artifacts.hpp"

#include <fstream>
#include <sstream>

#include "pcs/params.hpp"
#include "util/bytes.hpp"

namespace zks::miner {

namespace {

std::string hex(const hash::Digest& d) { return util::to_hex(d); }

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Result<std::shared_ptr<const Artifact>> parse(const hash::Digest& hash, const std::string& bytes) {
  auto man = slicer::parse_manifest(bytes_of(bytes));
  if (!man.ok()) return make_error("manifest does not parse: " + man.error());
  auto a = std::make_shared<Artifact>();
  a->manifest = std::make_shared<slicer::Manifest>(std::move(man).value());
  auto sealed = circuits::seal_check(*a->manifest, hash, pcs::Params::standard());
  if (!sealed.ok()) return make_error("manifest seal does not hold: " + sealed.error());
  a->sealed = std::move(sealed).value();
  return std::shared_ptr<const Artifact>(std::move(a));
}

}  // namespace

ArtifactCache::ArtifactCache(store::Store& store, std::filesystem::path dir) : m_store(store), m_dir(std::move(dir)) {
  std::filesystem::create_directories(m_dir);
}

Result<bool> ArtifactCache::put(const hash::Digest& hash, const std::string& bytes) {
  if (slicer::manifest_hash(bytes_of(bytes)) != hash) return make_error("the manifest's content hash is not " + hex(hash));
  auto man = parse(hash, bytes);
  if (!man.ok()) return make_error(man.error());
  std::lock_guard<std::mutex> lock(m_mu);
  auto known = m_store.get(store::cf::kArtifacts, std::string(hash.begin(), hash.end()));
  if (!known.ok()) return make_error(known.error());
  m_loaded[hash] = *man;
  if (known->has_value()) return false;
  // Write the file completely before indexing it: a crash leaves at most an unindexed file.
  const auto path = m_dir / (hex(hash) + ".pb");
  const auto tmp = m_dir / (hex(hash) + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.flush();
    if (!f) return make_error("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error("cannot rename " + tmp.string() + ": " + ec.message());
  ZK_TRY(m_store.put(store::cf::kArtifacts, std::string(hash.begin(), hash.end()), std::to_string(bytes.size())));
  return true;
}

Result<std::shared_ptr<const Artifact>> ArtifactCache::get(const hash::Digest& hash) {
  std::lock_guard<std::mutex> lock(m_mu);
  if (auto it = m_loaded.find(hash); it != m_loaded.end()) return it->second;
  auto known = m_store.get(store::cf::kArtifacts, std::string(hash.begin(), hash.end()));
  if (!known.ok()) return make_error(known.error());
  if (!known->has_value()) return make_error("artifact " + hex(hash) + " is not cached (push it first)");
  std::ifstream f(m_dir / (hex(hash) + ".pb"), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  if (!f) return make_error("artifact " + hex(hash) + " is indexed but its file cannot be read");
  std::string bytes = ss.str();
  if (slicer::manifest_hash(bytes_of(bytes)) != hash)
    return make_error("artifact " + hex(hash) + " is corrupted on disk (hash mismatch)");
  auto man = parse(hash, bytes);
  if (!man.ok()) return make_error(man.error());
  m_loaded[hash] = *man;
  return *man;
}

std::vector<hash::Digest> ArtifactCache::list() const {
  std::vector<hash::Digest> out;
  (void)m_store.for_each_prefix(store::cf::kArtifacts, "", [&](std::string_view key, std::string_view) {
    if (key.size() == 32) {
      hash::Digest d;
      std::copy(key.begin(), key.end(), d.begin());
      out.push_back(d);
    }
    return true;
  });
  return out;
}

}  // namespace zks::miner
