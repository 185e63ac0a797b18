// The objective against exact enumeration, and the masks, steps and tracker it relies on.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "ardm/objective/objective.h"
#include "ardm/core/config_io.h"
#include "ardm/core/levels.h"
#include "ardm/train/loss_tracker.h"
#include "toy_net.h"

namespace {

// Exact E_sigma[ sum_t log p(x_{sigma=t} | x_{sigma<t}) ] / (D ln 2) by enumerating all D! orders.
double exact_bound_bpd(const ToyNet& net, const torch::Tensor& x) {  // x: [D] int64
  const int64_t D = net.D;
  std::vector<int64_t> order(D);
  std::iota(order.begin(), order.end(), 0);  // order[s] = location generated at step s
  double total = 0;
  int64_t count = 0;
  do {
    double ll = 0;
    auto known = torch::zeros({1, D}, torch::kBool);
    for (int64_t s = 0; s < D; ++s) {
      auto x_in = torch::where(known, x.unsqueeze(0), torch::full_like(x.unsqueeze(0), net.K / 2));
      auto lp = torch::log_softmax(net(x_in, known, torch::tensor({s})), 1);  // [1, K, D]
      ll += lp[0][x[order[s]].item<int64_t>()][order[s]].item<double>();
      known[0][order[s]] = true;
    }
    total += ll;
    ++count;
  } while (std::next_permutation(order.begin(), order.end()));
  return total / static_cast<double>(count) / (static_cast<double>(D) * std::log(2.0));
}

struct Estimate {
  double mean, se;
};
Estimate mean_se(const torch::Tensor& v) {
  return {v.mean().item<double>(), v.std().item<double>() / std::sqrt(static_cast<double>(v.numel()))};
}

void check_unbiased(int64_t D, int64_t K, const std::string& mode, uint64_t seed) {
  ToyNet net(D, K, seed);
  auto fn = net.fn();
  auto g = ardm::make_generator(seed + 1);
  for (int trial = 0; trial < 3; ++trial) {
    auto x = torch::randint(K, {D}, g, torch::kInt64);
    const double exact = exact_bound_bpd(net, x);
    const int64_t M = 60000;  // antithetic needs B divisible structure; 60000 = 2^5*3*5^4 works for D=3,4
    auto xb = x.unsqueeze(0).expand({M, D}).contiguous();
    ardm::ObjectiveConfig oc;
    oc.t_sampling = mode;
    auto terms = ardm::stochastic_bound(*oa_process(D, K, K / 2), fn, xb, oc, g);
    const Estimate e = mean_se(terms.elbo_bpd);
    SCOPED_TRACE("D=" + std::to_string(D) + " K=" + std::to_string(K) + " mode=" + mode);
    ASSERT_GT(e.se, 1e-4);  // a real stochastic estimate, not a constant
    EXPECT_NEAR(e.mean, exact, 4.5 * e.se) << "exact " << exact << " estimate " << e.mean << " +- " << e.se;

    // The same test catches the classic off-by-one weight 1/(D - t + 1) instead of 1/(D - t).
    auto t = terms.t.to(torch::kFloat64);
    auto wrong = terms.elbo_bpd * (D - t) / (D - t + 1);
    const Estimate w = mean_se(wrong);
    EXPECT_GT(std::abs(w.mean - exact), 4.5 * w.se) << "test has no power against a wrong weight";
  }
}

}  // namespace

TEST(Objective, UnbiasedUniformD3K3) { check_unbiased(3, 3, "uniform", 11); }
TEST(Objective, UnbiasedUniformD4K2) { check_unbiased(4, 2, "uniform", 12); }
TEST(Objective, UnbiasedAntitheticD4K3) { check_unbiased(4, 3, "antithetic", 13); }

// The quincunx order's bound (one group's values in a random order, the groups in turn: a 3x3
// image has the groups {(0,0)}, {(2,2)}, {(0,2), (2,0)}, {(1,1)} and the four edge centres)
// against exact enumeration of its 48 orders; the sum over every unknown value, right for uniform
// orders, is biased here, and the test has the power to tell.
TEST(Objective, UnbiasedForAnOrderOfGroups) {
  const int64_t K = 3, H = 3, D = H * H;
  ToyNet net(D, K, 21);
  ardm::DataSpec d;
  d.shape = {1, H, H};
  d.num_classes = K;
  d.absorbing = K / 2;
  ardm::ProcessConfig pc;
  pc.order = "quincunx";
  const auto process = ardm::make_process(pc, d);
  ardm::NetFn fn = [&](const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t,
                       const torch::Tensor&) {
    const int64_t B = x_in.size(0);
    return net(x_in.reshape({B, D}), known.reshape({B, D}), t).view({B, K, 1, H, H});
  };
  // The family's orders: the groups from the top, each group's values in every order.
  const auto level = ardm::image_levels(1, H, H, true);
  std::vector<std::vector<int64_t>> groups;
  std::vector<int64_t> by_level(D);
  std::iota(by_level.begin(), by_level.end(), 0);
  std::stable_sort(by_level.begin(), by_level.end(), [&](int64_t a, int64_t b) { return level[a] > level[b]; });
  for (int64_t r = 0; r < D; ++r) {
    if (r == 0 || level[by_level[r]] != level[by_level[r - 1]]) groups.emplace_back();
    groups.back().push_back(by_level[r]);
  }
  ASSERT_EQ(groups.size(), 5u);
  auto g = ardm::make_generator(22);
  for (int trial = 0; trial < 2; ++trial) {
    auto x = torch::randint(K, {D}, g, torch::kInt64);
    double total = 0;
    int64_t count = 0;
    std::function<void(size_t, std::vector<int64_t>)> walk = [&](size_t gi, std::vector<int64_t> order) {
      if (gi == groups.size()) {
        double ll = 0;
        auto known = torch::zeros({1, D}, torch::kBool);
        for (int64_t s = 0; s < D; ++s) {
          auto x_in = torch::where(known, x.unsqueeze(0), torch::full_like(x.unsqueeze(0), K / 2));
          auto lp = torch::log_softmax(net(x_in, known, torch::tensor({s})), 1);
          ll += lp[0][x[order[s]].item<int64_t>()][order[s]].item<double>();
          known[0][order[s]] = true;
        }
        total += ll;
        ++count;
        return;
      }
      auto group = groups[gi];
      std::sort(group.begin(), group.end());
      do {
        auto next = order;
        next.insert(next.end(), group.begin(), group.end());
        walk(gi + 1, next);
      } while (std::next_permutation(group.begin(), group.end()));
    };
    walk(0, {});
    ASSERT_EQ(count, 48);
    const double exact = total / static_cast<double>(count) / (static_cast<double>(D) * std::log(2.0));

    const int64_t M = 400000;
    auto xb = x.view({1, 1, H, H}).expand({M, 1, H, H}).contiguous();
    ardm::ObjectiveConfig oc;
    auto terms = ardm::stochastic_bound(*process, fn, xb, oc, g);
    const Estimate e = mean_se(terms.elbo_bpd);
    ASSERT_GT(e.se, 1e-4);
    EXPECT_NEAR(e.mean, exact, 4.5 * e.se) << "exact " << exact << " estimate " << e.mean << " +- " << e.se;
    // The sum over every unknown value (the estimator of uniform orders) misses it.
    auto t = terms.t.to(torch::kFloat64);
    const Estimate all = mean_se(terms.nce_bpd * static_cast<double>(D) / (static_cast<double>(D) - t));
    EXPECT_GT(std::abs(all.mean - exact), 4.5 * all.se) << "the test has no power against the uniform orders' sum";
    // The terms end where t's group ends.
    auto ends = ardm::term_ends(*process, torch::arange(D));
    EXPECT_TRUE(ends.equal(torch::tensor({1, 2, 4, 4, 5, 9, 9, 9, 9}, torch::kInt64))) << ends;
  }
}

TEST(Objective, TermsAreConsistent) {
  ToyNet net(4, 3, 5);
  auto fn = net.fn();
  auto g = ardm::make_generator(3);
  auto x = torch::randint(3, {64, 4}, g, torch::kInt64);
  auto sigma = ardm::sample_orders(64, 4, g);
  auto t = ardm::sample_steps(64, 4, "uniform", g);
  auto r = ardm::bound_terms(*oa_process(4, 3, 1), fn, x, sigma, t, torch::zeros({64}, torch::kInt64), 0.001);
  auto remaining = (4 - t).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(r.elbo_t_bpd * remaining, r.nce_bpd));
  EXPECT_TRUE(torch::allclose(r.elbo_bpd, r.elbo_t_bpd * 4));
  EXPECT_TRUE((r.elbo_bpd <= 0).all().item<bool>());
  const double loss = -r.elbo_bpd.mean().item<double>() - 0.001 * r.nce_bpd.mean().item<double>();
  EXPECT_NEAR(r.loss.item<double>(), loss, 1e-9);
}

TEST(Masks, ExactlyTKnownAndAbsorbingOnlyWhereUnknown) {
  auto g = ardm::make_generator(7);
  const int64_t B = 50, C = 2, H = 3, W = 5, D = C * H * W, K = 256;
  auto sigma = ardm::sample_orders(B, D, g);
  // every row is a permutation of 0..D-1
  auto sorted = std::get<0>(sigma.sort(1));
  EXPECT_TRUE(sorted.equal(torch::arange(D).expand({B, D})));
  auto t = torch::randint(D, {B}, g, torch::kInt64);
  t[0] = 0;
  t[1] = D - 1;
  auto known = ardm::known_mask(sigma, t, {C, H, W});
  ASSERT_EQ(known.sizes(), (std::vector<int64_t>{B, C, H, W}));
  EXPECT_TRUE(known.reshape({B, -1}).sum(1).equal(t));
  // x avoids the absorbing value so "absorbing" in x_in can only come from masking
  auto x = torch::randint(0, K / 2, {B, C, H, W}, g, torch::kInt64);
  auto x_in = ardm::network_input(torch::full_like(x, K / 2), x, known);
  EXPECT_TRUE((x_in == K / 2).equal(torch::logical_not(known)));
  EXPECT_TRUE(torch::where(known, x_in, x).equal(x));
  // the location generated at step t is unknown at t and known at t + 1
  auto known_next = ardm::known_mask(sigma, t + 1, {C, H, W});
  EXPECT_TRUE(torch::logical_and(known_next, torch::logical_not(known)).reshape({B, -1}).sum(1).eq(1).all().item<bool>());
}

TEST(Steps, UniformInRange) {
  auto g = ardm::make_generator(1);
  auto t = ardm::sample_steps(10000, 7, "uniform", g);
  EXPECT_EQ(t.min().item<int64_t>(), 0);
  EXPECT_EQ(t.max().item<int64_t>(), 6);
  auto counts = torch::bincount(t);
  EXPECT_LT((counts.to(torch::kFloat64) - 10000.0 / 7).abs().max().item<double>(), 150);
}

TEST(Steps, AntitheticIsStratified) {
  auto g = ardm::make_generator(2);
  // B = 8, D = 4: gcd 4, spacing 1 -> every step exactly twice.
  auto t = ardm::sample_steps(8, 4, "antithetic", g);
  EXPECT_TRUE(torch::bincount(t, {}, 4).equal(torch::full({4}, 2, torch::kInt64)));
  // B = 6, D = 4: gcd 2, spacing 2 -> three values in [0, 2) and three in [2, 4).
  for (int i = 0; i < 20; ++i) {
    auto s = ardm::sample_steps(6, 4, "antithetic", g);
    EXPECT_EQ((s < 2).sum().item<int64_t>(), 3);
    EXPECT_EQ((s >= 4).sum().item<int64_t>(), 0);
  }
  // B = 128, D = 3072 (the paper's CIFAR case): one u, grid spacing 24.
  auto c = std::get<0>(ardm::sample_steps(128, 3072, "antithetic", g).sort());
  auto diffs = c.slice(0, 1) - c.slice(0, 0, 127);
  EXPECT_TRUE(diffs.eq(24).all().item<bool>());
  EXPECT_THROW(ardm::sample_steps(4, 4, "bogus", g), c10::Error);
}

TEST(Tracker, FirstVisitThenEma) {
  ardm::LossTracker tr(4, 0.5);
  tr.update(torch::tensor({1, 2}), torch::tensor({2.0, 4.0}));
  tr.update(torch::tensor({1}), torch::tensor({3.0}));
  auto c = tr.costs();
  EXPECT_DOUBLE_EQ(c[0].item<double>(), 0.5);  // never visited: prior
  EXPECT_DOUBLE_EQ(c[1].item<double>(), 0.95 * 2.0 + 0.05 * 3.0);
  EXPECT_DOUBLE_EQ(c[2].item<double>(), 4.0);
  EXPECT_DOUBLE_EQ(c[3].item<double>(), 0.5);
  EXPECT_THROW(tr.update(torch::tensor({4}), torch::tensor({1.0})), c10::Error);
}

TEST(Config, TextRoundTrip) {
  ardm::ModelConfig m;
  m.net.unet.ch_mult = {1, 2, 4};
  m.net.unet.attn_resolutions = {};
  m.process.upscale = 4;
  m.data.shape = {3, 5, 7, 2};
  m.net.unet.dropout = 0.125;
  ardm::ModelConfig back;
  ardm::from_text(ardm::to_text(m), back);
  EXPECT_EQ(back.net.unet.ch_mult, m.net.unet.ch_mult);
  EXPECT_EQ(back.net.unet.attn_resolutions, m.net.unet.attn_resolutions);
  EXPECT_EQ(back.process.upscale, 4);
  EXPECT_EQ(back.data.shape, m.data.shape);
  // A checkpoint-v1 image config reads into the same model, and writes back to the same text.
  const std::string v1 = "attn_resolutions=7\nch=32\nch_mult=1,2,2\nchannels=1\ndropout=0\nheight=28\n"
                         "num_classes=256\nnum_groups=32\nnum_res_blocks=1\nwidth=28\n";
  ardm::ModelConfig legacy;
  ardm::from_legacy_text(v1, legacy);
  EXPECT_EQ(legacy.data.shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(legacy.data.absorbing, 128);
  EXPECT_TRUE(ardm::is_legacy_image_model(legacy));
  EXPECT_EQ(ardm::legacy_text(legacy), v1);
  EXPECT_FALSE(ardm::is_legacy_image_model(m));
  EXPECT_TRUE(back.net.unet.attn_resolutions.empty());
  EXPECT_EQ(back.net.unet.dropout, 0.125);
  ardm::TrainConfig t;
  t.lr = 3.3e-4;
  t.seed = 12345678901234ULL;
  ardm::TrainConfig tb;
  ardm::from_text(ardm::to_text(t), tb);
  EXPECT_EQ(tb.lr, t.lr);
  EXPECT_EQ(tb.seed, t.seed);
  EXPECT_THROW(ardm::from_text("nonsense=1\n", tb), std::invalid_argument);
  EXPECT_THROW(ardm::from_text("lr=abc\n", tb), std::invalid_argument);
}

// The dyadic family: ranks by position, a permutation per row; coarse to fine (position 0 first,
// then by trailing zero bits, never a finer level before a coarser one); random within a level.
TEST(Orders, DyadicIsCoarseToFineAndRandomWithinLevels) {
  const int64_t B = 8, D = 100;
  auto g = ardm::make_generator(5);
  auto sigma = ardm::sample_dyadic_orders(B, D, g);
  ASSERT_EQ(sigma.sizes(), (std::vector<int64_t>{B, D}));
  EXPECT_TRUE(std::get<0>(sigma.sort(1)).equal(torch::arange(D).expand({B, D})));
  auto level = [](int64_t i) {
    int z = 0;
    for (; i > 0 && (i & 1) == 0; i >>= 1) ++z;
    return i == 0 ? 99 : z;
  };
  auto pos = sigma.argsort(int64_t{1});  // [B, D]: position at each rank
  for (int64_t b = 0; b < B; ++b) {
    auto row = pos[b].contiguous();
    const auto* p = row.data_ptr<int64_t>();
    EXPECT_EQ(p[0], 0);
    EXPECT_EQ(p[1], 64);  // the only multiple of 64 below 100 but 0
    for (int64_t r = 1; r < D; ++r) EXPECT_GE(level(p[r - 1]), level(p[r])) << "row " << b << " rank " << r;
    // the 50 odd positions take the last 50 ranks
    EXPECT_TRUE((sigma[b].index({torch::arange(1, D, 2)}) >= D / 2).all().item<bool>());
  }
  EXPECT_FALSE(sigma[0].equal(sigma[1]));  // the odd positions' order differs between rows
  // Fixed orders of the family: seeded, each stage its own, the random family unchanged.
  EXPECT_TRUE(ardm::fixed_orders(2, D, 3, "dyadic").equal(ardm::fixed_orders(2, D, 3, "dyadic")));
  EXPECT_FALSE(ardm::fixed_orders(2, D, 3, "dyadic")[0].equal(ardm::fixed_orders(2, D, 3, "dyadic")[1]));
  EXPECT_TRUE(ardm::fixed_orders(2, D, 3, "random").equal(ardm::fixed_orders(2, D, 3)));
  EXPECT_EQ(ardm::dyadic_level_starts(100), (std::vector<int64_t>{0, 1, 2, 4, 7, 13, 25, 50}));
  EXPECT_EQ(ardm::dyadic_level_starts(4000).back(), 2000);
  auto g1 = ardm::make_generator(9), g2 = ardm::make_generator(9);
  EXPECT_TRUE(ardm::draw_orders("random", B, D, g1).equal(ardm::sample_orders(B, D, g2)));
}
