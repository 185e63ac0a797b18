// WAV files: the samples of the first "data" chunk, every other byte of the file kept verbatim
// as the container's prefix and suffix. 8- and 16-bit samples ({T, C}: frames, channels) are
// coded by an audio model, each channel alone, in chunks of its clip length (a shorter last
// chunk is a tail, never padded); a 16-bit sample s is the model value s + 32,768, an 8-bit
// sample u (WAV's unsigned byte) is (u - 128) * 256 + 32,768 = u * 256, coded by the model's
// stages of a value's top 8 bits where its digits split there. Wider samples and floats
// ({T, C, B}: their B bytes as 8-bit values) go to WavPack, FLAC or are stored; so does any
// chunk or file those code smaller (the sample format is read from the kept fmt chunk).
#pragma once

#include "ardm/kinds/audio/wav.h"
#include "ardm/kinds/kind.h"

namespace ardm::kinds {

class AudioKind : public Kind {
 public:
  const char* name() const override { return "audio"; }
  uint32_t code() const override { return 3; }
  bool container_bytes() const override { return true; }
  const char* unit() const override { return "bits per sample"; }
  const char* value_noun() const override { return "sample"; }
  const char* item_noun() const override { return "chunk"; }
  bool codes(const DataSpec& d) const override;
  const char* data_noun() const override { return "audio data"; }
  std::string model_needed() const override;
  const char* model_variable() const override { return "ARDM_AUDIO_MODEL"; }
  std::string bundled_model() const override;
  std::vector<std::string> older_models() const override;
  bool claims(const std::string& path, const uint8_t* head, size_t n) const override;
  Content read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel& model) const override;
  WordMap word_map(const coding::Description& d, const engine::EngineCodec& codec) const override;
  bool model_codes(const coding::Description& d, const engine::EngineModel& model) const override;
  uint64_t rows(const coding::Description& d) const override;
  int native_count() const override { return 2; }
  const char* native_name(int k) const override;
  bool native_takes(int k, const coding::Description& d) const override;
  std::vector<std::vector<uint8_t>> encode_native(int k, const Content& c) const override;
  std::vector<uint16_t> decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const override;
  bool native_chunks(int k, const coding::Description& d) const override;
  std::vector<uint8_t> encode_native_chunk(int k, const coding::Description& d, const uint16_t* words, size_t n) const override;
  std::vector<uint16_t> decode_native_chunk(int k, const coding::Description& d, const coding::Part& p, size_t n) const override;
  void check_description(const coding::Description& d) const override;
  std::vector<uint8_t> write(const Content& c, size_t i, const std::string& name, const WriteOptions& o) const override;
  bool owns(const DataSpec& d) const override { return d.kind == "audio"; }
  bool takes_source(const std::string& source) const override;  // speech, a .wav file, or a folder of them
  const char* eval_unit() const override { return "bits/sample"; }
  const char* eval_items() const override { return "clips"; }
};

}  // namespace ardm::kinds
