// libFuzzer target: the file reader and the rANS decoder on arbitrary bytes. Any input must end
// in a clean FormatError/CodingError or a successful decode; ASan and UBSan catch the rest.
// Built and run by run_fuzz.sh. With -DARDM_FUZZ_WRITE_SEEDS it instead writes the seed corpus.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"

using namespace ardm::coding;

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
    decode_file(data, size);
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
  return 0;
}
#endif
