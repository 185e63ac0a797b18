#include "ardm/kinds/image/image.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "ardm/engine/model_file.h"

#if ARDM_HAVE_JXL
#include "ardm/kinds/image/jxl.h"
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

const char* color(int64_t c) { return c == 1 ? "gray" : c == 3 ? "RGB" : "?"; }

// An error naming the input when an image's shape is not the model's.
void check_shape(int64_t channels, int64_t height, int64_t width, const std::vector<int64_t>& shape,
                 const std::string& name) {
  if (channels != shape[0] || height != shape[1] || width != shape[2])
    throw std::runtime_error(name + ": a " + std::to_string(width) + "x" + std::to_string(height) + " " + color(channels) +
                             " image, but the model codes " + std::to_string(shape[2]) + "x" + std::to_string(shape[1]) +
                             " " + color(shape[0]) + " images");
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

bool ImageKind::codes(const DataSpec& d) const { return d.shape.size() == 3 && d.num_classes == 256; }

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

std::string ImageKind::bundled_model() const { return ARDM_DEFAULT_MODEL; }

bool ImageKind::claims(const std::string& path, const uint8_t* head, size_t n) const {
  if (ends_with_nocase(path, ".png")) return true;  // the image path says so if it is not one
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return n >= 8 && std::equal(kSig, kSig + 8, head);
}

Content ImageKind::read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel& model) const {
#if !ARDM_HAVE_PNG
  throw std::runtime_error(name + ": this build has no PNG support (libpng)");
#endif
  const auto& shape = model.cfg.data.shape;
  // The header's size is checked against the model before any pixel is decoded.
  const auto declared = data::png_size(file.data(), file.size(), name);
  if (declared.channels != 0) check_shape(declared.channels, declared.height, declared.width, shape, name);
  const auto img = data::decode_png(file.data(), file.size(), name, model.cfg.data.num_values());
  check_shape(img.channels, img.height, img.width, shape, name);
  return images_content({planar_values(img)}, shape);
}

Content ImageKind::merge(const std::vector<Content>& parts) const {
  if (parts.size() == 1) return parts[0];
  std::vector<std::vector<uint8_t>> planar;
  for (const auto& p : parts) {
    if (p.description.shape.size() != 3 || image_shape(p.description) != image_shape(parts[0].description))
      throw std::runtime_error("images of different sizes cannot go into one file");
    planar.push_back(narrow(p.words.data(), p.words.size()));
  }
  return images_content(planar, image_shape(parts[0].description));
}

WordMap ImageKind::word_map(const coding::Description&, const engine::EngineCodec&) const {
  return {identity_word, identity_word, 0};
}

void ImageKind::check_description(const coding::Description& d) const {
  auto bad = [&](const std::string& what) { throw coding::FormatError("corrupted: " + what); };
  const size_t rank = d.shape.size();
  if (d.value_bits != 8) bad(std::to_string(d.value_bits) + "-bit values in an image file");
  if (rank != 3 && rank != 4) bad("images have rank 3 (C, H, W) or 4 (N, C, H, W), not " + std::to_string(rank));
  const size_t o = rank - 3;
  if (rank == 4 && d.shape[0] < 1) bad("a file of 0 images");
  if (d.shape[o] != 1 && d.shape[o] != 3) bad("an image has 1 or 3 channels, not " + std::to_string(d.shape[o]));
  for (size_t i = o + 1; i < rank; ++i)
    if (d.shape[i] < 1 || d.shape[i] > 65535) bad("image dimension " + std::to_string(d.shape[i]) + " out of range");
}

void ImageKind::check_coded_content(const coding::Description& d, const engine::EngineModel& model) const {
  check_coded_shape(d, model.cfg.data.shape);
}

void ImageKind::check_coded_shape(const coding::Description& d, const std::vector<int64_t>& shape) const {
  if (image_shape(d) != shape) throw coding::FormatError("corrupted: its images are not of the model's shape");
}

bool ImageKind::bare(const Content& c, const engine::EngineModel& model) const {
  return c.description.shape.size() == 3 && image_shape(c.description) == model.cfg.data.shape;
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

#if ARDM_HAVE_JXL
std::vector<std::vector<uint8_t>> ImageKind::encode_native(const Content& c) const {
  const auto s = image_shape(c.description);
  const size_t n = items(c.description), per = static_cast<size_t>(s[0] * s[1] * s[2]);
  std::vector<std::vector<uint8_t>> parts;
  for (size_t i = 0; i < n; ++i) {
    const auto img = image_of(narrow(c.words.data() + i * per, per).data(), s[0], s[1], s[2]);
    parts.push_back(data::encode_jxl_lossless(img, kJxlEffort));
    // The file's CRC covers the codestream, not the pixels: check the pixels here, once.
    if (data::decode_jxl(parts.back().data(), parts.back().size(), s[0], s[1], s[2]).pixels != img.pixels)
      throw std::runtime_error("libjxl's lossless mode did not give back the exact pixels");
  }
  return parts;
}

std::vector<uint16_t> ImageKind::decode_native(const std::vector<coding::Part>& parts, const coding::Description& d) const {
  const size_t n = items(d);
  if (parts.size() != n)
    throw coding::FormatError("corrupted: " + std::to_string(parts.size()) + " JPEG XL codestreams for " +
                              std::to_string(n) + " images");
  const auto s = image_shape(d);
  std::vector<uint16_t> out;
  for (const auto& p : parts) {
    const auto v = planar_values(data::decode_jxl(p.data, p.size, s[0], s[1], s[2]));
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}
#else
// A decoder built without libjxl (a cross build) reads model-coded and stored files only.
std::vector<std::vector<uint8_t>> ImageKind::encode_native(const Content&) const {
  throw std::runtime_error("this build has no JPEG XL support (libjxl)");
}
std::vector<uint16_t> ImageKind::decode_native(const std::vector<coding::Part>&, const coding::Description&) const {
  throw std::runtime_error("this build has no JPEG XL support (libjxl): the file holds a JPEG XL image");
}
#endif

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
  const auto s = image_shape(c.description);
  const size_t per = static_cast<size_t>(s[0] * s[1] * s[2]);
  if (o.raw) {  // every image's interleaved pixels, one after another
    std::vector<uint8_t> out;
    for (size_t k = 0; k < items(c.description); ++k) {
      const auto px = image_of(narrow(c.words.data() + k * per, per).data(), s[0], s[1], s[2]).pixels;
      out.insert(out.end(), px.begin(), px.end());
    }
    return out;
  }
#if ARDM_HAVE_PNG
  return data::encode_png(image_of(narrow(c.words.data() + i * per, per).data(), s[0], s[1], s[2]), name);
#else
  throw std::invalid_argument("this build has no PNG support (libpng): use --raw");
#endif
}

}  // namespace ardm::kinds
