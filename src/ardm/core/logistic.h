// The Upscale ARDM's "logistic" parametrization (spec section 2 allows it for audio, after the
// paper's discretized logistic mixtures): the network gives, per value, a mixture of M logistic
// distributions over the continuous line onto which the K values are laid, and a stage's
// distribution over its b digits is the mixture's mass in the b sub-buckets of the bucket the
// value is known to lie in (renormalised by the softmax downstream). No torch: the LibTorch
// process (process/upscale.cpp) and the engine's rules (process/rules.cpp) share these
// definitions, and the twin tests hold the two to each other.
//
//  * Scale: value v sits at y(v) = 2 v / K - 1, the network's input scale, and owns the
//    interval [y(v) - 1/K, y(v) + 1/K). The bucket [lo, hi) of values spans
//    [edge(lo), edge(hi)); its outer edges are -inf when lo = 0 and +inf when hi = K.
//  * Outputs: M mixture logits, then M means (on the y scale: a network may add a linear
//    prediction from its inputs, NetIO::value_at), then M log-scales, each plus its component's
//    kLogScaleOffset and clamped below at kMinLogScale. The offsets make the components differ
//    from the start: a network whose last layer starts at zero would otherwise give M identical
//    components identical gradients forever (one logistic, however large M).
//  * Mass of [a, c) under component m, in logs, with u = (c - mu) / s and l = (a - mu) / s:
//      log(sigmoid(u) - sigmoid(l)) = -softplus(-u) - softplus(l) + log(1 - e^(l - u)),
//    exact in every tail; an infinite edge is replaced by +-kFarEdge (the terms it drives
//    vanish), so no infinity reaches the arithmetic.
#pragma once

#include <cstdint>

namespace ardm::logistic {

constexpr int64_t kComponents = 4;          // M
constexpr double kMinLogScale = -14.0;       // s >= e^-14: about a 37th of a 16-bit value's width
constexpr double kFarEdge = 1000.0;          // stands for an infinite edge (values lie in [-1, 1])
constexpr double kLogScaleOffset[kComponents] = {1.5, 0.5, -0.5, -1.5};  // scales e^3 = 20 times apart

// The lower edge of value v's interval, on the y scale: (2 v - 1) / K - 1; -kFarEdge for v = 0
// and +kFarEdge for v >= K.
inline double edge(int64_t v, int64_t K) {
  if (v <= 0) return -kFarEdge;
  if (v >= K) return kFarEdge;
  return static_cast<double>(2 * v - 1) / static_cast<double>(K) - 1.0;
}

}  // namespace ardm::logistic
