// Times of the codec on one thread, next to the network call it is built from.
//   codec_bench MODEL [images=20] [budgets=20,50,100]
// Prints: one network call as the codec makes it (batch 1, one intra-op thread); the same
// images through one batched call (batch 64, all cores), which the codec may not use because
// its outputs differ in the last bits; and per budget the encode and decode time per image on
// one thread, with its ratio to budget x one call (the rest is frequency tables and rANS).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "ardm/legacy/codec.h"
#include "ardm/core/config_io.h"
#include "ardm/data/dataset.h"
#include "ardm/legacy/fallback.h"
#include "ardm/train/model.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: codec_bench MODEL [images=20] [budgets=20,50,100]\n");
    return 2;
  }
  const int64_t n = argc > 2 ? std::stoll(argv[2]) : 20;
  const auto budgets = ardm::parse_ints(argc > 3 ? argv[3] : "20,50,100");
  ardm::Model model = ardm::load_model(argv[1]);
  ardm::Codec codec(model);
  const int64_t D = codec.num_values();
  auto data = ardm::data::load_images("fashion-mnist", "test", std::max<int64_t>(n, 64));
  auto flat = data.reshape({data.size(0), -1}).contiguous();
  const auto sigma = ardm::fixed_order(D, model.objective_cfg.order_seed).view({1, data.size(1), data.size(2), data.size(3)});
  const int64_t t = D / 2;
  const auto& process = *model.process;
  torch::InferenceMode guard;
  // One network call at step t of the first stage, as the codec makes it.
  auto call = [&](const torch::Tensor& x, const torch::Tensor& known) {
    const int64_t B = x.size(0);
    const auto st = ardm::stage_tensor(B, 0, torch::kCPU);
    const auto x_in = ardm::network_input(process.past(x, st), process.future(x, st), known);
    return model.ema->forward(x_in, known, torch::full({B}, t, torch::kInt64), st);
  };

  // Batched: 64 images in one call on all cores.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(cores);
  auto x64 = data.slice(0, 0, 64).to(torch::kInt64);
  auto known64 = (sigma < t).expand({64, data.size(1), data.size(2), data.size(3)});
  call(x64, known64);
  double t0 = now();
  for (int r = 0; r < 3; ++r) call(x64, known64);
  const double batched = (now() - t0) / 3 / 64;

  // The codec's call: batch 1, one thread (run_codec_workers sets that up).
  double single = 0, enc_sum = 0;
  std::vector<double> enc(budgets.size()), dec(budgets.size()), bits(budgets.size()), bytes(budgets.size());
  ardm::run_codec_workers(1, 1, [&](int64_t) {
    auto x1 = x64.slice(0, 0, 1);
    auto known1 = sigma < t;
    call(x1, known1);
    const double s0 = now();
    for (int r = 0; r < 30; ++r) call(x1, known1);
    single = (now() - s0) / 30;
    for (size_t b = 0; b < budgets.size(); ++b) {
      std::vector<ardm::Codec::Encoded> e(static_cast<size_t>(n));
      std::vector<std::vector<uint8_t>> files(static_cast<size_t>(n));
      double e0 = now();
      std::vector<std::vector<uint16_t>> values;
      for (int64_t i = 0; i < n; ++i) values.emplace_back(flat[i].data_ptr<uint8_t>(), flat[i].data_ptr<uint8_t>() + D);
      for (int64_t i = 0; i < n; ++i) {
        const auto& v = values[static_cast<size_t>(i)];
        e[i] = codec.encode(v.data(), budgets[b]);
        files[i] = ardm::legacy::images_file(codec, {v}, {e[i]}, budgets[b]);
      }
      enc[b] = (now() - e0) / static_cast<double>(n);
      double d0 = now();
      for (int64_t i = 0; i < n; ++i) {
        auto v = ardm::legacy::decode_images(files[i], codec, 1)[0];
        if (!std::equal(v.begin(), v.end(), flat[i].data_ptr<uint8_t>())) throw std::runtime_error("round trip failed");
        bits[b] += e[i].model_bits;
        bytes[b] += static_cast<double>(files[i].size());
      }
      dec[b] = (now() - d0) / static_cast<double>(n);
      enc_sum += enc[b];
    }
  });
  std::printf("network call, batch 1, 1 thread (the codec's): %.2f ms per image\n", single * 1e3);
  std::printf("network call, batch 64, %d threads (not bit-reproducible across batch sizes): %.2f ms per image\n",
              cores, batched * 1e3);
  std::printf("| budget | encode ms/image | decode ms/image | encode / (budget x call) | decode / (budget x call) | "
              "file bpd | model bpd |\n|---|---|---|---|---|---|---|\n");
  for (size_t b = 0; b < budgets.size(); ++b)
    std::printf("| %lld | %.1f | %.1f | %.3f | %.3f | %.4f | %.4f |\n", static_cast<long long>(budgets[b]), enc[b] * 1e3,
                dec[b] * 1e3, enc[b] / (static_cast<double>(budgets[b]) * single),
                dec[b] / (static_cast<double>(budgets[b]) * single), 8 * bytes[b] / static_cast<double>(n * D),
                bits[b] / static_cast<double>(n * D));
  std::printf("(%lld images, each encoded and decoded on one thread; every one decoded exactly)\n",
              static_cast<long long>(n));
  return 0;
}
