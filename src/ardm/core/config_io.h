// Configs as "key=value" lines: stored in every checkpoint (readable with `strings`) and
// printed by `ardm train`. Unknown keys are an error, missing keys keep their defaults, so a
// checkpoint written before a field existed still loads.
#pragma once

#include <string>

#include "ardm/core/config.h"

namespace ardm {

std::string to_text(const ModelConfig& c);
std::string to_text(const ObjectiveConfig& c);
std::string to_text(const TrainConfig& c);
void from_text(const std::string& text, ModelConfig& c);
void from_text(const std::string& text, ObjectiveConfig& c);
void from_text(const std::string& text, TrainConfig& c);

// Throws std::invalid_argument unless the description is usable (shape, 2..65,536 classes,
// value type, absorbing value in 0..K; K itself is an extra input class, as text uses).
void check_spec(const DataSpec& d);
// Throws std::invalid_argument unless the process's order is "random", or "streams" for an
// OA-ARDM of sequences, and its history "none", or "match" or "mix" for an OA-ARDM of sequences.
void check_order(const ProcessConfig& p, const DataSpec& d);
// Whether a model codes with the streams plan (core/schedule_dp.h, streams_plan): the "streams"
// order, and the "adaptive" one wherever it does not read a chunk left to right.
bool streams_plan_order(const ProcessConfig& p);

// Checkpoint format v1 stored one image-UNet config ("channels=1", "ch=32", ...). Such
// models (OA-ARDM, UNet, 3-d uint8 data with absorbing K/2) keep that text as their identity:
// the codec's model fingerprint is computed over it, so files made before the model core was
// split keep decoding.
bool is_legacy_image_model(const ModelConfig& c);
std::string legacy_text(const ModelConfig& c);  // throws unless is_legacy_image_model(c)
void from_legacy_text(const std::string& text, ModelConfig& c);

// "1,2,2" <-> {1, 2, 2}; parse errors throw std::invalid_argument naming the text.
std::string join_ints(const std::vector<int64_t>& v);
std::vector<int64_t> parse_ints(const std::string& s);

}  // namespace ardm
