#include "ardm/kinds/image/png.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <unordered_map>

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

// ---- Any PNG ----------------------------------------------------------------------------------

namespace {

// The bit depths PNG allows for each colour type (PNG spec, IHDR).
bool legal_bit_depth(int color, int depth) {
  switch (color) {
    case PNG_COLOR_TYPE_GRAY: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case PNG_COLOR_TYPE_PALETTE: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_GRAY_ALPHA:
    case PNG_COLOR_TYPE_RGB_ALPHA: return depth == 8 || depth == 16;
    default: return false;
  }
}

// Values per pixel once decoded (a palette image is expanded to RGB, or RGBA with tRNS).
int64_t channels_of(int color, bool has_trns) {
  switch (color) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    case PNG_COLOR_TYPE_PALETTE: return has_trns ? 4 : 3;
    default: return 0;
  }
}

// Frees libpng's structures however we leave the function: normal return, exception, or the
// throw that follows a longjmp (the guard is constructed before setjmp, so the jump skips nothing).
struct PngReadGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReadGuard() { png_destroy_read_struct(&png, &info, nullptr); }
};
struct PngWriteGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngWriteGuard() { png_destroy_write_struct(&png, &info); }
};

// One row of libpng output (one byte per value, or two big-endian bytes when 16-bit) to samples.
void unpack_row(const uint8_t* row, size_t count, bool wide, uint16_t* out) {
  if (wide) {
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint16_t>((row[2 * i] << 8) | row[2 * i + 1]);
  } else {
    for (size_t i = 0; i < count; ++i) out[i] = row[i];
  }
}

}  // namespace

PngImage decode_png_any(const uint8_t* data, size_t size, const std::string& name, int64_t max_values) {
  if (size < 8 || png_sig_cmp(const_cast<png_bytep>(data), 0, 8) != 0) throw std::runtime_error(name + ": not a PNG file");
  // Everything with a destructor lives above setjmp: a longjmp from libpng lands back at setjmp
  // with all of them still in scope, and the throw there unwinds them normally. Between setjmp
  // and the last libpng call no temporary with a destructor is alive across a libpng call.
  std::string error;
  PngReadGuard guard;
  guard.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  if (!guard.png) throw std::runtime_error(name + ": libpng initialisation failed");
  guard.info = png_create_info_struct(guard.png);
  if (!guard.info) throw std::runtime_error(name + ": libpng initialisation failed");
  png_structp png = guard.png;
  png_infop info = guard.info;
  PngImage img;
  std::string problem;
  ReadBuffer buf{data, size, 8};
  std::vector<uint8_t> pixels;      // interlaced images: the whole image as libpng writes it
  std::vector<png_bytep> rows;      // ... and its row pointers
  std::vector<uint8_t> row_buffer;  // other images: one row at a time
  if (setjmp(png_jmpbuf(png))) throw std::runtime_error(name + ": bad PNG: " + error);
  png_set_read_fn(png, &buf, read_from_buffer);
  png_set_sig_bytes(png, 8);
  // Unknown chunks are skipped, not stored: nothing but the pixels and tRNS is kept.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
  png_read_info(png, info);  // IHDR and every chunk up to the first IDAT; no pixel memory yet

  png_uint_32 w = 0, h = 0;
  int depth = 0, color = 0, interlace = 0;
  png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, nullptr, nullptr);
  const bool has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  img.color_type = color;
  img.bit_depth = depth;
  img.width = w;
  img.height = h;
  img.channels = channels_of(color, has_trns);
  img.sample_bits = color == PNG_COLOR_TYPE_PALETTE ? 8 : depth;
  // Both sides are below 2^31 (libpng checks), so the product fits in int64_t.
  const int64_t values = img.width * img.height * img.channels;
  if (img.channels == 0 || !legal_bit_depth(color, depth)) {
    problem = std::string("unsupported colour type ") + std::to_string(color) + " with bit depth " + std::to_string(depth);
  } else if (img.width > kMaxPngAnySide || img.height > kMaxPngAnySide || values > max_values) {
    problem = "image is " + std::to_string(img.width) + "x" + std::to_string(img.height) + " " +
              color_type_name(color) + " (" + std::to_string(img.channels) + " value(s) per pixel), " +
              std::to_string(values) + " values, above the limit of " + std::to_string(kMaxPngAnySide) +
              " per side and " + std::to_string(max_values) + " values";
  }
  if (!problem.empty()) throw std::runtime_error(name + ": " + problem);

  if (has_trns && (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_RGB)) {
    png_color_16p c = nullptr;
    png_get_tRNS(png, info, nullptr, nullptr, &c);
    const uint32_t top = (uint32_t{1} << depth) - 1;
    // libpng only warns about a tRNS colour out of range for the bit depth; no sample can equal
    // it, so it makes nothing transparent and leaving it out changes no pixel.
    if (color == PNG_COLOR_TYPE_GRAY && c->gray <= top) img.trns = {c->gray};
    if (color == PNG_COLOR_TYPE_RGB && c->red <= top && c->green <= top && c->blue <= top)
      img.trns = {c->red, c->green, c->blue};
  }
  if (color == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);             // indices (any depth) to 8-bit RGB
    if (has_trns) png_set_tRNS_to_alpha(png);  // ... and RGBA, tRNS giving the alpha
  } else if (depth < 8) {
    png_set_packing(png);  // one value per byte, not rescaled (png_set_expand would rescale)
  }
  // 16-bit samples stay big-endian, as in the file; unpack_row reads them so on any host.
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const bool wide = img.sample_bits == 16;
  const size_t row_values = static_cast<size_t>(img.width * img.channels);
  const size_t row_bytes = row_values * (wide ? 2 : 1);
  if (png_get_rowbytes(png, info) != row_bytes) throw std::runtime_error(name + ": unexpected row size");

  // Only now, with the size checked, does pixel memory exist.
  img.samples.resize(static_cast<size_t>(values));
  if (passes > 1) {
    // Interlaced: libpng fills each row over several passes, so it needs the whole image.
    pixels.resize(row_bytes * static_cast<size_t>(img.height));
    rows.resize(static_cast<size_t>(img.height));
    for (int64_t y = 0; y < img.height; ++y) rows[y] = pixels.data() + y * row_bytes;
    png_read_image(png, rows.data());
    for (int64_t y = 0; y < img.height; ++y) unpack_row(rows[y], row_values, wide, img.samples.data() + y * row_values);
  } else {
    row_buffer.resize(row_bytes);
    for (int64_t y = 0; y < img.height; ++y) {
      png_read_row(png, row_buffer.data(), nullptr);
      unpack_row(row_buffer.data(), row_values, wide, img.samples.data() + y * row_values);
    }
  }
  png_read_end(png, nullptr);  // the chunks after the image data, up to IEND, CRCs checked
  return img;
}

std::vector<uint8_t> encode_png_any(const PngImage& img, const std::string& name) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(name + ": cannot write PNG: " + what); };
  const int color = img.color_type, depth = img.bit_depth;
  if (!legal_bit_depth(color, depth))
    bad("colour type " + std::to_string(color) + " with bit depth " + std::to_string(depth) + " is not a PNG");
  const bool palette = color == PNG_COLOR_TYPE_PALETTE;
  if (palette ? img.channels != 3 && img.channels != 4 : img.channels != channels_of(color, false))
    bad(std::to_string(img.channels) + " channel(s) for a " + color_type_name(color) + " image");
  if (img.sample_bits != (palette ? 8 : depth))
    bad(std::to_string(img.sample_bits) + "-bit samples for a " + std::to_string(depth) + "-bit " +
        color_type_name(color) + " image");
  constexpr int64_t kMaxSide = 0x7fffffff;  // PNG's limit on each side
  if (img.width <= 0 || img.height <= 0 || img.width > kMaxSide || img.height > kMaxSide)
    bad("size " + std::to_string(img.width) + "x" + std::to_string(img.height));
  const size_t row_values = static_cast<size_t>(img.width * img.channels);  // < 2^34: no overflow
  if (img.samples.size() % row_values != 0 || img.samples.size() / row_values != static_cast<size_t>(img.height))
    bad("sample buffer does not match the image size");
  const uint32_t top = (uint32_t{1} << img.sample_bits) - 1;
  if (std::any_of(img.samples.begin(), img.samples.end(), [&](uint16_t v) { return v > top; }))
    bad("a sample does not fit in " + std::to_string(img.sample_bits) + " bits");
  if (!img.trns.empty()) {
    if (color != PNG_COLOR_TYPE_GRAY && color != PNG_COLOR_TYPE_RGB)
      bad(std::string("a tRNS colour for a ") + color_type_name(color) + " image");
    if (img.trns.size() != static_cast<size_t>(img.channels)) bad("tRNS needs one value per channel");
    if (std::any_of(img.trns.begin(), img.trns.end(), [&](uint16_t v) { return v > top; }))
      bad("a tRNS value does not fit in " + std::to_string(depth) + " bits");
  }

  // Palette images: the colours, and each pixel's index in row-major order.
  std::vector<png_color> plte;
  std::vector<png_byte> alphas;
  std::vector<uint8_t> indices;
  if (palette) {
    const size_t n = static_cast<size_t>(img.width * img.height), c = static_cast<size_t>(img.channels);
    const size_t most = size_t{1} << depth;
    auto key_of = [&](size_t p) {
      const uint16_t* s = img.samples.data() + p * c;
      return uint32_t{s[0]} | uint32_t{s[1]} << 8 | uint32_t{s[2]} << 16 | uint32_t{c == 4 ? s[3] : 255u} << 24;
    };
    // First pass: distinct colours in order of first appearance (a photo-sized image is cheap:
    // most pixels repeat the previous one, which skips the hash lookup).
    std::unordered_map<uint32_t, uint32_t> slot;
    std::vector<uint32_t> colors;
    uint32_t last = 0;
    for (size_t p = 0; p < n; ++p) {
      const uint32_t k = key_of(p);
      if (p > 0 && k == last) continue;
      last = k;
      if (slot.emplace(k, static_cast<uint32_t>(colors.size())).second) {
        colors.push_back(k);
        if (colors.size() > most)
          bad("more than " + std::to_string(most) + " colours for a " + std::to_string(depth) + "-bit palette");
      }
    }
    // Translucent colours first, keeping their order: tRNS then ends at the last of them.
    std::stable_partition(colors.begin(), colors.end(), [](uint32_t k) { return (k >> 24) != 255; });
    for (uint32_t i = 0; i < colors.size(); ++i) {
      slot[colors[i]] = i;
      plte.push_back(png_color{static_cast<png_byte>(colors[i]), static_cast<png_byte>(colors[i] >> 8),
                               static_cast<png_byte>(colors[i] >> 16)});
      if ((colors[i] >> 24) != 255) alphas.push_back(static_cast<png_byte>(colors[i] >> 24));
    }
    // A 4-channel image keeps its alpha channel through a round trip only with a tRNS chunk,
    // even when every pixel is opaque; libpng will not write an empty one.
    if (c == 4 && alphas.empty()) alphas.push_back(255);
    indices.resize(n);
    last = key_of(0);
    uint32_t index = slot[last];
    for (size_t p = 0; p < n; ++p) {
      const uint32_t k = key_of(p);
      if (k != last) last = k, index = slot[k];
      indices[p] = static_cast<uint8_t>(index);
    }
  }

  std::vector<uint8_t> row((palette ? static_cast<size_t>(img.width) : row_values) * (depth == 16 ? 2 : 1));
  std::vector<uint8_t> out;
  std::string error;
  PngWriteGuard guard;
  guard.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  if (!guard.png) throw std::runtime_error(name + ": libpng initialisation failed");
  guard.info = png_create_info_struct(guard.png);
  if (!guard.info) throw std::runtime_error(name + ": libpng initialisation failed");
  png_structp png = guard.png;
  png_infop info = guard.info;
  if (setjmp(png_jmpbuf(png))) throw std::runtime_error(name + ": writing PNG failed: " + error);
  png_set_write_fn(png, &out, write_to_vector, flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), depth, color,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette) {
    png_set_PLTE(png, info, plte.data(), static_cast<int>(plte.size()));
    if (!alphas.empty()) png_set_tRNS(png, info, alphas.data(), static_cast<int>(alphas.size()), nullptr);
  } else if (!img.trns.empty()) {
    png_color_16 t{};
    if (img.trns.size() == 1) t.gray = img.trns[0];
    else t.red = img.trns[0], t.green = img.trns[1], t.blue = img.trns[2];
    png_set_tRNS(png, info, nullptr, 0, &t);
  }
  png_write_info(png, info);
  if (depth < 8) png_set_packing(png);  // we give one value per byte; libpng packs them into bits
  for (int64_t y = 0; y < img.height; ++y) {
    if (palette) {
      std::memcpy(row.data(), indices.data() + y * img.width, static_cast<size_t>(img.width));
    } else {
      const uint16_t* s = img.samples.data() + y * row_values;
      if (img.bit_depth == 16)  // not a local flag: locals set before setjmp may be clobbered
        for (size_t i = 0; i < row_values; ++i) row[2 * i] = static_cast<uint8_t>(s[i] >> 8), row[2 * i + 1] = static_cast<uint8_t>(s[i]);
      else
        for (size_t i = 0; i < row_values; ++i) row[i] = static_cast<uint8_t>(s[i]);
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  return out;
}

}  // namespace ardm::data
