#include "ardm/kinds/audio/audio.h"

#include <cctype>
#include <filesystem>

#include "ardm/coding/bytes.h"
#include "ardm/engine/codec.h"
#include "ardm/kinds/audio/speech.h"
#if ARDM_HAVE_PCM_CODECS
#include "ardm/kinds/audio/pcm_codecs.h"
#endif

#ifndef ARDM_DEFAULT_AUDIO_MODEL
#define ARDM_DEFAULT_AUDIO_MODEL ""
#endif
#ifndef ARDM_OLDER_AUDIO_MODELS
#define ARDM_OLDER_AUDIO_MODELS ""  // paths separated by '|'
#endif

namespace ardm::kinds {
namespace {

uint16_t sample16_to_model(uint16_t w) { return static_cast<uint16_t>(w ^ 0x8000u); }  // s + 32,768
uint16_t model_to_sample16(uint16_t v) { return static_cast<uint16_t>(v ^ 0x8000u); }
uint16_t sample8_to_model(uint16_t u) { return static_cast<uint16_t>(u << 8); }        // (u - 128) * 256 + 32,768
uint16_t model_to_sample8(uint16_t v) { return static_cast<uint16_t>(v >> 8); }

// The WAV header before the samples: the prefix kept verbatim, or the plain 44-byte header that a
// short prefix (version 5: a varint, the sample rate) stands for (docs/format.md). Throws
// FormatError for a short prefix that is no such rate or whose header's sizes do not fit.
std::vector<uint8_t> wav_header(const coding::Description& d) {
  if (!d.short_prefix) return d.prefix;
  coding::ByteReader r{d.prefix.data(), d.prefix.size()};
  const uint64_t rate = r.varint("sample rate");
  if (r.left() != 0 || rate > 0xFFFFFFFFu) throw coding::FormatError("corrupted: a WAV header of " + std::to_string(d.prefix.size()) + " bytes");
  const uint64_t width = d.shape.size() == 3 ? d.shape[2] : d.value_bytes();
  auto h = plain_wav_header(static_cast<uint32_t>(d.shape[1]), static_cast<uint32_t>(8 * width), static_cast<uint32_t>(rate),
                            d.num_values() * d.value_bytes(), d.suffix.size());
  if (h.empty()) throw coding::FormatError("corrupted: audio too long for a plain WAV header");
  return h;
}

}  // namespace

namespace {
bool wav_name(const std::string& path) {
  std::string lower = path;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.size() >= 4 && lower.compare(lower.size() - 4, 4, ".wav") == 0;
}
}  // namespace

bool AudioKind::takes_source(const std::string& source) const {
  if (speech_source(source)) return true;
  if (const auto comma = source.find(','); comma != std::string::npos)
    return takes_source(source.substr(0, comma)) && takes_source(source.substr(comma + 1));
  std::error_code ec;
  if (std::filesystem::is_regular_file(source, ec)) return wav_name(source);
  if (std::filesystem::is_directory(source, ec))
    for (const auto& e : std::filesystem::recursive_directory_iterator(source, ec))
      if (e.is_regular_file() && wav_name(e.path().string())) return true;
  return false;
}

bool AudioKind::codes(const DataSpec& d) const {
  return d.kind == "audio" && d.shape.size() == 1 && d.num_classes == 65536;
}

std::string AudioKind::model_needed() const { return "not audio: WAV files need an audio model"; }

std::string AudioKind::bundled_model() const { return bundled_path(ARDM_DEFAULT_AUDIO_MODEL); }

std::vector<std::string> AudioKind::older_models() const { return path_list(ARDM_OLDER_AUDIO_MODELS); }

bool AudioKind::claims(const std::string& path, const uint8_t* head, size_t n) const {
  if (wav_name(path)) return true;  // the WAV path says so if it is not one
  return looks_like_wav(head, n);
}

Content AudioKind::read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel&) const {
  const auto w = parse_wav(file.data(), file.size(), name);
  const size_t width = w.bits / 8, end = w.data_begin + w.frames * w.channels * width;
  Content c;
  auto& d = c.description;
  d.kind = code();
  d.container_bytes = true;
  d.prefix.assign(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(w.data_begin));
  d.suffix.assign(file.begin() + static_cast<std::ptrdiff_t>(end), file.end());
  // The usual 44-byte header is kept as its sample rate alone (2 or 3 bytes instead of 44).
  if (!w.is_float && d.prefix == plain_wav_header(w.channels, w.bits, w.rate, end - w.data_begin, d.suffix.size())) {
    d.short_prefix = true;
    d.prefix.clear();
    coding::put_varint(d.prefix, w.rate);
  }
  const uint8_t* p = file.data() + w.data_begin;
  const size_t n = w.frames * w.channels;
  if (width <= 2 && !w.is_float) {  // the samples as the model's words, interleaved as in the file
    d.value_bits = w.bits;
    d.shape = {static_cast<uint64_t>(w.frames), w.channels};
    c.words.resize(n);
    for (size_t i = 0; i < n; ++i) c.words[i] = width == 1 ? p[i] : static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
  } else {  // wider samples and floats: their bytes
    d.value_bits = 8;
    d.shape = {static_cast<uint64_t>(w.frames), w.channels, width};
    c.words.assign(p, p + n * width);
  }
  return c;
}

WordMap AudioKind::word_map(const coding::Description& d, const engine::EngineCodec& codec) const {
  // 8-bit samples take only the stages that decide a value's top 8 bits, where the model's
  // digits split there (docs/format.md); else every stage, the lower digits coded as zeros.
  if (d.value_bits == 8) return {sample8_to_model, model_to_sample8, codec.stages_for_bits(8)};
  return {sample16_to_model, model_to_sample16, 0};
}

void AudioKind::check_description(const coding::Description& d) const {
  const size_t rank = d.shape.size();
  if (rank != 2 && rank != 3)
    throw coding::FormatError("corrupted: audio has rank 2 (frames, channels) or 3 (frames, channels, bytes), not " + std::to_string(rank));
  if (d.shape[1] < 1 || d.shape[1] > 8) throw coding::FormatError("corrupted: " + std::to_string(d.shape[1]) + " audio channels");
  if (rank == 2 && d.value_bits != 8 && d.value_bits != 16)
    throw coding::FormatError("corrupted: " + std::to_string(d.value_bits) + "-bit values in data of kind 3");
  if (rank == 3 && (d.value_bits != 8 || (d.shape[2] != 3 && d.shape[2] != 4)))
    throw coding::FormatError("corrupted: audio samples of " + std::to_string(d.shape[2]) + " bytes as " +
                              std::to_string(d.value_bits) + "-bit values");
  if (d.short_prefix) wav_header(d);  // it must stand for a plain header
}

bool AudioKind::model_codes(const coding::Description& d, const engine::EngineModel&) const { return d.shape.size() == 2; }

uint64_t AudioKind::rows(const coding::Description& d) const { return d.shape.size() == 2 ? d.shape[1] : 1; }

const char* AudioKind::native_name(int k) const { return k == 0 ? "wavpack" : k == 1 ? "flac" : nullptr; }

#if ARDM_HAVE_PCM_CODECS
namespace {

// The sample format of a content, read from its kept fmt chunk and checked against its shape.
pcm::Format format_of(const coding::Description& d) {
  WavLayout w;
  try {
    const auto header = wav_header(d);
    w = parse_wav(header.data(), header.size(), "the kept WAV header");
  } catch (const std::runtime_error& e) {
    throw coding::FormatError(std::string("corrupted: ") + e.what());
  }
  const uint64_t width = d.shape.size() == 3 ? d.shape[2] : d.value_bits / 8;
  if (w.channels != d.shape[1] || w.bits != 8 * width || (w.bits <= 16 && !w.is_float) != (d.shape.size() == 2))
    throw coding::FormatError("corrupted: the kept WAV header is not the samples' format");
  return {w.channels, w.bits, w.is_float, w.rate};
}

pcm::Codec codec_of(int k) { return k == 0 ? pcm::Codec::kWavpack : pcm::Codec::kFlac; }

std::vector<uint16_t> words_of(const std::vector<uint8_t>& bytes, uint32_t value_bits) {
  if (value_bits <= 8) return {bytes.begin(), bytes.end()};
  std::vector<uint16_t> w(bytes.size() / 2);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return w;
}

// Codes samples and checks that they come back (the file's CRC covers the stream, not them).
std::vector<uint8_t> encode_checked(int k, const std::vector<uint8_t>& bytes, size_t frames, const pcm::Format& f) {
  auto out = pcm::encode(codec_of(k), bytes.data(), frames, f);
  if (pcm::decode(codec_of(k), out.data(), out.size(), frames, f) != bytes)
    throw std::runtime_error(std::string("the ") + pcm::name(codec_of(k)) + " library did not give back the exact samples");
  return out;
}

}  // namespace

bool AudioKind::native_takes(int k, const coding::Description& d) const {
  try {
    return pcm::takes(codec_of(k), format_of(d));
  } catch (const coding::FormatError&) {
    return false;  // no WAV header to say what the samples are
  }
}

std::vector<std::vector<uint8_t>> AudioKind::encode_native(int k, const Content& c) const {
  const auto f = format_of(c.description);
  const auto bytes = coding::value_bytes(c.words.data(), c.words.size(), c.description.value_bits);
  return {encode_checked(k, bytes, static_cast<size_t>(c.description.shape[0]), f)};
}

std::vector<uint16_t> AudioKind::decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const {
  if (parts.size() != 1) throw coding::FormatError("corrupted: audio by a codec is one stream");
  const auto f = format_of(d);
  if (!pcm::takes(codec_of(k), f)) throw coding::FormatError("corrupted: samples that codec does not code");
  return words_of(pcm::decode(codec_of(k), parts[0].data, parts[0].size, static_cast<size_t>(d.shape[0]), f), d.value_bits);
}

bool AudioKind::native_chunks(int k, const coding::Description& d) const { return d.shape.size() == 2; }

std::vector<uint8_t> AudioKind::encode_native_chunk(int k, const coding::Description& d, const uint16_t* words, size_t n) const {
  auto f = format_of(d);
  f.channels = 1;  // a chunk is one channel's samples
  if (!pcm::takes(codec_of(k), f)) return {};
  return encode_checked(k, coding::value_bytes(words, n, d.value_bits), n, f);
}

std::vector<uint16_t> AudioKind::decode_native_chunk(int k, const coding::Description& d, const coding::Part& p, size_t n) const {
  auto f = format_of(d);
  f.channels = 1;
  if (!pcm::takes(codec_of(k), f)) throw coding::FormatError("corrupted: samples that codec does not code");
  return words_of(pcm::decode(codec_of(k), p.data, p.size, n, f), d.value_bits);
}
#else
// A decoder built without libwavpack and libFLAC (a cross build) reads model-coded and stored files.
bool AudioKind::native_takes(int, const coding::Description&) const { return false; }
std::vector<std::vector<uint8_t>> AudioKind::encode_native(int, const Content&) const {
  throw std::runtime_error("this build has no WavPack or FLAC support");
}
std::vector<uint16_t> AudioKind::decode_native(int k, const std::vector<coding::Part>&, const coding::Description&) const {
  throw std::runtime_error(std::string("this build has no ") + native_name(k) + " support: the file holds " + native_name(k) + " audio");
}
bool AudioKind::native_chunks(int, const coding::Description& d) const { return d.shape.size() == 2; }
std::vector<uint8_t> AudioKind::encode_native_chunk(int, const coding::Description&, const uint16_t*, size_t) const { return {}; }
std::vector<uint16_t> AudioKind::decode_native_chunk(int k, const coding::Description&, const coding::Part&, size_t) const {
  throw std::runtime_error(std::string("this build has no ") + native_name(k) + " support: the file holds " + native_name(k) + " audio");
}
#endif

std::vector<uint8_t> AudioKind::write(const Content& c, size_t, const std::string&, const WriteOptions&) const {
  const auto& d = c.description;
  std::vector<uint8_t> out = wav_header(d);
  const auto samples = coding::value_bytes(c.words.data(), c.words.size(), d.value_bits);
  out.insert(out.end(), samples.begin(), samples.end());
  out.insert(out.end(), d.suffix.begin(), d.suffix.end());
  return out;
}

}  // namespace ardm::kinds
