#include "ardm/train/model.h"

#include "ardm/kinds/kind.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <stdexcept>

#include "ardm/core/config_io.h"
#include "ardm/core/levels.h"
#include "ardm/core/schedule_dp.h"
#include "ardm/nets/unet/unet.h"
#include "ardm/util/atomic_file.h"

namespace ardm {
namespace {

// v2: the model config is a data description, a process and a network (config.h); v1 files
// (one image-UNet config) still load.
constexpr const char* kFormat = "ardm-checkpoint-v2";
constexpr const char* kFormatV1 = "ardm-checkpoint-v1";

void copy_params(const nets::Net& dst, const nets::Net& src) {
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
    : model_cfg(m), objective_cfg(o), train_cfg(t) {
  check_spec(m.data);
  check_order(m.process, m.data);
  kinds::of_spec(m.data);  // a kind owns the data spec (throws naming the kinds otherwise)
  process = make_process(m.process, m.data);
  net = nets::make_net(m.net, process->net_io());
  ema = nets::make_net(m.net, process->net_io());
  copy_params(ema, net);  // EMA starts at the initial weights (no bias correction)
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  // A never-visited step costs a uniform model's share: log2(K) bits over all S * D steps.
  tracker = LossTracker(num_steps(), std::log2(static_cast<double>(m.data.num_classes)) / static_cast<double>(num_steps()));
}

void Model::set_order(const std::string& order) {
  ProcessConfig p = model_cfg.process;
  p.order = order;
  check_order(p, model_cfg.data);
  model_cfg.process = p;
  process = make_process(p, model_cfg.data);
}

namespace {
void copy_by_name(const nets::Net& dst, const nets::Net& src) {
  torch::NoGradGuard g;
  auto d = dst->named_parameters();
  for (const auto& p : src->named_parameters()) d[p.key()].copy_(p.value());
  auto db = dst->named_buffers();
  for (const auto& b : src->named_buffers()) db[b.key()].copy_(b.value());
}
}  // namespace

void Model::grow_head(int64_t taps, const std::string& head) {
  if (model_cfg.net.type != "unet") throw std::invalid_argument("--taps on resume grows the image UNet's head only");
  if (model_cfg.net.unet.taps != 0)
    throw std::invalid_argument("the network already has a prediction head (taps " +
                                std::to_string(model_cfg.net.unet.taps) + "); it cannot change on resume");
  ModelConfig m = model_cfg;
  m.net.unet.taps = taps, m.net.unet.head = head;
  auto grown = nets::make_net(m.net, process->net_io());  // validates the options
  auto grown_ema = nets::make_net(m.net, process->net_io());
  copy_by_name(grown, net);
  copy_by_name(grown_ema, ema);
  if (head == "affine") nets::zero_own_means(grown), nets::zero_own_means(grown_ema);
  for (auto& p : grown_ema->parameters()) p.set_requires_grad(false);
  grown->to(net->parameters().front().device());
  grown_ema->to(ema->parameters().front().device());
  net = grown, ema = grown_ema, model_cfg = m;
}

bool Model::is_head_parameter(const std::string& name) const {
  return model_cfg.net.type == "unet" && name.rfind(std::string(nets::unet::head_layer()) + ".", 0) == 0;
}

NetFn Model::as_fn(const nets::Net& which, const nets::Context* context) const {
  nets::Net n = which;
  if (context != nullptr) {
    nets::Context c = *context;
    return [n, c](const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                  const torch::Tensor& stage) { return n->forward_in_context(x_in, known, t, stage, c); };
  }
  return [n](const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t, const torch::Tensor& stage) {
    return n->forward(x_in, known, t, stage);
  };
}

Model::InContext Model::split_context(const torch::Tensor& x, const torch::Tensor& lengths) const {
  const int64_t C = data().context, B = x.size(0);
  TORCH_CHECK(C > 0, "the model has no context");
  if (data().shape.size() == 3) {  // image windows, the tile at the bottom right
    const auto& s = data().shape;
    TORCH_CHECK(x.dim() == 4 && x.size(1) == s[0] && x.size(2) == C + s[1] && x.size(3) == C + s[2],
                "windows must be [B, ", s[0], ", ", C + s[1], ", ", C + s[2], "], got ", x.sizes());
    InContext r;
    r.item = x.slice(2, C).slice(3, C);
    auto v = x.to(torch::kInt64).clone();
    if (lengths.defined()) {  // which margins are present: bit 1 the rows above, bit 2 the columns left
      const auto code = lengths.to(x.device()).view({B, 1, 1, 1});
      auto top = torch::zeros_like(v, torch::kBool), left = torch::zeros_like(v, torch::kBool);
      top.slice(2, 0, C).fill_(true);
      left.slice(3, 0, C).fill_(true);
      const auto absent = (top & (code.bitwise_and(1) == 0)) | (left & (code.bitwise_and(2) == 0));
      v.masked_fill_(absent, -1);
      r.context.length = lengths.to(x.device());
    } else {
      r.context.length = torch::full({B}, 3, x.options().dtype(torch::kInt64));
    }
    r.context.values = v;
    return r;
  }
  TORCH_CHECK(x.dim() == 2 && x.size(1) == C + data().shape[0], "items with a context must be [B, ", C + data().shape[0],
              "], got ", x.sizes());
  InContext r;
  r.item = x.slice(1, C, x.size(1));
  r.context.values = x.slice(1, 0, C);
  r.context.length = lengths.defined() ? lengths.to(x.device()) : torch::full({B}, C, x.options().dtype(torch::kInt64));
  return r;
}

void Model::to(const torch::Device& device) {
  net->to(device);
  ema->to(device);
}

std::vector<double> Model::stage_costs(int64_t stage) const {
  const int64_t D = num_values();
  auto slice = tracker.costs().slice(0, stage * D, (stage + 1) * D);
  auto costs = std::get<0>(slice.sort(/*dim=*/0, /*descending=*/true)).contiguous();
  return std::vector<double>(costs.data_ptr<double>(), costs.data_ptr<double>() + costs.numel());
}

std::vector<double> Model::exported_costs() const {
  auto c = tracker.costs().contiguous();
  return exported_step_costs({c.data_ptr<double>(), c.data_ptr<double>() + c.numel()}, num_stages(),
                             policy_groups(model_cfg.process.order, data().shape));
}

std::vector<double> Model::sorted_costs() const {
  std::vector<double> all;
  for (int64_t s = 0; s < num_stages(); ++s) {
    const auto c = stage_costs(s);
    all.insert(all.end(), c.begin(), c.end());
  }
  return all;
}

StagedTable Model::schedules(int64_t max_total) const {
  std::vector<std::vector<double>> costs;
  for (int64_t s = 0; s < num_stages(); ++s) costs.push_back(stage_costs(s));
  return optimal_staged_schedules(costs, max_total);
}

Policies Model::policy(int64_t budget, const std::string& kind) const {
  check_budget(*this, budget);
  if (kind == "naive") return naive_staged_policies(std::vector<int64_t>(static_cast<size_t>(num_stages()), num_values()), budget);
  if (kind != "optimal") throw std::invalid_argument("policy must be 'optimal' or 'naive', not '" + kind + "'");
  // Every step (sample's default): the only policy, without the DP (whose split over the
  // stages costs O(S * budget * D), minutes for 16 stages of 8,000 steps).
  if (budget == num_stages() * num_values()) return naive_staged_policies(std::vector<int64_t>(static_cast<size_t>(num_stages()), num_values()), budget);
  // The engine's rule (engine/codec.cpp, EngineCodec::plan).
  return model_policies(exported_costs(), num_stages(), num_values(),
                        policy_groups(model_cfg.process.order, data().shape), budget);
}

Model::CodingPlan Model::coding_plan(int64_t budget, const std::string& kind) const {
  check_budget(*this, budget);
  const int64_t D = num_values();
  // The adaptive order is the streams order wherever no history is mixed, as here.
  if (!streams_plan_order(model_cfg.process))
    return {fixed_orders(num_stages(), D, objective_cfg.order_seed, model_cfg.process.order, data().shape), policy(budget, kind)};
  const auto sp = streams_plan(D, budget);
  auto ranks = torch::empty({1, D}, torch::kInt64);
  for (int64_t r = 0; r < D; ++r) ranks[0][sp.order[static_cast<size_t>(r)]] = r;
  return {ranks, {sp.policy}};
}

double Model::predicted_cost(const Policies& policies) const {
  const auto costs = exported_costs();
  const int64_t D = num_values();
  double total = 0;
  for (int64_t s = 0; s < num_stages() && s < static_cast<int64_t>(policies.size()); ++s)
    total += policy_cost({costs.begin() + s * D, costs.begin() + (s + 1) * D}, policies[static_cast<size_t>(s)]);
  return total;
}

void check_budget(const Model& model, int64_t budget) {
  const int64_t S = model.num_stages(), D = model.num_values();
  if (budget < S || budget > S * D)
    throw std::invalid_argument("--budget " + std::to_string(budget) + " is outside " + std::to_string(S) + ".." +
                                std::to_string(S * D) + " (the model has " + std::to_string(S) + " stage" +
                                (S == 1 ? "" : "s") + " of " + std::to_string(D) + " steps" +
                                (S == 1 ? "" : "; every stage needs at least one network call") + ")");
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
  const std::string format = read_string(ar, "format", path);
  if (format != kFormat && format != kFormatV1)
    throw std::runtime_error(path + ": unknown checkpoint format '" + format + "' (this ardm reads " + kFormatV1 +
                             " and " + kFormat + ")");
  ModelConfig m;
  ObjectiveConfig o;
  TrainConfig t;
  if (format == kFormatV1) from_legacy_text(read_string(ar, "model_config", path), m);
  else from_text(read_string(ar, "model_config", path), m);
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
    if (model.tracker.num_steps() != model.num_steps())
      throw std::runtime_error(path + ": damaged checkpoint (loss tracker of " + std::to_string(model.tracker.num_steps()) +
                               " steps, the model has " + std::to_string(model.num_steps()) + ")");
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
