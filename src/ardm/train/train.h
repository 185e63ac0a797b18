// The training loop.
//
// Randomness is derived from (seed, step) alone: step s draws its batch, orders and steps t
// from a generator seeded with mix(seed, s), and epochs shuffle with mix(seed, epoch). A run
// resumed from a checkpoint at step s therefore continues exactly as the uninterrupted run
// would have (on the same machine and thread count), with no RNG state to save.
//
// Data parallel (opts.group): every rank draws the same global batch and the same orders and
// steps for it, and computes the rows of its rank; gradients are averaged by all-reduce, and the
// per-example terms are summed across ranks so that the loss tracker and the metrics see the
// whole global batch. N ranks with batch b therefore take the steps one process with batch N*b
// takes (up to float rounding), and a run may resume with a different number of ranks.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "ardm/train/dist.h"
#include "ardm/train/model.h"

namespace ardm {

struct RunOptions {
  std::string out_dir;                 // checkpoint.pt and metrics.jsonl go here
  torch::Device device = torch::kCPU;
  bool resume = false;                 // continue from out_dir/checkpoint.pt (model must be loaded from it)
  bool progress = true;                // progress line on stderr
  double max_seconds = 0;              // > 0: stop (and checkpoint) after this much wall time
  // Data parallel: the process group this rank trains in (null: alone). Every rank calls train
  // with the same model, data and options; train_cfg.batch is per rank, so a step sees
  // batch * world items. Rank 0 alone writes to out_dir.
  dist::Group* group = nullptr;
  // Where the optimizer state of a resumed run is read from (empty: out_dir/checkpoint.pt).
  std::string resume_from;
  // "bf16": the forward pass under autocast to bfloat16 on opts.device (the weights, their
  // gradients, the optimizer and the bound's sums stay float32/float64); "" or "off": none.
  std::string autocast;
  // The run resumes a checkpoint whose network was grown a new head since (Model::grow_head):
  // its optimizer state covers the other parameters, and the head's starts fresh.
  bool head_grown = false;
};

// Trains `model` from model.step up to model.train_cfg.steps on `data` ([N, ...shape] of
// integer values below K, e.g. uint8 images [N, C, H, W]),
// checkpointing every train_cfg.checkpoint_every steps and at the end (also when stopped early
// by opts.max_seconds).
void train(Model& model, const torch::Tensor& data, const RunOptions& opts);

// One metrics.jsonl row: means over the steps since the previous row, at `step` (after it).
struct MetricsRow {
  int64_t step = 0;
  double loss = 0, nelbo_bpd = 0, ce_bpd = 0, grad_norm = 0, lr = 0, images_per_s = 0, tracker_sum_bpd = 0;
};
// The row as one line of compact JSON, keys in the order above; NaN and infinities are null.
std::string metrics_row_json(const MetricsRow& row);
// Keeps the metrics rows of steps <= `step` (a resumed run logs the later ones again). A cut-short
// last line (the run was killed while writing it) is dropped; any other line that is not a JSON
// object with an integer "step" throws std::runtime_error naming the file and line.
void truncate_metrics(const std::string& path, int64_t step);

// A 64-bit seed mixed from a base seed and two stream indices (splitmix64).
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b = 0);

// Learning rate at `step` (0-based): linear warm-up to lr over `warmup` steps, then constant, and
// over the last `lr_decay` of `steps` linearly down to lr / 10.
double learning_rate(const TrainConfig& c, int64_t step);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, const std::vector<torch::Tensor>& params);

// Throws if the data's item shape or value range does not match the model's data description.
void check_data(const Model& model, const torch::Tensor& data, const std::string& what);

// How many of the C values before each item a training step shows (models with a context):
// all C with probability kFullContext (later chunks of a stream), none with kNoContext (a
// stream's first chunk, and the paper's unconditional bound), else 1..C-1 uniformly. [batch] int64.
constexpr double kFullContext = 0.7, kNoContext = 0.15;
// The margins of image tiles (DataSpec::context, Model::split_context's codes): the rows above
// and the columns to the left are each absent with probability kMarginAbsent. [B] int64 codes.
torch::Tensor draw_margins(int64_t batch, torch::Generator& gen);
constexpr double kMarginAbsent = 0.1;
torch::Tensor draw_context_lengths(int64_t batch, int64_t context, torch::Generator& gen);

}  // namespace ardm
