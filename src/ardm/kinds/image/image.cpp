#include "ardm/kinds/image/image.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "ardm/engine/model_file.h"

#if ARDM_HAVE_JXL
#include "ardm/kinds/image/jxl.h"
#endif
#if ARDM_HAVE_WEBP
#include "ardm/kinds/image/webp.h"
#endif

#ifndef ARDM_DEFAULT_MODEL
#define ARDM_DEFAULT_MODEL ""
#endif

namespace ardm::kinds {
namespace {

// JPEG XL's slowest, smallest setting: the images the model codes are small.
constexpr int kJxlEffort = 9;

bool ends_with_nocase(const std::string& s, const std::string& end) {
  if (s.size() < end.size()) return false;
  for (size_t i = 0; i < end.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - end.size() + i])) != end[i]) return false;
  return true;
}

// The {C, H, W} of a description of one or several images.
std::vector<int64_t> image_shape(const coding::Description& d) {
  return {static_cast<int64_t>(d.shape[d.shape.size() - 3]), static_cast<int64_t>(d.shape[d.shape.size() - 2]),
          static_cast<int64_t>(d.shape[d.shape.size() - 1])};
}

std::vector<uint8_t> narrow(const uint16_t* v, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (v[i] > 255) throw coding::FormatError("corrupted: a decoded value exceeds 8 bits");
    out[i] = static_cast<uint8_t>(v[i]);
  }
  return out;
}

}  // namespace

std::vector<uint8_t> planar_values(const data::Image8& img) {
  const int64_t C = img.channels, HW = img.height * img.width;
  std::vector<uint8_t> v(img.pixels.size());
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < HW; ++i) v[static_cast<size_t>(c * HW + i)] = img.pixels[static_cast<size_t>(i * C + c)];
  return v;
}

data::Image8 image_of(const uint8_t* v, int64_t channels, int64_t height, int64_t width) {
  data::Image8 img;
  img.channels = channels, img.height = height, img.width = width;
  const int64_t C = channels, HW = height * width;
  img.pixels.resize(static_cast<size_t>(C * HW));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < HW; ++i) img.pixels[static_cast<size_t>(i * C + c)] = v[static_cast<size_t>(c * HW + i)];
  return img;
}

Content images_content(const std::vector<std::vector<uint8_t>>& planar, const std::vector<int64_t>& shape) {
  Content c;
  c.description.kind = ImageKind().code();
  c.description.value_bits = 8;
  if (planar.size() != 1) c.description.shape.push_back(planar.size());
  for (auto s : shape) c.description.shape.push_back(static_cast<uint64_t>(s));
  for (const auto& p : planar) c.words.insert(c.words.end(), p.begin(), p.end());
  if (c.words.size() != c.description.num_values()) throw std::invalid_argument("images of different sizes");
  return c;
}

bool ImageKind::codes(const DataSpec& d) const { return d.shape.size() == 3 && d.num_classes == 256 && d.context == 0; }

bool ImageKind::takes_source(const std::string& source) const {
  if (source == "fashion-mnist") return true;
  std::error_code ec;
  if (!std::filesystem::is_directory(source, ec)) return false;
  for (const auto& e : std::filesystem::directory_iterator(source, ec))
    if (e.path().extension() == ".png") return true;
  return false;
}

std::string ImageKind::model_needed() const {
  return "not 8-bit images: compress and decompress take 8-bit images with an image model (PNG files)";
}

std::string ImageKind::bundled_model() const { return bundled_path(ARDM_DEFAULT_MODEL); }

bool ImageKind::claims(const std::string& path, const uint8_t* head, size_t n) const {
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const bool png = n >= 8 && std::equal(kSig, kSig + 8, head);
  if (!png) return ends_with_nocase(path, ".png");  // the image path says so if it is not one
  if (name() != std::string("image")) return true;  // a kind of images after this one
  // 8-bit gray and RGB images other than the shape of this kind's model are photographs
  // (kinds/photo/), unless no photo kind is built in.
#if ARDM_HAVE_PNG
  try {
    const auto s = data::png_size(head, n, path);
    return s.channels == 0 || !has_photo_kind() || std::vector<int64_t>{s.channels, s.height, s.width} == model_shape();
  } catch (const std::exception&) {
    return true;  // read() says what is wrong with it
  }
#else
  return true;
#endif
}

std::vector<int64_t> ImageKind::model_shape() const {
  static const std::vector<int64_t> shape = [this] {
    const char* env = std::getenv(model_variable());
    const std::string path = env && *env ? env : bundled_model();
    try {
      return engine::read_model_config(path).data.shape;
    } catch (const std::exception&) {
      return std::vector<int64_t>{1, 28, 28};  // Fashion-MNIST's, the bundled model's
    }
  }();
  return shape;
}

bool ImageKind::has_photo_kind() { return kinds::by_name("photo") != nullptr; }

Content ImageKind::read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel&) const {
#if !ARDM_HAVE_PNG
  throw std::runtime_error(name + ": this build has no PNG support (libpng)");
#else
  const auto png = data::decode_png_any(file.data(), file.size(), name);
  const int64_t C = png.channels, HW = png.height * png.width;
  Content c;
  auto& d = c.description;
  d.kind = code();
  d.value_bits = static_cast<uint32_t>(png.sample_bits);
  d.shape = {static_cast<uint64_t>(C), static_cast<uint64_t>(png.height), static_cast<uint64_t>(png.width)};
  const bool plain = (png.color_type == 0 || png.color_type == 2) && png.bit_depth == 8 && png.trns.empty();
  if (!plain) {  // the PNG form: colour type, bit depth, the tRNS colour (2 bytes per value)
    d.kind = kPngCode;
    d.container_bytes = true;
    d.prefix = {static_cast<uint8_t>(png.color_type), static_cast<uint8_t>(png.bit_depth)};
    for (uint16_t v : png.trns) d.prefix.insert(d.prefix.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  }
  c.words.resize(png.samples.size());
  for (int64_t ch = 0; ch < C; ++ch)
    for (int64_t i = 0; i < HW; ++i) c.words[static_cast<size_t>(ch * HW + i)] = png.samples[static_cast<size_t>(i * C + ch)];
  return c;
#endif
}

Content ImageKind::merge(const std::vector<Content>& parts) const {
  if (parts.size() == 1) return parts[0];
  Content out = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const auto& d = parts[i].description;
    if (d.shape.size() != 3 || image_shape(d) != image_shape(out.description))
      throw std::runtime_error("images of different sizes cannot go into one file");
    if (d.kind != out.description.kind || d.value_bits != out.description.value_bits || d.prefix != out.description.prefix)
      throw std::runtime_error("images of different colour types or bit depths cannot go into one file");
    out.words.insert(out.words.end(), parts[i].words.begin(), parts[i].words.end());
  }
  out.description.shape.insert(out.description.shape.begin(), parts.size());
  return out;
}

WordMap ImageKind::word_map(const coding::Description&, const engine::EngineCodec&) const {
  return {identity_word, identity_word, 0};
}

void ImageKind::check_description(const coding::Description& d) const {
  auto bad = [&](const std::string& what) { throw coding::FormatError("corrupted: " + what); };
  const size_t rank = d.shape.size();
  if (rank != 3 && rank != 4) bad("images have rank 3 (C, H, W) or 4 (N, C, H, W), not " + std::to_string(rank));
  const size_t o = rank - 3;
  if (rank == 4 && d.shape[0] < 1) bad("a file of 0 images");
  for (size_t i = o + 1; i < rank; ++i)
    if (d.shape[i] < 1 || d.shape[i] > 65535) bad("image dimension " + std::to_string(d.shape[i]) + " out of range");
  const uint64_t C = d.shape[o];
  if (d.kind == code()) {  // 8-bit gray or RGB
    if (d.value_bits != 8) bad(std::to_string(d.value_bits) + "-bit values in an image file");
    if (C != 1 && C != 3) bad("an image has 1 or 3 channels, not " + std::to_string(C));
    return;
  }
  // The PNG form: colour type, bit depth, and the tRNS colour's values, 2 bytes each.
  if (d.short_prefix) bad("an image's PNG form has no short form");
  if (d.prefix.size() < 2 || !d.suffix.empty()) bad("an image's PNG form is 2 bytes and its tRNS colour");
  const int type = d.prefix[0], depth = d.prefix[1];
  const size_t trns = (d.prefix.size() - 2) / 2;
  if (d.prefix.size() % 2) bad("an odd tRNS colour");
  auto depth_in = [&](std::initializer_list<int> ok) { return std::find(ok.begin(), ok.end(), depth) != ok.end(); };
  const bool sample_depth = static_cast<int>(d.value_bits) == depth;
  bool ok = false;
  switch (type) {
    case 0: ok = C == 1 && depth_in({1, 2, 4, 8, 16}) && sample_depth && trns <= 1 && !(depth == 8 && trns == 0); break;
    case 2: ok = C == 3 && depth_in({8, 16}) && sample_depth && (trns == 0 || trns == 3) && !(depth == 8 && trns == 0); break;
    case 3: ok = (C == 3 || C == 4) && depth_in({1, 2, 4, 8}) && d.value_bits == 8 && trns == 0; break;
    case 4: ok = C == 2 && depth_in({8, 16}) && sample_depth && trns == 0; break;
    case 6: ok = C == 4 && depth_in({8, 16}) && sample_depth && trns == 0; break;
    default: bad("PNG colour type " + std::to_string(type));
  }
  if (!ok) bad("PNG colour type " + std::to_string(type) + " at " + std::to_string(depth) + " bits with " + std::to_string(C) + " channels");
  for (size_t i = 0; i < trns; ++i)
    if ((d.prefix[2 + 2 * i] | (d.prefix[3 + 2 * i] << 8)) >> depth) bad("a tRNS value above the bit depth");
}

bool ImageKind::model_codes(const coding::Description& d, const engine::EngineModel& model) const {
  return d.kind == code() && image_shape(d) == model.cfg.data.shape;
}

void ImageKind::check_coded_content(const coding::Description& d, const engine::EngineModel& model) const {
  check_coded_shape(d, model.cfg.data.shape);
}

void ImageKind::check_coded_shape(const coding::Description& d, const std::vector<int64_t>& shape) const {
  if (image_shape(d) != shape) throw coding::FormatError("corrupted: its images are not of the model's shape");
}

bool ImageKind::bare(const Content& c, const engine::EngineModel& model) const {
  return c.description.kind == code() && c.description.shape.size() == 3 && image_shape(c.description) == model.cfg.data.shape;
}

coding::Description ImageKind::bare_description(const engine::EngineModel& model) const {
  return bare_description_of(model.cfg.data.shape);
}

coding::Description ImageKind::bare_description_of(const std::vector<int64_t>& shape) const {
  coding::Description d;
  d.kind = code();
  d.value_bits = 8;
  for (auto s : shape) d.shape.push_back(static_cast<uint64_t>(s));
  return d;
}

size_t ImageKind::items(const coding::Description& d) const {
  return d.shape.size() == 4 ? static_cast<size_t>(d.shape[0]) : 1;
}

namespace {

// One image's planar values <-> interleaved samples.
std::vector<uint16_t> interleave(const uint16_t* planar, const std::vector<int64_t>& s) {
  const int64_t C = s[0], HW = s[1] * s[2];
  std::vector<uint16_t> px(static_cast<size_t>(C * HW));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < HW; ++i) px[static_cast<size_t>(i * C + c)] = planar[static_cast<size_t>(c * HW + i)];
  return px;
}
std::vector<uint16_t> planarize(const std::vector<uint16_t>& px, const std::vector<int64_t>& s) {
  const int64_t C = s[0], HW = s[1] * s[2];
  std::vector<uint16_t> out(px.size());
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < HW; ++i) out[static_cast<size_t>(c * HW + i)] = px[static_cast<size_t>(i * C + c)];
  return out;
}

[[noreturn]] void no_support(int k) {
  throw std::runtime_error(std::string("this build has no ") + (k == 0 ? "JPEG XL (libjxl)" : "WebP (libwebp)") +
                           " support: the file holds such an image");
}

// Codec k's stream of one image at `bits` bits.
std::vector<uint8_t> encode_image(int k, const std::vector<uint16_t>& px, const std::vector<int64_t>& s, int bits) {
#if ARDM_HAVE_JXL
  if (k == 0) return data::encode_jxl_any(px.data(), s[0], s[1], s[2], bits, kJxlEffort);
#endif
#if ARDM_HAVE_WEBP
  if (k == 1) return data::encode_webp_lossless(px.data(), s[0], s[1], s[2]);
#endif
  no_support(k);
}
std::vector<uint16_t> decode_image(int k, const coding::Part& p, const std::vector<int64_t>& s, int bits) {
#if ARDM_HAVE_JXL
  if (k == 0) return data::decode_jxl_any(p.data, p.size, s[0], s[1], s[2], bits);
#endif
#if ARDM_HAVE_WEBP
  if (k == 1) return data::decode_webp_lossless(p.data, p.size, s[0], s[1], s[2]);
#endif
  no_support(k);
}

// One image by codec k, its pixels checked by decoding it back (the file's CRC covers the
// stream, not the pixels).
std::vector<uint8_t> stream_of(int k, const uint16_t* planar, const std::vector<int64_t>& s, int bits) {
  const auto px = interleave(planar, s);
  auto out = encode_image(k, px, s, bits);
  if (decode_image(k, {out.data(), out.size()}, s, bits) != px)
    throw std::runtime_error(std::string("the ") + (k == 0 ? "JPEG XL" : "WebP") + " library did not give back the exact pixels");
  return out;
}

// WebP: 8-bit samples, sides up to 16,383.
bool webp_takes(const coding::Description& d, const std::vector<int64_t>& s) {
  return d.value_bits == 8 && s[1] <= 16383 && s[2] <= 16383;
}

}  // namespace

bool ImageKind::native_takes(int k, const coding::Description& d) const {
  // A codec other than the first codes a file of one image (the first: one stream per image).
  return k == 0 || (k == 1 && items(d) == 1 && webp_takes(d, image_shape(d)));
}

bool ImageKind::native_chunks(int k, const coding::Description& d) const {
  return k == 0 || (k == 1 && webp_takes(d, image_shape(d)));
}

std::vector<std::vector<uint8_t>> ImageKind::encode_native(int k, const Content& c) const {
  const auto s = image_shape(c.description);
  const size_t n = items(c.description), per = static_cast<size_t>(s[0] * s[1] * s[2]);
  std::vector<std::vector<uint8_t>> parts;
  for (size_t i = 0; i < n; ++i)
    parts.push_back(stream_of(k, c.words.data() + i * per, s, static_cast<int>(c.description.value_bits)));
  return parts;
}

std::vector<uint16_t> ImageKind::decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const {
  const size_t n = items(d);
  if (parts.size() != n)
    throw coding::FormatError("corrupted: " + std::to_string(parts.size()) + " image streams for " + std::to_string(n) + " images");
  if (k == 1 && !webp_takes(d, image_shape(d))) throw coding::FormatError("corrupted: an image WebP does not code");
  std::vector<uint16_t> out;
  for (const auto& p : parts) {
    const auto v = planarize(decode_image(k, p, image_shape(d), static_cast<int>(d.value_bits)), image_shape(d));
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<uint8_t> ImageKind::encode_native_chunk(int k, const coding::Description& d, const uint16_t* words, size_t n) const {
  const auto s = image_shape(d);
  if (n != static_cast<size_t>(s[0] * s[1] * s[2]) || !native_chunks(k, d)) return {};  // whole images only
  return stream_of(k, words, s, static_cast<int>(d.value_bits));
}

std::vector<uint16_t> ImageKind::decode_native_chunk(int k, const coding::Description& d, const coding::Part& p, size_t n) const {
  const auto s = image_shape(d);
  if (n != static_cast<size_t>(s[0] * s[1] * s[2])) throw coding::FormatError("corrupted: an image stream's chunk that is not one image");
  return planarize(decode_image(k, p, s, static_cast<int>(d.value_bits)), s);
}

std::string ImageKind::output_name(const std::string& stripped, const WriteOptions& o) const {
  std::string s = stripped;
  if (ends_with_nocase(s, ".png")) s.resize(s.size() - 4);
  return s + (o.raw ? ".raw" : ".png");
}

size_t ImageKind::output_files(const coding::Description& d, const WriteOptions& o) const {
  return o.raw ? 1 : items(d);
}

std::string ImageKind::output_file_name(size_t i, size_t count, const WriteOptions& o) const {
  return numbered_name(i, count, o.raw ? ".raw" : ".png");
}

std::vector<uint8_t> ImageKind::write(const Content& c, size_t i, const std::string& name, const WriteOptions& o) const {
  const auto& d = c.description;
  const auto s = image_shape(d);
  const int64_t C = s[0], HW = s[1] * s[2];
  const size_t per = static_cast<size_t>(C * HW);
  auto interleaved = [&](size_t k) {
    std::vector<uint16_t> px(per);
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t j = 0; j < HW; ++j) px[static_cast<size_t>(j * C + ch)] = c.words[k * per + static_cast<size_t>(ch * HW + j)];
    return px;
  };
  if (o.raw) {  // every image's interleaved samples, one after another (2 bytes, little-endian, above 8 bits)
    std::vector<uint8_t> out;
    for (size_t k = 0; k < items(d); ++k) {
      const auto px = interleaved(k);
      const auto b = coding::value_bytes(px.data(), px.size(), d.value_bits);
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }
#if ARDM_HAVE_PNG
  if (d.kind == code()) return data::encode_png(image_of(narrow(c.words.data() + i * per, per).data(), s[0], s[1], s[2]), name);
  data::PngImage png;
  png.color_type = d.prefix[0];
  png.bit_depth = d.prefix[1];
  png.height = s[1], png.width = s[2], png.channels = C;
  png.sample_bits = static_cast<int>(d.value_bits);
  png.samples = interleaved(i);
  for (size_t j = 2; j + 1 < d.prefix.size(); j += 2) png.trns.push_back(static_cast<uint16_t>(d.prefix[j] | (d.prefix[j + 1] << 8)));
  try {
    return data::encode_png_any(png, name);
  } catch (const std::invalid_argument& e) {  // a palette of more colours than its depth holds
    throw coding::FormatError(std::string("corrupted: ") + e.what());
  }
#else
  throw std::invalid_argument("this build has no PNG support (libpng): use --raw");
#endif
}

}  // namespace ardm::kinds
