// Per-step cost tracking (spec section 1, "KLTracker"): for every step t an exponential moving
// average (momentum 0.95) of that step's bound contribution -elbo_t in bits per dim, measured
// on training batches. Summed over t it approximates the negative bound; the step-budget
// dynamic program reads it. Saved in every checkpoint.
#pragma once

#include <torch/torch.h>

namespace ardm {

class LossTracker {
 public:
  LossTracker() = default;
  // prior_bpd: the value of a step never visited (log2(K) / D: a uniform model's share).
  LossTracker(int64_t num_steps, double prior_bpd);

  // t: [N] int64 steps, nelbo_t_bpd: [N] their -elbo_t values (any float dtype, any device).
  void update(const torch::Tensor& t, const torch::Tensor& nelbo_t_bpd);

  // [D] float64: the per-step costs, with the prior where a step was never visited.
  torch::Tensor costs() const;
  torch::Tensor history() const { return history_; }  // [D] float64
  torch::Tensor visited() const { return visited_; }  // [D] bool
  double prior_bpd() const { return prior_bpd_; }
  int64_t num_steps() const { return history_.defined() ? history_.size(0) : 0; }

  // Restores the state saved by history()/visited()/prior_bpd().
  static LossTracker from_state(torch::Tensor history, torch::Tensor visited, double prior_bpd);

  static constexpr double kMomentum = 0.95;

 private:
  torch::Tensor history_;  // [D] float64
  torch::Tensor visited_;  // [D] bool
  double prior_bpd_ = 0.0;
};

}  // namespace ardm
