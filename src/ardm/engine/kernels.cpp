#include "ardm/engine/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

// ARDM_ENGINE_NO_SIMD (cmake -DARDM_NO_SIMD=ON) leaves only the scalar kernel: the baseline
// build the cross-machine tests hold to the others.
#if defined(__x86_64__) && !defined(ARDM_ENGINE_NO_SIMD)
#define ARDM_ENGINE_AVX2 1
#include <immintrin.h>
#endif
#if defined(__aarch64__) && !defined(ARDM_ENGINE_NO_SIMD)
#define ARDM_ENGINE_NEON 1
#endif
#if ARDM_ENGINE_NEON
#include <arm_neon.h>
#endif

namespace ardm::engine {
namespace {

constexpr int64_t kPanel = 16;

// y row = acc + bias for the valid columns of one panel.
inline void store_row(const float* acc, const float* bias, int64_t ncols, float* y) {
  for (int64_t j = 0; j < ncols; ++j) y[j] = acc[j] + bias[j];
}

// ---- scalar: the definition, one fmaf per step
template <int MR>
void tile_scalar(const float* x, int64_t ldx, const float* wp, int64_t K, const float* bias, int64_t ncols, float* y,
                 int64_t ldy) {
  float acc[MR][kPanel] = {};
  for (int64_t k = 0; k < K; ++k) {
    const float* w = wp + k * kPanel;
    for (int r = 0; r < MR; ++r) {
      const float a = x[r * ldx + k];
      for (int64_t j = 0; j < kPanel; ++j) acc[r][j] = std::fmaf(a, w[j], acc[r][j]);
    }
  }
  for (int r = 0; r < MR; ++r) store_row(acc[r], bias, ncols, y + r * ldy);
}

void rows_scalar(const Dense& d, const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy) {
  const int64_t panels = (d.out + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p) {
    const float* wp = d.panels.data() + p * d.in * kPanel;
    const int64_t ncols = std::min(kPanel, d.out - p * kPanel);
    const float* bias = d.bias.data() + p * kPanel;
    int64_t m = 0;
    for (; m + 4 <= rows; m += 4) tile_scalar<4>(x + m * ldx, ldx, wp, d.in, bias, ncols, y + m * ldy + p * kPanel, ldy);
    for (; m < rows; ++m) tile_scalar<1>(x + m * ldx, ldx, wp, d.in, bias, ncols, y + m * ldy + p * kPanel, ldy);
  }
}

#if ARDM_ENGINE_AVX2
// ---- AVX2 + FMA: 6 rows x 16 outputs in 12 registers of 8 lanes. Named accumulators, not an
// array: GCC keeps arrays of vectors in memory and stores them every step.
__attribute__((target("avx2,fma"))) inline void store_avx2(__m256 lo, __m256 hi, const float* bias, int64_t ncols,
                                                            float* y) {
  if (ncols == kPanel) {
    _mm256_storeu_ps(y, _mm256_add_ps(lo, _mm256_loadu_ps(bias)));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(hi, _mm256_loadu_ps(bias + 8)));
    return;
  }
  alignas(32) float buf[kPanel];
  _mm256_store_ps(buf, lo);
  _mm256_store_ps(buf + 8, hi);
  store_row(buf, bias, ncols, y);
}

__attribute__((target("avx2,fma"))) void tile6_avx2(const float* x, int64_t ldx, const float* wp, int64_t K,
                                                    const float* bias, int64_t ncols, float* y, int64_t ldy) {
  __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0, a4 = a0, b4 = a0,
         a5 = a0, b5 = a0;
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx, *x4 = x + 4 * ldx, *x5 = x + 5 * ldx;
  for (int64_t k = 0; k < K; ++k) {
    const __m256 w0 = _mm256_loadu_ps(wp + k * kPanel), w1 = _mm256_loadu_ps(wp + k * kPanel + 8);
    __m256 v = _mm256_broadcast_ss(x0 + k);
    a0 = _mm256_fmadd_ps(v, w0, a0);
    b0 = _mm256_fmadd_ps(v, w1, b0);
    v = _mm256_broadcast_ss(x1 + k);
    a1 = _mm256_fmadd_ps(v, w0, a1);
    b1 = _mm256_fmadd_ps(v, w1, b1);
    v = _mm256_broadcast_ss(x2 + k);
    a2 = _mm256_fmadd_ps(v, w0, a2);
    b2 = _mm256_fmadd_ps(v, w1, b2);
    v = _mm256_broadcast_ss(x3 + k);
    a3 = _mm256_fmadd_ps(v, w0, a3);
    b3 = _mm256_fmadd_ps(v, w1, b3);
    v = _mm256_broadcast_ss(x4 + k);
    a4 = _mm256_fmadd_ps(v, w0, a4);
    b4 = _mm256_fmadd_ps(v, w1, b4);
    v = _mm256_broadcast_ss(x5 + k);
    a5 = _mm256_fmadd_ps(v, w0, a5);
    b5 = _mm256_fmadd_ps(v, w1, b5);
  }
  store_avx2(a0, b0, bias, ncols, y);
  store_avx2(a1, b1, bias, ncols, y + ldy);
  store_avx2(a2, b2, bias, ncols, y + 2 * ldy);
  store_avx2(a3, b3, bias, ncols, y + 3 * ldy);
  store_avx2(a4, b4, bias, ncols, y + 4 * ldy);
  store_avx2(a5, b5, bias, ncols, y + 5 * ldy);
}

__attribute__((target("avx2,fma"))) void tile1_avx2(const float* x, const float* wp, int64_t K, const float* bias,
                                                    int64_t ncols, float* y) {
  __m256 a0 = _mm256_setzero_ps(), b0 = a0;
  for (int64_t k = 0; k < K; ++k) {
    const __m256 v = _mm256_broadcast_ss(x + k);
    a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp + k * kPanel), a0);
    b0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp + k * kPanel + 8), b0);
  }
  store_avx2(a0, b0, bias, ncols, y);
}

__attribute__((target("avx2,fma"))) void rows_avx2(const Dense& d, const float* x, int64_t ldx, int64_t rows, float* y,
                                                   int64_t ldy) {
  // Rows outer, panels inner: six rows of x stay in L1 while every panel streams past them.
  const int64_t panels = (d.out + kPanel - 1) / kPanel;
  int64_t m = 0;
  for (; m + 6 <= rows; m += 6)
    for (int64_t p = 0; p < panels; ++p)
      tile6_avx2(x + m * ldx, ldx, d.panels.data() + p * d.in * kPanel, d.in, d.bias.data() + p * kPanel,
                 std::min(kPanel, d.out - p * kPanel), y + m * ldy + p * kPanel, ldy);
  for (; m < rows; ++m)
    for (int64_t p = 0; p < panels; ++p)
      tile1_avx2(x + m * ldx, d.panels.data() + p * d.in * kPanel, d.in, d.bias.data() + p * kPanel,
                 std::min(kPanel, d.out - p * kPanel), y + m * ldy + p * kPanel);
}
#endif

#if ARDM_ENGINE_NEON
// ---- NEON: 4 rows x 16 outputs in 16 registers of 4 lanes (vfmaq_f32 is fused)
template <int MR>
void tile_neon(const float* x, int64_t ldx, const float* wp, int64_t K, const float* bias, int64_t ncols, float* y,
               int64_t ldy) {
  float32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vdupq_n_f32(0.0f);
  for (int64_t k = 0; k < K; ++k) {
    float32x4_t w[4];
    for (int v = 0; v < 4; ++v) w[v] = vld1q_f32(wp + k * kPanel + 4 * v);
    for (int r = 0; r < MR; ++r) {
      const float32x4_t a = vdupq_n_f32(x[r * ldx + k]);
      for (int v = 0; v < 4; ++v) acc[r][v] = vfmaq_f32(acc[r][v], a, w[v]);
    }
  }
  float buf[kPanel];
  for (int r = 0; r < MR; ++r) {
    for (int v = 0; v < 4; ++v) vst1q_f32(buf + 4 * v, acc[r][v]);
    store_row(buf, bias, ncols, y + r * ldy);
  }
}

void rows_neon(const Dense& d, const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy) {
  const int64_t panels = (d.out + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p) {
    const float* wp = d.panels.data() + p * d.in * kPanel;
    const int64_t ncols = std::min(kPanel, d.out - p * kPanel);
    const float* bias = d.bias.data() + p * kPanel;
    float* yp = y + p * kPanel;
    int64_t m = 0;
    for (; m + 4 <= rows; m += 4) tile_neon<4>(x + m * ldx, ldx, wp, d.in, bias, ncols, yp + m * ldy, ldy);
    for (; m < rows; ++m) tile_neon<1>(x + m * ldx, ldx, wp, d.in, bias, ncols, yp + m * ldy, ldy);
  }
}
#endif

Isa best_isa() {
#if ARDM_ENGINE_AVX2
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
#if ARDM_ENGINE_NEON
  return Isa::kNeon;
#endif
  return Isa::kScalar;
}

Isa initial_isa() {
  if (const char* env = std::getenv("ARDM_ENGINE_ISA"); env && *env) {
    const Isa isa = parse_isa(env);
    if (!isa_supported(isa))
      throw std::invalid_argument(std::string("ARDM_ENGINE_ISA=") + env + ": this CPU or build has no such kernel");
    return isa;
  }
  return best_isa();
}

std::atomic<int>& isa_slot() {
  static std::atomic<int> slot{static_cast<int>(initial_isa())};
  return slot;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kNeon: return "neon";
  }
  return "?";
}

Isa parse_isa(const std::string& name) {
  if (name == "scalar") return Isa::kScalar;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "neon") return Isa::kNeon;
  throw std::invalid_argument("unknown instruction set '" + name + "' (known: scalar, avx2, neon)");
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2:
#if ARDM_ENGINE_AVX2
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
    case Isa::kNeon:
#if ARDM_ENGINE_NEON
      return true;
#else
      return false;
#endif
  }
  return false;
}

Isa active_isa() { return static_cast<Isa>(isa_slot().load()); }

void set_isa(Isa isa) {
  if (!isa_supported(isa)) throw std::invalid_argument(std::string("no ") + isa_name(isa) + " kernel on this CPU or build");
  isa_slot().store(static_cast<int>(isa));
}

Dense make_dense(const float* w, const float* b, int64_t out, int64_t in) {
  Dense d;
  d.in = in;
  d.out = out;
  const int64_t panels = (out + kPanel - 1) / kPanel;
  d.panels.assign(static_cast<size_t>(panels * in * kPanel), 0.0f);
  d.bias.assign(static_cast<size_t>(panels * kPanel), 0.0f);
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t k = 0; k < in; ++k)
      d.panels[static_cast<size_t>((o / kPanel) * in * kPanel + k * kPanel + o % kPanel)] = w[o * in + k];
    if (b) d.bias[static_cast<size_t>(o)] = b[o];
  }
  return d;
}

void dense_rows(const Dense& d, const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy) {
  if (rows <= 0) return;
  switch (active_isa()) {
#if ARDM_ENGINE_AVX2
    case Isa::kAvx2: return rows_avx2(d, x, ldx, rows, y, ldy);
#endif
#if ARDM_ENGINE_NEON
    case Isa::kNeon: return rows_neon(d, x, ldx, rows, y, ldy);
#endif
    default: return rows_scalar(d, x, ldx, rows, y, ldy);
  }
}

}  // namespace ardm::engine
