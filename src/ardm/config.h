// Plain configuration structs with defaults. The CLI fills them; every checkpoint stores them
// (see checkpoint.cpp), so `eval` and later commands need only the checkpoint path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ardm {

// The image UNet of spec section 5. The defaults are a small CPU-friendly network for
// 28x28 gray images; `ch=256, ch_mult={1}, num_res_blocks=32, attn_resolutions={32}` is the
// paper's CIFAR-10 network.
struct ModelConfig {
  int64_t channels = 1;           // data channels C
  int64_t height = 28;
  int64_t width = 28;
  int64_t num_classes = 256;      // K: output classes per subpixel
  int64_t ch = 32;                // base width
  std::vector<int64_t> ch_mult = {1, 2, 2};
  int64_t num_res_blocks = 1;
  std::vector<int64_t> attn_resolutions = {7};  // attention where the feature map's height is listed
  int64_t num_groups = 32;        // GroupNorm groups (reduced to a divisor of the width if needed)
  double dropout = 0.0;
};

// The OA-ARDM objective of spec section 1.
struct ObjectiveConfig {
  std::string t_sampling = "uniform";  // "uniform" or "antithetic"
  double ce_term = 0.001;              // weight of the auxiliary unweighted cross-entropy
  uint64_t order_seed = 0;             // seed of the one fixed order used for exact likelihoods and coding
};

struct TrainConfig {
  std::string data = "fashion-mnist";  // "fashion-mnist" or a folder of PNG files
  int64_t limit = 0;                   // use only the first N training images (0 = all)
  int64_t steps = 2000;
  int64_t batch = 32;
  std::string optimizer = "adam";      // "adam" or "adamw"
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;           // decoupled, only with adamw
  int64_t warmup = 100;                // linear warm-up steps (0 = none)
  double clip = 100.0;                 // global gradient-norm clip (0 = off)
  double ema_decay = 0.999;
  uint64_t seed = 0;
  int64_t checkpoint_every = 250;
  int64_t log_every = 10;              // metrics.jsonl rows
};

}  // namespace ardm
