// The fast step-budget DP against the cubic oracle, and policy edge cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "ardm/core/schedule_dp.h"

namespace {

void expect_tables_agree(const std::vector<double>& costs, int64_t max_budget) {
  const auto fast = ardm::optimal_schedules(costs, max_budget);
  const auto ref = ardm::optimal_schedules_reference(costs, max_budget);
  const auto T = static_cast<int64_t>(costs.size());
  for (int64_t k = 1; k <= max_budget; ++k) {
    const double want = ref.best_cost[k];
    ASSERT_TRUE(std::isfinite(want));
    EXPECT_NEAR(fast.best_cost[k], want, 1e-9 * std::max(1e-12, std::abs(want))) << "T=" << T << " budget " << k;
    const auto p = fast.policy(k);
    ASSERT_EQ(static_cast<int64_t>(p.size()), k);
    EXPECT_NO_THROW(ardm::check_policy(p, T));
    // the policy really achieves the cost it claims
    EXPECT_NEAR(ardm::policy_cost(fast.costs, p), want, 1e-9 * std::max(1.0, std::abs(want)));
  }
}

}  // namespace

TEST(Schedule, SpecExample) {
  // Spec section 3: kl [5, 4, 3, 2.85, 2.80] -> optimal costs 25, 19, 18, 17.7, 17.65.
  const std::vector<double> kl = {5, 4, 3, 2.85, 2.80};
  const std::vector<double> want = {25, 19, 18, 17.7, 17.65};
  for (const auto& tab : {ardm::optimal_schedules(kl, 5), ardm::optimal_schedules_reference(kl, 5)})
    for (int k = 1; k <= 5; ++k) EXPECT_NEAR(tab.best_cost[k], want[k - 1], 1e-12);
  EXPECT_EQ(ardm::optimal_schedules(kl, 5).policy(2), (std::vector<int64_t>{0, 2}));
}

TEST(Schedule, FastAgreesWithCubicOnRandomVectors) {
  std::mt19937_64 g(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t T = 1 + static_cast<int64_t>(g() % 80);
    std::vector<double> c(static_cast<size_t>(T));
    const int kind = trial % 4;
    for (auto& x : c) {
      if (kind == 0) x = u(g);                                   // unsorted, continuous
      if (kind == 1) x = std::floor(u(g) * 4) / 2;               // many ties
      if (kind == 2) x = u(g) < 0.3 ? 0.0 : std::exp(-5 * u(g));  // zeros and a wide range
      if (kind == 3) x = 1.0;                                    // all equal
    }
    expect_tables_agree(c, T);
  }
}

TEST(Schedule, FastAgreesWithCubicOnATrackerShapedVector) {
  // A realistic tracker: per-step costs of a 784-step model fall from ~8/784 towards 0, with noise.
  std::mt19937_64 g(7);
  std::normal_distribution<double> noise(0.0, 0.0005);
  std::vector<double> c(784);
  for (size_t t = 0; t < c.size(); ++t) c[t] = std::max(0.0, 0.010 * std::exp(-3.0 * t / 784.0) + 0.002 + noise(g));
  expect_tables_agree(c, 60);
  // Budget D generates one variable per step: the full autoregressive cost.
  const auto tab = ardm::optimal_schedules(c, 784);
  double sum = 0;
  for (double x : tab.costs) sum += x;
  EXPECT_NEAR(tab.best_cost[784], sum, 1e-9 * sum);
  std::vector<int64_t> every(784);
  for (int64_t i = 0; i < 784; ++i) every[i] = i;
  EXPECT_EQ(tab.policy(784), every);
  // More budget never costs more.
  for (int64_t k = 2; k <= 784; ++k) EXPECT_LE(tab.best_cost[k], tab.best_cost[k - 1] + 1e-12);
}

TEST(Schedule, EdgeCases) {
  // budget 1: one call at t = 0 generates everything
  const auto one = ardm::optimal_schedules({3, 1, 2}, 1);
  EXPECT_EQ(one.policy(1), (std::vector<int64_t>{0}));
  EXPECT_DOUBLE_EQ(one.best_cost[1], 9.0);  // sorted descending: 3 * 3
  // zero costs everywhere: cost 0 at every budget, policies still strictly increasing
  expect_tables_agree(std::vector<double>(10, 0.0), 10);
  // sorting: non-monotone input is sorted descending before the DP
  const auto s = ardm::optimal_schedules({1, 5, 2}, 3);
  EXPECT_EQ(s.costs, (std::vector<double>{5, 2, 1}));
  // invalid inputs
  EXPECT_THROW(ardm::optimal_schedules({}, 1), std::invalid_argument);
  EXPECT_THROW(ardm::optimal_schedules({1, 2}, 3), std::invalid_argument);
  EXPECT_THROW(ardm::optimal_schedules({1, 2}, 0), std::invalid_argument);
  EXPECT_THROW(ardm::optimal_schedules({1, NAN}, 1), std::invalid_argument);
  EXPECT_THROW(ardm::optimal_schedules({1, -1}, 1), std::invalid_argument);
  EXPECT_THROW(one.policy(2), std::invalid_argument);
}

TEST(Schedule, NaivePolicy) {
  // round(linspace(0, 10, 5)) = round([0, 2.5, 5, 7.5, 10]), last dropped
  EXPECT_EQ(ardm::naive_policy(10, 4), (std::vector<int64_t>{0, 2, 5, 8}));  // 2.5 -> 2, 7.5 -> 8 (half to even)
  EXPECT_EQ(ardm::naive_policy(5, 5), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ardm::naive_policy(784, 1), (std::vector<int64_t>{0}));
  for (int64_t k : {1, 7, 50, 250, 784}) EXPECT_NO_THROW(ardm::check_policy(ardm::naive_policy(784, k), 784));
  EXPECT_THROW(ardm::naive_policy(5, 6), std::invalid_argument);
}

TEST(Schedule, PolicyChecks) {
  EXPECT_THROW(ardm::check_policy({1, 2}, 5), std::invalid_argument);
  EXPECT_THROW(ardm::check_policy({0, 2, 2}, 5), std::invalid_argument);
  EXPECT_THROW(ardm::check_policy({0, 5}, 5), std::invalid_argument);
  EXPECT_THROW(ardm::check_policy({}, 5), std::invalid_argument);
  EXPECT_DOUBLE_EQ(ardm::policy_cost({5, 4, 3, 2.85, 2.80}, {0, 2}), 19.0);
}

TEST(Schedule, StreamsPlanCodesEachRunLeftToRight) {
  const auto p = ardm::streams_plan(10, 4);  // 3 runs of 4, 4, 2 values; 4 calls
  EXPECT_EQ(p.order, (std::vector<uint32_t>{0, 4, 8, 1, 5, 9, 2, 6, 3, 7}));
  EXPECT_EQ(p.policy, (std::vector<int64_t>{0, 3, 6, 8}));
  for (int64_t D : {1, 7, 64, 250}) {
    for (int64_t budget = 1; budget <= D + 2; ++budget) {
      SCOPED_TRACE("D " + std::to_string(D) + ", budget " + std::to_string(budget));
      const auto s = ardm::streams_plan(D, budget);
      ASSERT_EQ(s.order.size(), static_cast<size_t>(D));
      EXPECT_LE(s.policy.size(), static_cast<size_t>(budget));
      EXPECT_NO_THROW(ardm::check_policy(s.policy, D));
      std::vector<int64_t> rank(static_cast<size_t>(D), -1);
      for (size_t r = 0; r < s.order.size(); ++r) rank[s.order[r]] = static_cast<int64_t>(r);
      for (int64_t r : rank) ASSERT_GE(r, 0);  // a permutation
      // The calls' first ranks split the order into calls; a value's left neighbour comes in an
      // earlier call unless it starts a run (it is then in the same or a later call).
      auto call = [&](int64_t r) {
        return std::upper_bound(s.policy.begin(), s.policy.end(), r) - s.policy.begin() - 1;
      };
      int64_t starts = 0;
      for (int64_t i = 1; i < D; ++i)
        if (call(rank[static_cast<size_t>(i - 1)]) >= call(rank[static_cast<size_t>(i)])) ++starts;
      EXPECT_EQ(starts + 1, (D + std::min(budget, D) - 1) / std::min(budget, D)) << "runs";
      if (budget >= D) EXPECT_EQ(s.policy.size(), static_cast<size_t>(D));  // left to right, a value a call
    }
  }
  EXPECT_THROW(ardm::streams_plan(10, 0), std::invalid_argument);
}

TEST(Schedule, GroupedPolicyStartsEveryGroupAndIsBestInside) {
  // 9 steps in groups starting at 0, 4, 6; costs fall inside each group, jump up at a new one.
  const std::vector<double> costs = {5, 4, 3, 2, 9, 1, 7, 6, 5};
  const std::vector<int64_t> groups = {0, 4, 6};
  EXPECT_EQ(ardm::grouped_policy(costs, groups, 3), (std::vector<int64_t>{0, 4, 6}));
  for (int64_t budget = 3; budget <= 9; ++budget) {
    const auto p = ardm::grouped_policy(costs, groups, budget);
    ASSERT_EQ(static_cast<int64_t>(p.size()), budget);
    EXPECT_NO_THROW(ardm::check_policy(p, 9));
    for (const int64_t g : groups) EXPECT_TRUE(std::find(p.begin(), p.end(), g) != p.end()) << "budget " << budget;
    // The best of every policy with the group starts among its steps, by brute force over the
    // other steps (each group's costs sorted descending, as the policy reads them).
    double best = INFINITY;
    for (int mask = 0; mask < (1 << 9); ++mask) {
      std::vector<int64_t> q;
      for (int64_t t = 0; t < 9; ++t)
        if ((mask >> t) & 1) q.push_back(t);
      if (static_cast<int64_t>(q.size()) != budget || q[0] != 0 || !(mask & (1 << 4)) || !(mask & (1 << 6))) continue;
      best = std::min(best, ardm::policy_cost(costs, q));
    }
    EXPECT_DOUBLE_EQ(ardm::policy_cost(costs, p), best) << "budget " << budget;
  }
  EXPECT_THROW(ardm::grouped_policy(costs, groups, 10), std::invalid_argument);
  EXPECT_THROW(ardm::grouped_policy(costs, {1, 4}, 3), std::invalid_argument);  // groups start at 0
  EXPECT_THROW(ardm::grouped_policy(costs, {0, 4, 4}, 3), std::invalid_argument);
}

TEST(Schedule, GroupsMergeSmallestNeighboursBelowOneStepEach) {
  // Sizes 1, 1, 2, 4, 8 (16 steps): budget 4 merges the first two (2 values), then budget 3
  // the merged pair with the next (4), budget 2 those with the 4 (8 against 12).
  const std::vector<int64_t> groups = {0, 1, 2, 4, 8};
  EXPECT_EQ(ardm::merged_groups(groups, 16, 5), groups);
  EXPECT_EQ(ardm::merged_groups(groups, 16, 4), (std::vector<int64_t>{0, 2, 4, 8}));
  EXPECT_EQ(ardm::merged_groups(groups, 16, 3), (std::vector<int64_t>{0, 4, 8}));
  EXPECT_EQ(ardm::merged_groups(groups, 16, 2), (std::vector<int64_t>{0, 8}));
  EXPECT_EQ(ardm::merged_groups(groups, 16, 1), (std::vector<int64_t>{0}));
  std::vector<double> costs(16, 1.0);
  EXPECT_EQ(ardm::grouped_policy(costs, groups, 3), (std::vector<int64_t>{0, 4, 8}));
  EXPECT_THROW(ardm::merged_groups(groups, 16, 0), std::invalid_argument);
}

TEST(Schedule, ModelPoliciesAreTheStagedDPOrTheGroupedPolicy) {
  // Two stages of 4 steps, no groups: each stage's costs sorted, the staged DP on them.
  const std::vector<double> steps = {1, 4, 2, 3, 9, 7, 8, 5};
  const auto sorted = ardm::exported_step_costs(steps, 2, {});
  EXPECT_EQ(sorted, (std::vector<double>{4, 3, 2, 1, 9, 8, 7, 5}));
  for (int64_t budget = 2; budget <= 8; ++budget) {
    const auto want = ardm::optimal_staged_schedules({{4, 3, 2, 1}, {9, 8, 7, 5}}, budget).policies(budget);
    EXPECT_EQ(ardm::model_policies(sorted, 2, 4, {}, budget), want) << "budget " << budget;
  }
  EXPECT_EQ(ardm::model_policies(sorted, 1, 4, {}, 2).size(), 1u);  // the first stage alone (an engine coding fewer)
  // One stage in groups at 0, 4, 6: each group's costs sorted in place, the grouped policy.
  const std::vector<double> grouped = {2, 5, 3, 4, 1, 9, 5, 7, 6};
  const std::vector<int64_t> groups = {0, 4, 6};
  const auto exported = ardm::exported_step_costs(grouped, 1, groups);
  EXPECT_EQ(exported, (std::vector<double>{5, 4, 3, 2, 9, 1, 7, 6, 5}));
  for (int64_t budget = 1; budget <= 9; ++budget)
    EXPECT_EQ(ardm::model_policies(exported, 1, 9, groups, budget)[0], ardm::grouped_policy(exported, groups, budget));
  EXPECT_THROW(ardm::exported_step_costs(steps, 2, {0, 4}), std::invalid_argument);  // groups need one stage
  EXPECT_THROW(ardm::exported_step_costs(steps, 3, {}), std::invalid_argument);
  EXPECT_THROW(ardm::model_policies(sorted, 3, 4, {}, 3), std::invalid_argument);  // fewer costs than steps
}
