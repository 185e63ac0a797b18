// Test models and images shared by the codec and engine tests.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "ardm/objective/objective.h"
#include "ardm/core/config.h"
#include "ardm/train/model.h"

namespace {

// A small UNet with every weight randomised (the zero-initialised residual branches too), so
// every layer shapes the probabilities; 8-bit values like real images.
// upscale: 0 for OA-ARDM, else the branching factor (with `parametrization`).
inline ardm::Model random_model(uint64_t seed, int64_t upscale = 0, const std::string& parametrization = "matrix") {
  ardm::ModelConfig m;
  m.data = ardm::image_spec(1, 12, 12);
  m.process.upscale = upscale;
  m.process.parametrization = parametrization;
  m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2}, m.net.unet.attn_resolutions = {6};
  torch::manual_seed(seed);
  ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  torch::NoGradGuard g;
  for (auto& p : model.ema->parameters()) p.copy_(0.3 * torch::randn_like(p));
  return model;
}

// Smooth random images (blurred noise), so the model's predictions are far from uniform.
inline std::vector<std::vector<uint16_t>> test_images(int64_t n, uint64_t seed) {
  auto g = ardm::make_generator(seed);
  auto x = torch::rand({n, 1, 12, 12}, g);
  x = torch::avg_pool2d(torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate)), 3, 1);
  auto bytes = (x * 255).round().clamp(0, 255).to(torch::kUInt8).reshape({n, -1}).contiguous();
  std::vector<std::vector<uint16_t>> out;
  for (int64_t i = 0; i < n; ++i) out.emplace_back(bytes[i].data_ptr<uint8_t>(), bytes[i].data_ptr<uint8_t>() + 144);
  return out;
}

// A small byte-level text Transformer with every weight randomised (LayerNorm gains too).
// context > 0: it also sees that many bytes before each item.
inline ardm::Model random_text_model(uint64_t seed, int64_t length = 24, int64_t context = 0) {
  ardm::ModelConfig m;
  m.data = ardm::text_spec("bytes", length);
  m.data.context = context;
  m.net.type = "transformer";
  m.net.transformer.width = 16, m.net.transformer.layers = 2, m.net.transformer.heads = 2, m.net.transformer.mlp = 24;
  torch::manual_seed(seed);
  ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  torch::NoGradGuard g;
  for (auto& p : model.ema->named_parameters())
    p.value().copy_((p.key().find("embed") != std::string::npos ? 1.0 : 0.4) * torch::randn_like(p.value()));
  return model;
}

// A small audio DiffWave (Upscale direct, b = 16: 4 stages, or b = 2: 16) with every weight randomised.
// context > 0: it sees that many samples before each item. param "logistic" with taps > 0: the
// mixture of logistics and the linear prediction head.
inline ardm::Model random_audio_model(uint64_t seed, int64_t b, int64_t length = 40, int64_t context = 0,
                                      const std::string& param = "direct", int64_t taps = 0) {
  ardm::ModelConfig m;
  m.data = ardm::audio_spec(length);
  m.data.context = context;
  m.process.upscale = b;
  m.process.parametrization = param;
  m.net.type = "diffwave";
  m.net.diffwave.width = 8, m.net.diffwave.layers = 3, m.net.diffwave.cycle = 2, m.net.diffwave.taps = taps;
  torch::manual_seed(seed);
  ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  torch::NoGradGuard g;
  for (auto& p : model.ema->named_parameters())
    p.value().copy_((p.key().find("embed.") == 0 ? 1.0 : 0.5) * torch::randn_like(p.value()));
  return model;
}

}  // namespace
