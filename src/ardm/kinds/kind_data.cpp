// Each kind's LibTorch side, by kind name.
#include "ardm/kinds/kind_data.h"

#include <stdexcept>

namespace ardm::kinds {

const KindData& image_data();
const KindData& photo_data();
const KindData& text_data();
const KindData& audio_data();

const KindData& data_of(const Kind& kind) {
  static const std::pair<std::string, const KindData*> table[] = {
      {"image", &image_data()}, {"photo", &photo_data()}, {"text", &text_data()}, {"audio", &audio_data()}};
  for (const auto& [name, data] : table)
    if (name == kind.name()) return *data;
  throw std::logic_error(std::string("the ") + kind.name() + " kind has no data sets");
}

}  // namespace ardm::kinds
