// ardm-decode: decompresses .ardm image files with the engine alone, no LibTorch, so it builds
// for machines that have none (and cross-builds; see tests/cross_decode_test.sh).
//
//   ardm-decode [--model M.ardmnet] [-o OUT] [-c] [-f] [-k] [-q] [--raw] [--threads N] FILE.ardm...
//
// X.png.ardm becomes X.png (X.raw with --raw: the 8-bit pixels, row-major, channels
// interleaved, one image after another). A file of several images becomes a folder of PNGs
// (with --raw, one .raw file holding them all). An output appears whole or not at all.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ardm/engine/codec.h"
#include "ardm/engine/kernels.h"
#include "ardm/engine/model_file.h"
#include "ardm/image_file.h"
#include "ardm/util/atomic_file.h"
#include "ardm/util/progress.h"
#include "byte_cli.h"
#if ARDM_HAVE_PNG
#include "ardm/data/png.h"
#endif

#ifndef ARDM_DEFAULT_MODEL
#define ARDM_DEFAULT_MODEL ""
#endif

namespace fs = std::filesystem;

namespace {

const char* kUsage =
    "usage: ardm-decode [options] FILE.ardm...\n"
    "  (images decode to PNG; WAV files to their original bytes with the audio model, text and\n"
    "   other files with the text model: --model, else $ARDM_AUDIO_MODEL / $ARDM_TEXT_MODEL,\n"
    "   else the bundled one)\n"
    "  --model FILE   engine model (.ardmnet; default: $ARDM_MODEL, else the bundled model)\n"
    "  -o OUT         output file, or the folder to write into with several inputs\n"
    "  -c             write to standard output (one single-image file), keep the inputs\n"
    "  -f             overwrite existing outputs\n"
    "  -k             keep the inputs (they are removed after success unless -k, -c or -o)\n"
    "  -q             no progress bar and no summary\n"
    "  --raw          write raw 8-bit pixels instead of PNG\n"
    "  --threads N    threads for the network (default: all cores)\n"
    "  --batch N      images decoded together (default 16)\n"
    "  --isa NAME     kernel: scalar, avx2 or neon (default: the best this CPU has)\n";

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

struct Job {
  std::string input, output;
  std::vector<uint8_t> bytes;
  ardm::ImageFile file;
  std::vector<std::vector<uint8_t>> images;
  std::string error;
};

std::string item_name(size_t i, size_t count, const std::string& ext) {
  const size_t width = std::max<size_t>(5, std::to_string(count == 0 ? 0 : count - 1).size());
  std::string digits = std::to_string(i);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits + ext;
}

std::vector<uint8_t> interleaved(const std::vector<uint8_t>& values, const std::vector<uint32_t>& shape) {
  return ardm::image_of(values, shape).pixels;
}

int run(int argc, char** argv) {
  std::string model_path, output;
  bool to_stdout = false, force = false, keep = false, quiet = false, raw = false;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_t batch = 16;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--model") {
      model_path = value();
    } else if (a == "-o") {
      output = value();
    } else if (a == "-c") {
      to_stdout = true;
    } else if (a == "-f") {
      force = true;
    } else if (a == "-k") {
      keep = true;
    } else if (a == "-q") {
      quiet = true;
    } else if (a == "--raw") {
      raw = true;
    } else if (a == "--threads") {
      threads = std::stoi(value());
    } else if (a == "--batch") {
      batch = static_cast<size_t>(std::stoul(value()));
    } else if (a == "--isa") {
      ardm::engine::set_isa(ardm::engine::parse_isa(value()));
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + a + "\n" + kUsage);
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) throw std::invalid_argument(std::string("no input files\n") + kUsage);
  if (to_stdout && inputs.size() > 1) throw std::invalid_argument("-c takes one input file");
  if (threads < 1 || batch < 1) throw std::invalid_argument("--threads and --batch must be at least 1");
  // Files of byte streams (text, any file) decode to their original bytes with the text model.
  int byte_status = 0;
  {
    std::vector<std::string> bytes_in, images_in;
    for (const auto& in : inputs) (ardm::cli::is_byte_stream_input(in) ? bytes_in : images_in).push_back(in);
    if (!bytes_in.empty()) {
      ardm::cli::ByteOptions o;
      o.program = "ardm-decode";
      o.model = model_path;
      o.load = [](const std::string& p) {
        return std::make_shared<const ardm::engine::EngineModel>(ardm::engine::read_model(p));
      };
      o.output = output;
      o.to_stdout = to_stdout, o.force = force, o.keep = keep, o.quiet = quiet;
      o.threads = threads;
      o.batch = batch;
      byte_status = ardm::cli::decompress_byte_files(bytes_in, o);
    }
    if (images_in.empty()) return byte_status;
    inputs = images_in;
  }
#if !ARDM_HAVE_PNG
  if (!raw) throw std::invalid_argument("this build has no PNG support (libpng): use --raw");
#endif
  if (model_path.empty()) {
    if (const char* env = std::getenv("ARDM_MODEL"); env && *env) model_path = env;
    else model_path = ARDM_DEFAULT_MODEL;
  }
  if (model_path.empty()) throw std::invalid_argument("no model: pass --model FILE.ardmnet or set ARDM_MODEL");
  const auto t0 = std::chrono::steady_clock::now();
  auto model = std::make_shared<const ardm::engine::EngineModel>(ardm::engine::read_model(model_path));
  const ardm::engine::EngineCodec codec(model, threads);
  const auto shape = codec.shape();
  if (shape.size() != 3 || codec.num_classes() != 256)
    throw std::runtime_error(model_path + ": not a model of 8-bit images");
  const std::string ext = raw ? ".raw" : ".png";

  if (!output.empty() && !to_stdout && inputs.size() > 1) fs::create_directories(output);
  std::vector<Job> jobs(inputs.size());
  std::vector<ardm::ImageRef> refs;
  std::vector<std::pair<size_t, size_t>> owner;  // ref -> (job, image)
  for (size_t j = 0; j < inputs.size(); ++j) {
    Job& job = jobs[j];
    job.input = inputs[j];
    try {
      std::string renamed = job.input;
      if (ends_with(renamed, ".ardm")) renamed.resize(renamed.size() - 5);
      else if (output.empty() && !to_stdout) throw std::runtime_error("unknown suffix (expected .ardm; use -o or -c)");
      if (ends_with(renamed, ".png")) renamed.resize(renamed.size() - 4);
      renamed += ext;
      if (to_stdout) job.output = "-";
      else if (output.empty()) job.output = renamed;
      else if (inputs.size() > 1 || fs::is_directory(output)) job.output = (fs::path(output) / fs::path(renamed).filename()).string();
      else job.output = output;
      if (job.output == "-" && isatty(STDOUT_FILENO) && !force)
        throw std::runtime_error("image data not written to a terminal (use -f to force, or -o FILE)");
      job.bytes = ardm::util::read_file_bytes(job.input);
      job.file = ardm::open_image_file(job.bytes, codec, shape);
      if (job.file.count > 1 && !raw) {
        if (job.output == "-") throw std::runtime_error("holds " + std::to_string(job.file.count) + " images; use -o FOLDER, not stdout");
        job.output = job.output.substr(0, job.output.size() - ext.size());
      }
      if (job.output != "-" && fs::exists(job.output) && !force)
        throw std::runtime_error(job.output + " already exists (use -f to overwrite)");
      job.images.resize(job.file.count);
      for (size_t i = 0; i < job.file.count; ++i) {
        refs.push_back({&job.file, i});
        owner.emplace_back(j, i);
      }
    } catch (const std::exception& e) {
      job.error = e.what();
    }
  }

  // Two inputs that would write one output: the later ones fail (their images decode for nothing).
  std::map<std::string, std::string> writer;
  for (auto& job : jobs) {
    if (!job.error.empty() || job.output == "-") continue;
    const auto [it, fresh] = writer.emplace(fs::absolute(job.output).lexically_normal().string(), job.input);
    if (!fresh) job.error = "its output " + job.output + " is also the output of " + it->second;
  }

  ardm::util::Progress progress("decode", static_cast<int64_t>(refs.size()), "img", !quiet && refs.size() > 1);
  const auto decoded = ardm::decode_images(refs, codec, batch, [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
  progress.finish();
  for (size_t r = 0; r < refs.size(); ++r) {
    Job& job = jobs[owner[r].first];
    if (!decoded[r].error.empty() && job.error.empty()) job.error = "corrupted: " + decoded[r].error;
    job.images[owner[r].second] = decoded[r].values;
  }

  int status = 0;
  size_t images = 0;
  for (auto& job : jobs) {
    try {
      if (!job.error.empty()) throw std::runtime_error(job.error);
      if (raw || job.file.count == 1) {
        std::vector<uint8_t> bytes;
        for (const auto& v : job.images) {
#if ARDM_HAVE_PNG
          const auto px = raw ? interleaved(v, shape) : ardm::data::encode_png(ardm::image_of(v, shape), job.output);
#else
          const auto px = interleaved(v, shape);
#endif
          bytes.insert(bytes.end(), px.begin(), px.end());
        }
        if (job.output == "-") {
          if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
            throw std::runtime_error("stdout: write error");
        } else {
          ardm::util::write_file_atomic(job.output, bytes);
        }
      } else {
#if ARDM_HAVE_PNG
        // A folder: written into a fresh one beside it, then renamed, so a failure leaves none.
        std::string tmp_name = job.output + ".tmp.XXXXXX";
        if (!mkdtemp(tmp_name.data())) throw std::runtime_error(job.output + ": cannot create a temporary folder beside it");
        const fs::path tmp(tmp_name);
        for (size_t i = 0; i < job.images.size(); ++i)
          ardm::data::write_png((tmp / item_name(i, job.images.size(), ".png")).string(), ardm::image_of(job.images[i], shape));
        if (fs::exists(job.output)) fs::remove_all(job.output);
        fs::rename(tmp, job.output);
#endif
      }
      images += job.images.size();
      if (!keep && !to_stdout && output.empty()) std::remove(job.input.c_str());
    } catch (const std::exception& e) {
      const std::string what = e.what();
      if (what.rfind(job.input, 0) == 0)
        std::fprintf(stderr, "ardm-decode: error: %s\n", what.c_str());
      else
        std::fprintf(stderr, "ardm-decode: error: %s: %s\n", job.input.c_str(), what.c_str());
      status = 1;
    }
  }
  if (!quiet && images > 1) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "decoded %zu images in %.1f s (%.2f images/s, %d threads, %s kernels)\n", images, secs,
                 static_cast<double>(images) / secs, codec.threads(), ardm::engine::isa_name(ardm::engine::active_isa()));
  }
  return status | byte_status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ardm-decode: error: %s\n", e.what());
    return 1;
  }
}
