// rANS entropy coder: 64-bit state, 32-bit renormalisation, a stack.
//
// Read me first (the invariants everything below relies on):
//  * Precision n (1..31): every symbol has an integer frequency f >= 1 and a start c with
//    c + f <= 2^n; the frequencies of one distribution sum to exactly 2^n (see freq.h, the one
//    function that makes them).
//  * State x always lies in [L, L * 2^32) with L = 2^31, between symbols, in encoder and decoder.
//  * Encoding symbol (c, f): if x >= x_max(f) = 2^(63 - n) * f, emit the low 32 bits and shift
//    x right by 32 (once is enough); then x <- (x / f) * 2^n + (x mod f) + c. Decoding reverses it
//    exactly: slot = x mod 2^n identifies the symbol (c <= slot < c + f), x <- f * (x >> n) + slot - c,
//    and while x < L, x <- x * 2^32 + next word.
//  * It is a stack: the decoder pops symbols in the reverse order of the encoder's pushes. So a
//    caller encodes its symbols last to first, and the decoder reads them first to last.
//  * Every state starts at L, and a stream decoded completely returns every state to L with
//    every word consumed: RansDecoder::check_finished() checks that, a free integrity test.
//  * Lanes: several independent states share one word stream (interleaving: symbol i on lane
//    i mod lanes lets a decoder's arithmetic on consecutive symbols overlap). The decoder must
//    use each lane for exactly the symbols the encoder used it for, in reverse order.
//  * Byte stream (in decode order): each lane's final state as two little-endian 32-bit words
//    (low, high), lane 0 first; then the renormalisation words, in the reverse of the order they
//    were emitted. Its length is a multiple of 4 and at least 8 * lanes. The cost over the ideal
//    code length is the initial state (31 bits per lane) plus what the final state does not fill:
//    between 4 and 8 bytes per lane. (Format versions 1 and 2.)
//  * Checked streams (format version 3, one lane): the initial state is x0 = 2^k + (check mod 2^k)
//    for a 32-bit check of the data, k in 20..31, which may lie below L: the encoder emits no
//    word until its state passes L, so the decoder reads a word only while x < L *and* words
//    remain, and ends at exactly x0. The final state is written in the fewest bytes (at least
//    5 when there are words, so the length of the stream tells the state's size). The k bits
//    of x0 are the file's integrity check; see docs/format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ardm::coding {

// 24 bits: the quantization loss bound -log2(1 - K / 2^n) is 2.2e-5 bits per symbol at
// K = 256 and 0.0056 at K = 65,536, while 2^(31 - 24) = 128 leaves the renormalisation enough
// headroom; see bench/rans_bench.cpp for the overhead measured at 16, 20, 24 and 28 bits.
constexpr uint32_t kDefaultPrecision = 24;

// Thrown for malformed or truncated input and for misuse (bad frequencies). Never an abort.
class CodingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CodedSymbol {
  uint32_t start = 0;
  uint32_t freq = 0;
};

// Smallest and largest k of a checked stream's initial state 2^k + (check mod 2^k).
constexpr int kMinCheckBits = 20, kMaxCheckBits = 31;

// Encodes `symbols` (given in DECODE order) as a checked stream carrying `check`. Tries
// k = 31 down to 21 and keeps the largest k whose stream is no longer than with k = 20.
std::vector<uint8_t> encode_checked(const std::vector<CodedSymbol>& symbols, uint32_t check,
                                    uint32_t precision = kDefaultPrecision);

// Smallest stream that checked streams can have: a state of 2^20 or more needs 3 bytes.
constexpr size_t kMinCheckedStream = 3;

class RansEncoder {
 public:
  explicit RansEncoder(uint32_t precision = kDefaultPrecision, int lanes = 1);

  // Pushes one symbol with start `start` and frequency `freq` (start + freq <= 2^precision).
  void put(uint32_t start, uint32_t freq, int lane = 0);

  // Flushes the states and returns the stream in decode order; the encoder is reset.
  std::vector<uint8_t> finish();

  // Checked streams: one lane started at `x0` (>= 1) instead of L, flushed in the fewest bytes.
  void start_checked(uint64_t x0);
  std::vector<uint8_t> finish_checked();

  uint32_t precision() const { return precision_; }
  int lanes() const { return static_cast<int>(state_.size()); }

 private:
  uint32_t precision_;
  std::vector<uint64_t> state_;
  std::vector<uint32_t> words_;  // emitted renormalisation words, in emission order
};

class RansDecoder {
 public:
  // Reads the lanes' states from the start of `data` (which must outlive the decoder).
  RansDecoder(const uint8_t* data, size_t size, uint32_t precision = kDefaultPrecision, int lanes = 1);

  // A checked stream (one lane; see the read-me): throws CodingError when its length or its
  // state's encoding is impossible.
  static RansDecoder checked(const uint8_t* data, size_t size, uint32_t precision = kDefaultPrecision);

  // The slot in [0, 2^precision) that identifies the next symbol of `lane`.
  uint32_t peek(int lane = 0) const { return static_cast<uint32_t>(state_[static_cast<size_t>(lane)] & mask_); }

  // Consumes the symbol (start, freq) that peek() identified. Throws CodingError when the
  // symbol does not contain the slot or the stream runs out of words.
  void advance(uint32_t start, uint32_t freq, int lane = 0);

  // Throws CodingError unless every word was consumed and every state is back at its start.
  void check_finished() const;
  // Checked streams: throws CodingError unless every word was consumed and the state is
  // 2^k + (check mod 2^k) for some k in kMinCheckBits..kMaxCheckBits.
  void check_finished(uint32_t check) const;

 private:
  RansDecoder(const uint8_t* data, uint32_t precision);
  bool checked_ = false;
  const uint8_t* data_;
  size_t size_, pos_;
  uint32_t precision_;
  uint64_t mask_;
  std::vector<uint64_t> state_;
};

}  // namespace ardm::coding
