// RowRateLimiter: keeps a batch job at or under N rows per second on average (for
// `locksmith reencrypt --max-rows-per-second`, from ReencryptionOptions::on_batch). After each
// batch the caller says how many rows it handled; the limiter sleeps through the injected Clock
// until that work fits the rate. Time lost to a slow stretch is made up by at most one second's
// worth of rows, so a stall is not followed by a burst.
#pragma once

#include <chrono>
#include <cstdint>

#include "locksmith/clock.h"

namespace locksmith {

// Not thread-safe: one job's loop calls it.
class RowRateLimiter {
 public:
  // `rows_per_second` > 0. `clock` must outlive the limiter; the budget starts now.
  RowRateLimiter(std::uint64_t rows_per_second, Clock& clock);

  // Called after `rows` more rows were handled: sleeps (clock.SleepFor) as long as needed.
  void Admit(std::uint64_t rows);

 private:
  std::chrono::nanoseconds per_row_;
  Clock& clock_;
  std::chrono::steady_clock::time_point next_;  // when the rows admitted so far are paid for
};

}  // namespace locksmith
