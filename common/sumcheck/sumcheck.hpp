#pragma once
// The generic sumcheck protocol (Lund-Fortnow-Karloff-Nisan; Thaler, "Proofs,
// Arguments, and Zero-Knowledge", section 4.1) for
//
//     H = sum_{x in {0,1}^k} [eq(z, x)] * sum_t c_t prod_{j in S_t} f_j(x)
//
// where the f_j are MLEs given by their tables, the eq factor is optional and the
// terms (c_t, S_t) default to one term, the product of every factor. Round i sends
// s_i(X) of degree D = max |S_t| (+1 with eq) as its evaluations at 0..D; challenges
// are drawn from F_{p^2}. Variables are bound in order 0..k-1 (variable 0 = least
// significant index bit, DESIGN.md section 3). The verifier reduces the claim to one
// evaluation claim at the random point r; the caller checks it against whatever
// provides f_j(r) (a commitment opening, the next GKR layer, or the tables in tests).
//
// Transcript order (prover and verifier alike): "sumcheck.shape" (k, D), the claim,
// then per round the whole round polynomial before its challenge.

#include <cstdint>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "backend/backend.hpp"
#include "field/ext2.hpp"
#include "transcript/transcript.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace zks::sumcheck {

using field::Fp;
using field::Fp2;

// One factor's table: base field (witness values) or extension (already folded).
using Table = std::variant<std::span<const Fp>, std::span<const Fp2>>;

// One term c * prod_{j in factors} f_j of a sum of products.
struct Term {
  Fp2 coeff = Fp2::one();
  std::vector<unsigned> factors;  // indices into Instance::factors, repeats allowed
};

// A zerocheck's constraints combined by the powers of gamma, built term by term: add()
// appends a term of the current constraint, next() moves on to the next constraint.
// constraints() counts the powers used (the combination has degree constraints() - 1 in
// gamma, which the verifier's soundness ledger charges).
class ConstraintTerms {
 public:
  explicit ConstraintTerms(const Fp2& gamma) : m_gamma(gamma) {}
  void add(const Fp2& coeff, std::vector<unsigned> factors) {
    m_terms.push_back({m_g * coeff, std::move(factors)});
    m_top = m_power;
  }
  void next() {
    m_g *= m_gamma;
    ++m_power;
  }
  size_t constraints() const { return m_top + 1; }
  std::vector<Term> take() { return std::move(m_terms); }

 private:
  Fp2 m_gamma, m_g = Fp2::one();
  size_t m_power = 0, m_top = 0;
  std::vector<Term> m_terms;
};

struct Instance {
  std::vector<Table> factors;  // d >= 1 tables, all of size 2^k
  std::vector<Term> terms;     // empty: one term, the product of every factor
  std::vector<Fp2> eq_point;   // empty: no eq factor; otherwise k coordinates z

  unsigned num_vars() const;
  unsigned degree() const;
};

// The degree of a sumcheck over this shape: the largest term (+1 with an eq factor).
unsigned degree_of(size_t num_factors, std::span<const Term> terms, bool with_eq);
// sum_t c_t prod_{j in S_t} values[j] (or the product of all values when terms is empty).
Fp2 combine_terms(std::span<const Term> terms, std::span<const Fp2> values);

constexpr unsigned kMaxDegree = 16;
constexpr unsigned kMaxFactors = 16;
constexpr unsigned kMaxVars = 40;

struct Proof {
  // rounds[i] = s_i(0), s_i(2), ..., s_i(D): s_i(1) is not sent, the verifier sets it to
  // the round's claim minus s_i(0) (which replaces the check s_i(0) + s_i(1) = claim).
  std::vector<std::vector<Fp2>> rounds;

  // The values alone: the reader knows the shape.
  void write(util::ByteWriter& w) const;
  // Reads num_vars rounds of `degree` values; refuses truncated input and non-canonical
  // field elements.
  static Result<Proof> read(util::ByteReader& r, unsigned num_vars, unsigned degree);
};

struct ProverOutput {
  Proof proof;
  Fp2 claimed_sum;
  std::vector<Fp2> point;          // r, the challenges in variable order
  std::vector<Fp2> factor_evals;   // f_j(r): the prover's claims for the caller
};

// The sum H itself (O(2^k d)).
Fp2 compute_sum(const Instance& inst);

// Where a prover's rounds run. Auto: on the GPU when use_gpu(its variables) and the
// instance fits the device kernel (at most 8 factors and 8 terms, degree 9 with eq, 8
// without); otherwise on the CPU. Gpu: on the GPU
// whenever one is present and the instance fits, whatever its size and whether the
// self-check ran (the self-check itself and the parity tests). Cpu: never on the GPU.
// The proof is the same bytes wherever the rounds ran; a GPU error mid-proof replays the
// challenges so far on the CPU and goes on there, with a warning.
enum class Placement { Auto, Cpu, Gpu };
// Whether the GPU runs sumchecks at all: one is present and enabled (backend::gpu())
// and its rounds matched the CPU's byte for byte on a once-per-process self-check of
// every kernel path (plain and fused rounds, base and F_p^2 tables, eq weights, terms).
bool gpu_sumchecks();
// The smallest sumcheck, in variables, worth its upload: kGpuMinVars, or the
// environment's ZKS_GPU_SUMCHECK_MIN_VARS (1 to 40) when finding a new card's crossover
// (bench_gpu prints it).
constexpr unsigned kGpuMinVars = 16;
unsigned gpu_min_vars();
// Whether a sumcheck over num_vars variables (a Prover's, an opening's, a fraction
// layer's) runs on the GPU: gpu_sumchecks() and num_vars >= gpu_min_vars().
bool use_gpu(unsigned num_vars);

// Runs the prover on the true sum.
ProverOutput prove(const Instance& inst, transcript::Transcript& t);
// Runs the prover against a given claim (the true sum for honest use; tests pass a
// false one to check that the verifier rejects).
ProverOutput prove(const Instance& inst, const Fp2& claimed_sum, transcript::Transcript& t,
                   Placement where = Placement::Auto);

// What the verifier is left with: "sum of the f_j at `point` (times eq(z, point))
// equals `expected`".
struct SubClaim {
  std::vector<Fp2> point;
  Fp2 expected;
};

// Checks every round and returns the reduced claim, or the reason for rejection.
Result<SubClaim> verify(const Fp2& claimed_sum, unsigned num_vars, unsigned degree,
                        const Proof& proof, transcript::Transcript& t);

// The final check: expected == [eq(z, point)] * sum_t c_t prod_{j in S_t} f_j(point),
// with eq evaluated by the verifier itself. eq_point empty = no eq factor; terms
// empty = the product of every factor.
Status check_final(const SubClaim& sub, std::span<const Fp2> factor_evals,
                   std::span<const Fp2> eq_point, std::span<const Term> terms = {});

// s(r) from s(0..D) by barycentric Lagrange interpolation.
Fp2 interpolate(std::span<const Fp2> evals, const Fp2& r);

// A sumcheck whose inner loop a caller writes itself (a kernel specialised to one
// polynomial), driven by the same rounds, eq factoring and transcript steps as an
// Instance, so its proofs are byte-identical to the generic prover's.
class RoundOracle {
 public:
  virtual ~RoundOracle() = default;
  // l(t) = sum_i w_i P(t, pair i) for t = 0..L over the current round's pairs, w the
  // eq weights (empty: all 1); l(1) may be left zero when skip_one.
  virtual std::vector<Fp2> evaluate(std::span<const Fp2> weights, unsigned L, bool skip_one) const = 0;
  // Binds the current variable to r.
  virtual void bind(const Fp2& r) = 0;
  // Every factor's value once all variables are bound.
  virtual std::vector<Fp2> factor_evals() const = 0;
};

// The sumcheck of sum_x eq(eq_point, x) P(x) (no eq factor when eq_point is empty) of
// the given degree (eq included) over num_vars variables, P computed by the oracle.
ProverOutput prove(RoundOracle& oracle, unsigned num_vars, unsigned degree, std::span<const Fp2> eq_point,
                   const Fp2& claimed_sum, transcript::Transcript& t);

// The round-by-round prover, for protocols that interleave sumcheck rounds with
// other work (Basefold, GKR layers). prove() drives it with a transcript. An
// Instance's tables are read until the last round (on the GPU path the CPU copies them
// only if the GPU fails), so they must outlive the Prover unchanged.
class Prover {
 public:
  explicit Prover(const Instance& inst, Placement where = Placement::Auto);
  ~Prover();
  Prover(RoundOracle& oracle, unsigned num_vars, unsigned degree, std::span<const Fp2> eq_point);
  unsigned num_vars() const { return m_num_vars; }
  unsigned degree() const { return m_degree; }
  // s_i(0..D) for the current round given the current claim s_{i-1}(r_{i-1}).
  std::vector<Fp2> round(const Fp2& claim);
  // Binds the current variable to r.
  void bind(const Fp2& r);
  // f_j(r) once every variable is bound.
  std::vector<Fp2> factor_evals();
  // Whether the rounds are running on the GPU now.
  bool on_gpu() const { return m_gpu != nullptr; }

 private:
  template <typename F, bool kTerms>
  std::vector<Fp2> kernel(const std::vector<std::span<const F>>& tables, unsigned L,
                          bool skip_one) const;
  std::vector<Fp2> evaluate_l(unsigned L, bool skip_one);
  void set_eq_point(std::span<const Fp2> z);
  void open_gpu(const Instance& inst, Placement where);
  void take_factors();
  void fold_on_cpu(const Fp2& r);
  void leave_gpu(const std::string& why);

  unsigned m_num_vars, m_degree, m_round = 0;
  std::vector<Table> m_factors;             // the instance's tables (not the oracle's)
  std::vector<std::span<const Fp>> m_base;  // round 0 when every factor is base
  std::vector<std::vector<Fp2>> m_ext;      // folded tables
  std::vector<Fp2> m_z;                     // the eq point (empty: no eq factor)
  std::vector<Fp2> m_weights;               // eq(z_{>i}, x') over the pairs of round i
  Fp2 m_c = Fp2::one();                     // prod_{j<i} eq(z_j, r_j)
  std::vector<Term> m_terms;                // empty: one product of every factor
  bool m_on_base = false;
  RoundOracle* m_oracle = nullptr;          // set: the oracle holds the factors
  // Set: the rounds run on the GPU, the CPU has not taken the factors (m_factors), and
  // the challenges bound so far are kept here, to be replayed if the GPU fails.
  std::unique_ptr<backend::Gpu::Sumcheck> m_gpu;
  std::vector<Fp2> m_gpu_challenges;
};

namespace detail {
// The transcript steps every sumcheck shares (the zero-knowledge sumcheck of zk.hpp
// runs them too): the header before the first round, and a round as sent, s(0), s(2),
// .., s(D) (s(1) is the claim minus s(0)).
void absorb_header(transcript::Transcript& t, unsigned num_vars, unsigned degree, const Fp2& claim);
std::vector<Fp2> compress_round(const std::vector<Fp2>& s);
// verify()'s rounds after its header, round i of degrees[i] (the caller charges them).
Result<SubClaim> verify_rounds(const Fp2& claimed_sum, std::span<const unsigned> degrees, const Proof& proof,
                               transcript::Transcript& t);
}  // namespace detail

}  // namespace zks::sumcheck
