// Data sets written as files (what the benchmarks compress): ardm images (PNG files), ardm text
// (a text source's split as one file, or each of its documents as a file), ardm audio (a split's WAV files).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "ardm/data/audio.h"
#include "ardm/data/dataset.h"
#include "ardm/data/text.h"
#include "ardm/kinds/image/image.h"
#include "ardm/util/atomic_file.h"
#include "command.h"

namespace fs = std::filesystem;

namespace ardm::cli {
namespace {

class Images : public Command {
 public:
  explicit Images(CLI::App& app) {
    cmd_ = app.add_subcommand("images", "write a data set's images as PNG files (00000.png, ...)");
    cmd_->add_option("--data", data_, "fashion-mnist, or a folder of PNG files")->required();
    cmd_->add_option("--split", split_, "train or test")->capture_default_str();
    cmd_->add_option("--limit", limit_, "only the first N images (0 = all)");
    cmd_->add_option("--out", out_, "folder to write into")->required();
    cmd_->add_flag("-f,--force", force_, "write into a folder that is not empty");
  }
  bool parsed() const override { return cmd_->parsed(); }
  int run() override {
    const auto images = data::load_images(data_, split_, limit_);
    if (fs::exists(out_) && !fs::is_empty(out_) && !force_) throw std::runtime_error(out_ + " exists and is not empty");
    fs::create_directories(out_);
    const int64_t n = images.size(0), C = images.size(1), H = images.size(2), W = images.size(3);
    auto flat = images.reshape({n, -1}).contiguous();
    for (int64_t i = 0; i < n; ++i)
      data::write_png((fs::path(out_) / kinds::numbered_name(static_cast<size_t>(i), static_cast<size_t>(n), ".png")).string(),
                      kinds::image_of(flat[i].data_ptr<uint8_t>(), C, H, W));
    std::printf("wrote %lld images to %s/\n", static_cast<long long>(n), out_.c_str());
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  std::string data_, split_ = "test", out_;
  int64_t limit_ = 0;
  bool force_ = false;
};

// A document's name as a path below the output folder: its '/'-separated parts as subfolders,
// refusing any part that could climb out of it.
fs::path safe_relative(const std::string& name) {
  fs::path out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    const std::string part = name.substr(start, end - start);
    if (part == "..") throw std::runtime_error("document name " + name + " climbs out of the output folder");
    if (!part.empty() && part != ".") out /= part;
    start = end + 1;
  }
  if (out.empty()) throw std::runtime_error("a document has an empty name '" + name + "'");
  return out;
}

class Text : public Command {
 public:
  explicit Text(CLI::App& app) {
    cmd_ = app.add_subcommand("text", "write a text source's split as one file (e.g. the Bible's test books), or its "
                                      "documents as files into a folder (--files)");
    cmd_->add_option("--data", data_, "kjv, gcide, linux-doc, debian-manuals, manpages, python-lib, python-doc, corpus, "
                                      "a file or a folder (comma-separated)")->capture_default_str();
    cmd_->add_option("--split", split_, "train, valid, test or all")->capture_default_str();
    cmd_->add_option("--out", out_, "file to write (with --files: folder to write into)");
    cmd_->add_flag("--files", files_, "one file per document under --out, named as the document "
                                      "(e.g. linux-doc/process/changes.rst)");
    cmd_->add_flag("--list", list_, "print each document's bytes and name instead of writing");
    cmd_->add_flag("-f,--force", force_, "with --files: write into a folder that is not empty");
  }
  bool parsed() const override { return cmd_->parsed(); }
  int run() override {
    if (list_) {
      size_t bytes = 0;
      const auto docs = data::text_files(data_, split_);
      for (const auto& d : docs) {
        std::printf("%zu\t%s\n", d.text.size(), d.name.c_str());
        bytes += d.text.size();
      }
      std::printf("%zu documents, %zu bytes (%s, %s)\n", docs.size(), bytes, data_.c_str(), split_.c_str());
      return 0;
    }
    if (out_.empty()) throw std::runtime_error("text: give --out (or --list)");
    if (!files_) {
      std::string all;
      for (const auto& d : data::text_documents(data_, split_)) all += d;
      std::ofstream(out_, std::ios::binary) << all;
      std::printf("wrote %s: %zu bytes (%s, %s)\n", out_.c_str(), all.size(), data_.c_str(), split_.c_str());
      return 0;
    }
    // Load first, so an uninstalled package leaves no half-written folder behind.
    const auto docs = data::text_files(data_, split_);
    if (fs::exists(out_) && !fs::is_empty(out_) && !force_) throw std::runtime_error(out_ + " exists and is not empty");
    std::set<fs::path> seen;
    size_t bytes = 0;
    for (const auto& d : docs) {
      const fs::path rel = safe_relative(d.name);
      if (!seen.insert(rel).second) throw std::runtime_error("two documents would be written as " + rel.string());
      const fs::path path = fs::path(out_) / rel;
      fs::create_directories(path.parent_path());
      util::write_file_atomic(path.string(), std::vector<uint8_t>(d.text.begin(), d.text.end()));
      bytes += d.text.size();
    }
    std::printf("wrote %zu files, %zu bytes, to %s/ (%s, %s)\n", docs.size(), bytes, out_.c_str(), data_.c_str(),
                split_.c_str());
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  std::string data_ = "kjv", split_ = "test", out_;
  bool files_ = false, list_ = false, force_ = false;
};

class Audio : public Command {
 public:
  explicit Audio(CLI::App& app) {
    cmd_ = app.add_subcommand("audio", "copy an audio source's split (e.g. the speech test files) into a folder");
    cmd_->add_option("--data", data_, "speech (English), speech-it, speech-ru, a .wav file or a folder of them")->capture_default_str();
    cmd_->add_option("--split", split_, "train, valid, test or all")->capture_default_str();
    cmd_->add_option("--out", out_, "folder to write into")->required();
  }
  bool parsed() const override { return cmd_->parsed(); }
  int run() override {
    const auto files = data::audio_files(data_, split_);
    fs::create_directories(out_);
    std::set<std::string> names;
    for (const auto& f : files) {
      // Names are made unique by their path below the source (digits/1.wav -> digits-1.wav).
      const auto root = data::speech_folder(data_);
      std::string rel = !root.empty() ? fs::relative(f, root).string() : fs::path(f).filename().string();
      std::replace(rel.begin(), rel.end(), '/', '-');
      if (!names.insert(rel).second) throw std::runtime_error("two files would be written as " + rel);
      fs::copy_file(f, fs::path(out_) / rel, fs::copy_options::overwrite_existing);
    }
    std::printf("wrote %zu WAV files to %s (%s, %s)\n", files.size(), out_.c_str(), data_.c_str(), split_.c_str());
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  std::string data_ = "speech", split_ = "test", out_;
};

}  // namespace

std::vector<std::unique_ptr<Command>> add_data_commands(CLI::App& app) {
  std::vector<std::unique_ptr<Command>> out;
  out.push_back(std::make_unique<Images>(app));
  out.push_back(std::make_unique<Text>(app));
  out.push_back(std::make_unique<Audio>(app));
  return out;
}

}  // namespace ardm::cli
