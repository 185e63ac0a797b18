// A fixed number of threads working through a list of independent tasks, one error string per
// task (empty: success), so one bad task never stops the others.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ardm::util {

// Runs work(i) for every i in [0, count) on `workers` threads (the calling thread is one of
// them); each thread first calls thread_init (if set). A reporter thread calls
// on_progress(done) about 4 times a second and once at the end. An exception from work(i) is
// returned as errors[i].
std::vector<std::string> run_workers(int64_t count, int workers, const std::function<void(int64_t)>& work,
                                     const std::function<void(int64_t)>& on_progress = {},
                                     const std::function<void()>& thread_init = {});

}  // namespace ardm::util
