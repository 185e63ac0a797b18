#include "ardm/util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ardm::util {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

double Progress::rate() const {
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return first_done_ < 0 || el <= 0 ? 0.0 : static_cast<double>(last_done_ - first_done_) / el;
}

void Progress::update(int64_t done, const std::string& status) {
  if (first_done_ < 0) {
    first_done_ = done;
    start_ = std::chrono::steady_clock::now();
  }
  last_done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (since >= (tty_ ? 0.25 : 30.0)) {
    last_print_ = now;
    print(done, status, false);
  }
}

void Progress::finish(const std::string& status) { print(last_done_, status, true); }

void Progress::print(int64_t done, const std::string& status, bool final) {
  if (!enabled_) return;
  const double r = rate();
  double eta = r > 0 ? static_cast<double>(total_ - done) / r : NAN;
  if (time_limit_ > 0) {
    const double left =
        time_limit_ - std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    eta = std::isnan(eta) ? left : std::min(eta, std::max(0.0, left));
  }
  char head[160];
  std::snprintf(head, sizeof head, "%s %lld/%lld (%.0f%%) %.2f %s/s ETA %s", label_.c_str(),
                static_cast<long long>(done), static_cast<long long>(total_),
                total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0, r, unit_.c_str(),
                final ? "0s" : format_duration(eta).c_str());
  std::fprintf(stderr, "%s%s%s%s", tty_ ? "\r\033[K" : "", head, status.empty() ? "" : ("  " + status).c_str(),
               (tty_ && !final) ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace ardm::util
