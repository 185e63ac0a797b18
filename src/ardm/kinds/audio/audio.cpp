#include "ardm/kinds/audio/audio.h"

#include <cctype>
#include <filesystem>

#include "ardm/engine/codec.h"

#ifndef ARDM_DEFAULT_AUDIO_MODEL
#define ARDM_DEFAULT_AUDIO_MODEL ""
#endif

namespace ardm::kinds {
namespace {

uint16_t sample16_to_model(uint16_t w) { return static_cast<uint16_t>(w ^ 0x8000u); }  // s + 32,768
uint16_t model_to_sample16(uint16_t v) { return static_cast<uint16_t>(v ^ 0x8000u); }
uint16_t sample8_to_model(uint16_t u) { return static_cast<uint16_t>(u << 8); }        // (u - 128) * 256 + 32,768
uint16_t model_to_sample8(uint16_t v) { return static_cast<uint16_t>(v >> 8); }

}  // namespace

namespace {
bool wav_name(const std::string& path) {
  std::string lower = path;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.size() >= 4 && lower.compare(lower.size() - 4, 4, ".wav") == 0;
}
}  // namespace

bool AudioKind::takes_source(const std::string& source) const {
  if (source == "speech") return true;
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

std::string AudioKind::bundled_model() const { return ARDM_DEFAULT_AUDIO_MODEL; }

bool AudioKind::claims(const std::string& path, const uint8_t* head, size_t n) const {
  if (wav_name(path)) return true;  // the WAV path says so if it is not one
  return looks_like_wav(head, n);
}

Content AudioKind::read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel&) const {
  const auto w = parse_wav(file.data(), file.size(), name);
  const size_t vb = w.bits / 8, end = w.data_begin + w.samples * vb;
  Content c;
  auto& d = c.description;
  d.kind = code();
  d.value_bits = w.bits;
  d.shape = {static_cast<uint64_t>(w.samples), 1};
  d.container_bytes = true;
  d.prefix.assign(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(w.data_begin));
  d.suffix.assign(file.begin() + static_cast<std::ptrdiff_t>(end), file.end());
  c.words.resize(w.samples);
  const uint8_t* p = file.data() + w.data_begin;
  for (size_t i = 0; i < w.samples; ++i)
    c.words[i] = vb == 1 ? p[i] : static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
  return c;
}

WordMap AudioKind::word_map(const coding::Description& d, const engine::EngineCodec& codec) const {
  // 8-bit samples take only the stages that decide a value's top 8 bits, where the model's
  // digits split there (docs/format.md); else every stage, the lower digits coded as zeros.
  if (d.value_bits == 8) return {sample8_to_model, model_to_sample8, codec.stages_for_bits(8)};
  return {sample16_to_model, model_to_sample16, 0};
}

void AudioKind::check_description(const coding::Description& d) const {
  if (d.value_bits != 8 && d.value_bits != 16)
    throw coding::FormatError("corrupted: " + std::to_string(d.value_bits) + "-bit values in data of kind 3");
  if (d.shape.size() != 2) throw coding::FormatError("corrupted: audio has rank 2 (frames, channels), not " + std::to_string(d.shape.size()));
  if (d.shape[1] < 1 || d.shape[1] > 8) throw coding::FormatError("corrupted: " + std::to_string(d.shape[1]) + " audio channels");
  if (d.shape[1] != 1) throw coding::FormatError("corrupted: only mono audio is coded");
}

std::vector<uint8_t> AudioKind::write(const Content& c, size_t, const std::string&, const WriteOptions&) const {
  const auto& d = c.description;
  std::vector<uint8_t> out(d.prefix);
  const auto samples = coding::value_bytes(c.words.data(), c.words.size(), d.value_bits);
  out.insert(out.end(), samples.begin(), samples.end());
  out.insert(out.end(), d.suffix.begin(), d.suffix.end());
  return out;
}

}  // namespace ardm::kinds
