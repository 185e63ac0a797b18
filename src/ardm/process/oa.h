// The order-agnostic ARDM as a Process: one stage, symbols = classes.
#pragma once

#include "ardm/process/process.h"

namespace ardm {

class OAProcess : public Process {
 public:
  explicit OAProcess(const DataSpec& data);
  int64_t num_symbols() const override { return data_.num_classes; }
  nets::NetIO net_io() const override;
  std::string describe() const override { return "OA-ARDM"; }
  torch::Tensor past(const torch::Tensor& x, const torch::Tensor& stage) const override;
  torch::Tensor future(const torch::Tensor& x, const torch::Tensor& stage) const override;
  torch::Tensor symbol(const torch::Tensor& x_past, const torch::Tensor& x_future, const torch::Tensor& stage) const override;
  torch::Tensor value(const torch::Tensor& x_past, const torch::Tensor& symbol, const torch::Tensor& stage) const override;
  int64_t value_of(int64_t, int64_t symbol, int64_t) const override { return symbol; }
  torch::Tensor symbol_logits(const torch::Tensor& out, const torch::Tensor& x_past, int64_t stage) const override;
};

}  // namespace ardm
