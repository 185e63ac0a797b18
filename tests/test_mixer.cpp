// The bit mixer (engine/mixer.h): its squash and stretch, its digits decoded back by a second
// mixer that went through the same, and what it learns from a row that repeats itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "ardm/engine/history.h"

using ardm::engine::BitMixer;
using ardm::engine::RowHistory;

namespace {

ardm::coding::FrequencyTable table_of(const std::vector<double>& p) {
  return ardm::coding::quantize_probabilities(p.data(), p.size(), 24);
}

// Codes `values` in chunks of D, left to right, every value with the same network table; the
// bits it costs, and each digit's frequency of 0 and digit, in order.
struct Coded {
  double bits = 0;
  std::vector<uint32_t> zeros;
  std::vector<int> digits;
};

Coded encode(const std::vector<uint16_t>& values, int64_t D, const ardm::coding::FrequencyTable& net) {
  RowHistory h;
  Coded out;
  const double T = std::ldexp(1.0, static_cast<int>(net.precision));
  for (size_t start = 0; start < values.size(); start += static_cast<size_t>(D)) {
    std::vector<int32_t> chunk(static_cast<size_t>(D), -1);
    for (int64_t l = 0; l < D; ++l) {
      const int32_t v = values[start + static_cast<size_t>(l)];
      const size_t digits_before = out.digits.size();
      const int32_t got = h.mixer.code(h, chunk.data(), D, l, net, [&](uint32_t zero, int d) {
        EXPECT_GE(zero, 1u);
        EXPECT_LT(zero, static_cast<uint32_t>(T));
        const int bit = (v >> d) & 1;
        out.zeros.push_back(zero);
        out.digits.push_back(bit);
        out.bits -= std::log2((bit ? T - zero : zero) / T);
        return bit;
      });
      EXPECT_EQ(got, v);
      // The value's cost, as the adaptive order reads it: its coded digits' costs.
      int32_t cost = 0;
      for (size_t i = digits_before; i < out.digits.size(); ++i) {
        const uint32_t f = out.digits[i] ? static_cast<uint32_t>(T) - out.zeros[i] : out.zeros[i];
        cost += BitMixer::digit_cost(static_cast<int32_t>(f >> (net.precision - BitMixer::kProbBits)));
      }
      EXPECT_EQ(h.mixer.last_cost(), cost);
      chunk[static_cast<size_t>(l)] = v;
    }
    h.extend(values.data() + start, static_cast<size_t>(D));
  }
  return out;
}

double network_bits(const std::vector<uint16_t>& values, const ardm::coding::FrequencyTable& net) {
  double bits = 0;
  for (uint16_t v : values)
    bits -= std::log2(static_cast<double>(net.freq(v)) / std::ldexp(1.0, static_cast<int>(net.precision)));
  return bits;
}

}  // namespace

TEST(Mixer, SquashAndStretchAreInverses) {
  EXPECT_EQ(BitMixer::squash(0), 2048);
  EXPECT_EQ(BitMixer::squash(-5000), 1);
  EXPECT_EQ(BitMixer::squash(5000), 4095);
  for (int32_t d = -2047; d < 2047; ++d) {
    ASSERT_LE(BitMixer::squash(d), BitMixer::squash(d + 1)) << d;
    // 4096 / (1 + e^(-d/256)), to within the table's linear interpolation
    const double exact = 4096.0 / (1.0 + std::exp(-d / 256.0));
    ASSERT_NEAR(BitMixer::squash(d), exact, 4 + 0.02 * std::min(exact, 4096 - exact)) << d;
  }
  for (int32_t p = 1; p < 4095; ++p) {
    ASSERT_LE(BitMixer::stretch(p), BitMixer::stretch(p + 1)) << p;
    ASSERT_GE(BitMixer::squash(BitMixer::stretch(p)), p) << p;  // the smallest d that reaches p
    if (BitMixer::stretch(p) > -2047) {
      ASSERT_LT(BitMixer::squash(BitMixer::stretch(p) - 1), p) << p;
    }
  }
}

// A digit's cost in 1/256 bits, from integers: 256 log2(4096 / p) rounded up to the next
// 1/256 (or exact), for every 12-bit probability.
TEST(Mixer, DigitCostIsTheCodeLengthInIntegers) {
  EXPECT_EQ(BitMixer::digit_cost(2048), 256);
  EXPECT_EQ(BitMixer::digit_cost(1024), 512);
  EXPECT_EQ(BitMixer::digit_cost(1), 3072);
  for (int32_t p = 1; p < 4096; ++p) {
    const double exact = 256.0 * std::log2(4096.0 / p);
    EXPECT_GE(BitMixer::digit_cost(p), exact - 1e-9) << p;
    EXPECT_LT(BitMixer::digit_cost(p), exact + 1.0) << p;
    if (p > 1) EXPECT_LE(BitMixer::digit_cost(p), BitMixer::digit_cost(p - 1)) << p;
  }
}

TEST(Mixer, DigitsDecodeBackAndRepeatsCostLittle) {
  std::mt19937 rng(11);
  const int64_t D = 16;
  for (size_t K : {size_t{256}, size_t{5}, size_t{2}}) {
    SCOPED_TRACE("K = " + std::to_string(K));
    std::vector<double> p(K);
    for (auto& v : p) v = 1 + rng() % 100;
    const auto net = table_of(p);
    std::vector<uint16_t> values(1600);
    for (size_t i = 0; i < 400; ++i) values[i] = static_cast<uint16_t>(rng() % K);
    for (size_t i = 400; i < values.size(); ++i) values[i] = values[i % 400];  // repeated three times
    const auto coded = encode(values, D, net);
    // Digits: ceil(log2 K) per value, less those with one side empty (K = 5: 4 and up).
    if (K == 256) {
      EXPECT_EQ(coded.digits.size(), 8 * values.size());
    }
    if (K == 2) {
      EXPECT_EQ(coded.digits.size(), values.size());
    }
    // A second mixer, fed the digits back, makes the same frequencies and values.
    RowHistory h;
    size_t next = 0;
    for (size_t start = 0; start < values.size(); start += static_cast<size_t>(D)) {
      std::vector<int32_t> chunk(static_cast<size_t>(D), -1);
      for (int64_t l = 0; l < D; ++l) {
        const int32_t v = h.mixer.code(h, chunk.data(), D, l, net, [&](uint32_t zero, int) {
          EXPECT_EQ(zero, coded.zeros[next]) << next;
          return coded.digits[next++];
        });
        ASSERT_EQ(v, values[start + static_cast<size_t>(l)]) << start + static_cast<size_t>(l);
        chunk[static_cast<size_t>(l)] = v;
      }
      std::vector<uint16_t> part(values.begin() + static_cast<int64_t>(start),
                                 values.begin() + static_cast<int64_t>(start) + D);
      for (size_t i = 0; i < part.size(); i += 4) h.extend(part.data() + i, 4);  // in pieces: the same
    }
    EXPECT_EQ(next, coded.digits.size());
    // The repeats cost far less than the network alone says.
    if (K > 2) {
      EXPECT_LT(coded.bits, 0.5 * network_bits(values, net)) << coded.bits;
    }
  }
}

TEST(Mixer, ANetworkThatKnowsBestIsNotDrownedOut) {
  // Values drawn from the network's own distribution, no repeats to learn: the mixer costs
  // about what the network does.
  std::mt19937 rng(5);
  std::vector<double> p(256, 0.2);
  for (int c = 'a'; c <= 'z'; ++c) p[static_cast<size_t>(c)] = 1 + c % 7;
  const auto net = table_of(p);
  std::discrete_distribution<int> draw(p.begin(), p.end());
  std::vector<uint16_t> values(4096);
  for (auto& v : values) v = static_cast<uint16_t>(draw(rng));
  const auto coded = encode(values, 64, net);
  const double base = network_bits(values, net);
  EXPECT_LT(coded.bits, 1.03 * base) << coded.bits << " vs " << base;
}
