#include "ardm/process/rules.h"

#include "ardm/core/logistic.h"
#include "ardm/core/stages.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ardm/engine/math.h"

namespace ardm::engine {

Rules::Rules(const DataSpec& data, const ProcessConfig& process)
    : data_(data), process_(process), K_(data.num_classes), S_(1), A_(data.num_classes), D_(data.num_values()), b_(process.upscale),
      absorbing_(data.absorbing) {
  if (b_ == 0) {
    pow_ = {1, K_};
    return;
  }
  if (b_ < 2) throw std::invalid_argument("upscale branching factor must be at least 2");
  if (process.parametrization == "direct") param_ = Param::kDirect;
  else if (process.parametrization == "matrix") param_ = Param::kMatrix;
  else if (process.parametrization == "logistic") param_ = Param::kLogistic;
  else
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
    if (param_ == Param::kLogistic) logistic_logits(out, past, stage, l.data());
    for (int64_t j = 0; j < b_; ++j) {
      double v;
      if (past + j * q >= K_) {
        v = -1e9;
      } else if (param_ == Param::kLogistic) {
        v = l[static_cast<size_t>(j)];
      } else if (param_ == Param::kDirect) {
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

namespace {

// log(1 + e^x), to within an ulp or so of the terms it is added to.
double softplus_d(double x) { return x > 0 ? x + log_d(1.0 + exp_d(-x)) : log_d(1.0 + exp_d(x)); }

// log(1 - e^d) for d < 0; near 0 by its series, where 1 - e^d would lose the digits.
double log_one_minus_exp_d(double d) {
  if (d > -1e-5) return log_d(-d * (1.0 + 0.5 * d));
  return log_d(1.0 - exp_d(d));
}

}  // namespace

void Rules::logistic_logits(const float* out, int64_t past, int64_t stage, double* l) const {
  // As the LibTorch process: l_j = log sum_m pi_m (sigmoid(u_mj) - sigmoid(l_mj)), each
  // component's mass of the sub-bucket [edge(lo_j), edge(lo_j + q)) in logs. Adjacent
  // sub-buckets share an edge, so each edge's softplus is computed once: with z_i the i-th edge
  // standardised, log(sigmoid(z_(j+1)) - sigmoid(z_j)) = -sp(-z_(j+1)) - (z_j + sp(-z_j)) +
  // log(1 - e^(z_j - z_(j+1))).
  const int64_t M = logistic::kComponents, q = digit_weight(stage);
  double pi_max = -INFINITY;
  for (int64_t m = 0; m < M; ++m) pi_max = std::max(pi_max, static_cast<double>(out[m]));
  double pi_sum = 0;
  for (int64_t m = 0; m < M; ++m) pi_sum += exp_d(static_cast<double>(out[m]) - pi_max);
  const double log_pi_norm = pi_max + log_d(pi_sum);
  std::vector<double> z(static_cast<size_t>(b_ + 1)), sp(static_cast<size_t>(b_ + 1));
  std::vector<double> acc(static_cast<size_t>(b_ * M));  // [j][m]: log pi_m + log mass
  for (int64_t m = 0; m < M; ++m) {
    const double mu = static_cast<double>(out[M + m]);
    const double log_s = static_cast<double>(out[2 * M + m]) + logistic::kLogScaleOffset[m];
    const double inv_s = exp_d(-std::max(log_s, logistic::kMinLogScale));
    const double log_pi = static_cast<double>(out[m]) - log_pi_norm;
    for (int64_t i = 0; i <= b_; ++i) {
      z[static_cast<size_t>(i)] = (logistic::edge(past + i * q, K_) - mu) * inv_s;
      sp[static_cast<size_t>(i)] = softplus_d(-z[static_cast<size_t>(i)]);
    }
    for (int64_t j = 0; j < b_; ++j) {
      const size_t a = static_cast<size_t>(j), c = a + 1;
      const double d = std::min(z[a] - z[c], -1e-30);
      acc[a * M + m] = log_pi - sp[c] - (z[a] + sp[a]) + log_one_minus_exp_d(d);
    }
  }
  for (int64_t j = 0; j < b_; ++j) {
    const double* r = acc.data() + j * M;
    double mx = -INFINITY;
    for (int64_t m = 0; m < M; ++m) mx = std::max(mx, r[m]);
    double sum = 0;
    for (int64_t m = 0; m < M; ++m) sum += exp_d(r[m] - mx);
    l[j] = mx + log_d(sum);
  }
}

}  // namespace ardm::engine
