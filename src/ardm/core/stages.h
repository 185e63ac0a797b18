// The base-b stage arithmetic of Upscale ARDMs (spec section 2), shared by the LibTorch processes
// (process/) and the engine's rules: S stages, stage s choosing the digit of weight b^(S-1-s).
// Integers only: log ratios in floats can round the wrong way (log 125 / log 5).
#pragma once

#include <cstdint>

#include "ardm/core/config.h"

namespace ardm::stages {

// S: the smallest integer with b^S >= K (b >= 2, K >= 2); throws std::invalid_argument otherwise.
int64_t num_stages(int64_t num_classes, int64_t branching);
// b^k as an integer (throws std::overflow_error if it overflows int64).
int64_t power(int64_t b, int64_t k);
// The stages of a process over data: 1 for an OA-ARDM, S for an Upscale ARDM.
int64_t of_process(const ProcessConfig& p, const DataSpec& d);

}  // namespace ardm::stages
