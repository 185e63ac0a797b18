#include "ardm/train/export.h"

#include <fstream>
#include <iterator>

#include "ardm/util/atomic_file.h"

namespace ardm {

engine::EngineModel engine_model_of(const Model& model) {
  engine::EngineModel m;
  m.cfg = model.model_cfg;
  m.step = model.step;
  const int64_t S = model.num_stages(), D = model.num_values();
  const auto sigma = fixed_orders(S, D, model.objective_cfg.order_seed, model.model_cfg.process.order,
                                   model.data().shape);  // [S, D] ranks
  for (int64_t s = 0; s < S; ++s) {
    const auto row = sigma[s].contiguous();
    const auto* ranks = row.data_ptr<int64_t>();
    std::vector<uint32_t> loc(static_cast<size_t>(D));
    for (int64_t i = 0; i < D; ++i) loc[static_cast<size_t>(ranks[i])] = static_cast<uint32_t>(i);
    m.orders.push_back(std::move(loc));
  }
  m.costs = model.exported_costs();
  for (const auto& p : model.ema->named_parameters()) {
    const auto t = p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    engine::Param param;
    param.shape = t.sizes().vec();
    param.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    m.params.emplace(p.key(), std::move(param));
  }
  engine::serialize(m);  // sets the fingerprint
  return m;
}

uint32_t write_engine_model(const std::string& path, const Model& model) {
  auto m = engine_model_of(model);
  util::write_file_atomic(path, engine::serialize(m));
  return m.fingerprint;
}

std::shared_ptr<const engine::EngineModel> load_engine_model(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::vector<uint8_t> head(8);
  f.read(reinterpret_cast<char*>(head.data()), 8);
  if (f.gcount() == 8 && engine::is_model_file(head.data(), 8))
    return std::make_shared<const engine::EngineModel>(engine::read_model(path));
  return std::make_shared<const engine::EngineModel>(engine_model_of(load_model(path)));
}

}  // namespace ardm
