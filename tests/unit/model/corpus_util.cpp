#include "corpus_util.hpp"

#include <algorithm>
#include <filesystem>

namespace zks::model::test {

std::vector<std::string> corpus_models() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(ZKS_CORPUS_DIR))
    if (e.is_directory() && std::filesystem::exists(e.path() / "model.onnx")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string corpus_path(const std::string& model, const std::string& file) {
  return std::string(ZKS_CORPUS_DIR) + "/" + model + "/" + file;
}

ImportOptions import_options(const NamedTensors& inputs) {
  ImportOptions o;
  for (size_t i = 0; i < inputs.names.size(); ++i) o.input_shapes[inputs.names[i]] = inputs.tensors[i].shape;
  return o;
}

}  // namespace zks::model::test
