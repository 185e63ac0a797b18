// The history mixer (engine/history.h): its guesses against a brute-force search, its tables
// against the rules (every frequency >= 1, the total exact), and what it learns.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <utility>

#include "ardm/engine/history.h"

using ardm::engine::RowHistory;

namespace {

// The guess by definition: from the nearest anchor at or before `loc` with kShortKey known
// values before it, of the kCandidates most recent positions after the kLongKey values before
// the anchor (every one known), else after the kShortKey ones, the one whose match reaches
// furthest back (the most recent of equals); the value as far after it as loc is after the
// anchor, and how far back the match holds; and the same for the best of those that guess
// another value.
// across: values not yet coded neither agree nor disagree (up to 2 kMaxLength places back), the
// known ones are counted up to the first that disagrees.
RowHistory::Guess brute_guess(const std::vector<uint16_t>& h, const std::vector<int32_t>& chunk, int64_t loc,
                              bool across = false) {
  const int64_t H = static_cast<int64_t>(h.size());
  auto at = [&](int64_t i) -> int32_t { return i >= 0 ? chunk[static_cast<size_t>(i)] : H + i >= 0 ? h[static_cast<size_t>(H + i)] : -1; };
  auto known_before = [&](int64_t p, int k) {
    for (int j = 1; j <= k; ++j)
      if (at(p - j) < 0) return false;
    return true;
  };
  int64_t anchor = loc;
  while (anchor - RowHistory::kShortKey >= -H && !known_before(anchor, RowHistory::kShortKey)) --anchor;
  if (anchor - RowHistory::kShortKey < -H) return {};
  for (int k : {RowHistory::kLongKey, RowHistory::kShortKey}) {
    if (!known_before(anchor, k)) continue;
    const int64_t gap = loc - anchor;
    std::vector<std::pair<int32_t, int32_t>> found;  // (length, guessed value or -1), most recent first
    for (int64_t q = H - 1; q >= k && static_cast<int>(found.size()) < RowHistory::kCandidates; --q) {
      bool same = true;
      for (int j = 1; j <= k && same; ++j) same = h[static_cast<size_t>(q - j)] == at(anchor - j);
      if (!same) continue;
      int32_t length = 0;
      for (int64_t span = 0; length < RowHistory::kMaxLength && span < 2 * RowHistory::kMaxLength && q - 1 - span >= 0;
           ++span) {
        const int32_t v = at(anchor - 1 - span);
        if (v < 0 && across) continue;
        if (v != h[static_cast<size_t>(q - 1 - span)]) break;
        ++length;
      }
      found.push_back({length, q + gap < H ? h[static_cast<size_t>(q + gap)] : -1});
    }
    if (found.empty()) continue;
    size_t best = 0;
    for (size_t c = 1; c < found.size(); ++c)
      if (found[c].first > found[best].first) best = c;
    if (found[best].second < 0) return {};
    RowHistory::Guess g{found[best].second, found[best].first, static_cast<int32_t>(gap)};
    for (const auto& [length, value] : found)
      if (value >= 0 && value != g.value && length > g.second_length) g.second = value, g.second_length = length;
    return g;
  }
  return {};
}

ardm::coding::FrequencyTable table_of(const std::vector<double>& p) {
  return ardm::coding::quantize_probabilities(p.data(), p.size(), 24);
}

}  // namespace

TEST(History, GuessesAreTheBruteForceSearch) {
  std::mt19937 rng(7);
  for (int alphabet : {2, 4, 30}) {
    SCOPED_TRACE("alphabet " + std::to_string(alphabet));
    std::vector<uint16_t> values(3000);
    for (auto& v : values) v = static_cast<uint16_t>(rng() % static_cast<unsigned>(alphabet));
    for (size_t i = 500; i < 1500; ++i) values[i] = values[i - 400];  // long repeats too
    RowHistory h;
    const int64_t D = 24;
    int guesses = 0, gaps = 0, seconds = 0;
    for (size_t start = 0; start + D <= values.size(); start += D) {
      std::vector<uint16_t> before(values.begin(), values.begin() + static_cast<int64_t>(start));
      // A chunk with some locations known, the rest not yet coded.
      std::vector<int32_t> chunk(D, -1);
      for (int64_t l = 0; l < D; ++l)
        if (rng() % 3 != 0) chunk[static_cast<size_t>(l)] = values[start + static_cast<size_t>(l)];
      for (int64_t loc = 0; loc < D; ++loc) {
        const bool across = loc % 2 == 1;
        const auto g = h.guess(chunk.data(), D, loc, across), want = brute_guess(before, chunk, loc, across);
        ASSERT_EQ(g.value, want.value) << "chunk at " << start << ", location " << loc;
        ASSERT_EQ(g.length, want.length) << "chunk at " << start << ", location " << loc;
        ASSERT_EQ(g.gap, want.gap) << "chunk at " << start << ", location " << loc;
        ASSERT_EQ(g.second, want.second) << "chunk at " << start << ", location " << loc;
        ASSERT_EQ(g.second_length, want.second_length) << "chunk at " << start << ", location " << loc;
        seconds += g.second >= 0;
        gaps += g.gap > 0;
        guesses += g.length > 0;
      }
      h.extend(values.data() + start, D);
    }
    EXPECT_GT(guesses, 300);
    EXPECT_GT(gaps, 50);
    EXPECT_GT(seconds, 5);
  }
}

TEST(History, MixedTablesAreValidAndLearnWhomToTrust) {
  const size_t K = 256;
  std::vector<double> p(K, 1.0);
  p[10] = 200;  // the network's favourite; the guess is 42 at about 1/455
  RowHistory right, wrong;
  const RowHistory::Guess g{42, 20};
  const uint64_t T = uint64_t{1} << 24;
  auto check = [&](const ardm::coding::FrequencyTable& t) {
    ASSERT_EQ(t.cum.front(), 0u);
    ASSERT_EQ(t.cum.back(), T);
    for (size_t x = 0; x < K; ++x) ASSERT_GE(t.freq(x), 1u) << x;
  };
  auto fresh = table_of(p);
  const double p_net = static_cast<double>(fresh.freq(42)) / static_cast<double>(T);
  auto t = fresh;
  right.mix(g, t);
  check(t);
  // Untaught, the table reads the network's own probability back (between two of its cells).
  EXPECT_NEAR(std::log2(static_cast<double>(t.freq(42)) / static_cast<double>(T)), std::log2(p_net), 0.3);
  for (int i = 0; i < 200; ++i) {
    auto a = fresh, b = fresh;
    right.update(right.mix(g, a), 42);
    wrong.update(wrong.mix(g, b), 10);
    check(a);
    check(b);
  }
  auto a = fresh, b = fresh;
  right.mix(g, a);
  wrong.mix(g, b);
  EXPECT_GT(static_cast<double>(a.freq(42)) / static_cast<double>(T), 0.9);  // a guess always right
  EXPECT_LT(b.freq(42), fresh.freq(42));                                    // a guess always wrong
  // The others keep their proportions: the favourite still holds most of the rest.
  EXPECT_GT(a.freq(10), 100 * a.freq(11));
  // A second guess learns on its own: always right, it ends up above the (always wrong) first.
  RowHistory two;
  const RowHistory::Guess g2{42, 20, 0, 10, 12};
  for (int i = 0; i < 200; ++i) {
    auto d = fresh;
    two.update(two.mix(g2, d), 10);
    check(d);
  }
  auto d = fresh;
  two.mix(g2, d);
  EXPECT_GT(d.freq(10), 20 * d.freq(42));
  EXPECT_GT(static_cast<double>(d.freq(10)) / static_cast<double>(T), 0.9);
  // No guess, or a guess outside the table: the table is left as it is.
  auto c = fresh;
  EXPECT_EQ(right.mix({}, c).cell, -1);
  EXPECT_EQ(right.mix({300, 20}, c).cell, -1);
  EXPECT_EQ(c.cum, fresh.cum);
  // Extreme tables stay valid: the guess at the minimum, and at the maximum.
  for (size_t fav : {size_t{42}, size_t{7}}) {
    std::vector<double> q(K, 0.0);
    q[fav] = 1;
    auto e = table_of(q);
    for (int i = 0; i < 50; ++i) right.update(right.mix(g, e), 42), check(e), e = table_of(q);
  }
}

TEST(History, TheSameValuesMakeTheSameTables) {
  std::mt19937 rng(3);
  std::vector<uint16_t> values(2000);
  for (auto& v : values) v = static_cast<uint16_t>(rng() % 5);
  RowHistory a, b;
  a.extend(values.data(), 1000);
  for (size_t i = 0; i < 1000; i += 100) b.extend(values.data() + i, 100);  // the same values, in pieces
  std::vector<double> p(8);
  for (auto& v : p) v = 1 + rng() % 50;
  for (size_t i = 1000; i < 2000; ++i) {
    std::vector<int32_t> chunk(values.begin() + static_cast<int64_t>(i) - 8, values.begin() + static_cast<int64_t>(i) + 1);
    chunk.back() = -1;
    auto ta = table_of(p), tb = ta;
    const auto ma = a.mix(a.guess(chunk.data(), 9, 8), ta), mb = b.mix(b.guess(chunk.data(), 9, 8), tb);
    ASSERT_EQ(ta.cum, tb.cum) << i;
    a.update(ma, values[i]);
    b.update(mb, values[i]);
  }
}
