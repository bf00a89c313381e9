#include "locksmith/testing/fake_clock.h"

#include <chrono>
#include <mutex>

namespace locksmith {

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
