#include "ardm/kinds/audio/wav.h"

#include <cstring>
#include <stdexcept>

namespace ardm::kinds {
namespace {

uint32_t u32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// The KSDATAFORMAT_SUBTYPE GUID's bytes after its first two (the format tag).
const uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

}  // namespace

bool looks_like_wav(const uint8_t* data, size_t size) {
  return size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WAVE", 4) == 0;
}

WavLayout parse_wav(const uint8_t* data, size_t size, const std::string& name) {
  auto fail = [&](const std::string& what) -> WavLayout { throw std::runtime_error(name + ": " + what); };
  if (!looks_like_wav(data, size)) return fail("not a WAV file (no RIFF/WAVE header)");
  WavLayout w;
  bool have_fmt = false;
  size_t pos = 12;
  while (pos + 8 <= size) {
    const uint8_t* id = data + pos;
    const uint64_t len = u32(data + pos + 4);
    const size_t body = pos + 8;
    if (std::memcmp(id, "fmt ", 4) == 0) {
      if (len < 16 || body + len > size) return fail("a damaged fmt chunk");
      const uint8_t* f = data + body;
      uint16_t tag = u16(f);
      w.channels = u16(f + 2);
      w.rate = u32(f + 4);
      const uint16_t align = u16(f + 12);
      w.bits = u16(f + 14);
      if (tag == 0xFFFE) {  // WAVE_FORMAT_EXTENSIBLE: the real tag is the subformat's
        if (len < 40) return fail("a damaged extensible fmt chunk");
        if (std::memcmp(f + 26, kGuidTail, 14) != 0) return fail("an unknown extensible subformat");
        tag = u16(f + 24);
      }
      const bool pcm = tag == 1, flt = tag == 3;
      if (!pcm && !flt) return fail("compressed audio (format tag " + std::to_string(tag) + "); only PCM and float WAV files are taken");
      if (pcm && w.bits != 8 && w.bits != 16 && w.bits != 24 && w.bits != 32)
        return fail(std::to_string(w.bits) + "-bit samples; integer PCM of 8, 16, 24 or 32 bits is taken");
      if (flt && w.bits != 32) return fail(std::to_string(w.bits) + "-bit floating-point samples; only 32-bit floats are taken");
      if (w.channels < 1 || w.channels > 8) return fail(std::to_string(w.channels) + " channels; 1 to 8 are taken");
      if (align != w.channels * w.bits / 8) return fail("a block alignment of " + std::to_string(align) + " bytes");
      w.is_float = flt;
      have_fmt = true;
    } else if (std::memcmp(id, "data", 4) == 0) {
      if (!have_fmt) return fail("a data chunk before the fmt chunk");
      w.data_begin = body;
      // A data chunk that claims more than the file holds (a truncated or still-recording
      // file): its whole samples are coded, the rest of the file is kept as it is.
      const size_t avail = size - body, n = len < avail ? static_cast<size_t>(len) : avail;
      w.frames = n / (w.channels * (w.bits / 8));
      return w;
    }
    if (body + len > size) return fail("a chunk '" + std::string(reinterpret_cast<const char*>(id), 4) + "' of " +
                                       std::to_string(len) + " bytes runs past the end of the file");
    pos = body + static_cast<size_t>(len) + (len & 1);
  }
  return fail(have_fmt ? "no data chunk" : "no fmt chunk");
}

std::vector<uint8_t> plain_wav_header(uint32_t channels, uint32_t bits, uint32_t rate, uint64_t data_bytes, uint64_t after) {
  const uint64_t align = uint64_t{channels} * bits / 8, byte_rate = align * rate, riff = 36 + data_bytes + after;
  if (riff > 0xFFFFFFFFu || byte_rate > 0xFFFFFFFFu || align > 0xFFFF || bits > 0xFFFF || channels > 0xFFFF) return {};
  std::vector<uint8_t> h;
  auto text = [&](const char* s) { h.insert(h.end(), s, s + 4); };
  auto u = [&](uint64_t v, int bytes) {
    for (int b = 0; b < bytes; ++b) h.push_back(static_cast<uint8_t>(v >> (8 * b)));
  };
  text("RIFF"), u(riff, 4), text("WAVE");
  text("fmt "), u(16, 4), u(1, 2), u(channels, 2), u(rate, 4), u(byte_rate, 4), u(align, 2), u(bits, 2);
  text("data"), u(data_bytes, 4);
  return h;
}

}  // namespace ardm::kinds
