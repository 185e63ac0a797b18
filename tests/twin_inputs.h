// Inputs of one network call and LibTorch's outputs for them, for the twin tests of the engine's
// networks (tests/test_engine.cpp) and the reference files they leave for the torch-free twin
// test (tests/twin/).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ardm/objective/objective.h"
#include "ardm/train/model.h"

namespace {

// An RGB model of odd, non-square size (7 x 9: 7 -> 4 -> 2 and back by nearest resizing).
inline ardm::Model random_rgb_model(uint64_t seed, int64_t upscale, const std::string& parametrization) {
  ardm::ModelConfig m;
  m.data = ardm::image_spec(3, 7, 9);
  m.process.upscale = upscale;
  m.process.parametrization = parametrization;
  m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2, 2}, m.net.unet.attn_resolutions = {4, 2};
  torch::manual_seed(seed);
  ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  torch::NoGradGuard g;
  for (auto& p : model.ema->parameters()) p.copy_(0.3 * torch::randn_like(p));
  return model;
}

struct Inputs {
  std::vector<int32_t> x;
  std::vector<uint8_t> known;
  std::vector<int64_t> t, stage;
};

inline Inputs random_inputs(const ardm::Model& model, int64_t B, uint64_t seed) {
  auto g = ardm::make_generator(seed);
  const auto io = model.process->net_io();
  const int64_t D = model.num_values();
  Inputs in;
  auto x = torch::randint(io.input_classes, {B, D}, g, torch::kInt64);
  auto known = torch::rand({B, D}, g) < 0.5;
  auto stage = torch::randint(model.num_stages(), {B}, g, torch::kInt64);
  auto t = stage * D + torch::randint(D, {B}, g, torch::kInt64);
  for (int64_t i = 0; i < B * D; ++i) {
    in.x.push_back(static_cast<int32_t>(x.view(-1)[i].item<int64_t>()));
    in.known.push_back(known.view(-1)[i].item<bool>() ? 1 : 0);
  }
  for (int64_t b = 0; b < B; ++b) {
    in.t.push_back(t[b].item<int64_t>());
    in.stage.push_back(stage[b].item<int64_t>());
  }
  return in;
}

// LibTorch's outputs for the inputs, rearranged to the engine's [B, D, O].
inline std::vector<float> torch_outputs(ardm::Model& model, const Inputs& in, int64_t B) {
  torch::NoGradGuard g;
  model.ema->eval();
  std::vector<int64_t> shape = {B};
  for (auto d : model.data().shape) shape.push_back(d);
  std::vector<int64_t> xs(in.x.begin(), in.x.end());
  std::vector<uint8_t> ks(in.known.begin(), in.known.end());
  auto x = torch::tensor(xs, torch::kInt64).view(shape);
  auto known = torch::tensor(std::vector<int64_t>(ks.begin(), ks.end()), torch::kInt64).view(shape).to(torch::kBool);
  auto out = model.ema->forward(x, known, torch::tensor(in.t, torch::kInt64), torch::tensor(in.stage, torch::kInt64));
  const int64_t O = out.size(1);
  out = out.reshape({B, O, -1}).transpose(1, 2).contiguous();  // [B, D, O]
  return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}

}  // namespace
