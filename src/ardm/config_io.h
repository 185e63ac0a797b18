// Configs as "key=value" lines: stored in every checkpoint (readable with `strings`) and
// printed by `ardm train`. Unknown keys are an error, missing keys keep their defaults, so a
// checkpoint written before a field existed still loads.
#pragma once

#include <string>

#include "ardm/config.h"

namespace ardm {

std::string to_text(const ModelConfig& c);
std::string to_text(const ObjectiveConfig& c);
std::string to_text(const TrainConfig& c);
void from_text(const std::string& text, ModelConfig& c);
void from_text(const std::string& text, ObjectiveConfig& c);
void from_text(const std::string& text, TrainConfig& c);

// "1,2,2" <-> {1, 2, 2}; parse errors throw std::invalid_argument naming the text.
std::string join_ints(const std::vector<int64_t>& v);
std::vector<int64_t> parse_ints(const std::string& s);

}  // namespace ardm
