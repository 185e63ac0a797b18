// Writes the twin reference files of tests/twin/ (run once, when a network changes; not a test):
// tiny random networks of every kind, their inputs, LibTorch's outputs and the engine's.
//
//   cmake --build build --target make_references && build/tests/make_references tests/twin
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ardm/engine/net.h"
#include "ardm/train/export.h"
#include "../random_model.h"
#include "../twin_inputs.h"
#include "twin_file.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_references FOLDER\n");
    return 2;
  }
  struct Case {
    std::string name;
    ardm::Model model;
  };
  std::vector<Case> cases;
  cases.push_back({"unet-oa", random_model(101)});
  cases.push_back({"unet-rgb-upscale4-direct", random_rgb_model(102, 4, "direct")});
  cases.push_back({"transformer", random_text_model(103)});
  cases.push_back({"diffwave-b16", random_audio_model(104, 16)});
  for (auto& c : cases) {
    const int64_t B = 3;
    auto em = ardm::engine_model_of(c.model);
    twin::File f;
    f.model = ardm::engine::serialize(em);
    const auto in = random_inputs(c.model, B, 11);
    f.B = static_cast<uint32_t>(B), f.D = static_cast<uint32_t>(c.model.num_values());
    f.x = in.x, f.known = in.known, f.t = in.t, f.stage = in.stage;
    f.torch_out = torch_outputs(c.model, in, B);
    f.O = static_cast<uint32_t>(f.torch_out.size() / (f.B * f.D));
    ardm::engine::ThreadPool pool(2);
    f.engine_out = ardm::engine::make_net(em)->forward({B, f.x.data(), f.known.data(), f.t.data(), f.stage.data()}, pool);
    const auto bytes = twin::write(f);
    const auto path = (std::filesystem::path(argv[1]) / (c.name + ".twin")).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    std::printf("wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
  }
  return 0;
}
