// The engine's layers from a model file: each LibTorch parameter, found by name and checked for
// its shape, laid out as the ops (ops.h) take it (a convolution's taps made rows of the dense
// kernel). The ops themselves take plain arrays and know nothing of model files.
#pragma once

#include <cstdint>
#include <string>

#include "ardm/engine/model_file.h"
#include "ardm/engine/ops.h"

namespace ardm::engine {

// A 3x3 convolution from torch's [out, in, 3, 3] weights (stride 1 or 2), a 1-D one from
// [out, in, k] (odd k), a linear layer or 1x1 convolution from [out, in] or [out, in, 1, 1].
Conv3x3 load_conv3x3(const EngineModel& m, const std::string& name, int64_t in, int64_t out, int64_t stride = 1);
Conv1d load_conv1d(const EngineModel& m, const std::string& name, int64_t in, int64_t out, int64_t kernel,
                   int64_t dilation = 1);
Dense load_dense(const EngineModel& m, const std::string& name, int64_t in, int64_t out, bool conv1x1);
GroupNorm load_group_norm(const EngineModel& m, const std::string& name, int64_t groups, int64_t c);
LayerNorm load_layer_norm(const EngineModel& m, const std::string& name, int64_t c);
Attention load_attention(const EngineModel& m, const std::string& name, int64_t groups, int64_t c);

}  // namespace ardm::engine
