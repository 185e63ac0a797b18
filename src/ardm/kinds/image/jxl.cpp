#include "ardm/kinds/image/jxl.h"

#include <jxl/decode.h>
#include <jxl/encode.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace ardm::data {
namespace {

using Encoder = std::unique_ptr<JxlEncoder, decltype(&JxlEncoderDestroy)>;
using Decoder = std::unique_ptr<JxlDecoder, decltype(&JxlDecoderDestroy)>;

[[noreturn]] void corrupted(const std::string& what) { throw std::runtime_error("corrupted: " + what); }

std::string shape_text(uint64_t channels, uint64_t height, uint64_t width) {
  return std::to_string(width) + "x" + std::to_string(height) + " with " + std::to_string(channels) + " channel(s)";
}

bool valid_size(int64_t channels, int64_t height, int64_t width) {
  constexpr int64_t kMaxSide = std::numeric_limits<uint32_t>::max();  // JxlBasicInfo holds uint32_t sides
  return (channels == 1 || channels == 3) && height > 0 && width > 0 && height <= kMaxSide && width <= kMaxSide;
}

}  // namespace

// The 8-bit gray and RGB functions are the general ones at 8 bits, their arguments checked as
// their callers were promised.
std::vector<uint8_t> encode_jxl_lossless(const Image8& img, int effort) {
  if (!valid_size(img.channels, img.height, img.width))
    throw std::invalid_argument("encode_jxl_lossless: need a non-empty 1- or 3-channel image, not " +
                                shape_text(img.channels, img.height, img.width));
  if (img.pixels.size() != static_cast<size_t>(img.channels * img.height * img.width))
    throw std::invalid_argument("encode_jxl_lossless: pixel buffer does not match the image size");
  if (effort < 1 || effort > 9)
    throw std::invalid_argument("encode_jxl_lossless: effort must be 1..9, not " + std::to_string(effort));
  const std::vector<uint16_t> samples(img.pixels.begin(), img.pixels.end());
  return encode_jxl_any(samples.data(), img.channels, img.height, img.width, 8, effort);
}

Image8 decode_jxl(const uint8_t* data, size_t size, int64_t channels, int64_t height, int64_t width) {
  if (!valid_size(channels, height, width))
    throw std::invalid_argument("decode_jxl: can only expect a non-empty 1- or 3-channel image, not " +
                                shape_text(channels, height, width));
  const auto samples = decode_jxl_any(data, size, channels, height, width, 8);
  Image8 img;
  img.channels = channels, img.height = height, img.width = width;
  img.pixels.assign(samples.begin(), samples.end());
  return img;
}

// ---- Any sample layout ------------------------------------------------------------------------
//
// How cjxl 0.7 codes a PNG with -d 0 (tools/cjxl_main.cc and lib/extras/dec/apng.cc), which this
// copies so the pixel data is coded the same way, to the byte:
//  - bits_per_sample is the PNG's bit depth (8 for palette images, which it expands to RGB, or
//    RGBA with tRNS), 1 or 3 colour channels, alpha as extra channel 0, no XYB
//    (uses_original_profile), JxlEncoderSetFrameDistance(0) and JxlEncoderSetFrameLossless, the
//    effort, and no other option (every modular setting at its default);
//  - the samples go in as UINT8 (up to 8 bits; libpng's png_set_expand rescales 1/2/4-bit values
//    to 0..255) or UINT16; libjxl maps them to [0, 1] and back to the header's depth, so a
//    rescaled value comes back as the original one (to_full below does the same rescaling);
//  - colour: sRGB with perceptual intent, or what the PNG's gAMA/cHRM/sRGB/iCCP chunks say. We
//    keep JxlColorEncodingSetToSRGB's relative intent, the header's all-default case: 2 bytes
//    shorter for RGB, the same size for gray, and never an ICC profile;
//  - where cjxl codes something else: it turns a gray or RGB tRNS colour into an alpha channel
//    (we get the colour channels only), stores a 16-bit alpha channel in 8 bits (its
//    JxlEncoderInitExtraChannelInfo default; lossy, so we keep all 16), and takes an sBIT chunk's
//    depth as bits_per_sample.
// cjxl runs threaded; libjxl's output does not depend on the thread count (measured).

namespace {

bool valid_any(int64_t channels, int64_t height, int64_t width, int bits) {
  return channels >= 1 && channels <= 4 && bits >= 1 && bits <= 16 && valid_size(1, height, width);
}

std::string any_text(int64_t channels, int64_t height, int64_t width, int bits) {
  return shape_text(static_cast<uint64_t>(channels), static_cast<uint64_t>(height), static_cast<uint64_t>(width)) +
         " of " + std::to_string(bits) + " bit(s)";
}

// The pixel type libjxl exchanges `bits`-bit samples in: bytes up to 8 bits, else 16-bit words.
// Either way libjxl reads them as fractions of the type's full range (v / 255 or v / 65535).
bool wide_type(int bits) { return bits > 8; }

// v (< 2^bits) to the full range of the exchange type: rounded v * full / (2^bits - 1). libjxl
// multiplies the fraction by 2^bits - 1 and rounds; the rounding here moves it by at most
// 0.5 * (2^bits - 1) / full < 0.5 of a step, so it lands back on v (for 8 and 16 bits this is
// the identity).
uint32_t to_full(uint32_t v, int bits, uint32_t full) {
  const uint64_t top = (uint64_t{1} << bits) - 1;
  return static_cast<uint32_t>((uint64_t{v} * full + top / 2) / top);
}
// The inverse, for what the decoder gives back.
uint16_t from_full(uint32_t v, int bits, uint32_t full) {
  const uint64_t top = (uint64_t{1} << bits) - 1;
  return static_cast<uint16_t>((uint64_t{v} * top + full / 2) / full);
}

// libjxl 0.7 always wraps a level-10 codestream (samples above 12 bits, or a side above 2^18)
// in the container, to add a jxll box saying "level 10": 49 bytes of boxes for a 16-bit PNG.
// The level is only a hint (libjxl decodes such a bare codestream the same), and cjxl's
// codestream is compared without its boxes, so we keep the codestream alone: the jxlc box's
// payload, or the jxlp boxes' payloads (after their 4-byte index) in order.
std::vector<uint8_t> bare_codestream(std::vector<uint8_t> file) {
  static const uint8_t kSignatureBox[12] = {0, 0, 0, 12, 'J', 'X', 'L', ' ', 0x0d, 0x0a, 0x87, 0x0a};
  if (file.size() < sizeof kSignatureBox || !std::equal(kSignatureBox, kSignatureBox + 12, file.begin())) return file;
  std::vector<uint8_t> codestream;
  size_t at = 0;
  while (at < file.size()) {
    if (file.size() - at < 8) throw std::runtime_error("jxl: the encoder wrote a broken box");
    uint64_t size = 0;
    for (int i = 0; i < 4; ++i) size = size << 8 | file[at + i];
    const std::string type(file.begin() + static_cast<std::ptrdiff_t>(at + 4), file.begin() + static_cast<std::ptrdiff_t>(at + 8));
    size_t header = 8;
    if (size == 1) {  // 64-bit size after the type
      if (file.size() - at < 16) throw std::runtime_error("jxl: the encoder wrote a broken box");
      size = 0;
      for (int i = 8; i < 16; ++i) size = size << 8 | file[at + i];
      header = 16;
    } else if (size == 0) {  // up to the end of the file
      size = file.size() - at;
    }
    if (size < header || size > file.size() - at) throw std::runtime_error("jxl: the encoder wrote a broken box");
    const auto begin = file.begin() + static_cast<std::ptrdiff_t>(at + header);
    const auto end = file.begin() + static_cast<std::ptrdiff_t>(at + size);
    if (type == "jxlc") codestream.insert(codestream.end(), begin, end);
    if (type == "jxlp") {
      if (end - begin < 4) throw std::runtime_error("jxl: the encoder wrote a broken box");
      codestream.insert(codestream.end(), begin + 4, end);
    }
    at += static_cast<size_t>(size);
  }
  if (codestream.size() < 2 || codestream[0] != 0xff || codestream[1] != 0x0a)
    throw std::runtime_error("jxl: no codestream in the encoder's container");
  return codestream;
}

}  // namespace

std::vector<uint8_t> encode_jxl_any(const uint16_t* samples, int64_t channels, int64_t height, int64_t width,
                                    int bits, int effort) {
  if (!valid_any(channels, height, width, bits) || samples == nullptr)
    throw std::invalid_argument("encode_jxl_any: need a non-empty image with 1..4 channels of 1..16 bits, not " +
                                any_text(channels, height, width, bits));
  if (effort < 1 || effort > 9)
    throw std::invalid_argument("encode_jxl_any: effort must be 1..9, not " + std::to_string(effort));
  const size_t count = static_cast<size_t>(channels * height * width);
  const uint32_t top = (uint32_t{1} << bits) - 1;
  if (std::any_of(samples, samples + count, [&](uint16_t v) { return v > top; }))
    throw std::invalid_argument("encode_jxl_any: a sample does not fit in " + std::to_string(bits) + " bits");
  const bool alpha = channels == 2 || channels == 4;
  // A 16-bit alpha channel whose values are all multiples of 257 is an 8-bit one scaled up
  // (v * 65535 / 255): stored in 8 bits, as cjxl stores every 16-bit alpha, it loses nothing (a
  // 16-bit output maps it back to the same multiple of 257) and is smaller than 16 bits of it.
  bool alpha8 = alpha && bits == 16;
  for (size_t i = static_cast<size_t>(channels - 1); alpha8 && i < count; i += static_cast<size_t>(channels))
    alpha8 = samples[i] % 257 == 0;
  const uint32_t alpha_bits = !alpha ? 0 : alpha8 ? 8 : static_cast<uint32_t>(bits);

  // The samples as libjxl takes them (see to_full); 8- and 16-bit ones are only copied.
  const bool wide = wide_type(bits);
  const uint32_t full = wide ? 65535 : 255;
  std::vector<uint8_t> bytes;
  std::vector<uint16_t> words;
  if (wide) {
    words.resize(count);
    for (size_t i = 0; i < count; ++i) words[i] = static_cast<uint16_t>(to_full(samples[i], bits, full));
  } else {
    bytes.resize(count);
    for (size_t i = 0; i < count; ++i) bytes[i] = static_cast<uint8_t>(to_full(samples[i], bits, full));
  }

  Encoder enc(JxlEncoderCreate(nullptr), JxlEncoderDestroy);
  if (!enc) throw std::runtime_error("jxl: cannot create an encoder");
  auto check = [&](JxlEncoderStatus status, const char* what) {
    if (status != JXL_ENC_SUCCESS)
      throw std::runtime_error(std::string("jxl: ") + what + " failed (libjxl error " +
                               std::to_string(static_cast<int>(JxlEncoderGetError(enc.get()))) + ")");
  };
  check(JxlEncoderUseContainer(enc.get(), JXL_FALSE), "choosing a bare codestream");

  JxlBasicInfo info;
  JxlEncoderInitBasicInfo(&info);
  info.xsize = static_cast<uint32_t>(width);
  info.ysize = static_cast<uint32_t>(height);
  info.bits_per_sample = static_cast<uint32_t>(bits);
  info.exponent_bits_per_sample = 0;
  info.num_color_channels = channels <= 2 ? 1 : 3;
  info.num_extra_channels = alpha ? 1 : 0;
  info.alpha_bits = alpha_bits;
  info.alpha_exponent_bits = 0;
  info.uses_original_profile = JXL_TRUE;  // lossless needs the samples as given, not converted to XYB
  check(JxlEncoderSetBasicInfo(enc.get(), &info), "setting the image header");
  if (alpha) {
    // SetBasicInfo already made extra channel 0 an alpha channel of alpha_bits; cjxl sets it
    // again, always with 8 bits, which drops the low byte of a 16-bit alpha: we keep it.
    JxlExtraChannelInfo ec;
    JxlEncoderInitExtraChannelInfo(JXL_CHANNEL_ALPHA, &ec);
    ec.bits_per_sample = alpha_bits;
    check(JxlEncoderSetExtraChannelInfo(enc.get(), 0, &ec), "setting the alpha channel");
  }
  JxlColorEncoding color;
  JxlColorEncodingSetToSRGB(&color, channels <= 2 ? JXL_TRUE : JXL_FALSE);
  check(JxlEncoderSetColorEncoding(enc.get(), &color), "setting the color encoding");

  JxlEncoderFrameSettings* settings = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);  // owned by enc
  if (!settings) throw std::runtime_error("jxl: cannot create frame settings");
  check(JxlEncoderFrameSettingsSetOption(settings, JXL_ENC_FRAME_SETTING_EFFORT, effort), "setting the effort");
  check(JxlEncoderSetFrameDistance(settings, 0.f), "setting distance 0");
  check(JxlEncoderSetFrameLossless(settings, JXL_TRUE), "choosing lossless");
  const JxlPixelFormat format{static_cast<uint32_t>(channels), wide ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8,
                              JXL_NATIVE_ENDIAN, 0};
  if (wide)
    check(JxlEncoderAddImageFrame(settings, &format, words.data(), words.size() * 2), "adding the image");
  else
    check(JxlEncoderAddImageFrame(settings, &format, bytes.data(), bytes.size()), "adding the image");
  JxlEncoderCloseInput(enc.get());

  std::vector<uint8_t> out(4096);
  uint8_t* next = out.data();
  size_t avail = out.size();
  JxlEncoderStatus status;
  while ((status = JxlEncoderProcessOutput(enc.get(), &next, &avail)) == JXL_ENC_NEED_MORE_OUTPUT) {
    const size_t used = static_cast<size_t>(next - out.data());
    out.resize(out.size() * 2);
    next = out.data() + used;
    avail = out.size() - used;
  }
  check(status, "encoding");
  out.resize(static_cast<size_t>(next - out.data()));
  return bare_codestream(std::move(out));
}

std::vector<uint16_t> decode_jxl_any(const uint8_t* data, size_t size, int64_t channels, int64_t height,
                                     int64_t width, int bits) {
  if (!valid_any(channels, height, width, bits))
    throw std::invalid_argument("decode_jxl_any: can only expect a non-empty image with 1..4 channels of 1..16 bits, not " +
                                any_text(channels, height, width, bits));
  Decoder dec(JxlDecoderCreate(nullptr), JxlDecoderDestroy);
  if (!dec) throw std::runtime_error("jxl: cannot create a decoder");
  if (JxlDecoderSubscribeEvents(dec.get(), JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetInput(dec.get(), data, size) != JXL_DEC_SUCCESS)
    throw std::runtime_error("jxl: cannot set up the decoder");
  JxlDecoderCloseInput(dec.get());

  const bool alpha = channels == 2 || channels == 4;
  const uint32_t color_channels = channels <= 2 ? 1 : 3;
  const bool wide = wide_type(bits);
  const JxlPixelFormat format{static_cast<uint32_t>(channels), wide ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8,
                              JXL_NATIVE_ENDIAN, 0};
  const size_t count = static_cast<size_t>(channels * height * width);
  std::vector<uint8_t> bytes;     // the decoder's output, up to 8 bits
  std::vector<uint16_t> samples;  // its output above 8 bits, then the result
  bool have_info = false, have_image = false;
  for (;;) {
    const JxlDecoderStatus status = JxlDecoderProcessInput(dec.get());
    switch (status) {
      case JXL_DEC_BASIC_INFO: {
        JxlBasicInfo info;
        if (JxlDecoderGetBasicInfo(dec.get(), &info) != JXL_DEC_SUCCESS) corrupted("unreadable image header");
        const uint32_t got_channels = info.num_color_channels + (info.alpha_bits != 0 ? 1 : 0);
        if (info.xsize != static_cast<uint64_t>(width) || info.ysize != static_cast<uint64_t>(height) ||
            info.num_color_channels != color_channels || info.num_extra_channels != (alpha ? 1u : 0u) ||
            (info.alpha_bits != 0) != alpha)
          corrupted("the stream holds a " + shape_text(got_channels, info.ysize, info.xsize) + " image (" +
                    std::to_string(info.num_extra_channels) + " extra channel(s)), not " +
                    shape_text(static_cast<uint64_t>(channels), static_cast<uint64_t>(height),
                               static_cast<uint64_t>(width)));
        // Alpha as deep as the colour, or 8 bits under 16-bit colour (see encode_jxl_any): the
        // 16-bit output then holds multiples of 257, which is what was coded.
        const bool alpha_ok = info.alpha_bits == static_cast<uint32_t>(bits) || (bits == 16 && info.alpha_bits == 8);
        if (info.bits_per_sample != static_cast<uint32_t>(bits) || info.exponent_bits_per_sample != 0 ||
            (alpha && (!alpha_ok || info.alpha_exponent_bits != 0)))
          corrupted("the stream holds " + std::to_string(info.bits_per_sample) + "-bit samples (alpha " +
                    std::to_string(info.alpha_bits) + "), not " + std::to_string(bits) + "-bit");
        // Anything our encoder never writes: animation, a preview, colour converted to XYB,
        // premultiplied alpha, or an orientation that would make the decoder transpose the image.
        if (info.have_animation || info.have_preview || !info.uses_original_profile || info.alpha_premultiplied ||
            info.orientation != JXL_ORIENT_IDENTITY)
          corrupted("the stream is not a plain lossless image");
        if (alpha) {
          // The one extra channel must be that alpha, at full resolution.
          JxlExtraChannelInfo ec;
          if (JxlDecoderGetExtraChannelInfo(dec.get(), 0, &ec) != JXL_DEC_SUCCESS || ec.type != JXL_CHANNEL_ALPHA ||
              ec.bits_per_sample != info.alpha_bits || ec.exponent_bits_per_sample != 0 ||
              ec.dim_shift != 0 || ec.alpha_premultiplied)
            corrupted("the extra channel is not a plain alpha channel");
        }
        // Only now, the size checked, does pixel memory exist.
        if (wide) samples.resize(count);
        else bytes.resize(count);
        have_info = true;
        break;
      }
      case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
        size_t need = 0;
        void* buffer = wide ? static_cast<void*>(samples.data()) : static_cast<void*>(bytes.data());
        const size_t buffer_size = count * (wide ? 2 : 1);
        if (!have_info || have_image || JxlDecoderImageOutBufferSize(dec.get(), &format, &need) != JXL_DEC_SUCCESS ||
            need != buffer_size || JxlDecoderSetImageOutBuffer(dec.get(), &format, buffer, buffer_size) != JXL_DEC_SUCCESS)
          corrupted("unexpected image layout");
        break;
      }
      case JXL_DEC_FULL_IMAGE:
        if (have_image) corrupted("more than one image");
        have_image = true;
        break;
      case JXL_DEC_SUCCESS: {
        if (!have_image) corrupted("no image in the stream");
        if (const size_t left = JxlDecoderReleaseInput(dec.get()); left != 0)
          corrupted(std::to_string(left) + " byte(s) after the end of the image");
        // Back from the exchange type's full range to `bits` bits (see to_full).
        if (wide) {
          if (bits != 16)
            for (uint16_t& v : samples) v = from_full(v, bits, 65535);
        } else {
          samples.resize(count);
          for (size_t i = 0; i < count; ++i) samples[i] = bits == 8 ? bytes[i] : from_full(bytes[i], bits, 255);
        }
        return samples;
      }
      case JXL_DEC_NEED_MORE_INPUT:
        corrupted("truncated stream");
      case JXL_DEC_ERROR:
        corrupted("invalid JPEG XL codestream");
      default:
        corrupted("unexpected decoder event " + std::to_string(static_cast<int>(status)));
    }
  }
}

}  // namespace ardm::data
