// OA-ARDM (spec section 1): one stage; unknown values hold the absorbing value and each is
// generated directly as one of the K classes.
#include "ardm/process/oa.h"

#include "ardm/core/net_io.h"

namespace ardm {

OAProcess::OAProcess(const DataSpec& data) : Process(data, 1) {}

nets::NetIO OAProcess::net_io() const { return ardm::net_io(data_, ProcessConfig{0, "matrix"}); }

torch::Tensor OAProcess::past(const torch::Tensor& x, const torch::Tensor&) const {
  return torch::full_like(x, data_.absorbing);
}
torch::Tensor OAProcess::future(const torch::Tensor& x, const torch::Tensor&) const { return x; }
torch::Tensor OAProcess::symbol(const torch::Tensor&, const torch::Tensor& x_future, const torch::Tensor&) const {
  return x_future;
}
torch::Tensor OAProcess::value(const torch::Tensor&, const torch::Tensor& symbol, const torch::Tensor&) const {
  return symbol;
}
torch::Tensor OAProcess::symbol_logits(const torch::Tensor& out, const torch::Tensor&, int64_t) const { return out; }

}  // namespace ardm
