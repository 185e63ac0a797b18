// Likelihood evaluation of a trained model with its EMA weights (a model with a context: its
// items [N, C + N'] are the C values before each item and the item; with_context false
// shows it none of them, the paper's bound of each item alone): the stochastic bound (all D
// steps, or a policy's parallel steps), and the exact code length for one fixed order.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "ardm/train/model.h"

namespace ardm {

struct EvalResult {
  double bpd = 0;         // mean negative bound over images and passes, bits per dim
  double stderr_bpd = 0;  // standard error of that mean (see evaluate)
  std::vector<double> pass_bpd;
  int64_t images = 0;
};

// The stochastic test-set bound: `passes` passes over `data` ([N, ...shape] integer values),
// one random order, stage and step per item per pass. stderr_bpd is the standard error of the estimator for this
// fixed data set: sqrt(sum_i var_i / passes) / N, with var_i the variance across passes of image
// i's estimate (passes >= 2; with one pass, the spread across images stands in for it).
EvalResult evaluate(Model& model, const torch::Tensor& data, int64_t passes, int64_t batch, uint64_t seed,
                    const torch::Device& device, bool progress = true, bool with_context = true);

// The same for the parallel model of a policy (policy_bound_bpd): one random policy step per
// image per pass.
EvalResult evaluate_policy_bound(Model& model, const torch::Tensor& data, const Policies& policy,
                                 int64_t passes, int64_t batch, uint64_t seed, const torch::Device& device,
                                 bool progress = true, bool with_context = true);

struct ExactResult {
  double bpd = 0;            // mean of -log2 p(x) / d over the images, for the model's fixed order
  double stderr_images = 0;  // spread across images / sqrt(N) (the value itself is exact per image)
  int64_t images = 0;
  int64_t network_calls = 0;  // per batch: exactly the total budget of the policies
};

// Exact negative log-likelihood for a coding plan's fixed order and policies (Model::coding_plan):
// total_budget(plan.policies) network calls per batch.
ExactResult evaluate_fixed_order(Model& model, const torch::Tensor& data, const Model::CodingPlan& plan,
                                 int64_t batch, const torch::Device& device, bool progress = true,
                                 bool with_context = true);

// The steps measure_step_costs measures (ascending, 0 and D-1 among them): for orders of the
// dyadic family every level's first and last step, then the middle of the widest gap until
// there are `points`; otherwise `points` steps spread over 0..D-1, denser at the start where
// the cost falls fastest.
std::vector<int64_t> measured_steps(const std::string& order, int64_t D, int64_t points,
                                    const std::vector<int64_t>& shape = {});

// The per-step costs the step-budget DP reads, measured instead of tracked: for every stage,
// the mean of elbo_t over `data` (every item, a fresh order of the model's family each) at the
// measured_steps, linearly interpolated between them. The same items at every step, so the curve's shape is not the
// items' spread. [S * D] float64 bits per dim, stage-major (the loss tracker's layout); the
// training tracker instead averages one item per visit over all of training, most of it
// made while the model was worse.
torch::Tensor measure_step_costs(Model& model, const torch::Tensor& data, int64_t points, int64_t batch,
                                 uint64_t seed, const torch::Device& device, bool progress = true);

}  // namespace ardm
