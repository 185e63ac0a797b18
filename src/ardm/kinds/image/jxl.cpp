#include "ardm/kinds/image/jxl.h"

#include <jxl/decode.h>
#include <jxl/encode.h>

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

std::vector<uint8_t> encode_jxl_lossless(const Image8& img, int effort) {
  if (!valid_size(img.channels, img.height, img.width))
    throw std::invalid_argument("encode_jxl_lossless: need a non-empty 1- or 3-channel image, not " +
                                shape_text(img.channels, img.height, img.width));
  if (img.pixels.size() != static_cast<size_t>(img.channels * img.height * img.width))
    throw std::invalid_argument("encode_jxl_lossless: pixel buffer does not match the image size");
  if (effort < 1 || effort > 9)
    throw std::invalid_argument("encode_jxl_lossless: effort must be 1..9, not " + std::to_string(effort));

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
  info.xsize = static_cast<uint32_t>(img.width);
  info.ysize = static_cast<uint32_t>(img.height);
  info.bits_per_sample = 8;
  info.exponent_bits_per_sample = 0;
  info.num_color_channels = static_cast<uint32_t>(img.channels);
  info.num_extra_channels = 0;
  info.alpha_bits = 0;
  info.uses_original_profile = JXL_TRUE;  // lossless needs the samples as given, not converted to XYB
  check(JxlEncoderSetBasicInfo(enc.get(), &info), "setting the image header");
  JxlColorEncoding color;
  JxlColorEncodingSetToSRGB(&color, img.channels == 1 ? JXL_TRUE : JXL_FALSE);
  check(JxlEncoderSetColorEncoding(enc.get(), &color), "setting the color encoding");

  JxlEncoderFrameSettings* settings = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);  // owned by enc
  if (!settings) throw std::runtime_error("jxl: cannot create frame settings");
  check(JxlEncoderSetFrameLossless(settings, JXL_TRUE), "choosing lossless");
  check(JxlEncoderFrameSettingsSetOption(settings, JXL_ENC_FRAME_SETTING_EFFORT, effort), "setting the effort");
  const JxlPixelFormat format{static_cast<uint32_t>(img.channels), JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  check(JxlEncoderAddImageFrame(settings, &format, img.pixels.data(), img.pixels.size()), "adding the image");
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
  return out;
}

Image8 decode_jxl(const uint8_t* data, size_t size, int64_t channels, int64_t height, int64_t width) {
  if (!valid_size(channels, height, width))
    throw std::invalid_argument("decode_jxl: can only expect a non-empty 1- or 3-channel image, not " +
                                shape_text(channels, height, width));
  Decoder dec(JxlDecoderCreate(nullptr), JxlDecoderDestroy);
  if (!dec) throw std::runtime_error("jxl: cannot create a decoder");
  if (JxlDecoderSubscribeEvents(dec.get(), JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetInput(dec.get(), data, size) != JXL_DEC_SUCCESS)
    throw std::runtime_error("jxl: cannot set up the decoder");
  JxlDecoderCloseInput(dec.get());

  const JxlPixelFormat format{static_cast<uint32_t>(channels), JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  Image8 img;
  bool have_info = false, have_image = false;
  for (;;) {
    const JxlDecoderStatus status = JxlDecoderProcessInput(dec.get());
    switch (status) {
      case JXL_DEC_BASIC_INFO: {
        JxlBasicInfo info;
        if (JxlDecoderGetBasicInfo(dec.get(), &info) != JXL_DEC_SUCCESS) corrupted("unreadable image header");
        if (info.xsize != static_cast<uint64_t>(width) || info.ysize != static_cast<uint64_t>(height) ||
            info.num_color_channels != static_cast<uint64_t>(channels))
          corrupted("the stream holds a " + shape_text(info.num_color_channels, info.ysize, info.xsize) +
                    " image, not " + shape_text(channels, height, width));
        // Anything our encoder never writes: extra (alpha) channels, other depths, animation,
        // or an orientation that would make the decoder transpose the image.
        if (info.num_extra_channels != 0 || info.bits_per_sample != 8 || info.exponent_bits_per_sample != 0 ||
            info.have_animation || info.orientation != JXL_ORIENT_IDENTITY)
          corrupted("the stream is not a plain 8-bit image");
        img.channels = channels, img.height = height, img.width = width;
        img.pixels.resize(static_cast<size_t>(channels * height * width));  // only now: the size is checked
        have_info = true;
        break;
      }
      case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
        size_t need = 0;
        if (!have_info || have_image || JxlDecoderImageOutBufferSize(dec.get(), &format, &need) != JXL_DEC_SUCCESS ||
            need != img.pixels.size() ||
            JxlDecoderSetImageOutBuffer(dec.get(), &format, img.pixels.data(), img.pixels.size()) != JXL_DEC_SUCCESS)
          corrupted("unexpected image layout");
        break;
      }
      case JXL_DEC_FULL_IMAGE:
        if (have_image) corrupted("more than one image");
        have_image = true;
        break;
      case JXL_DEC_SUCCESS:
        if (!have_image) corrupted("no image in the stream");
        if (const size_t left = JxlDecoderReleaseInput(dec.get()); left != 0)
          corrupted(std::to_string(left) + " byte(s) after the end of the image");
        return img;
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
