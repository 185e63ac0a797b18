#include "ardm/kinds/image/png.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "ardm/util/atomic_file.h"

namespace ardm::data {
namespace {

// libpng reports errors through longjmp by default; we turn them into an exception after the
// jump, so no C++ object is skipped over (only POD state lives between setjmp and the read).
void on_png_error(png_structp png, png_const_charp msg) {
  auto* text = static_cast<std::string*>(png_get_error_ptr(png));
  *text = msg;
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}

const char* color_type_name(int t) {
  switch (t) {
    case PNG_COLOR_TYPE_GRAY: return "gray";
    case PNG_COLOR_TYPE_RGB: return "RGB";
    case PNG_COLOR_TYPE_PALETTE: return "palette";
    case PNG_COLOR_TYPE_GRAY_ALPHA: return "gray+alpha";
    case PNG_COLOR_TYPE_RGB_ALPHA: return "RGBA";
    default: return "unknown";
  }
}

}  // namespace

namespace {

// libpng reads from and writes to memory through these.
struct ReadBuffer {
  const uint8_t* data;
  size_t size, pos;
};
void read_from_buffer(png_structp png, png_bytep out, png_size_t n) {
  auto* b = static_cast<ReadBuffer*>(png_get_io_ptr(png));
  if (n > b->size - b->pos) png_error(png, "truncated file");
  std::memcpy(out, b->data + b->pos, n);
  b->pos += n;
}
void write_to_vector(png_structp png, png_bytep in, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), in, in + n);
}
void flush_nothing(png_structp) {}

}  // namespace

PngSize png_size(const uint8_t* data, size_t size, const std::string& name) {
  // Signature (8), then the first chunk: length (4), "IHDR", width and height (4 each, big
  // endian), bit depth, color type.
  if (size < 8 + 8 + 10 || png_sig_cmp(const_cast<png_bytep>(data), 0, 8) != 0 ||
      std::string(reinterpret_cast<const char*>(data + 12), 4) != "IHDR")
    throw std::runtime_error(name + ": not a PNG file");
  auto be32 = [&](size_t at) {
    return (int64_t{data[at]} << 24) | (int64_t{data[at + 1]} << 16) | (int64_t{data[at + 2]} << 8) | int64_t{data[at + 3]};
  };
  PngSize s;
  s.width = be32(16);
  s.height = be32(20);
  const int bit_depth = data[24], color = data[25];
  if (bit_depth == 8 && (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_RGB)) s.channels = color == 0 ? 1 : 3;
  return s;
}

Image8 decode_png(const uint8_t* data, size_t size, const std::string& name, int64_t max_values) {
  if (size < 8 || png_sig_cmp(const_cast<png_bytep>(data), 0, 8) != 0) throw std::runtime_error(name + ": not a PNG file");
  std::string error;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  if (!png) throw std::runtime_error(name + ": libpng initialisation failed");
  png_infop info = png_create_info_struct(png);
  Image8 img;
  std::string problem;
  ReadBuffer buf{data, size, 8};
  std::vector<png_bytep> rows;  // declared before setjmp so a longjmp skips no destructor
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw std::runtime_error(name + ": bad PNG: " + error);
  }
  png_set_read_fn(png, &buf, read_from_buffer);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  const int color = png_get_color_type(png, info);
  if (bit_depth != 8)
    problem = "bit depth " + std::to_string(bit_depth) + " is not supported (need 8-bit gray or RGB)";
  else if (color != PNG_COLOR_TYPE_GRAY && color != PNG_COLOR_TYPE_RGB)
    problem = std::string("color type ") + color_type_name(color) + " is not supported (need 8-bit gray or RGB)";
  if (problem.empty()) {
    img.channels = color == PNG_COLOR_TYPE_GRAY ? 1 : 3;
    img.height = png_get_image_height(png, info);
    img.width = png_get_image_width(png, info);
    const size_t row_bytes = static_cast<size_t>(img.width * img.channels);
    // Both sides are below 2^31 (libpng checks), so the product fits in int64_t.
    const int64_t values = img.height * img.width * img.channels;
    if (values > max_values) {
      problem = "image is " + std::to_string(img.width) + "x" + std::to_string(img.height) + " with " +
                std::to_string(img.channels) + " channel(s), " + std::to_string(values) +
                " values, above the limit of " + std::to_string(max_values);
    } else if (png_get_rowbytes(png, info) != row_bytes) {
      problem = "unexpected row size";
    } else {
      png_set_interlace_handling(png);
      png_read_update_info(png, info);
      img.pixels.resize(row_bytes * static_cast<size_t>(img.height));
      rows.resize(static_cast<size_t>(img.height));
      for (int64_t y = 0; y < img.height; ++y) rows[y] = img.pixels.data() + y * row_bytes;
      png_read_image(png, rows.data());
      png_read_end(png, nullptr);
    }
  }
  png_destroy_read_struct(&png, &info, nullptr);
  if (!problem.empty()) throw std::runtime_error(name + ": " + problem);
  return img;
}

Image8 read_png(const std::string& path, int64_t max_values) {
  const auto bytes = util::read_file_bytes(path);
  return decode_png(bytes.data(), bytes.size(), path, max_values);
}

std::vector<uint8_t> encode_png(const Image8& image, const std::string& name) {
  if (image.channels != 1 && image.channels != 3)
    throw std::invalid_argument(name + ": can only write 1 or 3 channels");
  if (image.pixels.size() != static_cast<size_t>(image.channels * image.height * image.width))
    throw std::invalid_argument(name + ": pixel buffer does not match the image size");
  std::vector<uint8_t> out;
  std::string error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  if (!png) throw std::runtime_error(name + ": libpng initialisation failed");
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error(name + ": writing PNG failed: " + error);
  }
  png_set_write_fn(png, &out, write_to_vector, flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = static_cast<size_t>(image.width * image.channels);
  for (int64_t y = 0; y < image.height; ++y)
    png_write_row(png, const_cast<png_bytep>(image.pixels.data() + y * row_bytes));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

void write_png(const std::string& path, const Image8& image) { util::write_file_atomic(path, encode_png(image, path)); }

}  // namespace ardm::data
