// LibTorch's codec: how files were made before the inference engine (engine/codec.h, which
// `ardm compress` uses now). Kept so those files keep decoding (`ardm decompress` falls back to
// it for them), and as the reference the engine's codec is measured against.
//
// Lossless compression of single items with a trained ARDM of any process (spec section 4): the
// model's fixed orders (one per stage), the optimal policies for the file's total budget, one
// network call per policy step, rANS over the process's symbols (OA-ARDM: the K classes;
// Upscale: one base-b digit per value per stage).
//
// Read me first:
//  * The encoder pushes symbols last to first (rANS is a stack): last stage first, last rank
//    first; the decoder pops them stage by stage, rank by rank, calling the network once per
//    policy step on what it has decoded so far.
//  * Decoding works only if the decoder computes, bit for bit, the frequency tables the encoder
//    used. LibTorch's CPU kernels do not give bit-identical outputs across batch sizes (measured:
//    up to 1.5e-3 between batch 1 and 64) nor, at batch 1, across intra-op thread counts. So the
//    codec never batches and never splits one network call across threads: every call is
//    [1, ...shape] with ONE intra-op thread (CodecThreads below), and parallelism comes from
//    coding several images at once on worker threads. The encoder and decoder then execute the
//    same kernels on the same inputs, whatever the number of images or threads.
//  * What is guaranteed: a file decodes exactly with the same model file and the same ardm build
//    (same LibTorch, same kind of CPU). Not guaranteed: another CPU family (oneDNN and OpenBLAS
//    pick kernels by instruction set), another LibTorch version, or a GPU. A mismatch is never
//    silent: the rANS stream does not end in the state that carries the check of the original
//    data (docs/format.md), and decoding stops with an error.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ardm/coding/rans.h"
#include "ardm/engine/item_coder.h"
#include "ardm/train/model.h"

namespace ardm {

class Codec : public engine::ItemCoder {
 public:
  // Codes with the model's EMA network on `device`. The model must outlive the codec.
  explicit Codec(Model& model, const torch::Device& device = torch::kCPU);

  // CRC-32 over everything that determines the probabilities: the evaluation and schedule
  // rules, configs, the fixed orders themselves, EMA weights and the loss tracker (which fixes
  // the policy of each budget). Format version 3 writes its low 16 bits and checks all 32.
  uint32_t fingerprint() const override { return fingerprint_; }
  // The fingerprint of format versions 1 and 2 (names the order seed, not the orders).
  uint32_t legacy_fingerprint() const { return legacy_fingerprint_; }
  // The model kind as version-2 files record it (legacy::process_code).
  uint32_t process_code() const;
  // The data shape the model codes (images: {C, H, W}).
  std::vector<uint32_t> shape() const override;
  int64_t num_values() const override { return num_values_; }
  int64_t num_classes() const override { return model_.data().num_classes; }
  int64_t num_stages() const override { return model_.num_stages(); }
  const Model& model() const { return model_; }


  // Encodes one item: num_values() values in row-major order of the shape, each below
  // num_classes(). `budget` network calls in all (num_stages()..num_stages()*num_values()).
  // Call from a thread set up by run_codec_workers.
  Encoded encode(const uint16_t* values, int64_t budget) const;
  // Decodes one checked payload (format version 3) into num_values() values; `check` gives the
  // 32-bit check of decoded values (coding::chunk_check). Throws coding::CodingError when the
  // stream is damaged: it does not end in the state that carries the values' check.
  std::vector<uint16_t> decode(const uint8_t* payload, size_t size, int64_t budget,
                               const Check& check) const override;
  // Decodes a payload of format versions 1 and 2 (its stream must end in the initial state L).
  std::vector<uint16_t> decode_legacy(const uint8_t* payload, size_t size, int64_t budget) const;

  // The policies of a total budget (the DP on the model's loss tracker, split over the
  // stages), cached.
  const Policies& policy(int64_t budget) const;

 private:
  // Symbol logits of one network call at stage s, rearranged to [D, A] (row = flat location)
  // contiguous float. x_in, x_past, known: [1, ...shape].
  torch::Tensor step_logits(const torch::Tensor& x_in, const torch::Tensor& x_past, const torch::Tensor& known,
                            int64_t stage, int64_t t) const;
  torch::Tensor values_tensor(const uint16_t* values) const;  // [1, ...shape] int64 on the device
  std::vector<uint16_t> decode_symbols(coding::RansDecoder& dec, int64_t budget) const;

  Model& model_;
  torch::Device device_;
  int64_t num_values_;
  std::vector<std::vector<int64_t>> location_of_rank_;  // per stage, the fixed order: rank r -> flat location
  std::vector<torch::Tensor> sigma_;                    // per stage, [1, ...shape] ranks
  uint32_t fingerprint_ = 0, legacy_fingerprint_ = 0;
  mutable std::mutex policy_mutex_;
  mutable std::map<int64_t, Policies> policies_;
};

// The rANS stream of `encoded` in format versions 1 and 2 (tests and old-file tools).
std::vector<uint8_t> legacy_payload(const Codec::Encoded& encoded);

// Runs work(i) for every i in [0, count) on `workers` threads, each network call inside it on a
// single intra-op thread (the codec's determinism rule). The calling thread is one of the workers;
// a reporter thread calls on_progress(done) about 4 times a second, and once at the end. An exception from work(i) is caught and
// returned as errors[i] (empty string: success), so one bad item never stops the others.
std::vector<std::string> run_codec_workers(int64_t count, int workers, const std::function<void(int64_t)>& work,
                                           const std::function<void(int64_t)>& on_progress = {});

}  // namespace ardm
