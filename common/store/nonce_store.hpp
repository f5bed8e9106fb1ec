#pragma once
// The envelope seen-set (rule 14) in the "nonces" column family, so a restart does
// not reopen replay. Keys are NonceKey::encode() (big-endian nonce first), values
// empty; pruning is one range delete of every key below the cutoff.

#include <mutex>

#include "crypto/verifier.hpp"
#include "store/store.hpp"

namespace zks::store {

class RocksNonceStore final : public crypto::NonceStore {
 public:
  // `store` must have the "nonces" family and outlive this object.
  explicit RocksNonceStore(Store& store);

  Result<bool> insert_if_absent(const crypto::NonceKey& key) override;
  Status prune_older_than(uint64_t cutoff_ns) override;

 private:
  Store& m_store;
  std::mutex m_mu;  // makes get-then-put one step: RocksDB has no insert-if-absent
};

}  // namespace zks::store
