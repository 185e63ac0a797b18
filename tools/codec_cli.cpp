#include "codec_cli.h"
#include "byte_cli.h"

#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ardm/codec.h"
#include "ardm/coding/format.h"
#include "ardm/coding/rans.h"
#include "ardm/data/dataset.h"
#include "ardm/data/png.h"
#include "ardm/engine/codec.h"
#include "ardm/engine/kernels.h"
#include "ardm/export.h"
#include "ardm/image_file.h"
#include "ardm/model.h"
#include "ardm/util/atomic_file.h"
#include "ardm/util/progress.h"

#ifndef ARDM_DEFAULT_MODEL
#define ARDM_DEFAULT_MODEL ""
#endif
#ifndef ARDM_DEFAULT_CHECKPOINT
#define ARDM_DEFAULT_CHECKPOINT ""
#endif

namespace fs = std::filesystem;

namespace ardm::cli {
namespace {

constexpr const char* kSuffix = ".ardm";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// --model, else $ARDM_MODEL, else the model bundled with the sources.
std::string resolve_model(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("ARDM_MODEL"); env && *env) return env;
  const std::string bundled = ARDM_DEFAULT_MODEL;
  if (bundled.empty() || !fs::exists(bundled))
    throw std::runtime_error("no model: pass --model MODEL or set ARDM_MODEL (the bundled model " +
                             (bundled.empty() ? std::string("was not configured") : bundled + " is missing") + ")");
  return bundled;
}

// The LibTorch checkpoint that reads files made before the engine: --model when it is one,
// else $ARDM_CHECKPOINT, else the bundled checkpoint ("" when there is none).
std::string resolve_checkpoint(const std::string& flag) {
  if (!flag.empty()) {
    std::ifstream f(flag, std::ios::binary);
    uint8_t head[8] = {};
    f.read(reinterpret_cast<char*>(head), 8);
    return f.gcount() == 8 && !engine::is_model_file(head, 8) ? flag : "";
  }
  if (const char* env = std::getenv("ARDM_CHECKPOINT"); env && *env) return env;
  const std::string bundled = ARDM_DEFAULT_CHECKPOINT;
  return !bundled.empty() && fs::exists(bundled) ? bundled : "";
}

// Standard input, read once (byte_cli.h: it may already have been read to tell PNG from text).
std::vector<uint8_t> read_stdin() { return stdin_bytes(); }


// The command line codes 8-bit images; the codec itself takes any data description.
void check_image_model(const engine::EngineModel& m) {
  const auto& d = m.cfg.data;
  if (d.shape.size() != 3 || d.num_classes != 256)
    throw std::runtime_error("this model codes " + std::to_string(d.num_classes) + "-class data of rank " +
                             std::to_string(d.shape.size()) + "; compress and decompress take 8-bit images");
}

// An error naming the input when an image's shape is not the model's.
void check_image_shape(int64_t channels, int64_t height, int64_t width, const std::vector<uint32_t>& shape,
                       const std::string& name) {
  auto kind = [](int64_t c) { return c == 1 ? "gray" : c == 3 ? "RGB" : "?"; };
  if (channels != shape[0] || height != shape[1] || width != shape[2])
    throw std::runtime_error(name + ": a " + std::to_string(width) + "x" + std::to_string(height) + " " +
                             kind(channels) + " image, but the model codes " + std::to_string(shape[2]) + "x" +
                             std::to_string(shape[1]) + " " + kind(shape[0]) + " images");
}

// PNG pixels -> the model's values.
std::vector<uint8_t> image_values(const data::Image8& img, const std::vector<uint32_t>& shape, const std::string& name) {
  check_image_shape(img.channels, img.height, img.width, shape, name);
  return planar_values(img);
}

std::string item_name(int64_t i, int64_t count, const std::string& ext) {
  const size_t width = std::max<size_t>(5, std::to_string(std::max<int64_t>(count - 1, 0)).size());
  std::string digits = std::to_string(i);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits + ext;
}

// One output file and the items it holds.
struct Job {
  std::string label;              // for messages: the input path, "stdin", or a data set item
  std::string input;              // file to remove after success ("" = none)
  std::string output;             // path, or "-" for stdout
  std::vector<std::string> item_outputs;  // decompress, multi-item: one PNG per item
  std::vector<std::vector<uint8_t>> items;  // values (compress: input; decompress: decoded)
  // decompress
  std::vector<uint8_t> file;
  ImageFile parsed;
  bool legacy = false;  // made before the engine: decoded by LibTorch's codec
  // results
  std::vector<ItemCoder::Encoded> encoded;
  std::atomic<int64_t> remaining{0};
  std::mutex mu;
  std::string error;
  size_t bytes_out = 0;
  bool done = false;
};

struct Task {
  Job* job;
  size_t item;
};

}  // namespace

struct CodecCommands::State {
  CLI::App* compress = nullptr;
  CLI::App* decompress = nullptr;
  CLI::App* images = nullptr;
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
  int64_t budget = kDefaultBudget;
  std::string data, split = "test";
  int64_t limit = 0;
  bool verify = false;
  std::string method_flag = "auto";
  // images / export
  std::string images_out;
  std::string export_out;

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
  int run_decompress();
  ByteOptions byte_options() const {
    ByteOptions o;
    o.model = model;
    o.load = [](const std::string& path) { return load_engine_model(path); };
    o.output = output;
    o.to_stdout = to_stdout, o.force = force, o.keep = keep, o.verbose = verbose, o.quiet = quiet;
    o.threads = threads;
    o.batch = static_cast<size_t>(batch);
    o.budget = budget;
    o.method = method_flag;
    return o;
  }
  // Sends the inputs that `is_other` picks to `run_other`; returns its status (0 when none).
  int split_inputs(const std::function<bool(const std::string&)>& is_other,
                   const std::function<int(const std::vector<std::string>&)>& run_other, bool& nothing_left) {
    if (inputs.empty()) inputs.push_back("-");
    std::vector<std::string> mine, other;
    for (const auto& in : inputs) (is_other(in) ? other : mine).push_back(in);
    nothing_left = mine.empty();
    inputs = mine;
    return other.empty() ? 0 : run_other(other);
  }
  int run_images();
  int run_export();

  // Shared by compress and decompress: errors found before any work, per job.
  void check_output(Job& job) const {
    if (job.output == "-") return;
    for (const auto& p : job.item_outputs.empty() ? std::vector<std::string>{job.output} : job.item_outputs)
      if (fs::exists(p) && !force) throw std::runtime_error(p + " already exists (use -f to overwrite)");
  }
  // The output path for `input` renamed by `rename` (which appends or strips a suffix).
  std::string output_for(const std::string& input, const std::string& renamed, size_t n_inputs) const {
    if (to_stdout) return "-";
    if (output.empty()) return renamed;
    if (n_inputs > 1 || fs::is_directory(output)) return (fs::path(output) / fs::path(renamed).filename()).string();
    return output;
  }
  void prepare_output_folder(size_t n_inputs) const {
    if (!output.empty() && !to_stdout && n_inputs > 1) fs::create_directories(output);
  }
};

CodecCommands::CodecCommands(CLI::App& app) : s_(std::make_unique<State>()) {
  auto& s = *s_;
  s.compress = app.add_subcommand("compress",
                                  "compress files losslessly with a trained model (X -> X.ardm): PNG images with the "
                                  "image model, WAV files with the audio model, any other file with the byte-level "
                                  "text model");
  s.add_io_flags(s.compress, "files ('-' or none: stdin to stdout)");
  s.compress->add_option("--budget", s.budget, "network calls per image, text chunk or audio chunk: more is smaller and slower")
      ->capture_default_str();
  s.compress->add_option("--data", s.data,
                         "compress a data set item by item instead (fashion-mnist, or a folder of PNG files) into "
                         "the folder -o (default: <data>-<split>-ardm) and report the bits per pixel");
  s.compress->add_option("--split", s.split, "with --data fashion-mnist: train or test")->capture_default_str();
  s.compress->add_option("--limit", s.limit, "with --data: only the first N images (0 = all)");
  s.compress->add_flag("--verify", s.verify, "with --data: read every file back and decode it (a full round trip)");
  s.compress->add_option("--method", s.method_flag,
                         "auto (the smallest of the three), or always model, stored or jxl (lossless JPEG XL)")
      ->check(CLI::IsMember({"auto", "model", "stored", "jxl"}))
      ->capture_default_str();

  s.decompress = app.add_subcommand("decompress",
                                    "decode .ardm files back to the original (X.ardm -> X; images as PNG)");
  s.add_io_flags(s.decompress, ".ardm files ('-' or none: stdin to stdout)");

  s.images = app.add_subcommand("images", "write a data set's images as PNG files (00000.png, ...)");
  s.images->add_option("--data", s.data, "fashion-mnist, or a folder of PNG files")->required();
  s.images->add_option("--split", s.split, "train or test")->capture_default_str();
  s.images->add_option("--limit", s.limit, "only the first N images (0 = all)");
  s.images->add_option("--out", s.images_out, "folder to write into")->required();

  s.exporter = app.add_subcommand("export",
                                  "export a checkpoint for the inference engine (OUT.ardmnet: for compress, "
                                  "decompress and ardm-decode), or as a weights-only checkpoint (OUT.pt)");
  s.exporter->add_option("--model", s.model, "checkpoint")->required();
  s.exporter->add_option("--out", s.export_out, "the model file to write: .ardmnet (engine) or .pt (checkpoint)")->required();
  s.exporter->add_flag("-f,--force", s.force, "overwrite");
}

CodecCommands::~CodecCommands() = default;

bool CodecCommands::parsed() const {
  return s_->compress->parsed() || s_->decompress->parsed() || s_->images->parsed() || s_->exporter->parsed();
}

int CodecCommands::run() {
  try {
    if (s_->compress->parsed()) return s_->run_compress();
    if (s_->decompress->parsed()) return s_->run_decompress();
    if (s_->images->parsed()) return s_->run_images();
    return s_->run_export();
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "ardm: error: %s\n", e.what_without_backtrace());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ardm: error: %s\n", e.what());
  }
  return 1;
}

namespace {

// Runs `tasks` on the codec's workers with a progress bar; `work` handles one task and must not
// throw (it records errors in its job).
void run_tasks(const std::vector<Task>& tasks, int threads, bool show, const std::string& label,
               const std::function<void(const Task&)>& work, const std::function<std::string()>& status) {
  util::Progress progress(label, static_cast<int64_t>(tasks.size()), "img", show && tasks.size() > 1);
  auto errors = run_codec_workers(
      static_cast<int64_t>(tasks.size()), threads, [&](int64_t i) { work(tasks[static_cast<size_t>(i)]); },
      [&](int64_t done) { progress.update(done, status()); });
  progress.finish(status());
  for (size_t i = 0; i < errors.size(); ++i)
    if (!errors[i].empty()) {
      std::lock_guard<std::mutex> lock(tasks[i].job->mu);
      if (tasks[i].job->error.empty()) tasks[i].job->error = errors[i];
    }
}

void record_error(Job& job, const std::string& what) {
  std::lock_guard<std::mutex> lock(job.mu);
  if (job.error.empty()) job.error = what;
}

// One line on stderr for a failed job; messages that already name the file are not prefixed.
void report_error(const Job& job) {
  const bool named = job.error.rfind(job.label, 0) == 0;
  std::fprintf(stderr, "ardm: error: %s%s%s\n", named ? "" : job.label.c_str(), named ? "" : ": ", job.error.c_str());
}

// Writes a folder of files as a whole: into a fresh temporary folder beside it, renamed into
// place at the end, so a failure or a crash leaves no partial folder. Into an existing folder
// (-f), the finished files are moved one by one.
void write_folder(const std::string& dir, const std::vector<std::string>& paths,
                  const std::function<void(size_t, const std::string&)>& write) {
  const fs::path final_dir(dir);
  const fs::path parent = final_dir.has_parent_path() ? final_dir.parent_path() : fs::path(".");
  std::string name = (parent / (final_dir.filename().string() + ".tmp.XXXXXX")).string();
  if (!mkdtemp(name.data())) throw std::runtime_error(dir + ": cannot create a temporary folder beside it");
  const fs::path tmp(name);
  try {
    for (size_t i = 0; i < paths.size(); ++i) write(i, (tmp / fs::path(paths[i]).filename()).string());
    if (!fs::exists(final_dir)) {
      fs::rename(tmp, final_dir);
    } else {
      for (const auto& p : paths) fs::rename(tmp / fs::path(p).filename(), p);
      fs::remove(tmp);
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

// Two jobs that would write the same path (two inputs with one base name and -o DIR) would
// overwrite each other: the later ones fail before any work.
void check_clashes(std::vector<std::unique_ptr<Job>>& jobs) {
  std::map<std::string, std::string> owner;  // normalised output path -> label of the job writing it
  for (auto& j : jobs) {
    if (!j->error.empty() || j->output == "-") continue;
    std::vector<std::string> outs = {j->output};
    outs.insert(outs.end(), j->item_outputs.begin(), j->item_outputs.end());
    for (const auto& o : outs) {
      const auto key = fs::absolute(o).lexically_normal().string();
      const auto [it, fresh] = owner.emplace(key, j->label);
      if (!fresh && it->second != j->label) {
        record_error(*j, "its output " + o + " is also the output of " + it->second + " (use separate folders)");
        break;
      }
    }
  }
}

void remove_input(const Job& job) {
  if (!job.input.empty() && std::remove(job.input.c_str()) != 0)
    std::fprintf(stderr, "ardm: warning: %s: could not remove the input\n", job.input.c_str());
}

}  // namespace

// The codec's network runs in the torch-free engine on the CPU: a decoder must reproduce the
// encoder's probabilities bit for bit on any machine, and GPU kernels (other summation orders,
// fused multiply-adds, other exp/log) do not give the CPU's bits, nor one GPU's another's.
static void check_codec_device(const std::string& device) {
  if (device != "cpu")
    throw std::invalid_argument("--device " + device +
                                ": the codec runs on the CPU only; a file must decode to the same bits on every "
                                "machine, and GPU arithmetic does not give the same bits as the CPU's (train, eval "
                                "and sample run on GPUs)");
}

int CodecCommands::State::run_compress() {
  check_codec_device(device);
  if (threads < 1) throw std::invalid_argument("--threads must be at least 1");
  if (batch < 1) throw std::invalid_argument("--batch must be at least 1");
  // Anything that is not a PNG image is a byte stream for the text model.
  int byte_status = 0;
  if (data.empty()) {
    bool only_bytes = false;
    byte_status = split_inputs([](const std::string& in) { return !is_png_input(in); },
                               [&](const std::vector<std::string>& in) { return compress_byte_files(in, byte_options()); },
                               only_bytes);
    if (only_bytes) return byte_status;
  }
  const auto t_start = std::chrono::steady_clock::now();
  const auto net_model = load_engine_model(resolve_model(model));
  check_image_model(*net_model);
  const engine::EngineCodec codec(net_model, threads);
  const auto shape = codec.shape();
  const int64_t D = codec.num_values();
  if (budget > static_cast<int64_t>(coding::kMaxBudget))
    throw std::invalid_argument("--budget " + std::to_string(budget) + " is above " + std::to_string(coding::kMaxBudget) +
                                ", the most network calls per image a file may ask of its decoder");
  codec.policy(budget);  // checks the budget and computes the schedule once, before the workers start

  std::vector<std::unique_ptr<Job>> jobs;
  int status = 0;
  std::string out_dir;
  if (!data.empty()) {
    if (!inputs.empty()) throw std::invalid_argument("give either --data or input files, not both");
    if (to_stdout) throw std::invalid_argument("--data writes one file per image into a folder; -c does not apply");
    auto images = data::load_images(data, split, limit);
    const std::string base = data == "fashion-mnist" ? data + "-" + split : fs::path(data).filename().string();
    out_dir = output.empty() ? base + "-ardm" : output;
    if (fs::exists(out_dir) && !fs::is_empty(out_dir) && !force)
      throw std::runtime_error(out_dir + " exists and is not empty (use -f to write into it)");
    fs::create_directories(out_dir);
    const int64_t n = images.size(0);
    auto flat = images.reshape({n, -1}).contiguous();
    for (int64_t i = 0; i < n; ++i) {
      auto job = std::make_unique<Job>();
      job->label = data + " " + split + " #" + std::to_string(i);
      job->output = (fs::path(out_dir) / item_name(i, n, kSuffix)).string();
      if (flat.size(1) != D || images.size(1) != shape[0] || images.size(2) != shape[1] || images.size(3) != shape[2])
        throw std::runtime_error(data + ": images of shape " + std::to_string(images.size(1)) + "x" +
                                 std::to_string(images.size(2)) + "x" + std::to_string(images.size(3)) +
                                 ", but the model codes " + std::to_string(shape[0]) + "x" + std::to_string(shape[1]) +
                                 "x" + std::to_string(shape[2]));
      job->items.emplace_back(flat[i].data_ptr<uint8_t>(), flat[i].data_ptr<uint8_t>() + D);
      jobs.push_back(std::move(job));
    }
  } else {
    if (verify || limit) throw std::invalid_argument("--verify and --limit apply to --data");
    if (inputs.empty()) inputs.push_back("-");
    const bool many_to_stdout = to_stdout && inputs.size() > 1;  // one multi-item file on stdout
    prepare_output_folder(inputs.size());
    for (const auto& in : inputs) {
      const bool from_stdin = in == "-";
      if (many_to_stdout && !jobs.empty()) {
        // Every input goes into the one job.
      } else {
        auto job = std::make_unique<Job>();
        job->label = from_stdin ? "stdin" : in;
        job->output = from_stdin && output.empty() ? "-" : output_for(in, in + kSuffix, inputs.size());
        job->input = (keep || to_stdout || !output.empty() || from_stdin) ? "" : in;
        if (many_to_stdout) job->label = std::to_string(inputs.size()) + " images";
        jobs.push_back(std::move(job));
      }
      Job& job = *jobs.back();
      try {
        if (from_stdin && isatty(STDIN_FILENO)) throw std::runtime_error("stdin is a terminal: give PNG files or pipe one in");
        if (!from_stdin && ends_with(in, kSuffix)) throw std::runtime_error(in + " already has the " + std::string(kSuffix) + " suffix");
        if (job.output == "-" && isatty(STDOUT_FILENO) && !force)
          throw std::runtime_error("compressed data not written to a terminal (use -f to force, or -o FILE)");
        if (!many_to_stdout) check_output(job);
        const auto bytes = from_stdin ? read_stdin() : util::read_file_bytes(in);
        const auto name = from_stdin ? std::string("stdin") : in;
        // The header's size is checked against the model before any pixel is decoded.
        const auto declared = data::png_size(bytes.data(), bytes.size(), name);
        if (declared.channels != 0) check_image_shape(declared.channels, declared.height, declared.width, shape, name);
        job.items.push_back(image_values(data::decode_png(bytes.data(), bytes.size(), name, D), shape, name));
      } catch (const std::exception& e) {
        record_error(job, e.what());
      }
    }
  }

  check_clashes(jobs);
  // Every item of every job that can still succeed becomes a task.
  std::vector<Task> tasks;
  for (auto& j : jobs) {
    if (!j->error.empty()) continue;
    j->encoded.resize(j->items.size());
    j->remaining = static_cast<int64_t>(j->items.size());
    for (size_t i = 0; i < j->items.size(); ++i) tasks.push_back({j.get(), i});
  }
  std::atomic<int64_t> bytes_total{0}, items_total{0};
  std::atomic<int64_t> by_method[3] = {{0}, {0}, {0}};

  // Every image through the network in batches, then every file made (the JPEG XL candidate
  // and the writes) on the workers.
  {
    std::vector<const std::vector<uint8_t>*> items;
    for (const auto& t : tasks) items.push_back(&t.job->items[t.item]);
    util::Progress progress("compress", static_cast<int64_t>(items.size()), "img", !quiet && items.size() > 1);
    auto encoded = encode_images(items, codec, budget, static_cast<size_t>(batch),
                                 [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
    progress.finish();
    for (size_t i = 0; i < tasks.size(); ++i) tasks[i].job->encoded[tasks[i].item] = std::move(encoded[i]);
  }
  std::vector<Task> file_tasks;
  for (auto& j : jobs)
    if (j->error.empty()) file_tasks.push_back({j.get(), 0});
  run_tasks(file_tasks, threads, !quiet && file_tasks.size() > 1, "write", [&](const Task& t) {
    Job& job = *t.job;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      auto [bytes, method] = method_flag == "auto" ? smallest_image_file(codec, job.items, job.encoded, budget, shape)
                                                   : std::pair<std::vector<uint8_t>, coding::Method>{};
      if (method_flag != "auto") {
        method = method_flag == "model" ? coding::Method::kModel
                                        : method_flag == "stored" ? coding::Method::kStored : coding::Method::kJxl;
        bytes = image_file(method, codec, job.items, job.encoded, budget, shape);
      }
      write_output(job.output, bytes);
      job.bytes_out = bytes.size();
      job.done = true;
      bytes_total += static_cast<int64_t>(bytes.size());
      items_total += static_cast<int64_t>(job.items.size());
      by_method[static_cast<int>(method)] += 1;
      remove_input(job);
      if (verbose) {
        double model_bits = 0;
        for (const auto& e : job.encoded) model_bits += e.model_bits;
        const double values = static_cast<double>(D * static_cast<int64_t>(job.items.size()));
        std::fprintf(stderr, "%s: %zu bytes, %.4f bpd (model %.4f bpd), method %s -> %s (%.2f s to write)\n",
                     job.label.c_str(), bytes.size(), 8.0 * static_cast<double>(bytes.size()) / values,
                     model_bits / values, coding::method_name(method), job.output == "-" ? "stdout" : job.output.c_str(),
                     seconds_since(t0));
      }
    } catch (const std::exception& e) {
      record_error(job, e.what());
    }
  }, [&] {
    const auto n = items_total.load();
    return n ? std::to_string(8.0 * static_cast<double>(bytes_total.load()) / static_cast<double>(n * D)).substr(0, 6) + " bpd" : "";
  });

  double model_bits = 0;
  int64_t ok_items = 0, ok_bytes = 0;
  for (const auto& j : jobs) {
    if (!j->error.empty()) {
      report_error(*j);
      status = 1;
      continue;
    }
    for (const auto& e : j->encoded) model_bits += e.model_bits;
    ok_items += static_cast<int64_t>(j->items.size());
    ok_bytes += static_cast<int64_t>(j->bytes_out);
  }
  const double secs = seconds_since(t_start);
  if (!data.empty() && ok_items > 0) {
    const double values = static_cast<double>(ok_items * D);
    std::printf("compressed %lld images into %s/: %.4f bpd from the file sizes (%lld bytes, headers included); "
                "model's exact code length %.4f bpd; budget %lld; %.1f s, %.2f images/s; files by method: "
                "model %lld, stored %lld, jxl %lld\n",
                static_cast<long long>(ok_items), out_dir.c_str(), 8.0 * static_cast<double>(ok_bytes) / values,
                static_cast<long long>(ok_bytes), model_bits / values, static_cast<long long>(budget), secs,
                static_cast<double>(ok_items) / secs, static_cast<long long>(by_method[0].load()),
                static_cast<long long>(by_method[1].load()), static_cast<long long>(by_method[2].load()));
  } else if (!quiet && ok_items > 1) {
    std::fprintf(stderr, "compressed %lld images: %.4f bpd from the file sizes (model %.4f bpd), %.1f s\n",
                 static_cast<long long>(ok_items), 8.0 * static_cast<double>(ok_bytes) / static_cast<double>(ok_items * D),
                 model_bits / static_cast<double>(ok_items * D), secs);
  }

  if (verify && !data.empty()) {
    // Read every file back and decode it: the round trip, from the bytes on disk, on the same
    // workers in reverse order (so each image meets other threads and neighbours than when encoded).
    std::vector<Job*> back;
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it)
      if ((*it)->done) back.push_back(it->get());
    std::atomic<int64_t> mismatches{0};
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<ImageRef> refs;
    for (auto* job : back) {
      try {
        job->file = util::read_file_bytes(job->output);
        job->parsed = open_image_file(job->file, codec, shape);
        if (job->parsed.count != 1) throw std::runtime_error("holds " + std::to_string(job->parsed.count) + " images, not 1");
      } catch (const std::exception& e) {
        job->parsed.count = 0;
        ++mismatches;
        record_error(*job, "verify: " + std::string(e.what()));
      }
      refs.push_back({&job->parsed, 0});
    }
    util::Progress progress("verify", static_cast<int64_t>(refs.size()), "img", !quiet && refs.size() > 1);
    std::vector<ImageRef> readable;
    std::vector<Job*> readable_jobs;
    for (size_t i = 0; i < refs.size(); ++i)
      if (back[i]->parsed.count == 1) {
        readable.push_back(refs[i]);
        readable_jobs.push_back(back[i]);
      }
    const auto decoded = decode_images(readable, codec, static_cast<size_t>(batch),
                                       [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
    progress.finish();
    for (size_t i = 0; i < readable.size(); ++i) {
      Job& job = *readable_jobs[i];
      if (!decoded[i].error.empty() || decoded[i].values != job.items[0]) {
        ++mismatches;
        record_error(job, "verify: " + (decoded[i].error.empty() ? std::string("decoded image differs from the original")
                                                                 : decoded[i].error));
      }
    }
    for (const auto& j : jobs)
      if (j->done && !j->error.empty()) {
        report_error(*j);
        status = 1;
      }
    std::printf("verified %zu files: %lld decoded to the exact original, %lld failed; %.1f s, %.2f images/s\n",
                back.size(), static_cast<long long>(back.size()) - mismatches.load(),
                static_cast<long long>(mismatches.load()), seconds_since(t0),
                static_cast<double>(back.size()) / seconds_since(t0));
  }
  return status | byte_status;
}

int CodecCommands::State::run_decompress() {
  check_codec_device(device);
  if (threads < 1) throw std::invalid_argument("--threads must be at least 1");
  if (batch < 1) throw std::invalid_argument("--batch must be at least 1");
  bool only_bytes = false;
  const int byte_status = split_inputs(
      is_byte_stream_input, [&](const std::vector<std::string>& in) { return decompress_byte_files(in, byte_options()); },
      only_bytes);
  if (only_bytes) return byte_status;
  const auto t_start = std::chrono::steady_clock::now();
  const auto net_model = load_engine_model(resolve_model(model));
  check_image_model(*net_model);
  const engine::EngineCodec codec(net_model, threads);
  const auto shape = codec.shape();
  const int64_t D = codec.num_values();
  // Files made before the engine decode with the LibTorch checkpoint they were made with,
  // loaded only when such a file turns up.
  std::unique_ptr<Model> legacy_model;
  std::unique_ptr<Codec> legacy_codec;
  const std::string checkpoint = resolve_checkpoint(model);
  auto open_legacy = [&](Job& j, const coding::FormatError& engine_error) {
    if (std::string(engine_error.what()).rfind("wrong model", 0) != 0 || checkpoint.empty()) throw engine_error;
    if (!legacy_codec) {
      legacy_model = std::make_unique<Model>(load_model(checkpoint));
      legacy_codec = std::make_unique<Codec>(*legacy_model);
    }
    try {
      j.parsed = open_image_file(j.file, *legacy_codec, shape);
    } catch (const coding::FormatError&) {
      throw engine_error;
    }
    j.legacy = true;
  };

  if (inputs.empty()) inputs.push_back("-");
  prepare_output_folder(inputs.size());
  std::vector<std::unique_ptr<Job>> jobs;
  for (const auto& in : inputs) {
    const bool from_stdin = in == "-";
    auto job = std::make_unique<Job>();
    Job& j = *job;
    jobs.push_back(std::move(job));
    j.label = from_stdin ? "stdin" : in;
    try {
      if (from_stdin && isatty(STDIN_FILENO)) throw std::runtime_error("compressed data not read from a terminal");
      std::string renamed = in;
      if (!from_stdin) {
        if (!ends_with(in, kSuffix) && output.empty() && !to_stdout)
          throw std::runtime_error("unknown suffix (expected " + std::string(kSuffix) + "; use -o or -c)");
        if (ends_with(in, kSuffix)) renamed = in.substr(0, in.size() - std::string(kSuffix).size());
        if (!ends_with(renamed, ".png")) renamed += ".png";
      }
      j.output = from_stdin && output.empty() ? "-" : output_for(in, renamed, inputs.size());
      j.input = (keep || to_stdout || !output.empty() || from_stdin) ? "" : in;
      if (j.output == "-" && isatty(STDOUT_FILENO) && !force)
        throw std::runtime_error("PNG data not written to a terminal (use -f to force, or -o FILE)");
      j.file = from_stdin ? read_stdin() : util::read_file_bytes(in);
      try {
        j.parsed = open_image_file(j.file, codec, shape);
      } catch (const coding::FormatError& e) {
        open_legacy(j, e);
      }
      const size_t n = j.parsed.count;
      if (n > 1) {
        if (j.output == "-") throw std::runtime_error("holds " + std::to_string(n) + " images; use -o FOLDER, not stdout");
        // A multi-item file becomes a folder: X.ardm -> X/00000.png, ...
        if (ends_with(j.output, ".png")) j.output = j.output.substr(0, j.output.size() - 4);
        for (size_t i = 0; i < n; ++i)
          j.item_outputs.push_back((fs::path(j.output) / item_name(static_cast<int64_t>(i), static_cast<int64_t>(n), ".png")).string());
      }
      check_output(j);
      j.items.resize(n);
      j.remaining = static_cast<int64_t>(n);
    } catch (const std::exception& e) {
      record_error(j, e.what());
    }
  }

  check_clashes(jobs);
  const char* kDamaged = " (a damaged file, or one made with another model)";
  // The engine's files: every image in batches.
  std::vector<ImageRef> refs;
  std::vector<Task> owners;
  for (auto& j : jobs)
    if (j->error.empty() && !j->legacy)
      for (size_t i = 0; i < j->items.size(); ++i) {
        refs.push_back({&j->parsed, i});
        owners.push_back({j.get(), i});
      }
  {
    util::Progress progress("decompress", static_cast<int64_t>(refs.size()), "img", !quiet && refs.size() > 1);
    auto decoded = decode_images(refs, codec, static_cast<size_t>(batch),
                                 [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
    progress.finish();
    for (size_t r = 0; r < refs.size(); ++r) {
      Job& job = *owners[r].job;
      if (!decoded[r].error.empty()) record_error(job, "corrupted: " + decoded[r].error + kDamaged);
      job.items[owners[r].item] = std::move(decoded[r].values);
    }
  }
  // Files made before the engine: one image per worker, as LibTorch's codec requires.
  std::vector<Task> tasks;
  for (auto& j : jobs)
    if (j->error.empty() && j->legacy)
      for (size_t i = 0; i < j->items.size(); ++i) tasks.push_back({j.get(), i});
  if (!tasks.empty())
    run_tasks(tasks, threads, !quiet, "decompress (LibTorch)", [&](const Task& t) {
      Job& job = *t.job;
      try {
        job.items[t.item] = decode_image(job.parsed, *legacy_codec, t.item, shape);
      } catch (const coding::CodingError& e) {
        record_error(job, std::string("corrupted: ") + e.what() +
                              " (a damaged file, or one made by a build or machine that computes differently)");
      } catch (const std::exception& e) {
        record_error(job, e.what());
      }
    }, [] { return std::string(); });

  std::atomic<int64_t> items_total{0};
  for (auto& jp : jobs) {
    Job& job = *jp;
    if (!job.error.empty()) continue;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      if (job.item_outputs.empty()) {
        write_output(job.output, data::encode_png(image_of(job.items[0], shape), job.output));
      } else {
        write_folder(job.output, job.item_outputs, [&](size_t i, const std::string& path) {
          data::write_png(path, image_of(job.items[i], shape));
        });
      }
      items_total += static_cast<int64_t>(job.items.size());
      remove_input(job);
      if (verbose)
        std::fprintf(stderr, "%s: %zu image%s, %.4f bpd, method %s -> %s (%.2f s to write)\n", job.label.c_str(),
                     job.items.size(), job.items.size() == 1 ? "" : "s",
                     8.0 * static_cast<double>(job.file.size()) / static_cast<double>(D * static_cast<int64_t>(job.items.size())),
                     job.parsed.method.c_str(), job.output == "-" ? "stdout" : job.output.c_str(), seconds_since(t0));
    } catch (const std::exception& e) {
      record_error(job, e.what());
    }
  }

  int status = 0;
  for (const auto& j : jobs)
    if (!j->error.empty()) {
      report_error(*j);
      status = 1;
    }
  if (!quiet && items_total.load() > 1)
    std::fprintf(stderr, "decompressed %lld images in %.1f s\n", static_cast<long long>(items_total.load()),
                 seconds_since(t_start));
  return status | byte_status;
}

int CodecCommands::State::run_images() {
  const auto images = data::load_images(data, split, limit);
  if (fs::exists(images_out) && !fs::is_empty(images_out) && !force)
    throw std::runtime_error(images_out + " exists and is not empty");
  fs::create_directories(images_out);
  const int64_t n = images.size(0);
  const std::vector<uint32_t> shape = {static_cast<uint32_t>(images.size(1)), static_cast<uint32_t>(images.size(2)),
                                       static_cast<uint32_t>(images.size(3))};
  auto flat = images.reshape({n, -1}).contiguous();
  for (int64_t i = 0; i < n; ++i) {
    std::vector<uint8_t> v(flat[i].data_ptr<uint8_t>(), flat[i].data_ptr<uint8_t>() + flat.size(1));
    data::write_png((fs::path(images_out) / item_name(i, n, ".png")).string(), image_of(v, shape));
  }
  std::printf("wrote %lld images to %s/\n", static_cast<long long>(n), images_out.c_str());
  return 0;
}

int CodecCommands::State::run_export() {
  if (fs::exists(export_out) && !force) throw std::runtime_error(export_out + " already exists (use -f to overwrite)");
  const Model m = load_model(model);
  if (ends_with(export_out, ".ardmnet")) {
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

}  // namespace ardm::cli
