#include "circuits/gadgets/gather.hpp"

#include <string>

#include "field/field.hpp"
#include "hash/blake2b.hpp"
#include "poly/mle.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"

namespace zks::circuits {

namespace {

void absorb_shape(transcript::Transcript& t, const GatherShape& s) {
  hash::Hasher h(hash::Domain::Generic);
  for (const poly::PaddedShape* ps : {&s.in, &s.out}) {
    h.update_u64(ps->dims().size());
    for (uint32_t d : ps->dims()) h.update_u64(d);
  }
  for (const auto* map : {&s.gather, &s.sum_into}) h.update_u64(map->size()).update_i64s(*map);
  h.update_u64(static_cast<uint64_t>(s.fill));
  t.absorb("gather.shape", h.finalize());
}

// The padded index of every dense output and input entry, counted once per use.
struct Indices {
  std::vector<size_t> out, in;
  explicit Indices(const GatherShape& s) : out(s.out.padded_indices()), in(s.in.padded_indices()) {}
};

// Calls f(padded output index, padded input index) for every 1 of the 0/1 matrix M with
// y = M x (+ the fill).
template <typename F>
void for_each_edge(const GatherShape& s, const Indices& ix, F&& f) {
  for (size_t i = 0; i < s.gather.size(); ++i)
    if (s.gather[i] >= 0) f(ix.out[i], ix.in[size_t(s.gather[i])]);
  for (size_t j = 0; j < s.sum_into.size(); ++j) f(ix.out[size_t(s.sum_into[j])], ix.in[j]);
}

// sum over real outputs i with g(i) < 0 of eq(r, i); out: the outputs' padded indices.
Fp2 fill_weight(const GatherShape& s, std::span<const size_t> out, std::span<const Fp2> eq_r) {
  Fp2 acc = Fp2::zero();
  for (size_t i = 0; i < s.gather.size(); ++i)
    if (s.gather[i] < 0) acc += eq_r[out[i]];
  return acc;
}

std::vector<int64_t> strides(const poly::PaddedShape& shape) {
  std::vector<int64_t> st(shape.dims().size(), 1);
  for (size_t a = st.size(); a-- > 1;) st[a - 1] = st[a] * shape.dims()[a];
  return st;
}

}  // namespace

AxisMaps separable_axes(const GatherShape& s) {
  const size_t k = s.out.dims().size();
  // A rank-0 map (a scalar copied, say a model's scalar output) has no axes to read.
  if (k == 0 || s.is_sum() || s.in.dims().size() != k || s.gather.empty() || s.gather.size() != s.out.real_count())
    return std::nullopt;
  const auto in_st = strides(s.in), out_st = strides(s.out);
  // Read each axis map off the output entries through one entry that is not the fill,
  // moving along one axis at a time.
  size_t e = 0;
  while (e < s.gather.size() && s.gather[e] < 0) ++e;
  if (e == s.gather.size()) return std::nullopt;
  std::vector<std::vector<int64_t>> maps(k);
  for (size_t a = 0; a < k; ++a) {
    const int64_t at = (int64_t(e) / out_st[a]) % s.out.dims()[a];
    for (int64_t i = 0; i < int64_t(s.out.dims()[a]); ++i) {
      const int64_t g = s.gather[size_t(int64_t(e) + (i - at) * out_st[a])];
      maps[a].push_back(g < 0 ? -1 : (g / in_st[a]) % s.in.dims()[a]);
    }
  }
  // Every entry must be what the maps say: the input entry they name, or the fill. Row
  // by row along the last axis: the other axes give the row's base (or the fill).
  const auto& last = maps[k - 1];
  const size_t row = s.out.dims()[k - 1];
  std::vector<uint32_t> idx(k - 1, 0);
  for (size_t at = 0; at < s.gather.size(); at += row) {
    int64_t base = 0;
    for (size_t a = 0; a + 1 < k && base >= 0; ++a) {
      const int64_t m = maps[a][idx[a]];
      base = m < 0 ? -1 : base + m * in_st[a];
    }
    const int64_t* g = s.gather.data() + at;
    for (size_t j = 0; j < row; ++j) {
      const int64_t want = base < 0 || last[j] < 0 ? -1 : base + last[j];
      if (want < 0 ? g[j] >= 0 : g[j] != want) return std::nullopt;
    }
    for (size_t a = k - 1; a-- > 0;) {  // the next row, row-major
      if (++idx[a] < s.out.dims()[a]) break;
      idx[a] = 0;
    }
  }
  return maps;
}

Fp2 gather_predicate(const GatherShape& s, const AxisMaps& maps, std::span<const Fp2> r, std::span<const Fp2> rho) {
  if (maps) {
    Fp2 p = Fp2::one();
    // Per axis a: sum_i eq(r_a, i) eq(rho_a, m_a(i)), r_a and rho_a the points'
    // coordinates of axis a (its own bit field of each padded layout).
    for (size_t a = 0; a < maps->size(); ++a) {
      const auto eq_r = poly::eq_table(r.subspan(s.out.axis_offset(a), s.out.axis_bits(a)));
      const auto eq_rho = poly::eq_table(rho.subspan(s.in.axis_offset(a), s.in.axis_bits(a)));
      Fp2 sum = Fp2::zero();
      for (uint32_t i = 0; i < s.out.dims()[a]; ++i)
        if ((*maps)[a][i] >= 0) sum += eq_r[i] * eq_rho[size_t((*maps)[a][i])];
      p *= sum;
    }
    return p;
  }
  auto eq_r = poly::eq_table(r), eq_rho = poly::eq_table(rho);
  Fp2 p = Fp2::zero();
  for_each_edge(s, Indices(s), [&](uint64_t o, uint64_t i) { p += eq_r[o] * eq_rho[i]; });
  return p;
}

Fp2 gather_fill_weight(const GatherShape& s, const AxisMaps& maps, std::span<const Fp2> r) {
  if (!maps) return fill_weight(s, s.out.padded_indices(), poly::eq_table(r));
  // The real outputs less those every axis map sends inside the input.
  Fp2 real = Fp2::one(), inside = Fp2::one();
  for (size_t a = 0; a < maps->size(); ++a) {
    const auto eq = poly::eq_table(r.subspan(s.out.axis_offset(a), s.out.axis_bits(a)));
    Fp2 all = Fp2::zero(), in = Fp2::zero();
    for (uint32_t i = 0; i < s.out.dims()[a]; ++i) {
      all += eq[i];
      if ((*maps)[a][i] >= 0) in += eq[i];
    }
    real *= all;
    inside *= in;
  }
  return real - inside;
}

Status GatherShape::check() const {
  if (in.num_vars() > 26 || out.num_vars() > 26) return make_error("gather: tensor larger than 2^26");
  if (in.dims().size() > 8 || out.dims().size() > 8) return make_error("gather: more than 8 axes");
  const int64_t n_in = static_cast<int64_t>(in.real_count()), n_out = static_cast<int64_t>(out.real_count());
  if (is_sum()) {
    if (!gather.empty() || fill != 0) return make_error("gather: a sum has no gather indices and no fill");
    if (sum_into.size() != in.real_count())
      return make_error("gather: " + std::to_string(sum_into.size()) + " sum indices for " + std::to_string(n_in) + " inputs");
    for (size_t j = 0; j < sum_into.size(); ++j)
      if (sum_into[j] < 0 || sum_into[j] >= n_out)
        return make_error("gather: sum index " + std::to_string(sum_into[j]) + " at " + std::to_string(j) + " is outside the output");
    return {};
  }
  if (gather.size() != out.real_count())
    return make_error("gather: " + std::to_string(gather.size()) + " indices for " +
                      std::to_string(out.real_count()) + " outputs");
  for (size_t i = 0; i < gather.size(); ++i)
    if (gather[i] >= n_in) return make_error("gather: index " + std::to_string(gather[i]) + " at " +
                                             std::to_string(i) + " is outside the input");
  return {};
}

std::vector<Fp> apply_gather(const GatherShape& s, std::span<const Fp> x) {
  ZK_ASSERT(s.check().ok() && x.size() == s.in.padded_size());
  std::vector<Fp> y(s.out.padded_size(), Fp::zero());
  const Indices ix(s);
  for (size_t i = 0; i < s.gather.size(); ++i)
    if (s.gather[i] < 0) y[ix.out[i]] = Fp::from_i64(s.fill);
  for_each_edge(s, ix, [&](uint64_t o, uint64_t i) { y[o] += x[i]; });
  return y;
}

GatherProverOutput prove_gather(const GatherShape& s, std::span<const Fp> x, const EvalClaim& y_claim,
                                transcript::Transcript& t) {
  const GatherShape* shapes[] = {&s};
  return prove_gathers(shapes, x, {&y_claim, 1}, t);
}

Result<EvalClaim> verify_gather(const GatherShape& s, const EvalClaim& y_claim, const GatherProof& proof,
                                transcript::Transcript& t) {
  const GatherShape* shapes[] = {&s};
  return verify_gathers(shapes, {&y_claim, 1}, proof, t);
}

namespace {
// The batch's weights: 1 for one gather (its proof as it always was), else the powers
// of a challenge drawn once every shape and every claim is absorbed (a claim chosen
// after the challenge could cancel another's error).
std::vector<Fp2> batch_weights(std::span<const EvalClaim> claims, transcript::Transcript& t) {
  std::vector<Fp2> w(claims.size(), Fp2::one());
  if (claims.size() > 1) {
    for (const auto& c : claims) {
      t.absorb("gather.batch_point", std::span<const Fp2>(c.point));
      t.absorb("gather.batch_value", c.value);
    }
    const Fp2 beta = t.challenge("gather.batch");
    transcript::charge_powers(t, claims.size());
    for (size_t k = 1; k < w.size(); ++k) w[k] = w[k - 1] * beta;
  }
  return w;
}
}  // namespace

GatherProverOutput prove_gathers(std::span<const GatherShape* const> shapes, std::span<const Fp> x,
                                 std::span<const EvalClaim> y_claims, transcript::Transcript& t) {
  ZK_ASSERT(!shapes.empty() && shapes.size() == y_claims.size());
  for (size_t k = 0; k < shapes.size(); ++k) {
    const GatherShape& s = *shapes[k];
    ZK_ASSERT(s.check().ok() && s.in == shapes[0]->in && x.size() == s.in.padded_size() &&
              y_claims[k].point.size() == s.out.num_vars());
    absorb_shape(t, s);
  }
  const auto weight = batch_weights(y_claims, t);
  std::vector<Fp2> P(shapes[0]->in.padded_size(), Fp2::zero());
  Fp2 target = Fp2::zero();
  for (size_t k = 0; k < shapes.size(); ++k) {
    const GatherShape& s = *shapes[k];
    auto eq_r = poly::eq_table(y_claims[k].point);
    if (weight[k] != Fp2::one())
      for (auto& e : eq_r) e *= weight[k];
    const Indices ix(s);
    for_each_edge(s, ix, [&](uint64_t o, uint64_t i) { P[i] += eq_r[o]; });
    target += weight[k] * y_claims[k].value - Fp2(Fp::from_i64(s.fill)) * fill_weight(s, ix.out, eq_r);
  }
  sumcheck::Instance inst;
  inst.factors = {x, std::span<const Fp2>(P)};
  auto sc = sumcheck::prove(inst, target, t);
  GatherProverOutput out;
  out.proof.sumcheck = std::move(sc.proof);
  out.proof.x_eval = sc.factor_evals[0];
  t.absorb("gather.x_eval", out.proof.x_eval);
  out.x = {sc.point, out.proof.x_eval};
  return out;
}

Result<EvalClaim> verify_gathers(std::span<const GatherShape* const> shapes, std::span<const EvalClaim> y_claims,
                                 const GatherProof& proof, transcript::Transcript& t) {
  if (shapes.empty() || shapes.size() != y_claims.size()) return make_error("gather: claims do not match the gathers");
  for (size_t k = 0; k < shapes.size(); ++k) {
    ZK_TRY(shapes[k]->check());
    if (!(shapes[k]->in == shapes[0]->in)) return make_error("gather: batched gathers read tensors of different layouts");
    if (y_claims[k].point.size() != shapes[k]->out.num_vars()) return make_error("gather: claim point has the wrong size");
    absorb_shape(t, *shapes[k]);
  }
  const auto weight = batch_weights(y_claims, t);
  std::vector<AxisMaps> maps;
  Fp2 target = Fp2::zero();
  for (size_t k = 0; k < shapes.size(); ++k) {
    const GatherShape& s = *shapes[k];
    maps.push_back(separable_axes(s));
    target += weight[k] * (y_claims[k].value - Fp2(Fp::from_i64(s.fill)) * gather_fill_weight(s, maps[k], y_claims[k].point));
  }
  auto sub = sumcheck::verify(target, shapes[0]->in.num_vars(), 2, proof.sumcheck, t);
  if (!sub.ok()) return make_error("gather: " + sub.error());
  // sum_k w_k P~_k(r_k, rho), each P~_k(r, rho) = sum over the edges (i, j) of eq(r, i) eq(rho, j).
  Fp2 predicate = Fp2::zero();
  for (size_t k = 0; k < shapes.size(); ++k)
    predicate += weight[k] * gather_predicate(*shapes[k], maps[k], y_claims[k].point, sub->point);
  Fp2 evals[2] = {proof.x_eval, predicate};
  if (auto st = sumcheck::check_final(*sub, evals, {}); !st.ok()) return make_error("gather: " + st.error());
  t.absorb("gather.x_eval", proof.x_eval);
  return EvalClaim{sub->point, proof.x_eval};
}

void GatherProof::write(util::ByteWriter& w) const {
  sumcheck.write(w);
  field::write(w, x_eval);
}

Result<GatherProof> GatherProof::read(util::ByteReader& r, const GatherShape& s) {
  ZK_TRY(s.check());
  auto sc = sumcheck::Proof::read(r, s.in.num_vars(), 2);
  if (!sc.ok()) return make_error("gather proof: " + sc.error());
  GatherProof p;
  p.sumcheck = std::move(sc).value();
  ZK_TRY(field::read(r, p.x_eval));
  return p;
}

}  // namespace zks::circuits
