// `zkslice selftest`: the proof core end to end on random data. The prover commits to
// d random tables with Basefold, proves sum_x eq(z, x) prod_j f_j(x) by sumcheck, and
// opens the commitments at the sumcheck's point in one batch; the verifier checks the
// sumcheck, the final evaluation against the opened values, and the opening. Then a
// false claim must be rejected. The most complete path there is until the slice
// prover lands.
#include <chrono>
#include <random>

#include <fmt/core.h>

#include "backend/backend.hpp"
#include "cli/commands.hpp"
#include "pcs/basefold.hpp"
#include "sumcheck/sumcheck.hpp"
#include "util/thread_pool.hpp"

namespace zks::cli {

namespace {
using field::Fp;
using field::Fp2;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

struct Proved {
  std::vector<pcs::Commitment> commitments;
  Fp2 claimed_sum;
  sumcheck::Proof sumcheck;
  std::vector<Fp2> factor_evals;
  util::Bytes opening;
};

void absorb_commitments(transcript::Transcript& t, const std::vector<pcs::Commitment>& cs) {
  for (const auto& c : cs) t.absorb("selftest.commitment", c.root);
}

Result<Proved> prove(const std::vector<std::vector<Fp>>& tables, const std::vector<Fp2>& z,
                     const pcs::Params& params) {
  Proved out;
  std::vector<pcs::CommittedPoly> committed;
  for (const auto& tb : tables) {
    auto c = pcs::commit(tb, params);
    if (!c.ok()) return make_error(c.error());
    out.commitments.push_back(c->commitment());
    committed.push_back(std::move(c).value());
  }
  transcript::Transcript t("zkslice-selftest");
  absorb_commitments(t, out.commitments);
  sumcheck::Instance inst;
  for (const auto& tb : tables) inst.factors.push_back(std::span<const Fp>(tb));
  inst.eq_point = z;
  auto sc = sumcheck::prove(inst, t);
  out.claimed_sum = sc.claimed_sum;
  out.sumcheck = std::move(sc.proof);
  out.factor_evals = sc.factor_evals;
  std::vector<pcs::Claim> claims;
  std::vector<const pcs::CommittedPoly*> polys;
  for (size_t j = 0; j < committed.size(); ++j) {
    claims.push_back({j, sc.point, sc.factor_evals[j]});
    polys.push_back(&committed[j]);
  }
  auto opening = pcs::open_batch(polys, claims, t, params);
  if (!opening.ok()) return make_error(opening.error());
  out.opening = std::move(opening).value();
  return out;
}

Status verify(const Proved& p, unsigned log_size, const std::vector<Fp2>& z, const pcs::Params& params) {
  transcript::Transcript t("zkslice-selftest");
  absorb_commitments(t, p.commitments);
  unsigned degree = static_cast<unsigned>(p.commitments.size()) + 1;
  auto sub = sumcheck::verify(p.claimed_sum, log_size, degree, p.sumcheck, t);
  if (!sub.ok()) return make_error(sub.error());
  ZK_TRY(sumcheck::check_final(*sub, p.factor_evals, z));
  std::vector<pcs::Claim> claims;
  for (size_t j = 0; j < p.commitments.size(); ++j) claims.push_back({j, sub->point, p.factor_evals[j]});
  return pcs::verify_batch(p.commitments, claims, p.opening, t, params);
}

int run_selftest(unsigned log_size, unsigned degree, uint64_t seed) {
  auto& backend = backend::select(true);
  fmt::print("zkslice selftest: backend {}, {} threads, commitments on the {}\n", backend.name(),
             util::ThreadPool::global().size(), pcs::gpu_commitments() ? "GPU" : "CPU");
  const pcs::Params params = pcs::Params::standard();
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Fp>> tables(degree, std::vector<Fp>(size_t(1) << log_size));
  for (auto& tb : tables)
    for (auto& x : tb) x = Fp(rng());
  std::vector<Fp2> z;
  for (unsigned i = 0; i < log_size; ++i) z.push_back(Fp2(Fp(rng()), Fp(rng())));

  auto t0 = std::chrono::steady_clock::now();
  auto proved = prove(tables, z, params);
  if (!proved.ok()) {
    fmt::print("prove failed: {}\n", proved.error());
    return 1;
  }
  double prove_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  Status st = verify(*proved, log_size, z, params);
  double verify_ms = ms_since(t0);
  util::ByteWriter w;
  proved->sumcheck.write(w);
  fmt::print("{} tables of 2^{} committed (Basefold, {:.1f} bits), sumcheck of eq x product (degree {}), "
             "batch opening:\n  prove {:.1f} ms, verify {:.2f} ms, proof {} bytes (sumcheck {} + opening {}): {}\n",
             degree, log_size, params.security_bits(), degree + 1, prove_ms, verify_ms,
             w.bytes().size() + proved->opening.size(), w.bytes().size(), proved->opening.size(),
             st.ok() ? "VALID" : "INVALID (" + st.error() + ")");

  // The same proof against a false claim, and with one opened value changed.
  Proved forged = *proved;
  forged.claimed_sum += Fp2::one();
  Status f1 = verify(forged, log_size, z, params);
  forged = *proved;
  forged.factor_evals[0] += Fp2::one();
  Status f2 = verify(forged, log_size, z, params);
  bool rejected = !f1.ok() && !f2.ok();
  fmt::print("false claim: {}\nfalse opened value: {}\n", f1.ok() ? "ACCEPTED (soundness bug)" : "rejected: " + f1.error(),
             f2.ok() ? "ACCEPTED (soundness bug)" : "rejected: " + f2.error());
  return st.ok() && rejected ? 0 : 1;
}
}  // namespace

void register_selftest(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("selftest", "Commit, prove and verify a random sumcheck instance end to end");
  static unsigned log_size = 18, degree = 2;
  static uint64_t seed = 1;
  cmd->add_option("--log-size", log_size, "log2 of the table size")->check(CLI::Range(1, 22));
  cmd->add_option("--degree", degree, "number of multiplied MLEs")->check(CLI::Range(1, 7));
  cmd->add_option("--seed", seed, "random seed");
  cmd->callback([&ctx] { ctx.exit_code = run_selftest(log_size, degree, seed); });
}

}  // namespace zks::cli
