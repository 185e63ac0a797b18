// The ardm command line: parse flags into config structs, call the library, print results.
// This is the only place that catches exceptions: one line on stderr, exit status 1.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "ardm/config_io.h"
#include "ardm/data/dataset.h"
#include "ardm/model.h"
#include "ardm/nets/unet.h"
#include "ardm/train.h"

namespace {

struct Common {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string device = "cpu";
  bool quiet = false;
};

void add_common(CLI::App* app, Common& c) {
  app->add_option("--threads", c.threads, "intra-op CPU threads (default: all cores)")->capture_default_str();
  app->add_option("--device", c.device, "cpu, cuda or cuda:N (cuda needs a CUDA build of LibTorch)")
      ->capture_default_str();
  app->add_flag("-q,--quiet", c.quiet, "no progress line");
}

torch::Device setup(const Common& c) {
  if (c.threads < 1) throw std::invalid_argument("--threads must be at least 1");
  torch::set_num_threads(c.threads);
  torch::Device dev(c.device);
  if (dev.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("--device " + c.device + ": this LibTorch build has no CUDA support or sees no GPU");
  return dev;
}

std::string ints_text(const std::vector<int64_t>& v) { return ardm::join_ints(v); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ardm: Autoregressive Diffusion Models (order-agnostic ARDMs) for discrete data"};
  app.require_subcommand(1);

  // ---- train
  ardm::ModelConfig mc;
  ardm::ObjectiveConfig oc;
  ardm::TrainConfig tc;
  Common tcommon;
  std::string out_dir = "runs/default", ch_mult = ints_text(mc.ch_mult), attn = ints_text(mc.attn_resolutions);
  bool resume = false;
  double minutes = 0;
  auto* train = app.add_subcommand("train", "train an OA-ARDM on images; checkpoints go to --out");
  train->add_option("--data", tc.data, "fashion-mnist, or a folder of 8-bit gray/RGB PNG files")->capture_default_str();
  train->add_option("--limit", tc.limit, "use only the first N training images (0 = all)")->capture_default_str();
  train->add_option("--out", out_dir, "run folder (checkpoint.pt, metrics.jsonl)")->capture_default_str();
  train->add_flag("--resume", resume, "continue the run in --out from its last checkpoint");
  train->add_option("--steps", tc.steps, "total optimizer steps")->capture_default_str();
  train->add_option("--minutes", minutes, "stop after this much wall time (0 = run all --steps)");
  train->add_option("--batch", tc.batch, "batch size")->capture_default_str();
  train->add_option("--seed", tc.seed, "seed of all randomness")->capture_default_str();
  train->add_option("--optimizer", tc.optimizer, "adam or adamw")->capture_default_str();
  train->add_option("--lr", tc.lr, "learning rate")->capture_default_str();
  train->add_option("--weight-decay", tc.weight_decay, "decoupled weight decay (adamw)")->capture_default_str();
  train->add_option("--warmup", tc.warmup, "linear warm-up steps")->capture_default_str();
  train->add_option("--clip", tc.clip, "global gradient-norm clip (0 = off)")->capture_default_str();
  train->add_option("--ema", tc.ema_decay, "EMA decay of the weights used for eval")->capture_default_str();
  train->add_option("--checkpoint-every", tc.checkpoint_every, "steps between checkpoints")->capture_default_str();
  train->add_option("--log-every", tc.log_every, "steps between metrics.jsonl rows")->capture_default_str();
  train->add_option("--t-sampling", oc.t_sampling, "uniform or antithetic")->capture_default_str();
  train->add_option("--ce-term", oc.ce_term, "weight of the auxiliary cross-entropy")->capture_default_str();
  train->add_option("--ch", mc.ch, "UNet base width")->capture_default_str();
  train->add_option("--ch-mult", ch_mult, "width multiplier per level, e.g. 1,2,2")->capture_default_str();
  train->add_option("--num-res-blocks", mc.num_res_blocks, "residual blocks per level")->capture_default_str();
  train->add_option("--attn-res", attn, "feature-map heights with self-attention, e.g. 7 (empty: none)")
      ->capture_default_str();
  train->add_option("--groups", mc.num_groups, "GroupNorm groups")->capture_default_str();
  train->add_option("--dropout", mc.dropout, "dropout in residual blocks")->capture_default_str();
  add_common(train, tcommon);

  // ---- eval
  std::string model_path, eval_data = "fashion-mnist", split = "test";
  int64_t passes = 4, eval_batch = 100, eval_limit = 0;
  uint64_t eval_seed = 1234;
  Common ecommon;
  auto* eval = app.add_subcommand("eval", "print the test-set bound (bits per dim) of a trained model, EMA weights");
  eval->add_option("--model", model_path, "checkpoint (e.g. runs/default/checkpoint.pt)")->required();
  eval->add_option("--data", eval_data, "fashion-mnist, or a folder of PNG files")->capture_default_str();
  eval->add_option("--split", split, "train or test (fashion-mnist)")->capture_default_str();
  eval->add_option("--limit", eval_limit, "use only the first N images (0 = all)")->capture_default_str();
  eval->add_option("--passes", passes, "passes over the data (random order and step per image each)")
      ->capture_default_str();
  eval->add_option("--batch", eval_batch, "batch size")->capture_default_str();
  eval->add_option("--seed", eval_seed, "seed of the orders and steps")->capture_default_str();
  add_common(eval, ecommon);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (train->parsed()) {
      const torch::Device dev = setup(tcommon);
      ardm::Model model;
      const std::string ckpt = out_dir + "/checkpoint.pt";
      if (resume) {
        model = ardm::load_model(ckpt);
        // Flags that may change on resume: the total step count and how often to save/log.
        if (train->count("--steps")) model.train_cfg.steps = tc.steps;
        if (train->count("--checkpoint-every")) model.train_cfg.checkpoint_every = tc.checkpoint_every;
        std::fprintf(stderr, "resuming %s at step %lld of %lld\n", ckpt.c_str(), static_cast<long long>(model.step),
                     static_cast<long long>(model.train_cfg.steps));
      } else {
        if (std::filesystem::exists(ckpt))
          throw std::runtime_error(ckpt + " exists: pass --resume to continue that run, or choose another --out");
        mc.ch_mult = ardm::parse_ints(ch_mult);
        mc.attn_resolutions = ardm::parse_ints(attn);
      }
      const auto data = ardm::data::load_images(model.net ? model.train_cfg.data : tc.data, "train",
                                                model.net ? model.train_cfg.limit : tc.limit);
      if (!model.net) {
        mc.channels = data.size(1);
        mc.height = data.size(2);
        mc.width = data.size(3);
        torch::manual_seed(tc.seed);  // weight init draws from the global generator
        model = ardm::Model(mc, oc, tc);
      }
      std::fprintf(stderr, "model: UNet, %lld parameters; data: %lld images %lldx%lldx%lld; %d thread(s) on %s\n",
                   static_cast<long long>(ardm::nets::parameter_count(*model.net)),
                   static_cast<long long>(data.size(0)), static_cast<long long>(data.size(1)),
                   static_cast<long long>(data.size(2)), static_cast<long long>(data.size(3)), tcommon.threads,
                   dev.str().c_str());
      ardm::RunOptions ro;
      ro.out_dir = out_dir;
      ro.device = dev;
      ro.resume = resume;
      ro.progress = !tcommon.quiet;
      ro.max_seconds = minutes * 60.0;
      ardm::train(model, data, ro);
      std::printf("trained to step %lld; checkpoint %s\n", static_cast<long long>(model.step), ckpt.c_str());
    } else if (eval->parsed()) {
      const torch::Device dev = setup(ecommon);
      ardm::Model model = ardm::load_model(model_path);
      const auto data = ardm::data::load_images(eval_data, split, eval_limit);
      const auto r = ardm::evaluate(model, data, passes, eval_batch, eval_seed, dev, !ecommon.quiet);
      std::printf("test bound: %.4f +- %.4f bpd (%lld images x %lld passes, EMA weights, step %lld)\n", r.bpd,
                  r.stderr_bpd, static_cast<long long>(r.images), static_cast<long long>(passes),
                  static_cast<long long>(model.step));
    }
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "ardm: error: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ardm: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
