// Files of any bytes (text or binary) for `ardm compress` and `decompress` (docs/format.md,
// data kind 2): the byte stream cut into chunks of the model's length D, each coded by a
// byte-level model ("bytes" vocabulary), a last shorter chunk coded as a tail (its missing
// positions absent: never known, never coded); or the bytes stored as they are when that is
// smaller, so a file never grows by more than its header and a CRC.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/engine/codec.h"

namespace ardm {

// Throws std::runtime_error unless the model codes byte streams (a "bytes" text model).
void check_byte_model(const engine::EngineModel& m);

struct ByteFileStats {
  coding::Method method = coding::Method::kModel;
  size_t chunks = 0;
  double model_bits = 0;  // the model's exact code length of all chunks (0 when stored without coding)
};

// method: "auto" (the smaller of model and stored), "model" or "stored". An empty input is
// always stored. on_progress(chunks done, chunks in all) after each batch.
std::vector<uint8_t> compress_bytes(const std::vector<uint8_t>& data, const engine::EngineCodec& codec, int64_t budget,
                                    size_t batch, const std::string& method, ByteFileStats* stats = nullptr,
                                    const std::function<void(size_t, size_t)>& on_progress = {});

// ---- Any 1-D stream of words (bytes, 8- or 16-bit samples): what byte and WAV files share ----
// A word w (as the file stores it: a byte, or a 16-bit little-endian word) is coded as the model
// value to_model(w); decoding maps a value back with to_word, and a value for which
// to_model(to_word(v)) != v is corruption. Chunks of D words, a shorter last one a tail
// (docs/format.md, "Chunks"); each chunk's check covers its words' bytes.
struct WordMap {
  uint16_t (*to_model)(uint16_t word);
  uint16_t (*to_word)(uint16_t value);
  int64_t stages = 0;  // the model stages that code a value (0: all; 8-bit audio: those of its top 8 bits)
};
// `description` says what the file holds (kind, value bits, shape, container bytes); words are
// its N values. Returns the smaller of model and stored for "auto" (an empty stream is stored).
std::vector<uint8_t> compress_stream(const coding::Description& description, const std::vector<uint16_t>& words,
                                     const WordMap& map, const engine::EngineCodec& codec, int64_t budget, size_t batch,
                                     const std::string& method, ByteFileStats* stats,
                                     const std::function<void(size_t, size_t)>& on_progress);
// The N words of a described 1-D stream (n = description.num_values()); `codec` may be null
// for a stored file.
std::vector<uint16_t> decompress_stream(const coding::ParsedFileV3& f, const WordMap& map,
                                        const engine::EngineCodec* codec, size_t batch,
                                        const std::function<void(size_t, size_t)>& on_progress);

// True when a version-3 file describes a byte stream (parsed without the model).
bool holds_bytes(const coding::ParsedFileV3& f);

// The original bytes, every chunk checked; throws coding::FormatError or coding::CodingError
// (naming the chunk) for anything wrong, before returning anything. `codec` may be null for a
// stored file.
std::vector<uint8_t> decompress_bytes(const coding::ParsedFileV3& f, const engine::EngineCodec* codec, size_t batch,
                                      const std::function<void(size_t, size_t)>& on_progress = {});

}  // namespace ardm
