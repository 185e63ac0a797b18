#include "ardm/data/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "ardm/data/idx.h"
#include "ardm/kinds/image/png.h"

namespace fs = std::filesystem;

namespace ardm::data {

std::string fashion_mnist_dir() {
  const char* env = std::getenv("ARDM_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

torch::Tensor load_fashion_mnist(const std::string& split) {
  if (split != "train" && split != "test")
    throw std::invalid_argument("fashion-mnist split must be 'train' or 'test', not '" + split + "'");
  const std::string path = fashion_mnist_dir() + "/" + (split == "train" ? "train" : "t10k") + "-images-idx3-ubyte.gz";
  if (!fs::exists(path))
    throw std::runtime_error(path + ": not found; install the Debian package dataset-fashion-mnist "
                             "(bash scripts/setup.sh) or set ARDM_FASHION_MNIST_DIR");
  IdxArray a = read_idx_gz(path, 3);
  const int64_t expected_n = split == "train" ? 60000 : 10000;
  if (a.dims[0] != expected_n || a.dims[1] != 28 || a.dims[2] != 28)
    throw std::runtime_error(path + ": expected " + std::to_string(expected_n) + " images of 28x28, found " +
                             std::to_string(a.dims[0]) + " of " + std::to_string(a.dims[1]) + "x" +
                             std::to_string(a.dims[2]));
  auto t = torch::empty({a.dims[0], 1, a.dims[1], a.dims[2]}, torch::kUInt8);
  std::copy(a.values.begin(), a.values.end(), t.data_ptr<uint8_t>());
  return t;
}

torch::Tensor load_png_folder(const std::string& folder) {
  if (!fs::is_directory(folder)) throw std::runtime_error(folder + ": not a folder (or does not exist)");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (e.is_regular_file() && ext == ".png") files.push_back(e.path().string());
  }
  if (files.empty()) throw std::runtime_error(folder + ": no .png files found");
  std::sort(files.begin(), files.end());
  const Image8 first = read_png(files[0]);
  const int64_t c = first.channels, h = first.height, w = first.width;
  auto out = torch::empty({static_cast<int64_t>(files.size()), c, h, w}, torch::kUInt8);
  for (size_t i = 0; i < files.size(); ++i) {
    const Image8 img = i == 0 ? first : read_png(files[i]);
    if (img.channels != c || img.height != h || img.width != w)
      throw std::runtime_error(files[i] + ": image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                               " with " + std::to_string(img.channels) + " channel(s), but " + files[0] + " is " +
                               std::to_string(w) + "x" + std::to_string(h) + " with " + std::to_string(c) +
                               "; all images of a folder must match");
    // [H, W, C] interleaved -> [C, H, W]
    auto hwc = torch::from_blob(const_cast<uint8_t*>(img.pixels.data()), {h, w, c}, torch::kUInt8);
    out[static_cast<int64_t>(i)].copy_(hwc.permute({2, 0, 1}));
  }
  return out;
}

torch::Tensor load_images(const std::string& source, const std::string& split, int64_t limit) {
  torch::Tensor x = source == "fashion-mnist" ? load_fashion_mnist(split) : load_png_folder(source);
  if (limit > 0 && limit < x.size(0)) x = x.slice(0, 0, limit).clone();
  return x;
}

}  // namespace ardm::data
