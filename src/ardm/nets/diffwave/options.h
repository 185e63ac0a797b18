// The audio DiffWave's options (spec section 5), what they derive, and their checks: one home
// for the LibTorch module (nets/diffwave/diffwave.*) and its engine twin
// (nets/diffwave/engine.cpp). No torch.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "ardm/core/net_io.h"

namespace ardm {

// Residual blocks of dilated 3-tap convolutions with a gated tanh * sigmoid unit and skip
// connections, the time embedding added in every block. Dilation of block i: 2^(i mod cycle).
// With a context (DataSpec::context = C > 0) the network runs over the C samples before the item
// and the item, the context marked by an input channel; samples of the context that are not
// there (before a file's start) are zero at the input of every convolution, as its padding is,
// so an item with c samples before it gets what a network over those c + L samples gives.
// With taps R > 0 (for a process whose outputs include values, NetIO::value_count > 0) a head
// adds to each value output a linear prediction from the 2R + 1 samples around the value, with
// weights the network gives per position: sum_k w_k x_(i+k) known_(i+k) + w'_k x_(i+k) (1 -
// known_(i+k)) on the input's scale (a sample not yet known holds what earlier stages made of it),
// so the network chooses, sample by sample, the linear predictor that fits where it is.
// The defaults are a small CPU network (receptive field 1 + 2 * (2^12 - 1) = 8,191 samples);
// `width=256, layers=36, cycle=12` is the paper's SC09 network.
struct DiffWaveConfig {
  int64_t width = 64;   // F: residual channels (the gate has 2F)
  int64_t layers = 12;  // residual blocks
  int64_t cycle = 12;   // dilations 1, 2, ..., 2^(cycle-1), then again
  int64_t taps = 0;     // R: the linear prediction head's reach on each side (0: none)

  static constexpr const char* kType = "diffwave";
  template <typename Visit>
  void visit(Visit&& v) {
    v("width", width), v("layers", layers), v("cycle", cycle), v("taps", taps);
  }
};

namespace nets::diffwave {

// Throws std::invalid_argument unless the options make a DiffWave for `io` (sequences {L}).
inline void validate(const DiffWaveConfig& c, const NetIO& io) {
  if (io.data_shape.size() != 1)
    throw std::invalid_argument("diffwave takes sequences of samples (a data shape {L}), not a shape of rank " +
                                std::to_string(io.data_shape.size()));
  if (c.width < 8 || c.width % 4 != 0 || c.width > 4096 || c.layers < 1 || c.layers > 4096 || c.cycle < 1 || c.cycle > 20)
    throw std::invalid_argument("diffwave: width must be a multiple of 4 in 8..4096, layers 1..4096, cycle 1..20");
  if (c.taps < 0 || c.taps > 256) throw std::invalid_argument("diffwave: taps must be in 0..256");
  if (c.taps > 0 && io.value_count == 0)
    throw std::invalid_argument("diffwave: a linear prediction head (taps > 0) needs a process whose outputs include "
                                "values (--upscale-param logistic)");
}

// The prediction head's weights per position: 2R + 1 for known samples, then 2R + 1 for the others.
inline int64_t head_weights(const DiffWaveConfig& c) { return c.taps > 0 ? 2 * (2 * c.taps + 1) : 0; }

// The name of residual block i, as the module registers it and its twin reads its parameters.
inline std::string block(int64_t i) { return "blocks_" + std::to_string(i); }

// Block i's dilation: 2^(i mod cycle).
inline int64_t dilation(int64_t block, int64_t cycle) { return int64_t{1} << (block % cycle); }
// The input: a 3-tap convolution to 3F/4 channels beside an embedding of F/4.
inline int64_t conv_channels(int64_t width) { return 3 * width / 4; }
inline int64_t embed_channels(int64_t width) { return width / 4; }
// The mask channel, with a context the channel that marks the context's samples, and with
// several stages the stage's one-hot channels, in that order.
inline int64_t context_channels(const NetIO& io) { return io.context > 0 ? 1 : 0; }
inline int64_t mask_channels(const NetIO& io) {
  return 1 + context_channels(io) + (io.num_stages > 1 ? io.num_stages : 0);
}

}  // namespace nets::diffwave
}  // namespace ardm
