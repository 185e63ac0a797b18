// Lossless coding of items with the engine (codec.h's method on the deterministic network):
// the model's fixed orders, the optimal policies of a budget, one network call per policy step
// for a whole batch of items at once, rANS over the process's symbols.
//
// Because the engine's outputs are the same bits for any batch, thread count and instruction
// set, a file made here decodes on any machine; the codec batches items and uses every core.
// A mismatch is still never silent: the rANS stream must end in the state that carries the
// check of the decoded values (docs/format.md).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ardm/engine/history.h"
#include "ardm/engine/model_file.h"
#include "ardm/engine/net.h"
#include "ardm/engine/parallel.h"
#include "ardm/process/rules.h"
#include "ardm/engine/item_coder.h"

namespace ardm::engine {

using Policies = std::vector<std::vector<int64_t>>;

class EngineCodec : public ItemCoder {
 public:
  // threads: workers for every network call (>= 1).
  EngineCodec(std::shared_ptr<const EngineModel> model, int threads);

  uint32_t fingerprint() const override { return model_->fingerprint; }
  std::vector<uint32_t> shape() const override;
  int64_t num_values() const override { return rules_.num_values(); }
  int64_t num_classes() const override { return rules_.num_classes(); }
  int64_t num_stages() const override { return rules_.num_stages(); }
  std::vector<uint16_t> decode(const uint8_t* payload, size_t size, int64_t budget, const Check& check) const override;

  const EngineModel& model() const { return *model_; }
  // The most values before an item the network sees (DataSpec::context; 0: none).
  int64_t context() const { return model_->cfg.data.context; }
  const Rules& rules() const { return rules_; }
  // Whether the model mixes a row history into its predictions (ItemContext::history).
  bool mixes_history() const { return model_->cfg.process.history != "none"; }
  // Whether it codes each value's binary digits with the bit mixer (process.history = "mix").
  bool mixes_bits() const { return model_->cfg.process.history == "mix"; }
  int threads() const { return pool_->size(); }

  // Throws std::invalid_argument unless S' <= budget <= S' * D for the S' coded stages.
  void check_budget(int64_t budget, int64_t stages = 0) const;
  // What a budget codes with over the first `stages` stages (0: all S), cached: per stage the
  // policy (the calls' first ranks) and the order. The model's "random" order: its exported fixed
  // orders and the optimal policies (schedule_dp.h on the exported costs); "streams": the
  // budget's streams_plan (schedule_dp.h).
  struct Plan {
    Policies policies;
    std::vector<std::vector<uint32_t>> orders;  // [stage][rank] -> location
    std::vector<std::vector<uint32_t>> ranks;   // [stage][location] -> rank
  };
  const Plan& plan(int64_t budget, int64_t stages = 0) const;
  const Policies& policy(int64_t budget, int64_t stages = 0) const { return plan(budget, stages).policies; }
  // The adaptive order (process.order = "adaptive", with the bit mixer): an item with a row history
  // is coded left to right instead of in the streams order when the budget's streams plan has more
  // than one run, the history holds at least kSequentialAfter values (in a short file the mixer
  // has learnt too little to do without fresh network outputs) and the bit mixer coded the row's
  // last chunk in under kSequentialBelow / 256 bits per value. Such an item calls the network at its first value and again after each value
  // that cost more than kSurprise / 256 bits, while the streams plan's count of calls lasts; the
  // values in between are coded from the last call's outputs and the mixer's fresh contexts.
  // On a file of tables, where the mixer does most of the work, a run's first values (which see
  // none of the bytes just before them) cost more than the network's stale outputs.
  static constexpr int64_t kSequentialAfter = 2048, kSequentialBelow = 384, kSurprise = 512;
  // Per item of a batch (its history, or null): whether the adaptive order codes it left to right.
  std::vector<bool> sequential(const std::vector<RowHistory*>& history, int64_t budget, int64_t stages = 0) const;

  // The stages that decide a value's top `bits` bits (its lower digits all zero), when the model's
  // digits split there: for 8-bit audio under a 16-bit model, 2 of b = 16's 4 stages, 8 of b = 2's
  // 16. 0 when they do not (b = 8 splits 16 bits as 1 + 3 + 3 + 3 + 3 + 3).
  int64_t stages_for_bits(int64_t bits) const;

  // Encodes items of num_values() values (each below num_classes()) together. lengths (one per
  // item, or empty: all full): an item of length n < D has only its first n values (a file's
  // tail); the others are absent: held at the start value, never known, never coded, so its
  // symbols are those of its present values, in the same decoding order.
  // stages > 0 codes only the first `stages` stages: every present value must then be what they
  // make (its lower digits zero), and decoding the same stages gives it back.
  //
  // A model with a context (context() = C > 0) sees up to C values before each item, given
  // (contexts: one per item, or empty: none): `length` values (0..C) ending just before the
  // item, oldest first, each below num_classes(). The decoder must give the same.
  //
  // A model with a history mixer (process.history = "match" or "mix") also takes the item's row
  // history (engine/history.h): holding exactly the row's values before the item, it is consulted
  // and taught while the item is coded; the decoder must give one that went through the same.
  // None: the network's predictions alone. With "mix" an item with a history is coded as its
  // values' binary digits (engine/mixer.h), several symbols per value.
  //
  // A model of image tiles with a margin (an image shape and context() = M > 0) sees instead
  // each tile's window (context_size() values: [C, H + M, W + M], the tile at the bottom right,
  // whose own values are ignored), kAbsentPixel where a pixel is absent (outside the image, or
  // not coded yet); length is context_size(), or 0 for a window of absent pixels.
  //
  // layouts (one per item, or empty; a null one: by its length) say what each of an item's D
  // values is: kCoded, kAbsent (never known, never coded, held at the start value), or j >= 0:
  // a copy of value j (a gray photo's second and third channels), which is never coded either
  // but is known from the call whose ranks hold it on, with value j's value; j must be coded
  // and come before it in every stage's order, and the item must hold the same value at both.
  struct ItemContext {
    const uint16_t* values = nullptr;
    int64_t length = 0;
    RowHistory* history = nullptr;
  };
  static constexpr int32_t kCoded = -1, kAbsent = -2;
  static constexpr uint16_t kAbsentPixel = 0xFFFF;
  // The values of a context (a model of sequences: context(); of tiles: the window's).
  int64_t context_size() const;
  std::vector<Encoded> encode_batch(const std::vector<const uint16_t*>& items, int64_t budget,
                                    const std::vector<int64_t>& lengths = {}, int64_t stages = 0,
                                    const std::vector<ItemContext>& contexts = {},
                                    const std::vector<const int32_t*>& layouts = {}) const;
  Encoded encode(const uint16_t* values, int64_t budget) const { return encode_batch({values}, budget)[0]; }

  struct Payload {
    const uint8_t* data = nullptr;
    size_t size = 0;
    Check check;        // given all D values (absent ones at the start value)
    int64_t length = -1;  // present values (encode_batch's lengths); -1: all D
    ItemContext context;  // the values before the item (models with a context)
    // A stream shared by the items of a row (format version 4): the item's symbols are read
    // from it and it is left for the next item, unchecked (the caller checks it at the row's
    // end); data, size and check are then unused.
    coding::RansDecoder* stream = nullptr;
    const int32_t* layout = nullptr;  // or what each value is (encode_batch's layouts; null: by length)
  };
  struct Decoded {
    std::vector<uint16_t> values;
    std::string error;  // empty: decoded and checked
  };
  // Decodes payloads of one budget together; a damaged one fails alone.
  std::vector<Decoded> decode_batch(const std::vector<Payload>& items, int64_t budget, int64_t stages = 0) const;

 private:
  std::shared_ptr<const EngineModel> model_;
  Rules rules_;
  std::unique_ptr<Net> net_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<int64_t> lengths_or_full(const std::vector<int64_t>& lengths, size_t count) const;
  mutable std::mutex run_mutex_;  // one batch at a time on the pool
  mutable std::mutex policy_mutex_;
  mutable std::map<std::pair<int64_t, int64_t>, Plan> plans_;  // (budget, stages)
  int64_t coded_stages(int64_t stages) const;  // 0 -> S; else checked to be 1..S
  // The network's context inputs of a batch ([B, C] right-aligned, [B] lengths; tiles: [B,
  // context_size()] windows, -1 where absent), checked.
  void context_inputs(const std::vector<ItemContext>& contexts, size_t count, std::vector<int32_t>& values,
                      std::vector<int64_t>& lengths) const;
  // Each item's row history when the model mixes one (else all null); checked to be distinct.
  std::vector<RowHistory*> histories(const std::vector<ItemContext>& contexts, size_t count) const;
  // After a batch: each history's record of the chunk just coded (RowHistory::last_chunk_cost).
  void end_chunks(const std::vector<RowHistory*>& history, const std::vector<int64_t>& length,
                  const std::vector<int64_t>& cost) const;
};

}  // namespace ardm::engine
