// What a file reader and writer (image_file.h) needs of a codec, without naming how the
// network runs: the engine's codec (engine/codec.h, the one that makes files) and LibTorch's
// (codec.h, kept to read files made before the engine) both provide it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "ardm/coding/rans.h"

namespace ardm::engine {

class ItemCoder {
 public:
  struct Encoded {
    std::vector<coding::CodedSymbol> symbols;  // every symbol's (start, freq), in decoding order
    double model_bits = 0;  // exact code length -log2 p(x) under the network's probabilities
    // Or the finished, checked rANS stream of several items (an image's column of tiles,
    // codec/stream.h), its symbols already coded and dropped.
    std::vector<uint8_t> payload;
  };
  using Check = std::function<uint32_t(const std::vector<uint16_t>&)>;

  virtual ~ItemCoder() = default;
  // The 32-bit model id of format version 3 (its low 16 bits are written, all 32 are checked).
  virtual uint32_t fingerprint() const = 0;
  virtual std::vector<uint32_t> shape() const = 0;
  virtual int64_t num_values() const = 0;
  virtual int64_t num_classes() const = 0;
  virtual int64_t num_stages() const = 0;
  // One checked payload (version 3) -> num_values() values; throws coding::CodingError when the
  // stream does not end in the state that carries check(values).
  virtual std::vector<uint16_t> decode(const uint8_t* payload, size_t size, int64_t budget, const Check& check) const = 0;
};

}  // namespace ardm::engine
