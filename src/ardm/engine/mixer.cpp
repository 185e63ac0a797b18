#include "ardm/engine/mixer.h"

#include <algorithm>

#include "ardm/engine/history.h"

namespace ardm::engine {
namespace {

// The learning rates: a context's counts and the guesses' maps move by 1 / (n + 1.5) after n
// digits, n up to these limits; the mixers by kLearningRate x error x input / 2^16.
constexpr uint32_t kCountLimit = 255, kGuessLimit = 250, kRefineLimit = 127;
constexpr int32_t kLearningRate = 45;
constexpr int32_t kBias = 256;  // the bias input

// 4096 / (1 + e^(-x / 256)) at x = -2048, -1920, ..., 2048 (rounded): squash interpolates.
constexpr int32_t kSquash[33] = {1,    2,    4,    6,    10,   17,   27,   45,   74,   120,  194,
                                 311,  488,  747,  1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785,
                                 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095};

struct StretchTable {
  int16_t v[4096];
  StretchTable() {  // the inverse of squash: the smallest d whose squash reaches p
    int32_t p = 0;
    for (int32_t d = -2047; d <= 2047; ++d) {
      const int32_t s = BitMixer::squash(d);
      for (; p <= s; ++p) v[p] = static_cast<int16_t>(d);
    }
    for (; p < 4096; ++p) v[p] = 2047;
  }
};

// 256 x log2(x) rounded down for x = 1..4096: the exponent, then 8 bits of the mantissa m in
// [1, 2) (Q30) by squaring (m^2 >= 2: the bit is 1 and m^2 halves).
int32_t log2_q8(uint32_t x) {
  int32_t e = 0;
  while ((x >> (e + 1)) != 0) ++e;
  uint64_t m = uint64_t{x} << (30 - e);
  int32_t frac = 0;
  for (int i = 7; i >= 0; --i) {
    m = (m * m) >> 30;
    if (m >= (uint64_t{2} << 30)) {
      m >>= 1;
      frac |= 1 << i;
    }
  }
  return 256 * e + frac;
}

struct CostTable {
  int16_t v[4096];
  CostTable() {
    for (uint32_t p = 1; p < 4096; ++p) v[p] = static_cast<int16_t>(256 * 12 - log2_q8(p));
    v[0] = v[1];
  }
};

int32_t probability12(uint32_t slot) { return static_cast<int32_t>(slot >> 20); }

// Between two slots' probabilities, 12 bits; weight 0..127 toward the second.
int32_t interpolate(uint32_t a, uint32_t b, int32_t weight) {
  return static_cast<int32_t>((int64_t{a >> 10} * (128 - weight) + int64_t{b >> 10} * weight) >> 17);
}

void learn(uint32_t& s, int bit, uint32_t limit) {
  const uint32_t n = s & 1023;
  const auto p = static_cast<int64_t>(s >> 10);
  const int64_t target = bit ? (int64_t{1} << 22) - 1 : 0;
  const int64_t q = p + (target - p) * 2 / (2 * static_cast<int64_t>(n) + 3);
  s = static_cast<uint32_t>(q) << 10 | (n < limit ? n + 1 : n);
}

constexpr uint32_t kFreshSlot = uint32_t{1} << 31;  // probability 1/2, no count

uint64_t mix64(uint64_t h) {
  h ^= h >> 31;
  h *= 0xD6E8FEB86659FD93ull;
  h ^= h >> 32;
  return h;
}

}  // namespace

int32_t BitMixer::squash(int32_t d) {
  if (d > 2047) return 4095;
  if (d < -2047) return 1;
  const int32_t w = d & 127, i = (d >> 7) + 16;
  return (kSquash[i] * (128 - w) + kSquash[i + 1] * w + 64) >> 7;
}

int32_t BitMixer::digit_cost(int32_t p) {
  static const CostTable table;
  return table.v[std::clamp(p, 1, 4095)];
}

int32_t BitMixer::stretch(int32_t p) {
  static const StretchTable table;
  return table.v[std::clamp(p, 0, 4095)];
}

BitMixer::BitMixer()
    : guess_maps_(2 * RowHistory::kRows, kFreshSlot),
      weights_(static_cast<size_t>(kSets * kInputs), 0),
      refine_(size_t{kRefineContexts} * 33) {
  for (int s = 0; s < kSets; ++s) weights_[static_cast<size_t>(s * kInputs)] = 65536;  // the network alone
  for (size_t c = 0; c < kRefineContexts; ++c)  // each map starts as the identity
    for (int j = 0; j < 33; ++j) refine_[c * 33 + static_cast<size_t>(j)] = static_cast<uint32_t>(squash((j - 16) * 128)) << 20;
}

void BitMixer::fit(size_t n) {
  int want = kMinSlotBits;
  while (want < kMaxSlotBits && (size_t{1} << want) < 16 * (n + 256)) ++want;
  for (Table& t : tables_) {
    if (t.bits == 0) {
      t.slots.assign(size_t{1} << want, kFreshSlot);
      t.bits = want;
    }
    while (t.bits < want) {  // slot i of 2^b serves hashes i and i + 2^b of 2^(b+1)
      const size_t half = t.slots.size();
      t.slots.resize(2 * half);
      std::copy(t.slots.begin(), t.slots.begin() + static_cast<std::ptrdiff_t>(half),
                t.slots.begin() + static_cast<std::ptrdiff_t>(half));
      ++t.bits;
    }
  }
}

int32_t BitMixer::code(const RowHistory& history, const int32_t* chunk, int64_t D, int64_t loc,
                       const coding::FrequencyTable& net, const std::function<int(uint32_t zero, int digit)>& code_digit) {
  fit(history.size());
  last_cost_ = 0;
  const auto K = static_cast<int64_t>(net.size());
  int digits = 1;
  while ((int64_t{1} << digits) < K) ++digits;
  // The contexts: a hash of the k values before loc, when all k are known.
  uint64_t ctx[kOrders];
  bool known[kOrders];
  int orders_known = 0;  // the orders 1, 2, ... known in turn
  for (int o = 0; o < kOrders; ++o) {
    const int k = kOrderLength[static_cast<size_t>(o)];
    uint64_t h = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(k + 1);
    known[o] = true;
    for (int j = 1; j <= k && known[o]; ++j) {
      const int32_t v = history.value_at(chunk, loc - j);
      known[o] = v >= 0;
      h = mix64(h ^ static_cast<uint64_t>(v + 1) * 0x100000001B3ull);
    }
    ctx[o] = h;
    if (o > 0 && known[o] && orders_known == o - 1) orders_known = o;
  }
  const RowHistory::Guess g = history.guess(chunk, D, loc, true);
  const bool guessing = g.length >= RowHistory::kShortKey && g.value >= 0 && g.value < K;
  const bool second = guessing && g.second >= 0 && g.second < K && g.second != g.value;
  const int match_bucket = !guessing ? 0 : g.length < 8 ? 1 : g.length < 16 ? 2 : g.length < 32 ? 3 : 4;
  uint32_t& guess_map = guess_maps_[guessing ? static_cast<size_t>(RowHistory::row_of(g)) : 0];
  uint32_t& second_map =
      guess_maps_[second ? static_cast<size_t>(RowHistory::kRows + RowHistory::row_of({g.second, g.second_length, g.gap})) : 0];
  // Two mixers, by the match's length and by the orders known; their mean, stretched.
  int32_t* const w1 = &weights_[static_cast<size_t>(match_bucket * kInputs)];
  int32_t* const w2 = &weights_[static_cast<size_t>((kMatchBuckets + orders_known) * kInputs)];

  const uint64_t T = uint64_t{1} << net.precision;
  auto cum = [&](int64_t v) { return static_cast<int64_t>(net.cum[static_cast<size_t>(std::min(v, K))]); };
  int64_t lo = 0;     // the values the digits so far leave: [lo, lo + 2^(d + 1))
  uint64_t node = 1;  // the digits so far, after a leading 1
  bool on_guess = guessing, on_second = second;
  for (int d = digits - 1; d >= 0; --d) {
    const int64_t mid = lo + (int64_t{1} << d), hi = lo + (int64_t{2} << d);
    const int64_t n0 = cum(mid) - cum(lo), n1 = cum(hi) - cum(mid);
    int bit;
    if (n1 == 0 || n0 == 0) {  // one side holds no value: the digit is not coded
      bit = n0 == 0 ? 1 : 0;
    } else {
      int32_t x[kInputs];
      x[0] = stretch(static_cast<int32_t>(std::clamp<int64_t>((n1 << 12) / (n0 + n1), 1, 4095)));
      uint32_t* slot[kOrders];
      for (int o = 0; o < kOrders; ++o) {
        slot[o] = nullptr;
        x[1 + o] = 0;
        if (!known[o]) continue;
        const Table& t = tables_[static_cast<size_t>(o)];
        const uint64_t i = mix64(ctx[o] + node * 0x9E3779B97F4A7C15ull) >> (64 - t.bits);
        slot[o] = &tables_[static_cast<size_t>(o)].slots[static_cast<size_t>(i)];
        x[1 + o] = stretch(probability12(*slot[o]));
      }
      const int expect = on_guess ? static_cast<int>((g.value >> d) & 1) : -1;
      const int expect2 = on_second ? static_cast<int>((g.second >> d) & 1) : -1;
      x[1 + kOrders] = expect < 0 ? 0 : expect ? stretch(probability12(guess_map)) : -stretch(probability12(guess_map));
      x[2 + kOrders] = expect2 < 0 ? 0 : expect2 ? stretch(probability12(second_map)) : -stretch(probability12(second_map));
      x[kInputs - 1] = kBias;
      int64_t dot1 = 0, dot2 = 0;
      for (int i = 0; i < kInputs; ++i) dot1 += int64_t{w1[i]} * x[i], dot2 += int64_t{w2[i]} * x[i];
      const auto s1 = static_cast<int32_t>(std::clamp<int64_t>(dot1 >> 16, -2047, 2047));
      const auto s2 = static_cast<int32_t>(std::clamp<int64_t>(dot2 >> 16, -2047, 2047));
      const int32_t sm = (s1 + s2) / 2, p = squash(sm);
      // The refinement: maps from the mixed probability, by digit prefix and the guess's digit,
      // and by the guess's digit alone, each between its two nearest bins.
      const int32_t weight = (sm + 2048) & 127;
      const size_t bin = static_cast<size_t>((sm + 2048) >> 7);
      const size_t a = ((node & 255) * 3 + static_cast<size_t>(expect + 1)) * 33 + bin;
      const size_t b = (256 * 3 + static_cast<size_t>(expect + 1)) * 33 + bin;
      const int32_t pa = interpolate(refine_[a], refine_[a + 1], weight), pb = interpolate(refine_[b], refine_[b + 1], weight);
      const int32_t pf = std::clamp((2 * p + pa + pb + 2) >> 2, 1, 4095);
      const auto one = static_cast<uint64_t>(pf) << (net.precision - kProbBits);
      bit = code_digit(static_cast<uint32_t>(T - one), d) ? 1 : 0;
      last_cost_ += digit_cost(bit ? pf : 4096 - pf);

      const int32_t err1 = ((bit << 12) - squash(s1)) * kLearningRate, err2 = ((bit << 12) - squash(s2)) * kLearningRate;
      for (int i = 0; i < kInputs; ++i) {
        w1[i] += static_cast<int32_t>((int64_t{x[i]} * err1 + 0x8000) >> 16);
        w2[i] += static_cast<int32_t>((int64_t{x[i]} * err2 + 0x8000) >> 16);
      }
      for (int o = 0; o < kOrders; ++o)
        if (slot[o]) learn(*slot[o], bit, kCountLimit);
      if (expect >= 0) learn(guess_map, expect == bit, kGuessLimit);
      if (expect2 >= 0) learn(second_map, expect2 == bit, kGuessLimit);
      const size_t near = weight < 64 ? 0 : 1;
      learn(refine_[a + near], bit, kRefineLimit);
      learn(refine_[b + near], bit, kRefineLimit);
    }
    node = node * 2 + static_cast<uint64_t>(bit);
    lo = bit ? mid : lo;
    on_guess = on_guess && ((g.value >> d) & 1) == bit;
    on_second = on_second && ((g.second >> d) & 1) == bit;
  }
  return static_cast<int32_t>(lo);
}

}  // namespace ardm::engine
