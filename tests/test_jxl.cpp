// Lossless JPEG XL: exact round trips, and a decoder that never trusts its input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/kinds/image/jxl.h"

using ardm::data::decode_jxl;
using ardm::data::encode_jxl_lossless;
using ardm::data::Image8;

namespace {

Image8 random_image(int64_t c, int64_t h, int64_t w, uint32_t seed) {
  std::mt19937 rng(seed);
  Image8 img;
  img.channels = c, img.height = h, img.width = w;
  // Smooth ramps plus noise: compressible like a photo, but every value matters.
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) img.pixels.push_back(static_cast<uint8_t>(8 * x + 5 * y + 40 * k + rng() % 16));
  return img;
}

// Decodes `bytes` expecting img's size: either throws "corrupted: ..." or returns an image of
// exactly that size (libjxl has no checksum, so a damaged stream can decode to other pixels).
void expect_rejected_or_right_size(const std::vector<uint8_t>& bytes, const Image8& img, const std::string& what) {
  try {
    const Image8 got = decode_jxl(bytes.data(), bytes.size(), img.channels, img.height, img.width);
    EXPECT_EQ(got.channels, img.channels) << what;
    EXPECT_EQ(got.height, img.height) << what;
    EXPECT_EQ(got.width, img.width) << what;
    EXPECT_EQ(got.pixels.size(), img.pixels.size()) << what;
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("corrupted: ", 0), 0u) << what << ": " << e.what();
  }
}

std::string error_of(const std::vector<uint8_t>& bytes, int64_t c, int64_t h, int64_t w) {
  try {
    decode_jxl(bytes.data(), bytes.size(), c, h, w);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Jxl, LosslessRoundTripGrayAndRgb) {
  for (const Image8& img : {random_image(1, 28, 28, 1), random_image(3, 9, 17, 2)}) {
    for (int effort : {1, 7, 9}) {
      const auto bytes = encode_jxl_lossless(img, effort);
      // A bare codestream starts with the signature FF 0A, not a container box.
      ASSERT_GE(bytes.size(), 2u);
      EXPECT_EQ(bytes[0], 0xFF);
      EXPECT_EQ(bytes[1], 0x0A);
      const Image8 back = decode_jxl(bytes.data(), bytes.size(), img.channels, img.height, img.width);
      EXPECT_EQ(back.channels, img.channels);
      EXPECT_EQ(back.height, img.height);
      EXPECT_EQ(back.width, img.width);
      EXPECT_EQ(back.pixels, img.pixels) << img.channels << " channel(s), effort " << effort;
    }
  }
}

TEST(Jxl, WrongExpectedSizeThrowsBeforeDecoding) {
  const Image8 img = random_image(3, 9, 17, 3);
  const auto bytes = encode_jxl_lossless(img, 3);
  const std::string err = error_of(bytes, 3, 9, 18);
  EXPECT_EQ(err.rfind("corrupted: ", 0), 0u) << err;
  EXPECT_NE(err.find("17x9 with 3 channel(s)"), std::string::npos) << err;
  EXPECT_EQ(error_of(bytes, 3, 10, 17).rfind("corrupted: ", 0), 0u);
  EXPECT_EQ(error_of(bytes, 1, 9, 17).rfind("corrupted: ", 0), 0u);
  EXPECT_THROW(decode_jxl(bytes.data(), bytes.size(), 4, 9, 17), std::invalid_argument);
}

TEST(Jxl, DamagedStreamsThrowOrKeepTheSize) {
  const Image8 img = random_image(1, 28, 28, 4);
  const auto bytes = encode_jxl_lossless(img, 7);
  // Truncation and trailing bytes are always caught: the codestream knows its own length.
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(error_of(cut, 1, 28, 28).rfind("corrupted: ", 0), 0u) << "cut to " << n << " bytes";
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(error_of(longer, 1, 28, 28), "corrupted: 1 byte(s) after the end of the image");
  // Flipped bits anywhere, header included. (Few of them: libjxl logs each failure on stderr.)
  for (size_t i = 0; i < bytes.size(); i += std::max<size_t>(1, bytes.size() / 12)) {
    auto damaged = bytes;
    damaged[i] ^= static_cast<uint8_t>(1u << (i % 8));
    expect_rejected_or_right_size(damaged, img, "bit flipped in byte " + std::to_string(i));
  }
  EXPECT_TRUE(error_of({'n', 'o', 't', ' ', 'j', 'x', 'l'}, 1, 28, 28).rfind("corrupted: ", 0) == 0);
}

TEST(Jxl, EncoderRejectsBadArguments) {
  const Image8 img = random_image(1, 4, 4, 5);
  EXPECT_THROW(encode_jxl_lossless(img, 0), std::invalid_argument);
  EXPECT_THROW(encode_jxl_lossless(img, 10), std::invalid_argument);
  Image8 bad = img;
  bad.pixels.pop_back();
  EXPECT_THROW(encode_jxl_lossless(bad, 1), std::invalid_argument);
  bad = img;
  bad.channels = 2;
  bad.pixels.resize(32);
  EXPECT_THROW(encode_jxl_lossless(bad, 1), std::invalid_argument);
}
