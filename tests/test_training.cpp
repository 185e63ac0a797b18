// A short real training run on Fashion-MNIST lowers the test bound by a clear margin.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "ardm/data/dataset.h"
#include "ardm/train/eval.h"
#include "ardm/core/schedule_dp.h"
#include "ardm/train/train.h"

namespace fs = std::filesystem;

TEST(Training, ShortRunOnFashionMnistLowersTheBound) {
  if (!fs::exists(ardm::data::fashion_mnist_dir() + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const auto train_x = ardm::data::load_images("fashion-mnist", "train", 300);
  const auto test_x = ardm::data::load_images("fashion-mnist", "test", 200);
  ardm::ModelConfig m;  // the default network, narrower so the test takes about a minute
  m.net.unet.ch = 16;
  ardm::TrainConfig t;
  t.steps = 120, t.batch = 16, t.lr = 2e-3, t.warmup = 10, t.ema_decay = 0.9, t.checkpoint_every = 0;
  torch::manual_seed(0);
  ardm::Model model(m, ardm::ObjectiveConfig{}, t);

  const auto before = ardm::evaluate(model, test_x, 2, 50, 7, torch::kCPU, false);
  const auto dir = (fs::temp_directory_path() / ("ardm-train-" + std::to_string(::getpid()))).string();
  ardm::RunOptions o;
  o.out_dir = dir;
  o.progress = false;
  ardm::train(model, train_x, o);
  const auto after = ardm::evaluate(model, test_x, 2, 50, 7, torch::kCPU, false);
  fs::remove_all(dir);

  std::printf("bound before %.3f +- %.3f bpd, after %d steps %.3f +- %.3f bpd\n", before.bpd, before.stderr_bpd,
              static_cast<int>(t.steps), after.bpd, after.stderr_bpd);
  EXPECT_GT(before.bpd, 7.0);  // an untrained network is close to uniform (8 bits)
  EXPECT_LT(after.bpd, before.bpd - 1.5);
  EXPECT_LT(after.stderr_bpd, 0.2);
  // The tracker has seen many steps and its sum (what the schedules read as the full-budget cost)
  // has followed training down from a uniform model's 8 bits; as a moving average of earlier
  // batches it lags the trained bound (measured: 5.51 against 3.98 bpd), never far below it.
  const double tracked = model.tracker.costs().sum().item<double>();
  std::printf("tracker: %lld of 784 steps visited, sum %.3f bpd\n",
              static_cast<long long>(model.tracker.visited().sum().item<int64_t>()), tracked);
  EXPECT_GT(model.tracker.visited().sum().item<int64_t>(), 500);
  EXPECT_LT(tracked, before.bpd - 1.5);
  EXPECT_GT(tracked, after.bpd - 0.5);

  // The fast DP and its cubic oracle agree on this real tracker.
  const auto fast = ardm::optimal_schedules(model.sorted_costs(), 100);
  const auto ref = ardm::optimal_schedules_reference(model.sorted_costs(), 100);
  for (int64_t k = 1; k <= 100; ++k) {
    EXPECT_NEAR(fast.best_cost[k], ref.best_cost[k], 1e-9 * ref.best_cost[k]) << "budget " << k;
    EXPECT_NO_THROW(ardm::check_policy(fast.policy(k), 784));
  }
}

// The steps schedule --measure measures: in dyadic orders every level's first and last step
// (where the cost jumps), filled up to the number asked for; else denser at the start.
TEST(MeasuredSteps, DyadicLevelEdgesThenTheWidestGaps) {
  const auto at = ardm::measured_steps("dyadic", 100, 20);
  ASSERT_EQ(at.size(), 20u);
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end()));
  EXPECT_EQ(std::adjacent_find(at.begin(), at.end()), at.end());
  for (int64_t s : {1, 2, 4, 7, 13, 25, 50}) {
    EXPECT_NE(std::find(at.begin(), at.end(), s), at.end()) << s;
    EXPECT_NE(std::find(at.begin(), at.end(), s - 1), at.end()) << s - 1;
  }
  EXPECT_EQ(at.back(), 99);
  EXPECT_EQ(ardm::measured_steps("dyadic", 5, 32).size(), 5u);  // every step
  const auto r = ardm::measured_steps("random", 4000, 32);
  EXPECT_EQ(r.front(), 0);
  EXPECT_EQ(r.back(), 3999);
  EXPECT_LT(r[1], 10);
}
