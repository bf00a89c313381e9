#include "runtime/circuit_breaker.h"

namespace locksmith {

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

namespace internal {

CircuitBreaker::CircuitBreaker(const BreakerOptions& options, Clock& clock)
    : options_(options), clock_(clock) {}

BreakerState CircuitBreaker::StateLocked(std::chrono::steady_clock::time_point now) const {
  if (!open_) {
    return BreakerState::kClosed;
  }
  return now - opened_at_ >= options_.open_duration ? BreakerState::kHalfOpen : BreakerState::kOpen;
}

void CircuitBreaker::OpenLocked(std::chrono::steady_clock::time_point now) {
  open_ = true;
  opened_at_ = now;
  probe_in_flight_ = false;
  ++openings_;
}

CircuitBreaker::Admission CircuitBreaker::Allow() {
  std::lock_guard lock(mu_);
  switch (StateLocked(clock_.Now())) {
    case BreakerState::kClosed:
      return Admission::kAllowed;
    case BreakerState::kOpen:
      return Admission::kRejected;
    case BreakerState::kHalfOpen:
      if (probe_in_flight_) {
        return Admission::kRejected;
      }
      probe_in_flight_ = true;
      return Admission::kProbe;
  }
  return Admission::kRejected;
}

void CircuitBreaker::RecordSuccess(Admission admission) {
  std::lock_guard lock(mu_);
  consecutive_failures_ = 0;
  // A straggler that was admitted before the breaker opened does not close it: only a probe
  // decides, so "exactly one probe" holds.
  if (admission == Admission::kProbe || !open_) {
    open_ = false;
    probe_in_flight_ = false;
  }
}

bool CircuitBreaker::RecordFailure(Admission admission) {
  std::lock_guard lock(mu_);
  const auto now = clock_.Now();
  if (admission == Admission::kProbe) {
    OpenLocked(now);
    return true;
  }
  ++consecutive_failures_;
  if (!open_ && consecutive_failures_ >= options_.failure_threshold) {
    OpenLocked(now);
    return true;
  }
  return false;
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  return StateLocked(clock_.Now());
}

std::uint64_t CircuitBreaker::openings() const {
  std::lock_guard lock(mu_);
  return openings_;
}

}  // namespace internal
}  // namespace locksmith
