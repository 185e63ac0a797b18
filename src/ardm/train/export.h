// A trained model as the engine's model file (engine/model_file.h): the EMA weights, the fixed
// orders, the loss tracker's sorted costs and the config. `ardm export` writes it; compress
// builds the same thing in memory when given a checkpoint.
#pragma once

#include <memory>
#include <string>

#include "ardm/engine/model_file.h"
#include "ardm/train/model.h"

namespace ardm {

engine::EngineModel engine_model_of(const Model& model);

// Writes engine_model_of(model) atomically; returns its fingerprint.
uint32_t write_engine_model(const std::string& path, const Model& model);

// A model for the codec from either kind of file: an engine model file as it is, a checkpoint
// through engine_model_of.
std::shared_ptr<const engine::EngineModel> load_engine_model(const std::string& path);

}  // namespace ardm
