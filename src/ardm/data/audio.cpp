#include "ardm/data/audio.h"

#include <sndfile.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "ardm/coding/crc32.h"
#include "ardm/kinds/audio/speech.h"

namespace ardm::data {
namespace fs = std::filesystem;
namespace {

bool has_wav_extension(const fs::path& p) {
  auto e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e == ".wav";
}

std::vector<std::string> wavs_below(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file() && has_wav_extension(e.path())) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string split_of(const std::string& relative) {
  const uint32_t h = coding::crc32_update(0, relative.data(), relative.size()) % 10;
  return h == 0 ? "test" : h == 1 ? "valid" : "train";
}

}  // namespace

Pcm16 read_wav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) throw std::runtime_error(path + ": not a readable sound file (" + sf_strerror(nullptr) + ")");
  struct Closer {
    SNDFILE* f;
    ~Closer() { sf_close(f); }
  } closer{f};
  const int sub = info.format & SF_FORMAT_SUBMASK;
  if ((info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAV)
    throw std::runtime_error(path + ": not a WAV file");
  if (sub != SF_FORMAT_PCM_16 && sub != SF_FORMAT_PCM_U8 && sub != SF_FORMAT_PCM_S8)
    throw std::runtime_error(path + ": only 8- and 16-bit integer PCM is supported (this file holds " +
                             (sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE ? std::string("floating-point samples")
                              : sub == SF_FORMAT_PCM_24                        ? std::string("24-bit samples")
                              : sub == SF_FORMAT_PCM_32                        ? std::string("32-bit samples")
                                                                               : std::string("another encoding")) +
                             ")");
  if (info.channels != 1)
    throw std::runtime_error(path + ": " + std::to_string(info.channels) + " channels; only mono is supported");
  Pcm16 pcm;
  pcm.rate = info.samplerate;
  pcm.samples.resize(static_cast<size_t>(info.frames));
  // libsndfile scales 8-bit samples to 16 bits as (u - 128) * 256, exactly.
  const sf_count_t got = sf_read_short(f, pcm.samples.data(), info.frames);
  if (got != info.frames) throw std::runtime_error(path + ": truncated sample data");
  return pcm;
}

void write_wav(const std::string& path, const std::vector<int16_t>& samples, int64_t rate) {
  SF_INFO info{};
  info.samplerate = static_cast<int>(rate);
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error(path + ": cannot write (" + sf_strerror(nullptr) + ")");
  const sf_count_t n = sf_write_short(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(f);
  if (n != static_cast<sf_count_t>(samples.size())) throw std::runtime_error(path + ": write failed");
}

std::string speech_folder(const std::string& source) {
  const auto* s = kinds::speech_source(source);
  return s ? s->folder : "";
}

std::string speech_package(const std::string& source) {
  const auto* s = kinds::speech_source(source);
  return s ? s->package : kinds::kSpeechSources[0].package;
}

std::vector<std::string> audio_files(const std::string& source, const std::string& split) {
  if (split != "train" && split != "valid" && split != "test" && split != "all")
    throw std::invalid_argument("split must be train, valid, test or all, not '" + split + "'");
  if (const auto comma = source.find(','); comma != std::string::npos) {
    auto out = audio_files(source.substr(0, comma), split);
    for (auto& f : audio_files(source.substr(comma + 1), split)) out.push_back(std::move(f));
    return out;
  }
  if (const auto root = speech_folder(source); !root.empty()) {
    if (!fs::is_directory(root))
      throw std::runtime_error(root + " is missing: the " + source + " data is Debian's " + speech_package(source) +
                               " (scripts/setup.sh --train installs it)");
    std::vector<std::string> out;
    for (const auto& p : wavs_below(root))
      if (split == "all" || split_of(fs::relative(p, root).generic_string()) == split) out.push_back(p);
    return out;
  }
  if (fs::is_directory(source)) {
    auto out = wavs_below(source);
    if (out.empty()) throw std::runtime_error(source + ": no .wav files in this folder");
    return out;
  }
  if (fs::is_regular_file(source)) return {source};
  throw std::runtime_error("audio source '" + source +
                           "' is neither speech, speech-it, speech-ru nor a .wav file or folder (or a comma-separated list of them)");
}

torch::Tensor load_audio(const std::string& source, const std::string& split, int64_t L, int64_t limit) {
  if (L < 2) throw std::invalid_argument("--clip-len must be at least 2");
  const int64_t stride = split == "train" ? std::max<int64_t>(L / 2, 1) : L;
  std::vector<int32_t> values;
  int64_t n_clips = 0;
  auto add_clip = [&](const std::vector<int16_t>& s, int64_t begin) {
    for (int64_t i = 0; i < L; ++i) {
      const int64_t j = begin + i;
      values.push_back(j < static_cast<int64_t>(s.size()) ? int32_t{s[static_cast<size_t>(j)]} + 32768 : 32768);
    }
    ++n_clips;
  };
  for (const auto& path : audio_files(source, split)) {
    const auto pcm = read_wav(path);
    const auto n = static_cast<int64_t>(pcm.samples.size());
    if (n == 0) continue;
    if (n <= L) {
      add_clip(pcm.samples, 0);
    } else {
      int64_t p = 0;
      for (; p + L <= n; p += stride) add_clip(pcm.samples, p);
      if (p - stride + L < n) add_clip(pcm.samples, n - L);
    }
    if (limit > 0 && n_clips >= limit) break;
  }
  if (n_clips == 0) throw std::runtime_error("audio source '" + source + "' has no samples in split " + split);
  auto t = torch::from_blob(values.data(), {n_clips, L}, torch::kInt32).clone();
  return limit > 0 && n_clips > limit ? t.slice(0, 0, limit).clone() : t;
}


}  // namespace ardm::data
