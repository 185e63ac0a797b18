#include "ardm/data/photos.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <vector>

#include "ardm/kinds/image/png.h"

namespace fs = std::filesystem;

namespace ardm::data {

std::string photos_dir() {
  const char* env = std::getenv("ARDM_PHOTOS_DIR");
  return env && *env ? env : "runs/photos";
}

torch::Tensor load_photo_windows(const std::string& split, int64_t size, int64_t count, uint64_t seed,
                                 bool all_turns) {
  const std::string folder = photos_dir() + "/" + split;
  if (!fs::is_directory(folder))
    throw std::runtime_error(folder + ": no such folder; make the photographs first (/usr/bin/python3 "
                             "scripts/make_photos.py, after bash scripts/setup.sh --train) or set ARDM_PHOTOS_DIR");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file() && e.path().extension() == ".png") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Image8> photos;
  std::vector<double> places;  // windows each photo holds
  for (const auto& f : files) {
    Image8 img = read_png(f);
    if (img.height < size || img.width < size) continue;
    places.push_back(static_cast<double>((img.height - size + 1) * (img.width - size + 1)));
    photos.push_back(std::move(img));
  }
  if (photos.empty())
    throw std::runtime_error(folder + ": no photograph of at least " + std::to_string(size) + "x" + std::to_string(size));
  std::mt19937_64 rng(seed);
  std::discrete_distribution<size_t> pick(places.begin(), places.end());
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto out = torch::empty({count, 3, size, size}, torch::kUInt8);
  uint8_t* o = out.data_ptr<uint8_t>();
  for (int64_t n = 0; n < count; ++n) {
    const Image8& img = photos[pick(rng)];
    const auto y0 = static_cast<int64_t>(rng() % static_cast<uint64_t>(img.height - size + 1));
    const auto x0 = static_cast<int64_t>(rng() % static_cast<uint64_t>(img.width - size + 1));
    const bool mirror = u(rng) < 0.5, gray = u(rng) < kGrayShare;
    // With all_turns, also the rows mirrored and rows and columns swapped, each half the time.
    const uint64_t turn = all_turns ? rng() % 4 : 0;
    const bool flip_rows = turn & 1, swap = turn & 2;
    const int64_t C = img.channels;
    uint8_t* w = o + n * 3 * size * size;
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x) {
        int64_t sy = swap ? x : y, sx = swap ? y : x;
        if (flip_rows) sy = size - 1 - sy;
        if (mirror) sx = size - 1 - sx;
        const uint8_t* p = img.pixels.data() + ((y0 + sy) * img.width + x0 + sx) * C;
        uint8_t rgb[3] = {p[0], p[C > 1 ? 1 : 0], p[C > 1 ? 2 : 0]};
        if (gray) rgb[0] = rgb[1] = rgb[2] = luma(rgb[0], rgb[1], rgb[2]);
        for (int64_t c = 0; c < 3; ++c) w[(c * size + y) * size + x] = rgb[c];
      }
  }
  return out;
}

}  // namespace ardm::data
