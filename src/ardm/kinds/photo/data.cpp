// The photo model's data: windows of the wallpaper photographs (data/photos.h); its samples are
// written as the image kind writes them.
#include <algorithm>

#include "ardm/data/photos.h"
#include "ardm/kinds/kind_data.h"

namespace ardm::kinds {

const KindData& image_data();

namespace {

// Windows a split holds, and their seeds.
constexpr int64_t kTrainWindows = 100000, kOtherWindows = 2000;

torch::Tensor photo_windows(const std::string& split, int64_t size, int64_t limit) {
  int64_t n = split == "train" ? kTrainWindows : kOtherWindows;
  if (limit > 0) n = std::min(n, limit);
  // The training windows take every turn of the square; the validation and test windows are
  // only mirrored, as they always were, so the validation curve stays one curve.
  const bool train = split == "train";
  return data::load_photo_windows(split, size, n, train ? 1 : split == "valid" ? 2 : 3, train);
}

class PhotoData : public KindData {
 public:
  torch::Tensor start(const std::string&, int64_t limit, const TrainFlags& f, ModelConfig& m,
                      ObjectiveConfig&) const override {
    // Tiles of T x T RGB pixels that see a margin of M above and to the left (--tile,
    // --context; gray photos are RGB with equal channels): an Upscale ARDM of one stage whose
    // network gives a mixture of logistics over the 256 values (so no softmax of 256 per
    // value), in the quincunx order of pixels (core/levels.h), each half level's channels in turn.
    const int64_t M = f.given("--context") ? f.context : 8;
    if (f.tile < 4 || M < 1) throw std::invalid_argument("--tile must be at least 4 and --context at least 1");
    m.data = image_spec(3, f.tile, f.tile);
    m.data.context = M;
    if (!f.given("--upscale")) m.process.upscale = 256;
    if (!f.given("--upscale-param")) m.process.parametrization = "logistic";
    if (!f.given("--order")) m.process.order = "quincunx";
    if (!f.given("--attn-res")) m.net.unet.attn_resolutions = {};
    if (f.given("--taps")) m.net.unet.taps = f.taps;
    if (f.given("--head")) m.net.unet.head = f.head;
    return photo_windows("train", f.tile + M, limit);
  }
  torch::Tensor load(const std::string&, const std::string& split, const DataSpec& d, int64_t limit) const override {
    return photo_windows(split, d.shape[1] + d.context, limit);
  }
  std::string describe(const torch::Tensor& data, const DataSpec& d) const override {
    return std::to_string(data.size(0)) + " windows of " + std::to_string(d.shape[2]) + "x" + std::to_string(d.shape[1]) +
           "x" + std::to_string(d.shape[0]) + " tiles with a margin of " + std::to_string(d.context);
  }
  std::string write_samples(const torch::Tensor& x, const std::vector<torch::Tensor>& chain, const DataSpec& d,
                            const SampleFlags& f) const override {
    return image_data().write_samples(x, chain, d, f);
  }
};

}  // namespace

const KindData& photo_data() {
  static const PhotoData d;
  return d;
}

}  // namespace ardm::kinds
