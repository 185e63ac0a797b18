// A twin reference file (tests/twin/*.twin): a tiny network exported for the engine, the inputs
// of one network call, LibTorch's outputs for them and the engine's (the bits every machine
// must give). Written once by make_references (LibTorch), read by twin_test (no torch), so the
// engine's networks are held to LibTorch's in builds and on machines without LibTorch.
// Little-endian:
//   "ARDMTWIN"; u32 n, n bytes: the .ardmnet model; u32 B, D, O;
//   B*D i32 x; B*D u8 known; B i64 t; B i64 stage; B*D*O f32 LibTorch outputs; B*D*O f32 engine outputs
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace twin {

struct File {
  std::vector<uint8_t> model;
  uint32_t B = 0, D = 0, O = 0;
  std::vector<int32_t> x;
  std::vector<uint8_t> known;
  std::vector<int64_t> t, stage;
  std::vector<float> torch_out, engine_out;  // [B, D, O]
};

template <typename T>
void put(std::vector<uint8_t>& out, const T* v, size_t n) {
  const auto* p = reinterpret_cast<const uint8_t*>(v);
  out.insert(out.end(), p, p + n * sizeof(T));  // the machines ardm runs on are little-endian
}

inline std::vector<uint8_t> write(const File& f) {
  std::vector<uint8_t> out = {'A', 'R', 'D', 'M', 'T', 'W', 'I', 'N'};
  const uint32_t n = static_cast<uint32_t>(f.model.size());
  put(out, &n, 1);
  put(out, f.model.data(), f.model.size());
  put(out, &f.B, 1), put(out, &f.D, 1), put(out, &f.O, 1);
  put(out, f.x.data(), f.x.size()), put(out, f.known.data(), f.known.size());
  put(out, f.t.data(), f.t.size()), put(out, f.stage.data(), f.stage.size());
  put(out, f.torch_out.data(), f.torch_out.size()), put(out, f.engine_out.data(), f.engine_out.size());
  return out;
}

inline File read(const std::vector<uint8_t>& in, const std::string& name) {
  size_t pos = 8;
  auto take = [&](void* dst, size_t bytes) {
    if (bytes > in.size() - pos) throw std::runtime_error(name + ": truncated");
    std::memcpy(dst, in.data() + pos, bytes);
    pos += bytes;
  };
  if (in.size() < 8 || std::memcmp(in.data(), "ARDMTWIN", 8) != 0) throw std::runtime_error(name + ": not a twin file");
  File f;
  uint32_t n = 0;
  take(&n, 4);
  f.model.resize(n);
  take(f.model.data(), n);
  take(&f.B, 4), take(&f.D, 4), take(&f.O, 4);
  const size_t BD = size_t{f.B} * f.D, BDO = BD * f.O;
  if (BDO > (size_t{1} << 26)) throw std::runtime_error(name + ": too large");
  f.x.resize(BD), f.known.resize(BD), f.t.resize(f.B), f.stage.resize(f.B), f.torch_out.resize(BDO), f.engine_out.resize(BDO);
  take(f.x.data(), BD * 4), take(f.known.data(), BD), take(f.t.data(), f.B * 8), take(f.stage.data(), f.B * 8);
  take(f.torch_out.data(), BDO * 4), take(f.engine_out.data(), BDO * 4);
  if (pos != in.size()) throw std::runtime_error(name + ": bytes after the outputs");
  return f;
}

}  // namespace twin
