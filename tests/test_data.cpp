// Loaders on real and deliberately broken files: every bad input is a clear error.
#include <gtest/gtest.h>
#include <png.h>
#include <torch/torch.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ardm/data/dataset.h"
#include "ardm/data/idx.h"
#include "ardm/kinds/image/png.h"
#include "error_of.h"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("ardm-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& raw) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&zs, raw.size()) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::vector<uint8_t> idx_images(uint32_t n, uint32_t h, uint32_t w, uint8_t magic2 = 0x08, uint8_t ndim = 3) {
  std::vector<uint8_t> b = {0, 0, magic2, ndim};
  for (uint32_t d : {n, h, w})
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  for (uint32_t i = 0; i < n * h * w; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}


// A PNG written with arbitrary bit depth and color type, which ardm itself never writes.
void write_raw_png(const std::string& path, int w, int h, int bit_depth, int color_type) {
  FILE* f = std::fopen(path.c_str(), "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, w, h, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_color palette[2] = {{0, 0, 0}, {255, 255, 255}};
    png_set_PLTE(png, info, palette, 2);
  }
  png_write_info(png, info);
  const int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1;
  std::vector<uint8_t> row(static_cast<size_t>(w * channels * (bit_depth == 16 ? 2 : 1)), 0);
  for (int y = 0; y < h; ++y) png_write_row(png, row.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

ardm::data::Image8 make_image(int64_t c, int64_t h, int64_t w) {
  ardm::data::Image8 img;
  img.channels = c, img.height = h, img.width = w;
  for (int64_t i = 0; i < c * h * w; ++i) img.pixels.push_back(static_cast<uint8_t>((i * 37) % 256));
  return img;
}

}  // namespace

TEST(Data, IdxRoundTripAndHeaderChecks) {
  TempDir dir;
  write_bytes(dir / "ok.gz", gzip(idx_images(5, 4, 3)));
  auto a = ardm::data::read_idx_gz(dir / "ok.gz", 3);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{5, 4, 3}));
  ASSERT_EQ(a.values.size(), 60u);
  EXPECT_EQ(a.values[10], 70);

  write_bytes(dir / "magic.gz", gzip(idx_images(5, 4, 3, 0x0D)));
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "magic.gz", 3); }).find("not unsigned byte"),
            std::string::npos);
  auto bad_zero = idx_images(5, 4, 3);
  bad_zero[0] = 0x12;
  write_bytes(dir / "magic0.gz", gzip(bad_zero));
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "magic0.gz", 3); }).find("wrong IDX magic"),
            std::string::npos);
  write_bytes(dir / "ndim.gz", gzip(idx_images(5, 4, 3)));
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "ndim.gz", 1); }).find("expected 1"), std::string::npos);
  auto short_payload = idx_images(5, 4, 3);
  short_payload.resize(short_payload.size() - 1);
  write_bytes(dir / "short.gz", gzip(short_payload));
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "short.gz", 3); }).find("header says 60"),
            std::string::npos);
}

TEST(Data, TruncatedAndCorruptGzip) {
  TempDir dir;
  auto gz = gzip(idx_images(50, 28, 28));
  // Every cut of the compressed stream is an error, never silently short data.
  for (size_t cut = 0; cut < gz.size(); cut += std::max<size_t>(1, gz.size() / 97)) {
    write_bytes(dir / "cut.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(cut)));
    const std::string err = error_of([&] { ardm::data::read_idx_gz(dir / "cut.gz", 3); });
    EXPECT_FALSE(err.empty()) << "cut at " << cut << " of " << gz.size() << " was accepted";
    EXPECT_NE(err.find(dir / "cut.gz"), std::string::npos) << err;
  }
  write_bytes(dir / "cut.gz", std::vector<uint8_t>(gz.begin(), gz.end() - 20));
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "cut.gz", 3); }).find("truncated"), std::string::npos);
  auto flipped = gz;
  flipped[gz.size() / 2] ^= 0x55;
  write_bytes(dir / "flip.gz", flipped);
  EXPECT_FALSE(error_of([&] { ardm::data::read_idx_gz(dir / "flip.gz", 3); }).empty());
  write_bytes(dir / "plain.gz", idx_images(2, 2, 2));
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "plain.gz", 3); }).find("not a gzip"), std::string::npos);
  EXPECT_NE(error_of([&] { ardm::data::read_idx_gz(dir / "missing.gz", 3); }).find("cannot open"),
            std::string::npos);
}

TEST(Data, MissingFashionMnistNamesThePackage) {
  TempDir dir;
  ::setenv("ARDM_FASHION_MNIST_DIR", dir.path.c_str(), 1);
  const std::string err = error_of([] { ardm::data::load_fashion_mnist("test"); });
  ::unsetenv("ARDM_FASHION_MNIST_DIR");
  EXPECT_NE(err.find("dataset-fashion-mnist"), std::string::npos) << err;
  EXPECT_NE(error_of([] { ardm::data::load_fashion_mnist("validation"); }).find("split"), std::string::npos);
}

TEST(Data, RealFashionMnist) {
  if (!fs::exists(ardm::data::fashion_mnist_dir() + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto x = ardm::data::load_fashion_mnist("test");
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  // Fashion-MNIST's published pixel mean is 72.94 (0.286 * 255) over the training set; the test set is close.
  EXPECT_NEAR(x.to(torch::kFloat64).mean().item<double>(), 73.1, 1.0);
  EXPECT_EQ(x.max().item<int64_t>(), 255);
  EXPECT_EQ(ardm::data::load_images("fashion-mnist", "test", 10).size(0), 10);
}

TEST(Data, PngRoundTripGrayAndRgb) {
  TempDir dir;
  for (int64_t c : {1, 3}) {
    const auto img = make_image(c, 5, 7);
    ardm::data::write_png(dir / "a.png", img);
    const auto back = ardm::data::read_png(dir / "a.png");
    EXPECT_EQ(back.channels, c);
    EXPECT_EQ(back.height, 5);
    EXPECT_EQ(back.width, 7);
    EXPECT_EQ(back.pixels, img.pixels);
  }
  // the atomic write's temporary file is gone
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}), 1);
}

TEST(Data, PngFolder) {
  TempDir dir;
  ardm::data::write_png(dir / "b.png", make_image(3, 4, 6));
  ardm::data::write_png(dir / "a.png", make_image(3, 4, 6));
  auto x = ardm::data::load_png_folder(dir.path.string());
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 3, 4, 6}));
  // [H, W, C] interleaved pixel (y=1, x=2, c=1) -> tensor [c][y][x]
  EXPECT_EQ(x[0][1][1][2].item<int64_t>(), ((1 * 6 + 2) * 3 + 1) * 37 % 256);
}

TEST(Data, BadPngsAreClearErrors) {
  TempDir dir;
  write_raw_png(dir / "deep.png", 4, 4, 16, PNG_COLOR_TYPE_GRAY);
  EXPECT_NE(error_of([&] { ardm::data::read_png(dir / "deep.png"); }).find("bit depth 16"), std::string::npos);
  write_raw_png(dir / "pal.png", 4, 4, 8, PNG_COLOR_TYPE_PALETTE);
  EXPECT_NE(error_of([&] { ardm::data::read_png(dir / "pal.png"); }).find("palette"), std::string::npos);
  write_raw_png(dir / "rgba.png", 4, 4, 8, PNG_COLOR_TYPE_RGB_ALPHA);
  EXPECT_NE(error_of([&] { ardm::data::read_png(dir / "rgba.png"); }).find("RGBA"), std::string::npos);
  write_bytes(dir / "text.png", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  EXPECT_NE(error_of([&] { ardm::data::read_png(dir / "text.png"); }).find("not a PNG"), std::string::npos);

  // A truncated PNG: libpng's error becomes an exception naming the file.
  ardm::data::write_png(dir / "full.png", make_image(1, 64, 64));
  std::ifstream in(dir / "full.png", std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes.resize(bytes.size() / 2);
  write_bytes(dir / "half.png", bytes);
  const std::string err = error_of([&] { ardm::data::read_png(dir / "half.png"); });
  EXPECT_NE(err.find("half.png"), std::string::npos) << err;

  // A folder whose images disagree in size names the odd file.
  TempDir folder;
  ardm::data::write_png(folder / "a.png", make_image(1, 28, 28));
  ardm::data::write_png(folder / "b.png", make_image(1, 27, 28));
  const std::string size_err = error_of([&] { ardm::data::load_png_folder(folder.path.string()); });
  EXPECT_NE(size_err.find("b.png"), std::string::npos) << size_err;
  EXPECT_NE(size_err.find("must match"), std::string::npos) << size_err;
  TempDir empty;
  EXPECT_NE(error_of([&] { ardm::data::load_png_folder(empty.path.string()); }).find("no .png"), std::string::npos);
}
