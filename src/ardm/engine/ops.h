// The layers the engine's networks are made of, on activations in [N, H, W, C] order (one row
// of C floats per pixel), each a pure function of its inputs (kernels.h for the sums; GroupNorm
// statistics summed in double in a fixed order). Parallel over rows or images on a ThreadPool;
// the split never changes a result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ardm/engine/kernels.h"
#include "ardm/engine/parallel.h"

namespace ardm::engine {

// Activations [n, h, w, c] float32, row-major (NHWC).
struct Act {
  int64_t n = 0, h = 0, w = 0, c = 0;
  std::vector<float> v;

  Act() = default;
  Act(int64_t n_, int64_t h_, int64_t w_, int64_t c_) : n(n_), h(h_), w(w_), c(c_), v(static_cast<size_t>(n_ * h_ * w_ * c_)) {}
  int64_t pixels() const { return n * h * w; }
  float* row(int64_t pixel) { return v.data() + pixel * c; }
  const float* row(int64_t pixel) const { return v.data() + pixel * c; }
};

// A 3x3 convolution, padding 1, stride 1 or 2, from torch's [out, in, 3, 3] weights; the sum
// runs over (ky, kx, in) in that order.
struct Conv3x3 {
  Dense dense;
  int64_t in = 0, out = 0, stride = 1;
};
Act conv3x3(const Conv3x3& conv, const Act& x, ThreadPool& pool);
// The same at some output pixels only (indices in n * h * w order): [1, 1, pixels, out], the
// same bits as those rows of conv3x3 (rows are independent).
Act conv3x3_at(const Conv3x3& conv, const Act& x, const std::vector<int64_t>& pixels, ThreadPool& pool);

// A 1-D convolution over sequences (Acts of n x 1 x L rows), zero padding dilation * (k / 2)
// on both sides (torch's "same" for odd k), from torch's [out, in, k] weights; the sum runs over
// (tap, in) in that order.
struct Conv1d {
  Dense dense;
  int64_t in = 0, out = 0, kernel = 1, dilation = 1;
};
Act conv1d(const Conv1d& conv, const Act& x, ThreadPool& pool);

// DiffWave's gate on rows [u (F), v (F)]: tanh(u) * sigmoid(v), [rows, F]; from exp_f, exact
// at the saturated ends.
Act gate(const Act& uv, ThreadPool& pool);

// A linear layer or 1x1 convolution from torch's [out, in] or [out, in, 1, 1] weights.
Act dense(const Dense& d, const Act& x, ThreadPool& pool);

// GroupNorm (eps 1e-6) of `groups` groups (which divide the channels), optionally followed by swish.
struct GroupNorm {
  int64_t groups = 1, c = 0;
  std::vector<float> gamma, beta;
};
Act group_norm(const GroupNorm& g, const Act& x, bool swish, ThreadPool& pool);

// LayerNorm over the channels of every row (eps 1e-6); statistics in double, summed in order.
struct LayerNorm {
  int64_t c = 0;
  std::vector<float> gamma, beta;
};

Act layer_norm(const LayerNorm& ln, const Act& x, ThreadPool& pool);

// Attention weights in place: each row i of s [rows, n] becomes softmax(s[i][j] / scale +
// dist_bias[|first + i - j|]) (dist_bias null: no bias; `first`: the first row's column, as when
// the keys start `first` positions before the queries); the sum runs in order.
void softmax_rows(float* s, int64_t rows, int64_t n, float scale, const float* dist_bias, int64_t first = 0);
// x[p][c] = gelu_tanh(x[p][c] + t[p / per_item][c]): a per-item row added, then GELU.
void add_rows_gelu(Act& x, const Act& t, int64_t per_item, ThreadPool& pool);

// Elementwise swish, channel concatenation [a, b], a + b, nearest resize.
Act swish(const Act& x);
Act concat(const Act& a, const Act& b, ThreadPool& pool);
void add_inplace(Act& a, const Act& b, ThreadPool& pool);
Act resize_nearest(const Act& x, int64_t h, int64_t w);

// Single-head self-attention over the pixels of each image (nets/unet.cpp's AttnBlock).
struct Attention {
  GroupNorm norm;
  Dense qkv, proj;
  int64_t c = 0;
};
Act attention(const Attention& a, const Act& x, ThreadPool& pool);

}  // namespace ardm::engine
