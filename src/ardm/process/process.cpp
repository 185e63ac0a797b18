#include "ardm/process/process.h"

#include <stdexcept>

#include "ardm/process/oa.h"
#include "ardm/process/text8_upscale.h"
#include "ardm/process/upscale.h"

namespace ardm {
namespace {
constexpr int64_t kMaxSoftmaxClasses = 4096;

std::shared_ptr<Process> new_process(const ProcessConfig& cfg, const DataSpec& data) {
  // OA-ARDMs and matrix Upscale ARDMs give K logits per value; above 4,096 classes (16-bit
  // audio: 65,536) that is too many for one softmax.
  if (data.num_classes > kMaxSoftmaxClasses &&
      (cfg.upscale == 0 || (cfg.parametrization != "direct" && cfg.parametrization != "logistic")))
    throw std::invalid_argument(std::to_string(data.num_classes) +
                                " classes per value are too many for one softmax: use an Upscale ARDM with the direct or "
                                "logistic parametrization (--upscale 2 or 16 --upscale-param direct or logistic)");
  if (cfg.upscale == 0) return std::make_shared<OAProcess>(data);
  if (cfg.upscale < 2) throw std::invalid_argument("--upscale must be 0 (OA-ARDM) or a branching factor >= 2");
  if (cfg.parametrization == "text8") return std::make_shared<Text8UpscaleProcess>(data);
  if (cfg.parametrization != "direct" && cfg.parametrization != "matrix" && cfg.parametrization != "logistic")
    throw std::invalid_argument("upscale parametrization must be 'direct', 'matrix', 'logistic' or 'text8', not '" +
                                cfg.parametrization + "'");
  return std::make_shared<UpscaleProcess>(data, cfg.upscale, cfg.parametrization);
}
}  // namespace

std::shared_ptr<const Process> make_process(const ProcessConfig& cfg, const DataSpec& data) {
  auto p = new_process(cfg, data);
  p->order_ = cfg.order;
  return p;
}

torch::Tensor Process::symbol_log_prob(const torch::Tensor& out, const torch::Tensor& x_past, const torch::Tensor& symbol,
                                       int64_t stage) const {
  return torch::log_softmax(symbol_logits(out, x_past, stage), 1).gather(1, symbol.unsqueeze(1)).squeeze(1);
}

torch::Tensor stage_tensor(int64_t batch, int64_t s, const torch::Device& device) {
  return torch::full({batch}, s, torch::TensorOptions().dtype(torch::kInt64).device(device));
}

}  // namespace ardm
