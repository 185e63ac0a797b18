// The byte-level pieces of the file containers (this folder's version 3, legacy/'s versions 1
// and 2): little-endian integers, LEB128 varints, and a bounds-checked cursor that reports
// "truncated" and "corrupted" as FormatError, never reading outside its buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ardm/coding/format.h"

namespace ardm::coding {

constexpr int kMaxVarintBytes = 5;

inline void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

// A bounds-checked cursor over the input.
struct ByteReader {
  const uint8_t* data;
  size_t size, pos = 0;

  size_t left() const { return size - pos; }
  uint8_t byte(const char* what) {
    if (pos >= size) throw FormatError(std::string("truncated: file ends inside the ") + what);
    return data[pos++];
  }
  uint32_t u32(const char* what) {
    if (left() < 4) throw FormatError(std::string("truncated: file ends inside the ") + what);
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= uint32_t{data[pos + b]} << (8 * b);
    pos += 4;
    return v;
  }
  uint64_t varint(const char* what) {
    uint64_t v = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      const uint8_t b = byte(what);
      v |= uint64_t{b & 0x7Fu} << (7 * i);
      if (!(b & 0x80)) {
        if (i > 0 && b == 0) throw FormatError(std::string("corrupted: overlong encoding of the ") + what);
        return v;
      }
    }
    throw FormatError(std::string("corrupted: the ") + what + " is longer than " + std::to_string(kMaxVarintBytes) +
                      " bytes");
  }
};

}  // namespace ardm::coding
