#include "ardm/process/rules.h"

#include "ardm/core/stages.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ardm/engine/math.h"

namespace ardm::engine {

Rules::Rules(const DataSpec& data, const ProcessConfig& process)
    : data_(data), process_(process), K_(data.num_classes), S_(1), A_(data.num_classes), D_(data.num_values()), b_(process.upscale),
      absorbing_(data.absorbing), direct_(process.parametrization == "direct") {
  if (b_ == 0) {
    pow_ = {1, K_};
    return;
  }
  if (b_ < 2) throw std::invalid_argument("upscale branching factor must be at least 2");
  if (process.parametrization != "direct" && process.parametrization != "matrix")
    throw std::invalid_argument("the engine runs OA-ARDMs and Upscale ARDMs of base-b digits, not the '" +
                                process.parametrization + "' process (text8 models are for evaluation and sampling)");
  S_ = stages::num_stages(K_, b_);
  for (int64_t k = 0; k <= S_; ++k) pow_.push_back(stages::power(b_, k));
  A_ = b_;
}


int64_t Rules::past(int64_t v, int64_t stage) const {
  if (b_ == 0) return absorbing_;
  const int64_t q = pow_[static_cast<size_t>(S_ - stage)];
  return v / q * q;
}

int64_t Rules::future(int64_t v, int64_t stage) const {
  if (b_ == 0) return v;
  const int64_t q = digit_weight(stage);
  return v / q * q;
}

int64_t Rules::symbol(int64_t past, int64_t future, int64_t stage) const {
  return b_ == 0 ? future : (future - past) / digit_weight(stage);
}

int64_t Rules::value(int64_t past, int64_t symbol, int64_t stage) const {
  return b_ == 0 ? symbol : past + symbol * digit_weight(stage);
}

void Rules::symbol_weights(const float* out, int64_t past, int64_t stage, double* w) const {
  // Logits in double; -1e9 marks a digit whose value would reach K (as the LibTorch process).
  std::vector<double> l(static_cast<size_t>(A_));
  if (b_ == 0) {
    for (int64_t i = 0; i < A_; ++i) l[static_cast<size_t>(i)] = static_cast<double>(out[i]);
  } else {
    const int64_t q = digit_weight(stage);
    for (int64_t j = 0; j < b_; ++j) {
      double v;
      if (past + j * q >= K_) {
        v = -1e9;
      } else if (direct_) {
        v = static_cast<double>(out[stage * b_ + j]);
      } else {
        // log-sum-exp over the classes [lo, lo + q) that share this digit and the past's digits.
        const int64_t lo = past + j * q, hi = std::min(lo + q, K_);
        double mx = -INFINITY;
        for (int64_t c = lo; c < hi; ++c) mx = std::max(mx, static_cast<double>(out[c]));
        double sum = 0;
        for (int64_t c = lo; c < hi; ++c) sum += exp_d(static_cast<double>(out[c]) - mx);
        v = mx + log_d(sum);
      }
      l[static_cast<size_t>(j)] = v;
    }
  }
  const double mx = *std::max_element(l.begin(), l.end());
  for (int64_t i = 0; i < A_; ++i) w[i] = exp_d(l[static_cast<size_t>(i)] - mx);
}

}  // namespace ardm::engine
