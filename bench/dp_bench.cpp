// Step-budget DP: the convex-hull-trick solver against the cubic reference, side by side in one
// process, for D = 784, 3072 and 12288 and all budgets up to min(D, 1000).
//
//   cmake --build build --target dp_bench && build/dp_bench
// Optional arguments: the D values to run, e.g. `build/dp_bench 784 3072`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "ardm/core/schedule_dp.h"

namespace {

// A tracker-shaped cost vector: falling with the number of known variables, with noise.
std::vector<double> costs_for(int64_t D, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> c(static_cast<size_t>(D));
  for (int64_t t = 0; t < D; ++t)
    c[t] = std::max(0.0, (8.0 / D) * (0.3 + std::exp(-4.0 * t / D)) * (1.0 + noise(g)));
  return c;
}

template <typename F>
double seconds(F&& f, int repeats) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {784, 3072, 12288};
  if (argc > 1) {
    sizes.clear();
    for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  }
  std::printf("%7s %8s %14s %14s %10s %14s\n", "D", "budgets", "fast (ms)", "cubic (ms)", "ratio", "max rel diff");
  for (int64_t D : sizes) {
    const int64_t K = std::min<int64_t>(D, 1000);
    const auto c = costs_for(D, static_cast<uint64_t>(D));
    ardm::BudgetTable fast, ref;
    const double tf = seconds([&] { fast = ardm::optimal_schedules(c, K); }, 5);
    const double tr = seconds([&] { ref = ardm::optimal_schedules_reference(c, K); }, 1);
    double worst = 0;
    for (int64_t k = 1; k <= K; ++k)
      worst = std::max(worst, std::abs(fast.best_cost[k] - ref.best_cost[k]) / std::abs(ref.best_cost[k]));
    std::printf("%7lld %8lld %14.3f %14.1f %10.0f %14.2e\n", static_cast<long long>(D), static_cast<long long>(K),
                tf * 1e3, tr * 1e3, tr / tf, worst);
    std::fflush(stdout);
  }
  std::printf("fast: best of 5 runs; cubic: one run. Both fill every budget row 1..min(D, 1000).\n");
  return 0;
}
