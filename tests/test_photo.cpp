// Photographs of any size (engine/tiles.h, kinds/photo/): the dyadic order of images, the UNet
// that sees a margin against its LibTorch twin, the tiles' geometry, and files of every size
// (gray and RGB, one pixel to several tiles, edges that cut tiles) that round-trip through the
// stream codec, cost what the model says, and fail loudly when damaged.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ardm/codec/stream.h"
#include "ardm/core/config_io.h"
#include "ardm/core/levels.h"
#include "ardm/engine/codec.h"
#include "ardm/engine/kernels.h"
#include "ardm/engine/net.h"
#include "ardm/engine/tiles.h"
#include "ardm/kinds/image/png.h"
#include "ardm/kinds/kind.h"
#include "ardm/objective/objective.h"
#include "ardm/train/export.h"
#include "ardm/train/model.h"

namespace {

using ardm::engine::EngineCodec;
namespace tiles = ardm::engine::tiles;

// A small photo model: 3-channel tiles of 8 x 8 with a margin of 4, one stage of b = 256 with
// the mixture of logistics, the dyadic (or quincunx) order; every weight randomised. taps > 0:
// with a prediction head (nets/unet/options.h), linear or affine.
ardm::Model random_photo_model(uint64_t seed, const std::string& order = "dyadic", int64_t taps = 0,
                               const std::string& head = "linear") {
  ardm::ModelConfig m;
  m.data = ardm::image_spec(3, 8, 8);
  m.data.context = 4;
  m.process.upscale = 256;
  m.process.parametrization = "logistic";
  m.process.order = order;
  m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2}, m.net.unet.attn_resolutions = {};
  m.net.unet.taps = taps, m.net.unet.head = head;
  torch::manual_seed(seed);
  ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  torch::NoGradGuard g;
  for (auto& p : model.ema->parameters()) p.copy_(0.3 * torch::randn_like(p));
  return model;
}

// A smooth random picture (blurred noise), planar {C, H, W}.
std::vector<uint16_t> picture(int64_t C, int64_t H, int64_t W, uint64_t seed) {
  auto g = ardm::make_generator(seed);
  auto x = torch::rand({1, C, H + 2, W + 2}, g);
  x = torch::avg_pool2d(x, 3, 1);
  auto b = (x * 255).round().clamp(0, 255).to(torch::kInt64).reshape({-1}).contiguous();
  return std::vector<uint16_t>(b.data_ptr<int64_t>(), b.data_ptr<int64_t>() + b.numel());
}

std::vector<uint8_t> png_of(const std::vector<uint16_t>& planar, int64_t C, int64_t H, int64_t W) {
  ardm::data::Image8 img;
  img.channels = C, img.height = H, img.width = W;
  img.pixels.resize(planar.size());
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < H * W; ++i) img.pixels[static_cast<size_t>(i * C + c)] = static_cast<uint8_t>(planar[static_cast<size_t>(c * H * W + i)]);
  return ardm::data::encode_png(img, "t.png");
}

}  // namespace

TEST(Photo, DyadicOrderOfImagesIsCoarseToFineChannelByChannel) {
  const std::vector<int64_t> shape = {3, 8, 8};
  const auto sigma = ardm::fixed_order(192, 5, "dyadic", shape);
  auto tz = [](int64_t v) { int z = 0; if (v == 0) return 64; while ((v & 1) == 0) v >>= 1, ++z; return z; };
  auto level = [&](int64_t i) {
    const int64_t c = i / 64, y = i / 8 % 8, x = i % 8;
    return std::min(tz(y), tz(x)) * 3 + (2 - c);
  };
  EXPECT_EQ(sigma[0].item<int64_t>(), 0);  // channel 0 of pixel (0, 0) first
  for (int64_t i = 0; i < 192; ++i)
    for (int64_t j = 0; j < 192; ++j)
      if (level(i) > level(j)) ASSERT_LT(sigma[i].item<int64_t>(), sigma[j].item<int64_t>()) << i << " " << j;
  // Each level's values are in a seeded random order: another seed, another order.
  EXPECT_FALSE(sigma.equal(ardm::fixed_order(192, 6, "dyadic", shape)));
  // The levels' starts: (0,0) x 3 channels, then 3 pixels x 3, 12 x 3, 48 x 3.
  EXPECT_EQ(ardm::dyadic_level_starts(192, shape),
            (std::vector<int64_t>{0, 1, 2, 3, 6, 9, 12, 24, 36, 48, 96, 144}));
}

TEST(Photo, QuincunxOrderSplitsEachLevelCentresFirst) {
  const std::vector<int64_t> shape = {3, 8, 8};
  const auto sigma = ardm::fixed_order(192, 5, "quincunx", shape);
  auto tz = [](int64_t v) { int z = 0; if (v == 0) return 64; while ((v & 1) == 0) v >>= 1, ++z; return z; };
  auto level = [&](int64_t i) {  // spatial level 2k + 1 for the centres, 2k for the rest
    const int64_t c = i / 64, y = i / 8 % 8, x = i % 8;
    const int k = std::min(tz(y), tz(x));
    return (2 * k + (tz(y) == k && tz(x) == k ? 1 : 0)) * 3 + (2 - c);
  };
  const auto levels = ardm::image_levels(3, 8, 8, true);
  for (int64_t i = 0; i < 192; ++i) ASSERT_EQ(levels[static_cast<size_t>(i)], level(i)) << i;
  for (int64_t i = 0; i < 192; ++i)
    for (int64_t j = 0; j < 192; ++j)
      if (level(i) > level(j)) ASSERT_LT(sigma[i].item<int64_t>(), sigma[j].item<int64_t>()) << i << " " << j;
  // (0, 0); the centre (4, 4); (0, 4) and (4, 0); the 4 centres (odd multiples of 2); the 8 others;
  // the 16 odd pixels; the 32 others: each channel by channel.
  const std::vector<int64_t> starts = {0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160};
  EXPECT_EQ(ardm::dyadic_level_starts(192, shape, true), starts);
  std::vector<uint32_t> order(192);
  for (int64_t i = 0; i < 192; ++i) order[static_cast<size_t>(sigma[i].item<int64_t>())] = static_cast<uint32_t>(i);
  // The engine's view (the policies' groups, counted from the levels) is where the order's level changes.
  std::vector<int64_t> changes;
  for (size_t r = 0; r < order.size(); ++r)
    if (r == 0 || levels[order[r]] != levels[order[r - 1]]) changes.push_back(static_cast<int64_t>(r));
  EXPECT_EQ(changes, starts);
  EXPECT_EQ(ardm::policy_groups("quincunx", shape), starts);
  EXPECT_TRUE(ardm::policy_groups("dyadic", shape).empty());
  EXPECT_THROW(ardm::policy_groups("quincunx", {64}), std::invalid_argument);
  // Sequences have no quincunx order.
  EXPECT_THROW(ardm::fixed_order(64, 5, "quincunx", {64}), c10::Error);
}

TEST(Photo, LogisticLogProbabilityIsTheSoftmaxOfItsDigits) {
  // The objective's shortcut (two masses per value) against the b logits it replaces.
  for (int64_t b : {16, 256}) {
    ardm::DataSpec d = ardm::image_spec(1, 3, 5);
    auto p = ardm::make_process({b, "logistic"}, d);
    auto g = ardm::make_generator(3);
    const auto out = torch::randn({2, 12, 1, 3, 5}, g) * 2;
    const auto x = torch::randint(256, {2, 1, 3, 5}, g, torch::kInt64);
    for (int64_t s = 0; s < p->num_stages(); ++s) {
      const auto st = ardm::stage_tensor(2, s, torch::kCPU);
      const auto past = p->past(x, st), sym = p->symbol(past, p->future(x, st), st);
      const auto want = torch::log_softmax(p->symbol_logits(out, past, s), 1).gather(1, sym.unsqueeze(1)).squeeze(1);
      EXPECT_LT((p->symbol_log_prob(out, past, sym, s) - want).abs().max().item<double>(), 1e-4) << "b " << b;
    }
  }
}

void expect_margin_twin(ardm::Model model) {
  const auto net = ardm::engine::make_net(ardm::engine_model_of(model));
  const int64_t B = 3, D = model.num_values(), S = 12, Wn = 3 * S * S;
  auto g = ardm::make_generator(4);
  const auto x = torch::randint(256, {B, 3, 8, 8}, g, torch::kInt64);
  const auto known = torch::rand({B, 3, 8, 8}, g) < 0.4;
  auto window = torch::randint(256, {B, 3, S, S}, g, torch::kInt64);
  window.index_put_({1, torch::indexing::Slice(), torch::indexing::Slice(0, 4)}, -1);  // item 1: no rows above
  window.index_put_({2, torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 4)}, -1);  // 2: none left
  const std::vector<int64_t> t = {5, 100, 191}, stage = {0, 0, 0};
  std::vector<int32_t> xs, ws;
  std::vector<uint8_t> ks;
  for (int64_t i = 0; i < B * D; ++i) xs.push_back(static_cast<int32_t>(x.view(-1)[i].item<int64_t>())), ks.push_back(known.view(-1)[i].item<bool>());
  for (int64_t i = 0; i < B * Wn; ++i) ws.push_back(static_cast<int32_t>(window.view(-1)[i].item<int64_t>()));
  ardm::engine::NetBatch in{B, xs.data(), ks.data(), t.data(), stage.data()};
  in.context = ws.data();
  ardm::engine::ThreadPool three(3), one(1);
  const auto got = net->forward(in, three);

  torch::NoGradGuard ng;
  model.ema->eval();
  auto out = model.ema->forward_in_context(x, known, torch::tensor(t), torch::tensor(stage), {window, torch::zeros({B}, torch::kInt64)});
  out = out.reshape({B, out.size(1), -1}).transpose(1, 2).contiguous();  // [B, D, O]
  ASSERT_EQ(got.size(), static_cast<size_t>(out.numel()));
  double max_err = 0, max_abs = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    max_err = std::max(max_err, std::fabs(static_cast<double>(got[i]) - out.data_ptr<float>()[i]));
    max_abs = std::max(max_abs, std::fabs(static_cast<double>(out.data_ptr<float>()[i])));
  }
  EXPECT_GT(max_abs, 1.0);
  EXPECT_LT(max_err, 2e-4 * max_abs);

  // The same bits one item at a time, on every kernel; the window's tile part is not read, a
  // margin pixel is.
  const auto saved = ardm::engine::active_isa();
  const size_t per = got.size() / B;
  for (auto isa : {ardm::engine::Isa::kScalar, ardm::engine::Isa::kAvx2, ardm::engine::Isa::kNeon}) {
    if (!ardm::engine::isa_supported(isa)) continue;
    ardm::engine::set_isa(isa);
    for (int64_t b = 0; b < B; ++b) {
      ardm::engine::NetBatch single{1, xs.data() + b * D, ks.data() + b * D, &t[static_cast<size_t>(b)], &stage[static_cast<size_t>(b)]};
      single.context = ws.data() + b * Wn;
      const auto o = net->forward(single, one);
      ASSERT_EQ(std::memcmp(o.data(), got.data() + b * per, per * sizeof(float)), 0) << ardm::engine::isa_name(isa);
    }
  }
  ardm::engine::set_isa(saved);
  auto other = ws;
  other[static_cast<size_t>(11 * S + 11)] ^= 1;  // item 0, channel 0, a pixel of the tile
  in.context = other.data();
  EXPECT_EQ(net->forward(in, three), got);
  other[static_cast<size_t>(1 * S + 6)] ^= 1;  // ... a pixel of the rows above
  EXPECT_NE(net->forward(in, three), got);
}

TEST(Photo, UNetWithAMarginMatchesLibTorchAndKeepsItsBits) { expect_margin_twin(random_photo_model(21)); }

TEST(Photo, UNetWithAPredictionHeadMatchesLibTorchAndKeepsItsBits) {
  expect_margin_twin(random_photo_model(21, "quincunx", 2));
}

TEST(Photo, UNetWithAnAffineHeadMatchesLibTorchAndKeepsItsBits) {
  expect_margin_twin(random_photo_model(24, "quincunx", 2, "affine"));
}

// With its weights zero an affine head's means are the mean of the known values of the value's
// channel around it (a flat window: that value, exactly); a weight of one on channel 0 at the
// same pixel makes channel 1 a copy of it where it is known, whatever the rest of the window.
TEST(Photo, AffineHeadPredictsAFlatWindowAndACopiedChannelExactly) {
  auto model = random_photo_model(25, "quincunx", 1, "affine");
  EXPECT_NE(ardm::to_text(model.model_cfg).find("unet.head=affine"), std::string::npos);
  const int64_t B = 2, S = 12, M = 4, C = 3, T = 9, centre = 4;
  {
    torch::NoGradGuard ng;
    auto params = model.ema->named_parameters();
    params["predict.weight"].zero_();
    params["predict.bias"].zero_();
    // The network's own means (outputs 4..7 of each channel, index o * C + c) zero too.
    params["out_conv.weight"].narrow(0, 4 * C, 4 * C).zero_();
    params["out_conv.bias"].narrow(0, 4 * C, 4 * C).zero_();
  }
  auto g = ardm::make_generator(8);
  // Known as an order of images has it: a pixel's later channels only where its earlier ones are.
  const auto r = torch::rand({B, 1, 8, 8}, g);
  const auto known = torch::cat({r < 0.6, r < 0.4, r < 0.2}, 1);
  auto run = [&](const torch::Tensor& x, const torch::Tensor& window) {
    torch::NoGradGuard ng;
    model.ema->eval();
    return model.ema->forward_in_context(x, known, torch::tensor(std::vector<int64_t>{7, 150}), torch::zeros({B}, torch::kInt64),
                                         {window, torch::zeros({B}, torch::kInt64)})
        .narrow(1, 4, 4);  // [B, 4, C, 8, 8]: the means
  };
  // Where a channel has a known value among the 3x3 around (the margin is all known).
  auto grid = torch::ones({B, C, S, S}, torch::kFloat32);
  grid.narrow(2, M, 8).narrow(3, M, 8).copy_(known);
  const auto seen = torch::max_pool2d(grid, 3, 1, 1).narrow(2, M, 8).narrow(3, M, 8) > 0;  // [B, C, 8, 8]

  const auto flat = run(torch::full({B, C, 8, 8}, 100, torch::kInt64), torch::full({B, C, S, S}, 100, torch::kInt64));
  const double y = 100 * 2.0 / 256 - 1.0;
  EXPECT_GT(seen.sum().item<int64_t>(), 300);
  EXPECT_LT(((flat - y).abs() * seen.unsqueeze(1)).max().item<double>(), 1e-6);
  EXPECT_GT(((flat - y).abs() * seen.logical_not().unsqueeze(1)).max().item<double>(), 0.1);  // nothing around: 0

  {
    torch::NoGradGuard ng;
    model.ema->named_parameters()["predict.bias"][(1 * C + 0) * T + centre].fill_(1.0);
  }
  auto gray = torch::randint(256, {B, 1, 8, 8}, g, torch::kInt64).expand({B, C, 8, 8}).contiguous();
  auto gray_window = torch::randint(256, {B, 1, S, S}, g, torch::kInt64).expand({B, C, S, S}).contiguous();
  const auto copy = run(gray, gray_window).select(2, 1);  // channel 1's means [B, 4, 8, 8]
  const auto y0 = gray.select(1, 0).to(torch::kFloat32) * (2.0 / 256) - 1.0;
  const auto k0 = known.select(1, 0);
  EXPECT_GT(k0.sum().item<int64_t>(), 40);
  EXPECT_LT(((copy - y0.unsqueeze(1)).abs() * k0.unsqueeze(1)).max().item<double>(), 1e-6);

  ardm::ModelConfig bad = model.model_cfg;
  bad.net.unet.taps = 0;  // an affine head needs a reach
  EXPECT_THROW(ardm::Model(bad, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
  bad = model.model_cfg;
  bad.net.unet.head = "cubic";
  EXPECT_THROW(ardm::Model(bad, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
}

// Grown on a trained network, an affine head keeps every output but the means, which start at
// its base: on a flat picture, the value itself wherever one is known around.
TEST(Photo, AnAffineHeadGrownOnResumeStartsTheMeansAtItsBase) {
  auto model = random_photo_model(26, "quincunx");
  const int64_t B = 2, S = 12, C = 3;
  const auto x = torch::full({B, C, 8, 8}, 60, torch::kInt64);
  const auto window = torch::full({B, C, S, S}, 60, torch::kInt64);
  const auto known = torch::ones({B, C, 8, 8}, torch::kBool);
  auto run = [&](ardm::Model& m) {
    torch::NoGradGuard ng;
    m.ema->eval();
    return m.ema->forward_in_context(x, known, torch::tensor(std::vector<int64_t>{7, 150}), torch::zeros({B}, torch::kInt64),
                                     {window, torch::zeros({B}, torch::kInt64)});
  };
  const auto before = run(model);
  model.grow_head(1, "affine");
  EXPECT_EQ(model.model_cfg.net.unet.head, "affine");
  const auto after = run(model);
  EXPECT_TRUE(after.narrow(1, 0, 4).equal(before.narrow(1, 0, 4)));  // mixture logits
  EXPECT_TRUE(after.narrow(1, 8, 4).equal(before.narrow(1, 8, 4)));  // log-scales
  EXPECT_LT((after.narrow(1, 4, 4) - (60 * 2.0 / 256 - 1.0)).abs().max().item<double>(), 1e-6);
  EXPECT_GT((before.narrow(1, 4, 4) - (60 * 2.0 / 256 - 1.0)).abs().max().item<double>(), 0.01);
}

TEST(Photo, PredictionHeadGrowsWithoutChangingTheOutputsAndCanCopyAChannel) {
  auto model = random_photo_model(22, "quincunx");
  EXPECT_EQ(ardm::to_text(model.model_cfg).find("unet.taps"), std::string::npos);  // older models' text unchanged
  auto g = ardm::make_generator(6);
  const int64_t B = 2, S = 12;
  const auto x = torch::randint(256, {B, 3, 8, 8}, g, torch::kInt64);
  auto known = torch::rand({B, 3, 8, 8}, g) < 0.5;
  const auto window = torch::randint(256, {B, 3, S, S}, g, torch::kInt64);
  const std::vector<int64_t> t = {7, 150}, stage = {0, 0};
  auto run = [&](ardm::Model& m) {
    torch::NoGradGuard ng;
    m.ema->eval();
    return m.ema->forward_in_context(x, known, torch::tensor(t), torch::tensor(stage), {window, torch::zeros({B}, torch::kInt64)});
  };
  const auto before = run(model);
  model.grow_head(1);
  EXPECT_EQ(model.model_cfg.net.unet.taps, 1);
  EXPECT_NE(ardm::to_text(model.model_cfg).find("unet.taps=1"), std::string::npos);
  EXPECT_TRUE(run(model).equal(before));
  EXPECT_THROW(model.grow_head(2), std::invalid_argument);  // one head only
  int heads = 0;
  for (const auto& p : model.net->named_parameters()) heads += model.is_head_parameter(p.key());
  EXPECT_EQ(heads, 2);  // the head's weight and bias
  // A head whose weights copy channel 0 at the same pixel into channel 1's means: where channel 0
  // is known, channel 1's means move by exactly its value (on the input's scale); elsewhere not.
  {
    torch::NoGradGuard ng;
    auto& w = model.ema->named_parameters()["predict.bias"];
    const int64_t T = 9, centre = 4;
    w[(1 * 3 + 0) * T + centre].fill_(1.0);
  }
  const auto after = run(model);  // [B, 12, 3, 8, 8]
  const auto moved = after - before;
  const auto y0 = x.select(1, 0).to(torch::kFloat32) * (2.0 / 256) - 1.0;
  const auto k0 = known.select(1, 0).to(torch::kFloat32);
  for (int64_t j = 0; j < 12; ++j) {
    const auto d = moved.select(1, j);
    const bool mean = j >= 4 && j < 8;
    EXPECT_LT((d.select(1, 1) - (mean ? y0 * k0 : torch::zeros_like(y0))).abs().max().item<double>(), 1e-5) << j;
    EXPECT_EQ(d.select(1, 0).abs().max().item<double>(), 0.0) << j;
    EXPECT_EQ(d.select(1, 2).abs().max().item<double>(), 0.0) << j;
  }
  // Needs outputs that are values.
  ardm::ModelConfig bad = model.model_cfg;
  bad.process.parametrization = "matrix", bad.net.unet.taps = 1;
  EXPECT_THROW(ardm::Model(bad, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
  bad = model.model_cfg;
  bad.net.unet.taps = 9;  // beyond the head's reach
  EXPECT_THROW(ardm::Model(bad, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
}

TEST(Photo, TilesCoverTheImageWithoutPadding) {
  ardm::DataSpec m = ardm::image_spec(3, 8, 8);
  m.context = 4;
  const auto g = tiles::grid_of({3, 11, 19}, m);
  EXPECT_EQ(g.rows(), 2);
  EXPECT_EQ(g.cols(), 3);
  const auto img = picture(3, 11, 19, 1);
  std::vector<uint16_t> back(img.size(), 999);
  int64_t coded = 0;
  for (int64_t i = 0; i < g.count(); ++i) {
    const auto l = tiles::layout(g, i);
    for (auto v : l) coded += v == EngineCodec::kCoded;
    tiles::put(g, back, i, tiles::values(g, img, i));
  }
  EXPECT_EQ(coded, 3 * 11 * 19);  // every value once, nothing outside the image
  EXPECT_EQ(back, img);
  // Tile 4 (row 1, column 1): its window's rows above and columns left are the image's; the tile
  // itself and nothing else is absent.
  const auto w = tiles::window(g, img, 4);
  EXPECT_EQ(w[0], img[(0 * 11 + 8 - 4) * 19 + 8 - 4]);
  EXPECT_EQ(w[static_cast<size_t>(4 * 12 + 4)], EngineCodec::kAbsentPixel);
  // Tile 0: no rows above, no columns left.
  const auto w0 = tiles::window(g, img, 0);
  EXPECT_EQ(w0[static_cast<size_t>(3 * 12 + 3)], EngineCodec::kAbsentPixel);
  EXPECT_EQ(w0[static_cast<size_t>(5 * 12 + 3)], EngineCodec::kAbsentPixel);
  // A gray image: channels 1 and 2 are copies of channel 0, the window has it three times.
  const auto gg = tiles::grid_of({1, 5, 5}, m);
  const auto l = tiles::layout(gg, 0);
  EXPECT_EQ(l[0], EngineCodec::kCoded);
  EXPECT_EQ(l[64 + 8 + 2], 8 + 2);
  EXPECT_EQ(l[128 + 4 * 8 + 4], 4 * 8 + 4);
  EXPECT_EQ(l[5], EngineCodec::kAbsent);
  EXPECT_THROW(tiles::grid_of({2, 5, 5}, m), std::invalid_argument);
}

TEST(Photo, QuincunxPoliciesStartAtGroupsInTheEngineAsInTraining) {
  auto model = random_photo_model(23, "quincunx");
  auto em = std::make_shared<ardm::engine::EngineModel>(ardm::engine_model_of(model));
  EngineCodec codec(em, 1);
  const auto starts = ardm::dyadic_level_starts(192, {3, 8, 8}, true);
  for (int64_t budget : {1, 6, 21, 40, 192}) {
    SCOPED_TRACE(budget);
    const auto want = model.policy(budget, "optimal");
    EXPECT_EQ(codec.plan(budget).policies, want);
    if (budget >= static_cast<int64_t>(starts.size()))
      for (const int64_t g : starts) EXPECT_TRUE(std::find(want[0].begin(), want[0].end(), g) != want[0].end());
  }
}

TEST(Photo, PhotosOfAnySizeRoundTripAndFailLoudly) {
 for (const std::string order : {"dyadic", "quincunx"}) {
  SCOPED_TRACE(order);
  auto model = random_photo_model(22, order);
  auto em = std::make_shared<ardm::engine::EngineModel>(ardm::engine_model_of(model));
  EngineCodec codec(em, 2);
  const auto& kind = *ardm::kinds::by_name("photo");
  kind.check_model(codec.model());
  struct Case { int64_t C, H, W; };
  for (const Case c : std::vector<Case>{{1, 1, 1}, {3, 5, 7}, {3, 8, 8}, {1, 20, 13}, {3, 9, 17}, {3, 17, 9}}) {
    SCOPED_TRACE(std::to_string(c.C) + "x" + std::to_string(c.H) + "x" + std::to_string(c.W));
    const auto img = picture(c.C, c.H, c.W, static_cast<uint64_t>(c.H * 100 + c.W));
    const auto png = png_of(img, c.C, c.H, c.W);
    const auto content = kind.read(png, "t.png", codec.model());
    std::vector<uint8_t> first;
    for (size_t batch : {size_t{1}, size_t{4}}) {
      const auto enc = ardm::codec::encode_chunks({{&kind, &content}}, codec, 6, batch)[0];
      const auto made = ardm::codec::make_file(kind, content, ardm::coding::kPartModel, codec, 6, enc);
      if (first.empty()) first = made.bytes;
      EXPECT_EQ(made.bytes, first);  // the same file for any batch
      double bits = 0;
      for (const auto& e : enc) bits += e.model_bits;
      // The model's code length plus the header and a few bytes per column of tiles.
      const auto g = tiles::grid_of(content.description.shape, codec.model().cfg.data);
      EXPECT_LE(static_cast<double>(made.bytes.size()), bits / 8 + 12 + 8 * static_cast<double>(g.cols()));
      for (size_t dbatch : {size_t{1}, size_t{3}}) {
        auto f = ardm::codec::open_file(made.bytes.data(), made.bytes.size());
        EXPECT_STREQ(f.kind->name(), "photo");
        ardm::codec::bind(f, codec);
        const auto d = ardm::codec::decode_files({&f}, &codec, dbatch);
        ASSERT_EQ(d[0].error, "");
        EXPECT_EQ(d[0].content.words, content.words);
      }
    }
    // Damage anywhere past the header is caught; nothing decodes silently wrong.
    for (size_t at = 8; at < first.size(); at += first.size() / 10 + 1) {
      auto bad = first;
      bad[at] ^= 0x10;
      try {
        auto f = ardm::codec::open_file(bad.data(), bad.size());
        ardm::codec::bind(f, codec);
        const auto d = ardm::codec::decode_files({&f}, &codec, 2);
        EXPECT_NE(d[0].error, "") << "flip at " << at;
      } catch (const ardm::coding::FormatError&) {
      }
    }
  }
  // Whole images only: no chunk by chunk.
  const auto content = kind.read(png_of(picture(3, 9, 9, 3), 3, 9, 9), "t.png", codec.model());
  const auto enc = ardm::codec::encode_chunks({{&kind, &content}}, codec, 6, 2)[0];
  EXPECT_THROW(ardm::codec::best_file(kind, content, "chunks", codec, 6, enc), std::invalid_argument);
  EXPECT_NO_THROW(ardm::codec::best_file(kind, content, "auto", codec, 6, enc));
 }
}

TEST(Photo, ThePhotoKindTakesThePngsTheImageModelDoesNot) {
  auto kind_of = [](int64_t C, int64_t H, int64_t W) {
    const auto png = png_of(std::vector<uint16_t>(static_cast<size_t>(C * H * W), 7), C, H, W);
    return std::string(ardm::kinds::for_input("x.png", png.data(), std::min<size_t>(png.size(), 32)).name());
  };
  EXPECT_EQ(kind_of(1, 28, 28), "image");  // the bundled image model's shape
  EXPECT_EQ(kind_of(3, 28, 28), "photo");
  EXPECT_EQ(kind_of(1, 29, 28), "photo");
  EXPECT_EQ(kind_of(3, 512, 384), "photo");
  // Other PNG forms (here 16-bit gray) stay the image kind's, for JPEG XL or stored.
  static const uint8_t kPng16[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                   0, 0, 0, 40, 0, 0, 0, 40, 16, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_STREQ(ardm::kinds::for_input("y.png", kPng16, sizeof kPng16).name(), "image");
}
