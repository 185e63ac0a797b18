// ardm's codec subcommands: compress and decompress (codec/files.h, shared with ardm-decode)
// and export (a model for the engine).
#include "command.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "ardm/codec/files.h"
#include "ardm/core/config_io.h"
#include "ardm/data/dataset.h"
#include "ardm/train/export.h"
#include "ardm/kinds/image/image.h"
#include "ardm/legacy/fallback.h"
#include "ardm/train/model.h"
#include "ardm/util/atomic_file.h"
#include "ardm/util/progress.h"

namespace fs = std::filesystem;

namespace ardm::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The codec's network runs in the torch-free engine on the CPU: a decoder must reproduce the
// encoder's probabilities bit for bit on any machine, and GPU kernels (other summation orders,
// fused multiply-adds, other exp/log) do not give the CPU's bits, nor one GPU's another's.
void check_codec_device(const std::string& device) {
  if (device != "cpu")
    throw std::invalid_argument("--device " + device +
                                ": the codec runs on the CPU only; a file must decode to the same bits on every "
                                "machine, and GPU arithmetic does not give the same bits as the CPU's (train, eval "
                                "and sample run on GPUs)");
}

struct State {
  CLI::App* compress = nullptr;
  CLI::App* decompress = nullptr;
  CLI::App* exporter = nullptr;

  // shared flags
  std::string model;
  std::string output;
  std::vector<std::string> inputs;
  bool to_stdout = false, force = false, keep = false, verbose = false, quiet = false;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t batch = 16;
  std::string device = "cpu";
  // compress
  int64_t budget = codec::kDefaultBudget;
  int level = 0;  // -1 .. -9 (0: --budget, whose default is level 6's)
  std::string data, split = "test";
  int64_t limit = 0;
  bool verify = false;
  std::string method_flag = "auto";
  // export
  std::string export_out, export_order, export_history;

  void add_io_flags(CLI::App* c, const char* what) {
    c->add_option("--model", model,
                  "engine model (.ardmnet, from `ardm export`) or checkpoint (default: $ARDM_MODEL, else the bundled model)");
    c->add_option("-o,--output", output,
                  "output file; with several inputs, or when it is an existing folder, the folder to write into");
    c->add_flag("-c,--stdout", to_stdout, "write to standard output, keep the inputs");
    c->add_flag("-f,--force", force, "overwrite existing outputs; write binary data to a terminal");
    c->add_flag("-k,--keep", keep, "keep the inputs (they are removed after success unless -k, -c or -o)");
    c->add_flag("-v,--verbose", verbose, "one line per file: sizes, bits per pixel, time");
    c->add_flag("-q,--quiet", quiet, "no progress bar and no summary, only errors");
    c->add_option("--threads", threads, "threads of the inference engine (default: all cores)")->capture_default_str();
    c->add_option("--batch", batch, "images per network call (the bits do not depend on it)")->capture_default_str();
    c->add_option("--device", device, "cpu only: the engine gives the same bits on every CPU, a GPU would not")
        ->capture_default_str();
    c->add_option("inputs", inputs, what);
  }

  int run_compress();
  int run_compress_data();
  int run_decompress();
  int run_export();
  codec::FileOptions options() const {
    codec::FileOptions o;
    o.model = model;
    o.load = [](const std::string& path) { return load_engine_model(path); };
    o.output = output;
    o.to_stdout = to_stdout, o.force = force, o.keep = keep, o.verbose = verbose, o.quiet = quiet;
    o.threads = threads;
    o.batch = static_cast<size_t>(batch);
    o.budget = budget;
    o.level = level;
    o.method = method_flag;
    return o;
  }
};

// The three subcommands share their flags' storage.
class CodecCommand : public Command {
 public:
  explicit CodecCommand(CLI::App& app);
  bool parsed() const override {
    return s_->compress->parsed() || s_->decompress->parsed() || s_->exporter->parsed();
  }
  int run() override {
    if (s_->compress->parsed()) return s_->data.empty() ? s_->run_compress() : s_->run_compress_data();
    if (s_->decompress->parsed()) return s_->run_decompress();
    return s_->run_export();
  }

 private:
  std::unique_ptr<State> s_;
};

CodecCommand::CodecCommand(CLI::App& app) : s_(std::make_unique<State>()) {
  auto& s = *s_;
  s.compress = app.add_subcommand("compress",
                                  "compress files losslessly with a trained model (X -> X.ardm): PNG images with the "
                                  "image model, WAV files with the audio model, any other file with the byte-level "
                                  "text model");
  s.add_io_flags(s.compress, "files ('-' or none: stdin to stdout)");
  auto* budget = s.compress->add_option("--budget", s.budget,
                                        "network calls per image, text chunk or audio chunk: more is smaller and slower "
                                        "(exact control; the levels choose it per kind)")
                     ->capture_default_str();
  for (int l = 1; l <= 9; ++l) {
    auto* f = s.compress->add_flag_callback("-" + std::to_string(l), [&s, l] { s.level = l; },
                                            l == 1 ? "-1 (fast) .. -9 (small): the model's budget for each kind (the default is -6)"
                                                   : "");
    f->excludes(budget);
    if (l > 1) f->group("");  // one line of help for the nine
  }
  s.compress->add_option("--data", s.data,
                         "compress a data set item by item instead (fashion-mnist, or a folder of PNG files) into "
                         "the folder -o (default: <data>-<split>-ardm) and report the bits per pixel");
  s.compress->add_option("--split", s.split, "with --data fashion-mnist: train or test")->capture_default_str();
  s.compress->add_option("--limit", s.limit, "with --data: only the first N images (0 = all)");
  s.compress->add_flag("--verify", s.verify, "with --data: read every file back and decode it (a full round trip)");
  s.compress->add_option("--method", s.method_flag,
                         "auto (the smallest, file by file and chunk by chunk), or always model, stored, chunks (each "
                         "chunk by its smallest method) or one of the kind's own codecs (images: jxl, webp; audio: wavpack, "
                         "flac; other files: xz, bzip2, zstd, brotli)")
      ->capture_default_str();

  s.decompress = app.add_subcommand("decompress",
                                    "decode .ardm files back to the original (X.ardm -> X; images as PNG)");
  s.add_io_flags(s.decompress, ".ardm files ('-' or none: stdin to stdout)");

  s.exporter = app.add_subcommand("export",
                                  "export a checkpoint for the inference engine (OUT.ardmnet: for compress, "
                                  "decompress and ardm-decode), or as a weights-only checkpoint (OUT.pt)");
  s.exporter->add_option("--model", s.model, "checkpoint")->required();
  s.exporter->add_option("--out", s.export_out, "the model file to write: .ardmnet (engine) or .pt (checkpoint)")->required();
  s.exporter->add_option("--order", s.export_order,
                         "the fixed order the model codes with: random (seeded; the budget's steps merged by the "
                         "dynamic program), dyadic (coarse to fine, seeded random within each level; merged by the "
                         "dynamic program) or streams (sequences: for budget B, ceil(D/B) runs each coded left to "
                         "right, one value of every run per call) or adaptive (with --history mix: streams, but a chunk after "
                         "one the bit mixer coded in under 1.5 bits a value is coded left to right, calling the "
                         "network again only after a value that cost more than 2 bits); default: the checkpoint's");
  s.exporter->add_option("--history", s.export_history,
                         "what the codec mixes into the network's predictions: none, match (sequences: a "
                         "match model over every value before the chunk, with a table learnt as the file is "
                         "coded) or mix (sequences: each byte's bits from the network, the file's contexts "
                         "and the match model, mixed as the file is coded); default: the checkpoint's");
  s.exporter->add_flag("-f,--force", s.force, "overwrite");
}

int State::run_compress() {
  check_codec_device(device);
  if (threads < 1) throw std::invalid_argument("--threads must be at least 1");
  if (batch < 1) throw std::invalid_argument("--batch must be at least 1");
  if (verify || limit) throw std::invalid_argument("--verify and --limit apply to --data");
  return codec::compress_files(inputs, options());
}

// --data: every item of a data set as its own file in a folder, the bits per pixel of the bytes
// written, and (--verify) every file read back and decoded.
int State::run_compress_data() {
  check_codec_device(device);
  if (threads < 1) throw std::invalid_argument("--threads must be at least 1");
  if (batch < 1) throw std::invalid_argument("--batch must be at least 1");
  if (!inputs.empty()) throw std::invalid_argument("give either --data or input files, not both");
  if (to_stdout) throw std::invalid_argument("--data writes one file per image into a folder; -c does not apply");
  const auto t_start = std::chrono::steady_clock::now();
  const auto o = options();
  const kinds::Kind& kind = *kinds::by_name("image");
  codec::Models models(o, true);
  const auto& codec = models.get(kind);
  const auto& shape = codec.model().cfg.data.shape;
  const int64_t D = codec.num_values();
  auto images = data::load_images(data, split, limit);
  if (images.size(1) != shape[0] || images.size(2) != shape[1] || images.size(3) != shape[2])
    throw std::runtime_error(data + ": images of shape " + std::to_string(images.size(1)) + "x" +
                             std::to_string(images.size(2)) + "x" + std::to_string(images.size(3)) +
                             ", but the model codes " + std::to_string(shape[0]) + "x" + std::to_string(shape[1]) + "x" +
                             std::to_string(shape[2]));
  const std::string base = data == "fashion-mnist" ? data + "-" + split : fs::path(data).filename().string();
  const std::string out_dir = output.empty() ? base + "-ardm" : output;
  if (fs::exists(out_dir) && !fs::is_empty(out_dir) && !force)
    throw std::runtime_error(out_dir + " exists and is not empty (use -f to write into it)");
  fs::create_directories(out_dir);
  const int64_t n = images.size(0);
  auto flat = images.reshape({n, -1}).contiguous();
  std::vector<codec::Job> jobs(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    auto& job = jobs[static_cast<size_t>(i)];
    job.label = data + " " + split + " #" + std::to_string(i);
    job.output = (fs::path(out_dir) / kinds::numbered_name(static_cast<size_t>(i), static_cast<size_t>(n), ".ardm")).string();
    job.kind = &kind;
    job.content = kinds::images_content({std::vector<uint8_t>(flat[i].data_ptr<uint8_t>(), flat[i].data_ptr<uint8_t>() + D)}, shape);
  }
  codec::run_compress(jobs, o, models);
  int status = 0;
  double model_bits = 0;
  int64_t ok = 0, bytes = 0, by_method[4] = {0, 0, 0, 0};
  for (const auto& j : jobs) {
    if (!j.error.empty()) {
      codec::report_error(o, j);
      status = 1;
      continue;
    }
    model_bits += j.model_bits;
    ++ok, bytes += static_cast<int64_t>(j.bytes_out), ++by_method[static_cast<int>(j.method)];
  }
  const double secs = seconds_since(t_start);
  if (ok > 0) {
    const double values = static_cast<double>(ok * D);
    std::printf("compressed %lld images into %s/: %.4f bpd from the file sizes (%lld bytes, headers included); "
                "model's exact code length %.4f bpd; budget %lld; %.1f s, %.2f images/s; files by method: "
                "model %lld, stored %lld, jxl %lld\n",
                static_cast<long long>(ok), out_dir.c_str(), 8.0 * static_cast<double>(bytes) / values,
                static_cast<long long>(bytes), model_bits / values, static_cast<long long>(jobs.empty() ? budget : jobs[0].budget), secs,
                static_cast<double>(ok) / secs, static_cast<long long>(by_method[0]), static_cast<long long>(by_method[1]),
                static_cast<long long>(by_method[2]));
  }
  if (!verify) return status;
  // Read every file back and decode it: the round trip, from the bytes on disk, in reverse order
  // (so each image meets other neighbours in a batch than when it was encoded).
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<codec::Job*> back;
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it)
    if (it->done) back.push_back(&*it);
  std::vector<const codec::Opened*> opened;
  std::vector<codec::Job*> readable;
  int64_t failed = 0;
  auto verify_failed = [&](codec::Job& j, const std::string& what) {
    ++failed;
    j.error = "verify: " + what;
    codec::report_error(o, j);
    status = 1;
  };
  for (auto* j : back) {
    try {
      j->file = util::read_file_bytes(j->output);
      j->opened = codec::open_file(j->file.data(), j->file.size());
      codec::bind(j->opened, codec);
      opened.push_back(&j->opened);
      readable.push_back(j);
    } catch (const std::exception& e) {
      verify_failed(*j, e.what());
    }
  }
  util::Progress progress("verify", static_cast<int64_t>(opened.size()), "img", !quiet && opened.size() > 1);
  const auto decoded = codec::decode_files(opened, &codec, static_cast<size_t>(batch),
                                           [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
  progress.finish();
  for (size_t i = 0; i < readable.size(); ++i)
    if (!decoded[i].error.empty() || decoded[i].content.words != readable[i]->content.words)
      verify_failed(*readable[i], decoded[i].error.empty() ? "decoded image differs from the original" : decoded[i].error);
  std::printf("verified %zu files: %lld decoded to the exact original, %lld failed; %.1f s, %.2f images/s\n", back.size(),
              static_cast<long long>(back.size()) - failed, static_cast<long long>(failed), seconds_since(t0),
              static_cast<double>(back.size()) / seconds_since(t0));
  return status;
}

int State::run_decompress() {
  check_codec_device(device);
  if (threads < 1) throw std::invalid_argument("--threads must be at least 1");
  if (batch < 1) throw std::invalid_argument("--batch must be at least 1");
  auto o = options();
  // Files made before the engine decode with the LibTorch checkpoint they were made with,
  // loaded only when such a file turns up.
  auto fallback = std::make_shared<legacy::ImageFallback>(legacy::resolve_checkpoint(model), threads);
  o.fallback = [fallback](const std::vector<uint8_t>& file, const coding::FormatError& e) { return (*fallback)(file, e); };
  return codec::decompress_files(inputs, o);
}

int State::run_export() {
  if (fs::exists(export_out) && !force) throw std::runtime_error(export_out + " already exists (use -f to overwrite)");
  Model m = load_model(model);
  if (!export_order.empty()) m.model_cfg.process.order = export_order;
  if (!export_history.empty()) m.model_cfg.process.history = export_history;
  check_order(m.model_cfg.process, m.model_cfg.data);
  if (codec::ends_with(export_out, ".ardmnet")) {
    const uint32_t id = write_engine_model(export_out, m);
    std::printf("wrote %s (%.1f MB): the engine's model of step %lld, model id %08x\n", export_out.c_str(),
                static_cast<double>(fs::file_size(export_out)) / 1e6, static_cast<long long>(m.step), id);
    return 0;
  }
  save_checkpoint(export_out, m, nullptr, /*weights_only=*/true);
  std::printf("wrote %s (%.1f MB): configs, loss tracker and EMA weights of step %lld\n", export_out.c_str(),
              static_cast<double>(fs::file_size(export_out)) / 1e6, static_cast<long long>(m.step));
  return 0;
}

}  // namespace

std::vector<std::unique_ptr<Command>> add_codec_commands(CLI::App& app) {
  std::vector<std::unique_ptr<Command>> out;
  out.push_back(std::make_unique<CodecCommand>(app));
  return out;
}

}  // namespace ardm::cli
