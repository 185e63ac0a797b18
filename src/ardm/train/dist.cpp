#include "ardm/train/dist.h"

// c10d's backend headers are guarded by the macros LibTorch itself was built with.
#ifdef ARDM_HAVE_GLOO
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef ARDM_HAVE_NCCL
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <stdexcept>

namespace ardm::dist {
namespace {

int env_int(const char* name, int fallback, bool required) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    if (required) throw std::invalid_argument(std::string("distributed run: ") + name + " is not set");
    return fallback;
  }
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > 1 << 24)
    throw std::invalid_argument(std::string("distributed run: ") + name + "=" + v + " is not a non-negative integer");
  return static_cast<int>(x);
}

// The text of an error from c10d or Gloo, without a C++ backtrace.
std::string reason(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

std::runtime_error lost(const std::string& what, int rank, int world, const std::exception& e) {
  return std::runtime_error("rank " + std::to_string(rank) + " of " + std::to_string(world) + ": " + what +
                            " failed: another process of the run died, stalled past the timeout or cannot be "
                            "reached (" + reason(e) + ")");
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// One implementation for every c10d backend type (their common base differs across LibTorch
// versions: ProcessGroup in 1.x, Backend in 2.x). Tensors not on the group's device go through
// a copy (Gloo is given CPU tensors).
template <class PG>
class C10dGroup : public Group {
 public:
  C10dGroup(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<PG> pg, int rank, int size, std::string backend,
            torch::Device device)
      : store_(std::move(store)), pg_(std::move(pg)), device_(device) {
    rank_ = rank, size_ = size, backend_ = std::move(backend);
  }

  void allreduce_sum(torch::Tensor& t, const std::string& what) override {
    allreduce_sum_buckets({t}, t.numel() * t.element_size() + 1, what);
  }

  void broadcast(torch::Tensor& t, int root, const std::string& what) override {
    auto x = staged(t);
    std::vector<torch::Tensor> v = {x};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    run(what, [&] { pg_->broadcast(v, o)->wait(); });
    if (!x.is_same(t)) t.copy_(x);
  }

  void allreduce_sum_buckets(const std::vector<torch::Tensor>& ts, int64_t bucket_bytes,
                             const std::string& what) override {
    // Buckets of consecutive tensors, each flattened into one buffer.
    std::vector<std::vector<torch::Tensor>> buckets;
    int64_t bytes = 0;
    for (const auto& t : ts) {
      const int64_t b = t.numel() * t.element_size();
      if (buckets.empty() || bytes + b > bucket_bytes) buckets.emplace_back(), bytes = 0;
      buckets.back().push_back(t);
      bytes += b;
    }
    std::vector<torch::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    run(what, [&] {
      for (const auto& bucket : buckets) {
        std::vector<torch::Tensor> parts;
        for (const auto& t : bucket) parts.push_back(t.reshape({-1}));
        std::vector<torch::Tensor> v = {staged(torch::cat(parts))};
        flats.push_back(v[0]);
        works.push_back(pg_->allreduce(v));
      }
      for (auto& w : works) w->wait();
    });
    for (size_t i = 0; i < buckets.size(); ++i) {
      int64_t at = 0;
      for (const auto& t : buckets[i]) {
        t.copy_(flats[i].slice(0, at, at + t.numel()).view(t.sizes()));
        at += t.numel();
      }
    }
  }

  std::vector<uint8_t> share_bytes(const std::string& key, const std::vector<uint8_t>& bytes, int root) override {
    std::vector<uint8_t> out;
    run("sharing " + key, [&] {
      if (rank_ == root) {
        store_->set("ardm/" + key, bytes);
        out = bytes;
      } else {
        out = store_->get("ardm/" + key);
      }
    });
    return out;
  }

 private:
  torch::Tensor staged(const torch::Tensor& t) const {
    return t.device() == device_ ? t.contiguous() : t.to(device_).contiguous();
  }
  template <class F>
  void run(const std::string& what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      throw lost(what, rank_, size_, e);
    }
  }
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<PG> pg_;
  torch::Device device_;
};

}  // namespace

Env env_from_environment() {
  Env e;
  if (std::getenv("WORLD_SIZE") == nullptr && std::getenv("RANK") == nullptr) return e;
  e.world = env_int("WORLD_SIZE", 1, true);
  e.rank = env_int("RANK", 0, true);
  e.local_rank = env_int("LOCAL_RANK", e.rank, false);
  if (e.world < 1) throw std::invalid_argument("distributed run: WORLD_SIZE must be at least 1");
  if (e.rank >= e.world)
    throw std::invalid_argument("distributed run: RANK=" + std::to_string(e.rank) + " is not below WORLD_SIZE=" +
                                std::to_string(e.world));
  if (e.world > 1) {
    const char* addr = std::getenv("MASTER_ADDR");
    if (addr == nullptr || *addr == '\0') throw std::invalid_argument("distributed run: MASTER_ADDR is not set");
    e.master_addr = addr;
    e.master_port = env_int("MASTER_PORT", 0, true);
    if (e.master_port < 1 || e.master_port > 65535)
      throw std::invalid_argument("distributed run: MASTER_PORT must be a port number (1-65535)");
  }
  return e;
}

std::unique_ptr<Group> join(const Env& env, const torch::Device& device, std::chrono::seconds timeout) {
#ifndef ARDM_HAVE_GLOO
#ifdef ARDM_HAVE_NCCL
  const bool nccl = device.is_cuda();
#else
  const bool nccl = false;
#endif
  if (!nccl)
    throw std::runtime_error(std::string("this build has no Gloo, c10d's backend for ") +
                             (device.is_cuda() ? "GPUs without NCCL" : "the CPU") +
                             ": its headers were not found when ardm was configured (Debian: libgloo-dev)");
#endif
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(env.master_port);
  so.isServer = env.rank == 0;
  so.numWorkers = static_cast<size_t>(env.world);
  so.waitWorkers = true;
  so.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  // Under torchrun's agent, the agent already serves the store at MASTER_ADDR:MASTER_PORT: every
  // rank is a client, under the prefix of the agent's restart attempt.
  const char* agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool use_agent_store = agent_store != nullptr && std::string(agent_store) == "True";
  if (use_agent_store) {
    so.isServer = false, so.waitWorkers = false;
    so.numWorkers.reset();
  }
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    if (use_agent_store) {
      const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
      store = c10::make_intrusive<c10d::PrefixStore>(std::string("/worker/attempt_") + (attempt ? attempt : "0"), store);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(
        env.rank == 0 ? "rank 0: not all " + std::to_string(env.world) + " processes joined at " + where + " within " +
                            std::to_string(timeout.count()) + " s (" + reason(e) + ")"
                      : "rank " + std::to_string(env.rank) + ": cannot reach rank 0's store at " + where + " within " +
                            std::to_string(timeout.count()) + " s (" + reason(e) + ")");
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  try {
#ifdef ARDM_HAVE_NCCL
    if (device.is_cuda()) {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = ms;
      auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world, opts);
      return std::make_unique<C10dGroup<c10d::ProcessGroupNCCL>>(store, pg, env.rank, env.world, "nccl", device);
    }
#endif
#ifdef ARDM_HAVE_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(ms);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0')
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (is_loopback(env.master_addr))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world, opts);
    return std::make_unique<C10dGroup<c10d::ProcessGroupGloo>>(store, pg, env.rank, env.world, "gloo",
                                                               torch::Device(torch::kCPU));
#endif
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world) +
                             ": no process group at " + where + " within " + std::to_string(timeout.count()) +
                             " s: not all " + std::to_string(env.world) +
                             " processes joined, or they cannot reach each other (" + reason(e) + ")");
  }
#ifndef ARDM_HAVE_GLOO
  throw std::logic_error("unreachable: CPU ranks without Gloo are refused above");
#endif
}

void broadcast_module(Group& group, torch::nn::Module& module) {
  torch::NoGradGuard g;
  std::vector<torch::Tensor> all;
  for (auto& p : module.parameters()) all.push_back(p);
  for (auto& b : module.buffers()) all.push_back(b);
  for (auto& t : all) group.broadcast(t, 0, "broadcasting the initial weights");
}

void average_gradients(Group& group, const std::vector<torch::Tensor>& params, int64_t bucket_bytes) {
  torch::NoGradGuard g;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (!p.requires_grad()) continue;
    auto& grad = const_cast<torch::Tensor&>(p).mutable_grad();
    if (!grad.defined()) grad = torch::zeros_like(p);  // a parameter unused this step still takes part
    grads.push_back(grad);
  }
  group.allreduce_sum_buckets(grads, bucket_bytes, "the gradient all-reduce");
  for (auto& gr : grads) gr.div_(group.size());
}

}  // namespace ardm::dist
