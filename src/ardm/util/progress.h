// A one-line progress report on stderr: rate, ETA and a caller-supplied status. On a terminal it
// redraws in place at most 4 times a second; otherwise (a log file) it prints a line every 30 s.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ardm::util {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit, bool enabled = true);
  // done: units finished so far (absolute); status: text appended to the line.
  void update(int64_t done, const std::string& status = "");
  void finish(const std::string& status = "");
  // The run also stops after `seconds` of wall time: the ETA never exceeds what is left of it.
  void set_time_limit(double seconds) { time_limit_ = seconds; }
  // Units per second since the start (or since the first update after a resume).
  double rate() const;

 private:
  void print(int64_t done, const std::string& status, bool final);
  std::string label_, unit_;
  int64_t total_, first_done_ = -1, last_done_ = 0;
  double time_limit_ = 0;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

std::string format_duration(double seconds);

}  // namespace ardm::util
