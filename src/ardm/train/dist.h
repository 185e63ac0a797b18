// Data-parallel training on LibTorch's distributed layer (c10d): a process group joined the way
// torchrun launches processes, and the few collectives the training loop needs.
//
// Read me first:
//  * Rendezvous: RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (LOCAL_RANK picks the GPU). Rank 0
//    serves a c10d::TCPStore at MASTER_ADDR:MASTER_PORT; every rank connects to it, and the
//    process group (Gloo on CPU tensors, NCCL on CUDA tensors when LibTorch has it) meets there.
//  * Every collective waits at most `timeout`; a peer that dies closes its connections, so the
//    others fail at their next collective with an error that says so, instead of hanging.
//  * The training loop (train.cpp) keeps all ranks in lock step: the same step, the same random
//    draws for the global batch (each rank computes its slice), gradients summed then divided by
//    the world size, so N ranks of batch b take the step 1 rank of batch N*b would.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ardm::dist {

// Where this process stands: world 1 (no variables set) means a plain single-process run.
struct Env {
  int rank = 0, world = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};
// Reads torchrun's variables; throws std::invalid_argument naming a variable that is malformed
// or missing (RANK without WORLD_SIZE, a rank outside [0, WORLD_SIZE), ...).
Env env_from_environment();

class Group {
 public:
  virtual ~Group() = default;
  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string& backend() const { return backend_; }
  // In place; every rank must call with tensors of the same shapes, in the same order.
  virtual void allreduce_sum(torch::Tensor& t, const std::string& what) = 0;
  virtual void broadcast(torch::Tensor& t, int root, const std::string& what) = 0;
  // Sums the tensors of several buckets of at most bucket_bytes each, one collective per bucket,
  // all in flight at once. Tensors must be contiguous and share dtype and device.
  virtual void allreduce_sum_buckets(const std::vector<torch::Tensor>& ts, int64_t bucket_bytes,
                                     const std::string& what) = 0;
  // Rank `root` publishes bytes under `key`; the others wait for them (the store's timeout).
  virtual std::vector<uint8_t> share_bytes(const std::string& key, const std::vector<uint8_t>& bytes, int root) = 0;

 protected:
  int rank_ = 0, size_ = 1;
  std::string backend_;
};

// Joins the process group of `env` (env.world > 1) for tensors on `device`: Gloo for the CPU,
// NCCL for CUDA where this LibTorch was built with it. Throws std::runtime_error saying who did
// not show up when the rendezvous times out.
std::unique_ptr<Group> join(const Env& env, const torch::Device& device, std::chrono::seconds timeout);

// Makes every rank's parameters and buffers equal to rank 0's.
void broadcast_module(Group& group, torch::nn::Module& module);

// Averages the gradients of `params` over the ranks (sum, then / world) in buckets.
void average_gradients(Group& group, const std::vector<torch::Tensor>& params, int64_t bucket_bytes = 32 << 20);

}  // namespace ardm::dist
