#include "ardm/engine/parallel.h"

#include <cfenv>
#include <chrono>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace ardm::engine {
namespace {

// Spins for up to about 50 microseconds until done() is true: a network call runs dozens of
// short parallel loops, and sleeping between them (a futex wait, then a wake-up) cost a
// quarter of a chunk's decoding time. Returns done().
template <typename Done>
bool spin_until(Done done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  for (int i = 0;; ++i) {
    if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return done();
  }
}

}  // namespace

FloatEnvironment::FloatEnvironment() {
#if defined(__x86_64__) || defined(__i386__)
  saved_ = _mm_getcsr();
  _mm_setcsr(0x1F80);  // all exceptions masked, round to nearest, FTZ and DAZ off
#else
  saved_ = static_cast<unsigned>(std::fegetround());
  std::fesetround(FE_TONEAREST);
#endif
}

FloatEnvironment::~FloatEnvironment() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(saved_);
#else
  std::fesetround(static_cast<int>(saved_));
#endif
}

ThreadPool::ThreadPool(int threads) {
  for (int w = 1; w < threads; ++w) workers_.emplace_back([this, w] { run(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work(int worker) {
  for (;;) {
    int64_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_ >= count_ || error_) return;
      i = next_++;
    }
    try {
      (*fn_)(i, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::run(int worker) {
  FloatEnvironment env;
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] { return stop_.load() || generation_.load() != seen; });
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      ++busy_;
    }
    work(worker);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --busy_;
    }
    done_.notify_all();
  }
}

void ThreadPool::parallel_for(int64_t count, const std::function<void(int64_t, int)>& fn) {
  if (count <= 0) return;
  FloatEnvironment env;
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i) fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    count_ = count;
    next_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  work(0);
  spin_until([&] { return busy_.load() == 0; });
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Every task has been handed out; wait for the workers still running one.
    done_.wait(lock, [&] { return busy_ == 0 && (next_ >= count_ || error_); });
    error = error_;
    fn_ = nullptr;
    count_ = 0;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace ardm::engine
