// What a network must take and give, derived from the data and the process alone (spec
// sections 1, 2 and 5), for the LibTorch networks (nets/) and their engine twins alike: a network
// never sees the objective, and the objective never sees a network's options.
#pragma once

#include <cstdint>
#include <vector>


namespace ardm {

struct DataSpec;
struct ProcessConfig;

struct NetIO {
  std::vector<int64_t> data_shape;  // one item, without the batch (images: {C, H, W})
  int64_t input_classes = 256;      // values in x_in are below this
  int64_t num_stages = 1;           // > 1: the stage is fed beside the mask
  int64_t outputs_per_value = 256;  // O: logits per value
  int64_t max_time = 1;             // the number of steps of the process: t is scaled by 1000 / max_time
  int64_t context = 0;              // values before the item it also sees, as given (DataSpec::context)
  // Outputs [value_at, value_at + value_count) of each value are predictions of the value on
  // the input's scale (2 x / K_in - 1; core/logistic.h): a network may add to them a linear
  // prediction from its inputs. 0 outputs: none (logits only).
  int64_t value_at = 0, value_count = 0;
};

// OA-ARDM: K outputs; K + 1 input classes when the absorbing value is the extra class K (text).
// Upscale: K input classes, S * b outputs (direct), K (matrix) or 3 M (logistic: M mixture
// logits, M means, M log-scales; core/logistic.h). Text8 Upscale: its 31 input
// classes (27 characters, 3 groups, absorbing) and 27 outputs. Throws std::invalid_argument for
// a process the data cannot have.
NetIO net_io(const DataSpec& data, const ProcessConfig& process);

}  // namespace ardm
