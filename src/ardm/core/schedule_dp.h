// The step-budget dynamic program (spec section 3): given per-step costs L[0..T-1] (bits per
// dim, from the loss tracker), find for every budget K <= T the policy of K parallel steps
// with the smallest total cost. No torch: plain vectors, so it tests and benchmarks alone.
//
// Read me first:
//  * A policy is a strictly increasing list of start steps [t_0 = 0, t_1, ..., t_{K-1}],
//    implicitly closed by T. Step k generates every location with t_k <= sigma < t_{k+1} from
//    one network call made with t_k variables known, at cost (t_{k+1} - t_k) * L[t_k].
//  * cost[k][t] = min over s < t of cost[k-1][s] + (t - s) * L[s], cost[0] = [0, inf, ...].
//    The reference evaluates that minimum directly: O(T^2) per budget row, O(T^3) for all.
//  * For fixed s the candidate is a line in t: slope L[s], intercept cost[k-1][s] - s * L[s].
//    A row is therefore a lower envelope of lines queried at t = 1..T, and line s may only
//    serve queries t > s. When L is sorted in descending order (as the reference does, and as
//    optimal_schedules does before anything else) the slopes arrive in non-increasing order and
//    the queries in increasing order: the monotone convex hull trick answers a whole row in O(T)
//    amortised, O(K_max * T) for all budgets. (Equivalently, with L descending the cost
//    w(s, t) = (t - s) L[s] satisfies the quadrangle inequality: w(s,t) + w(s',t') - w(s,t') -
//    w(s',t) = (t' - t)(L[s'] - L[s]) <= 0 for s <= s' <= t <= t', so the optimal s is monotone in
//    t. For unsorted L that difference can be positive and the monotonicity fails.)
//  * Why sort at all: the tracker's estimates are noisy, and the DP would exploit the noise
//    (start a long parallel step at a step whose estimate happened to be low). Sorting assumes
//    what holds on average, that a step costs less the more is known, and makes the DP stable.
//    The policy is then applied to the model as steps t_k, not to the sorted order.
#pragma once

#include <cstdint>
#include <vector>

namespace ardm {

struct BudgetTable {
  int64_t num_steps = 0;           // T
  int64_t max_budget = 0;          // K_max
  std::vector<double> costs;       // the (sorted) per-step costs the table was built from, [T]
  std::vector<double> best_cost;   // [K_max + 1]: best_cost[K] = optimal total cost with K steps (bpd); [0] = inf
  std::vector<int32_t> parent;     // [(K_max + 1) * (T + 1)]: argmin s of cost[k][t]; empty: costs only
  // The operations building it took: candidate lines evaluated, kept or dropped (the fast solver:
  // at most 3 per step per budget row; the cubic oracle: every (s, t) pair of every row).
  int64_t work = 0;

  // The optimal policy for budget K (1 <= K <= max_budget): K strictly increasing start steps,
  // first 0. A table of costs only solves budget K again (O(K * T) time and memory).
  std::vector<int64_t> policy(int64_t budget) const;
};

// Sorts `costs` descending and solves all budgets 1..max_budget (<= T) with the convex hull trick:
// O(max_budget * T) time; memory O(max_budget * T) for the policies, O(T) without them
// (with_policies = false keeps the optimal costs only).
BudgetTable optimal_schedules(std::vector<double> costs, int64_t max_budget, bool with_policies = true);

// The same table by the direct O(K_max * T^2) recursion: the test oracle.
BudgetTable optimal_schedules_reference(std::vector<double> costs, int64_t max_budget);

// The reference's evenly spaced policy: round(linspace(0, T, K + 1)) half to even, last dropped.
std::vector<int64_t> naive_policy(int64_t num_steps, int64_t budget);

// Total cost of a policy on `costs`: sum over its steps of (next - start) * costs[start].
double policy_cost(const std::vector<double>& costs, const std::vector<int64_t>& policy);

// ---- The streams order (ProcessConfig::order "streams": sequences, one stage) ----
// For a budget B the D values are cut into G = ceil(D / B) runs of L = ceil(D / G) consecutive
// values (the last run may be shorter), and call k codes value k of every run: each value is
// coded with every value before it in its run known, and the values one call codes are L apart.
// L <= B calls in all; a budget of D or more codes left to right, one value per call.
struct StreamsPlan {
  std::vector<uint32_t> order;   // rank -> location: call after call, runs in order inside a call
  std::vector<int64_t> policy;   // the calls' first ranks (0 first), as the DP's policies
};
StreamsPlan streams_plan(int64_t num_values, int64_t budget);

// ---- Several stages (Upscale ARDMs, spec section 2) ----
// A total budget of network calls is split over the stages: stage s gets k_s >= 1 calls
// (k_s <= its T_s), sum k_s = total, and spends them on its own optimal policy. The split that
// minimises sum_s best_cost_s[k_s] is a min-plus knapsack over the stages' cost curves, solved
// exactly by a DP over stages: O(S * total * max_k) for one table of all totals up to max_total.
// Memory stays O(S * (T + max_total)): the stages keep their cost curves only, and a total's
// policies are solved again for the shares it gets (audio: S = 16 stages of T = 8,000 steps).
struct StagedTable {
  std::vector<BudgetTable> stages;   // each stage's own table (its costs sorted descending, no policies)
  int64_t max_total = 0;
  std::vector<double> best_cost;     // [max_total + 1]: optimal summed cost (inf below S)
  std::vector<int64_t> choice;       // [S * (max_total + 1)]: budget of stage s in the best split of a total
  int64_t work = 0;                  // the stages' work and the split's (stage, total, share) cells

  int64_t min_total() const { return static_cast<int64_t>(stages.size()); }
  // The optimal split of `total` (S <= total <= max_total): one budget per stage.
  std::vector<int64_t> split(int64_t total) const;
  // The optimal policies of `total`: one per stage.
  std::vector<std::vector<int64_t>> policies(int64_t total) const;
};

// stage_costs[s]: stage s's per-step costs (each sorted descending inside). max_total is capped
// at sum_s T_s.
StagedTable optimal_staged_schedules(const std::vector<std::vector<double>>& stage_costs, int64_t max_total);

// The evenly spread split (stage s gets total/S, the first total%S stages one more) with the
// naive policy in each stage.
std::vector<std::vector<int64_t>> naive_staged_policies(const std::vector<int64_t>& steps_per_stage, int64_t total);

// ---- Orders of levels (ProcessConfig::order "quincunx": images) ----
// The steps come in groups (a pixel level's channel), and what a value costs depends on its
// group: the per-step cost L[t] of a group says nothing of what the next group's values would
// cost coded in the same call. A policy therefore starts a step at every group's start, and
// spends the rest of the budget inside the groups (the staged DP above, each group a stage with
// its costs sorted descending inside). Below one step per group, the adjacent pair of groups
// with the fewest values together is merged (the earliest among equals), again and again.
// The group starts after merging for `budget` (strictly increasing, first 0).
std::vector<int64_t> merged_groups(const std::vector<int64_t>& group_starts, int64_t num_steps, int64_t budget);
// `costs`: the per-step costs in step order ([T]); returns the policy of `budget` steps.
std::vector<int64_t> grouped_policy(const std::vector<double>& costs, const std::vector<int64_t>& group_starts,
                                    int64_t budget);

// ---- A model's policies: the one rule of the engine and the trainer ----
// `groups`: policy_groups of the model's order (core/levels.h). The costs as a model exports
// them from per-step costs in step order ([S * D]): without groups each stage's sorted
// descending, with groups (one stage) each group's sorted descending, in step order.
std::vector<double> exported_step_costs(std::vector<double> step_costs, int64_t num_stages,
                                        const std::vector<int64_t>& groups);
// The policies of the model's first `num_stages` stages at `budget` from its exported costs
// (at least num_stages * D of them): without groups the staged DP, with groups grouped_policy.
std::vector<std::vector<int64_t>> model_policies(const std::vector<double>& exported_costs, int64_t num_stages,
                                                 int64_t num_steps, const std::vector<int64_t>& groups,
                                                 int64_t budget);

// Throws std::invalid_argument unless `policy` is strictly increasing, starts at 0 and ends below T.
void check_policy(const std::vector<int64_t>& policy, int64_t num_steps);

}  // namespace ardm
