// The codec's promise: a file decodes to the exact original whatever the number of images coded
// together and the number of threads, and damage or a wrong model is an error, never garbage.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "ardm/legacy/codec.h"
#include "ardm/coding/format.h"
#include "ardm/coding/rans.h"
#include "ardm/train/eval.h"
#include "ardm/codec/stream.h"
#include "ardm/train/export.h"
#include "ardm/kinds/image/image.h"
#include "ardm/legacy/fallback.h"
#include "ardm/legacy/format_v12.h"
#include "ardm/train/model.h"
#include "random_model.h"

namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> bytes_of(const std::vector<uint16_t>& v) { return std::vector<uint8_t>(v.begin(), v.end()); }

// The version-3 file LibTorch's codec wrote for one image by the model.
std::vector<uint8_t> model_file(const ardm::Codec& codec, const ardm::Codec::Encoded& enc,
                                const std::vector<uint16_t>& img, int64_t budget) {
  return ardm::legacy::images_file(codec, {img}, {enc}, budget);
}

// Reads a file of any version and decodes its one image.
std::vector<uint16_t> decode_file(const ardm::Codec& codec, const std::vector<uint8_t>& file) {
  const auto images = ardm::legacy::decode_images(file, codec, 1);
  if (images.size() != 1) throw std::runtime_error("not one image");
  return images[0];
}

bool same_symbols(const ardm::Codec::Encoded& a, const ardm::Codec::Encoded& b) {
  if (a.symbols.size() != b.symbols.size()) return false;
  for (size_t i = 0; i < a.symbols.size(); ++i)
    if (a.symbols[i].start != b.symbols[i].start || a.symbols[i].freq != b.symbols[i].freq) return false;
  return true;
}

std::vector<ardm::Codec::Encoded> encode_all(const ardm::Codec& codec, const std::vector<std::vector<uint16_t>>& images,
                                             int64_t budget, int workers) {
  std::vector<ardm::Codec::Encoded> out(images.size());
  auto errors = ardm::run_codec_workers(static_cast<int64_t>(images.size()), workers,
                                        [&](int64_t i) { out[i] = codec.encode(images[i].data(), budget); });
  for (const auto& e : errors) EXPECT_EQ(e, "");
  return out;
}

}  // namespace

TEST(Codec, SixtyFourImagesDecodeExactlyOneAtATimeWithOneOrTwoThreads) {
  auto model = random_model(1);
  ardm::Codec codec(model);
  const auto images = test_images(64, 7);
  for (int64_t budget : {1, 6, 40}) {
    // All 64 encoded together on 2 workers, and again on 1: the same bytes.
    const auto enc2 = encode_all(codec, images, budget, 2);
    const auto enc1 = encode_all(codec, images, budget, 1);
    for (size_t i = 0; i < images.size(); ++i) ASSERT_TRUE(same_symbols(enc1[i], enc2[i])) << "image " << i;
    // Decoded one at a time, in reverse order, on 1 thread; and all at once on 2 workers.
    for (size_t i = images.size(); i-- > 0;) {
      std::vector<uint16_t> got;
      const auto file = model_file(codec, enc2[i], images[i], budget);
      auto err = ardm::run_codec_workers(1, 1, [&](int64_t) { got = decode_file(codec, file); });
      ASSERT_EQ(err[0], "");
      ASSERT_EQ(got, images[i]) << "budget " << budget << ", image " << i;
    }
    std::vector<std::vector<uint16_t>> all(images.size());
    auto errors = ardm::run_codec_workers(64, 2, [&](int64_t i) {
      all[i] = decode_file(codec, model_file(codec, enc1[i], images[i], budget));
    });
    for (size_t i = 0; i < images.size(); ++i) {
      ASSERT_EQ(errors[i], "");
      ASSERT_EQ(all[i], images[i]) << "budget " << budget << ", image " << i;
    }
  }
}

TEST(Codec, FileIsTheModelsCodeLengthPlusAtMostEightBytes) {
  auto model = random_model(2);
  ardm::Codec codec(model);
  const auto images = test_images(8, 3);
  const auto enc = encode_all(codec, images, 12, 2);
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& e = enc[i];
    EXPECT_GT(e.model_bits, 100);  // the model is not trivially certain
    // The v1 stream: the initial state (31 bits) plus up to 32 unused bits of the final state.
    const double v1 = 8.0 * static_cast<double>(ardm::legacy_payload(e).size());
    EXPECT_GE(v1, e.model_bits);
    EXPECT_LE(v1, e.model_bits + 64 + 144 * 2.2e-5 + 1e-6);
    // A whole version-3 file: 4 header bytes, 20..32 bits of check in the initial state and
    // under a byte of flush; 24-bit frequencies cost at most 2.2e-5 bits per symbol.
    const double file = 8.0 * static_cast<double>(model_file(codec, e, images[i], 12).size());
    EXPECT_GE(file, e.model_bits + 32 + 20 - 1);
    EXPECT_LE(file, e.model_bits + 64 + 144 * 2.2e-5 + 1e-6) << "image " << i;
  }
}

TEST(Codec, NetworkCallsOutsideTheWorkersAreRefused) {
  auto model = random_model(3);
  ardm::Codec codec(model);
  const auto img = test_images(1, 4)[0];
  at::set_num_threads(2);
  EXPECT_THROW(codec.encode(img.data(), 4), std::logic_error);
}

TEST(Codec, DamageIsDetected) {
  // Every bit of the header, every third bit of the payload and every third truncation of two
  // files, decoded by the real network (the toy codec of test_coding.cpp tries every bit).
  auto model = random_model(4);
  ardm::Codec codec(model);
  const auto images = test_images(2, 5);
  const int64_t budget = 10;
  const auto enc = encode_all(codec, images, budget, 2);
  int detected = 0, trials = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto file = model_file(codec, enc[i], images[i], budget);
    std::vector<std::vector<uint8_t>> bad;
    for (size_t bit = 0; bit < 8 * file.size(); bit += bit < 32 ? 1 : 3) {
      bad.push_back(file);
      bad.back()[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    for (size_t n = 0; n < file.size(); n += 3) bad.emplace_back(file.begin(), file.begin() + static_cast<long>(n));
    auto err = ardm::run_codec_workers(static_cast<int64_t>(bad.size()), 2, [&](int64_t k) { decode_file(codec, bad[k]); });
    for (const auto& e : err) detected += !e.empty();
    trials += static_cast<int>(bad.size());
  }
  EXPECT_EQ(detected, trials);
}

TEST(Codec, FingerprintFollowsWeightsAndSurvivesExport) {
  auto a = random_model(5);
  auto b = random_model(5);
  EXPECT_EQ(ardm::Codec(a).fingerprint(), ardm::Codec(b).fingerprint());
  {
    torch::NoGradGuard g;
    b.ema->parameters()[3].view(-1)[0].add_(1e-6);
  }
  EXPECT_NE(ardm::Codec(a).fingerprint(), ardm::Codec(b).fingerprint());

  // A weights-only export is the same model to the codec; a file made with the other model is
  // refused as "wrong model".
  const auto path = (fs::temp_directory_path() / ("ardm-codec-" + std::to_string(::getpid()) + ".pt")).string();
  ardm::save_checkpoint(path, a, nullptr, /*weights_only=*/true);
  auto c = ardm::load_model(path);
  fs::remove(path);
  ardm::Codec ca(a), cc(c);
  EXPECT_EQ(ca.fingerprint(), cc.fingerprint());
  const auto img = test_images(1, 6)[0];
  ardm::Codec cb(b);
  const auto enc = encode_all(cb, {img}, 5, 1);
  const auto file = model_file(cb, enc[0], img, 5);
  try {
    ardm::legacy::decode_images(file, cc, 1);
    FAIL() << "a file of another model was accepted";
  } catch (const ardm::coding::FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model", 0), 0u) << e.what();
  }
  // The same for versions 1 and 2, by the legacy fingerprint.
  ardm::legacy::FileHeader h;
  h.model_fingerprint = cb.legacy_fingerprint();
  h.shape = ca.shape();
  h.budget = 5;
  const auto v1 = ardm::legacy::write_file(h, {{ardm::legacy_payload(enc[0]), bytes_of(img)}});
  EXPECT_THROW(ardm::legacy::decode_images(v1, cc, 1), ardm::coding::FormatError);
}

TEST(Codec, FingerprintNamesTheOrdersTheWeightsAndTheScheduleRules) {
  auto a = random_model(5);
  auto b = random_model(5);
  b.objective_cfg.order_seed += 1;  // other orders, same weights
  EXPECT_NE(ardm::Codec(a).fingerprint(), ardm::Codec(b).fingerprint());
  EXPECT_NE(ardm::Codec(a).fingerprint(), ardm::Codec(a).legacy_fingerprint());
}

TEST(Codec, VersionOneFilesStillDecode) {
  auto model = random_model(13);
  ardm::Codec codec(model);
  const auto images = test_images(3, 14);
  const auto enc = encode_all(codec, images, 7, 1);
  ardm::legacy::FileHeader h;
  h.model_fingerprint = codec.legacy_fingerprint();
  h.shape = codec.shape();
  h.budget = 7;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto file = ardm::legacy::write_file(h, {{ardm::legacy_payload(enc[i]), bytes_of(images[i])}});
    std::vector<uint16_t> got;
    auto err = ardm::run_codec_workers(1, 1, [&](int64_t) { got = decode_file(codec, file); });
    ASSERT_EQ(err[0], "");
    EXPECT_EQ(got, images[i]);
  }
}

namespace {

// The engine's codec of a model, as `ardm compress` builds it.
ardm::engine::EngineCodec engine_codec(const ardm::Model& model) {
  return ardm::engine::EngineCodec(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)), 1);
}

// A file decoded the way `ardm decompress` does: opened, bound to the model, decoded.
ardm::kinds::Content decode_with(const ardm::engine::EngineCodec& codec, const std::vector<uint8_t>& file) {
  auto f = ardm::codec::open_file(file.data(), file.size());
  ardm::codec::bind(f, codec);
  auto d = ardm::codec::decode_files({&f}, &codec, 2);
  if (!d[0].error.empty()) throw ardm::coding::CodingError(d[0].error);
  return d[0].content;
}

}  // namespace

TEST(Codec, NeverLargerThanStoredValuesPlusSevenBytes) {
  auto model = random_model(15);
  const auto codec = engine_codec(model);
  const ardm::kinds::ImageKind image;
  // Noise the model cannot predict: the stored file wins and round-trips.
  auto g = ardm::make_generator(16);
  auto noise = torch::randint(0, 256, {144}, g).to(torch::kInt64);
  std::vector<uint8_t> img(144);
  for (int64_t i = 0; i < 144; ++i) img[static_cast<size_t>(i)] = static_cast<uint8_t>(noise[i].item<int64_t>());
  const auto content = ardm::kinds::images_content({img}, model.data().shape);
  const auto enc = ardm::codec::encode_chunks({{&image, &content}}, codec, 6, 1)[0];
  const auto best = ardm::codec::best_file(image, content, "auto", codec, 6, enc);
  EXPECT_LE(best.bytes.size(), 144u + 7u);
  EXPECT_NE(best.method, ardm::coding::Method::kModel);
  EXPECT_EQ(decode_with(codec, best.bytes).words, content.words);
  // Every method's file decodes, and every flipped bit of the stored and JPEG XL files is caught
  // by their CRC-32.
  for (int m : {ardm::coding::kPartModel, ardm::coding::kPartStored, ardm::coding::kPartNative}) {
    const auto f = ardm::codec::make_file(image, content, m, codec, 6, enc).bytes;
    EXPECT_GE(f.size(), best.bytes.size()) << m;
    EXPECT_EQ(decode_with(codec, f).words, content.words) << m;
    if (m == ardm::coding::kPartModel) continue;
    for (size_t bit = 0; bit < 8 * f.size(); ++bit) {
      auto bad = f;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_THROW(decode_with(codec, bad), std::exception) << m << " bit " << bit;
    }
  }
}

TEST(Codec, SeveralImagesInOneFile) {
  auto model = random_model(17);
  const auto codec = engine_codec(model);
  const ardm::kinds::ImageKind image;
  std::vector<std::vector<uint8_t>> items;
  for (const auto& im : test_images(3, 18)) items.push_back(bytes_of(im));
  const auto content = ardm::kinds::images_content(items, model.data().shape);
  ASSERT_EQ(content.description.shape.size(), 4u);
  const auto enc = ardm::codec::encode_chunks({{&image, &content}}, codec, 5, 2)[0];
  ASSERT_EQ(enc.size(), 3u);  // a chunk per image
  for (int m : {ardm::coding::kPartModel, ardm::coding::kPartStored, ardm::coding::kPartNative}) {
    const auto file = ardm::codec::make_file(image, content, m, codec, 5, enc).bytes;
    auto f = ardm::codec::open_file(file.data(), file.size());
    EXPECT_EQ(image.items(f.description), 3u);
    EXPECT_EQ(decode_with(codec, file).words, content.words) << m;
  }
  // Image by image: each by the smallest of its model payload, stored and JPEG XL.
  const auto mixed = ardm::codec::mixed_file(image, content, codec, 5, enc);
  EXPECT_EQ(mixed.codes.size(), 3u);
  EXPECT_EQ(decode_with(codec, mixed.bytes).words, content.words);
}

namespace {

// The codec's model_bits against eval's exact fixed-order code length for the same orders and
// policies (both at batch 1, so the network computes the same floats up to the softmax).
void expect_model_bits_match_exact(ardm::Model& model, int64_t budget) {
  ardm::Codec codec(model);
  const auto images = test_images(3, 21);
  const auto enc = encode_all(codec, images, budget, 1);
  const auto& policies = codec.policy(budget);
  torch::NoGradGuard g;
  at::set_num_threads(1);
  for (size_t i = 0; i < images.size(); ++i) {
    auto x = torch::tensor(std::vector<int64_t>(images[i].begin(), images[i].end())).view({1, 1, 12, 12});
    const auto sigma = ardm::fixed_orders(model.num_stages(), 144, model.objective_cfg.order_seed);
    const double exact_bits =
        -ardm::policy_log_prob_bpd(*model.process, model.as_fn(model.ema), x, sigma, policies).item<double>() * 144;
    EXPECT_NEAR(enc[i].model_bits, exact_bits, 1e-5 * exact_bits) << "image " << i;
  }
}

}  // namespace

TEST(Codec, ModelBitsAreTheExactFixedOrderCodeLength) {
  auto oa = random_model(7);
  expect_model_bits_match_exact(oa, 9);
  auto up = random_model(8, 4);
  expect_model_bits_match_exact(up, 9);
  auto direct = random_model(9, 2, "direct");
  expect_model_bits_match_exact(direct, 20);
}

TEST(Codec, UpscaleModelsRoundTrip) {
  for (const auto& [b, param] : std::vector<std::pair<int64_t, std::string>>{{4, "matrix"}, {16, "direct"}, {2, "matrix"}}) {
    auto model = random_model(10 + b, b, param);
    ardm::Codec codec(model);
    EXPECT_EQ(codec.num_stages(), b == 4 ? 4 : b == 16 ? 2 : 8);
    EXPECT_EQ(codec.process_code(), ardm::legacy::process_code(b, param == "matrix"));
    const auto images = test_images(6, 30 + b);
    for (int64_t budget : {codec.num_stages(), 3 * codec.num_stages() + 1}) {
      const auto enc = encode_all(codec, images, budget, 2);
      std::vector<std::vector<uint16_t>> back(images.size());
      auto errors = ardm::run_codec_workers(static_cast<int64_t>(images.size()), 2, [&](int64_t i) {
        back[i] = decode_file(codec, model_file(codec, enc[i], images[i], budget));
      });
      for (size_t i = 0; i < images.size(); ++i) {
        ASSERT_EQ(errors[i], "");
        EXPECT_EQ(back[i], images[i]) << "b " << b << ", budget " << budget << ", image " << i;
        const double real = 8.0 * static_cast<double>(model_file(codec, enc[i], images[i], budget).size());
        EXPECT_LE(real, enc[i].model_bits + 64 + 144 * 8 * 2.2e-5 + 1e-6);
      }
    }
    // Below one call per stage is refused.
    EXPECT_THROW(codec.policy(codec.num_stages() - 1), std::invalid_argument);
  }
}

TEST(Codec, VersionTwoFilesRecordTheModelKind) {
  auto oa = random_model(11);
  auto up = random_model(12, 4);
  ardm::Codec co(oa), cu(up);
  const auto img = test_images(1, 40)[0];
  const auto enc = encode_all(cu, {img}, 8, 1);
  ardm::legacy::FileHeader h;
  h.model_fingerprint = cu.legacy_fingerprint();
  h.process = cu.process_code();
  h.shape = cu.shape();
  h.budget = 8;
  const auto file = ardm::legacy::write_file(h, {{ardm::legacy_payload(enc[0]), bytes_of(img)}});
  EXPECT_EQ(file[2] >> 4, 2);  // an Upscale file is version 2; OA-ARDM files stay version 1
  const auto f = ardm::legacy::read_file(file.data(), file.size());
  EXPECT_EQ(f.header.process, cu.process_code());
  try {
    ardm::legacy::check_model(f, co.process_code(), co.legacy_fingerprint());
    FAIL() << "an Upscale file was accepted by an OA-ARDM model";
  } catch (const ardm::coding::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("Upscale ARDM (b = 4, matrix)"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(ardm::legacy::check_model(f, cu.process_code(), cu.legacy_fingerprint()));
}
