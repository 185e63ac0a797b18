// WAV files for `ardm compress` and `decompress` (docs/format.md, data kind 3): the samples of
// the first "data" chunk go through the audio model in chunks of its clip length D (a shorter
// last chunk is a tail, never padded); every other byte of the file (the RIFF header, "fmt ",
// any LIST or other chunks, a pad byte, whatever follows) is kept verbatim as the container's
// prefix and suffix, so decompression gives back the identical file.
//
// Coded: integer PCM, mono, 8 or 16 bits (format tag 1, or WAVE_FORMAT_EXTENSIBLE with the PCM
// subformat). A 16-bit sample s is the model value s + 32,768; an 8-bit sample u (WAV's unsigned
// byte) is (u - 128) * 256 + 32,768 = u * 256. Anything else (float, 24-bit, several channels,
// compressed WAV) is refused with a message saying what the file holds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ardm/byte_file.h"
#include "ardm/coding/format.h"
#include "ardm/engine/codec.h"

namespace ardm {

struct WavLayout {
  uint32_t channels = 1, bits = 16, rate = 0;
  size_t data_begin = 0;  // the first sample byte
  size_t samples = 0;     // whole samples in the data chunk (and in the file)
};

// True for bytes that begin "RIFF" ... "WAVE".
bool looks_like_wav(const uint8_t* data, size_t size);
// Parses a WAV file's chunks; throws std::runtime_error (prefixed by `name`) for a file that is
// not a WAV, is malformed, or holds samples the model cannot code.
WavLayout parse_wav(const uint8_t* data, size_t size, const std::string& name);

// Throws std::runtime_error unless the model codes audio (a 16-bit "audio" model).
void check_audio_model(const engine::EngineModel& m);

// method: "auto" (the smaller of model and stored), "model" or "stored".
std::vector<uint8_t> compress_wav(const std::vector<uint8_t>& file, const std::string& name,
                                  const engine::EngineCodec& codec, int64_t budget, size_t batch,
                                  const std::string& method, ByteFileStats* stats = nullptr,
                                  const std::function<void(size_t, size_t)>& on_progress = {});

// True when a version-3 file holds PCM audio (parsed without the model).
bool holds_pcm(const coding::ParsedFileV3& f);

// The original WAV file's bytes, every chunk checked; `codec` may be null for a stored file.
std::vector<uint8_t> decompress_wav(const coding::ParsedFileV3& f, const engine::EngineCodec* codec, size_t batch,
                                    const std::function<void(size_t, size_t)>& on_progress = {});

}  // namespace ardm
