// The layout of a WAV file (RIFF chunks): where its samples are and what they are. Everything
// else in the file (the RIFF header, "fmt ", LIST or other chunks, a pad byte, whatever follows
// the samples) is kept verbatim by the audio kind, so decompression gives back the identical file.
//
// Coded: integer PCM, mono, 8 or 16 bits (format tag 1, or WAVE_FORMAT_EXTENSIBLE with the PCM
// subformat). Anything else (float, 24-bit, several channels, compressed WAV) is refused with a
// message saying what the file holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ardm::kinds {

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

}  // namespace ardm::kinds
