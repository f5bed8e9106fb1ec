// Splitting one large linear op by output channels (DESIGN.md section 4). Output
// channel c of a Conv (groups = 1) or of a MatMul/Gemm with constant weights depends on
// the input and on weight column c only, and requantization is per element with one
// shift, so computing channel ranges separately and concatenating them is bit-identical
// to the whole op. Each part writes its own tensor (rule 7: every channel part has its
// own identity and root); a Concat, which goes into the consumers' slice, rebuilds the
// original tensor, so every later node is unchanged.
#include <algorithm>

#include "slicer/slicer.hpp"

namespace zks::slicer {

using model::numel;
using model::QModel;
using model::QNode;
using model::QTensor;
using model::Shape;

namespace {

// Which input-1 axis holds the output channels, and which output axis; false if `n`
// cannot be split.
bool channel_axes(const QModel& m, const QNode& n, size_t& w_axis, size_t& y_axis, std::string& why) {
  if (n.op != "Conv" && n.op != "Gemm" && n.op != "MatMul") {
    why = "only Conv, Gemm and MatMul are split by output channels";
    return false;
  }
  if (n.inputs.size() < 2 || !m.tensors[n.inputs[1]].is_const) {
    why = "its weights are not constant";
    return false;
  }
  const Shape& ws = m.tensors[n.inputs[1]].shape;
  const Shape& ys = m.tensors[n.outputs[0]].shape;
  if (n.op == "Conv") {
    auto g = n.attrs.find("group");
    if (g != n.attrs.end() && g->second.i != 1) {
      why = "grouped convolutions are not split";
      return false;
    }
    w_axis = 0;
    y_axis = 1;
  } else if (n.op == "Gemm" || n.op == "MatMul") {
    if (ws.size() != 2 || ys.empty()) {
      why = "only 2-D weights are split";
      return false;
    }
    w_axis = 1;
    y_axis = ys.size() - 1;
  } else {
    why = "only Conv, Gemm and MatMul are split by output channels";
    return false;
  }
  if (ys.size() <= y_axis || ys[y_axis] != ws[w_axis]) {
    why = "unexpected shapes";
    return false;
  }
  if (ys[y_axis] < 2) {
    why = "it has one output channel";
    return false;
  }
  return true;
}

// Elements [c0, c1) along `axis` of a row-major tensor.
std::vector<int64_t> take(const std::vector<int64_t>& d, const Shape& s, size_t axis, int64_t c0, int64_t c1) {
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(outer * (c1 - c0) * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t i = 0; i < inner; ++i) out.push_back(d[static_cast<size_t>((o * s[axis] + c) * inner + i)]);
  return out;
}

int add_tensor(QModel& m, QTensor t) {
  m.tensors.push_back(std::move(t));
  return static_cast<int>(m.tensors.size()) - 1;
}

// Removes constants no node reads and renumbers tensor indices.
void drop_unused_constants(QModel& m) {
  std::vector<char> used(m.tensors.size(), 0);
  for (const auto& n : m.nodes) {
    for (int i : n.inputs) used[static_cast<size_t>(i)] = 1;
    for (int o : n.outputs) used[static_cast<size_t>(o)] = 1;
  }
  for (int i : m.inputs) used[static_cast<size_t>(i)] = 1;
  for (int o : m.outputs) used[static_cast<size_t>(o)] = 1;
  std::vector<int> remap(m.tensors.size(), -1);
  std::vector<QTensor> kept;
  for (size_t t = 0; t < m.tensors.size(); ++t)
    if (used[t] || !m.tensors[t].is_const) {
      remap[t] = static_cast<int>(kept.size());
      kept.push_back(std::move(m.tensors[t]));
    }
  m.tensors = std::move(kept);
  for (auto& n : m.nodes) {
    for (int& i : n.inputs) i = remap[static_cast<size_t>(i)];
    for (int& o : n.outputs) o = remap[static_cast<size_t>(o)];
  }
  for (int& i : m.inputs) i = remap[static_cast<size_t>(i)];
  for (int& o : m.outputs) o = remap[static_cast<size_t>(o)];
}

}  // namespace

bool is_channel_part(const QNode& n) { return n.attrs.count(kSplitPartAttr) != 0; }

bool can_split(const QModel& m, const QNode& n, std::string* why) {
  size_t wa = 0, ya = 0;
  std::string w;
  bool ok = !is_channel_part(n) && channel_axes(m, n, wa, ya, w);
  if (is_channel_part(n)) w = "it is already a channel part";
  if (why) *why = w;
  return ok;
}

Status split_output_channels(QModel& m, size_t k, int parts) {
  if (k >= m.nodes.size()) return make_error("split: no node " + std::to_string(k));
  const QNode orig = m.nodes[k];
  size_t w_axis = 0, y_axis = 0;
  std::string why;
  if (is_channel_part(orig)) return make_error(orig.op + " node '" + orig.name + "' is already a channel part");
  if (!channel_axes(m, orig, w_axis, y_axis, why))
    return make_error("cannot split " + orig.op + " node '" + orig.name + "' by output channels: " + why);
  const QTensor wt = m.tensors[orig.inputs[1]];
  const QTensor yt = m.tensors[orig.outputs[0]];
  int64_t C = yt.shape[y_axis];
  if (parts < 2 || parts > C)
    return make_error("cannot split " + orig.op + " node '" + orig.name + "' (" + std::to_string(C) +
                      " output channels) into " + std::to_string(parts) + " parts");
  std::vector<QNode> repl;
  QNode cat;
  cat.op = "Concat";
  cat.name = orig.name + "#concat";
  cat.attrs["axis"].kind = model::Attr::Kind::Int;
  cat.attrs["axis"].i = static_cast<int64_t>(y_axis);
  cat.outputs = orig.outputs;
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < y_axis; ++i) outer *= yt.shape[i];
  for (size_t i = y_axis + 1; i < yt.shape.size(); ++i) inner *= yt.shape[i];
  cat.gather.resize(static_cast<size_t>(numel(yt.shape)));
  int64_t src_off = 0;
  for (int p = 0; p < parts; ++p) {
    // Balanced ranges: the first C % parts parts take one channel more.
    int64_t c0 = p * (C / parts) + std::min<int64_t>(p, C % parts);
    int64_t c1 = c0 + C / parts + (p < C % parts ? 1 : 0);
    std::string tag = "#ch" + std::to_string(c0) + ":" + std::to_string(c1);
    QNode q = orig;
    q.name = orig.name + "#part" + std::to_string(p) + "/" + std::to_string(parts);
    auto& a = q.attrs[kSplitPartAttr];
    a.kind = model::Attr::Kind::Ints;
    a.ints = {p, parts, c0, c1};
    QTensor w = wt;
    w.name = wt.name + tag;
    w.shape[w_axis] = c1 - c0;
    w.data = take(wt.data, wt.shape, w_axis, c0, c1);
    q.inputs[1] = add_tensor(m, std::move(w));
    if (q.inputs.size() > 2) {  // bias: sliced where it spans the channels, shared otherwise
      const QTensor bt = m.tensors[orig.inputs[2]];
      size_t b_axis = orig.op == "Conv" ? 0 : bt.shape.size() - 1;
      if (!bt.shape.empty() && bt.shape.size() > b_axis && bt.shape[b_axis] == C) {
        QTensor b = bt;
        b.name = bt.name + tag;
        b.shape[b_axis] = c1 - c0;
        b.data = take(bt.data, bt.shape, b_axis, c0, c1);
        q.inputs[2] = add_tensor(m, std::move(b));
      }
    }
    QTensor y = yt;
    y.name = yt.name + tag;
    y.shape[y_axis] = c1 - c0;
    q.outputs = {add_tensor(m, std::move(y))};
    cat.inputs.push_back(q.outputs[0]);
    cat.in_shift.push_back(0);  // same scale as the whole output: the Concat is a copy
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t i = 0; i < inner; ++i)
          cat.gather[static_cast<size_t>((o * C + c) * inner + i)] = src_off + (o * (c1 - c0) + (c - c0)) * inner + i;
    src_off += outer * (c1 - c0) * inner;
    repl.push_back(std::move(q));
  }
  repl.push_back(std::move(cat));
  m.nodes.erase(m.nodes.begin() + static_cast<long>(k));
  m.nodes.insert(m.nodes.begin() + static_cast<long>(k), repl.begin(), repl.end());
  drop_unused_constants(m);  // the whole weight and bias are no longer read
  return model::range_analysis(m);  // bounds of the new tensors
}

}  // namespace zks::slicer
