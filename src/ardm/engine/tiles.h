// Read me first: an image of any size coded by a model of T x T tiles that sees a margin of M
// pixels above and to the left of each tile (DataSpec::context on an image shape; docs/format.md,
// "Tiles").
//
//  * The image is cut into ceil(H / T) rows of ceil(W / T) tiles; tile (r, c) covers the image's
//    rows r T .. r T + T - 1 and columns c T .. c T + T - 1. Its values outside the image are
//    absent: never known, never coded, so the file holds no padding.
//  * Its window is the (T + M) x (T + M) pixels whose bottom right corner is the tile's: the
//    network sees every pixel of it that lies in the image and outside the tile (all of them
//    coded before the tile, below), the others absent.
//  * A gray image under a model of three channels is coded as RGB with equal channels whose
//    second and third are copies of the first: never coded, known with the first.
//  * Tile (r, c) decodes in wave r + c, after the tiles its window sees (wave r + c - 1 and
//    before). A wave holds at most one tile of a column, so each column of tiles is one rANS
//    stream, its tiles top to bottom, and a wave's tiles decode in one batch.
#pragma once

#include <cstdint>
#include <vector>

#include "ardm/core/config.h"

namespace ardm::engine::tiles {

struct Grid {
  int64_t C = 0, H = 0, W = 0;   // the image: channels, height, width
  int64_t Cm = 0, T = 0, M = 0;  // the model: channels, tile side, margin
  int64_t rows() const { return (H + T - 1) / T; }
  int64_t cols() const { return (W + T - 1) / T; }
  int64_t count() const { return rows() * cols(); }
  int64_t values() const { return Cm * T * T; }            // D
  int64_t window() const { return Cm * (T + M) * (T + M); }  // the window's values
  int64_t row(int64_t i) const { return i / cols(); }
  int64_t col(int64_t i) const { return i % cols(); }
  int64_t wave(int64_t i) const { return row(i) + col(i); }
};

// True when the model codes images as tiles (an image shape {C, T, T} and a margin).
bool tiled(const DataSpec& model);
// The grid of an image {C, H, W} under such a model; throws std::invalid_argument unless C is 1
// or the model's channels.
Grid grid_of(const std::vector<uint64_t>& image, const DataSpec& model);

// Tile i of an image's planar values (C x H x W, as stored):
//   layout: what each of its D values is (engine::EngineCodec's kCoded, kAbsent or a copy);
//   values: the D values in the model's order (absent ones 0, copies their source's);
//   window: the window's values, EngineCodec::kAbsentPixel where a pixel is absent.
std::vector<int32_t> layout(const Grid& g, int64_t i);
std::vector<uint16_t> values(const Grid& g, const std::vector<uint16_t>& image, int64_t i);
std::vector<uint16_t> window(const Grid& g, const std::vector<uint16_t>& image, int64_t i);
// Writes a decoded tile's values (values' order) into the image.
void put(const Grid& g, std::vector<uint16_t>& image, int64_t i, const std::vector<uint16_t>& tile);
// The image's values that column c's stream codes, in its order (its tiles top to bottom, each
// tile's pixels in the image's channels, rows and columns): what its check covers.
std::vector<uint16_t> column_values(const Grid& g, const std::vector<uint16_t>& image, int64_t c);

}  // namespace ardm::engine::tiles
