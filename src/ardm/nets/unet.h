// The image UNet of spec section 5 (the ARDM paper's, after DDPM's): GroupNorm + swish
// residual blocks conditioned on a sinusoidal time embedding, optional single-head self-attention
// at chosen resolutions, channel multipliers per level, and the ARDM input processing
// (scaled values + "known" mask through a 3x3 conv, concatenated with a class embedding).
//
// It knows nothing of the objective: it maps (x_in, mask, t) to logits.
#pragma once

#include <torch/torch.h>

#include "ardm/config.h"

namespace ardm::nets {

// Sinusoidal embedding of t (already scaled to [0, 1000]): [B] float -> [B, dim] float32.
torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim);

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

struct UNetImpl : torch::nn::Module {
  explicit UNetImpl(const ModelConfig& cfg);

  // x_in: [B, C, H, W] int64 input classes in [0, K); known: [B, C, H, W] (bool or float, 1 =
  // known); t: [B] number of known variables; max_time: D (so t is scaled by 1000 / D).
  // Returns logits [B, K, C, H, W] float32.
  torch::Tensor forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                        int64_t max_time);

  ModelConfig cfg;
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
};
TORCH_MODULE(UNet);

// Number of trainable parameters.
int64_t parameter_count(const torch::nn::Module& m);

}  // namespace ardm::nets
