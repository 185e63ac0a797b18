#include "ardm/kinds/image/webp.h"

#include <webp/decode.h>
#include <webp/encode.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace ardm::data {
namespace {

[[noreturn]] void corrupted(const std::string& what) { throw std::runtime_error("corrupted: WebP " + what); }

constexpr size_t kHeader = 20;  // "RIFF" size "WEBP" "VP8L" size

bool valid(int64_t channels, int64_t height, int64_t width) {
  return channels >= 1 && channels <= 4 && height >= 1 && width >= 1 && height <= kMaxWebpSide && width <= kMaxWebpSide;
}

void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }

}  // namespace

std::vector<uint8_t> encode_webp_lossless(const uint16_t* samples, int64_t channels, int64_t height, int64_t width) {
  if (!valid(channels, height, width))
    throw std::invalid_argument("encode_webp_lossless: need 1..4 channels and sides of 1.." + std::to_string(kMaxWebpSide));
  const bool alpha = channels == 2 || channels == 4;
  const int64_t out_c = alpha ? 4 : 3, n = height * width;
  std::vector<uint8_t> px(static_cast<size_t>(n * out_c));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < out_c; ++c) {
      // gray -> R = G = B; gray+alpha -> (g, g, g, a)
      const int64_t from = channels >= 3 ? c : (c < 3 ? 0 : 1);
      const uint16_t v = samples[i * channels + from];
      if (v > 255) throw std::invalid_argument("encode_webp_lossless: a sample above 255");
      px[static_cast<size_t>(i * out_c + c)] = static_cast<uint8_t>(v);
    }

  WebPConfig config;
  if (!WebPConfigInit(&config) || !WebPConfigLosslessPreset(&config, 9)) throw std::runtime_error("webp: bad configuration");
  config.exact = 1;  // keep the colour under transparent pixels: lossless means every sample
  if (!WebPValidateConfig(&config)) throw std::runtime_error("webp: invalid configuration");
  WebPPicture pic;
  if (!WebPPictureInit(&pic)) throw std::runtime_error("webp: cannot set up a picture");
  pic.use_argb = 1;
  pic.width = static_cast<int>(width);
  pic.height = static_cast<int>(height);
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = &writer;
  const int stride = static_cast<int>(width * out_c);
  const bool imported = alpha ? WebPPictureImportRGBA(&pic, px.data(), stride) : WebPPictureImportRGB(&pic, px.data(), stride);
  const bool ok = imported && WebPEncode(&config, &pic);
  const int error = pic.error_code;
  WebPPictureFree(&pic);
  std::vector<uint8_t> out(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  if (!ok) throw std::runtime_error("webp: encoding failed (libwebp error " + std::to_string(error) + ")");
  // A simple lossless file: RIFF, WEBP, one VP8L chunk (and its pad byte). Keep the bitstream.
  if (out.size() < kHeader || std::memcmp(out.data(), "RIFF", 4) != 0 || std::memcmp(out.data() + 8, "WEBPVP8L", 8) != 0)
    throw std::runtime_error("webp: libwebp did not write a simple lossless file");
  const uint32_t len = le32(out.data() + 16);
  if (kHeader + len + (len & 1) != out.size()) throw std::runtime_error("webp: unexpected chunk layout");
  return {out.begin() + kHeader, out.begin() + static_cast<std::ptrdiff_t>(kHeader + len)};
}

std::vector<uint16_t> decode_webp_lossless(const uint8_t* data, size_t size, int64_t channels, int64_t height, int64_t width) {
  if (!valid(channels, height, width))
    throw std::invalid_argument("decode_webp_lossless: need 1..4 channels and sides of 1.." + std::to_string(kMaxWebpSide));
  if (size < 1 || size > 0xFFFFFFF0u) corrupted("stream of " + std::to_string(size) + " bytes");
  // The file libwebp reads: the headers put back around the bitstream.
  const auto len = static_cast<uint32_t>(size);
  std::vector<uint8_t> file(kHeader + size + (size & 1), 0);
  std::memcpy(file.data(), "RIFF", 4);
  put_le32(file.data() + 4, static_cast<uint32_t>(file.size() - 8));
  std::memcpy(file.data() + 8, "WEBPVP8L", 8);
  put_le32(file.data() + 16, len);
  std::memcpy(file.data() + kHeader, data, size);

  WebPBitstreamFeatures f;
  if (WebPGetFeatures(file.data(), file.size(), &f) != VP8_STATUS_OK) corrupted("header");
  const bool alpha = channels == 2 || channels == 4;
  if (f.width != width || f.height != height) corrupted("image of another size");
  if (f.format != 2 || f.has_animation || (f.has_alpha && !alpha)) corrupted("stream of another kind");
  const int64_t out_c = alpha ? 4 : 3, n = height * width;
  std::vector<uint8_t> px(static_cast<size_t>(n * out_c));
  const int stride = static_cast<int>(width * out_c);
  const uint8_t* got = alpha ? WebPDecodeRGBAInto(file.data(), file.size(), px.data(), px.size(), stride)
                             : WebPDecodeRGBInto(file.data(), file.size(), px.data(), px.size(), stride);
  if (!got) corrupted("bitstream");
  std::vector<uint16_t> out(static_cast<size_t>(n * channels));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* p = px.data() + i * out_c;
    if (channels <= 2 && (p[0] != p[1] || p[0] != p[2])) corrupted("colour in a gray image");
    for (int64_t c = 0; c < channels; ++c)
      out[static_cast<size_t>(i * channels + c)] = channels >= 3 ? p[c] : (c == 0 ? p[0] : p[3]);
  }
  return out;
}

}  // namespace ardm::data
