// The ARDM objective (spec sections 1-3) for any Process: random orders, step sampling, masks,
// the per-example terms of the unbiased likelihood bound in bits per dimension, the exact
// fixed-order likelihood of a policy, and the stochastic bound of the parallel model.
//
// Read me first:
//  * sigma is a RANK array: sigma[b, i] is the step at which flat location i of example b is
//    generated. "known" at step t is sigma < t; the unknown set (sigma >= t) includes the
//    location generated at step t itself.
//  * t ranges over {0, ..., D-1} within a stage; D - t >= 1 always. The weight is S*D / (D - t)
//    (S = 1 for OA-ARDM; the paper's 1-based indexing is the same thing shifted).
//  * The bound's term at step t averages the log-likelihoods of the values that could be the one
//    generated at t (variance reduction) and weights them by D: for uniform random orders every
//    unknown value (their sum over D - t), for an order of groups (quincunx: each group's values
//    in a random order, the groups in turn) the unknown values of t's group (their sum over
//    end - t, end the group's end). Only exact fixed-order coding uses the single current location.
//  * Images: the absorbing value is a real class (K/2); only the mask channel tells them apart.
//  * Upscale: each stage is an OA-ARDM over the same D locations with its own order; the bound
//    of the data is the sum of the stages' bounds (every level is a function of the data).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>

#include "ardm/core/config.h"
#include "ardm/process/process.h"

namespace ardm {

// A network as the objective sees it: (x_in [B, ...] int64, known [B, ...] bool, t [B] int64
// global step s*D + known count, stage [B] int64) -> outputs [B, O, ...] float32.
using NetFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                          const torch::Tensor&)>;

// A policy per stage: policies[s] is stage s's strictly increasing start steps (first 0, all
// below D); the total budget is the sum of their lengths.
using Policy = std::vector<int64_t>;
using Policies = std::vector<Policy>;
int64_t total_budget(const Policies& p);

// Uniform random permutations used as rank arrays: [B, D] int64, each row a permutation of 0..D-1.
torch::Tensor sample_orders(int64_t batch, int64_t num_steps, torch::Generator& gen);
// The dyadic family (ProcessConfig::order "dyadic"), [B, D] ranks: coarse to fine over the
// positions (position 0, then the ones whose index has the most trailing zero bits: for D =
// 4,000 the multiples of 2,048, of 1,024, ... of 2, then the odd ones), each level's positions
// in a uniform random order. A budget's call that takes a whole level codes every value with
// its neighbours at the level's spacing known on both sides. With the data shape of an image
// {C, H, W} the levels are two-dimensional: pixel (0, 0), then the pixels whose coordinates
// both have the most trailing zero bits, and within each such level channel 0's values, then
// channel 1's, ... (a shape of rank 1 or none: the sequence's levels). `quincunx` (images only,
// ProcessConfig::order "quincunx") splits each pixel level in two: the pixels at the centres of
// the squares of coarser pixels first (four diagonal neighbours known), then the others (four
// direct neighbours known).
torch::Tensor sample_dyadic_orders(int64_t batch, int64_t num_steps, torch::Generator& gen,
                                   const std::vector<int64_t>& shape = {}, bool quincunx = false);
// The ranks at which the dyadic orders' levels start, ascending (0, 1, ...): for D = 4,000 0, 1,
// 2, 4, 8, 16, 32, 63, 125, 250, 500, 1000, 2000.
std::vector<int64_t> dyadic_level_starts(int64_t num_steps, const std::vector<int64_t>& shape = {},
                                         bool quincunx = false);
// Whether `order` (ProcessConfig::order) is one of the level families: "dyadic", "quincunx".
bool is_level_order(const std::string& order);
// Orders of the family that ProcessConfig::order `order` draws from in training and bounds
// (shape: the data's, which the dyadic family of images needs).
torch::Tensor draw_orders(const std::string& order, int64_t batch, int64_t num_steps, torch::Generator& gen,
                          const std::vector<int64_t>& shape = {});

// Steps t: [B] int64 in {0..D-1}. "uniform": i.i.d.; "antithetic": stratified grids over
// {0..D-1} of size gcd(B, D), shuffled within the batch (spec section 1).
torch::Tensor sample_steps(int64_t batch, int64_t num_steps, const std::string& mode, torch::Generator& gen);

// known: [B, ...] bool, true where sigma < t. sigma: [B, D] ranks, t: [B]; shape: data shape
// without the batch dimension (prod = D).
torch::Tensor known_mask(const torch::Tensor& sigma, const torch::Tensor& t, torch::IntArrayRef shape);

// The network input at a step: x_future where known, else x_past.
torch::Tensor network_input(const torch::Tensor& x_past, const torch::Tensor& x_future, const torch::Tensor& known);

// log p(symbol) at every location, in nats, for a batch with a stage per example:
// out [B, O, ...], x_past and x_future [B, ...], stage [B] -> [B, ...].
torch::Tensor symbol_log_probs(const Process& process, const torch::Tensor& out, const torch::Tensor& x_past,
                               const torch::Tensor& x_future, const torch::Tensor& stage);

// Per-example terms of the bound for one (sigma, t, stage) draw, each [B] float64, in bits per dim.
// L: the log-likelihood of the values t <= sigma < end (end = D, or t's group's end).
struct BoundTerms {
  torch::Tensor elbo_bpd;    // S*D/(end-t) * L / (d ln 2): unbiased estimate of log2 p(x) / d (a lower bound)
  torch::Tensor elbo_t_bpd;  // L / (end-t) / (d ln 2): this step's contribution (feeds the loss tracker)
  torch::Tensor nce_bpd;     // unweighted log-likelihood of all unknown positions / (d ln 2)
  torch::Tensor loss;        // scalar float32 with gradient: -mean(elbo) - ce_term * mean(nce)
  torch::Tensor t;           // [B] int64: the global steps used (stage * D + t), the tracker's index
};

// Evaluates the network once at (sigma, t, stage). x: [B, ...] int64 in [0, K); sigma [B, D];
// t, stage: [B]. d = D = prod(shape) (one step per value per stage).
BoundTerms bound_terms(const Process& process, const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma,
                       const torch::Tensor& t, const torch::Tensor& stage, double ce_term);
// The same with the terms' ends given ([B], t < end <= D): the values t <= sigma < end.
BoundTerms bound_terms(const Process& process, const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma,
                       const torch::Tensor& t, const torch::Tensor& end, const torch::Tensor& stage, double ce_term);
// Where the terms at steps t ([B], within a stage) end: D, or for an order of groups the end of
// t's group. [B] int64 on the CPU.
torch::Tensor term_ends(const Process& process, const torch::Tensor& t);

// One training step's random draws for a batch of B: orders sigma [B, D], steps t [B] and stages
// [B], int64 on the CPU. Uniform: a global step ~ U{0..S*D-1}; antithetic: stage and t each by
// the antithetic rule (stratified over the whole batch, so ranks of a data-parallel run draw
// for the global batch and take their rows).
struct StepDraw {
  torch::Tensor sigma, t, stage;
  StepDraw rows(int64_t begin, int64_t end) const {
    return {sigma.slice(0, begin, end), t.slice(0, begin, end), stage.slice(0, begin, end)};
  }
};
StepDraw draw_step(const Process& process, int64_t batch, const ObjectiveConfig& cfg, torch::Generator& gen);

// Draws sigma, the stage and t with `gen` (on the CPU) and calls bound_terms. Uniform: a global
// step ~ U{0..S*D-1}; antithetic: stage and t each by the antithetic rule.
BoundTerms stochastic_bound(const Process& process, const NetFn& net, const torch::Tensor& x,
                            const ObjectiveConfig& cfg, torch::Generator& gen);

// ---- Parallel generation along a policy (spec section 3) ----
// A policy is a strictly increasing list of start steps [t_0 = 0, ..., t_{L-1}] closed by D;
// step k generates the locations with t_k <= sigma < t_{k+1} from one call at t = t_k.

// The fixed order used for exact likelihoods and coding: [D] int64 ranks drawn from `seed`.
torch::Tensor fixed_order(int64_t num_steps, uint64_t seed, const std::string& order = "random",
                          const std::vector<int64_t>& shape = {});
// One fixed order per stage: [S, D]; stage 0's is fixed_order(D, seed, order) (what OA-ARDM
// uses). `order` is ProcessConfig::order: "dyadic" draws from sample_dyadic_orders, any other
// from sample_orders.
torch::Tensor fixed_orders(int64_t num_stages, int64_t num_steps, uint64_t seed, const std::string& order = "random",
                           const std::vector<int64_t>& shape = {});

// Exact log2-likelihood of x under fixed orders sigma ([S, D] ranks, shared by the batch) and
// a policy per stage, in bits per dim: [B] float64, <= 0. Exactly total_budget(policies)
// network calls for the whole batch; the code length an entropy coder reaches for them.
torch::Tensor policy_log_prob_bpd(const Process& process, const NetFn& net, const torch::Tensor& x,
                                  const torch::Tensor& sigma, const Policies& policies);

// The stochastic bound of the parallel model (elbo_with_policy): per example a random stage s,
// a random order and a random step k of stage s's policy; the unknown positions' mean
// log-likelihood at t_k (an order of groups: the mean over the call's own values, t_k <= sigma
// < t_{k+1}), weighted by n_k * L_s * S. Unbiased for sum_s sum_k n_k * E[mean
// log-lik at t_k] (generating n_k variables independently given the context at t_k).
// [B] float64 bits per dim, one network call.
torch::Tensor policy_bound_bpd(const Process& process, const NetFn& net, const torch::Tensor& x,
                               const Policies& policies, torch::Generator& gen);

// Throws unless `policies` has one valid policy (strictly increasing, first 0, below D) per stage.
void check_policies(const Policies& policies, int64_t num_stages, int64_t steps_per_stage);

// A CPU generator seeded with `seed` (the same stream in every LibTorch version we build with).
torch::Generator make_generator(uint64_t seed);

}  // namespace ardm
