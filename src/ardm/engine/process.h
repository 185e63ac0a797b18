// The processes of src/ardm/process/ (OA-ARDM and Upscale) on plain integers, for the engine's
// codec: what a value holds before and after each stage, the symbol a stage codes, and the
// stage's probabilities from the network's outputs. The twin tests hold them to the LibTorch
// classes.
#pragma once

#include <cstdint>
#include <vector>

#include "ardm/config.h"

namespace ardm::engine {

// What a network takes and gives (nets::NetIO without torch).
struct NetShape {
  std::vector<int64_t> data_shape;
  int64_t input_classes = 256, num_stages = 1, outputs_per_value = 256, max_time = 1;
};

class Rules {
 public:
  Rules(const DataSpec& data, const ProcessConfig& process);  // throws std::invalid_argument

  int64_t num_classes() const { return K_; }   // K
  int64_t num_stages() const { return S_; }    // S
  int64_t num_symbols() const { return A_; }   // A: K (OA) or b (Upscale)
  int64_t num_values() const { return D_; }    // D
  NetShape net_shape() const;

  // The value every location holds before stage 0 (OA: the absorbing value; Upscale: 0).
  int64_t start_value() const { return b_ == 0 ? absorbing_ : 0; }
  int64_t past(int64_t v, int64_t stage) const;    // what value v looks like before `stage`
  int64_t future(int64_t v, int64_t stage) const;  // ... and after it
  int64_t symbol(int64_t past, int64_t future, int64_t stage) const;
  int64_t value(int64_t past, int64_t symbol, int64_t stage) const;

  // The stage's unnormalised probabilities of the A symbols of one value, exp(l - max l) in
  // double, from the network's O outputs for that value and its past: w[A].
  void symbol_weights(const float* out, int64_t past, int64_t stage, double* w) const;

  // The weight of the digit a stage chooses: b^(S-1-stage) (OA-ARDM: 1).
  int64_t digit_weight(int64_t stage) const { return pow_[static_cast<size_t>(S_ - 1 - stage)]; }

 private:
  std::vector<int64_t> shape_;
  int64_t K_, S_, A_, D_, b_, absorbing_;
  bool direct_ = true;
  std::vector<int64_t> pow_;  // b^0 .. b^S
};

}  // namespace ardm::engine
