// Plain configuration structs with defaults. The CLI fills them; every checkpoint stores them
// (see model.cpp), so `eval` and later commands need only the checkpoint path.
//
// A model is three independent choices (ModelConfig): what the data is (DataSpec), what a
// generation step means (ProcessConfig: OA-ARDM or Upscale), and which network predicts it
// (NetConfig). The process derives what the network must take and give (nets/net.h, NetIO).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ardm/nets/diffwave/options.h"
#include "ardm/nets/transformer/options.h"
#include "ardm/nets/unet/options.h"

namespace ardm {

// What one data item is, independent of any network: an integer array of `shape` (any rank;
// images: {C, H, W}) with values in [0, num_classes).
struct DataSpec {
  std::vector<int64_t> shape = {1, 28, 28};
  int64_t num_classes = 256;     // K, 2..65,536
  int64_t absorbing = 128;       // OA-ARDM's value of unknown positions (images: K / 2, a real class)
  std::string value_type = "uint8";  // how items are stored: uint8 (K <= 256) or uint16 (K <= 65,536)
  // What the values mean: "image" ({C, H, W} pixels), text with a vocabulary: "text8"
  // (27 classes: space, a-z) or "bytes" (256 classes: any byte), or "audio" (16-bit PCM
  // samples s as s + 32,768, K = 65,536). Text and audio shapes are {L}.
  std::string kind = "image";
  // Sequences: the values before an item that the network also sees, as given (the chunks of a
  // stream coded with the ones before them known). 0: none. An item of the data set is then
  // context + shape[0] values; the process and its D cover the last shape[0] alone.
  // Images: a margin of M = context pixels: the item is a tile of a larger image, and the
  // network also sees the M rows above it and the M columns to its left (those coded before
  // it). An item of the data set is then the window {C, M + H, M + W}, the tile at its bottom
  // right; the process and its D cover the tile alone.
  int64_t context = 0;

  int64_t num_values() const;    // D = prod(shape)
};

// The image data description for K classes and shape {C, H, W}.
DataSpec image_spec(int64_t channels, int64_t height, int64_t width, int64_t num_classes = 256);
// The text data description: sequences of `length` symbols of vocabulary "text8" or "bytes";
// the absorbing state is an extra input class K (spec section 1), never a real symbol.
DataSpec text_spec(const std::string& vocab, int64_t length);
// The audio data description: clips of `length` 16-bit mono samples, values s + 32,768 in
// [0, 65,536); absorbing K / 2 = 32,768 (digital silence, a real value, as for images).
DataSpec audio_spec(int64_t length);

// What a generation step means (spec sections 1 and 2).
struct ProcessConfig {
  int64_t upscale = 0;                   // 0: OA-ARDM (one stage); b >= 2: Upscale ARDM with branching factor b
  std::string parametrization = "matrix";  // Upscale only: "matrix" (K logits per value), "direct" (S*b) or "logistic" (core/logistic.h)
  // The fixed order exact likelihoods and the codec use: "random" (seeded by
  // ObjectiveConfig::order_seed, the budget's steps merged by the dynamic program; training
  // draws uniform random orders, as for the sequence orders below), "dyadic" (coarse to fine:
  // the positions whose index has more trailing zero bits first, seeded random within each such
  // level, objective.h sample_dyadic_orders; training and the bounds draw orders of that family,
  // the steps merged by the dynamic program) or, for an OA-ARDM of sequences, "streams" (core/schedule_dp.h, streams_plan: for a
  // budget B the D values as ceil(D / B) runs, each left to right, one value of every run per call)
  // or "adaptive" (with history "mix": the streams order, except that a chunk after one the bit
  // mixer coded cheaply is coded left to right, calling the network where a value surprised it;
  // engine/codec.h, EngineCodec::sequential).
  std::string order = "random";
  // What the codec mixes into the network's predictions: "none", or for an OA-ARDM of sequences
  // "match" (engine/history.h: a match model over every value before the chunk in its row, with
  // an adaptive table learnt on the row as it is coded) or "mix" (engine/mixer.h: each value's
  // binary digits from the network, the row's contexts and its match model, mixed online).
  std::string history = "none";
};

// The networks' options: each in its own folder (nets/<net>/options.h), beside its module and
// its engine twin.
// Which network, and its options. nets::make_net is the only place that reads `type`.
struct NetConfig {
  std::string type = "unet";  // "unet" (images), "transformer" (text) or "diffwave" (audio)
  UNetConfig unet;
  TransformerConfig transformer;
  DiffWaveConfig diffwave;
};

struct ModelConfig {
  DataSpec data;
  ProcessConfig process;
  NetConfig net;
};

// The training objective (spec sections 1 and 2).
struct ObjectiveConfig {
  std::string t_sampling = "uniform";  // "uniform" or "antithetic"
  double ce_term = 0.001;              // weight of the auxiliary unweighted cross-entropy
  uint64_t order_seed = 0;             // seed of the fixed orders used for exact likelihoods and coding
};

struct TrainConfig {
  std::string data = "fashion-mnist";  // "fashion-mnist", a folder of PNG files, or text (data/text.h)
  int64_t limit = 0;                   // use only the first N training images (0 = all)
  int64_t steps = 2000;
  int64_t batch = 32;
  std::string optimizer = "adam";      // "adam" or "adamw"
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;           // decoupled, only with adamw
  int64_t warmup = 100;                // linear warm-up steps (0 = none)
  int64_t lr_decay = 0;                // the last N of `steps` lower the rate linearly to a tenth (0 = none)
  double head_lr = 1.0;                // the grown prediction head's rate, as a multiple of the rest's
  double clip = 100.0;                 // global gradient-norm clip (0 = off)
  double ema_decay = 0.999;
  uint64_t seed = 0;
  int64_t checkpoint_every = 250;
  int64_t log_every = 10;              // metrics.jsonl rows
};

}  // namespace ardm
