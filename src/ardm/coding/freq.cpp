#include "ardm/coding/freq.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ardm/coding/rans.h"

namespace ardm::coding {
namespace {

template <typename F>
FrequencyTable quantize(const F* w, size_t k, uint32_t precision) {
  if (precision < 1 || precision > 31) throw CodingError("precision must be 1..31 bits");
  const uint64_t total = uint64_t{1} << precision;
  if (k < 1 || k > total)
    throw CodingError("cannot quantize " + std::to_string(k) + " symbols at " + std::to_string(precision) + " bits");
  double sum = 0;
  size_t best = 0;
  for (size_t i = 0; i < k; ++i) {
    const double v = static_cast<double>(w[i]);
    if (!(v >= 0) || !std::isfinite(v)) throw CodingError("probabilities must be finite and non-negative");
    sum += v;
    if (v > static_cast<double>(w[best])) best = i;
  }
  if (!(sum > 0) || !std::isfinite(sum)) throw CodingError("probabilities sum to zero or overflow");
  const double spread = static_cast<double>(total - k);  // counts beyond the minimum of 1 each
  FrequencyTable t;
  t.precision = precision;
  t.cum.resize(k + 1);
  std::vector<uint32_t> f(k);
  uint64_t used = 0;
  for (size_t i = 0; i < k; ++i) {
    // p * spread <= spread < 2^31, and floor never rounds past it.
    const auto extra = static_cast<uint64_t>(std::floor(static_cast<double>(w[i]) / sum * spread));
    f[i] = static_cast<uint32_t>(1 + std::min<uint64_t>(extra, total - k));
    used += f[i];
  }
  if (used > total) {  // only if rounding in p / sum pushed the floors above the total
    // Take the excess from the most probable symbol, which then still holds the most counts.
    const uint64_t excess = used - total;
    if (f[best] <= excess) throw CodingError("internal: cannot quantize this distribution");
    f[best] -= static_cast<uint32_t>(excess);
  } else {
    f[best] += static_cast<uint32_t>(total - used);
  }
  uint64_t c = 0;
  for (size_t i = 0; i < k; ++i) {
    t.cum[i] = static_cast<uint32_t>(c);
    c += f[i];
  }
  t.cum[k] = static_cast<uint32_t>(c);
  return t;
}

}  // namespace

size_t FrequencyTable::find(uint32_t slot) const {
  // first index with cum[index] > slot, minus one
  return static_cast<size_t>(std::upper_bound(cum.begin(), cum.end(), slot) - cum.begin()) - 1;
}

FrequencyTable quantize_probabilities(const float* w, size_t k, uint32_t precision) {
  return quantize(w, k, precision);
}
FrequencyTable quantize_probabilities(const double* w, size_t k, uint32_t precision) {
  return quantize(w, k, precision);
}

FrequencyTable quantize_logits(const float* logits, size_t k, uint32_t precision) {
  if (k < 1) throw CodingError("no logits");
  double mx = -INFINITY;
  for (size_t i = 0; i < k; ++i) {
    if (std::isnan(logits[i])) throw CodingError("logits contain NaN");
    mx = std::max(mx, static_cast<double>(logits[i]));
  }
  if (!std::isfinite(mx)) throw CodingError("logits must contain a finite maximum");
  std::vector<double> p(k);
  for (size_t i = 0; i < k; ++i) p[i] = std::exp(static_cast<double>(logits[i]) - mx);
  return quantize(p.data(), k, precision);
}

double quantization_loss_bound_bits(size_t k, uint32_t precision) {
  return -std::log2(1.0 - static_cast<double>(k) / std::ldexp(1.0, static_cast<int>(precision)));
}

}  // namespace ardm::coding
