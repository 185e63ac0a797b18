// Images: any PNG in and out (lossless JPEG XL and, for 8-bit images, lossless WebP as their own
// classical codecs), as planar values
// ({C, H, W}). 8-bit gray and RGB are description code 1, coded by an image model of the same
// size and depth where it has one; every other PNG (1 to 16 bits, alpha, palette, tRNS) is code
// 4, whose description keeps the PNG's colour type, bit depth and tRNS colour as its container
// bytes, and goes to JPEG XL or is stored. A file of one image of the model's size is written
// bare (no description); several images are {N, C, H, W}, one chunk each.
#pragma once

#include "ardm/kinds/image/png.h"
#include "ardm/kinds/kind.h"

namespace ardm::kinds {

// Interleaved [H, W, C] pixels <-> planar [C, H, W] values.
std::vector<uint8_t> planar_values(const data::Image8& img);
data::Image8 image_of(const uint8_t* planar, int64_t channels, int64_t height, int64_t width);
// The content of images of one shape {C, H, W} (planar values, C*H*W each): {C, H, W} for
// one, {N, C, H, W} for several.
Content images_content(const std::vector<std::vector<uint8_t>>& planar, const std::vector<int64_t>& shape);

class ImageKind : public Kind {
 public:
  const char* name() const override { return "image"; }
  uint32_t code() const override { return 1; }
  static constexpr uint32_t kPngCode = 4;  // images in their PNG form (colour type, depth, tRNS)
  std::vector<std::pair<uint32_t, bool>> description_codes() const override { return {{code(), false}, {kPngCode, true}}; }
  const char* unit() const override { return "bpd"; }
  const char* value_noun() const override { return "value"; }
  const char* item_noun() const override { return "img"; }
  bool codes(const DataSpec& d) const override;
  const char* data_noun() const override { return "images"; }
  std::string model_needed() const override;
  const char* model_variable() const override { return "ARDM_MODEL"; }
  std::string bundled_model() const override;
  bool claims(const std::string& path, const uint8_t* head, size_t n) const override;
  Content read(const std::vector<uint8_t>& file, const std::string& name, const engine::EngineModel& model) const override;
  bool merges() const override { return true; }
  Content merge(const std::vector<Content>& parts) const override;
  WordMap word_map(const coding::Description& d, const engine::EngineCodec& codec) const override;
  void check_description(const coding::Description& d) const override;
  void check_coded_content(const coding::Description& d, const engine::EngineModel& model) const override;
  bool bare(const Content& c, const engine::EngineModel& model) const override;
  coding::Description bare_description(const engine::EngineModel& model) const override;
  bool model_codes(const coding::Description& d, const engine::EngineModel& model) const override;
  int native_count() const override { return 2; }
  const char* native_name(int k) const override { return k == 0 ? "jxl" : k == 1 ? "webp" : nullptr; }
  bool native_takes(int k, const coding::Description& d) const override;
  std::vector<std::vector<uint8_t>> encode_native(int k, const Content& c) const override;
  std::vector<uint16_t> decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const override;
  bool native_chunks(int k, const coding::Description& d) const override;  // a chunk is an image
  std::vector<uint8_t> encode_native_chunk(int k, const coding::Description& d, const uint16_t* words, size_t n) const override;
  std::vector<uint16_t> decode_native_chunk(int k, const coding::Description& d, const coding::Part& p, size_t n) const override;
  size_t items(const coding::Description& d) const override;
  std::string output_name(const std::string& stripped, const WriteOptions& o) const override;
  size_t output_files(const coding::Description& d, const WriteOptions& o) const override;
  std::string output_file_name(size_t i, size_t count, const WriteOptions& o) const override;
  std::vector<uint8_t> write(const Content& c, size_t i, const std::string& name, const WriteOptions& o) const override;

  bool owns(const DataSpec& d) const override { return d.kind == "image" && d.context == 0; }
  bool takes_source(const std::string& source) const override;  // fashion-mnist, or a folder of PNG files
  const char* eval_unit() const override { return "bpd"; }
  const char* eval_items() const override { return "images"; }

  // The shape {C, H, W} of the model this kind codes with when none is named (its variable's,
  // else the bundled one's; read once).
  std::vector<int64_t> model_shape() const;
  static bool has_photo_kind();

  // The same rules for a model of images of `shape` {C, H, W} (legacy/ has no engine model).
  coding::Description bare_description_of(const std::vector<int64_t>& shape) const;
  void check_coded_shape(const coding::Description& d, const std::vector<int64_t>& shape) const;
};

}  // namespace ardm::kinds
