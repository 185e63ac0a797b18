#include "ardm/codec/files.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

#include "ardm/coding/rans.h"
#include "ardm/util/atomic_file.h"
#include "ardm/util/progress.h"
#include "ardm/util/workers.h"

namespace fs = std::filesystem;

namespace ardm::codec {
namespace {

constexpr const char* kSuffix = ".ardm";

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<uint8_t> read_input(const std::string& input) {
  return input == "-" ? stdin_bytes() : util::read_file_bytes(input);
}

// The first bytes of an input, to tell its kind (unreadable: none; reading it later says why).
std::vector<uint8_t> head_of(const std::string& input, size_t n) {
  if (input == "-") {
    const auto& b = stdin_bytes();
    return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(n, b.size())));
  }
  std::ifstream f(input, std::ios::binary);
  std::vector<uint8_t> h(n);
  f.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(n));
  h.resize(static_cast<size_t>(std::max<std::streamsize>(f.gcount(), 0)));
  return h;
}

// The output path of an input renamed to `renamed` (X.ardm, or X less .ardm).
std::string output_for(const std::string& input, const std::string& renamed, size_t n_inputs, const FileOptions& o) {
  if (o.to_stdout || (input == "-" && o.output.empty())) return "-";
  if (o.output.empty()) return renamed;
  if (n_inputs > 1 || fs::is_directory(o.output)) return (fs::path(o.output) / fs::path(renamed).filename()).string();
  return o.output;
}

// Outputs of the jobs (and the files in their folders): two jobs that would write one path would
// overwrite each other, so the later ones fail before any work.
void check_clashes(std::vector<Job>& jobs, const std::vector<std::vector<std::string>>& extra) {
  std::map<std::string, std::string> owner;  // normalised path -> label of the job writing it
  for (size_t j = 0; j < jobs.size(); ++j) {
    auto& job = jobs[j];
    if (!job.error.empty() || job.output == "-") continue;
    std::vector<std::string> outs = {job.output};
    if (j < extra.size()) outs.insert(outs.end(), extra[j].begin(), extra[j].end());
    for (const auto& p : outs) {
      const auto [it, fresh] = owner.emplace(fs::absolute(p).lexically_normal().string(), job.label);
      if (!fresh && it->second != job.label) {
        job.error = "its output " + p + " is also the output of " + it->second + " (use separate folders)";
        break;
      }
    }
  }
}

void remove_input(const FileOptions& o, const Job& job) {
  if (!job.remove.empty() && std::remove(job.remove.c_str()) != 0)
    std::fprintf(stderr, "%s: warning: %s: could not remove the input\n", o.program.c_str(), job.remove.c_str());
}

// The extension a kind's output files get ("" when it adds none).
std::string output_extension(const kinds::Kind& kind, const kinds::WriteOptions& w) { return kind.output_name("", w); }

}  // namespace

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
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

void write_output(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (path != "-") return util::write_file_atomic(path, bytes);
  static std::mutex stdout_mu;
  std::lock_guard<std::mutex> lock(stdout_mu);
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
    throw std::runtime_error("stdout: write error");
}

void write_folder(const std::string& dir, const std::vector<std::string>& names,
                  const std::function<std::vector<uint8_t>(size_t)>& bytes_of) {
  const fs::path final_dir(dir);
  const fs::path parent = final_dir.has_parent_path() ? final_dir.parent_path() : fs::path(".");
  std::string name = (parent / (final_dir.filename().string() + ".tmp.XXXXXX")).string();
  if (!mkdtemp(name.data())) throw std::runtime_error(dir + ": cannot create a temporary folder beside it");
  const fs::path tmp(name);
  try {
    for (size_t i = 0; i < names.size(); ++i) util::write_file_atomic((tmp / names[i]).string(), bytes_of(i));
    if (!fs::exists(final_dir)) {
      fs::rename(tmp, final_dir);
    } else {
      for (const auto& n : names) fs::rename(tmp / n, final_dir / n);
      fs::remove(tmp);
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

void report_error(const FileOptions& o, const Job& job) {
  const bool named = job.error.rfind(job.label, 0) == 0;
  std::fprintf(stderr, "%s: error: %s%s%s\n", o.program.c_str(), named ? "" : job.label.c_str(), named ? "" : ": ",
               job.error.c_str());
}

std::string model_path(const kinds::Kind& kind, const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* var = kind.model_variable();
  if (const char* env = std::getenv(var); env && *env) return env;
  const std::string bundled = kind.bundled_model();
  if (bundled.empty() || !fs::exists(bundled))
    throw std::runtime_error(std::string("no ") + kind.name() + " model: pass --model MODEL or set " + var +
                             " (the bundled model " +
                             (bundled.empty() ? std::string("was not configured") : bundled + " is missing") + ")");
  return bundled;
}

int64_t budget_for(const FileOptions& o, const kinds::Kind& kind, const engine::EngineCodec& codec) {
  if (o.level == 0) return o.budget;
  const int64_t S = codec.num_stages(), most = std::min<int64_t>(S * codec.num_values(), coding::kMaxBudget);
  return std::clamp(kind.level_budget(o.level), S, most);
}

const engine::EngineCodec& Models::get(const kinds::Kind& kind) {
  for (const auto& [name, codec] : loaded_)
    if (name == kind.name()) return *codec;
  auto c = std::make_unique<engine::EngineCodec>(o_.load(model_path(kind, o_.model)), o_.threads);
  kind.check_model(c->model());
  if (compress_) check_budget(*c, budget_for(o_, kind, *c));
  loaded_.emplace_back(kind.name(), std::move(c));
  return *loaded_.back().second;
}

const engine::EngineCodec& Models::for_file(const kinds::Kind& kind, uint16_t model_id) {
  const auto& chosen = get(kind);
  const auto id = [](const engine::EngineCodec& c) { return static_cast<uint16_t>(c.fingerprint()); };
  // A model the user named (--model, the kind's variable) decodes alone.
  if (id(chosen) == model_id || model_path(kind, o_.model) != kind.bundled_model()) return chosen;
  for (const auto& path : kind.older_models()) {
    auto it = std::find_if(older_.begin(), older_.end(), [&](const auto& p) { return p.first == path; });
    if (it == older_.end()) {
      if (!fs::exists(path)) continue;
      auto c = std::make_unique<engine::EngineCodec>(o_.load(path), o_.threads);
      kind.check_model(c->model());
      older_.emplace_back(path, std::move(c));
      it = std::prev(older_.end());
    }
    if (id(*it->second) == model_id) return *it->second;
  }
  return chosen;
}

// ---------------- compress

std::vector<Job> plan_compress(const std::vector<std::string>& given, const FileOptions& o) {
  const std::vector<std::string> inputs = given.empty() ? std::vector<std::string>{"-"} : given;
  if (!o.output.empty() && !o.to_stdout && inputs.size() > 1) fs::create_directories(o.output);
  const bool many_to_stdout = o.to_stdout && inputs.size() > 1;  // a kind that merges makes one file of them
  std::vector<Job> jobs;
  std::map<const kinds::Kind*, size_t> merged;  // kind -> its job (many_to_stdout)
  for (const auto& in : inputs) {
    const bool from_stdin = in == "-";
    Job job;
    job.label = from_stdin ? "stdin" : in;
    job.inputs = {in};
    try {
      const auto head = head_of(in, 32);  // a PNG header and its IHDR
      job.kind = &kinds::for_input(in, head.data(), head.size());
      if (many_to_stdout && job.kind->merges()) {
        const auto [it, fresh] = merged.emplace(job.kind, jobs.size());
        if (!fresh) {
          jobs[it->second].inputs.push_back(in);
          continue;
        }
      }
      if (!from_stdin && ends_with(in, kSuffix)) throw std::runtime_error("already has the .ardm suffix");
      job.output = output_for(in, in + kSuffix, inputs.size(), o);
      if (!o.keep && !o.to_stdout && o.output.empty() && !from_stdin) job.remove = in;
      if (job.output == "-" && isatty(STDOUT_FILENO) && !o.force)
        throw std::runtime_error("compressed data not written to a terminal (use -f to force, or -o FILE)");
      if (job.output != "-" && fs::exists(job.output) && !o.force)
        throw std::runtime_error(job.output + " already exists (use -f to overwrite)");
    } catch (const std::exception& e) {
      job.error = e.what();
    }
    jobs.push_back(std::move(job));
  }
  for (auto& job : jobs)
    if (job.inputs.size() > 1) job.label = std::to_string(job.inputs.size()) + " " + job.kind->data_noun();
  check_clashes(jobs, {});
  return jobs;
}

void run_compress(std::vector<Job>& jobs, const FileOptions& o, Models& models) {
  if (o.batch < 1) throw std::invalid_argument("--batch must be at least 1");
  // Every input read and turned into its kind's content.
  for (auto& job : jobs) {
    if (!job.error.empty()) continue;
    try {
      const auto& codec = models.get(*job.kind);
      check_method(*job.kind, o.method);
      if (!job.inputs.empty()) {
        std::vector<kinds::Content> parts;
        for (const auto& in : job.inputs) {
          const auto bytes = read_input(in);
          job.bytes_in += bytes.size();
          parts.push_back(job.kind->read(bytes, in == "-" ? "stdin" : in, codec.model()));
        }
        job.content = job.kind->merge(parts);
      } else {
        job.bytes_in = job.content.words.size() * job.content.description.value_bytes();
      }
    } catch (const std::exception& e) {
      job.error = e.what();
    }
  }
  // Every chunk of every file through its kind's model, in batches.
  std::vector<std::vector<engine::ItemCoder::Encoded>> encoded(jobs.size());
  for (const kinds::Kind* kind : kinds::all()) {
    std::vector<size_t> mine;
    std::vector<Source> sources;
    size_t total = 0;
    for (size_t j = 0; j < jobs.size(); ++j)
      if (jobs[j].error.empty() && jobs[j].kind == kind) {
        mine.push_back(j);
        sources.push_back({kind, &jobs[j].content});
      }
    if (mine.empty()) continue;
    try {
      const auto& codec = models.get(*kind);
      for (const auto& s : sources)
        if (kind->model_codes(s.content->description, codec.model())) total += chunks_in(*kind, s.content->description, codec);
      util::Progress progress("compress", static_cast<int64_t>(total), kind->item_noun(), !o.quiet && total > 4);
      const int64_t budget = budget_for(o, *kind, codec);
      for (size_t j : mine) jobs[j].budget = budget;
      auto rows = encode_chunks(sources, codec, budget, o.batch,
                                [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
      progress.finish();
      for (size_t k = 0; k < mine.size(); ++k) {
        Job& job = jobs[mine[k]];
        job.chunks = kind->model_codes(job.content.description, codec.model())
                         ? chunks_in(*kind, job.content.description, codec) : 0;
        for (const auto& e : rows[k]) job.model_bits += e.model_bits;
        encoded[mine[k]] = std::move(rows[k]);
      }
    } catch (const std::exception& e) {
      for (size_t j : mine) jobs[j].error = e.what();
    }
  }
  // The files (the kinds' classical codecs too) made on every thread, then written in order.
  std::vector<size_t> ok;
  for (size_t j = 0; j < jobs.size(); ++j)
    if (jobs[j].error.empty()) ok.push_back(j);
  std::vector<std::vector<uint8_t>> files(jobs.size());
  {
    util::Progress progress("write", static_cast<int64_t>(ok.size()), "file", !o.quiet && ok.size() > 1);
    const auto errors = util::run_workers(
        static_cast<int64_t>(ok.size()), o.threads,
        [&](int64_t i) {
          Job& job = jobs[ok[static_cast<size_t>(i)]];
          auto made = best_file(*job.kind, job.content, o.method, models.get(*job.kind), job.budget,
                                encoded[ok[static_cast<size_t>(i)]]);
          job.method = made.method;
          job.codes = made.codes;
          job.method_text = methods_text(*job.kind, made);
          files[ok[static_cast<size_t>(i)]] = std::move(made.bytes);
        },
        [&](int64_t done) { progress.update(done); });
    progress.finish();
    for (size_t i = 0; i < ok.size(); ++i)
      if (!errors[i].empty()) jobs[ok[i]].error = errors[i];
  }
  for (size_t j : ok) {
    Job& job = jobs[j];
    if (!job.error.empty()) continue;
    try {
      const auto t0 = std::chrono::steady_clock::now();
      if (job.output.empty()) job.file = files[j];  // kept in memory (the library API)
      else write_output(job.output, files[j]);
      job.bytes_out = files[j].size();
      job.done = true;
      remove_input(o, job);
      if (o.verbose) {
        const double n = static_cast<double>(std::max<uint64_t>(job.content.description.num_values(), 1));
        std::fprintf(stderr, "%s: %zu -> %zu bytes, %.4f %s (model %.4f), method %s, %zu chunk%s, budget %lld, %.2f s -> %s\n",
                     job.label.c_str(), job.bytes_in, job.bytes_out, 8.0 * static_cast<double>(job.bytes_out) / n,
                     job.kind->unit(), job.model_bits / n, job.method_text.c_str(), job.chunks, job.chunks == 1 ? "" : "s",
                     static_cast<long long>(job.budget), since(t0), job.output == "-" ? "stdout" : job.output.c_str());
      }
    } catch (const std::exception& e) {
      job.error = e.what();
    }
  }
}

int compress_files(const std::vector<std::string>& inputs, const FileOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto jobs = plan_compress(inputs, o);
  Models models(o, true);
  run_compress(jobs, o, models);
  int status = 0;
  size_t files = 0, in = 0, out = 0;
  uint64_t values = 0;
  double model_bits = 0;
  const kinds::Kind* kind = nullptr;  // the kind of every file done, if they share one
  bool one_kind = true;
  std::map<std::string, size_t> by_file, by_chunk;  // files per method, chunks per method of mixed files
  for (const auto& job : jobs) {
    if (!job.error.empty()) {
      report_error(o, job);
      status = 1;
      continue;
    }
    ++files, in += job.bytes_in, out += job.bytes_out;
    values += job.content.description.num_values();
    model_bits += job.model_bits;
    const bool mixed = job.method == coding::Method::kParts && job.codes.size() > 1;
    ++by_file[mixed ? std::string("chunk by chunk") : code_name(*job.kind, job.codes.empty() ? 0 : job.codes[0])];
    if (mixed)
      for (auto c : job.codes) ++by_chunk[code_name(*job.kind, c)];
    one_kind = one_kind && (!kind || kind == job.kind);
    kind = job.kind;
  }
  if (!o.quiet && files > 1) {
    std::string rate = std::to_string(8.0 * static_cast<double>(out) / static_cast<double>(std::max<size_t>(in, 1))).substr(0, 6) + " bits per input byte";
    if (one_kind && values > 0)
      rate = std::to_string(8.0 * static_cast<double>(out) / static_cast<double>(values)).substr(0, 6) + " " + kind->unit() +
             " from the file sizes (model " + std::to_string(model_bits / static_cast<double>(values)).substr(0, 6) + ")";
    std::fprintf(stderr, "compressed %zu files: %zu -> %zu bytes, %s, %.1f s\n", files, in, out, rate.c_str(), since(t0));
    auto list = [](const std::map<std::string, size_t>& m) {
      std::string t;
      for (const auto& [name, n] : m) t += (t.empty() ? "" : ", ") + name + " " + std::to_string(n);
      return t;
    };
    std::fprintf(stderr, "methods: %s%s%s\n", list(by_file).c_str(), by_chunk.empty() ? "" : "; their chunks: ",
                 list(by_chunk).c_str());
  }
  return status;
}

// ---------------- decompress

void open_job(Job& job, const FileOptions& o, Models& models) {
  try {
    if (coding::file_version(job.file.data(), job.file.size()) < 3)
      throw coding::FormatError("wrong model: a file of format version 1 or 2, made by LibTorch's kernels (decode it "
                                "with ardm decompress and the checkpoint it was made with)");
    job.opened = open_file(job.file.data(), job.file.size());
    job.kind = job.opened.kind;
    if (job.opened.needs_model) {
      job.codec = &models.for_file(*job.kind, job.opened.file.header.model_id);
      bind(job.opened, *job.codec);
    }
    job.method = job.opened.file.header.method;
    job.codes = part_codes(job.opened.file);
    Made made;
    made.method = job.method, made.codes = job.codes;
    job.method_text = methods_text(*job.kind, made);
  } catch (const coding::FormatError& e) {
    if (!o.fallback || std::string(e.what()).rfind("wrong model", 0) != 0) throw;
    job.content = o.fallback(job.file, e);
    job.kind = kinds::for_code(job.content.description.kind);
    if (!job.kind) throw std::logic_error("the fallback decoded a file of an unknown kind");
    job.from_fallback = true;
    job.method_text = "model (LibTorch)";
  }
}

std::vector<Job> plan_decompress(const std::vector<std::string>& given, const FileOptions& o, Models& models,
                                 std::vector<std::vector<std::string>>& folder_files) {
  const std::vector<std::string> inputs = given.empty() ? std::vector<std::string>{"-"} : given;
  if (!o.output.empty() && !o.to_stdout && inputs.size() > 1) fs::create_directories(o.output);
  std::vector<Job> jobs(inputs.size());
  folder_files.assign(inputs.size(), {});
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    const bool from_stdin = in == "-";
    Job& job = jobs[i];
    job.label = from_stdin ? "stdin" : in;
    job.inputs = {in};
    try {
      if (from_stdin && isatty(STDIN_FILENO)) throw std::runtime_error("compressed data not read from a terminal");
      std::string stripped = in;
      if (!from_stdin) {
        if (ends_with(in, kSuffix)) stripped = in.substr(0, in.size() - std::string(kSuffix).size());
        else if (o.output.empty() && !o.to_stdout) throw std::runtime_error("unknown suffix (expected .ardm; use -o or -c)");
      }
      job.file = read_input(in);
      open_job(job, o, models);
      const auto& description = job.from_fallback ? job.content.description : job.opened.description;
      job.output = output_for(in, from_stdin ? in : job.kind->output_name(stripped, o.write), inputs.size(), o);
      if (!o.keep && !o.to_stdout && o.output.empty() && !from_stdin) job.remove = in;
      const size_t n = job.kind->output_files(description, o.write);
      if (n > 1) {  // X.ardm -> the folder X/ of 00000.png, ...
        if (job.output == "-")
          throw std::runtime_error("holds " + std::to_string(n) + " " + job.kind->data_noun() + "; use -o FOLDER, not stdout");
        const std::string ext = output_extension(*job.kind, o.write);
        if (!ext.empty() && ends_with(job.output, ext)) job.output.resize(job.output.size() - ext.size());
        for (size_t k = 0; k < n; ++k) {
          folder_files[i].push_back(job.kind->output_file_name(k, n, o.write));
          const auto p = (fs::path(job.output) / folder_files[i].back()).string();
          if (fs::exists(p) && !o.force) throw std::runtime_error(p + " already exists (use -f to overwrite)");
        }
      } else {
        if (job.output == "-" && isatty(STDOUT_FILENO) && !o.force && job.kind->binary_output())
          throw std::runtime_error(std::string(job.kind->name()) +
                                   " data not written to a terminal (use -f to force, or -o FILE)");
        if (job.output != "-" && fs::exists(job.output) && !o.force)
          throw std::runtime_error(job.output + " already exists (use -f to overwrite)");
      }
    } catch (const std::exception& e) {
      job.error = e.what();
    }
  }
  std::vector<std::vector<std::string>> paths(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i)
    for (const auto& f : folder_files[i]) paths[i].push_back((fs::path(jobs[i].output) / f).string());
  check_clashes(jobs, paths);
  return jobs;
}

void run_decompress(std::vector<Job>& jobs, const std::vector<std::vector<std::string>>& folder_files,
                    const FileOptions& o) {
  if (o.batch < 1) throw std::invalid_argument("--batch must be at least 1");
  const char* kDamaged = " (a damaged file, or one made with another model)";
  // The files of each kind and model (kinds in order, models as met), decoded together.
  struct Group {
    const kinds::Kind* kind;
    const engine::EngineCodec* codec;
    std::vector<size_t> jobs;
  };
  std::vector<Group> groups;
  for (const kinds::Kind* kind : kinds::all())
    for (size_t j = 0; j < jobs.size(); ++j) {
      if (!jobs[j].error.empty() || jobs[j].from_fallback || jobs[j].kind != kind) continue;
      auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.kind == kind && x.codec == jobs[j].codec; });
      if (g == groups.end()) g = groups.insert(groups.end(), {kind, jobs[j].codec, {}});
      g->jobs.push_back(j);
    }
  for (const auto& [kind, codec, mine] : groups) {
    std::vector<const Opened*> opened;
    size_t total = 0;
    for (size_t j : mine) {
      opened.push_back(&jobs[j].opened);
      total += chunk_count(jobs[j].opened);
    }
    try {
      util::Progress progress("decompress", static_cast<int64_t>(total), kind->item_noun(), !o.quiet && total > 4);
      auto decoded = decode_files(opened, codec, o.batch, [&](size_t done) { progress.update(static_cast<int64_t>(done)); });
      progress.finish();
      for (size_t k = 0; k < mine.size(); ++k) {
        Job& job = jobs[mine[k]];
        if (!decoded[k].error.empty()) job.error = "corrupted: " + decoded[k].error + kDamaged;
        job.content = std::move(decoded[k].content);
      }
    } catch (const std::exception& e) {
      for (size_t j : mine) jobs[j].error = e.what();
    }
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    Job& job = jobs[j];
    if (!job.error.empty()) continue;
    if (job.output.empty()) {  // the content kept in memory (the library API)
      job.done = true;
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    try {
      const auto& names = folder_files[j];
      if (names.empty()) {
        const auto bytes = job.kind->write(job.content, 0, job.output, o.write);
        job.bytes_out = bytes.size();
        write_output(job.output, bytes);
      } else {
        write_folder(job.output, names, [&](size_t i) {
          auto bytes = job.kind->write(job.content, i, names[i], o.write);
          job.bytes_out += bytes.size();
          return bytes;
        });
      }
      job.done = true;
      remove_input(o, job);
      if (o.verbose)
        std::fprintf(stderr, "%s: %zu -> %zu bytes, method %s, %.2f s -> %s\n", job.label.c_str(), job.file.size(),
                     job.bytes_out, job.method_text.c_str(), since(t0), job.output == "-" ? "stdout" : job.output.c_str());
    } catch (const std::exception& e) {
      job.error = e.what();
    }
  }
}

int decompress_files(const std::vector<std::string>& inputs, const FileOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  Models models(o, false);
  std::vector<std::vector<std::string>> folder_files;
  auto jobs = plan_decompress(inputs, o, models, folder_files);
  run_decompress(jobs, folder_files, o);
  int status = 0;
  size_t files = 0;
  for (const auto& job : jobs) {
    if (!job.error.empty()) {
      report_error(o, job);
      status = 1;
    } else {
      ++files;
    }
  }
  if (!o.quiet && files > 1) std::fprintf(stderr, "decompressed %zu files in %.1f s\n", files, since(t0));
  return status;
}

}  // namespace ardm::codec
