#include "pcs/hiding.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "field/field.hpp"
#include "hash/blake2b.hpp"
#include "poly/mle.hpp"

namespace zks::pcs {

namespace {

// 2: h claimed at every claim's point, placed as the batch places that table.
constexpr uint32_t kHidingVersion = 2;


// Claims on value tables as claims on the committed tables (a last coordinate 0), and
// h's points: one per claim, where the batch puts that claim's table (on the last
// variables of h's, the first ones 0), so every term of the claim reduction's rounds
// has a twin in h with the same eq factors, which masks it. (One point for h would not
// do: a round evaluated where h's eq factor vanishes shows the others unmasked.)
// A weighted claim on a value table gains a zero half (the mask's) in its weights; one
// that covers the committed table (its weights over both halves) stays as it is; the
// twin on h has the same weights behind a point with the leading zeros. h_claims name h_index; their
// values are h's to fill in.
Result<std::vector<Claim>> extend_claims(std::span<const uint32_t> vars, std::span<const Claim> claims,
                                         unsigned h_vars, size_t h_index, std::vector<Claim>& h_claims) {
  if (claims.empty()) return make_error("pcs hiding: no claims");
  std::vector<Claim> out;
  h_claims.clear();
  for (const Claim& c : claims) {
    if (c.poly >= vars.size()) return make_error("pcs hiding: a claim names polynomial " + std::to_string(c.poly));
    const size_t covered = c.point.size() + (c.weights.empty() ? 0 : poly::log2_ceil(c.weights.size()));
    // masked_claim's, or several of them merged by weights over the high variables (the
    // mask's coordinate among them: both halves weighted)
    const bool on_committed =
        covered == vars[c.poly] && (c.weights.empty() || std::has_single_bit(c.weights.size()));
    if (!on_committed &&
        (covered + 1 != vars[c.poly] || (!c.weights.empty() && !std::has_single_bit(c.weights.size()))))
      return make_error("pcs hiding: a claim covers " + std::to_string(covered) + " variables, the value table " +
                        std::to_string(vars[c.poly] - 1));
    Claim e = c;  // a claim on the committed table stays as it is; one on the values gets y = 0
    if (!on_committed && e.weights.empty()) e.point.push_back(Fp2::zero());
    if (!on_committed && !e.weights.empty()) e.weights.resize(2 * e.weights.size(), Fp2::zero());
    Claim h{h_index, std::vector<Fp2>(h_vars - vars[c.poly], Fp2::zero()), Fp2::zero(), e.weights};
    h.point.insert(h.point.end(), e.point.begin(), e.point.end());
    h_claims.push_back(std::move(h));
    out.push_back(std::move(e));
  }
  return out;
}

Status check_sizes(std::span<const uint32_t> vars, const Params& params) {
  if (vars.empty()) return make_error("pcs hiding: nothing to open");
  for (uint32_t n : vars)
    if (n < kMinHidingVars + 1 || n > params.max_num_vars)
      return make_error("pcs hiding: a commitment of 2^" + std::to_string(n) + " entries is not a hiding one (2^" +
                        std::to_string(kMinHidingVars + 1) + " to 2^" + std::to_string(params.max_num_vars) + ")");
  // What one opening reveals of a codeword (a leaf of at most 2^arity entries a query)
  // must stay below its mask's 2^kMinHidingVars values.
  if ((size_t(params.num_queries) << params.fold_arity_log) > kRevealedPerOpening)
    return make_error("pcs hiding: " + std::to_string(params.num_queries) + " queries of 2^" +
                      std::to_string(params.fold_arity_log) + " entries reveal more than the " +
                      std::to_string(kRevealedPerOpening) + " a hiding commitment is sized for");
  return Status{};
}

}  // namespace

// `count` uniform field elements from (seed, label, context): BLAKE2b in counter mode,
// eight messages hashed side by side (hash_many), each 64-bit word kept when below p,
// so every element is exactly uniform.
std::vector<Fp> expand_seed(const Seed& seed, std::string_view label, std::span<const uint8_t> context, size_t count) {
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

Result<Claim> masked_claim(size_t poly, std::span<const Fp2> point, const Fp2& masked_value) {
  if (point.empty()) return make_error("pcs hiding: a masked evaluation needs a point");
  const Fp2 c = point[0] * (Fp2::one() - point[0]);
  const Fp2 denom = Fp2::one() + c;
  if (denom.is_zero()) return make_error("pcs hiding: the point's first coordinate makes 1 + x_0 (1 - x_0) zero");
  const Fp2 inv = denom.inverse();
  Claim out{poly, std::vector<Fp2>(point.begin(), point.end()), masked_value * inv, {}};
  out.point.push_back(c * inv);
  return out;
}

Seed derive_seed(const Seed& seed, std::string_view label) {
  std::vector<uint8_t> msg(seed.begin(), seed.end());
  msg.insert(msg.end(), label.begin(), label.end());
  return hash::hash(hash::Domain::Mask, msg);
}

unsigned hiding_value_vars(size_t count, unsigned openings) {
  unsigned n = std::max(count <= 1 ? 0u : static_cast<unsigned>(std::bit_width(count - 1)), kMinHidingVars);
  while ((size_t(1) << n) <= size_t(std::max(openings, 1u)) * kRevealedPerOpening) ++n;
  return n;
}

namespace {
// values zero-padded to 2^n, then 2^n mask values from (seed, context).
Result<std::vector<Fp>> hiding_table(std::span<const Fp> values, const Seed& seed, std::span<const uint8_t> context,
                                     const Params& params, unsigned openings = 1) {
  const unsigned n = hiding_value_vars(values.size(), openings);
  if (n + 1 > params.max_num_vars)
    return make_error("pcs hiding: " + std::to_string(values.size()) + " values exceed the parameters' maximum");
  const size_t half = size_t(1) << n;
  std::vector<Fp> table(2 * half, Fp::zero());
  std::copy(values.begin(), values.end(), table.begin());
  const std::vector<Fp> mask = expand_seed(seed, "pcs.hiding.mask", context, half);
  std::copy(mask.begin(), mask.end(), table.begin() + static_cast<long>(half));
  return table;
}
}  // namespace

Result<CommittedPoly> commit_hiding(std::span<const Fp> values, const Seed& seed, const Params& params,
                                    unsigned openings) {
  auto table = hiding_table(values, seed, {}, params, openings);
  if (!table.ok()) return make_error(table.error());
  return commit(*table, params);
}

Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_joint_hiding(std::span<const std::span<const Fp>> tables,
                                                                              const Seed& seed, const Params& params,
                                                                              std::string_view stack, unsigned openings,
                                                                              bool keep_codewords) {
  std::vector<std::vector<Fp>> full;
  for (size_t i = 0; i < tables.size(); ++i) {
    // The context: the stack's label, its length, the member (so no two contexts are
    // equal, and none is commit_hiding's empty one).
    std::vector<uint8_t> context(stack.begin(), stack.end());
    for (uint64_t v : {uint64_t(stack.size()), uint64_t(i)})
      for (int k = 0; k < 4; ++k) context.push_back(uint8_t(v >> (8 * k)));
    auto table = hiding_table(tables[i], seed, context, params, openings);
    if (!table.ok()) return make_error(table.error());
    full.push_back(std::move(*table));
  }
  return commit_joint(std::move(full), params, keep_codewords);
}

Result<util::Bytes> open_hiding(std::span<const CommittedPoly* const> polys, std::span<const Claim> claims,
                                transcript::Transcript& t, const Params& params, const Seed& seed) {
  std::vector<uint32_t> vars;
  for (const CommittedPoly* p : polys) vars.push_back(p->num_vars());
  ZK_TRY(check_sizes(vars, params));
  const unsigned h_vars = *std::max_element(vars.begin(), vars.end());
  std::vector<Claim> h_claims;
  auto ext = extend_claims(vars, claims, h_vars, polys.size(), h_claims);
  if (!ext.ok()) return make_error(ext.error());
  // h is fresh for every opening: drawn from the seed, the transcript's state and the
  // opening's own statement (the commitments and the claims).
  hash::Hasher ctx(hash::Domain::Mask);
  ctx.update(t.state());
  for (const CommittedPoly* p : polys) ctx.update(p->commitment().root).update_u64(p->num_vars());
  for (const Claim& c : claims) {
    ctx.update_u64(c.poly);
    for (const Fp2& x : c.point) ctx.update_u64(x.c0().value()).update_u64(x.c1().value());
    ctx.update_u64(c.value.c0().value()).update_u64(c.value.c1().value());
    for (const Fp2& x : c.weights) ctx.update_u64(x.c0().value()).update_u64(x.c1().value());
  }
  const hash::Digest context = ctx.finalize();
  auto h = commit(expand_seed(seed, "pcs.hiding.h", context, size_t(1) << h_vars), params);
  if (!h.ok()) return make_error(h.error());
  std::vector<Claim> all_claims = std::move(*ext);
  util::ByteWriter w;
  w.u32(kHidingVersion);
  w.raw(h->commitment().root);
  w.u32(static_cast<uint32_t>(h_claims.size()));
  t.absorb("pcs.hiding.h", h->commitment().root);
  for (auto& hc : h_claims) {
    hc.value = claim_value(h->evaluations(), hc);
    field::write(w, hc.value);
    t.absorb("pcs.hiding.h_value", hc.value);
    all_claims.push_back(std::move(hc));
  }
  std::vector<const CommittedPoly*> all(polys.begin(), polys.end());
  all.push_back(&*h);
  auto inner = open_batch(all, all_claims, t, params);
  if (!inner.ok()) return make_error(inner.error());
  w.raw(*inner);
  return w.take();
}

Status verify_hiding(std::span<const Commitment> commitments, std::span<const Claim> claims,
                     std::span<const uint8_t> proof, transcript::Transcript& t, const Params& params) {
  std::vector<uint32_t> vars;
  for (const Commitment& c : commitments) vars.push_back(c.num_vars);
  ZK_TRY(check_sizes(vars, params));
  const unsigned h_vars = *std::max_element(vars.begin(), vars.end());
  std::vector<Claim> h_claims;
  auto ext = extend_claims(vars, claims, h_vars, commitments.size(), h_claims);
  if (!ext.ok()) return make_error(ext.error());
  util::ByteReader r(proof);
  uint32_t version = 0, count = 0;
  Commitment h{{}, h_vars, {}, 0};
  if (!r.u32(version) || !r.raw(h.root) || !r.u32(count)) return make_error("pcs hiding: proof truncated");
  if (version != kHidingVersion)
    return make_error("pcs hiding: proof version " + std::to_string(version) + ", expected " +
                      std::to_string(kHidingVersion));
  if (count != h_claims.size())
    return make_error("pcs hiding: " + std::to_string(count) + " values of h for " + std::to_string(h_claims.size()) +
                      " claims");
  t.absorb("pcs.hiding.h", h.root);
  std::vector<Claim> all_claims = std::move(*ext);
  for (auto& hc : h_claims) {
    if (Status st = field::read(r, hc.value); !st) return make_error("pcs hiding: h's value: " + st.error());
    t.absorb("pcs.hiding.h_value", hc.value);
    all_claims.push_back(std::move(hc));
  }
  std::vector<Commitment> all(commitments.begin(), commitments.end());
  all.push_back(h);
  return verify_batch(all, all_claims, proof.subspan(r.position()), t, params);
}

}  // namespace zks::pcs
