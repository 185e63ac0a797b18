// The Upscale ARDM as a Process (spec section 2, zero_least_significant): S stages, stage s
// chooses the base-b digit of weight q_s = b^(S-1-s) of every value, coarsest first. Values
// start at 0 (the absorbing state), so no value is ever "unknown" in the input: the mask and
// the stage's one-hot channels tell the network what it is looking at.
//
// Two parametrizations of a stage's distribution over the b digits:
//  * direct: the network gives S*b logits per value; stage s reads its own b.
//  * matrix: the network gives K logits per value, a distribution over the full-precision
//    class; the digit's probability is the mass of the classes that share x_past's higher
//    digits and that digit (p_future = C_{s_rev} p, restricted to the classes M_{s_rev+1} maps
//    onto x_past). Computed as a log-sum-exp over each digit's block of q_s classes, which is
//    that distribution exactly (the reference adds 1e-10 inside its log instead).
//  * logistic: the network gives a mixture of logistics over the line the K values lie on
//    (core/logistic.h); the digit's probability is the mixture's mass in its sub-bucket of the
//    bucket x_past says the value lies in. Its lowest stage codes 65,536 values with 3 M outputs.
// Digits whose value would reach K (only when K is not a power of b) get logit -1e9.
#pragma once

#include "ardm/process/process.h"

namespace ardm {

class UpscaleProcess : public Process {
 public:
  // parametrization: "direct", "matrix" or "logistic".
  UpscaleProcess(const DataSpec& data, int64_t branching, std::string parametrization);
  int64_t branching() const { return b_; }
  // q_s = b^(S-1-s): the weight of the digit stage s chooses.
  int64_t digit_weight(int64_t stage) const;

  int64_t num_symbols() const override { return b_; }
  nets::NetIO net_io() const override;
  std::string describe() const override;
  torch::Tensor past(const torch::Tensor& x, const torch::Tensor& stage) const override;
  torch::Tensor future(const torch::Tensor& x, const torch::Tensor& stage) const override;
  torch::Tensor symbol(const torch::Tensor& x_past, const torch::Tensor& x_future, const torch::Tensor& stage) const override;
  torch::Tensor value(const torch::Tensor& x_past, const torch::Tensor& symbol, const torch::Tensor& stage) const override;
  int64_t value_of(int64_t past, int64_t symbol, int64_t stage) const override;
  torch::Tensor symbol_logits(const torch::Tensor& out, const torch::Tensor& x_past, int64_t stage) const override;
  // logistic: the mass of the symbol's sub-bucket over that of x_past's bucket, two masses per
  // value instead of b + 1 edges (b = 256 would hold 257 of them per value in memory).
  torch::Tensor symbol_log_prob(const torch::Tensor& out, const torch::Tensor& x_past, const torch::Tensor& symbol,
                                int64_t stage) const override;

 private:
  // Per example, b^(S - 1 + offset - stage) shaped [B, 1, ...] (rank ones) to broadcast over an item.
  torch::Tensor weight_of(const torch::Tensor& stage, int64_t offset, int64_t rank) const;

  // The logistic parametrization's log-probabilities of the b digits, [B, b, ...].
  // The mixture's log-mass in [lo, hi) of values (lo, hi: [B, ...] int64), [B, ...].
  torch::Tensor logistic_log_mass(const torch::Tensor& out, const torch::Tensor& lo, const torch::Tensor& hi) const;
  torch::Tensor logistic_logits(const torch::Tensor& out, const torch::Tensor& x_past, int64_t stage) const;

  int64_t b_;
  std::string param_;
  torch::Tensor powers_;  // [S + 1] int64: b^0 .. b^S
};

}  // namespace ardm
