// Files of 8-bit images for `ardm compress` and `decompress` (docs/format.md): the version-3
// file of one or several images of the model's shape by the smallest of three methods (the
// model, stored values, lossless JPEG XL), and reading files of every version.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ardm/codec.h"
#include "ardm/coding/format.h"
#include "ardm/data/png.h"

namespace ardm {

// Interleaved [H, W, C] pixels <-> the model's planar [C, H, W] values.
std::vector<uint8_t> planar_values(const data::Image8& img);
data::Image8 image_of(const std::vector<uint8_t>& values, const std::vector<uint32_t>& shape);

// The whole version-3 file for `items` (values of the model's shape) by one method; `encoded`
// (each item's symbols from codec.encode at `budget`) is used by kModel only. Several images
// make one described, chunked file.
std::vector<uint8_t> image_file(coding::Method method, const Codec& codec, const std::vector<std::vector<uint8_t>>& items,
                                const std::vector<Codec::Encoded>& encoded, int64_t budget,
                                const std::vector<uint32_t>& shape);

// The smallest of the three methods' files (ties: model, stored, JPEG XL), and its method.
std::pair<std::vector<uint8_t>, coding::Method> smallest_image_file(const Codec& codec,
                                                                    const std::vector<std::vector<uint8_t>>& items,
                                                                    const std::vector<Codec::Encoded>& encoded,
                                                                    int64_t budget, const std::vector<uint32_t>& shape);

// A file of any version, parsed and checked against the model, ready to decode image by image.
struct ImageFile {
  int version = 0;
  coding::ParsedFile legacy;  // versions 1 and 2
  coding::ParsedFileV3 v3;    // version 3
  size_t count = 0;           // images
  std::string method;         // "model", "stored", "jxl", or "model (format 1)"
};

// Throws coding::FormatError for anything the file and the model disagree on.
ImageFile open_image_file(const std::vector<uint8_t>& bytes, const Codec& codec, const std::vector<uint32_t>& shape);

// Image i's values, checked: model-coded images by their stream's check, stored and JPEG XL
// files by the CRC-32 open_image_file verified.
std::vector<uint8_t> decode_image(const ImageFile& f, const Codec& codec, size_t i, const std::vector<uint32_t>& shape);

}  // namespace ardm
