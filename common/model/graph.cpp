#include "model/graph.hpp"

#include <algorithm>
#include <set>

namespace zks::model {

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);
  }
  return out + "]";
}

int64_t Node::attr_i(const std::string& k, int64_t def) const {
  auto it = attrs.find(k);
  return it == attrs.end() ? def : it->second.i;
}
double Node::attr_f(const std::string& k, double def) const {
  auto it = attrs.find(k);
  return it == attrs.end() ? def : it->second.f;
}
std::vector<int64_t> Node::attr_ints(const std::string& k, std::vector<int64_t> def) const {
  auto it = attrs.find(k);
  return it == attrs.end() ? def : it->second.ints;
}
std::string Node::attr_s(const std::string& k, std::string def) const {
  auto it = attrs.find(k);
  return it == attrs.end() ? def : it->second.s;
}

int Graph::find(const std::string& n) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == n) return static_cast<int>(i);
  return -1;
}

int Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<int>(values.size() - 1);
}

int64_t Graph::param_count() const {
  std::set<int> seen;
  int64_t n = 0;
  for (const auto& nd : nodes)
    for (int i : nd.inputs)
      if (i >= 0 && values[i].is_const && seen.insert(i).second) n += numel(values[i].shape);
  return n;
}

void Graph::prune() {
  std::vector<char> live(values.size(), 0);
  for (int o : outputs) live[o] = 1;
  std::vector<char> keep(nodes.size(), 0);
  for (size_t k = nodes.size(); k-- > 0;) {
    bool needed = false;
    for (int o : nodes[k].outputs) needed |= live[o] != 0;
    if (!needed) continue;
    keep[k] = 1;
    for (int i : nodes[k].inputs)
      if (i >= 0) live[i] = 1;
  }
  for (int i : inputs) live[i] = 1;
  std::vector<int> remap(values.size(), -1);
  std::vector<Value> nv;
  for (size_t i = 0; i < values.size(); ++i)
    if (live[i]) {
      remap[i] = static_cast<int>(nv.size());
      nv.push_back(std::move(values[i]));
    }
  std::vector<Node> nn;
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (!keep[k]) continue;
    Node n = std::move(nodes[k]);
    for (int& i : n.inputs) i = i >= 0 ? remap[i] : -1;
    for (int& o : n.outputs) o = remap[o];  // dead extra outputs become -1
    nn.push_back(std::move(n));
  }
  for (int& i : inputs) i = remap[i];
  for (int& o : outputs) o = remap[o];
  values = std::move(nv);
  nodes = std::move(nn);
}

std::vector<std::string> op_list(const Graph& g) {
  std::set<std::string> s;
  for (const auto& n : g.nodes) s.insert(n.op);
  return {s.begin(), s.end()};
}

}  // namespace zks::model
