#include "pcs/params.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "field/goldilocks.hpp"

namespace zks::pcs {

namespace {
// log2 |F_{p^2}| = 2 log2 p, p = 2^64 - 2^32 + 1.
double log2_ext_field() { return 2.0 * std::log2(static_cast<double>(field::Fp::P)); }
}  // namespace

// Arity 16 gave the smallest proofs of arity 2, 4, 8, 16 at every size measured
// (bench_pcs BM_ProofSizeByArity). 12 grinding bits (about 2^12 hashes, under a
// millisecond) save 18 queries; 16 bits would save 6 more for 16 times the work (age:
// a proof 2% smaller, its opening 10-17 ms slower on one thread). The queries are
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

Params::ErrorTerms Params::batch_error_terms(std::span<const unsigned> sizes, size_t max_points) const {
  const double inv_f = std::exp2(-log2_ext_field());
  ErrorTerms e{};
  unsigned n = 0;
  for (unsigned s : sizes) n = std::max(n, s);
  if (n <= final_log) return e;  // all in clear: the verifier recomputes roots and values
  const unsigned folds = n - final_log;
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
  // Batching. A codeword joining after m folds is, to the folds, the tiled word
  // T(x) = f(x^(2^m)) on the largest domain (a fold leaves it unchanged), and in the
  // unique-decoding regime T is delta-close to the large code exactly when f is to its
  // own (the nearest codeword is unique, so invariant under the rotations T is, so
  // tiled). The run is then one batch f_0 + sum_j alpha_j T_j on the largest domain:
  // the affine-space proximity gap, N_0 / |F|. The claims are reduced to one point by the
  // powers of g (degree K-1) and the beta_j, and the values there combined by the alpha_j
  // (1 / |F| each).
  size_t polys = 0;
  std::vector<unsigned> joined;
  for (unsigned s : sizes) {
    if (s <= final_log) continue;
    ++polys;
    if (s < n && std::find(joined.begin(), joined.end(), s) == joined.end()) joined.push_back(s);
  }
  if (polys > 1) e.batching += (std::ldexp(1.0, static_cast<int>(n + log_blowup)) + 2.0) * inv_f;
  if (max_points > 1) e.batching += static_cast<double>(max_points - 1) * inv_f;
  // Sumchecks with degree-2 rounds: the claim reduction over n variables (a term joining
  // late counts as one more round) and the opening, one round per fold.
  e.sumcheck = 2.0 * (n + joined.size() + folds) * inv_f;
  return e;
}

Params::ErrorTerms Params::error_terms() const {
  std::vector<unsigned> sizes = {max_num_vars};
  for (unsigned s = max_num_vars; s > final_log; --s) sizes.push_back(s);
  return batch_error_terms(sizes, kMaxClaims);
}

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
