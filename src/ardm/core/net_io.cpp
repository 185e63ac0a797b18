#include "ardm/core/net_io.h"

#include "ardm/core/config.h"

#include <stdexcept>

#include "ardm/core/logistic.h"
#include "ardm/core/stages.h"

namespace ardm {

NetIO net_io(const DataSpec& data, const ProcessConfig& process) {
  NetIO io;
  io.data_shape = data.shape;
  const int64_t K = data.num_classes, S = stages::of_process(process, data);
  io.num_stages = S;
  io.max_time = S * data.num_values();
  io.context = data.context;
  if (process.upscale == 0) {
    // An absorbing value outside 0..K-1 is an extra input class (text); images use a real class.
    io.input_classes = data.absorbing >= K ? K + 1 : K;
    io.outputs_per_value = K;
  } else if (process.parametrization == "text8") {
    if (K != 27) throw std::invalid_argument("the text8 upscale process takes text8 data (27 classes)");
    io.input_classes = 31;  // 27 characters, 3 groups (space, vowel, consonant), the absorbing state
    io.outputs_per_value = K;
  } else {
    io.input_classes = K;
    if (process.parametrization == "logistic") {
      io.outputs_per_value = 3 * logistic::kComponents;
      io.value_at = logistic::kComponents;
      io.value_count = logistic::kComponents;
    } else {
      io.outputs_per_value = process.parametrization == "direct" ? S * process.upscale : K;
    }
  }
  return io;
}

}  // namespace ardm
