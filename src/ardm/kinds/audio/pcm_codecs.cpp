#include "ardm/kinds/audio/pcm_codecs.h"

#include <FLAC/format.h>
#include <FLAC/stream_decoder.h>
#include <FLAC/stream_encoder.h>
#include <wavpack/wavpack.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "ardm/coding/format.h"

namespace ardm::kinds::pcm {
namespace {

using coding::FormatError;

[[noreturn]] void corrupted(const std::string& what) { throw FormatError("corrupted: " + what); }

constexpr size_t kChunkFrames = 4096;  // frames converted and handed to a library at a time

bool format_ok(const Format& f) {
  if (f.channels < 1 || f.channels > 8 || f.rate < 1) return false;
  if (f.bits != 8 && f.bits != 16 && f.bits != 24 && f.bits != 32) return false;
  return !f.is_float || f.bits == 32;
}

// The largest frame count each codec's stream can state (WavPack: 40 bits less the "unknown"
// marker; FLAC: STREAMINFO's 36 bits, 0 meaning unknown) and size_t can address as bytes.
uint64_t max_frames(Codec c, const Format& f) {
  const uint64_t codec_max = c == Codec::kFlac ? (uint64_t{1} << 36) - 1 : (uint64_t{1} << 40) - 2;
  const uint64_t bytes_max = std::numeric_limits<size_t>::max() / (f.channels * (f.bits / 8));
  return std::min(codec_max, bytes_max);
}

// ---- sample conversion between WAV bytes and the libraries' right-justified int32 ----

void to_int32(const uint8_t* s, size_t count, uint32_t bits, int32_t* out) {
  switch (bits) {
    case 8:
      for (size_t i = 0; i < count; ++i) out[i] = int32_t(s[i]) - 128;
      break;
    case 16:
      for (size_t i = 0; i < count; ++i, s += 2) out[i] = int16_t(uint16_t(s[0] | s[1] << 8));
      break;
    case 24:
      for (size_t i = 0; i < count; ++i, s += 3) {
        const uint32_t u = uint32_t(s[0]) | uint32_t(s[1]) << 8 | uint32_t(s[2]) << 16;
        out[i] = int32_t(u << 8) >> 8;
      }
      break;
    default:  // 32-bit integers, or floats passed as their bit patterns
      for (size_t i = 0; i < count; ++i, s += 4)
        out[i] = int32_t(uint32_t(s[0]) | uint32_t(s[1]) << 8 | uint32_t(s[2]) << 16 |
                         uint32_t(s[3]) << 24);
  }
}

void put_sample(int32_t v, uint32_t bits, uint8_t* d) {
  const uint32_t u = uint32_t(v);
  switch (bits) {
    case 8: d[0] = uint8_t(u + 128); break;
    case 16: d[0] = uint8_t(u); d[1] = uint8_t(u >> 8); break;
    case 24: d[0] = uint8_t(u); d[1] = uint8_t(u >> 8); d[2] = uint8_t(u >> 16); break;
    default: d[0] = uint8_t(u); d[1] = uint8_t(u >> 8); d[2] = uint8_t(u >> 16); d[3] = uint8_t(u >> 24);
  }
}

bool in_range(int32_t v, uint32_t bits) {
  if (bits >= 32) return true;
  const int32_t lim = int32_t(1) << (bits - 1);
  return v >= -lim && v < lim;
}

uint32_t get_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
void put_le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16); p[3] = uint8_t(v >> 24);
}
void append_varint(std::vector<uint8_t>& out, uint32_t v) {
  while (v >= 0x80) { out.push_back(uint8_t(v | 0x80)); v >>= 7; }
  out.push_back(uint8_t(v));
}

// =====================================  WavPack  =====================================
//
// Stream: one record per WavPack block, in the library's order:
//   varint(ckSize - 24)  varint(block_samples)  flags (4, LE)  crc (4, LE)  block body
// The block header's other fields are rebuilt on decode: ckID "wvpk", version 0x410 (what
// WavpackSetConfiguration64 writes), total_samples (the frame count, as SET_TOTAL_SAMPLES stores
// it), block_index (the running sum of block_samples over the previous INITIAL_BLOCK groups; all
// blocks of one multichannel group share it). Encode checks that every block matches this.

constexpr uint16_t kWvVersion = 0x410;
constexpr uint32_t kWvMaxCkSize = (1u << 20) - 2;   // the library's reader wants ckSize < 1 MiB, even
constexpr uint32_t kWvMaxBlockSamples = 131072;     // what WavpackSetConfiguration accepts
constexpr uint32_t kWvInitialBlock = 0x800;
constexpr uint32_t kWvFinalBlock = 0x1000;
constexpr uint32_t kWvHybrid = 0x8, kWvFloat = 0x80, kWvDsd = 0x80000000u, kWvBytesStored = 3;

// Writes the 32-byte little-endian block header.
void wv_header(uint8_t* h, uint32_t ck_size, uint64_t total, uint64_t index, uint32_t block_samples,
               uint32_t flags, uint32_t crc) {
  WavpackHeader w;
  std::memset(&w, 0, sizeof w);
  SET_TOTAL_SAMPLES(w, int64_t(total));
  SET_BLOCK_INDEX(w, int64_t(index));
  std::memcpy(h, "wvpk", 4);
  put_le32(h + 4, ck_size);
  h[8] = uint8_t(kWvVersion & 0xff);
  h[9] = uint8_t(kWvVersion >> 8);
  h[10] = w.block_index_u8;
  h[11] = w.total_samples_u8;
  put_le32(h + 12, w.total_samples);
  put_le32(h + 16, w.block_index);
  put_le32(h + 20, block_samples);
  put_le32(h + 24, flags);
  put_le32(h + 28, crc);
}

// Tracks the block index through INITIAL_BLOCK groups, in both directions.
struct WvGroups {
  uint64_t next = 0;          // block index of the next group
  uint64_t index = 0;         // block index of the current group
  uint32_t samples = 0;       // block_samples of the current group
  bool open = false;          // inside a group (its FINAL_BLOCK not yet seen)
  // Returns false when the block does not fit the group structure.
  bool add(uint32_t flags, uint32_t block_samples) {
    if (flags & kWvInitialBlock) {
      if (open) return false;
      index = next;
      samples = block_samples;
      next += block_samples;
      open = true;
    } else if (!open || block_samples != samples) {
      return false;
    }
    if (flags & kWvFinalBlock) open = false;
    return true;
  }
};

struct WvEncodeState {
  std::vector<uint8_t> out;
  uint64_t frames = 0;
  WvGroups groups;
  uint32_t max_ck = 0;
  std::string error;  // set when a block does not look as expected
};

int wv_block_out(void* id, void* data, int32_t bcount) {
  auto& st = *static_cast<WvEncodeState*>(id);
  const auto* b = static_cast<const uint8_t*>(data);
  if (bcount < 32 || std::memcmp(b, "wvpk", 4) != 0) {
    st.error = "unexpected block";
    return 0;
  }
  const uint32_t ck = get_le32(b + 4), block_samples = get_le32(b + 20), flags = get_le32(b + 24);
  uint8_t expect[32];
  if (uint64_t(ck) + 8 != uint64_t(bcount) || ck < 24 || block_samples == 0 ||
      !st.groups.add(flags, block_samples)) {
    st.error = "unexpected block layout";
    return 0;
  }
  wv_header(expect, ck, st.frames, st.groups.index, block_samples, flags, get_le32(b + 28));
  if (std::memcmp(expect, b, 32) != 0) {
    st.error = "unexpected block header";
    return 0;
  }
  st.max_ck = std::max(st.max_ck, ck);
  append_varint(st.out, ck - 24);
  append_varint(st.out, block_samples);
  st.out.insert(st.out.end(), b + 24, b + bcount);  // flags, crc, body
  return 1;
}

uint32_t wv_channel_mask(uint32_t channels) {
  // What the wavpack CLI assumes for a WAV without a channel mask.
  return channels <= 2 ? 0x5 - channels : (1u << channels) - 1;
}

struct WvContextCloser {
  void operator()(WavpackContext* c) const { WavpackCloseFile(c); }
};
using WvContext = std::unique_ptr<WavpackContext, WvContextCloser>;

// Encodes with the given block size (0: the library's default). Returns false (leaving `out`
// unspecified) when some block came out too large for the library's reader.
bool wv_encode(const uint8_t* samples, size_t frames, const Format& f, uint32_t block_samples,
               std::vector<uint8_t>& out) {
  WvEncodeState st;
  st.frames = frames;
  WvContext wpc(WavpackOpenFileOutput(wv_block_out, &st, nullptr));
  if (!wpc) throw std::runtime_error("wavpack: cannot create an encoder");
  WavpackConfig cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.bytes_per_sample = int(f.bits / 8);
  cfg.bits_per_sample = int(f.bits);
  cfg.num_channels = int(f.channels);
  cfg.channel_mask = int32_t(wv_channel_mask(f.channels));
  cfg.sample_rate = int32_t(f.rate);
  cfg.flags = CONFIG_HIGH_FLAG | CONFIG_VERY_HIGH_FLAG | CONFIG_EXTRA_MODE;
  cfg.xmode = 6;
  cfg.block_samples = int32_t(block_samples);
  if (f.is_float) cfg.float_norm_exp = 127;  // IEEE floats with +/-1.0 full scale
  auto fail = [&](const char* what) -> bool {
    std::string msg = std::string("wavpack: ") + what;
    if (!st.error.empty()) msg += ": " + st.error;
    else if (const char* e = WavpackGetErrorMessage(wpc.get()); e && *e) msg += ": " + std::string(e);
    throw std::runtime_error(msg);
  };
  if (!WavpackSetConfiguration64(wpc.get(), &cfg, int64_t(frames), nullptr)) fail("configuration refused");
  // An empty wrapper: without one the library would store a RIFF header it makes up (80 bytes).
  uint8_t no_wrapper = 0;
  if (!WavpackAddWrapper(wpc.get(), &no_wrapper, 0)) fail("wrapper refused");
  if (!WavpackPackInit(wpc.get())) fail("init failed");
  const size_t sample_bytes = f.bits / 8;
  std::vector<int32_t> buf(kChunkFrames * f.channels);
  for (size_t done = 0; done < frames;) {
    const size_t k = std::min(kChunkFrames, frames - done);
    to_int32(samples + done * f.channels * sample_bytes, k * f.channels, f.bits, buf.data());
    if (!WavpackPackSamples(wpc.get(), buf.data(), uint32_t(k))) fail("packing failed");
    done += k;
  }
  if (!WavpackFlushSamples(wpc.get())) fail("flush failed");
  if (!st.error.empty()) fail("bad output");
  if (st.groups.open || st.groups.next != frames) fail("block structure does not add up");
  if (st.max_ck > kWvMaxCkSize) return false;
  out = std::move(st.out);
  return true;
}

// Reads one record; false at the end of the input. Throws FormatError on a malformed record.
struct WvRecord {
  uint32_t ck = 0, block_samples = 0, flags = 0, crc = 0;
  const uint8_t* body = nullptr;
  size_t body_len = 0;
};

class WvParser {
 public:
  WvParser(const uint8_t* data, size_t n, uint64_t frames, const Format& f)
      : data_(data), n_(n), frames_(frames), f_(f) {}

  bool next(WvRecord& r, uint8_t header[32]) {
    if (pos_ == n_) return false;
    const uint32_t body_plus = varint();
    const uint32_t block_samples = varint();
    if (n_ - pos_ < 8) corrupted("wavpack stream truncated");
    r.flags = get_le32(data_ + pos_);
    r.crc = get_le32(data_ + pos_ + 4);
    pos_ += 8;
    // ckSize counts the 24 header bytes after itself and the body, which starts with flags and
    // crc as far as the record is concerned: body_plus = ckSize - 24.
    if (body_plus > kWvMaxCkSize - 24 || (body_plus & 1)) corrupted("wavpack block size");
    r.ck = body_plus + 24;
    r.block_samples = block_samples;
    r.body_len = body_plus;
    if (n_ - pos_ < r.body_len) corrupted("wavpack stream truncated");
    r.body = data_ + pos_;
    pos_ += r.body_len;
    if (block_samples == 0 || block_samples > kWvMaxBlockSamples) corrupted("wavpack block samples");
    if ((r.flags & (kWvHybrid | kWvDsd)) || (r.flags & kWvBytesStored) + 1 != f_.bits / 8 ||
        bool(r.flags & kWvFloat) != f_.is_float)
      corrupted("wavpack block format differs");
    if (!groups_.add(r.flags, block_samples) || groups_.next > frames_)
      corrupted("wavpack block structure");
    wv_header(header, r.ck, frames_, groups_.index, block_samples, r.flags, r.crc);
    return true;
  }

  // After the last record: the blocks must cover exactly the frames.
  void check_end() const {
    if (groups_.open || groups_.next != frames_) corrupted("wavpack stream frame count differs");
  }

 private:
  uint32_t varint() {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (pos_ >= n_) corrupted("wavpack stream truncated");
      const uint8_t b = data_[pos_++];
      if (shift == 28 && b > 0x0f) corrupted("wavpack varint");
      v |= uint32_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift) corrupted("wavpack varint");  // not the shortest form
        return v;
      }
    }
    corrupted("wavpack varint");
  }

  const uint8_t* data_;
  size_t n_;
  size_t pos_ = 0;
  uint64_t frames_;
  Format f_;
  WvGroups groups_;
};

// The library's view of the stream: rebuilt blocks, served in order.
struct WvReader {
  explicit WvReader(const uint8_t* data, size_t n, uint64_t frames, const Format& f)
      : parser(data, n, frames, f) {}
  WvParser parser;
  uint8_t header[32];
  WvRecord rec;
  size_t in_block = 0;     // bytes of the current block served
  size_t block_len = 0;    // its full size (ckSize + 8); 0 before the first
  int64_t pos = 0;         // virtual position
  bool ended = false;
  std::string error;       // a FormatError the parser raised inside a callback

  int32_t read(uint8_t* d, int32_t count) {
    int32_t got = 0;
    while (got < count) {
      if (in_block == block_len) {
        if (ended) break;
        try {
          if (!parser.next(rec, header)) { ended = true; break; }
        } catch (const FormatError& e) {
          error = e.what();
          ended = true;
          break;
        }
        in_block = 0;
        block_len = rec.ck + 8;
      }
      const size_t k = std::min(size_t(count - got), block_len - in_block);
      for (size_t i = 0; i < k; ++i) {
        const size_t off = in_block + i;
        d[got + i] = off < 32 ? header[off] : rec.body[off - 32];
      }
      in_block += k;
      got += int32_t(k);
      pos += int64_t(k);
    }
    return got;
  }
};

WvReader& wv_reader(void* id) { return *static_cast<WvReader*>(id); }

WavpackStreamReader64 wv_reader_fns() {
  WavpackStreamReader64 r;
  std::memset(&r, 0, sizeof r);
  r.read_bytes = [](void* id, void* data, int32_t bcount) -> int32_t {
    return bcount <= 0 ? 0 : wv_reader(id).read(static_cast<uint8_t*>(data), bcount);
  };
  r.write_bytes = [](void*, void*, int32_t) -> int32_t { return 0; };
  r.get_pos = [](void* id) -> int64_t { return wv_reader(id).pos; };
  r.set_pos_abs = [](void*, int64_t) -> int { return -1; };
  r.set_pos_rel = [](void*, int64_t, int) -> int { return -1; };
  r.push_back_byte = [](void* id, int c) -> int {
    WvReader& rd = wv_reader(id);
    if (rd.in_block == 0) return -1;  // only within the current block
    const size_t off = rd.in_block - 1;
    const uint8_t b = off < 32 ? rd.header[off] : rd.rec.body[off - 32];
    if (b != uint8_t(c)) return -1;
    --rd.in_block;
    --rd.pos;
    return c;
  };
  r.get_length = [](void*) -> int64_t { return 0; };
  r.can_seek = [](void*) -> int { return 0; };
  r.truncate_here = [](void*) -> int { return -1; };
  r.close = [](void*) -> int { return 0; };
  return r;
}

std::vector<uint8_t> wv_decode(const uint8_t* data, size_t n, size_t frames, const Format& f) {
  {  // the whole structure first: sizes, frame count, trailing bytes
    WvParser p(data, n, frames, f);
    WvRecord r;
    uint8_t h[32];
    while (p.next(r, h)) {}
    p.check_end();
  }
  WvReader rd(data, n, frames, f);
  WavpackStreamReader64 fns = wv_reader_fns();
  char err[80] = {0};
  WvContext wpc(WavpackOpenFileInputEx64(&fns, &rd, nullptr, err, 0, 0));
  if (!rd.error.empty()) throw FormatError(rd.error);
  if (!wpc) corrupted(std::string("wavpack: ") + err);
  const int mode = WavpackGetMode(wpc.get());
  if (WavpackGetNumChannels(wpc.get()) != int(f.channels) ||
      WavpackGetBytesPerSample(wpc.get()) != int(f.bits / 8) ||
      WavpackGetBitsPerSample(wpc.get()) != int(f.bits) ||
      WavpackGetSampleRate(wpc.get()) != f.rate || bool(mode & MODE_FLOAT) != f.is_float ||
      (f.is_float && WavpackGetFloatNormExp(wpc.get()) != 127) || !(mode & MODE_LOSSLESS) ||
      (mode & MODE_HYBRID) || WavpackGetNumSamples64(wpc.get()) != int64_t(frames))
    corrupted("wavpack stream format differs");

  const size_t sample_bytes = f.bits / 8, frame_bytes = f.channels * sample_bytes;
  std::vector<uint8_t> out(frames * frame_bytes);
  std::vector<int32_t> buf(kChunkFrames * f.channels);
  size_t done = 0;
  while (done < frames) {
    const uint32_t want = uint32_t(std::min(kChunkFrames, frames - done));
    const uint32_t got = WavpackUnpackSamples(wpc.get(), buf.data(), want);
    if (!rd.error.empty()) throw FormatError(rd.error);
    if (got == 0) break;
    uint8_t* d = out.data() + done * frame_bytes;
    for (size_t i = 0; i < size_t(got) * f.channels; ++i, d += sample_bytes) {
      if (!f.is_float && !in_range(buf[i], f.bits)) corrupted("wavpack sample out of range");
      put_sample(buf[i], f.bits, d);
    }
    done += got;
  }
  if (!rd.error.empty()) throw FormatError(rd.error);
  if (done != frames) corrupted("wavpack stream has too few frames");
  if (WavpackGetNumErrors(wpc.get()) != 0) corrupted("wavpack checksum mismatch");
  // Every block must have been read, and nothing may follow the last one.
  if (rd.in_block != rd.block_len) corrupted("wavpack stream not fully read");
  {
    uint8_t extra;
    if (rd.read(&extra, 1) != 0 || !rd.error.empty()) corrupted("wavpack stream has trailing data");
  }
  return out;
}

// The library's default block size in high mode (WavpackPackInit's rule for PCM).
uint64_t wv_default_block(const Format& f) {
  uint32_t divisor = 2;
  while (f.rate % divisor) --divisor;
  uint64_t bs = f.rate / divisor;
  while (bs > 12000 && bs * f.channels > 75000) bs /= 2;
  while (bs * f.channels < 20000) bs *= 2;
  return bs;
}

// Encodes at the library's default block size and, when the input spans more than one block, at
// the largest block size too; the smaller stream wins (larger blocks save headers and per-block
// metadata, smaller ones let extra mode adapt its filters more often: each wins on some inputs).
std::vector<uint8_t> wv_encode_best(const uint8_t* samples, size_t frames, const Format& f) {
  std::vector<uint8_t> best, cur;
  bool have = false;
  const bool one_block = frames <= std::min<uint64_t>(wv_default_block(f), kWvMaxBlockSamples);
  for (uint32_t bs : {0u, kWvMaxBlockSamples}) {
    if (bs && one_block) break;  // the same single block either way
    // Halve the block size until every block fits the library's reader (only full-scale noise
    // in wide formats comes near).
    for (uint32_t b = bs;; b = b ? b / 2 : 32768) {
      if (wv_encode(samples, frames, f, b, cur)) break;
      if (b && b <= 1024) throw std::runtime_error("wavpack: blocks too large");
    }
    if (!have || cur.size() < best.size()) { best.swap(cur); have = true; }
  }
  return best;
}

// ======================================  FLAC  ======================================
//
// Stream: the encoder's frames, nothing else. Decode puts "fLaC" and a STREAMINFO (block size
// 4096, frame sizes unknown, the format, the frame count, no MD5) in front of them; every
// frame carries its own header CRC-8 and frame CRC-16, which the decoder checks.

constexpr uint32_t kFlacBlockSize = 4096;  // what compression level 8 uses

struct FlacEncoderDeleter {
  void operator()(FLAC__StreamEncoder* e) const { FLAC__stream_encoder_delete(e); }
};
struct FlacDecoderDeleter {
  void operator()(FLAC__StreamDecoder* d) const { FLAC__stream_decoder_delete(d); }
};

FLAC__StreamEncoderWriteStatus flac_write(const FLAC__StreamEncoder*, const FLAC__byte buffer[],
                                          size_t bytes, uint32_t samples, uint32_t, void* client) {
  // samples == 0: the "fLaC" marker and metadata, which decode rebuilds.
  if (samples) {
    auto& out = *static_cast<std::vector<uint8_t>*>(client);
    out.insert(out.end(), buffer, buffer + bytes);
  }
  return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

std::vector<uint8_t> flac_encode(const uint8_t* samples, size_t frames, const Format& f) {
  std::unique_ptr<FLAC__StreamEncoder, FlacEncoderDeleter> enc(FLAC__stream_encoder_new());
  if (!enc) throw std::runtime_error("flac: cannot create an encoder");
  FLAC__StreamEncoder* e = enc.get();
  const bool subset = f.bits <= 24 && FLAC__format_sample_rate_is_subset(f.rate);
  if (!FLAC__stream_encoder_set_verify(e, false) ||
      !FLAC__stream_encoder_set_streamable_subset(e, subset) ||
      !FLAC__stream_encoder_set_channels(e, f.channels) ||
      !FLAC__stream_encoder_set_bits_per_sample(e, f.bits) ||
      !FLAC__stream_encoder_set_sample_rate(e, f.rate) ||
      !FLAC__stream_encoder_set_compression_level(e, 8) ||
      !FLAC__stream_encoder_set_blocksize(e, kFlacBlockSize) ||
      !FLAC__stream_encoder_set_total_samples_estimate(e, frames))
    throw std::runtime_error("flac: encoder settings refused");
  std::vector<uint8_t> out;
  const FLAC__StreamEncoderInitStatus init =
      FLAC__stream_encoder_init_stream(e, flac_write, nullptr, nullptr, nullptr, &out);
  if (init != FLAC__STREAM_ENCODER_INIT_STATUS_OK)
    throw std::runtime_error(std::string("flac: init failed: ") +
                             FLAC__StreamEncoderInitStatusString[init]);
  const size_t sample_bytes = f.bits / 8;
  std::vector<FLAC__int32> buf(kChunkFrames * f.channels);
  for (size_t done = 0; done < frames;) {
    const size_t k = std::min(kChunkFrames, frames - done);
    to_int32(samples + done * f.channels * sample_bytes, k * f.channels, f.bits, buf.data());
    if (!FLAC__stream_encoder_process_interleaved(e, buf.data(), uint32_t(k)))
      throw std::runtime_error(std::string("flac: encoding failed: ") +
                               FLAC__stream_encoder_get_resolved_state_string(e));
    done += k;
  }
  if (!FLAC__stream_encoder_finish(e))
    throw std::runtime_error(std::string("flac: finish failed: ") +
                             FLAC__stream_encoder_get_resolved_state_string(e));
  return out;
}

struct FlacDecodeState {
  uint8_t head[42];            // "fLaC" + STREAMINFO
  const uint8_t* data = nullptr;
  size_t n = 0;
  uint64_t pos = 0;            // virtual position over head + data
  Format f;
  size_t frames = 0, done = 0;
  std::vector<uint8_t>* out = nullptr;
  std::string error;

  uint64_t length() const { return sizeof head + n; }
};

FLAC__StreamDecoderReadStatus flac_read(const FLAC__StreamDecoder*, FLAC__byte buffer[], size_t* bytes,
                                        void* client) {
  auto& st = *static_cast<FlacDecodeState*>(client);
  size_t k = 0;
  while (k < *bytes && st.pos < st.length()) {
    if (st.pos < sizeof st.head) {
      buffer[k++] = st.head[st.pos++];
    } else {
      const size_t off = size_t(st.pos - sizeof st.head);
      const size_t m = std::min(*bytes - k, st.n - off);
      std::memcpy(buffer + k, st.data + off, m);
      k += m;
      st.pos += m;
    }
  }
  *bytes = k;
  return k ? FLAC__STREAM_DECODER_READ_STATUS_CONTINUE : FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
}

FLAC__StreamDecoderTellStatus flac_tell(const FLAC__StreamDecoder*, FLAC__uint64* offset, void* client) {
  *offset = static_cast<FlacDecodeState*>(client)->pos;
  return FLAC__STREAM_DECODER_TELL_STATUS_OK;
}

FLAC__StreamDecoderWriteStatus flac_frame(const FLAC__StreamDecoder*, const FLAC__Frame* frame,
                                          const FLAC__int32* const buffer[], void* client) {
  auto& st = *static_cast<FlacDecodeState*>(client);
  const FLAC__FrameHeader& h = frame->header;
  if (h.channels != st.f.channels || h.bits_per_sample != st.f.bits || h.sample_rate != st.f.rate) {
    st.error = "flac frame format differs";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  if (h.blocksize > st.frames - st.done) {
    st.error = "flac stream has too many frames";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  // The encoder writes kFlacBlockSize frames, numbered from 0, and a shorter last one: anything
  // else was spliced, reordered or damaged. (The STREAMINFO's fixed block size makes the decoder
  // turn frame numbers into sample numbers.)
  const uint64_t first = h.number_type == FLAC__FRAME_NUMBER_TYPE_SAMPLE_NUMBER
                             ? h.number.sample_number
                             : uint64_t(h.number.frame_number) * kFlacBlockSize;
  if (first != st.done || h.blocksize > kFlacBlockSize ||
      (h.blocksize < kFlacBlockSize && h.blocksize != st.frames - st.done)) {
    st.error = "flac frames out of sequence";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  const size_t sample_bytes = st.f.bits / 8;
  const size_t old = st.out->size();
  st.out->resize(old + size_t(h.blocksize) * st.f.channels * sample_bytes);
  uint8_t* d = st.out->data() + old;
  for (uint32_t i = 0; i < h.blocksize; ++i)
    for (uint32_t c = 0; c < st.f.channels; ++c, d += sample_bytes) {
      const int32_t v = buffer[c][i];
      if (!in_range(v, st.f.bits)) {
        st.error = "flac sample out of range";
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
      }
      put_sample(v, st.f.bits, d);
    }
  st.done += h.blocksize;
  return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

void flac_error(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status, void* client) {
  auto& st = *static_cast<FlacDecodeState*>(client);
  if (st.error.empty()) st.error = std::string("flac: ") + FLAC__StreamDecoderErrorStatusString[status];
}

void flac_streaminfo(uint8_t* h, const Format& f, uint64_t frames) {
  std::memset(h, 0, 42);
  std::memcpy(h, "fLaC", 4);
  h[4] = 0x80;  // last metadata block, type 0 (STREAMINFO)
  h[7] = 34;    // length
  uint8_t* s = h + 8;
  s[0] = s[2] = uint8_t(kFlacBlockSize >> 8);  // min and max block size
  s[1] = s[3] = uint8_t(kFlacBlockSize);
  // s[4..9]: min and max frame size unknown (0)
  // 20 bits rate, 3 bits channels - 1, 5 bits bits - 1, 36 bits total samples
  const uint64_t packed = uint64_t(f.rate) << 44 | uint64_t(f.channels - 1) << 41 |
                          uint64_t(f.bits - 1) << 36 | frames;
  for (int i = 0; i < 8; ++i) s[10 + i] = uint8_t(packed >> (56 - 8 * i));
  // s[18..33]: MD5 0 (not checked)
}

std::vector<uint8_t> flac_decode(const uint8_t* data, size_t n, size_t frames, const Format& f) {
  std::unique_ptr<FLAC__StreamDecoder, FlacDecoderDeleter> dec(FLAC__stream_decoder_new());
  if (!dec) throw std::runtime_error("flac: cannot create a decoder");
  FLAC__StreamDecoder* d = dec.get();
  std::vector<uint8_t> out;
  const size_t total_bytes = frames * f.channels * (f.bits / 8);
  out.reserve(std::min(total_bytes, size_t(1) << 24));
  FlacDecodeState st;
  flac_streaminfo(st.head, f, frames);
  st.data = data;
  st.n = n;
  st.f = f;
  st.frames = frames;
  st.out = &out;
  FLAC__stream_decoder_set_md5_checking(d, false);
  if (FLAC__stream_decoder_init_stream(d, flac_read, nullptr, flac_tell, nullptr, nullptr, flac_frame,
                                       nullptr, flac_error, &st) != FLAC__STREAM_DECODER_INIT_STATUS_OK)
    throw std::runtime_error("flac: decoder init failed");
  if (!FLAC__stream_decoder_process_until_end_of_metadata(d) || !st.error.empty())
    corrupted(st.error.empty() ? "flac metadata" : st.error);
  while (st.done < frames) {
    const bool ok = FLAC__stream_decoder_process_single(d);
    if (!st.error.empty()) throw FormatError("corrupted: " + st.error);
    if (!ok) corrupted("flac decoding failed");
    if (FLAC__stream_decoder_get_state(d) == FLAC__STREAM_DECODER_END_OF_STREAM) break;
  }
  if (st.done != frames) corrupted("flac stream has too few frames");
  FLAC__uint64 end = 0;
  if (!FLAC__stream_decoder_get_decode_position(d, &end) || end != st.length())
    corrupted("flac stream has trailing data");
  if (out.size() != total_bytes) corrupted("flac output size");
  return out;
}

}  // namespace

const char* name(Codec c) {
  switch (c) {
    case Codec::kWavpack: return "wavpack";
    case Codec::kFlac: return "flac";
  }
  return "?";
}

bool takes(Codec c, const Format& f) {
  if (!format_ok(f)) return false;
  switch (c) {
    case Codec::kWavpack: return f.rate <= 0x7fffffffu;
    case Codec::kFlac: return !f.is_float && f.rate <= FLAC__MAX_SAMPLE_RATE;
  }
  return false;
}

std::vector<uint8_t> encode(Codec c, const uint8_t* samples, size_t frames, const Format& f) {
  if (!takes(c, f)) throw std::invalid_argument(std::string(name(c)) + ": format not supported");
  if (uint64_t(frames) > max_frames(c, f))
    throw std::invalid_argument(std::string(name(c)) + ": too many frames");
  if (frames == 0) return {};
  if (c == Codec::kWavpack) return wv_encode_best(samples, frames, f);
  return flac_encode(samples, frames, f);
}

std::vector<uint8_t> decode(Codec c, const uint8_t* data, size_t n, size_t frames, const Format& f) {
  if (!takes(c, f)) corrupted(std::string(name(c)) + " cannot hold this format");
  if (uint64_t(frames) > max_frames(c, f)) corrupted(std::string(name(c)) + " frame count");
  if (frames == 0) {
    if (n != 0) corrupted(std::string(name(c)) + " stream has trailing data");
    return {};
  }
  if (c == Codec::kWavpack) return wv_decode(data, n, frames, f);
  return flac_decode(data, n, frames, f);
}

}  // namespace ardm::kinds::pcm
