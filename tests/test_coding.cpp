// The coding layer alone (no torch): rANS round trips and overhead, frequency quantization, and
// the file format against truncation, bit flips and hostile fields.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"

using namespace ardm::coding;

namespace {

std::vector<double> random_distribution(std::mt19937_64& g, size_t k, double zero_fraction = 0.0) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> p(k);
  for (auto& x : p) x = u(g) < zero_fraction ? 0.0 : std::pow(u(g), 4.0);
  p[g() % k] += 0.1;  // never all zero
  return p;
}

size_t draw(std::mt19937_64& g, const std::vector<double>& p) {
  std::discrete_distribution<size_t> d(p.begin(), p.end());
  return d(g);
}

double entropy_bits(const std::vector<double>& p) {
  const double s = std::accumulate(p.begin(), p.end(), 0.0);
  double h = 0;
  for (double x : p)
    if (x > 0) h -= x / s * std::log2(x / s);
  return h;
}

// Encodes symbols (each with its own table) last to first on `lanes` lanes, decodes first to last.
std::vector<size_t> round_trip(const std::vector<size_t>& syms, const std::vector<FrequencyTable>& tabs,
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

FileHeader image_header(uint32_t budget = 50) {
  FileHeader h;
  h.model_fingerprint = 0x12345678;
  h.shape = {1, 28, 28};
  h.budget = budget;
  return h;
}

}  // namespace

TEST(Rans, RoundTripsRandomDistributionsLanesAndPrecisions) {
  std::mt19937_64 g(1);
  for (uint32_t precision : {12u, 16u, 24u, 31u})
    for (int lanes : {1, 2, 4}) {
      for (int trial = 0; trial < 10; ++trial) {
        const size_t k = 2 + g() % 300;
        std::vector<FrequencyTable> tabs;
        std::vector<std::vector<double>> ps;
        for (int d = 0; d < 7; ++d) {
          ps.push_back(random_distribution(g, k, 0.3));
          tabs.push_back(quantize_probabilities(ps.back().data(), k, precision));
        }
        std::vector<size_t> syms(1 + g() % 3000);
        for (size_t i = 0; i < syms.size(); ++i) syms[i] = draw(g, ps[i % ps.size()]);
        EXPECT_EQ(round_trip(syms, tabs, precision, lanes), syms) << "precision " << precision << " lanes " << lanes;
      }
    }
}

TEST(Rans, ExtremeDistributions) {
  std::mt19937_64 g(2);
  // one symbol with nearly all the mass, and the rare ones actually coded
  std::vector<double> p(256, 1e-12);
  p[7] = 1.0;
  auto t = quantize_probabilities(p.data(), p.size(), kDefaultPrecision);
  EXPECT_EQ(t.freq(7), (1u << 24) - 255);
  std::vector<size_t> syms(5000, 7);
  for (int i = 0; i < 50; ++i) syms[g() % syms.size()] = g() % 256;
  EXPECT_EQ(round_trip(syms, {t}, kDefaultPrecision, 1), syms);
  // K = 2
  const double two[2] = {0.999, 0.001};
  auto t2 = quantize_probabilities(two, 2, kDefaultPrecision);
  std::vector<size_t> bits(20000);
  for (auto& b : bits) b = (g() % 1000) == 0;
  EXPECT_EQ(round_trip(bits, {t2}, kDefaultPrecision, 2), bits);
  // K = 65,536, skewed and uniform
  std::vector<double> wide(65536);
  for (size_t i = 0; i < wide.size(); ++i) wide[i] = 1.0 / (1.0 + static_cast<double>(i));
  auto tw = quantize_probabilities(wide.data(), wide.size(), kDefaultPrecision);
  std::vector<double> flat(65536, 1.0);
  auto tf = quantize_probabilities(flat.data(), flat.size(), kDefaultPrecision);
  EXPECT_EQ(tf.freq(12345), 256u);
  std::vector<size_t> s16(4000);
  for (auto& s : s16) s = g() % 65536;
  EXPECT_EQ(round_trip(s16, {tw, tf}, kDefaultPrecision, 1), s16);
}

TEST(Rans, OverheadOnLongIidStreamsWithinTenthOfAPercent) {
  std::mt19937_64 g(3);
  for (size_t k : {2u, 256u}) {
    auto p = random_distribution(g, k);
    auto t = quantize_probabilities(p.data(), k, kDefaultPrecision);
    std::vector<size_t> syms(1'000'000);
    std::discrete_distribution<size_t> d(p.begin(), p.end());
    double ideal_bits = 0;  // the actual sequence's code length under p
    const double s = std::accumulate(p.begin(), p.end(), 0.0);
    for (auto& x : syms) {
      x = d(g);
      ideal_bits -= std::log2(p[x] / s);
    }
    size_t bytes = 0;
    EXPECT_EQ(round_trip(syms, {t}, kDefaultPrecision, 1, &bytes), syms);
    const double overhead = (8.0 * bytes - ideal_bits) / ideal_bits;
    std::printf("K=%zu: entropy %.4f bits/symbol, ideal %.0f bytes, coded %zu bytes, overhead %.4f%%\n", k,
                entropy_bits(p), ideal_bits / 8, bytes, 100 * overhead);
    EXPECT_LT(overhead, 0.001);
    EXPECT_GT(8.0 * bytes, ideal_bits - 1);  // no free lunch: never below the information content
  }
}

TEST(Quantize, SumsExactlyEveryFrequencyPositiveAndErrorBounded) {
  std::mt19937_64 g(4);
  for (uint32_t precision : {8u, 16u, 24u}) {
    for (int trial = 0; trial < 50; ++trial) {
      const size_t k = 2 + g() % 250;
      auto p = random_distribution(g, k, 0.5);
      auto t = quantize_probabilities(p.data(), k, precision);
      ASSERT_EQ(t.cum.back(), 1u << precision);
      double kl = 0;
      const double s = std::accumulate(p.begin(), p.end(), 0.0);
      for (size_t i = 0; i < k; ++i) {
        ASSERT_GE(t.freq(i), 1u);
        const double q = t.freq(i) / std::ldexp(1.0, static_cast<int>(precision));
        if (p[i] > 0) {
          kl += p[i] / s * std::log2(p[i] / s / q);
          EXPECT_LE(std::log2(p[i] / s / q), quantization_loss_bound_bits(k, precision) + 1e-12);
        }
      }
      EXPECT_LE(kl, quantization_loss_bound_bits(k, precision) + 1e-12);
      // deterministic, and find() inverts the table
      EXPECT_EQ(quantize_probabilities(p.data(), k, precision).cum, t.cum);
      for (size_t i = 0; i < k; ++i) EXPECT_EQ(t.find(t.start(i) + t.freq(i) - 1), i);
    }
  }
  // logits give the table of their softmax
  const float logits[4] = {0.5f, -1.0f, 3.0f, 3.0f};
  double soft[4];
  for (int i = 0; i < 4; ++i) soft[i] = std::exp(static_cast<double>(logits[i]) - 3.0);
  EXPECT_EQ(quantize_logits(logits, 4, 20).cum, quantize_probabilities(soft, 4, 20).cum);
  // bad inputs
  const double neg[2] = {0.5, -0.1}, zero[2] = {0, 0}, nan[2] = {NAN, 1};
  EXPECT_THROW(quantize_probabilities(neg, 2, 24), CodingError);
  EXPECT_THROW(quantize_probabilities(zero, 2, 24), CodingError);
  EXPECT_THROW(quantize_probabilities(nan, 2, 24), CodingError);
  std::vector<double> too_many(300, 1.0);
  EXPECT_THROW(quantize_probabilities(too_many.data(), 300, 8), CodingError);
}

TEST(Rans, MisuseAndTruncatedStreamsThrow) {
  RansEncoder enc(16);
  EXPECT_THROW(enc.put(0, 0), CodingError);
  EXPECT_THROW(enc.put(65535, 2), CodingError);
  EXPECT_THROW(RansEncoder(0), CodingError);
  EXPECT_THROW(RansEncoder(32), CodingError);
  const uint8_t three[3] = {1, 2, 3};
  EXPECT_THROW(RansDecoder(three, 3, 16), CodingError);
  const uint8_t four[4] = {1, 2, 3, 4};
  EXPECT_THROW(RansDecoder(four, 4, 16), CodingError);
  // a stream cut after its state runs out of data instead of reading past the end
  std::mt19937_64 g(6);
  std::vector<double> p(256, 1.0);
  auto t = quantize_probabilities(p.data(), 256, 16);
  RansEncoder e(16);
  for (int i = 0; i < 100; ++i) e.put(t.start(i), t.freq(i));
  auto s = e.finish();
  RansDecoder d(s.data(), 8, 16);
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) {
          const size_t sym = t.find(d.peek());
          d.advance(t.start(sym), t.freq(sym));
        }
      },
      CodingError);
}

TEST(Format, RoundTripAndOverhead) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(7);
  const auto img = codec.sample_image(g);
  for (uint32_t budget : {50u, 784u}) {
    const auto payload = codec.payload(img);
    const auto file = write_file(image_header(budget), {{payload, img}});
    EXPECT_EQ(file.size() - payload.size(), budget < 128 ? 15u : 16u);  // at most 16 bytes beyond the payload
    const auto back = codec.decode_file(file, 0x12345678);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0], img);
    const auto parsed = read_file(file.data(), file.size());
    EXPECT_EQ(parsed.header.budget, budget);
    EXPECT_EQ(parsed.header.shape, (std::vector<uint32_t>{1, 28, 28}));
  }
  // the payload is within 8 bytes of the ideal code length under the quantized tables
  double ideal = 0;
  for (size_t i = 0; i < img.size(); ++i) ideal -= std::log2(codec.tabs[i].freq(img[i]) / std::ldexp(1.0, 24));
  const auto payload = codec.payload(img);
  EXPECT_LE(payload.size() * 8.0, ideal + 64.0);
  EXPECT_GE(payload.size() * 8.0, ideal);
  // many items in one file
  std::vector<ItemToWrite> items;
  std::vector<std::vector<uint8_t>> imgs;
  for (int i = 0; i < 5; ++i) {
    imgs.push_back(codec.sample_image(g));
    items.push_back({codec.payload(imgs.back()), imgs.back()});
  }
  const auto multi = write_file(image_header(), items);
  EXPECT_EQ(codec.decode_file(multi, 0x12345678), imgs);
}

TEST(Format, EveryTruncationAndEveryBitFlipIsRejected) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(8);
  const auto img = codec.sample_image(g);
  std::vector<uint8_t> img2 = codec.sample_image(g);
  for (const auto& file : {write_file(image_header(), {{codec.payload(img), img}}),
                           write_file(image_header(), {{codec.payload(img), img}, {codec.payload(img2), img2}})}) {
    size_t truncations = 0, flips = 0;
    for (size_t n = 0; n < file.size(); ++n) {
      const std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
      try {
        codec.decode_file(cut, 0x12345678);
        ADD_FAILURE() << "truncation to " << n << " bytes accepted";
      } catch (const FormatError&) {
        ++truncations;
      } catch (const CodingError&) {
        ++truncations;
      }
    }
    for (size_t bit = 0; bit < file.size() * 8; ++bit) {
      auto bad = file;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      try {
        codec.decode_file(bad, 0x12345678);
        ADD_FAILURE() << "flip of bit " << bit << " accepted";
      } catch (const FormatError&) {
        ++flips;
      } catch (const CodingError&) {
        ++flips;
      }
    }
    EXPECT_EQ(truncations, file.size());
    EXPECT_EQ(flips, file.size() * 8);
  }
}

TEST(Format, HostileFieldsGiveClearErrors) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(9);
  const auto img = codec.sample_image(g);
  const auto file = write_file(image_header(), {{codec.payload(img), img}});
  auto message = [](const std::vector<uint8_t>& f) -> std::string {
    try {
      read_file(f.data(), f.size());
    } catch (const FormatError& e) {
      return e.what();
    }
    return "";
  };
  auto with = [&](size_t at, uint8_t v) {
    auto f = file;
    f[at] = v;
    return f;
  };
  EXPECT_EQ(message({}).rfind("truncated", 0), 0u);
  EXPECT_EQ(message(with(0, 'P')).rfind("not an ardm file", 0), 0u);
  EXPECT_EQ(message(with(2, static_cast<uint8_t>((3 << 4) | 2))).rfind("unsupported version 3", 0), 0u);
  EXPECT_EQ(message(with(2, static_cast<uint8_t>(2))).rfind("unsupported version 0", 0), 0u);
  EXPECT_EQ(message(with(2, static_cast<uint8_t>((1 << 4) | (5 << 1)))).rfind("corrupted: unknown data kind 5", 0), 0u);
  EXPECT_EQ(message(with(7, 2)).rfind("corrupted: an image has 1 or 3 channels", 0), 0u);
  try {
    codec.decode_file(file, 0xCAFEBABE);
    FAIL() << "wrong model accepted";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model: the file was made with model 12345678", 0), 0u);
  }
  // overlong varint for the budget (50 written as 0xB2 0x00)
  auto overlong = file;
  overlong.insert(overlong.begin() + 11, 0x00);
  overlong[10] |= 0x80;
  EXPECT_NE(message(overlong).find("overlong"), std::string::npos);
  // a multi-item header claiming 2^34 items is rejected before anything is allocated
  std::vector<uint8_t> huge = {kMagic0, kMagic1, static_cast<uint8_t>((1 << 4) | (1 << 1) | 1), 0, 0, 0, 0, 1, 28, 28, 50,
                               0x80, 0x80, 0x80, 0x80, 0x40};
  EXPECT_EQ(message(huge).rfind("truncated", 0), 0u);
  // trailing garbage
  auto longer = file;
  longer.push_back(0);
  longer.push_back(0);
  longer.push_back(0);
  longer.push_back(0);
  EXPECT_THROW(codec.decode_file(longer, 0x12345678), std::runtime_error);
  // the writer refuses what the reader would refuse
  auto h = image_header(0);
  EXPECT_THROW(write_file(h, {{codec.payload(img), img}}), FormatError);
  EXPECT_THROW(write_file(image_header(), {{codec.payload(img), std::vector<uint8_t>(10)}}), FormatError);
}

TEST(Format, VersionTwoRecordsTheModelKind) {
  // OA-ARDM files are written as version 1 (unchanged bytes); an Upscale model's as version 2,
  // with the model kind after the fingerprint. The budget's range follows the kind's stages.
  ToyImageCodec codec(12);
  std::mt19937_64 g(3);
  const auto img = codec.sample_image(g);
  FileHeader h;
  h.model_fingerprint = 0x12345678;
  h.shape = {1, 3, 4};
  h.budget = 4;
  const auto v1 = write_file(h, {{codec.payload(img), img}});
  EXPECT_EQ(v1[2] >> 4, 1);
  h.process = process_code(4, true);  // b = 4: 4 stages for 8-bit values
  const auto v2 = write_file(h, {{codec.payload(img), img}});
  EXPECT_EQ(v2[2] >> 4, 2);
  EXPECT_EQ(v2.size(), v1.size() + 1);  // the kind costs one byte
  const auto f = read_file(v2.data(), v2.size());
  EXPECT_EQ(f.header.process, process_code(4, true));
  EXPECT_EQ(describe_process(f.header.process), "Upscale ARDM (b = 4, matrix)");
  try {
    check_model(f, 0, 0x12345678);
    FAIL() << "an Upscale file was accepted for an OA-ARDM model";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model: the file was made by an Upscale ARDM (b = 4, matrix) model", 0), 0u)
        << e.what();
  }
  EXPECT_NO_THROW(check_model(f, process_code(4, true), 0x12345678));
  // Budgets: at least one call per stage, at most S*D.
  h.budget = 3;
  EXPECT_THROW(write_file(h, {{codec.payload(img), img}}), FormatError);
  h.budget = 4 * 12;
  EXPECT_NO_THROW(write_file(h, {{codec.payload(img), img}}));
  h.budget = 4 * 12 + 1;
  EXPECT_THROW(write_file(h, {{codec.payload(img), img}}), FormatError);
  // A version-2 file must name an Upscale kind; 0 or a branching factor below 2 is corrupt.
  auto bad = v2;
  bad[7] = 0;
  EXPECT_THROW(read_file(bad.data(), bad.size()), FormatError);
  bad[7] = 3;  // b = 1
  EXPECT_THROW(read_file(bad.data(), bad.size()), FormatError);
}
