#include "store/store.hpp"

#include <algorithm>
#include <map>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "util/log.hpp"

namespace zks::store {

namespace {

rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view view(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

bool mentions_lock(const std::string& text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("lock") != std::string::npos;
}

}  // namespace

std::vector<std::string> all_column_families() {
  return {std::string(cf::kMiners),   std::string(cf::kScores), std::string(cf::kWeights),
          std::string(cf::kNonces),   std::string(cf::kRequests), std::string(cf::kModels),
          std::string(cf::kArtifacts), std::string(cf::kMeta)};
}

void Batch::put(std::string_view cf, std::string_view key, std::string_view value) {
  m_ops.push_back({Op::Put, std::string(cf), std::string(key), std::string(value)});
}
void Batch::del(std::string_view cf, std::string_view key) {
  m_ops.push_back({Op::Del, std::string(cf), std::string(key), {}});
}
void Batch::del_range(std::string_view cf, std::string_view begin, std::string_view end) {
  m_ops.push_back({Op::DelRange, std::string(cf), std::string(begin), std::string(end)});
}

struct Store::Impl {
  std::filesystem::path dir;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> by_name;
  rocksdb::WriteOptions write_options;

  ~Impl() {
    if (!db) return;
    for (auto* h : handles) {
      auto st = db->DestroyColumnFamilyHandle(h);
      if (!st.ok()) ZKS_LOG_WARN("store", "closing column family: {}", st.ToString());
    }
    auto st = db->Close();
    if (!st.ok()) ZKS_LOG_WARN("store", "closing {}: {}", dir.string(), st.ToString());
  }

  Result<rocksdb::ColumnFamilyHandle*> family(std::string_view name) const {
    auto it = by_name.find(name);
    if (it == by_name.end())
      return make_error("data dir " + dir.string() + ": no column family \"" + std::string(name) + "\"");
    return it->second;
  }
  Error error(const char* what, const rocksdb::Status& st) const {
    return make_error(std::string(what) + " in data dir " + dir.string() + ": " + st.ToString());
  }
};

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::filesystem::path& dir, const std::vector<std::string>& column_families) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create data dir " + dir.string() + ": " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  // RocksDB refuses to open a dir without naming every family in it.
  std::vector<std::string> names;
  auto listed = rocksdb::DB::ListColumnFamilies(options, dir.string(), &names);
  if (!listed.ok()) names.clear();  // a new dir: nothing to list yet
  for (const std::string& want : column_families)
    if (std::find(names.begin(), names.end(), want) == names.end()) names.push_back(want);
  if (std::find(names.begin(), names.end(), rocksdb::kDefaultColumnFamilyName) == names.end())
    names.push_back(rocksdb::kDefaultColumnFamilyName);

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions(options));

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->write_options.sync = true;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(rocksdb::DBOptions(options), dir.string(), descriptors, &impl->handles, &raw);
  if (!st.ok()) {
    if (st.IsIOError() && mentions_lock(st.ToString()))
      return make_error("data dir " + dir.string() + " is in use by another process (" + st.ToString() + ")");
    return make_error("cannot open data dir " + dir.string() + ": " + st.ToString());
  }
  impl->db.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) impl->by_name.emplace(names[i], impl->handles[i]);
  ZKS_LOG_DEBUG("store", "opened {} with {} column families", dir.string(), names.size());
  return Store(std::move(impl));
}

Result<std::optional<std::string>> Store::get(std::string_view cf, std::string_view key) const {
  auto h = m_impl->family(cf);
  if (!h) return make_error(h.error());
  std::string value;
  auto st = m_impl->db->Get(rocksdb::ReadOptions(), *h, slice(key), &value);
  if (st.IsNotFound()) return std::optional<std::string>();
  if (!st.ok()) return m_impl->error("get", st);
  return std::optional<std::string>(std::move(value));
}

Status Store::put(std::string_view cf, std::string_view key, std::string_view value) {
  Batch b;
  b.put(cf, key, value);
  return write(b);
}

Status Store::del(std::string_view cf, std::string_view key) {
  Batch b;
  b.del(cf, key);
  return write(b);
}

Status Store::write(const Batch& batch) {
  rocksdb::WriteBatch wb;
  for (const auto& e : batch.m_ops) {
    auto h = m_impl->family(e.cf);
    if (!h) return make_error(h.error() + " (batch of " + std::to_string(batch.size()) + " not applied)");
    rocksdb::Status st;
    switch (e.op) {
      case Batch::Op::Put: st = wb.Put(*h, slice(e.key), slice(e.value)); break;
      case Batch::Op::Del: st = wb.Delete(*h, slice(e.key)); break;
      case Batch::Op::DelRange: st = wb.DeleteRange(*h, slice(e.key), slice(e.value)); break;
    }
    if (!st.ok()) return m_impl->error("building a batch", st);
  }
  auto st = m_impl->db->Write(m_impl->write_options, &wb);
  if (!st.ok()) return m_impl->error("write", st);
  return {};
}

Status Store::for_each_range(std::string_view cf, std::string_view begin, std::string_view end,
                             const std::function<bool(std::string_view, std::string_view)>& fn) const {
  auto h = m_impl->family(cf);
  if (!h) return make_error(h.error());
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = slice(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(m_impl->db->NewIterator(ro, *h));
  for (it->Seek(slice(begin)); it->Valid(); it->Next())
    if (!fn(view(it->key()), view(it->value()))) break;
  if (!it->status().ok()) return m_impl->error("iterate", it->status());
  return {};
}

Status Store::for_each_prefix(std::string_view cf, std::string_view prefix,
                              const std::function<bool(std::string_view, std::string_view)>& fn) const {
  return for_each_range(cf, prefix, {}, [&](std::string_view k, std::string_view v) {
    if (!k.starts_with(prefix)) return false;
    return fn(k, v);
  });
}

bool Store::has_column_family(std::string_view cf) const { return m_impl->by_name.count(cf) > 0; }
const std::filesystem::path& Store::dir() const { return m_impl->dir; }

}  // namespace zks::store
