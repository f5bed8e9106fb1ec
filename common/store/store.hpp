#pragma once
// A small typed wrapper over RocksDB so nothing else sees it (STYLE.md convention 5).
// Keys and values are byte strings; each lives in a named column family. Every write
// (put, del, Batch) is synced to the write-ahead log before it returns: acknowledged
// means durable, also across a kill -9 or a power loss (DESIGN.md section 5).
//
// Opening a data dir takes RocksDB's LOCK file; a second open of the same dir, from
// this or another process, fails with "data dir X is in use by another process".

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace zks::store {

// Column families of DESIGN.md section 5.
namespace cf {
inline constexpr std::string_view kMiners = "miners";        // metagraph
inline constexpr std::string_view kScores = "scores";
inline constexpr std::string_view kWeights = "weights";      // history
inline constexpr std::string_view kNonces = "nonces";        // envelope seen-set
inline constexpr std::string_view kRequests = "requests";    // audit log
inline constexpr std::string_view kModels = "models";        // manifests
inline constexpr std::string_view kArtifacts = "artifacts";  // miner-side cache index
inline constexpr std::string_view kMeta = "meta";            // counters (epoch, sequence numbers)
}  // namespace cf

// All of the above, for a daemon that opens every family.
std::vector<std::string> all_column_families();

// Writes that belong together, applied all-or-nothing by Store::write.
class Batch {
 public:
  void put(std::string_view cf, std::string_view key, std::string_view value);
  void del(std::string_view cf, std::string_view key);
  // Deletes keys in [begin, end).
  void del_range(std::string_view cf, std::string_view begin, std::string_view end);
  size_t size() const { return m_ops.size(); }
  bool empty() const { return m_ops.empty(); }

 private:
  friend class Store;
  enum class Op { Put, Del, DelRange };
  struct Entry {
    Op op;
    std::string cf, key, value;
  };
  std::vector<Entry> m_ops;
};

class Store {
 public:
  // Creates the dir and any missing column families (the "default" family always
  // exists). Families already in the dir but not asked for are opened too.
  static Result<Store> open(const std::filesystem::path& dir, const std::vector<std::string>& column_families);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();  // flushes nothing extra (the WAL is synced per write) and releases the LOCK

  Result<std::optional<std::string>> get(std::string_view cf, std::string_view key) const;
  Status put(std::string_view cf, std::string_view key, std::string_view value);
  Status del(std::string_view cf, std::string_view key);
  // Atomic: every operation is applied, or none (an unknown family fails the batch
  // before anything is written).
  Status write(const Batch& batch);

  // Calls fn(key, value) for every key starting with `prefix`, in key order, until fn
  // returns false.
  Status for_each_prefix(std::string_view cf, std::string_view prefix,
                         const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // Same, in key order over [begin, end) (end empty = to the last key).
  Status for_each_range(std::string_view cf, std::string_view begin, std::string_view end,
                        const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  bool has_column_family(std::string_view cf) const;
  const std::filesystem::path& dir() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace zks::store
