#include "ardm/core/stages.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace ardm::stages {

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

int64_t of_process(const ProcessConfig& p, const DataSpec& d) {
  if (p.upscale == 0) return 1;
  if (p.parametrization == "text8") return 2;
  return num_stages(d.num_classes, p.upscale);
}

}  // namespace ardm::stages
