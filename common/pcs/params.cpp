#include "pcs/params.hpp"

#include <cmath>
#include <cstdio>

#include "field/goldilocks.hpp"

namespace zks::pcs {

namespace {
// log2 |F_{p^2}| = 2 log2 p, p = 2^64 - 2^32 + 1.
double log2_ext_field() { return 2.0 * std::log2(static_cast<double>(field::Fp::P)); }
}  // namespace

// Arity 16 gave the smallest proofs of arity 2, 4, 8, 16 at every size measured
// (bench_pcs BM_ProofSizeByArity). 12 grinding bits (about 2^12 hashes, under a
// millisecond) save 18 queries; 16 bits would save 5 more for 16 times the work (about
// 10 ms on 2 cores, a large share of a small slice's proving time). The queries are
// then raised until their term alone is 2^-(100 + kQueryMarginBits): 138 queries.
Params Params::standard() {
  Params p = with_queries_for(4, 12);
  while (p.query_bits() < kMinSecurityBits + kQueryMarginBits) ++p.num_queries;
  return p;
}

Params Params::with_queries_for(unsigned fold_arity_log, unsigned grinding_bits,
                                double target_bits, unsigned max_num_vars, unsigned final_log) {
  Params p;
  p.fold_arity_log = fold_arity_log;
  p.grinding_bits = grinding_bits;
  p.max_num_vars = max_num_vars;
  p.final_log = final_log;
  for (p.num_queries = 1; p.num_queries < 4096; ++p.num_queries)
    if (p.security_bits() >= target_bits) break;
  return p;
}

double Params::rate() const { return std::ldexp(1.0, -static_cast<int>(log_blowup)); }
double Params::delta() const { return (1.0 - rate()) / 2.0; }
double Params::bits_per_query() const { return -std::log2(1.0 - delta()); }
double Params::query_bits() const { return num_queries * bits_per_query() + grinding_bits; }

Params::ErrorTerms Params::group_error_terms(unsigned n, size_t polys, size_t points) const {
  const double inv_f = std::exp2(-log2_ext_field());
  const unsigned folds = n > final_log ? n - final_log : 0;
  ErrorTerms e{};
  if (folds == 0) return e;  // sent in clear: the verifier recomputes root and values
  // Query phase (unique decoding, Basefold Thm. 5 / BBHR18): a codeword delta-far from
  // the code survives one query with probability at most 1 - delta; grinding g bits
  // multiplies a cheating prover's cost per attempt by 2^g.
  e.query = std::exp2(-query_bits());
  // Commit phase: each fold is a random combination of two functions on a domain of
  // size N_i; in the unique-decoding regime the proximity gap (BCIKS20, Thm. 1.2/4.1)
  // fails with probability at most (N_i + 1) / |F|. N_i halves each round; the last
  // 2^final_log coefficients are sent in clear and checked exactly.
  for (unsigned i = 0; i < folds; ++i)
    e.folding += (std::ldexp(1.0, static_cast<int>(n + log_blowup - i)) + 1.0) * inv_f;
  // Batching: independent random coefficients over several codewords of length N_0
  // (affine-space proximity gap, unique decoding: N_0 / |F|), and the powers of g over
  // the claimed points (a nonzero polynomial of degree K-1 in g).
  if (polys > 1) e.batching += std::ldexp(1.0, static_cast<int>(n + log_blowup)) * inv_f;
  if (points > 1) e.batching += static_cast<double>(points - 1) * inv_f;
  // The opening's sumcheck: degree-2 round polynomials (f times the eq weight), one
  // round per fold.
  e.sumcheck = 2.0 * folds * inv_f;
  return e;
}

Params::ErrorTerms Params::error_terms() const { return group_error_terms(max_num_vars, kMaxPolys, kMaxClaims); }

double Params::security_bits() const { return -std::log2(error_terms().total()); }

Status Params::validate() const {
  if (log_blowup < 1 || log_blowup > 4)
    return make_error("pcs params: log_blowup " + std::to_string(log_blowup) + " outside 1..4");
  if (fold_arity_log < 1 || fold_arity_log > 5)
    return make_error("pcs params: fold arity 2^" + std::to_string(fold_arity_log) +
                      " outside 2..32");
  if (final_log > 12)
    return make_error("pcs params: final_log " + std::to_string(final_log) + " above 12");
  if (num_queries < 1 || num_queries > 1024)
    return make_error("pcs params: query count " + std::to_string(num_queries) +
                      " outside 1..1024");
  if (grinding_bits > 30)
    return make_error("pcs params: grinding " + std::to_string(grinding_bits) +
                      " bits above 30");
  if (max_num_vars > 28 || max_num_vars + log_blowup > 32)
    return make_error("pcs params: max_num_vars " + std::to_string(max_num_vars) +
                      " too large for the 2^32 NTT domain");
  double bits = security_bits();
  if (bits < kMinSecurityBits) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "pcs params: %.1f bits of security is below the %.0f-bit floor (%u queries, "
                  "%u grinding bits, codewords up to 2^%u)",
                  bits, kMinSecurityBits, num_queries, grinding_bits, max_num_vars + log_blowup);
    return make_error(buf);
  }
  return Status{};
}

hash::Digest Params::params_id() const {
  static constexpr char kTag[] =
      "zkslice-pcs-basefold-v1|rs-subgroup-7|bitrev|monomial-msg|leaf=fold-coset|"
      "fp2=x^2-7|blake2b-256";
  hash::Hasher h(hash::Domain::Generic);
  h.update({reinterpret_cast<const uint8_t*>(kTag), sizeof kTag - 1});
  h.update_u64(log_blowup);
  h.update_u64(fold_arity_log);
  h.update_u64(final_log);
  h.update_u64(num_queries);
  h.update_u64(grinding_bits);
  h.update_u64(max_num_vars);
  h.update_u64(kMaxClaims);
  h.update_u64(kMaxPolys);
  return h.finalize();
}

std::string Params::describe() const {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "basefold rate 1/%u, arity %u, final 2^%u, %u queries, %u grinding bits, "
                "up to 2^%u: %.1f bits",
                1u << log_blowup, 1u << fold_arity_log, final_log, num_queries, grinding_bits,
                max_num_vars, security_bits());
  return buf;
}

}  // namespace zks::pcs
