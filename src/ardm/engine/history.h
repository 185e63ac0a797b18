// Read me first: the history mixer of a sequence model (process.history = "match"; the exact
// rules are docs/format.md's, "The history mixer"). A network sees a chunk and the C values
// before it; a long file repeats itself far further back (the same identifier, the same line of
// a table, the same paragraph of a licence). While a chunk is coded, a match model over every
// value before it in its row guesses each value from the longest repeat it finds, and an
// adaptive table, learnt on the row as it is coded, says how far to trust the guess given the
// match's length and the network's own probability of it. The guess's frequency in the
// network's quantized table is set to the table's estimate (which starts as the network's own
// probability) and the other values share the rest in proportion.
//
// Integer arithmetic only, and nothing but the row's values and the network's quantized
// frequencies go in: the encoder and the decoder of any machine make the same tables.
// One RowHistory per row, used by one chunk at a time, the row's chunks in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "ardm/coding/freq.h"
#include "ardm/engine/mixer.h"

namespace ardm::engine {

class RowHistory {
 public:
  // A guess: the value `gap` places after the most recent repeat of the known values ending
  // `gap` places before a location (0: just before it), and how many of those agree (0: no guess).
  // second: the best of the repeats that guess another value (-1: none), with its length.
  struct Guess {
    int32_t value = -1;
    int32_t length = 0;
    int32_t gap = 0;
    int32_t second = -1;
    int32_t second_length = 0;
  };
  // What a guess was mixed with: the adaptive table's cell (for update()).
  struct Mixed {
    int32_t cell = -1;   // cell of the table (row * kBins + bin), -1: nothing mixed
    int32_t weight = 0;  // 0..3: how far between bin and bin + 1 the network's probability lay
    int32_t value = -1;  // the guessed symbol
    int32_t second_cell = -1, second_weight = 0, second = -1;  // the same for the second guess
  };

  static constexpr int kShortKey = 2, kLongKey = 6;  // values a repeat must agree on
  static constexpr int kMaxLength = 64;              // a match is measured up to this far back
  static constexpr int kCandidates = 32;             // repeats tried per key, the most recent first
  // Rows: 16 length buckets of guesses with no gap, 8 of gap x length; x stretch bins (quarter bits).
  static constexpr int kRows = 24, kBins = 33;

  RowHistory();

  // Appends the row's next values (the values before the chunk coded next, in row order).
  void extend(const uint16_t* values, size_t n);
  size_t size() const { return values_.size(); }

  // The guess for location `loc` of the chunk that follows the history. chunk[l] is the chunk's
  // value at l, or -1 while it is unknown (not yet coded); D values. Where the values just before
  // `loc` are not known (the first of a run in the streams order), the guess reads on from the
  // nearest known ones, across the gap.
  // across_unknown (the bit mixer's): a repeat is measured across values not yet coded (up to
  // 2 kMaxLength places back), counting the known ones that agree, up to the first that does not.
  Guess guess(const int32_t* chunk, int64_t D, int64_t loc, bool across_unknown = false) const;

  // Sets the guessed value's frequency in `table` (a quantized distribution over at least
  // guess.value + 1 symbols, precision >= 16) to the adaptive estimate and scales the others to
  // the rest, every frequency kept >= 1; returns what to update() once the value is known. A
  // table with no guess is left as it is.
  Mixed mix(const Guess& g, coding::FrequencyTable& table) const;
  // Teaches the adaptive table whether the guess was right.
  void update(const Mixed& m, int32_t value);

  // The value at chunk index i (< 0: the history's, counted back from its end), -1 unknown.
  int32_t value_at(const int32_t* chunk, int64_t i) const;
  // The adaptive table's row of a guess (0..kRows - 1).
  static int row_of(const Guess& g);

  // The bit mixer of a model with process.history = "mix" (mixer.h), learnt on this row.
  BitMixer mixer;
  // The bit mixer's cost of the row's last chunk (1/256 bits, BitMixer::last_cost summed) and its
  // values (0: none yet): how the adaptive order codes the next chunk (EngineCodec::sequential).
  int64_t last_chunk_cost = 0, last_chunk_values = 0;

 private:
  // Open addressing from a key's 64-bit hash (never 0) to the most recent position after it;
  // earlier[q]: the position after the same hash before q (kNone: none).
  struct Index {
    static constexpr uint32_t kNone = 0xFFFFFFFFu;
    std::vector<uint64_t> hash;
    std::vector<uint32_t> pos, earlier;
    size_t used = 0;
    void put(uint64_t h, uint32_t p);
    int64_t get(uint64_t h) const;  // -1: none
    void insert(uint64_t h, uint32_t q);  // q: the next position (earlier grows by one)
  };
  std::vector<uint16_t> values_;
  Index short_, long_;
  std::vector<int32_t> prob_;    // [2 * kRows * kBins]: P(guess right) in 1/65536; then the second guesses
  std::vector<uint8_t> count_;   // updates seen per cell (the learning rate), capped

  bool key_hash(const int32_t* chunk, int64_t loc, int k, uint64_t& h) const;
  Guess match_at(const int32_t* chunk, int64_t anchor, int64_t gap, bool across_unknown) const;
  // Sets `value`'s frequency from the table's cells of `row` (first: 0, second guesses: kRows
  // rows on); returns the cell and weight read.
  std::pair<int32_t, int32_t> set(coding::FrequencyTable& table, int32_t value, int32_t row) const;
  void learn(int32_t cell, int32_t weight, bool right);
  static uint64_t hash_of(const int32_t* v, int k);
};

}  // namespace ardm::engine
