// Image data sets (Fashion-MNIST, folders of PNG files) and sample grids.
#include <cmath>

#include "ardm/data/dataset.h"
#include "ardm/kinds/image/png.h"
#include "ardm/kinds/kind_data.h"
#include "ardm/train/sample.h"

namespace ardm::kinds {
namespace {

// Writes images [N, C, H, W] (classes 0..255) as one PNG grid.
void write_grid(const std::string& path, const torch::Tensor& images, int64_t cols) {
  auto grid = image_grid(images, cols);  // [C, H', W'] uint8
  data::Image8 img;
  img.channels = grid.size(0), img.height = grid.size(1), img.width = grid.size(2);
  auto hwc = grid.permute({1, 2, 0}).contiguous();
  img.pixels.assign(hwc.data_ptr<uint8_t>(), hwc.data_ptr<uint8_t>() + hwc.numel());
  data::write_png(path, img);
}

class ImageData : public KindData {
 public:
  torch::Tensor start(const std::string& source, int64_t limit, const TrainFlags&, ModelConfig& m,
                      ObjectiveConfig&) const override {
    auto data = data::load_images(source, "train", limit);
    m.data = image_spec(data.size(1), data.size(2), data.size(3));
    return data;
  }
  torch::Tensor load(const std::string& source, const std::string& split, const DataSpec& d, int64_t limit) const override {
    return data::load_images(source, split, limit);
  }
  std::string describe(const torch::Tensor& data, const DataSpec&) const override {
    return std::to_string(data.size(0)) + " images " + std::to_string(data.size(3)) + "x" + std::to_string(data.size(2)) +
           "x" + std::to_string(data.size(1));
  }
  std::string write_samples(const torch::Tensor& x, const std::vector<torch::Tensor>& chain, const DataSpec&,
                            const SampleFlags& f) const override {
    const int64_t n = x.size(0);
    const int64_t cols = f.cols > 0 ? f.cols : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    write_grid(f.out, x, cols);
    if (!f.chain.empty() && !chain.empty()) {
      // Up to 8 samples (rows) at up to 10 evenly spaced points of the chain (columns).
      const int64_t rows = std::min<int64_t>(n, 8);
      const int64_t frames = std::min<int64_t>(static_cast<int64_t>(chain.size()), 10);
      std::vector<torch::Tensor> cells;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < frames; ++k) {
          const auto at = frames == 1 ? 0 : k * (static_cast<int64_t>(chain.size()) - 1) / (frames - 1);
          cells.push_back(chain[static_cast<size_t>(at)][r]);
        }
      write_grid(f.chain, torch::stack(cells), frames);
    }
    return f.out;
  }
};

}  // namespace

const KindData& image_data() {
  static const ImageData d;
  return d;
}

}  // namespace ardm::kinds
