#include "ardm/engine/weights.h"

#include <stdexcept>
#include <string>

namespace ardm::engine {
namespace {

const float* bias_or_null(const EngineModel& m, const std::string& name, int64_t out) {
  return m.has(name) ? m.param(name, {out}).values.data() : nullptr;
}

}  // namespace

Conv3x3 load_conv3x3(const EngineModel& m, const std::string& name, int64_t in, int64_t out, int64_t stride) {
  const auto& w = m.param(name + ".weight", {out, in, 3, 3});
  // [out, in, ky, kx] -> [out, (ky, kx, in)]
  std::vector<float> t(static_cast<size_t>(out * 9 * in));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t k = 0; k < 9; ++k) t[static_cast<size_t>(o * 9 * in + k * in + i)] = w.values[static_cast<size_t>((o * in + i) * 9 + k)];
  Conv3x3 c;
  c.dense = make_dense(t.data(), bias_or_null(m, name + ".bias", out), out, 9 * in);
  c.in = in;
  c.out = out;
  c.stride = stride;
  return c;
}

Conv1d load_conv1d(const EngineModel& m, const std::string& name, int64_t in, int64_t out, int64_t kernel,
                   int64_t dilation) {
  if (kernel < 1 || kernel % 2 == 0 || dilation < 1) throw std::runtime_error(name + ": bad 1-D convolution");
  const auto& w = m.param(name + ".weight", {out, in, kernel});
  // [out, in, k] -> [out, (k, in)]
  std::vector<float> t(static_cast<size_t>(out * kernel * in));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t k = 0; k < kernel; ++k)
        t[static_cast<size_t>((o * kernel + k) * in + i)] = w.values[static_cast<size_t>((o * in + i) * kernel + k)];
  Conv1d c;
  c.dense = make_dense(t.data(), bias_or_null(m, name + ".bias", out), out, kernel * in);
  c.in = in, c.out = out, c.kernel = kernel, c.dilation = dilation;
  return c;
}

Dense load_dense(const EngineModel& m, const std::string& name, int64_t in, int64_t out, bool conv1x1) {
  const auto& w = conv1x1 ? m.param(name + ".weight", {out, in, 1, 1}) : m.param(name + ".weight", {out, in});
  return make_dense(w.values.data(), bias_or_null(m, name + ".bias", out), out, in);
}

GroupNorm load_group_norm(const EngineModel& m, const std::string& name, int64_t groups, int64_t c) {
  if (groups < 1 || c % groups != 0) throw std::runtime_error(name + ": " + std::to_string(groups) + " groups of " + std::to_string(c) + " channels");
  GroupNorm g;
  g.c = c;
  g.groups = groups;
  g.gamma = m.param(name + ".weight", {c}).values;
  g.beta = m.param(name + ".bias", {c}).values;
  return g;
}

LayerNorm load_layer_norm(const EngineModel& m, const std::string& name, int64_t c) {
  LayerNorm ln;
  ln.c = c;
  ln.gamma = m.param(name + ".weight", {c}).values;
  ln.beta = m.param(name + ".bias", {c}).values;
  return ln;
}

Attention load_attention(const EngineModel& m, const std::string& name, int64_t groups, int64_t c) {
  Attention a;
  a.c = c;
  a.norm = load_group_norm(m, name + ".norm", groups, c);
  a.qkv = load_dense(m, name + ".qkv", c, 3 * c, true);
  a.proj = load_dense(m, name + ".proj", c, c, true);
  return a;
}

}  // namespace ardm::engine
