// The levels of the image orders (ProcessConfig::order "dyadic" of an image, "quincunx"), without
// LibTorch: the trainer draws orders from them (objective.h), and the engine and the trainer
// find from them where a fixed order's groups start (the steps its policies start at, schedule_dp.h).
//
// A pixel (y, x) is on spatial level k = min(tz(y), tz(x)), tz the trailing zero bits (tz(0) =
// 64: pixel (0, 0) comes first): coarse to fine. "quincunx" splits level k in two: first the
// pixels with tz(y) = tz(x) = k (the centres of the squares of coarser pixels, four diagonal
// neighbours known), then the rest (four direct neighbours known): spatial level 2k + 1, then 2k.
// Within a spatial level the channels take turns, channel 0 first: level = spatial * C + (C-1-c).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ardm {

// The trailing zero bits of i; 64 for i = 0 (above every other).
int trailing_zeros(int64_t i);

// Each flat position's level of an image {C, H, W} (index (c * H + y) * W + x; higher: earlier).
std::vector<int> image_levels(int64_t C, int64_t H, int64_t W, bool quincunx);

// The ranks at which an order that takes `level` from the top (higher first) changes level:
// 0, then the first rank of each lower level.
std::vector<int64_t> level_starts(std::vector<int> level);

// The groups a model's policies keep to (schedule_dp.h, model_policies): for the quincunx order
// of an image of `shape` {C, H, W} the ranks where its levels start (its orders take the levels
// from the top); empty for every other order (one stage or several, each with its costs sorted).
std::vector<int64_t> policy_groups(const std::string& order, const std::vector<int64_t>& shape);

}  // namespace ardm
