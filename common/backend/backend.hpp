#pragma once
// The compute backend (DESIGN.md section 3, "Backends"; STYLE.md: ggml's small op
// table). The CPU backend is always built and is the reference; the CUDA backend is
// compiled when nvcc is found and selected at run time when a GPU is present.
// Ops are added here as the prover moves onto the GPU (issue 10); every op has a
// CPU-vs-CUDA parity test.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "field/ext2.hpp"
#include "util/result.hpp"

namespace zks::backend {

namespace cuda_ops {
struct SumcheckSession;
struct DeviceCommit;
}

enum class Kind { Cpu, Cuda };

struct GpuInfo {
  int index = 0;
  std::string name;
  size_t memory_bytes = 0;
  int sm_major = 0, sm_minor = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Kind kind() const = 0;
  virtual std::string name() const = 0;
  // out[i] = a[i] * b[i]; the first op, a smoke test that device field code matches.
  virtual void mul(std::span<const field::Fp> a, std::span<const field::Fp> b,
                   std::span<field::Fp> out) = 0;
};

// The CPU backend (always available).
Backend& cpu();
// GPUs visible to this process; empty when CUDA was not compiled in or no driver/GPU.
std::vector<GpuInfo> gpus();
// Live utilisation (0..1) and memory in use of GPU `index`, read through NVML loaded at
// run time (libnvidia-ml.so.1, shipped with the driver; never linked, so the binary
// starts where there is none). nullopt without a driver or on any NVML error.
struct GpuUsage {
  double utilization = 0;
  size_t memory_used_bytes = 0;
};
std::optional<GpuUsage> gpu_usage(int index);
// Whether this binary was built with the CUDA backend.
bool cuda_compiled();
// The CUDA backend on GPU 0, or nullptr when none is available.
Backend* cuda();
// The backend to use: CUDA when a GPU is present and prefer_gpu, else CPU. Logs the
// choice (and the reason for a CPU fallback) once per process.
Backend& select(bool prefer_gpu = true);

// GPU versions of the prover's hot operations (issue 10). The single ops work on host
// memory (each call uploads, runs and downloads); sumcheck sessions and commitments keep
// their tables on the device between calls (the prover's routes: sumcheck::use_gpu,
// pcs::gpu_commitments). Each equals the CPU code named beside it byte for byte:
// tests/unit/backend/gpu_parity_test.cpp checks every one on random inputs where a GPU
// is present (and tests/gpu/emulate.sh on an emulated one). Errors (CUDA failures, bad
// shapes) come back as values.
class Gpu {
 public:
  using Fp = field::Fp;
  using Fp2 = field::Fp2;
  using Digest = std::array<uint8_t, 32>;
  explicit Gpu(int device) : m_device(device) {}
  int device() const { return m_device; }

  // pcs::ntt_dif on each of the data.size() / n vectors of n = 2^k values, in place.
  Status ntt_dif(std::span<Fp> data, size_t n);
  // pcs::detail::rs_encode.
  Result<std::vector<Fp>> rs_encode(std::span<const Fp> coeffs, unsigned log_blowup);
  // hash::MerkleTree::from_rows: 2 * rows digests, node 1 the root, the leaves from
  // node `rows` on (rows = data.size() / leaf_width, a power of two), node 0 zero.
  Result<std::vector<Digest>> merkle_tree(std::span<const Fp> data, size_t leaf_width);
  Result<std::vector<Digest>> merkle_tree(std::span<const Fp2> data, size_t leaf_width);
  // poly::fold.
  Result<std::vector<Fp2>> fold(std::span<const Fp> f, const Fp2& r);
  Result<std::vector<Fp2>> fold(std::span<const Fp2> f, const Fp2& r);
  // poly::evaluate.
  Result<Fp2> evaluate(std::span<const Fp> f, std::span<const Fp2> point);
  // One layer of a LogUp-GKR fraction tree from its children (lookup's build_tree).
  Status fraction_layer(std::span<const Fp2> p, std::span<const Fp2> q, std::vector<Fp2>& p_out,
                        std::vector<Fp2>& q_out);
  // sumcheck::Prover's round sums l(0..L) for a product of the tables (at most 8) with
  // eq weights (empty: none); l(1) is left zero when skip_one.
  Result<std::vector<Fp2>> product_round(const std::vector<std::span<const Fp2>>& tables,
                                         std::span<const Fp2> weights, unsigned L, bool skip_one);
  // A sumcheck held on the device from its first round to its last (sumcheck::Prover's
  // rounds): the tables and eq weights are uploaded once, each round folds the previous
  // challenge into the tables in the same pass that computes the round's sums, and only
  // the round's L + 1 values and the challenge cross between host and device.
  class Sumcheck {
   public:
    ~Sumcheck();
    Sumcheck(const Sumcheck&) = delete;
    Sumcheck& operator=(const Sumcheck&) = delete;
    // l(0..L) of this round (sumcheck::RoundOracle::evaluate); l(1) is left zero when
    // skip_one.
    Result<std::vector<Fp2>> round(unsigned L, bool skip_one);
    // Binds the current variable to r.
    Status bind(const Fp2& r);
    // Factor j's table with every challenge so far folded in.
    Result<std::vector<Fp2>> table(unsigned j);

   private:
    friend class Gpu;
    explicit Sumcheck(cuda_ops::SumcheckSession* s) : m_session(s) {}
    cuda_ops::SumcheckSession* m_session;
  };
  static constexpr unsigned kSumcheckMaxFactors = 8, kSumcheckMaxTerms = 8, kSumcheckMaxL = 8;
  using Table = std::variant<std::span<const Fp>, std::span<const Fp2>>;
  struct Term {
    Fp2 coeff;
    std::vector<unsigned> factors;
  };
  // Opens a session on tables of 2^k entries (k >= 1) with eq weights (2^(k-1) of them,
  // empty for none) for sum_t coeff_t prod f_j (terms empty: the product of every table).
  Result<std::unique_ptr<Sumcheck>> sumcheck(std::span<const Table> tables, std::span<const Fp2> weights,
                                             std::span<const Term> terms);
  // GPU calls that failed in this process: sumcheck sessions that did not open, session
  // calls, device commitments and their reads. The callers in the prover redo each
  // one's work on the CPU. The self-checks and the parity tests require it unchanged, so
  // a GPU path that always fails cannot pass them on the CPU's replay.
  static size_t failures();
  // Those calls made so far (failed or not), and for tests: make call number n (counted
  // as calls() counts) fail without running, so every fallback path can be driven.
  static size_t calls();
  static void fail_call(size_t n);

  // A Basefold commitment made on the device and kept there (pcs::commit's encoding):
  // the evaluation table goes up once; its monomial coefficients
  // (pcs::detail::evals_to_coeffs), Reed-Solomon codeword (pcs::detail::rs_encode) and
  // Merkle tree (hash::MerkleTree::from_rows, rows of leaf_width values) are computed
  // and stay in device memory as long as this object; the root comes back at once, rows
  // and tree nodes only when a proof opens them. Made without a tree (a joint
  // commitment's member), its root is zero and it has no nodes.
  class Codeword {
   public:
    ~Codeword();
    Codeword(const Codeword&) = delete;
    Codeword& operator=(const Codeword&) = delete;
    const Digest& root() const { return m_root; }
    size_t rows() const { return m_rows; }
    bool has_tree() const { return m_tree; }
    size_t device_bytes() const;
    // Rows index[i] (leaf_width values each, the row's values one after the other), in
    // that order; F is the committed field (Fp or Fp2).
    template <typename F>
    Result<std::vector<F>> rows(std::span<const size_t> index) const;
    // Tree nodes at heap positions index[i] (node 1 the root, the leaves from rows() on).
    Result<std::vector<Digest>> nodes(std::span<const size_t> index) const;
    // Makes this tree a joint commitment's (hash::MerkleTree::from_leaves(leaves,
    // joined)): its leaves stay, the levels above are hashed again with each join's rows
    // joined at its height, in order, and root() becomes the joint root. A join's rows
    // are another base-field codeword's on the device (rows() >> height rows, made
    // without a tree) or in host memory (row_values values a row).
    struct Join {
      unsigned height = 0;
      const Codeword* member = nullptr;  // or
      std::span<const Fp> host_rows;
      size_t row_values = 0;
    };
    Status join(std::span<const Join> joins);

   private:
    friend class Gpu;
    Codeword(cuda_ops::DeviceCommit* c, const Digest& root, size_t rows, size_t leaf_width, bool fp2, bool tree)
        : m_commit(c), m_root(root), m_rows(rows), m_leaf_width(leaf_width), m_fp2(fp2), m_tree(tree) {}
    cuda_ops::DeviceCommit* m_commit;
    Digest m_root;
    size_t m_rows, m_leaf_width;
    bool m_fp2, m_tree;
  };
  Result<std::unique_ptr<Codeword>> commit(std::span<const Fp> evals, unsigned log_blowup, size_t leaf_width,
                                           bool tree = true);
  // Over F_p^2, each coordinate encoded on its own (as the CPU does).
  Result<std::unique_ptr<Codeword>> commit(std::span<const Fp2> evals, unsigned log_blowup, size_t leaf_width,
                                           bool tree = true);

  // Device-resident timing of one op (see cuda_ops::time_op): median milliseconds and
  // the fewest bytes the op must move.
  struct Timing {
    double ms = 0, bytes = 0;
  };
  Result<Timing> time(const std::string& op, unsigned log_n, unsigned arg, int reps);

 private:
  template <typename F>
  Result<std::unique_ptr<Codeword>> commit_impl(std::span<const F> evals, unsigned log_blowup, size_t leaf_width,
                                                bool tree);
  int m_device;
};

// The GPU ops on GPU 0, or nullptr without a GPU (or without CUDA compiled in), or when
// the GPU was switched off for this process (set_gpu_enabled(false): `--no-gpu`, tests).
Gpu* gpu();
void set_gpu_enabled(bool enabled);

}  // namespace zks::backend
