// The paper's two-stage upscaling of text8 (spec section 2, `augment_text8`) as a Process:
// stage 0 generates each character's group (space, vowel or consonant), stage 1 the character
// within its group. Groups get their own input classes, so nothing real is mistaken for them:
//   classes 0..26 (space, a..z) | 27 + group (27 space, 28 vowel, 29 consonant) | 30 absorbing.
// The network gives K = 27 logits per position (a distribution over characters); stage 0's
// symbol is the group, with the log-sum-exp of its characters' logits; stage 1's the character,
// restricted to the group its past holds. Symbols that cannot occur get logit -1e9.
#pragma once

#include "ardm/process/process.h"

namespace ardm {

class Text8UpscaleProcess : public Process {
 public:
  explicit Text8UpscaleProcess(const DataSpec& data);  // data.kind must be "text8"
  static constexpr int64_t kGroups = 3;
  static int64_t group_of(int64_t c);  // 0 space, 1 vowel, 2 consonant

  int64_t num_symbols() const override { return data_.num_classes; }
  nets::NetIO net_io() const override;
  std::string describe() const override { return "Upscale ARDM, text8 groups (space, vowel, consonant), 2 stages"; }
  torch::Tensor past(const torch::Tensor& x, const torch::Tensor& stage) const override;
  torch::Tensor future(const torch::Tensor& x, const torch::Tensor& stage) const override;
  torch::Tensor symbol(const torch::Tensor& x_past, const torch::Tensor& x_future, const torch::Tensor& stage) const override;
  torch::Tensor value(const torch::Tensor& x_past, const torch::Tensor& symbol, const torch::Tensor& stage) const override;
  int64_t value_of(int64_t past, int64_t symbol, int64_t stage) const override;
  torch::Tensor symbol_logits(const torch::Tensor& out, const torch::Tensor& x_past, int64_t stage) const override;

 private:
  int64_t absorbing() const { return data_.num_classes + kGroups; }
  // [B, 1, ...] stage per example, broadcast over an item of `rank` dimensions.
  static torch::Tensor per_example(const torch::Tensor& stage, int64_t rank);
  torch::Tensor groups_;  // [K] int64: group of each class
};

}  // namespace ardm
