#include "ardm/process/upscale.h"

#include <limits>

#include "ardm/core/logistic.h"
#include "ardm/core/net_io.h"
#include "ardm/nets/net.h"
#include "ardm/process/upscale_matrices.h"

namespace ardm {

UpscaleProcess::UpscaleProcess(const DataSpec& data, int64_t branching, std::string parametrization)
    : Process(data, upscale::num_stages(data.num_classes, branching)), b_(branching), param_(std::move(parametrization)) {
  std::vector<int64_t> p;
  for (int64_t k = 0; k <= num_stages_; ++k) p.push_back(upscale::power(b_, k));
  powers_ = torch::tensor(p, torch::kInt64);
}

int64_t UpscaleProcess::digit_weight(int64_t stage) const {
  TORCH_CHECK(stage >= 0 && stage < num_stages_, "stage ", stage, " outside 0..", num_stages_ - 1);
  return upscale::power(b_, num_stages_ - 1 - stage);
}

nets::NetIO UpscaleProcess::net_io() const {
  return ardm::net_io(data_, ProcessConfig{b_, param_});
}

std::string UpscaleProcess::describe() const {
  return "Upscale ARDM, b = " + std::to_string(b_) + ", " + std::to_string(num_stages_) + " stages, " +
         param_ + " parametrization";
}

torch::Tensor UpscaleProcess::weight_of(const torch::Tensor& stage, int64_t offset, int64_t rank) const {
  // b^(S - 1 + offset - s): offset 1 gives the past's weight b^(S-s), offset 0 the digit's b^(S-1-s).
  auto k = (num_stages_ - 1 + offset) - stage.to(torch::kCPU, torch::kInt64);
  std::vector<int64_t> shape = {stage.size(0)};
  for (int64_t i = 0; i < rank; ++i) shape.push_back(1);
  return powers_.index_select(0, k).view(shape).to(stage.device());
}

torch::Tensor UpscaleProcess::past(const torch::Tensor& x, const torch::Tensor& stage) const {
  auto q = weight_of(stage, 1, x.dim() - 1).to(x.device());  // b^(S - s)
  return torch::div(x, q, "floor") * q;
}

torch::Tensor UpscaleProcess::future(const torch::Tensor& x, const torch::Tensor& stage) const {
  auto q = weight_of(stage, 0, x.dim() - 1).to(x.device());  // b^(S - 1 - s)
  return torch::div(x, q, "floor") * q;
}

torch::Tensor UpscaleProcess::symbol(const torch::Tensor& x_past, const torch::Tensor& x_future,
                                     const torch::Tensor& stage) const {
  auto q = weight_of(stage, 0, x_past.dim() - 1).to(x_past.device());
  return torch::div(x_future - x_past, q, "floor");
}

torch::Tensor UpscaleProcess::value(const torch::Tensor& x_past, const torch::Tensor& symbol,
                                    const torch::Tensor& stage) const {
  auto q = weight_of(stage, 0, x_past.dim() - 1).to(x_past.device());
  return x_past + symbol * q;
}

int64_t UpscaleProcess::value_of(int64_t past, int64_t symbol, int64_t stage) const {
  return past + symbol * digit_weight(stage);
}

torch::Tensor UpscaleProcess::symbol_logits(const torch::Tensor& out, const torch::Tensor& x_past, int64_t stage) const {
  const int64_t B = out.size(0), K = data_.num_classes, q = digit_weight(stage);
  TORCH_CHECK(out.size(1) == net_io().outputs_per_value, "network gave ", out.size(1), " outputs per value, expected ",
              net_io().outputs_per_value);
  auto rest = out.sizes().slice(2).vec();
  std::vector<int64_t> digit_shape = {1, b_};  // [1, b, 1, ...]
  for (size_t i = 0; i < rest.size(); ++i) digit_shape.push_back(1);
  auto digits = torch::arange(b_, x_past.options()).view(digit_shape);
  torch::Tensor logits;
  if (param_ == "logistic") {
    logits = logistic_logits(out, x_past, stage);
  } else if (param_ == "direct") {
    std::vector<int64_t> v = {B, num_stages_, b_};
    v.insert(v.end(), rest.begin(), rest.end());
    logits = out.view(v).select(1, stage);  // [B, b, ...]
  } else {
    // Block logits: log-sum-exp over each run of q classes, [B, nc, ...]; classes past K are -inf.
    const int64_t nc = (K + q - 1) / q;
    auto o = out;
    if (nc * q > K) {
      auto pad_shape = out.sizes().vec();
      pad_shape[1] = nc * q - K;
      o = torch::cat({out, torch::full(pad_shape, -std::numeric_limits<float>::infinity(), out.options())}, 1);
    }
    std::vector<int64_t> v = {B, nc, q};
    v.insert(v.end(), rest.begin(), rest.end());
    auto blocks = o.view(v).logsumexp(2);  // [B, nc, ...]
    // Children of x_past: blocks x_past / q + j, j < b; those beyond the last block do not exist.
    auto pad_shape = blocks.sizes().vec();
    pad_shape[1] = b_;
    blocks = torch::cat({blocks, torch::full(pad_shape, -1e9, blocks.options())}, 1);
    auto idx = (torch::div(x_past, q, "floor").unsqueeze(1) + digits).clamp_max(nc);
    logits = blocks.gather(1, idx);
  }
  if (upscale::power(b_, num_stages_) > K) {
    auto impossible = (x_past.unsqueeze(1) + digits * q) >= K;  // [B, b, ...]
    logits = logits.masked_fill(impossible, -1e9);
  }
  return logits;
}

torch::Tensor UpscaleProcess::logistic_logits(const torch::Tensor& out_any, const torch::Tensor& x_past,
                                              int64_t stage) const {
  const int64_t M = logistic::kComponents, K = data_.num_classes, q = digit_weight(stage);
  const auto out = nets::full_precision(out_any);
  const auto rest = out.sizes().slice(2).vec();
  auto at = [&](int64_t c) { return out.narrow(1, c * M, M).unsqueeze(2); };  // [B, M, 1, ...]
  const auto log_pi = torch::log_softmax(out.narrow(1, 0, M), 1).unsqueeze(2);
  const auto mu = at(1);
  std::vector<int64_t> per_component = {1, M, 1};
  for (size_t i = 0; i < rest.size(); ++i) per_component.push_back(1);
  const auto offsets = torch::tensor(std::vector<double>(logistic::kLogScaleOffset, logistic::kLogScaleOffset + M),
                                     out.options())
                           .view(per_component);
  const auto inv_s = torch::exp(-(at(2) + offsets).clamp_min(logistic::kMinLogScale));
  // The b sub-buckets' edges: digit j spans [edge(lo_j), edge(lo_j + q)), lo_j = x_past + j q.
  std::vector<int64_t> shape = {1, 1, b_ + 1};
  for (size_t i = 0; i < rest.size(); ++i) shape.push_back(1);
  const auto lo = x_past.unsqueeze(1).unsqueeze(1) + torch::arange(b_ + 1, x_past.options()).view(shape) * q;  // [B, 1, b+1, ...]
  const auto y = (lo * 2 - 1).to(torch::kFloat64) / static_cast<double>(K) - 1.0;
  const auto edges = torch::where(lo <= 0, torch::full_like(y, -logistic::kFarEdge),
                                  torch::where(lo >= K, torch::full_like(y, logistic::kFarEdge), y))
                         .to(torch::kFloat32);
  const auto z = (edges - mu) * inv_s;  // [B, M, b+1, ...]
  const auto u = z.narrow(2, 1, b_), l = z.narrow(2, 0, b_);
  const auto log_mass = -torch::softplus(-u) - torch::softplus(l) + torch::log(-torch::expm1((l - u).clamp_max(-1e-30)));
  return torch::logsumexp(log_pi + log_mass, 1);  // [B, b, ...]
}

}  // namespace ardm

namespace ardm {

torch::Tensor UpscaleProcess::logistic_log_mass(const torch::Tensor& out_any, const torch::Tensor& lo,
                                                const torch::Tensor& hi) const {
  const int64_t M = logistic::kComponents, K = data_.num_classes;
  const auto out = nets::full_precision(out_any);
  const auto rest = out.sizes().slice(2).vec();
  std::vector<int64_t> per_component = {1, M};
  for (size_t i = 0; i < rest.size(); ++i) per_component.push_back(1);
  const auto offsets = torch::tensor(std::vector<double>(logistic::kLogScaleOffset, logistic::kLogScaleOffset + M),
                                     out.options())
                           .view(per_component);
  const auto log_pi = torch::log_softmax(out.narrow(1, 0, M), 1);                          // [B, M, ...]
  const auto mu = out.narrow(1, M, M);
  const auto inv_s = torch::exp(-(out.narrow(1, 2 * M, M) + offsets).clamp_min(logistic::kMinLogScale));
  auto edge = [&](const torch::Tensor& v) {  // [B, 1, ...] float32 on the y scale
    const auto y = (v * 2 - 1).to(torch::kFloat64) / static_cast<double>(K) - 1.0;
    return torch::where(v <= 0, torch::full_like(y, -logistic::kFarEdge),
                        torch::where(v >= K, torch::full_like(y, logistic::kFarEdge), y))
        .to(torch::kFloat32)
        .unsqueeze(1);
  };
  const auto u = (edge(hi) - mu) * inv_s, l = (edge(lo) - mu) * inv_s;
  const auto log_mass = -torch::softplus(-u) - torch::softplus(l) + torch::log(-torch::expm1((l - u).clamp_max(-1e-30)));
  return torch::logsumexp(log_pi + log_mass, 1);
}

torch::Tensor UpscaleProcess::symbol_log_prob(const torch::Tensor& out, const torch::Tensor& x_past,
                                              const torch::Tensor& symbol, int64_t stage) const {
  if (param_ != "logistic") return Process::symbol_log_prob(out, x_past, symbol, stage);
  const int64_t q = digit_weight(stage);
  const auto lo = x_past + symbol * q;
  return logistic_log_mass(out, lo, lo + q) - logistic_log_mass(out, x_past, x_past + b_ * q);
}

}  // namespace ardm
