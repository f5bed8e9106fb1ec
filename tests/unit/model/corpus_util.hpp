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

// docs/models.md has three generated parts: the corpus table (docs_test.cpp); from
// kConformanceHeading on, the ONNX operator conformance table (conformance_test.cpp); from
// kProofsHeading on, the proving columns (tests/bench/prove_corpus.sh --write).
// Each writer checks (or, with ZKS_WRITE_DOCS=1, rewrites) only its own part.
inline constexpr const char* kConformanceHeading = "## ONNX operator conformance";
inline constexpr const char* kProofsHeading = "## Proofs of the corpus models";
std::string models_md_path();
std::string read_text(const std::string& path);
// Part 0: before the first heading (the whole page when there is none); part k: from
// its heading up to the next one present, or the end.
std::string models_md_part(const std::string& page, int part);
void write_models_md_part(int part, const std::string& text);

}  // namespace zks::model::test
