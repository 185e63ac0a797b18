#include "ardm/train/sample.h"

#include <cmath>
#include <limits>

namespace ardm {

Samples sample(const Process& process, const NetFn& net, int64_t count, const Policies& policies,
               torch::Generator& gen, const torch::Device& device, bool keep_chain) {
  const int64_t N = count, D = process.steps_per_stage(), S = process.num_stages();
  TORCH_CHECK(N >= 1, "need at least one sample");
  check_policies(policies, S, D);
  std::vector<int64_t> shape = {N};
  shape.insert(shape.end(), process.data().shape.begin(), process.data().shape.end());
  Samples out;
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(device);
  auto x = process.past(torch::zeros(shape, opts), stage_tensor(N, 0, device));
  auto flat_x = x.view({N * D});
  for (int64_t s = 0; s < S; ++s) {
    const auto& policy = policies[static_cast<size_t>(s)];
    const auto st = stage_tensor(N, s, device);
    const auto x_past = x.clone();                     // what earlier stages made
    const auto flat_past = x_past.view({N * D});
    auto sigma = draw_orders(process.order(), N, D, gen, process.data().shape).to(device);  // [N, D]: this stage's orders
    for (size_t k = 0; k < policy.size(); ++k) {
      const int64_t l = policy[k], r = k + 1 < policy.size() ? policy[k + 1] : D;
      auto t = torch::full({N}, l, opts);
      auto known = known_mask(sigma, t, torch::IntArrayRef(shape).slice(1));
      auto out_all = net(x, known, st * D + t, st);  // [N, outputs per value, ...]
      // Only the locations generated at this step are drawn, so only their logits are made:
      // [M, A], M = N * (r - l) (all D of them would be [N, A, ...], and for a mixture of
      // logistics over 256 values several such temporaries per call).
      auto idx = ((sigma >= l) & (sigma < r)).view({N * D}).nonzero().squeeze(1);
      std::vector<int64_t> perm = {0};
      for (int64_t d = 2; d < out_all.dim(); ++d) perm.push_back(d);
      perm.push_back(1);
      auto out_sel = out_all.permute(perm).reshape({N * D, out_all.size(1)}).index_select(0, idx);
      auto sel = process.symbol_logits(out_sel, flat_past.index_select(0, idx), s).to(torch::kFloat32);  // [M, A]
      const int64_t A = sel.size(1);
      auto u = torch::rand({idx.size(0), A}, gen, torch::kFloat32)
                   .clamp_(std::numeric_limits<float>::min(), std::nextafter(1.0f, 0.0f))  // u in (0, 1): finite noise
                   .to(device);
      auto draw = (sel - torch::log(-torch::log(u))).argmax(1);  // Gumbel-max: [M] symbols
      flat_x.index_put_({idx}, process.value(flat_past.index_select(0, idx), draw, stage_tensor(idx.size(0), s, device)));
      if (keep_chain) out.chain.push_back(x.cpu().clone());
    }
  }
  out.x = x;
  return out;
}

torch::Tensor image_grid(const torch::Tensor& images, int64_t cols, int64_t pad) {
  TORCH_CHECK(images.dim() == 4 && cols >= 1, "image_grid needs [N, C, H, W] and cols >= 1");
  const int64_t N = images.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
  const int64_t rows = (N + cols - 1) / cols;
  auto grid = torch::full({C, rows * (H + pad) + pad, cols * (W + pad) + pad}, 96, torch::kUInt8);
  auto img = images.to(torch::kCPU).clamp(0, 255).to(torch::kUInt8);
  for (int64_t i = 0; i < N; ++i) {
    const int64_t y = pad + (i / cols) * (H + pad), x = pad + (i % cols) * (W + pad);
    grid.slice(1, y, y + H).slice(2, x, x + W).copy_(img[i]);
  }
  return grid;
}

}  // namespace ardm
