// The engine's networks against LibTorch's outputs saved in tests/twin/ (make_references.cpp),
// without LibTorch: every kernel this machine can run, one and two threads, must give exactly the
// saved engine bits, and those must be within float tolerance of LibTorch's. Built in the
// decoder-only and cross builds too, so it runs under qemu (tests/cross_decode_test.sh).
//
//   twin_test [--isa NAME] FOLDER     exit status 0 when every file passes
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ardm/engine/kernels.h"
#include "ardm/engine/model_file.h"
#include "ardm/engine/net.h"
#include "twin_file.h"

namespace fs = std::filesystem;
using namespace ardm::engine;

int main(int argc, char** argv) {
  std::string folder;
  std::vector<Isa> isas;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--isa" && i + 1 < argc)
      isas.push_back(parse_isa(argv[++i]));
    else
      folder = argv[i];
  }
  if (folder.empty()) {
    std::fprintf(stderr, "usage: twin_test [--isa NAME] FOLDER\n");
    return 2;
  }
  if (isas.empty())
    for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kNeon})
      if (isa_supported(i)) isas.push_back(i);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.path().extension() == ".twin") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  int fails = 0;
  if (files.empty()) {
    std::printf("FAIL no .twin files in %s\n", folder.c_str());
    return 1;
  }
  for (const auto& path : files) {
    try {
      std::ifstream in(path, std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const auto f = twin::read(bytes, path.string());
      const auto model = parse_model(f.model.data(), f.model.size(), path.string());
      const auto net = make_net(model);
      double max_abs = 0, max_err = 0;
      for (size_t i = 0; i < f.torch_out.size(); ++i) {
        max_abs = std::max(max_abs, std::fabs(static_cast<double>(f.torch_out[i])));
        max_err = std::max(max_err, std::fabs(static_cast<double>(f.engine_out[i]) - f.torch_out[i]));
      }
      const bool near = max_abs > 1.0 && max_err < 2e-4 * max_abs;
      std::printf("%s %s: saved engine outputs within %.2g of LibTorch's (largest %.3g)\n", near ? "ok  " : "FAIL",
                  path.filename().c_str(), max_err, max_abs);
      fails += !near;
      for (Isa isa : isas)
        for (int threads : {1, 2}) {
          set_isa(isa);
          ThreadPool pool(threads);
          const auto out = net->forward({f.B, f.x.data(), f.known.data(), f.t.data(), f.stage.data()}, pool);
          const bool same = out.size() == f.engine_out.size() &&
                            std::memcmp(out.data(), f.engine_out.data(), out.size() * sizeof(float)) == 0;
          std::printf("%s %s: %s kernel, %d thread%s: %s\n", same ? "ok  " : "FAIL", path.filename().c_str(),
                      isa_name(isa), threads, threads == 1 ? "" : "s", same ? "the saved bits" : "other bits");
          fails += !same;
        }
    } catch (const std::exception& e) {
      std::printf("FAIL %s: %s\n", path.filename().c_str(), e.what());
      ++fails;
    }
  }
  std::printf("%d failed\n", fails);
  return fails == 0 ? 0 : 1;
}
