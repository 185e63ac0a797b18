// Text corpora (kjv, gcide, files) as windows of characters, and printed samples.
#include <cstdio>
#include <fstream>

#include "ardm/data/text.h"
#include "ardm/kinds/kind_data.h"

namespace ardm::kinds {
namespace {

class TextData : public KindData {
 public:
  torch::Tensor start(const std::string& source, int64_t limit, const TrainFlags& f, ModelConfig& m,
                      ObjectiveConfig& o) const override {
    if (f.context < 0) throw std::invalid_argument("--context must not be negative");
    // With a context, each window is the context and the item after it.
    auto data = data::load_text(source, "train", f.vocab, f.context + f.seq_len, limit);
    m.data = text_spec(f.vocab, f.seq_len);
    m.data.context = f.context;
    m.net.type = "transformer";
    if (f.given("--width")) m.net.transformer.width = f.width;
    if (f.given("--layers")) m.net.transformer.layers = f.layers;
    if (f.given("--heads")) m.net.transformer.heads = f.heads;
    if (f.given("--mlp")) m.net.transformer.mlp = f.mlp;
    if (f.given("--dropout")) m.net.transformer.dropout = f.dropout;
    if (!f.given("--ce-term")) o.ce_term = 1e-4;  // the paper's text setting
    return data;
  }
  torch::Tensor load(const std::string& source, const std::string& split, const DataSpec& d, int64_t limit) const override {
    return data::load_text(source, split, d.kind, d.context + d.shape[0], limit);
  }
  std::string describe(const torch::Tensor& data, const DataSpec& d) const override {
    if (d.context > 0)
      return std::to_string(data.size(0)) + " sequences of " + std::to_string(d.shape[0]) + " after " +
             std::to_string(d.context) + " of context (" + d.kind + ")";
    return std::to_string(data.size(0)) + " sequences of " + std::to_string(data.size(1)) + " (" + d.kind + ")";
  }
  std::string write_samples(const torch::Tensor& x, const std::vector<torch::Tensor>&, const DataSpec& d,
                            const SampleFlags& f) const override {
    // Text samples go to stdout, one per block; --out FILE also writes them there.
    const auto c = x.to(torch::kUInt8).contiguous();
    std::string all;
    for (int64_t i = 0; i < c.size(0); ++i)
      all += "--- sample " + std::to_string(i + 1) + " (" + std::to_string(f.budget) + " network calls) ---\n" +
             data::classes_to_text(c[i].data_ptr<uint8_t>(), static_cast<size_t>(c.size(1)), d.kind) + "\n";
    std::fwrite(all.data(), 1, all.size(), stdout);
    if (f.out_given) std::ofstream(f.out, std::ios::binary) << all;
    return f.out_given ? f.out : "stdout";
  }
};

}  // namespace

const KindData& text_data() {
  static const TextData d;
  return d;
}

}  // namespace ardm::kinds
