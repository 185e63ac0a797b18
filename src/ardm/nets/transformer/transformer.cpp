#include "ardm/nets/transformer/transformer.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace ardm::nets {
namespace {

torch::nn::LayerNorm layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-6));
}

torch::nn::Linear dense(int64_t in, int64_t out, bool bias = true) {
  torch::nn::Linear l(torch::nn::LinearOptions(in, out).bias(bias));
  torch::NoGradGuard g;
  torch::nn::init::xavier_uniform_(l->weight);
  if (bias) l->bias.zero_();
  return l;
}

torch::Tensor swish(const torch::Tensor& x) { return x * torch::sigmoid(x); }

}  // namespace

torch::Tensor distance_bias(int64_t length, int64_t heads) {
  auto pos = torch::arange(length, torch::kFloat32);
  auto dist = (pos.unsqueeze(0) - pos.unsqueeze(1)).abs();  // [L, L]
  std::vector<torch::Tensor> per_head;
  for (int64_t h = 0; h < heads; ++h) per_head.push_back(dist * static_cast<float>(-distance_slope(h, heads)));
  return torch::stack(per_head);  // [heads, L, L]
}

double distance_slope(int64_t head, int64_t heads) { return transformer::distance_slope(head, heads); }

torch::Tensor position_codes(int64_t length, int64_t width) {
  const int64_t half = width / 2;
  auto pos = torch::arange(length, torch::kFloat64).unsqueeze(1);  // [L, 1]
  auto freqs = torch::exp(torch::arange(half, torch::kFloat64) *
                          (-std::log(10000.0) / static_cast<double>(std::max<int64_t>(half - 1, 1))));
  auto args = pos * freqs.unsqueeze(0);  // [L, half]
  return torch::cat({torch::sin(args), torch::cos(args)}, 1).to(torch::kFloat32);
}

TransformerBlockImpl::TransformerBlockImpl(const TransformerConfig& cfg, int64_t temb_dim) : heads(cfg.heads) {
  const int64_t w = cfg.width;
  ln1 = register_module("ln1", layer_norm(w));
  qkv = register_module("qkv", dense(w, 3 * w, false));
  proj = register_module("proj", dense(w, w));
  ln2 = register_module("ln2", layer_norm(w));
  fc1 = register_module("fc1", dense(w, cfg.mlp));
  temb_proj = register_module("temb_proj", dense(temb_dim, cfg.mlp));
  fc2 = register_module("fc2", dense(cfg.mlp, w));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& h, const torch::Tensor& temb, const torch::Tensor& bias,
                                            const torch::Tensor& gate) {
  const int64_t B = h.size(0), L = h.size(1), W = h.size(2), hd = W / heads;
  auto qkv_out = qkv(ln1(full_precision(h))).view({B, L, 3, heads, hd}).permute({2, 0, 3, 1, 4});  // [3, B, heads, L, hd]
  auto q = qkv_out[0], k = qkv_out[1], v = qkv_out[2];
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd));  // [B, heads, L, L]
  auto att = torch::softmax(scores + (bias.dim() == 3 ? bias.unsqueeze(0) : bias), -1);
  auto a = torch::matmul(att, v).permute({0, 2, 1, 3}).reshape({B, L, W});  // [B, L, W]
  auto x = h + drop(proj(a));
  auto tp = temb_proj(swish(temb)).unsqueeze(1);  // [B, 1, mlp]
  auto m = fc1(ln2(full_precision(x))) + (gate.defined() ? tp * gate : tp);
  return x + drop(fc2(torch::gelu(m, "tanh")));
}

TransformerImpl::TransformerImpl(const TransformerConfig& c, const NetIO& io_) : cfg(c) {
  io = io_;
  transformer::validate(cfg, io);
  const int64_t w = cfg.width;
  tok_embed = register_module("tok_embed", torch::nn::Embedding(io.input_classes, w));
  state_embed = register_module("state_embed", torch::nn::Embedding(2 * io.num_stages, w));
  {
    torch::NoGradGuard g;
    tok_embed->weight.normal_(0.0, 1.0);
    state_embed->weight.normal_(0.0, 0.02);
  }
  temb1 = register_module("temb1", dense(w, w));
  temb2 = register_module("temb2", dense(w, w));
  for (int64_t i = 0; i < cfg.layers; ++i)
    blocks.push_back(register_module(transformer::block(i), TransformerBlock(cfg, w)));
  out_norm = register_module("out_norm", layer_norm(w));
  out = register_module("out", dense(w, io.outputs_per_value));
  register_buffer("positions", position_codes(io.context + io.data_shape[0], w));
  register_buffer("distance_bias", distance_bias(io.context + io.data_shape[0], cfg.heads));
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                       const torch::Tensor& stage) {
  const int64_t B = x_in.size(0);
  if (io.context > 0) {  // no value before the item
    const auto opts = x_in.options().dtype(torch::kInt64);
    return forward_in_context(x_in, known, t, stage,
                              {torch::zeros({B, io.context}, opts), torch::zeros({B}, opts)});
  }
  auto t_scaled = t.to(torch::kFloat32) * (1000.0 / static_cast<double>(io.max_time));
  auto temb = temb2(swish(temb1(timestep_embedding(t_scaled, cfg.width))));  // [B, W]
  auto state = known.to(torch::kInt64) + 2 * stage.to(torch::kInt64).view({B, 1});
  auto h = tok_embed(x_in) + named_buffers()["positions"].unsqueeze(0) + state_embed(state);  // [B, L, W]
  const auto bias = named_buffers()["distance_bias"];
  for (auto& b : blocks) h = b(h, temb, bias);
  return out(out_norm(full_precision(h))).permute({0, 2, 1}).contiguous();  // [B, O, L]
}

torch::Tensor TransformerImpl::forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known,
                                                  const torch::Tensor& t, const torch::Tensor& stage,
                                                  const Context& context) {
  const int64_t B = x_in.size(0), N = x_in.size(1), C = io.context, L = C + N;
  TORCH_CHECK(C > 0, "this transformer takes no context");
  TORCH_CHECK(context.values.dim() == 2 && context.values.size(0) == B && context.values.size(1) == C &&
                  context.length.dim() == 1 && context.length.size(0) == B,
              "context: values must be [B, ", C, "] and lengths [B]");
  auto t_scaled = t.to(torch::kFloat32) * (1000.0 / static_cast<double>(io.max_time));
  auto temb = temb2(swish(temb1(timestep_embedding(t_scaled, cfg.width))));  // [B, W]
  const auto positions = named_buffers()["positions"];                      // [L, W]
  auto state = known.to(torch::kInt64) + 2 * stage.to(torch::kInt64).view({B, 1});
  auto h_item = tok_embed(x_in) + positions.slice(0, C, L).unsqueeze(0) + state_embed(state);  // [B, N, W]
  auto ctx_state = torch::full({B, C}, 1 + 2 * (io.num_stages - 1), x_in.options().dtype(torch::kInt64));
  auto h_ctx = tok_embed(context.values.to(x_in.device())) + positions.slice(0, 0, C).unsqueeze(0) + state_embed(ctx_state);
  auto h = torch::cat({h_ctx, h_item}, 1);  // [B, L, W]

  // Which keys each row sees: present context keys (position >= C - length) from every row, the
  // item's keys from the item's rows, and every row itself.
  const auto dev = x_in.device();
  auto pos = torch::arange(L, torch::TensorOptions().dtype(torch::kInt64).device(dev));
  auto present = pos.view({1, L}) >= (C - context.length.to(dev).view({B, 1}));           // [B, L] (item keys too)
  auto key_ctx = (pos < C).view({1, 1, L}) & present.view({B, 1, L});                     // [B, 1, L]
  auto item_pair = (pos >= C).view({1, L, 1}) & (pos >= C).view({1, 1, L});              // [1, L, L]
  auto self = torch::eye(L, torch::TensorOptions().dtype(torch::kBool).device(dev)).view({1, L, L});
  auto allowed = key_ctx | item_pair | self;                                              // [B, L, L]
  auto bias = named_buffers()["distance_bias"].unsqueeze(0).masked_fill(
      torch::logical_not(allowed).unsqueeze(1), -std::numeric_limits<float>::infinity());  // [B, heads, L, L]
  auto gate = (pos >= C).to(torch::kFloat32).view({1, L, 1});
  for (auto& b : blocks) h = b(h, temb, bias, gate);
  h = h.slice(1, C, L);
  return out(out_norm(full_precision(h))).permute({0, 2, 1}).contiguous();  // [B, O, N]
}

}  // namespace ardm::nets
