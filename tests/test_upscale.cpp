// Upscale ARDMs: the transition matrices, the process's integer maps against them, both
// parametrizations against the literal matrix formula, exact likelihoods that sum to one over
// an enumerable data space, the unbiased bound, sampling, and the across-stage budget split.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "ardm/objective/objective.h"
#include "ardm/process/upscale.h"
#include "ardm/train/sample.h"
#include "ardm/core/schedule_dp.h"
#include "ardm/process/upscale_matrices.h"
#include "toy_net.h"

namespace {

std::shared_ptr<const ardm::Process> upscale_process(int64_t D, int64_t K, int64_t b, bool direct) {
  ardm::DataSpec d;
  d.shape = {D};
  d.num_classes = K;
  d.absorbing = K / 2;
  ardm::ProcessConfig p;
  p.upscale = b;
  p.parametrization = direct ? "direct" : "matrix";
  return ardm::make_process(p, d);
}

// A toy network for a staged process: ToyNet's input-dependent logits over O outputs plus a
// per-stage offset, so every stage has its own conditionals.
struct StagedToy {
  ToyNet base;
  torch::Tensor stage_bias;  // [S, O, D]
  int64_t K;
  StagedToy(int64_t D, int64_t K_in, int64_t O, int64_t S, uint64_t seed) : base(D, std::max(K_in, O), seed), K(K_in) {
    auto g = ardm::make_generator(seed + 100);
    stage_bias = torch::randn({S, O, D}, g, torch::kFloat64);
    O_ = O;
  }
  int64_t O_;
  ardm::NetFn fn() const {
    return [this](const torch::Tensor& x_in, const torch::Tensor& known, const torch::Tensor& t, const torch::Tensor& stage) {
      auto out = base(x_in, known, t).slice(1, 0, O_);  // [B, O, D]
      return (out + stage_bias.index_select(0, stage.to(torch::kInt64))).to(torch::kFloat32);
    };
  }
};

// log2 p(x) / D by generating one value at a time, stage by stage, in the orders sigma [S, D]:
// the slow twin of policy_log_prob_bpd with all steps.
double sequential_log_prob_bpd(const ardm::Process& p, const ardm::NetFn& net, const torch::Tensor& x,
                               const torch::Tensor& sigma) {
  const int64_t D = p.steps_per_stage();
  double ll = 0;
  for (int64_t s = 0; s < p.num_stages(); ++s) {
    auto st = torch::tensor({s});
    auto xb = x.unsqueeze(0);
    auto past = p.past(xb, st), fut = p.future(xb, st);
    for (int64_t t = 0; t < D; ++t) {
      auto known = (sigma[s] < t).unsqueeze(0);
      auto out = net(torch::where(known, fut, past), known, st * D + t, st);
      auto lp = torch::log_softmax(p.symbol_logits(out, past, s).to(torch::kFloat64), 1);  // [1, A, D]
      const int64_t loc = (sigma[s] == t).nonzero().item<int64_t>();
      const int64_t sym = p.symbol(past, fut, st)[0][loc].item<int64_t>();
      ll += lp[0][sym][loc].item<double>();
    }
  }
  return ll / (static_cast<double>(D) * std::log(2.0));
}

}  // namespace

TEST(Upscale, StagesAreComputedWithIntegers) {
  EXPECT_EQ(ardm::upscale::num_stages(256, 2), 8);
  EXPECT_EQ(ardm::upscale::num_stages(256, 4), 4);
  EXPECT_EQ(ardm::upscale::num_stages(256, 16), 2);
  EXPECT_EQ(ardm::upscale::num_stages(65536, 2), 16);
  EXPECT_EQ(ardm::upscale::num_stages(125, 5), 3);  // log 125 / log 5 is 3.0000000000000004 in doubles
  EXPECT_EQ(ardm::upscale::num_stages(10, 3), 3);
  EXPECT_EQ(ardm::upscale::num_stages(2, 2), 1);
  EXPECT_THROW(ardm::upscale::num_stages(256, 1), std::invalid_argument);
}

TEST(Upscale, TransitionMatricesAreValid) {
  for (const auto& [K, b] : std::vector<std::pair<int64_t, int64_t>>{{256, 2}, {256, 4}, {256, 16}, {10, 3}}) {
    const int64_t S = ardm::upscale::num_stages(K, b);
    SCOPED_TRACE("K=" + std::to_string(K) + " b=" + std::to_string(b));
    auto reachable = torch::ones({K}, torch::kBool);  // level-0 classes: all
    for (int64_t k = 1; k <= S; ++k) {
      auto m = ardm::upscale::transition_matrix(K, b, k);
      // Every class reachable at level k-1 has a one-hot column; the others a zero column.
      auto col_sums = m.sum(0);
      EXPECT_TRUE(col_sums.eq(reachable.to(torch::kFloat64)).all().item<bool>());
      EXPECT_TRUE(((m == 0) | (m == 1)).all().item<bool>());
      reachable = (m.sum(1) > 0);
      // C_k agrees with the integer level map.
      auto c = ardm::upscale::cumulative_matrix(K, b, k);
      auto v = torch::arange(K, torch::kInt64);
      EXPECT_TRUE(c.argmax(0).equal(ardm::upscale::level(v, b, k)));
    }
    // C_S sends every class to the absorbing state 0.
    auto cs = ardm::upscale::cumulative_matrix(K, b, S);
    EXPECT_TRUE(cs[0].eq(1).all().item<bool>());
    EXPECT_EQ(cs.sum().item<double>(), static_cast<double>(K));
    // S - 1 steps do not: the last stage is not a no-op.
    if (S > 1) {
      EXPECT_FALSE(ardm::upscale::cumulative_matrix(K, b, S - 1)[0].eq(1).all().item<bool>());
    }
  }
}

TEST(Upscale, EveryValueIsSplitIntoDigitsExactlyOnce) {
  for (const auto& [K, b] : std::vector<std::pair<int64_t, int64_t>>{{256, 2}, {256, 4}, {256, 16}, {10, 3}}) {
    auto p = upscale_process(1, K, b, false);
    const int64_t S = p->num_stages();
    auto x = torch::arange(K, torch::kInt64).view({K, 1});
    auto rebuilt = p->past(x, ardm::stage_tensor(K, 0, torch::kCPU));
    EXPECT_TRUE(rebuilt.eq(0).all().item<bool>());  // the first stage starts from the absorbing state
    for (int64_t s = 0; s < S; ++s) {
      auto st = ardm::stage_tensor(K, s, torch::kCPU);
      auto past = p->past(x, st), fut = p->future(x, st);
      EXPECT_TRUE(past.equal(rebuilt));  // a stage starts where the previous one ended
      // past = C_{s_rev+1} x, future = C_{s_rev} x (the reference's matrices)
      const int64_t s_rev = S - 1 - s;
      EXPECT_TRUE(past.view({K}).equal(ardm::upscale::cumulative_matrix(K, b, s_rev + 1).argmax(0)));
      EXPECT_TRUE(fut.view({K}).equal(ardm::upscale::cumulative_matrix(K, b, s_rev).argmax(0)));
      auto sym = p->symbol(past, fut, st);
      EXPECT_TRUE(((sym >= 0) & (sym < b)).all().item<bool>());
      EXPECT_TRUE(p->value(past, sym, st).equal(fut));
      for (int64_t v = 0; v < K; ++v)
        EXPECT_EQ(p->value_of(past[v][0].item<int64_t>(), sym[v][0].item<int64_t>(), s), fut[v][0].item<int64_t>());
      rebuilt = p->value(rebuilt, sym, st);
    }
    EXPECT_TRUE(rebuilt.equal(x));  // the digits of all stages give back the value
  }
}

TEST(Upscale, MatrixParametrizationIsTheReferenceFormula) {
  // p_future = C_{s_rev} softmax(logits); allowed_j = M_{s_rev+1}[x_past, j]; restricted and
  // renormalised. Compared on every class at every stage, K = 10 (not a power of b) and 64.
  for (const auto& [K, b] : std::vector<std::pair<int64_t, int64_t>>{{10, 3}, {64, 4}}) {
    auto p = upscale_process(K, K, b, false);  // D = K locations, location v holds value v
    const int64_t S = p->num_stages();
    auto g = ardm::make_generator(5);
    auto logits = 3 * torch::randn({1, K, K}, g, torch::kFloat64);  // [1, classes, D]
    auto x = torch::arange(K, torch::kInt64).view({1, K});
    auto probs = torch::softmax(logits[0], 0);  // [classes, D]
    for (int64_t s = 0; s < S; ++s) {
      const int64_t s_rev = S - 1 - s;
      auto st = torch::tensor({s});
      auto past = p->past(x, st), fut = p->future(x, st);
      auto mine = torch::log_softmax(p->symbol_logits(logits, past, s), 1)[0];  // [b, D]
      auto p_future = ardm::upscale::cumulative_matrix(K, b, s_rev).matmul(probs);  // [classes, D]
      auto m = ardm::upscale::transition_matrix(K, b, s_rev + 1);
      const int64_t q = ardm::upscale::power(b, s_rev);
      for (int64_t loc = 0; loc < K; ++loc) {
        const int64_t xp = past[0][loc].item<int64_t>();
        double z = 0;
        for (int64_t j = 0; j < K; ++j) z += m[xp][j].item<double>() * p_future[j][loc].item<double>();
        for (int64_t d = 0; d < b; ++d) {
          const int64_t child = xp + d * q;
          if (child >= K) {
            EXPECT_LT(mine[d][loc].item<double>(), -1e8);  // a digit past K is impossible
            continue;
          }
          EXPECT_EQ(m[xp][child].item<double>(), 1.0);
          EXPECT_NEAR(mine[d][loc].item<double>(), std::log(p_future[child][loc].item<double>() / z), 1e-9)
              << "s " << s << " loc " << loc << " digit " << d;
        }
      }
    }
  }
}

TEST(Upscale, ExactLikelihoodsSumToOneOverAllData) {
  // D = 2 values of K = 4 classes, b = 2 (2 stages): all 16 data points. The stages' exact
  // log-likelihoods (all steps, fixed orders) add up to a distribution over the data, and
  // policy_log_prob_bpd agrees with the value-at-a-time twin. A parallel policy is a
  // distribution too.
  for (bool direct : {false, true}) {
    auto p = upscale_process(2, 4, 2, direct);
    const int64_t O = p->net_io().outputs_per_value;
    StagedToy net(2, 4, O, 2, direct ? 3 : 4);
    auto sigma = ardm::fixed_orders(2, 2, 7);
    double total_full = 0, total_parallel = 0;
    for (int64_t a = 0; a < 4; ++a)
      for (int64_t c = 0; c < 4; ++c) {
        auto x = torch::tensor({a, c});
        const double full = ardm::policy_log_prob_bpd(*p, net.fn(), x.unsqueeze(0), sigma, {{0, 1}, {0, 1}}).item<double>();
        EXPECT_NEAR(full, sequential_log_prob_bpd(*p, net.fn(), x, sigma), 1e-6);
        total_full += std::exp2(2 * full);
        total_parallel += std::exp2(2 * ardm::policy_log_prob_bpd(*p, net.fn(), x.unsqueeze(0), sigma, {{0}, {0, 1}}).item<double>());
      }
    EXPECT_NEAR(total_full, 1.0, 1e-5) << (direct ? "direct" : "matrix");
    EXPECT_NEAR(total_parallel, 1.0, 1e-5) << (direct ? "direct" : "matrix");
  }
}

TEST(Upscale, BoundIsUnbiasedForTheSumOfStageBounds) {
  // E over orders, stages and steps of the stochastic bound = sum over stages of the
  // order-averaged exact stage log-likelihood; D = 3 (all 6 orders per stage enumerated).
  for (const std::string mode : {"uniform", "antithetic"}) {
    auto p = upscale_process(3, 4, 2, false);
    StagedToy net(3, 4, 4, 2, 9);
    auto g = ardm::make_generator(10);
    auto x = torch::tensor({3, 0, 2});
    double exact = 0;
    std::vector<int64_t> r0 = {0, 1, 2};
    int count = 0;
    do {
      std::vector<int64_t> r1 = {0, 1, 2};
      do {
        auto sigma = torch::stack({torch::tensor(r0), torch::tensor(r1)});
        exact += sequential_log_prob_bpd(*p, net.fn(), x, sigma);
        ++count;
      } while (std::next_permutation(r1.begin(), r1.end()));
    } while (std::next_permutation(r0.begin(), r0.end()));
    exact /= count;
    const int64_t M = 60000;
    ardm::ObjectiveConfig oc;
    oc.t_sampling = mode;
    auto terms = ardm::stochastic_bound(*p, net.fn(), x.unsqueeze(0).expand({M, 3}).contiguous(), oc, g);
    const double mean = terms.elbo_bpd.mean().item<double>();
    const double se = terms.elbo_bpd.std().item<double>() / std::sqrt(static_cast<double>(M));
    EXPECT_GT(se, 1e-4);
    EXPECT_NEAR(mean, exact, 4.5 * se) << mode << ": exact " << exact << " estimate " << mean << " +- " << se;
    // Every global step s * D + t was drawn, and the tracker index covers both stages.
    EXPECT_EQ(terms.t.min().item<int64_t>(), 0);
    EXPECT_EQ(terms.t.max().item<int64_t>(), 5);
  }
}

TEST(Upscale, SamplesAreValidValues) {
  // K = 10, b = 3: digits that would reach 10 exist in the network's output but must never be
  // drawn. K = 256, b = 16, direct: two stages.
  for (const auto& [K, b, direct] : std::vector<std::tuple<int64_t, int64_t, bool>>{{10, 3, false}, {10, 3, true}, {256, 16, true}}) {
    auto p = upscale_process(5, K, b, direct);
    const int64_t S = p->num_stages(), O = p->net_io().outputs_per_value;
    StagedToy net(5, K, O, S, 11);
    auto g = ardm::make_generator(12);
    ardm::Policies pol(static_cast<size_t>(S), std::vector<int64_t>{0, 2});
    auto s = ardm::sample(*p, net.fn(), 400, pol, g, torch::kCPU, true);
    EXPECT_TRUE(((s.x >= 0) & (s.x < K)).all().item<bool>()) << "K=" << K << " b=" << b;
    EXPECT_EQ(s.chain.size(), static_cast<size_t>(2 * S));
    // After stage 0 every value is a multiple of b^(S-1); all values appear eventually.
    const int64_t q = ardm::upscale::power(b, S - 1);
    EXPECT_TRUE((s.chain[1] % q).eq(0).all().item<bool>());
    if (K == 10) {
      EXPECT_EQ(torch::bincount(s.x.flatten()).gt(0).sum().item<int64_t>(), 10);
    }
  }
}

TEST(Schedule, StagedSplitEqualsBruteForce) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    const int64_t S = 2 + trial % 3;
    std::vector<std::vector<double>> costs;
    std::vector<int64_t> steps;
    for (int64_t s = 0; s < S; ++s) {
      std::vector<double> c(static_cast<size_t>(2 + (trial + s) % 5));
      for (auto& v : c) v = u(rng) * (1 + 3 * u(rng));
      std::sort(c.rbegin(), c.rend());
      steps.push_back(static_cast<int64_t>(c.size()));
      costs.push_back(c);
    }
    const int64_t all = std::accumulate(steps.begin(), steps.end(), int64_t{0});
    const auto tab = ardm::optimal_staged_schedules(costs, all);
    for (int64_t total = S; total <= all; ++total) {
      // Brute force: every split k_s in 1..T_s with sum = total, each stage at its own optimum.
      double best = INFINITY;
      std::vector<int64_t> k(static_cast<size_t>(S), 1);
      std::function<void(int64_t, int64_t, double)> rec = [&](int64_t s, int64_t left, double acc) {
        if (s == S) {
          if (left == 0) best = std::min(best, acc);
          return;
        }
        for (int64_t ks = 1; ks <= std::min(left, steps[static_cast<size_t>(s)]); ++ks)
          rec(s + 1, left - ks, acc + ardm::optimal_schedules_reference(costs[static_cast<size_t>(s)], ks).best_cost[static_cast<size_t>(ks)]);
      };
      rec(0, total, 0.0);
      EXPECT_NEAR(tab.best_cost[static_cast<size_t>(total)], best, 1e-9) << "trial " << trial << " total " << total;
      // The policies it returns have that cost and that many calls.
      const auto pol = tab.policies(total);
      double c = 0;
      int64_t calls = 0;
      for (int64_t s = 0; s < S; ++s) {
        ardm::check_policy(pol[static_cast<size_t>(s)], steps[static_cast<size_t>(s)]);
        c += ardm::policy_cost(costs[static_cast<size_t>(s)], pol[static_cast<size_t>(s)]);
        calls += static_cast<int64_t>(pol[static_cast<size_t>(s)].size());
      }
      EXPECT_NEAR(c, best, 1e-9);
      EXPECT_EQ(calls, total);
      const auto naive = ardm::naive_staged_policies(steps, total);
      int64_t naive_calls = 0;
      for (int64_t s = 0; s < S; ++s) {
        ardm::check_policy(naive[static_cast<size_t>(s)], steps[static_cast<size_t>(s)]);
        naive_calls += static_cast<int64_t>(naive[static_cast<size_t>(s)].size());
      }
      EXPECT_EQ(naive_calls, total);
    }
    EXPECT_THROW(tab.split(S - 1), std::invalid_argument);
  }
}
