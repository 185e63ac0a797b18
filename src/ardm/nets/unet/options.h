// The image UNet's options (spec section 5), what they derive, and their checks: one home for
// the LibTorch module (nets/unet/unet.*) and its engine twin (nets/unet/engine.cpp). No torch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/core/net_io.h"

namespace ardm {

// The defaults are a small CPU-friendly network for 28x28 gray images; `ch=256, ch_mult={1},
// num_res_blocks=32, attn_resolutions={32}` is the paper's CIFAR-10 network.
struct UNetConfig {
  int64_t ch = 32;                // base width
  std::vector<int64_t> ch_mult = {1, 2, 2};
  int64_t num_res_blocks = 1;
  std::vector<int64_t> attn_resolutions = {7};  // attention where the feature map's height is listed
  int64_t num_groups = 32;        // GroupNorm groups (reduced to a divisor of the width if needed)
  double dropout = 0.0;
  // R: the linear prediction head's reach on each side (0: none). With R > 0 (for a process whose
  // outputs include values, NetIO::value_count > 0) a head adds to each value's means a linear
  // prediction from the known values of every channel in the (2R + 1) x (2R + 1) pixels around
  // it, the pixel itself included, with weights the network gives per value:
  //   sum over c', dy, dx of w[c, c', dy, dx] * y_c'(p + (dy, dx)) * known_c'(p + (dy, dx)),
  // y on the input's scale (2 v / K - 1), pixels outside the network's grid 0. So a value can be
  // its known neighbours' interpolation, or another channel's value at the same pixel, exactly.
  int64_t taps = 0;
  // The head's form. "linear": the sum above. "affine": weights that sum to one over the known
  // values, so a flat window, or a copy of another channel, is predicted exactly whatever the
  // features: for a value of channel c,
  //   m[c'] + sum over c', dy, dx of w[c, c', dy, dx] * known_c'(q) * (y_c'(q) - m[c']),  q = p + (dy, dx),
  // m[c'] the mean of y_c' over the pixels around where both channel c and channel c' are known
  // (0 where there are none), and m[c] the base: with zero weights the mean of the known
  // values of the value's own channel around it.
  std::string head = "linear";

  static constexpr const char* kType = "unet";
  // Every option by its name in the config text ("unet.<name>"): visit(name, field).
  template <typename Visit>
  void visit(Visit&& v) {
    v("ch", ch), v("ch_mult", ch_mult), v("num_res_blocks", num_res_blocks);
    v("attn_resolutions", attn_resolutions), v("num_groups", num_groups), v("dropout", dropout);
    v("taps", taps), v("head", head);
  }
};

namespace nets::unet {

// Throws std::invalid_argument unless the options make a UNet for `io` (images {C, H, W}).
inline void validate(const UNetConfig& c, const NetIO& io) {
  if (io.data_shape.size() != 3)
    throw std::invalid_argument("the UNet takes images {C, H, W}, not data of rank " + std::to_string(io.data_shape.size()));
  if (io.context < 0) throw std::invalid_argument("the UNet's margin must not be negative");
  if (c.ch < 4 || c.ch % 4 != 0) throw std::invalid_argument("unet: ch must be a positive multiple of 4, not " + std::to_string(c.ch));
  if (c.ch_mult.empty()) throw std::invalid_argument("unet: ch_mult must list at least one level");
  for (auto m : c.ch_mult)
    if (m < 1) throw std::invalid_argument("unet: channel multipliers must be positive");
  if (c.num_res_blocks < 1 || c.num_groups < 1) throw std::invalid_argument("unet: num_res_blocks and num_groups must be positive");
  if (c.taps < 0 || c.taps > 8) throw std::invalid_argument("unet: taps must be in 0..8");
  if (c.head != "linear" && c.head != "affine")
    throw std::invalid_argument("unet: the head is 'linear' or 'affine', not '" + c.head + "'");
  if (c.head == "affine" && c.taps == 0) throw std::invalid_argument("unet: an affine head needs its reach (taps > 0)");
  if (c.taps > 0 && io.value_count == 0)
    throw std::invalid_argument("unet: a linear prediction head (taps > 0) needs a process whose outputs include "
                                "values (--upscale-param logistic)");
}

// The prediction head's weights per pixel: for each channel c, each channel c' and each of the
// (2R + 1)^2 pixels around (row-major, the top left first), index (c * C + c') * T + k.
inline int64_t head_taps(const UNetConfig& c) { return (2 * c.taps + 1) * (2 * c.taps + 1); }
// The head's layer, as the module registers it, its twin reads it and training tells its
// parameters ("predict.weight", "predict.bias") from the rest's.
inline const char* head_layer() { return "predict"; }
inline int64_t head_weights(const UNetConfig& c, const NetIO& io) {
  return c.taps > 0 ? io.data_shape[0] * io.data_shape[0] * head_taps(c) : 0;
}

// GroupNorm needs the group count to divide the channels; small CPU networks have fewer
// channels than the paper's 32 groups, so the largest divisor not above the request.
inline int64_t group_count(int64_t requested, int64_t channels) {
  int64_t g = std::min(requested, channels);
  while (channels % g != 0) --g;
  return g;
}

// Width of the time embedding (4 ch), of the first level (ch * ch_mult[0]), and the stage's
// one-hot channels beside the mask (none with one stage).
inline int64_t time_channels(const UNetConfig& c) { return 4 * c.ch; }
inline int64_t level_channels(const UNetConfig& c, size_t level) { return c.ch * c.ch_mult[level]; }
inline int64_t stage_channels(const NetIO& io) { return io.num_stages > 1 ? io.num_stages : 0; }
// The names of the repeated layers, as the module registers them and its twin reads their
// parameters: residual block r of level l going down ("down1_0") and up ("up1_0"), a block's
// attention ("down1_0_attn"), the strided convolution after level l and the upsampling one.
inline std::string down_block(int64_t level, int64_t r) { return "down" + std::to_string(level) + "_" + std::to_string(r); }
inline std::string up_block(int64_t level, int64_t r) { return "up" + std::to_string(level) + "_" + std::to_string(r); }
inline std::string attention_of(const std::string& block) { return block + "_attn"; }
inline std::string downsample(int64_t level) { return "downsample" + std::to_string(level); }
inline std::string upsample(int64_t level) { return "upsample" + std::to_string(level); }

inline bool has_attention(const UNetConfig& c, int64_t height) {
  return std::find(c.attn_resolutions.begin(), c.attn_resolutions.end(), height) != c.attn_resolutions.end();
}

}  // namespace nets::unet
}  // namespace ardm
