// General-purpose compressors (xz/LZMA2, bzip2, zstd, brotli) through their C libraries, for
// coding arbitrary byte streams inside ardm's own container. The container already stores the
// exact length and a CRC-32 of the data, so the streams made here carry as little framing as
// each library allows:
//   xz      a raw LZMA2 stream (no .xz container, no check), preset 9|LZMA_PRESET_EXTREME with
//           the dictionary shrunk to the smallest power of two >= the size (4 KiB .. 64 MiB);
//           the decoder derives the same dictionary from `size`, so no byte records it.
//   bzip2   a bzip2 stream with 900 kB blocks, less its constant 4-byte header "BZh9".
//   zstd    level ZSTD_maxCLevel(), magicless frame, no content size, checksum or dictionary id.
//   brotli  quality 11, standard (not large) window; the window is chosen among a few sizes
//           around the smallest one covering the input and read back from the stream.
// An empty input codes to an empty stream for every compressor (and only an empty stream
// decodes to size 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ardm::kinds::general {

// The general-purpose compressors a byte stream may be coded with, in the order of their method
// codes.
enum class Compressor : uint8_t { kXz = 0, kBzip2 = 1, kZstd = 2, kBrotli = 3 };
constexpr int kCompressors = 4;

const char* name(Compressor c);  // "xz", "bzip2", "zstd", "brotli"

// Each at its strongest setting (xz: LZMA2 preset 9|LZMA_PRESET_EXTREME; bzip2: 900 kB blocks
// (-9); zstd: ZSTD_maxCLevel(); brotli: quality 11). Never fails for any input (only for lack
// of memory: std::bad_alloc, or std::runtime_error should a library refuse its own settings).
std::vector<uint8_t> compress(Compressor c, const uint8_t* data, size_t size);

// Decodes exactly `size` bytes from the n bytes at data. The input is hostile: throws
// ardm::coding::FormatError (message starting "corrupted: ") on any library error, a stream that
// ends early, one that would give more or fewer than `size` bytes, or trailing bytes after the
// stream. Memory stays bounded by `size` plus the library's own working memory, with every
// decoder window capped by what `size` needs (xz: the dictionary compress() uses for `size`;
// zstd: window log max(10, ceil(log2 size)); brotli: window log max(18, that of compress());
// bzip2: its fixed ~3.6 MB for 900 kB blocks). A lack of memory throws std::bad_alloc.
std::vector<uint8_t> decompress(Compressor c, const uint8_t* data, size_t n, size_t size);

}  // namespace ardm::kinds::general
