#include "cli/files.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace zks::cli {

Result<util::Bytes> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error("cannot open '" + path + "'");
  return util::Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

Status write_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return make_error("cannot write '" + path + "'");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) return make_error("writing '" + path + "' failed");
  return {};
}

Result<CompiledModel> load_compiled(const std::string& dir) {
  auto bytes = read_bytes((std::filesystem::path(dir) / "manifest.pb").string());
  if (!bytes.ok()) return make_error(bytes.error());
  auto man = slicer::parse_manifest(*bytes);
  if (!man.ok()) return make_error(man.error());
  return CompiledModel{std::move(man).value(), slicer::manifest_hash(*bytes)};
}

}  // namespace zks::cli
