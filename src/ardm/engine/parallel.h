// A small pool of worker threads for the engine. Results never depend on how work is split:
// every task writes its own outputs, computed in a fixed order (kernels.h), so the number of
// threads changes only the speed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ardm::engine {

class ThreadPool {
 public:
  // `threads` >= 1 workers in all, the calling thread included.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Runs fn(i, worker) for every i in [0, count), worker in [0, size()), and returns when all
  // are done; the first exception is rethrown here. Not reentrant: one caller at a time.
  void parallel_for(int64_t count, const std::function<void(int64_t, int)>& fn);

 private:
  void run(int worker);
  void work(int worker);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  int64_t count_ = 0, next_ = 0;
  // Written under mu_; read without it too, by the short spins that save a sleep and a wake-up
  // between the many small parallel loops of one network call.
  std::atomic<int> busy_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

// Sets the calling thread's floating-point environment to IEEE defaults (round to nearest,
// no flush of subnormals to zero) for its lifetime, and restores the old one after. Other
// libraries in the process (oneDNN, OpenBLAS) may leave flush-to-zero on; the engine's results
// must not depend on that.
class FloatEnvironment {
 public:
  FloatEnvironment();
  ~FloatEnvironment();

 private:
  unsigned saved_ = 0;
};

}  // namespace ardm::engine
