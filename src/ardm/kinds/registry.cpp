// The data kinds ardm knows, in the order inputs are offered to them (text, which takes any
// file, last), and what every kind shares.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "ardm/engine/codec.h"
#include "ardm/kinds/audio/audio.h"
#include "ardm/kinds/image/image.h"
#include "ardm/kinds/kind.h"
#include "ardm/kinds/photo/photo.h"
#include "ardm/kinds/text/text.h"

namespace ardm::kinds {

const std::vector<const Kind*>& all() {
  static const ImageKind image;
  static const PhotoKind photo;
  static const AudioKind audio;
  static const TextKind text;
  static const std::vector<const Kind*> kinds = {&image, &photo, &audio, &text};
  return kinds;
}

const Kind& for_input(const std::string& path, const uint8_t* head, size_t n) {
  for (const Kind* k : all())
    if (k->claims(path, head, n)) return *k;
  return *all().back();
}

const Kind* for_code(uint32_t code) {
  for (const Kind* k : all())
    for (const auto& [c, bytes] : k->description_codes())
      if (c == code) return k;
  return nullptr;
}

const Kind& for_bare_files() { return *all().front(); }

const Kind* by_name(const std::string& name) {
  for (const Kind* k : all())
    if (name == k->name()) return k;
  return nullptr;
}

const Kind& of_spec(const DataSpec& d) {
  std::string known;
  for (const Kind* k : all()) {
    if (k->owns(d)) return *k;
    known += std::string(known.empty() ? "" : ", ") + k->name();
  }
  throw std::invalid_argument("data: kind '" + d.kind + "' is none of the data kinds (" + known + ")");
}

const Kind& of_source(const std::string& source) {
  for (const Kind* k : all())
    if (k->takes_source(source)) return *k;
  return *all().back();
}

const coding::KindLayouts& layouts() {
  static const coding::KindLayouts table = [] {
    coding::KindLayouts t;
    for (const Kind* k : all())
      for (const auto& [c, bytes] : k->description_codes()) t[c] = bytes;
    return t;
  }();
  return table;
}

std::string numbered_name(size_t i, size_t count, const std::string& ext) {
  const size_t width = std::max<size_t>(5, std::to_string(count == 0 ? 0 : count - 1).size());
  std::string digits = std::to_string(i);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits + ext;
}

std::vector<std::string> path_list(const std::string& bar_separated) {
  std::vector<std::string> paths;
  for (size_t at = 0; at < bar_separated.size();) {
    const size_t bar = std::min(bar_separated.find('|', at), bar_separated.size());
    if (bar > at) paths.push_back(bundled_path(bar_separated.substr(at, bar - at)));
    at = bar + 1;
  }
  return paths;
}

namespace {
std::mutex models_dir_mutex;
std::string models_dir;  // "" : the build's paths
}  // namespace

void set_models_dir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(models_dir_mutex);
  models_dir = dir;
}

std::string bundled_path(const std::string& built) {
  std::lock_guard<std::mutex> lock(models_dir_mutex);
  if (models_dir.empty() || built.empty()) return built;
  // The part under the build's models/ folder ("photo.ardmnet", "older/text-....ardmnet").
  const size_t at = built.rfind("/models/");
  const std::string under = at == std::string::npos ? built.substr(built.rfind('/') + 1) : built.substr(at + 8);
  return models_dir + "/" + under;
}

uint16_t identity_word(uint16_t w) { return w; }

// ---- what a kind does unless it says otherwise

void Kind::check_model(const engine::EngineModel& m) const {
  const auto& d = m.cfg.data;
  if (codes(d)) return;
  std::string what = d.kind + " data of rank " + std::to_string(d.shape.size());
  for (const Kind* k : all())
    if (k->codes(d)) what = k->data_noun();
  throw std::runtime_error("this model codes " + what + ", " + model_needed());
}

Content Kind::merge(const std::vector<Content>& parts) const {
  if (parts.size() == 1) return parts[0];
  throw std::runtime_error(std::string("several ") + name() + " files cannot go into one .ardm file");
}

void Kind::check_coded_content(const coding::Description&, const engine::EngineModel&) const {}

bool Kind::bare(const Content&, const engine::EngineModel&) const { return false; }

coding::Description Kind::bare_description(const engine::EngineModel&) const {
  throw coding::FormatError(std::string("corrupted: a ") + name() + " file without its description");
}

std::vector<std::vector<uint8_t>> Kind::encode_native(int, const Content&) const {
  throw std::invalid_argument(std::string(name()) + " files have no classical codec of their own");
}

std::vector<uint16_t> Kind::decode_native(int, const std::vector<coding::Part>&, const coding::Description&) const {
  throw coding::FormatError(std::string("corrupted: a ") + name() + " file coded by a method it does not have");
}

std::vector<uint8_t> Kind::encode_native_chunk(int k, const coding::Description&, const uint16_t*, size_t) const {
  throw std::invalid_argument(std::string(name()) + " chunks are not coded by " + (native_name(k) ? native_name(k) : "?"));
}

std::vector<uint16_t> Kind::decode_native_chunk(int, const coding::Description&, const coding::Part&, size_t) const {
  throw coding::FormatError(std::string("corrupted: a ") + name() + " chunk coded by a method that codes no chunks");
}

int64_t Kind::level_budget(int level) const {
  // Network calls per chunk: level 6 is the default budget of 20 (under 1% more bits than 50
  // on the bundled image model, at 40% of the time); each level down roughly halves the calls.
  static const int64_t kBudgets[9] = {2, 4, 6, 10, 15, 20, 30, 50, 100};
  if (level < 1 || level > 9) throw std::invalid_argument("levels are 1..9, not " + std::to_string(level));
  return kBudgets[level - 1];
}

std::string Kind::output_file_name(size_t i, size_t count, const WriteOptions&) const {
  return numbered_name(i, count, "");
}

}  // namespace ardm::kinds
