// Any file as a byte stream (text, or anything no other kind claims), coded by a byte-level
// text model ("bytes" vocabulary) in chunks of its sequence length (a last shorter chunk is a
// tail), or by a general-purpose compressor (xz, bzip2, zstd, brotli at their strongest).
#pragma once

#include "ardm/kinds/kind.h"

namespace ardm::kinds {

class TextKind : public Kind {
 public:
  const char* name() const override { return "text"; }
  uint32_t code() const override { return 2; }
  const char* unit() const override { return "bits per byte"; }
  const char* value_noun() const override { return "byte"; }
  const char* item_noun() const override { return "chunk"; }
  bool codes(const DataSpec& d) const override;
  const char* data_noun() const override { return "bytes data"; }
  std::string model_needed() const override;
  const char* model_variable() const override { return "ARDM_TEXT_MODEL"; }
  std::string bundled_model() const override;
  std::vector<std::string> older_models() const override;
  bool claims(const std::string&, const uint8_t*, size_t) const override { return true; }
  Content read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel& model) const override;
  WordMap word_map(const coding::Description& d, const engine::EngineCodec& codec) const override;
  void check_description(const coding::Description& d) const override;
  int native_count() const override;
  const char* native_name(int k) const override;
  std::vector<std::vector<uint8_t>> encode_native(int k, const Content& c) const override;
  std::vector<uint16_t> decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const override;
  bool binary_output() const override { return false; }
  bool owns(const DataSpec& d) const override { return d.kind == "bytes" || d.kind == "text8"; }
  bool takes_source(const std::string&) const override { return true; }  // kjv, gcide, any file or folder
  const char* eval_unit() const override { return "bpc"; }
  const char* eval_items() const override { return "sequences"; }
  std::vector<uint8_t> write(const Content& c, size_t i, const std::string& name, const WriteOptions& o) const override;
};

}  // namespace ardm::kinds
