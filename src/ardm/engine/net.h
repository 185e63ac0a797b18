// The engine's networks: each is the twin of a LibTorch network in its folder
// (nets/<net>/engine.cpp, beside the module and the options.h both share), built from an
// exported model file by the module's parameter names; make_net is the one switch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ardm/engine/model_file.h"
#include "ardm/engine/parallel.h"
#include "ardm/process/rules.h"

namespace ardm::engine {

// One network call for a batch of B items of D values each.
struct NetBatch {
  int64_t batch = 0;
  const int32_t* x = nullptr;      // [B, D] input classes, item order (images: C, H, W)
  const uint8_t* known = nullptr;  // [B, D] 1 = known
  const int64_t* t = nullptr;      // [B] global step: stage * D + known count
  const int64_t* stage = nullptr;  // [B]
  // [B, D] or null: 1 = the caller reads this value's outputs. Others may be left at zero (the
  // codec reads only the values a step generates; the last layer then runs at those alone).
  const uint8_t* wanted = nullptr;
  // Networks with a context (shape().context = C > 0): the C values before each item, oldest
  // first, of which only the last context_length[b] are present ([B, C] and [B]; null: none).
  const int32_t* context = nullptr;
  const int64_t* context_length = nullptr;
  // What begin() made of this batch's context, or null (forward then computes it itself).
  const struct NetState* state = nullptr;
};

// What a network computes from an item's context alone, kept across the steps of the item.
struct NetState {
  virtual ~NetState() = default;
};

class Net {
 public:
  explicit Net(NetIO shape) : shape_(std::move(shape)) {}
  virtual ~Net() = default;
  const NetIO& shape() const { return shape_; }
  // [B, D, O] float32: the O outputs of every value, contiguous. The same bits for any batch
  // size, thread count and instruction set.
  virtual std::vector<float> forward(const NetBatch& in, ThreadPool& pool) const = 0;
  // The part of the network that sees only the batch's context (in.context, in.context_length),
  // computed once for all of an item's steps; null for a network without a context. The same
  // bits as forward computing it itself.
  virtual std::unique_ptr<NetState> begin(const NetBatch& in, ThreadPool& pool) const { return nullptr; }

 protected:
  NetIO shape_;
};

// Builds the model's network (cfg.net.type); throws std::runtime_error when the file's
// parameters do not fit it.
std::unique_ptr<Net> make_net(const EngineModel& model);

// The image UNet (unet.cpp).
std::unique_ptr<Net> make_unet(const EngineModel& model, NetIO shape);
// The text Transformer (transformer.cpp).
std::unique_ptr<Net> make_transformer(const EngineModel& model, NetIO shape);

// The audio DiffWave (diffwave.cpp).
std::unique_ptr<Net> make_diffwave(const EngineModel& model, NetIO shape);

// Sinusoidal embedding of t already scaled to [0, 1000] (nets::timestep_embedding): [dim].
std::vector<float> timestep_embedding(float t, int64_t dim);

}  // namespace ardm::engine
