// The general-purpose compressors of kinds/text/general.h: round trips, and refusal of hostile
// streams (truncated, altered, with trailing bytes, or decoded to the wrong size).
#include "ardm/kinds/text/general.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ardm/coding/format.h"

namespace ardm::kinds::general {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr Compressor kAll[] = {Compressor::kXz, Compressor::kBzip2, Compressor::kZstd,
                               Compressor::kBrotli};

Bytes text_bytes(size_t n) {
  const std::string line =
      "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ";
  Bytes b;
  for (size_t i = 0; b.size() < n; ++i) {
    b.insert(b.end(), line.begin(), line.end());
    const std::string num = std::to_string(i * 7919 % 1000) + "\n";
    b.insert(b.end(), num.begin(), num.end());
  }
  b.resize(n);
  return b;
}

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes pack(Compressor c, const Bytes& b) { return compress(c, b.data(), b.size()); }
Bytes unpack(Compressor c, const Bytes& s, size_t size) {
  return decompress(c, s.data(), s.size(), size);
}

void expect_round_trip(const Bytes& b, const char* what) {
  for (const Compressor c : kAll) {
    SCOPED_TRACE(std::string(name(c)) + " " + what + " of " + std::to_string(b.size()));
    const Bytes s = pack(c, b);
    EXPECT_EQ(unpack(c, s, b.size()), b);
  }
}

// decompress must throw FormatError with a "corrupted" message.
void expect_corrupted(Compressor c, const Bytes& s, size_t size, const std::string& what) {
  SCOPED_TRACE(std::string(name(c)) + ": " + what);
  try {
    (void)unpack(c, s, size);
    ADD_FAILURE() << "decoded without an error";
  } catch (const coding::FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("corrupted: ", 0), 0u) << e.what();
  }
}

TEST(General, Names) {
  EXPECT_STREQ(name(Compressor::kXz), "xz");
  EXPECT_STREQ(name(Compressor::kBzip2), "bzip2");
  EXPECT_STREQ(name(Compressor::kZstd), "zstd");
  EXPECT_STREQ(name(Compressor::kBrotli), "brotli");
  EXPECT_EQ(kCompressors, 4);
}

TEST(General, RoundTripEmpty) {
  for (const Compressor c : kAll) {
    const Bytes s = compress(c, nullptr, 0);
    EXPECT_TRUE(decompress(c, s.data(), s.size(), 0).empty()) << name(c);
  }
}

TEST(General, RoundTripOneByte) {
  for (const int v : {0, int{'a'}, 255}) expect_round_trip(Bytes{uint8_t(v)}, "one byte");
}

TEST(General, RoundTripText) {
  expect_round_trip(text_bytes(3000), "text");
  expect_round_trip(text_bytes(200000), "text");
}

TEST(General, RoundTripRandom) {
  expect_round_trip(random_bytes(1000, 1), "random");
  expect_round_trip(random_bytes(70000, 2), "random");
}

TEST(General, RoundTripZeros1MB) {
  const Bytes z(1 << 20, 0);
  for (const Compressor c : kAll) {
    const Bytes s = pack(c, z);
    EXPECT_LT(s.size(), 2000u) << name(c);
    EXPECT_EQ(unpack(c, s, z.size()), z) << name(c);
  }
}

// Sizes around the powers of two where dictionaries and windows change.
TEST(General, RoundTripSizesAroundWindows) {
  const Bytes all = random_bytes(300000, 3);
  Bytes mixed = text_bytes(300000);
  for (size_t i = 0; i < mixed.size(); i += 97) mixed[i] = all[i];
  for (const size_t n : {size_t{2}, size_t{15}, size_t{16}, size_t{17}, size_t{1008}, size_t{1009},
                         size_t{1023}, size_t{1024}, size_t{1025}, size_t{4095}, size_t{4096},
                         size_t{4097}, size_t{65520}, size_t{65521}, size_t{65536},
                         size_t{65537}, size_t{131073}, size_t{262145}}) {
    expect_round_trip(Bytes(mixed.begin(), mixed.begin() + n), "mixed");
  }
}

TEST(General, EmptyStreamOnlyForSizeZero) {
  for (const Compressor c : kAll) {
    expect_corrupted(c, Bytes{}, 10, "empty stream for 10 bytes");
    expect_corrupted(c, Bytes{0}, 0, "one byte for size 0");
    const Bytes one = pack(c, Bytes{7});
    expect_corrupted(c, one, 0, "a real stream for size 0");
  }
}

TEST(General, RefusesTruncated) {
  const Bytes b = text_bytes(50000);
  for (const Compressor c : kAll) {
    const Bytes s = pack(c, b);
    for (const size_t keep : {size_t{0}, size_t{1}, s.size() / 2, s.size() - 1}) {
      expect_corrupted(c, Bytes(s.begin(), s.begin() + keep), b.size(),
                       "truncated to " + std::to_string(keep));
    }
  }
}

TEST(General, RefusesTrailingBytes) {
  const Bytes b = text_bytes(20000);
  for (const Compressor c : kAll) {
    const Bytes s = pack(c, b);
    Bytes t = s;
    t.push_back(0);
    expect_corrupted(c, t, b.size(), "a zero byte appended");
    t = s;
    t.push_back(0x5A);
    t.push_back(0xA5);
    expect_corrupted(c, t, b.size(), "two bytes appended");
    // The stream twice: a second valid stream after the first must not be decoded.
    t = s;
    t.insert(t.end(), s.begin(), s.end());
    expect_corrupted(c, t, b.size(), "the stream twice");
    expect_corrupted(c, t, 2 * b.size(), "the stream twice, for twice the size");
  }
}

TEST(General, RefusesWrongSize) {
  for (const Bytes& b : {text_bytes(20000), random_bytes(5000, 4), Bytes(100000, 'x')}) {
    for (const Compressor c : kAll) {
      const Bytes s = pack(c, b);
      expect_corrupted(c, s, b.size() - 1, "size one too small");
      expect_corrupted(c, s, b.size() / 2, "size half");
      expect_corrupted(c, s, 1, "size 1");
      expect_corrupted(c, s, b.size() + 1, "size one too large");
      expect_corrupted(c, s, b.size() * 3, "size thrice");
    }
  }
}

// Flipping bytes: the libraries notice most changes (bzip2 always, thanks to its CRCs); where
// one does not, decompress still returns exactly `size` bytes.
TEST(General, FlippedBytesNeverGiveTheWrongSize) {
  const Bytes b = text_bytes(30000);
  std::mt19937 rng(5);
  for (const Compressor c : kAll) {
    const Bytes s = pack(c, b);
    int noticed = 0, tries = 0;
    for (size_t i = 0; i < s.size(); i += 1 + s.size() / 300) {
      for (const uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t(1 + rng() % 255)}) {
        Bytes t = s;
        t[i] ^= mask;
        ++tries;
        try {
          const Bytes d = unpack(c, t, b.size());
          EXPECT_EQ(d.size(), b.size()) << name(c) << " flipped at " << i;
          // bzip2's block and stream CRCs: a change it misses (bits its decoder does not use)
          // leaves the data as it was.
          if (c == Compressor::kBzip2) {
            EXPECT_EQ(d, b) << "flipped at " << i;
          }
        } catch (const coding::FormatError& e) {
          ++noticed;
          EXPECT_EQ(std::string(e.what()).rfind("corrupted: ", 0), 0u) << e.what();
        }
      }
    }
    // Without checksums zstd, brotli and LZMA2 miss changes to literals they store as they are.
    EXPECT_GT(noticed, tries / 5) << name(c);
    std::printf("%s: %d of %d flips noticed\n", name(c), noticed, tries);
    // The first byte of every stream matters to its library.
    Bytes t = s;
    t[0] ^= 0xFF;
    try {
      EXPECT_EQ(unpack(c, t, b.size()).size(), b.size());
    } catch (const coding::FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("corrupted: ", 0), 0u) << e.what();
    }
  }
}

TEST(General, RefusesGarbage) {
  for (const Compressor c : kAll) {
    for (uint32_t seed = 10; seed < 40; ++seed) {
      const Bytes g = random_bytes(1 + seed * 37, seed);
      try {
        EXPECT_EQ(unpack(c, g, 5000).size(), 5000u);
      } catch (const coding::FormatError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("corrupted: ", 0), 0u) << e.what();
      }
    }
  }
}

// A brotli stream whose window is larger than its size needs is refused before decoding.
TEST(General, BrotliRefusesOversizedWindow) {
  const Bytes b = text_bytes(100);
  Bytes s = pack(Compressor::kBrotli, b);
  ASSERT_FALSE(s.empty());
  // Window code 0b0111 (WBITS = 24) in the low 4 bits of the first byte; the rest of the
  // stream is then meaningless, but the window alone must already be refused.
  s[0] = static_cast<uint8_t>((s[0] & 0xF0) | 0x0F);
  expect_corrupted(Compressor::kBrotli, s, b.size(), "24-bit window for 100 bytes");
}

// The container stores the exact size; the xz stream carries no dictionary byte, so the
// dictionary is rebuilt from the size: a stream for a small size decodes with any size's.
TEST(General, StreamsAreCompact) {
  const Bytes b = text_bytes(1000);
  for (const Compressor c : kAll) {
    const Bytes s = pack(c, b);
    EXPECT_LT(s.size(), 400u) << name(c);
  }
  // bzip2's "BZh9" header is not stored.
  const Bytes s = pack(Compressor::kBzip2, b);
  ASSERT_GE(s.size(), 4u);
  EXPECT_NE(std::memcmp(s.data(), "BZh9", 4), 0);
  // zstd: magicless frame.
  const Bytes z = pack(Compressor::kZstd, b);
  ASSERT_GE(z.size(), 4u);
  EXPECT_NE(std::memcmp(z.data(), "\x28\xB5\x2F\xFD", 4), 0);
}

}  // namespace
}  // namespace ardm::kinds::general
