#include "locksmith/clock.h"

#include <time.h>

#include <thread>

namespace locksmith {
namespace {

class RealClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::steady_clock::time_point CoarseNow() const override {
    // CLOCK_MONOTONIC_COARSE shares CLOCK_MONOTONIC's epoch (libstdc++'s steady_clock), so the
    // two readings compare; it is served from the vDSO without reading the hardware counter.
    timespec ts{};
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) {
      return Now();
    }
    return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) +
                                                 std::chrono::nanoseconds(ts.tv_nsec));
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  void SleepFor(std::chrono::nanoseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

}  // namespace locksmith
