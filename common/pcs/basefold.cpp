#include "pcs/basefold.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>

#include "backend/backend.hpp"
#include "field/simd.hpp"
#include "hash/merkle.hpp"
#include "pcs/encoding.hpp"
#include "pcs/ntt.hpp"
#include "pcs/proof.hpp"
#include "poly/mle.hpp"
#include "sumcheck/sumcheck.hpp"
#include "transcript/soundness.hpp"
#include "util/assert.hpp"
#include "util/log.hpp"
#include "util/thread_pool.hpp"

namespace zks::pcs {

using detail::GroupKind;
using detail::GroupProof;
using detail::OpeningProof;

namespace detail {

// A message's Reed-Solomon codeword and its Merkle tree in rows of leaf_width: in host
// memory, or kept in GPU memory, where only the root and the opened rows and paths
// cross to the host.
template <typename F>
class Encoded;

// A codeword whose rows a joint commitment's tree joins at `height` (the members other
// than the largest; `evals` is the table it was made from).
struct Joined {
  const Encoded<Fp>* member;
  std::span<const Fp> evals;
  unsigned height;
};

template <typename F>
class Encoded {
 public:
  // The encoding of the evaluation table `evals` (2^n values): made on the GPU when the
  // table has at least 2^kGpuMinVars values and the GPU passed its self-check (the same
  // bytes), else, or on any GPU error (with a warning), on the CPU.
  // With tree = false the codeword alone (a joint commitment's member, whose rows are
  // joined into another's tree): no root of its own, rows opened without a path. With
  // `joins`, the tree is the joint commitment's (hash::MerkleTree::from_leaves(leaves,
  // joined)): on the GPU when this codeword is there, from the members' rows where they
  // are.
  static Encoded make(std::span<const F> evals, unsigned log_blowup, size_t leaf_width, bool tree = true,
                      std::span<const Joined> joins = {});
  const hash::Digest& root() const {
    ZK_ASSERT(m_gpu ? m_gpu->has_tree() : bool(m_tree));
    return m_gpu ? m_gpu->root() : m_tree->root();
  }
  size_t host_bytes() const;
  size_t device_bytes() const { return m_gpu ? m_gpu->device_bytes() : 0; }

  struct Opened {
    std::vector<F> values;  // the rows, one after the other
    hash::MultiProof proof;
  };
  // The rows `leaves` (sorted, distinct) and their pruned multiproof. From the GPU when
  // the codeword is there; if reading it fails, `evals` (the table this was made from)
  // is encoded again on the CPU for this opening, with a warning, and a joint tree made
  // again from `joins` (those it was made with).
  Opened open(const std::vector<size_t>& leaves, std::span<const F> evals, std::span<const Joined> joins = {}) const;
  // The whole codeword: read from the GPU, or on a failure there made again on the CPU
  // from `evals`, with a warning. `scratch` holds it when it is not in host memory.
  std::span<const F> codeword(std::span<const F> evals, std::vector<F>& scratch) const;
  // A tree made elsewhere (commit_joint's, member by member) for this codeword.
  void adopt_tree(hash::MerkleTree tree) { m_tree = std::make_unique<hash::MerkleTree>(std::move(tree)); }
  // Frees a host codeword (its tree stays): open() and codeword() encode `evals` again
  // when asked, the same values (commit_joint_hiding's keep_codewords = false).
  void release_codeword() {
    if (m_gpu || m_codeword.empty()) return;
    std::vector<F>().swap(m_codeword);  // its memory too
    m_released = true;
  }

 private:
  template <typename>
  friend class Encoded;
  static Encoded on_cpu(std::span<const F> evals, unsigned log_blowup, size_t leaf_width, bool tree,
                        std::span<const Joined> joins);
  std::vector<F> m_codeword;  // on the host: the codeword and its tree (or none)
  std::unique_ptr<hash::MerkleTree> m_tree;
  std::unique_ptr<backend::Gpu::Codeword> m_gpu;  // or on the GPU
  bool m_released = false;                        // or made again when asked
  unsigned m_log_blowup = 0;
  size_t m_leaf_width = 0;
};

}  // namespace detail

struct CommittedPoly::Access {
  static CommittedPoly make() { return CommittedPoly(); }
  static std::vector<Fp>& evals(CommittedPoly& p) { return p.m_evals; }
  static std::unique_ptr<detail::Encoded<Fp>>& encoded(CommittedPoly& p) { return p.m_encoded; }
  static const detail::Encoded<Fp>& encoded(const CommittedPoly& p) { return *p.m_encoded; }
  static Commitment& commitment(CommittedPoly& p) { return p.m_commitment; }
  static std::vector<std::shared_ptr<const CommittedPoly>>& members(CommittedPoly& p) { return p.m_members; }
  static const std::vector<std::shared_ptr<const CommittedPoly>>& members(const CommittedPoly& p) { return p.m_members; }
};

CommittedPoly::CommittedPoly() = default;
CommittedPoly::CommittedPoly(CommittedPoly&&) noexcept = default;
CommittedPoly& CommittedPoly::operator=(CommittedPoly&&) noexcept = default;
CommittedPoly::~CommittedPoly() = default;

Fp2 CommittedPoly::evaluate(std::span<const Fp2> point) const {
  ZK_ASSERT_MSG(point.size() == num_vars(), "evaluation point has the wrong dimension");
  return poly::evaluate(std::span<const Fp>(m_evals), point);
}

size_t CommittedPoly::host_bytes() const {  // a joint commitment's tree is its largest member's
  return m_evals.size() * sizeof(Fp) + m_encoded->host_bytes();
}
size_t CommittedPoly::device_bytes() const { return m_encoded->device_bytes(); }

void Commitment::write(util::ByteWriter& w) const {
  ZK_ASSERT_MSG(joint.empty(), "a joint commitment is written by its owner");
  w.u32(num_vars);
  w.raw(root);
}

Result<Commitment> Commitment::read(util::ByteReader& r, const Params& params) {
  Commitment c;
  if (!r.u32(c.num_vars) || !r.raw(c.root)) return make_error("pcs commitment: truncated");
  if (c.num_vars > params.max_num_vars)
    return make_error("pcs commitment: 2^" + std::to_string(c.num_vars) +
                      " elements exceeds the parameters' maximum 2^" +
                      std::to_string(params.max_num_vars));
  return c;
}

namespace {

// ---------------------------------------------------------------------------------
// Shapes shared by prover and verifier.

// Folds per committed codeword: the n - final_log folds split into the fewest layers
// of at most `arity` folds, as evenly as possible, larger steps first (a trailing
// one-fold layer would cost a Merkle opening per query for little gain). Empty when
// the polynomial is small enough to go in clear.
std::vector<unsigned> fold_steps(unsigned n, const Params& p) {
  std::vector<unsigned> steps;
  if (n <= p.final_log) return steps;
  const unsigned total = n - p.final_log, a = p.fold_arity_log;
  const unsigned layers = (total + a - 1) / a;
  for (unsigned k = 0; k < layers; ++k) steps.push_back(total / layers + (k < total % layers ? 1 : 0));
  return steps;
}

// The base codeword's leaf holds the coset the first folding step consumes.
unsigned commit_leaf_log(unsigned n, const Params& p) {
  auto steps = fold_steps(n, p);
  return steps.empty() ? std::min(p.fold_arity_log, n + p.log_blowup) : steps[0];
}

// A joint commitment's member smaller than its largest joins any folding run after a
// fold or more, and a query then reads an aligned block of at most 2^(arity_log - 1) of
// its positions: leaves of that width hold it, half the bytes of a 16-value leaf. (The
// largest member, and one of its size, may lead a run: their leaves are the cosets of
// the first fold step, as for any polynomial.)
unsigned member_leaf_log(unsigned n, unsigned n0, const Params& p) {
  const unsigned own = commit_leaf_log(n, p);
  return n == n0 ? own : std::min(own, p.fold_arity_log - 1);
}
unsigned leaf_log(const Commitment& c, const Params& p) {
  return c.joint.empty() ? commit_leaf_log(c.num_vars, p) : member_leaf_log(c.num_vars, c.joint[0], p);
}
// log2 of a codeword's leaf count.
unsigned leaves_log(const Commitment& c, const Params& p) { return c.num_vars + p.log_blowup - leaf_log(c, p); }

// Where member c of a joint commitment joins the tree of its largest, c0: a query at
// c0's leaf i reaches c's leaf i >> height (both are the query's position shifted by
// the folds before the leaf and the leaf's own).
unsigned joint_height(const Commitment& c0, const Commitment& c, const Params& p) {
  return leaves_log(c0, p) - leaves_log(c, p);
}

// The members a joint commitment's largest member joins into its tree (none for any
// other polynomial).
std::vector<detail::Joined> joins_of(const CommittedPoly& p, const Params& params) {
  std::vector<detail::Joined> out;
  for (const auto& m : CommittedPoly::Access::members(p))
    out.push_back({&CommittedPoly::Access::encoded(*m), m->evaluations(), joint_height(p.commitment(), m->commitment(), params)});
  return out;
}

Status check_params(const Params& params) {
  Status s = params.validate();
  if (!s) return make_error("pcs: refusing to run: " + s.error());
  return Status{};
}

// Where a claim is made: a point, or a weighted sum (Claim::weights).
struct Probe {
  std::vector<Fp2> point;
  std::vector<Fp2> weights;  // empty: an evaluation at `point`
  bool operator==(const Probe&) const = default;
};

// The MLE of W(x) = eq(point, x_low) weights(x_high) at `at` (the probe's num_vars
// coordinates): what the verifier computes of a claim's weight.
Fp2 probe_weight(const Probe& p, std::span<const Fp2> at) {
  const Fp2 low = poly::eq_eval(p.point, at.first(p.point.size()));
  if (p.weights.empty()) return low;
  return low * poly::evaluate(std::span<const Fp2>(p.weights), at.subspan(p.point.size()));
}

// The claims of one batch, organised per polynomial size.
struct Group {
  unsigned num_vars = 0;
  std::vector<size_t> polys;               // batch indices, ascending
  std::vector<Probe> points;               // distinct probes, in order of first claim
  std::vector<std::vector<Fp2>> values;    // values[j][t] = f_{polys[j]}(points[t])
  std::vector<std::vector<char>> claimed;  // whether the caller claimed values[j][t]

};

Result<std::vector<Group>> make_groups(std::span<const unsigned> num_vars,
                                       std::span<const Claim> claims, const Params& params) {
  const size_t m = num_vars.size();
  if (m == 0) return make_error("pcs: no polynomials to open");
  if (m > Params::kMaxPolys)
    return make_error("pcs: " + std::to_string(m) + " polynomials exceed the batch limit " +
                      std::to_string(Params::kMaxPolys));
  if (claims.empty()) return make_error("pcs: no claims");
  if (claims.size() > Params::kMaxClaims)
    return make_error("pcs: " + std::to_string(claims.size()) + " claims exceed the limit " +
                      std::to_string(Params::kMaxClaims));
  for (size_t j = 0; j < m; ++j)  // first: the claims' checks shift by these sizes
    if (num_vars[j] > params.max_num_vars)
      return make_error("pcs: polynomial " + std::to_string(j) + " of 2^" + std::to_string(num_vars[j]) +
                        " elements exceeds the maximum 2^" + std::to_string(params.max_num_vars));
  std::vector<char> has_claim(m, 0);
  for (size_t i = 0; i < claims.size(); ++i) {
    const Claim& c = claims[i];
    if (c.poly >= m)
      return make_error("pcs: claim " + std::to_string(i) + " names polynomial " +
                        std::to_string(c.poly) + " of " + std::to_string(m));
    if (c.weights.empty() && c.point.size() != num_vars[c.poly])
      return make_error("pcs: claim " + std::to_string(i) + " has a point of dimension " +
                        std::to_string(c.point.size()) + ", expected " +
                        std::to_string(num_vars[c.poly]));
    if (!c.weights.empty() && (c.point.size() > num_vars[c.poly] ||
                               c.weights.size() != size_t(1) << (num_vars[c.poly] - c.point.size())))
      return make_error("pcs: weighted claim " + std::to_string(i) + " has " + std::to_string(c.weights.size()) +
                        " weights and a point of dimension " + std::to_string(c.point.size()) +
                        ": they must cover the 2^" + std::to_string(num_vars[c.poly]) + " entries");
    has_claim[c.poly] = 1;
  }
  for (size_t j = 0; j < m; ++j)
    if (!has_claim[j]) return make_error("pcs: polynomial " + std::to_string(j) + " has no claim");
  std::vector<unsigned> sizes(num_vars.begin(), num_vars.end());
  std::sort(sizes.begin(), sizes.end(), std::greater<>());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::vector<Group> groups;
  for (unsigned n : sizes) {
    Group g;
    g.num_vars = n;
    std::vector<size_t> slot(m, SIZE_MAX);
    for (size_t j = 0; j < m; ++j)
      if (num_vars[j] == n) slot[j] = g.polys.size(), g.polys.push_back(j);
    for (const Claim& c : claims) {
      if (slot[c.poly] == SIZE_MAX) continue;
      Probe probe{c.point, c.weights};
      if (std::find(g.points.begin(), g.points.end(), probe) == g.points.end()) g.points.push_back(std::move(probe));
    }
    g.values.assign(g.polys.size(), std::vector<Fp2>(g.points.size()));
    g.claimed.assign(g.polys.size(), std::vector<char>(g.points.size(), 0));
    for (const Claim& c : claims) {
      if (slot[c.poly] == SIZE_MAX) continue;
      size_t j = slot[c.poly];
      const Probe probe{c.point, c.weights};
      size_t t = static_cast<size_t>(std::find(g.points.begin(), g.points.end(), probe) - g.points.begin());
      if (g.claimed[j][t] && g.values[j][t] != c.value)
        return make_error("pcs: two different values claimed for polynomial " +
                          std::to_string(c.poly) + " at the same point");
      g.values[j][t] = c.value;
      g.claimed[j][t] = 1;
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

// Everything the opening is about, before any challenge (DESIGN.md section 3).
void absorb_statement(transcript::Transcript& t, const Params& params,
                      std::span<const Commitment> comms, std::span<const Claim> claims) {
  t.absorb("pcs.params_id", params.params_id());
  t.absorb_u64("pcs.num_polys", comms.size());
  for (const Commitment& c : comms) {
    t.absorb_u64("pcs.num_vars", c.num_vars);
    t.absorb("pcs.root", c.root);
    if (c.joint.empty()) continue;
    t.absorb_u64("pcs.joint_member", c.member);
    t.absorb_u64("pcs.joint_size", c.joint.size());
    for (uint32_t n : c.joint) t.absorb_u64("pcs.joint_vars", n);
  }
  t.absorb_u64("pcs.num_claims", claims.size());
  for (const Claim& c : claims) {
    t.absorb_u64("pcs.claim_poly", c.poly);
    t.absorb("pcs.claim_point", std::span<const Fp2>(c.point));
    t.absorb("pcs.claim_value", c.value);
    if (!c.weights.empty()) t.absorb("pcs.claim_weights", std::span<const Fp2>(c.weights));
  }
}

std::vector<size_t> sorted_unique(std::vector<size_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool is_clear(const Group& g, const Params& params) { return g.num_vars <= params.final_log; }

// The joint commitments of a batch: per joint root, the batch index of each member in
// member order. Every member must be in the batch exactly once, with the sizes its
// commitment states (a joint tree is checked with all its codewords or not at all).
using JointGroups = std::vector<std::vector<size_t>>;
Result<JointGroups> joint_groups(std::span<const Commitment> comms, const Params& params) {
  std::map<std::pair<hash::Digest, std::vector<uint32_t>>, std::vector<size_t>> by_root;
  for (size_t i = 0; i < comms.size(); ++i) {
    const Commitment& c = comms[i];
    if (c.joint.empty()) continue;
    ZK_TRY(check_joint(c.joint, params));
    if (c.member >= c.joint.size() || c.joint[c.member] != c.num_vars)
      return make_error("pcs: polynomial " + std::to_string(i) + " is not the member of its joint commitment it claims");
    auto& members = by_root[{c.root, c.joint}];
    members.resize(c.joint.size(), SIZE_MAX);
    if (members[c.member] != SIZE_MAX)
      return make_error("pcs: polynomial " + std::to_string(i) + " repeats a joint commitment's member");
    members[c.member] = i;
  }
  JointGroups out;
  for (auto& [key, members] : by_root) {
    for (size_t s = 0; s < members.size(); ++s)
      if (members[s] == SIZE_MAX)
        return make_error("pcs: member " + std::to_string(s) + " of a joint commitment is missing from the batch");
    out.push_back(std::move(members));
  }
  return out;
}

// The polynomials above 2^final_log, opened together in one folding run. The largest
// (n variables) are there from the start; one of n_j < n variables joins at time
// m_j = n - n_j (after m_j folds, when the folded word has its length), as a function
// of the last n_j variables: the high-variable embedding F_j(x) = f_j(x_{m_j..n-1}).
//
// Phase 1 reduces each polynomial's claims to its value u_j at one point: a sumcheck
// of sum_j beta_j sum_y f_j(y) W_j(y), W_j = sum_t g^t eq(z_jt, y), over n variables, term
// j joining at round m_j with its claim sum_t g^t v_jt added to the running one; the
// final point rho gives u_j = f_j(rho_{m_j..}), checked against the W_j the verifier
// evaluates itself. Phase 2 opens F = sum_j alpha_j F_j at rho: the Basefold sumcheck
// of F(x) eq(rho, x) in lockstep with folding, term j's table (and codeword) added at
// time m_j with alpha_j eq(rho_{<m_j}, r_{<m_j}) u_j added to the claim. Both phases are
// the plain sumchecks of the tiled functions F_j (phase 1's term j scaled by 2^-m_j),
// written so that no one sums a term before it joins. A query opens each codeword
// once: the largest at its base leaf, a joining one at the positions the query's chain
// reaches at its time.
struct FoldPoly {
  size_t poly = 0;  // batch index
  unsigned num_vars = 0;
  unsigned join = 0;                     // m_j
  std::vector<Probe> points;  // its claims, in order of first claim
  std::vector<Fp2> values;
};

struct FoldBatch {
  unsigned num_vars = 0;        // the largest polynomial's
  std::vector<FoldPoly> polys;  // largest first, then by batch index
  size_t max_points = 0;
  std::vector<unsigned> sizes() const {
    std::vector<unsigned> out;
    for (const auto& p : polys) out.push_back(p.num_vars);
    return out;
  }
};

FoldBatch fold_batch(const std::vector<Group>& groups, const Params& params) {
  FoldBatch fb;
  for (const Group& g : groups) {  // largest size first
    if (is_clear(g, params)) continue;
    if (fb.polys.empty()) fb.num_vars = g.num_vars;
    for (size_t j = 0; j < g.polys.size(); ++j) {
      FoldPoly p;
      p.poly = g.polys[j];
      p.num_vars = g.num_vars;
      p.join = fb.num_vars - g.num_vars;
      for (size_t t = 0; t < g.points.size(); ++t)
        if (g.claimed[j][t]) p.points.push_back(g.points[t]), p.values.push_back(g.values[j][t]);
      fb.max_points = std::max(fb.max_points, p.points.size());
      fb.polys.push_back(std::move(p));
    }
  }
  return fb;
}

// The powers g^t for up to `points` points.
std::vector<Fp2> powers(const Fp2& g, size_t points) {
  std::vector<Fp2> out(points);
  Fp2 acc = Fp2::one();
  for (auto& x : out) x = acc, acc *= g;
  return out;
}

// 1 for the first polynomial, a challenge for each other: the affine combination
// f_0 + sum_j c_j f_j, which keeps a single largest polynomial in the base field until
// its first fold.
std::vector<Fp2> coefficients(transcript::Transcript& t, std::string_view label, size_t m) {
  std::vector<Fp2> c = t.challenges(label, m - 1);
  c.insert(c.begin(), Fp2::one());
  return c;
}

// sum_t g^t v_t: a polynomial's claims combined.
Fp2 combined_claim(const FoldPoly& p, std::span<const Fp2> gpow) {
  Fp2 sum = Fp2::zero();
  for (size_t t = 0; t < p.values.size(); ++t) sum += gpow[t] * p.values[t];
  return sum;
}

// eq(a, b) for one coordinate.
Fp2 eq1(const Fp2& a, const Fp2& b) { return a * b + (Fp2::one() - a) * (Fp2::one() - b); }

// The leaves of polynomial p's codeword a query opens: its base leaf for a polynomial
// there from the start; for one joining at time m inside layer k (R_k < m <= R_k+1,
// R_k the folds before layer k), the 2^w positions [L 2^w, (L+1) 2^w) of its codeword,
// L the query's leaf at layer k and w = steps[k] - (m - R_k) the folds left in it.
struct JoinAt {
  size_t layer = 0;  // k
  unsigned done = 0; // m - R_k, in 1..steps[k]
  unsigned width_log = 0;  // w
};
JoinAt join_at(unsigned join, const std::vector<unsigned>& steps) {
  unsigned before = 0;
  for (size_t k = 0; k < steps.size(); ++k) {
    if (join <= before + steps[k]) return {k, join - before, steps[k] - (join - before)};
    before += steps[k];
  }
  ZK_ASSERT(false);  // m_j < the number of folds (n_j > final_log)
  return {};
}

// The query's leaf index at layer k: its base leaf shifted by the steps after the first.
size_t leaf_at(size_t query, const std::vector<unsigned>& steps, size_t layer) {
  for (size_t k = 1; k <= layer; ++k) query >>= steps[k];
  return query;
}

std::vector<size_t> join_leaves(const FoldPoly& p, const std::vector<size_t>& queries, const std::vector<unsigned>& steps,
                                unsigned leaf_log) {
  std::vector<size_t> out;
  if (p.join == 0) {
    out = queries;
  } else {
    const JoinAt at = join_at(p.join, steps);
    for (size_t q : queries) {
      const size_t first = leaf_at(q, steps, at.layer) << at.width_log;
      const size_t last = first + (size_t(1) << at.width_log) - 1;
      for (size_t l = first >> leaf_log; l <= last >> leaf_log; ++l) out.push_back(l);
    }
  }
  return sorted_unique(std::move(out));
}

// The degree-2 round polynomial s(X) given by s(0), s(1), s(2), at r.
Fp2 interpolate_deg2(const std::array<Fp2, 3>& s, const Fp2& r) {
  // Lagrange on {0,1,2}: s(r) = s0 (r-1)(r-2)/2 - s1 r(r-2) + s2 r(r-1)/2.
  Fp2 r1 = r - Fp2::one(), r2 = r - Fp2::from_u64(2);
  return detail::half(s[0] * r1 * r2 + s[2] * r * r1) - s[1] * r * r2;
}


// Query positions: leaf indices of the base codeword (= positions in layer 1).
std::vector<size_t> draw_queries(transcript::Transcript& t, const Params& params, unsigned n,
                                 unsigned first_step) {
  uint64_t bound = uint64_t(1) << (n + params.log_blowup - first_step);
  std::vector<size_t> q(params.num_queries);
  for (auto& x : q) x = static_cast<size_t>(t.challenge_index("pcs.query", bound));
  return q;
}

// Leaf indices per committed codeword: layer 0 = the queries, layer k+1 = layer k
// shifted by that layer's step.
std::vector<std::vector<size_t>> leaf_indices(const std::vector<size_t>& queries,
                                              const std::vector<unsigned>& steps) {
  std::vector<std::vector<size_t>> out(steps.size());
  std::vector<size_t> pos = queries;
  out[0] = sorted_unique(pos);
  for (size_t k = 1; k < steps.size(); ++k) {
    for (auto& p : pos) p >>= steps[k];
    out[k] = sorted_unique(pos);
  }
  return out;
}


// Below this size a commitment stays on the CPU: the transfers cost more than the work.
constexpr unsigned kGpuMinVars = 14;

// The GPU's commitment of one random table against the CPU's: the root, every row and
// leaf digest, and a multiproof's nodes.
template <typename F>
bool gpu_matches(backend::Gpu& g, unsigned log_n, std::mt19937_64& rng) {
  std::vector<F> e(size_t(1) << log_n);
  for (auto& x : e) {
    if constexpr (std::is_same_v<F, Fp>) x = Fp(rng());
    else x = Fp2(Fp(rng()), Fp(rng()));
  }
  auto got = g.commit(std::span<const F>(e), 2, 16);
  if (!got.ok()) {
    ZKS_LOG_WARN("pcs", "GPU commitments disabled: the self-check failed to run ({})", got.error());
    return false;
  }
  std::vector<F> c = e;
  detail::evals_to_coeffs(std::span<F>(c));
  const auto cw = detail::rs_encode(std::span<const F>(c), 2);
  const auto tree = hash::MerkleTree::from_rows(std::span<const F>(cw), 16);
  const size_t leaves = tree.num_leaves();
  std::vector<size_t> all(leaves), some;
  for (size_t i = 0; i < leaves; ++i) all[i] = i;
  for (size_t i = 0; i < 8; ++i) some.push_back(rng() % leaves);
  std::sort(some.begin(), some.end());
  some.erase(std::unique(some.begin(), some.end()), some.end());
  std::vector<size_t> leaf_nodes(leaves);
  for (size_t i = 0; i < leaves; ++i) leaf_nodes[i] = leaves + i;
  auto rows = (*got)->template rows<F>(all);
  auto digests = (*got)->nodes(leaf_nodes);
  auto path = (*got)->nodes(hash::MerkleTree::multiproof_nodes(leaves, some));
  bool same = (*got)->root() == tree.root() && rows.ok() && *rows == cw && digests.ok() && path.ok() &&
              *path == tree.open_many(some).nodes;
  for (size_t i = 0; same && i < leaves; ++i) same = (*digests)[i] == tree.leaf(i);
  if (!same)
    ZKS_LOG_WARN("pcs", "GPU commitments disabled: the GPU's encoding or Merkle tree differs from the CPU's at 2^{} ({})",
                 log_n, std::is_same_v<F, Fp> ? "F_p" : "F_p^2");
  return same;
}

// Tables whose encodings take every kernel path (the global and the shared-memory NTT
// levels, one and several leaf rows per Merkle thread block), over F_p (commitments) and
// F_p^2 (the opening's folded layers). Run once per process; fails on any GPU error.
bool gpu_self_check(backend::Gpu& g) {
  std::mt19937_64 rng(7);
  const size_t failures = backend::Gpu::failures();
  for (unsigned log_n : {3u, 12u, 13u})
    if (!gpu_matches<Fp>(g, log_n, rng)) return false;
  for (unsigned log_n : {3u, 12u})
    if (!gpu_matches<Fp2>(g, log_n, rng)) return false;
  if (backend::Gpu::failures() != failures) return false;
  ZKS_LOG_INFO("pcs", "commitments of 2^{} values and more are made and kept on the GPU", kGpuMinVars);
  return true;
}

backend::Gpu* commit_gpu() {
  backend::Gpu* g = backend::gpu();
  if (!g) return nullptr;
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [&] { ok = gpu_self_check(*g); });
  return ok ? g : nullptr;
}

template <typename F>
std::vector<F> leaf_values(std::span<const F> cw, size_t width, const std::vector<size_t>& leaves) {
  std::vector<F> out;
  out.reserve(leaves.size() * width);
  for (size_t l : leaves) out.insert(out.end(), cw.begin() + l * width, cw.begin() + (l + 1) * width);
  return out;
}

}  // namespace

double openings_to_reveal(const Commitment& c, const Params& params) {
  if (c.num_vars <= params.final_log) return 1.0;
  // A query reveals one leaf, or, for a table that joins a larger run, an aligned block
  // of up to 2^(arity - 1) positions, which may span several of its leaves: counted in
  // units of the larger of the two (an attacker's best case).
  const unsigned unit = std::max(leaf_log(c, params), params.fold_arity_log - 1);
  const unsigned log_n = c.num_vars + params.log_blowup;
  if (unit >= log_n) return 1.0;
  // Uniform draws (with replacement) until `needed` of the L units have been seen:
  // sum over i < needed of L / (L - i) (the coupon collector's partial sum).
  const double units = std::ldexp(1.0, static_cast<int>(log_n - unit));
  const size_t needed = size_t(1) << (c.num_vars > unit ? c.num_vars - unit : 0);
  double draws = 0;
  for (size_t i = 0; i < needed; ++i) draws += units / (units - static_cast<double>(i));
  return std::max(1.0, draws / params.num_queries);
}

namespace {
// A joint commitment's tree on the host: `leaves` (the largest member's leaf digests)
// with the other members' rows joined.
hash::MerkleTree joint_tree(std::vector<hash::Digest> leaves, std::span<const detail::Joined> joins) {
  std::vector<std::vector<Fp>> scratch(joins.size());
  std::vector<hash::JoinedRows> joined;
  for (size_t k = 0; k < joins.size(); ++k) {
    const auto& j = joins[k];
    auto cw = j.member->codeword(j.evals, scratch[k]);
    joined.push_back({j.height, hash::row_bytes(cw), cw.size_bytes() / (leaves.size() >> j.height)});
  }
  return hash::MerkleTree::from_leaves(std::move(leaves), joined);
}
}  // namespace

template <typename F>
detail::Encoded<F> detail::Encoded<F>::on_cpu(std::span<const F> evals, unsigned log_blowup, size_t leaf_width,
                                              bool tree, std::span<const Joined> joins) {
  std::vector<F> coeffs(evals.begin(), evals.end());
  evals_to_coeffs(std::span<F>(coeffs));
  Encoded e;
  e.m_codeword = rs_encode(std::span<const F>(coeffs), log_blowup);
  const std::span<const F> cw(e.m_codeword);
  if (!joins.empty()) e.m_tree = std::make_unique<hash::MerkleTree>(joint_tree(hash::hash_leaves(cw, leaf_width), joins));
  else if (tree) e.m_tree = std::make_unique<hash::MerkleTree>(hash::MerkleTree::from_rows(cw, leaf_width));
  e.m_log_blowup = log_blowup;
  e.m_leaf_width = leaf_width;
  return e;
}

template <typename F>
detail::Encoded<F> detail::Encoded<F>::make(std::span<const F> evals, unsigned log_blowup, size_t leaf_width,
                                            bool tree, std::span<const Joined> joins) {
  if (backend::Gpu* g = evals.size() >= (size_t(1) << kGpuMinVars) ? commit_gpu() : nullptr) {
    auto done = g->commit(evals, log_blowup, leaf_width, tree || !joins.empty());
    Status joined = done.ok() ? Status{} : Status(make_error(done.error()));
    if (done.ok() && !joins.empty()) {  // each member's rows from the device, or from the host where it is
      std::vector<backend::Gpu::Codeword::Join> parts;
      for (const auto& j : joins) {
        if (j.member->m_gpu) parts.push_back({j.height, j.member->m_gpu.get(), {}, 0});
        else parts.push_back({j.height, nullptr, j.member->m_codeword, j.member->m_leaf_width});
      }
      joined = (*done)->join(parts);
    }
    if (joined.ok()) {
      Encoded e;
      e.m_gpu = std::move(*done);
      e.m_log_blowup = log_blowup;
      e.m_leaf_width = leaf_width;
      return e;
    }
    ZKS_LOG_WARN("pcs", "GPU commitment failed, committing on the CPU: {}", joined.error());  // out of memory, a driver error
  }
  return on_cpu(evals, log_blowup, leaf_width, tree, joins);
}

template <typename F>
size_t detail::Encoded<F>::host_bytes() const {
  if (m_gpu) return 0;
  return m_codeword.size() * sizeof(F) + (m_tree ? 2 * m_tree->num_leaves() * sizeof(hash::Digest) : 0);
}

template <typename F>
typename detail::Encoded<F>::Opened detail::Encoded<F>::open(const std::vector<size_t>& leaves, std::span<const F> evals,
                                                             std::span<const Joined> joins) const {
  if (m_gpu) {
    auto values = m_gpu->template rows<F>(leaves);
    std::string why = values.ok() ? "" : values.error();
    if (values.ok() && !m_gpu->has_tree()) return {std::move(*values), {}};
    if (values.ok()) {
      auto nodes = m_gpu->nodes(hash::MerkleTree::multiproof_nodes(m_gpu->rows(), leaves));
      if (nodes.ok()) return {std::move(*values), {std::move(*nodes)}};
      why = nodes.error();
    }
    ZKS_LOG_WARN("pcs", "reading a codeword on the GPU failed, encoding it again on the CPU: {}", why);
    return on_cpu(evals, m_log_blowup, m_leaf_width, m_gpu->has_tree(), joins).open(leaves, evals);
  }
  std::vector<F> scratch;
  const auto cw = codeword(evals, scratch);
  return {leaf_values(cw, m_leaf_width, leaves), m_tree ? m_tree->open_many(leaves) : hash::MultiProof{}};
}

template <typename F>
std::span<const F> detail::Encoded<F>::codeword(std::span<const F> evals, std::vector<F>& scratch) const {
  if (m_released) {
    scratch = on_cpu(evals, m_log_blowup, m_leaf_width, false, {}).m_codeword;
    return scratch;
  }
  if (!m_gpu) return m_codeword;
  std::vector<size_t> all(m_gpu->rows());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto rows = m_gpu->template rows<F>(all);
  if (rows.ok()) {
    scratch = std::move(*rows);
  } else {
    ZKS_LOG_WARN("pcs", "reading a codeword on the GPU failed, encoding it again on the CPU: {}", rows.error());
    scratch = on_cpu(evals, m_log_blowup, m_leaf_width, false, {}).m_codeword;
  }
  return scratch;
}

template class detail::Encoded<Fp>;
template class detail::Encoded<Fp2>;

namespace {

// ---------------------------------------------------------------------------------
// Prover.

// The opening sumcheck's round sums over pairs [lo, hi) on eight lanes (field/simd.hpp):
// s0 += w0 f0, s1 += w1 f1, s2 += (2 w1 - w0)(2 f1 - f0), four pairs at a time (eight
// over a base table, whose values multiply both coordinates of w). Sums are exact in
// any order: the scalar loop's values, bit for bit.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void fold_round_sums(const Fp2* f, const Fp2* w, size_t lo, size_t hi, Fp2 s[3]) {
  using namespace field::simd;
  u64x8 a0{}, a1{}, a2{};
  size_t i = lo;
  for (; i + 4 <= hi; i += 4) {
    const u64x8 fa = load(f + 2 * i), fb = load(f + 2 * i + 4), wa = load(w + 2 * i), wb = load(w + 2 * i + 4);
    const u64x8 f0 = even_fp2(fa, fb), f1 = odd_fp2(fa, fb), w0 = even_fp2(wa, wb), w1 = odd_fp2(wa, wb);
    a0 = add(a0, mul2(w0, f0));
    a1 = add(a1, mul2(w1, f1));
    a2 = add(a2, mul2(sub(add(w1, w1), w0), sub(add(f1, f1), f0)));
  }
  s[0] += sum_fp2(a0), s[1] += sum_fp2(a1), s[2] += sum_fp2(a2);
  for (; i < hi; ++i) {
    const Fp2 f0 = f[2 * i], f1 = f[2 * i + 1], w0 = w[2 * i], w1 = w[2 * i + 1];
    s[0] += w0 * f0, s[1] += w1 * f1, s[2] += (w1 + w1 - w0) * (f1 + f1 - f0);
  }
}
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void fold_round_sums(const Fp* f, const Fp2* w, size_t lo, size_t hi, Fp2 s[3]) {
  using namespace field::simd;
  constexpr u64x8 kDupLo = {0, 0, 1, 1, 2, 2, 3, 3}, kDupHi = {4, 4, 5, 5, 6, 6, 7, 7};
  u64x8 a0{}, a1{}, a2{};
  size_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    const u64x8 fa = load(f + 2 * i), fb = load(f + 2 * i + 8);
    const u64x8 f0 = even_fp(fa, fb), f1 = odd_fp(fa, fb);
    const u64x8 f2 = sub(add(f1, f1), f0);
    for (int h = 0; h < 2; ++h) {  // pairs i + 4h .. i + 4h + 3
      const u64x8 wa = load(w + 2 * i + 8 * h), wb = load(w + 2 * i + 8 * h + 4);
      const u64x8 w0 = even_fp2(wa, wb), w1 = odd_fp2(wa, wb);
      const u64x8 dup = h ? kDupHi : kDupLo;
      a0 = add(a0, mul(w0, __builtin_shuffle(f0, dup)));
      a1 = add(a1, mul(w1, __builtin_shuffle(f1, dup)));
      a2 = add(a2, mul(sub(add(w1, w1), w0), __builtin_shuffle(f2, dup)));
    }
  }
  s[0] += sum_fp2(a0), s[1] += sum_fp2(a1), s[2] += sum_fp2(a2);
  for (; i < hi; ++i) {
    const Fp f0 = f[2 * i], f1 = f[2 * i + 1];
    const Fp2 w0 = w[2 * i], w1 = w[2 * i + 1];
    s[0] += w0 * f0, s[1] += w1 * f1, s[2] += (w1 + w1 - w0) * (f1 + f1 - f0);
  }
}

// With eq kept factored: t0 += e f0, t1 += e f1 over pairs [lo, hi), e = eq(rho_{>i}, .).
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void eq_round_sums(const Fp2* f, const Fp2* e, size_t lo, size_t hi, Fp2 t[2]) {
  using namespace field::simd;
  u64x8 a0{}, a1{};
  size_t i = lo;
  for (; i + 4 <= hi; i += 4) {
    const u64x8 fa = load(f + 2 * i), fb = load(f + 2 * i + 4), ev = load(e + i);
    a0 = add(a0, mul2(ev, even_fp2(fa, fb)));
    a1 = add(a1, mul2(ev, odd_fp2(fa, fb)));
  }
  t[0] += sum_fp2(a0), t[1] += sum_fp2(a1);
  for (; i < hi; ++i) t[0] += e[i] * f[2 * i], t[1] += e[i] * f[2 * i + 1];
}
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void eq_round_sums(const Fp* f, const Fp2* e, size_t lo, size_t hi, Fp2 t[2]) {
  using namespace field::simd;
  constexpr u64x8 kDupLo = {0, 0, 1, 1, 2, 2, 3, 3}, kDupHi = {4, 4, 5, 5, 6, 6, 7, 7};
  u64x8 a0{}, a1{};
  size_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    const u64x8 fa = load(f + 2 * i), fb = load(f + 2 * i + 8);
    const u64x8 f0 = even_fp(fa, fb), f1 = odd_fp(fa, fb);
    for (int h = 0; h < 2; ++h) {  // pairs i + 4h .. i + 4h + 3
      const u64x8 ev = load(e + i + 4 * h);
      const u64x8 dup = h ? kDupHi : kDupLo;
      a0 = add(a0, mul(ev, __builtin_shuffle(f0, dup)));
      a1 = add(a1, mul(ev, __builtin_shuffle(f1, dup)));
    }
  }
  t[0] += sum_fp2(a0), t[1] += sum_fp2(a1);
  for (; i < hi; ++i) t[0] += e[i] * f[2 * i], t[1] += e[i] * f[2 * i + 1];
}

// The fold group's sumcheck over f (the combined polynomial; a single polynomial's
// base-field evaluations until the first fold) and W: each round's s(0), s(1), s(2) of
// sum_x W(x) f(x), then the fold of both by the challenge. On the GPU, as one device
// sumcheck session, when sumcheck::use_gpu(its variables);
// on a GPU error the challenges so far are replayed on the CPU, which goes on.
class FoldSumcheck {
 public:
  FoldSumcheck(std::span<const Fp> f_base, std::vector<Fp2> f, std::vector<Fp2> w)
      : m_f_base(f_base), m_f(std::move(f)), m_w(std::move(w)), m_base(m_f.empty()) {
    const size_t n = m_w.size();
    backend::Gpu* g = n >= 2 && sumcheck::use_gpu(unsigned(std::countr_zero(n))) ? backend::gpu() : nullptr;
    if (!g) return;
    std::vector<backend::Gpu::Table> tables;
    if (m_base) tables.emplace_back(m_f_base);
    else tables.emplace_back(std::span<const Fp2>(m_f));
    tables.emplace_back(std::span<const Fp2>(m_w));
    auto session = g->sumcheck(tables, {}, {});
    if (session.ok()) m_gpu = std::move(*session);
    else ZKS_LOG_WARN("pcs", "opening's sumcheck on the CPU: {}", session.error());
  }

  // The sumcheck of f(x) eq(rho, x). On the CPU eq stays factored (Gruen): round i sums
  // f against eq(rho_{>i}, .) alone and multiplies by eq(rho_{<i}, r_{<i}) eq(rho_i, X),
  // the very values the folded table W gives, for two products a pair instead of three
  // and no fold of W. The GPU gets the table.
  static FoldSumcheck at_point(std::span<const Fp> f_base, std::vector<Fp2> f, std::span<const Fp2> rho) {
    if (!rho.empty() && sumcheck::use_gpu(unsigned(rho.size())) && backend::gpu())
      return FoldSumcheck(f_base, std::move(f), poly::eq_table(rho));
    FoldSumcheck s(f_base, std::move(f), {});
    s.m_rho.assign(rho.begin(), rho.end());
    return s;
  }

  std::array<Fp2, 3> round() {
    if (!m_rho.empty()) return keep(eq_round());
    if (m_gpu) {
      auto l = m_gpu->round(2, false);
      // s(0) + s(1) must be the last round's s(r): a GPU fault shows here, and the round
      // is made again on the CPU rather than sent.
      if (l.ok() && (m_challenges.empty() || (*l)[0] + (*l)[1] == m_claim)) return keep({(*l)[0], (*l)[1], (*l)[2]});
      leave_gpu(l.ok() ? "a round inconsistent with the last" : l.error());
    }
    return keep(m_base ? round_poly<Fp>(m_f_base, m_w) : round_poly<Fp2>(m_f, m_w));
  }

  void bind(const Fp2& r) {
    m_claim = sumcheck::interpolate(m_last, r);
    if (!m_rho.empty()) {
      m_prefix *= eq1(m_rho[m_round++], r);
      fold_f(r);
      return;
    }
    if (m_gpu) {
      m_challenges.push_back(r);
      if (auto st = m_gpu->bind(r); !st.ok()) leave_gpu(st.error());
      return;
    }
    fold_f(r);
    fold_w(r);
  }

  // Adds a * g to f (a polynomial joining now, of f's current size) and `delta` to the
  // claim. Goes on on the CPU from here (the rest is smaller).
  void inject(std::span<const Fp> g, const Fp2& a, const Fp2& delta) {
    if (m_gpu) {
      f();
      leave_gpu("");
    }
    ZK_ASSERT(!m_base && g.size() == m_f.size());
    util::ThreadPool::global().parallel_for(m_f.size(), [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) m_f[i] += a * g[i];
    }, 1 << 13);
    m_claim += delta;
  }

  // f as it stands, every challenge folded in.
  const std::vector<Fp2>& f() {
    if (m_gpu) {
      if (auto t = m_gpu->table(0); t.ok()) {
        m_f = std::move(*t);
        m_base = false;
        m_f_current = m_challenges.size();
        return m_f;
      } else {
        leave_gpu(t.error());
      }
    }
    if (m_base) m_f.assign(m_f_base.begin(), m_f_base.end());  // no fold yet (no rounds)
    m_base = false;
    return m_f;
  }

 private:
  template <typename F>
  static std::array<Fp2, 3> round_poly(std::span<const F> f, std::span<const Fp2> w) {
    std::array<Fp2, 3> total{};
    std::mutex mu;
    util::ThreadPool::global().parallel_for(f.size() / 2, [&](size_t lo, size_t hi) {
      Fp2 sums[3];
      fold_round_sums(f.data(), w.data(), lo, hi, sums);
      std::lock_guard<std::mutex> lock(mu);
      total[0] += sums[0], total[1] += sums[1], total[2] += sums[2];
    }, 1 << 13);
    return total;
  }

  std::array<Fp2, 3> eq_round() const {
    const Fp2 rho = m_rho[m_round];
    const auto e = poly::eq_table(std::span<const Fp2>(m_rho).subspan(m_round + 1));
    Fp2 t[2] = {Fp2::zero(), Fp2::zero()};
    std::mutex mu;
    util::ThreadPool::global().parallel_for(e.size(), [&](size_t lo, size_t hi) {
      Fp2 part[2] = {Fp2::zero(), Fp2::zero()};
      if (m_base) eq_round_sums(m_f_base.data(), e.data(), lo, hi, part);
      else eq_round_sums(m_f.data(), e.data(), lo, hi, part);
      std::lock_guard<std::mutex> lock(mu);
      t[0] += part[0], t[1] += part[1];
    }, 1 << 13);
    const Fp2 two_t1 = t[1] + t[1];
    return {m_prefix * (Fp2::one() - rho) * t[0], m_prefix * rho * t[1],
            m_prefix * (rho + rho + rho - Fp2::one()) * (two_t1 - t[0])};
  }

  void fold_f(const Fp2& r) {
    m_f = m_base ? poly::fold(m_f_base, r) : poly::fold(std::span<const Fp2>(m_f), r);
    m_base = false;
  }
  void fold_w(const Fp2& r) { m_w = poly::fold(std::span<const Fp2>(m_w), r); }

  std::array<Fp2, 3> keep(const std::array<Fp2, 3>& s) {
    m_last = s;
    return s;
  }

  // Brings the host's f and W up to the device's round, and goes on on the CPU.
  void leave_gpu(const std::string& why) {
    if (!why.empty()) ZKS_LOG_WARN("pcs", "GPU sumcheck failed, going on on the CPU: {}", why);
    m_gpu.reset();
    for (size_t i = m_f_current; i < m_challenges.size(); ++i) fold_f(m_challenges[i]);
    for (const Fp2& r : m_challenges) fold_w(r);
    m_challenges.clear();
  }

  std::span<const Fp> m_f_base;
  std::vector<Fp2> m_f, m_w;
  bool m_base;  // f is still m_f_base
  std::unique_ptr<backend::Gpu::Sumcheck> m_gpu;
  // The challenges bound on the GPU (W on the host has none of them folded in, f the
  // first m_f_current).
  std::vector<Fp2> m_challenges;
  size_t m_f_current = 0;
  std::array<Fp2, 3> m_last{};  // the last round sent, and its value at the challenge
  Fp2 m_claim;
  // At a point (at_point on the CPU): rho, the rounds bound, eq(rho_{<round}, r_{<round}).
  std::vector<Fp2> m_rho;
  size_t m_round = 0;
  Fp2 m_prefix = Fp2::one();
};

// W(x) = sum_t g^t eq(z_t, x) over 2^n entries. A point whose high coordinates are all
// 0 or 1 (a claim on one block of a stacked polynomial) has eq supported on that block
// alone, so it costs the block's size, not the polynomial's. W is filled in aligned
// pieces, a worker per piece: a point's support (aligned, a power of two) lies inside
// one piece, or covers whole pieces, each the eq table of the low coordinates scaled by
// the factors of the higher ones at that piece. A weighted probe adds, at each x_high,
// the eq table of its point scaled by its weight there.
std::vector<Fp2> claim_weight(const std::vector<Probe>& probes, std::span<const Fp2> gpow, unsigned n) {
  auto& pool = util::ThreadPool::global();
  // Where eq(z, .) lives: z = (free low part, a run of 0/1 coordinates, a short free
  // high part). The binary run fixes those bits of x, so eq(z, .) is nonzero on one
  // block of 2^low entries for each value h of the high part, times eq(z_high, h). A
  // claim on a block of a packed table, or on a hiding table's value half (whose last
  // coordinate is free), then costs its block, not the table.
  struct Support {
    size_t low, offset;
    size_t point;  // index into points
    Fp2 coeff;     // gpow times eq(z_high, h)
  };
  constexpr size_t kMaxHighVars = 4;
  std::vector<Support> support;
  std::vector<std::vector<Fp2>> points;
  for (size_t k = 0; k < probes.size(); ++k) {
    if (!probes[k].weights.empty()) continue;
    const auto& z = probes[k].point;
    auto binary = [](const Fp2& v) { return v == Fp2::zero() || v == Fp2::one(); };
    // Any split is exact (eq factors by coordinate); this one keeps the blocks few.
    size_t top = z.size();
    while (top > 0 && !binary(z[top - 1]) && z.size() - top < kMaxHighVars) --top;
    size_t low = top;
    while (low > 0 && binary(z[low - 1])) --low;
    size_t block = 0;
    for (size_t i = low; i < top; ++i) block |= size_t(z[i] == Fp2::one()) << (i - low);
    const std::vector<Fp2> high = poly::eq_table(std::span<const Fp2>(z).subspan(top));
    for (size_t h = 0; h < high.size(); ++h)
      support.push_back({low, (h << top) | (block << low), points.size(), gpow[k] * high[h]});
    points.push_back(z);
  }
  std::vector<Fp2> w(size_t(1) << n, Fp2::zero());
  const unsigned piece_log = std::min<unsigned>(n, std::max<unsigned>(12, n > 6 ? n - 6 : 0));  // 64 pieces
  const size_t piece = size_t(1) << piece_log;
  pool.parallel_for(w.size() / piece, [&](size_t lo, size_t hi) {
    std::vector<Fp2> scratch;
    for (size_t p = lo; p < hi; ++p) {
      const size_t a = p * piece;
      for (const Support& sp : support) {
        const auto& z = points[sp.point];
        const size_t low = sp.low, offset = sp.offset;
        const size_t size = size_t(1) << low;
        if (size <= piece) {
          if (offset >= a && offset < a + piece)
            poly::eq_accumulate(std::span<const Fp2>(z).first(low), sp.coeff,
                                std::span<Fp2>(w).subspan(offset, size), scratch);
        } else if (a >= offset && a < offset + size) {
          Fp2 c = sp.coeff;
          for (size_t j = piece_log; j < low; ++j) c *= (((a - offset) >> j) & 1) ? z[j] : Fp2::one() - z[j];
          poly::eq_accumulate(std::span<const Fp2>(z).first(piece_log), c, std::span<Fp2>(w).subspan(a, piece), scratch);
        }
      }
    }
  }, 1);
  for (size_t k = 0; k < probes.size(); ++k) {
    const Probe& p = probes[k];
    if (p.weights.empty()) continue;
    const size_t block = size_t(1) << p.point.size();
    pool.parallel_for(p.weights.size(), [&](size_t lo, size_t hi) {
      std::vector<Fp2> scratch;
      for (size_t x = lo; x < hi; ++x)
        if (p.weights[x] != Fp2::zero())
          poly::eq_accumulate(p.point, gpow[k] * p.weights[x], std::span<Fp2>(w).subspan(x * block, block), scratch);
    }, std::max<size_t>(1, (size_t(1) << 12) / block));
  }
  return w;
}

GroupProof prove_fold_batch(const FoldBatch& fb, std::span<const CommittedPoly* const> polys, transcript::Transcript& t,
                            const Params& params) {
  const unsigned n = fb.num_vars;
  const auto steps = fold_steps(n, params);
  const size_t m = fb.polys.size();
  GroupProof gp;
  gp.kind = GroupKind::Fold;
  gp.num_vars = n;
  gp.num_polys = static_cast<uint32_t>(m);
  auto& pool = util::ThreadPool::global();
  auto evals = [&](size_t j) { return polys[fb.polys[j].poly]->evaluations(); };

  // Phase 1: every polynomial's claims reduced to its value at one point rho.
  const Fp2 g = fb.max_points > 1 ? t.challenge("pcs.batch_point") : Fp2::one();
  const std::vector<Fp2> beta = coefficients(t, "pcs.reduce_poly", m);
  const std::vector<Fp2> gpow = powers(g, fb.max_points);
  std::vector<FoldSumcheck> terms;
  for (size_t j = 0; j < m; ++j) {
    const auto& p = fb.polys[j];
    if (p.points.size() == 1 && p.points[0].weights.empty())  // W_j = eq(z, .)
      terms.push_back(FoldSumcheck::at_point(evals(j), {}, p.points[0].point));
    else terms.emplace_back(evals(j), std::vector<Fp2>{}, claim_weight(p.points, gpow, p.num_vars));
  }
  std::vector<Fp2> rho;
  for (unsigned i = 0; i < n; ++i) {
    std::array<Fp2, 3> s{};
    for (size_t j = 0; j < m; ++j) {
      if (fb.polys[j].join > i) continue;
      const auto sj = terms[j].round();
      for (size_t e = 0; e < 3; ++e) s[e] += beta[j] * sj[e];
    }
    gp.reduce_rounds.push_back(s);
    t.absorb("pcs.reduce_round", std::span<const Fp2>(s));
    rho.push_back(t.challenge("pcs.reduce"));
    for (size_t j = 0; j < m; ++j)
      if (fb.polys[j].join <= i) terms[j].bind(rho.back());
  }
  for (auto& term : terms) gp.point_evals.push_back(term.f().at(0));
  terms.clear();
  t.absorb("pcs.point_evals", std::span<const Fp2>(gp.point_evals));

  // Phase 2: F = sum_j alpha_j F_j opened at rho. The largest polynomials' table is
  // combined now (a single one stays in the base field until the first fold); the
  // combined codeword is never formed: the prover's codewords are honest encodings, so
  // the fold of a codeword equals the encoding of the folded message, and each
  // committed layer is encoded afresh from the message (an NTT of the layer's size,
  // cheaper than folding the 4x larger codeword round by round).
  const std::vector<Fp2> alpha = coefficients(t, "pcs.batch_poly", m);
  std::span<const Fp> f_base = evals(0);
  std::vector<Fp2> f;
  if (m > 1 && fb.polys[1].join == 0) {
    f.assign(f_base.size(), Fp2::zero());
    for (size_t j = 0; j < m && fb.polys[j].join == 0; ++j) {
      std::span<const Fp> fj = evals(j);
      const Fp2 a = alpha[j];
      pool.parallel_for(f.size(), [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) f[i] += a * fj[i];
      }, 1 << 13);
    }
  }
  std::vector<std::vector<Fp2>> messages;  // the folded tables committed after each step
  std::vector<detail::Encoded<Fp2>> layers;
  auto sc = FoldSumcheck::at_point(f_base, std::move(f), rho);
  Fp2 eq_prefix = Fp2::one();  // eq(rho_{<time}, r_{<time})
  unsigned time = 0;
  for (size_t k = 0; k < steps.size(); ++k) {
    for (unsigned i = 0; i < steps[k]; ++i) {
      std::array<Fp2, 3> s = sc.round();
      gp.rounds.push_back(s);
      t.absorb("pcs.round", std::span<const Fp2>(s));
      const Fp2 r = t.challenge("pcs.fold");
      sc.bind(r);
      eq_prefix *= eq1(rho[time], r);
      ++time;
      for (size_t j = 0; j < m; ++j)
        if (fb.polys[j].join == time) sc.inject(evals(j), alpha[j], alpha[j] * eq_prefix * gp.point_evals[j]);
    }
    if (k + 1 < steps.size()) {
      messages.push_back(sc.f());
      layers.push_back(detail::Encoded<Fp2>::make(messages.back(), params.log_blowup, size_t(1) << steps[k + 1]));
      gp.layer_roots.push_back(layers.back().root());
      t.absorb("pcs.layer_root", layers.back().root());
    }
  }
  // f is now the table of F(r, x') over the last final_log variables.
  gp.final_message = sc.f();
  detail::evals_to_coeffs(std::span<Fp2>(gp.final_message));
  t.absorb("pcs.final", std::span<const Fp2>(gp.final_message));
  gp.pow_nonce = t.grind("pcs.pow", params.grinding_bits);

  auto queries = draw_queries(t, params, n, steps[0]);
  auto leaves = leaf_indices(queries, steps);
  for (size_t j = 0; j < m; ++j) {
    const CommittedPoly& pj = *polys[fb.polys[j].poly];
    auto at = join_leaves(fb.polys[j], queries, steps, leaf_log(pj.commitment(), params));
    // A joint commitment's largest member carries the one path for every member (the
    // others have no tree).
    auto opened = CommittedPoly::Access::encoded(pj).open(at, pj.evaluations(), joins_of(pj, params));
    gp.base_leaves.push_back(std::move(opened.values));
    gp.base_proofs.push_back(std::move(opened.proof));
  }
  for (size_t k = 1; k < steps.size(); ++k) {
    auto opened = layers[k - 1].open(leaves[k], messages[k - 1]);
    gp.layer_leaves.push_back(std::move(opened.values));
    gp.layer_proofs.push_back(std::move(opened.proof));
  }
  return gp;
}

// ---------------------------------------------------------------------------------
// Verifier.

// Folds one opened leaf (2^step values at positions leaf*2^step.. of a codeword of
// size 2^log_n) `step` times. The leaf is the coset c * <w_{2^step}>, c = w_N^rev(leaf)
// (rev over log_n - step bits); pair v of the first fold is x = c * h^rev(v) with h a
// primitive 2^step-th root, and each later fold squares c and h. After fold d
// (1..step), `joining(d, values)` may add to the 2^(step-d) values left.
using Joining = std::function<void(unsigned, std::span<Fp2>)>;
Fp2 fold_leaf(std::vector<Fp2> vals, unsigned log_n, size_t leaf, unsigned step,
              std::span<const Fp2> r, const Joining& joining) {
  Fp c_inv = inverse_root_of_unity(log_n).pow(reverse_bits(leaf, log_n - step));
  for (unsigned s = 0; s < step; ++s) {
    const unsigned width_log = step - s;  // current coset size 2^width_log
    const size_t pairs = size_t(1) << (width_log - 1);
    const Fp h_inv = inverse_root_of_unity(width_log);
    for (size_t v = 0; v < pairs; ++v) {
      Fp itx = detail::half(c_inv * h_inv.pow(reverse_bits(v, width_log - 1)));
      Fp2 a = vals[2 * v], bb = vals[2 * v + 1];
      vals[v] = detail::half(a + bb) + r[s] * ((a - bb) * itx);
    }
    c_inv = c_inv.square();
    joining(s + 1, std::span<Fp2>(vals).first(pairs));
  }
  return vals[0];
}

template <typename F>
Status check_layer(const hash::Digest& root, unsigned depth, unsigned leaf_log,
                   const std::vector<size_t>& leaves, const std::vector<F>& values,
                   const hash::MultiProof& proof, const std::string& what) {
  const size_t w = size_t(1) << leaf_log;
  if (values.size() != leaves.size() * w)
    return make_error("pcs: " + what + ": " + std::to_string(values.size()) +
                      " opened values, expected " + std::to_string(leaves.size() * w));
  const auto digests = hash::hash_leaves(std::span<const F>(values), w);
  Status s = hash::verify_many(root, depth, leaves, digests, proof);
  if (!s) return make_error("pcs: " + what + ": " + s.error());
  return Status{};
}

// x's index in `sorted`, SIZE_MAX if absent (never: the verifier derives both from the
// queries; checked all the same, so that a slip rejects instead of reading past a leaf).
size_t position_of(const std::vector<size_t>& sorted, size_t x) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), x);
  return it != sorted.end() && *it == x ? static_cast<size_t>(it - sorted.begin()) : SIZE_MAX;
}

// Checks the folding run of `fb` (see FoldBatch); `error` receives its soundness error.
Status verify_fold_batch(const FoldBatch& fb, const GroupProof& gp, std::span<const Commitment> comms,
                         const JointGroups& joints, transcript::Transcript& t, const Params& params) {
  const unsigned n = fb.num_vars;
  const auto steps = fold_steps(n, params);
  const size_t m = fb.polys.size();
  const size_t layers = steps.size();
  unsigned folds = 0;
  for (unsigned s : steps) folds += s;
  if (gp.num_vars != n || gp.num_polys != m) return make_error("pcs: the folding run has the wrong shape");
  if (gp.reduce_rounds.size() != n || gp.point_evals.size() != m)
    return make_error("pcs: wrong number of claim-reduction rounds or point evaluations");
  if (gp.rounds.size() != folds)
    return make_error("pcs: " + std::to_string(gp.rounds.size()) + " sumcheck rounds, expected " +
                      std::to_string(folds));
  if (gp.layer_roots.size() != layers - 1 || gp.layer_leaves.size() != layers - 1 ||
      gp.layer_proofs.size() != layers - 1)
    return make_error("pcs: wrong number of folded layers");
  if (gp.final_message.size() != (size_t(1) << params.final_log))
    return make_error("pcs: final message of " + std::to_string(gp.final_message.size()) +
                      " coefficients, expected " + std::to_string(size_t(1) << params.final_log));
  if (gp.base_leaves.size() != m || gp.base_proofs.size() != m)
    return make_error("pcs: wrong number of opened codewords");

  // Phase 1: the claim reduction, term j's claim added as it joins.
  const Fp2 g = fb.max_points > 1 ? t.challenge("pcs.batch_point") : Fp2::one();
  const std::vector<Fp2> beta = coefficients(t, "pcs.reduce_poly", m);
  const std::vector<Fp2> gpow = powers(g, fb.max_points);
  Fp2 claim = Fp2::zero();
  std::vector<Fp2> rho;
  for (unsigned i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j)
      if (fb.polys[j].join == i) claim += beta[j] * combined_claim(fb.polys[j], gpow);
    const auto& s = gp.reduce_rounds[i];
    if (s[0] + s[1] != claim)
      return make_error("pcs: claim-reduction round " + std::to_string(i) + " does not match the claim");
    t.absorb("pcs.reduce_round", std::span<const Fp2>(s));
    rho.push_back(t.challenge("pcs.reduce"));
    claim = interpolate_deg2(s, rho.back());
  }
  {
    // u_j W_j(rho_{m_j..}), W_j evaluated here.
    Fp2 sum = Fp2::zero();
    for (size_t j = 0; j < m; ++j) {
      const auto& p = fb.polys[j];
      const auto tail = std::span<const Fp2>(rho).subspan(p.join);
      Fp2 w = Fp2::zero();
      for (size_t k = 0; k < p.points.size(); ++k) w += gpow[k] * probe_weight(p.points[k], tail);
      sum += beta[j] * gp.point_evals[j] * w;
    }
    if (sum != claim) return make_error("pcs: the point evaluations do not match the claim reduction");
  }
  t.absorb("pcs.point_evals", std::span<const Fp2>(gp.point_evals));

  // Phase 2: the sumcheck of F(x) eq(rho, x) in lockstep with the commitments to the
  // folded codewords; term j's alpha_j eq(rho_{<m_j}, r_{<m_j}) u_j added as it joins.
  const std::vector<Fp2> alpha = coefficients(t, "pcs.batch_poly", m);
  claim = Fp2::zero();
  for (size_t j = 0; j < m; ++j)
    if (fb.polys[j].join == 0) claim += alpha[j] * gp.point_evals[j];
  std::vector<Fp2> r;
  Fp2 eq_prefix = Fp2::one();
  size_t round = 0;
  for (size_t k = 0; k < layers; ++k) {
    for (unsigned i = 0; i < steps[k]; ++i, ++round) {
      const auto& s = gp.rounds[round];
      if (s[0] + s[1] != claim)
        return make_error("pcs: sumcheck round " + std::to_string(round) +
                          " does not match the claim");
      t.absorb("pcs.round", std::span<const Fp2>(s));
      r.push_back(t.challenge("pcs.fold"));
      claim = interpolate_deg2(s, r.back());
      eq_prefix *= eq1(rho[round], r.back());
      for (size_t j = 0; j < m; ++j)
        if (fb.polys[j].join == round + 1) claim += alpha[j] * eq_prefix * gp.point_evals[j];
    }
    if (k + 1 < layers) t.absorb("pcs.layer_root", gp.layer_roots[k]);
  }
  t.absorb("pcs.final", std::span<const Fp2>(gp.final_message));
  if (!t.check_grind("pcs.pow", params.grinding_bits, gp.pow_nonce))
    return make_error("pcs: proof-of-work nonce is invalid");
  // The rest of the sum, from the final message: sum_x F'(x) eq(rho_{folds..}, x), times
  // eq(rho_{<folds}, r).
  {
    std::vector<Fp2> fe = gp.final_message;
    detail::coeffs_to_evals(std::span<Fp2>(fe));
    const std::vector<Fp2> e = poly::eq_table(std::span<const Fp2>(rho).subspan(folds));
    Fp2 sum = Fp2::zero();
    for (size_t i = 0; i < fe.size(); ++i) sum += fe[i] * e[i];
    if (eq_prefix * sum != claim) return make_error("pcs: final message does not match the sumcheck claim");
  }

  // Queries: Merkle openings of every codeword and folded layer, then each query's
  // chain of folds, with the joining codewords added where they join, down to the
  // codeword of the final message.
  auto queries = draw_queries(t, params, n, steps[0]);
  auto leaves = leaf_indices(queries, steps);
  std::vector<std::vector<size_t>> opened(m);
  std::vector<unsigned> leaf_logs(m);
  std::vector<std::vector<hash::Digest>> digests(m);
  std::vector<size_t> slot_of(comms.size(), SIZE_MAX);  // batch index -> j
  for (size_t j = 0; j < m; ++j) {
    const auto& p = fb.polys[j];
    const std::string what = "codeword of polynomial " + std::to_string(p.poly);
    slot_of[p.poly] = j;
    const Commitment& c = comms[p.poly];
    leaf_logs[j] = leaf_log(c, params);
    opened[j] = join_leaves(p, queries, steps, leaf_logs[j]);
    if (c.joint.empty()) {
      ZK_TRY(check_layer(c.root, leaves_log(c, params), leaf_logs[j], opened[j], gp.base_leaves[j],
                         gp.base_proofs[j], what));
      continue;
    }
    const size_t w = size_t(1) << leaf_logs[j];
    if (gp.base_leaves[j].size() != opened[j].size() * w)
      return make_error("pcs: " + what + ": " + std::to_string(gp.base_leaves[j].size()) + " opened values, expected " +
                        std::to_string(opened[j].size() * w));
    if (c.member != 0 && !gp.base_proofs[j].nodes.empty())
      return make_error("pcs: " + what + ": a joint commitment's member has a path of its own");
    if (c.member == 0) digests[j] = hash::hash_leaves(std::span<const Fp>(gp.base_leaves[j]), w);
  }
  // A joint commitment: one multiproof from the largest member's leaves, the others'
  // leaves joined on the way.
  for (const auto& members : joints) {
    const size_t j0 = slot_of[members[0]];
    if (j0 == SIZE_MAX) return make_error("pcs: a joint commitment's member is not opened by folding");
    const Commitment& c0 = comms[members[0]];
    std::vector<hash::JoinedOpening> joined;
    for (size_t s = 1; s < members.size(); ++s) {
      const size_t js = slot_of[members[s]];
      if (js == SIZE_MAX) return make_error("pcs: a joint commitment's member is not opened by folding");
      joined.push_back({joint_height(c0, comms[members[s]], params), opened[js],
                        hash::row_bytes(gp.base_leaves[js]), sizeof(Fp) << leaf_logs[js]});
    }
    Status st = hash::verify_many(c0.root, leaves_log(c0, params), opened[j0], digests[j0], gp.base_proofs[j0], joined);
    if (!st) return make_error("pcs: joint commitment of polynomial " + std::to_string(members[0]) + ": " + st.error());
  }
  const unsigned log_n = n + params.log_blowup;
  {
    unsigned lg = log_n - steps[0];
    for (size_t k = 1; k < layers; ++k) {
      ZK_TRY(check_layer(gp.layer_roots[k - 1], lg - steps[k], steps[k], leaves[k],
                         gp.layer_leaves[k - 1], gp.layer_proofs[k - 1],
                         "folded layer " + std::to_string(k)));
      lg -= steps[k];
    }
  }
  // Where each joining polynomial joins: its layer and the folds done in it.
  std::vector<JoinAt> joins(m);
  for (size_t j = 0; j < m; ++j)
    if (fb.polys[j].join > 0) joins[j] = join_at(fb.polys[j].join, steps);
  const std::vector<Fp2> final_cw =
      detail::rs_encode(std::span<const Fp2>(gp.final_message), params.log_blowup);
  const size_t w0 = size_t(1) << steps[0];
  for (size_t i = 0; i < leaves[0].size(); ++i) {
    size_t pos = leaves[0][i];
    std::vector<Fp2> vals(w0, Fp2::zero());
    for (size_t j = 0; j < m && fb.polys[j].join == 0; ++j)
      for (size_t u = 0; u < w0; ++u) vals[u] += alpha[j] * gp.base_leaves[j][i * w0 + u];
    unsigned lg = log_n;
    size_t r_off = 0;
    Fp2 v;
    for (size_t k = 0; k < layers; ++k) {
      size_t leaf = pos;
      if (k > 0) {
        const size_t wk = size_t(1) << steps[k];
        leaf = pos >> steps[k];
        const size_t slot = position_of(leaves[k], leaf);
        if (slot == SIZE_MAX) return make_error("pcs: internal error: a query's leaf is not among the opened ones");
        const Fp2* lv = gp.layer_leaves[k - 1].data() + slot * wk;
        if (lv[pos & (wk - 1)] != v)
          return make_error("pcs: query at position " + std::to_string(pos) +
                            " is inconsistent with folded layer " + std::to_string(k));
        vals.assign(lv, lv + wk);
      }
      // Codewords joining after d folds of this leaf: their values at the 2^w
      // positions the leaf has become.
      bool missing = false;
      auto joining = [&](unsigned d, std::span<Fp2> cur) {
        for (size_t j = 0; j < m; ++j) {
          if (fb.polys[j].join == 0 || joins[j].layer != k || joins[j].done != d) continue;
          const size_t first = leaf << joins[j].width_log;  // cur holds 2^width_log values
          const size_t wl = size_t(1) << leaf_logs[j];
          for (size_t e = 0; e < cur.size(); ++e) {
            const size_t at = first + e;
            const size_t slot = position_of(opened[j], at >> leaf_logs[j]);
            if (slot == SIZE_MAX) {
              missing = true;
              continue;
            }
            cur[e] += alpha[j] * gp.base_leaves[j][slot * wl + (at & (wl - 1))];
          }
        }
      };
      v = fold_leaf(std::move(vals), lg, leaf, steps[k], std::span<const Fp2>(r).subspan(r_off, steps[k]), joining);
      if (missing) return make_error("pcs: internal error: a joining codeword's position is not among the opened ones");
      vals = {};
      r_off += steps[k];
      lg -= steps[k];
      pos = leaf;
    }
    if (final_cw[pos] != v)
      return make_error("pcs: query at position " + std::to_string(pos) +
                        " is inconsistent with the final message");
  }
  return Status{};
}

// Small polynomials: the verifier rebuilds the commitment and evaluates the claims.
Status verify_clear_group(const Group& grp, const GroupProof& gp,
                          std::span<const Commitment> comms, const Params& params) {
  const size_t size = size_t(1) << grp.num_vars;
  if (gp.tables.size() != grp.polys.size())
    return make_error("pcs: wrong number of tables in clear");
  for (size_t j = 0; j < grp.polys.size(); ++j) {
    const auto& table = gp.tables[j];
    if (table.size() != size)
      return make_error("pcs: table in clear has " + std::to_string(table.size()) +
                        " entries, expected " + std::to_string(size));
    std::vector<Fp> c = table;
    detail::evals_to_coeffs(std::span<Fp>(c));
    auto cw = detail::rs_encode(std::span<const Fp>(c), params.log_blowup);
    auto tree = hash::MerkleTree::from_rows(std::span<const Fp>(cw),
                                            size_t(1) << commit_leaf_log(grp.num_vars, params));
    if (tree.root() != comms[grp.polys[j]].root)
      return make_error("pcs: table in clear does not match the commitment of polynomial " +
                        std::to_string(grp.polys[j]));
    for (size_t k = 0; k < grp.points.size(); ++k)
      if (grp.claimed[j][k] &&
          claim_value(table, {0, grp.points[k].point, Fp2::zero(), grp.points[k].weights}) != grp.values[j][k])
        return make_error("pcs: claimed evaluation of polynomial " + std::to_string(grp.polys[j]) +
                          " is wrong");
  }
  return Status{};
}

}  // namespace

// -----------------------------------------------------------------------------------

bool gpu_commitments() { return commit_gpu() != nullptr; }

namespace {
// commit() with leaves of 2^leaf_log(n) values (n the table's variables).
// own_tree false: a joint commitment's member other than the largest; `joins`: the
// largest's, whose tree (and root) joins them.
template <typename LeafLog>
Result<CommittedPoly> commit_impl(std::vector<Fp> values, const Params& params, LeafLog&& leaf_log,
                                  bool own_tree = true, std::span<const detail::Joined> joins = {}) {
  ZK_TRY(check_params(params));
  if (values.empty()) return make_error("pcs: cannot commit to an empty vector");
  unsigned n = poly::log2_ceil(values.size());
  if (n > params.max_num_vars)
    return make_error("pcs: " + std::to_string(values.size()) +
                      " elements exceed the parameters' maximum 2^" +
                      std::to_string(params.max_num_vars));
  CommittedPoly p = CommittedPoly::Access::make();
  auto& evals = CommittedPoly::Access::evals(p);
  values.resize(size_t(1) << n, Fp::zero());
  evals = std::move(values);
  auto& encoded = CommittedPoly::Access::encoded(p);
  encoded = std::make_unique<detail::Encoded<Fp>>(
      detail::Encoded<Fp>::make(std::span<const Fp>(evals), params.log_blowup, size_t(1) << leaf_log(n), own_tree, joins));
  auto& c = CommittedPoly::Access::commitment(p);
  if (own_tree) c.root = encoded->root();
  c.num_vars = n;
  return p;
}
}  // namespace

Result<CommittedPoly> commit(std::span<const Fp> values, const Params& params) {
  return commit_impl(std::vector<Fp>(values.begin(), values.end()), params,
                     [&](unsigned n) { return commit_leaf_log(n, params); });
}

bool joinable(unsigned num_vars, const Params& params) {
  return num_vars > params.final_log && num_vars <= params.max_num_vars &&
         commit_leaf_log(num_vars, params) + 1 >= params.fold_arity_log;
}

Status check_joint(std::span<const uint32_t> sizes, const Params& params) {
  if (sizes.empty() || sizes.size() > Params::kMaxPolys)
    return make_error("pcs: a joint commitment of " + std::to_string(sizes.size()) + " polynomials");
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] > params.max_num_vars)
      return make_error("pcs: 2^" + std::to_string(sizes[i]) + " elements exceed the parameters' maximum 2^" +
                        std::to_string(params.max_num_vars));
    if (!joinable(sizes[i], params))
      return make_error("pcs: a joint commitment's member of 2^" + std::to_string(sizes[i]) + " entries cannot be joined");
    if (i > 0 && sizes[i] > sizes[i - 1])
      return make_error("pcs: a joint commitment's members are not in order of size");
  }
  return Status{};
}

Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_joint(std::span<const std::span<const Fp>> tables,
                                                                       const Params& params) {
  std::vector<std::vector<Fp>> owned;
  for (const auto& table : tables) owned.emplace_back(table.begin(), table.end());
  return commit_joint(std::move(owned), params);
}

Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_joint(std::vector<std::vector<Fp>> tables,
                                                                       const Params& params, bool keep_codewords) {
  ZK_TRY(check_params(params));
  std::vector<uint32_t> sizes;
  for (const auto& table : tables) {
    if (table.empty()) return make_error("pcs: cannot commit to an empty vector");
    sizes.push_back(poly::log2_ceil(table.size()));
  }
  ZK_TRY(check_joint(sizes, params));
  auto leaf_log = [&](unsigned n) { return member_leaf_log(n, sizes[0], params); };
  Commitment c0;
  c0.num_vars = sizes[0], c0.joint = sizes;
  std::vector<CommittedPoly> others;
  std::optional<Result<CommittedPoly>> made;  // the largest
  if (!keep_codewords && commit_gpu() == nullptr) {
    // Member by member, largest first: each encoded, its rows hashed into the tree (the
    // same tree as below), and its codeword freed before the next is made. Their joining
    // heights never decrease in this order (sizes do not increase, and every smaller
    // member has leaves of 2^(arity - 1): joinable()), as the Builder needs.
    made = commit_impl(std::move(tables[0]), params, leaf_log, false);
    if (!made->ok()) return make_error(made->error());
    auto& leader_code = *CommittedPoly::Access::encoded(**made);
    std::vector<Fp> scratch;
    hash::MerkleTree::Builder tree(hash::hash_leaves(leader_code.codeword((*made)->evaluations(), scratch),
                                                     size_t(1) << leaf_log(sizes[0])));
    leader_code.release_codeword();
    for (size_t i = 1; i < tables.size(); ++i) {
      auto cp = commit_impl(std::move(tables[i]), params, leaf_log, false);
      if (!cp.ok()) return make_error(cp.error());
      auto& c = CommittedPoly::Access::commitment(*cp);
      c.joint = sizes;
      c.member = uint32_t(i);
      auto& code = *CommittedPoly::Access::encoded(*cp);
      const auto cw = code.codeword(cp->evaluations(), scratch);
      const unsigned height = joint_height(c0, c, params);
      // Its rows: one at each of the leader's leaves >> height.
      const unsigned rows_log = params.log_blowup + sizes[0] - leaf_log(sizes[0]) - height;
      tree.join({height, hash::row_bytes(cw), cw.size_bytes() >> rows_log});
      code.release_codeword();
      others.push_back(std::move(cp).value());
    }
    leader_code.adopt_tree(tree.finish());
    CommittedPoly::Access::commitment(**made).root = leader_code.root();
  }
  // Otherwise the others first: the largest's tree joins their rows.
  std::vector<detail::Joined> joins;
  for (size_t i = 1; i < tables.size() && !made; ++i) {
    auto cp = commit_impl(std::move(tables[i]), params, leaf_log, false);
    if (!cp.ok()) return make_error(cp.error());
    auto& c = CommittedPoly::Access::commitment(*cp);
    c.joint = sizes;
    c.member = uint32_t(i);
    joins.push_back({&CommittedPoly::Access::encoded(std::as_const(*cp)), cp->evaluations(), joint_height(c0, c, params)});
    others.push_back(std::move(cp).value());  // the encodings and tables stay where they are
  }
  auto leader = made ? std::move(*made) : commit_impl(std::move(tables[0]), params, leaf_log, true, joins);
  if (!leader.ok()) return make_error(leader.error());
  if (!keep_codewords) {  // the tree holds every row now (a GPU's codewords stay there)
    for (auto& o : others) CommittedPoly::Access::encoded(o)->release_codeword();
    CommittedPoly::Access::encoded(*leader)->release_codeword();
  }
  auto& c = CommittedPoly::Access::commitment(*leader);
  c.joint = sizes;
  std::vector<std::shared_ptr<const CommittedPoly>> out(tables.size());
  for (size_t i = 1; i < tables.size(); ++i) {
    CommittedPoly::Access::commitment(others[i - 1]).root = c.root;
    out[i] = std::make_shared<const CommittedPoly>(std::move(others[i - 1]));
  }
  CommittedPoly::Access::members(*leader).assign(out.begin() + 1, out.end());
  out[0] = std::make_shared<const CommittedPoly>(std::move(leader).value());
  return out;
}

namespace {

// A digest of the tables (each in parallel, 64 KiB pieces) and the parameters.
hash::Digest content_key(std::span<const std::span<const Fp>> tables, const Params& params) {
  constexpr size_t kPiece = size_t(1) << 13;
  hash::Hasher h(hash::Domain::Generic);
  h.update(std::span<const uint8_t>(params.params_id())).update_u64(tables.size());
  for (const auto& values : tables) {
    const size_t pieces = (values.size() + kPiece - 1) / kPiece;
    std::vector<hash::Digest> digests(pieces);
    util::ThreadPool::global().parallel_for(pieces, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) {
        const auto piece = values.subspan(i * kPiece, std::min(kPiece, values.size() - i * kPiece));
        digests[i] = hash::hash(hash::Domain::Generic, {reinterpret_cast<const uint8_t*>(piece.data()), piece.size_bytes()});
      }
    }, 4);
    h.update_u64(values.size());
    for (const auto& d : digests) h.update(std::span<const uint8_t>(d));
  }
  return h.finalize();
}

// One table committed alone, or several jointly.
using Members = std::vector<std::shared_ptr<const CommittedPoly>>;
Result<Members> commit_tables(std::span<const std::span<const Fp>> tables, const Params& params) {
  if (tables.size() != 1) return commit_joint(tables, params);
  auto made = commit(tables[0], params);
  if (!made.ok()) return make_error(made.error());
  return Members{std::make_shared<const CommittedPoly>(std::move(made).value())};
}

size_t footprint(const Members& m) {
  size_t bytes = 0;
  for (const auto& p : m) bytes += p->host_bytes() + p->device_bytes();
  return bytes;
}

struct CommitCache {
  std::mutex mu;
  size_t capacity = kCommitCacheBytes;
  std::list<std::pair<hash::Digest, Members>> lru;  // most recent first
  std::list<std::pair<hash::Digest, std::vector<Commitment>>> roots;  // commitments_cached's, most recent first
  static constexpr size_t kMaxRoots = 4096;
  std::map<hash::Digest, std::shared_future<Result<Members>>> in_flight;
  CommitCacheStats stats;

  bool off() {
    std::lock_guard<std::mutex> lock(mu);
    return capacity == 0;
  }

  // With mu held: the full entry under `key`, moved to the front, or null.
  const Members* find(const hash::Digest& key) {
    for (auto it = lru.begin(); it != lru.end(); ++it)
      if (it->first == key) {
        lru.splice(lru.begin(), lru, it);
        return &it->second;
      }
    return nullptr;
  }

  void trim() {  // with mu held
    while (stats.bytes > capacity && !lru.empty()) {
      stats.bytes -= footprint(lru.back().second);
      lru.pop_back();
      --stats.entries;
    }
  }
};

CommitCache& commit_cache() {
  static CommitCache c;
  return c;
}

std::vector<Commitment> commitments_of(const Members& m) {
  std::vector<Commitment> out;
  for (const auto& p : m) out.push_back(p->commitment());
  return out;
}

}  // namespace

Result<std::vector<std::shared_ptr<const CommittedPoly>>> commit_stack_cached(std::span<const std::span<const Fp>> tables,
                                                                              const Params& params) {
  ZK_TRY(check_params(params));
  auto& cache = commit_cache();
  if (cache.off()) return commit_tables(tables, params);  // not even the digest
  const hash::Digest key = content_key(tables, params);
  std::promise<Result<Members>> promise;
  {
    std::unique_lock<std::mutex> lock(cache.mu);
    if (const Members* hit = cache.find(key)) {
      ++cache.stats.hits;
      return *hit;
    }
    // Another job is committing the same tables: wait for its result rather than
    // commit them again beside it (a miner's workers starting on a new model at once).
    if (auto it = cache.in_flight.find(key); it != cache.in_flight.end()) {
      auto pending = it->second;
      ++cache.stats.hits;
      lock.unlock();
      return pending.get();
    }
    ++cache.stats.misses;
    cache.in_flight.emplace(key, promise.get_future().share());
  }
  Result<Members> made = commit_tables(tables, params);  // outside the lock: other jobs go on meanwhile
  {
    std::lock_guard<std::mutex> lock(cache.mu);
    cache.in_flight.erase(key);
    if (made.ok() && footprint(*made) <= cache.capacity) {
      cache.lru.emplace_front(key, *made);
      cache.stats.bytes += footprint(*made);
      ++cache.stats.entries;
      cache.trim();
    }
  }
  promise.set_value(made);
  return made;
}

Result<std::shared_ptr<const CommittedPoly>> commit_cached(std::span<const Fp> values, const Params& params) {
  const std::span<const Fp> one[] = {values};
  auto made = commit_stack_cached(one, params);
  if (!made.ok()) return make_error(made.error());
  return made->front();
}

Result<std::vector<Commitment>> commitments_cached(std::span<const std::span<const Fp>> tables, const Params& params) {
  ZK_TRY(check_params(params));
  auto& cache = commit_cache();
  auto fresh = [&]() -> Result<std::vector<Commitment>> {
    auto made = commit_tables(tables, params);
    if (!made.ok()) return make_error(made.error());
    return commitments_of(*made);
  };
  if (cache.off()) return fresh();
  const hash::Digest key = content_key(tables, params);
  {
    std::lock_guard<std::mutex> lock(cache.mu);
    if (const Members* hit = cache.find(key)) {
      ++cache.stats.hits;
      return commitments_of(*hit);
    }
    for (auto it = cache.roots.begin(); it != cache.roots.end(); ++it)
      if (it->first == key) {
        cache.roots.splice(cache.roots.begin(), cache.roots, it);
        ++cache.stats.hits;
        return it->second;
      }
    ++cache.stats.misses;
  }
  auto c = fresh();
  if (!c.ok()) return c;
  std::lock_guard<std::mutex> lock(cache.mu);
  cache.roots.emplace_front(key, *c);
  if (cache.roots.size() > CommitCache::kMaxRoots) cache.roots.pop_back();
  return c;
}

Result<Commitment> commitment_cached(std::span<const Fp> values, const Params& params) {
  const std::span<const Fp> one[] = {values};
  auto c = commitments_cached(one, params);
  if (!c.ok()) return make_error(c.error());
  return c->front();
}

void set_commit_cache_capacity(size_t bytes) {
  auto& cache = commit_cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  cache.capacity = bytes;
  cache.trim();
  if (bytes == 0) cache.roots.clear();
}

CommitCacheStats commit_cache_stats() {
  auto& cache = commit_cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  return cache.stats;
}

Fp2 claim_value(std::span<const Fp> table, const Claim& claim) {
  const unsigned n = static_cast<unsigned>(claim.point.size()) + poly::log2_ceil(claim.weights.size());
  ZK_ASSERT(table.size() <= (size_t(1) << n) && (claim.weights.empty() || std::has_single_bit(claim.weights.size())));
  std::vector<Fp> padded;
  if (table.size() != (size_t(1) << n)) {
    padded.assign(size_t(1) << n, Fp::zero());
    std::copy(table.begin(), table.end(), padded.begin());
    table = padded;
  }
  if (claim.weights.empty()) return poly::evaluate(table, claim.point);
  const std::vector<Fp2> e = poly::eq_table(claim.point);
  Fp2 sum = Fp2::zero();
  for (size_t x = 0; x < claim.weights.size(); ++x) {
    if (claim.weights[x] == Fp2::zero()) continue;
    Fp2 part = Fp2::zero();
    for (size_t i = 0; i < e.size(); ++i) part += e[i] * table[x * e.size() + i];
    sum += claim.weights[x] * part;
  }
  return sum;
}

Result<Claim> combine_weighted(std::span<const Claim> claims, const Fp2& lambda) {
  if (claims.empty()) return make_error("pcs: no weighted claims to combine");
  Claim out{claims[0].poly, claims[0].point, Fp2::zero(), std::vector<Fp2>(claims[0].weights.size(), Fp2::zero())};
  if (out.weights.empty()) return make_error("pcs: claim 0 to combine is not a weighted claim");
  Fp2 power = Fp2::one();
  for (size_t i = 0; i < claims.size(); ++i, power *= lambda) {
    const Claim& c = claims[i];
    if (c.poly != out.poly || c.point != out.point || c.weights.size() != out.weights.size())
      return make_error("pcs: weighted claim " + std::to_string(i) + " differs from claim 0 in polynomial, point or size");
    for (size_t x = 0; x < c.weights.size(); ++x) out.weights[x] += power * c.weights[x];
    out.value += power * c.value;
  }
  return out;
}

Result<util::Bytes> open_batch(std::span<const CommittedPoly* const> polys,
                               std::span<const Claim> claims, transcript::Transcript& t,
                               const Params& params) {
  ZK_TRY(check_params(params));
  std::vector<unsigned> nv;
  std::vector<Commitment> comms;
  for (const CommittedPoly* p : polys) {
    ZK_ASSERT(p != nullptr);
    nv.push_back(p->num_vars());
    comms.push_back(p->commitment());
  }
  auto groups = make_groups(nv, claims, params);
  if (!groups) return make_error(groups.error());
  if (auto joints = joint_groups(comms, params); !joints.ok()) return make_error(joints.error());
  absorb_statement(t, params, comms, claims);

  OpeningProof proof;
  proof.params_id = params.params_id();
  // The tables in clear are absorbed before the first challenge; then one folding run
  // for every larger polynomial.
  const FoldBatch fb = fold_batch(*groups, params);
  std::vector<GroupProof> clear;
  for (const Group& g : *groups) {
    if (!is_clear(g, params)) continue;
    GroupProof gp;
    gp.kind = GroupKind::Clear;
    gp.num_vars = g.num_vars;
    gp.num_polys = static_cast<uint32_t>(g.polys.size());
    for (size_t j : g.polys) {
      gp.tables.emplace_back(polys[j]->evaluations().begin(), polys[j]->evaluations().end());
      t.absorb("pcs.clear_table", std::span<const Fp>(gp.tables.back()));
    }
    clear.push_back(std::move(gp));
  }
  if (!fb.polys.empty()) proof.groups.push_back(prove_fold_batch(fb, polys, t, params));
  for (auto& gp : clear) proof.groups.push_back(std::move(gp));
  util::Bytes bytes = proof.to_bytes();
  ZKS_LOG_DEBUG("pcs", "opened {} polynomials ({} folded together) at {} claims: {} proof bytes",
                polys.size(), fb.polys.size(), claims.size(), bytes.size());
  if (!fb.polys.empty() && log::get("pcs")->should_log(spdlog::level::debug)) {
    const GroupProof& g = proof.groups[0];
    std::string parts;
    for (size_t j = 0; j < g.base_leaves.size(); ++j)
      parts += fmt::format(" poly{}(2^{}): leaves {} + paths {};", j, fb.polys[j].num_vars, g.base_leaves[j].size() * 8,
                           g.base_proofs[j].nodes.size() * 32);
    for (size_t k = 0; k < g.layer_leaves.size(); ++k)
      parts += fmt::format(" layer{}: leaves {} + paths {};", k + 1, g.layer_leaves[k].size() * 16,
                           g.layer_proofs[k].nodes.size() * 32);
    ZKS_LOG_DEBUG("pcs", "opening bytes:{}", parts);
  }
  return bytes;
}

Status verify_batch(std::span<const Commitment> commitments, std::span<const Claim> claims,
                    std::span<const uint8_t> proof_bytes, transcript::Transcript& t,
                    const Params& params) {
  ZK_TRY(check_params(params));
  std::vector<unsigned> nv;
  for (const Commitment& c : commitments) nv.push_back(c.num_vars);
  auto groups = make_groups(nv, claims, params);
  if (!groups) return make_error(groups.error());
  auto joints = joint_groups(commitments, params);
  if (!joints) return make_error(joints.error());
  auto proof = OpeningProof::from_bytes(proof_bytes, params);
  if (!proof) return make_error(proof.error());
  const FoldBatch fb = fold_batch(*groups, params);
  const size_t folded = fb.polys.empty() ? 0 : 1;
  size_t clear_groups = 0;
  for (const Group& g : *groups) clear_groups += is_clear(g, params);
  if (proof->groups.size() != folded + clear_groups)
    return make_error("pcs: proof has " + std::to_string(proof->groups.size()) + " groups, expected " +
                      std::to_string(folded + clear_groups));
  absorb_statement(t, params, commitments, claims);
  size_t next = folded;
  for (const Group& g : *groups) {
    if (!is_clear(g, params)) continue;
    const GroupProof& gp = proof->groups[next++];
    if (gp.kind != GroupKind::Clear || gp.num_vars != g.num_vars || gp.num_polys != g.polys.size())
      return make_error("pcs: proof group " + std::to_string(next - 1) + " has the wrong shape");
    ZK_TRY(verify_clear_group(g, gp, commitments, params));
    for (const auto& tb : gp.tables) t.absorb("pcs.clear_table", std::span<const Fp>(tb));
  }
  if (fb.polys.empty()) return Status{};
  if (proof->groups[0].kind != GroupKind::Fold) return make_error("pcs: proof group 0 has the wrong shape");
  // Soundness: the folding run's error at the real sizes (Params::batch_error_terms);
  // tables in clear are checked exactly.
  const uint64_t before = t.field_challenges();
  ZK_TRY(verify_fold_batch(fb, proof->groups[0], commitments, *joints, t, params));
  transcript::charge(t, transcript::SoundnessLedger::Check::Pcs,
                     params.batch_error_terms(fb.sizes(), fb.max_points).total(), t.field_challenges() - before);
  return Status{};
}

Result<util::Bytes> open(const CommittedPoly& poly, std::span<const Claim> claims,
                         transcript::Transcript& t, const Params& params) {
  const CommittedPoly* one[] = {&poly};
  return open_batch(one, claims, t, params);
}

Status verify(const Commitment& commitment, std::span<const Claim> claims,
              std::span<const uint8_t> proof, transcript::Transcript& t, const Params& params) {
  return verify_batch(std::span<const Commitment>(&commitment, 1), claims, proof, t, params);
}

}  // namespace zks::pcs
