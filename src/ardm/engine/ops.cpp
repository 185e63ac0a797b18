#include "ardm/engine/ops.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ardm/engine/math.h"

namespace ardm::engine {
namespace {

// Rows per task: a multiple of the AVX2 tile's 6 rows; one block of im2col rows stays in L2.
constexpr int64_t kRowBlock = 96;

int64_t blocks_of(int64_t rows) { return (rows + kRowBlock - 1) / kRowBlock; }

// Rows per task of a dense layer: kRowBlock, or fewer (a multiple of 6) when that leaves a
// thread idle, as a Transformer's 64 rows of one chunk would. The split never changes a bit.
int64_t dense_block(int64_t rows, int threads) {
  if (threads <= 1 || rows >= kRowBlock * threads) return kRowBlock;
  const int64_t per = (rows + threads - 1) / threads;
  return std::clamp<int64_t>((per + 5) / 6 * 6, 6, kRowBlock);
}

// Elementwise loops built twice on x86-64, for AVX2 and for the baseline, and picked at load
// time: vectorised lanes do the scalar code's operations, so both give the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(ARDM_ENGINE_NO_SIMD)
#define ARDM_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ARDM_VECTOR_CLONES
#endif

// acc[c] = sum over the pixels, in order, of x[p][c] (center null) or (x[p][c] - center[c])^2.
ARDM_VECTOR_CLONES void channel_sums(const float* x, int64_t pixels, int64_t C, const double* center, double* acc) {
  for (int64_t c = 0; c < C; ++c) acc[c] = 0.0;
  for (int64_t p = 0; p < pixels; ++p) {
    const float* r = x + p * C;
    if (center) {
      for (int64_t c = 0; c < C; ++c) {
        const double d = static_cast<double>(r[c]) - center[c];
        acc[c] += d * d;
      }
    } else {
      for (int64_t c = 0; c < C; ++c) acc[c] += static_cast<double>(r[c]);
    }
  }
}

// out[p][c] = x[p][c] * scale[c] + shift[c], then swish if asked.
ARDM_VECTOR_CLONES void scale_shift(const float* x, float* out, int64_t pixels, int64_t C, const float* scale,
                                    const float* shift, bool with_swish) {
  for (int64_t p = 0; p < pixels; ++p) {
    const float* r = x + p * C;
    float* o = out + p * C;
    for (int64_t c = 0; c < C; ++c) o[c] = r[c] * scale[c] + shift[c];
    if (with_swish)
      for (int64_t c = 0; c < C; ++c) o[c] = swish_f(o[c]);
  }
}

// r[j] = exp_f(r[j] - mx) and r[j] / sum: elementwise, so vectorised lanes give the scalar bits.
ARDM_VECTOR_CLONES void exp_shifted(float* r, int64_t n, float mx) {
  for (int64_t j = 0; j < n; ++j) r[j] = exp_f(r[j] - mx);
}
ARDM_VECTOR_CLONES void divide_by(float* r, int64_t n, float d) {
  for (int64_t j = 0; j < n; ++j) r[j] = r[j] / d;
}
ARDM_VECTOR_CLONES void scale_and_bias(float* r, int64_t i, int64_t n, float scale, const float* dist_bias) {
  if (!dist_bias) {
    for (int64_t j = 0; j < n; ++j) r[j] = r[j] / scale;
    return;
  }
  for (int64_t j = 0; j < std::min(i, n); ++j) r[j] = r[j] / scale + dist_bias[i - j];
  for (int64_t j = i; j < n; ++j) r[j] = r[j] / scale + dist_bias[j - i];
}
// DiffWave's gate: y[c] = tanh(u[c]) * sigmoid(v[c]), tanh(u) = 1 - 2 / (e^(2u) + 1).
ARDM_VECTOR_CLONES void gate_row(const float* u, const float* v, float* y, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    const float th = 1.0f - 2.0f / (exp_f(2.0f * u[c]) + 1.0f);
    y[c] = th / (1.0f + exp_f(-v[c]));
  }
}
ARDM_VECTOR_CLONES void add_row_gelu(float* x, const float* t, int64_t n) {
  for (int64_t c = 0; c < n; ++c) x[c] = gelu_tanh_f(x[c] + t[c]);
}

std::vector<float>& scratch() {
  thread_local std::vector<float> buf;
  return buf;
}


}  // namespace


namespace {

// Output rows r = 0..rows-1 of a 3x3 convolution at output pixels pixel(r) (n * ho * wo order),
// written to y + r * conv.out: im2col of a block of rows, then the dense kernel.
template <typename PixelOf>
void conv_rows(const Conv3x3& conv, const Act& x, int64_t rows, PixelOf pixel, float* y, ThreadPool& pool) {
  if (x.c != conv.in) throw std::logic_error("conv3x3: input has " + std::to_string(x.c) + " channels, not " + std::to_string(conv.in));
  const int64_t s = conv.stride, ho = (x.h - 1) / s + 1, wo = (x.w - 1) / s + 1, K = 9 * conv.in;
  pool.parallel_for(blocks_of(rows), [&](int64_t b, int) {
    const int64_t r0 = b * kRowBlock, nr = std::min(kRowBlock, rows - r0);
    auto& col = scratch();
    col.resize(static_cast<size_t>(nr * K));
    for (int64_t r = 0; r < nr; ++r) {
      const int64_t p = pixel(r0 + r), img = p / (ho * wo), oy = (p / wo) % ho, ox = p % wo;
      float* dst = col.data() + r * K;
      for (int64_t ky = 0; ky < 3; ++ky)
        for (int64_t kx = 0; kx < 3; ++kx, dst += conv.in) {
          const int64_t iy = oy * s + ky - 1, ix = ox * s + kx - 1;
          if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w)
            std::fill(dst, dst + conv.in, 0.0f);
          else
            std::copy_n(x.row((img * x.h + iy) * x.w + ix), conv.in, dst);
        }
    }
    dense_rows(conv.dense, col.data(), K, nr, y + r0 * conv.out, conv.out);
  });
}

}  // namespace

Act conv3x3(const Conv3x3& conv, const Act& x, ThreadPool& pool) {
  const int64_t s = conv.stride;
  Act y(x.n, (x.h - 1) / s + 1, (x.w - 1) / s + 1, conv.out);
  conv_rows(conv, x, y.pixels(), [](int64_t r) { return r; }, y.v.data(), pool);
  return y;
}

Act conv3x3_at(const Conv3x3& conv, const Act& x, const std::vector<int64_t>& pixels, ThreadPool& pool) {
  Act y(1, 1, static_cast<int64_t>(pixels.size()), conv.out);
  conv_rows(conv, x, y.pixels(), [&](int64_t r) { return pixels[static_cast<size_t>(r)]; }, y.v.data(), pool);
  return y;
}


Act gate(const Act& uv, ThreadPool& pool) {
  const int64_t F = uv.c / 2;
  Act y(uv.n, uv.h, uv.w, F);
  pool.parallel_for(blocks_of(uv.pixels()), [&](int64_t blk, int) {
    for (int64_t p = blk * kRowBlock; p < std::min(uv.pixels(), (blk + 1) * kRowBlock); ++p)
      gate_row(uv.row(p), uv.row(p) + F, y.row(p), F);
  });
  return y;
}

Act conv1d(const Conv1d& conv, const Act& x, ThreadPool& pool) {
  if (x.c != conv.in || x.h != 1)
    throw std::logic_error("conv1d: input has " + std::to_string(x.c) + " channels, not " + std::to_string(conv.in));
  Act y(x.n, 1, x.w, conv.out);
  const int64_t rows = y.pixels(), L = x.w, K = conv.kernel * conv.in, half = conv.kernel / 2;
  if (conv.kernel == 1) {
    pool.parallel_for(blocks_of(rows), [&](int64_t b, int) {
      const int64_t r0 = b * kRowBlock;
      dense_rows(conv.dense, x.row(r0), x.c, std::min(kRowBlock, rows - r0), y.row(r0), conv.out);
    });
    return y;
  }
  pool.parallel_for(blocks_of(rows), [&](int64_t b, int) {
    const int64_t r0 = b * kRowBlock, nr = std::min(kRowBlock, rows - r0);
    auto& col = scratch();
    col.resize(static_cast<size_t>(nr * K));
    for (int64_t r = 0; r < nr; ++r) {
      const int64_t p = r0 + r, item = p / L, i = p % L;
      float* dst = col.data() + r * K;
      for (int64_t k = 0; k < conv.kernel; ++k, dst += conv.in) {
        const int64_t j = i + (k - half) * conv.dilation;
        if (j < 0 || j >= L)
          std::fill(dst, dst + conv.in, 0.0f);
        else
          std::copy_n(x.row(item * L + j), conv.in, dst);
      }
    }
    dense_rows(conv.dense, col.data(), K, nr, y.row(r0), conv.out);
  });
  return y;
}


Act dense(const Dense& d, const Act& x, ThreadPool& pool) {
  if (x.c != d.in) throw std::logic_error("dense: input has " + std::to_string(x.c) + " features, not " + std::to_string(d.in));
  Act y(x.n, x.h, x.w, d.out);
  const int64_t rows = x.pixels(), block = dense_block(rows, pool.size());
  pool.parallel_for((rows + block - 1) / block, [&](int64_t b, int) {
    const int64_t r0 = b * block;
    dense_rows(d, x.row(r0), x.c, std::min(block, rows - r0), y.row(r0), d.out);
  });
  return y;
}


Act group_norm(const GroupNorm& g, const Act& x, bool with_swish, ThreadPool& pool) {
  if (x.c != g.c) throw std::logic_error("group_norm: wrong channel count");
  Act y(x.n, x.h, x.w, x.c);
  const int64_t hw = x.h * x.w, cpg = x.c / g.groups;
  pool.parallel_for(x.n, [&](int64_t img, int) {
    // Statistics in double in a fixed order that vectorizes: each channel summed over the
    // pixels in order, then the group's channels in order; the same for the squared deviations.
    const float* base = x.row(img * hw);
    std::vector<double> acc(static_cast<size_t>(x.c));
    std::vector<double> mean(static_cast<size_t>(x.c)), rstd(static_cast<size_t>(x.c));
    const double count = static_cast<double>(hw * cpg);
    channel_sums(base, hw, x.c, nullptr, acc.data());
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      double sum = 0;
      for (int64_t c = grp * cpg; c < (grp + 1) * cpg; ++c) sum += acc[static_cast<size_t>(c)];
      for (int64_t c = grp * cpg; c < (grp + 1) * cpg; ++c) mean[static_cast<size_t>(c)] = sum / count;
    }
    channel_sums(base, hw, x.c, mean.data(), acc.data());
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      double sq = 0;
      for (int64_t c = grp * cpg; c < (grp + 1) * cpg; ++c) sq += acc[static_cast<size_t>(c)];
      const double r = 1.0 / std::sqrt(sq / count + 1e-6);
      for (int64_t c = grp * cpg; c < (grp + 1) * cpg; ++c) rstd[static_cast<size_t>(c)] = r;
    }
    std::vector<float> scale(static_cast<size_t>(x.c)), shift(static_cast<size_t>(x.c));
    for (int64_t c = 0; c < x.c; ++c) {
      const double a = rstd[static_cast<size_t>(c)] * static_cast<double>(g.gamma[static_cast<size_t>(c)]);
      scale[static_cast<size_t>(c)] = static_cast<float>(a);
      shift[static_cast<size_t>(c)] =
          static_cast<float>(static_cast<double>(g.beta[static_cast<size_t>(c)]) - mean[static_cast<size_t>(c)] * a);
    }
    scale_shift(base, y.row(img * hw), hw, x.c, scale.data(), shift.data(), with_swish);
  });
  return y;
}


Act layer_norm(const LayerNorm& ln, const Act& x, ThreadPool& pool) {
  if (x.c != ln.c) throw std::logic_error("layer_norm: wrong channel count");
  Act y(x.n, x.h, x.w, x.c);
  const int64_t rows = x.pixels(), C = x.c;
  pool.parallel_for((rows + 15) / 16, [&](int64_t blk, int) {
    for (int64_t r = blk * 16; r < std::min(rows, (blk + 1) * 16); ++r) {
      const float* in = x.row(r);
      float* out = y.row(r);
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += static_cast<double>(in[c]);
      const double mean = sum / static_cast<double>(C);
      double sq = 0;
      for (int64_t c = 0; c < C; ++c) {
        const double d = static_cast<double>(in[c]) - mean;
        sq += d * d;
      }
      const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(C) + 1e-6);
      for (int64_t c = 0; c < C; ++c) {
        const float n = static_cast<float>((static_cast<double>(in[c]) - mean) * rstd);
        out[c] = n * ln.gamma[static_cast<size_t>(c)] + ln.beta[static_cast<size_t>(c)];
      }
    }
  });
  return y;
}

void softmax_rows(float* s, int64_t rows, int64_t n, float scale, const float* dist_bias, int64_t first) {
  for (int64_t i = 0; i < rows; ++i) {
    float* r = s + i * n;
    scale_and_bias(r, first + i, n, scale, dist_bias);
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; ++j) mx = std::max(mx, r[j]);
    exp_shifted(r, n, mx);
    float sum = 0;
    for (int64_t j = 0; j < n; ++j) sum = sum + r[j];  // in order
    divide_by(r, n, sum);
  }
}

void add_rows_gelu(Act& x, const Act& t, int64_t per_item, ThreadPool& pool) {
  pool.parallel_for(x.pixels(), [&](int64_t p, int) { add_row_gelu(x.row(p), t.row(p / per_item), x.c); });
}

Act swish(const Act& x) {
  Act y = x;
  for (auto& v : y.v) v = swish_f(v);
  return y;
}

Act concat(const Act& a, const Act& b, ThreadPool& pool) {
  if (a.n != b.n || a.h != b.h || a.w != b.w) throw std::logic_error("concat: shapes differ");
  Act y(a.n, a.h, a.w, a.c + b.c);
  pool.parallel_for(blocks_of(a.pixels()), [&](int64_t blk, int) {
    for (int64_t p = blk * kRowBlock; p < std::min(a.pixels(), (blk + 1) * kRowBlock); ++p) {
      std::copy_n(a.row(p), a.c, y.row(p));
      std::copy_n(b.row(p), b.c, y.row(p) + a.c);
    }
  });
  return y;
}

void add_inplace(Act& a, const Act& b, ThreadPool& pool) {
  if (a.v.size() != b.v.size()) throw std::logic_error("add: shapes differ");
  const int64_t n = static_cast<int64_t>(a.v.size()), chunk = 1 << 14;
  pool.parallel_for((n + chunk - 1) / chunk, [&](int64_t blk, int) {
    for (int64_t i = blk * chunk; i < std::min(n, (blk + 1) * chunk); ++i)
      a.v[static_cast<size_t>(i)] = a.v[static_cast<size_t>(i)] + b.v[static_cast<size_t>(i)];
  });
}

Act resize_nearest(const Act& x, int64_t h, int64_t w) {
  // torch's "nearest": source index floor(dst * in / out), here in exact integer arithmetic.
  Act y(x.n, h, w, x.c);
  for (int64_t img = 0; img < x.n; ++img)
    for (int64_t oy = 0; oy < h; ++oy)
      for (int64_t ox = 0; ox < w; ++ox) {
        const int64_t iy = std::min(oy * x.h / h, x.h - 1), ix = std::min(ox * x.w / w, x.w - 1);
        std::copy_n(x.row((img * x.h + iy) * x.w + ix), x.c, y.row((img * h + oy) * w + ox));
      }
  return y;
}


Act attention(const Attention& a, const Act& x, ThreadPool& pool) {
  const Act qkv = dense(a.qkv, group_norm(a.norm, x, false, pool), pool);  // [n, h, w, 3c]: q, k, v
  const int64_t N = x.h * x.w, C = a.c;
  const float inv_scale = static_cast<float>(std::sqrt(static_cast<double>(C)));
  Act out(x.n, x.h, x.w, C);
  pool.parallel_for(x.n, [&](int64_t img, int) {
    const float* base = qkv.row(img * N);
    std::vector<float> q(static_cast<size_t>(N * C)), k(static_cast<size_t>(N * C)), vt(static_cast<size_t>(C * N));
    for (int64_t i = 0; i < N; ++i)
      for (int64_t c = 0; c < C; ++c) {
        q[static_cast<size_t>(i * C + c)] = base[i * 3 * C + c];
        k[static_cast<size_t>(i * C + c)] = base[i * 3 * C + C + c];
        vt[static_cast<size_t>(c * N + i)] = base[i * 3 * C + 2 * C + c];
      }
    // scores[i][j] = q_i . k_j (a dense layer whose weights are k), then / sqrt(C) and softmax.
    std::vector<float> s(static_cast<size_t>(N * N));
    dense_rows(make_dense(k.data(), nullptr, N, C), q.data(), C, N, s.data(), N);
    softmax_rows(s.data(), N, N, inv_scale, nullptr);
    // out_i = sum_j p_ij v_j (a dense layer whose weights are v transposed).
    dense_rows(make_dense(vt.data(), nullptr, C, N), s.data(), N, N, out.row(img * N), C);
  });
  Act y = dense(a.proj, out, pool);
  add_inplace(y, x, pool);  // x + proj(out): addition commutes exactly
  return y;
}

}  // namespace ardm::engine
