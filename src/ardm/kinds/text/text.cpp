#include "ardm/kinds/text/text.h"

#include <algorithm>

#include "ardm/coding/rans.h"
#if ARDM_HAVE_GENERAL
#include "ardm/kinds/text/general.h"
#endif

#ifndef ARDM_DEFAULT_TEXT_MODEL
#define ARDM_DEFAULT_TEXT_MODEL ""
#endif
#ifndef ARDM_OLDER_TEXT_MODELS
#define ARDM_OLDER_TEXT_MODELS ""  // paths separated by '|'
#endif

namespace ardm::kinds {

bool TextKind::codes(const DataSpec& d) const {
  return d.kind == "bytes" && d.shape.size() == 1 && d.num_classes == 256;
}

std::string TextKind::model_needed() const {
  return "not bytes: files other than PNG images and WAV files need a byte-level text model";
}

std::string TextKind::bundled_model() const { return bundled_path(ARDM_DEFAULT_TEXT_MODEL); }

std::vector<std::string> TextKind::older_models() const { return path_list(ARDM_OLDER_TEXT_MODELS); }

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

int TextKind::native_count() const { return 4; }

const char* TextKind::native_name(int k) const {
  static const char* const kNames[4] = {"xz", "bzip2", "zstd", "brotli"};
  return k >= 0 && k < 4 ? kNames[k] : nullptr;
}

#if ARDM_HAVE_GENERAL
std::vector<std::vector<uint8_t>> TextKind::encode_native(int k, const Content& c) const {
  const auto bytes = coding::value_bytes(c.words.data(), c.words.size(), 8);
  const auto codec = static_cast<general::Compressor>(k);
  auto out = general::compress(codec, bytes.data(), bytes.size());
  // The file's CRC covers the stream, not the bytes: check them here, once.
  if (general::decompress(codec, out.data(), out.size(), bytes.size()) != bytes)
    throw std::runtime_error(std::string("the ") + native_name(k) + " library did not give back the exact bytes");
  return {out};
}

std::vector<uint16_t> TextKind::decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const {
  if (parts.size() != 1) throw coding::FormatError("corrupted: a byte stream by a compressor is one stream");
  const auto bytes = general::decompress(static_cast<general::Compressor>(k), parts[0].data, parts[0].size,
                                         static_cast<size_t>(d.shape[0]));
  return {bytes.begin(), bytes.end()};
}
#else
// A decoder built without the compressors' libraries (a cross build) reads model-coded and stored files.
std::vector<std::vector<uint8_t>> TextKind::encode_native(int k, const Content&) const {
  throw std::runtime_error(std::string("this build has no ") + native_name(k) + " support");
}
std::vector<uint16_t> TextKind::decode_native(int k, const std::vector<coding::Part>&, const coding::Description&) const {
  throw std::runtime_error(std::string("this build has no ") + native_name(k) + " support: the file holds " + native_name(k) + " data");
}
#endif

std::vector<uint8_t> TextKind::write(const Content& c, size_t, const std::string&, const WriteOptions&) const {
  std::vector<uint8_t> out(c.words.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (c.words[i] > 255) throw coding::CodingError("a byte stream decoded a value above 255");
    out[i] = static_cast<uint8_t>(c.words[i]);
  }
  return out;
}

}  // namespace ardm::kinds
