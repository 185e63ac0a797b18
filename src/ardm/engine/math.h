// The engine's own elementary functions. Read me first:
//  * Every result here is a pure function of the argument's bits on any IEEE-754 machine: only
//    +, -, *, /, floor and exact bit manipulation, in a fixed order, compiled without FMA
//    contraction (-ffp-contract=off, see CMakeLists.txt). libm's exp, log and sin differ between
//    libraries, versions and instruction sets by an ulp now and then, and an ulp is enough to
//    change a frequency table and break a decode.
//  * Accuracy is a few ulp, which is all the network needs; determinism is the point.
#pragma once

#include <cstdint>

namespace ardm::engine {

// e^x in float: 0 below -87.3 (where e^x leaves the normal range), +inf above 88 (e^88 is
// 1.65e38, near the largest float). Branch-free and inline, so that loops over it vectorize
// (with -fno-trapping-math); vector lanes do the scalar code's operations.
inline float exp_f(float x) {
  const float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693145751953125f, kLn2Lo = 1.428606765330187e-06f;
  const float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer (ties to even)
  const float xc = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
  const float n = (xc * kLog2e + kRound) - kRound;  // -126 .. 127
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  // Taylor to degree 7 on |r| <= 0.347: relative error below 3e-8.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float scale = __builtin_bit_cast(float, static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23);  // 2^n
  const float y = p * scale;
  return x < -87.3f ? 0.0f : (x > 88.0f ? __builtin_inff() : y);
}
double exp_d(double x);  // e^x in double (0 below -745, +inf above 709.8)
double log_d(double x);  // natural log, x > 0 finite (-inf at 0, NaN below 0)
double sin_d(double x);  // |x| up to about 1e6 (the time embedding's arguments are at most 1000)
double cos_d(double x);

// x * sigmoid(x) = x / (1 + e^-x), in float.
inline float swish_f(float x) { return x / (1.0f + exp_f(-x)); }

// GELU, tanh approximation (torch's gelu(x, "tanh")): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
// with tanh(u) = 1 - 2 / (e^(2u) + 1), exact at the saturated ends.
inline float gelu_tanh_f(float x) {
  const float kC = 0.7978845608028654f, kA = 0.044715f;
  const float u = kC * (x + kA * (x * x * x));
  const float th = 1.0f - 2.0f / (exp_f(2.0f * u) + 1.0f);
  return 0.5f * x * (1.0f + th);
}

}  // namespace ardm::engine
