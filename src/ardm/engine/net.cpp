// The engine's one switch from a model's network type to its network, and what the networks
// share.
#include <stdexcept>

#include "ardm/engine/math.h"
#include "ardm/engine/net.h"

namespace ardm::engine {

std::unique_ptr<Net> make_net(const EngineModel& model) {
  const Rules rules(model.cfg.data, model.cfg.process);
  if (model.cfg.net.type == "unet") return make_unet(model, rules.net_io());
  if (model.cfg.net.type == "transformer") return make_transformer(model, rules.net_io());
  if (model.cfg.net.type == "diffwave") return make_diffwave(model, rules.net_io());
  throw std::runtime_error("the engine has no network of type '" + model.cfg.net.type +
                           "' (known: unet, transformer, diffwave)");
}

std::vector<float> timestep_embedding(float t, int64_t dim) {
  if (dim % 2 != 0 || dim < 4) throw std::invalid_argument("time embedding dimension must be even and >= 4");
  const int64_t half = dim / 2;
  std::vector<float> out(static_cast<size_t>(dim));
  const double step = -log_d(10000.0) / static_cast<double>(half - 1);
  for (int64_t i = 0; i < half; ++i) {
    const float freq = static_cast<float>(exp_d(static_cast<double>(i) * step));
    const double arg = static_cast<double>(t * freq);
    out[static_cast<size_t>(i)] = static_cast<float>(sin_d(arg));
    out[static_cast<size_t>(half + i)] = static_cast<float>(cos_d(arg));
  }
  return out;
}

}  // namespace ardm::engine
