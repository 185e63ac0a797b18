// The non-causal audio DiffWave of spec section 5, on sequences of samples {L}:
//
//   input: concat(x * 2 / K_in - 1, mask channels) -> Conv(k3) -> 3F/4 channels,
//          Embed(K_in, F/4) -> Dense(F/4); concatenated -> F channels; ReLU
//          (mask channels: known, with a context whether the sample is the context's, then
//          the stage's one-hot when there are several stages)
//   time:  sinusoid(F) -> Dense(4F) -> swish -> Dense(4F) = temb
//   block i (dilation d = 2^(i mod cycle)):
//          h = x + Dense(F)(swish(temb));  [u, v] = Conv(k3, dilation d)(h) (2F channels)
//          y = tanh(u) * sigmoid(v);  [r, s] = Conv1x1(y) (2F channels)
//          x <- (x + r) / sqrt(2);  skip += s
//   out:   skip / sqrt(layers) -> Conv1x1(F) -> ReLU = hid -> Conv1x1(O), zero-initialised
//   head (taps R > 0, options.h): w = Conv1x1(2 (2R+1))(hid), zero-initialised; the value
//          outputs += sum_k w_k x_(i+k) known_(i+k) + w'_k x_(i+k) (1 - known_(i+k))
//   The output layers and the head run in float32 under autocast: a value output must resolve
//   one value in 65,536.
//
// No causal mask and no padding beyond the ends: every sample sees both sides. With a context
// (options.h) the C samples before the item come first, as known final values. The engine's
// twin is engine/diffwave.cpp; parameter names are shared.
#pragma once

#include <torch/torch.h>

#include "ardm/core/config.h"
#include "ardm/nets/net.h"

namespace ardm::nets {

struct DiffWaveBlockImpl : torch::nn::Module {
  DiffWaveBlockImpl(int64_t width, int64_t dilation, int64_t temb_dim);
  // x: [B, F, L], temb: [B, temb_dim] (already through swish) -> {x', skip}, each [B, F, L].
  // present: [B, 1, L] float32 (1: a sample, 0: none, zero at the convolution's input), or undefined.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& temb,
                                                  const torch::Tensor& present = {});

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
  // The same with the C samples before each item (io.context = C > 0): [B, O, L] for the item.
  torch::Tensor forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                   const torch::Tensor& stage, const Context& context) override;

  // Over the given samples: is_context and present [B, 1, L] float32, or undefined (none).
  torch::Tensor run(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                    const torch::Tensor& stage, const torch::Tensor& is_context, const torch::Tensor& present);

  DiffWaveConfig cfg;
  torch::nn::Conv1d in_conv{nullptr};
  torch::nn::Embedding embed{nullptr};
  torch::nn::Linear embed_proj{nullptr}, temb1{nullptr}, temb2{nullptr};
  std::vector<DiffWaveBlock> blocks;
  torch::nn::Conv1d skip_conv{nullptr}, out_conv{nullptr}, predict{nullptr};
};

// Dilation of block i: 2^(i mod cycle).
int64_t diffwave_dilation(int64_t block, int64_t cycle);

}  // namespace ardm::nets
