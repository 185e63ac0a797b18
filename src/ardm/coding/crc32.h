// CRC-32 (the ISO-HDLC / zlib / PNG polynomial, reflected 0xEDB88320): the same values as
// zlib's crc32(), written here so that the coding layer and the decoder build for any target
// without zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ardm::coding {

// Continues `crc` (0 to start) over `size` bytes: crc32(crc32(0, a), b) = crc32 of a then b.
uint32_t crc32_update(uint32_t crc, const void* data, size_t size);
// The same over a string's bytes and its terminating zero (names hashed one after another
// cannot run together).
inline uint32_t crc32_text(uint32_t crc, const std::string& s) { return crc32_update(crc, s.c_str(), s.size() + 1); }

}  // namespace ardm::coding
