// Any PNG (every colour type and bit depth, tRNS, interlaced) as samples, and lossless JPEG XL of
// those samples: exact round trips, and decoders that never trust their input.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/kinds/image/jxl.h"
#include "ardm/kinds/image/png.h"

using ardm::data::decode_jxl_any;
using ardm::data::decode_png_any;
using ardm::data::encode_jxl_any;
using ardm::data::encode_png_any;
using ardm::data::PngImage;

namespace {

struct Kind {
  int color_type, bit_depth;
  int64_t channels;  // 3 or 4 for palette
  bool trns;         // gray or RGB with a tRNS colour
};

std::string kind_text(const Kind& k) {
  return "colour type " + std::to_string(k.color_type) + ", " + std::to_string(k.bit_depth) + "-bit, " +
         std::to_string(k.channels) + " channel(s)" + (k.trns ? ", tRNS" : "");
}

// An image of this kind: smooth ramps plus noise (compressible, but every value matters), using
// the whole range of values; palette images draw from at most 2^bit_depth colours, some of
// them translucent when there are 4 channels.
PngImage make_image(const Kind& k, int64_t w, int64_t h, uint32_t seed) {
  std::mt19937 rng(seed);
  PngImage img;
  img.color_type = k.color_type;
  img.bit_depth = k.bit_depth;
  img.width = w, img.height = h;
  img.channels = k.channels;
  img.sample_bits = k.color_type == 3 ? 8 : k.bit_depth;
  const uint32_t top = (uint32_t{1} << img.sample_bits) - 1;
  std::vector<std::vector<uint16_t>> colors;
  if (k.color_type == 3) {
    const int n = 1 << k.bit_depth;
    for (int i = 0; i < n; ++i) {
      std::vector<uint16_t> c;
      for (int64_t j = 0; j < 3; ++j) c.push_back(static_cast<uint16_t>(rng() % 256));
      if (k.channels == 4) c.push_back(static_cast<uint16_t>(i % 3 == 0 ? rng() % 256 : 255));
      colors.push_back(c);
    }
  }
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      if (k.color_type == 3) {
        const auto& c = colors[static_cast<size_t>((x / 3 + y / 2 + rng() % 2) % colors.size())];
        img.samples.insert(img.samples.end(), c.begin(), c.end());
        continue;
      }
      for (int64_t c = 0; c < k.channels; ++c) {
        const uint64_t ramp = (uint64_t{top} + 1) * static_cast<uint64_t>(3 * x + 2 * y + 7 * c) / (3 * w + 2 * h);
        img.samples.push_back(static_cast<uint16_t>(std::min<uint64_t>(top, ramp + rng() % (top / 16 + 2))));
      }
    }
  if (k.trns) {
    // A colour that occurs, so it matters.
    const int64_t at = std::min<int64_t>(w + 1, w * h - 1);
    img.trns.assign(img.samples.begin() + k.channels * at, img.samples.begin() + k.channels * (at + 1));
  }
  return img;
}

const std::vector<Kind>& every_kind() {
  static const std::vector<Kind> kinds = {
      {0, 1, 1, false}, {0, 2, 1, false}, {0, 4, 1, false}, {0, 8, 1, false}, {0, 16, 1, false},
      {0, 1, 1, true},  {0, 4, 1, true},  {0, 8, 1, true},  {0, 16, 1, true}, {4, 8, 2, false},
      {4, 16, 2, false}, {2, 8, 3, false}, {2, 16, 3, false}, {2, 8, 3, true},  {2, 16, 3, true},
      {3, 1, 3, false}, {3, 2, 3, false}, {3, 4, 3, false}, {3, 8, 3, false}, {3, 1, 4, false},
      {3, 2, 4, false}, {3, 4, 4, false}, {3, 8, 4, false}, {6, 8, 4, false}, {6, 16, 4, false},
  };
  return kinds;
}

void expect_same(const PngImage& got, const PngImage& want, const std::string& what) {
  EXPECT_EQ(got.color_type, want.color_type) << what;
  EXPECT_EQ(got.bit_depth, want.bit_depth) << what;
  EXPECT_EQ(got.width, want.width) << what;
  EXPECT_EQ(got.height, want.height) << what;
  EXPECT_EQ(got.channels, want.channels) << what;
  EXPECT_EQ(got.sample_bits, want.sample_bits) << what;
  EXPECT_EQ(got.trns, want.trns) << what;
  EXPECT_TRUE(got.samples == want.samples) << what;
}

// An interlaced (Adam7) PNG of img, which encode_png_any never writes: libpng directly.
std::vector<uint8_t> write_interlaced(const PngImage& img) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  // Palette images go through encode_png_any's palette: re-read its PLTE/tRNS and indices.
  std::vector<std::vector<uint8_t>> rows(static_cast<size_t>(img.height));
  const bool wide = img.bit_depth == 16;
  const size_t rv = static_cast<size_t>(img.width * img.channels);
  for (int64_t y = 0; y < img.height; ++y) {
    auto& r = rows[static_cast<size_t>(y)];
    for (size_t i = 0; i < rv; ++i) {
      const uint16_t v = img.samples[static_cast<size_t>(y) * rv + i];
      if (wide) r.push_back(static_cast<uint8_t>(v >> 8));
      r.push_back(static_cast<uint8_t>(v));
    }
  }
  std::vector<png_bytep> ptrs;
  for (auto& r : rows) ptrs.push_back(r.data());
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("test: writing an interlaced PNG failed");
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep d, png_size_t n) {
        auto* o = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        o->insert(o->end(), d, d + n);
      },
      [](png_structp) {});
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), img.bit_depth,
               img.color_type, PNG_INTERLACE_ADAM7, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color_16 t{};
  if (!img.trns.empty()) {
    if (img.trns.size() == 1) t.gray = img.trns[0];
    else t.red = img.trns[0], t.green = img.trns[1], t.blue = img.trns[2];
    png_set_tRNS(png, info, nullptr, 0, &t);
  }
  png_write_info(png, info);
  if (img.bit_depth < 8) png_set_packing(png);
  png_set_interlace_handling(png);
  png_write_image(png, ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// PNG's chunk CRC (ISO 3309), to forge headers that libpng accepts.
uint32_t crc32_of(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return c ^ 0xffffffffu;
}
void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24), p[1] = static_cast<uint8_t>(v >> 16), p[2] = static_cast<uint8_t>(v >> 8),
  p[3] = static_cast<uint8_t>(v);
}
// A copy of png with the IHDR's width and height replaced (and its CRC made right again).
std::vector<uint8_t> with_size(std::vector<uint8_t> png, uint32_t w, uint32_t h) {
  put_be32(png.data() + 16, w);
  put_be32(png.data() + 20, h);
  put_be32(png.data() + 29, crc32_of(png.data() + 12, 17));  // "IHDR" + 13 bytes of data
  return png;
}

std::string png_error(const std::vector<uint8_t>& bytes, int64_t max_values = ardm::data::kMaxPngValues) {
  try {
    decode_png_any(bytes.data(), bytes.size(), "img.png", max_values);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

std::string jxl_error(const std::vector<uint8_t>& bytes, int64_t c, int64_t h, int64_t w, int bits) {
  try {
    decode_jxl_any(bytes.data(), bytes.size(), c, h, w, bits);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST(PngAny, PngRoundTripEveryColourTypeAndDepth) {
  for (const Kind& k : every_kind()) {
    const PngImage img = make_image(k, 37, 23, static_cast<uint32_t>(k.color_type * 100 + k.bit_depth));
    const auto png = encode_png_any(img, "img.png");
    const PngImage back = decode_png_any(png.data(), png.size(), "img.png");
    expect_same(back, img, kind_text(k));
    // What libpng itself says about the file we wrote.
    EXPECT_EQ(png[24], k.bit_depth) << kind_text(k);
    EXPECT_EQ(png[25], k.color_type) << kind_text(k);
  }
}

TEST(PngAny, InterlacedPngsDecodeToTheSameSamples) {
  for (const Kind& k : std::vector<Kind>{{0, 1, 1, false}, {0, 4, 1, true}, {4, 16, 2, false}, {2, 8, 3, true},
                                         {6, 16, 4, false}, {0, 16, 1, false}}) {
    // Sizes that leave some Adam7 passes empty or ragged.
    for (auto [w, h] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 2}, {13, 9}, {33, 17}}) {
      const PngImage img = make_image(k, w, h, 7);
      const auto png = write_interlaced(img);
      ASSERT_EQ(png[28], 1) << "not interlaced";
      expect_same(decode_png_any(png.data(), png.size(), "i.png"), img, kind_text(k) + " interlaced");
    }
  }
}

TEST(PngAny, PaletteIsBuiltFromFirstAppearanceWithShortTrns) {
  PngImage img;
  img.color_type = 3, img.bit_depth = 2, img.width = 4, img.height = 1, img.channels = 4, img.sample_bits = 8;
  // Opaque red, translucent green, opaque red again, opaque blue.
  img.samples = {255, 0, 0, 255, 0, 255, 0, 128, 255, 0, 0, 255, 0, 0, 255, 255};
  const auto png = encode_png_any(img, "p.png");
  expect_same(decode_png_any(png.data(), png.size(), "p.png"), img, "palette");
  // The translucent colour comes first, so tRNS holds one entry: find the chunk.
  const std::string bytes(png.begin(), png.end());
  const size_t at = bytes.find("tRNS");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(png[at - 1], 1);  // low byte of the chunk's length
  EXPECT_EQ(png[at + 4], 128);
  const size_t plte = bytes.find("PLTE");
  ASSERT_NE(plte, std::string::npos);
  EXPECT_EQ(png[plte - 1], 9);  // 3 colours
  EXPECT_EQ(png[plte + 4 + 1], 255);  // entry 0: green

  // Four channels, all opaque: still a tRNS chunk, so the alpha channel comes back.
  img.samples[7] = 255;
  const auto opaque = encode_png_any(img, "p.png");
  expect_same(decode_png_any(opaque.data(), opaque.size(), "p.png"), img, "opaque RGBA palette");
}

TEST(PngAny, EncodePngRejectsInconsistentImages) {
  const PngImage good = make_image({2, 8, 3, false}, 5, 4, 1);
  auto rejected = [](const PngImage& img) {
    try {
      encode_png_any(img, "bad.png");
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  ASSERT_FALSE(rejected(good));
  PngImage img = good;
  img.channels = 4;  // RGB with 4 values per pixel
  EXPECT_TRUE(rejected(img));
  img = good, img.bit_depth = 4;  // RGB cannot be 4-bit
  EXPECT_TRUE(rejected(img));
  img = good, img.color_type = 5;
  EXPECT_TRUE(rejected(img));
  img = good, img.samples.pop_back();
  EXPECT_TRUE(rejected(img));
  img = good, img.samples[3] = 256;
  EXPECT_TRUE(rejected(img));
  img = good, img.trns = {1, 2};  // RGB needs 3 values
  EXPECT_TRUE(rejected(img));
  img = good, img.sample_bits = 16;
  EXPECT_TRUE(rejected(img));
  img = make_image({0, 2, 1, false}, 5, 4, 1), img.samples[0] = 4;  // 2-bit gray
  EXPECT_TRUE(rejected(img));
  img = make_image({6, 8, 4, false}, 5, 4, 1), img.trns = {1, 2, 3};  // RGBA has no tRNS colour
  EXPECT_TRUE(rejected(img));
  // Five colours do not fit a 2-bit palette.
  img = make_image({3, 2, 3, false}, 5, 1, 1);
  for (int64_t x = 0; x < 5; ++x) img.samples[3 * x] = static_cast<uint16_t>(x);
  EXPECT_TRUE(rejected(img));
  img.bit_depth = 4;
  EXPECT_FALSE(rejected(img));
}

TEST(PngAny, DecodePngRejectsTruncationAndBadCrc) {
  const PngImage img = make_image({3, 4, 4, false}, 19, 11, 3);
  const auto png = encode_png_any(img, "img.png");
  for (size_t n = 0; n < png.size(); ++n) {
    const std::vector<uint8_t> cut(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string e = png_error(cut);
    EXPECT_FALSE(e.empty()) << "prefix of " << n << " bytes accepted";
    EXPECT_TRUE(starts_with(e, "img.png: ")) << e;
  }
  // A flipped bit in every critical chunk (IHDR, PLTE, IDAT, IEND) breaks its CRC.
  const std::string bytes(png.begin(), png.end());
  for (const char* chunk : {"IHDR", "PLTE", "IDAT", "IEND"}) {
    const size_t at = bytes.find(chunk);
    ASSERT_NE(at, std::string::npos) << chunk;
    auto bad = png;
    bad[at + 4 + (std::string(chunk) == "IEND" ? 0 : 1)] ^= 0x10;  // IEND has no data: hit its CRC
    const std::string e = png_error(bad);
    EXPECT_TRUE(starts_with(e, "img.png: ")) << chunk << ": " << e;
  }
  EXPECT_TRUE(starts_with(png_error({1, 2, 3}), "img.png: not a PNG"));
}

TEST(PngAny, DecodePngRefusesHugeHeadersBeforeAllocating) {
  // Small files whose headers claim huge images: refused from the header (were the pixels
  // allocated first, 65535 x 65535 x 4 x 2 bytes would not fit in memory).
  const auto rgba16 = encode_png_any(make_image({6, 16, 4, false}, 3, 2, 1), "img.png");
  std::string e = png_error(with_size(rgba16, 65535, 65535));
  EXPECT_NE(e.find("above the limit"), std::string::npos) << e;
  const auto gray = encode_png_any(make_image({0, 1, 1, false}, 3, 2, 1), "img.png");
  e = png_error(with_size(gray, 65536, 1));  // one column too wide, however few values
  EXPECT_NE(e.find("above the limit"), std::string::npos) << e;
  e = png_error(with_size(gray, 1, 65536));
  EXPECT_NE(e.find("above the limit"), std::string::npos) << e;
  // A palette image counts its expanded channels: 100 x 100 indices are 30,000 RGB values.
  const auto pal = encode_png_any(make_image({3, 8, 3, false}, 100, 100, 1), "img.png");
  EXPECT_EQ(png_error(pal, 30000), "");
  e = png_error(pal, 29999);
  EXPECT_NE(e.find("above the limit"), std::string::npos) << e;
  const auto pal4 = encode_png_any(make_image({3, 8, 4, false}, 100, 100, 1), "img.png");
  EXPECT_NE(png_error(pal4, 30000).find("above the limit"), std::string::npos);
}

TEST(PngAny, JxlRoundTripEveryKind) {
  for (const Kind& k : every_kind()) {
    for (int effort : {1, 3, 9}) {
      const PngImage img = make_image(k, 29, 17, static_cast<uint32_t>(k.bit_depth + effort));
      const auto jxl = encode_jxl_any(img.samples.data(), img.channels, img.height, img.width, img.sample_bits, effort);
      ASSERT_GE(jxl.size(), 2u);
      EXPECT_EQ(jxl[0], 0xff);  // a bare codestream
      EXPECT_EQ(jxl[1], 0x0a);
      const auto back = decode_jxl_any(jxl.data(), jxl.size(), img.channels, img.height, img.width, img.sample_bits);
      EXPECT_TRUE(back == img.samples) << kind_text(k) << ", effort " << effort;
    }
  }
}

TEST(PngAny, JxlRoundTripEveryBitDepth) {
  // The API takes any depth 1..16, not only PNG's; odd ones are rescaled on the way in and out.
  for (int bits = 1; bits <= 16; ++bits)
    for (int64_t c = 1; c <= 4; ++c) {
      const uint32_t top = (uint32_t{1} << bits) - 1;
      std::vector<uint16_t> s;
      for (uint32_t i = 0; i < 3 * 11 * c; ++i) s.push_back(static_cast<uint16_t>((i * 2654435761u >> 7) % (top + 1)));
      s[0] = 0, s[1] = static_cast<uint16_t>(top);  // both ends
      const auto jxl = encode_jxl_any(s.data(), c, 3, 11, bits, 2);
      EXPECT_TRUE(decode_jxl_any(jxl.data(), jxl.size(), c, 3, 11, bits) == s) << bits << " bits, " << c << " channels";
    }
}

TEST(PngAny, JxlEncodeRejectsBadArguments) {
  const std::vector<uint16_t> s(2 * 3 * 4, 3);
  EXPECT_THROW(encode_jxl_any(s.data(), 0, 3, 4, 8, 1), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 5, 3, 4, 8, 1), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 2, 0, 4, 8, 1), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 2, 3, 4, 0, 1), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 2, 3, 4, 17, 1), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 2, 3, 4, 8, 0), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 2, 3, 4, 8, 10), std::invalid_argument);
  EXPECT_THROW(encode_jxl_any(s.data(), 2, 3, 4, 1, 1), std::invalid_argument);  // 3 needs 2 bits
  EXPECT_NO_THROW(encode_jxl_any(s.data(), 2, 3, 4, 2, 1));
}

TEST(PngAny, JxlDecodeRejectsAnythingElse) {
  const PngImage img = make_image({6, 16, 4, false}, 21, 13, 5);
  const auto jxl = encode_jxl_any(img.samples.data(), 4, 13, 21, 16, 3);
  ASSERT_TRUE(decode_jxl_any(jxl.data(), jxl.size(), 4, 13, 21, 16) == img.samples);
  auto corrupted = [](const std::string& e) { return starts_with(e, "corrupted: "); };
  // Wrong shape, channels (alpha or not, gray or colour) or depth.
  EXPECT_TRUE(corrupted(jxl_error(jxl, 4, 13, 20, 16)));
  EXPECT_TRUE(corrupted(jxl_error(jxl, 4, 12, 21, 16)));
  EXPECT_TRUE(corrupted(jxl_error(jxl, 3, 13, 21, 16)));
  EXPECT_TRUE(corrupted(jxl_error(jxl, 2, 13, 21, 16)));
  EXPECT_TRUE(corrupted(jxl_error(jxl, 1, 13, 21, 16)));
  EXPECT_TRUE(corrupted(jxl_error(jxl, 4, 13, 21, 8)));
  EXPECT_TRUE(corrupted(jxl_error(jxl, 4, 13, 21, 15)));
  const PngImage gray = make_image({0, 8, 1, false}, 21, 13, 5);
  const auto gjxl = encode_jxl_any(gray.samples.data(), 1, 13, 21, 8, 3);
  EXPECT_TRUE(corrupted(jxl_error(gjxl, 2, 13, 21, 8)));
  EXPECT_TRUE(corrupted(jxl_error(gjxl, 3, 13, 21, 8)));
  EXPECT_TRUE(corrupted(jxl_error(gjxl, 1, 13, 21, 4)));
  EXPECT_TRUE(corrupted(jxl_error(gjxl, 1, 13, 21, 16)));
  // Truncation anywhere, and any trailing byte.
  for (size_t n = 0; n < jxl.size(); ++n) {
    const std::vector<uint8_t> cut(jxl.begin(), jxl.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_TRUE(corrupted(jxl_error(cut, 4, 13, 21, 16))) << "prefix of " << n << " bytes";
  }
  for (uint8_t extra : {0, 1, 255}) {
    auto longer = jxl;
    longer.push_back(extra);
    EXPECT_TRUE(corrupted(jxl_error(longer, 4, 13, 21, 16)));
  }
  // Flipped bits: rejected, or (libjxl has no checksum) some image of the right size.
  for (size_t i = 0; i < jxl.size(); i += 3) {
    auto bad = jxl;
    bad[i] ^= static_cast<uint8_t>(1u << (i % 8));
    try {
      EXPECT_EQ(decode_jxl_any(bad.data(), bad.size(), 4, 13, 21, 16).size(), img.samples.size());
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(corrupted(e.what())) << e.what();
    }
  }
  // A stream from the older 8-bit entry point holds exactly 8-bit gray: accepted as such only.
  ardm::data::Image8 g8{1, 13, 21, std::vector<uint8_t>(gray.samples.begin(), gray.samples.end())};
  const auto old = ardm::data::encode_jxl_lossless(g8, 2);
  EXPECT_TRUE(decode_jxl_any(old.data(), old.size(), 1, 13, 21, 8) == gray.samples);
  EXPECT_TRUE(corrupted(jxl_error(old, 1, 13, 21, 7)));
}

TEST(PngAny, JxlSixteenBitAlphaOfEightBitValuesRoundTrips) {
  // 16-bit alpha that is 8-bit alpha scaled up (multiples of 257) is stored in 8 bits, as cjxl
  // stores it; one value off the multiples makes it a full 16-bit channel again.
  for (int64_t c : {2, 4}) {
    const int64_t h = 16, w = 16;
    std::vector<uint16_t> s;
    std::mt19937 rng(static_cast<uint32_t>(c));
    for (int64_t p = 0; p < h * w; ++p) {
      for (int64_t k = 0; k + 1 < c; ++k) s.push_back(static_cast<uint16_t>(rng()));
      s.push_back(static_cast<uint16_t>(257 * (p % 256)));  // every 8-bit value once
    }
    const auto narrow = encode_jxl_any(s.data(), c, h, w, 16, 3);
    EXPECT_TRUE(decode_jxl_any(narrow.data(), narrow.size(), c, h, w, 16) == s) << c;
    s[static_cast<size_t>(c) * 77 + static_cast<size_t>(c) - 1] += 1;
    const auto wide = encode_jxl_any(s.data(), c, h, w, 16, 3);
    EXPECT_TRUE(decode_jxl_any(wide.data(), wide.size(), c, h, w, 16) == s) << c;
    EXPECT_LT(narrow.size(), wide.size()) << c;
    // Only 16-bit colour may carry 8-bit alpha.
    EXPECT_TRUE(starts_with(jxl_error(narrow, c, h, w, 8), "corrupted: "));
  }
}
