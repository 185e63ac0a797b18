// The codec's promise: a file decodes to the exact original whatever the number of images coded
// together and the number of threads, and damage or a wrong model is an error, never garbage.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "ardm/codec.h"
#include "ardm/coding/format.h"
#include "ardm/coding/rans.h"
#include "ardm/eval.h"
#include "ardm/model.h"

namespace fs = std::filesystem;

namespace {

// A small UNet with every weight randomised (the zero-initialised residual branches too), so
// every layer shapes the probabilities; 8-bit values like real images.
// upscale: 0 for OA-ARDM, else the branching factor (with `parametrization`).
ardm::Model random_model(uint64_t seed, int64_t upscale = 0, const std::string& parametrization = "matrix") {
  ardm::ModelConfig m;
  m.data = ardm::image_spec(1, 12, 12);
  m.process.upscale = upscale;
  m.process.parametrization = parametrization;
  m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2}, m.net.unet.attn_resolutions = {6};
  torch::manual_seed(seed);
  ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  torch::NoGradGuard g;
  for (auto& p : model.ema->parameters()) p.copy_(0.3 * torch::randn_like(p));
  return model;
}

// Smooth random images (blurred noise), so the model's predictions are far from uniform.
std::vector<std::vector<uint16_t>> test_images(int64_t n, uint64_t seed) {
  auto g = ardm::make_generator(seed);
  auto x = torch::rand({n, 1, 12, 12}, g);
  x = torch::avg_pool2d(torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate)), 3, 1);
  auto bytes = (x * 255).round().clamp(0, 255).to(torch::kUInt8).reshape({n, -1}).contiguous();
  std::vector<std::vector<uint16_t>> out;
  for (int64_t i = 0; i < n; ++i) out.emplace_back(bytes[i].data_ptr<uint8_t>(), bytes[i].data_ptr<uint8_t>() + 144);
  return out;
}

std::vector<uint8_t> bytes_of(const std::vector<uint16_t>& v) { return std::vector<uint8_t>(v.begin(), v.end()); }

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
    for (size_t i = 0; i < images.size(); ++i) ASSERT_EQ(enc1[i].payload, enc2[i].payload) << "image " << i;
    // Decoded one at a time, in reverse order, on 1 thread; and all at once on 2 workers.
    for (size_t i = images.size(); i-- > 0;) {
      std::vector<uint16_t> got;
      auto err = ardm::run_codec_workers(1, 1, [&](int64_t) {
        got = codec.decode(enc2[i].payload.data(), enc2[i].payload.size(), budget);
      });
      ASSERT_EQ(err[0], "");
      ASSERT_EQ(got, images[i]) << "budget " << budget << ", image " << i;
    }
    std::vector<std::vector<uint16_t>> all(images.size());
    auto errors = ardm::run_codec_workers(64, 2, [&](int64_t i) {
      all[i] = codec.decode(enc1[i].payload.data(), enc1[i].payload.size(), budget);
    });
    for (size_t i = 0; i < images.size(); ++i) {
      ASSERT_EQ(errors[i], "");
      ASSERT_EQ(all[i], images[i]) << "budget " << budget << ", image " << i;
    }
  }
}

TEST(Codec, CodeLengthIsTheModelsPlusTheCoderFlush) {
  auto model = random_model(2);
  ardm::Codec codec(model);
  const auto images = test_images(8, 3);
  const auto enc = encode_all(codec, images, 12, 2);
  for (const auto& e : enc) {
    const double real = 8.0 * static_cast<double>(e.payload.size());
    // rANS costs the initial state (31 bits) plus up to 32 unused bits of the final state, and
    // 24-bit frequencies at most 2.2e-5 bits per symbol.
    EXPECT_GE(real, e.model_bits);
    EXPECT_LE(real, e.model_bits + 64 + 144 * 2.2e-5 + 1e-6);
    EXPECT_GT(e.model_bits, 100);  // the model is not trivially certain
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
  auto model = random_model(4);
  ardm::Codec codec(model);
  const auto images = test_images(6, 5);
  const int64_t budget = 10;
  const auto enc = encode_all(codec, images, budget, 2);
  ardm::coding::FileHeader h;
  h.model_fingerprint = codec.fingerprint();
  h.shape = codec.shape();
  h.budget = budget;
  int detected = 0, trials = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto file = ardm::coding::write_file(h, {{enc[i].payload, bytes_of(images[i])}});
    // Flip one bit at a few positions of the payload (after the 15-byte header and the CRC).
    for (size_t pos = 15; pos < file.size(); pos += 7) {
      auto bad = file;
      bad[pos] ^= static_cast<uint8_t>(1u << (pos % 8));
      ++trials;
      auto err = ardm::run_codec_workers(1, 1, [&](int64_t) {
        const auto f = ardm::coding::read_file(bad.data(), bad.size());
        ardm::coding::check_model(f, codec.process_code(), codec.fingerprint());
        const auto& it = f.items.at(0);
        const auto out = bytes_of(codec.decode(it.payload, it.payload_size, f.header.budget));
        ardm::coding::check_item_crc(f, it, out.data(), out.size());
      });
      if (!err[0].empty()) ++detected;
    }
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
  const auto enc = encode_all(ardm::Codec(b), {img}, 5, 1);
  ardm::coding::FileHeader h;
  h.model_fingerprint = ardm::Codec(b).fingerprint();
  h.shape = ca.shape();
  h.budget = 5;
  const auto file = ardm::coding::write_file(h, {{enc[0].payload, bytes_of(img)}});
  const auto f = ardm::coding::read_file(file.data(), file.size());
  try {
    ardm::coding::check_model(f, cc.process_code(), cc.fingerprint());
    FAIL() << "a file of another model was accepted";
  } catch (const ardm::coding::FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model", 0), 0u) << e.what();
  }
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
    EXPECT_EQ(codec.process_code(), ardm::coding::process_code(b, param == "matrix"));
    const auto images = test_images(6, 30 + b);
    for (int64_t budget : {codec.num_stages(), 3 * codec.num_stages() + 1}) {
      const auto enc = encode_all(codec, images, budget, 2);
      std::vector<std::vector<uint16_t>> back(images.size());
      auto errors = ardm::run_codec_workers(static_cast<int64_t>(images.size()), 2, [&](int64_t i) {
        back[i] = codec.decode(enc[i].payload.data(), enc[i].payload.size(), budget);
      });
      for (size_t i = 0; i < images.size(); ++i) {
        ASSERT_EQ(errors[i], "");
        EXPECT_EQ(back[i], images[i]) << "b " << b << ", budget " << budget << ", image " << i;
        const double real = 8.0 * static_cast<double>(enc[i].payload.size());
        EXPECT_LE(real, enc[i].model_bits + 64 + 144 * 8 * 2.2e-5 + 1e-6);
      }
    }
    // Below one call per stage is refused.
    EXPECT_THROW(codec.policy(codec.num_stages() - 1), std::invalid_argument);
  }
}

TEST(Codec, FilesRecordTheModelKind) {
  auto oa = random_model(11);
  auto up = random_model(12, 4);
  ardm::Codec co(oa), cu(up);
  const auto img = test_images(1, 40)[0];
  const auto enc = encode_all(cu, {img}, 8, 1);
  ardm::coding::FileHeader h;
  h.model_fingerprint = cu.fingerprint();
  h.process = cu.process_code();
  h.shape = cu.shape();
  h.budget = 8;
  const auto file = ardm::coding::write_file(h, {{enc[0].payload, bytes_of(img)}});
  EXPECT_EQ(file[2] >> 4, 2);  // an Upscale file is version 2; OA-ARDM files stay version 1
  const auto f = ardm::coding::read_file(file.data(), file.size());
  EXPECT_EQ(f.header.process, cu.process_code());
  try {
    ardm::coding::check_model(f, co.process_code(), co.fingerprint());
    FAIL() << "an Upscale file was accepted by an OA-ARDM model";
  } catch (const ardm::coding::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("Upscale ARDM (b = 4, matrix)"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(ardm::coding::check_model(f, cu.process_code(), cu.fingerprint()));
}
