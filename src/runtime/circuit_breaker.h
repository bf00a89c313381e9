// CircuitBreaker: counts consecutive failed back-end operations and, at the threshold, fails
// calls fast for a while instead of hammering a back end that is down. After open_duration it
// lets exactly one probe through: success closes it, failure opens it again.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "locksmith/clock.h"
#include "locksmith/secrets_manager.h"

namespace locksmith::internal {

// Thread-safe.
class CircuitBreaker {
 public:
  enum class Admission { kAllowed, kProbe, kRejected };

  CircuitBreaker(const BreakerOptions& options, Clock& clock);

  // Whether an operation may call the back end now. A kProbe admission must be followed by
  // RecordSuccess or RecordFailure (the next probe waits for it).
  Admission Allow();
  // The back end answered (even with kNotFound and the like).
  void RecordSuccess(Admission admission);
  // The operation failed with back-end trouble after its retries. Returns true if this failure
  // opened the breaker.
  bool RecordFailure(Admission admission);

  BreakerState state() const;
  // How many times it has opened; lets callers log once per opening.
  std::uint64_t openings() const;

 private:
  BreakerState StateLocked(std::chrono::steady_clock::time_point now) const;
  void OpenLocked(std::chrono::steady_clock::time_point now);

  const BreakerOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  bool open_ = false;
  int consecutive_failures_ = 0;
  bool probe_in_flight_ = false;
  std::chrono::steady_clock::time_point opened_at_;
  std::uint64_t openings_ = 0;
};

}  // namespace locksmith::internal
