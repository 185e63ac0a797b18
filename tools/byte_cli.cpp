#include "byte_cli.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "ardm/byte_file.h"
#include "ardm/coding/format.h"
#include "ardm/engine/codec.h"
#include "ardm/util/atomic_file.h"
#include "ardm/util/progress.h"
#include "ardm/wav_file.h"

#ifndef ARDM_DEFAULT_TEXT_MODEL
#define ARDM_DEFAULT_TEXT_MODEL ""
#endif
#ifndef ARDM_DEFAULT_AUDIO_MODEL
#define ARDM_DEFAULT_AUDIO_MODEL ""
#endif

namespace fs = std::filesystem;

namespace ardm::cli {
namespace {

constexpr const char* kSuffix = ".ardm";

std::vector<uint8_t> head_of(const std::string& input, size_t n) {
  if (input == "-") {
    const auto& b = stdin_bytes();
    return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(n, b.size())));
  }
  std::ifstream f(input, std::ios::binary);
  std::vector<uint8_t> h(n);
  f.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(n));
  h.resize(static_cast<size_t>(std::max<std::streamsize>(f ? f.gcount() : f.gcount(), 0)));
  return h;
}

std::vector<uint8_t> read_input(const std::string& input) {
  return input == "-" ? stdin_bytes() : util::read_file_bytes(input);
}

// The model of a kind of stream: --model, else $ARDM_TEXT_MODEL / $ARDM_AUDIO_MODEL, else the bundled one.
std::string model_path(const std::string& flag, bool audio) {
  if (!flag.empty()) return flag;
  const char* var = audio ? "ARDM_AUDIO_MODEL" : "ARDM_TEXT_MODEL";
  if (const char* env = std::getenv(var); env && *env) return env;
  const std::string bundled = audio ? ARDM_DEFAULT_AUDIO_MODEL : ARDM_DEFAULT_TEXT_MODEL;
  if (bundled.empty() || !fs::exists(bundled))
    throw std::runtime_error(std::string("no ") + (audio ? "audio" : "text") + " model: pass --model MODEL or set " + var +
                             " (the bundled model " +
                             (bundled.empty() ? std::string("was not configured") : bundled + " is missing") + ")");
  return bundled;
}

// The text and the audio codec, each loaded when a file first needs it.
struct Codecs {
  const ByteOptions& o;
  std::unique_ptr<engine::EngineCodec> text, audio;

  const engine::EngineCodec& get(bool for_audio, bool compress) {
    auto& slot = for_audio ? audio : text;
    if (slot) return *slot;
    auto c = std::make_unique<engine::EngineCodec>(o.load(model_path(o.model, for_audio)), o.threads);
    if (for_audio)
      check_audio_model(c->model());
    else
      check_byte_model(c->model());
    if (compress) {
      if (o.budget > static_cast<int64_t>(coding::kMaxBudget))
        throw std::invalid_argument("--budget " + std::to_string(o.budget) + " is above " +
                                    std::to_string(coding::kMaxBudget) +
                                    ", the most network calls per chunk a file may ask");
      c->policy(o.budget);  // checks the budget against the model
    }
    slot = std::move(c);
    return *slot;
  }
};

struct Out {
  std::string label, output, remove;  // remove: the input to delete after success
};

// Where each input goes; errors (existing outputs, clashes) are per input.
std::vector<Out> plan(const std::vector<std::string>& inputs, const ByteOptions& o, bool compress,
                      std::vector<std::string>& errors) {
  std::vector<Out> outs(inputs.size());
  errors.assign(inputs.size(), "");
  std::map<std::string, std::string> owner;
  if (!o.output.empty() && !o.to_stdout && inputs.size() > 1) fs::create_directories(o.output);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    Out& out = outs[i];
    out.label = in == "-" ? "stdin" : in;
    try {
      std::string renamed = in;
      if (compress) {
        if (in != "-" && ends_with(in, kSuffix)) throw std::runtime_error("already has the .ardm suffix");
        renamed = in + kSuffix;
      } else if (ends_with(in, kSuffix)) {
        renamed = in.substr(0, in.size() - std::string(kSuffix).size());
      } else if (in != "-" && o.output.empty() && !o.to_stdout) {
        throw std::runtime_error("unknown suffix (expected .ardm; use -o or -c)");
      }
      if (o.to_stdout || (in == "-" && o.output.empty())) out.output = "-";
      else if (o.output.empty()) out.output = renamed;
      else if (inputs.size() > 1 || fs::is_directory(o.output))
        out.output = (fs::path(o.output) / fs::path(renamed).filename()).string();
      else out.output = o.output;
      if (out.output == "-" && isatty(STDOUT_FILENO) && !o.force && compress)
        throw std::runtime_error("compressed data not written to a terminal (use -f to force, or -o FILE)");
      if (out.output != "-" && fs::exists(out.output) && !o.force)
        throw std::runtime_error(out.output + " already exists (use -f to overwrite)");
      if (out.output != "-") {
        const auto key = fs::absolute(out.output).lexically_normal().string();
        const auto [it, fresh] = owner.emplace(key, out.label);
        if (!fresh) throw std::runtime_error("its output " + out.output + " is also the output of " + it->second);
      }
      if (!o.keep && !o.to_stdout && o.output.empty() && in != "-") out.remove = in;
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  }
  return outs;
}

void report(const ByteOptions& o, const std::string& label, const std::string& what) {
  const bool named = what.rfind(label, 0) == 0;
  std::fprintf(stderr, "%s: error: %s%s%s\n", o.program.c_str(), named ? "" : label.c_str(), named ? "" : ": ",
               what.c_str());
}

// ".PNG" and ".png" alike (`end` in lower case).
bool ends_with_nocase(const std::string& s, const std::string& end) {
  std::string lower = s;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ends_with(lower, end);
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

void write_output(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (path != "-") return util::write_file_atomic(path, bytes);
  static std::mutex stdout_mu;
  std::lock_guard<std::mutex> lock(stdout_mu);
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
    throw std::runtime_error("stdout: write error");
}

const std::vector<uint8_t>& stdin_bytes() {
  static const std::vector<uint8_t> bytes = [] {
    if (isatty(STDIN_FILENO)) throw std::runtime_error("stdin is a terminal: give files or pipe data in");
    std::vector<uint8_t> b;
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) b.insert(b.end(), buf, buf + n);
    if (std::ferror(stdin)) throw std::runtime_error("stdin: read error");
    return b;
  }();
  return bytes;
}

bool is_png_input(const std::string& input) {
  if (ends_with_nocase(input, ".png")) return true;  // the image path says so if it is not one
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const auto h = head_of(input, 8);
  return h.size() == 8 && std::equal(h.begin(), h.end(), kSig);
}

bool is_wav_input(const std::string& input) {
  if (ends_with_nocase(input, ".wav")) return true;  // the WAV path says so if it is not one
  const auto h = head_of(input, 12);
  return looks_like_wav(h.data(), h.size());
}

bool is_byte_stream_input(const std::string& input) {
  // From the first 4 bytes alone (docs/format.md): a version-3 signature with `described` set,
  // then the 2-byte model id, then the data kind (one varint byte): 2 = byte stream, 3 = PCM
  // audio. Anything else, damaged files included, goes to the image path, which says what is
  // wrong with it.
  try {
    const auto h = head_of(input, 4);
    return h.size() == 4 && (h[0] >> 4) == 0xB && ((h[0] >> 1) & 1) == 1 &&
           (h[3] == static_cast<uint8_t>(coding::DataKind::kBytes) || h[3] == static_cast<uint8_t>(coding::DataKind::kPcm));
  } catch (const std::exception&) {
    return false;
  }
}

int compress_byte_files(const std::vector<std::string>& inputs, const ByteOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  std::vector<std::string> errors;
  const auto outs = plan(inputs, o, true, errors);
  // A model is loaded once a file needs it (inputs refused by the plan do not).
  Codecs codecs{o, nullptr, nullptr};
  int status = 0;
  size_t bytes_in = 0, bytes_out = 0, files = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Out& out = outs[i];
    try {
      if (!errors[i].empty()) throw std::runtime_error(errors[i]);
      const auto t0 = std::chrono::steady_clock::now();
      const auto data = read_input(inputs[i]);
      const bool audio = is_wav_input(inputs[i]);
      const auto& codec = codecs.get(audio, true);
      const auto D = static_cast<size_t>(codec.num_values());
      const size_t values = audio ? parse_wav(data.data(), data.size(), out.label).samples : data.size();
      const auto chunks = static_cast<int64_t>((values + D - 1) / D);
      util::Progress progress("compress " + out.label, chunks, "chunk", !o.quiet && chunks > 4);
      ByteFileStats st;
      auto on_progress = [&](size_t done, size_t) { progress.update(static_cast<int64_t>(done)); };
      const auto file = audio ? compress_wav(data, out.label, codec, o.budget, o.batch, o.method, &st, on_progress)
                              : compress_bytes(data, codec, o.budget, o.batch, o.method, &st, on_progress);
      progress.finish();
      write_output(out.output, file);
      if (!out.remove.empty() && std::remove(out.remove.c_str()) != 0)
        std::fprintf(stderr, "%s: warning: %s: could not remove the input\n", o.program.c_str(), out.remove.c_str());
      bytes_in += data.size();
      bytes_out += file.size();
      ++files;
      if (o.verbose) {
        const double n = static_cast<double>(std::max<size_t>(values, 1)), secs = since(t0);
        const char* per = audio ? "sample" : "byte";
        std::fprintf(stderr,
                     "%s: %zu -> %zu bytes, %.4f bits per %s (model %.4f), method %s, %zu chunk%s, budget %lld, "
                     "%.1f s, %.0f %ss/s -> %s\n",
                     out.label.c_str(), data.size(), file.size(), 8.0 * static_cast<double>(file.size()) / n, per,
                     st.model_bits / n, coding::method_name(st.method), st.chunks, st.chunks == 1 ? "" : "s",
                     static_cast<long long>(o.budget), secs, static_cast<double>(values) / secs, per,
                     out.output == "-" ? "stdout" : out.output.c_str());
      }
    } catch (const std::exception& e) {
      report(o, out.label, e.what());
      status = 1;
    }
  }
  if (!o.quiet && files > 1)
    std::fprintf(stderr, "compressed %zu files: %zu -> %zu bytes (%.4f bits per byte), %.1f s\n", files, bytes_in,
                 bytes_out, bytes_in ? 8.0 * static_cast<double>(bytes_out) / static_cast<double>(bytes_in) : 0.0,
                 since(t_start));
  return status;
}

int decompress_byte_files(const std::vector<std::string>& inputs, const ByteOptions& o) {
  std::vector<std::string> errors;
  const auto outs = plan(inputs, o, false, errors);
  Codecs codecs{o, nullptr, nullptr};  // each loaded when a model-coded file needs it
  int status = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Out& out = outs[i];
    try {
      if (!errors[i].empty()) throw std::runtime_error(errors[i]);
      const auto t0 = std::chrono::steady_clock::now();
      const auto file = read_input(inputs[i]);
      const auto parsed = coding::read_file_v3(file.data(), file.size());
      const bool audio = holds_pcm(parsed);
      const engine::EngineCodec* codec =
          parsed.header.method == coding::Method::kModel ? &codecs.get(audio, false) : nullptr;
      util::Progress progress("decompress " + out.label, static_cast<int64_t>(parsed.parts.size()), "chunk",
                              !o.quiet && parsed.parts.size() > 4);
      std::vector<uint8_t> data;
      try {
        auto on_progress = [&](size_t done, size_t) { progress.update(static_cast<int64_t>(done)); };
        data = audio ? decompress_wav(parsed, codec, o.batch, on_progress)
                     : decompress_bytes(parsed, codec, o.batch, on_progress);
      } catch (const coding::CodingError& e) {
        throw std::runtime_error(std::string("corrupted: ") + e.what() + " (a damaged file, or one made with another model)");
      }
      progress.finish();
      write_output(out.output, data);
      if (!out.remove.empty() && std::remove(out.remove.c_str()) != 0)
        std::fprintf(stderr, "%s: warning: %s: could not remove the input\n", o.program.c_str(), out.remove.c_str());
      if (o.verbose)
        std::fprintf(stderr, "%s: %zu -> %zu bytes, method %s, %.1f s -> %s\n", out.label.c_str(), file.size(),
                     data.size(), coding::method_name(parsed.header.method), since(t0),
                     out.output == "-" ? "stdout" : out.output.c_str());
    } catch (const std::exception& e) {
      report(o, out.label, e.what());
      status = 1;
    }
  }
  return status;
}

}  // namespace ardm::cli
