// The non-causal audio DiffWave of spec section 5, on sequences of samples {L}:
//
//   input: concat(x * 2 / K_in - 1, mask channels) -> Conv(k3) -> 3F/4 channels,
//          Embed(K_in, F/4) -> Dense(F/4); concatenated -> F channels; ReLU
//          (mask channels: known, then the stage's one-hot when there are several stages)
//   time:  sinusoid(F) -> Dense(4F) -> swish -> Dense(4F) = temb
//   block i (dilation d = 2^(i mod cycle)):
//          h = x + Dense(F)(swish(temb));  [u, v] = Conv(k3, dilation d)(h) (2F channels)
//          y = tanh(u) * sigmoid(v);  [r, s] = Conv1x1(y) (2F channels)
//          x <- (x + r) / sqrt(2);  skip += s
//   out:   skip / sqrt(layers) -> Conv1x1(F) -> ReLU -> Conv1x1(O), zero-initialised
//
// No causal mask and no padding beyond the ends: every sample sees both sides. The engine's
// twin is engine/diffwave.cpp; parameter names are shared.
#pragma once

#include <torch/torch.h>

#include "ardm/core/config.h"
#include "ardm/nets/net.h"

namespace ardm::nets {

struct DiffWaveBlockImpl : torch::nn::Module {
  DiffWaveBlockImpl(int64_t width, int64_t dilation, int64_t temb_dim);
  // x: [B, F, L], temb: [B, temb_dim] (already through swish) -> {x', skip}, each [B, F, L]
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& temb);

  torch::nn::Linear temb_proj{nullptr};
  torch::nn::Conv1d dilated{nullptr}, out{nullptr};
};
TORCH_MODULE(DiffWaveBlock);

struct DiffWaveImpl : NetImpl {
  // io.data_shape must be {L}.
  DiffWaveImpl(const DiffWaveConfig& cfg, const NetIO& io);

  // x_in: [B, L] int64 input classes; known: [B, L]; t: [B] global step; stage: [B].
  // Returns [B, O, L] float32.
  torch::Tensor forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                        const torch::Tensor& stage) override;

  DiffWaveConfig cfg;
  torch::nn::Conv1d in_conv{nullptr};
  torch::nn::Embedding embed{nullptr};
  torch::nn::Linear embed_proj{nullptr}, temb1{nullptr}, temb2{nullptr};
  std::vector<DiffWaveBlock> blocks;
  torch::nn::Conv1d skip_conv{nullptr}, out_conv{nullptr};
};

// Dilation of block i: 2^(i mod cycle).
int64_t diffwave_dilation(int64_t block, int64_t cycle);

}  // namespace ardm::nets
