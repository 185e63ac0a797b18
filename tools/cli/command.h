// One subcommand of the ardm command line: its flags (added to the app when it is made) and its
// run. Each lives in its own file here; tools/ardm.cpp makes them all, parses, and runs the one
// the user named, catching what it throws (the only place that does).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ardm::cli {

class Command {
 public:
  virtual ~Command() = default;
  virtual bool parsed() const = 0;
  virtual int run() = 0;
  // The start of an error line: "ardm: error: " (a data-parallel rank adds its number).
  virtual std::string error_prefix() const { return "ardm: error: "; }
};

std::unique_ptr<Command> add_train(CLI::App& app, int argc, char** argv);
std::unique_ptr<Command> add_eval(CLI::App& app);
std::unique_ptr<Command> add_schedule(CLI::App& app);
std::unique_ptr<Command> add_sample(CLI::App& app);
std::vector<std::unique_ptr<Command>> add_data_commands(CLI::App& app);   // text, audio, images
std::vector<std::unique_ptr<Command>> add_codec_commands(CLI::App& app);  // compress, decompress, export

// ---- shared by the model commands (common.cpp)

// --threads, --device, -q
struct Common {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string device = "cpu";
  bool quiet = false;
};
void add_common(CLI::App* app, Common& c);

}  // namespace ardm::cli
