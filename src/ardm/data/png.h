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

// Reads an 8-bit gray or RGB PNG. Anything else (palette, 16-bit, alpha, 1-bit, not a PNG,
// truncated) throws std::runtime_error naming the path and the problem.
Image8 read_png(const std::string& path);
// The same from memory; `name` labels errors (a path, or "stdin").
Image8 decode_png(const uint8_t* data, size_t size, const std::string& name);

// Writes an 8-bit gray or RGB PNG, atomically (temporary file in the same folder, then rename).
void write_png(const std::string& path, const Image8& image);
// The same into memory.
std::vector<uint8_t> encode_png(const Image8& image, const std::string& name);


}  // namespace ardm::data
