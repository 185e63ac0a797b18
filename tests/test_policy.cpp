// Parallel generation: the exact fixed-order likelihood, the policy bound, and sampling.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ardm/objective/objective.h"
#include "ardm/train/sample.h"
#include "toy_net.h"

namespace {

// log2 p(x) / D generating one variable at a time in the order given by ranks `sigma`.
double sequential_log_prob_bpd(const ToyNet& net, const torch::Tensor& x, const torch::Tensor& sigma) {
  double ll = 0;
  for (int64_t t = 0; t < net.D; ++t) {
    auto known = (sigma < t).unsqueeze(0);
    auto x_in = torch::where(known, x.unsqueeze(0), torch::full_like(x.unsqueeze(0), net.K / 2));
    auto lp = torch::log_softmax(net(x_in, known, torch::tensor({t})), 1);
    const int64_t loc = (sigma == t).nonzero().item<int64_t>();
    ll += lp[0][x[loc].item<int64_t>()][loc].item<double>();
  }
  return ll / (static_cast<double>(net.D) * std::log(2.0));
}

}  // namespace

TEST(Policy, FullBudgetIsTheSequentialLikelihood) {
  ToyNet net(5, 3, 1);
  auto g = ardm::make_generator(2);
  auto x = torch::randint(3, {4, 5}, g, torch::kInt64);
  auto sigma = ardm::fixed_order(5, 9);
  auto p = oa_process(5, 3, 1);
  auto lp = ardm::policy_log_prob_bpd(*p, net.fn(), x, sigma.unsqueeze(0), {{0, 1, 2, 3, 4}});
  for (int64_t b = 0; b < 4; ++b) EXPECT_NEAR(lp[b].item<double>(), sequential_log_prob_bpd(net, x[b], sigma), 1e-12);
  // a coarser policy still gives a proper code length
  auto coarse = ardm::policy_log_prob_bpd(*p, net.fn(), x, sigma.unsqueeze(0), {{0, 3}});
  EXPECT_TRUE((coarse < 0).all().item<bool>());
}

TEST(Policy, BoundIsUnbiasedForTheOrderAveragedExactValue) {
  // E_sigma[exact fixed-order log-lik of a policy] equals the expectation of the stochastic
  // policy bound; enumerate all 24 orders of D = 4 and compare.
  ToyNet net(4, 3, 3);
  auto g = ardm::make_generator(4);
  const std::vector<int64_t> policy = {0, 2, 3};
  auto p = oa_process(4, 3, 1);
  for (int trial = 0; trial < 2; ++trial) {
    auto x = torch::randint(3, {4}, g, torch::kInt64);
    std::vector<int64_t> ranks = {0, 1, 2, 3};
    double exact = 0;
    int count = 0;
    do {
      exact += ardm::policy_log_prob_bpd(*p, net.fn(), x.unsqueeze(0), torch::tensor(ranks).unsqueeze(0), {policy})
                   .item<double>();
      ++count;
    } while (std::next_permutation(ranks.begin(), ranks.end()));
    exact /= count;
    const int64_t M = 100000;
    auto est = ardm::policy_bound_bpd(*p, net.fn(), x.unsqueeze(0).expand({M, 4}).contiguous(), {policy}, g);
    const double mean = est.mean().item<double>(), se = est.std().item<double>() / std::sqrt(double(M));
    EXPECT_NEAR(mean, exact, 4.5 * se) << "exact " << exact << " estimate " << mean << " +- " << se;
    EXPECT_GT(se, 1e-4);
  }
}

TEST(Policy, RejectsBadPolicies) {
  ToyNet net(4, 2, 5);
  auto x = torch::zeros({1, 4}, torch::kInt64);
  auto sigma = ardm::fixed_order(4, 0).unsqueeze(0);
  auto p = oa_process(4, 2, 1);
  EXPECT_THROW(ardm::policy_log_prob_bpd(*p, net.fn(), x, sigma, {{1, 2}}), c10::Error);
  EXPECT_THROW(ardm::policy_log_prob_bpd(*p, net.fn(), x, sigma, {{0, 2, 2}}), c10::Error);
  EXPECT_THROW(ardm::policy_log_prob_bpd(*p, net.fn(), x, sigma, {{0, 4}}), c10::Error);
  EXPECT_THROW(ardm::policy_log_prob_bpd(*p, net.fn(), x, sigma, {{0}, {0}}), c10::Error);  // one stage, two policies
}

TEST(Sample, WritesEveryLocationOnceAndIsReproducible) {
  // K = 3 with absorbing value 1: the network never gives class 1 any mass, so a location still
  // holding 1 was never written. After policy step k exactly policy[k+1] locations per sample
  // (the ranks below the next start) hold a drawn value.
  ToyNet net(6, 3, 7);
  {
    torch::NoGradGuard g;
    net.A.select(1, 1).fill_(-1e4);
  }
  const std::vector<int64_t> policy = {0, 2, 5};
  const std::vector<int64_t> written = {2, 5, 6};
  auto p = oa_process(6, 3, 1);
  auto g1 = ardm::make_generator(11), g2 = ardm::make_generator(11), g3 = ardm::make_generator(12);
  auto a = ardm::sample(*p, net.fn(), 50, {policy}, g1, torch::kCPU, true);
  auto b = ardm::sample(*p, net.fn(), 50, {policy}, g2, torch::kCPU, false);
  auto c = ardm::sample(*p, net.fn(), 50, {policy}, g3, torch::kCPU, false);
  EXPECT_TRUE(a.x.equal(b.x));   // same seed, same samples
  EXPECT_FALSE(a.x.equal(c.x));  // another seed, other samples
  EXPECT_TRUE(((a.x == 0) | (a.x == 2)).all().item<bool>());  // every location written, never with the absorbing value
  ASSERT_EQ(a.chain.size(), 3u);
  for (size_t k = 0; k < 3; ++k)
    EXPECT_TRUE((a.chain[k] != 1).sum(1).eq(written[k]).all().item<bool>()) << "after policy step " << k;
  EXPECT_TRUE(a.chain.back().equal(a.x));
}

TEST(Sample, FollowsTheModelsConditionals) {
  // D = 2, K = 2, one call for both: the locations are drawn independently from the
  // unconditional logits A, so the empirical frequencies must match softmax(A).
  ToyNet net(2, 2, 8);
  auto g = ardm::make_generator(13);
  const int64_t N = 20000;
  auto s = ardm::sample(*oa_process(2, 2, 1), net.fn(), N, {{0}}, g, torch::kCPU);
  auto p = torch::softmax(net.A, 1);  // [D, K]
  for (int64_t i = 0; i < 2; ++i) {
    const double freq = s.x.select(1, i).to(torch::kFloat64).mean().item<double>();  // P(x_i = 1)
    const double want = p[i][1].item<double>();
    EXPECT_NEAR(freq, want, 4.5 * std::sqrt(want * (1 - want) / N));
  }
}

TEST(Sample, ImageGrid) {
  auto imgs = torch::arange(2 * 1 * 2 * 3, torch::kInt64).view({2, 1, 2, 3});
  auto grid = ardm::image_grid(imgs, 2, 1);
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{1, 4, 9}));
  EXPECT_EQ(grid[0][1][1].item<int64_t>(), 0);
  EXPECT_EQ(grid[0][2][7].item<int64_t>(), 6 + 1 * 3 + 2);  // second image (values 6..11) at x offset 5, pixel (1, 2)
}
