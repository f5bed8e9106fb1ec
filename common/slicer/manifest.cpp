// Manifest <-> protobuf (proto/zkslice/v1/manifest.proto). Parsing is untrusted
// input: every index and size is checked before the executor may see it.
#include <cmath>
#include <cstring>

#include "hash/blake2b.hpp"
#include "slicer/slicer.hpp"
#include "zkslice/v1/manifest.pb.h"

namespace zks::slicer {

namespace {

std::array<uint8_t, 32> slice_graph_hash(const zkslice::v1::Manifest& pm, const Slice& s) {
  hash::Hasher h(hash::Domain::Generic);
  std::string tag = "zkslice-slice-graph-v1";
  h.update({reinterpret_cast<const uint8_t*>(tag.data()), tag.size()});
  auto put = [&](const google::protobuf::Message& msg) {
    std::string b;
    msg.SerializeToString(&b);
    h.update_u64(b.size());
    h.update({reinterpret_cast<const uint8_t*>(b.data()), b.size()});
  };
  for (size_t k = s.first; k < s.end; ++k) put(pm.nodes(static_cast<int>(k)));
  for (int t : s.inputs) put(pm.tensors(t));
  for (int t : s.outputs) put(pm.tensors(t));
  return h.finalize();
}

// Tables, gather maps and multipliers change little from one entry to the next: they
// travel as their first value and then the differences, so most entries take a
// one-byte varint instead of two or three (wrapping arithmetic: any int64 round trips).
void put_deltas(google::protobuf::RepeatedField<int64_t>* out, const std::vector<int64_t>& v) {
  out->Reserve(static_cast<int>(v.size()));
  uint64_t prev = 0;
  for (int64_t x : v) {
    out->Add(static_cast<int64_t>(static_cast<uint64_t>(x) - prev));
    prev = static_cast<uint64_t>(x);
  }
}

std::vector<int64_t> from_deltas(const google::protobuf::RepeatedField<int64_t>& in) {
  std::vector<int64_t> v;
  v.reserve(static_cast<size_t>(in.size()));
  uint64_t prev = 0;
  for (int64_t d : in) {
    prev += static_cast<uint64_t>(d);
    v.push_back(static_cast<int64_t>(prev));
  }
  return v;
}

}  // namespace

util::Bytes serialize_manifest(const Manifest& man) {
  const model::QModel& m = man.model;
  zkslice::v1::Manifest pm;
  pm.set_semantics_version(kSemanticsVersion);
  pm.set_model_name(m.name);
  pm.set_source_hash(man.source_hash.data(), man.source_hash.size());
  pm.set_opset(m.opset);
  auto* q = pm.mutable_quant();
  q->set_act_bits(m.cfg.act_bits);
  q->set_weight_bits(m.cfg.weight_bits);
  q->set_headroom_bits(m.cfg.headroom_bits);
  q->set_exp_bits(m.cfg.exp_bits);
  q->set_max_scale(m.cfg.max_scale);
  q->set_max_act_scale(m.cfg.max_act_scale);
  q->set_max_acc_scale(m.cfg.max_acc_scale);
  for (const auto& t : m.tensors) {
    auto* pt = pm.add_tensors();
    pt->set_name(t.name);
    for (auto d : t.shape) pt->add_shape(d);
    pt->set_scale(t.scale);
    pt->set_is_const(t.is_const);
    for (auto v : t.data) pt->add_data(v);
    pt->set_lo(t.lo);
    pt->set_hi(t.hi);
    if (t.withheld) {
      pt->set_withheld(true);
      pt->set_abs_max(t.abs_max);
      pt->set_l1_max(t.l1_max);
    }
  }
  for (const auto& n : m.nodes) {
    auto* pn = pm.add_nodes();
    pn->set_op(n.op);
    pn->set_name(n.name);
    for (int i : n.inputs) pn->add_inputs(i);
    for (int o : n.outputs) pn->add_outputs(o);
    for (const auto& [k, a] : n.attrs) {  // std::map: sorted, deterministic
      auto* pa = pn->add_attrs();
      pa->set_name(k);
      pa->set_kind(static_cast<int>(a.kind));
      pa->set_i(a.i);
      pa->set_f(a.f);
      for (auto v : a.ints) pa->add_ints(v);
      for (auto v : a.floats) pa->add_floats(v);
      pa->set_s(a.s);
    }
    pn->set_shift(n.shift);
    for (int s : n.in_shift) pn->add_in_shift(s);
    pn->set_table(n.table);
    put_deltas(pn->mutable_gather(), n.gather);
    pn->set_fill(n.fill);
    put_deltas(pn->mutable_mult(), n.mult);
    pn->set_aux(n.aux);
    pn->set_acc_bound(n.acc_bound);
  }
  for (const auto& t : m.tables) {
    auto* pt = pm.add_tables();
    pt->set_fn(t.fn);
    pt->set_alpha(t.alpha);
    pt->set_beta(t.beta);
    pt->set_gamma(t.gamma);
    pt->set_in_scale(t.in_scale);
    pt->set_out_scale(t.out_scale);
    pt->set_in_lo(t.in_lo);
    put_deltas(pt->mutable_values(), t.values);
    pt->set_hash(t.hash.data(), t.hash.size());
  }
  for (int i : m.inputs) pm.add_inputs(i);
  for (int o : m.outputs) pm.add_outputs(o);
  for (size_t j = 0; j < man.slices.size(); ++j) {
    const Slice& s = man.slices[j];
    auto* ps = pm.add_slices();
    ps->set_index(static_cast<uint32_t>(j));
    ps->set_first_node(static_cast<uint32_t>(s.first));
    ps->set_end_node(static_cast<uint32_t>(s.end));
    for (int i : s.inputs) ps->add_inputs(i);
    for (int o : s.outputs) ps->add_outputs(o);
    ps->mutable_cost()->set_prove_ms(s.cost.prove_ms);
    ps->mutable_cost()->set_memory_bytes(s.cost.memory_bytes);
    ps->set_channel_part(s.channel_part);
    auto gh = slice_graph_hash(pm, s);
    ps->set_graph_hash(gh.data(), gh.size());
    ps->set_weight_commitment(s.weight_commitment.data(), s.weight_commitment.size());
  }
  pm.set_params_id(man.params_id.data(), man.params_id.size());
  pm.set_fingerprint(man.fingerprint.data(), man.fingerprint.size());
  pm.set_withheld_digest(man.withheld_digest.data(), man.withheld_digest.size());
  pm.set_published_from(man.published_from.data(), man.published_from.size());
  std::string out;
  google::protobuf::io::StringOutputStream sos(&out);
  {
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    pm.SerializeToCodedStream(&cos);
  }
  return util::Bytes(out.begin(), out.end());
}

Result<Manifest> parse_manifest(std::span<const uint8_t> bytes) {
  zkslice::v1::Manifest pm;
  if (!pm.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return make_error("manifest: protobuf parsing failed (truncated or corrupt)");
  if (pm.semantics_version() != kSemanticsVersion)
    return make_error("manifest: semantics version " + std::to_string(pm.semantics_version()) + " is not supported (" +
                      std::to_string(kSemanticsVersion) + " is): recompile the model");
  Manifest man;
  model::QModel& m = man.model;
  m.name = pm.model_name();
  m.opset = pm.opset();
  m.cfg.act_bits = pm.quant().act_bits();
  m.cfg.weight_bits = pm.quant().weight_bits();
  m.cfg.headroom_bits = pm.quant().headroom_bits();
  m.cfg.exp_bits = pm.quant().exp_bits();
  m.cfg.max_scale = pm.quant().max_scale();
  m.cfg.max_act_scale = pm.quant().max_act_scale();
  m.cfg.max_acc_scale = pm.quant().max_acc_scale();
  if (m.cfg.act_bits < 4 || m.cfg.act_bits > 40) return make_error("manifest: bad act_bits");
  if (pm.source_hash().size() == 32) std::memcpy(man.source_hash.data(), pm.source_hash().data(), 32);
  for (const auto* f : {&pm.params_id(), &pm.fingerprint(), &pm.withheld_digest(), &pm.published_from()})
    if (!f->empty() && f->size() != 32)
      return make_error("manifest: malformed params id, fingerprint, withheld-weights digest or published-from hash");
  man.params_id.assign(pm.params_id().begin(), pm.params_id().end());
  man.fingerprint.assign(pm.fingerprint().begin(), pm.fingerprint().end());
  man.withheld_digest.assign(pm.withheld_digest().begin(), pm.withheld_digest().end());
  man.published_from.assign(pm.published_from().begin(), pm.published_from().end());
  if (man.withheld_digest.empty() != man.published_from.empty() || (man.verify_only() && man.fingerprint.empty()))
    return make_error("manifest: a verify-only manifest needs its fingerprint, withheld-weights digest and published-from hash");
  int nt = pm.tensors_size();
  auto tidx_ok = [&](int i) { return i >= 0 && i < nt; };
  for (const auto& pt : pm.tensors()) {
    model::QTensor t;
    t.name = pt.name();
    int64_t n = 1;
    for (auto d : pt.shape()) {
      if (d < 0 || d > (int64_t(1) << 31)) return make_error("manifest: bad shape for '" + t.name + "'");
      t.shape.push_back(d);
      n *= d;
      if (n > (int64_t(1) << 31)) return make_error("manifest: tensor '" + t.name + "' too large");
    }
    t.scale = pt.scale();
    t.is_const = pt.is_const();
    t.data.assign(pt.data().begin(), pt.data().end());
    t.withheld = pt.withheld();
    if (t.withheld) {
      if (!t.is_const || !t.data.empty() || !man.verify_only())
        return make_error("manifest: tensor '" + t.name + "' is marked withheld but is not a withheld constant of a verify-only manifest");
      if (pt.abs_max() < 0 || !(pt.l1_max() >= 0) || !std::isfinite(pt.l1_max()) || std::signbit(pt.l1_max()))
        return make_error("manifest: withheld constant '" + t.name + "' has a bad value bound");
      t.abs_max = pt.abs_max();
      t.l1_max = pt.l1_max();
    } else if (pt.abs_max() != 0 || pt.l1_max() != 0) {
      return make_error("manifest: constant '" + t.name + "' has value bounds but is not withheld");
    }
    if (t.is_const && !t.withheld && static_cast<int64_t>(t.data.size()) != n)
      return make_error("manifest: constant '" + t.name + "' has the wrong number of values");
    t.lo = pt.lo();
    t.hi = pt.hi();
    m.tensors.push_back(std::move(t));
  }
  for (const auto& pt : pm.tables()) {
    model::QTable t;
    t.fn = pt.fn();
    t.alpha = pt.alpha();
    t.beta = pt.beta();
    t.gamma = pt.gamma();
    t.in_scale = pt.in_scale();
    t.out_scale = pt.out_scale();
    t.in_lo = pt.in_lo();
    t.values = from_deltas(pt.values());
    if (t.values.empty() || pt.hash().size() != 32) return make_error("manifest: bad table");
    std::memcpy(t.hash.data(), pt.hash().data(), 32);
    if (t.hash != model::table_hash(t))
      return make_error("manifest: table " + std::to_string(m.tables.size()) + " (" + t.fn + ") does not match its hash");
    m.tables.push_back(std::move(t));
  }
  for (const auto& pn : pm.nodes()) {
    model::QNode n;
    n.op = pn.op();
    n.name = pn.name();
    for (int i : pn.inputs()) {
      if (!tidx_ok(i)) return make_error("manifest: node '" + n.name + "' has a bad input index");
      n.inputs.push_back(i);
    }
    for (int o : pn.outputs()) {
      if (!tidx_ok(o) || m.tensors[o].is_const) return make_error("manifest: node '" + n.name + "' has a bad output");
      n.outputs.push_back(o);
    }
    if (n.inputs.empty() || n.outputs.size() != 1) return make_error("manifest: node '" + n.name + "' is malformed");
    for (const auto& pa : pn.attrs()) {
      model::Attr a;
      a.kind = static_cast<model::Attr::Kind>(pa.kind());
      a.i = pa.i();
      a.f = pa.f();
      a.ints.assign(pa.ints().begin(), pa.ints().end());
      a.floats.assign(pa.floats().begin(), pa.floats().end());
      a.s = pa.s();
      n.attrs[pa.name()] = std::move(a);
    }
    n.shift = pn.shift();
    n.in_shift.assign(pn.in_shift().begin(), pn.in_shift().end());
    n.table = pn.table();
    n.gather = from_deltas(pn.gather());
    n.fill = pn.fill();
    n.mult = from_deltas(pn.mult());
    n.aux = pn.aux();
    n.acc_bound = pn.acc_bound();
    m.nodes.push_back(std::move(n));
  }
  for (int i : pm.inputs()) {
    if (!tidx_ok(i)) return make_error("manifest: bad input index");
    m.inputs.push_back(i);
  }
  for (int o : pm.outputs()) {
    if (!tidx_ok(o)) return make_error("manifest: bad output index");
    m.outputs.push_back(o);
  }
  // The model must be one the executor can run (shifts, tables, gather maps, shapes:
  // check_structure), and the range analysis is recomputed, never trusted from the file.
  if (auto st = model::check_structure(m); !st.ok()) return make_error("manifest: " + st.error());
  ZK_TRY(model::range_analysis(m));
  size_t expect = 0;
  for (const auto& ps : pm.slices()) {
    Slice s;
    s.first = ps.first_node();
    s.end = ps.end_node();
    if (s.first != expect || s.end <= s.first || s.end > m.nodes.size())
      return make_error("manifest: slices are not a contiguous partition of the nodes");
    expect = s.end;
    s.inputs.assign(ps.inputs().begin(), ps.inputs().end());
    s.outputs.assign(ps.outputs().begin(), ps.outputs().end());
    for (int i : s.inputs)
      if (!tidx_ok(i)) return make_error("manifest: bad boundary index");
    for (int o : s.outputs)
      if (!tidx_ok(o)) return make_error("manifest: bad boundary index");
    s.cost.prove_ms = ps.cost().prove_ms();
    s.cost.memory_bytes = ps.cost().memory_bytes();
    s.channel_part = ps.channel_part();
    // 36 bytes (one commitment) or 36 + 4k (a joint one of k >= 2 members); the
    // content is checked where it is read (circuits::read_weight_commitment).
    const size_t wc = ps.weight_commitment().size();
    if (wc != 0 && (wc < 36 || (wc - 36) % 4 != 0 || wc == 40 || wc > 36 + 4 * 64))
      return make_error("manifest: slice " + std::to_string(man.slices.size()) + " has a malformed weight commitment");
    s.weight_commitment.assign(ps.weight_commitment().begin(), ps.weight_commitment().end());
    man.slices.push_back(std::move(s));
  }
  if (!man.slices.empty() && expect != m.nodes.size()) return make_error("manifest: slices do not cover the graph");
  // Stitching is by tensor: every tensor crossing a cut must be an output of the slice
  // before it and an input of the slice after, as the slicer lists them. A listing
  // that leaves one out would leave that tensor unconstrained between two proofs.
  std::vector<size_t> cuts;
  for (size_t j = 1; j < man.slices.size(); ++j) cuts.push_back(man.slices[j].first);
  const auto expected = slices_at(m, cuts);
  for (size_t j = 0; j < man.slices.size(); ++j) {
    const Slice& s = man.slices[j];
    if (s.inputs != expected[j].inputs || s.outputs != expected[j].outputs)
      return make_error("manifest: slice " + std::to_string(j) + " does not list the tensors crossing its cuts");
    if (s.channel_part != expected[j].channel_part)
      return make_error("manifest: slice " + std::to_string(j) + " is " +
                        (s.channel_part ? "marked as a channel part but is not one" : "a channel part not marked as one"));
  }
  return man;
}

hash::Digest manifest_hash(std::span<const uint8_t> bytes) { return hash::hash(hash::Domain::Generic, bytes); }

std::string manifest_id(std::span<const uint8_t> bytes) { return util::to_hex(manifest_hash(bytes)); }

}  // namespace zks::slicer
