// The C API (src/ardm/api/ardm.h) through libardm.so alone: no torch, nothing of ardm's C++.
// Its files are the CLI's: the golden files (made by `ardm compress`) come out of it byte for
// byte and decode through it to their originals.
#include "ardm/api/ardm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<uint8_t> read_file(const std::string& name) {
  std::ifstream f(std::string(ARDM_GOLDEN_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> compress(const void* data, size_t size, const ardm_options& o) {
  ardm_buffer b{};
  EXPECT_EQ(ardm_compress(data, size, &o, &b), ARDM_OK) << ardm_last_error();
  std::vector<uint8_t> out(b.data, b.data + b.size);
  ardm_buffer_free(&b);
  EXPECT_EQ(b.data, nullptr);
  return out;
}

std::vector<uint8_t> decompressed_file(const std::vector<uint8_t>& blob, size_t i = 0) {
  ardm_data* d = nullptr;
  EXPECT_EQ(ardm_decompress(blob.data(), blob.size(), nullptr, &d), ARDM_OK) << ardm_last_error();
  if (!d) return {};
  const uint8_t* p = nullptr;
  size_t n = 0;
  EXPECT_EQ(ardm_data_file(d, i, &p, &n), ARDM_OK) << ardm_last_error();
  std::vector<uint8_t> out(p, p + n);
  ardm_data_free(d);
  return out;
}

ardm_options with_budget(int budget, const char* method = nullptr) {
  ardm_options o;
  ardm_options_init(&o);
  o.budget = budget;
  o.method = method;
  return o;
}

}  // namespace

TEST(Api, GoldenFilesAreTheCliBytesBothWays) {
  // Each kind's bundled model: original, budget, golden file (made by `ardm compress --method
  // model --budget N`).
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"fmnist-test-00000.png", 20, "fmnist-test-00000.engine.ardm"},
      {"kjv-jonah-1.txt", 20, "kjv-jonah-1.v4a-b20.text.ardm"},
      {"telephone-number.wav", 20, "telephone-number.v5e-b20.wav.ardm"},
      {"coffee-48x40.png", 20, "coffee-48x40.p2-b20.png.ardm"}};
  for (const auto& [original, budget, golden] : cases) {
    const auto in = read_file(original), want = read_file(golden);
    EXPECT_EQ(compress(in.data(), in.size(), with_budget(budget, "model")), want) << original;
    EXPECT_EQ(decompressed_file(want), in) << golden;
  }
}

TEST(Api, ArraysRoundTripExactly) {
  std::mt19937 rng(7);
  // An RGB photo-sized image, a gray one with alpha, a 16-bit one, and stereo audio.
  std::vector<uint8_t> rgb(23 * 41 * 3), ga(9 * 5 * 2);
  std::vector<uint16_t> deep(6 * 7);
  std::vector<int16_t> audio(1500 * 2);
  for (auto& v : rgb) v = static_cast<uint8_t>(rng() % 256);
  for (auto& v : ga) v = static_cast<uint8_t>(rng() % 256);
  for (auto& v : deep) v = static_cast<uint16_t>(rng() % 65536);
  for (size_t i = 0; i < audio.size(); ++i) audio[i] = static_cast<int16_t>(3000 * std::sin(0.01 * i) + rng() % 64 - 32);
  struct Case {
    ardm_array a;
    size_t bytes;
    const char* kind;
  };
  const std::vector<Case> cases = {
      {{ARDM_UINT8, 3, {23, 41, 3}, rgb.data(), 0}, rgb.size(), "photo"},
      {{ARDM_UINT8, 3, {9, 5, 2}, ga.data(), 0}, ga.size(), "image"},
      {{ARDM_UINT16, 2, {6, 7, 0}, deep.data(), 0}, deep.size() * 2, "image"},
      {{ARDM_INT16, 2, {1500, 2, 0}, audio.data(), 8000}, audio.size() * 2, "audio"}};
  for (const auto& c : cases) {
    ardm_buffer b{};
    ASSERT_EQ(ardm_compress_array(&c.a, nullptr, &b), ARDM_OK) << ardm_last_error();
    ardm_data* d = nullptr;
    ASSERT_EQ(ardm_decompress(b.data, b.size, nullptr, &d), ARDM_OK) << ardm_last_error();
    ardm_buffer_free(&b);
    EXPECT_STREQ(ardm_data_kind(d), c.kind);
    ardm_array got{};
    ASSERT_EQ(ardm_data_array(d, 0, &got), ARDM_OK) << ardm_last_error();
    EXPECT_EQ(got.dtype, c.a.dtype);
    EXPECT_EQ(got.shape[0], c.a.shape[0]);
    EXPECT_EQ(got.shape[1], c.a.shape[1]);
    if (c.a.dtype != ARDM_INT16) {
      EXPECT_EQ(got.shape[2], c.a.rank == 3 ? c.a.shape[2] : 1u);  // [H, W, C]
    }
    EXPECT_EQ(got.sample_rate, c.a.sample_rate);
    EXPECT_EQ(std::memcmp(got.values, c.a.values, c.bytes), 0) << c.kind;
    ardm_data_free(d);
  }
}

TEST(Api, ErrorsNameWhatWasWrong) {
  const auto in = read_file("kjv-jonah-1.txt");
  auto blob = compress(in.data(), in.size(), with_budget(20));
  ardm_data* d = nullptr;
  // A damaged byte in the coded data, a truncated file, no file at all.
  auto bad = blob;
  bad[bad.size() / 2] ^= 0x10;
  EXPECT_EQ(ardm_decompress(bad.data(), bad.size(), nullptr, &d), ARDM_ERROR_CORRUPT);
  EXPECT_EQ(d, nullptr);
  EXPECT_NE(std::string(ardm_last_error()), "");
  EXPECT_EQ(ardm_decompress(blob.data(), blob.size() - 3, nullptr, &d), ARDM_ERROR_CORRUPT) << ardm_last_error();
  EXPECT_EQ(ardm_decompress(in.data(), in.size(), nullptr, &d), ARDM_ERROR_CORRUPT) << ardm_last_error();
  // Options and arguments.
  ardm_options o = with_budget(5000);
  ardm_buffer b{};
  EXPECT_EQ(ardm_compress(in.data(), in.size(), &o, &b), ARDM_ERROR_INVALID);
  EXPECT_NE(std::string(ardm_last_error()).find("budget"), std::string::npos) << ardm_last_error();
  o = with_budget(0);
  o.kind = "video";
  EXPECT_EQ(ardm_compress(in.data(), in.size(), &o, &b), ARDM_ERROR_INVALID);
  EXPECT_NE(std::string(ardm_last_error()).find("video"), std::string::npos) << ardm_last_error();
  o.kind = "audio";  // text is no WAV file
  EXPECT_EQ(ardm_compress(in.data(), in.size(), &o, &b), ARDM_ERROR_INPUT) << ardm_last_error();
  o.kind = nullptr;
  o.model = "/nonexistent/model.ardmnet";
  EXPECT_EQ(ardm_compress(in.data(), in.size(), &o, &b), ARDM_ERROR_MODEL) << ardm_last_error();
  EXPECT_EQ(b.data, nullptr);
  EXPECT_EQ(ardm_compress(nullptr, 5, nullptr, &b), ARDM_ERROR_INVALID);
  // After a success the message is empty again.
  EXPECT_EQ(compress(in.data(), in.size(), with_budget(20)), blob);
  EXPECT_STREQ(ardm_last_error(), "");
}

TEST(Api, ThreadsCompressTogetherAsAlone) {
  const auto in = read_file("coffee-48x40.png");
  const auto want = read_file("coffee-48x40.p2-b20.png.ardm");
  std::vector<std::vector<uint8_t>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = compress(in.data(), in.size(), with_budget(20, "model")); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

TEST(Api, ModelCodeLengthsSchedulesAndSamples) {
  ardm_model* m = nullptr;
  ASSERT_EQ(ardm_model_open(ARDM_IMAGE_MODEL, 2, &m), ARDM_OK) << ardm_last_error();
  ardm_model_info info{};
  ASSERT_EQ(ardm_model_get_info(m, &info), ARDM_OK);
  EXPECT_STREQ(info.kind, "image");
  EXPECT_EQ(info.values, 784);
  EXPECT_EQ(info.classes, 256);
  EXPECT_EQ(info.rank, 3);
  EXPECT_EQ(info.shape[1], 28);
  // The schedule of 20 calls: 20 first steps, rising from 0, and a positive predicted cost.
  std::vector<int64_t> steps(64);
  size_t count = 0;
  double predicted = 0;
  ASSERT_EQ(ardm_model_schedule(m, 20, steps.data(), steps.size(), &count, &predicted), ARDM_OK) << ardm_last_error();
  ASSERT_EQ(count, 20u);
  EXPECT_EQ(steps[0], 0);
  for (size_t k = 1; k < count; ++k) EXPECT_GT(steps[k], steps[k - 1]);
  EXPECT_GT(predicted, 0.5);
  EXPECT_LT(predicted, 8.0);
  EXPECT_EQ(ardm_model_schedule(m, 20, steps.data(), 5, &count, &predicted), ARDM_ERROR_INVALID);
  // Samples: the same seed the same samples, another seed others; the code length of a sample.
  std::vector<uint16_t> a(2 * 784), b(2 * 784), c(2 * 784);
  ASSERT_EQ(ardm_model_sample(m, 2, 20, 1, a.data()), ARDM_OK) << ardm_last_error();
  ASSERT_EQ(ardm_model_sample(m, 2, 20, 1, b.data()), ARDM_OK);
  ASSERT_EQ(ardm_model_sample(m, 2, 20, 2, c.data()), ARDM_OK);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double bits[2] = {0, 0};
  ASSERT_EQ(ardm_model_code_length(m, a.data(), 2, 20, bits), ARDM_OK) << ardm_last_error();
  EXPECT_GT(bits[0], 0);
  EXPECT_GT(bits[1], 0);
  // A golden image's exact code length: at most its file's bits (the file adds a header and
  // the rANS state, never less than the code).
  const auto png_file = read_file("fmnist-test-00000.png");
  ardm_buffer f{};
  ASSERT_EQ(ardm_compress(png_file.data(), png_file.size(), nullptr, &f), ARDM_OK);
  ardm_data* d = nullptr;
  ASSERT_EQ(ardm_decompress(f.data, f.size, nullptr, &d), ARDM_OK);
  ardm_array px{};
  ASSERT_EQ(ardm_data_array(d, 0, &px), ARDM_OK);
  std::vector<uint16_t> values(784);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<const uint8_t*>(px.values)[i];
  double image_bits = 0;
  ASSERT_EQ(ardm_model_code_length(m, values.data(), 1, 20, &image_bits), ARDM_OK);
  EXPECT_LE(image_bits, 8.0 * static_cast<double>(f.size));
  EXPECT_GT(image_bits, 8.0 * static_cast<double>(f.size) - 200);
  ardm_data_free(d);
  ardm_buffer_free(&f);
  values[3] = 256;
  EXPECT_EQ(ardm_model_code_length(m, values.data(), 1, 20, &image_bits), ARDM_ERROR_INVALID);
  EXPECT_EQ(ardm_model_sample(m, 1, 0, 1, a.data()), ARDM_ERROR_INVALID);
  ardm_model_free(m);
  EXPECT_EQ(ardm_model_open("/nonexistent.ardmnet", 1, &m), ARDM_ERROR_MODEL);
  EXPECT_EQ(m, nullptr);
}
