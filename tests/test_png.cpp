// PNG size limits: a header may claim any size in a few bytes, so it is checked before allocating.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/kinds/image/png.h"
#include "error_of.h"

namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

// Appends a PNG chunk: length, type, data, CRC-32 of type and data.
void put_chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, static_cast<uint32_t>(crc32(0, out.data() + start, static_cast<uInt>(out.size() - start))));
}

// A PNG whose IHDR (with a valid CRC) claims width x height 8-bit pixels of `color_type`, followed
// by a token IDAT: libpng's header reading stops at the IDAT, so the pixel data never matters.
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height, uint8_t color_type) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  put_u32(ihdr, width);
  put_u32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, color_type, 0, 0, 0});  // depth, color, compression, filter, interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});  // zlib of nothing
  put_chunk(png, "IEND", {});
  return png;
}


}  // namespace

TEST(Png, HugeHeaderIsASizeErrorNotAnAllocation) {
  const auto png = png_claiming(100000, 100000, 2);  // RGB: 3e10 values
  std::string err;
  try {
    ardm::data::decode_png(png.data(), png.size(), "huge.png");
    FAIL() << "a 100000x100000 PNG was decoded";
  } catch (const std::bad_alloc&) {
    FAIL() << "allocated from the header before checking its size";
  } catch (const std::runtime_error& e) {
    err = e.what();
  }
  EXPECT_NE(err.find("huge.png"), std::string::npos) << err;
  EXPECT_NE(err.find("100000x100000 with 3 channel(s)"), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(ardm::data::kMaxPngValues)), std::string::npos) << err;

  // read_png applies the same default limit to a file.
  const auto path = std::filesystem::temp_directory_path() / ("ardm-png-" + std::to_string(::getpid()) + ".png");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), png.size());
  err = error_of([&] { ardm::data::read_png(path.string()); });
  std::filesystem::remove(path);
  EXPECT_NE(err.find("above the limit"), std::string::npos) << err;
}

TEST(Png, LimitIsInclusiveAndCountsChannels) {
  ardm::data::Image8 img;
  img.channels = 3, img.height = 4, img.width = 5;
  img.pixels.assign(60, 7);
  const auto png = ardm::data::encode_png(img, "small.png");
  EXPECT_EQ(ardm::data::decode_png(png.data(), png.size(), "small.png", 60).pixels, img.pixels);
  const std::string err = error_of([&] { ardm::data::decode_png(png.data(), png.size(), "small.png", 59); });
  EXPECT_NE(err.find("small.png: image is 5x4 with 3 channel(s), 60 values, above the limit of 59"), std::string::npos)
      << err;
}

TEST(Png, SizeIsReadFromTheHeaderAlone) {
  // The size of a huge image is known without decoding (or allocating) anything.
  const auto huge = png_claiming(100000, 70000, 2);
  const auto s = ardm::data::png_size(huge.data(), huge.size(), "huge.png");
  EXPECT_EQ(s.width, 100000);
  EXPECT_EQ(s.height, 70000);
  EXPECT_EQ(s.channels, 3);
  const auto gray = png_claiming(5, 7, 0);
  EXPECT_EQ(ardm::data::png_size(gray.data(), gray.size(), "g.png").channels, 1);
  const auto palette = png_claiming(5, 7, 3);
  EXPECT_EQ(ardm::data::png_size(palette.data(), palette.size(), "p.png").channels, 0);
  // A real image agrees with its decoded size.
  ardm::data::Image8 img;
  img.channels = 3, img.height = 4, img.width = 9;
  img.pixels.assign(4 * 9 * 3, 7);
  const auto bytes = ardm::data::encode_png(img, "real.png");
  const auto r = ardm::data::png_size(bytes.data(), bytes.size(), "real.png");
  EXPECT_EQ(r.width, 9);
  EXPECT_EQ(r.height, 4);
  EXPECT_EQ(r.channels, 3);
  const std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_THROW(ardm::data::png_size(junk.data(), junk.size(), "junk"), std::runtime_error);
}
