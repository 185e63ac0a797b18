// The engine's one heavy kernel: dense layers y = x W^T + b over rows of x (1x1 and 3x3
// convolutions, attention and linear layers all reduce to it). Read me first:
//  * The arithmetic is fixed: for output (m, o), acc = 0, then acc = fma(x[m][k], w[o][k], acc)
//    for k = 0, 1, ..., in_features - 1, one correctly rounded fused multiply-add per step, and
//    finally y = acc + b[o]. Every instruction set computes exactly that, so the result does
//    not depend on it: AVX2 and NEON run 8 or 4 lanes of fused multiply-adds over different
//    outputs, the scalar path calls fmaf (correctly rounded by the C standard, in hardware or in
//    software). Nothing is reassociated, and nothing depends on how rows are batched or split.
//  * Which kernel runs: the best the CPU has, or ARDM_ENGINE_ISA=scalar|avx2|neon (tests use it
//    to run every path on one machine).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ardm::engine {

enum class Isa { kScalar, kAvx2, kNeon };

const char* isa_name(Isa isa);
bool isa_supported(Isa isa);
// The kernel in use: set_isa's, else $ARDM_ENGINE_ISA's, else the best supported.
Isa active_isa();
// Throws std::invalid_argument for an instruction set this CPU or build lacks.
void set_isa(Isa isa);
Isa parse_isa(const std::string& name);

// Weights of a dense layer packed in panels of 16 outputs: panels[p][k][j] = w[16p + j][k]
// (zero past the last output).
struct Dense {
  int64_t in = 0, out = 0;
  std::vector<float> panels;  // [ceil(out / 16), in, 16]
  std::vector<float> bias;    // [out]
};

// w: [out, in] row-major; b: [out] or null (zeros).
Dense make_dense(const float* w, const float* b, int64_t out, int64_t in);

// y[m][o] for `rows` rows: x row m at x + m * ldx (in floats), y row m at y + m * ldy. One thread.
void dense_rows(const Dense& d, const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy);

}  // namespace ardm::engine
