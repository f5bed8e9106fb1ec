#include "circuits/gadgets/matmul.hpp"

#include <string>

#include "field/field.hpp"
#include "poly/mle.hpp"
#include "util/assert.hpp"
#include "util/thread_pool.hpp"

namespace zks::circuits {

unsigned MatShape::row_bits() const { return poly::log2_ceil(rows); }
unsigned MatShape::col_bits() const { return poly::log2_ceil(cols); }

std::vector<Fp> pad_matrix(std::span<const Fp> dense, const MatShape& shape) {
  ZK_ASSERT(dense.size() == size_t(shape.rows) * shape.cols);
  std::vector<Fp> out(shape.padded_size(), Fp::zero());
  unsigned cb = shape.col_bits();
  for (size_t i = 0; i < shape.rows; ++i)
    for (size_t j = 0; j < shape.cols; ++j) out[(i << cb) | j] = dense[i * shape.cols + j];
  return out;
}

namespace {

Status check_shape(const MatmulShape& s) {
  if (s.a.cols != s.b.rows)
    return make_error("matmul: inner dimensions differ (" + std::to_string(s.a.cols) + " vs " +
                      std::to_string(s.b.rows) + ")");
  if (s.a.rows == 0 || s.a.cols == 0 || s.b.cols == 0) return make_error("matmul: empty matrix");
  if (s.a.row_bits() + s.a.col_bits() > 30 || s.b.row_bits() + s.b.col_bits() > 30)
    return make_error("matmul: matrix larger than 2^30 entries");
  return {};
}

// out[k] = sum_i w[i] * M[i][k] (fold a padded matrix along its rows with weights w).
std::vector<Fp2> fold_rows(std::span<const Fp> m, const MatShape& shape, std::span<const Fp2> w) {
  size_t cols = size_t(1) << shape.col_bits();
  std::vector<Fp2> out(cols, Fp2::zero());
  util::ThreadPool::global().parallel_for(cols, [&](size_t lo, size_t hi) {
    for (size_t i = 0; i < shape.rows; ++i) {
      const Fp* row = m.data() + i * cols;
      for (size_t k = lo; k < hi; ++k) out[k] += w[i] * row[k];
    }
  }, 64);
  return out;
}

// out[k] = sum_j w[j] * M[k][j] (fold along columns).
std::vector<Fp2> fold_cols(std::span<const Fp> m, const MatShape& shape, std::span<const Fp2> w) {
  size_t cols = size_t(1) << shape.col_bits();
  size_t rows = size_t(1) << shape.row_bits();
  std::vector<Fp2> out(rows, Fp2::zero());
  util::ThreadPool::global().parallel_for(shape.rows, [&](size_t lo, size_t hi) {
    for (size_t k = lo; k < hi; ++k) {
      Fp2 acc = Fp2::zero();
      const Fp* row = m.data() + k * cols;
      for (size_t j = 0; j < shape.cols; ++j) acc += w[j] * row[j];
      out[k] = acc;
    }
  }, 64);
  return out;
}

void absorb_shape(transcript::Transcript& t, const MatmulShape& s) {
  t.absorb_u64("matmul.m", s.a.rows);
  t.absorb_u64("matmul.k", s.a.cols);
  t.absorb_u64("matmul.n", s.b.cols);
  t.absorb_u64("matmul.bias", s.has_bias);
}

// Splits a point on Y into (r_c, r_r).
std::pair<std::span<const Fp2>, std::span<const Fp2>> split(const MatmulShape& s,
                                                            std::span<const Fp2> point) {
  unsigned cb = s.y().col_bits();
  return {point.subspan(0, cb), point.subspan(cb)};
}

}  // namespace

std::vector<Fp2> concat(std::span<const Fp2> lo, std::span<const Fp2> hi) {
  std::vector<Fp2> out(lo.begin(), lo.end());
  out.insert(out.end(), hi.begin(), hi.end());
  return out;
}

std::vector<Fp> matmul(const MatmulShape& s, std::span<const Fp> a, std::span<const Fp> b,
                       std::span<const Fp> bias) {
  ZK_ASSERT(check_shape(s).ok());
  MatShape ys = s.y();
  size_t acols = size_t(1) << s.a.col_bits(), bcols = size_t(1) << s.b.col_bits();
  std::vector<Fp> y(ys.padded_size(), Fp::zero());
  size_t ycols = size_t(1) << ys.col_bits();
  util::ThreadPool::global().parallel_for(s.a.rows, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i)
      for (size_t j = 0; j < s.b.cols; ++j) {
        Fp acc = s.has_bias ? bias[j] : Fp::zero();
        for (size_t k = 0; k < s.a.cols; ++k) acc += a[i * acols + k] * b[k * bcols + j];
        y[i * ycols + j] = acc;
      }
  }, 8);
  return y;
}

MatmulProverOutput prove_matmul(const MatmulShape& s, std::span<const Fp> a,
                                std::span<const Fp> b, std::span<const Fp> bias,
                                const EvalClaim& y_claim, transcript::Transcript& t) {
  ZK_ASSERT(check_shape(s).ok());
  ZK_ASSERT(a.size() == s.a.padded_size() && b.size() == s.b.padded_size());
  ZK_ASSERT(y_claim.point.size() == s.y().row_bits() + s.y().col_bits());
  auto [rc, rr] = split(s, y_claim.point);
  absorb_shape(t, s);

  MatmulProverOutput out;
  Fp2 target = y_claim.value;
  if (s.has_bias) {
    ZK_ASSERT(bias.size() == (size_t(1) << s.y().col_bits()));
    out.proof.bias_eval = poly::evaluate(bias, rc);
    t.absorb("matmul.bias_eval", out.proof.bias_eval);
    target -= poly::lt_eval(s.a.rows, rr) * out.proof.bias_eval;
    out.claims.bias = EvalClaim{std::vector<Fp2>(rc.begin(), rc.end()), out.proof.bias_eval};
  }
  // a_r[k] = A~(k, r_r), b_r[k] = B~(r_c, k).
  std::vector<Fp2> a_r = fold_rows(a, s.a, poly::eq_table(rr));
  std::vector<Fp2> b_r = fold_cols(b, s.b, poly::eq_table(rc));
  sumcheck::Instance inst;
  inst.factors = {std::span<const Fp2>(a_r), std::span<const Fp2>(b_r)};
  auto sc = sumcheck::prove(inst, target, t);
  out.proof.sumcheck = std::move(sc.proof);
  out.proof.a_eval = sc.factor_evals[0];
  out.proof.b_eval = sc.factor_evals[1];
  Fp2 evals[2] = {out.proof.a_eval, out.proof.b_eval};
  t.absorb("matmul.evals", std::span<const Fp2>(evals, 2));
  out.claims.a = EvalClaim{concat(sc.point, rr), out.proof.a_eval};
  out.claims.b = EvalClaim{concat(rc, sc.point), out.proof.b_eval};
  return out;
}

Result<MatmulClaims> verify_matmul(const MatmulShape& s, const EvalClaim& y_claim,
                                   const MatmulProof& proof, transcript::Transcript& t) {
  ZK_TRY(check_shape(s));
  if (y_claim.point.size() != s.y().row_bits() + s.y().col_bits())
    return make_error("matmul: claim point has the wrong number of variables");
  auto [rc, rr] = split(s, y_claim.point);
  absorb_shape(t, s);
  MatmulClaims claims;
  Fp2 target = y_claim.value;
  if (s.has_bias) {
    t.absorb("matmul.bias_eval", proof.bias_eval);
    target -= poly::lt_eval(s.a.rows, rr) * proof.bias_eval;
    claims.bias = EvalClaim{std::vector<Fp2>(rc.begin(), rc.end()), proof.bias_eval};
  }
  auto sub = sumcheck::verify(target, s.a.col_bits(), 2, proof.sumcheck, t);
  if (!sub.ok()) return make_error("matmul: " + sub.error());
  Fp2 evals[2] = {proof.a_eval, proof.b_eval};
  if (auto st = sumcheck::check_final(*sub, evals, {}); !st.ok()) return make_error("matmul: " + st.error());
  t.absorb("matmul.evals", std::span<const Fp2>(evals, 2));
  claims.a = EvalClaim{concat(sub->point, rr), proof.a_eval};
  claims.b = EvalClaim{concat(rc, sub->point), proof.b_eval};
  return claims;
}

void MatmulProof::write(util::ByteWriter& w, const MatmulShape& shape) const {
  sumcheck.write(w);
  field::write(w, a_eval);
  field::write(w, b_eval);
  if (shape.has_bias) field::write(w, bias_eval);
}

Result<MatmulProof> MatmulProof::read(util::ByteReader& r, const MatmulShape& shape) {
  ZK_TRY(check_shape(shape));
  auto sc = sumcheck::Proof::read(r, shape.a.col_bits(), 2);
  if (!sc.ok()) return make_error("matmul proof: " + sc.error());
  MatmulProof p;
  p.sumcheck = std::move(sc).value();
  ZK_TRY(field::read(r, p.a_eval));
  ZK_TRY(field::read(r, p.b_eval));
  if (shape.has_bias) ZK_TRY(field::read(r, p.bias_eval));
  return p;
}

}  // namespace zks::circuits
