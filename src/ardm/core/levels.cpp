#include "ardm/core/levels.h"

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace ardm {

int trailing_zeros(int64_t i) {
  if (i == 0) return 64;
  int z = 0;
  for (; (i & 1) == 0; i >>= 1) ++z;
  return z;
}

std::vector<int> image_levels(int64_t C, int64_t H, int64_t W, bool quincunx) {
  if (C < 1 || H < 1 || W < 1) throw std::invalid_argument("image levels: need a shape of positive sizes");
  std::vector<int> level(static_cast<size_t>(C * H * W));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const int ty = trailing_zeros(y), tx = trailing_zeros(x), k = std::min(ty, tx);
        const int spatial = quincunx ? 2 * k + (ty == k && tx == k ? 1 : 0) : k;
        level[static_cast<size_t>((c * H + y) * W + x)] = spatial * static_cast<int>(C) + static_cast<int>(C - 1 - c);
      }
  return level;
}

std::vector<int64_t> level_starts(std::vector<int> level) {
  std::sort(level.begin(), level.end(), std::greater<int>());
  std::vector<int64_t> starts;
  for (size_t r = 0; r < level.size(); ++r)
    if (r == 0 || level[r] != level[r - 1]) starts.push_back(static_cast<int64_t>(r));
  return starts;
}

std::vector<int64_t> policy_groups(const std::string& order, const std::vector<int64_t>& shape) {
  if (order != "quincunx") return {};
  if (shape.size() != 3) throw std::invalid_argument("the quincunx order is for images {C, H, W}");
  return level_starts(image_levels(shape[0], shape[1], shape[2], true));
}

}  // namespace ardm
