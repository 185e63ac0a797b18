// Generation along a policy (spec sections 1 and 3): start from all-absorbing, draw one random
// order per sample, and at each policy step [l, r) make one network call with the locations of
// rank < l known, draw every location from its categorical (Gumbel-max), and keep the draws
// at the locations of rank in [l, r).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "ardm/ardm.h"

namespace ardm {

struct Samples {
  torch::Tensor x;                  // [N, ...] int64 classes
  std::vector<torch::Tensor> chain;  // with keep_chain: x after each policy step (on the CPU)
};

// shape: [N, ...] of the samples; all randomness (orders, Gumbel noise) comes from `gen` on the
// CPU, so the same seed gives the same samples on the same build and thread count.
Samples sample(const NetFn& net, torch::IntArrayRef shape, int64_t absorbing, const std::vector<int64_t>& policy,
               torch::Generator& gen, const torch::Device& device, bool keep_chain = false);

// Tiles images [N, C, H, W] (values 0..255) into one [C, rows*(H+pad)+pad, cols*(W+pad)+pad]
// uint8 grid with `cols` columns and a gray border.
torch::Tensor image_grid(const torch::Tensor& images, int64_t cols, int64_t pad = 1);

}  // namespace ardm
