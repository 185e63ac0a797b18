// Training, the bound and sampling on a CUDA device against the CPU (skipped without a GPU),
// and bf16 autocast of the forward pass (on the CPU everywhere, on the GPU where there is one).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "ardm/objective/objective.h"
#include "ardm/train/sample.h"
#include "ardm/train/train.h"

namespace fs = std::filesystem;

namespace {

ardm::Model tiny_model(int64_t upscale = 0) {
  ardm::ModelConfig m;
  m.data = ardm::image_spec(1, 8, 8);
  m.net.unet.ch = 8, m.net.unet.ch_mult = {1, 2}, m.net.unet.attn_resolutions = {4}, m.net.unet.num_groups = 4;
  m.process.upscale = upscale;
  if (upscale) m.process.parametrization = "direct";
  ardm::TrainConfig t;
  t.steps = 3, t.batch = 8, t.lr = 1e-3, t.warmup = 0, t.checkpoint_every = 0, t.log_every = 1;
  torch::manual_seed(3);
  return ardm::Model(m, ardm::ObjectiveConfig{}, t);
}

torch::Tensor tiny_data() {
  auto g = ardm::make_generator(11);
  return torch::randint(256, {32, 1, 8, 8}, g, torch::kInt64).to(torch::kUInt8);
}

// The bound's terms for one fixed draw on `device`: [B] float64 on the CPU.
torch::Tensor elbo_on(ardm::Model& model, const torch::Device& device, const ardm::StepDraw& d,
                      const torch::Tensor& x) {
  model.to(device);
  torch::NoGradGuard g;
  auto terms = ardm::bound_terms(*model.process, model.as_fn(model.net), x.to(torch::kInt64).to(device), d.sigma, d.t,
                                 d.stage, 0.0);
  return terms.elbo_bpd.to(torch::kCPU);
}

double first_loss(ardm::Model model, const torch::Device& device, const std::string& autocast) {
  const auto dir = (fs::temp_directory_path() / ("ardm-gpu-" + std::to_string(::getpid()))).string();
  ardm::RunOptions o;
  o.out_dir = dir;
  o.device = device;
  o.progress = false;
  o.autocast = autocast;
  model.train_cfg.steps = 1;
  ardm::train(model, tiny_data(), o);
  std::ifstream in(dir + "/metrics.jsonl");
  std::string row;
  std::getline(in, row);
  fs::remove_all(dir);
  const auto at = row.find("\"loss\":");
  return std::stod(row.substr(at + 7));
}

}  // namespace

TEST(Autocast, Bf16ForwardTrainsCloseToFloat32) {
  // On the CPU here (LibTorch's CPU autocast), on the GPU in GpuTraining below.
  const double f32 = first_loss(tiny_model(), torch::kCPU, "off");
  const double bf16 = first_loss(tiny_model(), torch::kCPU, "bf16");
  std::printf("first-step loss: float32 %.6f, bf16 autocast %.6f\n", f32, bf16);
  EXPECT_NE(f32, bf16);                       // the cast took effect ...
  EXPECT_NEAR(bf16, f32, 0.02 * f32);         // ... at bf16's precision (8 bits of mantissa)
  EXPECT_THROW(first_loss(tiny_model(), torch::kCPU, "fp8"), std::invalid_argument);
}

TEST(Gpu, BoundAndTrainingMatchTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (this LibTorch: CPU only, or no GPU)";
  for (const int64_t upscale : {0, 4}) {
    auto model = tiny_model(upscale);
    const auto x = tiny_data().slice(0, 0, 8);
    auto g = ardm::make_generator(5);
    const auto d = ardm::draw_step(*model.process, 8, ardm::ObjectiveConfig{}, g);
    const auto cpu = elbo_on(model, torch::kCPU, d, x);
    const auto gpu = elbo_on(model, torch::Device("cuda"), d, x);
    // TF32 may be on for CUDA matrix products: 1e-3 relative, not bits.
    EXPECT_TRUE(torch::allclose(cpu, gpu, 1e-3, 1e-3)) << "upscale " << upscale << ": " << cpu << gpu;
    const double on_cpu = first_loss(tiny_model(upscale), torch::kCPU, "off");
    const double on_gpu = first_loss(tiny_model(upscale), torch::Device("cuda"), "off");
    const double on_gpu_bf16 = first_loss(tiny_model(upscale), torch::Device("cuda"), "bf16");
    std::printf("upscale %lld first-step loss: CPU %.6f, GPU %.6f, GPU bf16 %.6f\n", static_cast<long long>(upscale),
                on_cpu, on_gpu, on_gpu_bf16);
    EXPECT_NEAR(on_gpu, on_cpu, 1e-3 * on_cpu);
    EXPECT_NEAR(on_gpu_bf16, on_cpu, 0.02 * on_cpu);
  }
}

TEST(Gpu, SamplesAreValidAndSeeded) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (this LibTorch: CPU only, or no GPU)";
  auto model = tiny_model(4);
  const torch::Device cuda("cuda");
  model.to(cuda);
  const auto policies = model.policy(8, "naive");
  auto g1 = ardm::make_generator(9), g2 = ardm::make_generator(9);
  torch::NoGradGuard ng;
  const auto a = ardm::sample(*model.process, model.as_fn(model.ema), 4, policies, g1, cuda).x.to(torch::kCPU);
  const auto b = ardm::sample(*model.process, model.as_fn(model.ema), 4, policies, g2, cuda).x.to(torch::kCPU);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{4, 1, 8, 8}));
  EXPECT_GE(a.min().item<int64_t>(), 0);
  EXPECT_LT(a.max().item<int64_t>(), 256);
  EXPECT_TRUE(torch::equal(a, b));
}
