#include "pcs/hiding.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "field/field.hpp"
#include "hash/blake2b.hpp"

namespace zks::pcs {

namespace {

constexpr uint32_t kHidingVersion = 1;
constexpr size_t kHeaderBytes = 4 + 32 + field::kFp2Bytes;  // version, h's root, h's value

// `count` uniform field elements from (seed, label, context): BLAKE2b in counter mode,
// eight messages hashed side by side (hash_many), each 64-bit word kept when below p,
// so every element is exactly uniform.
std::vector<Fp> expand(const Seed& seed, std::string_view label, std::span<const uint8_t> context, size_t count) {
  std::vector<uint8_t> prefix(seed.begin(), seed.end());
  prefix.insert(prefix.end(), label.begin(), label.end());
  prefix.insert(prefix.end(), context.begin(), context.end());
  const size_t len = prefix.size() + 8;
  constexpr size_t kBatch = 256;
  std::vector<uint8_t> msgs(kBatch * len);
  std::vector<hash::Digest> digests(kBatch);
  for (size_t i = 0; i < kBatch; ++i) std::copy(prefix.begin(), prefix.end(), msgs.begin() + static_cast<long>(i * len));
  std::vector<Fp> out;
  out.reserve(count);
  for (uint64_t block = 0; out.size() < count;) {
    // Four words a block, about 4 elements: enough blocks for what is left, and a few.
    const size_t n = std::min<size_t>(kBatch, (count - out.size()) / 4 + 2);
    for (size_t i = 0; i < n; ++i)
      for (int k = 0; k < 8; ++k) msgs[i * len + prefix.size() + k] = uint8_t((block + i) >> (8 * k));
    hash::hash_many(hash::Domain::Mask, msgs.data(), len, len, n, digests.data());
    for (size_t i = 0; i < n; ++i)
      for (size_t w = 0; w < 4 && out.size() < count; ++w) {
        uint64_t x = 0;
        for (int k = 0; k < 8; ++k) x |= uint64_t(digests[i][8 * w + k]) << (8 * k);
        if (x < Fp::P) out.push_back(Fp::from_canonical(x));
      }
    block += n;
  }
  return out;
}

// Claims on value tables as claims on the committed tables (a last coordinate 0), and
// the point h is claimed at: the first claim's, extended by zeros to h's size.
Result<std::vector<Claim>> extend_claims(std::span<const uint32_t> vars, std::span<const Claim> claims,
                                         unsigned h_vars, std::vector<Fp2>& h_point) {
  if (claims.empty()) return make_error("pcs hiding: no claims");
  std::vector<Claim> out;
  for (const Claim& c : claims) {
    if (c.poly >= vars.size()) return make_error("pcs hiding: a claim names polynomial " + std::to_string(c.poly));
    if (c.point.size() + 1 != vars[c.poly])
      return make_error("pcs hiding: a claim's point has " + std::to_string(c.point.size()) +
                        " coordinates, the value table " + std::to_string(vars[c.poly] - 1));
    Claim e = c;
    e.point.push_back(Fp2::zero());
    out.push_back(std::move(e));
  }
  h_point = out[0].point;
  h_point.resize(h_vars, Fp2::zero());
  return out;
}

Status check_sizes(std::span<const uint32_t> vars, const Params& params) {
  if (vars.empty()) return make_error("pcs hiding: nothing to open");
  for (uint32_t n : vars)
    if (n < kMinHidingVars + 1 || n > params.max_num_vars)
      return make_error("pcs hiding: a commitment of 2^" + std::to_string(n) + " entries is not a hiding one (2^" +
                        std::to_string(kMinHidingVars + 1) + " to 2^" + std::to_string(params.max_num_vars) + ")");
  return Status{};
}

}  // namespace

unsigned hiding_value_vars(size_t count) {
  const unsigned n = count <= 1 ? 0 : static_cast<unsigned>(std::bit_width(count - 1));
  return std::max(n, kMinHidingVars);
}

Result<CommittedPoly> commit_hiding(std::span<const Fp> values, const Seed& seed, const Params& params) {
  const unsigned n = hiding_value_vars(values.size());
  if (n + 1 > params.max_num_vars)
    return make_error("pcs hiding: " + std::to_string(values.size()) + " values exceed the parameters' maximum");
  const size_t half = size_t(1) << n;
  std::vector<Fp> table(2 * half, Fp::zero());
  std::copy(values.begin(), values.end(), table.begin());
  const std::vector<Fp> mask = expand(seed, "pcs.hiding.mask", {}, half);
  std::copy(mask.begin(), mask.end(), table.begin() + static_cast<long>(half));
  return commit(table, params);
}

Result<util::Bytes> open_hiding(std::span<const CommittedPoly* const> polys, std::span<const Claim> claims,
                                transcript::Transcript& t, const Params& params, const Seed& seed) {
  std::vector<uint32_t> vars;
  for (const CommittedPoly* p : polys) {
    if (!p->commitment().joint.empty()) return make_error("pcs hiding: a joint commitment is not a hiding one");
    vars.push_back(p->num_vars());
  }
  ZK_TRY(check_sizes(vars, params));
  const unsigned h_vars = *std::max_element(vars.begin(), vars.end());
  std::vector<Fp2> h_point;
  auto ext = extend_claims(vars, claims, h_vars, h_point);
  if (!ext.ok()) return make_error(ext.error());
  // h is fresh for every opening: drawn from the seed and the transcript's state (the
  // statement and everything absorbed so far).
  const hash::Digest state = t.state();
  auto h = commit(expand(seed, "pcs.hiding.h", state, size_t(1) << h_vars), params);
  if (!h.ok()) return make_error(h.error());
  Claim hc{polys.size(), h_point, h->evaluate(h_point)};
  t.absorb("pcs.hiding.h", h->commitment().root);
  t.absorb("pcs.hiding.h_value", hc.value);
  std::vector<const CommittedPoly*> all(polys.begin(), polys.end());
  all.push_back(&*h);
  std::vector<Claim> all_claims = std::move(*ext);
  all_claims.push_back(hc);
  auto inner = open_batch(all, all_claims, t, params);
  if (!inner.ok()) return make_error(inner.error());
  util::ByteWriter w;
  w.u32(kHidingVersion);
  w.raw(h->commitment().root);
  field::write(w, hc.value);
  w.raw(*inner);
  return w.take();
}

Status verify_hiding(std::span<const Commitment> commitments, std::span<const Claim> claims,
                     std::span<const uint8_t> proof, transcript::Transcript& t, const Params& params) {
  std::vector<uint32_t> vars;
  for (const Commitment& c : commitments) {
    if (!c.joint.empty()) return make_error("pcs hiding: a joint commitment is not a hiding one");
    vars.push_back(c.num_vars);
  }
  ZK_TRY(check_sizes(vars, params));
  const unsigned h_vars = *std::max_element(vars.begin(), vars.end());
  std::vector<Fp2> h_point;
  auto ext = extend_claims(vars, claims, h_vars, h_point);
  if (!ext.ok()) return make_error(ext.error());
  util::ByteReader r(proof);
  uint32_t version = 0;
  Commitment h{{}, h_vars, {}, 0};
  Fp2 h_value;
  if (!r.u32(version) || !r.raw(h.root)) return make_error("pcs hiding: proof truncated");
  if (version != kHidingVersion)
    return make_error("pcs hiding: proof version " + std::to_string(version) + ", expected " +
                      std::to_string(kHidingVersion));
  if (Status s = field::read(r, h_value); !s) return make_error("pcs hiding: h's value: " + s.error());
  t.absorb("pcs.hiding.h", h.root);
  t.absorb("pcs.hiding.h_value", h_value);
  std::vector<Commitment> all(commitments.begin(), commitments.end());
  all.push_back(h);
  std::vector<Claim> all_claims = std::move(*ext);
  all_claims.push_back({commitments.size(), h_point, h_value});
  return verify_batch(all, all_claims, proof.subspan(kHeaderBytes), t, params);
}

}  // namespace zks::pcs
