// Lossless JPEG XL for 8-bit gray and RGB images, through libjxl's C API (single-threaded).
//
// The encoder writes a bare codestream (no container boxes: the smallest output). The decoder
// treats its input as hostile: the caller says what it expects, and the stream's basic info
// must match it exactly before any pixel memory is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ardm/kinds/image/png.h"  // Image8

namespace ardm::data {

// Bit-exact lossless encoding; effort 1 (fastest) .. 9 (smallest). Throws std::invalid_argument
// for a bad image or effort, std::runtime_error if libjxl fails.
std::vector<uint8_t> encode_jxl_lossless(const Image8& img, int effort);

// Decodes a codestream that must hold exactly one width x height, 8-bit image with `channels`
// (1 or 3) color channels and nothing else. Any mismatch, decoder error, truncation or trailing
// byte throws std::runtime_error("corrupted: ..."); on success the pixels are [H, W, C].
Image8 decode_jxl(const uint8_t* data, size_t size, int64_t channels, int64_t height, int64_t width);

}  // namespace ardm::data
