// A trained ARDM as the commands use it: its configs, the network, its EMA copy and the
// per-step cost tracker, plus checkpoint I/O (the optimizer state is saved and restored by
// train.cpp through the same archive).
#pragma once

#include <torch/torch.h>

#include <string>

#include "ardm/ardm.h"
#include "ardm/config.h"
#include "ardm/nets/unet.h"
#include "ardm/schedule.h"

namespace ardm {

struct Model {
  ModelConfig model_cfg;
  ObjectiveConfig objective_cfg;
  TrainConfig train_cfg;
  nets::UNet net{nullptr};  // trained weights
  nets::UNet ema{nullptr};  // EMA of the weights: used for eval, sampling and coding
  LossTracker tracker;
  int64_t step = 0;

  Model() = default;
  Model(const ModelConfig& m, const ObjectiveConfig& o, const TrainConfig& t);

  int64_t num_steps() const { return model_cfg.channels * model_cfg.height * model_cfg.width; }  // D
  int64_t absorbing() const { return image_absorbing(model_cfg.num_classes); }
  // The objective's view of a network: logits [B, K, C, H, W].
  NetFn as_fn(nets::UNet& which) const;
  void to(const torch::Device& device);

  // The loss tracker's per-step costs sorted descending, as the step-budget DP uses them.
  std::vector<double> sorted_costs() const;
  // A policy for `budget` parallel steps: "optimal" (the DP on the loss tracker's costs) or
  // "naive" (evenly spaced).
  std::vector<int64_t> policy(int64_t budget, const std::string& kind) const;
};

// Writes a checkpoint atomically (temporary file, fsync, rename). `optimizer` may be null.
// weights_only: only what eval, sampling and coding use (configs, tracker, EMA weights), a
// quarter of the size; such a file loads with net = EMA and cannot resume training.
void save_checkpoint(const std::string& path, const Model& model, const torch::optim::Optimizer* optimizer,
                     bool weights_only = false);

// Reads a checkpoint onto the CPU. Throws std::runtime_error naming the path on any problem.
Model load_model(const std::string& path);
// Loads the optimizer state onto `device` (where the parameters it was built over live).
void load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace ardm
