#include "ardm/engine/history.h"

#include <algorithm>
#include <tuple>

namespace ardm::engine {
namespace {

constexpr int kCountLimit = 14;  // the learning rate falls to 1 / (kCountLimit + 2)

// 4 * log2(x) in quarter bits, from x's leading bit and the two after it (x >= 1).
int32_t log2_quarters(uint64_t x) {
  int e = 63;
  while (((x >> e) & 1) == 0) --e;
  const uint64_t frac = e >= 2 ? (x >> (e - 2)) & 3 : (x << (2 - e)) & 3;
  return 4 * e + static_cast<int32_t>(frac);
}

// The probability, in 1/65536, of odds 2^s.
int32_t odds_probability(int s) {
  const uint64_t p = s >= 0 ? (uint64_t{65536} << s) / ((uint64_t{1} << s) + 1) : 65536 / (1 + (uint64_t{1} << -s));
  return static_cast<int32_t>(std::clamp<uint64_t>(p, 1, 65535));
}

}  // namespace

void RowHistory::Index::put(uint64_t h, uint32_t p) {
  if (2 * (used + 1) > hash.size()) {  // grow: keep the load at most a half
    std::vector<uint64_t> old_hash(std::max<size_t>(1024, hash.size() * 2), 0);
    std::vector<uint32_t> old_pos(old_hash.size(), 0);
    old_hash.swap(hash);
    old_pos.swap(pos);
    used = 0;
    for (size_t i = 0; i < old_hash.size(); ++i)
      if (old_hash[i] != 0) put(old_hash[i], old_pos[i]);
  }
  const size_t mask = hash.size() - 1;
  for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
    if (hash[i] == 0) {
      hash[i] = h, pos[i] = p, ++used;
      return;
    }
    if (hash[i] == h) {
      pos[i] = p;  // the most recent position wins
      return;
    }
  }
}

void RowHistory::Index::insert(uint64_t h, uint32_t q) {
  earlier.resize(q + size_t{1}, kNone);
  const int64_t before = get(h);
  earlier[q] = before < 0 ? kNone : static_cast<uint32_t>(before);
  put(h, q);
}

int64_t RowHistory::Index::get(uint64_t h) const {
  if (hash.empty()) return -1;
  const size_t mask = hash.size() - 1;
  for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
    if (hash[i] == 0) return -1;
    if (hash[i] == h) return pos[i];
  }
}

RowHistory::RowHistory() : prob_(2 * kRows * kBins), count_(prob_.size(), 0) {
  for (int b = 0; b < 2 * kRows; ++b)
    for (int k = 0; k < kBins; ++k) prob_[static_cast<size_t>(b * kBins + k)] = odds_probability(k - 16);
}

uint64_t RowHistory::hash_of(const int32_t* v, int k) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < k; ++i) h = (h ^ static_cast<uint64_t>(v[i] + 1)) * 0x100000001B3ull;
  h ^= h >> 29;
  return h == 0 ? 1 : h;
}

void RowHistory::extend(const uint16_t* values, size_t n) {
  int32_t key[kLongKey];
  for (size_t i = 0; i < n; ++i) {
    values_.push_back(values[i]);
    const size_t q = values_.size() - 1;  // the new value, now a guess for what followed its key
    for (int k : {kShortKey, kLongKey}) {
      if (q < static_cast<size_t>(k)) continue;
      for (int j = 0; j < k; ++j) key[j] = values_[q - static_cast<size_t>(k - j)];
      (k == kShortKey ? short_ : long_).insert(hash_of(key, k), static_cast<uint32_t>(q));
    }
  }
}

// No gap: match lengths 1..11 one row each, then 12-15, 16-23, 24-31, 32-47 and 48 or more.
// A gap of 1, 2-3, 4-15 or 16 or more, each with a match shorter than 8 or not: rows 16..23.
int RowHistory::row_of(const Guess& g) {
  const int32_t m = g.length;
  if (g.gap == 0) return m < 12 ? m - 1 : m < 16 ? 11 : m < 24 ? 12 : m < 32 ? 13 : m < 48 ? 14 : 15;
  const int gb = g.gap == 1 ? 0 : g.gap < 4 ? 1 : g.gap < 16 ? 2 : 3;
  return 16 + 2 * gb + (m >= 8 ? 1 : 0);
}

int32_t RowHistory::value_at(const int32_t* chunk, int64_t i) const {
  if (i >= 0) return chunk[i];
  const int64_t h = static_cast<int64_t>(values_.size()) + i;
  return h >= 0 ? values_[static_cast<size_t>(h)] : -1;
}

bool RowHistory::key_hash(const int32_t* chunk, int64_t loc, int k, uint64_t& h) const {
  int32_t key[kLongKey];
  for (int j = 0; j < k; ++j)
    if ((key[j] = value_at(chunk, loc - k + j)) < 0) return false;
  h = hash_of(key, k);
  return true;
}

RowHistory::Guess RowHistory::match_at(const int32_t* chunk, int64_t anchor, int64_t gap, bool across_unknown) const {
  for (int k : {kLongKey, kShortKey}) {
    uint64_t h;
    if (!key_hash(chunk, anchor, k, h)) continue;
    const Index& index = k == kShortKey ? short_ : long_;
    // The longest of the most recent repeats (the most recent of equals), and the longest of
    // those that guess another value; shorter than k: a hash collision.
    const auto n = static_cast<int64_t>(values_.size());
    int32_t lengths[kCandidates], guessed[kCandidates];
    int count = 0, best = -1;
    int64_t q = index.get(h);
    for (; count < kCandidates && q >= 0; ++count) {
      int32_t length = 0;
      for (int64_t span = 0; length < kMaxLength && span < 2 * kMaxLength; ++span) {
        const int64_t back = q - 1 - span;
        if (back < 0) break;
        const int32_t v = value_at(chunk, anchor - 1 - span);
        if (v < 0 && across_unknown) continue;  // not yet coded: neither agrees nor disagrees
        if (v < 0 || v != values_[static_cast<size_t>(back)]) break;
        ++length;
      }
      lengths[count] = length;
      guessed[count] = q + gap < n ? values_[static_cast<size_t>(q + gap)] : -1;
      if (length >= k && (best < 0 || length > lengths[best])) best = count;
      const uint32_t e = index.earlier[static_cast<size_t>(q)];
      q = e == Index::kNone ? -1 : static_cast<int64_t>(e);
    }
    if (best < 0) continue;
    if (guessed[best] < 0) return {};
    Guess g{guessed[best], lengths[best], static_cast<int32_t>(gap)};
    for (int c = 0; c < count; ++c)
      if (lengths[c] >= k && guessed[c] >= 0 && guessed[c] != g.value && lengths[c] > g.second_length)
        g.second = guessed[c], g.second_length = lengths[c];
    return g;
  }
  return {};
}

RowHistory::Guess RowHistory::guess(const int32_t* chunk, int64_t D, int64_t loc, bool across_unknown) const {
  if (loc < 0 || loc >= D) return {};
  // The anchor: the nearest place at or before loc with kShortKey known values before it.
  const auto n = static_cast<int64_t>(values_.size());
  for (int64_t anchor = loc; anchor - kShortKey >= -n; --anchor) {
    bool known = true;
    for (int j = 1; j <= kShortKey && known; ++j) known = value_at(chunk, anchor - j) >= 0;
    if (known) return match_at(chunk, anchor, loc - anchor, across_unknown);
  }
  return {};
}

std::pair<int32_t, int32_t> RowHistory::set(coding::FrequencyTable& table, int32_t value, int32_t row) const {
  const uint32_t precision = table.precision;
  const uint64_t T = uint64_t{1} << precision, K = table.size();
  const auto b = static_cast<size_t>(value);
  const uint64_t fb = table.freq(b);
  // The network's log-odds of the guess, in quarter bits, picks the cells to read between.
  const int32_t s4 = std::clamp(log2_quarters(fb) - log2_quarters(T - fb), -64, 64);
  const int32_t bin = (s4 + 64) >> 2, weight = bin == kBins - 1 ? 0 : (s4 + 64) & 3;
  const int32_t cell = row * kBins + bin;
  int64_t p = int64_t{prob_[static_cast<size_t>(cell)]} * (4 - weight);
  if (weight > 0) p += int64_t{prob_[static_cast<size_t>(cell + 1)]} * weight;
  const uint64_t F = std::clamp<uint64_t>(static_cast<uint64_t>(p / 4) << (precision - 16), 1, T - (K - 1));
  // The others keep their 1 and share what is left beyond the minimums in proportion.
  const uint64_t num = T - F - (K - 1), den = T - fb - (K - 1);
  std::vector<uint32_t> f(K);
  uint64_t others = 0;
  for (size_t x = 0; x < K; ++x) {
    if (x == b) continue;
    const uint64_t fx = table.freq(x);
    f[x] = static_cast<uint32_t>(den == 0 ? 1 : 1 + (fx - 1) * num / den);
    others += f[x];
  }
  f[b] = static_cast<uint32_t>(T - others);  // >= F: the floors only give it more
  uint64_t c = 0;
  for (size_t x = 0; x < K; ++x) {
    table.cum[x] = static_cast<uint32_t>(c);
    c += f[x];
  }
  table.cum[K] = static_cast<uint32_t>(c);
  return {cell, weight};
}

RowHistory::Mixed RowHistory::mix(const Guess& g, coding::FrequencyTable& table) const {
  const uint64_t K = table.size();
  if (g.length < kShortKey || g.value < 0 || static_cast<uint64_t>(g.value) >= K || table.precision < 16 || K < 2) return {};
  Mixed m;
  // The second guess first, so that the first's probability is its cells' own.
  if (g.second >= 0 && g.second != g.value && static_cast<uint64_t>(g.second) < K) {
    std::tie(m.second_cell, m.second_weight) = set(table, g.second, kRows + row_of({g.second, g.second_length, g.gap}));
    m.second = g.second;
  }
  std::tie(m.cell, m.weight) = set(table, g.value, row_of(g));
  m.value = g.value;
  return m;
}

void RowHistory::learn(int32_t cell, int32_t weight, bool right) {
  const int32_t target = right ? 65535 : 0;
  for (int side = 0; side < 2; ++side) {  // both cells read, each by its share of the reading
    const int32_t share = side == 0 ? 4 - weight : weight;
    if (share == 0) continue;
    const auto j = static_cast<size_t>(cell + side);
    prob_[j] = std::clamp(prob_[j] + (target - prob_[j]) * share / (4 * (count_[j] + 2)), 1, 65535);
    if (count_[j] < kCountLimit) ++count_[j];
  }
}

void RowHistory::update(const Mixed& m, int32_t value) {
  if (m.cell < 0) return;
  learn(m.cell, m.weight, value == m.value);
  if (m.second_cell >= 0) learn(m.second_cell, m.second_weight, value == m.second);
}

}  // namespace ardm::engine
