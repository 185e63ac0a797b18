// What the coding layer's tests share (no torch): random distributions, rANS round trips and a
// toy "model" with a fixed distribution per pixel, so whole files run the real coder.
#pragma once

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "ardm/legacy/format_v12.h"

namespace coding_test {

using namespace ardm::coding;
using namespace ardm::legacy;

inline std::vector<double> random_distribution(std::mt19937_64& g, size_t k, double zero_fraction = 0.0) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> p(k);
  for (auto& x : p) x = u(g) < zero_fraction ? 0.0 : std::pow(u(g), 4.0);
  p[g() % k] += 0.1;  // never all zero
  return p;
}

inline size_t draw(std::mt19937_64& g, const std::vector<double>& p) {
  std::discrete_distribution<size_t> d(p.begin(), p.end());
  return d(g);
}

inline double entropy_bits(const std::vector<double>& p) {
  const double s = std::accumulate(p.begin(), p.end(), 0.0);
  double h = 0;
  for (double x : p)
    if (x > 0) h -= x / s * std::log2(x / s);
  return h;
}

// Encodes symbols (each with its own table) last to first on `lanes` lanes, decodes first to last.
inline std::vector<size_t> round_trip(const std::vector<size_t>& syms, const std::vector<FrequencyTable>& tabs,
                               uint32_t precision, int lanes, size_t* bytes = nullptr) {
  RansEncoder enc(precision, lanes);
  for (size_t i = syms.size(); i-- > 0;) {
    const auto& t = tabs[i % tabs.size()];
    enc.put(t.start(syms[i]), t.freq(syms[i]), static_cast<int>(i % static_cast<size_t>(lanes)));
  }
  const auto stream = enc.finish();
  if (bytes) *bytes = stream.size();
  RansDecoder dec(stream.data(), stream.size(), precision, lanes);
  std::vector<size_t> out(syms.size());
  for (size_t i = 0; i < syms.size(); ++i) {
    const auto& t = tabs[i % tabs.size()];
    const int lane = static_cast<int>(i % static_cast<size_t>(lanes));
    const size_t s = t.find(dec.peek(lane));
    dec.advance(t.start(s), t.freq(s), lane);
    out[i] = s;
  }
  dec.check_finished();
  return out;
}

// A toy "model" for whole files: a fixed distribution per position, so decoding a damaged file
// runs the real decoder over real payloads.
struct ToyImageCodec {
  std::vector<FrequencyTable> tabs;  // one per pixel
  explicit ToyImageCodec(size_t pixels) {
    std::mt19937_64 g(5);
    for (size_t i = 0; i < pixels; ++i) {
      auto p = random_distribution(g, 256, 0.5);
      tabs.push_back(quantize_probabilities(p.data(), 256, kDefaultPrecision));
    }
  }
  std::vector<uint8_t> payload(const std::vector<uint8_t>& img) const {
    RansEncoder enc;
    for (size_t i = img.size(); i-- > 0;) enc.put(tabs[i].start(img[i]), tabs[i].freq(img[i]));
    return enc.finish();
  }
  std::vector<std::vector<uint8_t>> decode_file(const std::vector<uint8_t>& file, uint32_t fingerprint) const {
    const auto f = read_file(file.data(), file.size());
    check_model(f, 0, fingerprint);
    std::vector<std::vector<uint8_t>> out;
    for (const auto& item : f.items) {
      RansDecoder dec(item.payload, item.payload_size);
      std::vector<uint8_t> img(f.header.values_per_item());
      for (size_t i = 0; i < img.size(); ++i) {
        const auto& t = tabs[i % tabs.size()];
        const size_t s = t.find(dec.peek());
        dec.advance(t.start(s), t.freq(s));
        img[i] = static_cast<uint8_t>(s);
      }
      dec.check_finished();
      check_item_crc(f, item, img.data(), img.size());
      out.push_back(img);
    }
    return out;
  }
  std::vector<uint8_t> sample_image(std::mt19937_64& g) const {
    std::vector<uint8_t> img(tabs.size());
    for (size_t i = 0; i < img.size(); ++i) {
      std::vector<double> p(256);
      for (size_t s = 0; s < 256; ++s) p[s] = tabs[i].freq(s);
      img[i] = static_cast<uint8_t>(draw(g, p));
    }
    return img;
  }
};

inline FileHeader image_header(uint32_t budget = 50) {
  FileHeader h;
  h.model_fingerprint = 0x12345678;
  h.shape = {1, 28, 28};
  h.budget = budget;
  return h;
}

}  // namespace coding_test
