// checkpoint_diff A.pt B.pt TOL: how far apart two checkpoints are (largest absolute difference
// of the weights, of the EMA weights and of the loss tracker), for the data-parallel tests.
// Exit status 0 when the steps match and every difference is at most TOL, 1 when not, 2 on error.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "ardm/train/model.h"

namespace {
double diff(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.sizes().equals(b.sizes())) return INFINITY;
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// The largest difference over named tensors, and the name where it is.
double max_diff(const torch::OrderedDict<std::string, torch::Tensor>& a,
                const torch::OrderedDict<std::string, torch::Tensor>& b, std::string& where) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = diff(a[i].value(), b[i].value());
    if (d > m || std::isnan(d)) m = d, where = a[i].key();
  }
  return m;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: checkpoint_diff A.pt B.pt TOL\n");
    return 2;
  }
  try {
    const ardm::Model a = ardm::load_model(argv[1]), b = ardm::load_model(argv[2]);
    const double tol = std::atof(argv[3]);
    std::string net_at, ema_at;
    const double net = max_diff(a.net->named_parameters(), b.net->named_parameters(), net_at);
    const double ema = max_diff(a.ema->named_parameters(), b.ema->named_parameters(), ema_at);
    const double tracker = diff(a.tracker.costs(), b.tracker.costs());
    std::printf("steps %lld %lld; max |a - b|: weights %.3g (%s), EMA %.3g, tracker %.3g\n",
                static_cast<long long>(a.step), static_cast<long long>(b.step), net, net_at.c_str(), ema, tracker);
    return a.step == b.step && net <= tol && ema <= tol && tracker <= tol ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checkpoint_diff: %s\n", e.what());
    return 2;
  }
}
