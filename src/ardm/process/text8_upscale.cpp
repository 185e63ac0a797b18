#include "ardm/process/text8_upscale.h"

#include "ardm/core/net_io.h"

#include <limits>
#include <stdexcept>

namespace ardm {

Text8UpscaleProcess::Text8UpscaleProcess(const DataSpec& data) : Process(data, 2) {
  if (data.kind != "text8" || data.num_classes != 27)
    throw std::invalid_argument("the text8 upscale process takes text8 data (27 classes), not " + data.kind);
  std::vector<int64_t> g;
  for (int64_t c = 0; c < data.num_classes; ++c) g.push_back(group_of(c));
  groups_ = torch::tensor(g, torch::kInt64);
}

int64_t Text8UpscaleProcess::group_of(int64_t c) {
  if (c == 0) return 0;
  const int64_t letter = c - 1;  // a = 0
  return (letter == 0 || letter == 4 || letter == 8 || letter == 14 || letter == 20) ? 1 : 2;
}

nets::NetIO Text8UpscaleProcess::net_io() const { return ardm::net_io(data_, ProcessConfig{2, "text8"}); }

torch::Tensor Text8UpscaleProcess::per_example(const torch::Tensor& stage, int64_t rank) {
  std::vector<int64_t> shape = {stage.size(0)};
  for (int64_t i = 0; i < rank; ++i) shape.push_back(1);
  return stage.to(torch::kInt64).view(shape);
}

torch::Tensor Text8UpscaleProcess::past(const torch::Tensor& x, const torch::Tensor& stage) const {
  auto s = per_example(stage, x.dim() - 1).to(x.device());
  auto group_class = groups_.to(x.device()).index({x}) + data_.num_classes;
  return torch::where(s == 0, torch::full_like(x, absorbing()), group_class);
}

torch::Tensor Text8UpscaleProcess::future(const torch::Tensor& x, const torch::Tensor& stage) const {
  auto s = per_example(stage, x.dim() - 1).to(x.device());
  auto group_class = groups_.to(x.device()).index({x}) + data_.num_classes;
  return torch::where(s == 0, group_class, x);
}

torch::Tensor Text8UpscaleProcess::symbol(const torch::Tensor& x_past, const torch::Tensor& x_future,
                                          const torch::Tensor& stage) const {
  auto s = per_example(stage, x_past.dim() - 1).to(x_past.device());
  return torch::where(s == 0, x_future - data_.num_classes, x_future);
}

torch::Tensor Text8UpscaleProcess::value(const torch::Tensor& x_past, const torch::Tensor& symbol,
                                         const torch::Tensor& stage) const {
  auto s = per_example(stage, x_past.dim() - 1).to(x_past.device());
  return torch::where(s == 0, symbol + data_.num_classes, symbol);
}

int64_t Text8UpscaleProcess::value_of(int64_t, int64_t symbol, int64_t stage) const {
  return stage == 0 ? symbol + data_.num_classes : symbol;
}

torch::Tensor Text8UpscaleProcess::symbol_logits(const torch::Tensor& out, const torch::Tensor& x_past,
                                                 int64_t stage) const {
  const int64_t K = data_.num_classes;
  TORCH_CHECK(out.size(1) == K, "network gave ", out.size(1), " outputs per value, expected ", K);
  std::vector<int64_t> cshape = {1, K};
  for (int64_t i = 2; i < out.dim(); ++i) cshape.push_back(1);
  auto groups = groups_.to(out.device()).view(cshape);  // [1, K, 1...]
  if (stage == 0) {
    // Symbol g < 3: log-sum-exp of the group's characters; the other symbols never occur.
    std::vector<torch::Tensor> per_group;
    for (int64_t g = 0; g < kGroups; ++g)
      per_group.push_back(out.masked_fill(groups != g, -std::numeric_limits<float>::infinity()).logsumexp(1));
    auto rest_shape = out.sizes().vec();
    rest_shape[1] = K - kGroups;
    return torch::cat({torch::stack(per_group, 1), torch::full(rest_shape, -1e9, out.options())}, 1);
  }
  // Stage 1: the characters of the group x_past holds.
  auto past_group = (x_past - K).unsqueeze(1);  // [B, 1, ...]
  return out.masked_fill(groups != past_group, -1e9);
}

}  // namespace ardm
