#include "ardm/model.h"

#include <filesystem>
#include <stdexcept>

#include "ardm/config_io.h"
#include "ardm/schedule_dp.h"
#include "ardm/util/atomic_file.h"

namespace ardm {
namespace {

constexpr const char* kFormat = "ardm-checkpoint-v1";

void copy_params(nets::UNet& dst, const nets::UNet& src) {
  torch::NoGradGuard g;
  auto d = dst->parameters();
  auto s = src->parameters();
  for (size_t i = 0; i < d.size(); ++i) d[i].copy_(s[i]);
}

std::string read_string(torch::serialize::InputArchive& ar, const std::string& key, const std::string& path) {
  c10::IValue v;
  if (!ar.try_read(key, v) || !v.isString()) throw std::runtime_error(path + ": checkpoint lacks '" + key + "'");
  return v.toStringRef();
}

}  // namespace

Model::Model(const ModelConfig& m, const ObjectiveConfig& o, const TrainConfig& t)
    : model_cfg(m), objective_cfg(o), train_cfg(t), net(m), ema(m) {
  copy_params(ema, net);  // EMA starts at the initial weights (no bias correction)
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  tracker = LossTracker(num_steps(), std::log2(static_cast<double>(m.num_classes)) / static_cast<double>(num_steps()));
}

NetFn Model::as_fn(nets::UNet& which) const {
  nets::UNet n = which;  // holders share the module
  const int64_t d = num_steps();
  return [n, d](const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t) mutable {
    return n->forward(x_in, known, t, d);
  };
}

void Model::to(const torch::Device& device) {
  net->to(device);
  ema->to(device);
}

std::vector<double> Model::sorted_costs() const {
  auto costs = std::get<0>(tracker.costs().sort(/*dim=*/0, /*descending=*/true)).contiguous();
  return std::vector<double>(costs.data_ptr<double>(), costs.data_ptr<double>() + costs.numel());
}

std::vector<int64_t> Model::policy(int64_t budget, const std::string& kind) const {
  if (kind == "naive") return naive_policy(num_steps(), budget);
  if (kind != "optimal") throw std::invalid_argument("policy must be 'optimal' or 'naive', not '" + kind + "'");
  return optimal_schedules(sorted_costs(), budget).policy(budget);
}

void save_checkpoint(const std::string& path, const Model& model, const torch::optim::Optimizer* optimizer,
                     bool weights_only) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  torch::serialize::OutputArchive ar;
  ar.write("format", c10::IValue(std::string(kFormat)));
  ar.write("model_config", c10::IValue(to_text(model.model_cfg)));
  ar.write("objective_config", c10::IValue(to_text(model.objective_cfg)));
  ar.write("train_config", c10::IValue(to_text(model.train_cfg)));
  ar.write("step", c10::IValue(model.step));
  ar.write("tracker_history", model.tracker.history());
  ar.write("tracker_visited", model.tracker.visited());
  ar.write("tracker_prior_bpd", c10::IValue(model.tracker.prior_bpd()));
  torch::serialize::OutputArchive net_ar, ema_ar;
  model.ema->save(ema_ar);
  ar.write("ema", ema_ar);
  if (!weights_only) {
    model.net->save(net_ar);
    ar.write("net", net_ar);
  }
  if (optimizer && !weights_only) {
    torch::serialize::OutputArchive opt_ar;
    optimizer->save(opt_ar);
    ar.write("optimizer", opt_ar);
  }
  util::AtomicFile out(path);
  ar.save_to(out.temp_path());
  out.commit();
}

Model load_model(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": checkpoint not found");
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a readable ardm checkpoint (" + e.what_without_backtrace() + ")");
  }
  if (read_string(ar, "format", path) != kFormat)
    throw std::runtime_error(path + ": unknown checkpoint format '" + read_string(ar, "format", path) + "'");
  ModelConfig m;
  ObjectiveConfig o;
  TrainConfig t;
  from_text(read_string(ar, "model_config", path), m);
  from_text(read_string(ar, "objective_config", path), o);
  from_text(read_string(ar, "train_config", path), t);
  Model model(m, o, t);
  try {
    c10::IValue step;
    ar.read("step", step);
    model.step = step.toInt();
    torch::Tensor hist, visited;
    ar.read("tracker_history", hist);
    ar.read("tracker_visited", visited);
    c10::IValue prior;
    ar.read("tracker_prior_bpd", prior);
    model.tracker = LossTracker::from_state(hist, visited, prior.toDouble());
    torch::serialize::InputArchive net_ar, ema_ar;
    ar.read("ema", ema_ar);
    model.ema->load(ema_ar);
    if (ar.try_read("net", net_ar)) model.net->load(net_ar);
    else copy_params(model.net, model.ema);  // a weights-only file
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": damaged checkpoint (" + e.what_without_backtrace() + ")");
  }
  for (auto& p : model.ema->parameters()) p.set_requires_grad(false);
  return model;
}

void load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer, const torch::Device& device) {
  torch::serialize::InputArchive ar;
  ar.load_from(path, device);
  torch::serialize::InputArchive opt_ar;
  if (!ar.try_read("optimizer", opt_ar)) throw std::runtime_error(path + ": checkpoint holds no optimizer state");
  optimizer.load(opt_ar);
}

}  // namespace ardm
