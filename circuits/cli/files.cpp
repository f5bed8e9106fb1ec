#include "cli/files.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "model/io.hpp"
#include "model/quantize.hpp"

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

Result<std::vector<std::vector<int64_t>>> load_integer_inputs(const model::QModel& m, const std::string& input) {
  auto in = model::load_tensors_json(input, "input");
  if (!in.ok()) return make_error(in.error());
  auto run = model::run_int(m, in->tensors);
  if (!run.ok()) return make_error(run.error());
  std::vector<std::vector<int64_t>> out;
  for (int t : m.inputs) out.push_back(std::move(run->values[t]));
  return out;
}

}  // namespace zks::cli
