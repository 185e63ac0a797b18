// Checkpoints restore the exact model, and a resumed run continues bit for bit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "ardm/train/model.h"
#include "ardm/train/eval.h"
#include "ardm/train/train.h"

namespace fs = std::filesystem;

namespace {

ardm::Model tiny_model(int64_t steps) {
  ardm::ModelConfig m;
  m.data = ardm::image_spec(1, 8, 8, 16);
  m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2}, m.net.unet.attn_resolutions = {4};
  ardm::TrainConfig t;
  t.steps = steps, t.batch = 8, t.lr = 1e-3, t.warmup = 2, t.ema_decay = 0.9, t.checkpoint_every = 0, t.log_every = 1;
  torch::manual_seed(0);
  return ardm::Model(m, ardm::ObjectiveConfig{}, t);
}

torch::Tensor tiny_data() {
  auto g = ardm::make_generator(99);
  return torch::randint(16, {40, 1, 8, 8}, g, torch::kInt64).to(torch::kUInt8);
}

std::string temp_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("ardm-ckpt-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  return p.string();
}

void expect_same_params(const ardm::nets::Net& a, const ardm::nets::Net& b) {
  auto pa = a->named_parameters(), pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& kv : pa) EXPECT_TRUE(kv.value().equal(pb[kv.key()])) << kv.key();
}

ardm::RunOptions quiet(const std::string& dir, bool resume) {
  ardm::RunOptions o;
  o.out_dir = dir;
  o.resume = resume;
  o.progress = false;
  return o;
}

}  // namespace

TEST(Checkpoint, SaveLoadGivesIdenticalOutputs) {
  const std::string dir = temp_dir("io");
  auto model = tiny_model(3);
  ardm::train(model, tiny_data(), quiet(dir, false));
  auto loaded = ardm::load_model(dir + "/checkpoint.pt");
  EXPECT_EQ(loaded.step, 3);
  EXPECT_EQ(loaded.model_cfg.net.unet.ch_mult, model.model_cfg.net.unet.ch_mult);
  EXPECT_EQ(loaded.train_cfg.lr, model.train_cfg.lr);
  EXPECT_TRUE(loaded.tracker.history().equal(model.tracker.history()));
  EXPECT_TRUE(loaded.tracker.visited().equal(model.tracker.visited()));
  expect_same_params(model.net, loaded.net);
  expect_same_params(model.ema, loaded.ema);
  model.ema->eval(), loaded.ema->eval();
  auto x = tiny_data().slice(0, 0, 4).to(torch::kInt64);
  auto known = torch::rand({4, 1, 8, 8}) < 0.3;
  auto t = known.reshape({4, -1}).sum(1);
  auto st = torch::zeros({4}, torch::kInt64);
  torch::NoGradGuard g;
  EXPECT_TRUE(model.ema->forward(x, known, t, st).equal(loaded.ema->forward(x, known, t, st)));
  EXPECT_FALSE(model.ema->forward(x, known, t, st).equal(model.net->forward(x, known, t, st)));  // EMA differs
  fs::remove_all(dir);
}

TEST(Checkpoint, ResumeContinuesExactlyLikeAnUninterruptedRun) {
  const auto data = tiny_data();
  const std::string straight = temp_dir("straight"), split = temp_dir("split");
  auto a = tiny_model(8);
  ardm::train(a, data, quiet(straight, false));

  auto b = tiny_model(4);  // same init, stopped half way (as if killed after its checkpoint)
  ardm::train(b, data, quiet(split, false));
  auto resumed = ardm::load_model(split + "/checkpoint.pt");
  resumed.train_cfg.steps = 8;
  ardm::train(resumed, data, quiet(split, true));

  EXPECT_EQ(resumed.step, 8);
  expect_same_params(a.net, resumed.net);
  expect_same_params(a.ema, resumed.ema);
  EXPECT_TRUE(a.tracker.history().equal(resumed.tracker.history()));
  // metrics.jsonl has one row per step, none duplicated
  std::ifstream in(split + "/metrics.jsonl");
  int rows = 0;
  for (std::string line; std::getline(in, line);) ++rows;
  EXPECT_EQ(rows, 8);
  fs::remove_all(straight);
  fs::remove_all(split);
}

TEST(Checkpoint, DamagedOrMissingFilesAreClearErrors) {
  const std::string dir = temp_dir("bad");
  fs::create_directories(dir);
  EXPECT_THROW(ardm::load_model(dir + "/nothing.pt"), std::runtime_error);
  std::ofstream(dir + "/junk.pt") << "this is not a checkpoint";
  try {
    ardm::load_model(dir + "/junk.pt");
    FAIL() << "junk accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.pt"), std::string::npos);
  }
  auto model = tiny_model(1);
  ardm::save_checkpoint(dir + "/ok.pt", model, nullptr);
  const auto size = fs::file_size(dir + "/ok.pt");
  fs::resize_file(dir + "/ok.pt", size / 2);
  EXPECT_THROW(ardm::load_model(dir + "/ok.pt"), std::runtime_error);
  fs::remove_all(dir);
}

TEST(Checkpoint, DataOfTheWrongShapeIsRejected) {
  auto model = tiny_model(1);
  auto wrong = torch::zeros({4, 1, 9, 8}, torch::kUInt8);
  EXPECT_THROW(ardm::evaluate(model, wrong, 1, 4, 0, torch::kCPU, false), std::runtime_error);
  auto too_many_classes = torch::full({4, 1, 8, 8}, 200, torch::kUInt8);
  EXPECT_THROW(ardm::evaluate(model, too_many_classes, 1, 4, 0, torch::kCPU, false), std::runtime_error);
}

TEST(Checkpoint, AGrownHeadTrainsOnTopOfTheResumedOptimizerState) {
  // An Upscale model whose outputs are values (the mixture of logistics), trained without the
  // UNet's prediction head, then grown one on resume (ardm train --resume --taps).
  const auto data = tiny_data();
  const std::string dir = temp_dir("grow");
  auto make = [] {
    ardm::ModelConfig m;
    m.data = ardm::image_spec(1, 8, 8, 16);
    m.process.upscale = 16, m.process.parametrization = "logistic";
    m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2}, m.net.unet.attn_resolutions = {4};
    ardm::TrainConfig t;
    t.steps = 3, t.batch = 8, t.lr = 1e-3, t.warmup = 2, t.ema_decay = 0.9, t.checkpoint_every = 0, t.log_every = 1;
    torch::manual_seed(0);
    return ardm::Model(m, ardm::ObjectiveConfig{}, t);
  };
  auto model = make();
  ardm::train(model, data, quiet(dir, false));
  auto head_of = [](const ardm::Model& m) {
    std::vector<torch::Tensor> h;
    for (const auto& p : m.net->named_parameters())
      if (m.is_head_parameter(p.key())) h.push_back(p.value().clone());
    return h;
  };
  auto grown = ardm::load_model(dir + "/checkpoint.pt");
  grown.grow_head(1);
  ASSERT_EQ(head_of(grown).size(), 2u);
  // The head's rate is its own: at 0 it stays zero while the rest trains on its saved state.
  grown.train_cfg.steps = 5, grown.train_cfg.head_lr = 0.0;
  auto opts = quiet(dir, true);
  opts.head_grown = true;
  ardm::train(grown, data, opts);
  EXPECT_EQ(grown.step, 5);
  for (const auto& h : head_of(grown)) EXPECT_EQ(h.abs().max().item<double>(), 0.0);
  // Resumed again (the optimizer now holds two groups, the head's second) with the head learning.
  auto again = ardm::load_model(dir + "/checkpoint.pt");
  EXPECT_EQ(again.model_cfg.net.unet.taps, 1);
  EXPECT_EQ(again.train_cfg.head_lr, 0.0);
  again.train_cfg.steps = 7, again.train_cfg.head_lr = 1.0;
  ardm::train(again, data, quiet(dir, true));
  EXPECT_EQ(again.step, 7);
  double moved = 0;
  for (const auto& h : head_of(again)) moved += h.abs().max().item<double>();
  EXPECT_GT(moved, 0.0);
  // Growing a head the network has, or on a network that has none to grow, is refused.
  EXPECT_THROW(again.grow_head(1), std::invalid_argument);
  auto plain = tiny_model(1);
  EXPECT_THROW(plain.grow_head(1), std::invalid_argument);  // an OA-ARDM: no values to predict
  fs::remove_all(dir);
}
