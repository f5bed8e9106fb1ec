#include "backend/backend.hpp"

#include <atomic>
#include <mutex>
#include <type_traits>

#include "util/assert.hpp"
#if defined(ZKS_HAVE_CUDA)
#include "backend/cuda/cuda_ops.hpp"
#endif
#include "util/log.hpp"
#include "util/thread_pool.hpp"

namespace zks::backend {

namespace {
class CpuBackend final : public Backend {
 public:
  Kind kind() const override { return Kind::Cpu; }
  std::string name() const override { return "cpu"; }
  void mul(std::span<const field::Fp> a, std::span<const field::Fp> b,
           std::span<field::Fp> out) override {
    ZK_ASSERT(a.size() == b.size() && a.size() == out.size());
    util::ThreadPool::global().parallel_for(a.size(), [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) out[i] = a[i] * b[i];
    });
  }
};
}  // namespace

Backend& cpu() {
  static CpuBackend b;
  return b;
}

#if defined(ZKS_HAVE_CUDA)
namespace {
class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(GpuInfo info) : m_info(std::move(info)) {}
  Kind kind() const override { return Kind::Cuda; }
  std::string name() const override {
    return "cuda:" + std::to_string(m_info.index) + " (" + m_info.name + ")";
  }
  void mul(std::span<const field::Fp> a, std::span<const field::Fp> b,
           std::span<field::Fp> out) override {
    ZK_ASSERT(a.size() == b.size() && a.size() == out.size());
    // Fp is a single canonical u64 (standard layout), so spans reinterpret as u64.
    static_assert(sizeof(field::Fp) == sizeof(uint64_t));
    const char* err = cuda_ops::mul(m_info.index, reinterpret_cast<const uint64_t*>(a.data()),
                                    reinterpret_cast<const uint64_t*>(b.data()),
                                    reinterpret_cast<uint64_t*>(out.data()), a.size());
    ZK_ASSERT_MSG(err == nullptr, err);
  }

 private:
  GpuInfo m_info;
};
}  // namespace

bool cuda_compiled() { return true; }

std::vector<GpuInfo> gpus() {
  static std::once_flag once;
  static std::vector<GpuInfo> found;
  std::call_once(once, [] {
    const char* why = nullptr;
    int count = cuda_ops::device_count(&why);
    if (count == 0) ZKS_LOG_DEBUG("backend", "no GPU: {}", why ? why : "unknown");
    for (int i = 0; i < count; ++i) {
      cuda_ops::DeviceProps p{};
      if (cuda_ops::device_props(i, &p))
        found.push_back({i, p.name, p.memory_bytes, p.sm_major, p.sm_minor});
    }
  });
  return found;
}

Backend* cuda() {
  static std::once_flag once;
  static std::unique_ptr<CudaBackend> backend;
  std::call_once(once, [] {
    auto g = gpus();
    if (!g.empty()) backend = std::make_unique<CudaBackend>(g.front());
  });
  return backend.get();
}

namespace {
static_assert(sizeof(field::Fp) == 8 && sizeof(field::Fp2) == 16, "field values are moved as u64 words");
const uint64_t* words(const field::Fp* p) { return reinterpret_cast<const uint64_t*>(p); }
uint64_t* words(field::Fp* p) { return reinterpret_cast<uint64_t*>(p); }
const uint64_t* words(const field::Fp2* p) { return reinterpret_cast<const uint64_t*>(p); }
uint64_t* words(field::Fp2* p) { return reinterpret_cast<uint64_t*>(p); }
bool pow2(size_t n) { return n >= 1 && (n & (n - 1)) == 0; }
Status cuda_status(const char* err, const char* op) {
  if (!err) return {};
  return make_error(std::string("cuda ") + op + ": " + err);
}
template <typename F>
Result<std::vector<Gpu::Digest>> merkle_impl(int device, std::span<const F> data, size_t leaf_width) {
  if (leaf_width == 0 || data.size() % leaf_width != 0 || !pow2(data.size() / leaf_width))
    return make_error("merkle_tree: the rows must be a power of two of equal width");
  const size_t rows = data.size() / leaf_width;
  std::vector<Gpu::Digest> nodes(2 * rows);
  ZK_TRY(cuda_status(cuda_ops::merkle_tree(device, words(data.data()), leaf_width * sizeof(F) / 8, rows,
                                           reinterpret_cast<uint8_t*>(nodes.data())),
                     "merkle_tree"));
  return nodes;
}
}  // namespace

Status Gpu::ntt_dif(std::span<Fp> data, size_t n) {
  if (!pow2(n) || data.size() % n != 0) return make_error("ntt_dif: vectors of 2^k values expected");
  return cuda_status(cuda_ops::ntt_dif(m_device, words(data.data()), n, data.size() / n), "ntt_dif");
}

Result<std::vector<field::Fp>> Gpu::rs_encode(std::span<const Fp> coeffs, unsigned log_blowup) {
  if (!pow2(coeffs.size()) || log_blowup > 6 || (coeffs.size() << log_blowup) > (size_t(1) << 32))
    return make_error("rs_encode: 2^k coefficients, blowup at most 2^6, codewords of at most 2^32 values");
  std::vector<Fp> out(coeffs.size() << log_blowup);
  ZK_TRY(cuda_status(cuda_ops::rs_encode(m_device, words(coeffs.data()), coeffs.size(), log_blowup, words(out.data())),
                     "rs_encode"));
  return out;
}

Result<std::vector<Gpu::Digest>> Gpu::merkle_tree(std::span<const Fp> data, size_t leaf_width) {
  return merkle_impl(m_device, data, leaf_width);
}
Result<std::vector<Gpu::Digest>> Gpu::merkle_tree(std::span<const Fp2> data, size_t leaf_width) {
  return merkle_impl(m_device, data, leaf_width);
}

Result<std::vector<field::Fp2>> Gpu::fold(std::span<const Fp> f, const Fp2& r) {
  if (!pow2(f.size()) || f.size() < 2) return make_error("fold: 2^k entries, k >= 1");
  std::vector<Fp2> out(f.size() / 2);
  ZK_TRY(cuda_status(cuda_ops::fold(m_device, words(f.data()), true, f.size(), words(&r), words(out.data())), "fold"));
  return out;
}

Result<std::vector<field::Fp2>> Gpu::fold(std::span<const Fp2> f, const Fp2& r) {
  if (!pow2(f.size()) || f.size() < 2) return make_error("fold: 2^k entries, k >= 1");
  std::vector<Fp2> out(f.size() / 2);
  ZK_TRY(cuda_status(cuda_ops::fold(m_device, words(f.data()), false, f.size(), words(&r), words(out.data())), "fold"));
  return out;
}

Result<field::Fp2> Gpu::evaluate(std::span<const Fp> f, std::span<const Fp2> point) {
  if (point.size() >= 40 || f.size() != (size_t(1) << point.size()))
    return make_error("evaluate: the table must have 2^k entries for k coordinates");
  Fp2 out;
  ZK_TRY(cuda_status(cuda_ops::mle_evaluate(m_device, words(f.data()), f.size(), words(point.data()), point.size(),
                                            words(&out)),
                     "evaluate"));
  return out;
}

Status Gpu::fraction_layer(std::span<const Fp2> p, std::span<const Fp2> q, std::vector<Fp2>& p_out,
                           std::vector<Fp2>& q_out) {
  if (p.size() != q.size() || !pow2(p.size()) || p.size() < 2) return make_error("fraction_layer: 2^k children, k >= 1");
  p_out.assign(p.size() / 2, Fp2::zero());
  q_out.assign(p.size() / 2, Fp2::zero());
  return cuda_status(
      cuda_ops::fraction_layer(m_device, words(p.data()), words(q.data()), p.size(), words(p_out.data()), words(q_out.data())),
      "fraction_layer");
}

Result<std::vector<field::Fp2>> Gpu::product_round(const std::vector<std::span<const Fp2>>& tables,
                                                   std::span<const Fp2> weights, unsigned L, bool skip_one) {
  if (tables.empty() || tables.size() > 8 || L > 8) return make_error("product_round: 1 to 8 tables, L at most 8");
  const size_t n = tables[0].size();
  for (const auto& t : tables)
    if (t.size() != n || !pow2(n) || n < 2) return make_error("product_round: tables of equal size 2^k, k >= 1");
  if (!weights.empty() && weights.size() != n / 2) return make_error("product_round: one weight per pair");
  std::vector<const uint64_t*> ptrs;
  for (const auto& t : tables) ptrs.push_back(words(t.data()));
  std::vector<Fp2> out(L + 1);
  ZK_TRY(cuda_status(cuda_ops::product_round(m_device, ptrs.data(), unsigned(tables.size()), n,
                                             weights.empty() ? nullptr : words(weights.data()), L, skip_one,
                                             words(out.data())),
                     "product_round"));
  return out;
}

namespace {
std::atomic<size_t> g_calls{0}, g_failures{0}, g_fail_at{SIZE_MAX};
// Runs a GPU call whose failure the prover redoes on the CPU (call() returns null or
// the CUDA error), counting it and its failure; the call fail_call() names fails
// without running.
template <typename Call>
Status counted(const char* op, Call&& call) {
  const char* err = g_calls++ == g_fail_at ? "failure injected by Gpu::fail_call" : call();
  if (err) ++g_failures;
  return cuda_status(err, op);
}
}  // namespace

size_t Gpu::failures() { return g_failures; }
size_t Gpu::calls() { return g_calls; }
void Gpu::fail_call(size_t n) { g_fail_at = n; }

Result<std::unique_ptr<Gpu::Sumcheck>> Gpu::sumcheck(std::span<const Table> tables, std::span<const Fp2> weights,
                                                      std::span<const Term> terms) {
  if (tables.empty() || tables.size() > kSumcheckMaxFactors || terms.size() > kSumcheckMaxTerms)
    return make_error("sumcheck: 1 to 8 tables and at most 8 terms");
  const size_t n = std::visit([](auto t) { return t.size(); }, tables[0]);
  std::vector<const uint64_t*> ptrs;
  uint32_t base_mask = 0;
  for (size_t j = 0; j < tables.size(); ++j) {
    if (std::visit([](auto t) { return t.size(); }, tables[j]) != n) return make_error("sumcheck: tables of different sizes");
    if (const auto* b = std::get_if<std::span<const Fp>>(&tables[j])) {
      ptrs.push_back(words(b->data()));
      base_mask |= 1u << j;
    } else {
      ptrs.push_back(words(std::get<std::span<const Fp2>>(tables[j]).data()));
    }
  }
  if (!pow2(n) || n < 2) return make_error("sumcheck: tables of 2^k entries, k >= 1");
  if (!weights.empty() && weights.size() != n / 2) return make_error("sumcheck: one eq weight per pair");
  std::vector<uint64_t> coeffs;
  std::vector<unsigned> sizes, factors;
  for (const auto& t : terms) {
    coeffs.push_back(t.coeff.c0().value());
    coeffs.push_back(t.coeff.c1().value());
    sizes.push_back(static_cast<unsigned>(t.factors.size()));
    factors.insert(factors.end(), t.factors.begin(), t.factors.end());
  }
  cuda_ops::SumcheckSession* s = nullptr;
  ZK_TRY(counted("sumcheck", [&] {
    return cuda_ops::sumcheck_open(m_device, ptrs.data(), base_mask, unsigned(ptrs.size()), n,
                                   weights.empty() ? nullptr : words(weights.data()), unsigned(terms.size()),
                                   coeffs.data(), sizes.data(), factors.data(), &s);
  }));
  return std::unique_ptr<Sumcheck>(new Sumcheck(s));
}

Gpu::Sumcheck::~Sumcheck() { cuda_ops::sumcheck_close(m_session); }

Result<std::vector<field::Fp2>> Gpu::Sumcheck::round(unsigned L, bool skip_one) {
  if (L > kSumcheckMaxL) return make_error("sumcheck round: L at most 8");
  std::vector<Fp2> l(L + 1);
  ZK_TRY(counted("sumcheck round", [&] { return cuda_ops::sumcheck_round(m_session, L, skip_one, words(l.data())); }));
  return l;
}

Status Gpu::Sumcheck::bind(const Fp2& r) {
  const uint64_t w[2] = {r.c0().value(), r.c1().value()};
  return counted("sumcheck bind", [&] { return cuda_ops::sumcheck_bind(m_session, w); });
}

Result<std::vector<field::Fp2>> Gpu::Sumcheck::table(unsigned j) {
  std::vector<Fp2> out(cuda_ops::sumcheck_entries(m_session));
  ZK_TRY(counted("sumcheck table", [&] { return cuda_ops::sumcheck_table(m_session, j, words(out.data())); }));
  return out;
}

template <typename F>
Result<std::unique_ptr<Gpu::Codeword>> Gpu::commit_impl(std::span<const F> evals, unsigned log_blowup,
                                                        size_t leaf_width, bool tree) {
  const size_t len = evals.size() << log_blowup;
  if (!pow2(evals.size()) || log_blowup > 6 || len > (size_t(1) << 32) || leaf_width == 0 || len % leaf_width != 0)
    return make_error("commit: 2^k values, blowup at most 2^6, codewords of at most 2^32 values, 2^j rows");
  constexpr bool fp2 = std::is_same_v<F, field::Fp2>;
  cuda_ops::DeviceCommit* c = nullptr;
  Gpu::Digest root{};
  ZK_TRY(counted("commit", [&] {
    return cuda_ops::commit(m_device, words(evals.data()), evals.size(), fp2, log_blowup, leaf_width, tree, root.data(),
                            &c);
  }));
  return std::unique_ptr<Codeword>(new Codeword(c, root, len / leaf_width, leaf_width, fp2, tree));
}

namespace {
std::vector<uint64_t> to_words(std::span<const size_t> index) { return {index.begin(), index.end()}; }
}  // namespace

Result<std::unique_ptr<Gpu::Codeword>> Gpu::commit(std::span<const Fp> evals, unsigned log_blowup, size_t leaf_width,
                                                   bool tree) {
  return commit_impl(evals, log_blowup, leaf_width, tree);
}

Result<std::unique_ptr<Gpu::Codeword>> Gpu::commit(std::span<const Fp2> evals, unsigned log_blowup, size_t leaf_width,
                                                   bool tree) {
  return commit_impl(evals, log_blowup, leaf_width, tree);
}

Status Gpu::Codeword::join(std::span<const Join> joins) {
  if (!m_tree) return make_error("commit join: the codeword has no tree to join into");
  std::vector<cuda_ops::JoinPart> parts;
  for (const auto& j : joins) {
    const size_t rows = j.height < 64 ? m_rows >> j.height : 0;
    if (rows == 0 || (rows << j.height) != m_rows) return make_error("commit join: height " + std::to_string(j.height) + " is above the tree");
    if (j.member) {
      if (j.member->m_fp2 || j.member->m_rows != rows)
        return make_error("commit join: a member of " + std::to_string(j.member->m_rows) + " rows at height " +
                          std::to_string(j.height) + " of a tree of " + std::to_string(m_rows) + " leaves");
      parts.push_back({j.member->m_commit, nullptr, j.member->m_leaf_width, j.height});
    } else {
      if (j.row_values == 0 || j.host_rows.size() != rows * j.row_values)
        return make_error("commit join: host rows do not fit height " + std::to_string(j.height));
      parts.push_back({nullptr, words(j.host_rows.data()), j.row_values, j.height});
    }
  }
  ZK_TRY(counted("commit join", [&] { return cuda_ops::commit_join(m_commit, parts.data(), parts.size(), m_root.data()); }));
  return Status{};
}

Gpu::Codeword::~Codeword() { cuda_ops::commit_free(m_commit); }

size_t Gpu::Codeword::device_bytes() const { return cuda_ops::commit_device_bytes(m_commit); }

template <typename F>
Result<std::vector<F>> Gpu::Codeword::rows(std::span<const size_t> index) const {
  if (m_fp2 != std::is_same_v<F, field::Fp2>) return make_error("commit rows: read in the other field");
  for (size_t i : index)
    if (i >= m_rows) return make_error("commit rows: row " + std::to_string(i) + " of " + std::to_string(m_rows));
  std::vector<F> out(index.size() * m_leaf_width);
  const auto idx = to_words(index);
  ZK_TRY(counted("commit rows", [&] { return cuda_ops::commit_rows(m_commit, idx.data(), idx.size(), words(out.data())); }));
  return out;
}
template Result<std::vector<field::Fp>> Gpu::Codeword::rows<field::Fp>(std::span<const size_t>) const;
template Result<std::vector<field::Fp2>> Gpu::Codeword::rows<field::Fp2>(std::span<const size_t>) const;

Result<std::vector<Gpu::Digest>> Gpu::Codeword::nodes(std::span<const size_t> index) const {
  if (!m_tree) return make_error("commit nodes: the codeword has no tree");
  for (size_t i : index)
    if (i == 0 || i >= 2 * m_rows)
      return make_error("commit nodes: node " + std::to_string(i) + " of a tree of " + std::to_string(m_rows) + " leaves");
  std::vector<Digest> out(index.size());
  const auto idx = to_words(index);
  ZK_TRY(counted("commit nodes", [&] {
    return cuda_ops::commit_nodes(m_commit, idx.data(), idx.size(), reinterpret_cast<uint8_t*>(out.data()));
  }));
  return out;
}

Result<Gpu::Timing> Gpu::time(const std::string& op, unsigned log_n, unsigned arg, int reps) {
  Timing t;
  ZK_TRY(cuda_status(cuda_ops::time_op(m_device, op.c_str(), log_n, arg, reps, &t.ms, &t.bytes), "time"));
  return t;
}

namespace {
std::atomic<bool> g_gpu_enabled{true};
}  // namespace

void set_gpu_enabled(bool enabled) { g_gpu_enabled = enabled; }

Gpu* gpu() {
  static std::once_flag once;
  static std::unique_ptr<Gpu> g;
  std::call_once(once, [] {
    auto found = gpus();
    if (!found.empty()) g = std::make_unique<Gpu>(found.front().index);
  });
  return g_gpu_enabled ? g.get() : nullptr;
}
#else
std::vector<GpuInfo> gpus() { return {}; }
bool cuda_compiled() { return false; }
Backend* cuda() { return nullptr; }
Gpu* gpu() { return nullptr; }
void set_gpu_enabled(bool) {}

// Without CUDA there is no Gpu object to call these on (gpu() is null); they exist so
// callers compile the same everywhere.
namespace {
Error no_cuda() { return make_error("built without CUDA"); }
}  // namespace
Status Gpu::ntt_dif(std::span<Fp>, size_t) { return no_cuda(); }
Result<std::vector<field::Fp>> Gpu::rs_encode(std::span<const Fp>, unsigned) { return no_cuda(); }
Result<std::vector<Gpu::Digest>> Gpu::merkle_tree(std::span<const Fp>, size_t) { return no_cuda(); }
Result<std::vector<Gpu::Digest>> Gpu::merkle_tree(std::span<const Fp2>, size_t) { return no_cuda(); }
Result<std::vector<field::Fp2>> Gpu::fold(std::span<const Fp>, const Fp2&) { return no_cuda(); }
Result<std::vector<field::Fp2>> Gpu::fold(std::span<const Fp2>, const Fp2&) { return no_cuda(); }
Result<field::Fp2> Gpu::evaluate(std::span<const Fp>, std::span<const Fp2>) { return no_cuda(); }
Status Gpu::fraction_layer(std::span<const Fp2>, std::span<const Fp2>, std::vector<Fp2>&, std::vector<Fp2>&) {
  return no_cuda();
}
Result<std::vector<field::Fp2>> Gpu::product_round(const std::vector<std::span<const Fp2>>&, std::span<const Fp2>,
                                                   unsigned, bool) {
  return no_cuda();
}
Result<std::unique_ptr<Gpu::Sumcheck>> Gpu::sumcheck(std::span<const Table>, std::span<const Fp2>,
                                                      std::span<const Term>) {
  return no_cuda();
}
Gpu::Sumcheck::~Sumcheck() = default;
Result<std::vector<field::Fp2>> Gpu::Sumcheck::round(unsigned, bool) { return no_cuda(); }
Status Gpu::Sumcheck::bind(const Fp2&) { return no_cuda(); }
Result<std::vector<field::Fp2>> Gpu::Sumcheck::table(unsigned) { return no_cuda(); }
size_t Gpu::failures() { return 0; }
size_t Gpu::calls() { return 0; }
void Gpu::fail_call(size_t) {}
Result<std::unique_ptr<Gpu::Codeword>> Gpu::commit(std::span<const Fp>, unsigned, size_t, bool) { return no_cuda(); }
Result<std::unique_ptr<Gpu::Codeword>> Gpu::commit(std::span<const Fp2>, unsigned, size_t, bool) { return no_cuda(); }
Status Gpu::Codeword::join(std::span<const Join>) { return no_cuda(); }
Gpu::Codeword::~Codeword() = default;
size_t Gpu::Codeword::device_bytes() const { return 0; }
template <typename F>
Result<std::vector<F>> Gpu::Codeword::rows(std::span<const size_t>) const {
  return no_cuda();
}
template Result<std::vector<field::Fp>> Gpu::Codeword::rows<field::Fp>(std::span<const size_t>) const;
template Result<std::vector<field::Fp2>> Gpu::Codeword::rows<field::Fp2>(std::span<const size_t>) const;
Result<std::vector<Gpu::Digest>> Gpu::Codeword::nodes(std::span<const size_t>) const { return no_cuda(); }
Result<Gpu::Timing> Gpu::time(const std::string&, unsigned, unsigned, int) { return no_cuda(); }
#endif

Backend& select(bool prefer_gpu) {
  static std::once_flag logged;
  Backend* chosen = &cpu();
  std::string why;
  if (!prefer_gpu) {
    why = "GPU not requested";
  } else if (!cuda_compiled()) {
    why = "built without CUDA";
  } else if (Backend* g = cuda()) {
    chosen = g;
  } else {
    why = "no CUDA device or driver";
  }
  std::call_once(logged, [&] {
    if (chosen->kind() == Kind::Cuda)
      ZKS_LOG_INFO("backend", "using {}", chosen->name());
    else
      ZKS_LOG_INFO("backend", "using CPU backend ({})", why);
  });
  return *chosen;
}

}  // namespace zks::backend
