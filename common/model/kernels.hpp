#pragma once
// Kernels shared by the float executor (T = double) and the integer executor
// (T = int64_t, exact: the range analysis bounds every accumulator below 2^62).
// Shapes are validated by the caller (the float executor at import time).

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "model/graph.hpp"
#include "util/thread_pool.hpp"

namespace zks::model::kern {

struct ConvParams {
  int64_t N, C, H, W;    // input
  int64_t M, KH, KW;     // output channels, kernel
  int64_t OH, OW;        // output
  int64_t sh, sw, dh, dw, pt, pl, group;
};

// y[i] += a x[i] (x[i * stride]), i < n, on the integer executor's int64 values:
// vectorised per instruction set (kernels.cpp).
void axpy(int64_t* y, const int64_t* x, int64_t a, size_t n);
void axpy_strided(int64_t* y, const int64_t* x, size_t stride, int64_t a, size_t n);

// y[N,M,OH,OW] = conv(x, w[M, C/g, KH, KW]) + b[M]. Output channels run in parallel
// (each one's sums in the same order whatever the thread count, so doubles come out the
// same); each kernel tap visits only the output columns whose input column is inside x.
template <typename T>
void conv2d(const ConvParams& p, const T* x, const T* w, const T* b, T* y) {
  const int64_t cg = p.C / p.group, mg = p.M / p.group;
  // The output columns [lo, hi) of tap kw: 0 <= ow * sw + kw * dw - pl < W.
  auto columns = [&](int64_t kw) {
    const int64_t off = kw * p.dw - p.pl;
    const int64_t lo = off >= 0 ? 0 : (-off + p.sw - 1) / p.sw;
    const int64_t hi = p.W - 1 - off < 0 ? 0 : std::min(p.OW, (p.W - 1 - off) / p.sw + 1);
    return std::make_pair(lo, std::max(lo, hi));
  };
  auto channel = [&](int64_t n, int64_t m) {
    const int64_t g = m / mg;
    T* yo = y + (n * p.M + m) * p.OH * p.OW;
    for (int64_t i = 0; i < p.OH * p.OW; ++i) yo[i] = b ? b[m] : T(0);
    for (int64_t c = 0; c < cg; ++c) {
      const T* xc = x + (n * p.C + g * cg + c) * p.H * p.W;
      const T* wc = w + (m * cg + c) * p.KH * p.KW;
      for (int64_t kh = 0; kh < p.KH; ++kh)
        for (int64_t kw = 0; kw < p.KW; ++kw) {
          const T wv = wc[kh * p.KW + kw];
          if (wv == T(0)) continue;
          const auto [lo, hi] = columns(kw);
          const int64_t off = kw * p.dw - p.pl;
          for (int64_t oh = 0; oh < p.OH; ++oh) {
            const int64_t ih = oh * p.sh - p.pt + kh * p.dh;
            if (ih < 0 || ih >= p.H) continue;
            const T* xr = xc + ih * p.W;
            T* yr = yo + oh * p.OW;
            if constexpr (std::is_same_v<T, int64_t>) {
              if (hi <= lo) continue;
              if (p.sw == 1) axpy(yr + lo, xr + lo + off, wv, size_t(hi - lo));
              else axpy_strided(yr + lo, xr + lo * p.sw + off, size_t(p.sw), wv, size_t(hi - lo));
            } else if (p.sw == 1) {
              for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow + off];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * p.sw + off];
            }
          }
        }
    }
  };
  const size_t channels = size_t(p.N * p.M);
  const int64_t work = p.OH * p.OW * cg * p.KH * p.KW;
  util::ThreadPool::global().parallel_for(channels, [&](size_t lo, size_t hi) {
    for (size_t k = lo; k < hi; ++k) channel(int64_t(k) / p.M, int64_t(k) % p.M);
  }, work * int64_t(channels) >= (int64_t(1) << 16) ? 2 : SIZE_MAX);
}

// Transposed convolution; w is [C, M/g, KH, KW]; (H, W) input, (OH, OW) output.
template <typename T>
void conv_transpose2d(const ConvParams& p, const T* x, const T* w, const T* b, T* y) {
  int64_t cg = p.C / p.group, mg = p.M / p.group;
  for (int64_t n = 0; n < p.N; ++n) {
    for (int64_t m = 0; m < p.M; ++m)
      for (int64_t i = 0; i < p.OH * p.OW; ++i) y[(n * p.M + m) * p.OH * p.OW + i] = b ? b[m] : T(0);
    for (int64_t c = 0; c < p.C; ++c) {
      int64_t g = c / cg;
      const T* xc = x + (n * p.C + c) * p.H * p.W;
      for (int64_t mm = 0; mm < mg; ++mm) {
        int64_t m = g * mg + mm;
        const T* wc = w + (c * mg + mm) * p.KH * p.KW;
        T* yo = y + (n * p.M + m) * p.OH * p.OW;
        for (int64_t ih = 0; ih < p.H; ++ih)
          for (int64_t iw = 0; iw < p.W; ++iw) {
            T xv = xc[ih * p.W + iw];
            if (xv == T(0)) continue;
            for (int64_t kh = 0; kh < p.KH; ++kh) {
              int64_t oh = ih * p.sh - p.pt + kh * p.dh;
              if (oh < 0 || oh >= p.OH) continue;
              for (int64_t kw = 0; kw < p.KW; ++kw) {
                int64_t ow = iw * p.sw - p.pl + kw * p.dw;
                if (ow < 0 || ow >= p.OW) continue;
                yo[oh * p.OW + ow] += xv * wc[kh * p.KW + kw];
              }
            }
          }
      }
    }
  }
}

// Batched matmul with numpy broadcasting of the batch dims: a [..., M, K], b [..., K, N].
// `ys` is the output shape; the caller computes it.
template <typename T>
void matmul(const Shape& as, const T* a, const Shape& bs, const T* b, const Shape& ys, T* y) {
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  size_t r = ys.size();
  int64_t batch = numel(ys) / (M * N);
  std::vector<int64_t> idx(r - 2, 0);
  for (int64_t bt = 0; bt < batch; ++bt) {
    // decompose bt into batch indices of ys, map to a and b offsets (broadcast)
    int64_t rem = bt, aoff = 0, boff = 0, astr = M * K, bstr = K * N;
    for (size_t d = r - 2; d-- > 0;) {
      int64_t i = rem % ys[d];
      rem /= ys[d];
      int64_t ad = static_cast<int64_t>(d) - static_cast<int64_t>(r - as.size());
      int64_t bd = static_cast<int64_t>(d) - static_cast<int64_t>(r - bs.size());
      if (ad >= 0) {
        if (as[ad] != 1) aoff += i * astr;
        astr *= as[ad];
      }
      if (bd >= 0) {
        if (bs[bd] != 1) boff += i * bstr;
        bstr *= bs[bd];
      }
    }
    const T* ap = a + aoff;
    const T* bp = b + boff;
    T* yp = y + bt * M * N;
    for (int64_t i = 0; i < M * N; ++i) yp[i] = T(0);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k) {
        T av = ap[m * K + k];
        if (av == T(0)) continue;
        const T* br = bp + k * N;
        T* yr = yp + m * N;
        for (int64_t n = 0; n < N; ++n) yr[n] += av * br[n];
      }
  }
}

// Offsets of every output element into a (broadcast) input of shape `in`.
std::vector<int64_t> broadcast_index(const Shape& in, const Shape& out);
// Numpy broadcast of two shapes; false if incompatible.
bool broadcast_shape(const Shape& a, const Shape& b, Shape& out);

struct PoolParams {
  int64_t N, C, H, W, KH, KW, OH, OW, sh, sw, dh, dw, pt, pl, pb, pr;
  bool count_include_pad = false;
};

// Max pool (padding never wins) or sum pool with the divisor per output element.
template <typename T>
void pool2d(const PoolParams& p, bool is_max, const T* x, T* y, int64_t* counts) {
  for (int64_t nc = 0; nc < p.N * p.C; ++nc) {
    const T* xc = x + nc * p.H * p.W;
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        T acc = T(0);
        bool any = false;
        int64_t cnt = 0, hi_h = std::min(oh * p.sh - p.pt + (p.KH - 1) * p.dh + 1, p.H + p.pb),
                hi_w = std::min(ow * p.sw - p.pl + (p.KW - 1) * p.dw + 1, p.W + p.pr);
        for (int64_t kh = 0; kh < p.KH; ++kh) {
          int64_t ih = oh * p.sh - p.pt + kh * p.dh;
          for (int64_t kw = 0; kw < p.KW; ++kw) {
            int64_t iw = ow * p.sw - p.pl + kw * p.dw;
            if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
            T v = xc[ih * p.W + iw];
            if (is_max) {
              acc = any ? std::max(acc, v) : v;
            } else {
              acc += v;
            }
            any = true;
            ++cnt;
          }
        }
        if (p.count_include_pad) {
          int64_t lo_h = oh * p.sh - p.pt, lo_w = ow * p.sw - p.pl;
          cnt = (hi_h - lo_h) * (hi_w - lo_w);
        }
        int64_t o = nc * p.OH * p.OW + oh * p.OW + ow;
        y[o] = acc;
        if (counts) counts[o] = cnt;
      }
  }
}

}  // namespace zks::model::kern
