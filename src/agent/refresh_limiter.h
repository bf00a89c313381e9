// RefreshLimiter: at most one refreshNow fetch per secret per interval, so a client looping on
// `refreshNow=true` cannot hammer the back end; a refresh asked for inside the interval is served
// from the cache. Time comes from the injected Clock. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "locksmith/clock.h"

namespace locksmith::internal {

class RefreshLimiter {
 public:
  RefreshLimiter(Clock& clock, std::chrono::milliseconds interval)
      : clock_(clock), interval_(interval) {}

  // True (and the refresh is recorded) when `key` was not refreshed within the interval.
  bool TryAcquire(std::string_view key);

 private:
  // Past this many remembered keys, those older than the interval are dropped (they no longer
  // limit anything), so the map stays as large as the keys refreshed in one interval.
  static constexpr std::size_t kPruneAbove = 1024;

  Clock& clock_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_;
};

}  // namespace locksmith::internal
