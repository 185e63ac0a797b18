// The stream codec (codec/stream.h) on the engine: files of every kind round-trip byte for
// byte for every length and batch, fail loudly when damaged, and cost what LibTorch's codec
// computes for the same model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "ardm/codec/stream.h"
#include "ardm/coding/format.h"
#include "ardm/coding/rans.h"
#include "ardm/engine/codec.h"
#include "ardm/train/eval.h"
#include "ardm/train/export.h"
#include "ardm/kinds/image/image.h"
#include "ardm/kinds/image/png.h"
#include "ardm/kinds/kind.h"
#include "ardm/legacy/codec.h"
#include "ardm/legacy/fallback.h"
#include "random_model.h"

using ardm::engine::EngineCodec;

namespace {

// An input file of a kind through the stream codec, as `ardm compress` makes it.
struct Compressed {
  std::vector<uint8_t> bytes;
  ardm::coding::Method method = ardm::coding::Method::kModel;
  size_t chunks = 0;
};
Compressed compress_input(const std::string& kind_name, const std::vector<uint8_t>& input, const EngineCodec& codec,
                          int64_t budget, size_t batch, const std::string& method) {
  const auto& kind = *ardm::kinds::by_name(kind_name);
  kind.check_model(codec.model());
  const auto content = kind.read(input, "t", codec.model());
  const auto enc = ardm::codec::encode_chunks({{&kind, &content}}, codec, budget, batch)[0];
  auto best = ardm::codec::best_file(kind, content, method, codec, budget, enc);
  return {std::move(best.bytes), best.method, enc.size()};
}
// ... and back, as `ardm decompress` does; `codec` may be null for a file that needs no model.
std::vector<uint8_t> decompress_input(const std::vector<uint8_t>& file, const EngineCodec* codec, size_t batch) {
  auto f = ardm::codec::open_file(file.data(), file.size());
  if (f.needs_model) ardm::codec::bind(f, *codec);
  auto d = ardm::codec::decode_files({&f}, codec, batch);
  if (!d[0].error.empty()) throw ardm::coding::CodingError(d[0].error);
  return f.kind->write(d[0].content, 0, "t", {});
}
std::string kind_of(const std::vector<uint8_t>& file) { return ardm::codec::open_file(file.data(), file.size()).kind->name(); }

}  // namespace

namespace {

// Text-like bytes: words from a small alphabet, spaces and line breaks.
std::vector<uint8_t> text_bytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> out;
  uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
  while (out.size() < n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto r = static_cast<uint32_t>(s >> 33);
    out.push_back(r % 9 == 0 ? ' ' : r % 53 == 0 ? '\n' : static_cast<uint8_t>('a' + r % 7));
  }
  return out;
}

void put16(std::vector<uint8_t>& v, uint32_t x) { v.push_back(static_cast<uint8_t>(x)), v.push_back(static_cast<uint8_t>(x >> 8)); }
void put32(std::vector<uint8_t>& v, uint32_t x) { put16(v, x & 0xFFFF), put16(v, x >> 16); }

// A WAV file with n speech-like samples (a sum of two sines and a little noise), a LIST chunk
// before the data and an odd-sized chunk after it.
std::vector<uint8_t> wav_file(size_t n, int bits, uint64_t seed) {
  std::vector<uint8_t> v = {'R', 'I', 'F', 'F'};
  put32(v, 0);  // patched below
  for (char c : std::string("WAVEfmt ")) v.push_back(static_cast<uint8_t>(c));
  put32(v, 16), put16(v, 1), put16(v, 1), put32(v, 8000), put32(v, 8000 * bits / 8), put16(v, static_cast<uint32_t>(bits / 8)), put16(v, static_cast<uint32_t>(bits));
  for (char c : std::string("LIST")) v.push_back(static_cast<uint8_t>(c));
  put32(v, 4);
  for (char c : std::string("INFO")) v.push_back(static_cast<uint8_t>(c));
  for (char c : std::string("data")) v.push_back(static_cast<uint8_t>(c));
  put32(v, static_cast<uint32_t>(n * bits / 8));
  uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 7;
  for (size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double x = 6000 * std::sin(0.07 * static_cast<double>(i)) + 2500 * std::sin(0.31 * static_cast<double>(i)) +
                     static_cast<double>((s >> 40) % 200) - 100;
    if (bits == 16) put16(v, static_cast<uint16_t>(static_cast<int16_t>(x)));
    else v.push_back(static_cast<uint8_t>(128 + static_cast<int>(x / 256)));
  }
  for (char c : std::string("junk")) v.push_back(static_cast<uint8_t>(c));
  put32(v, 3), v.push_back(1), v.push_back(2), v.push_back(3), v.push_back(0);
  const auto riff = static_cast<uint32_t>(v.size() - 8);
  for (int i = 0; i < 4; ++i) v[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(riff >> (8 * i));
  return v;
}

}  // namespace

TEST(Engine, CodecRoundTripsAndCostsWhatLibTorchDoes) {
  for (const auto& [b, param] : std::vector<std::pair<int64_t, std::string>>{{0, "matrix"}, {4, "direct"}, {16, "matrix"}}) {
    SCOPED_TRACE("upscale " + std::to_string(b) + " " + param);
    auto model = random_model(15, b, param);
    ardm::Codec torch_codec(model);
    const EngineCodec codec(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)), 2);
    const auto images = test_images(6, 21);
    const int64_t budget = 3 * codec.num_stages() + 1;
    std::vector<const uint16_t*> ptrs;
    for (const auto& im : images) ptrs.push_back(im.data());
    const auto enc = codec.encode_batch(ptrs, budget);
    double engine_bits = 0, torch_bits = 0;
    std::vector<ardm::engine::ItemCoder::Encoded> torch_enc(images.size());
    ardm::run_codec_workers(static_cast<int64_t>(images.size()), 1,
                            [&](int64_t i) { torch_enc[i] = torch_codec.encode(images[i].data(), budget); });
    for (size_t i = 0; i < images.size(); ++i) {
      engine_bits += enc[i].model_bits;
      torch_bits += torch_enc[i].model_bits;
      // Batched encoding gives the symbols of encoding alone.
      const auto alone = codec.encode(images[i].data(), budget);
      ASSERT_EQ(alone.symbols.size(), enc[i].symbols.size());
      for (size_t k = 0; k < alone.symbols.size(); ++k) {
        ASSERT_EQ(alone.symbols[k].start, enc[i].symbols[k].start);
        ASSERT_EQ(alone.symbols[k].freq, enc[i].symbols[k].freq);
      }
    }
    EXPECT_NEAR(engine_bits / torch_bits, 1.0, 1e-4);
    // Files of one image each; decoded all together, with one file damaged: it alone fails.
    const auto& image = *ardm::kinds::by_name("image");
    std::vector<ardm::kinds::Content> contents;
    for (const auto& im : images) contents.push_back(ardm::kinds::images_content({std::vector<uint8_t>(im.begin(), im.end())}, model.data().shape));
    std::vector<std::vector<uint8_t>> files;
    for (size_t i = 0; i < images.size(); ++i)
      files.push_back(ardm::codec::make_file(image, contents[i], ardm::coding::kPartModel, codec, budget, {enc[i]}).bytes);
    files[2][files[2].size() / 2] ^= 0x10;
    std::vector<ardm::codec::Opened> parsed;
    for (const auto& f : files) parsed.push_back(ardm::codec::open_file(f.data(), f.size()));
    std::vector<const ardm::codec::Opened*> refs;
    for (auto& p : parsed) {
      ardm::codec::bind(p, codec);
      refs.push_back(&p);
    }
    for (size_t batch : {1, 4, 16}) {
      const auto back = ardm::codec::decode_files(refs, &codec, batch);
      for (size_t i = 0; i < images.size(); ++i) {
        if (i == 2) {
          EXPECT_NE(back[i].error, "");
          continue;
        }
        EXPECT_EQ(back[i].error, "");
        EXPECT_EQ(back[i].content.words, images[i]);
      }
    }
    // The LibTorch model's files are another model's to the engine.
    const auto torch_file = ardm::legacy::images_file(torch_codec, {images[0]}, {torch_enc[0]}, budget);
    auto torch_opened = ardm::codec::open_file(torch_file.data(), torch_file.size());
    EXPECT_THROW(ardm::codec::bind(torch_opened, codec), ardm::coding::FormatError);
  }
}

TEST(Engine, ByteFilesRoundTripEveryLengthAndFailLoudly) {
  auto model = random_text_model(33);
  const auto em = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model));
  const EngineCodec enc(em, 2), dec(em, 1);
  const size_t D = static_cast<size_t>(enc.num_values());
  // The model's exact code length of a tail equals LibTorch's exact fixed-order length would
  // need the tail's own policy; here the tail's symbols are checked by decoding them back.
  for (size_t n : {size_t{0}, size_t{1}, D - 1, D, D + 1, 3 * D + 5}) {
    SCOPED_TRACE("length " + std::to_string(n));
    const auto data = text_bytes(n, n + 1);
    const auto st = compress_input("text", data, enc, 5, 2, "model");
    const auto& file = st.bytes;
    const auto stored = compress_input("text", data, enc, 5, 2, "stored").bytes;
    const auto best = compress_input("text", data, enc, 5, 2, "auto").bytes;
    EXPECT_LE(best.size(), stored.size());
    EXPECT_LE(best.size(), file.size());
    EXPECT_EQ(stored.size(), data.size() + (n < 128 ? 11 : n < 16384 ? 12 : 13));  // header, length, CRC
    for (const auto& f : {file, stored, best}) {
      ASSERT_EQ(kind_of(f), "text");
      for (size_t batch : {size_t{1}, size_t{3}}) EXPECT_EQ(decompress_input(f, &dec, batch), data);
    }
    if (n == 0) continue;
    EXPECT_EQ(st.method, ardm::coding::Method::kModel);
    // Batched chunks give the symbols of each chunk alone (the tail included).
    const auto last = n - (n - 1) / D * D;
    std::vector<uint16_t> tail(D, 0);
    std::copy(data.end() - static_cast<std::ptrdiff_t>(last), data.end(), tail.begin());
    const auto alone = enc.encode_batch({tail.data()}, 5, {static_cast<int64_t>(last)});
    EXPECT_EQ(alone[0].symbols.size(), last);
    // Any flipped bit in the payload is an error, never a wrong output.
    for (size_t at = 4; at < file.size(); at += std::max<size_t>(1, file.size() / 7)) {
      auto bad = file;
      bad[at] ^= 0x04;
      EXPECT_ANY_THROW(decompress_input(bad, &dec, 2)) << "flip at " << at;
    }
  }
  // A file of another model is refused by name.
  auto other_model = random_text_model(34);
  const EngineCodec other(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(other_model)), 1);
  const auto data = text_bytes(40, 9);
  const auto f = compress_input("text", data, enc, 5, 2, "model").bytes;
  EXPECT_THROW(decompress_input(f, &other, 2), ardm::coding::FormatError);
}

TEST(Engine, ByteFilesCodedWithTheBytesBeforeEachChunkRoundTrip) {
  auto model = random_text_model(35, 24, 16);  // D = 24 bytes, each seen after the 16 before it
  const auto em = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model));
  const EngineCodec enc(em, 2), dec(em, 1);
  const size_t D = static_cast<size_t>(enc.num_values());
  ASSERT_EQ(enc.context(), 16);
  for (size_t n : {size_t{1}, D, D + 1, 3 * D + 5}) {
    SCOPED_TRACE("length " + std::to_string(n));
    const auto data = text_bytes(n, n + 3);
    for (const std::string method : {"model", "chunks", "auto"}) {
      const auto file = compress_input("text", data, enc, 5, 2, method).bytes;
      // Version 4 (the context recorded) exactly when a model-coded chunk had bytes before it.
      if (method == "model") {
        EXPECT_EQ(file[0] & 0xF0, n > D ? 0xC0 : 0xB0);
      }
      for (size_t batch : {size_t{1}, size_t{3}}) EXPECT_EQ(decompress_input(file, &dec, batch), data) << method;
      if (method != "model") continue;
      for (size_t at = 4; at < file.size(); at += std::max<size_t>(1, file.size() / 9)) {
        auto bad = file;
        bad[at] ^= 0x10;
        EXPECT_ANY_THROW(decompress_input(bad, &dec, 2)) << "flip at " << at;
      }
    }
  }
  // One stream per row: a file costs the model's exact length and a few bytes, not a few per chunk.
  {
    const auto& kind = *ardm::kinds::by_name("text");
    const auto content = kind.read(text_bytes(40 * D, 5), "t", enc.model());
    const auto chunks = ardm::codec::encode_chunks({{&kind, &content}}, enc, 5, 8)[0];
    double bits = 0;
    for (const auto& e : chunks) bits += e.model_bits;
    const auto made = ardm::codec::make_file(kind, content, ardm::coding::kPartModel, enc, 5, chunks);
    EXPECT_LT(static_cast<double>(made.bytes.size()), bits / 8 + 16);
  }
  // The context changes the code: chunk 1 alone costs other bits than after chunk 0.
  const auto data = text_bytes(2 * D, 77);
  std::vector<uint16_t> c0(data.begin(), data.begin() + D), c1(data.begin() + D, data.end());
  const EngineCodec::ItemContext before{c0.data() + D - 16, 16};
  const auto with = enc.encode_batch({c1.data()}, 5, {}, 0, {before});
  const auto without = enc.encode_batch({c1.data()}, 5);
  EXPECT_NE(with[0].model_bits, without[0].model_bits);
  // Batched with other items, an item keeps its context's bits.
  const auto batched = enc.encode_batch({c0.data(), c1.data()}, 5, {}, 0, {{nullptr, 0}, before});
  EXPECT_EQ(batched[1].model_bits, with[0].model_bits);
  EXPECT_THROW(enc.encode_batch({c1.data()}, 5, {}, 0, {{c0.data(), 17}}), std::invalid_argument);  // more than it sees
  // Two files decode together, wave by wave.
  const auto a = text_bytes(5 * D + 3, 1), b = text_bytes(2 * D, 2);
  const auto fa = compress_input("text", a, enc, 5, 2, "model").bytes, fb = compress_input("text", b, enc, 5, 2, "model").bytes;
  auto oa = ardm::codec::open_file(fa.data(), fa.size()), ob = ardm::codec::open_file(fb.data(), fb.size());
  ardm::codec::bind(oa, dec), ardm::codec::bind(ob, dec);
  const auto both = ardm::codec::decode_files({&oa, &ob}, &dec, 4);
  ASSERT_TRUE(both[0].error.empty() && both[1].error.empty()) << both[0].error << both[1].error;
  EXPECT_EQ(oa.kind->write(both[0].content, 0, "a", {}), a);
  EXPECT_EQ(ob.kind->write(both[1].content, 0, "b", {}), b);
  // A model that sees fewer bytes before a chunk than the file says refuses it.
  auto small = random_text_model(35, 24, 8);
  const EngineCodec small_codec(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(small)), 1);
  auto os = ardm::codec::open_file(fa.data(), fa.size());
  EXPECT_THROW(ardm::codec::bind(os, small_codec), ardm::coding::FormatError);  // another model anyway, said first
}

TEST(Engine, WavFilesRoundTripByteForByteAndFailLoudly) {
  // Chunks alone, and each chunk after the 12 samples before it (the first chunk after none, a
  // tail after its 12); the last with the mixture of logistics and the linear prediction head.
  for (const auto& [context, param] : std::vector<std::pair<int64_t, std::string>>{{0, "direct"}, {12, "direct"}, {12, "logistic"}}) {
    auto m = random_audio_model(43, 16, 40, context, param, param == "logistic" ? 5 : 0);
    const auto mm = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(m));
    const EngineCodec e(mm, 2), d(mm, 1);
    const size_t D = static_cast<size_t>(e.num_values());
    for (int bits : {16, 8})
      for (size_t n : {size_t{0}, size_t{1}, D - 1, D, 2 * D + 3}) {
        SCOPED_TRACE(std::to_string(bits) + "-bit, " + std::to_string(n) + " samples, context " + std::to_string(context) + ", " + param);
        const auto wav = wav_file(n, bits, n + 1);
        const auto st = compress_input("audio", wav, e, 6, 2, "model");
        const auto& file = st.bytes;
        const auto stored = compress_input("audio", wav, e, 6, 2, "stored").bytes;
        const auto best = compress_input("audio", wav, e, 6, 2, "auto").bytes;
        EXPECT_LE(best.size(), std::min(file.size(), stored.size()));
        for (const auto& f : {file, stored, best}) {
          ASSERT_EQ(kind_of(f), "audio");
          for (size_t batch : {size_t{1}, size_t{3}}) EXPECT_EQ(decompress_input(f, &d, batch), wav);
        }
        if (n == 0) continue;
        EXPECT_EQ(st.method, ardm::coding::Method::kModel);
        EXPECT_EQ(st.chunks, (n + D - 1) / D);
        // Version 4 (the context recorded) exactly when a chunk had samples before it.
        EXPECT_EQ(file[0] & 0xF0, context > 0 && n > D ? 0xC0 : 0xB0);
        // Any flipped bit in the payload is an error, never a wrong output.
        const size_t body = file.size() - 20;
        for (size_t at = body; at < file.size(); at += 3) {
          auto bad = file;
          bad[at] ^= 0x10;
          EXPECT_ANY_THROW(decompress_input(bad, &d, 2)) << "flip at " << at;
        }
      }
  }
  auto model = random_audio_model(43, 16);
  const auto em = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model));
  const EngineCodec enc(em, 2);
  const size_t D = static_cast<size_t>(enc.num_values());
  // 8-bit samples take the 2 stages of their top 8 bits (b = 16), 8 of 16 with b = 2; with b = 8
  // the digits do not split at 8 bits, so every stage codes them.
  EXPECT_EQ(enc.stages_for_bits(8), 2);
  EXPECT_EQ(enc.stages_for_bits(16), 4);
  for (int64_t b : {2, 8}) {
    auto m = random_audio_model(45, b, 24);
    const auto mm = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(m));
    const EngineCodec c(mm, 2);
    EXPECT_EQ(c.stages_for_bits(8), b == 2 ? 8 : 0);
    const auto wav = wav_file(50, 8, 9);
    const auto f = compress_input("audio", wav, c, 16, 2, "model").bytes;
    EXPECT_EQ(decompress_input(f, &c, 2), wav) << "b = " << b;
  }
  {
    // The 2 coded stages of an 8-bit file cost far less than all 4 would: the lower digits are free.
    const auto wav = wav_file(3 * D, 8, 5);
    compress_input("audio", wav, enc, 8, 2, "model");
    std::vector<uint16_t> v(D);
    for (size_t i = 0; i < D; ++i) v[i] = static_cast<uint16_t>(wav[wav.size() - 12 - 3 * D + i] << 8);
    const auto two = enc.encode_batch({v.data()}, 8, {}, 2)[0], all = enc.encode_batch({v.data()}, 8)[0];
    EXPECT_EQ(two.symbols.size(), 2 * D);
    EXPECT_LT(two.model_bits + 2.0 * static_cast<double>(D), all.model_bits);
    EXPECT_THROW(enc.encode_batch({v.data()}, 8, {}, 1), std::invalid_argument);  // digits below the coded stage
  }
  // A WAV needs an audio model, and bytes are not audio.
  auto text = random_text_model(44);
  const auto tm = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(text));
  const EngineCodec text_codec(tm, 1);
  EXPECT_THROW(compress_input("audio", wav_file(10, 16, 1), text_codec, 6, 1, "model"), std::runtime_error);
  EXPECT_THROW(compress_input("text", {1, 2, 3}, enc, 6, 1, "model"), std::runtime_error);
}

TEST(Kinds, DescriptionRulesGiveClearErrors) {
  // The container accepts these (its rules are the kinds'), the kinds refuse them by name.
  auto message = [](const std::vector<uint8_t>& f) -> std::string {
    try {
      ardm::codec::open_file(f.data(), f.size());
    } catch (const ardm::coding::FormatError& e) {
      return e.what();
    }
    return "accepted";
  };
  auto starts = [](const std::string& m, const std::string& p) { return m.rfind(p, 0) == 0; };
  EXPECT_EQ(message({0xB2, 0x78, 0x56, 1, 8, 3, 1, 28, 28, 20, 1, 2, 3}), "accepted");
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 9, 8, 1, 5, 20, 1, 2, 3}), "unsupported data kind 9"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 8, 3, 2, 28, 28, 20, 1, 2, 3}), "corrupted: an image has 1 or 3 channels"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 16, 3, 1, 28, 28, 20, 1, 2, 3}), "corrupted: 16-bit values"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 8, 2, 28, 28, 20, 1, 2, 3}), "corrupted: images have rank"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 3, 16, 2, 8, 9, 0, 0, 20, 1, 2, 3}), "corrupted: 9 audio channels"));
  EXPECT_EQ(message({0xB2, 0x78, 0x56, 3, 16, 2, 8, 2, 0, 0, 20, 1, 2, 3}), "accepted");  // stereo
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 3, 16, 3, 8, 2, 2, 0, 0, 20, 1, 2, 3}), "corrupted: audio samples of 2 bytes"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 3, 24, 2, 8, 1, 0, 0, 20, 1, 2, 3}), "corrupted: 24-bit values"));
  // Images in their PNG form (code 4): colour type, bit depth, tRNS, consistent with the shape.
  EXPECT_EQ(message({0xB2, 0x78, 0x56, 4, 16, 3, 4, 2, 2, 2, 6, 16, 0, 20, 1, 2, 3}), "accepted");
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 4, 8, 3, 1, 2, 2, 2, 0, 8, 0, 20, 1, 2, 3}), "corrupted: PNG colour type 0 at 8 bits"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 4, 16, 3, 3, 2, 2, 2, 6, 16, 0, 20, 1, 2, 3}), "corrupted: PNG colour type 6"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 4, 2, 3, 1, 2, 2, 4, 0, 2, 7, 0, 0, 20, 1, 2, 3}), "corrupted: a tRNS value above"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 2, 8, 2, 1, 1, 20, 1, 2, 3}), "corrupted: a byte stream of 8-bit values has rank 1"));
  // Container bytes in a kind without them: the container refuses to write them.
  ardm::coding::Header h;
  h.described = true, h.budget = 20;
  h.description.kind = 2, h.description.shape = {3}, h.description.prefix = {1};
  EXPECT_THROW(ardm::coding::encode_header(h, false), ardm::coding::FormatError);
  // JPEG XL: one codestream per image, checked when the images are decoded; the file fails alone.
  std::vector<uint8_t> two = {0xBB, 0x78, 0x56, 1, 8, 4, 2, 1, 2, 2, 1, 9};
  const uint32_t crc = ardm::coding::crc32_of({}, two.data(), two.size());
  for (int b = 0; b < 4; ++b) two.push_back(static_cast<uint8_t>(crc >> (8 * b)));
  ASSERT_EQ(message(two), "accepted");
  const auto opened = ardm::codec::open_file(two.data(), two.size());
  const auto decoded = ardm::codec::decode_files({&opened}, nullptr, 1);
  EXPECT_TRUE(starts(decoded[0].error, "corrupted: 1 image streams for 2 images")) << decoded[0].error;
  EXPECT_TRUE(decoded[0].content.words.empty());
}

namespace {

// Every method a kind has, forced: the file decodes to the input (ardm's and the torch-free
// path are the same code), auto is no larger than any of them, and every flipped bit of a file
// that is not model-coded is an error (the CRC-32 covers the whole file).
void every_method_round_trips(const std::string& kind_name, const std::vector<uint8_t>& input, const EngineCodec& codec,
                              std::vector<std::string> expect_some_of = {}) {
  const auto& kind = *ardm::kinds::by_name(kind_name);
  const auto best = compress_input(kind_name, input, codec, 6, 2, "auto");
  EXPECT_EQ(decompress_input(best.bytes, &codec, 2), input) << "auto";
  std::vector<std::string> methods = {"stored"};
  for (int k = 0; k < kind.native_count(); ++k) methods.push_back(kind.native_name(k));
  for (const auto& m : methods) {
    SCOPED_TRACE(kind_name + " by " + m);
    const auto content = kind.read(input, "t", codec.model());
    if (m != "stored" && !kind.native_takes(ardm::codec::check_method(kind, m) - ardm::coding::kPartNative, content.description)) continue;
    const auto f = compress_input(kind_name, input, codec, 6, 2, m).bytes;
    EXPECT_LE(best.bytes.size(), f.size());
    EXPECT_EQ(decompress_input(f, nullptr, 2), input);  // no model needed
    for (size_t bit = 0; bit < 8 * f.size(); bit += 1 + f.size() / 61) {
      if (bit == 2 || bit == 3) continue;  // the method bits: covered by Codec.NeverLarger...
      auto bad = f;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_ANY_THROW(decompress_input(bad, &codec, 2)) << "bit " << bit;
    }
  }
}

}  // namespace

TEST(Kinds, EveryMethodOfEveryKindRoundTrips) {
  auto text_model = random_text_model(51);
  const EngineCodec text(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(text_model)), 2);
  every_method_round_trips("text", text_bytes(3000, 5), text);
  std::vector<uint8_t> noise(700);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  every_method_round_trips("text", noise, text);
  auto audio_model = random_audio_model(52, 16);
  const EngineCodec audio(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(audio_model)), 2);
  every_method_round_trips("audio", wav_file(3000, 16, 3), audio);
  every_method_round_trips("audio", wav_file(3000, 8, 4), audio);
}

TEST(Kinds, ChunksGoToTheSmallestMethodEach) {
  // Half noise, half near-silence: the noise chunks are stored (no codec shrinks them), the quiet
  // ones go to WavPack or FLAC; the file decodes whatever each chunk was coded by.
  auto audio_model = random_audio_model(53, 16);
  const EngineCodec codec(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(audio_model)), 2);
  const size_t D = static_cast<size_t>(codec.num_values());
  auto wav = wav_file(6 * D, 16, 9);
  const size_t data = wav.size() - 12 - 2 * 6 * D;  // the first sample byte (an odd chunk of 12 bytes follows)
  for (size_t i = 0; i < 6 * D; ++i) {
    const auto v = i < 3 * D ? static_cast<uint16_t>((i * 2654435761u) >> 7) : static_cast<uint16_t>(i % 3);
    wav[data + 2 * i] = static_cast<uint8_t>(v), wav[data + 2 * i + 1] = static_cast<uint8_t>(v >> 8);
  }
  const auto& kind = *ardm::kinds::by_name("audio");
  const auto content = kind.read(wav, "t", codec.model());
  const auto enc = ardm::codec::encode_chunks({{&kind, &content}}, codec, 6, 2)[0];
  const auto mixed = ardm::codec::mixed_file(kind, content, codec, 6, enc);
  ASSERT_EQ(mixed.codes.size(), 6u);
  EXPECT_EQ(mixed.codes[0], ardm::coding::kPartStored);
  EXPECT_GE(mixed.codes[5], ardm::coding::kPartNative);
  EXPECT_EQ(decompress_input(mixed.bytes, &codec, 3), wav);
  const auto best = ardm::codec::best_file(kind, content, "auto", codec, 6, enc);
  EXPECT_LE(best.bytes.size(), mixed.bytes.size());
  EXPECT_NE(ardm::codec::methods_text(kind, mixed).find("stored 3"), std::string::npos) << ardm::codec::methods_text(kind, mixed);
}

TEST(Kinds, EveryPngComesBackWithItsTypeAndDepth) {
  auto model = random_model(54);
  const EngineCodec codec(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)), 2);
  struct Type {
    int color, depth;
    int64_t channels;
    bool trns;
  };
  const std::vector<Type> types = {{0, 1, 1, false}, {0, 2, 1, false}, {0, 4, 1, true}, {0, 8, 1, false}, {0, 8, 1, true},
                                   {0, 16, 1, false}, {2, 8, 3, false}, {2, 8, 3, true}, {2, 16, 3, false}, {3, 1, 3, false},
                                   {3, 4, 4, false}, {3, 8, 3, false}, {4, 8, 2, false}, {4, 16, 2, false}, {6, 8, 4, false},
                                   {6, 16, 4, false}};
  for (const auto& t : types) {
    SCOPED_TRACE("colour type " + std::to_string(t.color) + ", " + std::to_string(t.depth) + " bits");
    ardm::data::PngImage img;
    img.color_type = t.color, img.bit_depth = t.depth, img.height = 9, img.width = 13, img.channels = t.channels;
    img.sample_bits = t.color == 3 ? 8 : t.depth;
    const int colours = t.color == 3 ? (1 << t.depth) : 0;
    for (int64_t i = 0; i < img.height * img.width; ++i)
      for (int64_t c = 0; c < t.channels; ++c) {
        const int64_t v = t.color == 3 ? ((i * 7) % colours) * 37 + c * 11 : (i * 13 + c * 5) % (1 << img.sample_bits);
        img.samples.push_back(static_cast<uint16_t>(t.color == 3 && c == 3 ? (i % colours == 0 ? 0 : 255) : v % (1 << img.sample_bits)));
      }
    if (t.trns) img.trns.assign(static_cast<size_t>(t.channels), 1);
    const auto png = ardm::data::encode_png_any(img, "t.png");
    const auto expect = ardm::data::decode_png_any(png.data(), png.size(), "t.png");
    for (const std::string m : {"auto", "stored", "jxl", "webp"}) {
      if (m == "webp" && img.sample_bits != 8) continue;  // WebP codes 8-bit samples only
      const auto f = compress_input("image", png, codec, 6, 2, m);
      const auto back_png = decompress_input(f.bytes, &codec, 2);
      const auto back = ardm::data::decode_png_any(back_png.data(), back_png.size(), "back.png");
      EXPECT_EQ(back.color_type, t.color) << m;
      EXPECT_EQ(back.bit_depth, t.depth) << m;
      EXPECT_EQ(back.samples, expect.samples) << m;
      EXPECT_EQ(back.trns, expect.trns) << m;
    }
  }
}

// A model exported with the streams order codes each chunk as runs read left to right: files
// round-trip (with and without the bytes before each chunk), and the engine's code length is
// eval's exact fixed-order length.
TEST(Engine, StreamsOrderRoundTripsAtEvalsExactLength) {
  for (int64_t context : {int64_t{0}, int64_t{16}}) {
    SCOPED_TRACE("context " + std::to_string(context));
    auto model = random_text_model(36 + context, 24, context);
    model.model_cfg.process.order = "streams";
    const auto em = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model));
    const EngineCodec enc(em, 2), dec(em, 1);
    const int64_t D = enc.num_values();
    EXPECT_EQ(enc.policy(5)[0], (std::vector<int64_t>{0, 5, 10, 15, 20}));  // 5 runs of 5 (the last 4)
    EXPECT_EQ(enc.policy(6)[0], (std::vector<int64_t>{0, 4, 8, 12, 16, 20}));  // 4 runs of 6
    EXPECT_EQ(enc.policy(7), enc.policy(6));  // still 4 runs: 6 calls
    const auto data = text_bytes(3 * static_cast<size_t>(D) + 5, 12);
    for (int64_t budget : {int64_t{1}, int64_t{5}, D}) {
      const auto file = compress_input("text", data, enc, budget, 2, "model").bytes;
      EXPECT_EQ(decompress_input(file, &dec, 3), data) << "budget " << budget;
    }
    if (context > 0) continue;
    // Exact length: three items, the engine's bits against LibTorch's fixed-order evaluation.
    std::vector<std::vector<uint16_t>> items;
    std::vector<const uint16_t*> ptrs;
    auto x = torch::empty({3, D}, torch::kInt64);
    for (int64_t i = 0; i < 3; ++i) {
      const auto b = text_bytes(static_cast<size_t>(D), 50 + static_cast<uint64_t>(i));
      items.emplace_back(b.begin(), b.end());
      for (int64_t j = 0; j < D; ++j) x[i][j] = static_cast<int64_t>(b[static_cast<size_t>(j)]);
    }
    for (const auto& it : items) ptrs.push_back(it.data());
    const auto coded = enc.encode_batch(ptrs, 5);
    double bits = 0;
    for (const auto& e : coded) bits += e.model_bits;
    const auto exact = ardm::evaluate_fixed_order(model, x, model.coding_plan(5), 1, torch::kCPU, false);
    EXPECT_EQ(exact.network_calls, 5);
    EXPECT_NEAR(bits / (3.0 * static_cast<double>(D)), exact.bpd, 1e-4 * exact.bpd);
    // An order the engine does not know, or streams for images, is refused when read.
    for (const char* order : {"bogus", "streams"}) {
      auto bad = ardm::engine_model_of(order[0] == 'b' ? model : random_model(3));
      bad.cfg.process.order = order;
      const auto bytes = ardm::engine::serialize(bad);
      EXPECT_THROW(ardm::engine::parse_model(bytes.data(), bytes.size(), "m"), std::runtime_error) << order;
    }
    // The random order codes the same items at another length.
    model.model_cfg.process.order = "random";
    const EngineCodec random(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)), 2);
    EXPECT_NE(random.encode_batch(ptrs, 5)[0].model_bits, coded[0].model_bits);
  }
}

namespace {

// Two text files decoded in one call (their rows in one batch, each with its own history).
void expect_decoded_together(const EngineCodec& dec, const std::vector<uint8_t>& file1, const std::vector<uint8_t>& data1,
                             const std::vector<uint8_t>& file2, const std::vector<uint8_t>& data2) {
  auto f1 = ardm::codec::open_file(file1.data(), file1.size()), f2 = ardm::codec::open_file(file2.data(), file2.size());
  ardm::codec::bind(f1, dec);
  ardm::codec::bind(f2, dec);
  const auto both = ardm::codec::decode_files({&f1, &f2}, &dec, 8);
  ASSERT_EQ(both[0].error, "");
  ASSERT_EQ(both[1].error, "");
  EXPECT_EQ(f1.kind->write(both[0].content, 0, "t", {}), data1);
  EXPECT_EQ(f2.kind->write(both[1].content, 0, "t", {}), data2);
}

}  // namespace

// A model with the match history mixes the file's own past into its predictions: files that
// repeat themselves come out smaller than the network alone makes them, every budget and
// batch round-trips (files decoded together keep their own histories), and chunk-by-chunk
// files, whose chunks' codes would depend on each other, are refused.
TEST(Engine, HistoryMixersCodeRepeatsCheaperAndRoundTrip) {
  auto model = random_text_model(77, 24, 16);
  model.model_cfg.process.order = "streams";
  const EngineCodec plain(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)), 2);
  for (const char* history : {"match", "mix"}) {
    SCOPED_TRACE(history);
    model.model_cfg.process.history = history;
    const auto em = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model));
    const EngineCodec enc(em, 2), dec(em, 1);
    EXPECT_TRUE(enc.mixes_history());
    EXPECT_EQ(enc.mixes_bits(), history[1] == 'i');
    EXPECT_NE(enc.fingerprint(), plain.fingerprint());
    auto data = text_bytes(300, 5);
    for (int i = 0; i < 3; ++i) data.insert(data.end(), data.begin(), data.begin() + 300);
    const auto other = text_bytes(500, 6);
    for (int64_t budget : {int64_t{3}, int64_t{8}}) {
      SCOPED_TRACE("budget " + std::to_string(budget));
      const auto with = compress_input("text", data, enc, budget, 4, "model").bytes;
      const auto without = compress_input("text", data, plain, budget, 4, "model").bytes;
      EXPECT_LT(with.size() * 4, without.size() * 3) << with.size() << " vs " << without.size();
      for (size_t batch : {size_t{1}, size_t{5}}) EXPECT_EQ(decompress_input(with, &dec, batch), data) << batch;
      // Two files through one decode: each row has its own history.
      expect_decoded_together(dec, with, data, compress_input("text", other, enc, budget, 4, "model").bytes, other);
      // Decoded by the plain model's rules, the file fails loudly (its model id is another's).
      EXPECT_THROW(decompress_input(with, &plain, 2), ardm::coding::FormatError);
  }
  // One chunk: nothing before it, the network alone.
  const auto small = text_bytes(20, 9);
  EXPECT_EQ(decompress_input(compress_input("text", small, enc, 5, 1, "model").bytes, &dec, 1), small);
  // Chunk by chunk is refused when asked for and never chosen.
  EXPECT_THROW(compress_input("text", data, enc, 5, 4, "chunks"), std::invalid_argument);
  const auto& text = *ardm::kinds::by_name("text");
  const auto content = text.read(data, "t", enc.model());
  const auto coded = ardm::codec::encode_chunks({{&text, &content}}, enc, 5, 4)[0];
  EXPECT_LE(ardm::codec::best_file(text, content, "auto", enc, 5, coded).codes.size(), 1u);
  }
  // The history is for sequences, and 'none', 'match' or 'mix'.
  for (const char* history : {"bogus", "match", "mix"}) {
    auto bad = ardm::engine_model_of(history[0] == 'b' ? model : random_model(3));
    bad.cfg.process.history = history;
    const auto bytes = ardm::engine::serialize(bad);
    EXPECT_THROW(ardm::engine::parse_model(bytes.data(), bytes.size(), "m"), std::runtime_error) << history;
  }
}

// A model of the adaptive order codes a chunk left to right, with the network called where the
// bit mixer was surprised, after a chunk the mixer coded cheaply; else, with one run's budget
// and without a history, exactly as the streams order. Files of cheap and dear chunks, decoded
// alone or together (rows of different plans in one batch), round-trip at every budget.
TEST(Engine, AdaptiveOrderCodesCheapChunksLeftToRight) {
  auto model = random_text_model(78, 24, 16);
  model.model_cfg.process.history = "mix";
  model.model_cfg.process.order = "streams";
  const EngineCodec streams(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)), 2);
  model.model_cfg.process.order = "adaptive";
  const auto em = std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model));
  const EngineCodec enc(em, 2), dec(em, 1);
  const int64_t D = enc.num_values();
  const auto before = text_bytes(EngineCodec::kSequentialAfter, 21), chunk = text_bytes(static_cast<size_t>(D), 22);
  const std::vector<uint16_t> before16(before.begin(), before.end()), chunk16(chunk.begin(), chunk.end());
  // One chunk after 2,048 values, by a codec and a history whose last chunk cost `cost` per value.
  auto code = [&](const EngineCodec& c, int64_t budget, int64_t cost, ardm::engine::RowHistory& h) {
    h.extend(before16.data(), before16.size());
    h.last_chunk_values = D, h.last_chunk_cost = cost * D;
    EngineCodec::ItemContext ctx{before16.data() + before16.size() - 16, 16, &h};
    return c.encode_batch({chunk16.data()}, budget, {}, 0, {ctx})[0];
  };
  for (int64_t budget : {int64_t{3}, int64_t{8}, D}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    for (int64_t cost : {EngineCodec::kSequentialBelow - 1, EngineCodec::kSequentialBelow}) {
      ardm::engine::RowHistory h1, h2, h3;
      const auto a = code(enc, budget, cost, h1), b = code(streams, budget, cost, h2);
      const bool left_to_right = cost < EngineCodec::kSequentialBelow && budget < D;
      h3.extend(before16.data(), before16.size() - 1);  // one value short of a long enough history
      h3.last_chunk_values = D, h3.last_chunk_cost = cost * D;
      EXPECT_FALSE(enc.sequential({&h3}, budget)[0]);
      h3.extend(&before16.back(), 1);
      EXPECT_EQ(enc.sequential({&h3}, budget)[0], left_to_right);
      EXPECT_EQ(streams.sequential({&h3}, budget)[0], false);
      h3.last_chunk_values = 0;  // no chunk before: never
      EXPECT_FALSE(enc.sequential({&h3}, budget)[0]);
      EXPECT_EQ(a.model_bits != b.model_bits, left_to_right) << a.model_bits << " vs " << b.model_bits;
      // The chunk's own cost is kept for the next one, the same by either order's mixer here.
      EXPECT_EQ(h1.last_chunk_values, D);
      EXPECT_GT(h1.last_chunk_cost, 0);
      // Decoded with a history that went through the same.
      ardm::engine::RowHistory hd;
      hd.extend(before16.data(), before16.size());
      hd.last_chunk_values = D, hd.last_chunk_cost = cost * D;
      auto payload = ardm::coding::encode_checked(a.symbols, 77);
      EngineCodec::Payload in{payload.data(), payload.size(), [](const std::vector<uint16_t>&) { return 77u; }, -1,
                              {before16.data() + before16.size() - 16, 16, &hd}};
      const auto back = dec.decode_batch({in}, budget);
      ASSERT_EQ(back[0].error, "");
      EXPECT_EQ(back[0].values, chunk16);
      EXPECT_EQ(hd.last_chunk_cost, h1.last_chunk_cost);
    }
  }
  // Whole files: one that repeats itself (its later chunks cheap) and one that does not, with
  // a tail, decoded alone and in one batch.
  auto data = text_bytes(100, 23);
  for (int i = 0; i < 29; ++i) data.insert(data.end(), data.begin(), data.begin() + 100);
  const auto other = text_bytes(5 * static_cast<size_t>(D) + 7, 24);
  for (int64_t budget : {int64_t{2}, int64_t{5}, D}) {
    SCOPED_TRACE("file, budget " + std::to_string(budget));
    const auto f1b = compress_input("text", data, enc, budget, 4, "model").bytes;
    const auto f2b = compress_input("text", other, enc, budget, 4, "model").bytes;
    EXPECT_EQ(decompress_input(f1b, &dec, 1), data);
    // The repeats made some chunks cheap, and the next ones were coded left to right: the code
    // differs from the streams order's, except with one run.
    const auto& text = *ardm::kinds::by_name("text");
    const auto content = text.read(data, "t", enc.model());
    double adaptive_bits = 0, streams_bits = 0;
    const auto by_adaptive = ardm::codec::encode_chunks({{&text, &content}}, enc, budget, 4);
    const auto by_streams = ardm::codec::encode_chunks({{&text, &content}}, streams, budget, 4);
    for (const auto& e : by_adaptive[0]) adaptive_bits += e.model_bits;
    for (const auto& e : by_streams[0]) streams_bits += e.model_bits;
    EXPECT_EQ(adaptive_bits != streams_bits, budget < D) << adaptive_bits << " vs " << streams_bits;
    expect_decoded_together(dec, f1b, data, f2b, other);
    // A damaged file fails loudly, and alone.
    auto bad = f1b;
    bad[bad.size() / 2] ^= 0x10;
    EXPECT_ANY_THROW(decompress_input(bad, &dec, 1));
  }
  // The adaptive order needs the bit mixer, and sequences.
  for (const char* history : {"none", "match"}) {
    auto bad = ardm::engine_model_of(model);
    bad.cfg.process.history = history;
    const auto bytes = ardm::engine::serialize(bad);
    EXPECT_THROW(ardm::engine::parse_model(bytes.data(), bytes.size(), "m"), std::runtime_error) << history;
  }
  auto image = ardm::engine_model_of(random_model(3));
  image.cfg.process.order = "adaptive";
  image.cfg.process.history = "mix";
  const auto bytes = ardm::engine::serialize(image);
  EXPECT_THROW(ardm::engine::parse_model(bytes.data(), bytes.size(), "m"), std::runtime_error);
}
