// Probabilities -> integer frequencies for rANS. Encoder and decoder call these and nothing
// else, so both see the same table for the same input bits.
//
// Rule: with T = 2^precision and p_i = w_i / sum(w) (sum taken in double, in index order),
//   f_i = 1 + floor(p_i * (T - K)),
// and the counts left over (T - K - sum of the floors, fewer than K) go to the most probable
// symbol (the first one on ties). Every f_i >= 1 and sum f_i = T exactly.
// Error bound: q_i = f_i / T >= p_i * (1 - K / T) for every i, so the expected extra code length
// KL(p || q) <= -log2(1 - K / T) bits per symbol: 2.2e-5 for K = 256 and 0.0056 for K = 65,536
// at 24 bits. The per-symbol worst case log2(p_i / q_i) obeys the same bound.
// Deterministic: sequential loops, no threads; the same input bytes give the same table in the
// same build. (Bit-identical tables across compilers also need the same floating-point
// contraction settings; the codec's own guarantees are documented with it.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ardm::coding {

// A quantized distribution: cum[k] = sum of the frequencies of symbols < k; cum[K] = 2^precision.
struct FrequencyTable {
  std::vector<uint32_t> cum;  // [K + 1]
  uint32_t precision = 0;

  size_t size() const { return cum.size() - 1; }
  uint32_t start(size_t s) const { return cum[s]; }
  uint32_t freq(size_t s) const { return cum[s + 1] - cum[s]; }
  // The symbol whose range [cum[s], cum[s+1]) contains `slot` (binary search).
  size_t find(uint32_t slot) const;
};

// From non-negative weights (probabilities, not necessarily normalised). Throws CodingError for
// K < 1, K > 2^precision, a negative or non-finite weight, or an all-zero vector.
FrequencyTable quantize_probabilities(const float* weights, size_t k, uint32_t precision);
FrequencyTable quantize_probabilities(const double* weights, size_t k, uint32_t precision);

// From logits: softmax in double (max subtracted), then quantize_probabilities.
FrequencyTable quantize_logits(const float* logits, size_t k, uint32_t precision);

// The bound above: -log2(1 - K / 2^precision).
double quantization_loss_bound_bits(size_t k, uint32_t precision);

}  // namespace ardm::coding
