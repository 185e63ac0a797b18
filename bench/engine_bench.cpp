// The deterministic engine beside LibTorch's batch-1 codec path, in one run, on the same images.
//   engine_bench CHECKPOINT [images=1000] [budget=20] [threads=2] [batch=16]
// Prints images/s to compress and to decompress (network, frequency tables and rANS; no file
// I/O), the exact code length of each path in bits per dimension, and the round trips.
// LibTorch path: one image per worker thread, each call [1, C, H, W] on one intra-op thread
// (what its files need to decode). Engine path: batches of images per call, every call on all
// threads (its bits do not depend on either).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "ardm/legacy/codec.h"
#include "ardm/data/dataset.h"
#include "ardm/engine/codec.h"
#include "ardm/engine/kernels.h"
#include "ardm/train/export.h"
#include "ardm/codec/stream.h"
#include "ardm/kinds/image/image.h"
#include "ardm/legacy/fallback.h"
#include "ardm/train/model.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: engine_bench CHECKPOINT [images=1000] [budget=20] [threads=2] [batch=16]\n");
    return 2;
  }
  const int64_t n = argc > 2 ? std::stoll(argv[2]) : 1000, budget = argc > 3 ? std::stoll(argv[3]) : 20;
  const int threads = argc > 4 ? std::stoi(argv[4]) : 2;
  const size_t batch = argc > 5 ? std::stoul(argv[5]) : 16;
  ardm::Model model = ardm::load_model(argv[1]);
  const ardm::Codec torch_codec(model);
  const ardm::engine::EngineCodec engine(std::make_shared<const ardm::engine::EngineModel>(ardm::engine_model_of(model)),
                                         threads);
  const auto shape = engine.shape();
  const int64_t D = engine.num_values();
  auto data = ardm::data::load_images("fashion-mnist", "test", n);
  auto flat = data.reshape({n, -1}).contiguous();
  std::vector<std::vector<uint8_t>> images;
  for (int64_t i = 0; i < n; ++i) images.emplace_back(flat[i].data_ptr<uint8_t>(), flat[i].data_ptr<uint8_t>() + D);
  std::printf("%lld Fashion-MNIST test images, budget %lld, %d threads; engine kernel %s, batch %zu\n",
              static_cast<long long>(n), static_cast<long long>(budget), threads,
              ardm::engine::isa_name(ardm::engine::active_isa()), batch);

  // ---- LibTorch, batch 1, one image per worker
  std::vector<ardm::engine::ItemCoder::Encoded> tenc(static_cast<size_t>(n));
  double t0 = now();
  ardm::run_codec_workers(n, threads, [&](int64_t i) {
    const std::vector<uint16_t> v(images[i].begin(), images[i].end());
    tenc[i] = torch_codec.encode(v.data(), budget);
  });
  const double torch_enc = now() - t0;
  std::vector<std::vector<uint8_t>> tfiles(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    tfiles[i] = ardm::legacy::images_file(torch_codec, {std::vector<uint16_t>(images[i].begin(), images[i].end())},
                                          {tenc[i]}, budget);
  std::atomic<int64_t> torch_exact{0};
  t0 = now();
  ardm::run_codec_workers(n, threads, [&](int64_t i) {
    const auto v = ardm::legacy::decode_images(tfiles[i], torch_codec, 1)[0];
    if (std::vector<uint8_t>(v.begin(), v.end()) == images[i]) ++torch_exact;
  });
  const double torch_dec = now() - t0;

  // ---- the engine, batched (the stream codec of `ardm compress`)
  const auto& image = *ardm::kinds::by_name("image");
  const std::vector<int64_t> shape64(shape.begin(), shape.end());
  std::vector<ardm::kinds::Content> contents;
  std::vector<ardm::codec::Source> sources;
  for (const auto& im : images) contents.push_back(ardm::kinds::images_content({im}, shape64));
  for (const auto& c : contents) sources.push_back({&image, &c});
  t0 = now();
  const auto rows = ardm::codec::encode_chunks(sources, engine, budget, batch);
  const double engine_enc = now() - t0;
  std::vector<ardm::engine::ItemCoder::Encoded> eenc;
  for (const auto& r : rows) eenc.push_back(r[0]);
  std::vector<std::vector<uint8_t>> efiles(static_cast<size_t>(n));
  std::vector<ardm::codec::Opened> parsed(static_cast<size_t>(n));
  std::vector<const ardm::codec::Opened*> refs;
  for (int64_t i = 0; i < n; ++i) {
    efiles[i] = ardm::codec::make_file(image, contents[i], ardm::coding::kPartModel, engine, budget, rows[i]).bytes;
    parsed[i] = ardm::codec::open_file(efiles[i].data(), efiles[i].size());
    ardm::codec::bind(parsed[i], engine);
    refs.push_back(&parsed[i]);
  }
  t0 = now();
  const auto back = ardm::codec::decode_files(refs, &engine, batch);
  const double engine_dec = now() - t0;
  int64_t engine_exact = 0;
  for (int64_t i = 0; i < n; ++i) engine_exact += back[i].error.empty() && back[i].content.words == contents[i].words;

  double tbits = 0, ebits = 0, tbytes = 0, ebytes = 0;
  for (int64_t i = 0; i < n; ++i) {
    tbits += tenc[i].model_bits;
    ebits += eenc[i].model_bits;
    tbytes += static_cast<double>(tfiles[i].size());
    ebytes += static_cast<double>(efiles[i].size());
  }
  const double values = static_cast<double>(n * D);
  std::printf("%-28s %12s %12s %12s %12s %10s\n", "path", "compress/s", "decompress/s", "exact bpd", "file bpd", "exact");
  std::printf("%-28s %12.2f %12.2f %12.4f %12.4f %5lld/%lld\n", "LibTorch, batch 1 x workers", n / torch_enc, n / torch_dec,
              tbits / values, 8 * tbytes / values, static_cast<long long>(torch_exact.load()), static_cast<long long>(n));
  std::printf("%-28s %12.2f %12.2f %12.4f %12.4f %5lld/%lld\n", "engine, batched", n / engine_enc, n / engine_dec,
              ebits / values, 8 * ebytes / values, static_cast<long long>(engine_exact), static_cast<long long>(n));
  std::printf("engine / LibTorch: compress %.2fx, decompress %.2fx faster; exact code length %+.4f%%\n",
              torch_enc / engine_enc, torch_dec / engine_dec, 100.0 * (ebits / tbits - 1.0));
  return 0;
}
