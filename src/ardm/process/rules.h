// The processes of this folder (OA-ARDM and Upscale) on plain integers, for the engine's codec
// (no torch; built into the engine): what a value holds before and after each stage, the symbol
// a stage codes, and the stage's probabilities from the network's outputs. The stage arithmetic
// and what the network takes and gives are core/'s, shared with the LibTorch processes beside
// this file; the twin tests hold the two to each other.
#pragma once

#include <cstdint>
#include <vector>

#include "ardm/core/config.h"
#include "ardm/core/net_io.h"

namespace ardm::engine {


class Rules {
 public:
  Rules(const DataSpec& data, const ProcessConfig& process);  // throws std::invalid_argument

  int64_t num_classes() const { return K_; }   // K
  int64_t num_stages() const { return S_; }    // S
  int64_t num_symbols() const { return A_; }   // A: K (OA) or b (Upscale)
  int64_t num_values() const { return D_; }    // D
  NetIO net_io() const { return ardm::net_io(data_, process_); }

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
  DataSpec data_;
  ProcessConfig process_;
  int64_t K_, S_, A_, D_, b_, absorbing_;
  enum class Param { kDirect, kMatrix, kLogistic } param_ = Param::kDirect;
  // The logistic parametrization's log-probabilities of the b digits (core/logistic.h): l[b].
  void logistic_logits(const float* out, int64_t past, int64_t stage, double* l) const;
  std::vector<int64_t> pow_;  // b^0 .. b^S
};

}  // namespace ardm::engine
