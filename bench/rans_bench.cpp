// rANS throughput and overhead: symbols per second to encode and decode at K = 2, 256 and
// 65,536, each symbol with its own float distribution turned into frequencies on the spot (as
// the codec does), next to the ideal code length; then the overhead against the precision.
//
//   cmake --build build --target rans_bench && build/rans_bench
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"

using namespace ardm::coding;

namespace {

// M distributions over K symbols: discretised logistics with varied centres and scales (a
// pixel model's typical output), as float32 like a network's.
std::vector<std::vector<float>> distributions(size_t k, size_t m, std::mt19937_64& g) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::vector<float>> out;
  for (size_t j = 0; j < m; ++j) {
    const double mu = u(g) * static_cast<double>(k), s = (0.02 + 0.3 * u(g)) * static_cast<double>(k) / 8 + 0.3;
    std::vector<float> p(k);
    double sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const double a = 1 / (1 + std::exp(-(static_cast<double>(i) + 0.5 - mu) / s));
      const double b = 1 / (1 + std::exp(-(static_cast<double>(i) - 0.5 - mu) / s));
      p[i] = static_cast<float>(std::max(a - b, 1e-9));
      sum += p[i];
    }
    for (auto& x : p) x = static_cast<float>(x / sum);
    out.push_back(p);
  }
  return out;
}

struct Result {
  double enc_sps, dec_sps, ideal_bits, coded_bits;
};

Result run(size_t k, size_t n, uint32_t precision, bool quantize_each, std::mt19937_64& g) {
  const auto dists = distributions(k, 64, g);
  std::vector<FrequencyTable> fixed;
  for (const auto& p : dists) fixed.push_back(quantize_probabilities(p.data(), k, precision));
  std::vector<uint32_t> syms(n);
  double ideal = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto& p = dists[i % dists.size()];
    std::discrete_distribution<uint32_t> d(p.begin(), p.end());
    syms[i] = d(g);
    ideal -= std::log2(static_cast<double>(p[syms[i]]));
  }
  using clk = std::chrono::steady_clock;
  auto t0 = clk::now();
  RansEncoder enc(precision);
  for (size_t i = n; i-- > 0;) {
    const auto& p = dists[i % dists.size()];
    const FrequencyTable t = quantize_each ? quantize_probabilities(p.data(), k, precision) : fixed[i % fixed.size()];
    enc.put(t.start(syms[i]), t.freq(syms[i]));
  }
  const auto stream = enc.finish();
  auto t1 = clk::now();
  RansDecoder dec(stream.data(), stream.size(), precision);
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto& p = dists[i % dists.size()];
    const FrequencyTable t = quantize_each ? quantize_probabilities(p.data(), k, precision) : fixed[i % fixed.size()];
    const size_t s = t.find(dec.peek());
    dec.advance(t.start(s), t.freq(s));
    bad += s != syms[i];
  }
  dec.check_finished();
  auto t2 = clk::now();
  if (bad) std::printf("ERROR: %zu symbols decoded wrongly\n", bad);
  return {static_cast<double>(n) / std::chrono::duration<double>(t1 - t0).count(),
          static_cast<double>(n) / std::chrono::duration<double>(t2 - t1).count(), ideal, 8.0 * stream.size()};
}

}  // namespace

int main() {
  std::mt19937_64 g(1);
  std::printf("Per-symbol frequency construction from float32 probabilities, %u-bit precision, one lane.\n",
              kDefaultPrecision);
  std::printf("%7s %9s %14s %14s %14s %14s %10s\n", "K", "symbols", "encode sym/s", "decode sym/s", "ideal bits/sym",
              "coded bits/sym", "overhead");
  for (size_t k : {size_t{2}, size_t{256}, size_t{65536}}) {
    const size_t n = k == 65536 ? 20000 : 1000000;
    const Result r = run(k, n, kDefaultPrecision, true, g);
    std::printf("%7zu %9zu %14.3g %14.3g %14.4f %14.4f %9.4f%%\n", k, n, r.enc_sps, r.dec_sps, r.ideal_bits / n,
                r.coded_bits / n, 100 * (r.coded_bits - r.ideal_bits) / r.ideal_bits);
  }
  std::printf("\nThe coder alone (tables built once), K = 256, 1,000,000 symbols:\n");
  const Result c = run(256, 1000000, kDefaultPrecision, false, g);
  std::printf("encode %.3g sym/s, decode %.3g sym/s\n", c.enc_sps, c.dec_sps);
  std::printf("\nOverhead against precision (K = 256 and 65,536; quantization loss + state flush):\n");
  std::printf("%9s %14s %16s %14s %16s\n", "precision", "K=256", "bound K=256", "K=65536", "bound K=65536");
  for (uint32_t prec : {16u, 20u, 24u, 28u}) {
    const Result a = run(256, 1000000, prec, false, g);
    const Result b = run(65536, 100000, prec, false, g);
    std::printf("%9u %13.4f%% %12.2e b/s %13.4f%% %12.2e b/s\n", prec, 100 * (a.coded_bits - a.ideal_bits) / a.ideal_bits,
                quantization_loss_bound_bits(256, prec), 100 * (b.coded_bits - b.ideal_bits) / b.ideal_bits,
                quantization_loss_bound_bits(65536, prec));
  }
  return 0;
}
