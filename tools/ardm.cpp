// The ardm command line: each subcommand is a file in tools/cli/ (its flags into config structs,
// then a call into the library); this is the only place that catches what they throw: one line
// on stderr, exit status 1.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <cstdio>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"ardm: Autoregressive Diffusion Models (order-agnostic and Upscale ARDMs) for discrete data"};
  app.require_subcommand(1);
  std::vector<std::unique_ptr<ardm::cli::Command>> commands;
  commands.push_back(ardm::cli::add_train(app, argc, argv));
  commands.push_back(ardm::cli::add_eval(app));
  commands.push_back(ardm::cli::add_schedule(app));
  commands.push_back(ardm::cli::add_sample(app));
  for (auto* group : {&ardm::cli::add_data_commands, &ardm::cli::add_codec_commands})
    for (auto& c : (*group)(app)) commands.push_back(std::move(c));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& c : commands) {
    if (!c->parsed()) continue;
    try {
      return c->run();
    } catch (const c10::Error& e) {
      std::fprintf(stderr, "%s%s\n", c->error_prefix().c_str(), e.what_without_backtrace());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s%s\n", c->error_prefix().c_str(), e.what());
    }
    return 1;
  }
  return 1;
}
