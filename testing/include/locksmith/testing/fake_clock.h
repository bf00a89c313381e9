// FakeClock: a Clock that moves only when told to. SleepFor advances it and records the sleep, so
// tests can assert on backoff delays without waiting.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "locksmith/clock.h"

namespace locksmith::testing {

// Thread-safe.
class FakeClock : public Clock {
 public:
  // Starts at an arbitrary fixed point: steady 1000 s, wall 2026-01-01T00:00:00Z.
  FakeClock();

  std::chrono::steady_clock::time_point Now() const override;
  std::chrono::system_clock::time_point WallNow() const override;
  void SleepFor(std::chrono::nanoseconds duration) override;

  void Advance(std::chrono::nanoseconds duration);
  void SetWallNow(std::chrono::system_clock::time_point wall);
  // Every SleepFor duration so far, in order.
  std::vector<std::chrono::nanoseconds> Sleeps() const;

 private:
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point now_;
  std::chrono::system_clock::time_point wall_;
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace locksmith::testing
