// What a generation step means: the model core's seam between the data, the network and the
// objective. A process has S stages (OA-ARDM: 1; Upscale: S = ceil(log_b K)), each an
// order-agnostic ARDM over the D values of one item, so S * D steps in all.
//
// Read me first:
//  * At stage s every value holds its "past" (what earlier stages made: OA-ARDM the absorbing
//    value, Upscale the value with its S-s lowest base-b digits zeroed) and the stage generates
//    its "future", one of A "symbols" per value (OA-ARDM: the K classes; Upscale: the b digits).
//  * Network input at (stage s, step t, order sigma): known = sigma < t, x_in = future where
//    known, else past. The network sees the global step s * D + t and the stage.
//  * symbol_logits turns the network's outputs into unnormalised logits over the A symbols;
//    everything downstream (bound, exact likelihood, sampling, coding) works on symbols only,
//    so a new process needs no change there.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "ardm/core/config.h"
#include "ardm/nets/net.h"

namespace ardm {

class Process {
 public:
  explicit Process(DataSpec data, int64_t num_stages) : data_(std::move(data)), num_stages_(num_stages) {}
  virtual ~Process() = default;

  const DataSpec& data() const { return data_; }
  int64_t num_stages() const { return num_stages_; }             // S
  int64_t steps_per_stage() const { return data_.num_values(); }  // D
  int64_t num_steps() const { return num_stages_ * steps_per_stage(); }  // S * D: the loss tracker's length
  // ProcessConfig::order: which family training and the bounds draw orders from
  // (objective.h, draw_orders); set by make_process.
  const std::string& order() const { return order_; }

  virtual int64_t num_symbols() const = 0;  // A
  virtual nets::NetIO net_io() const = 0;   // what the network must take and give
  virtual std::string describe() const = 0;  // one line for humans

  // x: [B, ...] int64 data; stage: [B] int64 (a stage per example). Results [B, ...] int64.
  virtual torch::Tensor past(const torch::Tensor& x, const torch::Tensor& stage) const = 0;
  virtual torch::Tensor future(const torch::Tensor& x, const torch::Tensor& stage) const = 0;
  // The symbol that takes x_past to x_future, and back: [B, ...] int64.
  virtual torch::Tensor symbol(const torch::Tensor& x_past, const torch::Tensor& x_future,
                               const torch::Tensor& stage) const = 0;
  virtual torch::Tensor value(const torch::Tensor& x_past, const torch::Tensor& symbol,
                              const torch::Tensor& stage) const = 0;
  // One value: the same maps on integers (the codec's decoder works value by value).
  virtual int64_t value_of(int64_t past, int64_t symbol, int64_t stage) const = 0;

  // Network outputs [B, O, ...] and x_past [B, ...] at stage s -> [B, A, ...] logits over the
  // stage's symbols (log_softmax over dim 1 gives its log-probabilities). The "..." may be
  // empty: [B, O] and [B], one row per value (the sampler passes only the values it draws).
  virtual torch::Tensor symbol_logits(const torch::Tensor& out, const torch::Tensor& x_past, int64_t stage) const = 0;
  // log p(symbol) at every value, in nats, [B, ...]: log_softmax of symbol_logits at `symbol`
  // ([B, ...] int64). A process may compute it without the A logits (the objective's use).
  virtual torch::Tensor symbol_log_prob(const torch::Tensor& out, const torch::Tensor& x_past,
                                        const torch::Tensor& symbol, int64_t stage) const;

 protected:
  DataSpec data_;
  int64_t num_stages_;
  std::string order_ = "random";
  friend std::shared_ptr<const Process> make_process(const ProcessConfig& cfg, const DataSpec& data);
};

// OA-ARDM (ProcessConfig::upscale == 0) or Upscale; throws std::invalid_argument for an
// unusable combination, saying why.
std::shared_ptr<const Process> make_process(const ProcessConfig& cfg, const DataSpec& data);

// The stage tensor of a batch that is all at stage s: [B] int64 on `device`.
torch::Tensor stage_tensor(int64_t batch, int64_t s, const torch::Device& device);

}  // namespace ardm
