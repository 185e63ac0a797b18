#include "ardm/engine/math.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace ardm::engine {
namespace {

double bits_to_double(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

// 2^n for integer n in [-1022, 1023], exactly.
double pow2_d(int n) { return bits_to_double(static_cast<uint64_t>(n + 1023) << 52); }

}  // namespace

double exp_d(double x) {
  if (x != x) return x;
  if (x > 709.78) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  const double kLog2e = 1.4426950408889634074, kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  const double n = std::floor(x * kLog2e + 0.5);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  // Taylor to degree 13 on |r| <= 0.347: relative error below 1e-16.
  double p = 1.0 / 6227020800.0;
  const double inv_fact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
                             1.0 / 5040.0,      1.0 / 720.0,      1.0 / 120.0,     1.0 / 24.0,     1.0 / 6.0,
                             0.5,               1.0,              1.0};
  for (double c : inv_fact) p = p * r + c;
  const int k = static_cast<int>(n);
  if (k < -1022) return p * pow2_d(k + 512) * pow2_d(-512);
  if (k > 1023) return p * pow2_d(k - 1) * 2.0;
  return p * pow2_d(k);
}

double log_d(double x) {
  if (x != x || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x == std::numeric_limits<double>::infinity()) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // x = m 2^e, m in [0.5, 1): exact
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    e -= 1;
  }
  // log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd series to s^23.
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double p = 1.0 / 23.0;
  for (int k = 21; k >= 1; k -= 2) p = p * s2 + 1.0 / static_cast<double>(k);
  const double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return (de * kLn2Hi + 2.0 * s * p) + de * kLn2Lo;
}

namespace {

// sin and cos of |r| <= pi/4 by their Taylor series (to r^19 and r^18).
double sin_poly(double r) {
  const double r2 = r * r;
  double p = -1.0 / 121645100408832000.0;
  const double c[] = {1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
                      1.0 / 362880.0,          -1.0 / 5040.0,          1.0 / 120.0,        -1.0 / 6.0,
                      1.0};
  for (double k : c) p = p * r2 + k;
  return r * p;
}

double cos_poly(double r) {
  const double r2 = r * r;
  double p = -1.0 / 6402373705728000.0;
  const double c[] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
                      1.0 / 40320.0,          -1.0 / 720.0,         1.0 / 24.0,        -0.5,
                      1.0};
  for (double k : c) p = p * r2 + k;
  return p;
}

// x = k pi/2 + r, |r| <= pi/4 (Cody-Waite: pi/2 in three parts, each k * part exact for k < 2^20).
double reduce(double x, int64_t& k) {
  const double kTwoOverPi = 6.36619772367581382433e-01;
  const double kPio2_1 = 1.57079632673412561417e+00, kPio2_2 = 6.07710050630396597660e-11,
               kPio2_3 = 2.02226624871116645580e-21;
  const double n = std::floor(x * kTwoOverPi + 0.5);
  k = static_cast<int64_t>(n);
  return ((x - n * kPio2_1) - n * kPio2_2) - n * kPio2_3;
}

}  // namespace

double sin_d(double x) {
  if (!(std::fabs(x) <= 1e6)) return std::numeric_limits<double>::quiet_NaN();
  int64_t k = 0;
  const double r = reduce(x, k);
  switch (k & 3) {
    case 0: return sin_poly(r);
    case 1: return cos_poly(r);
    case 2: return -sin_poly(r);
    default: return -cos_poly(r);
  }
}

double cos_d(double x) {
  if (!(std::fabs(x) <= 1e6)) return std::numeric_limits<double>::quiet_NaN();
  int64_t k = 0;
  const double r = reduce(x, k);
  switch (k & 3) {
    case 0: return cos_poly(r);
    case 1: return -sin_poly(r);
    case 2: return -cos_poly(r);
    default: return sin_poly(r);
  }
}

}  // namespace ardm::engine
