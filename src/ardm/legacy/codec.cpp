#include "ardm/legacy/codec.h"

#include <dlfcn.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "ardm/coding/format.h"
#include "ardm/legacy/format_v12.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "ardm/core/config_io.h"
#include "ardm/util/workers.h"

namespace ardm {
namespace {

// Names the evaluation rule, so a change to how probabilities are computed changes every
// fingerprint and old files are refused as "wrong model" instead of decoding to garbage.
constexpr const char* kCodecRecipe = "ardm-codec-1: fixed order, optimal policy, batch 1, 1 intra-op thread, "
                                     "softmax in double, 24-bit frequencies";
// Version 3 also names the schedule algorithm: a change to the DP changes the policies of old
// budgets, so it must make old files "wrong model", never "corrupted".
constexpr const char* kCodecRecipeV3 = "ardm-codec-3: fixed orders (hashed below), batch 1, 1 intra-op thread, "
                                       "24-bit frequencies from quantize_logits; schedule: staged-dp-1 (stage "
                                       "costs sorted descending, convex hull trick, min-plus split of the total)";

uint32_t crc_bytes(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes uInt lengths
    const auto n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, n));
    p += n;
    size -= n;
  }
  return crc;
}

uint32_t crc_text(uint32_t crc, const std::string& s) { return crc_bytes(crc, s.data(), s.size() + 1); }

uint32_t crc_tensor(uint32_t crc, const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU).contiguous();
  return crc_bytes(crc, c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
}

// One intra-op thread in the calling thread, for LibTorch's pool and for OpenBLAS (whose own
// thread count LibTorch does not set). OpenBLAS is looked up at run time, so a LibTorch built
// on another BLAS still links.
void single_intra_op_thread() {
  at::set_num_threads(1);
  using SetThreads = void (*)(int);
  static const auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (openblas) openblas(1);
}

// -log2 of the softmax probability of `symbol` from K float logits, in double.
double neg_log2_prob(const float* logits, int64_t k, int64_t symbol) {
  double mx = -INFINITY;
  for (int64_t i = 0; i < k; ++i) mx = std::max(mx, static_cast<double>(logits[i]));
  double sum = 0;
  for (int64_t i = 0; i < k; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  return (std::log(sum) - (static_cast<double>(logits[symbol]) - mx)) / std::log(2.0);
}

}  // namespace

Codec::Codec(Model& model, const torch::Device& device)
    : model_(model), device_(device), num_values_(model.num_values()) {
  const auto& spec = model.data();
  if (spec.num_classes > 65536) throw std::invalid_argument("the codec codes values of at most 16 bits");
  const auto sigma = fixed_orders(model.num_stages(), num_values_, model.objective_cfg.order_seed);  // [S, D] ranks
  std::vector<int64_t> item_shape = {1};
  item_shape.insert(item_shape.end(), spec.shape.begin(), spec.shape.end());
  for (int64_t s = 0; s < model.num_stages(); ++s) {
    std::vector<int64_t> loc(static_cast<size_t>(num_values_), 0);
    const auto row = sigma[s].contiguous();
    const auto* ranks = row.data_ptr<int64_t>();
    for (int64_t i = 0; i < num_values_; ++i) loc[static_cast<size_t>(ranks[i])] = i;
    location_of_rank_.push_back(std::move(loc));
    sigma_.push_back(row.view(item_shape).to(device_));
  }
  model_.ema->to(device_);
  model_.ema->eval();
  if (device_.is_cuda()) {
    // Decoding needs run-to-run identical kernels: no autotuning, deterministic cuDNN.
    at::globalContext().setBenchmarkCuDNN(false);
    at::globalContext().setDeterministicCuDNN(true);
  }

  // Models that checkpoint format v1 could describe keep their v1 identity text, so their
  // files keep decoding; every other model is named by its full config (process included).
  const auto& cfg = model.model_cfg;
  uint32_t weights = 0;
  for (const auto& p : model_.ema->named_parameters()) {
    weights = crc_text(weights, p.key());
    weights = crc_tensor(weights, p.value());
  }
  const auto costs = model.sorted_costs();
  const size_t costs_bytes = costs.size() * sizeof(double);

  uint32_t crc = crc_text(0, kCodecRecipe);
  crc = crc_text(crc, is_legacy_image_model(cfg) ? legacy_text(cfg) : to_text(cfg));
  crc = crc_text(crc, "order_seed=" + std::to_string(model.objective_cfg.order_seed));
  for (const auto& p : model_.ema->named_parameters()) {
    crc = crc_text(crc, p.key());
    crc = crc_tensor(crc, p.value());
  }
  legacy_fingerprint_ = crc_bytes(crc, costs.data(), costs_bytes);

  crc = crc_text(0, kCodecRecipeV3);
  crc = crc_text(crc, to_text(cfg));
  for (const auto& loc : location_of_rank_) crc = crc_bytes(crc, loc.data(), loc.size() * sizeof(int64_t));
  crc = crc_bytes(crc, &weights, sizeof weights);
  fingerprint_ = crc_bytes(crc, costs.data(), costs_bytes);
}

uint32_t Codec::process_code() const {
  return legacy::process_code(model_.model_cfg.process.upscale, model_.model_cfg.process.parametrization == "matrix");
}

std::vector<uint32_t> Codec::shape() const {
  std::vector<uint32_t> out;
  for (auto d : model_.data().shape) out.push_back(static_cast<uint32_t>(d));
  return out;
}

const Policies& Codec::policy(int64_t budget) const {
  check_budget(model_, budget);
  std::lock_guard<std::mutex> lock(policy_mutex_);
  auto it = policies_.find(budget);
  if (it == policies_.end()) it = policies_.emplace(budget, model_.policy(budget, "optimal")).first;
  return it->second;
}

torch::Tensor Codec::values_tensor(const uint16_t* values) const {
  std::vector<int64_t> v(values, values + num_values_);
  return torch::tensor(v, torch::kInt64).view(sigma_[0].sizes()).to(device_);
}

torch::Tensor Codec::step_logits(const torch::Tensor& x_in, const torch::Tensor& x_past, const torch::Tensor& known,
                                 int64_t stage, int64_t t) const {
  if (device_.is_cpu() && at::get_num_threads() != 1)
    throw std::logic_error("codec network calls must run on one intra-op thread (use run_codec_workers)");
  const auto st = stage_tensor(1, stage, device_);
  auto tt = torch::full({1}, stage * num_values_ + t, torch::TensorOptions().dtype(torch::kInt64).device(device_));
  auto out = model_.ema->forward(x_in, known, tt, st);                   // [1, O, ...]
  auto logits = model_.process->symbol_logits(out, x_past, stage);       // [1, A, ...]
  const int64_t A = logits.size(1);
  return logits.reshape({A, num_values_}).t().contiguous().to(torch::kCPU);
}

Codec::Encoded Codec::encode(const uint16_t* values, int64_t budget) const {
  torch::InferenceMode guard;
  const auto& pol = policy(budget);
  const int64_t K = num_classes(), D = num_values_, S = num_stages();
  for (int64_t i = 0; i < D; ++i)
    if (values[i] >= K) throw std::invalid_argument("value " + std::to_string(values[i]) + " is not below " + std::to_string(K));
  const auto& process = *model_.process;
  const auto x = values_tensor(values);

  // Every symbol's (start, freq) in decoding order (stage-major, then rank).
  Encoded out;
  out.symbols.resize(static_cast<size_t>(S * D));
  for (int64_t s = 0; s < S; ++s) {
    const auto st = stage_tensor(1, s, device_);
    const auto x_past = process.past(x, st), x_future = process.future(x, st);
    const auto sym_t = process.symbol(x_past, x_future, st).reshape({D}).to(torch::kCPU).contiguous();
    const int64_t* sym = sym_t.data_ptr<int64_t>();
    const auto& p = pol[static_cast<size_t>(s)];
    for (size_t k = 0; k < p.size(); ++k) {
      const int64_t t0 = p[k], t1 = k + 1 < p.size() ? p[k + 1] : D;
      const auto known = sigma_[static_cast<size_t>(s)] < t0;
      const auto logits = step_logits(network_input(x_past, x_future, known), x_past, known, s, t0);
      const int64_t A = logits.size(1);
      const float* l = logits.data_ptr<float>();
      for (int64_t r = t0; r < t1; ++r) {
        const int64_t loc = location_of_rank_[static_cast<size_t>(s)][static_cast<size_t>(r)];
        const auto table = coding::quantize_logits(l + loc * A, static_cast<size_t>(A), coding::kDefaultPrecision);
        const auto slot = static_cast<size_t>(s * D + r);
        out.symbols[slot] = {table.start(static_cast<size_t>(sym[loc])), table.freq(static_cast<size_t>(sym[loc]))};
        out.model_bits += neg_log2_prob(l + loc * A, A, sym[loc]);
      }
    }
  }
  return out;
}

std::vector<uint8_t> legacy_payload(const Codec::Encoded& encoded) {
  coding::RansEncoder enc(coding::kDefaultPrecision);
  for (size_t i = encoded.symbols.size(); i-- > 0;) enc.put(encoded.symbols[i].start, encoded.symbols[i].freq);
  return enc.finish();
}

std::vector<uint16_t> Codec::decode(const uint8_t* payload, size_t size, int64_t budget,
                                    const Check& check) const {
  auto dec = coding::RansDecoder::checked(payload, size, coding::kDefaultPrecision);
  auto values = decode_symbols(dec, budget);
  dec.check_finished(check(values));
  return values;
}

std::vector<uint16_t> Codec::decode_legacy(const uint8_t* payload, size_t size, int64_t budget) const {
  coding::RansDecoder dec(payload, size, coding::kDefaultPrecision);
  auto values = decode_symbols(dec, budget);
  dec.check_finished();
  return values;
}

std::vector<uint16_t> Codec::decode_symbols(coding::RansDecoder& dec, int64_t budget) const {
  torch::InferenceMode guard;
  const auto& pol = policy(budget);
  const int64_t K = num_classes(), D = num_values_, S = num_stages();
  const auto& process = *model_.process;
  // The first stage's past (OA-ARDM: the absorbing value; Upscale: 0) everywhere.
  const auto start = process.past(torch::zeros(sigma_[0].sizes(), torch::kInt64), stage_tensor(1, 0, torch::kCPU));
  std::vector<uint16_t> values(static_cast<size_t>(D), static_cast<uint16_t>(start.reshape({D})[0].item<int64_t>()));
  for (int64_t s = 0; s < S; ++s) {
    const std::vector<uint16_t> past = values;  // what earlier stages made
    const auto x_past = values_tensor(past.data());
    const auto& p = pol[static_cast<size_t>(s)];
    for (size_t k = 0; k < p.size(); ++k) {
      const int64_t t0 = p[k], t1 = k + 1 < p.size() ? p[k + 1] : D;
      // Known locations hold their decoded values, the others their past: exactly the
      // encoder's network_input(x_past, x_future, known).
      const auto logits = step_logits(values_tensor(values.data()), x_past, sigma_[static_cast<size_t>(s)] < t0, s, t0);
      const int64_t A = logits.size(1);
      const float* l = logits.data_ptr<float>();
      for (int64_t r = t0; r < t1; ++r) {
        const int64_t loc = location_of_rank_[static_cast<size_t>(s)][static_cast<size_t>(r)];
        const auto table = coding::quantize_logits(l + loc * A, static_cast<size_t>(A), coding::kDefaultPrecision);
        const size_t sym = table.find(dec.peek());
        dec.advance(table.start(sym), table.freq(sym));
        const int64_t v = process.value_of(past[static_cast<size_t>(loc)], static_cast<int64_t>(sym), s);
        if (v >= K) throw coding::CodingError("a digit decoded to value " + std::to_string(v) + " (K = " + std::to_string(K) + ")");
        values[static_cast<size_t>(loc)] = static_cast<uint16_t>(v);
      }
    }
  }
  return values;
}

std::vector<std::string> run_codec_workers(int64_t count, int workers, const std::function<void(int64_t)>& work,
                                           const std::function<void(int64_t)>& on_progress) {
  single_intra_op_thread();  // new threads take LibTorch's global setting; set it before they start
  auto guarded = [&](int64_t i) {
    try {
      work(i);
    } catch (const c10::Error& e) {
      throw std::runtime_error(e.what_without_backtrace());
    }
  };
  return util::run_workers(count, workers, guarded, on_progress, single_intra_op_thread);
}

}  // namespace ardm
