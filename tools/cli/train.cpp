// ardm train: a new run from a data source (its kind gives the data spec, network and
// defaults), or --resume of one; data parallel with --nproc or under torchrun.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ardm/core/config_io.h"
#include "ardm/train/dist.h"
#include "ardm/kinds/kind_data.h"
#include "ardm/nets/net.h"
#include "ardm/train/train.h"
#include "common.h"
#include "launch.h"

namespace ardm::cli {
namespace {

// A file removed when this goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

// The checkpoint a rank of a data-parallel run resumes from: rank 0 reads its own; the others get
// rank 0's bytes through the rendezvous store (their machines need no copy of the run folder),
// written to `copy`.
std::string rank_checkpoint(dist::Group& group, const std::string& ckpt, TempFile& copy) {
  std::vector<uint8_t> bytes;
  if (group.rank() == 0) {
    std::ifstream in(ckpt, std::ios::binary);
    if (!in) throw std::runtime_error(ckpt + ": cannot read (nothing to --resume)");
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes = group.share_bytes("checkpoint", bytes, 0);
  if (group.rank() == 0) return ckpt;
  copy.path = (std::filesystem::temp_directory_path() /
               ("ardm-rank" + std::to_string(group.rank()) + "-" + std::to_string(getpid()) + ".pt"))
                  .string();
  std::ofstream out(copy.path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error(copy.path + ": cannot write rank 0's checkpoint");
  return copy.path;
}

class Train : public Command {
 public:
  Train(CLI::App& app, int argc, char** argv) : argc_(argc), argv_(argv) {
    ch_mult_ = join_ints(mc_.net.unet.ch_mult);
    attn_ = join_ints(mc_.net.unet.attn_resolutions);
    auto* t = cmd_ = app.add_subcommand("train", "train an OA-ARDM or an Upscale ARDM; checkpoints go to --out");
    t->add_option("--data", tc_.data,
                  "images: fashion-mnist, photos (scripts/make_photos.py) or a folder of 8-bit gray/RGB PNG files; audio: speech (English), speech-it, "
                  "speech-ru, a .wav file or a folder of them, comma-separated; text: kjv, gcide, linux-doc, debian-manuals, manpages, python-lib, python-doc, corpus "
                  "(all seven; docs/text-corpus.md), a file or a folder of files, comma-separated (e.g. kjv,gcide)")
        ->capture_default_str();
    t->add_option("--vocab", kf_.vocab, "text: bytes (256 classes, any file) or text8 (a-z and space)")
        ->capture_default_str();
    t->add_option("--seq-len", kf_.seq_len, "text: characters per sequence (D)")->capture_default_str();
    t->add_option("--context", kf_.context,
                  "text: characters, audio: samples before each item the network also sees, as given (a stream's "
                  "chunks coded with the ones before them known; 0: none); photos: the margin of pixels above and "
                  "left of each tile (default 8)")
        ->capture_default_str();
    t->add_option("--clip-len", kf_.clip_len, "audio: samples per clip (D)")->capture_default_str();
    t->add_option("--tile", kf_.tile, "photos: the side of the tiles the model codes (D = 3 x tile x tile)")
        ->capture_default_str();
    t->add_option("--width", kf_.width, "text: Transformer width (default 128); audio: DiffWave channels (default 64)");
    t->add_option("--layers", kf_.layers, "text: Transformer blocks (default 4); audio: DiffWave residual blocks (default 12)");
    t->add_option("--dilation-cycle", kf_.cycle, "audio: DiffWave dilations 1..2^(cycle-1), repeated (default 12)");
    t->add_option("--taps", kf_.taps,
                  "audio: the DiffWave's linear prediction head, R samples each side (needs --upscale-param "
                  "logistic; default 0: none); photos: the UNet's, from the (2R+1)^2 pixels around each value in "
                  "every channel (may be given on --resume to grow a network without one)");
    t->add_option("--head", kf_.head,
                  "photos: the form of the UNet's prediction head: linear (weights on the known values) or affine "
                  "(weights that sum to one: a flat window or a copied channel predicted exactly); chosen by a new run, "
                  "or on --resume with --taps growing a head (affine: the network's own means start at zero)")
        ->capture_default_str();
    t->add_option("--heads", kf_.heads, "text: attention heads (default 4)");
    t->add_option("--mlp", kf_.mlp, "text: hidden width of each block's MLP (default 512)");
    t->add_option("--limit", tc_.limit, "use only the first N training items (0 = all)")->capture_default_str();
    t->add_option("--out", out_dir_, "run folder (checkpoint.pt, metrics.jsonl)")->capture_default_str();
    t->add_flag("--resume", resume_, "continue the run in --out from its last checkpoint");
    t->add_option("--steps", tc_.steps, "total optimizer steps")->capture_default_str();
    t->add_option("--minutes", minutes_, "stop after this much wall time (0 = run all --steps)");
    t->add_option("--batch", tc_.batch, "batch size")->capture_default_str();
    t->add_option("--seed", tc_.seed, "seed of all randomness")->capture_default_str();
    t->add_option("--optimizer", tc_.optimizer, "adam or adamw")->capture_default_str();
    t->add_option("--lr", tc_.lr, "learning rate")->capture_default_str();
    t->add_option("--weight-decay", tc_.weight_decay, "decoupled weight decay (adamw)")->capture_default_str();
    t->add_option("--warmup", tc_.warmup, "linear warm-up steps")->capture_default_str();
    t->add_option("--head-lr", tc_.head_lr,
                  "the UNet's prediction head (--taps) learns at this multiple of --lr (may change on --resume)")
        ->capture_default_str();
    t->add_option("--lr-decay", tc_.lr_decay,
                  "the last N of --steps lower the learning rate linearly to a tenth (0 = none; may change on --resume)")
        ->capture_default_str();
    t->add_option("--clip", tc_.clip, "global gradient-norm clip (0 = off)")->capture_default_str();
    t->add_option("--ema", tc_.ema_decay, "EMA decay of the weights used for eval")->capture_default_str();
    t->add_option("--checkpoint-every", tc_.checkpoint_every, "steps between checkpoints")->capture_default_str();
    t->add_option("--log-every", tc_.log_every, "steps between metrics.jsonl rows")->capture_default_str();
    t->add_option("--t-sampling", oc_.t_sampling, "uniform or antithetic")->capture_default_str();
    t->add_option("--ce-term", oc_.ce_term, "weight of the auxiliary cross-entropy")->capture_default_str();
    t->add_option("--upscale", mc_.process.upscale,
                  "0: OA-ARDM; b >= 2: Upscale ARDM generating base-b digits coarsest first (b = 2, 4, 16 for "
                  "8-bit data: 8, 4, 2 stages)")
        ->capture_default_str();
    t->add_option("--upscale-param", mc_.process.parametrization,
                  "Upscale: matrix (K logits per value), direct (S*b logits per value), logistic (a mixture of "
                  "logistics over the values: 16-bit audio), or text8 (text8 data: "
                  "2 stages, space/vowel/consonant then the letter; any --upscale >= 2)")
        ->capture_default_str();
    t->add_option("--order", mc_.process.order,
                  "the orders: random (training draws uniform random orders; exact likelihoods and the codec use "
                  "one of them, seeded) or dyadic (coarse to fine: the positions whose index has the most trailing "
                  "zero bits first, random within each such level; training draws from that family; may change on "
                  "--resume) or quincunx (images: the dyadic levels, each split in two, the centres of the squares "
                  "of coarser pixels first)")
        ->check(CLI::IsMember({"random", "dyadic", "quincunx"}))
        ->capture_default_str();
    t->add_option("--ch", mc_.net.unet.ch, "UNet base width")->capture_default_str();
    t->add_option("--ch-mult", ch_mult_, "width multiplier per level, e.g. 1,2,2")->capture_default_str();
    t->add_option("--num-res-blocks", mc_.net.unet.num_res_blocks, "residual blocks per level")->capture_default_str();
    t->add_option("--attn-res", attn_, "feature-map heights with self-attention, e.g. 7 (empty: none)")
        ->capture_default_str();
    t->add_option("--groups", mc_.net.unet.num_groups, "GroupNorm groups")->capture_default_str();
    t->add_option("--dropout", mc_.net.unet.dropout, "dropout in residual blocks (UNet and Transformer)")
        ->capture_default_str();
    t->add_option("--autocast", autocast_,
                  "bf16: run the forward pass in bfloat16 (autocast; for GPUs with bf16 units and CPUs with AMX or AVX-512 BF16), off: float32")
        ->check(CLI::IsMember({"off", "bf16"}))
        ->capture_default_str();
    t->add_option("--nproc", nproc_,
                  "data parallel on this machine: start N training processes (ranks) of --batch each; "
                  "torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) also start a rank")
        ->check(CLI::Range(1, 1024));
    t->add_option("--dist-timeout", dist_timeout_,
                  "data parallel: seconds to wait for the other ranks (rendezvous and every collective)")
        ->capture_default_str();
    add_common(t, common_);
  }

  bool parsed() const override { return cmd_->parsed(); }
  std::string error_prefix() const override { return prefix_; }

  int run() override {
    if (nproc_ > 0) return launch_local(nproc_, without_nproc(argc_, argv_));
    // A rank of a data-parallel run (launched by --nproc or torchrun) joins its group first, so
    // that any later error reaches the other ranks at once as a closed connection.
    const dist::Env env = dist::env_from_environment();
    if (env.world > 1) {
      prefix_ = "ardm: error: rank " + std::to_string(env.rank) + ": ";
      const char* local = std::getenv("LOCAL_WORLD_SIZE");
      if (!cmd_->count("--threads") && local != nullptr && std::atoi(local) > 1)  // share the cores
        common_.threads = std::max(1, common_.threads / std::atoi(local));
      if (common_.device == "cuda") common_.device = "cuda:" + std::to_string(env.local_rank);  // a GPU per rank
      if (dist_timeout_ <= 0) throw std::invalid_argument("--dist-timeout must be positive");
    }
    const bool lead = env.rank == 0;  // prints and writes
    const torch::Device dev = setup(common_);
    std::unique_ptr<dist::Group> group;
    if (env.world > 1) group = dist::join(env, dev, std::chrono::seconds(static_cast<int64_t>(std::ceil(dist_timeout_))));
    Model model;
    const std::string ckpt = out_dir_ + "/checkpoint.pt";
    std::string resume_from = ckpt;
    TempFile shared_copy;
    torch::Tensor data;
    bool head_grown = false;
    if (resume_) {
      if (group) resume_from = rank_checkpoint(*group, ckpt, shared_copy);
      model = load_model(resume_from);
      // Flags that may change on resume: the total step count, the batch (per rank), how often
      // to save/log, the learning rate and its decay at the end, and the order family.
      if (cmd_->count("--steps")) model.train_cfg.steps = tc_.steps;
      if (cmd_->count("--lr")) model.train_cfg.lr = tc_.lr;
      if (cmd_->count("--batch")) model.train_cfg.batch = tc_.batch;
      if (cmd_->count("--checkpoint-every")) model.train_cfg.checkpoint_every = tc_.checkpoint_every;
      if (cmd_->count("--lr-decay")) model.train_cfg.lr_decay = tc_.lr_decay;
      if (cmd_->count("--head-lr")) model.train_cfg.head_lr = tc_.head_lr;
      if (cmd_->count("--order")) model.set_order(mc_.process.order);
      const bool unet = model.model_cfg.net.type == "unet";
      if (cmd_->count("--taps") && unet && model.model_cfg.net.unet.taps != kf_.taps) {
        // the photo model's head, grown (a network with another head throws)
        model.grow_head(kf_.taps, cmd_->count("--head") ? kf_.head : "linear");
        head_grown = true;
      }
      if (cmd_->count("--head") && unet && model.model_cfg.net.unet.head != kf_.head)
        throw std::invalid_argument("--head " + kf_.head + ": the network's head is " + model.model_cfg.net.unet.head +
                                    " (its form is chosen where the head starts: a new run, or --taps growing one)");
      if (lead)
        std::fprintf(stderr, "resuming %s at step %lld of %lld\n", ckpt.c_str(), static_cast<long long>(model.step),
                     static_cast<long long>(model.train_cfg.steps));
      data = model_data(model, "", "train", model.train_cfg.limit);
    } else {
      if (lead && std::filesystem::exists(ckpt))
        throw std::runtime_error(ckpt + " exists: pass --resume to continue that run, or choose another --out");
      mc_.net.unet.ch_mult = parse_ints(ch_mult_);
      mc_.net.unet.attn_resolutions = parse_ints(attn_);
      kf_.dropout = mc_.net.unet.dropout;
      kf_.given = [this](const std::string& flag) { return cmd_->count(flag) > 0; };
      // The source's kind says what the model is: its data spec, network and defaults.
      const auto& kind = kinds::of_source(tc_.data);
      data = kinds::data_of(kind).start(tc_.data, tc_.limit, kf_, mc_, oc_);
      torch::manual_seed(tc_.seed);  // weight init draws from the global generator
      model = Model(mc_, oc_, tc_);
    }
    if (lead) {
      std::fprintf(stderr, "model: %s, %s, %lld parameters; data: %s; %d thread(s) on %s\n",
                   model.process->describe().c_str(), model.model_cfg.net.type.c_str(),
                   static_cast<long long>(nets::parameter_count(*model.net)),
                   kinds::data_of(kinds::of_spec(model.data())).describe(data, model.data()).c_str(), common_.threads,
                   dev.str().c_str());
      if (group)
        std::fprintf(stderr, "data parallel: %d ranks (%s), batch %lld per rank = %lld per step\n", group->size(),
                     group->backend().c_str(), static_cast<long long>(model.train_cfg.batch),
                     static_cast<long long>(model.train_cfg.batch * group->size()));
    }
    RunOptions ro;
    ro.out_dir = out_dir_;
    ro.device = dev;
    ro.resume = resume_;
    ro.resume_from = resume_from;
    ro.progress = !common_.quiet;
    ro.max_seconds = minutes_ * 60.0;
    ro.group = group.get();
    ro.autocast = autocast_;
    ro.head_grown = head_grown;
    train(model, data, ro);
    if (lead) std::printf("trained to step %lld; checkpoint %s\n", static_cast<long long>(model.step), ckpt.c_str());
    return 0;
  }

 private:
  int argc_;
  char** argv_;
  CLI::App* cmd_ = nullptr;
  ModelConfig mc_;
  ObjectiveConfig oc_;
  TrainConfig tc_;
  kinds::TrainFlags kf_;
  Common common_;
  std::string out_dir_ = "runs/default", ch_mult_, attn_, autocast_ = "off", prefix_ = "ardm: error: ";
  bool resume_ = false;
  double minutes_ = 0, dist_timeout_ = 300;
  int nproc_ = 0;
};

}  // namespace

std::unique_ptr<Command> add_train(CLI::App& app, int argc, char** argv) { return std::make_unique<Train>(app, argc, argv); }

}  // namespace ardm::cli
