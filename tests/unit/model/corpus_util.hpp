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

// docs/models.md has two generated parts: the corpus table (docs_test.cpp) and, from
// kConformanceHeading on, the ONNX operator conformance table (conformance_test.cpp).
// Each test checks (or, with ZKS_WRITE_DOCS=1, rewrites) only its own part.
inline constexpr const char* kConformanceHeading = "## ONNX operator conformance";
std::string models_md_path();
std::string read_text(const std::string& path);
// Part 0: before the heading (the whole page when it is absent); part 1: from it on.
std::string models_md_part(const std::string& page, int part);
void write_models_md_part(int part, const std::string& text);

}  // namespace zks::model::test
