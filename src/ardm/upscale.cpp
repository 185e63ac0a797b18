#include "ardm/upscale.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace ardm::upscale {

int64_t power(int64_t b, int64_t k) {
  int64_t p = 1;
  for (int64_t i = 0; i < k; ++i) {
    if (p > std::numeric_limits<int64_t>::max() / b) throw std::overflow_error("b^k overflows");
    p *= b;
  }
  return p;
}

int64_t num_stages(int64_t num_classes, int64_t branching) {
  if (branching < 2) throw std::invalid_argument("upscale branching factor must be at least 2, not " + std::to_string(branching));
  if (num_classes < 2) throw std::invalid_argument("upscaling needs at least 2 classes");
  int64_t s = 0;
  for (int64_t p = 1; p < num_classes; p *= branching) ++s;
  return s;
}

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
