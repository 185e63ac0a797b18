#include "ardm/ardm.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <numeric>

namespace ardm {

torch::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor sample_orders(int64_t batch, int64_t num_steps, torch::Generator& gen) {
  // argsort of i.i.d. uniforms is a uniform random permutation (ties have probability ~0 and
  // would only bias the order, not break it); its inverse is uniform too, so the row can serve
  // directly as a rank array.
  auto u = torch::rand({batch, num_steps}, gen, torch::kFloat64);
  return u.argsort(/*dim=*/int64_t{1});
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

torch::Tensor corrupt(const torch::Tensor& x, const torch::Tensor& known, int64_t absorbing) {
  return torch::where(known, x, torch::full_like(x, absorbing));
}

BoundTerms bound_terms(const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma, const torch::Tensor& t,
                       int64_t absorbing, double ce_term) {
  const int64_t B = x.size(0);
  const int64_t D = x.numel() / B;
  TORCH_CHECK(sigma.dim() == 2 && sigma.size(0) == B && sigma.size(1) == D, "sigma must be [B, D] = [", B, ", ", D,
              "], got ", sigma.sizes());
  auto sigma_d = sigma.to(x.device());
  auto t_d = t.to(x.device());
  auto known = known_mask(sigma_d, t_d, x.sizes().slice(1));
  auto logits = net(corrupt(x, known, absorbing), known, t_d);                      // [B, K, ...]
  TORCH_CHECK(logits.dim() == x.dim() + 1 && logits.size(0) == B, "net returned logits of shape ", logits.sizes());
  auto lp = torch::log_softmax(logits, 1).gather(1, x.unsqueeze(1)).squeeze(1);   // [B, ...] nats
  auto future = torch::logical_not(known).to(lp.dtype());
  auto s_nats = (lp * future).reshape({B, -1}).sum(1);                              // [B]
  const double d_ln2 = static_cast<double>(D) * std::log(2.0);
  auto remaining = (D - t_d).to(torch::kFloat64);                                   // D - t >= 1
  BoundTerms out;
  out.t = t;
  auto s64 = s_nats.to(torch::kFloat64);
  out.nce_bpd = (s64 / d_ln2).detach();
  out.elbo_t_bpd = (s64 / remaining / d_ln2).detach();
  out.elbo_bpd = (out.elbo_t_bpd * static_cast<double>(D)).detach();
  auto weight = (static_cast<double>(D) / remaining).to(s_nats.dtype());
  out.loss = -(weight * s_nats).mean() / d_ln2 - ce_term * s_nats.mean() / d_ln2;
  return out;
}

BoundTerms stochastic_bound(const NetFn& net, const torch::Tensor& x, int64_t absorbing, const ObjectiveConfig& cfg,
                            torch::Generator& gen) {
  const int64_t B = x.size(0), D = x.numel() / B;
  auto sigma = sample_orders(B, D, gen);
  auto t = sample_steps(B, D, cfg.t_sampling, gen);
  return bound_terms(net, x, sigma, t, absorbing, cfg.ce_term);
}

}  // namespace ardm
