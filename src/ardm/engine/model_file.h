// The engine's model file (.ardmnet, written by `ardm export`): everything a decoder needs to
// code with a trained model and nothing else, readable without LibTorch. Little-endian:
//
//   "ARDMNET1"                      8 bytes
//   u32 n, n bytes                  the model config as key=value lines (config_io.h)
//   u64                             the training step of the weights (information only)
//   u32 S, u32 D                    stages and values per item
//   S * D u32                       per stage, the fixed order: rank r -> flat location
//   S * D f64                       per stage, the loss tracker's per-step costs sorted descending
//                                   (the quincunx order: in step order, each group's costs sorted)
//   u32 P, then P parameters:       u16 n, n bytes name; u8 rank; rank u32 sizes; float32 values
//   u32                             CRC-32 of every byte before it
//
// The reader treats the file as hostile: sizes are checked against the bytes left before any
// allocation, orders must be permutations, costs finite, and the CRC must match.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ardm/core/config.h"

namespace ardm::engine {

struct Param {
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major
};

struct EngineModel {
  ModelConfig cfg;
  int64_t step = 0;
  std::vector<std::vector<uint32_t>> orders;  // [S][D]: rank -> flat location
  std::vector<double> costs;                  // [S * D], stage after stage (sorted, or in step order: above)
  std::map<std::string, Param> params;
  // CRC-32 of the file's bytes after the engine's recipe text (model_file.cpp): what format
  // version 3 records as the model id. Set by serialize and parse_model.
  uint32_t fingerprint = 0;

  int64_t num_stages() const { return static_cast<int64_t>(orders.size()); }
  int64_t num_values() const { return orders.empty() ? 0 : static_cast<int64_t>(orders[0].size()); }
  // The parameter `name`, which must have `shape`; throws std::runtime_error naming what is wrong.
  const Param& param(const std::string& name, const std::vector<int64_t>& shape) const;
  bool has(const std::string& name) const { return params.count(name) != 0; }
};

// The file's bytes; sets model.fingerprint.
std::vector<uint8_t> serialize(EngineModel& model);
// Throws std::runtime_error starting with `name` for anything malformed.
EngineModel parse_model(const uint8_t* data, size_t size, const std::string& name);
EngineModel read_model(const std::string& path);
// Only the model config at the start of the file at `path` (no weights, no checksum): what a
// model codes, cheaply. Throws std::runtime_error when it is no model file.
ModelConfig read_model_config(const std::string& path);

// True when the bytes start like an engine model file.
bool is_model_file(const uint8_t* data, size_t size);

}  // namespace ardm::engine
