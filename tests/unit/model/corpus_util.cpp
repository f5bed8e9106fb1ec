#include "corpus_util.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

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

std::string models_md_path() { return std::string(ZKS_CORPUS_DIR) + "/../../../docs/models.md"; }

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string models_md_part(const std::string& page, int part) {
  auto at = page.find(kConformanceHeading);
  if (at == std::string::npos) return part == 0 ? page : "";
  if (part == 1) return page.substr(at);
  std::string p0 = page.substr(0, at);
  while (p0.size() >= 2 && p0[p0.size() - 1] == '\n' && p0[p0.size() - 2] == '\n') p0.pop_back();
  return p0;  // the blank line before the heading belongs to neither part
}

void write_models_md_part(int part, const std::string& text) {
  std::string page = read_text(models_md_path());
  std::string p0 = part == 0 ? text : models_md_part(page, 0);
  std::string p1 = part == 1 ? text : models_md_part(page, 1);
  std::ofstream(models_md_path()) << p0 << (p1.empty() ? "" : "\n") << p1;
}

}  // namespace zks::model::test
