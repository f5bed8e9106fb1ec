#pragma once
// Helpers over the model corpus (tests/data/corpus).
#include <string>
#include <vector>

#include "model/graph.hpp"
#include "model/io.hpp"
#include "model/onnx_import.hpp"

namespace zks::model::test {

std::vector<std::string> corpus_models();  // folder names, sorted
std::string corpus_path(const std::string& model, const std::string& file);
// Import options that take the input shapes from an input.json.
ImportOptions import_options(const NamedTensors& inputs);

}  // namespace zks::model::test
