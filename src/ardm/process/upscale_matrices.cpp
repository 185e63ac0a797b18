#include "ardm/process/upscale_matrices.h"

#include "ardm/core/stages.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace ardm::upscale {

int64_t power(int64_t b, int64_t k) { return stages::power(b, k); }

int64_t num_stages(int64_t num_classes, int64_t branching) { return stages::num_stages(num_classes, branching); }

torch::Tensor level(const torch::Tensor& v, int64_t b, int64_t k) {
  const int64_t p = power(b, k);
  return torch::div(v, p, "floor") * p;
}

torch::Tensor transition_matrix(int64_t num_classes, int64_t b, int64_t k) {
  TORCH_CHECK(k >= 1, "transition matrices are numbered from 1");
  auto m = torch::zeros({num_classes, num_classes}, torch::kFloat64);
  const int64_t prev = power(b, k - 1), next = power(b, k);
  for (int64_t in = 0; in < num_classes; in += prev) m[(in / next) * next][in] = 1.0;
  return m;
}

torch::Tensor cumulative_matrix(int64_t num_classes, int64_t b, int64_t k) {
  auto c = torch::eye(num_classes, torch::kFloat64);
  for (int64_t j = 1; j <= k; ++j) c = transition_matrix(num_classes, b, j).matmul(c);
  return c;
}

}  // namespace ardm::upscale
