// The ardm command line: parse flags into config structs, call the library, print results.
// This is the only place that catches exceptions: one line on stderr, exit status 1.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <thread>

#include <unistd.h>

#include "ardm/config_io.h"
#include "ardm/data/audio.h"
#include "ardm/data/dataset.h"
#include "ardm/kinds/image/png.h"
#include "ardm/data/text.h"
#include "ardm/dist.h"
#include "ardm/eval.h"
#include "ardm/sample.h"
#include "ardm/schedule_dp.h"
#include "ardm/model.h"
#include "ardm/nets/net.h"
#include "ardm/train.h"
#include "codec_cli.h"
#include "launch.h"

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
  if (dev.is_cuda() && dev.has_index() && dev.index() >= static_cast<int>(torch::cuda::device_count()))
    throw std::runtime_error("--device " + dev.str() + ": there are " + std::to_string(torch::cuda::device_count()) +
                             " GPU(s) (a data-parallel rank uses cuda:LOCAL_RANK)");
  return dev;
}

std::string ints_text(const std::vector<int64_t>& v) { return ardm::join_ints(v); }

std::string policy_text(const std::vector<int64_t>& p) { return "[" + ardm::join_ints(p) + "]"; }

// A long policy shortened for a status line: its first and last steps.
std::string policy_summary(const std::vector<int64_t>& p) {
  if (p.size() <= 24) return policy_text(p);
  const std::vector<int64_t> head(p.begin(), p.begin() + 10), tail(p.end() - 4, p.end());
  return "[" + ardm::join_ints(head) + ", ... " + std::to_string(p.size() - 14) + " more ..., " +
         ardm::join_ints(tail) + "]";
}

// Writes images [N, C, H, W] (classes 0..255) as one PNG grid.
void write_grid(const std::string& path, const torch::Tensor& images, int64_t cols) {
  auto grid = ardm::image_grid(images, cols);  // [C, H', W'] uint8
  ardm::data::Image8 img;
  img.channels = grid.size(0), img.height = grid.size(1), img.width = grid.size(2);
  auto hwc = grid.permute({1, 2, 0}).contiguous();
  img.pixels.assign(hwc.data_ptr<uint8_t>(), hwc.data_ptr<uint8_t>() + hwc.numel());
  ardm::data::write_png(path, img);
}

// Parses "10,20,50" into total budgets, each valid for the model.
std::vector<int64_t> parse_budgets(const std::string& text, const ardm::Model& model) {
  auto b = ardm::parse_ints(text);
  if (b.empty()) throw std::invalid_argument("--budget needs at least one value");
  for (auto k : b) ardm::check_budget(model, k);
  return b;
}

// "[0, 12, 40]" for one stage; "stage 0 [0, 3] | stage 1 [0, 5, 9]" for several.
std::string policies_text(const ardm::Policies& p, bool shorten) {
  if (p.size() == 1) return shorten ? policy_summary(p[0]) : policy_text(p[0]);
  std::string out;
  for (size_t s = 0; s < p.size(); ++s)
    out += (s ? " | " : "") + std::string("stage ") + std::to_string(s) + " " +
           (shorten ? policy_summary(p[s]) : policy_text(p[s]));
  return out;
}

std::string split_text(const ardm::Policies& p) {
  std::vector<int64_t> k;
  for (const auto& s : p) k.push_back(static_cast<int64_t>(s.size()));
  return "[" + ardm::join_ints(k) + "]";
}

bool is_text(const ardm::Model& m) { return m.data().kind == "text8" || m.data().kind == "bytes"; }
bool is_audio(const ardm::Model& m) { return m.data().kind == "audio"; }
// Bits per dim, per character, per sample.
const char* unit_of(const ardm::Model& m) { return is_text(m) ? "bpc" : is_audio(m) ? "bits/sample" : "bpd"; }
const char* items_of(const ardm::Model& m) { return is_text(m) ? "sequences" : is_audio(m) ? "clips" : "images"; }

// A trained model's data of `split` from `source` (empty: the data it was trained on).
torch::Tensor model_data(const ardm::Model& m, std::string source, const std::string& split, int64_t limit) {
  if (source.empty()) source = m.train_cfg.data;
  if (is_audio(m)) return ardm::data::load_audio(source, split, m.data().shape[0], limit);
  if (!is_text(m)) return ardm::data::load_images(source, split, limit);
  return ardm::data::load_text(source, split, m.data().kind, m.data().shape[0], limit);
}

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
std::string rank_checkpoint(ardm::dist::Group& group, const std::string& ckpt, TempFile& copy) {
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ardm: Autoregressive Diffusion Models (order-agnostic ARDMs) for discrete data"};
  app.require_subcommand(1);

  // ---- train
  ardm::ModelConfig mc;
  ardm::ObjectiveConfig oc;
  ardm::TrainConfig tc;
  Common tcommon;
  std::string out_dir = "runs/default", ch_mult = ints_text(mc.net.unet.ch_mult),
              attn = ints_text(mc.net.unet.attn_resolutions);
  bool resume = false;
  double minutes = 0;
  std::string vocab = "bytes";
  int64_t seq_len = 250, clip_len = 8000;
  auto* train = app.add_subcommand("train", "train an OA-ARDM or an Upscale ARDM on images; checkpoints go to --out");
  train->add_option("--data", tc.data,
                    "images: fashion-mnist or a folder of 8-bit gray/RGB PNG files; audio: speech, a .wav file or a "
                    "folder of them; text: kjv, gcide, a file or a folder of files, comma-separated (e.g. kjv,gcide)")
      ->capture_default_str();
  train->add_option("--vocab", vocab, "text: bytes (256 classes, any file) or text8 (a-z and space)")
      ->capture_default_str();
  train->add_option("--seq-len", seq_len, "text: characters per sequence (D)")->capture_default_str();
  train->add_option("--clip-len", clip_len, "audio: samples per clip (D)")->capture_default_str();
  train->add_option("--width", mc.net.transformer.width,
                    "text: Transformer width (default 128); audio: DiffWave channels (default 64)");
  train->add_option("--layers", mc.net.transformer.layers,
                    "text: Transformer blocks (default 4); audio: DiffWave residual blocks (default 12)");
  train->add_option("--dilation-cycle", mc.net.diffwave.cycle, "audio: DiffWave dilations 1..2^(cycle-1), repeated")
      ->capture_default_str();
  train->add_option("--heads", mc.net.transformer.heads, "text: attention heads")->capture_default_str();
  train->add_option("--mlp", mc.net.transformer.mlp, "text: hidden width of each block's MLP")->capture_default_str();
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
  train->add_option("--upscale", mc.process.upscale,
                    "0: OA-ARDM; b >= 2: Upscale ARDM generating base-b digits coarsest first (b = 2, 4, 16 for "
                    "8-bit data: 8, 4, 2 stages)")
      ->capture_default_str();
  train->add_option("--upscale-param", mc.process.parametrization,
                    "Upscale: matrix (K logits per value), direct (S*b logits per value), or text8 (text8 data: "
                    "2 stages, space/vowel/consonant then the letter; any --upscale >= 2)")
      ->capture_default_str();
  train->add_option("--ch", mc.net.unet.ch, "UNet base width")->capture_default_str();
  train->add_option("--ch-mult", ch_mult, "width multiplier per level, e.g. 1,2,2")->capture_default_str();
  train->add_option("--num-res-blocks", mc.net.unet.num_res_blocks, "residual blocks per level")->capture_default_str();
  train->add_option("--attn-res", attn, "feature-map heights with self-attention, e.g. 7 (empty: none)")
      ->capture_default_str();
  train->add_option("--groups", mc.net.unet.num_groups, "GroupNorm groups")->capture_default_str();
  train->add_option("--dropout", mc.net.unet.dropout, "dropout in residual blocks")->capture_default_str();
  int nproc = 0;
  double dist_timeout = 300;
  std::string autocast = "off";
  train->add_option("--autocast", autocast,
                    "bf16: run the forward pass in bfloat16 (autocast; for GPUs with bf16 units), off: float32")
      ->check(CLI::IsMember({"off", "bf16"}))
      ->capture_default_str();
  train->add_option("--nproc", nproc,
                    "data parallel on this machine: start N training processes (ranks) of --batch each; "
                    "torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) also start a rank")
      ->check(CLI::Range(1, 1024));
  train->add_option("--dist-timeout", dist_timeout,
                    "data parallel: seconds to wait for the other ranks (rendezvous and every collective)")
      ->capture_default_str();
  add_common(train, tcommon);

  // ---- eval
  std::string model_path, eval_data, split = "test";
  int64_t passes = 4, eval_batch = 100, eval_limit = 0;
  uint64_t eval_seed = 1234;
  Common ecommon;
  auto* eval = app.add_subcommand("eval", "print the test-set bound (bits per dim) of a trained model, EMA weights");
  eval->add_option("--model", model_path, "checkpoint (e.g. runs/default/checkpoint.pt)")->required();
  eval->add_option("--data", eval_data, "as train's --data (default: the data the model was trained on)");
  eval->add_option("--split", split, "train or test (fashion-mnist)")->capture_default_str();
  eval->add_option("--limit", eval_limit, "use only the first N images (0 = all)")->capture_default_str();
  eval->add_option("--passes", passes, "passes over the data (random order and step per image each)")
      ->capture_default_str();
  eval->add_option("--batch", eval_batch, "batch size")->capture_default_str();
  eval->add_option("--seed", eval_seed, "seed of the orders and steps")->capture_default_str();
  int64_t eval_budget = 0, exact_limit = -1;
  std::string eval_policy = "optimal";
  eval->add_option("--budget", eval_budget,
                   "also evaluate the parallel model with this many network calls (all stages together): its bound "
                   "and the exact fixed-order code length");
  eval->add_option("--policy", eval_policy, "optimal (DP on the model's loss tracker) or naive (evenly spaced)")
      ->capture_default_str();
  eval->add_option("--exact-limit", exact_limit,
                   "with --budget: the exact fixed-order value on only the first N images (it costs budget calls "
                   "per image; 0 skips it; default: all)");
  add_common(eval, ecommon);

  // ---- schedule
  std::string sched_model, sched_budgets = "10,20,50,100,250";
  bool sched_json = false;
  auto* schedule = app.add_subcommand("schedule", "optimal step schedules for network-call budgets (from the loss tracker)");
  schedule->add_option("--model", sched_model, "checkpoint")->required();
  schedule->add_option("--budget", sched_budgets, "comma-separated budgets")->capture_default_str();
  schedule->add_flag("--json", sched_json, "print JSON instead of text");

  // ---- sample
  std::string sample_model, sample_out = "samples.png", sample_chain, sample_policy = "optimal";
  int64_t sample_count = 16, sample_budget = 0, sample_cols = 0, sample_rate = 8000;
  uint64_t sample_seed = 0;
  Common scommon;
  auto* samp = app.add_subcommand("sample", "generate images (a PNG grid), text (printed) or audio (WAV files) along a schedule");
  samp->add_option("--model", sample_model, "checkpoint")->required();
  samp->add_option("--count", sample_count, "number of samples")->capture_default_str();
  samp->add_option("--budget", sample_budget, "network calls per sample, all stages (0 = all S*D steps)")->capture_default_str();
  samp->add_option("--policy", sample_policy, "optimal or naive")->capture_default_str();
  samp->add_option("--seed", sample_seed, "seed of orders and draws")->capture_default_str();
  samp->add_option("--out", sample_out,
                   "PNG grid of the samples (text models: a text file, they are printed too; audio models: "
                   "OUT-1.wav, OUT-2.wav, ...)")
      ->capture_default_str();
  samp->add_option("--rate", sample_rate, "audio: sample rate written in the WAV files")->capture_default_str();
  samp->add_option("--chain", sample_chain, "also write the generation chain as a PNG (rows: samples, columns: steps)");
  samp->add_option("--cols", sample_cols, "grid columns (0 = square)");
  add_common(samp, scommon);

  // ---- text: a text source's split as one file (what the text benchmarks compress)
  std::string text_data = "kjv", text_split = "test", text_out;
  auto* text_cmd = app.add_subcommand("text", "write a text source's split as one file (e.g. the Bible's test books)");
  text_cmd->add_option("--data", text_data, "kjv, gcide, a file or a folder (comma-separated)")->capture_default_str();
  text_cmd->add_option("--split", text_split, "train, valid, test or all")->capture_default_str();
  text_cmd->add_option("--out", text_out, "file to write")->required();

  // ---- audio: a split's WAV files copied into a folder (what the audio benchmark compresses)
  std::string audio_data = "speech", audio_split = "test", audio_out;
  auto* audio_cmd = app.add_subcommand("audio", "copy an audio source's split (e.g. the speech test files) into a folder");
  audio_cmd->add_option("--data", audio_data, "speech, a .wav file or a folder of them")->capture_default_str();
  audio_cmd->add_option("--split", audio_split, "train, valid, test or all")->capture_default_str();
  audio_cmd->add_option("--out", audio_out, "folder to write into")->required();

  // ---- compress, decompress, images, export
  ardm::cli::CodecCommands codec(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (codec.parsed()) return codec.run();
  if (train->parsed() && nproc > 0) {
    try {
      return ardm::cli::launch_local(nproc, ardm::cli::without_nproc(argc, argv));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ardm: error: %s\n", e.what());
      return 1;
    }
  }
  std::string error_prefix = "ardm: error: ";

  try {
    if (audio_cmd->parsed()) {
      const auto files = ardm::data::audio_files(audio_data, audio_split);
      std::filesystem::create_directories(audio_out);
      std::set<std::string> names;
      for (const auto& f : files) {
        // Names are made unique by their path below the source (digits/1.wav -> digits-1.wav).
        std::string rel = audio_data == "speech" ? std::filesystem::relative(f, ardm::data::speech_folder()).string()
                                                 : std::filesystem::path(f).filename().string();
        std::replace(rel.begin(), rel.end(), '/', '-');
        if (!names.insert(rel).second) throw std::runtime_error("two files would be written as " + rel);
        std::filesystem::copy_file(f, std::filesystem::path(audio_out) / rel,
                                   std::filesystem::copy_options::overwrite_existing);
      }
      std::printf("wrote %zu WAV files to %s (%s, %s)\n", files.size(), audio_out.c_str(), audio_data.c_str(),
                  audio_split.c_str());
    } else if (text_cmd->parsed()) {
      std::string all;
      for (const auto& d : ardm::data::text_documents(text_data, text_split)) all += d;
      std::ofstream(text_out, std::ios::binary) << all;
      std::printf("wrote %s: %zu bytes (%s, %s)\n", text_out.c_str(), all.size(), text_data.c_str(), text_split.c_str());
    } else if (train->parsed()) {
      // A rank of a data-parallel run (launched by --nproc or torchrun) joins its group first, so
      // that any later error reaches the other ranks at once as a closed connection.
      const ardm::dist::Env env = ardm::dist::env_from_environment();
      if (env.world > 1) {
        error_prefix = "ardm: error: rank " + std::to_string(env.rank) + ": ";
        const char* local = std::getenv("LOCAL_WORLD_SIZE");
        if (!train->count("--threads") && local != nullptr && std::atoi(local) > 1)  // share the cores
          tcommon.threads = std::max(1, tcommon.threads / std::atoi(local));
        if (tcommon.device == "cuda") tcommon.device = "cuda:" + std::to_string(env.local_rank);  // a GPU per rank
        if (dist_timeout <= 0) throw std::invalid_argument("--dist-timeout must be positive");
      }
      const bool lead = env.rank == 0;  // prints and writes
      const torch::Device dev = setup(tcommon);
      std::unique_ptr<ardm::dist::Group> group;
      if (env.world > 1)
        group = ardm::dist::join(env, dev, std::chrono::seconds(static_cast<int64_t>(std::ceil(dist_timeout))));
      ardm::Model model;
      const std::string ckpt = out_dir + "/checkpoint.pt";
      std::string resume_from = ckpt;
      TempFile shared_copy;
      if (resume) {
        if (group) resume_from = rank_checkpoint(*group, ckpt, shared_copy);
        model = ardm::load_model(resume_from);
        // Flags that may change on resume: the total step count, the batch (per rank) and how
        // often to save/log.
        if (train->count("--steps")) model.train_cfg.steps = tc.steps;
        if (train->count("--batch")) model.train_cfg.batch = tc.batch;
        if (train->count("--checkpoint-every")) model.train_cfg.checkpoint_every = tc.checkpoint_every;
        if (lead)
          std::fprintf(stderr, "resuming %s at step %lld of %lld\n", ckpt.c_str(), static_cast<long long>(model.step),
                       static_cast<long long>(model.train_cfg.steps));
      } else {
        if (lead && std::filesystem::exists(ckpt))
          throw std::runtime_error(ckpt + " exists: pass --resume to continue that run, or choose another --out");
        mc.net.unet.ch_mult = ardm::parse_ints(ch_mult);
        mc.net.unet.attn_resolutions = ardm::parse_ints(attn);
      }
      torch::Tensor data;
      if (model.net) {
        data = model_data(model, "", "train", model.train_cfg.limit);
      } else {
        if (ardm::data::is_image_source(tc.data)) {
          data = ardm::data::load_images(tc.data, "train", tc.limit);
          mc.data = ardm::image_spec(data.size(1), data.size(2), data.size(3));
        } else if (ardm::data::is_audio_source(tc.data)) {
          data = ardm::data::load_audio(tc.data, "train", clip_len, tc.limit);
          mc.data = ardm::audio_spec(clip_len);
          mc.net.type = "diffwave";
          if (train->count("--width")) mc.net.diffwave.width = mc.net.transformer.width;
          if (train->count("--layers")) mc.net.diffwave.layers = mc.net.transformer.layers;
          if (!train->count("--upscale")) mc.process.upscale = 16;  // 4 stages of 4 bits
          if (!train->count("--upscale-param")) mc.process.parametrization = "direct";
          if (!train->count("--ce-term")) oc.ce_term = 1e-4;  // the paper's audio setting
        } else {
          data = ardm::data::load_text(tc.data, "train", vocab, seq_len, tc.limit);
          mc.data = ardm::text_spec(vocab, seq_len);
          mc.net.type = "transformer";
          mc.net.transformer.dropout = mc.net.unet.dropout;
          if (!train->count("--ce-term")) oc.ce_term = 1e-4;  // the paper's text setting
        }
        torch::manual_seed(tc.seed);  // weight init draws from the global generator
        model = ardm::Model(mc, oc, tc);
      }
      std::string what = std::to_string(data.size(0)) + " " +
                         (is_text(model)    ? "sequences of " + std::to_string(data.size(1)) + " (" + model.data().kind + ")"
                          : is_audio(model) ? "clips of " + std::to_string(data.size(1)) + " samples"
                                            : "images " + std::to_string(data.size(3)) + "x" + std::to_string(data.size(2)) +
                                               "x" + std::to_string(data.size(1)));
      if (lead) {
        std::fprintf(stderr, "model: %s, %s, %lld parameters; data: %s; %d thread(s) on %s\n",
                     model.process->describe().c_str(), model.model_cfg.net.type.c_str(),
                     static_cast<long long>(ardm::nets::parameter_count(*model.net)), what.c_str(), tcommon.threads,
                     dev.str().c_str());
        if (group)
          std::fprintf(stderr, "data parallel: %d ranks (%s), batch %lld per rank = %lld per step\n", group->size(),
                       group->backend().c_str(), static_cast<long long>(model.train_cfg.batch),
                       static_cast<long long>(model.train_cfg.batch * group->size()));
      }
      ardm::RunOptions ro;
      ro.out_dir = out_dir;
      ro.device = dev;
      ro.resume = resume;
      ro.resume_from = resume_from;
      ro.progress = !tcommon.quiet;
      ro.max_seconds = minutes * 60.0;
      ro.group = group.get();
      ro.autocast = autocast;
      ardm::train(model, data, ro);
      if (lead) std::printf("trained to step %lld; checkpoint %s\n", static_cast<long long>(model.step), ckpt.c_str());
    } else if (eval->parsed()) {
      const torch::Device dev = setup(ecommon);
      ardm::Model model = ardm::load_model(model_path);
      const auto data = model_data(model, eval_data, split, eval_limit);
      const char* unit = unit_of(model);
      const char* items = items_of(model);
      if (eval_budget == 0) {
        const auto r = ardm::evaluate(model, data, passes, eval_batch, eval_seed, dev, !ecommon.quiet);
        std::printf("test bound: %.4f +- %.4f %s (%lld %s x %lld pass%s, EMA weights, step %lld)\n", r.bpd,
                    r.stderr_bpd, unit, static_cast<long long>(r.images), items, static_cast<long long>(passes), passes == 1 ? "" : "es",
                    static_cast<long long>(model.step));
      } else {
        const auto policy = model.policy(eval_budget, eval_policy);
        const double predicted = model.predicted_cost(policy);
        std::printf("%s policy, budget %lld%s: %s\n", eval_policy.c_str(), static_cast<long long>(eval_budget),
                    policy.size() > 1 ? (" split " + split_text(policy)).c_str() : "",
                    policies_text(policy, true).c_str());
        std::printf("predicted from the loss tracker: %.4f %s\n", predicted, unit);
        const auto b = ardm::evaluate_policy_bound(model, data, policy, passes, eval_batch, eval_seed, dev,
                                                   !ecommon.quiet);
        std::printf("policy bound: %.4f +- %.4f %s (%lld %s x %lld pass%s)\n", b.bpd, b.stderr_bpd,
                    unit, static_cast<long long>(b.images), items, static_cast<long long>(passes), passes == 1 ? "" : "es");
        if (exact_limit == 0) return 0;
        const auto exact_data = exact_limit > 0 ? data.slice(0, 0, std::min(exact_limit, data.size(0))) : data;
        const auto e = ardm::evaluate_fixed_order(model, exact_data, policy, eval_batch, dev, !ecommon.quiet);
        std::printf("exact fixed-order: %.4f %s (+- %.4f over %s; %lld %s, %lld network calls each, "
                    "order seed %llu)\n",
                    e.bpd, unit, e.stderr_images, items, static_cast<long long>(e.images), items, static_cast<long long>(e.network_calls),
                    static_cast<unsigned long long>(model.objective_cfg.order_seed));
      }
    } else if (schedule->parsed()) {
      ardm::Model model = ardm::load_model(sched_model);
      const int64_t S = model.num_stages(), D = model.num_values();
      const auto budgets = parse_budgets(sched_budgets, model);
      const auto table = model.schedules(*std::max_element(budgets.begin(), budgets.end()));
      const double full = model.predicted_cost(model.policy(S * D, "naive"));
      // The JSON is built whole and printed at the end; nlohmann writes a non-finite cost as null.
      nlohmann::ordered_json json = {{"process", model.process->describe()}, {"stages", S}, {"steps_per_stage", D},
                                     {"full_bpd", full}, {"budgets", nlohmann::ordered_json::array()}};
      if (!sched_json)
        std::printf("model %s: %s, %lld steps per stage; all steps: %.4f %s (loss tracker)\n", sched_model.c_str(),
                    model.process->describe().c_str(), static_cast<long long>(D), full, unit_of(model));
      for (size_t i = 0; i < budgets.size(); ++i) {
        const int64_t k = budgets[i];
        const auto p = table.policies(k);
        const double naive = model.predicted_cost(model.policy(k, "naive"));
        if (sched_json) {
          std::vector<int64_t> split;
          for (const auto& s : p) split.push_back(static_cast<int64_t>(s.size()));
          json["budgets"].push_back(nlohmann::ordered_json{{"budget", k},
                                                           {"optimal_bpd", table.best_cost[static_cast<size_t>(k)]},
                                                           {"naive_bpd", naive},
                                                           {"split", split},
                                                           {"policies", p}});
        } else {
          std::printf("budget %4lld: optimal %.4f %s, naive %.4f %s; %s%s\n", static_cast<long long>(k),
                      table.best_cost[static_cast<size_t>(k)], unit_of(model), naive, unit_of(model), S > 1 ? ("split " + split_text(p) + "; ").c_str() : "policy ",
                      policies_text(p, false).c_str());
        }
      }
      if (sched_json) std::printf("%s\n", json.dump().c_str());
    } else if (samp->parsed()) {
      const torch::Device dev = setup(scommon);
      ardm::Model model = ardm::load_model(sample_model);
      if (sample_count < 1) throw std::invalid_argument("--count must be at least 1");
      const int64_t budget = sample_budget == 0 ? model.num_steps() : sample_budget;
      const auto policy = model.policy(budget, sample_policy);
      torch::NoGradGuard no_grad;
      model.ema->to(dev);
      model.ema->eval();
      auto gen = ardm::make_generator(sample_seed);
      const auto t0 = std::chrono::steady_clock::now();
      auto s = ardm::sample(*model.process, model.as_fn(model.ema), sample_count, policy, gen, dev, !sample_chain.empty());
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (is_audio(model)) {
        // One 16-bit WAV per sample: OUT.wav -> OUT-1.wav, OUT-2.wav, ...
        const auto x = s.x.cpu().to(torch::kInt32).contiguous();
        std::string stem = samp->count("--out") ? sample_out : "samples.wav";
        if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".wav") == 0) stem.resize(stem.size() - 4);
        for (int64_t i = 0; i < sample_count; ++i) {
          std::vector<int16_t> pcm(static_cast<size_t>(x.size(1)));
          const int32_t* v = x.data_ptr<int32_t>() + i * x.size(1);
          for (int64_t j = 0; j < x.size(1); ++j) pcm[static_cast<size_t>(j)] = static_cast<int16_t>(v[j] - 32768);
          ardm::data::write_wav(stem + "-" + std::to_string(i + 1) + ".wav", pcm, sample_rate);
        }
        std::printf("wrote %lld samples to %s-1.wav ... (%lld Hz, %lld network calls each, %s policy, %.2f s)\n",
                    static_cast<long long>(sample_count), stem.c_str(), static_cast<long long>(sample_rate),
                    static_cast<long long>(budget), sample_policy.c_str(), secs);
        return 0;
      }
      if (is_text(model)) {
        // Text samples go to stdout, one per block; --out FILE also writes them there.
        const auto x = s.x.cpu().to(torch::kUInt8).contiguous();
        std::string all;
        for (int64_t i = 0; i < sample_count; ++i)
          all += "--- sample " + std::to_string(i + 1) + " (" + std::to_string(budget) + " network calls) ---\n" +
                 ardm::data::classes_to_text(x[i].data_ptr<uint8_t>(), static_cast<size_t>(x.size(1)), model.data().kind) +
                 "\n";
        std::fwrite(all.data(), 1, all.size(), stdout);
        if (samp->count("--out")) std::ofstream(sample_out, std::ios::binary) << all;
        std::fprintf(stderr, "%lld samples, %lld network calls each, %s policy, %.2f s\n",
                     static_cast<long long>(sample_count), static_cast<long long>(budget), sample_policy.c_str(), secs);
        return 0;
      }
      const int64_t cols = sample_cols > 0 ? sample_cols
                                           : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(sample_count))));
      write_grid(sample_out, s.x.cpu(), cols);
      if (!sample_chain.empty()) {
        // Up to 8 samples (rows) at up to 10 evenly spaced points of the chain (columns).
        const int64_t rows = std::min<int64_t>(sample_count, 8);
        const int64_t frames = std::min<int64_t>(static_cast<int64_t>(s.chain.size()), 10);
        std::vector<torch::Tensor> cells;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t f = 0; f < frames; ++f) {
            const auto at = frames == 1 ? 0 : f * (static_cast<int64_t>(s.chain.size()) - 1) / (frames - 1);
            cells.push_back(s.chain[static_cast<size_t>(at)][r]);
          }
        write_grid(sample_chain, torch::stack(cells), frames);
      }
      std::printf("wrote %lld samples to %s (%lld network calls each, %s policy, %.2f s, %.3f s per call)\n",
                  static_cast<long long>(sample_count), sample_out.c_str(), static_cast<long long>(budget),
                  sample_policy.c_str(), secs, secs / static_cast<double>(budget));
    }
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix.c_str(), e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix.c_str(), e.what());
    return 1;
  }
  return 0;
}
