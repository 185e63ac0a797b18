#include "ardm/train/eval.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "ardm/train/train.h"
#include "ardm/util/progress.h"

namespace ardm {
namespace {

constexpr uint64_t kEvalStream = 3;  // keeps eval randomness apart from training's streams

// estimator(x [B, ...] int64, gen) -> [B] float64 bound in bits per dim (<= 0).
using Estimator = std::function<torch::Tensor(const torch::Tensor&, torch::Generator&)>;

EvalResult run_passes(Model& model, const torch::Tensor& data, int64_t passes, int64_t batch, uint64_t seed,
                      const torch::Device& device, bool progress, const Estimator& estimate) {
  check_data(model, data, "evaluation data");
  TORCH_CHECK(passes >= 1 && batch >= 1, "passes and batch must be positive");
  const int64_t n = data.size(0);
  auto per_image = torch::zeros({passes, n}, torch::kFloat64);  // negative bound per image and pass
  util::Progress bar("eval", passes * n, "img", progress);
  for (int64_t p = 0; p < passes; ++p) {
    for (int64_t first = 0; first < n; first += batch) {
      const int64_t last = std::min(first + batch, n);
      auto x = data.slice(0, first, last).to(torch::kInt64).to(device);
      auto gen = make_generator(mix_seed(seed, kEvalStream, static_cast<uint64_t>(p * n + first)));
      per_image[p].slice(0, first, last).copy_(-estimate(x, gen).cpu());
      bar.update(p * n + last);
    }
  }
  EvalResult r;
  r.images = n;
  for (int64_t p = 0; p < passes; ++p) r.pass_bpd.push_back(per_image[p].mean().item<double>());
  auto img_mean = per_image.mean(0);  // [N]
  r.bpd = img_mean.mean().item<double>();
  if (passes >= 2) {
    const double sum_var = per_image.var(0, /*unbiased=*/true).sum().item<double>();
    r.stderr_bpd = std::sqrt(sum_var / static_cast<double>(passes)) / static_cast<double>(n);
  } else {
    r.stderr_bpd = n >= 2 ? img_mean.std().item<double>() / std::sqrt(static_cast<double>(n)) : NAN;
  }
  char status[64];
  std::snprintf(status, sizeof status, "bpd %.4f", r.bpd);
  bar.finish(status);
  return r;
}

NetFn eval_net(Model& model, const torch::Device& device) {
  model.ema->to(device);
  model.ema->eval();
  return model.as_fn(model.ema);
}

// A batch as the objective takes it: for a model with a context, x [B, C + N] is the item
// x[:, C:] and the network sees x[:, :C] before it (with_context) or nothing.
struct Batch {
  torch::Tensor x;
  NetFn net;
};
Batch batch_of(const Model& model, const torch::Tensor& x, const NetFn& plain, bool with_context) {
  if (model.data().context == 0) return {x, plain};
  const int64_t B = x.size(0);
  const auto split = model.split_context(x, with_context ? torch::Tensor() : torch::zeros({B}, torch::kInt64));
  return {split.item, model.as_fn(model.ema, &split.context)};
}

}  // namespace

EvalResult evaluate(Model& model, const torch::Tensor& data, int64_t passes, int64_t batch, uint64_t seed,
                    const torch::Device& device, bool progress, bool with_context) {
  torch::NoGradGuard no_grad;
  auto fn = eval_net(model, device);
  ObjectiveConfig oc = model.objective_cfg;
  oc.t_sampling = "uniform";  // per-image estimates must be independent across images
  return run_passes(model, data, passes, batch, seed, device, progress, [&](const torch::Tensor& x, torch::Generator& g) {
    const auto b = batch_of(model, x, fn, with_context);
    return stochastic_bound(*model.process, b.net, b.x, oc, g).elbo_bpd;
  });
}

EvalResult evaluate_policy_bound(Model& model, const torch::Tensor& data, const Policies& policy,
                                 int64_t passes, int64_t batch, uint64_t seed, const torch::Device& device,
                                 bool progress, bool with_context) {
  torch::NoGradGuard no_grad;
  auto fn = eval_net(model, device);
  return run_passes(model, data, passes, batch, seed, device, progress, [&](const torch::Tensor& x, torch::Generator& g) {
    const auto b = batch_of(model, x, fn, with_context);
    return policy_bound_bpd(*model.process, b.net, b.x, policy, g);
  });
}

ExactResult evaluate_fixed_order(Model& model, const torch::Tensor& data, const Model::CodingPlan& plan,
                                 int64_t batch, const torch::Device& device, bool progress, bool with_context) {
  check_data(model, data, "evaluation data");
  TORCH_CHECK(batch >= 1, "batch must be positive");
  torch::NoGradGuard no_grad;
  auto fn = eval_net(model, device);
  const auto& sigma = plan.ranks;
  const auto& policy = plan.policies;
  const int64_t n = data.size(0);
  auto nll = torch::zeros({n}, torch::kFloat64);
  util::Progress bar("exact", n, "img", progress);
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t last = std::min(first + batch, n);
    auto x = data.slice(0, first, last).to(torch::kInt64).to(device);
    const auto b = batch_of(model, x, fn, with_context);
    nll.slice(0, first, last).copy_(-policy_log_prob_bpd(*model.process, b.net, b.x, sigma, policy).cpu());
    bar.update(last);
  }
  ExactResult r;
  r.images = n;
  r.network_calls = total_budget(policy);
  r.bpd = nll.mean().item<double>();
  r.stderr_images = n >= 2 ? nll.std().item<double>() / std::sqrt(static_cast<double>(n)) : NAN;
  char status[64];
  std::snprintf(status, sizeof status, "bpd %.4f", r.bpd);
  bar.finish(status);
  return r;
}

std::vector<int64_t> measured_steps(const std::string& order, int64_t D, int64_t points, const std::vector<int64_t>& shape) {
  std::vector<int64_t> at;
  if (!is_level_order(order)) {
    // Steps (D-1) * (j / (P-1))^2, j = 0..P-1, without repeats: 0 and D-1 always among them.
    for (int64_t j = 0; j < points; ++j) {
      const double u = static_cast<double>(j) / static_cast<double>(points - 1);
      const auto t = static_cast<int64_t>(std::llround(static_cast<double>(D - 1) * u * u));
      if (at.empty() || t > at.back()) at.push_back(t);
    }
    return at;
  }
  // The cost falls by a step where a level starts (every neighbour at half the spacing now
  // known): each level's first and last step, then the middle of the widest gap until there
  // are `points` (or every step).
  std::set<int64_t> s = {0, D - 1};
  for (const int64_t start : dyadic_level_starts(D, shape, order == "quincunx")) {
    s.insert(start);
    if (start > 0) s.insert(start - 1);
  }
  while (static_cast<int64_t>(s.size()) < std::min(points, D)) {
    int64_t a = 0, e = 0;
    for (auto it = s.begin(); std::next(it) != s.end(); ++it)
      if (*std::next(it) - *it > e - a) a = *it, e = *std::next(it);
    if (e - a < 2) break;
    s.insert(a + (e - a) / 2);
  }
  return {s.begin(), s.end()};
}

torch::Tensor measure_step_costs(Model& model, const torch::Tensor& data, int64_t points, int64_t batch,
                                 uint64_t seed, const torch::Device& device, bool progress) {
  check_data(model, data, "measurement data");
  TORCH_CHECK(points >= 2 && batch >= 1, "need at least 2 points and a positive batch");
  torch::NoGradGuard no_grad;
  auto fn = eval_net(model, device);
  const int64_t S = model.num_stages(), D = model.num_values(), n = data.size(0);
  const std::vector<int64_t> at = measured_steps(model.process->order(), D, points, model.data().shape);
  const auto P = static_cast<int64_t>(at.size());
  auto measured = torch::zeros({S, P}, torch::kFloat64);
  util::Progress bar("measure", S * P * n, "item", progress);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t j = 0; j < P; ++j) {
      double sum = 0;
      for (int64_t first = 0; first < n; first += batch) {
        const int64_t last = std::min(first + batch, n), B = last - first;
        auto x = data.slice(0, first, last).to(torch::kInt64).to(device);
        const auto b = batch_of(model, x, fn, true);
        auto gen = make_generator(mix_seed(seed, kEvalStream, static_cast<uint64_t>((s * P + j) * n + first)));
        const auto sigma = draw_orders(model.process->order(), B, D, gen, model.data().shape);
        const auto terms = bound_terms(*model.process, b.net, b.x, sigma, torch::full({B}, at[static_cast<size_t>(j)], torch::kInt64),
                                       torch::full({B}, s, torch::kInt64), 0.0);
        sum -= terms.elbo_t_bpd.sum().item<double>();
        bar.update((s * P + j) * n + last);
      }
      measured[s][j] = sum / static_cast<double>(n);
    }
  }
  bar.finish("");
  auto costs = torch::zeros({S * D}, torch::kFloat64);
  auto c = costs.accessor<double, 1>();
  auto m = measured.accessor<double, 2>();
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t j = 0; j + 1 < P; ++j) {
      const int64_t a = at[static_cast<size_t>(j)], e = at[static_cast<size_t>(j + 1)];
      for (int64_t t = a; t <= e; ++t)
        c[s * D + t] = m[s][j] + (m[s][j + 1] - m[s][j]) * static_cast<double>(t - a) / static_cast<double>(e - a);
    }
  }
  return costs;
}

}  // namespace ardm
