// The codec's subcommands: compress, decompress, images (export a data set as PNG files) and
// export (a weights-only model file for coding).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

namespace ardm::cli {

class CodecCommands {
 public:
  explicit CodecCommands(CLI::App& app);
  ~CodecCommands();
  bool parsed() const;
  // Runs the parsed subcommand; returns the exit status (0, or 1 after any error, each
  // reported on stderr). Files that fail do not stop the others.
  int run();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ardm::cli
