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

namespace {
// log p(x_i | x_in) at every location, in nats: logits [B, K, ...], x [B, ...] -> [B, ...].
torch::Tensor data_log_probs(const torch::Tensor& logits, const torch::Tensor& x) {
  return torch::log_softmax(logits, 1).gather(1, x.unsqueeze(1)).squeeze(1);
}
}  // namespace

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
  auto lp = data_log_probs(logits, x);                                               // [B, ...] nats
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

torch::Tensor fixed_order(int64_t num_steps, uint64_t seed) {
  auto g = make_generator(seed);
  return sample_orders(1, num_steps, g).squeeze(0);
}

namespace {
// policy closed by D: [t_0, ..., t_{L-1}, D]
std::vector<int64_t> closed(const std::vector<int64_t>& policy, int64_t D) {
  TORCH_CHECK(!policy.empty() && policy[0] == 0, "policy must start at step 0");
  for (size_t k = 1; k < policy.size(); ++k) TORCH_CHECK(policy[k] > policy[k - 1], "policy must be strictly increasing");
  TORCH_CHECK(policy.back() < D, "policy step ", policy.back(), " is not below D = ", D);
  std::vector<int64_t> p = policy;
  p.push_back(D);
  return p;
}
}  // namespace

torch::Tensor policy_log_prob_bpd(const NetFn& net, const torch::Tensor& x, const torch::Tensor& sigma,
                                  const std::vector<int64_t>& policy, int64_t absorbing) {
  const int64_t B = x.size(0), D = x.numel() / B;
  TORCH_CHECK(sigma.dim() == 1 && sigma.size(0) == D, "sigma must be [D] = [", D, "], got ", sigma.sizes());
  const auto p = closed(policy, D);
  auto sig = sigma.to(x.device()).unsqueeze(0).expand({B, D});  // one order for the whole batch
  auto total_nats = torch::zeros({B}, x.options().dtype(torch::kFloat64));
  for (size_t k = 0; k + 1 < p.size(); ++k) {
    const int64_t l = p[k], r = p[k + 1];
    auto t = torch::full({B}, l, x.options());
    auto known = known_mask(sig, t, x.sizes().slice(1));
    auto lp = data_log_probs(net(corrupt(x, known, absorbing), known, t), x);
    auto current = ((sig >= l) & (sig < r)).view(x.sizes());
    total_nats += (lp.to(torch::kFloat64) * current.to(torch::kFloat64)).reshape({B, -1}).sum(1);
  }
  return total_nats / (static_cast<double>(D) * std::log(2.0));
}

torch::Tensor policy_bound_bpd(const NetFn& net, const torch::Tensor& x, const std::vector<int64_t>& policy,
                               int64_t absorbing, torch::Generator& gen) {
  const int64_t B = x.size(0), D = x.numel() / B;
  const auto p = closed(policy, D);
  const auto L = static_cast<int64_t>(policy.size());
  auto pt = torch::tensor(p, torch::kInt64);
  auto idx = torch::randint(L, {B}, gen, torch::kInt64);
  auto l = pt.index_select(0, idx), r = pt.index_select(0, idx + 1);
  auto sigma = sample_orders(B, D, gen);
  auto terms = bound_terms(net, x, sigma, l, absorbing, 0.0);
  return terms.elbo_t_bpd * ((r - l) * L).to(torch::kFloat64).to(terms.elbo_t_bpd.device());
}

BoundTerms stochastic_bound(const NetFn& net, const torch::Tensor& x, int64_t absorbing, const ObjectiveConfig& cfg,
                            torch::Generator& gen) {
  const int64_t B = x.size(0), D = x.numel() / B;
  auto sigma = sample_orders(B, D, gen);
  auto t = sample_steps(B, D, cfg.t_sampling, gen);
  return bound_terms(net, x, sigma, t, absorbing, cfg.ce_term);
}

}  // namespace ardm
