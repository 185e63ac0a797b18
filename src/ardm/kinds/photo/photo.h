// Photographs: 8-bit gray and RGB PNG files of any size, coded by a photo model as tiles that see
// the pixels coded before them (engine/tiles.h; docs/photos.md). Everything but the model and the
// description code is the image kind's: PNG in and out, lossless JPEG XL and WebP as the classical
// codecs, several photos of one size in one file (which the model does not code: one image at a
// time). The image kind keeps the PNG files of its own model's shape (Fashion-MNIST's 28x28 gray)
// and the other PNG forms (palette, 16-bit, alpha); this kind takes the other gray and RGB ones.
#pragma once

#include "ardm/kinds/image/image.h"

namespace ardm::kinds {

class PhotoKind : public ImageKind {
 public:
  const char* name() const override { return "photo"; }
  uint32_t code() const override { return 5; }
  std::vector<std::pair<uint32_t, bool>> description_codes() const override { return {{code(), false}}; }
  const char* item_noun() const override { return "tile"; }
  bool codes(const DataSpec& d) const override;
  const char* data_noun() const override { return "photographs"; }
  std::string model_needed() const override;
  const char* model_variable() const override { return "ARDM_PHOTO_MODEL"; }
  std::string bundled_model() const override;
  std::vector<std::string> older_models() const override;
  bool claims(const std::string& path, const uint8_t* head, size_t n) const override;
  void check_coded_content(const coding::Description& d, const engine::EngineModel& model) const override;
  bool bare(const Content&, const engine::EngineModel&) const override { return false; }
  bool model_codes(const coding::Description& d, const engine::EngineModel& model) const override;

  bool owns(const DataSpec& d) const override { return d.kind == "image" && d.context > 0; }
  bool takes_source(const std::string& source) const override { return source == "photos"; }
  const char* eval_items() const override { return "windows"; }
};

}  // namespace ardm::kinds
