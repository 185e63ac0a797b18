#include "ardm/kinds/photo/photo.h"

#include <stdexcept>

#include "ardm/engine/tiles.h"
#include "ardm/engine/model_file.h"

#ifndef ARDM_DEFAULT_PHOTO_MODEL
#define ARDM_DEFAULT_PHOTO_MODEL ""
#endif
#ifndef ARDM_OLDER_PHOTO_MODELS
#define ARDM_OLDER_PHOTO_MODELS ""  // paths separated by '|'
#endif

namespace ardm::kinds {

bool PhotoKind::codes(const DataSpec& d) const {
  return engine::tiles::tiled(d) && d.num_classes == 256 && d.shape[1] == d.shape[2];
}

std::string PhotoKind::model_needed() const {
  return "not photographs: PNG photographs need a photo model (its tiles see a margin)";
}

std::string PhotoKind::bundled_model() const { return bundled_path(ARDM_DEFAULT_PHOTO_MODEL); }

std::vector<std::string> PhotoKind::older_models() const { return path_list(ARDM_OLDER_PHOTO_MODELS); }

bool PhotoKind::claims(const std::string& path, const uint8_t* head, size_t n) const {
  // The PNG files the image kind leaves (the registry offers them to it first).
  return ImageKind::claims(path, head, n);
}

void PhotoKind::check_coded_content(const coding::Description& d, const engine::EngineModel& model) const {
  if (d.shape.size() != 3) throw coding::FormatError("corrupted: the model codes one photograph at a time");
  try {
    engine::tiles::grid_of(d.shape, model.cfg.data);
  } catch (const std::invalid_argument& e) {
    throw coding::FormatError(std::string("corrupted: ") + e.what());
  }
}

bool PhotoKind::model_codes(const coding::Description& d, const engine::EngineModel& model) const {
  const auto& m = model.cfg.data;
  return d.kind == code() && d.shape.size() == 3 && codes(m) &&
         (d.shape[0] == 1 || d.shape[0] == static_cast<uint64_t>(m.shape[0]));
}

}  // namespace ardm::kinds
