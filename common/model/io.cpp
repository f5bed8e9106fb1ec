#include "model/io.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace zks::model {

Result<NamedTensors> parse_tensors_json(const std::string& text, const std::string& prefix) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return make_error(std::string("not valid JSON (NaN and Infinity are not JSON numbers): ") + e.what());
  }
  if (!j.is_object()) return make_error("not a JSON object");
  NamedTensors out;
  out.named = j.contains(prefix + "_names");
  const bool listed = j.contains(prefix + "_shapes");
  try {
    auto data = j.at(prefix + "_data");
    if (!data.is_array()) return make_error(prefix + "_data is not an array");
    for (size_t i = 0; i < data.size(); ++i) {
      Tensor t;
      if (!data[i].is_array()) return make_error(prefix + " " + std::to_string(i) + " is not an array of numbers");
      // A flat list, or nested lists (row-major, as numpy's tolist() writes them), whose
      // nesting is then the tensor's shape.
      std::string bad;
      Shape nested;
      auto flatten = [&](auto&& self, const nlohmann::json& v, size_t depth) -> void {
        if (!bad.empty()) return;
        if (v.is_number()) {
          if (depth != nested.size()) bad = "the lists are nested unevenly";
          return t.data.push_back(v.get<double>());
        }
        if (!v.is_array()) return void(bad = "value " + std::to_string(t.data.size()) + " is not a number");
        if (depth == nested.size() && t.data.empty()) nested.push_back(int64_t(v.size()));
        else if (depth >= nested.size() || nested[depth] != int64_t(v.size())) return void(bad = "the lists are nested unevenly");
        for (const auto& e : v) self(self, e, depth + 1);
      };
      flatten(flatten, data[i], 0);
      if (!bad.empty()) return make_error(prefix + " " + std::to_string(i) + ": " + bad);
      if (listed && i < j[prefix + "_shapes"].size()) {
        for (const auto& d : j[prefix + "_shapes"][i]) t.shape.push_back(d.get<int64_t>());
        out.shaped.push_back(1);
      } else if (nested.size() > 1) {
        t.shape = nested;
        out.shaped.push_back(1);
      } else {
        t.shape = {static_cast<int64_t>(t.data.size())};
        out.shaped.push_back(0);
      }
      if (numel(t.shape) != static_cast<int64_t>(t.data.size()))
        return make_error(prefix + " " + std::to_string(i) + ": shape " + shape_str(t.shape) + " does not match " +
                          std::to_string(t.data.size()) + " values");
      out.tensors.push_back(std::move(t));
      std::string name = prefix + std::to_string(i);
      if (j.contains(prefix + "_names") && i < j[prefix + "_names"].size()) name = j[prefix + "_names"][i].get<std::string>();
      out.names.push_back(name);
    }
  } catch (const std::exception& e) {
    return make_error(std::string("malformed ") + prefix + " JSON: " + e.what());
  }
  return out;
}

Result<NamedTensors> load_tensors_json(const std::string& path, const std::string& prefix) {
  std::ifstream f(path);
  if (!f) return make_error("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  auto r = parse_tensors_json(ss.str(), prefix);
  if (!r.ok()) return make_error(path + ": " + r.error());
  return r;
}

std::string tensors_to_json(const NamedTensors& t, const std::string& prefix) {
  nlohmann::json j;
  j[prefix + "_names"] = t.names;
  auto shapes = nlohmann::json::array(), data = nlohmann::json::array();
  for (const auto& x : t.tensors) {
    shapes.push_back(x.shape);
    data.push_back(x.data);
  }
  j[prefix + "_shapes"] = shapes;
  j[prefix + "_data"] = data;
  return j.dump();
}

Agreement compare(const std::vector<double>& got, const std::vector<double>& ref) {
  Agreement a;
  if (got.size() != ref.size()) {
    a.max_abs = INFINITY;
    a.rel_l2 = INFINITY;
    a.argmax_equal = false;
    return a;
  }
  double num = 0, den = 0;
  size_t ag = 0, ar = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double d = got[i] - ref[i];
    a.max_abs = std::max(a.max_abs, std::fabs(d));
    if (std::isnan(d)) a.max_abs = INFINITY;
    num += d * d;
    den += ref[i] * ref[i];
    if (got[i] > got[ag]) ag = i;
    if (ref[i] > ref[ar]) ar = i;
  }
  a.rel_l2 = std::sqrt(num) / std::max(std::sqrt(den), 1e-12);
  a.argmax_equal = ag == ar;
  return a;
}

}  // namespace zks::model
