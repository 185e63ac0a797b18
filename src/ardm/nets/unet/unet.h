// The image UNet of spec section 5 (the ARDM paper's, after DDPM's): GroupNorm + swish
// residual blocks conditioned on a sinusoidal time embedding, optional single-head self-attention
// at chosen resolutions, channel multipliers per level, and the ARDM input processing
// (scaled values + "known" mask through a 3x3 conv, concatenated with a class embedding).
//
// It knows nothing of the objective: it maps (x_in, mask, stage, t) to logits. With taps R > 0
// a zero-initialised head adds to each value's means a linear prediction from the known values
// around it (options.h), with weights from the last features: w = Conv1x1(C * C * (2R+1)^2)(hid). An Upscale
// process's stage enters as one-hot channels beside the mask (spec section 2).
#pragma once

#include <torch/torch.h>

#include "ardm/core/config.h"
#include "ardm/nets/net.h"

namespace ardm::nets {

struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int64_t in_ch, int64_t out_ch, int64_t temb_ch, int64_t groups, double dropout);
  // x: [B, in_ch, H, W], temb: [B, temb_ch] -> [B, out_ch, H, W]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb);

  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  torch::nn::Linear temb_proj{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(ResBlock);

struct AttnBlockImpl : torch::nn::Module {
  AttnBlockImpl(int64_t ch, int64_t groups);
  // x: [B, ch, H, W] -> same
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::GroupNorm norm{nullptr};
  torch::nn::Conv2d qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(AttnBlock);

struct UNetImpl : NetImpl {
  // io.data_shape must be {C, H, W}.
  UNetImpl(const UNetConfig& cfg, const NetIO& io);

  // x_in: [B, C, H, W] int64 input classes; known: [B, C, H, W] (bool or float, 1 = known);
  // t: [B] global step; stage: [B] (ignored with one stage). Returns [B, O, C, H, W] float32.
  torch::Tensor forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                        const torch::Tensor& stage) override;
  // With a margin (io.context = M > 0) the item is a tile of a larger image, and the network
  // runs over the window of the tile and the M rows above it and M columns to its left:
  // context.values [B, C, H + M, W + M] int64 holds the window's final values, -1 where a pixel
  // is absent (outside the image, or not coded yet); the tile's own part is ignored and
  // context.length unused. The outputs are the tile's, [B, O, C, H, W].
  torch::Tensor forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                   const torch::Tensor& stage, const Context& context) override;

  UNetConfig cfg;
  // input processing
  torch::nn::Conv2d in_conv{nullptr};
  torch::nn::Embedding in_embed{nullptr};
  torch::nn::Linear in_embed_proj{nullptr};
  // time embedding MLP
  torch::nn::Linear temb1{nullptr}, temb2{nullptr};
  // trunk
  // Per level, in order; an empty AttnBlock holder means no attention after that block.
  std::vector<std::vector<ResBlock>> down_blocks, up_blocks;
  std::vector<std::vector<AttnBlock>> down_attn, up_attn;
  std::vector<torch::nn::Conv2d> downsample, upsample;  // between levels
  ResBlock mid1{nullptr}, mid2{nullptr};
  AttnBlock mid_attn{nullptr};
  torch::nn::GroupNorm out_norm{nullptr};
  torch::nn::Conv2d out_conv{nullptr};
  torch::nn::Conv2d predict{nullptr};  // the linear prediction head (cfg.taps > 0; options.h)

 private:
  // The network over whatever it is given (the tile alone, or the window).
  torch::Tensor run(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                    const torch::Tensor& stage);
};

// Zeroes the last convolution's weights and biases of every value's means, so that with an
// affine head the means start as its base (a network grown one on resume); throws unless `net`
// is a UNet whose outputs include values.
void zero_own_means(Net& net);

}  // namespace ardm::nets
