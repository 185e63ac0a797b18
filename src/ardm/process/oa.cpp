// OA-ARDM (spec section 1): one stage; unknown values hold the absorbing value and each is
// generated directly as one of the K classes.
#include "ardm/process/oa.h"

namespace ardm {

OAProcess::OAProcess(const DataSpec& data) : Process(data, 1) {}

nets::NetIO OAProcess::net_io() const {
  nets::NetIO io;
  io.data_shape = data_.shape;
  // An absorbing value outside 0..K-1 is an extra input class (text); images use a real class.
  io.input_classes = data_.absorbing >= data_.num_classes ? data_.num_classes + 1 : data_.num_classes;
  io.num_stages = 1;
  io.outputs_per_value = data_.num_classes;
  io.max_time = num_steps();
  return io;
}

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
