// The layout of a WAV file (RIFF chunks): where its samples are and what they are. Everything
// else in the file (the RIFF header, "fmt ", LIST or other chunks, a pad byte, whatever follows
// the samples) is kept verbatim by the audio kind, so decompression gives back the identical file.
//
// Taken: integer PCM of 8, 16, 24 or 32 bits and 32-bit IEEE floats, 1 to 8 channels (format
// tag 1 or 3, or WAVE_FORMAT_EXTENSIBLE with the PCM or float subformat). Anything else
// (compressed WAV, 64-bit floats, odd sample widths) is refused with a message saying what the
// file holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ardm::kinds {

struct WavLayout {
  uint32_t channels = 1, bits = 16, rate = 0;
  bool is_float = false;
  size_t data_begin = 0;  // the first sample byte
  size_t frames = 0;      // whole frames (a sample of every channel) in the data chunk and the file
};

// True for bytes that begin "RIFF" ... "WAVE".
bool looks_like_wav(const uint8_t* data, size_t size);
// Parses a WAV file's chunks; throws std::runtime_error (prefixed by `name`) for a file that is
// not a WAV, is malformed (a chunk before the samples that runs past the end), or holds samples
// of a kind not taken. A data chunk that claims more bytes than the file has (a recording cut
// short, or written to a pipe) holds the whole frames there are; the rest is kept verbatim.
WavLayout parse_wav(const uint8_t* data, size_t size, const std::string& name);

// The 44-byte header most WAV writers make for integer PCM: "RIFF" with the size of all that
// follows it (the header's other 36 bytes, the `data_bytes` bytes of samples and `after` bytes
// more), "WAVE", a 16-byte fmt chunk of format tag 1, and the data chunk's own 8 bytes. Empty
// when a size or the byte rate does not fit its 32 bits.
std::vector<uint8_t> plain_wav_header(uint32_t channels, uint32_t bits, uint32_t rate, uint64_t data_bytes, uint64_t after);

}  // namespace ardm::kinds
