#pragma once
// Input / reference files in the corpus format (tests/data/corpus/README.md):
// {"input_names": [...], "input_shapes": [[...]], "input_data": [[flat floats]]}
// {"output_names": [...], "output_shapes": [[...]], "output_data": [[flat floats]]}

#include <string>
#include <vector>

#include "model/graph.hpp"
#include "util/result.hpp"

namespace zks::model {

struct NamedTensors {
  std::vector<std::string> names;  // as given, or prefix + index where the file names none
  std::vector<Tensor> tensors;
  bool named = false;         // the file gave the names
  std::vector<char> shaped;   // by tensor: the file gave its shape (listed, or by nesting lists)
};

// `prefix` is "input" or "output".
Result<NamedTensors> load_tensors_json(const std::string& path, const std::string& prefix);
Result<NamedTensors> parse_tensors_json(const std::string& text, const std::string& prefix);
std::string tensors_to_json(const NamedTensors& t, const std::string& prefix);

// Agreement of an output with its reference.
struct Agreement {
  double max_abs = 0;
  double rel_l2 = 0;      // ||a - b|| / max(||b||, tiny)
  bool argmax_equal = true;
};
Agreement compare(const std::vector<double>& got, const std::vector<double>& ref);

}  // namespace zks::model
