#include "ardm/kinds/text/general.h"

// zstd's magicless frame format and stable output buffer are "experimental" parameters: plain
// enum values passed through ZSTD_CCtx_setParameter / ZSTD_DCtx_setParameter, which the shared
// library (1.5.x) accepts as well as a static one.
#define ZSTD_STATIC_LINKING_ONLY
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <bzlib.h>
#include <lzma.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#include "ardm/coding/format.h"

namespace ardm::kinds::general {
namespace {

using coding::FormatError;

[[noreturn]] void corrupted(Compressor c, const std::string& what) {
  throw FormatError(std::string("corrupted: ") + name(c) + " stream " + what);
}

// The smallest k with 2^k >= x (0 for x <= 1).
int ceil_log2(size_t x) {
  int k = 0;
  while (k < 63 && (size_t{1} << k) < x) ++k;
  return k;
}

// Largest chunk handed to a library that counts in unsigned int.
constexpr size_t kUintChunk = size_t{1} << 30;

// ---------------------------------------------------------------- xz (raw LZMA2)

constexpr int kLzmaMinDictLog = 12;  // LZMA_DICT_SIZE_MIN, 4 KiB
constexpr int kLzmaMaxDictLog = 26;  // preset 9's 64 MiB

// The dictionary for `size` bytes, on both sides: the next power of two >= size, 4 KiB .. 64 MiB.
// A decoder whose dictionary is at least the size of its output can follow every distance
// a valid stream may hold, so the stream need not record it.
uint32_t lzma_dict_size(size_t size) {
  const int k = std::clamp(ceil_log2(size), kLzmaMinDictLog, kLzmaMaxDictLog);
  return uint32_t{1} << k;
}

void lzma_filter_for(size_t size, lzma_options_lzma* opt, lzma_filter filters[2]) {
  if (lzma_lzma_preset(opt, 9 | LZMA_PRESET_EXTREME))
    throw std::runtime_error("xz: liblzma refused preset 9e");
  opt->dict_size = std::min(opt->dict_size, lzma_dict_size(size));
  filters[0].id = LZMA_FILTER_LZMA2;
  filters[0].options = opt;
  filters[1].id = LZMA_VLI_UNKNOWN;
  filters[1].options = nullptr;
}

struct LzmaStream {
  lzma_stream s = LZMA_STREAM_INIT;
  ~LzmaStream() { lzma_end(&s); }
};

std::vector<uint8_t> xz_compress(const uint8_t* data, size_t size) {
  lzma_options_lzma opt;
  lzma_filter filters[2];
  lzma_filter_for(size, &opt, filters);
  LzmaStream st;
  const lzma_ret init = lzma_raw_encoder(&st.s, filters);
  if (init == LZMA_MEM_ERROR) throw std::bad_alloc();
  if (init != LZMA_OK) throw std::runtime_error("xz: liblzma refused the LZMA2 encoder");
  // LZMA2 never expands by more than 3 bytes per 64 KiB chunk plus its end marker.
  std::vector<uint8_t> out(size + size / 16384 + 64);
  st.s.next_in = data;
  st.s.avail_in = size;
  size_t pos = 0;
  for (;;) {
    if (pos == out.size()) out.resize(out.size() + out.size() / 2 + 64);
    st.s.next_out = out.data() + pos;
    st.s.avail_out = out.size() - pos;
    const lzma_ret r = lzma_code(&st.s, LZMA_FINISH);
    pos = out.size() - st.s.avail_out;
    if (r == LZMA_STREAM_END) break;
    if (r == LZMA_MEM_ERROR) throw std::bad_alloc();
    if (r != LZMA_OK) throw std::runtime_error("xz: LZMA2 encoder failed");
  }
  out.resize(pos);
  return out;
}

void xz_decompress(const uint8_t* data, size_t n, uint8_t* out, size_t size) {
  constexpr Compressor c = Compressor::kXz;
  lzma_options_lzma opt;
  lzma_filter filters[2];
  lzma_filter_for(size, &opt, filters);
  size_t in_pos = 0, out_pos = 0;
  // The single-call decoder tells a truncated stream (LZMA_DATA_ERROR) from one that would
  // give more than `size` bytes (LZMA_BUF_ERROR), and stops at the end marker.
  const lzma_ret r = lzma_raw_buffer_decode(filters, nullptr, data, &in_pos, n, out, &out_pos, size);
  switch (r) {
    case LZMA_OK:
      break;
    case LZMA_MEM_ERROR:
      throw std::bad_alloc();
    case LZMA_BUF_ERROR:
      corrupted(c, "is truncated or decodes to more than the expected size");
    case LZMA_DATA_ERROR:
      corrupted(c, "is invalid or truncated");
    default:
      corrupted(c, "is invalid (liblzma error " + std::to_string(int(r)) + ")");
  }
  if (out_pos != size) corrupted(c, "ends early");
  if (in_pos != n) corrupted(c, "has trailing bytes");
}

// ---------------------------------------------------------------- bzip2

constexpr uint8_t kBzHeader[4] = {'B', 'Z', 'h', '9'};

struct BzCompress {
  bz_stream s{};
  bool live = false;
  ~BzCompress() {
    if (live) BZ2_bzCompressEnd(&s);
  }
};

struct BzDecompress {
  bz_stream s{};
  bool live = false;
  ~BzDecompress() {
    if (live) BZ2_bzDecompressEnd(&s);
  }
};

std::vector<uint8_t> bzip2_compress(const uint8_t* data, size_t size) {
  BzCompress st;
  const int init = BZ2_bzCompressInit(&st.s, 9, 0, 0);
  if (init == BZ_MEM_ERROR) throw std::bad_alloc();
  if (init != BZ_OK) throw std::runtime_error("bzip2: libbz2 refused -9");
  st.live = true;
  // libbz2's documented bound: 1% more than the input plus 600 bytes.
  std::vector<uint8_t> out(size + size / 100 + 600);
  size_t in_pos = 0, out_pos = 0;
  for (;;) {
    if (out_pos == out.size()) out.resize(out.size() + out.size() / 2 + 64);
    const size_t in_chunk = std::min(size - in_pos, kUintChunk);
    const size_t out_chunk = std::min(out.size() - out_pos, kUintChunk);
    st.s.next_in = const_cast<char*>(reinterpret_cast<const char*>(data + in_pos));
    st.s.avail_in = static_cast<unsigned>(in_chunk);
    st.s.next_out = reinterpret_cast<char*>(out.data() + out_pos);
    st.s.avail_out = static_cast<unsigned>(out_chunk);
    // BZ_FINISH only once all the input is in sight: libbz2 then takes no new input.
    const bool last = in_pos + in_chunk == size;
    const int r = BZ2_bzCompress(&st.s, last ? BZ_FINISH : BZ_RUN);
    in_pos += in_chunk - st.s.avail_in;
    out_pos += out_chunk - st.s.avail_out;
    if (r == BZ_STREAM_END) break;
    if (r != BZ_RUN_OK && r != BZ_FINISH_OK) throw std::runtime_error("bzip2: compression failed");
  }
  if (out_pos < sizeof kBzHeader || std::memcmp(out.data(), kBzHeader, sizeof kBzHeader) != 0)
    throw std::runtime_error("bzip2: unexpected stream header");
  out.erase(out.begin(), out.begin() + sizeof kBzHeader);
  out.resize(out_pos - sizeof kBzHeader);
  return out;
}

void bzip2_decompress(const uint8_t* data, size_t n, uint8_t* out, size_t size) {
  constexpr Compressor c = Compressor::kBzip2;
  BzDecompress st;
  const int init = BZ2_bzDecompressInit(&st.s, 0, 0);
  if (init == BZ_MEM_ERROR) throw std::bad_alloc();
  if (init != BZ_OK) throw std::runtime_error("bzip2: libbz2 refused the decoder");
  st.live = true;
  // Input: the header this module drops, then the stream; output: `size` bytes, then one
  // spare byte that any further output would land in.
  uint8_t spare = 0;
  bool header_done = false, in_spare = false;
  size_t in_pos = 0, out_pos = 0;
  st.s.next_in = const_cast<char*>(reinterpret_cast<const char*>(kBzHeader));
  st.s.avail_in = sizeof kBzHeader;
  for (;;) {
    if (header_done) {
      const size_t in_chunk = std::min(n - in_pos, kUintChunk);
      st.s.next_in = const_cast<char*>(reinterpret_cast<const char*>(data + in_pos));
      st.s.avail_in = static_cast<unsigned>(in_chunk);
    }
    size_t out_chunk;
    if (out_pos < size) {
      out_chunk = std::min(size - out_pos, kUintChunk);
      st.s.next_out = reinterpret_cast<char*>(out + out_pos);
    } else {
      in_spare = true;
      out_chunk = 1;
      st.s.next_out = reinterpret_cast<char*>(&spare);
    }
    st.s.avail_out = static_cast<unsigned>(out_chunk);
    const unsigned in_before = st.s.avail_in;
    const int r = BZ2_bzDecompress(&st.s);
    const size_t consumed = in_before - st.s.avail_in;
    const size_t produced = out_chunk - st.s.avail_out;
    if (header_done) in_pos += consumed;
    if (in_spare) {
      if (produced) corrupted(c, "decodes to more than the expected size");
    } else {
      out_pos += produced;
    }
    if (r == BZ_MEM_ERROR) throw std::bad_alloc();
    if (r == BZ_STREAM_END) break;
    if (r != BZ_OK) corrupted(c, "is invalid (libbz2 error " + std::to_string(r) + ")");
    if (!header_done && st.s.avail_in == 0) {
      header_done = true;
      continue;
    }
    if (consumed == 0 && produced == 0) {
      if (header_done && in_pos == n) corrupted(c, "is truncated");
      corrupted(c, "is invalid (the decoder stalled)");
    }
  }
  if (!header_done) corrupted(c, "is invalid");  // cannot happen: the header holds no end
  if (out_pos != size) corrupted(c, "ends early");
  if (in_pos != n || st.s.avail_in != 0) corrupted(c, "has trailing bytes");
}

// ---------------------------------------------------------------- zstd

// The decoder's window limit for `size` bytes: the encoder, told the input size, shrinks its
// window log to ceil(log2(size)), and never below zstd's minimum of 10.
int zstd_window_log_max(size_t size) {
  return std::clamp(ceil_log2(size), ZSTD_WINDOWLOG_MIN, ZSTD_WINDOWLOG_MAX);
}

std::vector<uint8_t> zstd_compress(const uint8_t* data, size_t size) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) throw std::bad_alloc();
  struct Free {
    ZSTD_CCtx* p;
    ~Free() { ZSTD_freeCCtx(p); }
  } guard{cctx};
  auto set = [&](ZSTD_cParameter p, int v) {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, p, v)))
      throw std::runtime_error("zstd: libzstd refused a compression parameter");
  };
  set(ZSTD_c_compressionLevel, ZSTD_maxCLevel());
  set(ZSTD_c_checksumFlag, 0);
  set(ZSTD_c_dictIDFlag, 0);
  // Without the content size the frame header keeps a one-byte window descriptor instead of
  // a 1..8-byte size field: never larger, and the decoder's window stays capped by `size`.
  set(ZSTD_c_contentSizeFlag, 0);
  set(ZSTD_c_format, ZSTD_f_zstd1_magicless);
  std::vector<uint8_t> out(ZSTD_compressBound(size));
  const size_t r = ZSTD_compress2(cctx, out.data(), out.size(), data, size);
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) throw std::bad_alloc();
    throw std::runtime_error(std::string("zstd: compression failed: ") + ZSTD_getErrorName(r));
  }
  out.resize(r);
  return out;
}

void zstd_decompress(const uint8_t* data, size_t n, uint8_t* out, size_t size) {
  constexpr Compressor c = Compressor::kZstd;
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (!dctx) throw std::bad_alloc();
  struct Free {
    ZSTD_DCtx* p;
    ~Free() { ZSTD_freeDCtx(p); }
  } guard{dctx};
  auto set = [&](ZSTD_dParameter p, int v) {
    if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, p, v)))
      throw std::runtime_error("zstd: libzstd refused a decompression parameter");
  };
  set(ZSTD_d_format, ZSTD_f_zstd1_magicless);
  set(ZSTD_d_windowLogMax, zstd_window_log_max(size));
  // Decode straight into the caller's buffer (zstd allocates no window of its own); the buffer
  // has one byte more than `size`, so a stream that would give more than `size` bytes shows
  // either as an error or as that extra byte.
  set(ZSTD_d_stableOutBuffer, 1);
  ZSTD_inBuffer in{data, n, 0};
  ZSTD_outBuffer ob{out, size + 1, 0};
  for (;;) {
    const size_t in_before = in.pos, out_before = ob.pos;
    const size_t r = ZSTD_decompressStream(dctx, &ob, &in);
    if (ZSTD_isError(r)) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) throw std::bad_alloc();
      corrupted(c, std::string("is invalid (") + ZSTD_getErrorName(r) + ")");
    }
    if (ob.pos > size) corrupted(c, "decodes to more than the expected size");
    if (r == 0) break;  // the frame is complete; the decoder stops there
    if (in.pos == in_before && ob.pos == out_before) {
      if (in.pos == in.size) corrupted(c, "is truncated");
      corrupted(c, "is invalid (the decoder stalled)");
    }
  }
  if (ob.pos != size) corrupted(c, "ends early");
  if (in.pos != n) corrupted(c, "has trailing bytes");
}

// ---------------------------------------------------------------- brotli

// The smallest window log whose reach, 2^w - 16 bytes, covers `size`, as the brotli command
// line picks it for a file of that size (10 .. 24).
int brotli_covering_lgwin(size_t size) {
  int w = BROTLI_MIN_WINDOW_BITS;
  while (w < BROTLI_MAX_WINDOW_BITS && (size_t{1} << w) - 16 < size) ++w;
  return w;
}

// Inputs up to this size also try the window one smaller than the covering one: it sometimes
// parses better (GPL-3: 11 bytes smaller), at the price of a second run of quality 11 (about
// 2 s per MB), which larger inputs, where it seldom helps, are spared.
constexpr size_t kBrotliSmallerWindowMax = size_t{256} << 10;

// The window logs compress() tries for `size` bytes, and so the largest one decompress()
// accepts: the covering one, the next smaller one (inputs up to kBrotliSmallerWindowMax),
// 16 (a 1-bit window code) and 18 (a 4-bit code, where the covering 17 takes 7 bits).
std::vector<int> brotli_candidates(size_t size) {
  const int cov = brotli_covering_lgwin(size);
  std::vector<int> w{cov};
  if (cov > BROTLI_MIN_WINDOW_BITS && size <= kBrotliSmallerWindowMax) w.push_back(cov - 1);
  if (cov < 16) w.push_back(16);
  if (cov == 17) w.push_back(18);
  return w;
}

int brotli_max_lgwin(size_t size) { return std::max(18, brotli_covering_lgwin(size)); }

// The window log a standard brotli stream begins with (RFC 7932 section 9.1), or 0 when the
// code is the reserved one (large-window streams use it).
int brotli_stream_lgwin(uint8_t first) {
  if ((first & 1) == 0) return 16;
  const int n = (first >> 1) & 7;
  if (n != 0) return 17 + n;
  const int m = (first >> 4) & 7;
  if (m == 0) return 17;
  if (m == 1) return 0;
  return 8 + m;
}

std::vector<uint8_t> brotli_compress(const uint8_t* data, size_t size) {
  const size_t bound = BrotliEncoderMaxCompressedSize(size);
  if (bound == 0) throw std::runtime_error("brotli: input too large");
  std::vector<uint8_t> best, out(bound);
  for (const int lgwin : brotli_candidates(size)) {
    size_t n = out.size();
    if (!BrotliEncoderCompress(BROTLI_MAX_QUALITY, lgwin, BROTLI_MODE_GENERIC, size, data, &n,
                               out.data()))
      throw std::runtime_error("brotli: compression failed");
    if (best.empty() || n < best.size()) best.assign(out.begin(), out.begin() + n);
  }
  return best;
}

void brotli_decompress(const uint8_t* data, size_t n, uint8_t* out, size_t size) {
  constexpr Compressor c = Compressor::kBrotli;
  if (n == 0) corrupted(c, "is truncated");
  const int lgwin = brotli_stream_lgwin(data[0]);
  if (lgwin == 0) corrupted(c, "has a reserved window code");
  if (lgwin > brotli_max_lgwin(size)) corrupted(c, "has a window too large for its size");
  BrotliDecoderState* st = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (!st) throw std::bad_alloc();
  struct Free {
    BrotliDecoderState* p;
    ~Free() { BrotliDecoderDestroyInstance(p); }
  } guard{st};
  const uint8_t* next_in = data;
  size_t avail_in = n;
  uint8_t spare = 0;
  size_t out_pos = 0;
  for (;;) {
    const bool in_spare = out_pos == size;
    uint8_t* next_out = in_spare ? &spare : out + out_pos;
    const size_t out_chunk = in_spare ? 1 : size - out_pos;
    size_t avail_out = out_chunk;
    const size_t in_before = avail_in;
    const BrotliDecoderResult r =
        BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    const size_t produced = out_chunk - avail_out;
    if (in_spare && produced) corrupted(c, "decodes to more than the expected size");
    if (!in_spare) out_pos += produced;
    if (r == BROTLI_DECODER_RESULT_SUCCESS) break;
    if (r == BROTLI_DECODER_RESULT_ERROR) {
      const BrotliDecoderErrorCode e = BrotliDecoderGetErrorCode(st);
      if (e <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES && e >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES)
        throw std::bad_alloc();
      corrupted(c, std::string("is invalid (") + BrotliDecoderErrorString(e) + ")");
    }
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) corrupted(c, "is truncated");
    // NEEDS_MORE_OUTPUT: go on into the rest of the buffer or the spare byte.
    if (produced == 0 && avail_in == in_before && !(out_pos == size && !in_spare))
      corrupted(c, "is invalid (the decoder stalled)");
  }
  if (out_pos != size) corrupted(c, "ends early");
  if (avail_in != 0) corrupted(c, "has trailing bytes");
}

}  // namespace

const char* name(Compressor c) {
  switch (c) {
    case Compressor::kXz: return "xz";
    case Compressor::kBzip2: return "bzip2";
    case Compressor::kZstd: return "zstd";
    case Compressor::kBrotli: return "brotli";
  }
  return "unknown";
}

std::vector<uint8_t> compress(Compressor c, const uint8_t* data, size_t size) {
  if (size == 0) return {};
  switch (c) {
    case Compressor::kXz: return xz_compress(data, size);
    case Compressor::kBzip2: return bzip2_compress(data, size);
    case Compressor::kZstd: return zstd_compress(data, size);
    case Compressor::kBrotli: return brotli_compress(data, size);
  }
  throw std::invalid_argument("general::compress: unknown compressor");
}

std::vector<uint8_t> decompress(Compressor c, const uint8_t* data, size_t n, size_t size) {
  if (static_cast<unsigned>(c) >= static_cast<unsigned>(kCompressors))
    throw FormatError("corrupted: unknown general-purpose compressor");
  if (size == 0) {
    if (n != 0) corrupted(c, "has trailing bytes");
    return {};
  }
  if (size == std::numeric_limits<size_t>::max()) throw std::bad_alloc();
  std::vector<uint8_t> out;
  // zstd decodes into one spare byte past `size` (see zstd_decompress).
  out.reserve(c == Compressor::kZstd ? size + 1 : size);
  out.resize(c == Compressor::kZstd ? size + 1 : size);
  switch (c) {
    case Compressor::kXz: xz_decompress(data, n, out.data(), size); break;
    case Compressor::kBzip2: bzip2_decompress(data, n, out.data(), size); break;
    case Compressor::kZstd: zstd_decompress(data, n, out.data(), size); break;
    case Compressor::kBrotli: brotli_decompress(data, n, out.data(), size); break;
  }
  out.resize(size);
  return out;
}

}  // namespace ardm::kinds::general
