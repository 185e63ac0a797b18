// ardm-decode: decompresses .ardm files (images, text, WAV) with the engine alone, no LibTorch,
// so it builds for machines that have none (and cross-builds; see tests/cross_decode_test.sh).
// The same decompress path as `ardm decompress` (codec/files.h), less the LibTorch fallback.
//
//   ardm-decode [--model M.ardmnet] [-o OUT] [-c] [-f] [-k] [-q] [--raw] [--threads N] FILE.ardm...
//
// X.png.ardm becomes X.png (X.raw with --raw: the 8-bit pixels, row-major, channels
// interleaved, one image after another). A file of several images becomes a folder of PNGs
// (with --raw, one .raw file holding them all). An output appears whole or not at all.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ardm/codec/files.h"
#include "ardm/engine/kernels.h"
#include "ardm/engine/model_file.h"

namespace {

const char* kUsage =
    "usage: ardm-decode [options] FILE.ardm...\n"
    "  (each file decodes with the model of its kind: --model, else $ARDM_MODEL for images,\n"
    "   $ARDM_AUDIO_MODEL for WAV files, $ARDM_TEXT_MODEL for text and other files, else the\n"
    "   bundled one)\n"
    "  --model FILE   engine model (.ardmnet)\n"
    "  -o OUT         output file, or the folder to write into with several inputs\n"
    "  -c             write to standard output (one single-image file), keep the inputs\n"
    "  -f             overwrite existing outputs\n"
    "  -k             keep the inputs (they are removed after success unless -k, -c or -o)\n"
    "  -q             no progress bar and no summary\n"
    "  -v             one line per file\n"
    "  --raw          write raw 8-bit pixels instead of PNG\n"
    "  --threads N    threads for the network (default: all cores)\n"
    "  --batch N      chunks decoded together (default 16)\n"
    "  --isa NAME     kernel: scalar, avx2 or neon (default: the best this CPU has)\n";

int run(int argc, char** argv) {
  std::string model_path, output;
  bool to_stdout = false, force = false, keep = false, quiet = false, verbose = false, raw = false;
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
    } else if (a == "-v") {
      verbose = true;
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
  ardm::codec::FileOptions o;
  o.program = "ardm-decode";
  o.model = model_path;
  o.load = [](const std::string& p) {
    return std::make_shared<const ardm::engine::EngineModel>(ardm::engine::read_model(p));
  };
  o.output = output;
  o.to_stdout = to_stdout, o.force = force, o.keep = keep, o.quiet = quiet, o.verbose = verbose;
  o.threads = threads;
  o.batch = batch;
  o.write.raw = raw;
  return ardm::codec::decompress_files(inputs, o);
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
