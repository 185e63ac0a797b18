// Read me first: the bit mixer of a sequence model (process.history = "mix"; the exact rules are
// docs/format.md's, "The bit mixer"). Where the match history (history.h) only says how far to
// trust one guessed value, the bit mixer codes each value as its binary digits, top first, and
// predicts every digit from several models mixed by an online logistic mixer:
//   * the network's own probability of the digit (from its quantized table),
//   * the values seen after the same 0, 1, 2, 3, 4 and 6 values before the location, anywhere
//     earlier in the row (adaptive counts per context and digit prefix, hashed),
//   * the match history's guess and second guess (history.h), while the digits so far agree.
// The mixer's weights, chosen by the match's length and how many values before the location
// are known, are learnt on the row as it is coded: a file that repeats itself is soon coded
// mostly from its own history, a short one mostly from the network.
//
// Integer arithmetic only, and nothing but the row's values and the network's quantized
// frequencies go in: the encoder and the decoder of any machine make the same digits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "ardm/coding/freq.h"

namespace ardm::engine {

class RowHistory;

class BitMixer {
 public:
  static constexpr int kOrders = 6;                                   // contexts of 0, 1, 2, 3, 4, 6 values
  static constexpr std::array<int, kOrders> kOrderLength{0, 1, 2, 3, 4, 6};
  static constexpr int kInputs = 1 + kOrders + 2 + 1;                // network, orders, guesses, bias
  static constexpr int kMatchBuckets = 5, kSets = kMatchBuckets + kOrders;  // the two mixers' weight sets
  static constexpr size_t kRefineContexts = 3 * 257;                        // digit prefix (or none) x guess
  static constexpr int kMinSlotBits = 12, kMaxSlotBits = 22;         // per context table
  static constexpr int kProbBits = 12;                               // a digit's coded probability

  BitMixer();

  // Grows the context tables for a row of n values (before the next chunk is coded): at least
  // 16 slots per value, doubling (each slot copied to both halves) up to 2^kMaxSlotBits.
  void fit(size_t n);

  // Codes the value at `loc` of the chunk that follows `history` (its values chunk[l], -1 while
  // unknown; D values) as ceil(log2 K) binary digits, K = net.size() (2..65536), top first:
  // code_digit(zero) gets each digit's frequency of 0 out of 2^net.precision (1 .. 2^p - 1) and
  // returns the digit (the encoder's, or the one decoded). Returns the value the digits make
  // (possibly >= K only if the decoder was given a stream not made this way). Learns from every
  // digit.
  int32_t code(const RowHistory& history, const int32_t* chunk, int64_t D, int64_t loc, const coding::FrequencyTable& net,
               const std::function<int(uint32_t zero, int digit)>& code_digit);

  // What the last value code() coded cost: the sum of its coded digits' digit_cost.
  int32_t last_cost() const { return last_cost_; }
  // A digit's cost in 1/256 bits when coded with the 12-bit probability p (1..4095): 256 x
  // log2(4096 / p) rounded down, from integers alone (the adaptive order decides by it).
  static int32_t digit_cost(int32_t p);

  // The logistic squash of a stretched probability d (1/256 units, clamped to +-2047) to 12
  // bits (1..4095), and its inverse.
  static int32_t squash(int32_t d);
  static int32_t stretch(int32_t p);

 private:
  struct Table {
    std::vector<uint32_t> slots;  // probability (22 bits) << 10 | count (10 bits)
    int bits = 0;
  };
  std::array<Table, kOrders> tables_;
  std::vector<uint32_t> guess_maps_;  // [2 * RowHistory::kRows]: P(the guessed digit is right), as a slot
  std::vector<int32_t> weights_;      // [kSets * kInputs], 1.0 = 65536
  std::vector<uint32_t> refine_;      // [kRefineContexts * 33]: P(1) at 33 stretched bins, as slots
  int32_t last_cost_ = 0;
};

}  // namespace ardm::engine
