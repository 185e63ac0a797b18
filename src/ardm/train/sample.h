// Generation along a policy (spec sections 1-3): start from the first stage's past (OA-ARDM:
// all absorbing; Upscale: all zero); per stage draw one random order per sample, and at each
// of the stage's policy steps [l, r) make one network call with the locations of rank < l
// known, draw the stage's symbol at the locations of rank in [l, r) (Gumbel-max) and write
// the values they make.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "ardm/objective/objective.h"

namespace ardm {

struct Samples {
  torch::Tensor x;                  // [N, ...] int64 classes
  std::vector<torch::Tensor> chain;  // with keep_chain: x after each policy step (on the CPU)
};

// `count` samples of the process's data shape; all randomness (orders, Gumbel noise) comes from
// `gen` on the CPU, so the same seed gives the same samples on the same build and thread count.
Samples sample(const Process& process, const NetFn& net, int64_t count, const Policies& policies,
               torch::Generator& gen, const torch::Device& device, bool keep_chain = false);

// Tiles images [N, C, H, W] (values 0..255) into one [C, rows*(H+pad)+pad, cols*(W+pad)+pad]
// uint8 grid with `cols` columns and a gray border.
torch::Tensor image_grid(const torch::Tensor& images, int64_t cols, int64_t pad = 1);

}  // namespace ardm
