#include "ardm/nets/net.h"

#include <cmath>
#include <stdexcept>

#include "ardm/nets/diffwave/diffwave.h"
#include "ardm/nets/transformer/transformer.h"
#include "ardm/nets/unet/unet.h"

namespace ardm::nets {

Net make_net(const NetConfig& cfg, const NetIO& io) {
  if (cfg.type == "unet") return std::make_shared<UNetImpl>(cfg.unet, io);
  if (cfg.type == "transformer") return std::make_shared<TransformerImpl>(cfg.transformer, io);
  if (cfg.type == "diffwave") return std::make_shared<DiffWaveImpl>(cfg.diffwave, io);
  throw std::invalid_argument("unknown network type '" + cfg.type + "' (known: unet, transformer, diffwave)");
}

torch::Tensor NetImpl::forward_in_context(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                          const torch::Tensor&, const Context&) {
  TORCH_CHECK(false, "this network takes no context");
}

int64_t parameter_count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim) {
  TORCH_CHECK(dim % 2 == 0 && dim >= 4, "time embedding dimension must be even and >= 4, got ", dim);
  const int64_t half = dim / 2;
  auto freqs = torch::exp(torch::arange(half, t.options().dtype(torch::kFloat32)) *
                          (-std::log(10000.0) / static_cast<double>(half - 1)));
  auto args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);  // [B, half]
  return torch::cat({torch::sin(args), torch::cos(args)}, 1);
}

torch::Tensor full_precision(const torch::Tensor& x) {
  const auto t = x.scalar_type();
  return t == torch::kBFloat16 || t == torch::kHalf ? x.to(torch::kFloat32) : x;
}

}  // namespace ardm::nets
