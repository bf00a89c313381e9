// Clock: the only source of time in the library, injected so every timing rule can be tested
// with a fake clock (include/locksmith/testing/fake_clock.h) and no test sleeps to wait for time.
#pragma once

#include <chrono>

namespace locksmith {

// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for TTLs, deadlines and breaker windows.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Monotonic time that may lag Now() by a few milliseconds (the kernel tick) but costs a fifth
  // as much to read; for hot-path TTL checks, where a few milliseconds do not matter.
  virtual std::chrono::steady_clock::time_point CoarseNow() const { return Now(); }
  // Calendar time, for creation dates and ages.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
  // Blocks the calling thread for `duration` (a fake clock advances instead).
  virtual void SleepFor(std::chrono::nanoseconds duration) = 0;
};

// The process-wide real clock. Never null; lives for the whole program.
Clock& SystemClock();

}  // namespace locksmith
