#include "model/fixmath.hpp"

#include <limits>

#include <cmath>

namespace zks::model::fixmath {

namespace {

constexpr int kQ = 60;
const i128 ONE = i128(1) << kQ;
// Exact constants: floor(c * 2^60) from 60-digit decimal expansions.
const i128 kLn2 = i128(0xb17217f7d1cf79aULL);           // ln 2
const i128 kTwoOverSqrtPi = i128(0x120dd750429b6d11ULL);  // 2 / sqrt(pi)
const i128 kInvSqrt2 = i128(0xb504f333f9de648ULL);        // 1 / sqrt(2)
const i128 kSqrt2OverPi = i128(0xcc42299ea1b2846ULL);     // sqrt(2 / pi)

i128 floor_div(i128 a, i128 b) {
  i128 q = a / b, r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) --q;
  return q;
}

i128 mulq(i128 a, i128 b) { return floor_div(a * b, ONE); }  // |a|,|b| < 2^63

// A double as an exact Q60 fixed-point value (doubles are dyadic rationals).
i128 to_q(double d) {
  int e;
  double m = std::frexp(d, &e);  // exact
  i128 mi = static_cast<i128>(std::ldexp(m, 53));
  return round_shift(mi, 53 - e - kQ);
}

// x = num / 2^sh as Q60.
i128 rational_q(i128 num, int sh) { return round_shift(num, sh - kQ); }

// e^(X / 2^60) = m * 2^k / 2^60 with m near 2^60.
void exp_q(i128 X, i128& m, int& k) {
  i128 kk = floor_div(2 * X + kLn2, 2 * kLn2);  // round(X / ln2)
  i128 r = X - kk * kLn2;
  i128 sum = ONE, term = ONE;
  for (int i = 1; i < 40 && term != 0; ++i) {
    term = floor_div(term * r, ONE * i);
    sum += term;
  }
  m = sum;
  k = static_cast<int>(kk);
}

// e^(X/2^60) as Q60, floored to 0 when tiny; X <= ~40 in value.
i128 exp_to_q(i128 X) {
  i128 m;
  int k;
  exp_q(X, m, k);
  if (k < -120) return 0;
  return k >= 0 ? (m << k) : round_shift(m, -k);
}

// ln(Y / 2^60) for Y > 0, as Q60.
i128 log_q(i128 Y) {
  int k = 0;
  while (Y >= 2 * ONE) {
    Y = floor_div(Y, 2);  // loses low bits only for huge Y; deterministic
    ++k;
  }
  while (Y < ONE) {
    Y *= 2;
    --k;
  }
  i128 t = floor_div((Y - ONE) * ONE, Y + ONE);  // in [0, 1/3)
  i128 t2 = mulq(t, t), pw = t, sum = 0;
  for (int i = 1; i < 200 && pw != 0; i += 2) {
    sum += pw / i;
    pw = mulq(pw, t2);
  }
  return 2 * sum + k * kLn2;
}

i128 sigmoid_q(i128 X) {  // X: Q60, any sign
  bool neg = X < 0;
  if (neg) X = -X;
  if (X > 60 * ONE) return neg ? 0 : ONE;
  i128 E = exp_to_q(-X);
  i128 s = floor_div(ONE * ONE, ONE + E);
  return neg ? ONE - s : s;
}

i128 tanh_q(i128 X) {
  bool neg = X < 0;
  if (neg) X = -X;
  if (X > 30 * ONE) return neg ? -ONE : ONE;
  i128 E = exp_to_q(-2 * X);
  i128 t = floor_div((ONE - E) * ONE, ONE + E);
  return neg ? -t : t;
}

// erf with the all-positive series erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!,
// in Q40 for the series (no cancellation), Q60 for the rest.
i128 erf_q(i128 X) {
  bool neg = X < 0;
  if (neg) X = -X;
  if (X >= (ONE * 9) / 2) return neg ? -ONE : ONE;
  i128 x40 = X >> 20;
  i128 two_x2 = floor_div(2 * x40 * x40, i128(1) << 40);
  i128 term = x40, sum = x40;
  for (int n = 1; n < 400 && term != 0; ++n) {
    term = floor_div(term * two_x2, (i128(2 * n + 1)) << 40);
    sum += term;
  }
  i128 E = exp_to_q(-mulq(X, X));                  // e^(-x^2), Q60
  i128 v = floor_div(sum * E, i128(1) << 40);      // Q60 (sum < 2^71, E <= 2^60 -> 2^131? see below)
  v = mulq(v, kTwoOverSqrtPi);
  if (v > ONE) v = ONE;
  return neg ? -v : v;
}

}  // namespace

i128 round_shift(i128 v, int sh) {
  // Shifts of 127 bits or more are undefined on i128: a right shift that far rounds
  // every representable value to 0, a left shift that far saturates.
  if (sh >= 127) return 0;
  if (sh <= -127) return v == 0 ? 0 : v > 0 ? std::numeric_limits<i128>::max() : std::numeric_limits<i128>::min();
  if (sh <= 0) return v << (-sh);
  return floor_div(v + (i128(1) << (sh - 1)), i128(1) << sh);
}

i128 isqrt(i128 v) {
  if (v <= 0) return 0;
  i128 x = static_cast<i128>(std::sqrt(static_cast<long double>(v)));
  while (x > 0 && x * x > v) --x;
  while ((x + 1) * (x + 1) <= v) ++x;
  return x;
}

bool is_table_fn(const std::string& fn) {
  static const char* fns[] = {"Sigmoid", "Tanh", "Erf", "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid",
                              "HardSwish", "Gelu", "GeluTanh", "Sqrt", "Exp", "Log", "Reciprocal"};
  for (auto* f : fns)
    if (fn == f) return true;
  return false;
}

int64_t eval(const FnSpec& f, int64_t q, int in_scale, int out_scale, int64_t lo, int64_t hi) {
  auto clampv = [&](i128 v) -> int64_t { return static_cast<int64_t>(v < lo ? lo : v > hi ? hi : v); };
  auto out_q = [&](i128 vq) { return clampv(round_shift(vq, kQ - out_scale)); };
  i128 X = rational_q(q, in_scale);  // Q60 input (|x| < 2^67 is fine in int128)
  const std::string& fn = f.fn;
  if (fn == "Sigmoid") return out_q(sigmoid_q(X));
  if (fn == "Tanh") return out_q(tanh_q(X));
  if (fn == "Erf") return out_q(erf_q(X));
  if (fn == "Softsign") {
    i128 den = (i128(1) << in_scale) + (q < 0 ? -i128(q) : i128(q));
    i128 num = i128(q) << (out_scale + 1);
    return clampv(floor_div(num + den, 2 * den));
  }
  if (fn == "Elu" || fn == "Selu") {
    i128 a = to_q(f.alpha), g = fn == "Selu" ? to_q(f.gamma) : ONE;
    if (q >= 0) return out_q(fn == "Selu" ? mulq(X, g) : X);
    if (X < -60 * ONE) X = -60 * ONE;
    i128 v = mulq(a, exp_to_q(X) - ONE);
    return out_q(fn == "Selu" ? mulq(v, g) : v);
  }
  if (fn == "HardSigmoid" || fn == "HardSwish") {
    i128 a = fn == "HardSwish" ? floor_div(ONE, 6) : to_q(f.alpha), b = fn == "HardSwish" ? ONE / 2 : to_q(f.beta);
    i128 Xc = X > 64 * ONE ? 64 * ONE : X < -64 * ONE ? -64 * ONE : X;
    i128 hs = mulq(a, Xc) + b;
    hs = hs < 0 ? 0 : hs > ONE ? ONE : hs;
    if (fn == "HardSigmoid") return out_q(hs);
    if (hs == ONE) return out_q(X);
    return out_q(mulq(Xc, hs));
  }
  if (fn == "Softplus") {
    if (X > 50 * ONE) return out_q(X);
    if (X < -50 * ONE) return out_q(exp_to_q(X));
    return out_q(log_q(ONE + exp_to_q(X)));
  }
  if (fn == "Gelu" || fn == "GeluTanh") {
    if (X > 10 * ONE) return out_q(X);
    if (X < -10 * ONE) return out_q(0);
    i128 phi2;  // 1 + erf(x/sqrt2) or 1 + tanh(...)
    if (fn == "Gelu") {
      phi2 = ONE + erf_q(mulq(X, kInvSqrt2));
    } else {
      i128 x3 = mulq(mulq(X, X), X);
      i128 inner = mulq(kSqrt2OverPi, X + mulq(to_q(0.044715), x3));
      phi2 = ONE + tanh_q(inner);
    }
    return out_q(mulq(X, phi2) / 2);
  }
  if (fn == "Exp") {
    if (X > 40 * ONE) return clampv(hi);
    i128 m;
    int k;
    exp_q(X, m, k);
    return clampv(round_shift(m, kQ - out_scale - k));
  }
  if (fn == "Log") {
    if (q <= 0) return clampv(lo);
    return out_q(log_q(X));
  }
  if (fn == "Sqrt") {
    if (q <= 0) return 0;
    // round(sqrt(q * 2^(2*out - in))): scale the radicand so its exponent is even and >= 0.
    int e = 2 * out_scale - in_scale;
    int extra = e >= 0 ? 0 : ((-e + 1) / 2);  // radicand q * 2^(e + 2*extra), result / 2^extra
    i128 rad = i128(q) << (e + 2 * extra + 2);  // * 4 for rounding: round(s) = (isqrt(4N)+1)/2
    i128 r = isqrt(rad);
    return clampv(round_shift(r, extra + 1));
  }
  if (fn == "Reciprocal") {
    if (q == 0) return clampv(hi);
    i128 num = i128(1) << (in_scale + out_scale + 1);
    i128 den = 2 * i128(q);
    if (den < 0) {
      num = -num;
      den = -den;
    }
    return clampv(floor_div(num + den / 2, den));
  }
  return 0;
}

}  // namespace zks::model::fixmath
