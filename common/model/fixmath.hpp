#pragma once
// Integer-exact nonlinear functions for lookup tables (DESIGN.md section 8, rule 9):
// every table entry is computed with integer arithmetic only (128-bit fixed point,
// Taylor / atanh series, integer square roots), so two machines always build the same
// table and its content hash is stable. Never libm.

#include <cstdint>
#include <string>
#include <vector>

namespace zks::model::fixmath {

using i128 = __int128;

// round(v / 2^sh) with ties up (floor((v + 2^(sh-1)) / 2^sh)); a left shift for sh <= 0.
i128 round_shift(i128 v, int sh);
// floor(sqrt(v)) for v >= 0.
i128 isqrt(i128 v);

struct FnSpec {
  std::string fn;      // Sigmoid, Tanh, Erf, Elu, Selu, Softplus, Softsign, HardSigmoid,
                       // HardSwish, Gelu, GeluTanh, Sqrt, Exp, Log, Reciprocal
  double alpha = 0;    // Elu / HardSigmoid / Selu parameters (exact dyadic doubles)
  double beta = 0;
  double gamma = 0;
};

bool is_table_fn(const std::string& fn);

// round(fn(q / 2^in_scale) * 2^out_scale), clamped to [lo, hi].
int64_t eval(const FnSpec& f, int64_t q, int in_scale, int out_scale, int64_t lo, int64_t hi);

}  // namespace zks::model::fixmath
