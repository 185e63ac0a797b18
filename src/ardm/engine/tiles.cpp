#include "ardm/engine/tiles.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "ardm/engine/codec.h"

namespace ardm::engine::tiles {

bool tiled(const DataSpec& m) { return m.shape.size() == 3 && m.context > 0; }

Grid grid_of(const std::vector<uint64_t>& image, const DataSpec& m) {
  if (!tiled(m)) throw std::invalid_argument("the model does not code tiles");
  if (image.size() != 3) throw std::invalid_argument("tiles of one image {C, H, W}");
  Grid g;
  g.C = static_cast<int64_t>(image[0]), g.H = static_cast<int64_t>(image[1]), g.W = static_cast<int64_t>(image[2]);
  g.Cm = m.shape[0], g.T = m.shape[1], g.M = m.context;
  if (m.shape[1] != m.shape[2]) throw std::invalid_argument("tiles are square");
  if (g.C != 1 && g.C != g.Cm)
    throw std::invalid_argument("an image of " + std::to_string(g.C) + " channels under a model of " + std::to_string(g.Cm));
  if (g.H < 1 || g.W < 1) throw std::invalid_argument("an empty image");
  return g;
}

std::vector<int32_t> layout(const Grid& g, int64_t i) {
  const int64_t T = g.T, y0 = g.row(i) * T, x0 = g.col(i) * T;
  std::vector<int32_t> out(static_cast<size_t>(g.values()), engine::EngineCodec::kAbsent);
  for (int64_t c = 0; c < g.Cm; ++c)
    for (int64_t y = 0; y < T && y0 + y < g.H; ++y)
      for (int64_t x = 0; x < T && x0 + x < g.W; ++x)
        out[static_cast<size_t>((c * T + y) * T + x)] =
            c == 0 || g.C != 1 ? engine::EngineCodec::kCoded : static_cast<int32_t>(y * T + x);
  return out;
}

std::vector<uint16_t> values(const Grid& g, const std::vector<uint16_t>& image, int64_t i) {
  const int64_t T = g.T, y0 = g.row(i) * T, x0 = g.col(i) * T;
  std::vector<uint16_t> out(static_cast<size_t>(g.values()), 0);
  for (int64_t c = 0; c < g.Cm; ++c) {
    const int64_t src = g.C == 1 ? 0 : c;
    for (int64_t y = 0; y < T && y0 + y < g.H; ++y)
      for (int64_t x = 0; x < T && x0 + x < g.W; ++x)
        out[static_cast<size_t>((c * T + y) * T + x)] = image[static_cast<size_t>((src * g.H + y0 + y) * g.W + x0 + x)];
  }
  return out;
}

std::vector<uint16_t> window(const Grid& g, const std::vector<uint16_t>& image, int64_t i) {
  const int64_t S = g.T + g.M, y0 = g.row(i) * g.T - g.M, x0 = g.col(i) * g.T - g.M;
  std::vector<uint16_t> out(static_cast<size_t>(g.window()), engine::EngineCodec::kAbsentPixel);
  for (int64_t c = 0; c < g.Cm; ++c) {
    const int64_t src = g.C == 1 ? 0 : c;
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x) {
        const int64_t iy = y0 + y, ix = x0 + x;
        if (iy < 0 || ix < 0 || iy >= g.H || ix >= g.W || (y >= g.M && x >= g.M)) continue;  // outside, or the tile
        out[static_cast<size_t>((c * S + y) * S + x)] = image[static_cast<size_t>((src * g.H + iy) * g.W + ix)];
      }
  }
  return out;
}

void put(const Grid& g, std::vector<uint16_t>& image, int64_t i, const std::vector<uint16_t>& tile) {
  const int64_t T = g.T, y0 = g.row(i) * T, x0 = g.col(i) * T;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t y = 0; y < T && y0 + y < g.H; ++y)
      for (int64_t x = 0; x < T && x0 + x < g.W; ++x)
        image[static_cast<size_t>((c * g.H + y0 + y) * g.W + x0 + x)] = tile[static_cast<size_t>((c * T + y) * T + x)];
}

std::vector<uint16_t> column_values(const Grid& g, const std::vector<uint16_t>& image, int64_t col) {
  std::vector<uint16_t> out;
  const int64_t x0 = col * g.T, x1 = std::min(g.W, x0 + g.T);
  for (int64_t r = 0; r < g.rows(); ++r) {
    const int64_t y0 = r * g.T, y1 = std::min(g.H, y0 + g.T);
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = x0; x < x1; ++x) out.push_back(image[static_cast<size_t>((c * g.H + y) * g.W + x)]);
  }
  return out;
}

}  // namespace ardm::engine::tiles
