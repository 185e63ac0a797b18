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

// ---- Any PNG ----------------------------------------------------------------------------------
// What the functions above refuse (palette, alpha, 1/2/4/16-bit, tRNS, interlaced) is read and
// written here, as plain samples, so a PNG can be coded losslessly and given back with the same
// pixels, colour type and bit depth. Ancillary chunks other than tRNS (gAMA, iCCP, text, ...)
// are not kept; the PNG written back is never interlaced.

// Any PNG libpng reads, as its samples.
struct PngImage {
  int color_type = 0;    // IHDR colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
  int bit_depth = 8;     // IHDR bit depth: 1, 2, 4, 8 or 16
  int64_t width = 0, height = 0;
  int64_t channels = 0;  // values per pixel in `samples`: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; a
                         // palette image is expanded to RGB (3), or RGBA (4) when it has a tRNS chunk
  int sample_bits = 8;   // bits of each value: bit_depth, except palette images: 8
  std::vector<uint16_t> samples;  // interleaved, row-major [H, W, channels], each value < 2^sample_bits
  std::vector<uint16_t> trns;     // gray or RGB with a tRNS chunk: the transparent colour's 1 or 3
                                  // values; empty otherwise
};

// The widest and tallest PNG decode_png_any accepts.
constexpr int64_t kMaxPngAnySide = 65535;

// Reads any valid PNG. Throws std::runtime_error naming `name` and libpng's complaint for anything
// libpng rejects (bad CRC in a critical chunk, truncated, bad IHDR...), and for images above the
// limit: width and height each at most kMaxPngAnySide and width * height * channels at most
// `max_values` (a palette image counts its 3 or 4 expanded channels), checked from the header
// before any pixel memory is allocated. A gray or RGB tRNS colour that no sample can equal (above
// the bit depth) changes no pixel and is dropped.
PngImage decode_png_any(const uint8_t* data, size_t size, const std::string& name,
                        int64_t max_values = kMaxPngValues);

// A PNG (not interlaced) with exactly these samples, colour type and bit depth. Palette images:
// the palette holds the distinct colours (RGB or RGBA) in order of first appearance, those with
// alpha below 255 first so the tRNS chunk is as short as it can be; a 4-channel palette image
// always gets a tRNS chunk (so decode_png_any gives 4 channels back), a 3-channel one never.
// Gray or RGB with `trns`: writes that tRNS chunk. Throws std::invalid_argument for inconsistent
// fields (channels vs colour type, an illegal bit depth, values too large, more colours than the
// palette bit depth holds), std::runtime_error if libpng fails.
std::vector<uint8_t> encode_png_any(const PngImage& img, const std::string& name);


}  // namespace ardm::data
