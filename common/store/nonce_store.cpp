#include "store/nonce_store.hpp"

#include "util/assert.hpp"

namespace zks::store {

namespace {
std::string be64(uint64_t v) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(v >> (8 * i)));
  return k;
}
}  // namespace

RocksNonceStore::RocksNonceStore(Store& store) : m_store(store) {
  ZK_ASSERT_MSG(store.has_column_family(cf::kNonces), "RocksNonceStore needs the \"nonces\" column family");
}

Result<bool> RocksNonceStore::insert_if_absent(const crypto::NonceKey& key) {
  const std::string k = key.encode();
  std::lock_guard<std::mutex> lock(m_mu);
  auto existing = m_store.get(cf::kNonces, k);
  if (!existing) return make_error(existing.error());
  if (existing->has_value()) return false;
  ZK_TRY(m_store.put(cf::kNonces, k, {}));
  return true;
}

Status RocksNonceStore::prune_older_than(uint64_t cutoff_ns) {
  Batch b;
  b.del_range(cf::kNonces, std::string(), be64(cutoff_ns));
  std::lock_guard<std::mutex> lock(m_mu);
  return m_store.write(b);
}

}  // namespace zks::store
