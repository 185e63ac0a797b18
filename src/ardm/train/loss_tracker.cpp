#include "ardm/train/loss_tracker.h"

namespace ardm {

LossTracker::LossTracker(int64_t num_steps, double prior_bpd)
    : history_(torch::zeros({num_steps}, torch::kFloat64)),
      visited_(torch::zeros({num_steps}, torch::kBool)),
      prior_bpd_(prior_bpd) {}

void LossTracker::update(const torch::Tensor& t, const torch::Tensor& nelbo_t_bpd) {
  auto ts = t.to(torch::kCPU, torch::kInt64).contiguous();
  auto vs = nelbo_t_bpd.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  TORCH_CHECK(ts.numel() == vs.numel(), "tracker update: ", ts.numel(), " steps but ", vs.numel(), " values");
  auto h = history_.accessor<double, 1>();
  auto seen = visited_.accessor<bool, 1>();
  const int64_t* tp = ts.data_ptr<int64_t>();
  const double* vp = vs.data_ptr<double>();
  // Sequential on purpose: a step drawn twice in one batch gets two EMA updates, in batch order.
  for (int64_t i = 0; i < ts.numel(); ++i) {
    const int64_t s = tp[i];
    TORCH_CHECK(s >= 0 && s < history_.size(0), "tracker update: step ", s, " out of range");
    h[s] = seen[s] ? kMomentum * h[s] + (1.0 - kMomentum) * vp[i] : vp[i];
    seen[s] = true;
  }
}

torch::Tensor LossTracker::costs() const {
  return torch::where(visited_, history_, torch::full_like(history_, prior_bpd_));
}

LossTracker LossTracker::from_state(torch::Tensor history, torch::Tensor visited, double prior_bpd) {
  TORCH_CHECK(history.dim() == 1 && visited.sizes() == history.sizes(), "bad loss-tracker state");
  LossTracker tr;
  tr.history_ = history.to(torch::kFloat64).clone();
  tr.visited_ = visited.to(torch::kBool).clone();
  tr.prior_bpd_ = prior_bpd;
  return tr;
}

}  // namespace ardm
