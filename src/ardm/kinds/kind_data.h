// The LibTorch side of a data kind (kind.h): its data sets as tensors, what a new model of it
// is (data spec, network, process and objective defaults), and how samples are written. Each
// kind's is in its folder (<kind>/data.cpp), built into the training library (not the decoder).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "ardm/core/config.h"
#include "ardm/kinds/kind.h"

namespace ardm::kinds {

// The train command's flags that a kind reads. given(flag): set on the command line.
struct TrainFlags {
  std::string vocab = "bytes";                      // text: bytes or text8
  int64_t seq_len = 250, clip_len = 8000;           // text and audio: D
  int64_t context = 0;                              // values before each item it sees (DataSpec::context)
  int64_t tile = 32;                                // photos: the tile's side
  int64_t width = 0, layers = 0, heads = 0, mlp = 0, cycle = 0;  // the kind's network (0: its default)
  int64_t taps = 0;                                 // audio: the DiffWave's linear prediction head
  std::string head = "linear";                      // photos: the UNet head's form (UNetConfig::head)
  double dropout = 0;
  std::function<bool(const std::string&)> given = [](const std::string&) { return false; };
};

// Where samples go (the sample command's flags).
struct SampleFlags {
  std::string out;          // --out
  bool out_given = false;
  std::string chain;        // --chain (images)
  int64_t cols = 0;         // --cols (images)
  int64_t rate = 8000;      // --rate (audio)
  int64_t budget = 0;       // network calls per sample
};

class KindData {
 public:
  virtual ~KindData() = default;
  // A new model's training data from `source` ([N, ...shape]), and its data spec, network and
  // defaults set in m and o (flags the user gave are kept).
  virtual torch::Tensor start(const std::string& source, int64_t limit, const TrainFlags& f, ModelConfig& m,
                              ObjectiveConfig& o) const = 0;
  // A model's data of `split` from `source`: [N, ...shape].
  virtual torch::Tensor load(const std::string& source, const std::string& split, const DataSpec& d,
                             int64_t limit) const = 0;
  // "60000 images 28x28x1"
  virtual std::string describe(const torch::Tensor& data, const DataSpec& d) const = 0;
  // Writes samples x [N, ...shape] (and, images, the chain of x's); returns what it wrote.
  virtual std::string write_samples(const torch::Tensor& x, const std::vector<torch::Tensor>& chain, const DataSpec& d,
                                    const SampleFlags& f) const = 0;
};

const KindData& data_of(const Kind& kind);

}  // namespace ardm::kinds
