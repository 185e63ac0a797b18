// Speech recordings as clips of samples, and samples as WAV files.
#include "ardm/data/audio.h"
#include "ardm/kinds/kind_data.h"

namespace ardm::kinds {
namespace {

class AudioData : public KindData {
 public:
  torch::Tensor start(const std::string& source, int64_t limit, const TrainFlags& f, ModelConfig& m,
                      ObjectiveConfig& o) const override {
    if (f.context < 0) throw std::invalid_argument("--context must not be negative");
    // With a context, each clip is the context and the item after it.
    auto data = data::load_audio(source, "train", f.context + f.clip_len, limit);
    m.data = audio_spec(f.clip_len);
    m.data.context = f.context;
    m.net.type = "diffwave";
    if (f.given("--width")) m.net.diffwave.width = f.width;
    if (f.given("--layers")) m.net.diffwave.layers = f.layers;
    if (f.given("--dilation-cycle")) m.net.diffwave.cycle = f.cycle;
    if (f.given("--taps")) m.net.diffwave.taps = f.taps;
    if (!f.given("--upscale")) m.process.upscale = 16;  // 4 stages of 4 bits
    if (!f.given("--upscale-param")) m.process.parametrization = "direct";
    if (!f.given("--ce-term")) o.ce_term = 1e-4;  // the paper's audio setting
    return data;
  }
  torch::Tensor load(const std::string& source, const std::string& split, const DataSpec& d, int64_t limit) const override {
    return data::load_audio(source, split, d.context + d.shape[0], limit);
  }
  std::string describe(const torch::Tensor& data, const DataSpec& d) const override {
    if (d.context > 0)
      return std::to_string(data.size(0)) + " clips of " + std::to_string(d.shape[0]) + " samples after " +
             std::to_string(d.context) + " of context";
    return std::to_string(data.size(0)) + " clips of " + std::to_string(data.size(1)) + " samples";
  }
  std::string write_samples(const torch::Tensor& x, const std::vector<torch::Tensor>&, const DataSpec&,
                            const SampleFlags& f) const override {
    // One 16-bit WAV per sample: OUT.wav -> OUT-1.wav, OUT-2.wav, ...
    const auto v = x.to(torch::kInt32).contiguous();
    std::string stem = f.out_given ? f.out : "samples.wav";
    if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".wav") == 0) stem.resize(stem.size() - 4);
    for (int64_t i = 0; i < v.size(0); ++i) {
      std::vector<int16_t> pcm(static_cast<size_t>(v.size(1)));
      const int32_t* p = v.data_ptr<int32_t>() + i * v.size(1);
      for (int64_t j = 0; j < v.size(1); ++j) pcm[static_cast<size_t>(j)] = static_cast<int16_t>(p[j] - 32768);
      data::write_wav(stem + "-" + std::to_string(i + 1) + ".wav", pcm, f.rate);
    }
    return stem + "-1.wav ... (" + std::to_string(f.rate) + " Hz)";
  }
};

}  // namespace

const KindData& audio_data() {
  static const AudioData d;
  return d;
}

}  // namespace ardm::kinds
