// The one interface every network implements, and the one place that builds a network from
// its config. A network knows nothing of the objective: it maps the current values, the
// "known" mask, the step and the stage to one vector of outputs per value.
//
// Adding a network: a folder nets/<net>/ with options.h (the options, their names in the config
// text, validate() and the shapes they derive, no torch), <net>.h/.cpp (an `XImpl : NetImpl`) and
// engine.cpp (its engine twin); its options in NetConfig and config_io's table; one line here and
// one in engine/net.cpp.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "ardm/core/config.h"
#include "ardm/core/net_io.h"

namespace ardm::nets {

// What the model core asks of a network: the process derives it from the data (core/net_io.h).
using NetIO = ::ardm::NetIO;

// The values a sequence network sees before its item (io.context > 0), all of them given.
struct Context {
  torch::Tensor values;  // [B, C] int64 final values (C = io.context), oldest first
  torch::Tensor length;  // [B] int64 in 0..C: only the last length[b] of row b are present
};

struct NetImpl : torch::nn::Module {
  // x_in: [B, ...data_shape] int64 in [0, input_classes); known: [B, ...data_shape] bool;
  // t: [B] int64 global step (stage * D + known count); stage: [B] int64 in [0, num_stages).
  // Returns [B, O, ...data_shape] float32. A network with a context sees none here.
  virtual torch::Tensor forward(const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                                const torch::Tensor& stage) = 0;
  // The same with the values before the item given (networks that take a context only).
  virtual torch::Tensor forward_in_context(const torch::Tensor& x_in, const torch::Tensor& known,
                                           const torch::Tensor& t, const torch::Tensor& stage, const Context& context);
  NetIO io;
};
using Net = std::shared_ptr<NetImpl>;

// Builds cfg.type ("unet") for `io`; throws std::invalid_argument for an unknown type or a
// data shape the network cannot take.
Net make_net(const NetConfig& cfg, const NetIO& io);

// Number of trainable parameters.
int64_t parameter_count(const torch::nn::Module& m);

// Sinusoidal embedding of t (already scaled to [0, 1000]): [B] float -> [B, dim] float32.
torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim);

// x in float32 when it is bfloat16 or half (under autocast), else x itself. Normalization
// layers take their input through it (they compute in float32, as CUDA autocast has them do, and
// LibTorch 1.13's CPU GroupNorm and LayerNorm refuse a bfloat16 input with float32 weights), and
// so do the objective's log-softmax and sums.
torch::Tensor full_precision(const torch::Tensor& x);

}  // namespace ardm::nets
