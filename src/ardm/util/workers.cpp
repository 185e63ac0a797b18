#include "ardm/util/workers.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace ardm::util {

std::vector<std::string> run_workers(int64_t count, int workers, const std::function<void(int64_t)>& work,
                                     const std::function<void(int64_t)>& on_progress,
                                     const std::function<void()>& thread_init) {
  if (workers < 1) throw std::invalid_argument("need at least one worker thread");
  std::vector<std::string> errors(static_cast<size_t>(std::max<int64_t>(count, 0)));
  std::atomic<int64_t> next{0}, done{0};
  auto loop = [&] {
    if (thread_init) thread_init();
    for (int64_t i; (i = next++) < count;) {
      try {
        work(i);
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

}  // namespace ardm::util
