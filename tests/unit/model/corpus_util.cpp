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
  const char* headings[] = {kConformanceHeading, kProofsHeading};
  constexpr int kParts = 3;
  size_t begin = part == 0 ? 0 : page.find(headings[part - 1]);
  if (begin == std::string::npos) return "";
  size_t end = std::string::npos;
  for (int k = part; k + 1 < kParts && end == std::string::npos; ++k) end = page.find(headings[k]);
  if (end == std::string::npos) return page.substr(begin);
  std::string p = page.substr(begin, end - begin);
  while (p.size() >= 2 && p[p.size() - 1] == '\n' && p[p.size() - 2] == '\n') p.pop_back();
  return p;  // the blank line before the next heading belongs to neither part
}

void write_models_md_part(int part, const std::string& text) {
  std::string page = read_text(models_md_path()), out;
  for (int k = 0; k < 3; ++k) {
    std::string p = k == part ? text : models_md_part(page, k);
    if (p.empty()) continue;
    out += (out.empty() ? "" : "\n") + p;
  }
  std::ofstream(models_md_path()) << out;
}

}  // namespace zks::model::test
