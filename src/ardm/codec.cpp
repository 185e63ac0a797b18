#include "ardm/codec.h"

#include <dlfcn.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "ardm/config_io.h"
#include "ardm/schedule_dp.h"

namespace ardm {
namespace {

// Names the evaluation rule, so a change to how probabilities are computed changes every
// fingerprint and old files are refused as "wrong model" instead of decoding to garbage.
constexpr const char* kCodecRecipe = "ardm-codec-1: fixed order, optimal policy, batch 1, 1 intra-op thread, "
                                     "softmax in double, 24-bit frequencies";

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
    : model_(model), device_(device), num_values_(model.num_steps()) {
  const auto& m = model.model_cfg;
  if (m.num_classes > 256) throw std::invalid_argument("the codec codes 8-bit values: at most 256 classes");
  auto sigma = fixed_order(num_values_, model.objective_cfg.order_seed);  // [D] ranks
  location_of_rank_.assign(static_cast<size_t>(num_values_), 0);
  const auto* ranks = sigma.data_ptr<int64_t>();
  for (int64_t i = 0; i < num_values_; ++i) location_of_rank_[static_cast<size_t>(ranks[i])] = i;
  sigma_ = sigma.view({1, m.channels, m.height, m.width}).to(device_);
  model_.ema->to(device_);
  model_.ema->eval();
  if (device_.is_cuda()) {
    // Decoding needs run-to-run identical kernels: no autotuning, deterministic cuDNN.
    at::globalContext().setBenchmarkCuDNN(false);
    at::globalContext().setDeterministicCuDNN(true);
  }

  uint32_t crc = crc_text(0, kCodecRecipe);
  crc = crc_text(crc, to_text(model.model_cfg));
  crc = crc_text(crc, "order_seed=" + std::to_string(model.objective_cfg.order_seed));
  for (const auto& p : model_.ema->named_parameters()) {
    crc = crc_text(crc, p.key());
    crc = crc_tensor(crc, p.value());
  }
  const auto costs = model.sorted_costs();
  fingerprint_ = crc_bytes(crc, costs.data(), costs.size() * sizeof(double));
}

std::vector<uint32_t> Codec::shape() const {
  const auto& m = model_.model_cfg;
  return {static_cast<uint32_t>(m.channels), static_cast<uint32_t>(m.height), static_cast<uint32_t>(m.width)};
}

const std::vector<int64_t>& Codec::policy(int64_t budget) const {
  if (budget < 1 || budget > num_values_)
    throw std::invalid_argument("budget " + std::to_string(budget) + " is outside 1.." + std::to_string(num_values_));
  std::lock_guard<std::mutex> lock(policy_mutex_);
  auto it = policies_.find(budget);
  if (it == policies_.end()) it = policies_.emplace(budget, model_.policy(budget, "optimal")).first;
  return it->second;
}

torch::Tensor Codec::step_logits(const torch::Tensor& x_in, const torch::Tensor& known, int64_t t) const {
  if (device_.is_cpu() && at::get_num_threads() != 1)
    throw std::logic_error("codec network calls must run on one intra-op thread (use run_codec_workers)");
  auto tt = torch::full({1}, t, torch::TensorOptions().dtype(torch::kInt64).device(device_));
  auto logits = model_.ema->forward(x_in, known, tt, num_values_);  // [1, K, C, H, W]
  return logits.reshape({num_classes(), num_values_}).t().contiguous().to(torch::kCPU);
}

Codec::Encoded Codec::encode(const uint8_t* values, int64_t budget) const {
  torch::InferenceMode guard;
  const auto& pol = policy(budget);
  const int64_t K = num_classes(), D = num_values_;
  const auto& m = model_.model_cfg;
  for (int64_t i = 0; i < D; ++i)
    if (values[i] >= K) throw std::invalid_argument("value " + std::to_string(values[i]) + " is not below " + std::to_string(K));
  auto x = torch::from_blob(const_cast<uint8_t*>(values), {1, m.channels, m.height, m.width}, torch::kUInt8)
               .to(torch::kInt64)
               .to(device_);
  const auto absorbing = torch::full_like(x, model_.absorbing());

  // Every symbol's (start, freq), by rank; then pushed last rank first.
  std::vector<uint32_t> start(static_cast<size_t>(D)), freq(static_cast<size_t>(D));
  Encoded out;
  for (size_t k = 0; k < pol.size(); ++k) {
    const int64_t t0 = pol[k], t1 = k + 1 < pol.size() ? pol[k + 1] : D;
    const auto known = sigma_ < t0;
    const auto logits = step_logits(torch::where(known, x, absorbing), known, t0);
    const float* l = logits.data_ptr<float>();
    for (int64_t r = t0; r < t1; ++r) {
      const int64_t loc = location_of_rank_[static_cast<size_t>(r)];
      const auto table = coding::quantize_logits(l + loc * K, static_cast<size_t>(K), coding::kDefaultPrecision);
      start[static_cast<size_t>(r)] = table.start(values[loc]);
      freq[static_cast<size_t>(r)] = table.freq(values[loc]);
      out.model_bits += neg_log2_prob(l + loc * K, K, values[loc]);
    }
  }
  coding::RansEncoder enc(coding::kDefaultPrecision);
  for (int64_t r = D; r-- > 0;) enc.put(start[static_cast<size_t>(r)], freq[static_cast<size_t>(r)]);
  out.payload = enc.finish();
  return out;
}

std::vector<uint8_t> Codec::decode(const uint8_t* payload, size_t size, int64_t budget) const {
  torch::InferenceMode guard;
  const auto& pol = policy(budget);
  const int64_t K = num_classes(), D = num_values_;
  const auto& m = model_.model_cfg;
  coding::RansDecoder dec(payload, size, coding::kDefaultPrecision);
  std::vector<uint8_t> values(static_cast<size_t>(D), static_cast<uint8_t>(model_.absorbing()));
  for (size_t k = 0; k < pol.size(); ++k) {
    const int64_t t0 = pol[k], t1 = k + 1 < pol.size() ? pol[k + 1] : D;
    // Known locations hold their decoded values, the others the absorbing value: exactly the
    // encoder's where(known, x, absorbing).
    auto x_in = torch::from_blob(values.data(), {1, m.channels, m.height, m.width}, torch::kUInt8)
                    .to(torch::kInt64)
                    .to(device_);
    const auto logits = step_logits(x_in, sigma_ < t0, t0);
    const float* l = logits.data_ptr<float>();
    for (int64_t r = t0; r < t1; ++r) {
      const int64_t loc = location_of_rank_[static_cast<size_t>(r)];
      const auto table = coding::quantize_logits(l + loc * K, static_cast<size_t>(K), coding::kDefaultPrecision);
      const size_t s = table.find(dec.peek());
      dec.advance(table.start(s), table.freq(s));
      values[static_cast<size_t>(loc)] = static_cast<uint8_t>(s);
    }
  }
  dec.check_finished();
  return values;
}

std::vector<std::string> run_codec_workers(int64_t count, int workers, const std::function<void(int64_t)>& work,
                                           const std::function<void(int64_t)>& on_progress) {
  if (workers < 1) throw std::invalid_argument("need at least one worker thread");
  std::vector<std::string> errors(static_cast<size_t>(std::max<int64_t>(count, 0)));
  single_intra_op_thread();  // new threads take LibTorch's global setting; set it before they start
  std::atomic<int64_t> next{0}, done{0};
  auto loop = [&] {
    single_intra_op_thread();
    for (int64_t i; (i = next++) < count;) {
      try {
        work(i);
      } catch (const c10::Error& e) {
        errors[static_cast<size_t>(i)] = e.what_without_backtrace();
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = e.what();
        if (errors[static_cast<size_t>(i)].empty()) errors[static_cast<size_t>(i)] = "unknown error";
      }
      ++done;
    }
  };
  const int n = static_cast<int>(std::min<int64_t>(workers, std::max<int64_t>(count, 1)));
  std::vector<std::thread> pool;
  for (int w = 1; w < n; ++w) pool.emplace_back(loop);
  if (on_progress) {
    std::thread reporter([&] {
      while (done.load() < count) {
        on_progress(done.load());
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    });
    loop();
    for (auto& t : pool) t.join();
    reporter.join();
    on_progress(done.load());
  } else {
    loop();
    for (auto& t : pool) t.join();
  }
  return errors;
}

}  // namespace ardm
