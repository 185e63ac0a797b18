#include "ardm/engine/model_file.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "ardm/coding/crc32.h"
#include "ardm/core/config_io.h"

namespace ardm::engine {
namespace {

constexpr char kMagic[8] = {'A', 'R', 'D', 'M', 'N', 'E', 'T', '1'};
// Names what makes the probabilities: a change to any of it must change every model id.
constexpr const char* kRecipe =
    "ardm-engine-1: float32, every dense sum a chain of fused multiply-adds in input order; GroupNorm statistics in "
    "double; own exp/log/sin/cos; softmax weights exp_d in double; 24-bit frequencies by quantize_probabilities; "
    "schedule: staged-dp-1";

constexpr uint32_t kMaxText = 1 << 20;
constexpr int64_t kMaxStages = 64, kMaxValues = int64_t{1} << 24, kMaxParams = 4096, kMaxElements = int64_t{1} << 28;

void put_u32(std::vector<uint8_t>& o, uint32_t v) {
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t>& o, uint64_t v) {
  for (int i = 0; i < 8; ++i) o.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

struct Reader {
  const uint8_t* p;
  size_t left;
  const std::string& name;

  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(name + ": " + what); }
  void need(uint64_t n, const char* what) const {
    if (n > left) fail(std::string("truncated (") + what + ")");
  }
  uint64_t uint(int bytes, const char* what) {
    need(static_cast<uint64_t>(bytes), what);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    p += bytes;
    left -= static_cast<size_t>(bytes);
    return v;
  }
  std::string text(uint64_t n, const char* what) {
    need(n, what);
    std::string s(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    p += n;
    left -= static_cast<size_t>(n);
    return s;
  }
};

}  // namespace

const Param& EngineModel::param(const std::string& name, const std::vector<int64_t>& shape) const {
  const auto it = params.find(name);
  if (it == params.end()) throw std::runtime_error("model file lacks the parameter '" + name + "'");
  if (it->second.shape != shape) {
    std::string want, got;
    for (auto d : shape) want += (want.empty() ? "" : "x") + std::to_string(d);
    for (auto d : it->second.shape) got += (got.empty() ? "" : "x") + std::to_string(d);
    throw std::runtime_error("model file's parameter '" + name + "' is " + got + ", the network needs " + want);
  }
  return it->second;
}

bool is_model_file(const uint8_t* data, size_t size) { return size >= 8 && std::memcmp(data, kMagic, 8) == 0; }

std::vector<uint8_t> serialize(EngineModel& m) {
  std::vector<uint8_t> o(kMagic, kMagic + 8);
  const std::string text = to_text(m.cfg);
  put_u32(o, static_cast<uint32_t>(text.size()));
  o.insert(o.end(), text.begin(), text.end());
  put_u64(o, static_cast<uint64_t>(m.step));
  const auto S = static_cast<uint32_t>(m.orders.size());
  const auto D = static_cast<uint32_t>(m.num_values());
  put_u32(o, S);
  put_u32(o, D);
  for (const auto& ord : m.orders) {
    if (ord.size() != D) throw std::invalid_argument("orders of unequal length");
    for (uint32_t v : ord) put_u32(o, v);
  }
  if (m.costs.size() != static_cast<size_t>(S) * D) throw std::invalid_argument("need S * D costs");
  for (double c : m.costs) {
    uint64_t u;
    std::memcpy(&u, &c, 8);
    put_u64(o, u);
  }
  put_u32(o, static_cast<uint32_t>(m.params.size()));
  for (const auto& [name, p] : m.params) {
    o.push_back(static_cast<uint8_t>(name.size() & 0xFF));
    o.push_back(static_cast<uint8_t>(name.size() >> 8));
    o.insert(o.end(), name.begin(), name.end());
    o.push_back(static_cast<uint8_t>(p.shape.size()));
    for (auto d : p.shape) put_u32(o, static_cast<uint32_t>(d));
    for (float f : p.values) {
      uint32_t u;
      std::memcpy(&u, &f, 4);
      put_u32(o, u);
    }
  }
  m.fingerprint = coding::crc32_update(coding::crc32_text(0, kRecipe), o.data(), o.size());
  put_u32(o, coding::crc32_update(0, o.data(), o.size()));
  return o;
}

EngineModel parse_model(const uint8_t* data, size_t size, const std::string& name) {
  if (!is_model_file(data, size)) throw std::runtime_error(name + ": not an ardm engine model file (.ardmnet)");
  if (size < 12) throw std::runtime_error(name + ": truncated");
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= static_cast<uint32_t>(data[size - 4 + static_cast<size_t>(i)]) << (8 * i);
  if (coding::crc32_update(0, data, size - 4) != stored)
    throw std::runtime_error(name + ": corrupted model file (checksum mismatch)");
  Reader r{data + 8, size - 12, name};
  EngineModel m;
  const uint64_t text_len = r.uint(4, "config");
  if (text_len > kMaxText) r.fail("config text too long");
  const std::string text = r.text(text_len, "config");
  try {
    from_text(text, m.cfg);
    check_spec(m.cfg.data);
    check_order(m.cfg.process, m.cfg.data);
  } catch (const std::exception& e) {
    r.fail(std::string("bad config: ") + e.what());
  }
  m.step = static_cast<int64_t>(r.uint(8, "step"));
  const int64_t S = static_cast<int64_t>(r.uint(4, "stages")), D = static_cast<int64_t>(r.uint(4, "values"));
  if (S < 1 || S > kMaxStages || D < 1 || D > kMaxValues) r.fail("implausible stages or values per item");
  if (D != m.cfg.data.num_values()) r.fail("values per item do not match the config's shape");
  r.need(static_cast<uint64_t>(S * D) * 12, "orders and costs");
  m.orders.assign(static_cast<size_t>(S), std::vector<uint32_t>(static_cast<size_t>(D)));
  for (auto& ord : m.orders) {
    std::vector<bool> seen(static_cast<size_t>(D), false);
    for (auto& v : ord) {
      v = static_cast<uint32_t>(r.uint(4, "orders"));
      if (v >= D || seen[v]) r.fail("an order is not a permutation");
      seen[v] = true;
    }
  }
  m.costs.resize(static_cast<size_t>(S * D));
  for (auto& c : m.costs) {
    const uint64_t u = r.uint(8, "costs");
    std::memcpy(&c, &u, 8);
    if (!std::isfinite(c) || c < 0) r.fail("a step cost is negative or not finite");
  }
  const int64_t P = static_cast<int64_t>(r.uint(4, "parameter count"));
  if (P > kMaxParams) r.fail("too many parameters");
  for (int64_t i = 0; i < P; ++i) {
    const std::string pname = r.text(r.uint(2, "parameter name"), "parameter name");
    Param p;
    const int64_t rank = static_cast<int64_t>(r.uint(1, "parameter rank"));
    if (rank < 1 || rank > 4) r.fail("parameter '" + pname + "' has rank " + std::to_string(rank));
    int64_t n = 1;
    for (int64_t k = 0; k < rank; ++k) {
      const int64_t d = static_cast<int64_t>(r.uint(4, "parameter shape"));
      if (d < 1 || d > kMaxElements) r.fail("parameter '" + pname + "' has a bad size");
      n *= d;
      if (n > kMaxElements) r.fail("parameter '" + pname + "' is too large");
      p.shape.push_back(d);
    }
    r.need(static_cast<uint64_t>(n) * 4, "parameter values");
    p.values.resize(static_cast<size_t>(n));
    for (auto& f : p.values) {
      const auto u = static_cast<uint32_t>(r.uint(4, "parameter values"));
      std::memcpy(&f, &u, 4);
      if (!std::isfinite(f)) r.fail("parameter '" + pname + "' holds a value that is not finite");
    }
    if (!m.params.emplace(pname, std::move(p)).second) r.fail("parameter '" + pname + "' appears twice");
  }
  if (r.left != 0) r.fail("unexpected bytes after the parameters");
  m.fingerprint = coding::crc32_update(coding::crc32_text(0, kRecipe), data, size - 4);
  return m;
}

ModelConfig read_model_config(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::vector<uint8_t> head(12);
  if (!f.read(reinterpret_cast<char*>(head.data()), 12) || !is_model_file(head.data(), head.size()))
    throw std::runtime_error(path + ": not an ardm engine model file (.ardmnet)");
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(head[8 + static_cast<size_t>(i)]) << (8 * i);
  if (n > kMaxText) throw std::runtime_error(path + ": config text too long");
  std::string text(n, '\0');
  if (!f.read(text.data(), n)) throw std::runtime_error(path + ": truncated");
  ModelConfig c;
  from_text(text, c);
  return c;
}

EngineModel read_model(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw std::runtime_error(path + ": read error");
  return parse_model(bytes.data(), bytes.size(), path);
}

}  // namespace ardm::engine
