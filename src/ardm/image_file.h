// Files of 8-bit images for `ardm compress` and `decompress` (docs/format.md): the version-3
// file of one or several images of the model's shape by the smallest of three methods (the
// model, stored values, lossless JPEG XL), and reading files of every version.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/data/png.h"
#include "ardm/engine/codec.h"
#include "ardm/item_coder.h"

namespace ardm {

// Interleaved [H, W, C] pixels <-> the model's planar [C, H, W] values.
std::vector<uint8_t> planar_values(const data::Image8& img);
data::Image8 image_of(const std::vector<uint8_t>& values, const std::vector<uint32_t>& shape);

// The whole version-3 file for `items` (values of the model's shape) by one method; `encoded`
// (each item's symbols from codec.encode at `budget`) is used by kModel only. Several images
// make one described, chunked file.
std::vector<uint8_t> image_file(coding::Method method, const ItemCoder& codec, const std::vector<std::vector<uint8_t>>& items,
                                const std::vector<ItemCoder::Encoded>& encoded, int64_t budget,
                                const std::vector<uint32_t>& shape);

// The smallest of the three methods' files (ties: model, stored, JPEG XL), and its method.
std::pair<std::vector<uint8_t>, coding::Method> smallest_image_file(const ItemCoder& codec,
                                                                    const std::vector<std::vector<uint8_t>>& items,
                                                                    const std::vector<ItemCoder::Encoded>& encoded,
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
ImageFile open_image_file(const std::vector<uint8_t>& bytes, const ItemCoder& codec, const std::vector<uint32_t>& shape);

// Image i's values, checked: model-coded images by their stream's check, stored and JPEG XL
// files by the CRC-32 open_image_file verified.
std::vector<uint8_t> decode_image(const ImageFile& f, const ItemCoder& codec, size_t i, const std::vector<uint32_t>& shape);

// ---- Many images at once on the engine (its results do not depend on the batch)

struct ImageRef {
  const ImageFile* file = nullptr;
  size_t index = 0;
};
struct DecodedImage {
  std::vector<uint8_t> values;
  std::string error;  // empty: decoded and checked
};
// Decodes every referenced image: the model-coded ones `batch` at a time (grouped by budget)
// through the engine's batched decoder, the others one by one. A damaged image fails alone.
// on_progress(images done) after each step.
std::vector<DecodedImage> decode_images(const std::vector<ImageRef>& refs, const engine::EngineCodec& codec,
                                        size_t batch, const std::function<void(size_t)>& on_progress = {});

// Encodes the images (values of the model's shape) `batch` at a time.
std::vector<ItemCoder::Encoded> encode_images(const std::vector<const std::vector<uint8_t>*>& items,
                                              const engine::EngineCodec& codec, int64_t budget, size_t batch,
                                              const std::function<void(size_t)>& on_progress = {});

}  // namespace ardm
