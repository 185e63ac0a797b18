#include "ardm/coding/rans.h"

#include <algorithm>

namespace ardm::coding {
namespace {

constexpr uint64_t kLow = uint64_t{1} << 31;  // L: the lower bound of every state

void check_precision(uint32_t precision, int lanes) {
  if (precision < 1 || precision > 31)
    throw CodingError("rANS precision must be 1..31 bits, got " + std::to_string(precision));
  if (lanes < 1 || lanes > 64) throw CodingError("rANS lanes must be 1..64, got " + std::to_string(lanes));
}

uint32_t read_word(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

size_t bytes_for(uint64_t x) {
  size_t n = 1;
  while (n < 8 && (x >> (8 * n)) != 0) ++n;
  return n;
}

// The number of bytes a checked stream's final state takes: the fewest that hold it, at least
// 5 when words follow (so that (length - 5) mod 4 tells it apart from the words).
size_t checked_state_bytes(uint64_t x, size_t words) { return words == 0 ? bytes_for(x) : std::max<size_t>(5, bytes_for(x)); }

uint64_t check_state(int k, uint32_t check) {
  return (uint64_t{1} << k) + (uint64_t{check} & ((uint64_t{1} << k) - 1));
}

}  // namespace

RansEncoder::RansEncoder(uint32_t precision, int lanes) : precision_(precision) {
  check_precision(precision, lanes);
  state_.assign(static_cast<size_t>(lanes), kLow);
}

void RansEncoder::put(uint32_t start, uint32_t freq, int lane) {
  if (freq == 0 || uint64_t{start} + freq > (uint64_t{1} << precision_))
    throw CodingError("rANS: symbol (start " + std::to_string(start) + ", freq " + std::to_string(freq) +
                      ") does not fit " + std::to_string(precision_) + "-bit precision");
  if (lane < 0 || lane >= lanes()) throw CodingError("rANS: lane " + std::to_string(lane) + " out of range");
  uint64_t& x = state_[static_cast<size_t>(lane)];
  const uint64_t x_max = (uint64_t{1} << (63 - precision_)) * freq;  // ((L >> n) << 32) * f
  if (x >= x_max) {
    words_.push_back(static_cast<uint32_t>(x));
    x >>= 32;
  }
  x = ((x / freq) << precision_) + (x % freq) + start;
}

std::vector<uint8_t> RansEncoder::finish() {
  // Decode order: lane states (lane 0 first, low word first), then the words, last emitted first.
  std::vector<uint32_t> out;
  out.reserve(2 * state_.size() + words_.size());
  for (uint64_t x : state_) {
    out.push_back(static_cast<uint32_t>(x));
    out.push_back(static_cast<uint32_t>(x >> 32));
  }
  out.insert(out.end(), words_.rbegin(), words_.rend());
  std::vector<uint8_t> bytes(out.size() * 4);
  for (size_t i = 0; i < out.size(); ++i)
    for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<uint8_t>(out[i] >> (8 * b));
  std::fill(state_.begin(), state_.end(), kLow);
  words_.clear();
  return bytes;
}

void RansEncoder::start_checked(uint64_t x0) {
  if (lanes() != 1) throw CodingError("rANS: checked streams have one lane");
  if (x0 == 0 || x0 >= (uint64_t{1} << 63)) throw CodingError("rANS: initial state out of range");
  state_[0] = x0;
  words_.clear();
}

std::vector<uint8_t> RansEncoder::finish_checked() {
  if (lanes() != 1) throw CodingError("rANS: checked streams have one lane");
  const uint64_t x = state_[0];
  const size_t n = checked_state_bytes(x, words_.size());
  std::vector<uint8_t> bytes;
  bytes.reserve(n + 4 * words_.size());
  for (size_t b = 0; b < n; ++b) bytes.push_back(static_cast<uint8_t>(x >> (8 * b)));
  for (auto it = words_.rbegin(); it != words_.rend(); ++it)
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<uint8_t>(*it >> (8 * b)));
  state_[0] = kLow;
  words_.clear();
  return bytes;
}

std::vector<uint8_t> encode_checked(const std::vector<CodedSymbol>& symbols, uint32_t check, uint32_t precision) {
  RansEncoder enc(precision);
  auto encode = [&](int k) {
    enc.start_checked(check_state(k, check));
    for (size_t i = symbols.size(); i-- > 0;) enc.put(symbols[i].start, symbols[i].freq);
    return enc.finish_checked();
  };
  auto shortest = encode(kMinCheckBits);
  // The last byte of the state is rarely full: spend its unused bits on a longer check.
  for (int k = kMaxCheckBits; k > kMinCheckBits; --k) {
    auto s = encode(k);
    if (s.size() <= shortest.size()) return s;
  }
  return shortest;
}

RansDecoder::RansDecoder(const uint8_t* data, uint32_t precision)
    : checked_(true), data_(data), size_(0), pos_(0), precision_(precision), mask_((uint64_t{1} << precision) - 1) {
  check_precision(precision, 1);
}

RansDecoder RansDecoder::checked(const uint8_t* data, size_t size, uint32_t precision) {
  RansDecoder d(data, precision);
  if (size < kMinCheckedStream)
    throw CodingError("rANS stream truncated: " + std::to_string(size) + " bytes cannot hold a state");
  // P <= 8: no words, the state is all of it; else the state is 5..8 bytes and P - n words.
  const size_t n = size <= 8 ? size : 5 + (size - 5) % 4;
  uint64_t x = 0;
  for (size_t b = 0; b < n; ++b) x |= uint64_t{data[b]} << (8 * b);
  const size_t words = (size - n) / 4;
  if (checked_state_bytes(x, words) != n || (words > 0 && x < kLow) || x >= (uint64_t{1} << 63))
    throw CodingError("rANS stream corrupted: invalid final state");
  d.size_ = size;
  d.pos_ = n;
  d.state_.push_back(x);
  return d;
}

RansDecoder::RansDecoder(const uint8_t* data, size_t size, uint32_t precision, int lanes)
    : data_(data), size_(size), pos_(0), precision_(precision), mask_((uint64_t{1} << precision) - 1) {
  check_precision(precision, lanes);
  if (size % 4 != 0) throw CodingError("rANS stream length " + std::to_string(size) + " is not a multiple of 4");
  if (size < 8 * static_cast<size_t>(lanes))
    throw CodingError("rANS stream truncated: " + std::to_string(size) + " bytes cannot hold " +
                      std::to_string(lanes) + " state(s)");
  for (int i = 0; i < lanes; ++i) {
    const uint64_t x = uint64_t{read_word(data_ + pos_)} | (uint64_t{read_word(data_ + pos_ + 4)} << 32);
    pos_ += 8;
    if (x < kLow || x >= (uint64_t{1} << 63)) throw CodingError("rANS stream corrupted: invalid initial state");
    state_.push_back(x);
  }
}

void RansDecoder::advance(uint32_t start, uint32_t freq, int lane) {
  if (lane < 0 || lane >= static_cast<int>(state_.size()))
    throw CodingError("rANS: lane " + std::to_string(lane) + " out of range");
  uint64_t& x = state_[static_cast<size_t>(lane)];
  const uint64_t slot = x & mask_;
  if (freq == 0 || slot < start || slot - start >= freq)
    throw CodingError("rANS: symbol (start " + std::to_string(start) + ", freq " + std::to_string(freq) +
                      ") does not contain slot " + std::to_string(slot));
  x = freq * (x >> precision_) + (slot - start);
  if (x < kLow && !(checked_ && pos_ == size_)) {
    if (size_ - pos_ < 4) throw CodingError("rANS stream truncated: ran out of data while decoding");
    x = (x << 32) | read_word(data_ + pos_);
    pos_ += 4;
  }
}

void RansDecoder::check_finished() const {
  if (pos_ != size_)
    throw CodingError("rANS stream corrupted: " + std::to_string(size_ - pos_) + " bytes left after the last symbol");
  for (uint64_t x : state_)
    if (x != kLow) throw CodingError("rANS stream corrupted: final state does not match the initial state");
}

void RansDecoder::check_finished(uint32_t check) const {
  if (!checked_) throw CodingError("rANS: not a checked stream");
  if (pos_ != size_)
    throw CodingError("rANS stream corrupted: " + std::to_string(size_ - pos_) + " bytes left after the last symbol");
  const uint64_t x = state_[0];
  int k = 0;
  while (k < 63 && (x >> (k + 1)) != 0) ++k;  // the bit length of x, less one
  if (k < kMinCheckBits || k > kMaxCheckBits || x != check_state(k, check))
    throw CodingError("rANS stream corrupted: the check failed (the decoded data is not the original)");
}

}  // namespace ardm::coding
