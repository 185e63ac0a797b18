// A trained ARDM as the commands use it: its configs, its process (what a step means), the
// network, its EMA copy and the per-step cost tracker, plus checkpoint I/O (the optimizer
// state is saved and restored by train.cpp through the same archive).
#pragma once

#include <torch/torch.h>

#include <string>

#include "ardm/objective/objective.h"
#include "ardm/core/config.h"
#include "ardm/nets/net.h"
#include "ardm/process/process.h"
#include "ardm/train/loss_tracker.h"
#include "ardm/core/schedule_dp.h"

namespace ardm {

struct Model {
  ModelConfig model_cfg;
  ObjectiveConfig objective_cfg;
  TrainConfig train_cfg;
  std::shared_ptr<const Process> process;
  nets::Net net;  // trained weights
  nets::Net ema;  // EMA of the weights: used for eval, sampling and coding
  LossTracker tracker;  // S * D entries, stage-major
  int64_t step = 0;

  Model() = default;
  Model(const ModelConfig& m, const ObjectiveConfig& o, const TrainConfig& t);

  const DataSpec& data() const { return model_cfg.data; }
  int64_t num_values() const { return process->steps_per_stage(); }  // D
  int64_t num_stages() const { return process->num_stages(); }       // S
  int64_t num_steps() const { return process->num_steps(); }         // S * D
  // The objective's view of a network; with `context`, the network sees it before every item.
  NetFn as_fn(const nets::Net& which, const nets::Context* context = nullptr) const;
  // Data items of a model with a context (data().context = C > 0) are the C values before the
  // item and the item: x [B, C + N] -> the item [B, N] and its context, the last lengths[b] of
  // row b's C values present (lengths [B] int64; undefined: all C). Images: windows
  // x [B, Ch, C + H, C + W] -> the tile at the bottom right and the window as the context,
  // lengths[b] saying which margins are present (bit 1: the rows above, bit 2: the columns to
  // the left; undefined: both; an absent margin's pixels are -1, the corner present with both).
  struct InContext {
    torch::Tensor item;
    nets::Context context;
  };
  InContext split_context(const torch::Tensor& x, const torch::Tensor& lengths = {}) const;
  void to(const torch::Device& device);
  // Another ProcessConfig::order (check_order): the fixed order and the family training draws
  // from; the weights and the loss tracker stay (a run resumed with another order).
  void set_order(const std::string& order);
  // The image UNet's prediction head of reach `taps` (UNetConfig::taps) on a network that has
  // none: every other weight (and the EMA's) kept, the head zero. A linear head keeps the
  // outputs; an affine one starts the means at its base (the network's own means zeroed: they
  // learn what the base misses), the rest of the outputs kept.
  void grow_head(int64_t taps, const std::string& head = "linear");
  // The parameters of the network's grown head (the UNet's "predict."; none for other networks),
  // which the optimizer keeps as a second group so a grown run resumes its first group's state.
  bool is_head_parameter(const std::string& name) const;

  // Stage s's per-step costs from the loss tracker, sorted descending (as the DP uses them).
  std::vector<double> stage_costs(int64_t stage) const;
  // Every stage's sorted costs, stage after stage.
  std::vector<double> sorted_costs() const;
  // The costs the model file holds (engine/model_file.h; core/schedule_dp.h, exported_step_costs):
  // sorted_costs, or for an order of groups (quincunx) in step order, each group's sorted.
  std::vector<double> exported_costs() const;
  // The DP tables of every stage and the optimal splits of totals up to max_total.
  StagedTable schedules(int64_t max_total) const;
  // Policies for a total of `budget` network calls (S <= budget <= S*D): "optimal" (the DP on
  // the loss tracker's costs, split optimally over the stages) or "naive" (an even split,
  // evenly spaced steps).
  Policies policy(int64_t budget, const std::string& kind) const;
  // What exact likelihoods and the codec use at `budget`: the fixed order's ranks [S, D] (location
  // -> rank) and the policies. The "random" order: fixed_orders of the order seed with
  // policy(budget, kind); "streams": streams_plan (schedule_dp.h), `kind` unused.
  struct CodingPlan {
    torch::Tensor ranks;
    Policies policies;
  };
  CodingPlan coding_plan(int64_t budget, const std::string& kind = "optimal") const;
  // The loss tracker's prediction of the policies' cost in bits per dim.
  double predicted_cost(const Policies& policies) const;
};

// Throws std::invalid_argument unless S <= budget <= S*D for the model, in words that say so.
void check_budget(const Model& model, int64_t budget);

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
