// Lossless WebP for 8-bit images of 1 to 4 channels, through libwebp (as `cwebp -lossless -z 9`).
//
// WebP codes RGB and RGBA only: gray is coded as RGB with equal channels and gray+alpha as RGBA,
// as cwebp does with such PNGs; the decoder checks that the channels it drops are equal. The
// stream is the VP8L bitstream without its RIFF/WEBP/VP8L headers (20 bytes that ardm's
// container makes redundant), which the decoder puts back before libwebp reads it. The decoder
// treats its input as hostile: the stream's size, alpha and (lossless) format must be what the
// caller expects before any pixel memory is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ardm::data {

// WebP's largest side.
constexpr int64_t kMaxWebpSide = 16383;

// Interleaved [H, W, C] 8-bit samples (C = 1..4), each below 256. Throws std::invalid_argument
// for a bad shape or sample, std::runtime_error if libwebp fails.
std::vector<uint8_t> encode_webp_lossless(const uint16_t* samples, int64_t channels, int64_t height, int64_t width);

// The samples back; anything but exactly such an image throws std::runtime_error("corrupted: ...").
std::vector<uint16_t> decode_webp_lossless(const uint8_t* data, size_t size, int64_t channels, int64_t height, int64_t width);

}  // namespace ardm::data
