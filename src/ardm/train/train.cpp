#include "ardm/train/train.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "ardm/util/atomic_file.h"
#include "ardm/util/progress.h"

namespace ardm {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Streams of randomness, so no two uses share a generator.
enum Stream : uint64_t { kEpochShuffle = 1, kStep = 2, kDropout = 3 };

void ema_update(const nets::Net& ema, const nets::Net& net, double decay) {
  torch::NoGradGuard g;
  auto e = ema->parameters();
  auto p = net->parameters();
  for (size_t i = 0; i < e.size(); ++i) e[i].mul_(decay).add_(p[i].detach(), 1.0 - decay);
  // Buffers (none in the UNet) would be copied, not averaged.
  auto eb = ema->buffers();
  auto pb = net->buffers();
  for (size_t i = 0; i < eb.size(); ++i) eb[i].copy_(pb[i]);
}

// Autocast of the forward pass to bfloat16 on one device type, for one scope (leaving it
// clears the cast cache, as torch.autocast does). The switch was renamed in LibTorch 2.4.
class Autocast {
 public:
  Autocast(bool on, c10::DeviceType type) : on_(on), type_(type) {
    if (on_) set(true);
  }
  ~Autocast() {
    if (!on_) return;
    set(false);
    at::autocast::clear_cache();
  }

 private:
  void set(bool enabled) const {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(type_, at::kBFloat16);
    at::autocast::set_autocast_enabled(type_, enabled);
#else
    if (type_ == c10::DeviceType::CUDA) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(enabled);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(enabled);
    }
#endif
  }
  bool on_;
  c10::DeviceType type_;
};

struct Mean {
  double sum = 0;
  int64_t n = 0;
  void add(double v) { sum += v, ++n; }
  double get() const { return n ? sum / static_cast<double>(n) : NAN; }
};

}  // namespace

torch::Tensor draw_context_lengths(int64_t batch, int64_t context, torch::Generator& gen) {
  auto u = torch::rand({batch}, gen, torch::kFloat64);
  auto some = torch::randint(1, std::max<int64_t>(context, 2), {batch}, gen, torch::kInt64).clamp_max(context);
  auto all = torch::full({batch}, context, torch::kInt64);
  return torch::where(u < kFullContext, all, torch::where(u < kFullContext + kNoContext, torch::zeros_like(all), some));
}

torch::Tensor draw_margins(int64_t batch, torch::Generator& gen) {
  // A tile of the first row of tiles has no rows above it, one of the first column no columns
  // to its left: each kMarginAbsent of the time, independently.
  auto top = (torch::rand({batch}, gen, torch::kFloat64) >= kMarginAbsent).to(torch::kInt64);
  auto left = (torch::rand({batch}, gen, torch::kFloat64) >= kMarginAbsent).to(torch::kInt64);
  return top + 2 * left;
}

std::string metrics_row_json(const MetricsRow& r) {
  // ordered_json keeps the keys in this order, and dump() is compact ("step":1500,): scripts grep it.
  const nlohmann::ordered_json row = {{"step", r.step},
                                      {"loss", r.loss},
                                      {"nelbo_bpd", r.nelbo_bpd},
                                      {"ce_bpd", r.ce_bpd},
                                      {"grad_norm", r.grad_norm},
                                      {"lr", r.lr},
                                      {"images_per_s", r.images_per_s},
                                      {"tracker_sum_bpd", r.tracker_sum_bpd}};
  return row.dump();  // NaN and infinities become null, so every row stays valid JSON
}

void truncate_metrics(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  in.close();
  std::string kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const std::string where = path + ":" + std::to_string(i + 1);
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::parse_error& e) {
      // A run killed mid-write leaves its last row cut short. That row's step is past the
      // checkpoint (a row is written before its step's checkpoint), so it goes anyway.
      if (i + 1 == lines.size()) break;
      throw std::runtime_error(where + ": not a JSON metrics row: " + e.what());
    }
    const auto it = row.is_object() ? row.find("step") : row.end();
    if (it == row.end() || !it->is_number_integer())
      throw std::runtime_error(where + ": metrics row without an integer \"step\"");
    if (it->get<int64_t>() <= step) kept += lines[i] + "\n";
  }
  util::AtomicFile out(path);
  std::ofstream(out.temp_path()) << kept;
  out.commit();
}

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
}

double learning_rate(const TrainConfig& c, int64_t step) {
  double f = c.warmup <= 0 ? 1.0 : std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(c.warmup));
  const int64_t decay_from = c.steps - c.lr_decay;
  if (c.lr_decay > 0 && step >= decay_from)
    f *= 1.0 - 0.9 * std::min(1.0, static_cast<double>(step - decay_from) / static_cast<double>(c.lr_decay));
  return c.lr * f;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, const std::vector<torch::Tensor>& params) {
  if (c.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(0.0));
  if (c.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(c.weight_decay));
  throw std::invalid_argument("optimizer must be 'adam' or 'adamw', not '" + c.optimizer + "'");
}

void check_data(const Model& model, const torch::Tensor& data, const std::string& what) {
  const auto& spec = model.data();
  TORCH_CHECK(data.scalar_type() == torch::kUInt8 || data.scalar_type() == torch::kInt16 ||
                  data.scalar_type() == torch::kInt32 || data.scalar_type() == torch::kInt64,
              what, ": expected integer values");
  auto item = data.sizes().slice(1).vec();
  if (spec.context > 0 && item.size() == 1) item[0] -= spec.context;  // the context comes first
  if (spec.context > 0 && item.size() == 3) item[1] -= spec.context, item[2] -= spec.context;  // image windows
  if (item != spec.shape) {
    std::ostringstream o;
    if (spec.shape.size() == 3 && item.size() == 3)
      o << what << ": images are " << item[2] << "x" << item[1] << " with " << item[0]
        << " channel(s), but the model was built for " << spec.shape[2] << "x" << spec.shape[1] << " with "
        << spec.shape[0];
    else
      o << what << ": items of shape [" << data.sizes().slice(1) << "], but the model was built for ["
        << torch::IntArrayRef(spec.shape) << "]";
    throw std::runtime_error(o.str());
  }
  if (data.numel() == 0) return;
  const int64_t lo = data.min().item<int64_t>(), hi = data.max().item<int64_t>();
  if (lo < 0 || hi >= spec.num_classes)
    throw std::runtime_error(what + ": values reach " + std::to_string(lo < 0 ? lo : hi) + " but the model has " +
                             std::to_string(spec.num_classes) + " classes");
}

void train(Model& model, const torch::Tensor& data, const RunOptions& opts) {
  check_data(model, data, "training data");
  const TrainConfig& c = model.train_cfg;
  TORCH_CHECK(c.batch > 0 && c.steps >= 0, "batch must be positive and steps non-negative");
  dist::Group* group = opts.group;
  const int64_t world = group ? group->size() : 1, rank = group ? group->rank() : 0;
  const bool writer = rank == 0;
  const int64_t n = data.size(0);
  const int64_t global_batch = c.batch * world;
  if (world > 1 && n < global_batch)
    throw std::runtime_error("training data: " + std::to_string(n) + " items, fewer than the global batch of " +
                             std::to_string(global_batch) + " (" + std::to_string(world) + " ranks x batch " +
                             std::to_string(c.batch) + ")");
  const int64_t steps_per_epoch = std::max<int64_t>(1, n / global_batch);
  if (!opts.autocast.empty() && opts.autocast != "off" && opts.autocast != "bf16")
    throw std::invalid_argument("autocast must be 'bf16' or 'off', not '" + opts.autocast + "'");
  const bool autocast = opts.autocast == "bf16";
  const std::string ckpt_path = opts.out_dir + "/checkpoint.pt";
  const std::string metrics_path = opts.out_dir + "/metrics.jsonl";
  if (writer) std::filesystem::create_directories(opts.out_dir);

  model.to(opts.device);
  model.net->train();
  // A grown head's parameters are the optimizer's second group (Model::is_head_parameter).
  std::vector<torch::Tensor> trunk, head;
  for (const auto& p : model.net->named_parameters()) (model.is_head_parameter(p.key()) ? head : trunk).push_back(p.value());
  auto optimizer = make_optimizer(c, trunk);
  auto add_head = [&] {
    if (!head.empty()) optimizer->add_param_group(torch::optim::OptimizerParamGroup(head));
  };
  if (!opts.head_grown) add_head();
  std::ofstream metrics;
  if (opts.resume) load_optimizer_state(opts.resume_from.empty() ? ckpt_path : opts.resume_from, *optimizer, opts.device);
  if (opts.head_grown) add_head();
  if (writer) {
    if (opts.resume) {
      // A run killed while writing leaves a temporary file beside the checkpoint: drop it.
      for (const auto& e : std::filesystem::directory_iterator(opts.out_dir))
        if (e.path().filename().string().rfind("checkpoint.pt.tmp", 0) == 0) std::filesystem::remove(e.path());
      truncate_metrics(metrics_path, model.step);
    } else {
      std::remove(metrics_path.c_str());
    }
    metrics.open(metrics_path, std::ios::app);
    if (!metrics) throw std::runtime_error(metrics_path + ": cannot open for writing");
  }
  if (group) {
    // Identical weights everywhere (they already are when every rank built or loaded the same
    // model; the broadcast makes it a fact), then distinct dropout streams per rank.
    dist::broadcast_module(*group, *model.net);
    dist::broadcast_module(*group, *model.ema);
    torch::manual_seed(mix_seed(c.seed, kDropout, static_cast<uint64_t>(rank)));
  }

  auto fn = model.as_fn(model.net);
  util::Progress progress("train", c.steps, "step", opts.progress && writer);
  if (opts.max_seconds > 0) progress.set_time_limit(opts.max_seconds);
  int64_t perm_epoch = -1;
  torch::Tensor perm;
  double shown_bpd = NAN;
  Mean loss_m, nelbo_m, ce_m, gnorm_m;
  auto t_start = std::chrono::steady_clock::now();
  int64_t images_since = 0;
  const int64_t D = model.num_values();

  auto save = [&] {
    if (writer) save_checkpoint(ckpt_path, model, optimizer.get());
  };
  auto status = [&] {
    char s[128];
    if (world > 1)
      std::snprintf(s, sizeof s, "bpd %.3f (running), %.1f items/s on %lld ranks", shown_bpd,
                    progress.rate() * static_cast<double>(global_batch), static_cast<long long>(world));
    else
      std::snprintf(s, sizeof s, "bpd %.3f (running)", shown_bpd);
    return std::string(s);
  };

  const auto run_start = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return opts.max_seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count() >= opts.max_seconds;
  };
  bool stop = out_of_time();
  while (model.step < c.steps && !stop) {
    const int64_t step = model.step;
    const int64_t epoch = step / steps_per_epoch;
    if (epoch != perm_epoch) {
      auto g = make_generator(mix_seed(c.seed, kEpochShuffle, static_cast<uint64_t>(epoch)));
      perm = torch::randperm(n, g, torch::kInt64);
      perm_epoch = epoch;
    }
    // The step's global batch, its random draws, and this rank's rows of both.
    const int64_t first = (step % steps_per_epoch) * global_batch;
    const int64_t bg = std::min(first + global_batch, n) - first;
    auto gen = make_generator(mix_seed(c.seed, kStep, static_cast<uint64_t>(step)));
    const StepDraw all = draw_step(*model.process, bg, model.objective_cfg, gen);
    const int64_t r0 = rank * c.batch, r1 = std::min(r0 + c.batch, bg);
    const StepDraw mine = all.rows(r0, r1);
    auto x = data.index_select(0, perm.slice(0, first + r0, first + r1)).to(torch::kInt64).to(opts.device);
    // A model with a context sees the values before each item: all of them mostly, none (a
    // stream's first chunk: the paper's bound) or some of them (short streams) otherwise.
    torch::Tensor full_context;  // [bg] bool: the rows the loss tracker learns the steps' costs from
    auto step_fn = fn;
    if (model.data().context > 0) {
      const bool images = model.data().shape.size() == 3;
      const auto lengths = images ? draw_margins(bg, gen) : draw_context_lengths(bg, model.data().context, gen);
      full_context = lengths == (images ? 3 : model.data().context);
      const auto split = model.split_context(x, lengths.slice(0, r0, r1));
      x = split.item;
      step_fn = model.as_fn(model.net, &split.context);
    }
    BoundTerms terms;
    {
      Autocast cast(autocast, opts.device.type());
      terms = bound_terms(*model.process, step_fn, x, mine.sigma, mine.t, mine.stage, model.objective_cfg.ce_term);
    }
    if (!std::isfinite(terms.loss.item<double>()))
      throw std::runtime_error("training diverged at step " + std::to_string(step) +
                               " (non-finite loss); try a lower --lr or a --clip");

    const double lr = learning_rate(c, step);
    for (size_t g = 0; g < optimizer->param_groups().size(); ++g)  // group 1: the head (above)
      optimizer->param_groups()[g].options().set_lr(g == 0 ? lr : lr * c.head_lr);
    optimizer->zero_grad();
    terms.loss.backward();
    if (group) dist::average_gradients(*group, model.net->parameters());
    // The norm before clipping is logged; with clipping off, an infinite bound only measures it.
    const double grad_norm = torch::nn::utils::clip_grad_norm_(
        model.net->parameters(), c.clip > 0 ? c.clip : std::numeric_limits<double>::infinity());
    optimizer->step();
    ema_update(model.ema, model.net, c.ema_decay);

    // The global batch's per-example terms (each rank fills its rows), the mean loss and
    // whether any rank is out of time: one all-reduce, so every rank agrees on all of them.
    auto stats = torch::zeros({3 * bg + 2}, torch::kFloat64);
    stats.slice(0, r0, r1).copy_(terms.elbo_t_bpd);
    stats.slice(0, bg + r0, bg + r1).copy_(terms.elbo_bpd);
    stats.slice(0, 2 * bg + r0, 2 * bg + r1).copy_(terms.nce_bpd);
    stats[3 * bg] = terms.loss.item<double>() / static_cast<double>(world);
    stats[3 * bg + 1] = out_of_time() ? 1.0 : 0.0;
    if (group) group->allreduce_sum(stats, "the loss all-reduce");
    if (full_context.defined()) {
      const auto rows = full_context.nonzero().squeeze(1);
      model.tracker.update((all.stage * D + all.t).index_select(0, rows), -stats.slice(0, 0, bg).index_select(0, rows));
    } else {
      model.tracker.update(all.stage * D + all.t, -stats.slice(0, 0, bg));
    }
    stop = stats[3 * bg + 1].item<double>() > 0;
    ++model.step;

    const double nelbo = -stats.slice(0, bg, 2 * bg).mean().item<double>();
    shown_bpd = std::isnan(shown_bpd) ? nelbo : 0.98 * shown_bpd + 0.02 * nelbo;
    loss_m.add(stats[3 * bg].item<double>());
    nelbo_m.add(nelbo);
    ce_m.add(-stats.slice(0, 2 * bg, 3 * bg).mean().item<double>());
    gnorm_m.add(grad_norm);
    images_since += bg;

    if (writer && (model.step % c.log_every == 0 || model.step == c.steps || stop)) {  // stop: --minutes ran out
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
      metrics << metrics_row_json({model.step, loss_m.get(), nelbo_m.get(), ce_m.get(), gnorm_m.get(), lr,
                                   secs > 0 ? static_cast<double>(images_since) / secs : 0.0,
                                   model.tracker.costs().sum().item<double>()})
              << "\n" << std::flush;
      loss_m = nelbo_m = ce_m = gnorm_m = Mean{};
      images_since = 0;
      t_start = std::chrono::steady_clock::now();
    }
    progress.update(model.step, status());
    if (c.checkpoint_every > 0 && model.step % c.checkpoint_every == 0 && model.step < c.steps) save();
  }
  save();
  progress.finish(status());
}

}  // namespace ardm
