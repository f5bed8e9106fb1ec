#include "cli/files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "circuits/slice/bundle.hpp"
#include "cli/commands.hpp"
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
  // A verify-only manifest names the full manifest it was published from: the model id
  // its bundles carry.
  hash::Digest id = slicer::manifest_hash(*bytes);
  if (man->verify_only()) std::copy(man->published_from.begin(), man->published_from.end(), id.begin());
  return CompiledModel{std::move(man).value(), id};
}

Status need_weights(const slicer::Manifest& man, const std::string& dir) {
  if (!man.verify_only()) return {};
  return make_error(dir + ": " + circuits::kVerifyOnly);
}

Result<std::vector<model::Tensor>> load_model_inputs(const model::QModel& m, const std::string& input) {
  auto in = model::load_tensors_json(input, "input");
  if (!in.ok()) return make_error(in.error());
  const std::string where = input + ": ";
  if (in->tensors.size() != m.inputs.size())
    return make_error(where + std::to_string(in->tensors.size()) + " inputs given, the model has " + std::to_string(m.inputs.size()));
  std::vector<model::Tensor> out;
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    const auto& want = m.tensors[m.inputs[i]];
    size_t k = i;  // by name where the file names its inputs, else by position
    if (in->named) {
      k = std::find(in->names.begin(), in->names.end(), want.name) - in->names.begin();
      if (k == in->names.size())
        return make_error(where + "the model's input '" + want.name + "' is not given (the file names " +
                          fmt::format("{}", fmt::join(in->names, ", ")) + ")");
    }
    model::Tensor t = in->tensors[k];
    // Dimensions of 1 aside (a batch of one written or not), a shape given must be the model's.
    auto squeezed = [](model::Shape s) {
      std::erase(s, int64_t(1));
      return s;
    };
    if (in->shaped[k] && squeezed(t.shape) != squeezed(want.shape))
      return make_error(where + "input '" + want.name + "' has shape " + model::shape_str(t.shape) + ", the model's is " +
                        model::shape_str(want.shape));
    if (t.data.size() != size_t(model::numel(want.shape)))
      return make_error(where + "input '" + want.name + "' has " + std::to_string(t.data.size()) + " values, the model's " +
                        model::shape_str(want.shape) + " takes " + std::to_string(model::numel(want.shape)));
    t.shape = want.shape;
    out.push_back(std::move(t));
  }
  return out;
}

void warn_saturations(const model::IntRun& run) {
  if (run.saturations > 0)
    fmt::print(stderr,
               "warning: {} values saturated in the integer run (inputs or activations outside the range the model "
               "was calibrated on): the proof attests the clamped result; recompile with --calibration on inputs "
               "like this one\n",
               run.saturations);
}

Result<std::vector<std::vector<int64_t>>> load_integer_inputs(const model::QModel& m, const std::string& input,
                                                              bool whole_run) {
  auto in = load_model_inputs(m, input);
  if (!in.ok()) return make_error(in.error());
  auto run = whole_run ? model::run_int(m, *in) : model::quantize_inputs(m, *in);
  if (!run.ok()) return make_error(run.error());
  warn_saturations(*run);
  std::vector<std::vector<int64_t>> out;
  for (int t : m.inputs) out.push_back(std::move(run->values[t]));
  return out;
}

int fail(const std::string& what) {
  fmt::print(stderr, "error: {}\n", what);
  return 1;
}

}  // namespace zks::cli
