// libFuzzer target: the file reader and the rANS decoder on arbitrary bytes. Any input must end
// in a clean FormatError/CodingError or a successful decode; ASan and UBSan catch the rest.
// Built and run by run_fuzz.sh. With -DARDM_FUZZ_WRITE_SEEDS it instead writes the seed corpus.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "ardm/legacy/format_v12.h"

using namespace ardm::coding;
using namespace ardm::legacy;

namespace {

// The fixed "model" the fuzzer decodes with: p(s) proportional to 1 / (1 + s).
const FrequencyTable& table() {
  static const FrequencyTable t = [] {
    std::vector<double> p(256);
    for (size_t s = 0; s < p.size(); ++s) p[s] = 1.0 / (1.0 + static_cast<double>(s));
    return quantize_probabilities(p.data(), p.size(), kDefaultPrecision);
  }();
  return t;
}

constexpr uint32_t kFingerprint = 0xF0220001;
// The container knows data kinds by code: images (1), byte streams (2), audio (3) and images in their
// PNG form (4), the last two with container bytes.
const KindLayouts kKinds = {{1, false}, {2, false}, {3, true}, {4, true}};

void decode_file(const uint8_t* data, size_t size) {
  const ParsedFile f = read_file(data, size);
  check_model(f, f.header.process, kFingerprint);
  if (f.header.values_per_item() > 4096) return;  // keep each run fast
  std::vector<uint8_t> out(f.header.values_per_item());
  for (const auto& item : f.items) {
    RansDecoder dec(item.payload, item.payload_size);
    for (auto& v : out) {
      const size_t s = table().find(dec.peek());
      dec.advance(table().start(s), table().freq(s));
      v = static_cast<uint8_t>(s);
    }
    dec.check_finished();
    check_item_crc(f, item, out.data(), out.size());
  }
}

// Version 3: the model method's checked streams (D = the described image size, else 784 values
// per chunk). Stored and JPEG XL bodies are parsed and their CRC checked by the reader (no libjxl here).
void decode_file_v3(const uint8_t* data, size_t size) {
  const ParsedFileV3 f = read_file_v3(data, size, kKinds);
  check_model_v3(f, kFingerprint);
  const auto& d = f.header.description;
  const uint64_t n = f.header.described ? d.num_values() : 784;
  if (f.header.described && d.shape.size() == 4 && d.shape[0] == 0) return;
  const uint64_t per_chunk = f.header.described && d.kind == 1 && d.shape.size() >= 3 ? n / (d.shape.size() == 4 ? d.shape[0] : 1)
                                                                               : std::min<uint64_t>(n, 784);
  if (n > 8192) return;  // keep each run fast
  if (f.header.method != Method::kModel) return;  // the reader checked the CRC
  const uint64_t chunks = per_chunk == 0 ? 0 : (n + per_chunk - 1) / per_chunk;
  if (f.parts.size() != chunks) throw FormatError("corrupted: chunk count");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < f.parts.size(); ++i) {
    auto dec = RansDecoder::checked(f.parts[i].data, f.parts[i].size);
    out.assign(static_cast<size_t>(std::min<uint64_t>(per_chunk, n - i * per_chunk)), 0);
    for (auto& v : out) {
      const size_t s = table().find(dec.peek());
      dec.advance(table().start(s), table().freq(s));
      v = static_cast<uint8_t>(s);
    }
    dec.check_finished(chunk_check(kFingerprint, f.header_bytes, i, out.data(), out.size()));
  }
}

void decode_any(const uint8_t* data, size_t size) {
  if (file_version(data, size) == 3) return decode_file_v3(data, size);
  decode_file(data, size);
}

// Raw rANS streams with 1..4 lanes and a precision from the first byte.
void decode_raw(const uint8_t* data, size_t size) {
  if (size < 1) return;
  const int lanes = 1 + (data[0] & 3);
  const uint32_t precision = 8 + ((data[0] >> 2) % 24);
  std::vector<double> p(256);
  for (size_t s = 0; s < p.size(); ++s) p[s] = 1.0 + static_cast<double>(s % 7);
  const auto t = quantize_probabilities(p.data(), p.size(), precision);
  RansDecoder dec(data + 1, size - 1, precision, lanes);
  for (int i = 0; i < 2000; ++i) {
    const int lane = i % lanes;
    const size_t s = t.find(dec.peek(lane));
    dec.advance(t.start(s), t.freq(s), lane);
  }
  dec.check_finished();
}

}  // namespace

#ifndef ARDM_FUZZ_WRITE_SEEDS
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    decode_any(data, size);
  } catch (const FormatError&) {
  } catch (const CodingError&) {
  }
  try {
    decode_raw(data, size);
  } catch (const CodingError&) {
  }
  return 0;
}
#else
#include <cstdio>
#include <string>
// Writes valid files (they decode fully under table()) into the folder given as argv[1].
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  uint64_t rng = 42;
  auto next = [&] { return rng = rng * 6364136223846793005ULL + 1442695040888963407ULL; };
  auto make_item = [&](size_t n) {
    ItemToWrite it;
    for (size_t i = 0; i < n; ++i) it.data.push_back(static_cast<uint8_t>((next() >> 33) % 40));
    RansEncoder enc;
    for (size_t i = n; i-- > 0;) enc.put(table().start(it.data[i]), table().freq(it.data[i]));
    it.payload = enc.finish();
    return it;
  };
  auto write = [&](const std::string& name, const FileHeader& h, const std::vector<ItemToWrite>& items) {
    const auto bytes = write_file(h, items);
    FILE* f = std::fopen((std::string(argv[1]) + "/" + name).c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  };
  FileHeader h;
  h.model_fingerprint = kFingerprint;
  h.shape = {1, 28, 28};
  h.budget = 50;
  write("single-28x28.ardm", h, {make_item(784)});
  h.shape = {1, 4, 4};
  h.budget = 3;
  write("multi-4x4.ardm", h, {make_item(16), make_item(16), make_item(16)});
  h.shape = {3, 2, 5};
  h.budget = 30;
  write("rgb-2x5.ardm", h, {make_item(30)});

  // Version 3: one 28x28 image of the model, and three described 4x4 images in chunks.
  auto write_v3 = [&](const std::string& name, const Header& hv, size_t count, size_t per_chunk) {
    const bool chunked = count > 1;
    const auto head = encode_header(hv, chunked);
    std::vector<std::vector<uint8_t>> parts;
    for (size_t i = 0; i < count; ++i) {
      const auto it = make_item(per_chunk);
      std::vector<CodedSymbol> syms;
      for (uint8_t v : it.data) syms.push_back({table().start(v), table().freq(v)});
      parts.push_back(encode_checked(syms, chunk_check(kFingerprint, head, i, it.data.data(), it.data.size())));
    }
    const auto bytes = assemble_file(head, Method::kModel, chunked, parts);
    FILE* f = std::fopen((std::string(argv[1]) + "/" + name).c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  };
  Header hv;
  hv.model_id = static_cast<uint16_t>(kFingerprint);
  hv.budget = 20;
  write_v3("v3-single-28x28.ardm", hv, 1, 784);
  hv.described = true;
  hv.description.kind = 1;
  hv.description.shape = {3, 1, 4, 4};
  write_v3("v3-chunks-4x4.ardm", hv, 3, 16);

  // Version 3, stored: 16-bit audio samples with container bytes.
  Header hs;
  hs.method = Method::kStored;
  hs.model_id = hv.model_id;
  hs.described = true;
  hs.description.kind = 3;
  hs.description.container_bytes = true;
  hs.description.value_bits = 16;
  hs.description.shape = {6, 1};
  hs.description.prefix = {'R', 'I', 'F', 'F'};
  const uint16_t samples[6] = {0, 1, 65535, 300, 7, 40000};
  const auto stored = assemble_file(encode_header(hs, false), Method::kStored, false, {value_bytes(samples, 6, 16)});
  FILE* f = std::fopen((std::string(argv[1]) + "/v3-stored-pcm16.ardm").c_str(), "wb");
  std::fwrite(stored.data(), 1, stored.size(), f);
  std::fclose(f);
  return 0;
}
#endif
