// Upscale ARDMs, zero_least_significant (spec section 2): the data are generated in S stages of
// increasing precision. Level k of a value v is v with its k lowest base-b digits set to zero,
// lvl(v, k) = floor(v / b^k) * b^k; level 0 is the data, level S is 0 for every value (the
// absorbing state). Generative stage s (0 = coarsest) goes from level S-s to level S-s-1, i.e.
// it chooses the digit of weight b^(S-1-s) ("s_rev" = S-1-s is the diffusion index).
//
// Read me first:
//  * S is the smallest integer with b^S >= K, computed with integers (log ratios in floats can
//    round the wrong way, e.g. log 125 / log 5).
//  * Matrices are stored as the reference does, M_k[out, in] with one-hot columns, k = 1..S
//    (diffusion step k maps level k-1 to level k); C_k = M_k ... M_1 (C_0 = I). They exist for
//    the tests and the docs; the process computes the same thing with integer arithmetic.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace ardm::upscale {

// S: the smallest integer with b^S >= K (b >= 2, K >= 2).
int64_t num_stages(int64_t num_classes, int64_t branching);

// b^k as an integer (throws if it overflows int64).
int64_t power(int64_t b, int64_t k);

// Level k of values v: floor(v / b^k) * b^k, elementwise on int64 tensors.
torch::Tensor level(const torch::Tensor& v, int64_t b, int64_t k);

// M_k: [K, K] float64 with M_k[out, in] = 1 iff level(in, k) = out, for `in` a level-(k-1) value
// (other columns are zero: those classes cannot occur at level k-1).
torch::Tensor transition_matrix(int64_t num_classes, int64_t b, int64_t k);

// C_k = M_k ... M_1 (C_0 = I): [K, K] float64.
torch::Tensor cumulative_matrix(int64_t num_classes, int64_t b, int64_t k);

}  // namespace ardm::upscale
