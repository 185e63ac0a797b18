// A tiny "network" whose conditionals are a known function of the visible values, for testing
// the objective and the parallel likelihoods against exact enumeration:
//   logits[b, k, i] = A[i, k] + sum_j known[b, j] * Bt[i, j, x_in[b, j], k].
// It is not a consistent joint model, so different orders give different likelihoods.
#pragma once

#include <torch/torch.h>

#include "ardm/objective/objective.h"
#include "ardm/process/process.h"

struct ToyNet {
  int64_t D, K;
  torch::Tensor A;   // [D, K] float64
  torch::Tensor Bt;  // [D, D, K, K] float64
  ToyNet(int64_t d, int64_t k, uint64_t seed) : D(d), K(k) {
    auto g = ardm::make_generator(seed);
    A = torch::randn({D, K}, g, torch::kFloat64);
    Bt = 1.5 * torch::randn({D, D, K, K}, g, torch::kFloat64);
  }
  // x_in, known: [B, D] -> logits [B, K, D]
  torch::Tensor operator()(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor&) const {
    auto onehot = torch::one_hot(x_in, K).to(torch::kFloat64) * known.to(torch::kFloat64).unsqueeze(-1);  // [B, D, K]
    auto out = A.unsqueeze(0) + torch::einsum("bjv,ijvk->bik", {onehot, Bt});                            // [B, D, K]
    return out.permute({0, 2, 1}).contiguous();
  }
  ardm::NetFn fn() const {
    return [this](const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c, const torch::Tensor&) {
      return (*this)(a, b, c);
    };
  }
};

// The OA-ARDM process over D values of K classes with the given absorbing value.
inline std::shared_ptr<const ardm::Process> oa_process(int64_t D, int64_t K, int64_t absorbing) {
  ardm::DataSpec d;
  d.shape = {D};
  d.num_classes = K;
  d.absorbing = absorbing;
  return ardm::make_process(ardm::ProcessConfig{}, d);
}
