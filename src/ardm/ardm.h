// The OA-ARDM objective (spec section 1): random orders, step sampling, masks, corruption and
// the per-example terms of the unbiased likelihood bound, all in bits per dimension.
//
// Read me first:
//  * sigma is a RANK array: sigma[b, i] is the step at which flat location i of example b is
//    generated. "known" at step t is sigma < t; the unknown set (sigma >= t) includes the
//    location generated at step t itself.
//  * t ranges over {0, ..., D-1}; D - t >= 1 always. The weight is D / (D - t), not 1 / (D - t + 1)
//    (the paper's 1-based indexing is the same thing shifted).
//  * The bound sums log-likelihoods over ALL unknown positions and divides by D - t (variance
//    reduction); only exact fixed-order coding uses the single current location.
//  * Images: the absorbing value is a real class (K/2); only the mask channel tells them apart.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>

#include "ardm/config.h"

namespace ardm {

// A network as the objective sees it: (x_in [B, ...] int64, known [B, ...] bool, t [B] int64
// number of known variables) -> logits [B, K, ...] float32 over the K data classes.
using NetFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;

// Uniform random permutations used as rank arrays: [B, D] int64, each row a permutation of 0..D-1.
torch::Tensor sample_orders(int64_t batch, int64_t num_steps, torch::Generator& gen);

// Steps t: [B] int64 in {0..D-1}. "uniform": i.i.d.; "antithetic": stratified grids over
// {0..D-1} of size gcd(B, D), shuffled within the batch (spec section 1).
torch::Tensor sample_steps(int64_t batch, int64_t num_steps, const std::string& mode, torch::Generator& gen);

// known: [B, ...] bool, true where sigma < t. sigma: [B, D] ranks, t: [B]; shape: data shape
// without the batch dimension (prod = D).
torch::Tensor known_mask(const torch::Tensor& sigma, const torch::Tensor& t, torch::IntArrayRef shape);

// x_in = x where known, else `absorbing`.
torch::Tensor corrupt(const torch::Tensor& x, const torch::Tensor& known, int64_t absorbing);

// Per-example terms of the bound for one (sigma, t) draw, each [B] float64, in bits per dim.
struct BoundTerms {
  torch::Tensor elbo_bpd;    // D/(D-t) * S / (d ln 2): unbiased estimate of log2 p(x) / d (a lower bound)
  torch::Tensor elbo_t_bpd;  // S / (D-t) / (d ln 2): this step's contribution (feeds the loss tracker)
  torch::Tensor nce_bpd;     // S / (d ln 2): unweighted log-likelihood of all unknown positions
  torch::Tensor loss;        // scalar float32 with gradient: -mean(elbo) - ce_term * mean(nce)
  torch::Tensor t;           // [B] int64: the steps used
};

// Evaluates the network once on x corrupted at (sigma, t). x: [B, ...] int64 in [0, K).
// d = D = prod(shape) here (one step per subpixel).
BoundTerms bound_terms(const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma, const torch::Tensor& t,
                       int64_t absorbing, double ce_term);

// Draws sigma and t with `gen` (on the CPU) and calls bound_terms.
BoundTerms stochastic_bound(const NetFn& net, const torch::Tensor& x, int64_t absorbing, const ObjectiveConfig& cfg,
                            torch::Generator& gen);

// ---- Parallel generation along a policy (spec section 3) ----
// A policy is a strictly increasing list of start steps [t_0 = 0, ..., t_{L-1}] closed by D;
// step k generates the locations with t_k <= sigma < t_{k+1} from one call at t = t_k.

// The fixed order used for exact likelihoods and coding: [D] int64 ranks drawn from `seed`.
torch::Tensor fixed_order(int64_t num_steps, uint64_t seed);

// Exact log2-likelihood of x under one fixed order sigma ([D] ranks, shared by the batch) and a
// policy, in bits per dim: [B] float64, <= 0. Exactly L = policy.size() network calls for the
// whole batch; this is the code length an entropy coder reaches for that (sigma, policy).
torch::Tensor policy_log_prob_bpd(const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma,
                                  const std::vector<int64_t>& policy, int64_t absorbing);

// The stochastic bound of the parallel model (elbo_with_policy): per example a random order
// and a random policy step k; the unknown positions' mean log-likelihood at t_k, weighted by
// n_k * L. Unbiased for sum_k n_k * E[mean log-lik at t_k] (generating n_k variables
// independently given the context at t_k). [B] float64 bits per dim, one network call.
torch::Tensor policy_bound_bpd(const NetFn& net, const torch::Tensor& x, const std::vector<int64_t>& policy,
                               int64_t absorbing, torch::Generator& gen);

// Absorbing value for K image classes: K / 2, a real class value.
inline int64_t image_absorbing(int64_t num_classes) { return num_classes / 2; }

// A CPU generator seeded with `seed` (the same stream in every LibTorch version we build with).
torch::Generator make_generator(uint64_t seed);

}  // namespace ardm
