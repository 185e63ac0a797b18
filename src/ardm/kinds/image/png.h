// 8-bit gray and RGB PNG files, read and written with libpng.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ardm::data {

struct Image8 {
  int64_t channels = 0;  // 1 (gray) or 3 (RGB)
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> pixels;  // interleaved, row-major: [H, W, C]
};

// The most values (height * width * channels) a PNG may declare before it is decoded: a hostile
// header can claim 2^31 x 2^31 pixels in a few dozen bytes. 2^28 bytes is 256 MiB of pixels.
constexpr int64_t kMaxPngValues = int64_t{1} << 28;

// Reads an 8-bit gray or RGB PNG. Anything else (palette, 16-bit, alpha, 1-bit, not a PNG,
// truncated, or a header declaring more than `max_values` values) throws std::runtime_error
// naming the path and the problem; the size is checked before any pixel memory is allocated.
Image8 read_png(const std::string& path, int64_t max_values = kMaxPngValues);
// The same from memory; `name` labels errors (a path, or "stdin").
Image8 decode_png(const uint8_t* data, size_t size, const std::string& name, int64_t max_values = kMaxPngValues);

// The size a PNG's header declares, read from its IHDR chunk without decoding anything (so a
// caller can refuse an image of the wrong size before any pixel memory exists). channels is 1
// or 3 for 8-bit gray or RGB, 0 for any other kind (decode_png says what is wrong with it);
// throws std::runtime_error when there is no PNG header at all.
struct PngSize {
  int64_t channels = 0, height = 0, width = 0;
};
PngSize png_size(const uint8_t* data, size_t size, const std::string& name);

// Writes an 8-bit gray or RGB PNG, atomically (temporary file in the same folder, then rename).
void write_png(const std::string& path, const Image8& image);
// The same into memory.
std::vector<uint8_t> encode_png(const Image8& image, const std::string& name);


}  // namespace ardm::data
