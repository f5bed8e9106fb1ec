// `zkslice selftest`: proves and verifies a random sumcheck instance end to end and
// prints timings. The most complete path there is until the slice prover lands.
#include <chrono>
#include <random>

#include <fmt/core.h>

#include "backend/backend.hpp"
#include "cli/commands.hpp"
#include "sumcheck/sumcheck.hpp"
#include "util/thread_pool.hpp"

namespace zks::cli {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int run_selftest(unsigned log_size, unsigned degree, uint64_t seed) {
  using field::Fp;
  auto& backend = backend::select(true);
  fmt::print("zkslice selftest: backend {}, {} threads\n", backend.name(),
             util::ThreadPool::global().size());
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Fp>> tables(degree, std::vector<Fp>(size_t(1) << log_size));
  for (auto& t : tables)
    for (auto& x : t) x = Fp(rng());
  sumcheck::Instance inst;
  for (auto& t : tables) inst.factors.push_back(std::span<const Fp>(t));
  for (unsigned i = 0; i < log_size; ++i) inst.eq_point.push_back(field::Fp2(Fp(rng()), Fp(rng())));

  auto t0 = std::chrono::steady_clock::now();
  transcript::Transcript tp("zkslice-selftest");
  auto out = sumcheck::prove(inst, tp);
  double prove_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  transcript::Transcript tv("zkslice-selftest");
  auto sub = sumcheck::verify(out.claimed_sum, log_size, inst.degree(), out.proof, tv);
  Status st = sub.ok() ? sumcheck::check_final(*sub, out.factor_evals, inst.eq_point)
                       : Status(make_error(sub.error()));
  double verify_ms = ms_since(t0);

  util::ByteWriter w;
  out.proof.write(w);
  fmt::print("sumcheck: 2^{} elements, {} factors x eq (degree {}): prove {:.1f} ms, verify {:.3f} ms, "
             "proof {} bytes: {}\n",
             log_size, degree, inst.degree(), prove_ms, verify_ms, w.bytes().size(),
             st.ok() ? "VALID" : "INVALID (" + st.error() + ")");
  // The same proof must fail against a false claim.
  transcript::Transcript tf("zkslice-selftest");
  auto forged = sumcheck::verify(out.claimed_sum + field::Fp2::one(), log_size, inst.degree(), out.proof, tf);
  bool rejected = !forged.ok() || !sumcheck::check_final(*forged, out.factor_evals, inst.eq_point).ok();
  fmt::print("false claim: {}\n", rejected ? "rejected (as it must be)" : "ACCEPTED (soundness bug)");
  return st.ok() && rejected ? 0 : 1;
}
}  // namespace

void register_selftest(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("selftest", "Prove and verify a random sumcheck instance");
  static unsigned log_size = 18, degree = 2;
  static uint64_t seed = 1;
  cmd->add_option("--log-size", log_size, "log2 of the table size")->check(CLI::Range(1, 26));
  cmd->add_option("--degree", degree, "number of multiplied MLEs")->check(CLI::Range(1, 7));
  cmd->add_option("--seed", seed, "random seed");
  cmd->callback([&ctx] { ctx.exit_code = run_selftest(log_size, degree, seed); });
}

}  // namespace zks::cli
