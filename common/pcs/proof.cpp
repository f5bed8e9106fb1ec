#include "pcs/proof.hpp"

#include <string>

#include "field/field.hpp"

namespace zks::pcs::detail {

namespace {

// Upper bounds derived from the parameters, so no count can make the reader allocate
// more than the proof could legitimately need.
struct Limits {
  size_t groups, vars, polys, table, leaves_fp, nodes;
};

Limits limits_for(const Params& p) {
  Limits l{};
  l.vars = p.max_num_vars;
  l.groups = p.max_num_vars + 1;  // one group per size
  l.polys = Params::kMaxPolys;
  l.table = size_t(1) << p.final_log;
  l.leaves_fp = size_t(p.num_queries) << p.fold_arity_log;
  // A pruned multiproof never needs more than one sibling per query per level.
  l.nodes = size_t(p.num_queries) * (p.max_num_vars + p.log_blowup + 1);
  return l;
}

Status read_count(util::ByteReader& r, size_t limit, size_t elem_bytes, const char* what,
                  uint32_t& out) {
  if (!r.u32(out)) return make_error(std::string("pcs proof: ") + what + " count truncated");
  if (out > limit)
    return make_error(std::string("pcs proof: ") + what + " count " + std::to_string(out) +
                      " exceeds limit " + std::to_string(limit));
  if (elem_bytes > 0 && size_t(out) * elem_bytes > r.remaining())
    return make_error(std::string("pcs proof: ") + what + " truncated");
  return Status{};
}

template <typename F>
void write_elems(util::ByteWriter& w, const std::vector<F>& xs) {
  w.u32(static_cast<uint32_t>(xs.size()));
  for (const F& x : xs) field::write(w, x);
}

template <typename F>
Status read_elems(util::ByteReader& r, size_t limit, const char* what, std::vector<F>& out) {
  constexpr size_t kBytes = std::is_same_v<F, Fp> ? field::kFpBytes : field::kFp2Bytes;
  uint32_t n;
  ZK_TRY(read_count(r, limit, kBytes, what, n));
  out.resize(n);
  for (auto& x : out) {
    Status s = field::read(r, x);
    if (!s) return make_error(std::string("pcs proof: ") + what + ": " + s.error());
  }
  return Status{};
}

Status read_digest(util::ByteReader& r, hash::Digest& d, const char* what) {
  if (!r.raw(d)) return make_error(std::string("pcs proof: ") + what + " truncated");
  return Status{};
}

void write_rounds(util::ByteWriter& w, const std::vector<std::array<Fp2, 3>>& rounds) {
  w.u32(static_cast<uint32_t>(rounds.size()));
  for (const auto& rd : rounds)
    for (const Fp2& x : rd) field::write(w, x);
}

Status read_rounds(util::ByteReader& r, const Limits& lim, const char* what, std::vector<std::array<Fp2, 3>>& out) {
  uint32_t n;
  ZK_TRY(read_count(r, lim.vars, 3 * field::kFp2Bytes, what, n));
  out.resize(n);
  for (auto& rd : out)
    for (Fp2& x : rd) {
      Status s = field::read(r, x);
      if (!s) return make_error(std::string("pcs proof: ") + what + ": " + s.error());
    }
  return Status{};
}

void write_group(util::ByteWriter& w, const GroupProof& g) {
  w.u8(static_cast<uint8_t>(g.kind));
  w.u32(g.num_vars);
  w.u32(g.num_polys);
  if (g.kind == GroupKind::Clear) {
    w.u32(static_cast<uint32_t>(g.tables.size()));
    for (const auto& t : g.tables) write_elems(w, t);
    return;
  }
  write_rounds(w, g.reduce_rounds);
  write_elems(w, g.point_evals);
  write_rounds(w, g.rounds);
  w.u32(static_cast<uint32_t>(g.layer_roots.size()));
  for (const auto& d : g.layer_roots) w.raw(d);
  write_elems(w, g.final_message);
  w.u64(g.pow_nonce);
  w.u32(static_cast<uint32_t>(g.base_leaves.size()));
  for (size_t i = 0; i < g.base_leaves.size(); ++i) {
    write_elems(w, g.base_leaves[i]);
    g.base_proofs[i].write(w);
  }
  w.u32(static_cast<uint32_t>(g.layer_leaves.size()));
  for (size_t i = 0; i < g.layer_leaves.size(); ++i) {
    write_elems(w, g.layer_leaves[i]);
    g.layer_proofs[i].write(w);
  }
}

Status read_group(util::ByteReader& r, const Limits& lim, GroupProof& g) {
  uint8_t kind;
  if (!r.u8(kind)) return make_error("pcs proof: group kind truncated");
  if (kind > 1) return make_error("pcs proof: unknown group kind " + std::to_string(kind));
  g.kind = static_cast<GroupKind>(kind);
  if (!r.u32(g.num_vars) || !r.u32(g.num_polys)) return make_error("pcs proof: group header truncated");
  if (g.num_vars > lim.vars)
    return make_error("pcs proof: group of 2^" + std::to_string(g.num_vars) +
                      " elements exceeds the parameters' maximum 2^" + std::to_string(lim.vars));
  if (g.num_polys == 0 || g.num_polys > lim.polys)
    return make_error("pcs proof: group polynomial count " + std::to_string(g.num_polys) +
                      " outside 1.." + std::to_string(lim.polys));
  if (g.kind == GroupKind::Clear) {
    uint32_t n;
    ZK_TRY(read_count(r, lim.polys, 4, "clear table", n));
    g.tables.resize(n);
    for (auto& t : g.tables) ZK_TRY(read_elems(r, lim.table, "clear table", t));
    return Status{};
  }
  ZK_TRY(read_rounds(r, lim, "claim-reduction round", g.reduce_rounds));
  ZK_TRY(read_elems(r, lim.polys, "point evaluation", g.point_evals));
  ZK_TRY(read_rounds(r, lim, "sumcheck round", g.rounds));
  uint32_t n;
  ZK_TRY(read_count(r, lim.vars, 32, "layer root", n));
  g.layer_roots.resize(n);
  for (auto& d : g.layer_roots) ZK_TRY(read_digest(r, d, "layer root"));
  ZK_TRY(read_elems(r, lim.table, "final message", g.final_message));
  if (!r.u64(g.pow_nonce)) return make_error("pcs proof: PoW nonce truncated");
  ZK_TRY(read_count(r, lim.polys, 8, "base codeword", n));
  g.base_leaves.resize(n);
  g.base_proofs.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    ZK_TRY(read_elems(r, lim.leaves_fp, "base leaf", g.base_leaves[i]));
    auto mp = hash::MultiProof::read(r, lim.nodes);
    if (!mp) return make_error("pcs proof: base codeword " + mp.error());
    g.base_proofs[i] = std::move(mp.value());
  }
  ZK_TRY(read_count(r, lim.vars, 8, "folded layer", n));
  g.layer_leaves.resize(n);
  g.layer_proofs.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    ZK_TRY(read_elems(r, lim.leaves_fp, "layer leaf", g.layer_leaves[i]));
    auto mp = hash::MultiProof::read(r, lim.nodes);
    if (!mp) return make_error("pcs proof: folded layer " + mp.error());
    g.layer_proofs[i] = std::move(mp.value());
  }
  return Status{};
}

}  // namespace

util::Bytes OpeningProof::to_bytes() const {
  util::ByteWriter w;
  w.u32(version);
  w.raw(params_id);
  w.u32(static_cast<uint32_t>(groups.size()));
  for (const auto& g : groups) write_group(w, g);
  return w.take();
}

Result<OpeningProof> OpeningProof::from_bytes(std::span<const uint8_t> bytes, const Params& params) {
  util::ByteReader r(bytes);
  OpeningProof p;
  if (!r.u32(p.version)) return make_error("pcs proof: header truncated");
  if (p.version != kProofVersion)
    return make_error("pcs proof: version " + std::to_string(p.version) + ", expected " +
                      std::to_string(kProofVersion));
  if (!r.raw(p.params_id)) return make_error("pcs proof: params_id truncated");
  if (p.params_id != params.params_id())
    return make_error("pcs proof: made with different parameters (params_id mismatch)");
  Limits lim = limits_for(params);
  uint32_t n;
  ZK_TRY(read_count(r, lim.groups, 9, "group", n));
  p.groups.resize(n);
  for (auto& g : p.groups) ZK_TRY(read_group(r, lim, g));
  if (!r.at_end())
    return make_error("pcs proof: " + std::to_string(r.remaining()) + " trailing bytes");
  return p;
}

}  // namespace zks::pcs::detail
