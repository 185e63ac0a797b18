#include "ardm/nets/unet/unet.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ardm::nets {
namespace F = torch::nn::functional;

namespace {

torch::Tensor swish(const torch::Tensor& x) { return x * torch::sigmoid(x); }

// GroupNorm needs the group count to divide the channels; small CPU networks have fewer
// channels than the paper's 32 groups, so use the largest divisor not above the request.
torch::nn::GroupNorm group_norm(int64_t groups, int64_t ch) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(unet::group_count(groups, ch), ch).eps(1e-6));
}

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

torch::nn::Conv2d conv1x1(int64_t in, int64_t out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)); }

// Residual branches end in a zero-initialised layer, so every block starts as the identity.
template <typename M>
void zero_init(M& m) {
  torch::NoGradGuard g;
  m->weight.zero_();
  m->bias.zero_();
}

}  // namespace

ResBlockImpl::ResBlockImpl(int64_t in_ch, int64_t out_ch, int64_t temb_ch, int64_t groups, double dropout) {
  norm1 = register_module("norm1", group_norm(groups, in_ch));
  conv1 = register_module("conv1", conv3x3(in_ch, out_ch));
  temb_proj = register_module("temb_proj", torch::nn::Linear(temb_ch, out_ch));
  norm2 = register_module("norm2", group_norm(groups, out_ch));
  drop = register_module("drop", torch::nn::Dropout(dropout));
  conv2 = register_module("conv2", conv3x3(out_ch, out_ch));
  zero_init(conv2);
  if (in_ch != out_ch) shortcut = register_module("shortcut", conv1x1(in_ch, out_ch));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
  auto h = conv1(swish(norm1(full_precision(x))));
  h = h + temb_proj(swish(temb)).unsqueeze(-1).unsqueeze(-1);
  h = conv2(drop(swish(norm2(full_precision(h)))));
  return (shortcut ? shortcut(x) : x) + h;
}

AttnBlockImpl::AttnBlockImpl(int64_t ch, int64_t groups) {
  norm = register_module("norm", group_norm(groups, ch));
  qkv = register_module("qkv", conv1x1(ch, 3 * ch));
  proj = register_module("proj", conv1x1(ch, ch));
  zero_init(proj);
}

torch::Tensor AttnBlockImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto qkv_out = qkv(norm(full_precision(x))).reshape({b, 3, c, h * w});
  auto q = qkv_out.select(1, 0), k = qkv_out.select(1, 1), v = qkv_out.select(1, 2);  // [B, C, N]
  auto attn = torch::softmax(torch::bmm(q.transpose(1, 2), k) / std::sqrt(static_cast<double>(c)), -1);  // [B, N, N]
  auto out = torch::bmm(v, attn.transpose(1, 2)).reshape({b, c, h, w});
  return x + proj(out);
}

UNetImpl::UNetImpl(const UNetConfig& c, const NetIO& net_io) : cfg(c) {
  io = net_io;
  unet::validate(cfg, io);
  const int64_t C = io.data_shape[0], G = cfg.num_groups;
  const int64_t stage_ch = unet::stage_channels(io);
  const int64_t c0 = unet::level_channels(cfg, 0);
  const int64_t temb_ch = unet::time_channels(cfg);

  in_conv = register_module("in_conv", conv3x3(2 * C + stage_ch, 3 * c0 / 4));
  in_embed = register_module("in_embed", torch::nn::Embedding(io.input_classes, c0 / 4));
  in_embed_proj = register_module("in_embed_proj", torch::nn::Linear(C * (c0 / 4), c0 / 4));
  temb1 = register_module("temb1", torch::nn::Linear(cfg.ch, temb_ch));
  temb2 = register_module("temb2", torch::nn::Linear(temb_ch, temb_ch));

  const int64_t levels = static_cast<int64_t>(cfg.ch_mult.size());
  auto has_attn = [&](int64_t res) { return unet::has_attention(cfg, res); };
  std::vector<int64_t> skip_ch = {c0};
  std::vector<int64_t> level_res;  // feature-map height at each level
  int64_t ch = c0, res = io.data_shape[1];
  down_blocks.resize(levels);
  down_attn.resize(levels);
  for (int64_t l = 0; l < levels; ++l) {
    level_res.push_back(res);
    const int64_t out = cfg.ch * cfg.ch_mult[l];
    for (int64_t r = 0; r < cfg.num_res_blocks; ++r) {
      const std::string name = unet::down_block(l, r);
      down_blocks[l].push_back(register_module(name, ResBlock(ch, out, temb_ch, G, cfg.dropout)));
      down_attn[l].push_back(has_attn(res) ? register_module(unet::attention_of(name), AttnBlock(out, G)) : AttnBlock(nullptr));
      ch = out;
      skip_ch.push_back(ch);
    }
    if (l + 1 < levels) {
      downsample.push_back(register_module(unet::downsample(l), conv3x3(ch, ch, 2)));
      skip_ch.push_back(ch);
      res = (res + 1) / 2;
    }
  }
  mid1 = register_module("mid1", ResBlock(ch, ch, temb_ch, G, cfg.dropout));
  mid_attn = register_module("mid_attn", AttnBlock(ch, G));
  mid2 = register_module("mid2", ResBlock(ch, ch, temb_ch, G, cfg.dropout));

  up_blocks.resize(levels);
  up_attn.resize(levels);
  for (int64_t l = levels - 1; l >= 0; --l) {
    const int64_t out = cfg.ch * cfg.ch_mult[l];
    for (int64_t r = 0; r <= cfg.num_res_blocks; ++r) {
      const std::string name = unet::up_block(l, r);
      const int64_t skip = skip_ch.back();
      skip_ch.pop_back();
      up_blocks[l].push_back(register_module(name, ResBlock(ch + skip, out, temb_ch, G, cfg.dropout)));
      up_attn[l].push_back(has_attn(level_res[l]) ? register_module(unet::attention_of(name), AttnBlock(out, G))
                                                  : AttnBlock(nullptr));
      ch = out;
    }
    if (l > 0) upsample.insert(upsample.begin(), register_module(unet::upsample(l), conv3x3(ch, ch)));
  }
  out_norm = register_module("out_norm", group_norm(G, ch));
  out_conv = register_module("out_conv", conv3x3(ch, io.outputs_per_value * C));
  if (cfg.taps > 0) {  // zero at first: a network grown a head (ardm train --resume --taps) keeps its outputs
    predict = register_module(unet::head_layer(), conv1x1(ch, unet::head_weights(cfg, io)));
    zero_init(predict);
  }
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                const torch::Tensor& stage) {
  if (io.context > 0) {  // a tile with no known pixel around it
    const int64_t M = io.context, B = x_in.size(0);
    auto window = torch::full({B, x_in.size(1), x_in.size(2) + M, x_in.size(3) + M}, -1, x_in.options().dtype(torch::kInt64));
    return forward_in_context(x_in, known, t, stage, {window, torch::zeros({B}, window.options())});
  }
  return run(x_in, known, t, stage);
}

torch::Tensor UNetImpl::forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                           const torch::Tensor& stage, const Context& context) {
  const int64_t M = io.context;
  TORCH_CHECK(M > 0, "this UNet takes no context");
  TORCH_CHECK(x_in.dim() == 4, "UNet expects x_in [B, C, H, W], got ", x_in.sizes());
  const int64_t B = x_in.size(0), C = x_in.size(1), H = x_in.size(2), W = x_in.size(3);
  const auto& v = context.values;
  TORCH_CHECK(v.dim() == 4 && v.size(0) == B && v.size(1) == C && v.size(2) == H + M && v.size(3) == W + M,
              "context: the window must be [B, ", C, ", ", H + M, ", ", W + M, "], got ", v.sizes());
  // The window: the margin's pixels where present (known, their values), else unknown at 0;
  // the tile at the bottom right as the process has it.
  auto present = v.ge(0);
  auto xw = v.clamp_min(0).to(x_in.scalar_type());
  auto kw = present.to(known.scalar_type());
  xw.slice(2, M).slice(3, M).copy_(x_in);
  kw.slice(2, M).slice(3, M).copy_(known);
  return run(xw, kw, t, stage).slice(3, M).slice(4, M);
}

torch::Tensor UNetImpl::run(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                            const torch::Tensor& stage) {
  const int64_t C = io.data_shape[0];
  TORCH_CHECK(x_in.dim() == 4 && x_in.size(1) == C, "UNet expects x_in [B, ", C, ", H, W], got ", x_in.sizes());
  const int64_t B = x_in.size(0), H = x_in.size(2), W = x_in.size(3), O = io.outputs_per_value;
  TORCH_CHECK(known.sizes() == x_in.sizes(), "known mask must match x_in: ", known.sizes(), " vs ", x_in.sizes());

  // Input processing (spec section 5): values scaled by 2/K_in, the mask, and with several
  // stages the stage as one-hot channels (spec section 2).
  auto xf = x_in.to(torch::kFloat32) * (2.0 / static_cast<double>(io.input_classes)) - 1.0;
  std::vector<torch::Tensor> in = {xf, known.to(torch::kFloat32)};
  if (io.num_stages > 1) {
    TORCH_CHECK(stage.defined() && stage.numel() == B, "a staged UNet needs one stage per example");
    in.push_back(torch::one_hot(stage.to(x_in.device(), torch::kInt64), io.num_stages)
                     .to(torch::kFloat32)
                     .view({B, io.num_stages, 1, 1})
                     .expand({B, io.num_stages, H, W}));
  }
  auto a = in_conv(torch::cat(in, 1));                                                // [B, 3c0/4, H, W]
  auto e = in_embed(x_in.permute({0, 2, 3, 1}));                                      // [B, H, W, C, c0/4]
  e = in_embed_proj(e.reshape({B, H, W, -1})).permute({0, 3, 1, 2});                 // [B, c0/4, H, W]
  auto h = torch::cat({a, e}, 1);                                                     // [B, c0, H, W]

  auto ts = t.to(torch::kFloat32) * (1000.0 / static_cast<double>(io.max_time));
  auto temb = temb2(swish(temb1(timestep_embedding(ts, cfg.ch))));                  // [B, 4ch]

  std::vector<torch::Tensor> hs = {h};
  const size_t levels = down_blocks.size();
  for (size_t l = 0; l < levels; ++l) {
    for (size_t r = 0; r < down_blocks[l].size(); ++r) {
      h = down_blocks[l][r]->forward(h, temb);
      if (!down_attn[l][r].is_empty()) h = down_attn[l][r]->forward(h);
      hs.push_back(h);
    }
    if (l + 1 < levels) {
      h = downsample[l]->forward(h);
      hs.push_back(h);
    }
  }
  h = mid2->forward(mid_attn->forward(mid1->forward(h, temb)), temb);
  for (size_t li = levels; li-- > 0;) {
    for (size_t r = 0; r < up_blocks[li].size(); ++r) {
      auto skip = hs.back();
      hs.pop_back();
      h = up_blocks[li][r]->forward(torch::cat({h, skip}, 1), temb);
      if (!up_attn[li][r].is_empty()) h = up_attn[li][r]->forward(h);
    }
    if (li > 0) {
      // Nearest upsampling to the size of the next skip (odd sizes such as 7 -> 14 -> 28 and
      // 7 -> 4 -> 2 -> 4 -> 7 both work).
      const auto& target = hs.back();
      h = F::interpolate(h, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{target.size(2), target.size(3)})
                                .mode(torch::kNearest));
      h = upsample[li - 1]->forward(h);
    }
  }
  const auto hid = swish(out_norm(full_precision(h)));
  auto out = out_conv(hid).view({B, O, C, H, W});  // channel index o*C + c
  if (cfg.taps > 0) {
    // The head: each value's weights over the known values of every channel around it.
    const int64_t R = cfg.taps, T = unet::head_taps(cfg), a = io.value_at, n = io.value_count;
    const auto around = F::UnfoldFuncOptions({2 * R + 1, 2 * R + 1}).padding(R);
    const auto kf = known.to(torch::kFloat32);
    auto nb = F::unfold(xf * kf, around);                                              // [B, C*T, H*W], c'*T + k
    auto w = predict(hid).view({B, C, C * T, H * W});                                  // [B, C, C*T, H*W]
    torch::Tensor pred;
    if (cfg.head == "affine") {
      // m[c][c']: the mean of y_c' where channels c and c' are both known; the weights act on
      // the known values' differences from it, and m[c][c] is the base.
      auto nk = F::unfold(kf, around).view({B, C, T, H * W});
      auto ny = nb.view({B, C, T, H * W});
      auto both = torch::einsum("bckp,bdkp->bcdp", {nk, nk});                          // [B, C, C, H*W]
      auto m = torch::einsum("bckp,bdkp->bcdp", {nk, ny}) / both.clamp_min(1.0);
      auto dev = ny.unsqueeze(1) - nk.unsqueeze(1) * m.unsqueeze(3);                   // [B, C, C, T, H*W]
      pred = (w.view({B, C, C, T, H * W}) * dev).sum({2, 3}) + m.diagonal(0, 1, 2).permute({0, 2, 1});
      pred = pred.view({B, 1, C, H, W});
    } else {
      pred = (w * nb.unsqueeze(1)).sum(2).view({B, 1, C, H, W});
    }
    out = torch::cat({out.narrow(1, 0, a), out.narrow(1, a, n) + pred, out.narrow(1, a + n, O - a - n)}, 1);
  }
  return out.contiguous();
}

void zero_own_means(Net& net) {
  auto* u = dynamic_cast<UNetImpl*>(net.get());
  if (u == nullptr || u->io.value_count == 0) throw std::invalid_argument("zero_own_means: a UNet whose outputs include values");
  const int64_t C = u->io.data_shape[0];
  torch::NoGradGuard g;
  u->out_conv->weight.narrow(0, u->io.value_at * C, u->io.value_count * C).zero_();
  u->out_conv->bias.narrow(0, u->io.value_at * C, u->io.value_count * C).zero_();
}

}  // namespace ardm::nets
