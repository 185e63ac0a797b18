// The non-causal text Transformer of spec section 5: every position attends to every other
// (no causal mask: an ARDM predicts all unknown positions at once, in any order).
//
//   h = Embed(x_in) + sinusoid(position) + Embed(state)      state = known + 2 * stage
//   per block: h += Attn(LN(h));  h += W2 GELU(W1 LN(h) + Wt swish(temb))
//   Attn: softmax(q k^T / sqrt(head width) - slope_head |i - j|) v, heads concatenated, projected
//   logits = Dense(LN(h))
//
// Beyond the released code: the time t enters every MLP (the paper's "time input"); a small
// state embedding tells known from unknown positions and the stage, which Upscale processes
// need (their unknown positions hold real classes); and a fixed distance bias per head (ALiBi)
// makes the network use nearby characters from the first steps of training. The engine's twin is engine/transformer.cpp;
// parameter names are shared.
//
// With a context (io.context = C > 0) the sequence is the C given values before the item, then
// the item's N: positions 0..C+N-1. The context's rows attend only to the present context (and
// each to itself), get no time input and the state "known" of the last stage; the item's rows
// attend to the present context and the whole item. So the context's rows depend on the context
// alone: a coder computes them once per item, not once per step. The outputs are the item's.
#pragma once

#include <torch/torch.h>

#include "ardm/core/config.h"
#include "ardm/nets/net.h"

namespace ardm::nets {

struct TransformerBlockImpl : torch::nn::Module {
  TransformerBlockImpl(const TransformerConfig& cfg, int64_t temb_dim);
  // h: [B, L, W], temb: [B, temb_dim], bias: [heads, L, L] or [B, heads, L, L]; gate: [1, L, 1]
  // float32 (1: the row takes the time input, 0: it does not) or undefined (all take it) -> [B, L, W]
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& temb, const torch::Tensor& bias,
                        const torch::Tensor& gate = {});

  int64_t heads;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr}, temb_proj{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(TransformerBlock);

struct TransformerImpl : NetImpl {
  // io.data_shape must be {L}.
  TransformerImpl(const TransformerConfig& cfg, const NetIO& io);

  // x_in: [B, L] int64 input classes; known: [B, L]; t: [B] global step; stage: [B].
  // Returns [B, O, L] float32.
  torch::Tensor forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                        const torch::Tensor& stage) override;
  torch::Tensor forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                   const torch::Tensor& stage, const Context& context) override;

  TransformerConfig cfg;
  torch::nn::Embedding tok_embed{nullptr}, state_embed{nullptr};
  torch::nn::Linear temb1{nullptr}, temb2{nullptr};
  std::vector<TransformerBlock> blocks;
  torch::nn::LayerNorm out_norm{nullptr};
  torch::nn::Linear out{nullptr};
};

// Head h's attention logits get -slope_h * |i - j| (ALiBi's linear distance bias, symmetric):
// every head starts with a preference for near positions, which the sinusoid codes alone take
// long to learn. slope_h = 2^(-8 (h + 1) / heads). [heads, L, L] float32.
torch::Tensor distance_bias(int64_t length, int64_t heads);
double distance_slope(int64_t head, int64_t heads);

// Fixed sinusoidal position codes: [L, W] float32, first half sin, second half cos, wavelengths
// from 1 to 10,000 (W even).
torch::Tensor position_codes(int64_t length, int64_t width);

}  // namespace ardm::nets
