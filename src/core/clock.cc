#include "locksmith/clock.h"

#include <time.h>

#include <thread>

#include "locksmith/testing/fake_clock.h"

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

namespace testing {

FakeClock::FakeClock()
    : now_(std::chrono::seconds(1000)),
      wall_(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)) {}

std::chrono::steady_clock::time_point FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

std::chrono::system_clock::time_point FakeClock::WallNow() const {
  std::lock_guard lock(mu_);
  return wall_;
}

void FakeClock::SleepFor(std::chrono::nanoseconds duration) {
  std::lock_guard lock(mu_);
  sleeps_.push_back(duration);
  now_ += duration;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
}

void FakeClock::Advance(std::chrono::nanoseconds duration) {
  std::lock_guard lock(mu_);
  now_ += duration;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(duration);
}

void FakeClock::SetWallNow(std::chrono::system_clock::time_point wall) {
  std::lock_guard lock(mu_);
  wall_ = wall;
}

std::vector<std::chrono::nanoseconds> FakeClock::Sleeps() const {
  std::lock_guard lock(mu_);
  return sleeps_;
}

}  // namespace testing
}  // namespace locksmith
