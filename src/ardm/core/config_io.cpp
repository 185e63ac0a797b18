#include "ardm/core/config_io.h"

#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace ardm {
namespace {

// One table per struct: key -> (getter as text, setter from text). Written once, used both ways.
struct Field {
  std::function<std::string()> get;
  std::function<void(const std::string&)> set;
};
using Fields = std::map<std::string, Field>;

template <typename T>
T parse_num(const std::string& key, const std::string& v) {
  std::istringstream in(v);
  T x{};
  in >> x;
  if (in.fail() || !in.eof()) throw std::invalid_argument("config: bad value '" + v + "' for " + key);
  return x;
}

template <typename T>
void add_num(Fields& f, const std::string& key, T& ref) {
  f[key] = {[&ref] {
              std::ostringstream o;
              o.precision(17);
              o << ref;
              return o.str();
            },
            [&ref, key](const std::string& v) { ref = parse_num<T>(key, v); }};
}
void add_str(Fields& f, const std::string& key, std::string& ref) {
  f[key] = {[&ref] { return ref; }, [&ref](const std::string& v) { ref = v; }};
}
void add_ints(Fields& f, const std::string& key, std::vector<int64_t>& ref) {
  f[key] = {[&ref] { return join_ints(ref); }, [&ref](const std::string& v) { ref = parse_ints(v); }};
}

// A network's options under `prefix`, by the names its options.h gives them.
template <typename Options>
void add_net(Fields& f, const std::string& prefix, Options& o) {
  o.visit([&](const char* name, auto& field) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::vector<int64_t>>)
      add_ints(f, prefix + name, field);
    else if constexpr (std::is_same_v<T, std::string>)
      add_str(f, prefix + name, field);
    else
      add_num(f, prefix + name, field);
  });
}

// Every network's options under its own prefix ("<type>."). A model's text holds its own
// network's options only; the UNet's are in every model's text because every model has carried
// them since options got a prefix, and model ids are computed over this text.
struct NetOptions {
  const char* type;
  bool in_every_model;
  void (*add)(Fields&, NetConfig&);
};
const NetOptions kNetOptions[] = {
    {UNetConfig::kType, true, [](Fields& f, NetConfig& n) { add_net(f, "unet.", n.unet); }},
    {TransformerConfig::kType, false, [](Fields& f, NetConfig& n) { add_net(f, "transformer.", n.transformer); }},
    {DiffWaveConfig::kType, false, [](Fields& f, NetConfig& n) { add_net(f, "diffwave.", n.diffwave); }},
};

Fields fields(ModelConfig& c) {
  Fields f;
  add_ints(f, "data.shape", c.data.shape);
  add_num(f, "data.num_classes", c.data.num_classes);
  add_num(f, "data.absorbing", c.data.absorbing);
  add_str(f, "data.value_type", c.data.value_type);
  add_str(f, "data.kind", c.data.kind);
  add_num(f, "data.context", c.data.context);
  add_num(f, "process.upscale", c.process.upscale);
  add_str(f, "process.parametrization", c.process.parametrization);
  add_str(f, "process.order", c.process.order);
  add_str(f, "process.history", c.process.history);
  add_str(f, "net.type", c.net.type);
  for (const auto& n : kNetOptions) n.add(f, c.net);
  return f;
}

// The single image-UNet config of checkpoint format v1, field for field.
struct LegacyModelConfig {
  int64_t channels = 1, height = 28, width = 28, num_classes = 256;
  UNetConfig unet;
};
Fields fields(LegacyModelConfig& c) {
  Fields f;
  add_num(f, "channels", c.channels);
  add_num(f, "height", c.height);
  add_num(f, "width", c.width);
  add_num(f, "num_classes", c.num_classes);
  add_net(f, "", c.unet);
  return f;
}
Fields fields(ObjectiveConfig& c) {
  Fields f;
  add_str(f, "t_sampling", c.t_sampling);
  add_num(f, "ce_term", c.ce_term);
  add_num(f, "order_seed", c.order_seed);
  return f;
}
Fields fields(TrainConfig& c) {
  Fields f;
  add_str(f, "data", c.data);
  add_num(f, "limit", c.limit);
  add_num(f, "steps", c.steps);
  add_num(f, "batch", c.batch);
  add_str(f, "optimizer", c.optimizer);
  add_num(f, "lr", c.lr);
  add_num(f, "beta1", c.beta1);
  add_num(f, "beta2", c.beta2);
  add_num(f, "eps", c.eps);
  add_num(f, "weight_decay", c.weight_decay);
  add_num(f, "warmup", c.warmup);
  add_num(f, "lr_decay", c.lr_decay);
  add_num(f, "head_lr", c.head_lr);
  add_num(f, "clip", c.clip);
  add_num(f, "ema_decay", c.ema_decay);
  add_num(f, "seed", c.seed);
  add_num(f, "checkpoint_every", c.checkpoint_every);
  add_num(f, "log_every", c.log_every);
  return f;
}

template <typename C>
std::string write_all(const C& c) {
  C copy = c;
  std::string out;
  for (const auto& [k, f] : fields(copy)) out += k + "=" + f.get() + "\n";
  return out;
}

template <typename C>
void read_all(const std::string& text, C& c) {
  Fields f = fields(c);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("config: line without '=': " + line);
    const auto it = f.find(line.substr(0, eq));
    if (it == f.end()) throw std::invalid_argument("config: unknown key '" + line.substr(0, eq) + "'");
    it->second.set(line.substr(eq + 1));
  }
}

}  // namespace

std::string join_ints(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::vector<int64_t> parse_ints(const std::string& s) {
  std::vector<int64_t> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    out.push_back(parse_num<int64_t>("list '" + s + "'", item));
  }
  return out;
}

std::string to_text(const ModelConfig& c) {
  // Left out: the options of networks the model does not use (unless every model carries them),
  // and data.kind, data.context, diffwave.taps, unet.taps, unet.head, process.order and process.history when they are the default's, so image models keep the exact text (and so the
  // model ids derived from it) they had before other kinds existed.
  std::string out;
  std::istringstream in(write_all(c));
  for (std::string line; std::getline(in, line);) {
    bool keep = !(line.rfind("data.kind=", 0) == 0 && c.data.kind == DataSpec{}.kind) &&
                !(line.rfind("data.context=", 0) == 0 && c.data.context == 0) &&
                !(line.rfind("diffwave.taps=", 0) == 0 && c.net.diffwave.taps == 0) &&
                !(line.rfind("unet.taps=", 0) == 0 && c.net.unet.taps == 0) &&
                !(line.rfind("unet.head=", 0) == 0 && c.net.unet.head == UNetConfig{}.head) &&
                !(line.rfind("process.order=", 0) == 0 && c.process.order == ProcessConfig{}.order) &&
                !(line.rfind("process.history=", 0) == 0 && c.process.history == ProcessConfig{}.history);
    for (const auto& n : kNetOptions)
      if (!n.in_every_model && c.net.type != n.type && line.rfind(std::string(n.type) + ".", 0) == 0) keep = false;
    if (keep) out += line + "\n";
  }
  return out;
}
std::string to_text(const ObjectiveConfig& c) { return write_all(c); }
std::string to_text(const TrainConfig& c) { return write_all(c); }
void from_text(const std::string& t, ModelConfig& c) { read_all(t, c); }
void from_text(const std::string& t, ObjectiveConfig& c) { read_all(t, c); }
void from_text(const std::string& t, TrainConfig& c) { read_all(t, c); }

bool is_legacy_image_model(const ModelConfig& c) {
  return c.process.upscale == 0 && c.net.type == "unet" && c.data.shape.size() == 3 && c.data.kind == "image" &&
         c.data.absorbing == c.data.num_classes / 2 && c.data.value_type == "uint8";
}

std::string legacy_text(const ModelConfig& c) {
  if (!is_legacy_image_model(c)) throw std::invalid_argument("config: not expressible as a version-1 image model");
  LegacyModelConfig l;
  l.channels = c.data.shape[0], l.height = c.data.shape[1], l.width = c.data.shape[2];
  l.num_classes = c.data.num_classes;
  l.unet = c.net.unet;
  // The version-1 text predates the UNet's prediction head, which an OA-ARDM cannot have.
  std::string out;
  std::istringstream in(write_all(l));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("taps=", 0) != 0 && line.rfind("head=", 0) != 0) out += line + "\n";
  return out;
}

void from_legacy_text(const std::string& text, ModelConfig& c) {
  LegacyModelConfig l;
  read_all(text, l);
  c = ModelConfig{};
  c.data = image_spec(l.channels, l.height, l.width, l.num_classes);
  c.net.type = "unet";
  c.net.unet = l.unet;
}

}  // namespace ardm

namespace ardm {

int64_t DataSpec::num_values() const {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

DataSpec image_spec(int64_t channels, int64_t height, int64_t width, int64_t num_classes) {
  DataSpec d;
  d.shape = {channels, height, width};
  d.num_classes = num_classes;
  d.absorbing = num_classes / 2;
  d.value_type = num_classes <= 256 ? "uint8" : "uint16";
  return d;
}

DataSpec text_spec(const std::string& vocab, int64_t length) {
  DataSpec d;
  if (vocab == "text8")
    d.num_classes = 27;
  else if (vocab == "bytes")
    d.num_classes = 256;
  else
    throw std::invalid_argument("vocabulary must be 'text8' or 'bytes', not '" + vocab + "'");
  if (length < 1) throw std::invalid_argument("--seq-len must be at least 1");
  d.kind = vocab;
  d.shape = {length};
  d.absorbing = d.num_classes;  // an extra input class
  d.value_type = "uint8";
  return d;
}

DataSpec audio_spec(int64_t length) {
  if (length < 1) throw std::invalid_argument("--clip-len must be at least 1");
  DataSpec d;
  d.kind = "audio";
  d.shape = {length};
  d.num_classes = 65536;
  d.absorbing = 32768;
  d.value_type = "uint16";
  return d;
}

bool streams_plan_order(const ProcessConfig& p) { return p.order == "streams" || p.order == "adaptive"; }

void check_order(const ProcessConfig& p, const DataSpec& d) {
  if (p.history != "none" && p.history != "match" && p.history != "mix")
    throw std::invalid_argument("process: the history mixer is 'none', 'match' or 'mix', not '" + p.history + "'");
  if (p.history != "none" && (p.upscale != 0 || d.shape.size() != 1))
    throw std::invalid_argument("process: a history mixer is for OA-ARDMs of sequences (text, audio)");
  if (p.order == "random" || p.order == "dyadic") return;
  if (p.order == "quincunx") {
    if (d.shape.size() != 3) throw std::invalid_argument("process: the quincunx order is for images (a shape {C, H, W})");
    return;
  }
  if (p.order != "streams" && p.order != "adaptive")
    throw std::invalid_argument("process: the order is 'random', 'dyadic', 'quincunx', 'streams' or 'adaptive', not '" +
                                p.order + "'");
  if (p.upscale != 0 || d.shape.size() != 1)
    throw std::invalid_argument("process: the " + p.order + " order is for OA-ARDMs of sequences (text, audio)");
  if (p.order == "adaptive" && p.history != "mix")
    throw std::invalid_argument("process: the adaptive order chooses by the bit mixer's costs: it needs history 'mix'");
}

void check_spec(const DataSpec& d) {
  // What d.kind names is the data kinds' to say (kinds/): this checks what every kind shares.
  if (d.kind.empty()) throw std::invalid_argument("data: no kind");
  if (d.shape.empty()) throw std::invalid_argument("data: the shape needs at least one dimension");
  for (auto s : d.shape)
    if (s < 1) throw std::invalid_argument("data: shape " + join_ints(d.shape) + " has an empty dimension");
  if (d.num_classes < 2 || d.num_classes > 65536)
    throw std::invalid_argument("data: " + std::to_string(d.num_classes) + " classes; 2..65,536 are supported");
  if (d.value_type != "uint8" && d.value_type != "uint16")
    throw std::invalid_argument("data: value type '" + d.value_type + "' (uint8 or uint16)");
  if (d.value_type == "uint8" && d.num_classes > 256)
    throw std::invalid_argument("data: uint8 values hold at most 256 classes, not " + std::to_string(d.num_classes));
  if (d.context < 0 || (d.context > 0 && d.shape.size() != 1 && d.shape.size() != 3))
    throw std::invalid_argument("data: a context of " + std::to_string(d.context) +
                                " needs sequences (a shape {L}: values before) or images ({C, H, W}: a margin)");
  if (d.absorbing < 0 || d.absorbing > d.num_classes)
    throw std::invalid_argument("data: absorbing value " + std::to_string(d.absorbing) + " is outside 0.." +
                                std::to_string(d.num_classes));
}

}  // namespace ardm
