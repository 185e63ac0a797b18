#include "ardm/objective/objective.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "ardm/core/levels.h"
#include "ardm/core/schedule_dp.h"

namespace ardm {

torch::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor sample_orders(int64_t batch, int64_t num_steps, torch::Generator& gen) {
  // argsort of i.i.d. uniforms is a uniform random permutation (ties have probability ~0 and
  // would only bias the order, not break it); its inverse is uniform too, so the row can serve
  // directly as a rank array.
  auto u = torch::rand({batch, num_steps}, gen, torch::kFloat64);
  return u.argsort(/*dim=*/int64_t{1});
}

namespace {
// Each flat position's level (higher: earlier). Sequences (a shape of rank 0 or 1): the trailing
// zero bits of the index. Images {C, H, W}: core/levels.h (dyadic, or quincunx).
std::vector<double> dyadic_levels(int64_t num_steps, const std::vector<int64_t>& shape, bool quincunx = false) {
  std::vector<double> level(static_cast<size_t>(num_steps));
  if (shape.size() == 3) {
    TORCH_CHECK(shape[0] * shape[1] * shape[2] == num_steps, "dyadic order: shape does not hold ", num_steps, " values");
    const auto l = image_levels(shape[0], shape[1], shape[2], quincunx);
    std::copy(l.begin(), l.end(), level.begin());
    return level;
  }
  TORCH_CHECK(!quincunx, "the quincunx order is for images (a data shape {C, H, W})");
  for (int64_t i = 0; i < num_steps; ++i) level[static_cast<size_t>(i)] = trailing_zeros(i);
  return level;
}
}  // namespace

bool is_level_order(const std::string& order) { return order == "dyadic" || order == "quincunx"; }

std::vector<int64_t> dyadic_level_starts(int64_t num_steps, const std::vector<int64_t>& shape, bool quincunx) {
  std::vector<int> level;  // whole numbers (trailing zeros, image levels)
  for (const double l : dyadic_levels(num_steps, shape, quincunx)) level.push_back(static_cast<int>(l));
  return level_starts(std::move(level));
}

torch::Tensor sample_dyadic_orders(int64_t batch, int64_t num_steps, torch::Generator& gen,
                                   const std::vector<int64_t>& shape, bool quincunx) {
  // The order takes the levels from the top, each level's positions in a uniform random order.
  // The argsort of (-level + u / 2), u uniform in [0, 1), is such an order: [B, D] positions by
  // rank; the second argsort turns it into ranks by position.
  const auto level = dyadic_levels(num_steps, shape, quincunx);
  auto u = torch::rand({batch, num_steps}, gen, torch::kFloat64);
  auto key = u * 0.5 - torch::tensor(level, torch::kFloat64).unsqueeze(0);
  return key.argsort(/*dim=*/int64_t{1}).argsort(/*dim=*/int64_t{1});
}

torch::Tensor draw_orders(const std::string& order, int64_t batch, int64_t num_steps, torch::Generator& gen,
                          const std::vector<int64_t>& shape) {
  return is_level_order(order) ? sample_dyadic_orders(batch, num_steps, gen, shape, order == "quincunx")
                               : sample_orders(batch, num_steps, gen);
}

torch::Tensor sample_steps(int64_t batch, int64_t num_steps, const std::string& mode, torch::Generator& gen) {
  if (mode == "uniform") return torch::randint(num_steps, {batch}, gen, torch::kInt64);
  TORCH_CHECK(mode == "antithetic", "t sampling must be 'uniform' or 'antithetic', got '", mode, "'");
  const int64_t g = std::gcd(batch, num_steps);
  const int64_t spacing = num_steps / g, n = batch / g;
  auto u = torch::randint(spacing, {n}, gen, torch::kInt64).repeat_interleave(g);  // [B]: each u g times
  auto grid = (torch::arange(g, torch::kInt64) * spacing).repeat({n});            // [B]
  auto t = u + grid;
  return t.index_select(0, torch::randperm(batch, gen, torch::kInt64));
}

torch::Tensor known_mask(const torch::Tensor& sigma, const torch::Tensor& t, torch::IntArrayRef shape) {
  std::vector<int64_t> full = {sigma.size(0)};
  full.insert(full.end(), shape.begin(), shape.end());
  return (sigma < t.to(sigma.device()).unsqueeze(1)).view(full);
}

torch::Tensor network_input(const torch::Tensor& x_past, const torch::Tensor& x_future, const torch::Tensor& known) {
  return torch::where(known, x_future, x_past);
}

int64_t total_budget(const Policies& p) {
  int64_t n = 0;
  for (const auto& s : p) n += static_cast<int64_t>(s.size());
  return n;
}

torch::Tensor symbol_log_probs(const Process& process, const torch::Tensor& out, const torch::Tensor& x_past,
                               const torch::Tensor& x_future, const torch::Tensor& stage) {
  auto one_stage = [&](const torch::Tensor& o, const torch::Tensor& past, const torch::Tensor& fut,
                       const torch::Tensor& st, int64_t s) {
    return process.symbol_log_prob(o, past, process.symbol(past, fut, st), s);  // [b, ...]
  };
  if (process.num_stages() == 1) return one_stage(out, x_past, x_future, stage, 0);
  // A batch mixes stages: each stage's examples go through that stage's symbol map.
  auto result = torch::zeros(x_past.sizes(), out.options());
  auto stage_cpu = stage.to(torch::kCPU);
  for (int64_t s = 0; s < process.num_stages(); ++s) {
    auto idx = (stage_cpu == s).nonzero().squeeze(1);
    if (idx.numel() == 0) continue;
    idx = idx.to(out.device());
    auto lp = one_stage(out.index_select(0, idx), x_past.index_select(0, idx), x_future.index_select(0, idx),
                        stage.index_select(0, idx), s);
    result = result.index_copy(0, idx, lp);
  }
  return result;
}

torch::Tensor term_ends(const Process& process, const torch::Tensor& t) {
  const int64_t D = process.steps_per_stage();
  const auto groups = policy_groups(process.order(), process.data().shape);
  auto t_cpu = t.to(torch::kCPU).to(torch::kInt64).contiguous();
  if (groups.empty()) return torch::full_like(t_cpu, D);
  auto end = torch::empty_like(t_cpu);
  auto tc = t_cpu.accessor<int64_t, 1>();
  auto ec = end.accessor<int64_t, 1>();
  for (int64_t b = 0; b < t_cpu.size(0); ++b) {
    TORCH_CHECK(tc[b] >= 0 && tc[b] < D, "step ", tc[b], " outside 0..", D - 1);
    const auto next = std::upper_bound(groups.begin(), groups.end(), tc[b]);
    ec[b] = next == groups.end() ? D : *next;
  }
  return end;
}

BoundTerms bound_terms(const Process& process, const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma,
                       const torch::Tensor& t, const torch::Tensor& stage, double ce_term) {
  return bound_terms(process, net, x, sigma, t, term_ends(process, t), stage, ce_term);
}

BoundTerms bound_terms(const Process& process, const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma,
                       const torch::Tensor& t, const torch::Tensor& end, const torch::Tensor& stage, double ce_term) {
  const int64_t B = x.size(0);
  const int64_t D = x.numel() / B;
  TORCH_CHECK(D == process.steps_per_stage(), "data of ", D, " values per item, but the process has ",
              process.steps_per_stage());
  TORCH_CHECK(sigma.dim() == 2 && sigma.size(0) == B && sigma.size(1) == D, "sigma must be [B, D] = [", B, ", ", D,
              "], got ", sigma.sizes());
  TORCH_CHECK(end.dim() == 1 && end.size(0) == B && (end.to(torch::kCPU) > t.to(torch::kCPU)).all().item<bool>() &&
                  (end.to(torch::kCPU) <= D).all().item<bool>(),
              "the terms' ends must be [B], above t and at most D");
  auto sigma_d = sigma.to(x.device());
  auto t_d = t.to(x.device());
  auto end_d = end.to(x.device());
  auto stage_d = stage.to(x.device());
  auto known = known_mask(sigma_d, t_d, x.sizes().slice(1));
  auto x_past = process.past(x, stage_d), x_future = process.future(x, stage_d);
  auto out = nets::full_precision(net(network_input(x_past, x_future, known), known, stage_d * D + t_d, stage_d));
  TORCH_CHECK(out.dim() == x.dim() + 1 && out.size(0) == B, "net returned outputs of shape ", out.sizes());
  auto lp = symbol_log_probs(process, out, x_past, x_future, stage_d).reshape({B, -1});  // [B, D] nats
  auto future = torch::logical_not(known).reshape({B, -1});
  auto terms = future & (sigma_d < end_d.unsqueeze(1));                            // t <= sigma < end
  auto s_nats = (lp * terms.to(lp.dtype())).sum(1);                                 // [B]
  auto all_nats = (lp * future.to(lp.dtype())).sum(1);                              // [B]
  const double d_ln2 = static_cast<double>(D) * std::log(2.0);
  const double steps = static_cast<double>(process.num_steps());                   // S * D = 1 / q(stage, t)
  auto remaining = (end_d - t_d).to(torch::kFloat64);                               // end - t >= 1
  BoundTerms out_terms;
  out_terms.t = (stage * D + t).to(torch::kInt64);
  auto s64 = s_nats.to(torch::kFloat64);
  out_terms.nce_bpd = (all_nats.to(torch::kFloat64) / d_ln2).detach();
  out_terms.elbo_t_bpd = (s64 / remaining / d_ln2).detach();
  out_terms.elbo_bpd = (out_terms.elbo_t_bpd * steps).detach();
  auto weight = (steps / remaining).to(s_nats.dtype());
  out_terms.loss = -(weight * s_nats).mean() / d_ln2 - ce_term * all_nats.mean() / d_ln2;
  return out_terms;
}

torch::Tensor fixed_order(int64_t num_steps, uint64_t seed, const std::string& order, const std::vector<int64_t>& shape) {
  auto g = make_generator(seed);
  return draw_orders(order, 1, num_steps, g, shape).squeeze(0);
}

torch::Tensor fixed_orders(int64_t num_stages, int64_t num_steps, uint64_t seed, const std::string& order,
                           const std::vector<int64_t>& shape) {
  std::vector<torch::Tensor> rows;
  for (int64_t s = 0; s < num_stages; ++s)
    rows.push_back(fixed_order(num_steps, s == 0 ? seed : seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(s), order,
                               shape));
  return torch::stack(rows);
}

void check_policies(const Policies& policies, int64_t num_stages, int64_t D) {
  TORCH_CHECK(static_cast<int64_t>(policies.size()) == num_stages, "need one policy per stage: ", num_stages,
              " stages, ", policies.size(), " policies");
  for (const auto& policy : policies) {
    try {
      check_policy(policy, D);  // the DP's own rule, reported as a precondition failure here
    } catch (const std::invalid_argument& e) {
      TORCH_CHECK(false, e.what());
    }
  }
}

namespace {
// policy closed by D: [t_0, ..., t_{L-1}, D]
std::vector<int64_t> closed(const std::vector<int64_t>& policy, int64_t D) {
  std::vector<int64_t> p = policy;
  p.push_back(D);
  return p;
}
}  // namespace

torch::Tensor policy_log_prob_bpd(const Process& process, const NetFn& net, const torch::Tensor& x,
                                  const torch::Tensor& sigma, const Policies& policies) {
  const int64_t B = x.size(0), D = x.numel() / B, S = process.num_stages();
  check_policies(policies, S, D);
  TORCH_CHECK(sigma.dim() == 2 && sigma.size(0) == S && sigma.size(1) == D, "sigma must be [S, D] = [", S, ", ", D,
              "], got ", sigma.sizes());
  auto total_nats = torch::zeros({B}, x.options().dtype(torch::kFloat64));
  for (int64_t s = 0; s < S; ++s) {
    const auto p = closed(policies[static_cast<size_t>(s)], D);
    auto sig = sigma[s].to(x.device()).unsqueeze(0).expand({B, D});  // one order for the whole batch
    auto st = stage_tensor(B, s, x.device());
    auto x_past = process.past(x, st), x_future = process.future(x, st);
    for (size_t k = 0; k + 1 < p.size(); ++k) {
      const int64_t l = p[k], r = p[k + 1];
      auto t = torch::full({B}, l, x.options());
      auto known = known_mask(sig, t, x.sizes().slice(1));
      auto out = net(network_input(x_past, x_future, known), known, st * D + t, st);
      auto lp = symbol_log_probs(process, out, x_past, x_future, st);
      auto current = ((sig >= l) & (sig < r)).view(x.sizes());
      total_nats += (lp.to(torch::kFloat64) * current.to(torch::kFloat64)).reshape({B, -1}).sum(1);
    }
  }
  return total_nats / (static_cast<double>(D) * std::log(2.0));
}

torch::Tensor policy_bound_bpd(const Process& process, const NetFn& net, const torch::Tensor& x,
                               const Policies& policies, torch::Generator& gen) {
  const int64_t B = x.size(0), D = x.numel() / B, S = process.num_stages();
  check_policies(policies, S, D);
  torch::Tensor stage, idx;
  if (S == 1) {
    stage = torch::zeros({B}, torch::kInt64);
    idx = torch::randint(static_cast<int64_t>(policies[0].size()), {B}, gen, torch::kInt64);
  } else {
    stage = torch::randint(S, {B}, gen, torch::kInt64);
    auto u = torch::rand({B}, gen, torch::kFloat64);
    std::vector<int64_t> lens;
    for (const auto& p : policies) lens.push_back(static_cast<int64_t>(p.size()));
    auto len = torch::tensor(lens, torch::kInt64).index_select(0, stage);
    idx = torch::minimum((u * len.to(torch::kFloat64)).floor().to(torch::kInt64), len - 1);
  }
  // l, r and the weight n_k * L_s * S per example.
  auto st = stage.accessor<int64_t, 1>();
  auto ix = idx.accessor<int64_t, 1>();
  // Orders of groups (quincunx): the call's own values, the ones the codec codes in it; other
  // orders: every unknown value, each equally likely to be among the call's.
  const bool grouped = !policy_groups(process.order(), process.data().shape).empty();
  auto l = torch::empty({B}, torch::kInt64), r = torch::full({B}, D, torch::kInt64), w = torch::empty({B}, torch::kFloat64);
  for (int64_t b = 0; b < B; ++b) {
    const auto p = closed(policies[static_cast<size_t>(st[b])], D);
    const int64_t k = ix[b];
    l[b] = p[static_cast<size_t>(k)];
    if (grouped) r[b] = p[static_cast<size_t>(k) + 1];
    w[b] = static_cast<double>((p[static_cast<size_t>(k) + 1] - p[static_cast<size_t>(k)]) *
                               static_cast<int64_t>(p.size() - 1) * S);
  }
  auto sigma = draw_orders(process.order(), B, D, gen, process.data().shape);
  auto terms = bound_terms(process, net, x, sigma, l, r, stage, 0.0);
  return terms.elbo_t_bpd * w.to(terms.elbo_t_bpd.device());
}

StepDraw draw_step(const Process& process, int64_t B, const ObjectiveConfig& cfg, torch::Generator& gen) {
  const int64_t D = process.steps_per_stage(), S = process.num_stages();
  StepDraw d;
  d.sigma = draw_orders(process.order(), B, D, gen, process.data().shape);
  if (S == 1) {
    d.t = sample_steps(B, D, cfg.t_sampling, gen);
    d.stage = torch::zeros({B}, torch::kInt64);
  } else if (cfg.t_sampling == "uniform") {
    auto g = sample_steps(B, S * D, "uniform", gen);
    d.stage = torch::div(g, D, "floor");
    d.t = g - d.stage * D;
  } else {
    d.stage = sample_steps(B, S, cfg.t_sampling, gen);
    d.t = sample_steps(B, D, cfg.t_sampling, gen);
  }
  return d;
}

BoundTerms stochastic_bound(const Process& process, const NetFn& net, const torch::Tensor& x,
                            const ObjectiveConfig& cfg, torch::Generator& gen) {
  const StepDraw d = draw_step(process, x.size(0), cfg, gen);
  return bound_terms(process, net, x, d.sigma, d.t, d.stage, cfg.ce_term);
}

}  // namespace ardm
