#include "ardm/wav_file.h"

#include <cstring>
#include <stdexcept>

namespace ardm {
namespace {

uint32_t u32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// The KSDATAFORMAT_SUBTYPE GUID's bytes after its first two (the format tag).
const uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

uint16_t sample16_to_model(uint16_t w) { return static_cast<uint16_t>(w ^ 0x8000u); }  // s + 32,768
uint16_t model_to_sample16(uint16_t v) { return static_cast<uint16_t>(v ^ 0x8000u); }
uint16_t sample8_to_model(uint16_t u) { return static_cast<uint16_t>(u << 8); }        // (u - 128) * 256 + 32,768
uint16_t model_to_sample8(uint16_t v) { return static_cast<uint16_t>(v >> 8); }
constexpr WordMap kPcm16{sample16_to_model, model_to_sample16, 0};

// 8-bit samples take only the stages that decide a value's top 8 bits, where the model's digits
// split there (docs/format.md); else every stage, the lower digits coded as zeros.
WordMap pcm8(const engine::EngineCodec& codec) { return {sample8_to_model, model_to_sample8, codec.stages_for_bits(8)}; }

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
      if (tag == 3) return fail("floating-point samples; only 8- and 16-bit integer PCM can be coded");
      if (tag != 1) return fail("compressed audio (format tag " + std::to_string(tag) + "); only integer PCM can be coded");
      if (w.bits != 8 && w.bits != 16)
        return fail(std::to_string(w.bits) + "-bit samples; only 8- and 16-bit PCM can be coded");
      if (w.channels != 1)
        return fail(std::to_string(w.channels) + " channels; the audio model codes mono files only");
      if (align != w.channels * w.bits / 8) return fail("a block alignment of " + std::to_string(align) + " bytes");
      have_fmt = true;
    } else if (std::memcmp(id, "data", 4) == 0) {
      if (!have_fmt) return fail("a data chunk before the fmt chunk");
      w.data_begin = body;
      // A data chunk that claims more than the file holds (a truncated or still-recording
      // file): its whole samples are coded, the rest of the file is kept as it is.
      const size_t avail = size - body, n = len < avail ? static_cast<size_t>(len) : avail;
      w.samples = n / (w.bits / 8);
      return w;
    }
    pos = body + static_cast<size_t>(len) + (len & 1);
  }
  return fail(have_fmt ? "no data chunk" : "no fmt chunk");
}

void check_audio_model(const engine::EngineModel& m) {
  const auto& d = m.cfg.data;
  if (d.kind != "audio" || d.shape.size() != 1 || d.num_classes != 65536)
    throw std::runtime_error("this model codes " + (d.kind == "image" ? std::string("images") : d.kind + " data") +
                             ", not audio: WAV files need an audio model");
}

std::vector<uint8_t> compress_wav(const std::vector<uint8_t>& file, const std::string& name,
                                  const engine::EngineCodec& codec, int64_t budget, size_t batch,
                                  const std::string& method, ByteFileStats* stats,
                                  const std::function<void(size_t, size_t)>& on_progress) {
  check_audio_model(codec.model());
  if (method != "auto" && method != "model" && method != "stored")
    throw std::invalid_argument("a WAV file is coded by the model or stored, not by '" + method + "'");
  const auto w = parse_wav(file.data(), file.size(), name);
  const size_t vb = w.bits / 8, end = w.data_begin + w.samples * vb;
  coding::Description d;
  d.kind = coding::DataKind::kPcm;
  d.value_bits = w.bits;
  d.shape = {static_cast<uint64_t>(w.samples), 1};
  d.prefix.assign(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(w.data_begin));
  d.suffix.assign(file.begin() + static_cast<std::ptrdiff_t>(end), file.end());
  std::vector<uint16_t> words(w.samples);
  for (size_t i = 0; i < w.samples; ++i)
    words[i] = vb == 1 ? file[w.data_begin + i] : u16(file.data() + w.data_begin + 2 * i);
  return compress_stream(d, words, vb == 1 ? pcm8(codec) : kPcm16, codec, budget, batch, method, stats, on_progress);
}

bool holds_pcm(const coding::ParsedFileV3& f) {
  return f.header.described && f.header.description.kind == coding::DataKind::kPcm;
}

std::vector<uint8_t> decompress_wav(const coding::ParsedFileV3& f, const engine::EngineCodec* codec, size_t batch,
                                    const std::function<void(size_t, size_t)>& on_progress) {
  if (!holds_pcm(f)) throw coding::FormatError("this file holds no audio");
  const auto& d = f.header.description;
  if (d.shape.size() != 2 || d.shape[1] != 1) throw coding::FormatError("corrupted: only mono audio is coded");
  if (codec && f.header.method == coding::Method::kModel) check_audio_model(codec->model());
  WordMap map = kPcm16;
  if (d.value_bits == 8) map = codec ? pcm8(*codec) : WordMap{sample8_to_model, model_to_sample8, 0};
  const auto words = decompress_stream(f, map, codec, batch, on_progress);
  std::vector<uint8_t> out(d.prefix);
  const auto samples = coding::value_bytes(words.data(), words.size(), d.value_bits);
  out.insert(out.end(), samples.begin(), samples.end());
  out.insert(out.end(), d.suffix.begin(), d.suffix.end());
  return out;
}

}  // namespace ardm
