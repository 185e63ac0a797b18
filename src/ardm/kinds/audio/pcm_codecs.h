// Lossless coding of PCM audio samples with WavPack and FLAC through their C libraries, in memory.
// The streams carry no WAV header and as little framing as the libraries allow: the caller's
// container keeps the WAV header, the frame count and a checksum of everything, and passes the
// format and frame count back to decode().
//
// WavPack streams are the library's blocks with each 32-byte block header shortened to what cannot
// be derived (its size and sample count as varints, its flags and its CRC); decode rebuilds the
// headers exactly ("wvpk", stream version, total samples, block index) before handing the blocks to
// the library, whose per-block checksum covers the rebuilt header. FLAC streams are the encoder's
// frames only: decode puts a STREAMINFO made from the format and frame count in front of them.
// Zero frames code as an empty stream in both codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ardm::kinds::pcm {

// Samples exactly as a WAV file's data chunk holds them: interleaved frames, little-endian,
// bits/8 bytes per sample; 8-bit samples unsigned (WAV's convention), 16/24/32-bit signed
// integers, or 32-bit IEEE floats when is_float.
struct Format {
  uint32_t channels = 1;   // 1..8
  uint32_t bits = 16;      // 8, 16, 24 or 32
  bool is_float = false;   // only with bits == 32
  uint32_t rate = 8000;    // frames per second (1..)
};

enum class Codec : uint8_t { kWavpack = 0, kFlac = 1 };
const char* name(Codec c);  // "wavpack", "flac"

// True when the codec can code this format losslessly (FLAC: integer PCM of 8..32 bits and rates
// up to 1048575 Hz; WavPack: all widths, floats included, rates up to 2^31 - 1 Hz).
bool takes(Codec c, const Format& f);

// WavPack at the setting of `wavpack -hh -x6` (very high mode, extra mode 6); FLAC at `flac -8`
// (compression level 8), without padding, seek table or tags. Throws std::invalid_argument if
// !takes(c, f) or frames is beyond what the codec can count; std::runtime_error if the library
// fails. `samples` holds frames * channels * bits/8 bytes.
std::vector<uint8_t> encode(Codec c, const uint8_t* samples, size_t frames, const Format& f);

// Decodes exactly frames * channels * bits/8 bytes in the layout above. Hostile input: throws
// ardm::coding::FormatError (message starting "corrupted: ") on any library error, a stream whose
// own format (channels, bits, float, rate, frame count) differs from `f` / `frames`, too few or
// too many frames, trailing bytes, or a format that !takes(c, f). Memory bounded by the output
// size plus the library's working memory.
std::vector<uint8_t> decode(Codec c, const uint8_t* data, size_t n, size_t frames, const Format& f);

}  // namespace ardm::kinds::pcm
