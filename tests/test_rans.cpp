// The coding layer alone (no torch): rANS round trips and overhead, checked streams and
// frequency quantization.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "coding_test_util.h"

using namespace ardm::coding;
using namespace coding_test;

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

namespace {

// Symbols with ~3 bits of entropy each over 256 classes (a peaked random distribution per
// position, like an image model's), and their ideal code length.
std::vector<CodedSymbol> peaked_symbols(std::mt19937_64& g, size_t n, double* ideal_bits) {
  std::vector<CodedSymbol> out;
  *ideal_bits = 0;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t i = 0; i < n; ++i) {
    const double mu = 255 * u(g), scale = 1 + 6 * u(g);
    std::vector<double> p(256);
    for (size_t v = 0; v < 256; ++v) p[v] = std::exp(-std::abs(static_cast<double>(v) - mu) / scale);
    const auto t = quantize_probabilities(p.data(), 256, kDefaultPrecision);
    const size_t s = draw(g, p);
    out.push_back({t.start(s), t.freq(s)});
    *ideal_bits -= std::log2(static_cast<double>(t.freq(s)) / (1u << kDefaultPrecision));
  }
  return out;
}

std::vector<size_t> decode_checked(const std::vector<uint8_t>& stream, const std::vector<CodedSymbol>& like,
                                   uint32_t check) {
  // Decodes as many symbols as `like` has, each with a table that has `like`'s symbol at its
  // place: the decoder only needs (start, freq) of the symbol the slot falls in.
  auto dec = RansDecoder::checked(stream.data(), stream.size());
  std::vector<size_t> out;
  for (const auto& s : like) {
    const uint32_t slot = dec.peek();
    if (slot < s.start || slot - s.start >= s.freq) throw CodingError("another symbol");
    dec.advance(s.start, s.freq);
    out.push_back(s.start);
  }
  dec.check_finished(check);
  return out;
}

}  // namespace

TEST(Rans, CheckedStreamsRoundTripCarryTheCheckAndCostUnderFourAndAHalfBytes) {
  std::mt19937_64 g(31);
  double sum_overhead = 0, max_overhead = 0;
  int streams = 0;
  for (size_t n : {0, 1, 2, 5, 40, 784, 784, 784, 784, 784, 784, 784, 784, 3000}) {
    double ideal = 0;
    const auto syms = peaked_symbols(g, n, &ideal);
    const uint32_t check = static_cast<uint32_t>(g());
    const auto stream = encode_checked(syms, check);
    EXPECT_NO_THROW(decode_checked(stream, syms, check)) << n << " symbols";
    EXPECT_THROW(decode_checked(stream, syms, check ^ 1u), CodingError) << n << " symbols";
    EXPECT_THROW(decode_checked(stream, syms, check ^ 0x80000u), CodingError) << n << " symbols";
    const double overhead = static_cast<double>(stream.size()) - ideal / 8;
    EXPECT_GE(overhead, 2.5 - 1e-3);  // k >= 20 check bits
    sum_overhead += overhead;
    max_overhead = std::max(max_overhead, overhead);
    ++streams;
  }
  // 20..31 bits of check and under a byte of flush.
  EXPECT_LE(max_overhead, 4.5);
  EXPECT_LE(sum_overhead / streams, 3.9);
}

TEST(Rans, CheckedStreamsRejectEveryFlipAndTruncation) {
  std::mt19937_64 g(32);
  double ideal = 0;
  const auto syms = peaked_symbols(g, 300, &ideal);
  const uint32_t check = 0xC0FFEE11;
  const auto stream = encode_checked(syms, check);
  for (size_t bit = 0; bit < 8 * stream.size(); ++bit) {
    auto bad = stream;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_THROW(decode_checked(bad, syms, check), CodingError) << "bit " << bit;
  }
  for (size_t n = 0; n < stream.size(); ++n)
    EXPECT_THROW(decode_checked(std::vector<uint8_t>(stream.begin(), stream.begin() + static_cast<long>(n)), syms, check),
                 CodingError)
        << n << " bytes";
}

