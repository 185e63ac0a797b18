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

// ---- Any sample layout ------------------------------------------------------------------------
// For PngImage samples: interleaved [H, W, channels] with 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA
// values per pixel, each of `bits` bits (1..16), alpha as deep as the colour.

// Bit-exact lossless bare codestream, made the way `cjxl -d 0 -e <effort>` (libjxl 0.7) makes one
// from a PNG holding these samples: the same pixel data, behind a colour header that is 2 bytes
// shorter for RGB (sRGB with relative intent, JPEG XL's default; cjxl says perceptual) and never
// holds the PNG's ICC profile. So it is no larger than cjxl's codestream, except where cjxl is not
// lossless (it stores a 16-bit alpha channel in 8 bits; so do we, but only when every alpha value
// is a multiple of 257, i.e. 8-bit alpha scaled up) or codes something else (a gray or RGB PNG
// with tRNS becomes gray+alpha or RGBA; either can be the smaller). Throws std::invalid_argument for a bad shape, bits,
// effort or a sample of `bits` or more bits; std::runtime_error if libjxl fails.
std::vector<uint8_t> encode_jxl_any(const uint16_t* samples, int64_t channels, int64_t height, int64_t width,
                                    int bits, int effort);

// Decodes a codestream that must hold exactly this: width x height, `channels` (1..4, alpha
// counted), `bits` bits per sample (alpha too, or 8 under 16-bit colour, as encode_jxl_any writes
// it), nothing else (no other extra channel, no animation, no preview). Any mismatch, decoder error, truncation or trailing byte throws
// std::runtime_error("corrupted: ..."); on success the samples are [H, W, channels].
std::vector<uint16_t> decode_jxl_any(const uint8_t* data, size_t size, int64_t channels, int64_t height,
                                     int64_t width, int bits);

}  // namespace ardm::data
