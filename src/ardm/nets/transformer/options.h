// The text Transformer's options (spec section 5), what they derive, and their checks: one
// home for the LibTorch module (nets/transformer/transformer.*) and its engine twin
// (nets/transformer/engine.cpp). No torch.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ardm/core/net_io.h"

namespace ardm {

// Pre-LayerNorm blocks over a sequence, fixed sinusoidal positions, and (unlike the paper's
// released code) the time input, added to every MLP's hidden layer. The defaults are a small CPU
// network; `width=768, layers=12, heads=12, mlp=3072` is the paper's text8 network.
struct TransformerConfig {
  int64_t width = 128;   // model width (embedding and residual stream)
  int64_t layers = 4;
  int64_t heads = 4;     // width must divide by heads
  int64_t mlp = 512;     // hidden width of each block's MLP
  double dropout = 0.0;

  static constexpr const char* kType = "transformer";
  template <typename Visit>
  void visit(Visit&& v) {
    v("width", width), v("layers", layers), v("heads", heads), v("mlp", mlp), v("dropout", dropout);
  }
};

namespace nets::transformer {

// Throws std::invalid_argument unless the options make a Transformer for `io` (sequences {L}).
inline void validate(const TransformerConfig& c, const NetIO& io) {
  if (io.data_shape.size() != 1)
    throw std::invalid_argument("the transformer takes sequences (a data shape {L}), not a shape of rank " +
                                std::to_string(io.data_shape.size()));
  if (c.width < 4 || c.width % 2 != 0 || c.heads < 1 || c.width % c.heads != 0 || c.layers < 1 || c.layers > 4096 ||
      c.mlp < 1)
    throw std::invalid_argument("transformer: width must be even and divide by heads, layers 1..4096 and mlp positive");
}

// The name of block i, as the module registers it and its twin reads its parameters.
inline std::string block(int64_t i) { return "blocks_" + std::to_string(i); }

// The distance bias slope of head h: 2^(-8 (h + 1) / heads), powers of two when heads divides 8,
// so slope * distance is exact in float.
inline double distance_slope(int64_t head, int64_t heads) {
  return std::pow(2.0, -8.0 * static_cast<double>(head + 1) / static_cast<double>(heads));
}

}  // namespace nets::transformer
}  // namespace ardm
