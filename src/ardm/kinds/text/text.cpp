#include "ardm/kinds/text/text.h"

#include "ardm/coding/rans.h"

#ifndef ARDM_DEFAULT_TEXT_MODEL
#define ARDM_DEFAULT_TEXT_MODEL ""
#endif

namespace ardm::kinds {

bool TextKind::codes(const DataSpec& d) const {
  return d.kind == "bytes" && d.shape.size() == 1 && d.num_classes == 256;
}

std::string TextKind::model_needed() const {
  return "not bytes: files other than PNG images and WAV files need a byte-level text model";
}

std::string TextKind::bundled_model() const { return ARDM_DEFAULT_TEXT_MODEL; }

Content TextKind::read(const std::vector<uint8_t>& file, const std::string&, const engine::EngineModel&) const {
  Content c;
  c.description.kind = code();
  c.description.value_bits = 8;
  c.description.shape = {static_cast<uint64_t>(file.size())};
  c.words.assign(file.begin(), file.end());
  return c;
}

WordMap TextKind::word_map(const coding::Description&, const engine::EngineCodec&) const {
  return {identity_word, identity_word, 0};
}

void TextKind::check_description(const coding::Description& d) const {
  if (d.value_bits != 8 || d.shape.size() != 1)
    throw coding::FormatError("corrupted: a byte stream of 8-bit values has rank 1");
}

std::vector<uint8_t> TextKind::write(const Content& c, size_t, const std::string&, const WriteOptions&) const {
  std::vector<uint8_t> out(c.words.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (c.words[i] > 255) throw coding::CodingError("a byte stream decoded a value above 255");
    out[i] = static_cast<uint8_t>(c.words[i]);
  }
  return out;
}

}  // namespace ardm::kinds
