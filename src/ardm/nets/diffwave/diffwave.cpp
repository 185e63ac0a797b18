#include "ardm/nets/diffwave/diffwave.h"

#include <c10/core/impl/LocalDispatchKeySet.h>

#include <cmath>
#include <stdexcept>

namespace ardm::nets {
namespace {

torch::nn::Conv1d conv(int64_t in, int64_t out, int64_t kernel, int64_t dilation = 1) {
  torch::nn::Conv1d c(torch::nn::Conv1dOptions(in, out, kernel).dilation(dilation).padding(dilation * (kernel / 2)));
  torch::NoGradGuard g;
  torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanIn, torch::kReLU);  // He-normal, as the reference
  c->bias.zero_();
  return c;
}

torch::nn::Linear dense(int64_t in, int64_t out) {
  torch::nn::Linear l(torch::nn::LinearOptions(in, out));
  torch::NoGradGuard g;
  torch::nn::init::kaiming_normal_(l->weight, 0.0, torch::kFanIn, torch::kReLU);
  l->bias.zero_();
  return l;
}

torch::Tensor swish(const torch::Tensor& x) { return x * torch::sigmoid(x); }

}  // namespace

int64_t diffwave_dilation(int64_t block, int64_t cycle) { return diffwave::dilation(block, cycle); }

DiffWaveBlockImpl::DiffWaveBlockImpl(int64_t width, int64_t dilation, int64_t temb_dim) {
  temb_proj = register_module("temb_proj", dense(temb_dim, width));
  dilated = register_module("dilated", conv(width, 2 * width, 3, dilation));
  out = register_module("out", conv(width, 2 * width, 1));
}

std::pair<torch::Tensor, torch::Tensor> DiffWaveBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& temb,
                                                                   const torch::Tensor& present) {
  const int64_t F = x.size(1);
  auto h = x + temb_proj(temb).unsqueeze(2);
  if (present.defined()) h = h * present;
  auto uv = dilated(h);
  auto y = torch::tanh(uv.narrow(1, 0, F)) * torch::sigmoid(uv.narrow(1, F, F));
  auto rs = out(y);
  return {(x + rs.narrow(1, 0, F)) * M_SQRT1_2, rs.narrow(1, F, F)};
}

DiffWaveImpl::DiffWaveImpl(const DiffWaveConfig& c, const NetIO& io_) : cfg(c) {
  io = io_;
  diffwave::validate(cfg, io);
  const int64_t F = cfg.width, mask_ch = diffwave::mask_channels(io), E = diffwave::embed_channels(F);
  in_conv = register_module("in_conv", conv(1 + mask_ch, diffwave::conv_channels(F), 3));
  embed = register_module("embed", torch::nn::Embedding(io.input_classes, E));
  embed_proj = register_module("embed_proj", dense(E, E));
  temb1 = register_module("temb1", dense(F, 4 * F));
  temb2 = register_module("temb2", dense(4 * F, 4 * F));
  for (int64_t i = 0; i < cfg.layers; ++i)
    blocks.push_back(register_module(diffwave::block(i), DiffWaveBlock(F, diffwave_dilation(i, cfg.cycle), 4 * F)));
  skip_conv = register_module("skip_conv", conv(F, F, 1));
  out_conv = register_module("out_conv", conv(F, io.outputs_per_value, 1));
  torch::NoGradGuard g;
  out_conv->weight.zero_();
  if (cfg.taps > 0) {
    predict = register_module("predict", conv(F, diffwave::head_weights(cfg), 1));
    predict->weight.zero_();
  }
}

torch::Tensor DiffWaveImpl::forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                    const torch::Tensor& stage) {
  if (io.context > 0) {  // no sample before the item
    const auto opts = x_in.options().dtype(torch::kInt64);
    return forward_in_context(x_in, known, t, stage,
                              {torch::zeros({x_in.size(0), io.context}, opts), torch::zeros({x_in.size(0)}, opts)});
  }
  return run(x_in, known, t, stage, {}, {});
}

torch::Tensor DiffWaveImpl::forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known,
                                               const torch::Tensor& t, const torch::Tensor& stage,
                                               const Context& context) {
  const int64_t B = x_in.size(0), C = io.context, N = x_in.size(1);
  TORCH_CHECK(C > 0, "this diffwave takes no context");
  TORCH_CHECK(context.values.dim() == 2 && context.values.size(0) == B && context.values.size(1) == C &&
                  context.length.dim() == 1 && context.length.size(0) == B,
              "context: values must be [B, ", C, "] and lengths [B]");
  const auto dev = x_in.device();
  auto pos = torch::arange(C + N, torch::TensorOptions().dtype(torch::kInt64).device(dev)).view({1, C + N});
  auto present = (pos >= (C - context.length.to(dev).view({B, 1}))).to(torch::kFloat32).unsqueeze(1);  // [B, 1, C+N]
  auto x_all = torch::cat({context.values.to(dev).to(x_in.scalar_type()), x_in}, 1);
  auto known_all = torch::cat({torch::ones({B, C}, known.options()), known}, 1);
  auto is_context = (pos < C).to(torch::kFloat32).expand({B, C + N}).unsqueeze(1);  // [B, 1, C+N]
  return run(x_all, known_all, t, stage, is_context, present).slice(2, C, C + N).contiguous();
}

torch::Tensor DiffWaveImpl::run(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                const torch::Tensor& stage, const torch::Tensor& is_context,
                                const torch::Tensor& present) {
  const int64_t B = x_in.size(0), L = x_in.size(1);
  auto t_scaled = t.to(torch::kFloat32) * (1000.0 / static_cast<double>(io.max_time));
  auto temb = swish(temb2(swish(temb1(timestep_embedding(t_scaled, cfg.width)))));  // [B, 4F]
  std::vector<torch::Tensor> chans = {
      (x_in.to(torch::kFloat32) * (2.0 / static_cast<double>(io.input_classes)) - 1.0).unsqueeze(1),
      known.to(torch::kFloat32).unsqueeze(1)};
  if (is_context.defined()) chans.push_back(is_context);
  if (io.num_stages > 1)
    chans.push_back(torch::one_hot(stage.to(torch::kInt64), io.num_stages).to(torch::kFloat32).unsqueeze(2).expand({B, io.num_stages, L}));
  auto input = torch::cat(chans, 1);                                 // [B, mask + 1, L]
  if (present.defined()) input = input * present;
  auto a = in_conv(input);                                           // [B, 3F/4, L]
  auto e = embed_proj(embed(x_in)).permute({0, 2, 1});               // [B, F/4, L]
  auto x = torch::relu(torch::cat({a, e}, 1));                       // [B, F, L]
  torch::Tensor skip;
  for (auto& b : blocks) {
    auto [nx, s] = b(x, temb, present);
    x = nx;
    skip = skip.defined() ? skip + s : s;
  }
  // The output layers in float32, autocast or not.
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  skip = full_precision(skip) * (1.0 / std::sqrt(static_cast<double>(blocks.size())));
  auto hid = torch::relu(skip_conv(skip));
  auto out = out_conv(hid);                                          // [B, O, L]
  if (cfg.taps > 0) {
    const int64_t R = cfg.taps, T = 2 * R + 1;
    auto xs = input.narrow(1, 0, 1), known_ch = input.narrow(1, 1, 1);  // zero where absent
    auto around = [&](const torch::Tensor& v) {                           // [B, 1, L] -> [B, T, L]
      return torch::constant_pad_nd(v, {R, R}).unfold(2, T, 1).squeeze(1).permute({0, 2, 1});
    };
    auto nb = torch::cat({around(xs * known_ch), around(xs * (1.0 - known_ch))}, 1);  // [B, 2T, L]
    auto pred = (predict(hid) * nb).sum(1, true);                                     // [B, 1, L]
    const int64_t a = io.value_at, n = io.value_count, O = out.size(1);
    out = torch::cat({out.narrow(1, 0, a), out.narrow(1, a, n) + pred, out.narrow(1, a + n, O - a - n)}, 1);
  }
  return out.contiguous();
}

}  // namespace ardm::nets
