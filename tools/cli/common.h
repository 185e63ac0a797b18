// What the model subcommands share (LibTorch): the device, policies as text, a model's data.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "ardm/train/model.h"
#include "command.h"

namespace ardm::cli {

// Sets the intra-op threads; the device, checked to exist.
torch::Device setup(const Common& c);

std::string policy_text(const std::vector<int64_t>& p);      // "[0, 12, 40]"
// "[0, 12, 40]" for one stage; "stage 0 [0, 3] | stage 1 [0, 5, 9]" for several; long ones shortened.
std::string policies_text(const Policies& p, bool shorten);
std::string split_text(const Policies& p);                   // "[3, 5]": calls per stage

// A trained model's data of `split` from `source` (empty: the data it was trained on).
torch::Tensor model_data(const Model& m, std::string source, const std::string& split, int64_t limit);
const char* unit_of(const Model& m);   // bpd, bpc, bits/sample
const char* items_of(const Model& m);  // images, sequences, clips

}  // namespace ardm::cli
