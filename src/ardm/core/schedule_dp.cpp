#include "ardm/core/schedule_dp.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace ardm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_inputs(const std::vector<double>& costs, int64_t max_budget) {
  const auto T = static_cast<int64_t>(costs.size());
  if (T < 1) throw std::invalid_argument("schedule: no per-step costs");
  if (max_budget < 1 || max_budget > T)
    throw std::invalid_argument("schedule: budget must be between 1 and the number of steps (" + std::to_string(T) +
                                "), got " + std::to_string(max_budget));
  for (double c : costs)
    if (!std::isfinite(c) || c < 0) throw std::invalid_argument("schedule: per-step costs must be finite and >= 0");
  if (T > std::numeric_limits<int32_t>::max() - 1) throw std::invalid_argument("schedule: too many steps");
}

BudgetTable make_table(std::vector<double> costs, int64_t max_budget, bool with_policies = true) {
  check_inputs(costs, max_budget);
  std::sort(costs.begin(), costs.end(), std::greater<double>());
  BudgetTable tab;
  tab.num_steps = static_cast<int64_t>(costs.size());
  tab.max_budget = max_budget;
  tab.costs = std::move(costs);
  tab.best_cost.assign(static_cast<size_t>(max_budget + 1), kInf);
  if (with_policies) tab.parent.assign(static_cast<size_t>((max_budget + 1) * (tab.num_steps + 1)), -1);
  return tab;
}

// Runs the row recursion for k = 1..K_max with `solve_row(prev, row, parent_row)`.
template <typename RowSolver>
void fill(BudgetTable& tab, RowSolver solve_row) {
  const int64_t T = tab.num_steps;
  std::vector<double> prev(static_cast<size_t>(T + 1), kInf), row(static_cast<size_t>(T + 1));
  std::vector<int32_t> scratch(tab.parent.empty() ? static_cast<size_t>(T + 1) : 0);  // costs only: one row
  prev[0] = 0.0;
  for (int64_t k = 1; k <= tab.max_budget; ++k) {
    std::fill(row.begin(), row.end(), kInf);
    solve_row(prev, row, tab.parent.empty() ? scratch.data() : tab.parent.data() + k * (T + 1));
    tab.best_cost[static_cast<size_t>(k)] = row[static_cast<size_t>(T)];
    std::swap(prev, row);
  }
}

}  // namespace

std::vector<int64_t> BudgetTable::policy(int64_t budget) const {
  if (budget < 1 || budget > max_budget)
    throw std::invalid_argument("schedule: budget " + std::to_string(budget) + " outside 1.." +
                                std::to_string(max_budget));
  if (parent.empty()) return optimal_schedules(costs, budget).policy(budget);  // a table of costs only
  std::vector<int64_t> p(static_cast<size_t>(budget));
  int64_t t = num_steps;
  for (int64_t k = budget; k >= 1; --k) {
    t = parent[static_cast<size_t>(k * (num_steps + 1) + t)];
    p[static_cast<size_t>(k - 1)] = t;
  }
  return p;
}

BudgetTable optimal_schedules_reference(std::vector<double> costs, int64_t max_budget) {
  BudgetTable tab = make_table(std::move(costs), max_budget);
  const auto& L = tab.costs;
  const int64_t T = tab.num_steps;
  fill(tab, [&](const std::vector<double>& prev, std::vector<double>& row, int32_t* parent) {
    for (int64_t t = 1; t <= T; ++t) {
      for (int64_t s = 0; s < t; ++s) {  // s < t: a step generates at least one variable
        ++tab.work;
        const double c = prev[s] + static_cast<double>(t - s) * L[s];
        if (c < row[t]) row[t] = c, parent[t] = static_cast<int32_t>(s);
      }
    }
  });
  return tab;
}

BudgetTable optimal_schedules(std::vector<double> costs, int64_t max_budget, bool with_policies) {
  BudgetTable tab = make_table(std::move(costs), max_budget, with_policies);
  const auto& L = tab.costs;
  const int64_t T = tab.num_steps;
  // Hull of lines y = m * t + b (m = L[s], b = prev[s] - s * L[s]), slopes non-increasing.
  std::vector<int32_t> hull(static_cast<size_t>(T + 1));
  auto intercept = [&](const std::vector<double>& prev, int64_t s) { return prev[s] - static_cast<double>(s) * L[s]; };
  fill(tab, [&](const std::vector<double>& prev, std::vector<double>& row, int32_t* parent) {
    size_t head = 0, size = 0;
    auto value = [&](int32_t s, int64_t t) { return prev[s] + static_cast<double>(t - s) * L[s]; };
    // Line b is useless when a (before it) and c (after it) meet no later than a and b do.
    auto useless = [&](int32_t a, int32_t b, int32_t c) {
      const double ba = intercept(prev, a), bb = intercept(prev, b), bc = intercept(prev, c);
      return (bc - ba) * (L[a] - L[b]) <= (bb - ba) * (L[a] - L[c]);
    };
    for (int64_t t = 1; t <= T; ++t) {
      ++tab.work;
      const int64_t s_new = t - 1;  // line s becomes available for queries t > s
      if (std::isfinite(prev[s_new])) {
        const auto s = static_cast<int32_t>(s_new);
        bool keep = true;
        if (size > head && L[hull[size - 1]] == L[s]) {  // equal slopes: keep the lower line
          if (intercept(prev, s) < intercept(prev, hull[size - 1]))
            --size;
          else
            keep = false;
        }
        if (keep) {
          while (size - head >= 2 && useless(hull[size - 2], hull[size - 1], s)) --size, ++tab.work;
          hull[size++] = s;
        }
        head = std::min(head, size - 1);
      }
      if (size == head) continue;  // nothing reachable yet
      while (head + 1 < size && value(hull[head + 1], t) <= value(hull[head], t)) ++head, ++tab.work;
      row[t] = value(hull[head], t);
      parent[t] = hull[head];
    }
  });
  return tab;
}

std::vector<int64_t> naive_policy(int64_t num_steps, int64_t budget) {
  if (budget < 1 || budget > num_steps)
    throw std::invalid_argument("schedule: budget must be between 1 and " + std::to_string(num_steps));
  const double step = static_cast<double>(num_steps) / static_cast<double>(budget);
  std::vector<int64_t> p;
  for (int64_t i = 0; i < budget; ++i) p.push_back(static_cast<int64_t>(std::nearbyint(static_cast<double>(i) * step)));
  return p;
}

double policy_cost(const std::vector<double>& costs, const std::vector<int64_t>& policy) {
  const auto T = static_cast<int64_t>(costs.size());
  check_policy(policy, T);
  double total = 0;
  for (size_t k = 0; k < policy.size(); ++k) {
    const int64_t next = k + 1 < policy.size() ? policy[k + 1] : T;
    total += static_cast<double>(next - policy[k]) * costs[static_cast<size_t>(policy[k])];
  }
  return total;
}

void check_policy(const std::vector<int64_t>& policy, int64_t num_steps) {
  if (policy.empty() || policy[0] != 0) throw std::invalid_argument("policy must start at step 0");
  for (size_t k = 1; k < policy.size(); ++k)
    if (policy[k] <= policy[k - 1]) throw std::invalid_argument("policy must be strictly increasing");
  if (policy.back() >= num_steps)
    throw std::invalid_argument("policy step " + std::to_string(policy.back()) + " is not below " +
                                std::to_string(num_steps));
}

StagedTable optimal_staged_schedules(const std::vector<std::vector<double>>& stage_costs, int64_t max_total) {
  if (stage_costs.empty()) throw std::invalid_argument("schedules need at least one stage");
  const auto S = static_cast<int64_t>(stage_costs.size());
  int64_t all_steps = 0;
  for (const auto& c : stage_costs) all_steps += static_cast<int64_t>(c.size());
  if (max_total < S) throw std::invalid_argument("a total budget of " + std::to_string(max_total) +
                                                 " network calls is below one per stage (" + std::to_string(S) + ")");
  max_total = std::min(max_total, all_steps);
  StagedTable tab;
  tab.max_total = max_total;
  for (const auto& c : stage_costs) {
    const int64_t cap = std::min<int64_t>(static_cast<int64_t>(c.size()), max_total - (S - 1));
    tab.stages.push_back(optimal_schedules(c, cap, false));  // policies are rebuilt for the chosen share
    tab.work += tab.stages.back().work;
  }
  // f[t]: best cost of the stages so far with t calls; choice[s][t]: stage s's share.
  const int64_t W = max_total + 1;
  std::vector<double> f(static_cast<size_t>(W), kInf), g(static_cast<size_t>(W));
  tab.choice.assign(static_cast<size_t>(S * W), 0);
  f[0] = 0;
  for (int64_t s = 0; s < S; ++s) {
    const auto& st = tab.stages[static_cast<size_t>(s)];
    std::fill(g.begin(), g.end(), kInf);
    for (int64_t t = 1; t < W; ++t)
      for (int64_t k = 1; k <= std::min(st.max_budget, t); ++k) {
        ++tab.work;
        const double c = f[static_cast<size_t>(t - k)] + st.best_cost[static_cast<size_t>(k)];
        if (c < g[static_cast<size_t>(t)]) {  // strict: the smallest share wins ties
          g[static_cast<size_t>(t)] = c;
          tab.choice[static_cast<size_t>(s * W + t)] = k;
        }
      }
    std::swap(f, g);
  }
  tab.best_cost = f;
  return tab;
}

std::vector<int64_t> StagedTable::split(int64_t total) const {
  const auto S = static_cast<int64_t>(stages.size());
  if (total < S || total > max_total)
    throw std::invalid_argument("total budget " + std::to_string(total) + " is outside " + std::to_string(S) + ".." +
                                std::to_string(max_total));
  std::vector<int64_t> k(static_cast<size_t>(S));
  for (int64_t s = S; s-- > 0;) {
    k[static_cast<size_t>(s)] = choice[static_cast<size_t>(s * (max_total + 1) + total)];
    total -= k[static_cast<size_t>(s)];
  }
  return k;
}

std::vector<std::vector<int64_t>> StagedTable::policies(int64_t total) const {
  const auto k = split(total);
  std::vector<std::vector<int64_t>> out;
  for (size_t s = 0; s < k.size(); ++s) out.push_back(stages[s].policy(k[s]));
  return out;
}

std::vector<std::vector<int64_t>> naive_staged_policies(const std::vector<int64_t>& steps_per_stage, int64_t total) {
  const auto S = static_cast<int64_t>(steps_per_stage.size());
  int64_t all = 0;
  for (auto t : steps_per_stage) all += t;
  if (total < S || total > all)
    throw std::invalid_argument("total budget " + std::to_string(total) + " is outside " + std::to_string(S) + ".." +
                                std::to_string(all));
  std::vector<std::vector<int64_t>> out;
  int64_t left = total;
  for (int64_t s = 0; s < S; ++s) {
    // An even share, kept within what this stage and the remaining ones can take.
    int64_t k = total / S + (s < total % S ? 1 : 0);
    int64_t rest_cap = 0;
    for (int64_t j = s + 1; j < S; ++j) rest_cap += steps_per_stage[static_cast<size_t>(j)];
    k = std::max(k, left - rest_cap);
    k = std::min({k, steps_per_stage[static_cast<size_t>(s)], left - (S - 1 - s)});
    out.push_back(naive_policy(steps_per_stage[static_cast<size_t>(s)], k));
    left -= k;
  }
  return out;
}

StreamsPlan streams_plan(int64_t num_values, int64_t budget) {
  if (num_values < 1 || budget < 1) throw std::invalid_argument("streams_plan: need values and a budget of at least 1");
  const int64_t D = num_values, B = std::min(budget, D), G = (D + B - 1) / B, L = (D + G - 1) / G;
  StreamsPlan p;
  for (int64_t k = 0; k < L; ++k) {
    p.policy.push_back(static_cast<int64_t>(p.order.size()));
    for (int64_t g = 0; g < G; ++g)
      if (g * L + k < D) p.order.push_back(static_cast<uint32_t>(g * L + k));
  }
  return p;
}

}  // namespace ardm

namespace ardm {

std::vector<int64_t> merged_groups(const std::vector<int64_t>& group_starts, int64_t num_steps, int64_t budget) {
  if (group_starts.empty() || group_starts[0] != 0) throw std::invalid_argument("groups must start at step 0");
  for (size_t g = 1; g < group_starts.size(); ++g)
    if (group_starts[g] <= group_starts[g - 1] || group_starts[g] >= num_steps)
      throw std::invalid_argument("group starts must increase and stay below the number of steps");
  if (budget < 1) throw std::invalid_argument("need a budget of at least one step");
  std::vector<int64_t> starts = group_starts;
  auto end = [&](size_t g) { return g + 1 < starts.size() ? starts[g + 1] : num_steps; };
  while (static_cast<int64_t>(starts.size()) > budget) {
    // The adjacent pair of the fewest values together (the earliest among equals) becomes one.
    size_t best = 0;
    int64_t best_size = -1;
    for (size_t g = 0; g + 1 < starts.size(); ++g) {
      const int64_t size = end(g + 1) - starts[g];
      if (best_size < 0 || size < best_size) best = g, best_size = size;
    }
    starts.erase(starts.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  return starts;
}

std::vector<int64_t> grouped_policy(const std::vector<double>& costs, const std::vector<int64_t>& group_starts,
                                    int64_t budget) {
  const auto T = static_cast<int64_t>(costs.size());
  if (budget > T) throw std::invalid_argument("a budget above the number of steps");
  const auto starts = merged_groups(group_starts, T, budget);
  std::vector<std::vector<double>> group_costs;
  for (size_t g = 0; g < starts.size(); ++g) {
    const int64_t e = g + 1 < starts.size() ? starts[g + 1] : T;
    group_costs.emplace_back(costs.begin() + starts[g], costs.begin() + e);
    std::sort(group_costs.back().begin(), group_costs.back().end(), std::greater<double>());
  }
  const auto per_group = optimal_staged_schedules(group_costs, budget).policies(budget);
  std::vector<int64_t> policy;
  for (size_t g = 0; g < starts.size(); ++g)
    for (const int64_t t : per_group[g]) policy.push_back(starts[g] + t);
  return policy;
}

std::vector<double> exported_step_costs(std::vector<double> step_costs, int64_t num_stages,
                                        const std::vector<int64_t>& groups) {
  const auto n = static_cast<int64_t>(step_costs.size());
  if (num_stages < 1 || n % num_stages != 0) throw std::invalid_argument("costs: not a whole number of stages");
  if (!groups.empty() && num_stages != 1) throw std::invalid_argument("an order of groups is for models of one stage");
  std::vector<int64_t> starts = groups;
  if (starts.empty())
    for (int64_t s = 0; s < num_stages; ++s) starts.push_back(s * (n / num_stages));
  for (size_t g = 0; g < starts.size(); ++g) {
    const int64_t e = g + 1 < starts.size() ? starts[g + 1] : n;
    if (starts[g] < 0 || e > n || starts[g] >= e) throw std::invalid_argument("costs: groups outside the steps");
    std::sort(step_costs.begin() + starts[g], step_costs.begin() + e, std::greater<double>());
  }
  return step_costs;
}

std::vector<std::vector<int64_t>> model_policies(const std::vector<double>& exported_costs, int64_t num_stages,
                                                 int64_t num_steps, const std::vector<int64_t>& groups,
                                                 int64_t budget) {
  if (num_stages < 1 || static_cast<int64_t>(exported_costs.size()) < num_stages * num_steps)
    throw std::invalid_argument("policies: fewer costs than steps");
  if (!groups.empty()) {
    if (num_stages != 1) throw std::invalid_argument("an order of groups is for models of one stage");
    return {grouped_policy({exported_costs.begin(), exported_costs.begin() + num_steps}, groups, budget)};
  }
  std::vector<std::vector<double>> costs;
  for (int64_t s = 0; s < num_stages; ++s)
    costs.emplace_back(exported_costs.begin() + s * num_steps, exported_costs.begin() + (s + 1) * num_steps);
  return optimal_staged_schedules(costs, budget).policies(budget);
}

}  // namespace ardm
