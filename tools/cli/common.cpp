#include "common.h"

#include "ardm/core/config_io.h"
#include "ardm/kinds/kind_data.h"

namespace ardm::cli {

void add_common(CLI::App* app, Common& c) {
  app->add_option("--threads", c.threads, "intra-op CPU threads (default: all cores)")->capture_default_str();
  app->add_option("--device", c.device, "cpu, cuda or cuda:N (cuda needs a CUDA build of LibTorch)")
      ->capture_default_str();
  app->add_flag("-q,--quiet", c.quiet, "no progress line");
}

torch::Device setup(const Common& c) {
  if (c.threads < 1) throw std::invalid_argument("--threads must be at least 1");
  torch::set_num_threads(c.threads);
  torch::Device dev(c.device);
  if (dev.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("--device " + c.device + ": this LibTorch build has no CUDA support or sees no GPU");
  if (dev.is_cuda() && dev.has_index() && dev.index() >= static_cast<int>(torch::cuda::device_count()))
    throw std::runtime_error("--device " + dev.str() + ": there are " + std::to_string(torch::cuda::device_count()) +
                             " GPU(s) (a data-parallel rank uses cuda:LOCAL_RANK)");
  return dev;
}

std::string policy_text(const std::vector<int64_t>& p) { return "[" + join_ints(p) + "]"; }

namespace {

// A long policy shortened for a status line: its first and last steps.
std::string policy_summary(const std::vector<int64_t>& p) {
  if (p.size() <= 24) return policy_text(p);
  const std::vector<int64_t> head(p.begin(), p.begin() + 10), tail(p.end() - 4, p.end());
  return "[" + join_ints(head) + ", ... " + std::to_string(p.size() - 14) + " more ..., " + join_ints(tail) + "]";
}

}  // namespace

std::string policies_text(const Policies& p, bool shorten) {
  if (p.size() == 1) return shorten ? policy_summary(p[0]) : policy_text(p[0]);
  std::string out;
  for (size_t s = 0; s < p.size(); ++s)
    out += (s ? " | " : "") + std::string("stage ") + std::to_string(s) + " " +
           (shorten ? policy_summary(p[s]) : policy_text(p[s]));
  return out;
}

std::string split_text(const Policies& p) {
  std::vector<int64_t> k;
  for (const auto& s : p) k.push_back(static_cast<int64_t>(s.size()));
  return "[" + join_ints(k) + "]";
}

torch::Tensor model_data(const Model& m, std::string source, const std::string& split, int64_t limit) {
  if (source.empty()) source = m.train_cfg.data;
  return kinds::data_of(kinds::of_spec(m.data())).load(source, split, m.data(), limit);
}

const char* unit_of(const Model& m) { return kinds::of_spec(m.data()).eval_unit(); }
const char* items_of(const Model& m) { return kinds::of_spec(m.data()).eval_items(); }

}  // namespace ardm::cli
