// The single hook through which old files reach LibTorch: image files made before the inference
// engine (format versions 1 and 2, and version-3 files made by LibTorch's codec) decode with the
// checkpoint that made them, one image per worker thread on one intra-op thread, as they were
// made. They decode exactly only with the same build on the same kind of CPU (legacy/codec.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/engine/item_coder.h"
#include "ardm/kinds/kind.h"

namespace ardm {
class Codec;
struct Model;
}  // namespace ardm

namespace ardm::legacy {

// The checkpoint that decodes such files: `model_flag` when it names a checkpoint (not an engine
// model file), else $ARDM_CHECKPOINT, else the bundled checkpoint; "" when there is none.
std::string resolve_checkpoint(const std::string& model_flag);

// The images of a file made by LibTorch's `codec` (any format version), each checked, decoded on
// `threads` workers; throws coding::FormatError when the file is not the codec's, and
// coding::CodingError when an image does not decode to its check.
std::vector<std::vector<uint16_t>> decode_images(const std::vector<uint8_t>& file, const Codec& codec, int threads);
// The version-3 model-coded file LibTorch's codec made of images of its shape (`encoded` at `budget`).
std::vector<uint8_t> images_file(const Codec& codec, const std::vector<std::vector<uint16_t>>& images,
                                 const std::vector<engine::ItemCoder::Encoded>& encoded, int64_t budget);

class ImageFallback {
 public:
  ImageFallback(std::string checkpoint, int threads);
  ~ImageFallback();
  // The file's content; rethrows `engine_error` when the checkpoint is not the file's model
  // either (or there is none). codec::FileOptions::fallback.
  kinds::Content operator()(const std::vector<uint8_t>& file, const coding::FormatError& engine_error);

 private:
  std::string checkpoint_;
  int threads_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Codec> codec_;
};

}  // namespace ardm::legacy
