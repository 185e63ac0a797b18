#include "ardm/kinds/audio/pcm_codecs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/coding/format.h"

namespace pcm = ardm::kinds::pcm;
using ardm::coding::FormatError;
using pcm::Codec;
using pcm::Format;

namespace {

const Codec kCodecs[] = {Codec::kWavpack, Codec::kFlac};

Format fmt(uint32_t channels, uint32_t bits, bool is_float = false, uint32_t rate = 44100) {
  Format f;
  f.channels = channels;
  f.bits = bits;
  f.is_float = is_float;
  f.rate = rate;
  return f;
}

std::string describe(Codec c, const Format& f, size_t frames, const char* what) {
  return std::string(pcm::name(c)) + " ch=" + std::to_string(f.channels) + " bits=" +
         std::to_string(f.bits) + (f.is_float ? "f" : "") + " rate=" + std::to_string(f.rate) +
         " frames=" + std::to_string(frames) + " " + what;
}

size_t frame_bytes(const Format& f) { return f.channels * (f.bits / 8); }

void put(std::vector<uint8_t>& v, size_t i, const Format& f, double x) {  // x in [-1, 1)
  uint8_t* d = v.data() + i * (f.bits / 8);
  if (f.is_float) {
    const float y = float(x);
    std::memcpy(d, &y, 4);  // little-endian host
    return;
  }
  const double scale = std::ldexp(1.0, int(f.bits) - 1);
  int64_t s = int64_t(std::floor(x * scale));
  const int64_t lo = -int64_t(scale), hi = int64_t(scale) - 1;
  s = s < lo ? lo : s > hi ? hi : s;
  if (f.bits == 8) s += 128;
  for (uint32_t b = 0; b < f.bits / 8; ++b) d[b] = uint8_t(uint64_t(s) >> (8 * b));
}

enum class Pattern { kSilence, kNoise, kSine, kSameChannels, kQuiet };

std::vector<uint8_t> make(const Format& f, size_t frames, Pattern p, uint32_t seed = 1) {
  std::vector<uint8_t> v(frames * frame_bytes(f));
  std::mt19937 rng(seed);
  switch (p) {
    case Pattern::kSilence:
      if (f.bits == 8) std::fill(v.begin(), v.end(), uint8_t(128));
      break;
    case Pattern::kNoise:  // every bit pattern, floats' NaNs, infinities and denormals included
      for (auto& b : v) b = uint8_t(rng());
      break;
    case Pattern::kSine:
      for (size_t i = 0; i < frames; ++i)
        for (uint32_t c = 0; c < f.channels; ++c)
          put(v, i * f.channels + c, f, 0.9 * std::sin(0.01 * double(i) * (c + 1) + c));
      break;
    case Pattern::kSameChannels: {
      std::normal_distribution<double> g(0.0, 0.1);
      for (size_t i = 0; i < frames; ++i) {
        const double x = 0.5 * std::sin(0.003 * double(i)) + g(rng);
        for (uint32_t c = 0; c < f.channels; ++c) put(v, i * f.channels + c, f, x);
      }
      break;
    }
    case Pattern::kQuiet: {  // speech-like: a few significant bits of noise, bursts of silence
      std::normal_distribution<double> g(0.0, 0.002);
      for (size_t i = 0; i < frames; ++i)
        for (uint32_t c = 0; c < f.channels; ++c)
          put(v, i * f.channels + c, f, (i / 1000) % 3 == 0 ? 0.0 : g(rng));
      break;
    }
  }
  return v;
}

void round_trip(Codec c, const Format& f, const std::vector<uint8_t>& x, const char* what) {
  const size_t frames = x.size() / frame_bytes(f);
  SCOPED_TRACE(describe(c, f, frames, what));
  ASSERT_TRUE(pcm::takes(c, f));
  const std::vector<uint8_t> enc = pcm::encode(c, x.data(), frames, f);
  const std::vector<uint8_t> dec = pcm::decode(c, enc.data(), enc.size(), frames, f);
  ASSERT_EQ(dec.size(), x.size());
  EXPECT_TRUE(dec == x);
}

template <typename F>
void expect_corrupted(F&& fn, const std::string& what) {
  try {
    fn();
    ADD_FAILURE() << what << ": decoded without an error";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("corrupted: ", 0), 0u) << what << ": " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": wrong exception: " << e.what();
  }
}

std::vector<Format> formats_for(Codec c) {
  std::vector<Format> out;
  for (uint32_t ch : {1u, 2u, 6u}) {
    for (uint32_t bits : {8u, 16u, 24u, 32u}) out.push_back(fmt(ch, bits));
    out.push_back(fmt(ch, 32, true));
  }
  std::vector<Format> taken;
  for (const Format& f : out)
    if (pcm::takes(c, f)) taken.push_back(f);
  return taken;
}

}  // namespace

TEST(PcmCodecs, Names) {
  EXPECT_STREQ(pcm::name(Codec::kWavpack), "wavpack");
  EXPECT_STREQ(pcm::name(Codec::kFlac), "flac");
}

TEST(PcmCodecs, Takes) {
  for (uint32_t bits : {8u, 16u, 24u, 32u}) {
    EXPECT_TRUE(pcm::takes(Codec::kWavpack, fmt(2, bits)));
    EXPECT_TRUE(pcm::takes(Codec::kFlac, fmt(2, bits)));  // libFLAC 1.4 codes 32-bit integers
  }
  EXPECT_TRUE(pcm::takes(Codec::kWavpack, fmt(2, 32, true)));
  EXPECT_FALSE(pcm::takes(Codec::kFlac, fmt(2, 32, true)));
  for (Codec c : kCodecs) {
    EXPECT_TRUE(pcm::takes(c, fmt(8, 16)));
    EXPECT_FALSE(pcm::takes(c, fmt(0, 16)));
    EXPECT_FALSE(pcm::takes(c, fmt(9, 16)));
    EXPECT_FALSE(pcm::takes(c, fmt(1, 12)));
    EXPECT_FALSE(pcm::takes(c, fmt(1, 0)));
    EXPECT_FALSE(pcm::takes(c, fmt(1, 16, true)));
    EXPECT_FALSE(pcm::takes(c, fmt(1, 16, false, 0)));
    EXPECT_TRUE(pcm::takes(c, fmt(1, 16, false, 1)));
  }
  EXPECT_TRUE(pcm::takes(Codec::kFlac, fmt(1, 16, false, 1048575)));
  EXPECT_FALSE(pcm::takes(Codec::kFlac, fmt(1, 16, false, 1048576)));
  EXPECT_TRUE(pcm::takes(Codec::kWavpack, fmt(1, 16, false, 0x7fffffff)));
  EXPECT_FALSE(pcm::takes(Codec::kWavpack, fmt(1, 16, false, 0x80000000u)));
}

TEST(PcmCodecs, EncodeRefusesWhatItCannotTake) {
  const std::vector<uint8_t> x(16, 0);
  EXPECT_THROW(pcm::encode(Codec::kFlac, x.data(), 4, fmt(1, 32, true)), std::invalid_argument);
  EXPECT_THROW(pcm::encode(Codec::kWavpack, x.data(), 4, fmt(1, 12)), std::invalid_argument);
  EXPECT_THROW(pcm::encode(Codec::kWavpack, x.data(), 1, fmt(9, 16)), std::invalid_argument);
}

TEST(PcmCodecs, ZeroFramesIsAnEmptyStream) {
  for (Codec c : kCodecs)
    for (const Format& f : formats_for(c)) {
      EXPECT_TRUE(pcm::encode(c, nullptr, 0, f).empty());
      EXPECT_TRUE(pcm::decode(c, nullptr, 0, 0, f).empty());
      const uint8_t junk[1] = {0};
      expect_corrupted([&] { pcm::decode(c, junk, 1, 0, f); }, describe(c, f, 0, "junk"));
      expect_corrupted([&] { pcm::decode(c, nullptr, 0, 1, f); }, describe(c, f, 1, "empty"));
    }
}

TEST(PcmCodecs, RoundTripsEveryFormat) {
  for (Codec c : kCodecs)
    for (const Format& f : formats_for(c)) {
      round_trip(c, f, make(f, 1, Pattern::kNoise), "1 frame noise");
      round_trip(c, f, make(f, 1, Pattern::kSilence), "1 frame silence");
      round_trip(c, f, make(f, 3000, Pattern::kSilence), "silence");
      round_trip(c, f, make(f, 3000, Pattern::kNoise), "noise");
      round_trip(c, f, make(f, 5000, Pattern::kSine), "sine");
      round_trip(c, f, make(f, 5000, Pattern::kSameChannels), "same channels");
      round_trip(c, f, make(f, 5000, Pattern::kQuiet), "quiet");
    }
}

TEST(PcmCodecs, RoundTripsManyBlocks) {
  // Several WavPack blocks (and multichannel block groups), many FLAC frames, odd lengths.
  for (Codec c : kCodecs) {
    for (const Format& f : {fmt(1, 16, false, 8000), fmt(2, 24, false, 48000), fmt(6, 16, false, 8000)}) {
      round_trip(c, f, make(f, 300001, Pattern::kQuiet), "long quiet");
      round_trip(c, f, make(f, 140001, Pattern::kSine), "long sine");
    }
  }
  // Full-scale noise in the widest formats: the blocks must stay within the reader's limits.
  for (const Format& f : {fmt(2, 32), fmt(2, 32, true), fmt(1, 32, true)})
    round_trip(Codec::kWavpack, f, make(f, 270000, Pattern::kNoise), "long noise");
  round_trip(Codec::kFlac, fmt(2, 32), make(fmt(2, 32), 70000, Pattern::kNoise), "long noise");
}

TEST(PcmCodecs, RoundTripsOddRates) {
  for (Codec c : kCodecs)
    for (uint32_t rate : {1u, 7u, 8000u, 11025u, 22050u, 44100u, 96000u, 192000u, 655350u, 1048575u}) {
      const Format f = fmt(2, 16, false, rate);
      round_trip(c, f, make(f, 2000, Pattern::kSine), "rate");
    }
  for (uint32_t rate : {1048576u, 16777215u, 16777216u, 0x7fffffffu}) {
    const Format f = fmt(1, 24, false, rate);
    round_trip(Codec::kWavpack, f, make(f, 2000, Pattern::kSine), "rate");
  }
}

TEST(PcmCodecs, RefusesMalformedStreams) {
  for (Codec c : kCodecs)
    for (const Format& f : {fmt(1, 16, false, 8000), fmt(2, 24), fmt(6, 8), fmt(2, 32)}) {
      const size_t frames = 9000;
      const std::vector<uint8_t> x = make(f, frames, Pattern::kSine);
      const std::vector<uint8_t> e = pcm::encode(c, x.data(), frames, f);
      ASSERT_FALSE(e.empty());
      auto dec = [&](const std::vector<uint8_t>& s, size_t fr, const Format& g) {
        return pcm::decode(c, s.data(), s.size(), fr, g);
      };
      ASSERT_TRUE(dec(e, frames, f) == x);
      // truncated
      for (size_t cut : {size_t(0), size_t(1), size_t(5), e.size() / 2, e.size() - 1}) {
        const std::vector<uint8_t> t(e.begin(), e.begin() + cut);
        expect_corrupted([&] { dec(t, frames, f); }, describe(c, f, frames, "truncated"));
      }
      // trailing garbage
      for (size_t extra : {size_t(1), size_t(2), size_t(40), size_t(5000)}) {
        std::vector<uint8_t> t = e;
        for (size_t i = 0; i < extra; ++i) t.push_back(uint8_t(i * 37 + 11));
        expect_corrupted([&] { dec(t, frames, f); }, describe(c, f, frames, "trailing"));
        std::vector<uint8_t> z = e;
        z.resize(e.size() + extra, 0);
        expect_corrupted([&] { dec(z, frames, f); }, describe(c, f, frames, "trailing zeros"));
      }
      // the stream twice
      {
        std::vector<uint8_t> t = e;
        t.insert(t.end(), e.begin(), e.end());
        expect_corrupted([&] { dec(t, frames, f); }, describe(c, f, frames, "doubled"));
        expect_corrupted([&] { dec(t, 2 * frames, f); }, describe(c, f, frames, "doubled, 2x frames"));
      }
      // wrong frame counts
      for (size_t fr : {size_t(1), frames - 1, frames + 1, frames * 2})
        expect_corrupted([&] { dec(e, fr, f); }, describe(c, f, fr, "wrong frame count"));
      // wrong formats
      Format g = f;
      g.channels = f.channels == 1 ? 2 : f.channels - 1;
      expect_corrupted([&] { dec(e, frames, g); }, describe(c, g, frames, "wrong channels"));
      g = f;
      g.bits = f.bits == 16 ? 24 : 16;
      expect_corrupted([&] { dec(e, frames, g); }, describe(c, g, frames, "wrong bits"));
      g = f;
      g.rate = f.rate + 1;
      expect_corrupted([&] { dec(e, frames, g); }, describe(c, g, frames, "wrong rate"));
      g = f;
      g.rate = 44100 + 48000 - f.rate;
      expect_corrupted([&] { dec(e, frames, g); }, describe(c, g, frames, "wrong rate 2"));
      if (f.bits == 32 && pcm::takes(c, fmt(f.channels, 32, true))) {
        g = f;
        g.is_float = true;
        expect_corrupted([&] { dec(e, frames, g); }, describe(c, g, frames, "wrong float"));
      }
      // a format the codec cannot take
      expect_corrupted([&] { dec(e, frames, fmt(f.channels, 12)); }, describe(c, f, frames, "bad format"));
    }
}

TEST(PcmCodecs, FlippedBytesAreNoticed) {
  // Every byte of small streams (and a sample of a larger one) flipped in a few ways: decode
  // must throw FormatError; silently wrong output or any other failure fails the test.
  for (Codec c : kCodecs)
    for (const Format& f : {fmt(1, 16, false, 8000), fmt(2, 16), fmt(6, 24), fmt(2, 8)}) {
      for (size_t frames : {size_t(1), size_t(700), size_t(20000)}) {
        const std::vector<uint8_t> x = make(f, frames, frames > 1000 ? Pattern::kQuiet : Pattern::kSine, 7);
        const std::vector<uint8_t> e = pcm::encode(c, x.data(), frames, f);
        const size_t step = e.size() > 3000 ? e.size() / 997 : 1;
        for (size_t i = 0; i < e.size(); i += step)
          for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
            std::vector<uint8_t> t = e;
            t[i] ^= mask;
            const std::string what = describe(c, f, frames, "flip at ") + std::to_string(i) +
                                     " mask " + std::to_string(mask);
            try {
              const std::vector<uint8_t> d = pcm::decode(c, t.data(), t.size(), frames, f);
              EXPECT_TRUE(d == x) << what << ": silently wrong output";
              ADD_FAILURE() << what << ": not noticed";
            } catch (const FormatError& err) {
              EXPECT_EQ(std::string(err.what()).rfind("corrupted: ", 0), 0u) << what;
            } catch (const std::exception& err) {
              ADD_FAILURE() << what << ": wrong exception: " << err.what();
            }
          }
      }
    }
}

TEST(PcmCodecs, RandomGarbageIsRefused) {
  std::mt19937 rng(5);
  for (Codec c : kCodecs)
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<uint8_t> t(rng() % 300);
      for (auto& b : t) b = uint8_t(rng());
      const Format f = fmt(1 + rng() % 2, 16, false, 8000);
      expect_corrupted([&] { pcm::decode(c, t.data(), t.size(), 1 + rng() % 5000, f); }, "garbage");
    }
}

TEST(PcmCodecs, CompressesSpeechLikeInput) {
  // Not a benchmark: both codecs must actually compress, and the WavPack stream's framing must be
  // small (one block for 3 seconds of 8 kHz mono, no made-up RIFF header).
  const Format f = fmt(1, 16, false, 8000);
  const std::vector<uint8_t> x = make(f, 24000, Pattern::kQuiet);
  for (Codec c : kCodecs) {
    const std::vector<uint8_t> e = pcm::encode(c, x.data(), 24000, f);
    EXPECT_LT(e.size(), x.size() / 2) << pcm::name(c);
  }
  const std::vector<uint8_t> s(2 * 24000, 0);
  EXPECT_LT(pcm::encode(Codec::kWavpack, s.data(), 24000, f).size(), 64u);
  EXPECT_LT(pcm::encode(Codec::kFlac, s.data(), 24000, f).size(), 120u);
}
